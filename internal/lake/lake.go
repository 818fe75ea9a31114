// Package lake says where keytrail's data lives: the partition scheme and
// object names shared by ingest, compaction, detection, alerting and the
// Athena tables, and the stores (a local folder, an S3 bucket) that hold them.
//
// Layout under a lake root (a folder, or s3://bucket/prefix):
//
//	events/day=YYYY-MM-DD/<name>.parquet     normalized events, by UTC event day
//	findings/day=YYYY-MM-DD/<name>.parquet   detector findings, by UTC day of their start
//	state/...                                 watermarks, delivery state, markers
//
// Hive-style day= partitions let Athena prune with partition projection (no
// crawler, no MSCK REPAIR) and let DuckDB read the same tree with
// hive_partitioning.
package lake

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Top-level prefixes of the lake.
const (
	EventsPrefix   = "events/"
	FindingsPrefix = "findings/"
	StatePrefix    = "state/"
	// QuarantinePrefix holds rows kept apart because their event time is
	// implausible for the object that delivered them (an eventTime years
	// from its delivery): same schema as events, partitioned by the day of
	// delivery, never read by detection or the library's queries.
	QuarantinePrefix = "quarantine/"
)

// DayLayout is the partition value format.
const DayLayout = time.DateOnly

// Day returns the partition value for t (its UTC day).
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// PartitionPrefix returns "<table>/day=YYYY-MM-DD/" for a table prefix such
// as EventsPrefix.
func PartitionPrefix(table, day string) string {
	return table + "day=" + day + "/"
}

// EventKey names an events object. name must be a file name without
// extension, deterministic for its input so that re-ingesting replaces.
func EventKey(day, name string) string {
	return PartitionPrefix(EventsPrefix, day) + name + ".parquet"
}

// QuarantineKey names a quarantine object; day is the delivery day.
func QuarantineKey(day, name string) string {
	return PartitionPrefix(QuarantinePrefix, day) + name + ".parquet"
}

// FindingKey names a findings object.
func FindingKey(day, name string) string {
	return PartitionPrefix(FindingsPrefix, day) + name + ".parquet"
}

// ParseDay returns the day of a key under a day= partition.
func ParseDay(key string) (string, error) {
	for _, part := range strings.Split(path.Dir(key), "/") {
		if d, ok := strings.CutPrefix(part, "day="); ok {
			if _, err := time.Parse(DayLayout, d); err != nil {
				return "", fmt.Errorf("key %s: bad day partition: %w", key, err)
			}
			return d, nil
		}
	}
	return "", fmt.Errorf("key %s: no day= partition", key)
}

// Days lists the partition values from..to inclusive (UTC days).
func Days(from, to time.Time) []string {
	var days []string
	d := from.UTC().Truncate(24 * time.Hour)
	for end := to.UTC(); !d.After(end); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(DayLayout))
	}
	return days
}
