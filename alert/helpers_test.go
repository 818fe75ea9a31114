package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/s3test"
	"github.com/keytrail/keytrail/queries"
)

// clock is a test clock; sleeping on it advances it.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// post is a chat.postMessage call the test server accepted.
type post struct {
	Channel, TS, ThreadTS, Text string
	Blocks                      json.RawMessage
	Metadata                    slack.SlackMetadata
	Form                        url.Values
}

func (p post) findingID() string {
	id, _ := p.Metadata.EventPayload["finding_id"].(string)
	return id
}

// failure is an injected chat.postMessage answer.
type failure struct {
	status     int
	retryAfter string
	posted     bool   // record the message anyway (Slack posted, then failed)
	slackError string // answer 200 {"ok":false,"error":…}
}

// slackServer is slacktest's server with handlers that keep the channel's
// messages: chat.postMessage records them (with their metadata), and
// conversations.history/replies answer from them, as Slack does.
type slackServer struct {
	*slacktest.Server
	clock *clock

	mu       sync.Mutex
	seq      int
	posts    []post
	fail     []failure
	calls    map[string]int
	webhooks []slack.WebhookMessage
	uploads  map[string]*upload // by file id
	files    []*upload          // shared by files.completeUploadExternal, in order
	// failComplete answers files.completeUploadExternal with this error.
	failComplete string
}

// upload is a file the test server received: the parameters of
// files.getUploadURLExternal, the bytes posted to the upload URL and where
// files.completeUploadExternal shared it.
type upload struct {
	ID, Filename, SnippetType, Title string
	Length                           int
	Content                          []byte
	Channel, ThreadTS                string
}

const channelID = "C0SECURITY"

func startSlack(t *testing.T, c *clock) *slackServer {
	t.Helper()
	s := &slackServer{clock: c, calls: map[string]int{}, uploads: map[string]*upload{}}
	s.Server = slacktest.NewTestServer(func(cz slacktest.Customize) {
		cz.Handle("/chat.postMessage", s.postMessage)
		cz.Handle("/files.getUploadURLExternal", s.getUploadURL)
		cz.Handle("/upload/", s.uploadContent)
		cz.Handle("/files.completeUploadExternal", s.completeUpload)
		cz.Handle("/conversations.history", s.history)
		cz.Handle("/conversations.replies", s.replies)
		cz.Handle("/services/T000/B000/secretpart", s.webhook)
	})
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

func (s *slackServer) client() *slack.Client {
	return slack.New("xoxb-test-token", slack.OptionAPIURL(s.GetAPIURL()))
}

func (s *slackServer) failNext(fs ...failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, fs...)
}

func (s *slackServer) Posts() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}

func (s *slackServer) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *slackServer) postMessage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["chat.postMessage"]++
	var f failure
	if len(s.fail) > 0 {
		f, s.fail = s.fail[0], s.fail[1:]
	}
	if (f.status == 0 && f.slackError == "") || f.posted {
		var blocks slack.Blocks
		if err := json.Unmarshal([]byte(r.Form.Get("blocks")), &blocks); err != nil {
			http.Error(w, "bad blocks: "+err.Error(), http.StatusBadRequest)
			return
		}
		p := post{Channel: r.Form.Get("channel"), ThreadTS: r.Form.Get("thread_ts"), Text: r.Form.Get("text"),
			Blocks: json.RawMessage(r.Form.Get("blocks")), Form: r.Form}
		if md := r.Form.Get("metadata"); md != "" {
			if err := json.Unmarshal([]byte(md), &p.Metadata); err != nil {
				http.Error(w, "bad metadata: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		s.seq++
		p.TS = fmt.Sprintf("%d.%06d", s.clock.Now().Unix(), s.seq)
		s.posts = append(s.posts, p)
		if f.status == 0 && f.slackError == "" {
			writeJSON(w, map[string]any{"ok": true, "channel": p.Channel, "ts": p.TS})
			return
		}
	}
	if f.slackError != "" {
		writeJSON(w, map[string]any{"ok": false, "error": f.slackError})
		return
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	http.Error(w, http.StatusText(f.status), f.status)
}

func tsAtLeast(ts, oldest string) bool {
	a, _ := strconv.ParseFloat(ts, 64)
	b, _ := strconv.ParseFloat(oldest, 64)
	return oldest == "" || a >= b
}

func (s *slackServer) message(p post, withMeta bool) slack.Message {
	m := slack.Message{}
	m.Type, m.Channel, m.Timestamp, m.ThreadTimestamp, m.Text = "message", p.Channel, p.TS, p.ThreadTS, p.Text
	if withMeta {
		m.Metadata = p.Metadata
	}
	return m
}

func (s *slackServer) history(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["conversations.history"]++
	withMeta := r.Form.Get("include_all_metadata") == "1"
	msgs := []slack.Message{}
	for i := len(s.posts) - 1; i >= 0; i-- { // newest first
		p := s.posts[i]
		if p.Channel == r.Form.Get("channel") && p.ThreadTS == "" && tsAtLeast(p.TS, r.Form.Get("oldest")) {
			msgs = append(msgs, s.message(p, withMeta))
		}
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func (s *slackServer) replies(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["conversations.replies"]++
	withMeta := r.Form.Get("include_all_metadata") == "1"
	parent := r.Form.Get("ts")
	msgs := []slack.Message{}
	for _, p := range s.posts {
		if p.Channel == r.Form.Get("channel") && (p.TS == parent || p.ThreadTS == parent) && tsAtLeast(p.TS, r.Form.Get("oldest")) {
			msgs = append(msgs, s.message(p, withMeta))
		}
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func (s *slackServer) webhook(w http.ResponseWriter, r *http.Request) {
	var m slack.WebhookMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["webhook"]++
	var f failure
	if len(s.fail) > 0 {
		f, s.fail = s.fail[0], s.fail[1:]
	}
	if f.status != 0 {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	s.webhooks = append(s.webhooks, m)
	_, _ = w.Write([]byte("ok"))
}

func (s *slackServer) getUploadURL(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["files.getUploadURLExternal"]++
	n, _ := strconv.Atoi(r.Form.Get("length"))
	u := &upload{ID: fmt.Sprintf("F%04d", len(s.uploads)+1), Filename: r.Form.Get("filename"), SnippetType: r.Form.Get("snippet_type"), Length: n}
	s.uploads[u.ID] = u
	writeJSON(w, map[string]any{"ok": true, "upload_url": s.GetAPIURL() + "upload/" + u.ID, "file_id": u.ID})
}

func (s *slackServer) uploadContent(w http.ResponseWriter, r *http.Request) {
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[strings.TrimPrefix(r.URL.Path, "/upload/")]
	if !ok {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	u.Content = b
	_, _ = w.Write([]byte("OK - " + strconv.Itoa(len(b))))
}

func (s *slackServer) completeUpload(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["files.completeUploadExternal"]++
	if s.failComplete != "" {
		writeJSON(w, map[string]any{"ok": false, "error": s.failComplete})
		return
	}
	var fs []struct{ ID, Title string }
	if err := json.Unmarshal([]byte(r.Form.Get("files")), &fs); err != nil || len(fs) != 1 {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	u, ok := s.uploads[fs[0].ID]
	if !ok || u.Content == nil {
		writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
		return
	}
	u.Title, u.Channel, u.ThreadTS = fs[0].Title, r.Form.Get("channel_id"), r.Form.Get("thread_ts")
	s.files = append(s.files, u)
	writeJSON(w, map[string]any{"ok": true, "files": []map[string]any{{"id": u.ID, "title": u.Title}}})
}

func (s *slackServer) Files() []*upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.files)
}

func (s *slackServer) webhookURL() string {
	return strings.TrimSuffix(s.GetAPIURL(), "/") + "/services/T000/B000/secretpart"
}

// stores returns the stores delivery tests run against: a local folder,
// and a real S3 server (versitygw, one per calling test, a fresh bucket and
// prefix per store).
func stores(outer *testing.T) map[string]func(t *testing.T) alert.Store {
	var (
		once sync.Once
		srv  *s3test.Server
		n    int
		mu   sync.Mutex
	)
	return map[string]func(t *testing.T) alert.Store{
		"dir": func(t *testing.T) alert.Store {
			d, err := lake.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"s3": func(t *testing.T) alert.Store {
			if testing.Short() {
				t.Skip("S3 server in -short mode")
			}
			once.Do(func() { srv = s3test.Start(outer) })
			mu.Lock()
			n++
			bucket := fmt.Sprintf("lake-%d", n)
			mu.Unlock()
			srv.Bucket(t, bucket)
			st, err := lake.NewS3(srv.Client(t), bucket, "keytrail", lake.S3Options{})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
}

var t0 = time.Date(2026, 3, 2, 1, 13, 5, 0, time.UTC)

// mkFinding returns a finding with realistic fields; i varies id and group.
func mkFinding(i int, sev string) finding.Finding {
	return finding.Finding{
		ID:               fmt.Sprintf("f%04d", i),
		Kind:             finding.KindOffHours,
		Severity:         sev,
		Principal:        fmt.Sprintf("arn:aws:iam::111122223333:role/app-%d", i),
		Resource:         "arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/db-AbCdEf",
		Start:            t0.Add(-2 * time.Hour),
		End:              t0.Add(-90 * time.Minute),
		Count:            3,
		Title:            fmt.Sprintf("Off-hours secret read by app-%d", i),
		Reason:           "3 GetSecretValue calls at 02:13-02:43 Europe/Berlin, outside working hours (08:00-19:00); this principal never read it off-hours in 30 days",
		EventIDs:         []string{"e1", "e2", "e3"},
		Query:            "SELECT event_time, event_name FROM keytrail.events WHERE day BETWEEN '2026-03-01' AND '2026-03-02' AND principal_arn = 'arn:aws:iam::111122223333:role/app' ORDER BY event_time",
		PrincipalName:    fmt.Sprintf("app-%d", i),
		PrincipalAccount: "111122223333",
		CallerKind:       "workload",
		SessionNames:     []string{"i-0abc"},
		EventNames:       []string{"GetSecretValue"},
		SourceIPs:        []string{"203.0.113.7"},
		UserAgents:       []string{"aws-sdk-go-v2/1.30.0 os/linux"},
		Regions:          []string{"eu-central-1"},
	}
}

// newAlerter returns a bot-token alerter on the test server and clock.
func newAlerter(s *slackServer, st alert.Store, c *clock) *alert.Alerter {
	return &alert.Alerter{
		Store:   st,
		Slack:   s.client(),
		Channel: channelID,
		Render:  alert.Renderer{Location: mustZone("Europe/Berlin"), Region: "eu-central-1", Workgroup: "keytrail"},
		Query:   queries.Evidence,
		Now:     c.Now,
		Sleep:   c.Sleep,
		Jitter:  func(time.Duration) time.Duration { return 0 },
		Logger:  slog.New(slog.DiscardHandler),
	}
}

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// postsByFinding counts posts per finding id.
func postsByFinding(ps []post) map[string]int {
	m := map[string]int{}
	for _, p := range ps {
		if id := p.findingID(); id != "" {
			m[id]++
		}
	}
	return m
}

// readRecord reads a finding's delivery record.
func readRecord(t *testing.T, st alert.Store, id string) alert.Record {
	t.Helper()
	rc, _, err := st.Get(context.Background(), alert.RecordKey(id))
	if err != nil {
		t.Fatalf("read record %s: %v", id, err)
	}
	defer rc.Close()
	var r alert.Record
	if err := json.NewDecoder(rc).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func slacktestServer(t *testing.T) *slack.Client {
	srv := slacktest.NewTestServer()
	srv.Start()
	t.Cleanup(srv.Stop)
	return slack.New("xoxb-test-token", slack.OptionAPIURL(srv.GetAPIURL()))
}
