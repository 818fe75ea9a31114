package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"

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
	if err := testlake.ScenarioSource(dir); err != nil {
		t.Fatal(err)
	}
	r, done, err := engine.Open(context.Background(), engine.Config{Lake: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer done()
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
