package kestrel

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
	_ "time/tzdata" // Asia/Kolkata on any machine

	"github.com/keytrail/keytrail/internal/evalorg"
)

const (
	timezone      = "Asia/Kolkata"
	businessHours = "Mon-Sat 10:00-19:00"
)

// holidays are the public holidays of the default period (Republic Day).
var holidays = []string{"2026-01-26"}

// DefaultConfig is three weeks from Monday 12 January 2026; the incident
// week starts on Republic Day, Monday 26 January.
func DefaultConfig() evalorg.Config {
	return evalorg.Config{Seed: 1, Start: time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC), Days: 21, Warmup: 14}
}

// Generate builds the world for cfg and writes its CloudTrail log files
// under dir, as CloudTrail delivers them to a bucket (dir is the bucket's
// root: dir/AWSLogs/...).
func Generate(cfg evalorg.Config, dir string) (*evalorg.World, error) {
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

func validate(c evalorg.Config) error {
	switch {
	case c.Start.IsZero() || c.Start.Location() != time.UTC || !c.Start.Equal(c.Start.Truncate(24*time.Hour)):
		return fmt.Errorf("start %v: want a UTC midnight", c.Start)
	case c.Warmup < 7:
		return fmt.Errorf("warmup %d: want at least 7 days of baseline", c.Warmup)
	case c.Days != c.Warmup+7:
		return fmt.Errorf("days %d: want warmup+7 (%d): the incidents fill the last week", c.Days, c.Warmup+7)
	}
	return nil
}

// label is a Label being built: its span and resources come from the
// events tagged with it.
type label struct {
	evalorg.Label
	incident bool
	// A predicate label tags, after generation, the untagged events of
	// match in [from, till).
	match      string
	from, till time.Time
	res        map[string]bool
}

type world struct {
	cfg                        evalorg.Config
	loc                        *time.Location
	rng                        *rand.Rand
	seed                       uint64
	start, end                 time.Time
	evalDay                    int // first day of the incident week
	holiday                    map[string]bool
	evs                        []ev
	labels                     []*label
	org                        *org
	disabledFrom, disabledTill time.Time
	etlFail                    int16
}

func build(cfg evalorg.Config) (*world, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", timezone, err)
	}
	w := &world{cfg: cfg, loc: loc, seed: uint64(cfg.Seed),
		rng:   rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6b65737472656c)), // "kestrel"
		start: cfg.Start, end: cfg.Start.AddDate(0, 0, cfg.Days), evalDay: cfg.Warmup,
		holiday: map[string]bool{}, evs: make([]ev, 0, cfg.Days*12000)}
	for _, h := range holidays {
		w.holiday[h] = true
	}
	w.org = w.newOrg()
	w.plan()
	w.runBaseline()
	w.runIncidents()
	w.runBenign()
	w.runOther()
	if err := w.finishLabels(); err != nil {
		return nil, err
	}
	return w, nil
}

// day returns local midnight of day d of the period (the local date of
// the period's UTC start plus d).
func (w *world) day(d int) time.Time {
	y, m, dd := w.start.Date()
	return time.Date(y, m, dd+d, 0, 0, 0, 0, w.loc)
}

// at is local time h:m on day d.
func (w *world) at(d, h, m int) time.Time {
	return w.day(d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// workday reports whether local day d is a working day (Mon-Sat, not a
// holiday).
func (w *world) workday(d int) bool {
	t := w.day(d)
	return t.Weekday() != time.Sunday && !w.holiday[t.Format(time.DateOnly)]
}

// days is the number of local days to walk: one more than the period, as
// the period's first local hours belong to the day before.
func (w *world) days() int { return w.cfg.Days + 1 }

// jitter is a uniform duration in [0, d).
func (w *world) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(w.rng.Int64N(int64(d)))
}

// newLabel registers a label; events added while it is current carry it.
func (w *world) newLabel(id, class, desc, principal, sev string, incident bool) int16 {
	w.labels = append(w.labels, &label{Label: evalorg.Label{ID: id, Class: class, Description: desc,
		Principal: principal, MinSeverity: sev}, incident: incident, res: map[string]bool{}})
	return int16(len(w.labels))
}

// predicate registers a look-alike label made of principal's untagged
// events in [from, till).
func (w *world) predicate(id, class, desc, principal string, from, till time.Time) {
	n := w.newLabel(id, class, desc, principal, "", false)
	l := w.labels[n-1]
	l.match, l.from, l.till = principal, from, till
}

// finishLabels tags the events of predicate labels and sets every label's
// span and resources from its events.
func (w *world) finishLabels() error {
	for i, l := range w.labels {
		if l.match == "" {
			continue
		}
		for k := range w.evs {
			e := &w.evs[k]
			if e.label == 0 && e.kept() && e.who.principal == l.match && !e.t.Before(l.from) && e.t.Before(l.till) {
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
		if e.who.principal != l.Principal {
			return fmt.Errorf("label %s: event %s by %s, want %s", l.ID, e.name, e.who.principal, l.Principal)
		}
		if l.Start.IsZero() || e.t.Before(l.Start) {
			l.Start = e.t
		}
		if e.t.After(l.End) {
			l.End = e.t
		}
		for _, r := range e.res {
			l.res[r] = true
		}
	}
	var errs []error
	evalStart := w.start.AddDate(0, 0, w.evalDay)
	for _, l := range w.labels {
		if l.Start.IsZero() {
			errs = append(errs, fmt.Errorf("label %s: no events", l.ID))
			continue
		}
		if l.Start.Before(evalStart) {
			errs = append(errs, fmt.Errorf("label %s: starts %v, before the incident week", l.ID, l.Start))
		}
		for r := range l.res {
			l.Resources = append(l.Resources, r)
		}
		slices.Sort(l.Resources)
	}
	return errors.Join(errs...)
}

func (w *world) result(st evalorg.Stats) *evalorg.World {
	out := &evalorg.World{Timezone: timezone, BusinessHours: businessHours,
		Accounts: []string{acctProd, acctDev, acctLogging, acctAudit}, Stats: st}
	for d := 0; d < w.cfg.Days; d++ {
		if s := w.day(d).Format(time.DateOnly); w.holiday[s] {
			out.Holidays = append(out.Holidays, s)
		}
	}
	for _, l := range w.labels {
		if l.incident {
			out.Incidents = append(out.Incidents, l.Label)
		} else {
			out.Benign = append(out.Benign, l.Label)
		}
	}
	byID := func(a, b evalorg.Label) int { return cmp.Compare(a.ID, b.ID) }
	slices.SortFunc(out.Incidents, byID)
	slices.SortFunc(out.Benign, byID)
	out.Stats.PerDay = make([]int, w.cfg.Days)
	for i := range w.evs {
		if e := &w.evs[i]; e.kept() {
			out.Stats.Events++
			out.Stats.PerDay[int(e.t.Sub(w.start)/(24*time.Hour))]++
		}
	}
	return out
}
