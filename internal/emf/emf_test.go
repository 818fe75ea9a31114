package emf

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	err := Write(&buf, "keytrail", map[string]string{"Function": "ingest"},
		map[string]Metric{"RecordsIn": {12, "Count"}, "LagSeconds": {3.5, "Seconds"}}, at)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("want one line: %q", buf.String())
	}
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function   string
		RecordsIn  float64
		LagSeconds float64
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.AWS.CloudWatchMetrics
	if doc.AWS.Timestamp != at.UnixMilli() || len(m) != 1 || m[0].Namespace != "keytrail" ||
		len(m[0].Dimensions) != 1 || m[0].Dimensions[0][0] != "Function" || len(m[0].Metrics) != 2 ||
		m[0].Metrics[0].Name != "LagSeconds" || m[0].Metrics[0].Unit != "Seconds" ||
		doc.Function != "ingest" || doc.RecordsIn != 12 || doc.LagSeconds != 3.5 {
		t.Fatalf("bad EMF document: %s", buf.String())
	}
}
