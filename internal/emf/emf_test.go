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

// TestRead reads back what Write wrote, skipping a log line between.
func TestRead(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	dims := map[string]string{"Function": "detect"}
	if err := Write(&buf, "keytrail", dims, map[string]Metric{"Findings": {3, "Count"}}, at); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(`{"level":"INFO","msg":"detect run"}` + "\n")
	if err := Write(&buf, "keytrail", dims, map[string]Metric{"WatermarkLagSeconds": {1800, "Seconds"}}, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Namespace != "keytrail" || recs[0].Dimensions["Function"] != "detect" ||
		recs[0].Metrics["Findings"] != (Metric{3, "Count"}) || !recs[0].Time.Equal(at) ||
		recs[1].Metrics["WatermarkLagSeconds"] != (Metric{1800, "Seconds"}) || len(recs[1].Metrics) != 1 {
		t.Fatalf("read %+v", recs)
	}
	if _, err := Read(bytes.NewBufferString(`{"_aws":{"CloudWatchMetrics":[{"Namespace":"k","Metrics":[{"Name":"X"}]}]}}`)); err == nil {
		t.Error("a metric without a value was read")
	}
}
