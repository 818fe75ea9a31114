package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/s3test"
	"github.com/keytrail/keytrail/queries/duck"
	"github.com/keytrail/keytrail/queries/duck/testlake"
	"github.com/keytrail/keytrail/review"
)

// mdSection returns the text under a "## title" heading of review.md.
func mdSection(t *testing.T, md, title string) string {
	t.Helper()
	i := strings.Index(md, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("review.md has no section %q:\n%s", title, md)
	}
	rest := md[i+len(title)+5:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReviewMissingLake(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-lake")
	out := filepath.Join(t.TempDir(), "review")
	env, stdout, stderr := testEnv()
	code := run(context.Background(), env, []string{"review", "--quarter", "2026-Q3", "--lake", missing, "--out", out})
	if code == 0 || !strings.Contains(stderr.String(), "does not exist") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want an error naming the missing lake", code, stdout, stderr)
	}
	for _, p := range []string{missing, out} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s was created: %v", p, err)
		}
	}
}

// TestReviewCoverage: a period the lake covers partly says so at the top
// of the report and on stderr; a period it does not cover at all fails
// and writes no report a reviewer could sign as clean.
func TestReviewCoverage(t *testing.T) {
	lakeDir := scenarioLake(t)

	out := filepath.Join(t.TempDir(), "q3")
	env, _, stderr := testEnv()
	if code := run(context.Background(), env, []string{"review", "--quarter", "2026-Q3", "--lake", lakeDir, "--out", out}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Events on 07-01 … 07-08 of 92 days.
	for _, want := range []string{"8 of 92 days", "2026-07-09 to 2026-09-30"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
	md := readFile(t, filepath.Join(out, "review.md"))
	top, _, _ := strings.Cut(md, "\n## ")
	html := readFile(t, filepath.Join(out, "review.html"))
	htop, _, _ := strings.Cut(html, "<h2")
	for _, want := range []string{"8 of 92 days", "2026-07-09 to 2026-09-30"} {
		if !strings.Contains(top, want) {
			t.Errorf("review.md does not say %q before its first section:\n%s", want, top)
		}
		if !strings.Contains(htop, want) {
			t.Errorf("review.html does not say %q before its first section", want)
		}
	}

	env, _, stderr = testEnv()
	if code := run(context.Background(), env, []string{"review", "--from", "2026-07-02", "--to", "2026-07-05", "--lake", lakeDir, "--out", filepath.Join(t.TempDir(), "w")}); code != 0 ||
		!strings.Contains(stderr.String(), "all 4 days") {
		t.Errorf("complete period: exit %d, stderr %q", code, stderr)
	}

	empty := filepath.Join(t.TempDir(), "q1")
	env, stdout, stderr := testEnv()
	code := run(context.Background(), env, []string{"review", "--quarter", "2025-Q1", "--lake", lakeDir, "--out", empty})
	if code == 0 || !strings.Contains(stderr.String(), "no events") || !strings.Contains(stderr.String(), "0 of 90 days") {
		t.Errorf("empty period: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(empty, "review.md")); !os.IsNotExist(err) {
		t.Errorf("a review of a period without data was written: %v", err)
	}

	// An existing folder that holds no lake at all is no data either.
	env, _, stderr = testEnv()
	if code := run(context.Background(), env, []string{"review", "--quarter", "2026-Q3", "--lake", t.TempDir(), "--out", filepath.Join(t.TempDir(), "e")}); code == 0 {
		t.Errorf("an empty lake folder: exit 0, stderr %q", stderr)
	}
}

// TestReviewHostileText: names that hide characters or try to run
// formulas are spelled out in review.md, review.html and every CSV.
func TestReviewHostileText(t *testing.T) {
	const (
		lookalike = "arn:aws:iam::111111111111:user/adm\u200bin"
		reversed  = "arn:aws:iam::111111111111:user/\u202egnp.exe\u2066"
		tagged    = "arn:aws:iam::111111111111:user/ops\U000e0041\ufeff"
	)
	secret := "arn:aws:secretsmanager:us-east-1:111111111111:secret:db\u200d-AbC"
	rows := []event.Event{
		testEvent(t, "x1", "2026-07-01T10:00:00Z", "GetSecretValue", lookalike, secret, "aws-cli/2"),
		testEvent(t, "x2", "2026-07-01T11:00:00Z", "GetSecretValue", reversed, secret, "aws-cli/2"),
		testEvent(t, "x3", "2026-07-01T12:00:00Z", "PutResourcePolicy", tagged, secret, "=cmd|' /C calc'!A0\x1b[2J\x07\x00\r"),
	}
	rows[2].SessionName = "@SUM(1)\u202e"
	lakeDir := filepath.Join(t.TempDir(), "lake")
	if err := testlake.WriteEvents(lakeDir, "x", rows); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "review")
	env, _, stderr := testEnv()
	if code := run(context.Background(), env, []string{"review", "--from", "2026-07-01", "--to", "2026-07-01", "--lake", lakeDir, "--out", out}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files, err := filepath.Glob(filepath.Join(out, "*"))
	if err != nil || len(files) < 3 {
		t.Fatalf("files %v, %v", files, err)
	}
	for _, f := range files {
		text := readFile(t, f)
		noRawHidden(t, filepath.Base(f), text)
		if strings.HasSuffix(f, ".csv") && bytes.ContainsAny([]byte(text), "\r") {
			t.Errorf("%s holds a carriage return", f)
		}
	}
	for _, name := range []string{"review.md", "review.html"} {
		text := readFile(t, filepath.Join(out, name))
		for _, want := range []string{`adm\u200bin`, `\u202egnp.exe\u2066`, `ops\U000e0041\ufeff`, `db\u200d-AbC`} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not spell out %q", name, want)
			}
		}
	}
	recs, err := csv.NewReader(strings.NewReader(readFile(t, filepath.Join(out, "changes.csv")))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("changes.csv: %v, %v", recs, err)
	}
	for col, want := range map[string]string{
		"user_agent":    `'=cmd|' /C calc'!A0\u001b[2J\u0007\u0000\r`,
		"session_name":  `'@SUM(1)\u202e`,
		"principal_arn": `arn:aws:iam::111111111111:user/ops\U000e0041\ufeff`,
	} {
		i := slices.Index(recs[0], col)
		if i < 0 || recs[1][i] != want {
			t.Errorf("changes.csv %s = %q, want %q", col, recs[1][min(max(i, 0), len(recs[1])-1)], want)
		}
	}
}

// TestReviewQuarantine: rows ingest kept apart for an implausible event
// time are listed, with the day they were delivered, who did what, the
// recorded eventTime and the CloudTrail file; none means the section says so.
func TestReviewQuarantine(t *testing.T) {
	lakeDir := scenarioLake(t)
	out := filepath.Join(t.TempDir(), "before")
	env, _, stderr := testEnv()
	if code := run(context.Background(), env, []string{"review", "--quarter", "2026-Q3", "--lake", lakeDir, "--out", out}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if sec := mdSection(t, readFile(t, filepath.Join(out, "review.md")), "Records kept apart for an implausible time"); !strings.Contains(sec, "None.") {
		t.Errorf("empty quarantine section does not say so:\n%s", sec)
	}

	far := testEvent(t, "q1", "2031-01-01T00:00:00Z", "GetSecretValue", testlake.Mallory, testlake.S1, "aws-cli/2")
	far.SourceObject = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/07/03/far.json.gz"
	past := testEvent(t, "q2", "1999-12-31T23:59:59Z", "Decrypt", testlake.Alice, testlake.K1, "aws-cli/2")
	past.SourceObject = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/past.json.gz"
	for key, rows := range map[string][]event.Event{
		lake.QuarantineKey("2026-07-03", "far"):  {far},
		lake.QuarantineKey("2026-10-01", "past"): {past}, // delivered after the quarter
	} {
		var b bytes.Buffer
		if err := event.WriteParquet(&b, rows); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(lakeDir, filepath.FromSlash(key))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out = filepath.Join(t.TempDir(), "after")
	env, _, stderr = testEnv()
	if code := run(context.Background(), env, []string{"review", "--quarter", "2026-Q3", "--lake", lakeDir, "--out", out}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sec := mdSection(t, readFile(t, filepath.Join(out, "review.md")), "Records kept apart for an implausible time")
	for _, want := range []string{"2026-07-03", "2031-01-01 00:00:00.000", "GetSecretValue", testlake.Mallory, "far.json.gz"} {
		if !strings.Contains(sec, want) {
			t.Errorf("quarantine section lacks %q:\n%s", want, sec)
		}
	}
	if strings.Contains(sec, "past.json.gz") || strings.Contains(sec, "None.") {
		t.Errorf("quarantine section lists a row delivered outside the period, or says none:\n%s", sec)
	}
	recs, err := csv.NewReader(strings.NewReader(readFile(t, filepath.Join(out, "quarantine.csv")))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("quarantine.csv: %q, %v", recs, err)
	}
	// Quarantined rows are no use: the access section is unchanged.
	if !strings.Contains(readFile(t, filepath.Join(out, "access.csv")), testlake.Mallory) {
		t.Error("access.csv lost mallory")
	}
}

// TestReviewQuarantineFromS3: with --athena, --lake s3://… is where the
// quarantine is read (the events still come from the runner, here DuckDB).
func TestReviewQuarantineFromS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	srv := s3test.Start(t)
	srv.Bucket(t, "lake")
	ctx := context.Background()
	far := testEvent(t, "q1", "2031-01-01T00:00:00Z", "GetSecretValue", testlake.Mallory, testlake.S1, "aws-cli/2")
	far.SourceObject = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/07/03/far.json.gz"
	var b bytes.Buffer
	if err := event.WriteParquet(&b, []event.Event{far}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"),
		Key: aws.String("kt/" + lake.QuarantineKey("2026-07-03", "far")), Body: bytes.NewReader(b.Bytes())}); err != nil {
		t.Fatal(err)
	}
	env, _, _ := testEnv()
	env.getenv = srv.Getenv
	objs, err := (&engine{lake: "s3://lake/kt", athena: true}).objects(ctx, &app{env: env}, true)
	if err != nil {
		t.Fatal(err)
	}
	db, err := duck.Open(ctx, scenarioLake(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, _ := review.Quarter("2026-Q3")
	rep, err := review.Build(ctx, db, p, review.Options{Lake: objs})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rep.Sections, func(s review.Section) bool { return s.ID == "quarantine" })
	if i < 0 {
		t.Fatal("no quarantine section")
	}
	q := rep.Sections[i]
	if len(q.Rows) != 1 || q.Rows[0][q.Col("source_object")] != far.SourceObject {
		t.Fatalf("quarantine section %+v", q)
	}
}

// TestReviewInventory: with the lake's inventory the review writes the
// evidence files of who may and who did; the flags tune the idle and
// rotation windows, and the config's self_principals are keytrail's own.
func TestReviewInventory(t *testing.T) {
	lakeDir := filepath.Join(t.TempDir(), "lake")
	if err := testlake.InventorySource(lakeDir); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(conf, []byte("self_principals: [\""+testlake.AppRole+"\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "q3")
	env, _, stderr := testEnv()
	if code := run(context.Background(), env, []string{"review", "--quarter", "2026-Q3", "--lake", lakeDir, "--out", out, "--config", conf,
		"--idle-days", "365", "--max-rotation-days", "200"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "inventory of "+testlake.InventoryDay) {
		t.Errorf("stderr does not name the inventory day: %s", stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(readFile(t, filepath.Join(out, "permissions.csv")))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("permissions.csv: %v, %v", recs, err)
	}
	arn, class := slices.Index(recs[0], "principal_arn"), slices.Index(recs[0], "principal_class")
	for _, r := range recs[1:] {
		if r[arn] == testlake.AppRole && r[class] != "keytrail" {
			t.Errorf("app, named in self_principals, is %s", r[class])
		}
	}
	// A year idle: nothing to delete (legacy was accessed in February).
	// 200 days: legacy's rotation (178 days old) is not overdue.
	if recs := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "delete.csv"))), "\n"); len(recs) != 1 {
		t.Errorf("delete.csv with --idle-days 365: %q", recs)
	}
	if rot := readFile(t, filepath.Join(out, "rotation.csv")); strings.Contains(rot, "legacy") || !strings.Contains(rot, "alias/old") {
		t.Errorf("rotation.csv with --max-rotation-days 200:\n%s", rot)
	}
	env, _, stderr = testEnv()
	if code := run(context.Background(), env, []string{"review", "--quarter", "2026-Q3", "--lake", lakeDir, "--out", t.TempDir(), "--idle-days", "0"}); code == 0 {
		t.Errorf("--idle-days 0 accepted: %s", stderr)
	}
}
