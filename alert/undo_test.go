package alert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

const (
	keyARN = "arn:aws:kms:eu-central-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab"
	secARN = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/payments/db-AbCdEf"
)

// destructiveFinding returns a destructive finding of one call on res.
func destructiveFinding(call, res string) finding.Finding {
	f := mkFinding(1, finding.SeverityCritical)
	f.Kind, f.Resource, f.EventNames, f.EventIDs = finding.KindDestructive, res, []string{call}, []string{"0b6f3a52-0000-4000-8000-000000000001"}
	f.Start, f.End, f.Count = t0, t0, 1
	return f
}

// callEvent is the lake row of a destructive call, as the ingester keeps it.
func callEvent(call, res, req, resp string) event.Event {
	return event.Event{
		EventID: "0b6f3a52-0000-4000-8000-000000000001", EventTime: t0, EventName: call, AWSRegion: "eu-central-1",
		ResourceARN: res, RequestParameters: req, ResponseElements: resp, SourceObject: "fixture", SourceIndex: 1,
	}
}

// undoText returns the "Deadline and undo" block of msg: all its text, and
// its code-styled runs (names and commands).
func undoText(t *testing.T, msg alert.Message) (string, []string) {
	t.Helper()
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Blocks []struct {
			Type     string
			Elements []struct {
				Elements []struct {
					Text  string
					Style *struct{ Code bool }
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	for _, b := range p.Blocks {
		if b.Type != "rich_text" || len(b.Elements) == 0 || len(b.Elements[0].Elements) == 0 || b.Elements[0].Elements[0].Text != "Deadline and undo" {
			continue
		}
		var all strings.Builder
		var code []string
		for _, x := range b.Elements[0].Elements {
			all.WriteString(x.Text)
			if x.Style != nil && x.Style.Code {
				code = append(code, x.Text)
			}
		}
		return all.String(), code
	}
	return "", nil
}

// TestUndo: a destructive finding says when the call takes effect and
// which command undoes it (or that nothing does), from the call's request
// and response.
func TestUndo(t *testing.T) {
	berlin := alert.Renderer{Location: mustZone("Europe/Berlin"), Region: "eu-central-1"}
	tests := []struct {
		name     string
		f        finding.Finding
		calls    []event.Event
		commands []string // want exactly these commands
		says     []string // the text contains these
		not      []string // and none of these
	}{
		{"key deletion, date in the response", destructiveFinding("ScheduleKeyDeletion", keyARN),
			[]event.Event{callEvent("ScheduleKeyDeletion", keyARN, `{"keyId":"9999abcd","pendingWindowInDays":7}`,
				`{"keyId":"`+keyARN+`","deletionDate":"Mar 9, 2026, 1:13:05 AM","keyState":"PendingDeletion","pendingWindowInDays":7}`)},
			[]string{
				"aws kms cancel-key-deletion --key-id '" + keyARN + "' --region 'eu-central-1'",
				"aws kms enable-key --key-id '" + keyARN + "' --region 'eu-central-1'",
			},
			[]string{"on 2026-03-09 02:13:05 CET (2026-03-09 01:13:05 UTC) the key is deleted"}, nil},
		{"key deletion, window in the request only", destructiveFinding("ScheduleKeyDeletion", keyARN),
			[]event.Event{callEvent("ScheduleKeyDeletion", keyARN, `{"keyId":"9999abcd","pendingWindowInDays":20}`,
				`{"keyId":"`+keyARN+`","keyState":"PendingReplicaDeletion","pendingWindowInDays":20}`)},
			[]string{
				"aws kms cancel-key-deletion --key-id '" + keyARN + "' --region 'eu-central-1'",
				"aws kms enable-key --key-id '" + keyARN + "' --region 'eu-central-1'",
			},
			[]string{"on 2026-03-22 02:13:05 CET (2026-03-22 01:13:05 UTC) the key is deleted"}, nil},
		{"secret deleted with a recovery window", destructiveFinding("DeleteSecret", secARN),
			[]event.Event{callEvent("DeleteSecret", secARN, `{"secretId":"prod/payments/db","recoveryWindowInDays":10}`, `{"arn":"`+secARN+`","name":"prod/payments/db"}`)},
			[]string{"aws secretsmanager restore-secret --secret-id '" + secARN + "' --region 'eu-central-1'"},
			[]string{"on 2026-03-12 02:13:05 CET (2026-03-12 01:13:05 UTC) the secret is deleted for good"}, nil},
		{"secret deleted with the default window", destructiveFinding("DeleteSecret", secARN),
			[]event.Event{callEvent("DeleteSecret", secARN, `{"secretId":"prod/payments/db"}`, ``)},
			[]string{"aws secretsmanager restore-secret --secret-id '" + secARN + "' --region 'eu-central-1'"},
			[]string{"on 2026-04-01 03:13:05 CEST (2026-04-01 01:13:05 UTC)"}, nil},
		{"secret deleted without recovery", destructiveFinding("DeleteSecret", secARN),
			[]event.Event{callEvent("DeleteSecret", secARN, `{"secretId":"prod/payments/db","forceDeleteWithoutRecovery":true}`, `{"arn":"`+secARN+`"}`)},
			nil, []string{"there is no undo"}, []string{"restore-secret"}},
		{"key disabled", destructiveFinding("DisableKey", keyARN),
			[]event.Event{callEvent("DisableKey", keyARN, `{"keyId":"`+keyARN+`"}`, ``)},
			[]string{"aws kms enable-key --key-id '" + keyARN + "' --region 'eu-central-1'"}, nil, nil},
		{"alias deleted", destructiveFinding("DeleteAlias", keyARN),
			[]event.Event{callEvent("DeleteAlias", keyARN, `{"aliasName":"alias/payments"}`, ``)},
			[]string{"aws kms create-alias --alias-name 'alias/payments' --target-key-id '" + keyARN + "' --region 'eu-central-1'"}, nil, nil},
		{"rotation disabled", destructiveFinding("DisableKeyRotation", keyARN),
			[]event.Event{callEvent("DisableKeyRotation", keyARN, `{"keyId":"9999abcd"}`, ``)},
			[]string{"aws kms enable-key-rotation --key-id '" + keyARN + "' --region 'eu-central-1'"}, nil, nil},
		{"secret rotation cancelled", destructiveFinding("CancelRotateSecret", secARN),
			[]event.Event{callEvent("CancelRotateSecret", secARN, `{"secretId":"prod/payments/db"}`, ``)},
			[]string{"aws secretsmanager rotate-secret --secret-id '" + secARN + "' --region 'eu-central-1'"}, nil, nil},
		{"replica regions removed", destructiveFinding("RemoveRegionsFromReplication", secARN),
			[]event.Event{callEvent("RemoveRegionsFromReplication", secARN, `{"secretId":"prod/payments/db","removeReplicaRegions":["eu-west-1","us-east-1"]}`, ``)},
			[]string{"aws secretsmanager replicate-secret-to-regions --secret-id '" + secARN + "' --add-replica-regions 'Region=eu-west-1' 'Region=us-east-1' --region 'eu-central-1'"}, nil, nil},
		{"grant revoked", destructiveFinding("RevokeGrant", keyARN),
			[]event.Event{callEvent("RevokeGrant", keyARN, `{"keyId":"`+keyARN+`","grantId":"abcde123"}`, ``)},
			nil, []string{"cannot be restored: there is no undo"}, nil},
		{"a failed call changed nothing", destructiveFinding("ScheduleKeyDeletion", keyARN),
			func() []event.Event {
				e := callEvent("ScheduleKeyDeletion", keyARN, `{"keyId":"9999abcd","pendingWindowInDays":7}`, ``)
				e.Failed, e.ErrorCode = true, "AccessDenied"
				return []event.Event{e}
			}(),
			nil, []string{"the call failed (AccessDenied): it changed nothing"}, []string{"cancel-key-deletion"}},
		{"without its event: the bounds of the window", destructiveFinding("ScheduleKeyDeletion", keyARN), nil,
			[]string{
				"aws kms cancel-key-deletion --key-id '" + keyARN + "' --region 'eu-central-1'",
				"aws kms enable-key --key-id '" + keyARN + "' --region 'eu-central-1'",
			},
			[]string{"between 2026-03-09 02:13:05 CET (2026-03-09 01:13:05 UTC) and 2026-04-01 03:13:05 CEST (2026-04-01 01:13:05 UTC)"}, nil},
		{"without its event: a deleted secret may have no window", destructiveFinding("DeleteSecret", secARN), nil,
			[]string{"aws secretsmanager restore-secret --secret-id '" + secARN + "' --region 'eu-central-1'"},
			[]string{"--force-delete-without-recovery, and then there is no undo"}, nil},
		{"hostile alias name is quoted", destructiveFinding("DeleteAlias", keyARN),
			[]event.Event{callEvent("DeleteAlias", keyARN, `{"aliasName":"alias/x'; rm -rf ~; echo '$(id)`+"`id`"+`"}`, ``)},
			[]string{"aws kms create-alias --alias-name 'alias/x'\\''; rm -rf ~; echo '\\''$(id)`id`' --target-key-id '" + keyARN + "' --region 'eu-central-1'"}, nil, nil},
		{"a name with a hidden rune gets no command", destructiveFinding("DeleteAlias", keyARN),
			[]event.Event{callEvent("DeleteAlias", keyARN, `{"aliasName":"alias/pay\u202ements"}`, ``)},
			nil, []string{"A command is not shown"}, []string{"create-alias --alias-name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := berlin.Finding(tt.f, alert.Extras{Calls: tt.calls})
			checkLimits(t, msg)
			text, code := undoText(t, msg)
			if text == "" {
				t.Fatalf("no deadline-and-undo block")
			}
			var cmds []string
			for _, c := range code {
				if strings.HasPrefix(c, "aws ") {
					cmds = append(cmds, c)
				}
			}
			if !slices.Equal(cmds, tt.commands) {
				t.Errorf("commands\n%q\nwant\n%q", cmds, tt.commands)
			}
			for _, s := range tt.says {
				if !strings.Contains(text, s) {
					t.Errorf("text does not say %q:\n%s", s, text)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(text, s) {
					t.Errorf("text says %q:\n%s", s, text)
				}
			}
			checkVisible(t, "undo", text)
		})
	}
	// Other findings have no such block.
	if text, _ := undoText(t, berlin.Finding(mkFinding(1, "high"), alert.Extras{})); text != "" {
		t.Errorf("an off-hours finding has an undo block: %s", text)
	}
}

// TestUndoCommandParsesBack: a real shell splits every undo command into
// exactly the arguments it was built from, however hostile the values.
func TestUndoCommandParsesBack(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to parse the commands with")
	}
	for _, alias := range []string{"alias/plain", "alias/it's", "alias/'';$(id)`id`\"$HOME\"\\", "alias/ünï cödé &<>|*?~!#"} {
		f := destructiveFinding("DeleteAlias", keyARN)
		msg := alert.Renderer{}.Finding(f, alert.Extras{Calls: []event.Event{callEvent("DeleteAlias", keyARN, mustJSON(t, map[string]string{"aliasName": alias}), ``)}})
		_, code := undoText(t, msg)
		if len(code) < 2 {
			t.Fatalf("%q: no command in %q", alias, code)
		}
		cmd := code[len(code)-1]
		out, err := exec.Command(sh, "-c", `printf '%s\0' `+strings.TrimPrefix(cmd, "aws ")).Output()
		if err != nil {
			t.Fatalf("%q: sh: %v", cmd, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		want := []string{"kms", "create-alias", "--alias-name", alias, "--target-key-id", keyARN, "--region", "eu-central-1"}
		if !slices.Equal(got, want) {
			t.Errorf("%s\nparses as %q\nwant %q", cmd, got, want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUndoFromLake: the alerter reads a destructive finding's event from
// the lake's events table and posts the deadline and the undo it holds.
func TestUndoFromLake(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := mk(t)
			other := callEvent("GetSecretValue", secARN, `{"secretId":"prod/payments/db"}`, ``)
			other.EventID, other.EventTime = "0b6f3a52-0000-4000-8000-000000000009", t0.Add(-time.Minute)
			del := callEvent("DeleteSecret", secARN, `{"secretId":"prod/payments/db","recoveryWindowInDays":7}`, `{"arn":"`+secARN+`","deletionDate":"Mar 9, 2026, 1:13:05 AM"}`)
			del.AWSRegion = "eu-west-1"            // the event's own region, for the history link
			rows := []event.Event{other, del, del} // a copy not yet compacted away
			var buf bytes.Buffer
			if err := event.WriteParquet(&buf, rows); err != nil {
				t.Fatal(err)
			}
			if err := st.(lake.Store).Put(context.Background(), lake.EventKey(lake.Day(t0), "part-0.parquet"), &buf); err != nil {
				t.Fatal(err)
			}

			f := destructiveFinding("DeleteSecret", secARN)
			evs, err := alert.LakeEvents{Store: st}.FindingEvents(context.Background(), f)
			if err != nil || len(evs) != 1 || evs[0].EventName != "DeleteSecret" {
				t.Fatalf("events %+v, %v; want the one DeleteSecret", evs, err)
			}

			c := newClock(t0.Add(time.Hour))
			s := startSlack(t, c)
			a := newAlerter(s, st, c)
			a.Events = alert.LakeEvents{Store: st}
			rep, err := a.Run(context.Background(), []finding.Finding{f})
			if err != nil || len(rep.Posted) != 1 {
				t.Fatalf("run: %v %+v", err, rep)
			}
			blocks := string(s.Posts()[0].Blocks)
			for _, want := range []string{
				"on 2026-03-09 02:13:05 CET (2026-03-09 01:13:05 UTC) the secret is deleted for good",
				"aws secretsmanager restore-secret --secret-id '" + secARN + "' --region 'eu-central-1'",
				"https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/0b6f3a52-0000-4000-8000-000000000001|event 1",
			} {
				if !strings.Contains(blocks, want) {
					t.Errorf("message lacks %q:\n%s", want, blocks)
				}
			}
		})
	}
}
