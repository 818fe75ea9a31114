// Package detect turns normalized Secrets Manager and KMS events into
// findings an analyst can trust: few, explained, and the same on every run.
//
// Why it is built this way:
//   - Findings are keyed by what they are about, not by when they were
//     computed. Every rule groups evidence into fixed UTC hours (or a single
//     event) and a finding's ID hashes its kind, principal, resource and that
//     hour (or the event id). A scheduled run that sees part of an hour, the
//     run that re-evaluates it after late events, and a replay of the whole
//     month all name the same finding the same way, so replays backtest what
//     the schedule would have said and the alerter deduplicates by ID.
//   - Baselines come from per-day aggregates (Aggregate), computed from
//     events once and independent of the configuration, so a run reads raw
//     events for the current day only and a threshold can be changed and
//     replayed without recomputing history.
//   - Time is injected (Detector.Now) and the team's zone is configured, so
//     tests pin both; nothing here reads the environment or builds clients.
//   - Everything is counted once (see prepare): repeated event ids, the two
//     copies of a cross-account KMS call, the KMS calls Secrets Manager makes
//     for a secret read, and the per-secret entries of BatchGetSecretValue.
//   - Principals are keyed on principal_arn (the role, not the session):
//     sessions come and go, roles are what baselines describe.
//
// Rules, and how identity shapes them (the README's rule table has the
// numbers):
//   - off_hours: a person's (or unknown caller's) access outside business
//     hours is reported, low when the principal kept that hour on earlier
//     comparable days; a workload's only when its own baseline has no
//     activity at that local hour (±1 h) on the same kind of day. Workloads
//     are quiet until the lake holds WarmupDays.
//   - failed_access: failures per principal and hour; many distinct
//     resources is enumeration (high), a few is medium (low for a person
//     exploring), an outside account denied or a person's repeated denials
//     medium, and a workload failing nearly every call on one resource a
//     low broken dependency, named with the change before it.
//   - frequency: calls on one resource per hour against the same local hour
//     of earlier days of the same kind (median and MAD), and distinct
//     resources per hour likewise; a workload reading only what it always
//     reads at its usual hour is low (releases, scale-outs). A principal
//     with no history is compared with the resource's baseline for all its
//     callers, and with a breadth floor that needs no baseline.
//   - first_seen: a principal touching a resource new to it (not used in
//     HistoryDays, not created by itself), including principals with no
//     history; a workload's drift onto many new resources in a day is
//     reported once at the rule's severity.
//   - destructive, policy_change, cross_account, bulk_retrieval: per call,
//     per hour or per day. Policies are read as AWS evaluates them (policy.go);
//     an outside principal that used a resource throughout the baseline is a
//     partner, quiet while it keeps to its calls and volume.
//   - Findings of one incident in adjacent windows merge (merge).
//
// AWS service calls and keytrail's own roles (self_principals, exact ARNs)
// are quiet unless a rule's include_services says otherwise.
package detect

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/source"
)

// Detector runs the rules.
type Detector struct {
	// Config is validated; nil means DefaultConfig().
	Config *Config
	// Now is the clock (suppression expiry); nil means time.Now.
	Now func() time.Time
	// Query renders the Athena SQL that shows a finding's evidence; nil
	// leaves Finding.Query empty.
	Query func(finding.Finding) (string, error)
}

// Input is what one evaluation needs.
type Input struct {
	// From and To bound the evaluation: findings are produced for the UTC
	// hours that overlap [From, To), from the events before To.
	From, To time.Time
	// Events holds every event from the start of From's UTC day until To
	// (same-day context for first_seen and the batch and rotation chains);
	// repeats are fine, events outside are ignored.
	Events []event.Event
	// History holds the aggregates of the days before From's UTC day, by
	// day (YYYY-MM-DD): HistoryDays of them are used. A missing day had no
	// data.
	History map[string]*Aggregate
}

// Stream is the input of one evaluation read in pieces, so that neither
// the events nor the aggregates are ever all held at once: each event is
// reduced, as it is read, to the little the rules need.
type Stream struct {
	// From and To are as in Input.
	From, To time.Time
	// History calls add with the aggregate of each day before From's UTC
	// day (YYYY-MM-DD), oldest first; days outside the HistoryDays, and nil
	// aggregates, are skipped. It runs before Events.
	History func(add func(day string, ag *Aggregate) error) error
	// Events calls add with batches of the events of Input.Events. A batch
	// is only read during the call: the caller may reuse it afterwards.
	Events func(add func(batch []event.Event) error) error
	// SingleEvent runs only the rules that need no baseline (see
	// SingleEventKinds and DetectPart): the fast path over one new part.
	SingleEvent bool
	// Accounts, when inferring the known accounts from the events (no
	// known_accounts configured), are known as well: the accounts an
	// earlier, wider run saw (see Runner.RunPart).
	Accounts []string
	// Seen, if set, is called with the accounts inferred from the events
	// (sorted), before the rules run.
	Seen func(accounts []string)
}

const hourMs = int64(time.Hour / time.Millisecond)

// DayStart returns the start of t's UTC day.
func DayStart(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// Detect evaluates in and returns the findings sorted by severity
// (highest first), start and id.
func (d *Detector) Detect(in Input) ([]finding.Finding, error) {
	return d.DetectStream(Stream{
		From: in.From, To: in.To, History: historyOf(in.History),
		Events: func(add func([]event.Event) error) error {
			for evs := in.Events; len(evs) > 0; {
				n := min(len(evs), batchSize)
				if err := add(evs[:n]); err != nil {
					return err
				}
				evs = evs[n:]
			}
			return nil
		},
	})
}

// historyOf is a Stream's History over the aggregates of history, by day
// (YYYY-MM-DD): oldest first, as DetectStream wants them.
func historyOf(history map[string]*Aggregate) func(add func(day string, ag *Aggregate) error) error {
	return func(add func(string, *Aggregate) error) error {
		days := make([]string, 0, len(history))
		for day := range history {
			days = append(days, day)
		}
		slices.Sort(days)
		for _, day := range days {
			if err := add(day, history[day]); err != nil {
				return err
			}
		}
		return nil
	}
}

// DetectStream evaluates in like Detect, with the same findings, holding
// only a compact form of the events and one day's aggregate at a time.
func (d *Detector) DetectStream(in Stream) ([]finding.Finding, error) {
	cfg := d.Config
	if cfg == nil {
		cfg = DefaultConfig()
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	if !in.From.Before(in.To) {
		return nil, fmt.Errorf("detect: empty window %s..%s", in.From.Format(time.RFC3339), in.To.Format(time.RFC3339))
	}
	r := &run{
		cfg: cfg, now: now(), names: newInterner(),
		days: map[int64]*dayIndex{}, present: map[int64]bool{}, pairSeen: map[pairKey]int64{}, prinSeen: map[uint32]int64{},
		policies: map[uint32]policySnap{}, pinfo: map[uint32]*principalInfo{}, changes: map[uint32]change1{}, created: map[uint32]created1{},
		destructive: set(cfg.Rules.Destructive.Events), critical: set(cfg.Rules.Destructive.CriticalEvents),
		policyEvents: set(cfg.Rules.PolicyChange.Events), ignoreErr: set(cfg.Rules.FailedAccess.IgnoreErrorCodes),
		known: set(cfg.KnownAccounts), fast: in.SingleEvent,
	}
	first := DayStart(in.From)
	if in.History != nil {
		h := historyLoader{r: r, first: first, lo: first.AddDate(0, 0, -cfg.HistoryDays)}
		if err := in.History(h.add); err != nil {
			return nil, err
		}
	}
	t := newTable(r.names)
	if in.Events != nil {
		if err := in.Events(func(b []event.Event) error { t.add(b); return nil }); err != nil {
			return nil, err
		}
	}
	if len(cfg.KnownAccounts) == 0 && (cfg.InferKnownAccounts == nil || *cfg.InferKnownAccounts) {
		seen := t.knownAccounts()
		slices.Sort(seen)
		if in.Seen != nil {
			in.Seen(seen)
		}
		for _, a := range append(seen, in.Accounts...) {
			r.known[a] = true
		}
	}
	p := prepare(t)
	r.p = p
	evalFrom := in.From.UTC().Truncate(time.Hour).UnixMilli()
	to := in.To.UnixMilli()
	for ds := first.UnixMilli(); ds < to; ds += 24 * hourMs {
		de := min(ds+24*hourMs, to)
		i := sort.Search(len(p.acc), func(i int) bool { return p.acc[i].t >= ds })
		j := sort.Search(len(p.acc), func(i int) bool { return p.acc[i].t >= de })
		r.day(ds, p.acc[i:j], evalFrom)
	}
	out := r.merge(r.out)
	if d.Query != nil {
		for i := range out {
			q, err := d.Query(out[i])
			if err != nil {
				return nil, fmt.Errorf("render query for finding %s: %w", out[i].ID, err)
			}
			out[i].Query = q
		}
	}
	Sort(out)
	return out, nil
}

// mergeGap is the largest gap between two findings of one incident.
const mergeGap = time.Hour

// mergeable are the kinds whose findings cover an hour, so that one
// incident that lasts several hours comes out as several findings unless
// merged. Destructive calls and policy changes are single calls: each is
// news of its own.
var mergeable = map[string]bool{
	finding.KindOffHours: true, finding.KindFailedAccess: true, finding.KindFrequency: true,
	finding.KindCrossAccount: true, finding.KindBulkRetrieval: true,
}

// merge joins the findings of one incident: the same kind, principal,
// title and resource, each starting within mergeGap of the previous one's
// end, and none more severe than the first (a rise in severity is news and
// stays a finding of its own). The merged finding keeps the first one's id
// and start, so the alerter, which has posted the first, does not post
// the continuation again; its count, end and context cover the whole span.
func (r *run) merge(fs []finding.Finding) []finding.Finding {
	type key struct{ kind, principal, title, resource string }
	slices.SortStableFunc(fs, func(a, b finding.Finding) int { return a.Start.Compare(b.Start) })
	open := map[key]int{}   // index in out of the incident being extended
	merged := map[int]int{} // index in out → findings merged into it
	out := fs[:0:0]
	for _, f := range fs {
		if !mergeable[f.Kind] {
			out = append(out, f)
			continue
		}
		k := key{f.Kind, f.Principal, f.Title, f.Resource}
		if i, ok := open[k]; ok {
			m := &out[i]
			if continues(*m, f) {
				mergeInto(m, f)
				merged[i]++
				continue
			}
		}
		open[k] = len(out)
		out = append(out, f)
	}
	for i, n := range merged {
		f := &out[i]
		f.Reason = strings.TrimSuffix(f.Reason, ".") + fmt.Sprintf("; it went on for %s, until %s, %d calls in all.",
			plural(n, "more hour", "more hours"), f.End.In(r.cfg.loc).Format("Mon 2006-01-02 15:04"), f.Count)
	}
	return out
}

// continues reports whether f, starting no earlier than m, is more of the
// incident m reports: mergeable, the same kind, principal, title and
// resource, within mergeGap of m's end (the same UTC day for
// cross_account), and no more severe.
func continues(m, f finding.Finding) bool {
	if !mergeable[f.Kind] || f.Kind != m.Kind || f.Principal != m.Principal || f.Title != m.Title || f.Resource != m.Resource {
		return false
	}
	near := f.Start.Sub(m.End) <= mergeGap
	if f.Kind == finding.KindCrossAccount {
		near = DayStart(f.Start).Equal(DayStart(m.Start)) // one finding per pair and day
	}
	return near && finding.SeverityRank(f.Severity) <= finding.SeverityRank(m.Severity) && f.Shadow == m.Shadow
}

// mergeInto extends m with the evidence of f.
func mergeInto(m *finding.Finding, f finding.Finding) {
	if f.End.After(m.End) {
		m.End = f.End
	}
	m.Count += f.Count
	union := func(dst *[]string, src []string, limit int) {
		for _, v := range src {
			if !slices.Contains(*dst, v) {
				*dst = append(*dst, v)
			}
		}
		slices.Sort(*dst)
		if len(*dst) > limit {
			*dst = (*dst)[:limit]
		}
	}
	if len(m.EventIDs) < MaxEventIDs {
		m.EventIDs = append(m.EventIDs, f.EventIDs[:min(len(f.EventIDs), MaxEventIDs-len(m.EventIDs))]...)
	}
	union(&m.Resources, f.Resources, len(m.Resources)+len(f.Resources))
	if len(m.Resources) == 1 {
		m.Resource = m.Resources[0]
	} else {
		m.Resource = ""
	}
	for _, p := range []struct{ dst, src *[]string }{
		{&m.SessionNames, &f.SessionNames}, {&m.EventNames, &f.EventNames}, {&m.SourceIPs, &f.SourceIPs},
		{&m.UserAgents, &f.UserAgents}, {&m.VPCEndpoints, &f.VPCEndpoints}, {&m.Regions, &f.Regions}, {&m.ErrorCodes, &f.ErrorCodes},
	} {
		union(p.dst, *p.src, MaxEventIDs)
	}
}

// Sort orders findings by severity (highest first), start and id.
func Sort(fs []finding.Finding) {
	slices.SortFunc(fs, func(a, b finding.Finding) int {
		if c := finding.SeverityRank(b.Severity) - finding.SeverityRank(a.Severity); c != 0 {
			return c
		}
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		// Findings that share an id (per-resource volume findings of one
		// principal and hour) in a fixed order.
		return cmp.Or(strings.Compare(a.Resource, b.Resource), strings.Compare(a.Reason, b.Reason))
	})
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// run is the state of one Detect call.
type run struct {
	cfg   *Config
	now   time.Time
	names *interner
	p     *prepared

	days     map[int64]*dayIndex // by day start (Unix ms), the baseline days
	present  map[int64]bool      // days with data
	pairSeen map[pairKey]int64   // last day start a pair was counted
	prinSeen map[uint32]int64    // last day start a principal was counted
	policies map[uint32]policySnap
	pinfo    map[uint32]*principalInfo
	changes  map[uint32]change1  // the last management call on each resource, in this run's events
	created  map[uint32]created1 // who created each resource, in this run's events
	dayFresh map[uint32][]int64  // principal → first use today of each resource new to it, sorted

	destructive, critical, policyEvents, ignoreErr, known map[string]bool

	fast bool // single-event rules only (Stream.SingleEvent)

	buf []access
	out []finding.Finding
}

// principalInfo caches per-principal configuration decisions.
type principalInfo struct {
	quiet bool           // self or allow-listed
	supp  []*Suppression // suppressions naming this principal
}

func (r *run) principal(p uint32) *principalInfo {
	if pi, ok := r.pinfo[p]; ok {
		return pi
	}
	arn := r.names.str(p)
	pi := &principalInfo{quiet: matchAny(r.cfg.SelfPrincipals, arn) || matchAny(r.cfg.AllowPrincipals, arn)}
	for i := range r.cfg.Suppressions {
		s := &r.cfg.Suppressions[i]
		if globMatch(s.Principal, arn) && (s.expires.IsZero() || r.now.Before(s.expires)) {
			pi.supp = append(pi.supp, s)
		}
	}
	r.pinfo[p] = pi
	return pi
}

// suppressed reports whether a suppression silences rule for access a.
func (r *run) suppressed(pi *principalInfo, rule string, a *access) bool {
	for _, s := range pi.supp {
		if len(s.Rules) > 0 && !slices.Contains(s.Rules, rule) {
			continue
		}
		if s.Resource != "" && !globMatch(s.Resource, r.names.str(a.r)) {
			continue
		}
		if s.Hours != "" {
			l := time.UnixMilli(a.t).In(r.cfg.loc)
			m := l.Hour()*60 + l.Minute()
			if s.from < s.to && (m < s.from || m >= s.to) || s.from > s.to && m < s.from && m >= s.to {
				continue
			}
		}
		return true
	}
	return false
}

// change1 is one management call on a resource, kept to explain the
// failures that follow it.
type change1 struct {
	name, by string
	t        int64
}

// created1 is a resource's creation.
type created1 struct {
	p uint32
	t int64
}

// historyLoader takes the aggregates of the days before first, oldest
// first.
type historyLoader struct {
	r         *run
	first, lo time.Time
	last      time.Time // the last day taken
}

func (h *historyLoader) add(day string, ag *Aggregate) error {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil || t.Before(h.lo) || !t.Before(h.first) || ag == nil {
		return nil
	}
	if !h.last.IsZero() && !t.After(h.last) {
		return fmt.Errorf("detect: history day %s after %s: days must come oldest first", day, h.last.Format(time.DateOnly))
	}
	h.last = t
	r := h.r
	if t.Before(h.first.AddDate(0, 0, -r.cfg.BaselineDays-1)) {
		r.markSeen(t.UnixMilli(), ag) // first_seen only: no hourly index
		return nil
	}
	r.addDay(t.UnixMilli(), ag.index(r.names))
	return nil
}

// markSeen records an old day's pairs and policies without indexing hours.
func (r *run) markSeen(ds int64, ag *Aggregate) {
	r.present[ds] = true
	for i := range ag.Pairs {
		k := pairKey{r.names.id(ag.Pairs[i].Principal), r.names.id(ag.Pairs[i].Resource)}
		r.pairSeen[k] = ds
		r.prinSeen[k.p] = ds
	}
	for _, s := range ag.Policies {
		res := r.names.id(s.Resource)
		if cur, ok := r.policies[res]; !ok || !s.Time.Before(cur.t) {
			r.policies[res] = policySnap{principals: s.Principals, eventID: s.EventID, t: s.Time}
		}
	}
}

// addDay records a finished day's index for later days' baselines.
func (r *run) addDay(ds int64, ix *dayIndex) {
	r.days[ds] = ix
	r.present[ds] = true
	// Hourly indexes older than the baseline are no longer needed.
	delete(r.days, ds-int64(r.cfg.BaselineDays+2)*24*hourMs)
	for k := range ix.pairs {
		r.pairSeen[k] = ds
		r.prinSeen[k.p] = ds
	}
	for res, s := range ix.policies {
		if cur, ok := r.policies[res]; !ok || !s.t.Before(cur.t) {
			r.policies[res] = s
		}
	}
}

// historyDays counts the days with data among the n days before ds.
func (r *run) historyDays(ds int64, n int) int {
	c := 0
	for k := 1; k <= n; k++ {
		if r.present[ds-int64(k)*24*hourMs] {
			c++
		}
	}
	return c
}

// day evaluates one UTC day's accesses (sorted by time) for the hours from
// evalFrom, and then adds the day to the history.
func (r *run) day(ds int64, acc []access, evalFrom int64) {
	today := indexDay(acc, r.p, ds)
	r.days[ds] = today // hours before a slot are complete: DST-shifted samples may land today
	warm := r.historyDays(ds, r.cfg.HistoryDays) >= r.cfg.WarmupDays
	r.freshOf(ds, acc)
	seenToday := map[pairKey]bool{}
	for s, i := ds, 0; s < ds+24*hourMs && i < len(acc); s += hourMs {
		j := i + sort.Search(len(acc)-i, func(k int) bool { return acc[i+k].t >= s+hourMs })
		slot := acc[i:j]
		r.trackPolicies(slot, s >= evalFrom)
		if s >= evalFrom && len(slot) > 0 {
			r.slot(ds, s, slot, seenToday, warm)
		}
		for k := range slot {
			if counted(&slot[k]) {
				seenToday[pairKey{slot[k].p, slot[k].r}] = true
			}
		}
		i = j
	}
	if !r.fast {
		r.bulkDay(ds, acc, evalFrom)
	}
	r.addDay(ds, today)
}

// freshOf records, for the day's accesses (sorted by time), when each
// principal first used each resource it had not used in HistoryDays.
func (r *run) freshOf(ds int64, acc []access) {
	r.dayFresh = map[uint32][]int64{}
	seen := map[pairKey]bool{}
	for i := range acc {
		a := &acc[i]
		if !counted(a) {
			continue
		}
		k := pairKey{a.p, a.r}
		if seen[k] {
			continue
		}
		seen[k] = true
		if r.newTo(k, ds) {
			r.dayFresh[a.p] = append(r.dayFresh[a.p], a.t)
		}
	}
}

// newTo reports whether resource k.r is new to principal k.p on day ds:
// not used in the HistoryDays before it, and not created by the principal
// itself in the evaluated events. (Use earlier on day ds is the caller's
// to check.)
func (r *run) newTo(k pairKey, ds int64) bool {
	if c, mine := r.created[k.r]; mine && c.p == k.p {
		return false
	}
	last, ok := r.pairSeen[k]
	return !ok || ds-last > int64(r.cfg.HistoryDays)*24*hourMs
}

// slot evaluates the accesses of one UTC hour.
func (r *run) slot(ds, s int64, slot []access, seenToday map[pairKey]bool, warm bool) {
	r.buf = append(r.buf[:0], slot...)
	b := r.buf
	slices.SortFunc(b, func(x, y access) int {
		if x.p != y.p {
			return int(x.p) - int(y.p)
		}
		if x.r != y.r {
			return int(x.r) - int(y.r)
		}
		return int(x.t - y.t)
	})
	biz := r.businessMinutes(s)
	for i := 0; i < len(b); {
		j := i + 1
		for j < len(b) && b[j].p == b[i].p {
			j++
		}
		if b[i].p != 0 {
			if pi := r.principal(b[i].p); !pi.quiet {
				pr := principalRun{r: r, pi: pi, p: b[i].p, acc: b[i:j], ds: ds, s: s, biz: biz, warm: warm, seenToday: seenToday}
				pr.evaluate()
			}
		}
		i = j
	}
}

// businessMinutes tells, per minute of the UTC hour starting at s, whether
// it is business time.
func (r *run) businessMinutes(s int64) *[60]bool {
	var m [60]bool
	for i := range m {
		m[i] = r.cfg.IsBusinessTime(time.UnixMilli(s + int64(i)*60_000))
	}
	return &m
}

// sample returns, for the local hour of slot s, the UTC hour starts of the
// same local hour on each of the n previous local days, and whether each
// is the same kind of day (business or not) as s's.
func (r *run) samples(s int64, n int) (hours []int64, same []bool) {
	l := time.UnixMilli(s).In(r.cfg.loc)
	biz := r.cfg.isBusinessDay(l)
	for k := 1; k <= n; k++ {
		// Keep the minute: in a zone with a half-hour offset (Asia/Kolkata)
		// the UTC hour starts at :30 local, and the sample must be that
		// same UTC hour of the earlier day, not the one before it.
		t := time.Date(l.Year(), l.Month(), l.Day()-k, l.Hour(), l.Minute(), 0, 0, r.cfg.loc)
		if t.Hour() != l.Hour() || t.Minute() != l.Minute() {
			continue // the hour does not exist that day (DST)
		}
		hours = append(hours, t.UnixMilli()/hourMs*hourMs)
		same = append(same, r.cfg.isBusinessDay(t) == biz)
	}
	return hours, same
}

// lookup returns the index and hour of the UTC hour starting at h, or nil
// when that day has no data, or the hour is not before limit.
func (r *run) lookup(h, limit int64) (*dayIndex, int) {
	if h >= limit {
		return nil, 0
	}
	ds := h / (24 * hourMs) * 24 * hourMs
	return r.days[ds], int((h - ds) / hourMs)
}

// baseline collects a count over the same local hour of the baseline days,
// using only same-kind days when there are MinSamples of them.
func (r *run) baseline(s int64, count func(ix *dayIndex, h int) float64) []float64 {
	hours, same := r.samples(s, r.cfg.BaselineDays)
	var all, match []float64
	for i, h := range hours {
		ix, hh := r.lookup(h, s)
		if ix == nil {
			continue
		}
		v := count(ix, hh)
		all = append(all, v)
		if same[i] {
			match = append(match, v)
		}
	}
	if len(match) >= r.cfg.Rules.Frequency.MinSamples {
		return match
	}
	return all
}

// trackPolicies follows resource policies in time order and reports policy
// changes (when report is set).
func (r *run) trackPolicies(slot []access, report bool) {
	for k := range slot {
		a := &slot[k]
		if a.flags&fFailed != 0 {
			continue
		}
		e := r.p.ev(a.ev)
		srcName, name := r.names.str(e.source), r.names.str(e.name)
		src := source.Of(srcName)
		if src == nil {
			continue
		}
		if a.r != 0 && name == src.Create && a.p != 0 {
			r.created[a.r] = created1{p: a.p, t: a.t}
		}
		if a.r != 0 && (r.destructive[name] || r.policyEvents[name]) {
			r.changes[a.r] = change1{name: name, by: r.names.str(a.p), t: a.t}
		}
		// A key is created with its policy.
		if r.policyEvents[name] || name == source.KMS.Create {
			var prev []string
			if snap, ok := r.policies[a.r]; ok {
				prev = snap.principals
			}
			if report && a.p != 0 {
				r.policyFinding(a, e, prev)
			}
		}
		if ps, ok := policyPrincipals(srcName, name, e.params()); ok {
			r.policies[a.r] = policySnap{principals: ps, eventID: e.id, t: e.time()}
		}
	}
}

func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if globMatch(g, s) {
			return true
		}
	}
	return false
}

// globMatch matches an ARN against a pattern where * matches any run of
// characters (including / and :) and ? one character.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(pattern, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}
