package detect

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/event"
)

// AggregateVersion changes when the meaning of an Aggregate changes; stored
// aggregates of another version are recomputed.
const AggregateVersion = 3

// Aggregate is one UTC day of events reduced to what baselines need: per
// principal and resource, the successful uses (reads, crypto operations) in
// each UTC hour (counted once, AWS service calls and rotation steps left out), and the last
// resource or key policy seen per resource. From it follow the per-hour
// activity and distinct-resource counts of a principal and the first-seen
// sets. It depends on events only, never on the detector's configuration,
// so a configuration change does not invalidate stored aggregates.
type Aggregate struct {
	Version int    `json:"version"`
	Day     string `json:"day"`
	// Source fingerprints the event objects it was computed from.
	Source   string        `json:"source"`
	Pairs    []PairHours   `json:"pairs"`
	Policies []PolicyState `json:"policies,omitempty"`
}

// PairHours counts one principal's accesses of one resource per UTC hour.
type PairHours struct {
	Principal string     `json:"p"`
	Resource  string     `json:"r"`
	Hours     [24]uint32 `json:"h"`
	// Calls are the event names of a cross-account pair's uses (the
	// principal's account is not the resource's), sorted; empty otherwise.
	Calls []string `json:"c,omitempty"`
}

// PolicyState is the principals a resource or key policy allowed, as of the
// last policy-setting call of a day.
type PolicyState struct {
	Resource   string    `json:"resource"`
	Principals []string  `json:"principals"`
	EventID    string    `json:"event_id"`
	Time       time.Time `json:"time"`
}

// BuildAggregate reduces the events of one UTC day (other days' events are
// ignored) to its aggregate.
func BuildAggregate(day string, rows []event.Event) *Aggregate {
	t := newTable(newInterner())
	t.addAll(rows)
	return buildAggregate(day, t)
}

// buildAggregate reduces the events of one UTC day read into t.
func buildAggregate(day string, t *table) *Aggregate {
	p := prepare(t)
	start, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return &Aggregate{Version: AggregateVersion, Day: day}
	}
	lo, hi := start.UnixMilli(), start.Add(24*time.Hour).UnixMilli()
	i := sort.Search(len(p.acc), func(i int) bool { return p.acc[i].t >= lo })
	j := sort.Search(len(p.acc), func(i int) bool { return p.acc[i].t >= hi })
	ix := indexDay(p.acc[i:j], p, lo)
	return ix.export(day, p.names)
}

type pairKey struct{ p, r uint32 }

// dayIndex is an Aggregate with interned names, for lookups.
type dayIndex struct {
	pairs    map[pairKey]*[24]uint32
	active   map[uint32]*[24]uint32 // principal → accesses per hour
	distinct map[uint32]*[24]uint16 // principal → distinct resources per hour
	res      map[uint32]*[24]uint32 // resource → accesses per hour, all principals
	calls    map[pairKey][]uint32   // cross-account pair → event names used, sorted
	policies map[uint32]policySnap  // resource → last policy
}

type policySnap struct {
	principals []string
	eventID    string
	t          time.Time
}

func newDayIndex() *dayIndex {
	return &dayIndex{
		pairs:    map[pairKey]*[24]uint32{},
		active:   map[uint32]*[24]uint32{},
		distinct: map[uint32]*[24]uint16{},
		res:      map[uint32]*[24]uint32{},
		calls:    map[pairKey][]uint32{},
		policies: map[uint32]policySnap{},
	}
}

// counted reports whether an access counts in baselines: a successful use
// of a secret or key by a caller other than an AWS service.
func counted(a *access) bool { return a.ok() && a.flags&fUse != 0 && a.p != 0 && a.r != 0 }

// indexDay builds the index of one day's accesses (sorted by time; dayStart
// in Unix milliseconds).
func indexDay(acc []access, p *prepared, dayStart int64) *dayIndex {
	ix := newDayIndex()
	for k := range acc {
		a := &acc[k]
		if counted(a) {
			h := (a.t - dayStart) / 3_600_000
			k := pairKey{a.p, a.r}
			ix.addPair(k, int(h), 1)
			if e := p.ev(a.ev); e.prinAcct != 0 && e.prinAcct != e.resAcct {
				ix.addCall(k, e.name)
			}
		}
		if a.flags&fFailed == 0 {
			e := p.ev(a.ev)
			if ps, ok := policyPrincipals(p.names.str(e.source), p.names.str(e.name), e.params()); ok {
				ix.policies[a.r] = policySnap{principals: ps, eventID: e.id, t: e.time()}
			}
		}
	}
	return ix
}

// addCall records that pair k made a call named name.
func (ix *dayIndex) addCall(k pairKey, name uint32) {
	cs := ix.calls[k]
	if i, found := slices.BinarySearch(cs, name); !found {
		ix.calls[k] = slices.Insert(cs, i, name)
	}
}

func (ix *dayIndex) addPair(k pairKey, h int, n uint32) {
	c := ix.pairs[k]
	if c == nil {
		c = new([24]uint32)
		ix.pairs[k] = c
	}
	first := c[h] == 0
	c[h] += n
	act := ix.active[k.p]
	if act == nil {
		act = new([24]uint32)
		ix.active[k.p] = act
		ix.distinct[k.p] = new([24]uint16)
	}
	act[h] += n
	rc := ix.res[k.r]
	if rc == nil {
		rc = new([24]uint32)
		ix.res[k.r] = rc
	}
	rc[h] += n
	if first {
		ix.distinct[k.p][h]++
	}
}

func (ix *dayIndex) export(day string, names *interner) *Aggregate {
	ag := &Aggregate{Version: AggregateVersion, Day: day, Pairs: make([]PairHours, 0, len(ix.pairs))}
	for k, h := range ix.pairs {
		ph := PairHours{Principal: names.str(k.p), Resource: names.str(k.r), Hours: *h}
		for _, c := range ix.calls[k] {
			ph.Calls = append(ph.Calls, names.str(c))
		}
		slices.Sort(ph.Calls)
		ag.Pairs = append(ag.Pairs, ph)
	}
	slices.SortFunc(ag.Pairs, func(a, b PairHours) int {
		return cmp.Or(cmp.Compare(a.Principal, b.Principal), cmp.Compare(a.Resource, b.Resource))
	})
	for r, s := range ix.policies {
		ag.Policies = append(ag.Policies, PolicyState{Resource: names.str(r), Principals: s.principals, EventID: strings.Clone(s.eventID), Time: s.t.UTC()})
	}
	slices.SortFunc(ag.Policies, func(a, b PolicyState) int { return cmp.Compare(a.Resource, b.Resource) })
	return ag
}

// index interns an aggregate's names into names.
func (ag *Aggregate) index(names *interner) *dayIndex {
	ix := newDayIndex()
	for i := range ag.Pairs {
		pr := &ag.Pairs[i]
		k := pairKey{names.id(pr.Principal), names.id(pr.Resource)}
		for h, n := range pr.Hours {
			if n > 0 {
				ix.addPair(k, h, n)
			}
		}
		for _, c := range pr.Calls {
			ix.addCall(k, names.id(c))
		}
	}
	for _, s := range ag.Policies {
		ix.policies[names.id(s.Resource)] = policySnap{principals: s.Principals, eventID: s.EventID, t: s.Time}
	}
	return ix
}

// medianMAD returns the median and the median absolute deviation of xs,
// which it reorders.
func medianMAD(xs []float64) (med, mad float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	med = median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = max(x-med, med-x)
	}
	return med, median(dev)
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
