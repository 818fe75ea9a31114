package detect

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"go.yaml.in/yaml/v3"
)

// A scenario file follows Prometheus rule unit tests: inputs (events, with
// history that becomes aggregates), an evaluation time and window, and the
// findings expected, with `expected: []` for cases that must stay quiet.
type scenarioFile struct {
	// Config is YAML shared by every scenario; a scenario's config is
	// appended (its keys must not repeat the shared ones).
	Config    string     `yaml:"config"`
	Scenarios []scenario `yaml:"scenarios"`
}

type scenario struct {
	Name     string        `yaml:"name"`
	Config   string        `yaml:"config"`
	Now      time.Time     `yaml:"now"`       // the injected clock; default eval_time
	EvalTime time.Time     `yaml:"eval_time"` // window end
	Window   time.Duration `yaml:"window"`    // default 1h
	Events   []tevent      `yaml:"events"`
	Expected *[]expect     `yaml:"expected"`
}

// tevent is a compact event.Event, optionally repeated.
type tevent struct {
	ID          string    `yaml:"id"`
	At          time.Time `yaml:"at"`
	Name        string    `yaml:"name"`
	Source      string    `yaml:"source"` // default from the resource ARN
	Principal   string    `yaml:"principal"`
	Kind        string    `yaml:"kind"` // caller kind, default workload
	Session     string    `yaml:"session"`
	Resource    string    `yaml:"resource"`
	Resources   []string  `yaml:"resources"`
	Error       string    `yaml:"error"`
	InvokedBy   string    `yaml:"invoked_by"`
	Shared      string    `yaml:"shared_event_id"`
	Recipient   string    `yaml:"recipient"`
	Params      string    `yaml:"params"`
	EncContext  string    `yaml:"encryption_context"`
	PrincipalAc string    `yaml:"principal_account"`
	// Repeat the event Count times, Every apart (default 1m).
	Count int           `yaml:"count"`
	Every time.Duration `yaml:"every"`
	// Days repeats the whole series on each of the previous Days local
	// days (same local wall time in the config's zone), before At's day.
	Days int `yaml:"days"`
	// On limits Days to these local weekdays (Mon, Tue, ...).
	On []string `yaml:"on"`
	// Cycle distributes repeats over these resources in turn.
	Cycle []string `yaml:"cycle"`
	// Regions are cycled through like Cycle; default ap-northeast-1.
	Regions []string `yaml:"regions"`
}

type expect struct {
	Kind           string   `yaml:"kind"`
	Severity       string   `yaml:"severity"`
	Principal      string   `yaml:"principal"`
	Resource       string   `yaml:"resource"`
	Resources      int      `yaml:"resources"`
	Count          int64    `yaml:"count"`
	Shadow         bool     `yaml:"shadow"`
	SessionNames   []string `yaml:"session_names"`
	ReasonContains []string `yaml:"reason_contains"`
}

func (te tevent) expand(loc *time.Location, scen string, n int) []event.Event {
	var out []event.Event
	count := max(te.Count, 1)
	every := te.Every
	if every == 0 {
		every = time.Minute
	}
	for d := te.Days; d >= 0; d-- {
		l := te.At.In(loc)
		base := time.Date(l.Year(), l.Month(), l.Day()-d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc)
		if len(te.On) > 0 && !slices.Contains(te.On, base.Weekday().String()[:3]) {
			continue
		}
		for i := range count {
			res := te.Resource
			if len(te.Cycle) > 0 {
				res = te.Cycle[i%len(te.Cycle)]
			}
			id := te.ID
			if id == "" || count > 1 || te.Days > 0 {
				id = fmt.Sprintf("%s-%d-%d-%d%s", scen, n, d, i, te.ID)
			}
			e := te.event(id, base.Add(time.Duration(i)*every), res)
			if len(te.Regions) > 0 {
				e.AWSRegion = te.Regions[i%len(te.Regions)]
			}
			out = append(out, e)
		}
	}
	return out
}

func (te tevent) event(id string, t time.Time, res string) event.Event {
	e := event.Event{
		EventID: id, EventTime: t.UTC(), EventName: te.Name, EventSource: te.Source,
		PrincipalARN: te.Principal, CallerKind: te.Kind, SessionName: te.Session,
		ResourceARN: res, ResourceARNs: te.Resources, ErrorCode: te.Error, Failed: te.Error != "",
		InvokedBy: te.InvokedBy, SharedEventID: te.Shared, RecipientAcct: te.Recipient,
		RequestParameters: te.Params, EncryptionContext: te.EncContext, PrincipalAccount: te.PrincipalAc,
		AWSRegion: "ap-northeast-1", SourceIP: "198.51.100.7", UserAgent: "aws-cli/2",
	}
	if e.CallerKind == "" {
		e.CallerKind = event.CallerWorkload
	}
	if e.ResourceARN == "" && len(e.ResourceARNs) > 0 {
		e.ResourceARN = e.ResourceARNs[0]
	}
	if len(e.ResourceARNs) == 0 && e.ResourceARN != "" {
		e.ResourceARNs = []string{e.ResourceARN}
	}
	e.ResourceAccount = arn.Account(e.ResourceARN)
	if e.PrincipalAccount == "" {
		e.PrincipalAccount = arn.Account(e.PrincipalARN)
	}
	if e.RecipientAcct == "" {
		e.RecipientAcct = e.ResourceAccount
	}
	if e.EventSource == "" {
		e.EventSource = sourceSM
		if strings.Contains(e.ResourceARN, ":kms:") {
			e.EventSource = sourceKMS
		}
	}
	if i := strings.LastIndexByte(e.PrincipalARN, '/'); i >= 0 {
		e.PrincipalName = e.PrincipalARN[i+1:]
	}
	return e
}

func loadScenarios(t *testing.T, path string) scenarioFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f scenarioFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// runScenario evaluates one scenario through the aggregate path: events of
// days before the window's first day become stored aggregates.
func runScenario(t *testing.T, shared string, sc scenario) []finding.Finding {
	t.Helper()
	d, in := scenarioInput(t, shared, sc)
	fs, err := d.Detect(in)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// scenarioInput is a scenario's detector and input.
func scenarioInput(t *testing.T, shared string, sc scenario) (*Detector, Input) {
	t.Helper()
	cfg, err := LoadConfig([]byte(shared + "\n" + sc.Config))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	window := sc.Window
	if window == 0 {
		window = time.Hour
	}
	from := sc.EvalTime.Add(-window)
	var all []event.Event
	for i, te := range sc.Events {
		all = append(all, te.expand(cfg.Location(), sc.Name, i)...)
	}
	first := DayStart(from)
	byDay := map[string][]event.Event{}
	var current []event.Event
	for _, e := range all {
		if e.EventTime.Before(first) {
			byDay[e.Day()] = append(byDay[e.Day()], e)
		} else if e.EventTime.Before(sc.EvalTime) {
			current = append(current, e)
		}
	}
	hist := map[string]*Aggregate{}
	for day, evs := range byDay {
		hist[day] = BuildAggregate(day, evs)
	}
	now := sc.Now
	if now.IsZero() {
		now = sc.EvalTime
	}
	d := &Detector{Config: cfg, Now: func() time.Time { return now }}
	return d, Input{From: from, To: sc.EvalTime, Events: current, History: hist}
}

func TestScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenarios*.yml")
	if len(files) == 0 {
		t.Fatal("no scenario files")
	}
	for _, file := range files {
		sf := loadScenarios(t, file)
		for _, sc := range sf.Scenarios {
			t.Run(filepath.Base(file)+"/"+sc.Name, func(t *testing.T) {
				if sc.Expected == nil {
					t.Fatal("scenario without expected (use expected: [] for quiet cases)")
				}
				got := runScenario(t, sf.Config, sc)
				checkFindings(t, got, *sc.Expected)
			})
		}
	}
}

func checkFindings(t *testing.T, got []finding.Finding, want []expect) {
	t.Helper()
	// Ids identify findings downstream (the alerter posts each id once):
	// two findings of one run never share one.
	ids := map[string]bool{}
	for _, f := range got {
		if ids[f.ID] {
			t.Errorf("two findings share id %s (%s %s)", f.ID, f.Kind, f.Resource)
		}
		ids[f.ID] = true
	}
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, f := range got {
			if used[i] || !w.matches(f) {
				continue
			}
			used[i], found = true, true
			for _, s := range w.ReasonContains {
				if !strings.Contains(f.Reason, s) {
					t.Errorf("%s finding reason %q lacks %q", f.Kind, f.Reason, s)
				}
			}
			checkWellFormed(t, f)
			break
		}
		if !found {
			t.Errorf("missing finding %+v", w)
		}
	}
	for i, f := range got {
		if !used[i] {
			t.Errorf("unexpected finding: %s %s %s count=%d resources=%v: %s", f.Kind, f.Severity, f.Principal, f.Count, f.Resources, f.Reason)
		}
	}
}

func (w expect) matches(f finding.Finding) bool {
	return w.Kind == f.Kind && (w.Severity == "" || w.Severity == f.Severity) &&
		(w.Principal == "" || w.Principal == f.Principal) &&
		(w.Resource == "" || slices.Contains(f.Resources, w.Resource)) &&
		(w.Resources == 0 || w.Resources == len(f.Resources)) &&
		(w.Count == 0 || w.Count == f.Count) && w.Shadow == f.Shadow &&
		(w.SessionNames == nil || slices.Equal(w.SessionNames, f.SessionNames))
}

// checkWellFormed checks what every finding must have.
func checkWellFormed(t *testing.T, f finding.Finding) {
	t.Helper()
	if len(f.ID) != 32 || f.Title == "" || f.Reason == "" || f.Count < 1 || len(f.EventIDs) == 0 ||
		len(f.EventIDs) > MaxEventIDs || f.Start.IsZero() || f.End.Before(f.Start) || f.Start.Location() != time.UTC ||
		finding.SeverityRank(f.Severity) == 0 || f.Principal == "" {
		t.Errorf("malformed finding: %+v", f)
	}
	if f.Resource != "" && !slices.Equal(f.Resources, []string{f.Resource}) {
		t.Errorf("resource %q but resources %v", f.Resource, f.Resources)
	}
}
