package detect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigGood(t *testing.T) {
	data, err := os.ReadFile("testdata/config/conf.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Location().String() != "Asia/Tokyo" || !c.Rules.Frequency.Shadow || c.Rules.PolicyChange.OpenSeverity != "critical" ||
		c.Rules.FailedAccess.RetryMinFailures != 200 || len(c.Suppressions) != 1 || c.Suppressions[0].from != 23*60 ||
		len(c.SelfPrincipals) != 2 {
		t.Errorf("config not read as written: %+v", c)
	}
	// Fri closes at 15:00 in this file; 2025-03-21 is a Friday.
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2025-03-21T14:59:00+09:00", true},
		{"2025-03-21T15:00:00+09:00", false},
		{"2025-03-20T11:00:00+09:00", false}, // holiday
		{"2025-03-19T08:59:00+09:00", false},
		{"2025-03-19T09:00:00+09:00", true},
		{"2025-03-22T11:00:00+09:00", false}, // Saturday
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := c.IsBusinessTime(at); got != tc.want {
			t.Errorf("IsBusinessTime(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.Timezone != "UTC" || c.BaselineDays != 14 || c.HistoryDays != 30 || !c.Rules.OffHours.On() || c.Rules.CrossAccount.KnownSeverity != "" {
		t.Errorf("defaults: %+v", c)
	}
	// keytrail's own roles are known only to a deployment, exactly; no
	// default pattern can stand for them.
	if len(c.SelfPrincipals) != 0 {
		t.Errorf("default self_principals %q: want none", c.SelfPrincipals)
	}
}

// A self_principals entry names its account; anything that can match a
// principal of another account is refused.
func TestSelfPrincipalForms(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"arn:aws:iam::111122223333:role/keytrail/kt-AlertRole-1A2B3C", true},
		{"arn:aws:iam::111122223333:role/keytrail/*", true},
		{"arn:aws-us-gov:iam::111122223333:role/keytrail/kt-*", true},
		{"arn:aws:sts::111122223333:assumed-role/keytrail-alert/*", true},
		{"arn:*:iam::*:role/keytrail/*", false},
		{"arn:aws:iam::*:role/keytrail/*", false},
		{"arn:aws:iam::?11122223333:role/keytrail/x", false},
		{"arn:aws:iam::1111*:role/keytrail/x", false},
		{"arn:*:iam::111122223333:role/keytrail/*", false},
		{"arn:aws:*::111122223333:role/keytrail/*", false},
		{"arn:aws:iam:*:111122223333:role/keytrail/*", false},
		{"arn:aws:iam::111122223333*", false},
		{"arn:aws:iam::11112222333:role/keytrail/x", false},
		{"*:role/keytrail/*", false},
		{"arn:aws:iam::111122223333:", false},
		{"", false},
	} {
		err := checkSelfPrincipal(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("checkSelfPrincipal(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestConfigBad(t *testing.T) {
	want := map[string]string{
		"timezone.bad.yml":                       `timezone "Mars/Olympus"`,
		"business_hours.bad.yml":                 `business_hours: "Mon-Fri 9-18"`,
		"business_hours_reversed.bad.yml":        `end must be after start`,
		"holidays.bad.yml":                       `holidays: "2025-13-01"`,
		"known_accounts.bad.yml":                 `known_accounts: "1234"`,
		"severity.bad.yml":                       `rules.off_hours.severity: "urgent"`,
		"unknown_rule.bad.yml":                   `field off_hourz not found`,
		"unknown_key.bad.yml":                    `field timezon not found`,
		"expires.bad.yml":                        `expires: "next-week"`,
		"suppression_principal.bad.yml":          `suppressions[0]: principal: required`,
		"suppression_rule.bad.yml":               `unknown rule "off_hour"`,
		"baseline_days.bad.yml":                  `baseline_days: -3`,
		"self_principals_any_account.bad.yml":    `self_principals: "arn:*:iam::*:role/keytrail/*" can match principals of any account`,
		"self_principals_account_glob.bad.yml":   `self_principals: "arn:aws:iam::1111*:role/keytrail/alert" can match principals of any account`,
		"self_principals_partition_glob.bad.yml": `self_principals: "arn:*:iam::111111111111:role/keytrail/*" can match principals of any account`,
		"self_principals_not_arn.bad.yml":        `self_principals: "*:role/keytrail/*" is not a principal ARN`,
	}
	files, _ := filepath.Glob("testdata/config/*.bad.yml")
	if len(files) != len(want) {
		t.Errorf("%d bad files, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadConfig(data)
			if err == nil {
				t.Fatal("no error")
			}
			if w := want[filepath.Base(f)]; w == "" || !strings.Contains(err.Error(), w) {
				t.Errorf("error %q, want it to contain %q", err, w)
			}
		})
	}
}

func TestBusinessHoursForms(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{
		{"Mon-Fri 09:00-18:00", false},
		{"Mon-Thu 09:00-18:00,Fri 09:00-15:00", false},
		{"Sat 10:00-12:00", false},
		{"Fri-Mon 00:00-24:00", false},
		{"Mon-Fri", true},
		{"Mon-Fry 09:00-18:00", true},
		{"Mon-Fri 09:00-25:00", true},
		{"Mon-Fri 09:60-18:00", true},
	} {
		_, err := ParseBusinessHours(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseBusinessHours(%q) error %v, want error %v", tc.in, err, tc.wantErr)
		}
	}
}

func TestApplyOverrides(t *testing.T) {
	c := DefaultConfig()
	files := map[string]string{"h.txt": "# Japan\n2025-03-20\n\n2025-04-29\n"}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}
	if err := c.Apply(Overrides{Timezone: "America/New_York", BusinessHours: "Mon-Fri 08:00-17:00", Holidays: "@h.txt"}, read); err != nil {
		t.Fatal(err)
	}
	if c.Location().String() != "America/New_York" || len(c.Holidays) != 2 || c.Holidays[1] != "2025-04-29" {
		t.Errorf("overrides not applied: %+v", c)
	}
	for _, o := range []Overrides{{Timezone: "Nowhere/City"}, {BusinessHours: "weekdays"}, {Holidays: "2025-02-30"}, {Holidays: "@missing"}} {
		c := DefaultConfig()
		if err := c.Apply(o, read); err == nil {
			t.Errorf("Apply(%+v) accepted", o)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"arn:aws:iam::*:role/keytrail-*", "arn:aws:iam::111111111111:role/keytrail-alert", true},
		{"arn:aws:iam::*:role/keytrail-*", "arn:aws:iam::111111111111:role/app", false},
		{"arn:aws:secretsmanager:*:*:secret:prod/*", "arn:aws:secretsmanager:us-east-1:1:secret:prod/db/main-x", true},
		{"arn:aws:iam::?:role/a", "arn:aws:iam::1:role/a", true},
		{"exact", "exactly", false},
	} {
		if got := globMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}
