// Package emf writes CloudWatch metrics in the Embedded Metric Format: one
// JSON log line that CloudWatch Logs turns into metrics, so a Lambda emits
// metrics without an extra API call (and without cloudwatch:PutMetricData in
// its role).
package emf

import (
	"encoding/json"
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
