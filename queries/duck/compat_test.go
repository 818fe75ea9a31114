package duck

import (
	"context"
	"testing"
)

// Each compatibility macro gives the value Trino documents for the same call.
func TestCompat(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir()) // an empty lake
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct{ sql, want string }{
		{`SELECT hour(at_timezone(with_timezone(TIMESTAMP '2026-01-15 10:00:00', 'UTC'), 'Europe/Paris'))`, "11"},
		{`SELECT hour(at_timezone(with_timezone(TIMESTAMP '2026-07-15 10:00:00', 'UTC'), 'Europe/Paris'))`, "12"},
		{`SELECT hour(with_timezone(TIMESTAMP '2026-07-15 10:00:00', 'Asia/Tokyo'))`, "1"},
		{`SELECT from_iso8601_timestamp('2026-07-01T10:00:00+02:00')`, "2026-07-01 08:00:00.000"},
		{`SELECT date_format(TIMESTAMP '2026-07-01 10:05:09', '%Y-%m-%d %H:%i:%s')`, "2026-07-01 10:05:09"},
		{`SELECT day_of_week(TIMESTAMP '2026-07-05 10:00:00')`, "7"},
		{`SELECT day_of_week(TIMESTAMP '2026-07-06 10:00:00')`, "1"},
		{`SELECT approx_distinct(x) FROM (VALUES (1), (2), (2)) t(x)`, "2"},
		{`SELECT array_join(ARRAY['a', 'b'], ', ')`, "a, b"},
		{`SELECT regexp_like('GetSecretValue', '^Get')`, "true"},
		{`SELECT json_extract_scalar('{"aws:s3:arn":"arn:aws:s3:::b/k","SecretARN":"s"}', '$["aws:s3:arn"]')`, "arn:aws:s3:::b/k"},
		{`SELECT json_extract_scalar('{"aws:s3:arn":"arn:aws:s3:::b/k","SecretARN":"s"}', '$.SecretARN')`, "s"},
		{`SELECT json_extract_scalar('{"a":1}', '$["missing"]')`, ""},
		{`SELECT contains(ARRAY['a', 'b'], 'b')`, "true"},
		{`SELECT date_format(date_trunc('week', TIMESTAMP '2026-07-05 23:00:00'), '%Y-%m-%d')`, "2026-06-29"},
		{`SELECT count(*) FROM events`, "0"},
		{`SELECT count(*) FROM findings_unique`, "0"},
	}
	for _, tt := range tests {
		res, err := db.Exec(context.Background(), tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		if got := res.Rows[0][0]; got != tt.want {
			t.Errorf("%s = %q, want %q", tt.sql, got, tt.want)
		}
	}
}
