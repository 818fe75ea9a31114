package inventory_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/inventory"
	"github.com/keytrail/keytrail/queries"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestSchemaGolden pins the tables' Parquet schemas: a tag typo or a
// column change fails here, not in Athena. After an intended change run
// `go test ./inventory -update` and update queries/ddl/inventory_*.sql and
// the Glue tables in infra/template.yaml (their tests say what differs).
func TestSchemaGolden(t *testing.T) {
	var b strings.Builder
	for _, tb := range inventory.Tables {
		b.WriteString(tb.Name + ": " + tb.Schema.String() + "\n")
	}
	path := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("schemas changed:\n%s\nwant:\n%s", b.String(), want)
	}
}

var columnLine = regexp.MustCompile("(?m)^  `([a-z_]+)` ([a-z<>]+),?$")

// Each table's DDL declares exactly its struct's columns, in order, with
// the lake's day partitioning and projection over the table's prefix.
func TestDDLMatchesSchema(t *testing.T) {
	files, err := queries.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range inventory.Tables {
		name := "ddl/inventory_" + tb.Name + ".sql"
		sql, ok := files[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		want, err := queries.Columns(tb.Schema)
		if err != nil {
			t.Fatal(err)
		}
		var got []queries.Column
		for _, m := range columnLine.FindAllStringSubmatch(sql, -1) {
			got = append(got, queries.Column{Name: m[1], Type: m[2]})
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s columns:\n got %v\nwant %v", name, got, want)
		}
		for _, prop := range []string{
			"CREATE EXTERNAL TABLE IF NOT EXISTS inventory_" + tb.Name + " (",
			"PARTITIONED BY (`day` string)", "STORED AS PARQUET",
			"LOCATION '${lake}/" + tb.Prefix + "'",
			"'projection.enabled' = 'true'", "'projection.day.type' = 'date'",
			"'projection.day.format' = 'yyyy-MM-dd'", "'projection.day.range' = '2020-01-01,NOW'",
			"'projection.day.interval' = '1'", "'projection.day.interval.unit' = 'DAYS'",
			"'storage.location.template' = '${lake}/" + tb.Prefix + "day=${day}/'",
		} {
			if !strings.Contains(sql, prop) {
				t.Errorf("%s lacks %s", name, prop)
			}
		}
	}
}

// Rows survive Parquet with their optional and list columns.
func TestParquetRoundTrip(t *testing.T) {
	on, days := true, int64(90)
	when := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rows := []inventory.Key{
		{CollectedAt: when, KeyID: "a", Aliases: []string{"alias/x", "alias/y"}, RotationEnabled: &on, RotationDays: &days, DeletionDate: &when, Errors: []string{}},
		{CollectedAt: when, KeyID: "b", Aliases: []string{}, Errors: []string{"GetKeyPolicy: AccessDeniedException"}},
	}
	var buf bytes.Buffer
	if err := inventory.WriteParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := inventory.ReadParquet[inventory.Key](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !slices.Equal(got[0].Aliases, rows[0].Aliases) || got[0].RotationEnabled == nil || !*got[0].RotationEnabled ||
		*got[0].RotationDays != 90 || !got[0].DeletionDate.Equal(when) || got[1].RotationEnabled != nil || got[1].DeletionDate != nil ||
		!slices.Equal(got[1].Errors, rows[1].Errors) {
		t.Errorf("round trip: %+v", got)
	}
}
