package duck

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/duck/testlake"
)

// The scenario's names, unqualified for readable expectations.
const (
	S1, S2, K1, K2                            = testlake.S1, testlake.S2, testlake.K1, testlake.K2
	AppRole, AppSession, AliceFed, Alice, ETL = testlake.AppRole, testlake.AppSession, testlake.AliceFed, testlake.Alice, testlake.ETL
	Mallory, Hostile, Other                   = testlake.Mallory, testlake.Hostile, testlake.Other
	S3Object                                  = testlake.S3Object
)

var ScenarioSource = testlake.ScenarioSource

// openLake builds a lake with src in a temporary folder and opens it.
func openLake(t *testing.T, src testlake.Source) *DB {
	t.Helper()
	dir := t.TempDir()
	if err := src(dir); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// week is the scenario's window: Wednesday 2026-07-01 to Wednesday 07-08.
func week(extra ...string) map[string]string {
	m := map[string]string{"from": "2026-07-01T00:00:00Z", "to": "2026-07-08T00:00:00Z"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// project returns the named columns of every row, joined by "|".
func project(t *testing.T, r queries.Result, cols ...string) []string {
	t.Helper()
	var out []string
	for _, row := range r.Rows {
		var parts []string
		for _, c := range cols {
			i := r.Col(c)
			if i < 0 {
				t.Fatalf("no column %s in %v", c, r.Columns)
			}
			parts = append(parts, row[i])
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func TestLibrary(t *testing.T) {
	db := openLake(t, ScenarioSource)
	tests := []struct {
		query string
		args  map[string]string
		cols  []string
		want  []string
	}{
		{"principal_activity", week("principal", AppRole), []string{"event_id"},
			[]string{"e01", "e02", "e04", "e05", "e10", "e13"}},
		// The lake names an assumed role's session by its role: the session
		// ARN is only the caller.
		{"principal_activity", week("principal", AppSession), []string{"event_id"}, nil},
		// A user's federated session is found from the user, and on its own.
		{"principal_activity", map[string]string{"principal": Alice, "from": "2026-06-22", "to": "2026-06-23"},
			[]string{"event_id", "principal_arn", "session_name"}, []string{"e00c|" + AliceFed + "|bob"}},
		{"principal_activity", map[string]string{"principal": AliceFed, "from": "2026-06-01", "to": "2026-07-01"},
			[]string{"event_id"}, []string{"e00c"}},
		{"principal_activity", week("principal", Hostile), []string{"event_id", "principal_arn"},
			[]string{"e15|" + Hostile}},
		{"principal_activity", week("principal", "x' OR '1'='1"), []string{"event_id"}, nil},
		{"principal_activity", map[string]string{"principal": Alice, "from": "2026-07-08", "to": "2026-07-09"},
			[]string{"event_id", "event_time"}, []string{"e16|2026-07-08 00:00:00.000"}},
		{"resource_access", week("resource", S1), []string{"principal_arn", "calls", "failures", "event_names"},
			[]string{
				Alice + "|3|0|GetSecretValue, PutResourcePolicy",
				AppRole + "|2|0|GetSecretValue",
				Hostile + "|1|0|GetSecretValue",
				Mallory + "|1|1|GetSecretValue",
			}},
		{"resource_access", week("resource", K2), []string{"principal_arn", "calls", "first_call"},
			[]string{AppRole + "|1|2026-07-05 20:00:00.000", Alice + "|1|2026-07-06 09:00:00.000"}},
		{"failures_by_principal", week(), []string{"principal_arn", "error_code", "failures", "resources", "event_names"},
			[]string{Mallory + "|AccessDenied|2|2|Decrypt, GetSecretValue"}},
		{"off_hours_access", week("tz", "Europe/Paris"), []string{"event_id", "local_time", "local_weekday"},
			[]string{"e03|2026-07-02 05:00|4", "e09|2026-07-04 16:00|6", "e10|2026-07-05 22:00|7", "e15|2026-07-08 01:59|3"}},
		{"off_hours_access", week("tz", "UTC", "start_hour", "0", "end_hour", "24"), []string{"event_id"},
			[]string{"e09", "e10"}},
		{"off_hours_access", week("tz", "America/New_York", "start_hour", "9", "end_hour", "17"), []string{"event_id", "local_time"},
			// Eastern daylight time is UTC-4: every call falls before 09:00 or after 17:00.
			[]string{"e01|2026-07-01 05:00", "e02|2026-07-01 05:05", "e03|2026-07-01 23:00", "e04|2026-07-02 06:00", "e05|2026-07-02 06:01",
				"e06|2026-07-03 07:00", "e07|2026-07-03 08:00", "e08|2026-07-03 08:01", "e09|2026-07-04 10:00",
				"e10|2026-07-05 16:00", "e11|2026-07-06 04:30", "e12|2026-07-06 05:00", "e13|2026-07-06 05:30", "e15|2026-07-07 19:59"}},
		{"decrypts_by_context", week(), []string{"context_kind", "context_target", "principal_arn", "calls", "failures"},
			[]string{
				"s3_object|" + S3Object + "|" + AppRole + "|2|0",
				"none||" + Mallory + "|1|1",
				"secret|" + S1 + "|" + Alice + "|1|0",
				"ebs_volume|vol-1|" + ETL + "|1|0",
			}},
		{"decrypts_by_context", week("key", K2), []string{"context_kind"}, nil},
		{"top_talkers", week("top", "1"), []string{"resource_arn", "talker_rank", "principal_arn", "calls"},
			[]string{K1 + "|1|" + AppRole + "|4", K2 + "|1|" + AppRole + "|1", S1 + "|1|" + Alice + "|3"}},
		{"top_talkers", week("resource", K2), []string{"talker_rank", "principal_arn"},
			[]string{"1|" + AppRole, "2|" + Alice}},
		{"first_seen", week("resource", S1, "baseline_from", "2026-06-01T00:00:00Z"), []string{"principal_arn", "first_seen", "calls_in_window"},
			[]string{Alice + "|2026-07-02 03:00:00.000|3", Mallory + "|2026-07-03 12:00:00.000|1", Hostile + "|2026-07-07 23:59:59.999|1"}},
		{"cross_account", week(), []string{"principal_account_id", "resource_arn", "calls", "failures"},
			[]string{Other + "|" + K1 + "|1|1", Other + "|" + S1 + "|1|1"}},
		{"destructive_and_policy", week(), []string{"event_id", "category", "event_name"},
			[]string{"e11|policy|PutResourcePolicy", "e12|destructive|ScheduleKeyDeletion", "e13|grant|CreateGrant"}},
		{"finding_evidence", week("principal", AppRole, "resource", K1), []string{"event_id", "resource_arns"},
			[]string{"e04|[" + K1 + "]", "e05|[" + K1 + "]", "e10|[" + K1 + ", " + K2 + "]", "e13|[" + K1 + "]"}},
		{"finding_evidence", week("principal", AppRole, "resource", ""), []string{"event_id"},
			[]string{"e01", "e02", "e04", "e05", "e10", "e13"}},
		{"finding_evidence", week("principal", Mallory, "resource", "' OR ''='"), []string{"event_id"}, nil},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.query] = true
		t.Run(tt.query, func(t *testing.T) {
			q, err := queries.Get(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Run(context.Background(), q, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			got := project(t, res, tt.cols...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s %v:\n got %q\nwant %q", tt.query, tt.args, got, tt.want)
			}
			checkRendered(t, db, q, tt.args, res)
		})
	}
	for _, q := range queries.All() {
		if !covered[q.Name] && !strings.HasPrefix(q.Name, "review_") {
			t.Errorf("library query %s has no test case", q.Name)
		}
	}
}

// checkRendered checks that the SQL a human sees, literals filled in,
// gives the same answer as the bound query.
func checkRendered(t *testing.T, db *DB, q queries.Query, args map[string]string, res queries.Result) {
	t.Helper()
	sql, err := q.Render(args)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := db.Exec(context.Background(), sql)
	if err != nil {
		t.Fatalf("rendered SQL: %v\n%s", err, sql)
	}
	if fmt.Sprint(rendered.Rows) != fmt.Sprint(res.Rows) {
		t.Errorf("rendered SQL gives %v, bound query %v", rendered.Rows, res.Rows)
	}
}

// Without the dedup step the scenario's duplicates would be counted: check
// the lake really holds them, so the library tests above prove something.
func TestLakeHoldsDuplicates(t *testing.T) {
	db := openLake(t, ScenarioSource)
	for _, tc := range []struct{ table, key, want string }{
		{"events", "event_id", "2"},
		{"findings", "id", "1"},
	} {
		raw, err := db.Exec(context.Background(), fmt.Sprintf("SELECT count(*) - count(DISTINCT %s) FROM %s", tc.key, tc.table))
		if err != nil {
			t.Fatal(err)
		}
		uniq, err := db.Exec(context.Background(), fmt.Sprintf("SELECT count(*) - count(DISTINCT %s) FROM %s_unique", tc.key, tc.table))
		if err != nil {
			t.Fatal(err)
		}
		if raw.Rows[0][0] != tc.want || uniq.Rows[0][0] != "0" {
			t.Errorf("%s: %s duplicate rows, %s after dedup; want %s and 0", tc.table, raw.Rows[0][0], uniq.Rows[0][0], tc.want)
		}
	}
}
