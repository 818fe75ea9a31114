package evalorg

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
	_ "time/tzdata" // Asia/Jerusalem on any machine
)

// Config chooses one world.
type Config struct {
	Seed int64
	// Start is the first day, a UTC midnight.
	Start time.Time
	// Days is the period's length; the incidents are in its last seven.
	Days int
	// Warmup is the number of days of baseline before the incident week;
	// Days must be Warmup+7.
	Warmup int
}

// DefaultConfig is three weeks from Friday 20 March 2026: the clocks move
// to summer time on the 27th, and the first and seventh days of Passover
// (2 and 8 April) are public holidays, the second in the incident week.
func DefaultConfig() Config {
	return Config{Seed: 1, Start: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), Days: 21, Warmup: 14}
}

// World is what Generate made: what a team would configure in keytrail,
// the labels, and counts of what was written.
type World struct {
	// What a team would configure in keytrail, nothing more.
	Timezone      string
	BusinessHours string   // keytrail syntax
	Holidays      []string // local dates, YYYY-MM-DD
	Accounts      []string // the organization's own accounts

	Incidents []Label // must be caught
	Benign    []Label // look-alikes that must not produce a medium-or-higher alert

	Stats Stats
}

// Label is one labelled stretch of activity.
type Label struct {
	ID, Class, Description string
	// Principal is the canonical ARN of who did it: the role of an
	// assumed-role session (with its path), the user of an IAM user, an
	// account's root for a record that names only the account, the
	// service name for an AWS service acting on its own.
	Principal string
	// Resources are the secrets (ARN with their suffix) and keys involved;
	// empty when the records name none.
	Resources []string
	// Start and End bound the labelled events (UTC, inclusive).
	Start, End time.Time
	// MinSeverity is the least severity a team would accept for an
	// incident ("low" or "medium"); "" for a look-alike.
	MinSeverity string
}

// Stats counts what was written.
type Stats struct {
	Files   int // log files
	Digests int // digest files
	// Records counts records in log files, repeated deliveries included;
	// Kept those of Secrets Manager and KMS (the rows a lake gets from
	// them); BySource splits Kept.
	Records, Kept int
	BySource      map[string]int
	// Duplicates counts records delivered a second time (same eventID).
	Duplicates int
	// Events counts distinct Secrets Manager and KMS events, PerDay by UTC
	// day.
	Events int
	PerDay []int
}

// holidays2026 are Israel's public holidays (rest days) of 2026: Passover
// I and VII, Independence Day, Shavuot, Rosh Hashanah I and II, Yom
// Kippur, Sukkot, Shemini Atzeret.
var holidays2026 = []string{"2026-04-02", "2026-04-08", "2026-04-22", "2026-05-22",
	"2026-09-12", "2026-09-13", "2026-09-21", "2026-09-26", "2026-10-03"}

const (
	timezone      = "Asia/Jerusalem"
	businessHours = "Sun-Thu 08:30-17:30"
)

// Generate builds the world for cfg and writes its CloudTrail log files
// under dir, as CloudTrail delivers them to a bucket (dir is the bucket's
// root: dir/AWSLogs/...).
func Generate(cfg Config, dir string) (*World, error) {
	w, err := build(cfg)
	if err != nil {
		return nil, err
	}
	st, err := w.write(dir)
	if err != nil {
		return nil, err
	}
	return w.result(st), nil
}

func (c Config) validate() error {
	switch {
	case c.Start.IsZero() || !c.Start.Equal(c.Start.UTC().Truncate(24*time.Hour)) || c.Start.Location() != time.UTC:
		return fmt.Errorf("start %v: want a UTC midnight", c.Start)
	case c.Warmup < 7:
		return fmt.Errorf("warmup %d: want at least 7 days of baseline", c.Warmup)
	case c.Days != c.Warmup+7:
		return fmt.Errorf("days %d: want warmup+7 (%d): the incidents fill the last week", c.Days, c.Warmup+7)
	}
	return nil
}

func build(cfg Config) (*world, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", timezone, err)
	}
	w := &world{cfg: cfg, loc: loc, h: hasher{uint64(cfg.Seed)},
		rng:   rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6b65797472616c)), // "keytral"
		start: cfg.Start, end: cfg.Start.AddDate(0, 0, cfg.Days), eval: cfg.Warmup,
		holidays: map[string]bool{}, roles: map[string]*role{}, sessions: map[string]*caller{},
		releases: map[*service][]time.Time{},
		// About 17,000 records a day: growing the slice would copy it
		// (and its pointers, under the write barrier) again and again.
		evs: make([]ev, 0, cfg.Days*18000)}
	for _, h := range holidays2026 {
		w.holidays[h] = true
	}
	w.newOrg()
	w.newCatalog()
	p, err := w.planScenarios()
	if err != nil {
		return nil, err
	}
	w.planCI(p.W[0], p.bigAt)
	w.addNewService(p)
	w.runServices()
	w.runJobs()
	w.runPeople()
	w.runSandbox()
	w.runPartner()
	w.runReportingUser()
	w.runRotations(p.rot)
	w.runBackups()
	w.runNodes()
	w.runTrailKeys()
	w.runConfig()
	w.runMonitoring()
	w.runScenarios(p)
	if err := w.finishLabels(); err != nil {
		return nil, err
	}
	return w, nil
}

// finishLabels tags the events of predicate labels and sets every label's
// span from its events.
func (w *world) finishLabels() error {
	for i, l := range w.labels {
		if l.match == "" {
			continue
		}
		for k := range w.evs {
			e := &w.evs[k]
			if e.label == 0 && e.who.principal == l.match && !e.t.Before(l.from) && e.t.Before(l.till) {
				e.label = int16(i + 1)
			}
		}
	}
	for k := range w.evs {
		e := &w.evs[k]
		if e.label == 0 {
			continue
		}
		l := w.labels[e.label-1]
		if l.Start.IsZero() || e.t.Before(l.Start) {
			l.Start = e.t
		}
		if e.t.After(l.End) {
			l.End = e.t
		}
	}
	var errs []error
	for _, l := range w.labels {
		if l.Start.IsZero() {
			errs = append(errs, fmt.Errorf("label %s: no events", l.ID))
		}
	}
	return errors.Join(errs...)
}

func (w *world) result(st Stats) *World {
	out := &World{Timezone: timezone, BusinessHours: businessHours, Accounts: slices.Clone(ownAccounts), Stats: st}
	for d := 0; d < w.cfg.Days; d++ {
		if w.holiday(d) {
			out.Holidays = append(out.Holidays, w.dayName(d))
		}
	}
	for _, l := range w.labels {
		if l.incident {
			out.Incidents = append(out.Incidents, l.Label)
		} else {
			out.Benign = append(out.Benign, l.Label)
		}
	}
	byID := func(a, b Label) int { return cmp.Compare(a.ID, b.ID) }
	slices.SortFunc(out.Incidents, byID)
	slices.SortFunc(out.Benign, byID)
	out.Stats.PerDay = make([]int, w.cfg.Days)
	for i := range w.evs {
		e := &w.evs[i]
		if e.kept() {
			out.Stats.Events++
			out.Stats.PerDay[int(e.t.Sub(w.start)/(24*time.Hour))]++
		}
	}
	return out
}

// stringField returns a string member of a JSON object.
func stringField(b raw, name string) string {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	s, _ := m[name].(string)
	return s
}
