package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/athena"
	"github.com/keytrail/keytrail/queries/duck/testlake"
	"github.com/keytrail/keytrail/queries/engine"
)

// Locally the library runs on DuckDB over the lake folder, which must
// exist; nothing is created for a missing one.
func TestOpenLocal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	for _, missing := range []string{dir, "s3://bucket/lake"} {
		if _, _, err := engine.Open(context.Background(), engine.Config{Lake: missing}); err == nil {
			t.Errorf("Open(%s) opened a lake that is not a local folder", missing)
		}
	}
	r := openScenario(t, dir)
	q, err := queries.Get("top_talkers")
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), q, map[string]string{"from": "2026-07-01", "to": "2026-07-08"})
	if err != nil || len(res.Rows) == 0 || res.Col("principal_arn") < 0 {
		t.Fatalf("top_talkers on the scenario lake: %d rows, columns %v, %v", len(res.Rows), res.Columns, err)
	}
}

// On Athena the runner carries the workgroup, database and result location
// given, and its client the region given over the environment's.
func TestOpenAthena(t *testing.T) {
	env := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
	for _, tc := range []struct{ region, want string }{{"eu-west-3", "eu-west-3"}, {"", "us-east-1"}} {
		r, done, err := engine.Open(context.Background(), engine.Config{Athena: true, Lake: "not/used", Workgroup: "wg", Database: "db",
			Region: tc.region, OutputLocation: "s3://results/", Getenv: func(k string) string { return env[k] }})
		if err != nil {
			t.Fatal(err)
		}
		done()
		ar, ok := r.(*athena.Runner)
		if !ok {
			t.Fatalf("runner %T, want Athena's", r)
		}
		if ar.WorkGroup != "wg" || ar.Database != "db" || ar.OutputLocation != "s3://results/" {
			t.Errorf("runner %+v", ar)
		}
		c, ok := ar.Client.(*awsathena.Client)
		if !ok || c.Options().Region != tc.want {
			t.Errorf("client %T, want Athena's in %s", ar.Client, tc.want)
		}
	}
}

// Exec runs the caller's SQL as it is, on DuckDB with the extra views.
func TestExec(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	r := openScenario(t, dir)
	res, err := engine.Exec(context.Background(), r, dir, "SELECT (SELECT count(*) FROM again) - (SELECT count(*) FROM findings) AS d, (SELECT count(*) FROM findings) AS n",
		engine.Table{Name: "again", Prefix: lake.FindingsPrefix})
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "0" || res.Rows[0][1] == "0" {
		t.Fatalf("Exec = %+v, %v; want the view to hold the findings", res, err)
	}
	rec := &recorder{}
	if _, err := engine.Exec(context.Background(), rec, dir, "SELECT 1", engine.Table{Name: "ignored", Prefix: "x/"}); err != nil || rec.q.SQL != "SELECT 1" || rec.args != nil {
		t.Errorf("Exec on another engine ran %+v with %v (%v)", rec.q, rec.args, err)
	}
}

// recorder stands in for Athena, which cannot run here: it records what
// it was asked to run.
type recorder struct {
	q    queries.Query
	args map[string]string
}

func (r *recorder) Run(_ context.Context, q queries.Query, args map[string]string) (queries.Result, error) {
	r.q, r.args = q, args
	return queries.Result{}, nil
}

// openScenario writes the scenario lake into dir and opens DuckDB on it
// for the test.
func openScenario(t *testing.T, dir string) engine.Runner {
	t.Helper()
	if err := testlake.ScenarioSource(dir); err != nil {
		t.Fatal(err)
	}
	r, done, err := engine.Open(context.Background(), engine.Config{Lake: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(done)
	return r
}
