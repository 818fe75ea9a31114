// Package emf writes CloudWatch metrics in the Embedded Metric Format: one
// JSON log line that CloudWatch Logs turns into metrics, so a Lambda emits
// metrics without an extra API call (and without cloudwatch:PutMetricData in
// its role).
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Metric is one value with its CloudWatch unit ("Count", "Milliseconds",
// "Bytes", "Seconds", …).
type Metric struct {
	Value float64
	Unit  string
}

// Write writes one EMF line to w (a Lambda's stdout) with the metrics under
// namespace and the given dimensions, stamped at t.
func Write(w io.Writer, namespace string, dims map[string]string, metrics map[string]Metric, t time.Time) error {
	names := slices.Sorted(maps.Keys(metrics))
	defs := make([]map[string]string, 0, len(names))
	doc := map[string]any{}
	for _, n := range names {
		defs = append(defs, map[string]string{"Name": n, "Unit": metrics[n].Unit})
		doc[n] = metrics[n].Value
	}
	dimNames := slices.Sorted(maps.Keys(dims))
	for _, d := range dimNames {
		doc[d] = dims[d]
	}
	doc["_aws"] = map[string]any{
		"Timestamp": t.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  namespace,
			"Dimensions": [][]string{dimNames},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Record is one EMF line read back: what CloudWatch would take from it.
type Record struct {
	Namespace  string
	Dimensions map[string]string
	Metrics    map[string]Metric
	Time       time.Time
}

// Read parses the EMF lines of r (other lines, such as JSON logs without
// _aws, are skipped), for tests and tools that check what a function
// emitted.
func Read(r io.Reader) ([]Record, error) {
	var out []Record
	dec := json.NewDecoder(r)
	for {
		var doc map[string]json.RawMessage
		err := dec.Decode(&doc)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read EMF: %w", err)
		}
		var meta struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		}
		if doc["_aws"] == nil {
			continue
		}
		if err := json.Unmarshal(doc["_aws"], &meta); err != nil {
			return out, fmt.Errorf("read EMF _aws: %w", err)
		}
		for _, d := range meta.CloudWatchMetrics {
			rec := Record{Namespace: d.Namespace, Dimensions: map[string]string{}, Metrics: map[string]Metric{}, Time: time.UnixMilli(meta.Timestamp).UTC()}
			for _, set := range d.Dimensions {
				for _, name := range set {
					var v string
					if err := json.Unmarshal(doc[name], &v); err != nil {
						return out, fmt.Errorf("read EMF dimension %s: %w", name, err)
					}
					rec.Dimensions[name] = v
				}
			}
			for _, m := range d.Metrics {
				var v float64
				if err := json.Unmarshal(doc[m.Name], &v); err != nil {
					return out, fmt.Errorf("read EMF metric %s: %w", m.Name, err)
				}
				rec.Metrics[m.Name] = Metric{Value: v, Unit: m.Unit}
			}
			out = append(out, rec)
		}
	}
}
