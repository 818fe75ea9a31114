package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/source"
)

type normalizeCase struct {
	Name   string          `json:"name"`
	Record json.RawMessage `json:"record"`
	Want   map[string]any  `json:"want"`
}

func loadNormalizeCases(t *testing.T) []normalizeCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "normalize.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []normalizeCase
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestNormalizeFixtures ingests every fixture record through the whole
// pipeline and checks the named columns in the Parquet read back.
func TestNormalizeFixtures(t *testing.T) {
	cases := loadNormalizeCases(t)
	var recs []json.RawMessage
	for _, c := range cases {
		recs = append(recs, c.Record)
	}
	d := newLake(t)
	in := New(d, Config{})
	res, err := in.Ingest(context.Background(), "fixtures/normalize.json.gz", bytes.NewReader(logFile(t, recs, true)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusOK || res.Kept != len(cases) {
		t.Fatalf("result %+v, want ok with %d kept", res, len(cases))
	}
	rows := readLake(t, d)
	byIndex := map[int64]event.Event{}
	for _, r := range rows {
		byIndex[r.SourceIndex] = r
	}
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			row, ok := byIndex[int64(i)]
			if !ok {
				t.Fatalf("no row for record %d", i)
			}
			b, _ := json.Marshal(row)
			var got map[string]any
			json.Unmarshal(b, &got)
			for col, want := range c.Want {
				g, present := got[col]
				if !present {
					// omitempty: absent means the zero value.
					switch want.(type) {
					case string:
						g = ""
					case bool:
						g = false
					}
				}
				if !reflect.DeepEqual(g, want) {
					t.Errorf("%s = %#v, want %#v", col, g, want)
				}
			}
			if row.SourceObject != "fixtures/normalize.json.gz" {
				t.Errorf("source_object = %q", row.SourceObject)
			}
		})
	}
}

// TestSameSecretSameARN checks that every way of naming one secret (or one
// key) in the fixtures comes out as one canonical ARN.
func TestSameSecretSameARN(t *testing.T) {
	cases := loadNormalizeCases(t)
	got := map[string]string{}
	for _, c := range cases[:3] { // name, full ARN, partial ARN
		var rec cloudtrail.Record
		if err := json.Unmarshal(c.Record, &rec); err != nil {
			t.Fatal(err)
		}
		e, err := Normalize(&rec, c.Record)
		if err != nil {
			t.Fatal(err)
		}
		got[c.Name] = e.ResourceARN
	}
	var first string
	for name, arn := range got {
		if first == "" {
			first = arn
		}
		if arn != first || arn == "" {
			t.Errorf("%s: %q, want all equal %q", name, arn, first)
		}
	}
}

func TestMissingEventIDIsStable(t *testing.T) {
	raw := []byte(`{"eventTime":"2026-06-01T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"ListKeys","awsRegion":"eu-central-1","recipientAccountId":"1"}`)
	other := bytes.Replace(raw, []byte("ListKeys"), []byte("ListAliases"), 1)
	id := func(raw []byte) string {
		var rec cloudtrail.Record
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		e, err := Normalize(&rec, raw)
		if err != nil {
			t.Fatal(err)
		}
		return e.EventID
	}
	a, b, c := id(raw), id(raw), id(other)
	if !strings.HasPrefix(a, "keytrail-") || a != b || a == c {
		t.Fatalf("ids %q %q %q: want a stable keytrail- id that differs by content", a, b, c)
	}
}

func TestReingestReplaces(t *testing.T) {
	cases := loadNormalizeCases(t)
	var recs []json.RawMessage
	for _, c := range cases {
		recs = append(recs, c.Record)
	}
	file := logFile(t, recs, true)
	d := newLake(t)
	in := New(d, Config{RowsPerPart: 4}) // several parts per file
	ctx := context.Background()
	first, err := in.Ingest(ctx, "AWSLogs/111122223333/CloudTrail/eu-central-1/2026/06/01/x.json.gz", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string][]byte {
		objs, err := d.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][]byte{}
		for _, o := range objs {
			p, _ := d.Path(o.Key)
			m[o.Key], _ = os.ReadFile(p)
		}
		return m
	}
	before := snapshot()
	second, err := in.Ingest(ctx, "AWSLogs/111122223333/CloudTrail/eu-central-1/2026/06/01/x.json.gz", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	after := snapshot()
	if !reflect.DeepEqual(first.Outputs, second.Outputs) || len(first.Outputs) < 3 {
		t.Fatalf("outputs differ or too few parts: %v vs %v", first.Outputs, second.Outputs)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatal("re-ingesting changed the lake's bytes")
	}
	if n := len(readLake(t, d)); n != len(cases) {
		t.Fatalf("%d rows after re-ingest, want %d", n, len(cases))
	}
}

// TestRealSamples ingests every real record: each SM/KMS record is either
// written or reported with its index, and counts in equal counts out.
func TestRealSamples(t *testing.T) {
	dir := sharedData(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	rare, _ := filepath.Glob(filepath.Join(dir, "rare", "*.ndjson"))
	files = append(files, rare...)
	if len(files) == 0 {
		t.Skip("no samples")
	}
	ctx := context.Background()
	for _, path := range files {
		name := strings.TrimPrefix(path, dir+string(filepath.Separator))
		t.Run(name, func(t *testing.T) {
			recs := readNDJSON(t, path)
			d := newLake(t)
			res, err := New(d, Config{}).Ingest(ctx, "samples/"+name+".json.gz", bytes.NewReader(logFile(t, recs, true)))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(name, "digest") {
				// Digest files are not log files: as a Records array they
				// are records without an event source.
				if res.Kept != 0 {
					t.Fatalf("kept %d digest records", res.Kept)
				}
				return
			}
			want := 0
			var wantIDs []string
			for _, raw := range recs {
				var r struct {
					EventSource, EventType, EventID string
				}
				json.Unmarshal(raw, &r)
				if (r.EventSource == source.KMS.EventSource || r.EventSource == source.SecretsManager.EventSource) && r.EventType != "AwsCloudTrailInsight" {
					want++
					if r.EventID != "" {
						wantIDs = append(wantIDs, r.EventID)
					}
				}
			}
			if res.Records != len(recs) {
				t.Errorf("read %d records, file has %d", res.Records, len(recs))
			}
			if res.Quarantined != 0 {
				t.Errorf("quarantined real records: %+v", res.QuarantinedRecords)
			}
			if res.Kept+res.RecordErrorCount != want {
				t.Errorf("kept %d + errors %d, want %d SM/KMS records (%+v)", res.Kept, res.RecordErrorCount, want, res.RecordErrors)
			}
			for _, re := range res.RecordErrors {
				if re.Err == "" || re.Index < 0 || re.Index >= len(recs) {
					t.Errorf("imprecise record error %+v", re)
				}
			}
			rows := readLake(t, d)
			if len(rows) != res.Kept {
				t.Fatalf("lake has %d rows, result says %d kept", len(rows), res.Kept)
			}
			var gotIDs []string
			for _, r := range rows {
				if !strings.HasPrefix(r.EventID, "keytrail-") { // synthesized for records without one
					gotIDs = append(gotIDs, r.EventID)
				}
				if r.EventTime.IsZero() || r.EventSource == "" || r.EventName == "" || r.CallerKind == "" {
					t.Errorf("row %s lacks basics: %+v", r.EventID, r)
				}
				if r.ResourceARN != "" && !strings.HasPrefix(r.ResourceARN, "arn:") {
					t.Errorf("row %s: resource %q is not an ARN", r.EventID, r.ResourceARN)
				}
				// The library's principal queries skip the session-issuer
				// scan for a role (queries/library/principal_activity.sql):
				// they rely on a role's sessions being written as the role.
				if strings.Contains(r.SessionIssuerARN, ":role/") && r.PrincipalARN != r.SessionIssuerARN {
					t.Errorf("row %s: session of role %s written as principal %q", r.EventID, r.SessionIssuerARN, r.PrincipalARN)
				}
			}
			if res.RecordErrorCount == 0 {
				slices.Sort(gotIDs)
				slices.Sort(wantIDs)
				if !slices.Equal(gotIDs, wantIDs) {
					t.Errorf("event ids differ:\n got %v\nwant %v", gotIDs, wantIDs)
				}
			}
		})
	}
}
