package queries

import (
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/finding"
)

// TestEvidence: the follow-up query of a finding binds its principal,
// resource and window, whatever they hold.
func TestEvidence(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	base := finding.Finding{
		Principal: "arn:aws:iam::111122223333:role/app",
		Resource:  "arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/db-AbCdEf",
		Start:     time.Date(2026, 3, 1, 23, 59, 58, 900e6, time.UTC),
		End:       time.Date(2026, 3, 2, 0, 0, 1, 250e6, time.UTC),
	}
	tests := []struct {
		name    string
		mod     func(f *finding.Finding)
		want    []string // substrings of the SQL
		wantErr bool
	}{
		{"window in whole seconds, end exclusive", nil, []string{
			"e.day BETWEEN '2026-03-01' AND '2026-03-02'",
			"e.event_time >= TIMESTAMP '2026-03-01 23:59:58.000' AND e.event_time < TIMESTAMP '2026-03-02 00:00:02.000'",
			"AND e.principal_arn = 'arn:aws:iam::111122223333:role/app'\n", "AND e.session_issuer_arn = 'arn:aws:iam::111122223333:role/app' AND e.principal_arn <> 'arn:aws:iam::111122223333:role/app'",
		}, false},
		{"times in another zone are UTC", func(f *finding.Finding) {
			f.Start, f.End = f.Start.In(berlin), f.End.In(berlin)
		}, []string{"TIMESTAMP '2026-03-01 23:59:58.000'"}, false},
		{"no resource matches any", func(f *finding.Finding) { f.Resource = "" }, []string{"AND ('' = '' OR e.resource_arn = '' OR contains(e.resource_arns, ''))"}, false},
		{"quotes stay in the literal", func(f *finding.Finding) { f.Principal = "arn:aws:iam::111122223333:user/x' OR '1'='1 --" },
			[]string{"e.principal_arn = 'arn:aws:iam::111122223333:user/x'' OR ''1''=''1 --'"}, false},
		{"hidden runes become escapes", func(f *finding.Finding) { f.Resource = "arn:aws:kms:eu-central-1:111122223333:key/k\u200b\U000e0041" },
			[]string{`U&'arn:aws:kms:eu-central-1:111122223333:key/k\200B\+0E0041'`}, false},
		{"invalid UTF-8 is refused", func(f *finding.Finding) { f.Principal = "arn:\xff" }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			if tt.mod != nil {
				tt.mod(&f)
			}
			got, err := Evidence(f)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("SQL lacks %q:\n%s", w, got)
				}
			}
			if marks, _ := Placeholders(got); len(marks) != 0 {
				t.Errorf("%d placeholders left", len(marks))
			}
		})
	}
}

// TestEvidenceGolden pins the whole text: the detector stores it with every
// finding, and the alerter compares what it rebuilds with what is stored.
func TestEvidenceGolden(t *testing.T) {
	got, err := Evidence(finding.Finding{
		Principal: "arn:aws:iam::111122223333:role/payments-batch",
		Resource:  "arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/payments/db-AbCdEf",
		Start:     time.Date(2026, 3, 1, 1, 13, 5, 0, time.UTC),
		End:       time.Date(2026, 3, 1, 1, 43, 10, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/evidence.golden", "Evidence", got)
}
