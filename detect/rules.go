package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

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
	offHours := false
	if rules.OffHours.On() {
		offHours = pr.offHours(person)
	}
	if rules.FailedAccess.On() {
		pr.failed()
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
	horizon := int64(pr.r.cfg.HistoryDays) * 24 * hourMs
	n := 0
	for i := range ev {
		if i > 0 && ev[i].r == ev[i-1].r {
			continue
		}
		k := pairKey{pr.p, ev[i].r}
		if last, ok := pr.r.pairSeen[k]; !pr.seenToday[k] && (!ok || pr.ds-last > horizon) {
			n++
		}
	}
	return n
}

// activeAround reports whether the principal's baseline shows activity at
// this local hour ±1 on a day of the same kind.
func (pr *principalRun) activeAround() bool {
	for d := int64(-1); d <= 1; d++ {
		hours, same := pr.r.samples(pr.s+d*hourMs, pr.r.cfg.BaselineDays)
		for i, h := range hours {
			if !same[i] {
				continue
			}
			if ix, hh := pr.r.lookup(h, pr.s); ix != nil {
				if act := ix.active[pr.p]; act != nil && act[hh] > 0 {
					return true
				}
			}
		}
	}
	return false
}

func (pr *principalRun) failed() {
	rule := pr.r.cfg.Rules.FailedAccess
	var ev []access
	distinct := 0
	for i := range pr.acc {
		a := &pr.acc[i]
		if a.flags&fFailed == 0 || a.flags&fService != 0 && !rule.IncludeServices ||
			pr.r.ignoreErr[pr.r.names.str(pr.r.p.ev(a.ev).errCode)] || pr.r.suppressed(pr.pi, finding.KindFailedAccess, a) {
			continue
		}
		if len(ev) == 0 || ev[len(ev)-1].r != a.r {
			distinct++
		}
		ev = append(ev, *a)
	}
	var sev, what string
	switch {
	case len(ev) == 0:
		return
	case distinct >= rule.EnumerationResources:
		sev, what = rule.EnumerationSeverity, "possible enumeration"
	case distinct >= rule.MinResources:
		sev, what = rule.Severity, "failures across several resources"
	case rule.RetryMinFailures > 0 && len(ev) >= rule.RetryMinFailures:
		sev, what = rule.RetrySeverity, "repeated failures"
	default:
		return
	}
	f := pr.r.build(finding.KindFailedAccess, sev, rule.Rule, pr.p, ev, slotID(pr.s))
	f.Title = fmt.Sprintf("Failed access by %s: %s", shortName(f.Principal), what)
	f.Reason = fmt.Sprintf("%s had %d failed calls (%s) on %d different secrets or keys %s.",
		f.Principal, f.Count, strings.Join(f.ErrorCodes, ", "), distinct, pr.r.localSpan(f.Start, f.End))
	pr.r.emit(f)
}

// frequency reports unusual volume per resource and unusual breadth; it
// returns whether it reported breadth (which then also covers the new
// resources, so first_seen stays quiet for that hour).
func (pr *principalRun) frequency() bool {
	r := pr.r
	rule := r.cfg.Rules.Frequency
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
		if len(ev) >= rule.MinCount {
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
						f := r.build(finding.KindFrequency, rule.freqSeverity(n, thr), rule.Rule, pr.p, ev, "pair", r.names.str(k.r), slotID(pr.s))
						f.Title = fmt.Sprintf("Unusual access volume by %s", shortName(f.Principal))
						f.Reason = fmt.Sprintf("%s called %s %d times %s; its baseline at this hour is a median of %s (MAD %s) over %d comparable days, threshold %s.",
							f.Principal, f.Resource, len(ev), r.localSpan(f.Start, f.End), num(med), num(mad), len(samples), num(thr))
						r.emit(f)
					}
				}
			}
		}
		i = j
	}
	// Breadth: distinct resources in the hour.
	distinct, fresh := 0, 0
	horizon := int64(r.cfg.HistoryDays) * 24 * hourMs
	for i := range all {
		if i == 0 || all[i].r != all[i-1].r {
			distinct++
			k := pairKey{pr.p, all[i].r}
			if last, ok := r.pairSeen[k]; !pr.seenToday[k] && (!ok || pr.ds-last > horizon) {
				fresh++
			}
		}
	}
	if distinct < rule.MinDistinct {
		return false
	}
	if last, ok := r.prinSeen[pr.p]; !ok || pr.ds-last > int64(r.cfg.BaselineDays)*24*hourMs {
		return false
	}
	samples := r.baseline(pr.s, func(ix *dayIndex, h int) float64 {
		if c := ix.distinct[pr.p]; c != nil {
			return float64(c[h])
		}
		return 0
	})
	if len(samples) < rule.MinSamples {
		return false
	}
	thr, med, mad := threshold(samples, rule, rule.MinDistinct)
	if float64(distinct) < thr {
		return false
	}
	f := r.build(finding.KindFrequency, rule.freqSeverity(float64(distinct), thr), rule.Rule, pr.p, all, "distinct", slotID(pr.s))
	f.Title = fmt.Sprintf("%s touched unusually many secrets or keys", shortName(f.Principal))
	f.Reason = fmt.Sprintf("%s used %d different secrets or keys (%d of them not in the previous %d days) %s; its baseline at this hour is a median of %s (MAD %s) over %d comparable days, threshold %s.",
		f.Principal, distinct, fresh, r.cfg.HistoryDays, r.localSpan(f.Start, f.End), num(med), num(mad), len(samples), num(thr))
	r.emit(f)
	return true
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
	if last, ok := r.prinSeen[pr.p]; (!ok || pr.ds-last > horizon) && !rule.NewPrincipals {
		return
	}
	var ev []access
	for i := 0; i < len(pr.acc); {
		j := i
		k := pairKey{pr.p, pr.acc[i].r}
		last, ok := r.pairSeen[k]
		fresh := k.r != 0 && !pr.seenToday[k] && (!ok || pr.ds-last > horizon)
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
	sev := rule.Severity
	if !person {
		sev = rule.WorkloadSeverity
	}
	f := r.build(finding.KindFirstSeen, sev, rule.Rule, pr.p, ev, slotID(pr.s))
	f.Title = fmt.Sprintf("%s used %s for the first time", shortName(f.Principal), plural(len(f.Resources), "secret or key", "secrets or keys"))
	f.Reason = fmt.Sprintf("%s used %s (%d calls %s), which it had not used in the previous %d days.",
		f.Principal, listResources(f.Resources), f.Count, r.localSpan(f.Start, f.End), r.cfg.HistoryDays)
	r.emit(f)
}

func (pr *principalRun) destructive() {
	r := pr.r
	rule := r.cfg.Rules.Destructive
	var ev []access
	sev := rule.Severity
	for i := range pr.acc {
		a := &pr.acc[i]
		e := r.p.ev(a.ev)
		name := r.names.str(e.name)
		if !uses(a, rule.Rule) || !r.destructive[name] || r.suppressed(pr.pi, finding.KindDestructive, a) {
			continue
		}
		if r.critical[name] || name == "DeleteSecret" && strings.Contains(e.params(), `"forceDeleteWithoutRecovery":true`) {
			sev = finding.SeverityCritical
		}
		ev = append(ev, *a)
	}
	if len(ev) == 0 {
		return
	}
	f := r.build(finding.KindDestructive, sev, rule.Rule, pr.p, ev, slotID(pr.s))
	f.Title = fmt.Sprintf("%s by %s", strings.Join(f.EventNames, ", "), shortName(f.Principal))
	f.Reason = fmt.Sprintf("%s called %s on %s %s.", f.Principal, strings.Join(f.EventNames, ", "),
		listResources(f.Resources), r.localSpan(f.Start, f.End))
	r.emit(f)
}

func (pr *principalRun) crossAccount() {
	r := pr.r
	rule := r.cfg.Rules.CrossAccount
	var ev []access
	var accounts []string
	sev := ""
	for i := range pr.acc {
		a := &pr.acc[i]
		if a.r == 0 || !uses(a, rule.Rule) {
			continue
		}
		e := r.p.ev(a.ev)
		ra := arnAccount(r.names.str(a.r))
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
	resAcct := arnAccount(r.names.str(a.r))
	if resAcct == "" {
		resAcct = r.names.str(e.resAcct)
	}
	var open []string // outside accounts or "everyone"
	for _, p := range c.added {
		if p == "*" {
			open = append(open, "everyone (*)")
			continue
		}
		if acct := principalAccount(p); acct != "" && acct != resAcct && !r.known[acct] && !slices.Contains(open, "account "+acct) {
			open = append(open, "account "+acct)
		}
	}
	sev := rule.Severity
	if len(open) > 0 {
		sev = rule.OpenSeverity
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
