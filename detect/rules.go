package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/internal/finding"
)

// MaxEventIDs caps the sample of event ids (and each context list) in a
// finding.
const MaxEventIDs = 20

// principalRun is one principal's accesses in one UTC hour, sorted by
// resource and time.
type principalRun struct {
	r         *run
	pi        *principalInfo
	p         uint32
	acc       []access
	ds, s     int64 // day and hour start, Unix ms
	biz       *[60]bool
	warm      bool
	seenToday map[pairKey]bool
}

func (pr *principalRun) evaluate() {
	rules := &pr.r.cfg.Rules
	person := false
	for i := range pr.acc {
		if pr.acc[i].flags&(fPerson|fService) == fPerson {
			person = true
			break
		}
	}
	if pr.r.fast {
		// The rules that need no baseline (policy changes are reported
		// as the policies are tracked, see trackPolicies).
		if rules.FailedAccess.On() {
			pr.failed(person)
		}
		if rules.Destructive.On() {
			pr.destructive()
		}
		if rules.BulkRetrieval.On() {
			pr.bulk()
		}
		return
	}
	offHours := false
	if rules.OffHours.On() {
		offHours = pr.offHours(person)
	}
	if rules.FailedAccess.On() {
		pr.failed(person)
	}
	breadth := false
	if rules.Frequency.On() {
		breadth = pr.frequency()
	}
	// One finding per principal and hour tells the story: an off-hours or
	// breadth finding names the resources never used before, and first_seen
	// stays quiet for that hour.
	if rules.FirstSeen.On() && !breadth && !offHours {
		pr.firstSeen(person)
	}
	if rules.Destructive.On() {
		pr.destructive()
	}
	if rules.CrossAccount.On() {
		pr.crossAccount()
	}
	if rules.BulkRetrieval.On() {
		pr.bulk()
	}
}

// uses reports whether a rule counts a as a successful access.
func uses(a *access, rule Rule) bool {
	if a.flags&(fFailed|fRotation) != 0 {
		return false
	}
	return a.flags&fService == 0 || rule.IncludeServices
}

// offHours reports off-hours access and returns whether it did.
func (pr *principalRun) offHours(person bool) bool {
	rule := pr.r.cfg.Rules.OffHours
	var ev []access
	for i := range pr.acc {
		a := &pr.acc[i]
		if a.r == 0 || !uses(a, rule.Rule) || pr.biz[(a.t-pr.s)/60_000] || pr.r.suppressed(pr.pi, finding.KindOffHours, a) {
			continue
		}
		ev = append(ev, *a)
	}
	if len(ev) == 0 {
		return false
	}
	sev, why := rule.Severity, ""
	if person && pr.warm {
		if n := pr.activeDays(); n >= rule.PersonHabitDays {
			sev = rule.WorkloadSeverity
			why = fmt.Sprintf("; it was active around this hour on %d comparable days of its %d-day baseline", n, pr.r.cfg.BaselineDays)
		}
	}
	if !person {
		if !*rule.Workloads || !pr.warm || pr.activeAround() {
			return false
		}
		sev = rule.WorkloadSeverity
		why = fmt.Sprintf("; this workload had no activity around this hour on comparable days of its %d-day baseline", pr.r.cfg.BaselineDays)
	}
	if fresh := pr.fresh(ev); fresh > 0 && pr.warm {
		why += fmt.Sprintf("; %d of them it had not used in the previous %d days", fresh, pr.r.cfg.HistoryDays)
	}
	f := pr.r.build(finding.KindOffHours, sev, rule.Rule, pr.p, ev, slotID(pr.s))
	f.Title = "Off-hours access by " + shortName(f.Principal)
	f.Reason = fmt.Sprintf("%s made %d calls to %s %s, outside business hours (%s)%s.",
		f.Principal, f.Count, plural(len(f.Resources), "secret or key", "secrets or keys"),
		pr.r.localSpan(f.Start, f.End), pr.r.cfg.BusinessHours, why)
	pr.r.emit(f)
	return true
}

// fresh counts the resources in ev (sorted by resource) the principal had
// not used in HistoryDays nor earlier today.
func (pr *principalRun) fresh(ev []access) int {
	n := 0
	for i := range ev {
		if i > 0 && ev[i].r == ev[i-1].r {
			continue
		}
		if k := (pairKey{pr.p, ev[i].r}); !pr.seenToday[k] && pr.r.newTo(k, pr.ds) {
			n++
		}
	}
	return n
}

// activeDays counts the comparable baseline days on which the principal
// was active at this local hour ±1.
func (pr *principalRun) activeDays() int {
	days := map[int64]bool{}
	for d := int64(-1); d <= 1; d++ {
		hours, same := pr.r.samples(pr.s+d*hourMs, pr.r.cfg.BaselineDays)
		for i, h := range hours {
			if !same[i] {
				continue
			}
			if ix, hh := pr.r.lookup(h, pr.s); ix != nil {
				if act := ix.active[pr.p]; act != nil && act[hh] > 0 {
					days[(h-d*hourMs)/(24*hourMs)] = true
				}
			}
		}
	}
	return len(days)
}

// activeAround reports whether the principal's baseline shows activity at
// this local hour ±1 on a day of the same kind.
func (pr *principalRun) activeAround() bool { return pr.activeDays() > 0 }

func (pr *principalRun) failed(person bool) {
	r := pr.r
	rule := r.cfg.Rules.FailedAccess
	var ev []access
	distinct, outside := 0, false
	for i := range pr.acc {
		a := &pr.acc[i]
		if a.flags&fFailed == 0 || a.flags&fService != 0 && !rule.IncludeServices ||
			r.ignoreErr[r.names.str(r.p.ev(a.ev).errCode)] || r.suppressed(pr.pi, finding.KindFailedAccess, a) {
			continue
		}
		if len(ev) == 0 || ev[len(ev)-1].r != a.r {
			distinct++
		}
		if r.outsider(a) {
			outside = true
		}
		ev = append(ev, *a)
	}
	if pr.r.fast && !outside {
		return // the fast path reports only outside accounts denied (see DetectPart)
	}
	var sev, what string
	var idParts []string
	switch {
	case len(ev) == 0:
		return
	case distinct >= rule.EnumerationResources:
		sev, what = rule.EnumerationSeverity, "possible enumeration"
	case distinct >= rule.MinResources && person:
		sev, what = rule.PersonSeverity, "failures across several resources"
	case distinct >= rule.MinResources:
		sev, what = rule.Severity, "failures across several resources"
	case outside:
		sev, what = rule.Severity, "calls from an outside account denied"
	case person && len(ev) >= rule.PersonMinFailures:
		sev, what = rule.Severity, "repeated denials"
	case rule.RetryMinFailures > 0 && len(ev) >= rule.RetryMinFailures:
		sev, what = rule.RetrySeverity, "repeated failures"
	default:
		pr.brokenAccess(ev)
		return
	}
	f := r.build(finding.KindFailedAccess, sev, rule.Rule, pr.p, ev, append(idParts, slotID(pr.s))...)
	f.Title = fmt.Sprintf("Failed access by %s: %s", shortName(f.Principal), what)
	f.Reason = fmt.Sprintf("%s had %d failed calls (%s) on %d different secrets or keys %s.",
		f.Principal, f.Count, strings.Join(f.ErrorCodes, ", "), distinct, r.localSpan(f.Start, f.End))
	r.emit(f)
}

// outsider reports an access by a principal of an account that is neither
// the resource's nor a known one.
func (r *run) outsider(a *access) bool {
	e := r.p.ev(a.ev)
	acct := r.names.str(e.prinAcct)
	ra := arn.Account(r.names.str(a.r))
	if ra == "" {
		ra = r.names.str(e.resAcct)
	}
	if ra == "" {
		ra = r.names.str(e.recipient) // a call naming no resource (a VPC endpoint denial)
	}
	return acct != "" && ra != "" && acct != ra && !r.known[acct]
}

// brokenAccess reports a workload that fails (nearly) every call on one
// resource for the hour: a permission or a resource it depends on is
// broken. The hours of one outage share the finding's id with its first
// hour, so one incident is one finding (see merge).
func (pr *principalRun) brokenAccess(failed []access) {
	r := pr.r
	rule := r.cfg.Rules.FailedAccess
	if rule.BrokenMinFailures == 0 {
		return
	}
	for i := 0; i < len(failed); {
		j := i
		for j < len(failed) && failed[j].r == failed[i].r {
			j++
		}
		res, n := failed[i].r, j-i
		i = j
		if res == 0 || n < rule.BrokenMinFailures {
			continue
		}
		total := 0
		for k := range pr.acc {
			if pr.acc[k].r == res && pr.acc[k].flags&fService == 0 {
				total++
			}
		}
		if float64(n) < rule.BrokenShare*float64(total) {
			continue
		}
		ev := failed[i-n : i]
		f := r.build(finding.KindFailedAccess, rule.BrokenSeverity, rule.Rule, pr.p, ev, "broken", r.names.str(res), slotID(pr.s))
		f.Title = fmt.Sprintf("%s keeps failing on %s", shortName(f.Principal), shortName(f.Resource))
		var b strings.Builder
		fmt.Fprintf(&b, "%s failed %d of its %d calls on %s (%s) %s: something it depends on is broken or was removed",
			f.Principal, n, total, f.Resource, strings.Join(f.ErrorCodes, ", "), r.localSpan(f.Start, f.End))
		if c, ok := r.changes[res]; ok && c.t <= ev[0].t && ev[0].t-c.t <= 7*24*hourMs {
			fmt.Fprintf(&b, "; before it, %s called %s on it at %s", c.by, c.name, time.UnixMilli(c.t).In(r.cfg.loc).Format("Mon 2006-01-02 15:04 MST"))
		}
		b.WriteString(".")
		f.Reason = b.String()
		r.emit(f)
	}
}

// frequency reports unusual volume per resource and unusual breadth; it
// returns whether it reported breadth (which then also covers the new
// resources, so first_seen stays quiet for that hour).
func (pr *principalRun) frequency() bool {
	r := pr.r
	rule := r.cfg.Rules.Frequency
	last, seen := r.prinSeen[pr.p]
	newPrincipal := !seen || pr.ds-last > int64(r.cfg.HistoryDays)*24*hourMs
	// Whether this is the workload's habit is asked only of a finding.
	habit, habitDone := false, false
	known := func() bool {
		if !habitDone {
			habit, habitDone = pr.knownHabit(), true
		}
		return habit
	}
	told := false // a cold-start finding already names the new principal's resources
	var all []access
	for i := 0; i < len(pr.acc); {
		j := i
		var ev []access
		for ; j < len(pr.acc) && pr.acc[j].r == pr.acc[i].r; j++ {
			a := &pr.acc[j]
			if a.r != 0 && a.flags&fUse != 0 && uses(a, rule.Rule) && !r.suppressed(pr.pi, finding.KindFrequency, a) {
				ev = append(ev, *a)
			}
		}
		all = append(all, ev...)
		if len(ev) >= rule.MinCount && newPrincipal && pr.warm {
			told = pr.coldVolume(ev) || told
		} else if len(ev) >= rule.MinCount {
			k := pairKey{pr.p, pr.acc[i].r}
			if last, ok := r.pairSeen[k]; ok && pr.ds-last <= int64(r.cfg.BaselineDays)*24*hourMs {
				samples := r.baseline(pr.s, func(ix *dayIndex, h int) float64 {
					if c := ix.pairs[k]; c != nil {
						return float64(c[h])
					}
					return 0
				})
				if len(samples) >= rule.MinSamples {
					n := float64(len(ev))
					thr, med, mad := threshold(samples, rule, rule.MinCount)
					if n >= thr {
						// Several resources may spike in one hour: each is its
						// own finding, so the resource is part of the id.
						sev, habit := rule.freqSeverity(n, thr), ""
						if known() {
							sev, habit = rule.HabitSeverity, "; it read only secrets and keys it uses every week, at an hour it is usually active (a release or scale-out looks like this)"
						}
						f := r.build(finding.KindFrequency, sev, rule.Rule, pr.p, ev, "pair", r.names.str(k.r), slotID(pr.s))
						f.Title = fmt.Sprintf("Unusual access volume by %s", shortName(f.Principal))
						f.Reason = fmt.Sprintf("%s called %s %d times %s; its baseline at this hour is a median of %s (MAD %s) over %d comparable days, threshold %s%s.",
							f.Principal, f.Resource, len(ev), r.localSpan(f.Start, f.End), num(med), num(mad), len(samples), num(thr), habit)
						r.emit(f)
					}
				}
			}
		}
		i = j
	}
	// Breadth: distinct resources in the hour.
	distinct, fresh := 0, 0
	for i := range all {
		if i == 0 || all[i].r != all[i-1].r {
			distinct++
			if k := (pairKey{pr.p, all[i].r}); !pr.seenToday[k] && r.newTo(k, pr.ds) {
				fresh++
			}
		}
	}
	if newPrincipal && pr.warm && distinct >= rule.ColdMinDistinct {
		sev := rule.Severity
		if distinct >= 2*rule.ColdMinDistinct {
			sev = finding.SeverityHigh
		}
		f := r.build(finding.KindFrequency, sev, rule.Rule, pr.p, all, "distinct", slotID(pr.s))
		f.Title = fmt.Sprintf("%s, new, touched many secrets or keys", shortName(f.Principal))
		f.Reason = fmt.Sprintf("%s, with no activity in the previous %d days, used %d different secrets or keys %s; a principal without history is reported from %d (no baseline needed).",
			f.Principal, r.cfg.HistoryDays, distinct, r.localSpan(f.Start, f.End), rule.ColdMinDistinct)
		r.emit(f)
		return true
	}
	if distinct < rule.MinDistinct {
		return told
	}
	if last, ok := r.prinSeen[pr.p]; !ok || pr.ds-last > int64(r.cfg.BaselineDays)*24*hourMs {
		return told
	}
	samples := r.baseline(pr.s, func(ix *dayIndex, h int) float64 {
		if c := ix.distinct[pr.p]; c != nil {
			return float64(c[h])
		}
		return 0
	})
	if len(samples) < rule.MinSamples {
		return told
	}
	thr, med, mad := threshold(samples, rule, rule.MinDistinct)
	if float64(distinct) < thr {
		return told
	}
	sev := rule.freqSeverity(float64(distinct), thr)
	if fresh == 0 && known() {
		sev = rule.HabitSeverity
	}
	f := r.build(finding.KindFrequency, sev, rule.Rule, pr.p, all, "distinct", slotID(pr.s))
	f.Title = fmt.Sprintf("%s touched unusually many secrets or keys", shortName(f.Principal))
	f.Reason = fmt.Sprintf("%s used %d different secrets or keys (%d of them not in the previous %d days) %s; its baseline at this hour is a median of %s (MAD %s) over %d comparable days, threshold %s.",
		f.Principal, distinct, fresh, r.cfg.HistoryDays, r.localSpan(f.Start, f.End), num(med), num(mad), len(samples), num(thr))
	r.emit(f)
	return true
}

// coldVolume reports a principal with no history calling one resource as
// often as the resource's own baseline at this hour says is unusual for
// all its callers together: a new role hammering a production key.
func (pr *principalRun) coldVolume(ev []access) bool {
	r := pr.r
	rule := r.cfg.Rules.Frequency
	res := ev[0].r
	samples := r.baseline(pr.s, func(ix *dayIndex, h int) float64 {
		if c := ix.res[res]; c != nil {
			return float64(c[h])
		}
		return 0
	})
	if len(samples) < rule.MinSamples {
		return false
	}
	n := float64(len(ev))
	thr, med, mad := threshold(samples, rule, rule.MinCount)
	if n < thr {
		return false
	}
	f := r.build(finding.KindFrequency, rule.freqSeverity(n, thr), rule.Rule, pr.p, ev, "pair", r.names.str(res), slotID(pr.s))
	f.Title = fmt.Sprintf("Heavy use of %s by new %s", shortName(f.Resource), shortName(f.Principal))
	f.Reason = fmt.Sprintf("%s, with no activity in the previous %d days, called %s %d times %s; all callers of it together make a median of %s calls (MAD %s) at this hour over %d comparable days, threshold %s.",
		f.Principal, r.cfg.HistoryDays, f.Resource, len(ev), r.localSpan(f.Start, f.End), num(med), num(mad), len(samples), num(thr))
	r.emit(f)
	return true
}

// knownHabit reports a workload doing what it always does: every resource
// it used this hour it used on at least half of the baseline days with
// data, and it is usually active at this local hour. Its volume can still
// jump (releases, scale-outs) without being a high finding. People never
// qualify: their habits are too thin a baseline.
func (pr *principalRun) knownHabit() bool {
	r := pr.r
	var days []*dayIndex
	for k := 1; k <= r.cfg.BaselineDays; k++ {
		if ix := r.days[pr.ds-int64(k)*24*hourMs]; ix != nil {
			days = append(days, ix)
		}
	}
	if len(days) < r.cfg.Rules.Frequency.MinSamples {
		return false
	}
	for i := range pr.acc {
		a := &pr.acc[i]
		if a.flags&(fPerson|fService) == fPerson {
			return false
		}
		if a.r == 0 || (i > 0 && pr.acc[i-1].r == a.r) || a.flags&fUse == 0 {
			continue
		}
		n := 0
		for _, ix := range days {
			if ix.pairs[pairKey{pr.p, a.r}] != nil {
				n++
			}
		}
		if 2*n < len(days) {
			return false
		}
	}
	return pr.activeAround()
}

// threshold is the robust bar observed counts must reach: at least min,
// Ratio × the median, and the median plus MADs scaled MADs (the MAD scaled
// to a standard deviation, at least 1).
func threshold(samples []float64, rule FrequencyRule, minCount int) (thr, med, mad float64) {
	med, mad = medianMAD(samples)
	spread := max(1.4826*mad, 1)
	return max(float64(minCount), rule.Ratio*med, med+rule.MADs*spread), med, mad
}

func (rule FrequencyRule) freqSeverity(n, thr float64) string {
	if n >= 2*thr && finding.SeverityRank(rule.Severity) < finding.SeverityRank(finding.SeverityHigh) {
		return finding.SeverityHigh
	}
	return rule.Severity
}

func (pr *principalRun) firstSeen(person bool) {
	r := pr.r
	rule := r.cfg.Rules.FirstSeen
	if !pr.warm {
		return
	}
	horizon := int64(r.cfg.HistoryDays) * 24 * hourMs
	if last, ok := r.prinSeen[pr.p]; (!ok || pr.ds-last > horizon) && !*rule.NewPrincipals {
		return
	}
	var ev []access
	for i := 0; i < len(pr.acc); {
		j := i
		k := pairKey{pr.p, pr.acc[i].r}
		fresh := k.r != 0 && !pr.seenToday[k] && r.newTo(k, pr.ds)
		for ; j < len(pr.acc) && pr.acc[j].r == k.r; j++ {
			a := &pr.acc[j]
			if fresh && a.flags&fUse != 0 && uses(a, rule.Rule) && !r.suppressed(pr.pi, finding.KindFirstSeen, a) {
				ev = append(ev, *a)
			}
		}
		i = j
	}
	if len(ev) == 0 {
		return
	}
	sev, drift := rule.Severity, ""
	if !person {
		sev = rule.WorkloadSeverity
		// A workload drifting onto new secrets hour after hour (slow
		// exfiltration) is one medium finding, in the hour its day's count
		// of new resources reaches WorkloadDrift.
		before, upTo := 0, 0
		for _, t := range r.dayFresh[pr.p] {
			if t < pr.s {
				before++
			}
			if t < pr.s+hourMs {
				upTo++
			}
		}
		if before < rule.WorkloadDrift && upTo >= rule.WorkloadDrift {
			sev = rule.Severity
			drift = fmt.Sprintf("; that makes %d secrets or keys new to it since the start of the UTC day (threshold %d)", upTo, rule.WorkloadDrift)
		}
	}
	f := r.build(finding.KindFirstSeen, sev, rule.Rule, pr.p, ev, slotID(pr.s))
	f.Title = fmt.Sprintf("%s used %s for the first time", shortName(f.Principal), plural(len(f.Resources), "secret or key", "secrets or keys"))
	f.Reason = fmt.Sprintf("%s used %s (%d calls %s), which it had not used in the previous %d days%s.",
		f.Principal, listResources(f.Resources), f.Count, r.localSpan(f.Start, f.End), r.cfg.HistoryDays, drift)
	r.emit(f)
}

func (pr *principalRun) destructive() {
	r := pr.r
	rule := r.cfg.Rules.Destructive
	var ev []access
	sev := ""
	cleanup := true  // every call undoes the principal's own creation of this run
	eligible := true // every call is a DeleteSecret with a recovery window
	for i := range pr.acc {
		a := &pr.acc[i]
		e := r.p.ev(a.ev)
		name := r.names.str(e.name)
		if !uses(a, rule.Rule) || !r.destructive[name] || r.suppressed(pr.pi, finding.KindDestructive, a) {
			continue
		}
		s := rule.Severity
		forced := name == "DeleteSecret" && strings.Contains(e.params(), `"forceDeleteWithoutRecovery":true`)
		if r.critical[name] || forced {
			s = finding.SeverityCritical
		}
		if c, ok := r.created[a.r]; !ok || c.p != a.p || forced || name != "DeleteSecret" {
			cleanup = false
		}
		if forced || name != "DeleteSecret" {
			eligible = false
		}
		if finding.SeverityRank(s) > finding.SeverityRank(sev) {
			sev = s
		}
		ev = append(ev, *a)
	}
	if len(ev) == 0 {
		return
	}
	if r.fast && eligible && !cleanup {
		// Whether these are the principal's clean-up of secrets it created
		// earlier today is in events the part does not hold: the schedule
		// decides. A recovery window leaves days to undo the deletion.
		return
	}
	why := ""
	if cleanup {
		sev, why = rule.CleanupSeverity, ", with a recovery window, secrets it had created itself earlier (test clean-up looks like this)"
	}
	f := r.build(finding.KindDestructive, sev, rule.Rule, pr.p, ev, slotID(pr.s))
	f.Title = fmt.Sprintf("%s by %s", strings.Join(f.EventNames, ", "), shortName(f.Principal))
	f.Reason = fmt.Sprintf("%s called %s on %s %s%s.", f.Principal, strings.Join(f.EventNames, ", "),
		listResources(f.Resources), r.localSpan(f.Start, f.End), why)
	r.emit(f)
}

func (pr *principalRun) crossAccount() {
	r := pr.r
	rule := r.cfg.Rules.CrossAccount
	partners := partnerCache{}
	var ev []access
	var accounts []string
	sev := ""
	for i := range pr.acc {
		a := &pr.acc[i]
		if a.r == 0 || !uses(a, rule.Rule) {
			continue
		}
		e := r.p.ev(a.ev)
		ra := arn.Account(r.names.str(a.r))
		if ra == "" {
			ra = r.names.str(e.resAcct)
		}
		prinAcct := r.names.str(e.prinAcct)
		if prinAcct == "" || ra == "" || ra == prinAcct || r.suppressed(pr.pi, finding.KindCrossAccount, a) {
			continue
		}
		s := rule.Severity
		if r.known[prinAcct] {
			s = rule.KnownSeverity
		} else if depart, ok := partners.of(pr, a.r); ok {
			knownCall := pr.knownCall(a.r, e.name)
			switch {
			case !knownCall:
				// a call it never made here: Severity
			case depart:
				s = rule.DepartSeverity
			default:
				continue // a partner doing what it does every day
			}
		}
		if s == "" {
			continue
		}
		if finding.SeverityRank(s) > finding.SeverityRank(sev) {
			sev = s
		}
		if !slices.Contains(accounts, ra) {
			accounts = append(accounts, ra)
		}
		ev = append(ev, *a)
	}
	if len(ev) == 0 {
		return
	}
	slices.Sort(accounts)
	f := r.build(finding.KindCrossAccount, sev, rule.Rule, pr.p, ev, slotID(pr.s))
	f.Title = fmt.Sprintf("Cross-account use by %s (account %s)", shortName(f.Principal), f.PrincipalAccount)
	known := "not one of the known accounts"
	if r.known[f.PrincipalAccount] {
		known = "a known account"
	}
	f.Reason = fmt.Sprintf("%s of account %s (%s) made %d calls to %s owned by account %s %s.",
		f.Principal, f.PrincipalAccount, known, f.Count, listResources(f.Resources), strings.Join(accounts, ", "), r.localSpan(f.Start, f.End))
	r.emit(f)
}

// partner tells whether the principal used resource res on at least half
// of the baseline days with data (ok), and if so whether its calls on it
// this hour depart from its own baseline at this hour (depart). A partner
// account's role reading its shared secret every day is known; a new
// account, principal or resource is not.
func (pr *principalRun) partner(res uint32) (depart, ok bool) {
	r := pr.r
	k := pairKey{pr.p, res}
	days, seen := 0, 0
	for d := 1; d <= r.cfg.BaselineDays; d++ {
		if ix := r.days[pr.ds-int64(d)*24*hourMs]; ix != nil {
			days++
			if ix.pairs[k] != nil {
				seen++
			}
		}
	}
	if days < r.cfg.Rules.Frequency.MinSamples || 2*seen < days {
		return false, false
	}
	n := 0
	for i := range pr.acc {
		if pr.acc[i].r == res && uses(&pr.acc[i], r.cfg.Rules.CrossAccount.Rule) {
			n++
		}
	}
	rule := r.cfg.Rules.Frequency
	samples := r.baseline(pr.s, func(ix *dayIndex, h int) float64 {
		if c := ix.pairs[k]; c != nil {
			return float64(c[h])
		}
		return 0
	})
	thr, _, _ := threshold(samples, rule, rule.MinCount)
	return float64(n) >= thr, true
}

// partnerCache holds partner's answer per resource for one principal and
// hour: the accesses come one resource after another, many per resource.
type partnerCache map[uint32][2]bool

func (c partnerCache) of(pr *principalRun, res uint32) (depart, ok bool) {
	if v, hit := c[res]; hit {
		return v[0], v[1]
	}
	depart, ok = pr.partner(res)
	c[res] = [2]bool{depart, ok}
	return depart, ok
}

// knownCall reports whether the principal made a call named name on res
// on some baseline day.
func (pr *principalRun) knownCall(res, name uint32) bool {
	k := pairKey{pr.p, res}
	for d := 1; d <= pr.r.cfg.BaselineDays; d++ {
		if ix := pr.r.days[pr.ds-int64(d)*24*hourMs]; ix != nil {
			if _, found := slices.BinarySearch(ix.calls[k], name); found {
				return true
			}
		}
	}
	return false
}

// policyFinding reports a policy-changing call, and a cross-account finding
// when it opens the resource to another account or everyone.
func (r *run) policyFinding(a *access, e *row, prev []string) {
	rules := &r.cfg.Rules
	rule := rules.PolicyChange
	pi := r.principal(a.p)
	if pi.quiet || !uses(a, rule.Rule) || r.suppressed(pi, finding.KindPolicyChange, a) {
		return
	}
	name := r.names.str(e.name)
	c := describeChange(r.names.str(e.source), name, e.params(), prev)
	if c.quiet {
		return
	}
	resAcct := arn.Account(r.names.str(a.r))
	if resAcct == "" {
		resAcct = r.names.str(e.resAcct)
	}
	var open []string // outside accounts or "everyone"
	public := false
	for _, p := range c.added {
		rc, ok := c.reach[p]
		if !ok {
			rc = reach{who: p}
		}
		accts, anyone := rc.reachAccounts()
		if anyone {
			if !public {
				open = append([]string{"everyone (*)"}, open...)
			}
			public = true
			continue
		}
		for _, acct := range accts {
			if arn.IsAccountID(acct) && acct != resAcct && !r.known[acct] && !slices.Contains(open, "account "+acct) {
				open = append(open, "account "+acct)
			}
		}
	}
	if name == "CreateKey" && len(open) == 0 {
		return // a new key with a policy that stays inside: routine
	}
	sev := rule.Severity
	switch {
	case public:
		sev = rule.PublicSeverity
	case len(open) > 0:
		sev = rule.OpenSeverity
	case c.reach != nil || name == "CreateGrant":
		sev = rule.InsideSeverity // who may call changed, within the organization
	}
	ev := []access{*a}
	f := r.build(finding.KindPolicyChange, sev, rule.Rule, a.p, ev, e.id)
	f.Title = fmt.Sprintf("%s by %s", name, shortName(f.Principal))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s on %s", f.Principal, c.what, r.names.str(a.r))
	if len(c.added) > 0 {
		fmt.Fprintf(&b, "; it allows %s", strings.Join(c.added, ", "))
		if !c.prior {
			b.WriteString(" (no earlier policy in history to compare with)")
		} else {
			b.WriteString(" that the previous policy did not")
		}
	}
	if len(c.removed) > 0 {
		fmt.Fprintf(&b, "; it no longer allows %s", strings.Join(c.removed, ", "))
	}
	if len(open) > 0 {
		fmt.Fprintf(&b, "; this opens it to %s outside the known accounts", strings.Join(open, ", "))
	}
	b.WriteString(".")
	f.Reason = b.String()
	r.emit(f)

	if len(open) > 0 && rules.CrossAccount.On() && rules.CrossAccount.PolicyOpenings && !r.suppressed(pi, finding.KindCrossAccount, a) {
		x := r.build(finding.KindCrossAccount, rules.CrossAccount.Severity, rules.CrossAccount.Rule, a.p, ev, "policy", e.id)
		x.Title = fmt.Sprintf("%s opened %s to %s", shortName(x.Principal), shortName(r.names.str(a.r)), strings.Join(open, ", "))
		x.Reason = fmt.Sprintf("%s called %s on %s, which now allows %s.", x.Principal, name, r.names.str(a.r), strings.Join(open, ", "))
		r.emit(x)
	}
}

func (r *run) emit(f finding.Finding) { r.out = append(r.out, f) }

// build assembles a finding from its evidence. idParts, with the kind and
// principal, make the deterministic ID.
func (r *run) build(kind, sev string, rule Rule, p uint32, ev []access, idParts ...string) finding.Finding {
	var evIdx []int32
	var res []string
	for i := range ev {
		evIdx = append(evIdx, ev[i].ev)
		if ev[i].r != 0 {
			res = append(res, r.names.str(ev[i].r))
		}
	}
	slices.Sort(evIdx)
	evIdx = slices.Compact(evIdx)
	slices.Sort(res)
	res = slices.Compact(res)
	first, last := r.p.ev(evIdx[0]), r.p.ev(evIdx[len(evIdx)-1])
	f := finding.Finding{
		Kind: kind, Severity: sev, Principal: r.names.str(p), Resources: res,
		Start: first.time(), End: last.time(), Count: int64(len(evIdx)),
		PrincipalName: r.names.str(first.prinName), PrincipalAccount: r.names.str(first.prinAcct), CallerKind: r.names.str(first.caller),
		Shadow: rule.Shadow,
	}
	if len(res) == 1 {
		f.Resource = res[0]
	}
	add := func(dst *[]string, v string) {
		if v != "" && (len(*dst) == 0 || (*dst)[len(*dst)-1] != v) && len(*dst) < MaxEventIDs*8 {
			*dst = append(*dst, v)
		}
	}
	for n, i := range evIdx {
		e := r.p.ev(i)
		if n < MaxEventIDs {
			f.EventIDs = append(f.EventIDs, strings.Clone(e.id))
		}
		str := r.names.str
		add(&f.SessionNames, str(e.session))
		add(&f.EventNames, str(e.name))
		add(&f.SourceIPs, str(e.ip))
		add(&f.UserAgents, str(e.ua))
		add(&f.VPCEndpoints, str(e.vpce))
		add(&f.Regions, str(e.region))
		add(&f.ErrorCodes, str(e.errCode))
	}
	for _, dst := range []*[]string{&f.SessionNames, &f.EventNames, &f.SourceIPs, &f.UserAgents, &f.VPCEndpoints, &f.Regions, &f.ErrorCodes} {
		slices.Sort(*dst)
		*dst = slices.Compact(*dst)
		if len(*dst) > MaxEventIDs {
			*dst = (*dst)[:MaxEventIDs]
		}
	}
	f.ID = findingID(kind, f.Principal, idParts...)
	return f
}

// findingID hashes a finding's identity.
func findingID(kind, principal string, parts ...string) string {
	h := sha256.New()
	for _, s := range append([]string{kind, principal}, parts...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func slotID(s int64) string { return time.UnixMilli(s).UTC().Format(time.RFC3339) }

// localSpan describes a time range in the team's zone.
func (r *run) localSpan(start, end time.Time) string {
	a, b := start.In(r.cfg.loc), end.In(r.cfg.loc)
	day := a.Format("Mon 2006-01-02")
	if r.cfg.holidays[a.Format(time.DateOnly)] {
		day += " (holiday)"
	}
	if a.Equal(b) {
		return fmt.Sprintf("at %s %s (%s)", day, a.Format("15:04"), r.cfg.Timezone)
	}
	return fmt.Sprintf("on %s between %s and %s (%s)", day, a.Format("15:04"), b.Format("15:04"), r.cfg.Timezone)
}

func shortName(arn string) string {
	if i := strings.LastIndexAny(arn, "/:"); i >= 0 && i < len(arn)-1 {
		return arn[i+1:]
	}
	return arn
}

func listResources(rs []string) string {
	if len(rs) <= 3 {
		return strings.Join(rs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(rs[:3], ", "), len(rs)-3)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func num(x float64) string {
	b, _ := json.Marshal(float64(int64(x*10+0.5)) / 10)
	return string(b)
}

// catchAll reports a BatchGetSecretValue that asks for every secret: no
// id list, and filters whose values are all negated ("!x") or empty, so
// nothing narrows the match.
func catchAll(requestParameters string) bool {
	ps := params(requestParameters)
	if ids := stringList(ps["secretIdList"]); len(ps["secretIdList"]) > 0 && len(ids) > 0 && string(ps["secretIdList"]) != "[]" {
		return false
	}
	var filters []struct {
		Key    string   `json:"key"`
		Values []string `json:"values"`
	}
	json.Unmarshal(ps["filters"], &filters)
	for _, f := range filters {
		for _, v := range f.Values {
			if v != "" && !strings.HasPrefix(v, "!") {
				return false
			}
		}
	}
	return true
}

// bulk reports catch-all batch retrievals in the hour.
func (pr *principalRun) bulk() {
	r := pr.r
	rule := r.cfg.Rules.BulkRetrieval
	var ev []access
	for i := range pr.acc {
		a := &pr.acc[i]
		e := r.p.ev(a.ev)
		if r.names.str(e.name) != "BatchGetSecretValue" || a.flags&fService != 0 && !rule.IncludeServices ||
			r.suppressed(pr.pi, finding.KindBulkRetrieval, a) || !catchAll(e.params()) {
			continue
		}
		ev = append(ev, *a)
	}
	if len(ev) == 0 {
		return
	}
	f := r.build(finding.KindBulkRetrieval, rule.Severity, rule.Rule, pr.p, ev, "catch-all", slotID(pr.s))
	f.Title = fmt.Sprintf("%s fetched every secret at once", shortName(f.Principal))
	f.Reason = fmt.Sprintf("%s called BatchGetSecretValue %d times %s with filters that match every secret (no secret ids, only negated or empty filter values).",
		f.Principal, len(ev), r.localSpan(f.Start, f.End))
	r.emit(f)
}

// bulkDay reports, over one UTC day's accesses (sorted by time), the
// principals that called BatchGetSecretValue BatchMinCalls times, and
// those that retrieved secrets in MinRegions regions within Window. Each
// is one finding per principal and day, reported when the threshold is
// crossed at or after evalFrom.
func (r *run) bulkDay(ds int64, acc []access, evalFrom int64) {
	rule := r.cfg.Rules.BulkRetrieval
	if !rule.On() {
		return
	}
	batch, gsv, sm := r.names.id("BatchGetSecretValue"), r.names.id("GetSecretValue"), r.names.id(sourceSM)
	byP := map[uint32][]access{}
	for i := range acc {
		a := &acc[i]
		if a.p == 0 || a.flags&fService != 0 && !rule.IncludeServices {
			continue
		}
		e := r.p.ev(a.ev)
		if e.name != batch && e.name != gsv || e.source != sm {
			continue
		}
		if k := len(byP[a.p]); k > 0 && byP[a.p][k-1].ev == a.ev {
			continue // one batch record, several secrets
		}
		byP[a.p] = append(byP[a.p], *a)
	}
	ps := make([]uint32, 0, len(byP))
	for p := range byP {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	for _, p := range ps {
		pi := r.principal(p)
		if pi.quiet {
			continue
		}
		var evs []access
		for _, a := range byP[p] {
			if !r.suppressed(pi, finding.KindBulkRetrieval, &a) {
				evs = append(evs, a)
			}
		}
		// Many batches in a day.
		var batches []access
		for _, a := range evs {
			if r.p.ev(a.ev).name == batch {
				batches = append(batches, a)
			}
		}
		if len(batches) >= rule.BatchMinCalls && batches[rule.BatchMinCalls-1].t >= evalFrom {
			f := r.build(finding.KindBulkRetrieval, rule.BatchSeverity, rule.Rule, p, batches, "batches", lakeDay(ds))
			f.Title = fmt.Sprintf("%s retrieved secrets in %d batches", shortName(f.Principal), len(batches))
			f.Reason = fmt.Sprintf("%s called BatchGetSecretValue %d times %s (threshold %d a day).",
				f.Principal, len(batches), r.localSpan(f.Start, f.End), rule.BatchMinCalls)
			r.emit(f)
		}
		// Many regions in minutes: a sliding window with a count per region.
		inWin := map[uint32]int{}
		for i, j := 0, 0; j < len(evs); j++ {
			inWin[r.p.ev(evs[j].ev).region]++
			for evs[j].t-evs[i].t > rule.window {
				reg := r.p.ev(evs[i].ev).region
				if inWin[reg]--; inWin[reg] == 0 {
					delete(inWin, reg)
				}
				i++
			}
			if len(inWin) < rule.MinRegions {
				continue
			}
			if evs[j].t >= evalFrom {
				win := evs[i : j+1]
				f := r.build(finding.KindBulkRetrieval, rule.Severity, rule.Rule, p, win, "regions", lakeDay(ds))
				f.Title = fmt.Sprintf("%s retrieved secrets in %d regions within minutes", shortName(f.Principal), len(inWin))
				f.Reason = fmt.Sprintf("%s made %d secret retrievals in %d regions (%s) %s; threshold %d regions within %s.",
					f.Principal, len(win), len(inWin), strings.Join(f.Regions, ", "), r.localSpan(f.Start, f.End), rule.MinRegions, rule.Window)
				r.emit(f)
			}
			break
		}
	}
}

func lakeDay(ds int64) string { return time.UnixMilli(ds).UTC().Format(time.DateOnly) }
