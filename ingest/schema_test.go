package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
)

// Ingest leaves the schema marker in a new lake and refuses to write into
// a lake of a newer schema.
func TestIngestSchemaMarker(t *testing.T) {
	file := logFile(t, []json.RawMessage{loadNormalizeCases(t)[0].Record}, true)
	ctx := context.Background()
	const key = "AWSLogs/111122223333/CloudTrail/eu-central-1/2026/06/01/x.json.gz"

	d := newLake(t)
	if _, err := New(d, Config{}).Ingest(ctx, key, bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	if v, found, err := lake.ReadSchema(ctx, d); err != nil || !found || v != lake.SchemaVersion {
		t.Errorf("marker after ingest: %d %v %v", v, found, err)
	}

	newer := newLake(t)
	if err := newer.Put(ctx, lake.SchemaKey, strings.NewReader(`{"version":99}`)); err != nil {
		t.Fatal(err)
	}
	res, err := New(newer, Config{}).Ingest(ctx, key, bytes.NewReader(file))
	if !errors.Is(err, lake.ErrSchemaNewer) && !strings.Contains(res.Reason, "schema version 99") {
		t.Errorf("ingest into a newer lake: %+v, %v", res, err)
	}
	if days, err := lake.ListDays(ctx, newer, lake.EventsPrefix); err != nil || len(days) != 0 {
		t.Errorf("events written into a newer lake: %v %v", days, err)
	}
}
