package alert_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// athenaServer speaks Athena's JSON protocol for StartQueryExecution.
type athenaServer struct {
	mu       sync.Mutex
	requests []map[string]any
	fail     bool
}

func startAthena(t *testing.T, fail bool) (*athena.Client, *athenaServer) {
	t.Helper()
	as := &athenaServer{fail: fail}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonAthena.StartQueryExecution" {
			http.Error(w, "unexpected target "+got, http.StatusBadRequest)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		as.mu.Lock()
		as.requests = append(as.requests, body)
		as.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if as.fail {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"InvalidRequestException","Message":"workgroup keytrail is disabled <!channel>"}`))
			return
		}
		_, _ = w.Write([]byte(`{"QueryExecutionId":"0b6f3a52-3c1e-4e8a-9d4f-5a7c2b9e1d00"}`))
	}))
	t.Cleanup(srv.Close)
	c := athena.New(athena.Options{
		Region:           "eu-central-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
	return c, as
}

func loadFixtures(t *testing.T) map[string]finding.Finding {
	t.Helper()
	f, err := os.Open("testdata/findings.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := alert.ReadJSONLines(f)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]finding.Finding{}
	for _, x := range fs {
		m[x.ID] = x
	}
	return m
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n%s", path, got)
	}
}

func TestMessageGolden(t *testing.T) {
	fx := loadFixtures(t)
	berlin := alert.Renderer{Location: mustZone("Europe/Berlin"), Region: "eu-central-1", Workgroup: "keytrail", Database: "keytrail"}
	tests := []struct {
		name    string
		id      string
		render  alert.Renderer
		athena  string // "", "ok", "fail"
		extras  alert.Extras
		summary []string // render a summary of these ids instead
		thread  bool
		long    bool // a follow-up query too long for the message
	}{
		{name: "finding_utc_no_link", id: "off-hours-1", render: alert.Renderer{}},
		{name: "finding_berlin_started_query", id: "off-hours-1", render: berlin, athena: "ok"},
		{name: "finding_editor_fallback", id: "failed-access-1", render: berlin, athena: "fail"},
		{name: "finding_editor_unconfigured", id: "failed-access-1", render: berlin, athena: "none"},
		{name: "finding_suppressed", id: "off-hours-1", render: berlin,
			extras: alert.Extras{Suppressed: 3, SuppressedSince: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}},
		{name: "finding_escalation", id: "destructive-1", render: berlin, extras: alert.Extras{Escalates: &alert.Escalation{
			FindingID: "disable-1", PostedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), From: "high", To: "critical", NewCalls: []string{"ScheduleKeyDeletion"}}}},
		{name: "finding_query_attached", id: "off-hours-1", render: berlin, extras: alert.Extras{AttachQuery: true}, long: true},
		{name: "finding_query_webhook", id: "off-hours-1", render: berlin, long: true},
		{name: "finding_minimal", id: "minimal", render: alert.Renderer{Location: mustZone("America/New_York")}},
		{name: "summary_threaded", summary: []string{"off-hours-1", "failed-access-1", "minimal", "destructive-1"}, render: berlin, thread: true},
		{name: "summary_webhook", summary: []string{"off-hours-1", "destructive-1"}, render: berlin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var msg alert.Message
			if tt.summary != nil {
				var fs []finding.Finding
				for _, id := range tt.summary {
					fs = append(fs, fx[id])
				}
				msg = tt.render.Summary(alert.Filter(fs, ""), 2, tt.thread)
			} else {
				f, ok := fx[tt.id]
				if !ok {
					t.Fatalf("no fixture %s", tt.id)
				}
				x := tt.extras
				if tt.long {
					f.Query = strings.Repeat("SELECT 'a long query';\n", 200)
				}
				if tt.athena != "" {
					fu := &alert.FollowUp{Region: tt.render.Region, Workgroup: tt.render.Workgroup, Database: tt.render.Database}
					if tt.athena != "none" {
						fu.Client, _ = startAthena(t, tt.athena == "fail")
					}
					x.QueryURL, x.QueryNote = fu.Link(context.Background(), f)
				}
				msg = tt.render.Finding(f, x)
				if (msg.Attachment != nil) != (tt.long && x.AttachQuery) {
					t.Errorf("attachment %+v", msg.Attachment)
				}
				if msg.Attachment != nil && (msg.Attachment.Content != f.Query || msg.Attachment.Filename != "keytrail-finding-off-hours-1.sql") {
					t.Errorf("attachment %s does not carry the query whole", msg.Attachment.Filename)
				}
			}
			got, err := json.MarshalIndent(msg, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, msg)
			checkGolden(t, tt.name, append(got, '\n'))
		})
	}
}

func TestFollowUpAthena(t *testing.T) {
	fx := loadFixtures(t)
	f := fx["off-hours-1"]
	tests := []struct {
		name     string
		fail     bool
		wantURL  string
		wantNote string
	}{
		{"started", false, "https://eu-central-1.console.aws.amazon.com/athena/home?region=eu-central-1#/query-editor/history/0b6f3a52-3c1e-4e8a-9d4f-5a7c2b9e1d00", "query started"},
		{"start fails", true, "https://eu-central-1.console.aws.amazon.com/athena/home?region=eu-central-1#/query-editor", "`InvalidRequestException`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, srv := startAthena(t, tt.fail)
			fu := &alert.FollowUp{Client: client, Region: "eu-central-1", Workgroup: "keytrail-capped", Database: "keytrail", OutputLocation: "s3://results/keytrail/"}
			u, note := fu.Link(context.Background(), f)
			if u != tt.wantURL || !strings.Contains(note, tt.wantNote) {
				t.Errorf("link %q note %q; want %q containing %q", u, note, tt.wantURL, tt.wantNote)
			}
			if strings.Contains(note, "<!channel>") {
				t.Errorf("note carries the service's message: %q", note)
			}
			if len(srv.requests) != 1 {
				t.Fatalf("%d requests", len(srv.requests))
			}
			req := srv.requests[0]
			tok, _ := req["ClientRequestToken"].(string)
			if req["QueryString"] != f.Query || req["WorkGroup"] != "keytrail-capped" || len(tok) < 32 ||
				req["QueryExecutionContext"].(map[string]any)["Database"] != "keytrail" ||
				req["ResultConfiguration"].(map[string]any)["OutputLocation"] != "s3://results/keytrail/" {
				t.Errorf("request %v", req)
			}
			// The same finding asks with the same token (idempotent retries).
			fu.Link(context.Background(), f)
			if tok2, _ := srv.requests[1]["ClientRequestToken"].(string); tok2 != tok {
				t.Errorf("token changed: %q then %q", tok, tok2)
			}
		})
	}
}

// walkTexts calls fn for every text object in the blocks: its type and text.
func walkTexts(t *testing.T, blocks []byte, fn func(typ, text string)) {
	t.Helper()
	var v any
	if err := json.Unmarshal(blocks, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if typ, ok := x["type"].(string); ok {
				if text, ok := x["text"].(string); ok {
					fn(typ, text)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// checkLimits fails when msg breaks a Block Kit limit.
func checkLimits(t *testing.T, msg alert.Message) {
	t.Helper()
	if n := len(msg.Blocks); n > 50 || n == 0 {
		t.Errorf("%d blocks", n)
	}
	if n := utf16Len(msg.Text); n > 40000 || n == 0 {
		t.Errorf("fallback text %d chars", n)
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Blocks []struct {
			Type     string                 `json:"type"`
			Text     *struct{ Text string } `json:"text"`
			Fields   []json.RawMessage      `json:"fields"`
			Elements []struct {
				Text     string
				Elements []struct{ Text string } // of rich text
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	for i, b := range p.Blocks {
		switch b.Type {
		case "header":
			if n := utf16Len(b.Text.Text); n > 150 {
				t.Errorf("block %d: header %d chars", i, n)
			}
		case "section":
			if n := utf16Len(b.Text.Text); n > 3000 {
				t.Errorf("block %d: section %d chars", i, n)
			}
			if len(b.Fields) > 10 {
				t.Errorf("block %d: %d fields", i, len(b.Fields))
			}
		case "rich_text":
			n := 0
			for _, e := range b.Elements {
				for _, x := range e.Elements {
					n += utf16Len(x.Text)
				}
			}
			if n > 3100 || n == 0 {
				t.Errorf("block %d: rich text of %d chars", i, n)
			}
		case "context":
			if len(b.Elements) > 10 {
				t.Errorf("block %d: %d context elements", i, len(b.Elements))
			}
			for _, e := range b.Elements {
				if n := utf16Len(e.Text); n > 2000 {
					t.Errorf("block %d: context element %d chars", i, n)
				}
			}
		}
	}
}

func TestLimits(t *testing.T) {
	huge := func(unit string, n int) string { return strings.Repeat(unit, n) }
	many := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + huge("x", 300) + string(rune('a'+i%26))
		}
		return out
	}
	base := mkFinding(1, "critical")
	tests := []struct {
		name string
		mod  func(f *finding.Finding)
	}{
		{"500 event ids", func(f *finding.Finding) { f.EventIDs = many("ev-", 500) }},
		{"100 KB user agent", func(f *finding.Finding) { f.UserAgents = []string{huge("Mozilla/5.0 ", 100*1024/12)} }},
		{"many long lists", func(f *finding.Finding) {
			f.SessionNames, f.SourceIPs, f.UserAgents, f.VPCEndpoints = many("s", 1000), many("ip", 1000), many("ua", 1000), many("vpce", 1000)
			f.Resources, f.EventNames, f.ErrorCodes, f.Regions = many("arn", 200), many("ev", 200), many("err", 200), many("r", 200)
		}},
		{"escaping expands", func(f *finding.Finding) {
			f.SessionNames = []string{huge("&<>", 10000)}
			f.UserAgents = []string{huge("\u202e", 5000), huge("&", 5000)}
			f.Reason = huge("&", 20000)
		}},
		{"huge title reason query", func(f *finding.Finding) {
			f.Title, f.Reason, f.Query = huge("🚨T", 10000), huge("why ", 50000), "SELECT "+huge("'&x', ", 30000)+"1"
		}},
		{"emoji everywhere", func(f *finding.Finding) {
			f.Title = huge("🔑", 500)
			f.PrincipalName = huge("🔑", 500)
			f.SessionNames = []string{huge("🔑", 3000)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.mod(&f)
			r := alert.Renderer{Location: mustZone("Europe/Berlin"), Region: "eu-central-1"}
			msg := r.Finding(f, alert.Extras{QueryURL: alert.EditorURL("eu-central-1"), QueryNote: "(query editor)"})
			checkLimits(t, msg)
			raw, _ := json.Marshal(msg)
			if !strings.Contains(string(raw), "… (truncated)") && !strings.Contains(string(raw), "more") {
				t.Error("nothing marked as cut")
			}
			// The summary of many such findings keeps its limits too.
			fs := make([]finding.Finding, 60)
			for i := range fs {
				fs[i] = f
				fs[i].ID = f.ID + string(rune('a'+i%26)) + string(rune('a'+i/26))
			}
			checkLimits(t, r.Summary(fs, 0, true))

			// Slack's client types decode what we send.
			c := newClock(t0)
			s := startSlack(t, c)
			rep, err := newAlerter(s, stores(t)["dir"](t), c).Run(context.Background(), []finding.Finding{f})
			if err != nil || len(rep.Posted) != 1 {
				t.Fatalf("post: %v %+v", err, rep)
			}
		})
	}
}
