package detect

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

// fastCalls are single-event calls, each in the part (CloudTrail object)
// that delivers it, on the last day of a synthOrg lake.
type fastCall struct {
	part string
	e    event.Event
}

func fastCalls(day time.Time) []fastCall {
	const acct = "111111111111"
	role := func(s string) string { return "arn:aws:iam::" + acct + ":role/" + s }
	sec := func(s string) string { return "arn:aws:secretsmanager:ap-northeast-1:" + acct + ":secret:" + s }
	key := func(s string) string { return "arn:aws:kms:ap-northeast-1:" + acct + ":key/" + s }
	n := 0
	ev := func(at time.Duration, name, principal, kind, res, params, errCode string) event.Event {
		n++
		e := event.Event{
			EventID: fmt.Sprintf("fast-%03d", n), EventTime: day.Add(at), EventSource: sourceSM, EventName: name,
			PrincipalARN: principal, CallerKind: kind, PrincipalAccount: arn.Account(principal), ResourceARN: res,
			ResourceAccount: acct, RecipientAcct: acct, RequestParameters: params, ErrorCode: errCode, Failed: errCode != "",
			AWSRegion: "ap-northeast-1", SessionName: "s",
		}
		if res != "" {
			e.ResourceARNs = []string{res}
			e.ResourceAccount = arn.Account(res)
		}
		if arn.Account(res) == "" {
			e.ResourceAccount = ""
		}
		if len(res) > 8 && res[:8] == "arn:aws:" && bytes.Contains([]byte(res), []byte(":kms:")) {
			e.EventSource = sourceKMS
		}
		return e
	}
	policy := func(principals string) string {
		return `{"secretId":"prod/db","resourcePolicy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[` + principals + `]},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"}`
	}
	admin, dev := role("AWSReservedSSO_Admin"), role("AWSReservedSSO_dev0")
	outsider := "arn:aws:iam::999999999999:role/x"
	h := time.Hour
	return []fastCall{
		// A key scheduled for deletion, a secret deleted without recovery.
		{"a", ev(9*h+5*time.Minute, "ScheduleKeyDeletion", admin, event.CallerPerson, key("k1"), `{"keyId":"k1","pendingWindowInDays":7}`, "")},
		{"a", ev(9*h+6*time.Minute, "GetSecretValue", role("svc0"), event.CallerWorkload, sec("app/s00"), "", "")},
		{"b", ev(9*h+20*time.Minute, "DeleteSecret", dev, event.CallerPerson, sec("app/s21"), `{"secretId":"app/s21","forceDeleteWithoutRecovery":true}`, "")},
		// Clean-up in one part: low on both paths.
		{"b", ev(9*h+21*time.Minute, "CreateSecret", role("ci"), event.CallerWorkload, sec("ci/t1"), "", "")},
		{"b", ev(9*h+22*time.Minute, "DeleteSecret", role("ci"), event.CallerWorkload, sec("ci/t1"), `{"secretId":"ci/t1","recoveryWindowInDays":7}`, "")},
		// Clean-up across parts: the fast path leaves it to the schedule.
		{"c", ev(10*h+1*time.Minute, "CreateSecret", role("ci2"), event.CallerWorkload, sec("ci/t2"), "", "")},
		{"d", ev(10*h+9*time.Minute, "DeleteSecret", role("ci2"), event.CallerWorkload, sec("ci/t2"), `{"secretId":"ci/t2","recoveryWindowInDays":7}`, "")},
		// Policies: one opening to an outside account, one to an account
		// of the organization (whose trail the lake holds), a grant, key
		// material.
		{"c", ev(10*h+2*time.Minute, "PutResourcePolicy", admin, event.CallerPerson, sec("prod/db"), policy(`\"arn:aws:iam::999999999999:root\"`), "")},
		{"c", ev(10*h+3*time.Minute, "PutResourcePolicy", admin, event.CallerPerson, sec("prod/api"), policy(`\"arn:aws:iam::222222222222:root\"`), "")},
		{"d", ev(10*h+10*time.Minute, "CreateGrant", role("app"), event.CallerWorkload, key("k2"), `{"keyId":"k2","granteePrincipal":"arn:aws:iam::999999999999:role/partner","operations":["Decrypt"]}`, "")},
		{"d", ev(10*h+11*time.Minute, "ImportKeyMaterial", admin, event.CallerPerson, key("k3"), `{"keyId":"k3","expirationModel":"KEY_MATERIAL_DOES_NOT_EXPIRE"}`, "")},
		// An outside account denied at the VPC endpoint in two adjacent
		// hours, in two parts: the schedule merges them into one finding.
		{"d", ev(10*h+40*time.Minute, "GetSecretValue", outsider, event.CallerWorkload, sec("prod/db"), "", "VpceAccessDenied")},
		{"e", ev(11*h+15*time.Minute, "GetSecretValue", outsider, event.CallerWorkload, sec("prod/db"), "", "VpceAccessDenied")},
		// A catch-all batch retrieval.
		{"e", ev(11*h+20*time.Minute, "BatchGetSecretValue", role("intruder"), event.CallerWorkload, "", `{"filters":[{"key":"tag-key","values":["!nothing"]}]}`, "")},
	}
}

// putPart writes rows as one events part, the way ingest does.
func putPart(t *testing.T, st Store, key string, rows []event.Event) {
	t.Helper()
	rows = slices.Clone(rows)
	event.Sort(rows)
	var buf bytes.Buffer
	if err := event.WriteParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), key, &buf); err != nil {
		t.Fatal(err)
	}
}

// TestPartIDsEqualScheduled runs the fast path part by part over a day's
// single-event calls and the schedule over the same lake: every fast
// finding must be one the schedule gives, with its id and severity, the
// merge of adjacent windows included; and the fast path must report every
// single-event finding whose data its part holds.
func TestPartIDsEqualScheduled(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	const days = 8
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	last := start.AddDate(0, 0, days-1)
	history := synthOrg(start, days-1, 3)
	// Another account of the organization, whose trail the lake holds.
	history = append(history, synthEvent{Event: event.Event{
		EventID: "org-2", EventTime: last.Add(time.Hour), EventSource: sourceSM, EventName: "GetSecretValue",
		PrincipalARN: "arn:aws:iam::222222222222:role/app", PrincipalAccount: "222222222222", CallerKind: event.CallerWorkload,
		ResourceARN: "arn:aws:secretsmanager:ap-northeast-1:222222222222:secret:x", ResourceAccount: "222222222222", RecipientAcct: "222222222222",
	}})
	deliver(t, st, history, time.Time{}, last)

	cfg := testConfig(t)
	cfg.Rules.CrossAccount.PolicyOpenings = true
	runner := &Runner{Store: st, Detector: &Detector{Config: cfg, Now: func() time.Time { return last }}}
	// A scheduled run before the day: it records the organization's accounts.
	s := &Schedule{Runner: runner, Now: func() time.Time { return last.Add(3 * time.Hour) }}
	if _, err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}

	calls := fastCalls(last)
	var parts []string
	byPart := map[string][]event.Event{}
	for _, c := range calls {
		k := lake.EventKey(lake.Day(last), "ct-"+c.part+"-p000")
		if _, ok := byPart[k]; !ok {
			parts = append(parts, k)
		}
		byPart[k] = append(byPart[k], c.e)
	}
	fast := map[string]finding.Finding{}
	for _, k := range parts {
		putPart(t, st, k, byPart[k])
		fs, err := runner.RunPart(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := runner.WritePart(ctx, k, fs); err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if !slices.Contains(SingleEventKinds, f.Kind) {
				t.Errorf("fast path reported %s, not a single-event kind", f.Kind)
			}
			fast[f.ID] = f
		}
	}

	sched, err := runner.Run(ctx, DayStart(last), last.Add(13*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]finding.Finding{}
	for _, f := range sched {
		byID[f.ID] = f
	}
	for id, f := range fast {
		g, ok := byID[id]
		if !ok {
			t.Errorf("fast finding %s (%s %s %s) is not among the scheduled findings", id, f.Kind, f.Severity, f.Title)
			continue
		}
		if g.Kind != f.Kind || g.Severity != f.Severity {
			t.Errorf("finding %s: fast %s %s, scheduled %s %s", id, f.Kind, f.Severity, g.Kind, g.Severity)
		}
	}
	// What the fast path must have reported, by the scheduled findings.
	want := []struct {
		kind, severity, title string
	}{
		{finding.KindDestructive, finding.SeverityCritical, "ScheduleKeyDeletion by AWSReservedSSO_Admin"},
		{finding.KindDestructive, finding.SeverityCritical, "DeleteSecret by AWSReservedSSO_dev0"},
		{finding.KindDestructive, finding.SeverityLow, "DeleteSecret by ci"},
		{finding.KindPolicyChange, finding.SeverityHigh, "PutResourcePolicy by AWSReservedSSO_Admin"},
		{finding.KindPolicyChange, finding.SeverityLow, "PutResourcePolicy by AWSReservedSSO_Admin"},
		{finding.KindPolicyChange, finding.SeverityHigh, "CreateGrant by app"},
		{finding.KindPolicyChange, finding.SeverityMedium, "ImportKeyMaterial by AWSReservedSSO_Admin"},
		{finding.KindCrossAccount, finding.SeverityHigh, "AWSReservedSSO_Admin opened db to account 999999999999"},
		{finding.KindFailedAccess, finding.SeverityMedium, "Failed access by x: calls from an outside account denied"},
		{finding.KindBulkRetrieval, finding.SeverityHigh, "intruder fetched every secret at once"},
	}
	for _, w := range want {
		n := 0
		for _, g := range sched {
			if g.Kind == w.kind && g.Severity == w.severity && g.Title == w.title {
				n++
				if _, ok := fast[g.ID]; !ok {
					t.Errorf("scheduled %s %s %q (%s) was not reported by the fast path", g.Kind, g.Severity, g.Title, g.ID)
				}
			}
		}
		if n == 0 {
			t.Errorf("no scheduled %s %s %q: the fixture is wrong", w.kind, w.severity, w.title)
		}
	}
	// The two hours of denials are one scheduled finding with both events.
	for _, g := range sched {
		if g.Kind == finding.KindFailedAccess && g.Principal == "arn:aws:iam::999999999999:role/x" && g.Count != 2 {
			t.Errorf("scheduled denials: count %d, want 2 (merged hours)", g.Count)
		}
	}
	// The clean-up across parts is the schedule's to report.
	for _, f := range fast {
		if f.Principal == "arn:aws:iam::111111111111:role/ci2" {
			t.Errorf("fast path reported %s %s for a clean-up whose creation is in another part", f.Kind, f.Severity)
		}
	}

	// A redelivered notification: the same findings, the same file.
	k := parts[len(parts)-1]
	out, err := PartFindingsKey(k)
	if err != nil {
		t.Fatal(err)
	}
	before, err := runner.get(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := runner.RunPart(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.WritePart(ctx, k, fs); err != nil {
		t.Fatal(err)
	}
	after, err := runner.get(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("evaluating %s again rewrote %s with other bytes", k, out)
	}
}

// TestPartSkipsCompacted: a compacted part holds rows already evaluated.
func TestPartSkipsCompacted(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 3, 18, 0, 0, 0, 0, time.UTC)
	rows := []event.Event{fastCalls(day)[0].e}
	runner := &Runner{Store: st, Detector: &Detector{Config: testConfig(t), Now: func() time.Time { return day }}}
	for _, tc := range []struct {
		name string
		want int
	}{{"ct-a-p000", 1}, {"compact-0123456789ab", 0}} {
		k := lake.EventKey(lake.Day(day), tc.name)
		putPart(t, st, k, rows)
		fs, err := runner.RunPart(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != tc.want {
			t.Errorf("%s: %d findings, want %d", tc.name, len(fs), tc.want)
		}
	}
	if _, err := runner.RunPart(ctx, "findings/day=2025-03-18/x.parquet"); err == nil {
		t.Error("RunPart accepted a key outside events/")
	}
}
