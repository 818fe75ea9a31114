package kestrel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/evalorg"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/klauspost/compress/gzip"
)

// The default world is generated once, into a temporary bucket folder.
var fixture struct {
	once  sync.Once
	dir   string
	world *evalorg.World
	err   error
	took  time.Duration
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

func generated(t *testing.T) (*evalorg.World, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("generates three weeks of CloudTrail")
	}
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "kestrel-")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir = dir
		start := time.Now()
		fixture.world, fixture.err = Generate(DefaultConfig(), filepath.Join(dir, "bucket"))
		fixture.took = time.Since(start)
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.world, filepath.Join(fixture.dir, "bucket")
}

// sums generates cfg's world in memory and returns each file's SHA-256.
func sums(t *testing.T, cfg evalorg.Config) map[string][32]byte {
	t.Helper()
	w, err := build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	out := map[string][32]byte{}
	if _, err := w.deliver(func(key string, body []byte) error {
		mu.Lock()
		out[key] = sha256.Sum256(body)
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("generates three worlds")
	}
	a, b := sums(t, DefaultConfig()), sums(t, DefaultConfig())
	if len(a) != len(b) {
		t.Fatalf("same seed: %d files, then %d", len(a), len(b))
	}
	for k, s := range a {
		if b[k] != s {
			t.Fatalf("same seed: %s differs or is missing", k)
		}
	}
	cfg := DefaultConfig()
	cfg.Seed = 2
	c := sums(t, cfg)
	same := 0
	for k, s := range c {
		if a[k] == s {
			same++
		}
	}
	if same > len(c)/100 {
		t.Errorf("seed 2: %d of %d files identical to seed 1's", same, len(c))
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	for _, tc := range []struct {
		name string
		edit func(*evalorg.Config)
	}{
		{"not midnight", func(c *evalorg.Config) { c.Start = c.Start.Add(time.Hour) }},
		{"not UTC", func(c *evalorg.Config) { c.Start = c.Start.In(time.FixedZone("IST", 19800)) }},
		{"short warmup", func(c *evalorg.Config) { c.Warmup, c.Days = 6, 13 }},
		{"days", func(c *evalorg.Config) { c.Days = 30 }},
	} {
		c := ok
		tc.edit(&c)
		if err := validate(c); err == nil {
			t.Errorf("%s: %+v accepted", tc.name, c)
		}
	}
	if err := validate(ok); err != nil {
		t.Errorf("default config: %v", err)
	}
}

type rec struct {
	EventTime    time.Time `json:"eventTime"`
	EventSource  string    `json:"eventSource"`
	EventName    string    `json:"eventName"`
	EventID      string    `json:"eventID"`
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext struct {
			SessionIssuer struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters map[string]any `json:"requestParameters"`
	Resources         []struct {
		ARN string `json:"ARN"`
	} `json:"resources"`
}

// principal is the canonical principal of a record, as evalorg.Label
// defines it.
func (r *rec) principal() string {
	u := r.UserIdentity
	switch {
	case u.SessionContext.SessionIssuer.ARN != "":
		return u.SessionContext.SessionIssuer.ARN
	case u.Type == "AWSService":
		return u.InvokedBy
	case u.ARN != "":
		return u.ARN
	}
	return "arn:aws:iam::" + u.AccountID + ":root"
}

// resources are the secrets and keys a record names.
func (r *rec) resources() []string {
	var out []string
	for _, k := range []string{"secretId", "keyId", "kmsKeyId"} {
		if s, ok := r.RequestParameters[k].(string); ok {
			out = append(out, s)
		}
	}
	for _, x := range r.Resources {
		out = append(out, x.ARN)
	}
	return out
}

var (
	logName    = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)
	digestName = regexp.MustCompile(`^AWSLogs/\d{12}/CloudTrail-Digest/[a-z0-9-]+/\d{4}/\d{2}/\d{2}/\d{12}_CloudTrail-Digest_[a-z0-9-]+_[a-z-]+_[a-z0-9-]+_\d{8}T\d{6}Z\.json\.gz$`)
)

// TestFiles reads every file back: each is gzip JSON with a Records array
// named as CloudTrail names it, delivered 3-15 minutes after its events
// (later for an event delivered again); every label's principal and
// resources appear in records inside its span.
func TestFiles(t *testing.T) {
	world, dir := generated(t)
	labels := slices.Concat(world.Incidents, world.Benign)
	seenPrincipal := map[string]bool{}
	seenRes := map[string]map[string]bool{}
	for _, l := range labels {
		seenRes[l.ID] = map[string]bool{}
	}
	ids := map[string]int{}
	files, digests, records := 0, 0, 0
	err := filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		key := filepath.ToSlash(rel)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: %v", key, err)
			return nil
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			return nil
		}
		if digestName.MatchString(key) {
			digests++
			var d map[string]any
			if err := json.Unmarshal(raw, &d); err != nil || d["logFiles"] == nil {
				t.Errorf("digest %s: %v", key, err)
			}
			return nil
		}
		m := logName.FindStringSubmatch(key)
		if m == nil {
			t.Errorf("%s: not a CloudTrail log file name", key)
			return nil
		}
		files++
		if m[1] != m[6] || m[2] != m[7] || m[3]+m[4]+m[5] != m[8][:8] {
			t.Errorf("%s: folders and name disagree", key)
		}
		stamp, _ := time.Parse("20060102T1504Z", m[8])
		var f struct {
			Records []rec `json:"Records"`
		}
		if err := json.Unmarshal(raw, &f); err != nil || f.Records == nil {
			t.Errorf("%s: no Records array (%v)", key, err)
			return nil
		}
		for _, r := range f.Records {
			records++
			ids[r.EventID]++
			if d := stamp.Sub(r.EventTime); d < 3*time.Minute || (d > 15*time.Minute && ids[r.EventID] == 1) || d > 2*24*time.Hour {
				t.Errorf("%s: event at %v delivered %v later", key, r.EventTime, d)
			}
			pr := r.principal()
			for _, l := range labels {
				if pr != l.Principal || r.EventTime.Before(l.Start) || r.EventTime.After(l.End) {
					continue
				}
				seenPrincipal[l.ID] = true
				for _, x := range r.resources() {
					seenRes[l.ID][x] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st := world.Stats
	if files != st.Files || digests != st.Digests || records != st.Records {
		t.Errorf("read %d files, %d digests, %d records; stats say %d, %d, %d", files, digests, records, st.Files, st.Digests, st.Records)
	}
	dups := 0
	for _, n := range ids {
		dups += n - 1
	}
	if dups != st.Duplicates || dups == 0 {
		t.Errorf("%d repeated deliveries, stats say %d (want some)", dups, st.Duplicates)
	}
	for _, l := range labels {
		if !seenPrincipal[l.ID] {
			t.Errorf("label %s: no record of %s in %v..%v", l.ID, l.Principal, l.Start, l.End)
		}
		for _, r := range l.Resources {
			if !seenRes[l.ID][r] {
				t.Errorf("label %s: resource %s named by no record of its principal in its span", l.ID, r)
			}
		}
	}
}

// TestWorld checks the world's shape: sizes, the share of other services,
// and labels that are in the incident week and well formed.
func TestWorld(t *testing.T) {
	world, _ := generated(t)
	st := world.Stats
	t.Logf("%d files, %d digests, %d records, %d kept, %d events, %d duplicates, by source %v; generated in %v",
		st.Files, st.Digests, st.Records, st.Kept, st.Events, st.Duplicates, st.BySource, fixture.took)
	if st.Events < 100000 || st.Events > 250000 {
		t.Errorf("%d Secrets Manager and KMS events, want 100k-250k", st.Events)
	}
	if other := float64(st.Records-st.Kept) / float64(st.Records); other < 0.20 || other > 0.30 {
		t.Errorf("other services are %.0f%% of records, want 20-30%%", other*100)
	}
	if len(world.Incidents) < 14 || len(world.Benign) < 12 {
		t.Errorf("%d incidents, %d look-alikes; want at least 14 and 12", len(world.Incidents), len(world.Benign))
	}
	if world.Timezone != "Asia/Kolkata" || world.BusinessHours != "Mon-Sat 10:00-19:00" || !slices.Equal(world.Holidays, []string{"2026-01-26"}) {
		t.Errorf("calendar %q %q %v", world.Timezone, world.BusinessHours, world.Holidays)
	}
	cfg := DefaultConfig()
	week := cfg.Start.AddDate(0, 0, cfg.Warmup)
	end := cfg.Start.AddDate(0, 0, cfg.Days)
	ids := map[string]bool{}
	for _, l := range slices.Concat(world.Incidents, world.Benign) {
		if ids[l.ID] {
			t.Errorf("label %s twice", l.ID)
		}
		ids[l.ID] = true
		if l.Start.Before(week) || !l.End.Before(end) || l.End.Before(l.Start) {
			t.Errorf("label %s: span %v..%v outside the incident week", l.ID, l.Start, l.End)
		}
		if !strings.HasPrefix(l.Principal, "arn:aws:iam::") && !strings.HasSuffix(l.Principal, ".amazonaws.com") {
			t.Errorf("label %s: principal %q is not canonical", l.ID, l.Principal)
		}
	}
	for _, l := range world.Incidents {
		if l.MinSeverity != "low" && l.MinSeverity != "medium" {
			t.Errorf("incident %s: MinSeverity %q", l.ID, l.MinSeverity)
		}
	}
	for _, l := range world.Benign {
		if l.MinSeverity != "" {
			t.Errorf("look-alike %s: MinSeverity %q", l.ID, l.MinSeverity)
		}
	}
}

// TestLocalTime checks that behaviour follows Asia/Kolkata: the ETL runs
// at 01:00 and 04:00 local, the insider reads in office hours, the
// unknown CI run is at 03:00.
func TestLocalTime(t *testing.T) {
	world, _ := generated(t)
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{ // label: local hours [from, to]
		"I02-ci-unknown-repo":       {3, 3},
		"I04-insider-analyst":       {10, 18},
		"I08a-disable-data-key":     {23, 23},
		"B05-etl-holiday-night":     {1, 4},
		"B04-oncall-night":          {0, 23},
		"I08b-etl-decrypt-failures": {1, 4},
	}
	for _, l := range slices.Concat(world.Incidents, world.Benign) {
		h, ok := want[l.ID]
		if !ok {
			continue
		}
		delete(want, l.ID)
		a, b := l.Start.In(loc).Hour(), l.End.In(loc).Hour()
		if a < h[0] || b > h[1] {
			t.Errorf("label %s: local %v..%v, want hours %d-%d", l.ID, l.Start.In(loc), l.End.In(loc), h[0], h[1])
		}
	}
	for id := range want {
		t.Errorf("no label %s", id)
	}
}

// TestIngest runs keytrail's ingest over the bucket: no file fails, no
// record is quarantined, digests are passed over and the lake keeps every
// Secrets Manager and KMS record.
func TestIngest(t *testing.T) {
	world, dir := generated(t)
	d, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	now := cfg.Start.AddDate(0, 0, cfg.Days+1)
	sum, err := ingest.New(d, ingest.Config{Now: func() time.Time { return now }}).Run(context.Background(),
		[]ingest.Source{ingest.LocalSource{Path: dir}}, ingest.RunOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	st := world.Stats
	if sum.HasFailures() || sum.Errors > 0 || sum.Warnings > 0 || sum.Quarantined > 0 {
		t.Fatalf("ingest: %d failed, %d partial, %d record errors, %d warnings, %d quarantined; problems %+v quarantine %+v",
			sum.Failed, sum.Partial, sum.Errors, sum.Warnings, sum.Quarantined,
			sum.Problems[:min(3, len(sum.Problems))], sum.Quarantine[:min(3, len(sum.Quarantine))])
	}
	if sum.OK != st.Files || sum.Skipped != st.Digests {
		t.Errorf("ingest: %d ok, %d skipped; want %d files and %d digests", sum.OK, sum.Skipped, st.Files, st.Digests)
	}
	if sum.Records != st.Records || sum.Kept != st.Kept {
		t.Errorf("ingest read %d records, kept %d; want %d, %d", sum.Records, sum.Kept, st.Records, st.Kept)
	}
	for src, n := range st.BySource {
		if sum.BySource[src] != n {
			t.Errorf("%s: ingest kept %d, want %d", src, sum.BySource[src], n)
		}
	}
}

// TestScenarios checks, on the generated events, what the incidents and
// look-alikes claim about history: the "new" is new and the usual is
// usual.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three weeks of events")
	}
	w, err := build(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*label{}
	for _, l := range w.labels {
		byID[l.ID] = l
	}
	before := func(l *label, f func(e *ev) bool) int {
		n := 0
		for i := range w.evs {
			e := &w.evs[i]
			if e.kept() && e.who.principal == l.Principal && e.t.Before(l.Start) && f(e) {
				n++
			}
		}
		return n
	}
	in := func(l *label, f func(e *ev) bool) int {
		n := 0
		for i := range w.evs {
			e := &w.evs[i]
			if e.label != 0 && w.labels[e.label-1] == l && f(e) {
				n++
			}
		}
		return n
	}
	named := func(l *label) func(e *ev) bool {
		return func(e *ev) bool {
			for _, r := range e.res {
				if l.res[r] && strings.Contains(r, ":secret:") {
					return true
				}
			}
			return false
		}
	}
	gsv := func(e *ev) bool { return e.name == "GetSecretValue" && e.errCode == "" }
	for _, tc := range []struct {
		id      string
		secrets int
	}{{"I01-slow-exfiltration", 12}, {"I02-ci-unknown-repo", 15}, {"I03-new-access-key", 8}, {"I04-insider-analyst", 30}} {
		l := byID[tc.id]
		if n := before(l, named(l)); n != 0 {
			t.Errorf("%s: %d earlier events of %s name its secrets", tc.id, n, l.Principal)
		}
		if n := in(l, gsv); n != tc.secrets {
			t.Errorf("%s: %d reads, want %d", tc.id, n, tc.secrets)
		}
	}
	if l := byID["I11-vendor-new-operation"]; before(l, func(e *ev) bool { return e.name != "Decrypt" }) != 0 || before(l, func(*ev) bool { return true }) < 5000 {
		t.Errorf("I11: the vendor called more than Decrypt before, or rarely")
	}
	if l := byID["I14-batch-all-secrets"]; before(l, func(e *ev) bool { return e.name == "BatchGetSecretValue" }) != 0 {
		t.Errorf("I14: the role batched before")
	}
	for id, want := range map[string]int{"I12-outsider-denied": 40, "I13-denied-enumeration": 25} {
		if n := in(byID[id], func(e *ev) bool { return e.errCode == "AccessDeniedException" }); n != want {
			t.Errorf("%s: %d denied calls, want %d", id, n, want)
		}
		if l := byID[id]; l.End.Sub(l.Start) > 15*time.Minute {
			t.Errorf("%s: spans %v", id, l.End.Sub(l.Start))
		}
	}
	if n := in(byID["I08b-etl-decrypt-failures"], func(e *ev) bool { return e.errCode == "DisabledException" }); n < 60 {
		t.Errorf("I08b: %d failed Decrypts, want two runs' worth", n)
	}
	if l := byID["I08b-etl-decrypt-failures"]; !l.Start.After(byID["I08a-disable-data-key"].End) {
		t.Errorf("I08b starts %v, before the key was disabled", l.Start)
	}
	// The look-alikes are habits: the on-call SRE, the DR check and the
	// holiday ETL did the same before the incident week.
	for _, id := range []string{"B03-dr-sunday", "B04-oncall-night", "B05-etl-holiday-night", "B07-rotation", "B02-vendor-decrypt"} {
		l := byID[id]
		if n := before(l, func(e *ev) bool { return l.Start.Sub(e.t) > 6*24*time.Hour }); n == 0 {
			t.Errorf("%s: no history before %v", id, l.Start)
		}
	}
	if n := in(byID["B12-kafka-throttling"], func(e *ev) bool { return e.errCode == "ThrottlingException" }); n < 200 {
		t.Errorf("B12: %d throttled calls", n)
	}
	regions := map[string]bool{}
	in(byID["B03-dr-sunday"], func(e *ev) bool { regions[e.region] = true; return true })
	if len(regions) != 2 {
		t.Errorf("B03: regions %v, want two", regions)
	}
}
