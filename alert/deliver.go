package alert

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
)

// Defaults for the zero values of Alerter's fields.
const (
	DefaultSummaryThreshold = 5
	DefaultSuppressWindow   = 24 * time.Hour
	// DefaultLease outlasts the longest Lambda invocation (15 minutes), so
	// a live run's claim never expires under it.
	DefaultLease = 15 * time.Minute
	// lookbackSkew widens the history search for clock differences
	// between the alerter and Slack.
	lookbackSkew = 5 * time.Minute
	stateRetries = 5
)

// SlackAPI is the part of *slack.Client the alerter uses (bot-token mode).
type SlackAPI interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
	// UploadFileContext attaches a follow-up query too long for its
	// message (files.getUploadURLExternal, files.completeUploadExternal:
	// the files:write scope).
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
}

// WebhookPoster posts to an incoming webhook (webhook mode); *Webhook
// implements it.
type WebhookPoster interface {
	PostWebhook(ctx context.Context, msg *slack.WebhookMessage) error
}

// Alerter delivers findings to Slack. Exactly one of Slack (bot-token
// mode, the default) and Webhook must be set.
type Alerter struct {
	Store   Store
	Slack   SlackAPI
	Channel string // channel ID (C…): conversations.history needs the ID
	Webhook WebhookPoster

	Render   Renderer
	FollowUp *FollowUp // optional
	// Query rebuilds each finding's follow-up query from its fields before
	// it is shown or started (see RebuildQuery); the query stored in the
	// finding is never used. nil means no follow-up query.
	Query QueryFunc
	// Events reads the events of a destructive finding, whose message
	// then gives the deadline and the undo from the calls' parameters
	// (optional: without it, or when reading fails, the message says what
	// the finding alone tells).
	Events EventReader

	// MinSeverity drops findings below it ("" keeps all). Findings with an
	// unknown severity are kept (and logged): an alert is never dropped
	// because the detector and the alerter disagree on a name.
	MinSeverity string
	// SummaryThreshold: more findings than this in one run are announced
	// by one summary message (0 means DefaultSummaryThreshold).
	SummaryThreshold int
	// SuppressWindow: a repeat of a finding posted less than this ago (the
	// same kind, principal, resource, calls and change, no higher
	// severity; see repeatKey) is not posted, and news about the same
	// kind, principal and resource goes in the earlier message's thread (0
	// means DefaultSuppressWindow, negative disables both).
	SuppressWindow time.Duration
	// Lease is how long a claim holds before another run may take it
	// over (0 means DefaultLease). It must outlast a run.
	Lease time.Duration
	Retry Retry

	Now    func() time.Time                                 // nil means time.Now
	Sleep  func(ctx context.Context, d time.Duration) error // nil sleeps on a timer
	Jitter func(d time.Duration) time.Duration              // in [0, d); nil is random
	Logger *slog.Logger                                     // nil means slog.Default()
	Owner  string                                           // names this run in claims; "" is random
}

// Retry bounds retries of one Slack call.
type Retry struct {
	MaxAttempts int           // 0 means 6
	Base        time.Duration // first backoff; 0 means 1s
	Max         time.Duration // backoff cap; 0 means 30s
	Deadline    time.Duration // all attempts of one message; 0 means 2m
}

// Report says what a run did.
type Report struct {
	Considered    int      // findings past the filters
	Posted        []string // ids posted by this run
	AlreadyPosted int      // posted or suppressed by an earlier run
	Recovered     []string // found in Slack after a crashed run: recorded, not reposted
	Suppressed    []string // repeats inside the window
	Escalated     []string // posted as news about an earlier finding's subject (also in Posted)
	Held          int      // being delivered by another run
	Failed        []string // not delivered: pending, the next run retries
	// PostFailures counts Slack calls that failed after their retries
	// (a finding's post or attachment, the summary): Slack or its
	// credential is broken, unlike a claim lost to the lake.
	PostFailures int
	Summary      bool // a summary message announced them
}

func (a *Alerter) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Alerter) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func (a *Alerter) sleep(ctx context.Context, d time.Duration) error {
	if a.Sleep != nil {
		return a.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// calls reads the events of a destructive finding (nil for others, and
// when there is no reader or it fails: the message then says less, and is
// still posted).
func (a *Alerter) calls(ctx context.Context, f finding.Finding) []event.Event {
	if a.Events == nil || !needsEvents(f) {
		return nil
	}
	evs, err := a.Events.FindingEvents(ctx, f)
	if err != nil {
		a.log().WarnContext(ctx, "read the events of a destructive finding", "finding_id", f.ID, "err", err)
		return nil
	}
	return evs
}

// Filter returns the findings to deliver: no shadow findings, none below
// the severity floor, one per id (the copy that says the most), most
// severe first, then oldest.
func Filter(fs []finding.Finding, minSeverity string) []finding.Finding {
	floor := finding.SeverityRank(minSeverity)
	seen := map[string]int{} // id → index in out
	var out []finding.Finding
	for _, f := range fs {
		if f.Shadow || f.ID == "" {
			continue
		}
		if r := finding.SeverityRank(f.Severity); r != 0 && r < floor {
			continue
		}
		// Copies of an id (the fast path's, the schedule's): the one that
		// says the most, the most severe, then the one with more calls.
		if i, ok := seen[f.ID]; ok {
			if c := cmp.Or(cmp.Compare(finding.SeverityRank(f.Severity), finding.SeverityRank(out[i].Severity)),
				cmp.Compare(len(f.EventNames), len(out[i].EventNames))); c > 0 {
				out[i] = f
			}
			continue
		}
		seen[f.ID] = len(out)
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(x, y finding.Finding) int {
		return cmp.Or(
			cmp.Compare(finding.SeverityRank(y.Severity), finding.SeverityRank(x.Severity)),
			x.Start.Compare(y.Start),
			strings.Compare(x.ID, y.ID))
	})
	return out
}

// job is a finding this run has claimed.
type job struct {
	f    finding.Finding
	rec  Record
	etag string
}

// Run delivers findings: it filters them, claims each one, suppresses
// repeats, posts the rest (under a summary when there are many) and
// records the outcome. It returns an error when a finding stays pending.
func (a *Alerter) Run(ctx context.Context, fs []finding.Finding) (Report, error) {
	if (a.Slack == nil) == (a.Webhook == nil) {
		return Report{}, errors.New("alerter: set exactly one of Slack and Webhook")
	}
	if a.Slack != nil && a.Channel == "" {
		return Report{}, errors.New("alerter: bot-token mode needs a channel")
	}
	if a.Owner == "" {
		b := make([]byte, 8)
		crand.Read(b)
		a.Owner = hex.EncodeToString(b)
	}
	var rep Report
	cands := Filter(fs, a.MinSeverity)
	rep.Considered = len(cands)
	var jobs []*job
	for _, f := range cands {
		if finding.SeverityRank(f.Severity) == 0 {
			a.log().WarnContext(ctx, "finding with unknown severity", "finding_id", f.ID, "severity", f.Severity)
		}
		j, outcome, err := a.claim(ctx, f)
		if err != nil {
			a.log().ErrorContext(ctx, "claim finding", "finding_id", f.ID, "err", err)
			rep.Failed = append(rep.Failed, f.ID)
			continue
		}
		switch outcome {
		case outcomeDone:
			rep.AlreadyPosted++
		case outcomeHeld:
			rep.Held++
		case outcomeRecovered:
			rep.Recovered = append(rep.Recovered, f.ID)
		case outcomeSuppressed:
			rep.Suppressed = append(rep.Suppressed, f.ID)
		case outcomeClaimed:
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		return rep, a.result(rep)
	}

	threadTS, channel := "", a.Channel
	threshold := cmp.Or(a.SummaryThreshold, DefaultSummaryThreshold)
	if len(jobs) > threshold {
		list := make([]finding.Finding, len(jobs))
		for i, j := range jobs {
			list[i] = j.f
		}
		sum := a.Render.Summary(list, len(rep.Suppressed), a.Slack != nil)
		ch, ts, _, err := a.post(ctx, sum, "", nil)
		if err != nil {
			// The findings still go out, unthreaded: a summary is a
			// convenience, the findings are the point.
			rep.PostFailures++
			a.log().ErrorContext(ctx, "post summary", "err", err)
		} else {
			rep.Summary = true
			if a.Slack != nil {
				threadTS, channel = ts, ch
			}
		}
	}
	posted := map[string]Record{} // by this run, for escalations in their threads
	for _, j := range jobs {
		f := RebuildQuery(ctx, a.log(), a.Query, j.f)
		url, note := a.FollowUp.Link(ctx, f)
		msg := a.Render.Finding(f, Extras{
			Suppressed: j.rec.Suppressed, SuppressedSince: j.rec.SuppressedSince,
			QueryURL: url, QueryNote: note, AttachQuery: a.Slack != nil,
			Escalates: j.rec.Escalates, Calls: a.calls(ctx, f),
		})
		thread := threadTS
		if root := a.escalationThread(ctx, j, posted); root != "" {
			thread, msg.Broadcast = root, true
		}
		ch, ts, maybe, err := a.post(ctx, msg, thread, &j.rec)
		if err == nil && msg.Attachment != nil {
			// The message is in Slack: whatever happens to the file, the
			// next run finds the message by its metadata (MaybePosted)
			// rather than posting it again, and attaches the file then.
			if err = a.attach(ctx, cmpOr(ch, channel), cmpOr(thread, ts), f.ID, msg.Attachment); err != nil {
				maybe = true
			}
		}
		if err != nil {
			a.log().ErrorContext(ctx, "post finding", "finding_id", j.f.ID, "err", err)
			rep.PostFailures++
			rep.Failed = append(rep.Failed, j.f.ID)
			j.rec.State = StateFailed
			j.rec.MaybePosted = j.rec.MaybePosted || maybe
			j.rec.LastError = err.Error()
			j.rec.LeaseUntil = time.Time{}
			j.rec.ThreadTS = thread
			if _, werr := writeJSON(ctx, a.Store, RecordKey(j.f.ID), j.rec, j.etag); werr != nil {
				// The lease expires and the next run retries.
				a.log().ErrorContext(ctx, "record failed delivery", "finding_id", j.f.ID, "err", werr)
			}
			continue
		}
		if ch == "" {
			ch = channel
		}
		rep.Posted = append(rep.Posted, j.f.ID)
		if e := j.rec.Escalates; e != nil {
			rep.Escalated = append(rep.Escalated, j.f.ID)
			a.log().InfoContext(ctx, "posted escalation", "finding_id", j.f.ID, "escalates_finding_id", e.FindingID, "thread_ts", thread)
		}
		a.log().InfoContext(ctx, "posted finding", "finding_id", j.f.ID, "channel", ch, "ts", ts)
		posted[j.f.ID] = Record{State: StatePosted, Channel: ch, TS: ts, ThreadTS: thread}
		if err := a.markPosted(ctx, j, ch, ts, thread); err != nil {
			// Posted but not recorded: the next run, once the lease has
			// expired, finds the message by its metadata.
			a.log().ErrorContext(ctx, "record posted finding", "finding_id", j.f.ID, "err", err)
		}
	}
	return rep, a.result(rep)
}

// escalationThread returns the thread an escalation goes in: that of the
// earlier message it escalates, when its ts is known (bot-token mode, in
// this channel). The thread is recorded before posting, so that the
// lookup after a crash searches it.
func (a *Alerter) escalationThread(ctx context.Context, j *job, postedNow map[string]Record) string {
	e := j.rec.Escalates
	if e == nil || a.Slack == nil {
		return ""
	}
	earlier, ok := postedNow[e.FindingID]
	if !ok {
		if _, err := readJSON(ctx, a.Store, RecordKey(e.FindingID), &earlier); err != nil {
			if !isNotFound(err) {
				a.log().WarnContext(ctx, "read escalated finding's record", "finding_id", j.f.ID, "escalates_finding_id", e.FindingID, "err", err)
			}
			return ""
		}
	}
	if earlier.State != StatePosted || earlier.TS == "" || (earlier.Channel != "" && earlier.Channel != a.Channel) {
		return ""
	}
	// Slack threads have one level: a reply's thread is its parent's.
	root := cmpOr(earlier.ThreadTS, earlier.TS)
	if j.rec.ThreadTS != root {
		j.rec.ThreadTS = root
		etag, err := writeJSON(ctx, a.Store, RecordKey(j.f.ID), j.rec, j.etag)
		if err != nil {
			// Posting matters more: at worst a crash now reposts it.
			a.log().WarnContext(ctx, "record escalation thread", "finding_id", j.f.ID, "err", err)
		} else {
			j.etag = etag
		}
	}
	return root
}

func (a *Alerter) result(rep Report) error {
	if len(rep.Failed) > 0 {
		return fmt.Errorf("%d of %d findings not delivered, pending for the next run: %s",
			len(rep.Failed), rep.Considered, strings.Join(rep.Failed, ", "))
	}
	return nil
}

func (a *Alerter) markPosted(ctx context.Context, j *job, ch, ts, threadTS string) error {
	j.rec.State = StatePosted
	j.rec.Channel, j.rec.TS, j.rec.ThreadTS = ch, ts, threadTS
	j.rec.PostedAt = a.now().UTC()
	j.rec.LeaseUntil = time.Time{}
	j.rec.LastError = ""
	j.rec.Severity, j.rec.EventNames, j.rec.Resources = j.f.Severity, j.f.EventNames, resourcesOf(j.f)
	etag, err := writeJSON(ctx, a.Store, RecordKey(j.f.ID), j.rec, j.etag)
	if err != nil {
		return err
	}
	j.etag = etag
	return nil
}

type outcome int

const (
	outcomeClaimed outcome = iota
	outcomeDone
	outcomeHeld
	outcomeRecovered
	outcomeSuppressed
)

// claim takes the finding for this run, or says why not. A finding posted
// already is done, unless this copy grew (see grown).
func (a *Alerter) claim(ctx context.Context, f finding.Finding) (*job, outcome, error) {
	return a.claimCopy(ctx, f, true)
}

// claimCopy is claim; grow says whether a grown copy of a posted finding
// is claimed as its update (false for the update itself, whose id already
// says what it adds).
func (a *Alerter) claimCopy(ctx context.Context, f finding.Finding, grow bool) (*job, outcome, error) {
	now := a.now().UTC()
	lease := cmp.Or(a.Lease, DefaultLease)
	key := RecordKey(f.ID)
	var rec Record
	etag, err := readJSON(ctx, a.Store, key, &rec)
	lookup := false
	switch {
	case isNotFound(err):
		rec = Record{FindingID: f.ID, ClaimedAt: now, Group: groupOf(f)}
	case err != nil:
		return nil, 0, err
	case rec.State == StatePosted:
		if g, ok := grown(f, rec); ok && grow {
			return a.claimCopy(ctx, g, false)
		}
		return nil, outcomeDone, nil
	case rec.State == StateSuppressed:
		return nil, outcomeDone, nil
	case rec.State == StateClaimed && rec.LeaseUntil.After(now):
		return nil, outcomeHeld, nil
	default:
		// An expired claim (its run crashed or timed out, maybe after
		// posting) or a failed delivery that may have reached Slack.
		lookup = rec.State == StateClaimed || rec.MaybePosted
	}
	rec.State = StateClaimed
	rec.Owner = a.Owner
	rec.LeaseUntil = now.Add(lease)
	rec.Attempts++
	etag, err = writeJSON(ctx, a.Store, key, rec, etag)
	if isPrecondition(err) {
		return nil, outcomeHeld, nil // another run claimed it first
	}
	if err != nil {
		return nil, 0, fmt.Errorf("claim: %w", err)
	}
	j := &job{f: f, rec: rec, etag: etag}
	if lookup {
		if a.Slack == nil {
			// Webhook mode cannot read the channel: rather post twice
			// than lose the finding.
			a.log().WarnContext(ctx, "retaking an interrupted delivery without history (webhook mode): may repost", "finding_id", f.ID)
		} else {
			ch, ts, root, found, err := a.findPosted(ctx, f.ID, rec)
			if err == nil && found {
				// A follow-up query too long for the message goes with it:
				// the crashed run may not have attached it.
				if att := queryAttachment(RebuildQuery(ctx, a.log(), a.Query, f)); att != nil {
					err = a.attach(ctx, ch, root, f.ID, att)
				}
			}
			if err != nil {
				j.rec.State, j.rec.LastError, j.rec.LeaseUntil, j.rec.MaybePosted = StateFailed, err.Error(), time.Time{}, true
				if _, werr := writeJSON(ctx, a.Store, key, j.rec, j.etag); werr != nil {
					a.log().ErrorContext(ctx, "record failed lookup", "finding_id", f.ID, "err", werr)
				}
				return nil, 0, fmt.Errorf("look for an earlier post: %w", err)
			}
			if found {
				a.log().InfoContext(ctx, "found earlier post of finding", "finding_id", f.ID, "channel", ch, "ts", ts)
				if err := a.markPosted(ctx, j, ch, ts, rec.ThreadTS); err != nil {
					return nil, 0, fmt.Errorf("record recovered post: %w", err)
				}
				return nil, outcomeRecovered, nil
			}
		}
	}
	if a.SuppressWindow < 0 || j.rec.Reserved {
		return j, outcomeClaimed, nil
	}
	return a.reserve(ctx, j, now)
}

// Grown findings
//
// A finding keeps its id while it grows: the detector names a principal's
// destructive calls of an hour by the principal and the hour, and the fast
// path's copy of one part, the next part's and the schedule's copy of the
// whole hour share it. Once posted, an id is done; so what a later copy
// adds (a higher severity, another call, another resource) would never
// reach the channel, and an attacker's second, worse call in the hour
// would hide behind the first. grown turns such a copy into a finding of
// its own, posted once, as news against the first post (in its thread):
// its id is the finding's with a digest of the first post merged with
// what the copy says, so every copy that adds the same to the first post
// is the same update, and one that adds more is another.
func grown(f finding.Finding, rec Record) (finding.Finding, bool) {
	if rec.Severity == "" { // a record from before posts were kept
		return f, false
	}
	res := resourcesOf(f)
	adds := finding.SeverityRank(f.Severity) > finding.SeverityRank(rec.Severity) ||
		slices.ContainsFunc(f.EventNames, func(n string) bool { return !slices.Contains(rec.EventNames, n) }) ||
		slices.ContainsFunc(res, func(r string) bool { return !slices.Contains(rec.Resources, r) })
	if !adds {
		return f, false
	}
	sev := rec.Severity
	if finding.SeverityRank(f.Severity) > finding.SeverityRank(sev) {
		sev = f.Severity
	}
	union := func(a, b []string) []string {
		u := slices.Concat(a, b)
		slices.Sort(u)
		return slices.Compact(u)
	}
	h := sha256.New()
	for _, s := range slices.Concat([]string{sev}, union(rec.EventNames, f.EventNames), []string{""}, union(rec.Resources, res)) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	f.ID += "~" + hex.EncodeToString(h.Sum(nil)[:4])
	return f, true
}

// resourcesOf is every resource a finding names.
func resourcesOf(f finding.Finding) []string {
	if len(f.Resources) > 0 {
		return f.Resources
	}
	if f.Resource != "" {
		return []string{f.Resource}
	}
	return nil
}

func groupOf(f finding.Finding) string {
	return f.Kind + "\x00" + f.Principal + "\x00" + f.Resource
}

// Repeats
//
// A repeat is the same thing happening again: a finding of the same
// subject (kind, principal, resource) with the same calls (the set of
// event names), the same change and a severity no higher than what was
// posted for them inside the window. The change is what the detector's
// words say a call did: for a policy change the reason, which names the
// principals and grantees it adds and removes (and the grant's
// operations); for cross-account access the title, which names the
// accounts. Anything else is news and is posted: a higher severity,
// another call, another added principal. News about a subject posted
// inside the window goes in the thread of the earlier message, also sent
// to the channel, and says what it escalates.

// repeatKey identifies what a finding reports within its subject.
func repeatKey(f finding.Finding) string {
	calls := slices.Clone(f.EventNames)
	slices.Sort(calls)
	calls = slices.Compact(calls)
	change := ""
	switch f.Kind {
	case finding.KindPolicyChange:
		change = f.Reason
	case finding.KindCrossAccount:
		change = f.Title
	}
	h := sha256.New()
	for _, s := range append([]string{f.Kind, f.Principal, f.Resource, change}, calls...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// reserve takes the finding's slot in its subject's record, or suppresses
// the finding when it repeats one posted inside the window. A finding
// that is news against an earlier post records what it escalates.
func (a *Alerter) reserve(ctx context.Context, j *job, now time.Time) (*job, outcome, error) {
	window := cmp.Or(a.SuppressWindow, DefaultSuppressWindow)
	gkey := groupKey(j.rec.Group)
	repeat := repeatKey(j.f)
	rank := finding.SeverityRank(j.f.Severity)
	for range stateRetries {
		var g groupRecord
		getag, err := readJSON(ctx, a.Store, gkey, &g)
		if err != nil && !isNotFound(err) {
			return nil, 0, a.release(ctx, j, fmt.Errorf("read group: %w", err))
		}
		inWindow := func(p groupPost) bool { return p.FindingID != j.f.ID && now.Sub(p.PostedAt) < window }
		same := slices.IndexFunc(g.Posts, func(p groupPost) bool { return p.Repeat == repeat })
		if same >= 0 && inWindow(g.Posts[same]) && rank <= finding.SeverityRank(g.Posts[same].Severity) {
			g.Posts[same].Suppressed++
			if _, err := writeJSON(ctx, a.Store, gkey, g, getag); isPrecondition(err) {
				continue
			} else if err != nil {
				return nil, 0, a.release(ctx, j, fmt.Errorf("count suppressed: %w", err))
			}
			by := g.Posts[same].FindingID
			j.rec.State, j.rec.SuppressedBy, j.rec.LeaseUntil = StateSuppressed, by, time.Time{}
			if _, err := writeJSON(ctx, a.Store, RecordKey(j.f.ID), j.rec, j.etag); err != nil {
				return nil, 0, fmt.Errorf("record suppressed: %w", err)
			}
			a.log().InfoContext(ctx, "suppressed repeat", "finding_id", j.f.ID, "posted_finding_id", by)
			return nil, outcomeSuppressed, nil
		}

		// News. What does it add to the subject's posts in the window?
		j.rec.Escalates = nil
		var ref *groupPost
		var top string
		seen := map[string]bool{}
		for i := range g.Posts {
			p := &g.Posts[i]
			if !inWindow(*p) {
				continue
			}
			if ref == nil || p.PostedAt.After(ref.PostedAt) {
				ref = p
			}
			if finding.SeverityRank(p.Severity) > finding.SeverityRank(top) {
				top = p.Severity
			}
			for _, n := range p.EventNames {
				seen[n] = true
			}
		}
		if same >= 0 && inWindow(g.Posts[same]) {
			ref = &g.Posts[same] // the same thing, now more severe
		}
		if ref != nil {
			e := &Escalation{FindingID: ref.FindingID, PostedAt: ref.PostedAt}
			switch {
			case same >= 0 && inWindow(g.Posts[same]):
				// Not a repeat, so more severe than the same thing was.
				e.From, e.To = g.Posts[same].Severity, j.f.Severity
			case rank > finding.SeverityRank(top):
				e.From, e.To = top, j.f.Severity
			}
			for _, n := range j.f.EventNames {
				if !seen[n] && !slices.Contains(e.NewCalls, n) {
					e.NewCalls = append(e.NewCalls, n)
				}
			}
			e.OtherChange = len(e.NewCalls) == 0 && (same < 0 || !inWindow(g.Posts[same]))
			j.rec.Escalates = e
		}
		j.rec.Suppressed, j.rec.SuppressedSince = 0, time.Time{}
		post := groupPost{Repeat: repeat, FindingID: j.f.ID, Severity: j.f.Severity, EventNames: j.f.EventNames, PostedAt: now}
		if same >= 0 {
			if old := g.Posts[same]; old.FindingID != j.f.ID && old.Suppressed > 0 {
				j.rec.Suppressed, j.rec.SuppressedSince = old.Suppressed, old.PostedAt
			}
			g.Posts = slices.Delete(g.Posts, same, same+1)
		}
		// Keep what the window still needs and what has repeats to report.
		g.Posts = slices.DeleteFunc(g.Posts, func(p groupPost) bool { return now.Sub(p.PostedAt) >= window && p.Suppressed == 0 })
		g.Posts = append(g.Posts, post)
		if n := len(g.Posts); n > maxGroupPosts {
			slices.SortStableFunc(g.Posts, func(x, y groupPost) int { return x.PostedAt.Compare(y.PostedAt) })
			g.Posts = g.Posts[n-maxGroupPosts:]
		}
		g.Kind, g.Principal, g.Resource = j.f.Kind, j.f.Principal, j.f.Resource
		if _, err := writeJSON(ctx, a.Store, gkey, g, getag); isPrecondition(err) {
			continue
		} else if err != nil {
			return nil, 0, a.release(ctx, j, fmt.Errorf("reserve group: %w", err))
		}
		j.rec.Reserved = true
		etag, err := writeJSON(ctx, a.Store, RecordKey(j.f.ID), j.rec, j.etag)
		if err != nil {
			return nil, 0, fmt.Errorf("record group reservation: %w", err)
		}
		j.etag = etag
		return j, outcomeClaimed, nil
	}
	return nil, 0, a.release(ctx, j, errors.New("reserve group: too much contention"))
}

// release gives up a claim nothing was posted for, so the next run
// retries it at once.
func (a *Alerter) release(ctx context.Context, j *job, cause error) error {
	j.rec.State, j.rec.LeaseUntil, j.rec.LastError = StateFailed, time.Time{}, cause.Error()
	if _, err := writeJSON(ctx, a.Store, RecordKey(j.f.ID), j.rec, j.etag); err != nil {
		a.log().ErrorContext(ctx, "release claim", "finding_id", j.f.ID, "err", err)
	}
	return cause
}

// post sends msg (into threadTS when set) with retries. For a finding
// (rec != nil) in token mode, after an attempt that may have reached Slack
// it looks for the message before trying again. maybe reports whether a
// failed post may nevertheless have been delivered.
func (a *Alerter) post(ctx context.Context, msg Message, threadTS string, rec *Record) (ch, ts string, maybe bool, err error) {
	b := a.backoff()
	for {
		ch, ts, err = a.send(ctx, msg, threadTS)
		if err == nil {
			return ch, ts, maybe, nil
		}
		c := classify(ctx, err)
		maybe = maybe || c.ambiguous
		if err := b.wait(ctx, msg.FindingID, err, c); err != nil {
			return "", "", maybe, err
		}
		if maybe && rec != nil && a.Slack != nil {
			look := *rec
			look.ThreadTS = threadTS
			ch, ts, _, found, lerr := a.findPosted(ctx, msg.FindingID, look)
			if lerr != nil {
				return "", "", true, fmt.Errorf("%w (and looking for the message: %v)", err, lerr)
			}
			if found {
				return ch, ts, false, nil
			}
		}
	}
}

// backoff paces the attempts of one Slack call under a.Retry.
type backoff struct {
	a         *Alerter
	attempts  int
	base, max time.Duration
	deadline  time.Time
	attempted int
}

func (a *Alerter) backoff() *backoff {
	r := a.Retry
	return &backoff{a: a, attempts: cmp.Or(r.MaxAttempts, 6), base: cmp.Or(r.Base, time.Second), max: cmp.Or(r.Max, 30*time.Second),
		deadline: a.now().Add(cmp.Or(r.Deadline, 2*time.Minute))}
}

// wait follows a failed attempt (err, classified c): it returns err when
// the call is not to be tried again (not retryable, out of attempts, or
// the wait would pass the deadline), else sleeps as Slack asked or for a
// jittered exponential backoff and returns nil (or the sleep's error).
func (b *backoff) wait(ctx context.Context, findingID string, err error, c class) error {
	n := b.attempted
	b.attempted++
	if !c.retry || n+1 >= b.attempts {
		return err
	}
	wait := c.after
	if wait <= 0 {
		d := min(b.base<<n, b.max)
		wait = d/2 + b.a.jitter(d/2)
	}
	if b.a.now().Add(wait).After(b.deadline) {
		return fmt.Errorf("%w (retry deadline reached)", err)
	}
	b.a.log().WarnContext(ctx, "slack call failed, retrying", "finding_id", findingID, "err", err, "wait", wait, "attempt", n+1)
	return b.a.sleep(ctx, wait)
}

// attach posts att as a file in the thread root of channel ch, with the
// retries of a post. A retry after an ambiguous failure may attach the
// file twice, which is better than not at all.
func (a *Alerter) attach(ctx context.Context, ch, root, findingID string, att *Attachment) error {
	b := a.backoff()
	for {
		_, err := a.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
			Content: att.Content, FileSize: len(att.Content), Filename: att.Filename, Title: att.Title,
			SnippetType: "sql", Channel: ch, ThreadTimestamp: root,
		})
		if err == nil {
			a.log().InfoContext(ctx, "attached follow-up query", "finding_id", findingID, "channel", ch, "thread_ts", root, "bytes", len(att.Content))
			return nil
		}
		err = fmt.Errorf("attach follow-up query: %w", err)
		if err := b.wait(ctx, findingID, err, classify(ctx, err)); err != nil {
			return err
		}
	}
}

func (a *Alerter) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if a.Jitter != nil {
		return a.Jitter(d)
	}
	return rand.N(d)
}

func (a *Alerter) send(ctx context.Context, msg Message, threadTS string) (string, string, error) {
	if a.Slack == nil {
		err := a.Webhook.PostWebhook(ctx, &slack.WebhookMessage{
			Text: msg.Text, Blocks: &slack.Blocks{BlockSet: msg.Blocks},
			UnfurlLinks: new(false), UnfurlMedia: new(false),
		})
		return "webhook", "", err
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(msg.Text, false),
		slack.MsgOptionBlocks(msg.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if msg.FindingID != "" {
		opts = append(opts, slack.MsgOptionMetadata(msg.Metadata()))
	} else {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: summaryEventType, EventPayload: map[string]any{"version": 1}}))
	}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
		if msg.Broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	return a.Slack.PostMessageContext(ctx, a.Channel, opts...)
}

// summaryEventType marks summary messages, whose threads hold findings.
const summaryEventType = "keytrail_summary"
