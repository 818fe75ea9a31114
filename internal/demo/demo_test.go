package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/finding"
)

// The demo replaces its own output folder and refuses any other, deleting
// nothing of it.
func TestPrepare(t *testing.T) {
	own := filepath.Join(t.TempDir(), "demo")
	if err := prepare(own); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(own, "old-run.txt"), []byte("x"), 0o644)
	if err := prepare(own); err != nil {
		t.Fatalf("replacing its own folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(own, "old-run.txt")); !os.IsNotExist(err) {
		t.Errorf("the previous run's file survived: %v", err)
	}
	if _, err := os.Stat(filepath.Join(own, demoMarker)); err != nil {
		t.Errorf("no marker: %v", err)
	}

	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "precious.txt"), []byte("keep me"), 0o644)
	if err := prepare(other); err == nil || !strings.Contains(err.Error(), "not a demo output folder") {
		t.Fatalf("a foreign folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "precious.txt")); err != nil {
		t.Fatal("the demo deleted a folder it did not create")
	}
}

func TestShellLine(t *testing.T) {
	got := shellLine([]string{"detect", "--business-hours", "Mon-Fri 09:00-18:00", "--param", "principal=it's", "--lake", "/tmp/a"})
	want := `detect --business-hours 'Mon-Fri 09:00-18:00' --param 'principal=it'\''s' --lake /tmp/a`
	if got != want {
		t.Errorf("shellLine = %s\nwant        %s", got, want)
	}
}

func TestHeadAndWrap(t *testing.T) {
	if got := head("one\ntwo\nthree\nfour\n", 2, 3); got != "one\ntwo\n… (2 more lines)\n" {
		t.Errorf("head = %q", got)
	}
	if got := head("a long line\n", 5, 6); got != "a lon…\n" {
		t.Errorf("head clips to %q", got)
	}
	if got := wrap("aaa bbb ccc\nddd", 7); got != "aaa bbb\nccc\nddd\n" {
		t.Errorf("wrap = %q", got)
	}
}

// A principal from CloudTrail drives no terminal: what visible hides is
// spelled out, and the table keeps one line per finding.
func TestPrintFindingsHostileText(t *testing.T) {
	var b bytes.Buffer
	fs := []finding.Finding{{Severity: "high", Kind: "burst", Count: 3, Start: time.Date(2026, 6, 3, 7, 0, 0, 0, time.UTC),
		Principal: "arn:aws:iam::111122223333:role/x\n\x1b[31mFAKE\u202e", Resource: "arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/db-AbCdEf"}}
	printFindings(&b, fs, time.UTC)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\u202e") || strings.Count(out, "\n") != 3 {
		t.Errorf("hostile text reached the table:\n%s", out)
	}
	if !strings.Contains(out, "111122223333:secret:prod/db-AbCdEf") || !strings.Contains(out, "Wed 06-03 07:00") {
		t.Errorf("table lacks the short ARN or the time:\n%s", out)
	}
	b.Reset()
	printFindings(&b, nil, time.UTC)
	if b.String() != "No findings.\n" {
		t.Errorf("no findings: %q", b.String())
	}
}
