package alert_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/queries"
)

// TestHostileText puts attacker-controlled values in every field a caller
// can influence and checks the payload Slack receives: no mention, channel
// link, spoofed link or formatting from the values survives.
func TestHostileText(t *testing.T) {
	hostile := []struct {
		name  string
		value string
		// banned must not appear in any text Slack would parse (outside
		// code); "" checks only the generic rules.
		banned []string
	}{
		{"channel mention", "<!channel> wake up", []string{"<!channel>"}},
		{"here mention with label", "<!here|here>", []string{"<!here"}},
		{"everyone bare", "@everyone @channel @here", []string{"@everyone", "@channel", "@here"}},
		{"user mention", "<@U024BE7LH>", []string{"<@U"}},
		{"channel link", "<#C024BE7LH|general>", []string{"<#C"}},
		{"spoofed link", "<https://evil.example/login|Open in Athena>", []string{"<https://evil", "<https"}},
		{"mailto link", "<mailto:a@evil.example|security team>", []string{"<mailto"}},
		{"nested brackets", "<<!channel>>", []string{"<!channel>"}},
		{"pre-escaped", "&lt;!channel&gt;", []string{"&lt;!channel&gt;"}},
		{"formatting", "*URGENT* _rotate_ ~now~ `x` ```block```", []string{"*URGENT*", "_rotate_", "~now~"}},
		{"newlines", "line1\nline2\r\n>quoted\n*Severity:* 🟡 *LOW*", []string{"line1\nline2", "\n>quoted"}},
		{"controls and bidi", "a\x00b\x1b[31mred\u202eevil\u2066x\u2028y", []string{"\x00", "\x1b", "\u202e", "\u2066", "\u2028"}},
		{"zero width", "prod\u200b-db\u200c\u200d\ufeff@\u2060here", []string{"\u200b", "\u200c", "\u200d", "\ufeff"}},
		{"tags", "prod-db\U000e0041\U000e007f", []string{"\U000e0041", "\U000e007f"}},
		{"long", strings.Repeat("<!here>", 5000), []string{"<!here>"}},
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			v := h.value
			f := finding.Finding{
				ID: "hostile-" + v, Kind: v, Severity: finding.SeverityCritical, Principal: v, Resource: v,
				Resources: []string{v, v}, Start: t0, End: t0, Count: 1, Title: v, Reason: v, EventIDs: []string{v},
				Query:         "SELECT * FROM keytrail.events WHERE principal_name = '" + v + "'",
				PrincipalName: v, PrincipalAccount: v, CallerKind: v, SessionNames: []string{v}, EventNames: []string{v},
				SourceIPs: []string{v}, UserAgents: []string{v}, VPCEndpoints: []string{v}, Regions: []string{v}, ErrorCodes: []string{v},
			}
			// Findings of one group: the first is posted at top level, and
			// seven different ones force a summary, so both shapes are checked.
			var fs []finding.Finding
			for i := range 7 {
				g := f
				g.ID += string(rune('a' + i))
				g.Principal += string(rune('a' + i))
				fs = append(fs, g)
			}
			c := newClock(t0)
			s := startSlack(t, c)
			a := newAlerter(s, stores(t)["dir"](t), c)
			a.FollowUp = &alert.FollowUp{Region: "eu-central-1", Workgroup: "keytrail"}
			rep, err := a.Run(context.Background(), fs)
			if err != nil || len(rep.Posted) != 7 {
				t.Fatalf("run: %v %+v", err, rep)
			}
			// Rich text elements are literal (Slack parses nothing in
			// them): one may carry hostile text only as the rebuilt query.
			sqls := map[string]bool{}
			for _, g := range fs {
				q, err := queries.Evidence(g)
				if err != nil {
					t.Fatal(err)
				}
				sqls[alert.StripHeader(q)] = true
			}
			for _, p := range s.Posts() {
				checkInert(t, "text", "mrkdwn", p.Text, h.banned)
				walkTexts(t, p.Blocks, func(typ, text string) {
					if typ == "text" && !sqls[text] && strings.ContainsAny(text, "<>&@`*_~") {
						t.Errorf("rich text %q is neither ours nor a follow-up query", short(text))
					}
					checkInert(t, "blocks", typ, text, h.banned)
				})
				if p.findingID() != "" && !strings.HasPrefix(p.findingID(), "hostile-") {
					t.Errorf("metadata finding id %q", p.findingID())
				}
			}
		})
	}
}

const allowedLink = "<https://eu-central-1.console.aws.amazon.com/athena/home?region=eu-central-1#/query-editor|Open in Athena>"

// checkInert checks one text object as Slack would parse it.
func checkInert(t *testing.T, where, typ, text string, banned []string) {
	t.Helper()
	if typ == "text" {
		// A rich text element: shown as it is, without mrkdwn, entities or
		// <…> sequences; only what a reader cannot see matters.
		checkVisible(t, where+" "+typ, text)
		return
	}
	// Our one link is the only <…> allowed; remove it, then nothing may
	// open a control sequence.
	rest := strings.ReplaceAll(text, allowedLink, "")
	if strings.ContainsAny(rest, "<>") && typ == "plain_text" {
		t.Errorf("%s %s: angle bracket in %q", where, typ, short(rest))
	}
	if strings.Contains(rest, "<") {
		t.Errorf("%s %s: '<' outside the allowed link in %q", where, typ, short(rest))
	}
	checkVisible(t, where+" "+typ, rest)
	outside := rest
	if typ == "mrkdwn" {
		outside = outsideCode(rest)
	}
	for _, b := range banned {
		if typ == "plain_text" && strings.ContainsAny(b, "*_~") {
			continue // plain_text has no formatting
		}
		if strings.Contains(outside, b) {
			t.Errorf("%s %s: %q survives in %q", where, typ, b, short(outside))
		}
	}
	// Formatting: no untrusted * _ ~ outside code; ours are "*Label*"
	// at known places, so strip the labels we write and look again.
	if typ == "mrkdwn" {
		for _, ours := range []string{"*Severity:*", "*Kind:*", "*Events:*", "*CRITICAL*", "*Who*", "*What*", "*When*", "*Where*", "*Why*", "*Evidence*", "*Follow-up query*", "*By severity:*", "*By kind:*", "*Top findings*"} {
			outside = strings.ReplaceAll(outside, ours, "")
		}
		if strings.ContainsAny(outside, "*_~`") {
			t.Errorf("%s: mrkdwn marker outside code in %q", where, short(outside))
		}
	}
}

// checkVisible fails when text carries a rune a reader cannot see (see
// internal/visible), other than line breaks and the word joiner the
// renderer puts after an @ to break mentions.
func checkVisible(t *testing.T, where, text string) {
	t.Helper()
	rs := []rune(text)
	for i, r := range rs {
		if !visible.Hidden(r) || r == '\n' || (r == '\u2060' && i > 0 && rs[i-1] == '@') {
			continue
		}
		t.Errorf("%s: hidden character %U in %q", where, r, short(text))
	}
}

// TestLookAlikeNames: names that differ only by a zero-width, tag or other
// invisible character must not look the same in Slack.
func TestLookAlikeNames(t *testing.T) {
	names := []struct{ name, shown string }{
		{"prod/payments/db", "prod/payments/db"},
		{"prod/pay\u200bments/db", `prod/pay\u200bments/db`},
		{"prod/payments/db\U000e0041", `prod/payments/db\U000e0041`},
		{"\ufeffprod/payments/db", `\ufeffprod/payments/db`},
		{"prod/payments\u2060/db", `prod/payments\u2060/db`},
	}
	looks := map[string]string{}
	for _, n := range names {
		f := mkFinding(1, "high")
		f.Resource = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:" + n.name + "-AbCdEf"
		f.PrincipalName = n.name
		f.Title = "Off-hours read of " + n.name
		msg := alert.Renderer{}.Finding(f, alert.Extras{})
		raw, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Blocks json.RawMessage }
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		var what string
		walkTexts(t, p.Blocks, func(typ, text string) {
			checkVisible(t, n.shown, text)
			if strings.HasPrefix(text, "*What*") {
				what = text
			}
		})
		checkVisible(t, n.shown+" (fallback text)", msg.Text)
		if !strings.Contains(what, "secret:"+n.shown+"-AbCdEf`") {
			t.Errorf("%s: resource not shown as %q: %q", n.shown, n.shown, what)
		}
		// What a reader sees: the text without the runes nobody sees.
		seen := strings.Map(func(r rune) rune {
			if visible.Hidden(r) && r != '\n' {
				return -1
			}
			return r
		}, what)
		if other, dup := looks[seen]; dup {
			t.Errorf("%q looks like %q: %q", n.shown, other, seen)
		}
		looks[seen] = n.shown
	}
}

// outsideCode returns the parts of a mrkdwn text outside ``` blocks and
// `inline` spans.
func outsideCode(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "```") {
		if i%2 == 1 {
			b.WriteString(" ")
			continue
		}
		for j, p := range strings.Split(part, "`") {
			if j%2 == 0 {
				b.WriteString(p)
			} else {
				b.WriteString(" ")
			}
		}
	}
	return b.String()
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestHostilePayloadJSON checks the encoded payload as a whole.
func TestHostilePayloadJSON(t *testing.T) {
	f := mkFinding(1, "high")
	f.UserAgents = []string{"<!channel> <https://evil.example|x>"}
	msg := alert.Renderer{}.Finding(f, alert.Extras{})
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	dec, _ := json.Marshal(back["blocks"])
	s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(dec))
	for _, bad := range []string{"<!channel>", "<https://evil"} {
		if strings.Contains(s, bad) {
			t.Errorf("payload contains %q", bad)
		}
	}
	if !strings.Contains(s, "&lt;!channel&gt;") {
		t.Errorf("escaped value missing from payload: %s", s)
	}
}
