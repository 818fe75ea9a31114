package evalorg

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// The default world is generated once and shared: it is the expensive
// part (about 22,000 files).
var fixture struct {
	once  sync.Once
	dir   string
	w     *world
	world *World
	err   error
	took  time.Duration
	// sums holds each written file's SHA-256 by key.
	sums map[string][32]byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

func generated(t *testing.T) (*world, *World, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("generates three weeks of CloudTrail (about 22,000 files)")
	}
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "evalorg-")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir = filepath.Join(dir, "bucket")
		start := time.Now()
		w, err := build(DefaultConfig())
		if err != nil {
			fixture.err = err
			return
		}
		var mu sync.Mutex
		fixture.sums = map[string][32]byte{}
		st, err := w.deliver(func(key string, body []byte) error {
			sum := sha256.Sum256(body)
			mu.Lock()
			fixture.sums[key] = sum
			mu.Unlock()
			return writeFile(filepath.Join(fixture.dir, filepath.FromSlash(key)), body)
		})
		if err != nil {
			fixture.err = err
			return
		}
		fixture.w, fixture.world, fixture.took = w, w.result(st), time.Since(start)
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.w, fixture.world, fixture.dir
}

// TestGenerateDeterministic builds the default world a second time and
// delivers it into memory: every file must have the bytes of the one the
// first run wrote (whose hashes it kept), and none may be missing or new.
// Another seed gives other records.
func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	_, first, dir := generated(t)
	if n := countFiles(t, dir); n != len(fixture.sums) {
		t.Fatalf("%d files on disk, %d written", n, len(fixture.sums))
	}
	w, err := build(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var diffs []string
	n := 0
	st, err := w.deliver(func(key string, body []byte) error {
		sum := sha256.Sum256(body)
		mu.Lock()
		defer mu.Unlock()
		n++
		switch want, ok := fixture.sums[key]; {
		case !ok:
			diffs = append(diffs, key+": not in the first run")
		case want != sum:
			diffs = append(diffs, key+": differs")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("second run with the same seed: %d of %d files differ, first: %v", len(diffs), n, diffs[:min(5, len(diffs))])
	}
	if n != len(fixture.sums) || st.Files+st.Digests != n {
		t.Fatalf("second run delivered %d files (stats %d+%d), first %d", n, st.Files, st.Digests, len(fixture.sums))
	}
	if st.Kept != first.Stats.Kept {
		t.Fatalf("kept %d, first run %d", st.Kept, first.Stats.Kept)
	}

	cfg := DefaultConfig()
	cfg.Seed = 2
	other, err := build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fingerprint(w), fingerprint(other); a == b {
		t.Fatal("seeds 1 and 2 give the same records")
	}
	if len(other.evs) == len(w.evs) {
		t.Errorf("seeds 1 and 2 give the same number of events (%d)", len(w.evs))
	}
}

func fingerprint(w *world) [32]byte {
	h := sha256.New()
	var b []byte
	for i := range w.evs {
		b = w.appendRecord(b[:0], &w.evs[i])
		h.Write(b)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// record holds the members every CloudTrail record has, and those a label
// check needs.
type record struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity *struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext *struct {
			SessionIssuer *struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventTime           string          `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	AWSRegion           string          `json:"awsRegion"`
	SourceIPAddress     *string         `json:"sourceIPAddress"`
	UserAgent           *string         `json:"userAgent"`
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData"`
	Resources           json.RawMessage `json:"resources"`
	RequestID           string          `json:"requestID"`
	EventID             string          `json:"eventID"`
	EventType           string          `json:"eventType"`
	ManagementEvent     *bool           `json:"managementEvent"`
	ReadOnly            *bool           `json:"readOnly"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	EventCategory       string          `json:"eventCategory"`
	VPCEndpointID       string          `json:"vpcEndpointId"`
	ErrorCode           string          `json:"errorCode"`
}

// principal derives the canonical principal from the record itself (not
// through keytrail's code): the issuing role of a session, the user, the
// account's root, or the service.
func (r *record) principal() string {
	ui := r.UserIdentity
	switch ui.Type {
	case "AssumedRole":
		if ui.SessionContext != nil && ui.SessionContext.SessionIssuer != nil {
			return ui.SessionContext.SessionIssuer.ARN
		}
	case "IAMUser":
		return ui.ARN
	case "AWSAccount":
		return "arn:aws:iam::" + ui.AccountID + ":root"
	case "AWSService", "":
		return ui.InvokedBy
	}
	return ""
}

// mentions reports whether the record names res: a key by its ARN, a
// secret by its ARN, its ARN without the suffix, or its name.
func (r *record) mentions(res string) bool {
	parts := [][]byte{r.RequestParameters, r.ResponseElements, r.AdditionalEventData, r.Resources}
	cands := []string{res}
	if strings.Contains(res, ":secretsmanager:") {
		partial := res[:len(res)-7]
		name := partial[strings.Index(partial, ":secret:")+len(":secret:"):]
		cands = append(cands, partial+`"`)
		if strings.Contains(res, ":"+r.AWSRegion+":"+r.RecipientAccountID+":") {
			cands = append(cands, `"`+name+`"`)
		}
	}
	for _, p := range parts {
		for _, c := range cands {
			if bytes.Contains(p, []byte(c)) {
				return true
			}
		}
	}
	return false
}

var (
	logKey    = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4}/\d{2}/\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)
	digestKey = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail-Digest/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_` + trailName + `_eu-central-1_\d{8}T\d{6}Z\.json\.gz$`)
	uuidRe    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// scanResult is what one pass over every file found.
type scanResult struct {
	files, digests int
	records, kept  int
	problems       []string
	ids            map[string]int
	// Per label (by ID): its principal and each resource seen in a
	// record inside its span.
	principalSeen map[string]bool
	resourceSeen  map[string]map[string]bool
}

var scanned struct {
	once sync.Once
	res  *scanResult
}

func (s *scanResult) problem(format string, args ...any) {
	if len(s.problems) < 30 {
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
	}
}

// scan reads every file once, checks each record and its file, and notes
// what the label checks need.
func scan(t *testing.T) *scanResult {
	t.Helper()
	_, world, dir := generated(t)
	scanned.once.Do(func() {
		res := &scanResult{ids: map[string]int{}, principalSeen: map[string]bool{}, resourceSeen: map[string]map[string]bool{}}
		labels := slices.Concat(world.Incidents, world.Benign)
		byPrincipal := map[string][]Label{}
		for _, l := range labels {
			byPrincipal[l.Principal] = append(byPrincipal[l.Principal], l)
			res.resourceSeen[l.ID] = map[string]bool{}
		}
		var keys []string
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				keys = append(keys, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil {
			res.problem("walk: %v", err)
		}
		// Two workers, each with its own tallies, merged at the end.
		parts := make([]*scanResult, 2)
		var wg sync.WaitGroup
		for k := range parts {
			part := &scanResult{ids: map[string]int{}, principalSeen: map[string]bool{}, resourceSeen: map[string]map[string]bool{}}
			for _, l := range labels {
				part.resourceSeen[l.ID] = map[string]bool{}
			}
			parts[k] = part
			wg.Go(func() {
				zr := new(gzip.Reader)
				for i := k; i < len(keys); i += len(parts) {
					part.scanFile(dir, keys[i], zr, byPrincipal)
				}
			})
		}
		wg.Wait()
		for _, part := range parts {
			res.files += part.files
			res.digests += part.digests
			res.records += part.records
			res.kept += part.kept
			for _, p := range part.problems {
				res.problem("%s", p)
			}
			for id, n := range part.ids {
				res.ids[id] += n
			}
			for id := range part.principalSeen {
				res.principalSeen[id] = true
			}
			for id, m := range part.resourceSeen {
				for r := range m {
					res.resourceSeen[id][r] = true
				}
			}
		}
		scanned.res = res
	})
	return scanned.res
}

func (s *scanResult) scanFile(dir, key string, zr *gzip.Reader, byPrincipal map[string][]Label) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil {
		s.problem("%s: %v", key, err)
		return
	}
	defer f.Close()
	if err := zr.Reset(f); err != nil {
		s.problem("%s: not gzip: %v", key, err)
		return
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		s.problem("%s: gzip: %v", key, err)
		return
	}
	if strings.Contains(key, "/CloudTrail-Digest/") {
		s.digests++
		s.checkDigest(key, body)
		return
	}
	s.files++
	s.checkLog(key, body, byPrincipal)
}

func (s *scanResult) checkDigest(key string, body []byte) {
	if !digestKey.MatchString(key) {
		s.problem("%s: not a digest key", key)
	}
	var d struct {
		AWSAccountID   string            `json:"awsAccountId"`
		DigestStart    string            `json:"digestStartTime"`
		DigestEnd      string            `json:"digestEndTime"`
		DigestS3Object string            `json:"digestS3Object"`
		LogFiles       []json.RawMessage `json:"logFiles"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.AWSAccountID == "" || d.DigestS3Object != key || len(d.LogFiles) == 0 {
		s.problem("%s: digest %+v (%v)", key, d, err)
	}
}

func (s *scanResult) checkLog(key string, body []byte, byPrincipal map[string][]Label) {
	m := logKey.FindStringSubmatch(key)
	if m == nil || m[1] != m[4] || m[2] != m[5] {
		s.problem("%s: not a CloudTrail log key", key)
		return
	}
	acct, region := m[1], m[2]
	stamp, _ := time.Parse("20060102T1504Z", m[6])
	if stamp.Format("2006/01/02") != m[3] {
		s.problem("%s: folder is not the delivery date", key)
	}
	// CloudTrail writes exactly one object with one member.
	if !bytes.HasPrefix(body, []byte(`{"Records":[`)) || !bytes.HasSuffix(body, []byte("]}")) {
		s.problem("%s: want {\"Records\":[...]}", key)
		return
	}
	var file struct {
		Records []record `json:"Records"`
	}
	if err := json.Unmarshal(body, &file); err != nil || len(file.Records) == 0 {
		s.problem("%s: %v", key, err)
		return
	}
	var newest time.Time
	for i := range file.Records {
		r := &file.Records[i]
		s.records++
		if r.EventSource == srcSM || r.EventSource == srcKMS {
			s.kept++
		}
		t, err := time.Parse(time.RFC3339, r.EventTime)
		switch {
		case err != nil || !strings.HasSuffix(r.EventTime, "Z"):
			s.problem("%s[%d]: eventTime %q", key, i, r.EventTime)
		case r.EventVersion == "" || r.EventSource == "" || r.EventName == "" || r.AWSRegion == "" ||
			r.UserIdentity == nil || r.SourceIPAddress == nil || r.UserAgent == nil || r.EventType == "" ||
			r.EventCategory == "" || r.RecipientAccountID == "":
			s.problem("%s[%d]: a member CloudTrail always writes is missing: %+v", key, i, r)
		case !uuidRe.MatchString(r.EventID) || r.RequestID == "":
			s.problem("%s[%d]: ids %q %q", key, i, r.EventID, r.RequestID)
		case r.RecipientAccountID != acct || r.AWSRegion != region:
			s.problem("%s[%d]: %s/%s in the file of %s/%s", key, i, r.RecipientAccountID, r.AWSRegion, acct, region)
		case r.EventType != "AwsVpceEvent" && (r.ManagementEvent == nil || r.ReadOnly == nil || r.RequestParameters == nil || r.ResponseElements == nil):
			s.problem("%s[%d]: an API record without managementEvent, readOnly, requestParameters or responseElements", key, i)
		case r.EventType == "AwsVpceEvent" && (r.EventCategory != "NetworkActivity" || r.VPCEndpointID == "" || r.ErrorCode != "VpceAccessDenied"):
			s.problem("%s[%d]: a network activity record without its members", key, i)
		}
		if t.After(newest) {
			newest = t
		}
		s.ids[r.EventID]++
		for _, l := range byPrincipal[r.principal()] {
			if t.Before(l.Start) || t.After(l.End) {
				continue
			}
			s.principalSeen[l.ID] = true
			for _, res := range l.Resources {
				if r.mentions(res) {
					s.resourceSeen[l.ID][res] = true
				}
			}
		}
	}
	// Delivered a few minutes after its newest event (a repeated event
	// may be older).
	if lag := stamp.Sub(newest); lag < 0 || lag > 15*time.Minute {
		s.problem("%s: stamped %v after its newest event", key, lag)
	}
}

// TestFiles checks every file as CloudTrail would have written it, and the
// world's size and mix.
func TestFiles(t *testing.T) {
	t.Parallel()
	w, world, _ := generated(t)
	s := scan(t)
	if len(s.problems) > 0 {
		t.Fatalf("%d problems, first:\n%s", len(s.problems), strings.Join(s.problems, "\n"))
	}
	st := world.Stats
	if s.files != st.Files || s.digests != st.Digests || s.records != st.Records || s.kept != st.Kept {
		t.Fatalf("read %d files, %d digests, %d records (%d kept); stats say %d, %d, %d (%d)",
			s.files, s.digests, s.records, s.kept, st.Files, st.Digests, st.Records, st.Kept)
	}
	if st.Events < 150_000 || st.Events > 400_000 {
		t.Errorf("%d Secrets Manager and KMS events, want 150k-400k for 21 days", st.Events)
	}
	if share := float64(st.Records-st.Kept) / float64(st.Records); share < 0.20 || share > 0.40 {
		t.Errorf("other services are %.0f%% of the records, want 20-40%%", 100*share)
	}
	if st.Digests == 0 {
		t.Error("no digest files")
	}
	repeated := 0
	for _, n := range s.ids {
		if n > 2 {
			t.Fatalf("an eventID delivered %d times", n)
		}
		if n == 2 {
			repeated++
		}
	}
	if repeated == 0 || repeated != st.Duplicates {
		t.Errorf("%d events delivered twice, stats say %d", repeated, st.Duplicates)
	}
	if len(s.ids) != len(w.evs) {
		t.Errorf("%d distinct eventIDs, %d events generated", len(s.ids), len(w.evs))
	}
	for d, n := range st.PerDay {
		t.Logf("day %2d: %6d Secrets Manager/KMS events", d, n)
	}
	t.Logf("%d files (+%d digests), %d records, %d Secrets Manager/KMS rows (%d repeated deliveries), generated in %v",
		st.Files, st.Digests, st.Records, st.Kept, st.Duplicates, fixture.took)
}

// TestLabels checks the labels against the records: each label's
// principal and resources appear inside its span, each incident's events
// are inside its span, and the labels say what the scenarios mean.
func TestLabels(t *testing.T) {
	t.Parallel()
	w, world, _ := generated(t)
	if len(world.Incidents) < 15 || len(world.Benign) < 11 {
		t.Fatalf("%d incidents and %d look-alikes, want at least 15 and 11", len(world.Incidents), len(world.Benign))
	}
	week := w.at(w.eval, 0, 0, 0)
	ids := map[string]bool{}
	for _, l := range slices.Concat(world.Incidents, world.Benign) {
		if ids[l.ID] {
			t.Errorf("label %s twice", l.ID)
		}
		ids[l.ID] = true
		if l.Start.After(l.End) || l.Start.Location() != time.UTC || l.Principal == "" || l.Class == "" || l.Description == "" {
			t.Errorf("label %s: %+v", l.ID, l)
		}
		if l.Start.Before(week) || l.End.After(w.end) {
			t.Errorf("label %s: %v..%v outside the incident week from %v", l.ID, l.Start, l.End, week)
		}
	}
	for _, l := range world.Incidents {
		if l.MinSeverity != "low" && l.MinSeverity != "medium" {
			t.Errorf("incident %s: min severity %q", l.ID, l.MinSeverity)
		}
	}
	for _, l := range world.Benign {
		if l.MinSeverity != "" {
			t.Errorf("look-alike %s: min severity %q", l.ID, l.MinSeverity)
		}
	}

	s := scan(t)
	for _, l := range slices.Concat(world.Incidents, world.Benign) {
		if !s.principalSeen[l.ID] {
			t.Errorf("label %s: no record of %s in %v..%v", l.ID, l.Principal, l.Start, l.End)
		}
		for _, r := range l.Resources {
			if !s.resourceSeen[l.ID][r] {
				t.Errorf("label %s: no record of %s naming %s in its span", l.ID, l.Principal, r)
			}
		}
	}

	// Every labelled event is inside its label's span.
	spans := map[string]Label{}
	for _, l := range slices.Concat(world.Incidents, world.Benign) {
		spans[l.ID] = l
	}
	for i := range w.evs {
		e := &w.evs[i]
		if e.label == 0 {
			continue
		}
		l := spans[w.labels[e.label-1].ID]
		if e.t.Before(l.Start) || e.t.After(l.End) {
			t.Fatalf("event %s %s at %v outside %s's span %v..%v", e.src, e.name, e.t, l.ID, l.Start, l.End)
		}
	}
}

// labelled returns the events of a label, and the principal's events
// before the label started.
func labelled(w *world, id string) (in, before []*ev) {
	n := slices.IndexFunc(w.labels, func(l *labelDef) bool { return l.ID == id })
	if n < 0 {
		panic("no label " + id)
	}
	l := w.labels[n]
	for i := range w.evs {
		e := &w.evs[i]
		switch {
		case int(e.label) == n+1:
			in = append(in, e)
		case e.who.principal == l.Principal && e.t.Before(l.Start):
			before = append(before, e)
		}
	}
	return in, before
}

func count(evs []*ev, keep func(*ev) bool) int {
	n := 0
	for _, e := range evs {
		if keep(e) {
			n++
		}
	}
	return n
}

// TestScenarios checks that each scenario is what its label says: the
// volumes, the absence of history where "new" is the point, and the
// presence of history where "as always" is.
func TestScenarios(t *testing.T) {
	t.Parallel()
	w, _, _ := generated(t)
	kept := func(e *ev) bool { return e.kept() }
	named := func(names ...string) func(*ev) bool {
		return func(e *ev) bool { return slices.Contains(names, e.name) }
	}

	t.Run("I01 decrypt burst by a role created minutes before", func(t *testing.T) {
		in, before := labelled(w, "I01")
		if len(before) > 0 {
			t.Errorf("the role has %d events before CreateRole", len(before))
		}
		var first, last time.Time
		n := 0
		for _, e := range in {
			if e.name == "Decrypt" {
				if first.IsZero() || e.t.Before(first) {
					first = e.t
				}
				if e.t.After(last) {
					last = e.t
				}
				n++
			}
		}
		create := slices.IndexFunc(in, func(e *ev) bool { return e.name == "CreateRole" })
		if n < 1500 || n > 2000 || last.Sub(first) > 45*time.Minute || create < 0 || first.Sub(in[create].t) > 15*time.Minute {
			t.Errorf("%d decrypts over %v, CreateRole found %v", n, last.Sub(first), create >= 0)
		}
	})
	t.Run("I02 a role with no history reads 25 secrets", func(t *testing.T) {
		in, before := labelled(w, "I02")
		if n := count(before, kept); n > 0 {
			t.Errorf("%d Secrets Manager/KMS events before", n)
		}
		if len(before) == 0 {
			t.Error("the role should exist and do other things before")
		}
		if n := count(in, named("GetSecretValue")); n != 25 {
			t.Errorf("%d reads", n)
		}
	})
	t.Run("I03 secrets never read under the permission set", func(t *testing.T) {
		in, before := labelled(w, "I03")
		old := map[string]bool{}
		for _, e := range before {
			if e.name == "GetSecretValue" {
				old[stringField(e.req, "secretId")] = true
			}
		}
		n := 0
		for _, e := range in {
			if e.name == "GetSecretValue" {
				n++
				if old[stringField(e.req, "secretId")] {
					t.Errorf("%s was read before", stringField(e.req, "secretId"))
				}
			}
		}
		d := w.dayOf(in[0].t)
		if n != 20 || w.workday(d) {
			t.Errorf("%d reads on %s (workday %v)", n, w.dayName(d), w.workday(d))
		}
	})
	t.Run("I11 and I12 fail every Secrets Manager and KMS call", func(t *testing.T) {
		for _, id := range []string{"I11", "I12"} {
			in, _ := labelled(w, id)
			calls := count(in, kept)
			if failed := count(in, func(e *ev) bool { return e.kept() && e.errCode != "" }); failed != calls || calls < 20 {
				t.Errorf("%s: %d of %d calls failed", id, failed, calls)
			}
		}
	})
	t.Run("I14 principal never used BatchGetSecretValue", func(t *testing.T) {
		in, before := labelled(w, "I14")
		if n := count(before, named("BatchGetSecretValue")); n > 0 || count(in, named("BatchGetSecretValue")) == 0 {
			t.Errorf("%d batch calls before", n)
		}
	})
	t.Run("I15 five or more regions within minutes", func(t *testing.T) {
		in, _ := labelled(w, "I15")
		regions := map[string]bool{}
		for _, e := range in {
			if e.name == "GetSecretValue" {
				regions[e.region] = true
			}
		}
		if len(regions) < 5 || in[len(in)-1].t.Sub(in[0].t) > 10*time.Minute {
			t.Errorf("%d regions", len(regions))
		}
	})
	t.Run("I16 by someone who never administered keys", func(t *testing.T) {
		_, before := labelled(w, "I16")
		admin := named("CreateKey", "PutKeyPolicy", "ImportKeyMaterial", "GetParametersForImport", "ScheduleKeyDeletion", "DisableKey", "CreateGrant", "EnableKeyRotation", "CreateAlias")
		if n := count(before, admin); n > 0 {
			t.Errorf("%d key administration calls before", n)
		}
	})
	t.Run("B01 release reads the usual secrets, 3-5x an ordinary release", func(t *testing.T) {
		in, before := labelled(w, "B01")
		usual := map[string]bool{}
		releases := map[string]int{}
		for _, e := range before {
			if e.name == "GetSecretValue" {
				usual[stringField(e.req, "secretId")] = true
				releases[e.who.session]++
			}
		}
		reads := 0
		for _, e := range in {
			if e.name == "GetSecretValue" {
				reads++
				if !usual[stringField(e.req, "secretId")] {
					t.Errorf("%s not read before", stringField(e.req, "secretId"))
				}
			}
		}
		total := 0
		for _, n := range releases {
			total += n
		}
		ordinary := float64(total) / float64(len(releases))
		if r := float64(reads) / ordinary; r < 3 || r > 5 {
			t.Errorf("%d reads, an ordinary release %.1f: ratio %.1f", reads, ordinary, r)
		}
	})
	t.Run("look-alikes that happen every day happened in the warmup", func(t *testing.T) {
		for _, id := range []string{"B05", "B06", "B07", "B08", "B09", "B10", "B20", "B21"} {
			_, before := labelled(w, id)
			days := map[int]bool{}
			for _, e := range before {
				if e.kept() {
					days[w.dayOf(e.t)] = true
				}
			}
			if len(days) < 2 {
				t.Errorf("%s: seen on %d days before", id, len(days))
			}
		}
	})
	t.Run("B17 break-glass never used before", func(t *testing.T) {
		if _, before := labelled(w, "B17"); len(before) > 0 {
			t.Errorf("%d events before", len(before))
		}
	})
}

// TestLocalTime: schedules are local. The nightly 02:00 job runs at 00:00
// UTC in winter time and 23:00 UTC the evening before in summer time
// (from Friday 27 March 2026), and nobody signs in on a holiday.
func TestLocalTime(t *testing.T) {
	t.Parallel()
	w, world, _ := generated(t)
	if !slices.Equal(world.Holidays, []string{"2026-04-02", "2026-04-08"}) {
		t.Errorf("holidays %v", world.Holidays)
	}
	j := w.jobNamed("ledger-reconcile")
	hours := map[string]int{} // by local date
	for i := range w.evs {
		e := &w.evs[i]
		if e.who.principal == j.role.arn && e.name == "GetSecretValue" {
			if _, ok := hours[w.dayName(w.dayOf(e.t))]; !ok {
				hours[w.dayName(w.dayOf(e.t))] = e.t.Hour()
			}
		}
	}
	for day, h := range hours {
		want := 23
		if day < "2026-03-27" {
			want = 0
		}
		if day == "2026-03-27" {
			continue // the night the clocks move
		}
		if h != want {
			t.Errorf("%s: the 02:00 job ran at %02d UTC, want %02d", day, h, want)
		}
	}
	if len(hours) < 20 {
		t.Errorf("job seen on %d days", len(hours))
	}
	for i := range w.evs {
		e := &w.evs[i]
		if e.name == "AssumeRoleWithSAML" && w.holiday(w.dayOf(e.t)) && e.label == 0 {
			role := stringField(e.req, "roleArn")
			if !strings.Contains(role, "SREProd") { // on call
				t.Errorf("%s signs in on holiday %s as %s", stringField(e.req, "roleSessionName"), w.dayName(w.dayOf(e.t)), path.Base(role))
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig()
	for _, c := range []struct {
		name string
		edit func(*Config)
	}{
		{"not midnight", func(c *Config) { c.Start = c.Start.Add(time.Hour) }},
		{"not UTC", func(c *Config) { c.Start = c.Start.In(time.FixedZone("IST", 2*3600)) }},
		{"short warmup", func(c *Config) { c.Warmup, c.Days = 3, 10 }},
		{"days not warmup+7", func(c *Config) { c.Days = 30 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			c.edit(&cfg)
			if _, err := Generate(cfg, t.TempDir()); err == nil {
				t.Fatalf("Generate(%+v) accepted", cfg)
			}
		})
	}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
}

// TestAppendString: the writer's strings read back as they were.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "new\nline\ttab\r", "\x00\x1f\x7f", "עברית", "policy {\n  \"a\" : 1\n}"} {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil || got != s {
			t.Errorf("%q: read back %q (%v)", s, got, err)
		}
	}
	var got string
	if err := json.Unmarshal(appendString(nil, "bad \xff byte"), &got); err != nil || got != "bad \ufffd byte" {
		t.Errorf("invalid UTF-8: %q (%v)", got, err)
	}
}

// TestScanCatches: the file checks find what a broken delivery would have.
func TestScanCatches(t *testing.T) {
	const key = "AWSLogs/418295037461/CloudTrail/eu-central-1/2026/04/03/418295037461_CloudTrail_eu-central-1_20260403T1010Z_abcdefghijklmnop.json.gz"
	rec := func(edit func(m map[string]any)) string {
		m := map[string]any{"eventVersion": "1.11", "userIdentity": map[string]any{"type": "AWSService", "invokedBy": "rds.amazonaws.com"},
			"eventTime": "2026-04-03T10:03:00Z", "eventSource": srcKMS, "eventName": "Decrypt", "awsRegion": euc1,
			"sourceIPAddress": "rds.amazonaws.com", "userAgent": "rds.amazonaws.com", "requestParameters": nil, "responseElements": nil,
			"requestID": "0b0c8a1a-497a-4758-a6fc-c046970dfb58", "eventID": "f1a49924-6ba3-4340-9d21-bc98f090fc09",
			"readOnly": true, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": acctProd, "eventCategory": "Management"}
		if edit != nil {
			edit(m)
		}
		b, _ := json.Marshal(m)
		return `{"Records":[` + string(b) + `]}`
	}
	for _, c := range []struct {
		name, key, body string
		bad             bool
	}{
		{"good", key, rec(nil), false},
		{"no eventName", key, rec(func(m map[string]any) { delete(m, "eventName") }), true},
		{"no userAgent", key, rec(func(m map[string]any) { delete(m, "userAgent") }), true},
		{"no responseElements", key, rec(func(m map[string]any) { delete(m, "responseElements") }), true},
		{"another account's folder", key, rec(func(m map[string]any) { m["recipientAccountId"] = acctStaging }), true},
		{"local time", key, rec(func(m map[string]any) { m["eventTime"] = "2026-04-03T13:03:00+03:00" }), true},
		{"stamped long after", key, rec(func(m map[string]any) { m["eventTime"] = "2026-04-03T09:03:00Z" }), true},
		{"stamped before", key, rec(func(m map[string]any) { m["eventTime"] = "2026-04-03T10:13:00Z" }), true},
		{"bad event id", key, rec(func(m map[string]any) { m["eventID"] = "1" }), true},
		{"not a Records object", key, "[" + rec(nil) + "]", true},
		{"folder not the delivery date", strings.Replace(key, "2026/04/03", "2026/04/02", 1), rec(nil), true},
		{"key without suffix", strings.Replace(key, "_abcdefghijklmnop", "", 1), rec(nil), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &scanResult{ids: map[string]int{}, principalSeen: map[string]bool{}, resourceSeen: map[string]map[string]bool{}}
			s.checkLog(c.key, []byte(c.body), nil)
			if got := len(s.problems) > 0; got != c.bad {
				t.Fatalf("problems %v, want bad=%v", s.problems, c.bad)
			}
		})
	}
}

// TestOtherCalendar places the week on another calendar: September 2026,
// no clock change, the second day of Rosh Hashanah (a Sunday) in the
// incident week, so the holiday incident falls on it.
func TestOtherCalendar(t *testing.T) {
	cfg := Config{Seed: 5, Start: time.Date(2026, 9, 6, 0, 0, 0, 0, time.UTC), Days: 14, Warmup: 7}
	w, err := build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	week := w.at(w.eval, 0, 0, 0)
	for _, l := range w.labels {
		if l.Start.Before(week) || l.End.After(w.end) {
			t.Errorf("%s: %v..%v outside %v..%v", l.ID, l.Start, l.End, week, w.end)
		}
	}
	for _, l := range w.labels {
		if l.ID == "I03" {
			if d := l.Start.In(w.loc).Format(time.DateOnly); d != "2026-09-13" {
				t.Errorf("I03 on %s, want the holiday 2026-09-13", d)
			}
		}
	}
	if got := w.result(Stats{}).Holidays; !slices.Equal(got, []string{"2026-09-12", "2026-09-13"}) {
		t.Errorf("holidays %v", got)
	}
}
