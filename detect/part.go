package detect

// The fast path. The schedule evaluates every rule over windows that end a
// delivery lag before now, so a finding reaches Slack 20 to 35 minutes
// after the call. The rules that need no baseline can speak as soon as the
// events are in the lake: RunPart evaluates one new events part with those
// rules only, through the same code as the schedule (Stream.SingleEvent),
// so a finding has the same id on both paths and the alerter, which
// deduplicates by id, posts it once whichever path comes first.
//
// What the part does not hold, the fast path reads or leaves alone:
//   - the policy before a change: the stored aggregates of the history
//     days, read only when the part holds a policy document (a change earlier
//     the same UTC day is not among them: the fast finding then compares
//     with the day before, and says so in its reason);
//   - the organization's accounts: those the last scheduled run saw
//     (AccountsKey), besides the part's own;
//   - adjacent windows: an hourly finding that continues one already in
//     the lake takes that one's id, as the schedule's merge would give it;
//   - a DeleteSecret with a recovery window is test clean-up (low) when
//     the principal created the secret earlier the same day, which only
//     the schedule's reading of the whole day shows: the fast path leaves
//     those to it (the recovery window gives days to undo the deletion).
//
// Compacted parts (compact-*) hold rows already evaluated when their
// ingest parts arrived, and are skipped.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

// SingleEventKinds are the kinds the fast path reports: destructive calls,
// policy and grant changes (ImportKeyMaterial among them), policies opened
// to other accounts or everyone (cross_account), outside accounts denied
// (failed_access: another account at the organization's VPC endpoint) and
// catch-all batch retrievals (bulk_retrieval). The other findings of these
// kinds (enumeration, many batches a day, a partner's unusual volume) and
// every other rule need a baseline or a whole day, and stay on the
// schedule.
var SingleEventKinds = []string{
	finding.KindDestructive, finding.KindPolicyChange, finding.KindCrossAccount,
	finding.KindFailedAccess, finding.KindBulkRetrieval,
}

// AccountsKey holds the accounts whose trail the lake holds, as the last
// scheduled run inferred them from its events: the fast path's known
// accounts when none are configured.
const AccountsKey = lake.StatePrefix + "detect/accounts.json"

// knownAccounts is the object at AccountsKey.
type knownAccounts struct {
	Accounts []string  `json:"accounts"`
	Through  time.Time `json:"through"` // the end of the run that saw them
}

// PartFindingsKey names the findings file of one events part: one file per
// part, so that evaluating the part again (a redelivered notification)
// replaces it with the same findings.
func PartFindingsKey(partKey string) (string, error) {
	day, err := lake.ParseDay(partKey)
	if err != nil {
		return "", err
	}
	return lake.FindingKey(day, "fast-"+strings.TrimSuffix(path.Base(partKey), ".parquet")), nil
}

// IsCompacted reports whether an events part was written by compaction.
func IsCompacted(partKey string) bool { return strings.HasPrefix(path.Base(partKey), "compact-") }

// RunPart evaluates the single-event rules over the events part at key
// (an object under events/). The findings carry the ids the schedule
// gives the same events.
func (r *Runner) RunPart(ctx context.Context, key string) ([]finding.Finding, error) {
	fs, _, err := r.runPart(ctx, key)
	return fs, err
}

// runPart is RunPart, also returning the number of events in the part.
func (r *Runner) runPart(ctx context.Context, key string) ([]finding.Finding, int, error) {
	if !strings.HasPrefix(key, lake.EventsPrefix) || !strings.HasSuffix(key, ".parquet") {
		return nil, 0, fmt.Errorf("detect part %s: not an events part", key)
	}
	if IsCompacted(key) {
		return nil, 0, nil
	}
	data, err := r.get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	var rows []event.Event
	if err := readParquet(data, make([]event.Event, parquetBatch), func(b []event.Event) error {
		rows = append(rows, b...)
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", key, err)
	}
	if len(rows) == 0 {
		return nil, 0, nil
	}
	lo, hi := rows[0].EventTime, rows[0].EventTime
	policy := false
	for i := range rows {
		t := rows[i].EventTime
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
		if !policy {
			// Only a policy document is compared with the one before it.
			_, policy = policyPrincipals(rows[i].EventSource, rows[i].EventName, rows[i].RequestParameters)
		}
	}
	from, to := lo.UTC().Truncate(time.Hour), hi.Add(time.Millisecond)
	accounts, err := r.knownAccounts(ctx)
	if err != nil {
		return nil, 0, err
	}
	in := Stream{
		From: from, To: to, SingleEvent: true, Accounts: accounts,
		Events: func(add func([]event.Event) error) error { return add(rows) },
	}
	if policy {
		in.History = r.storedHistory(ctx, DayStart(from))
	}
	fs, err := r.Detector.DetectStream(in)
	if err != nil {
		return nil, len(rows), fmt.Errorf("detect part %s: %w", key, err)
	}
	if err := r.continuing(ctx, fs); err != nil {
		return nil, len(rows), err
	}
	return fs, len(rows), nil
}

// WritePart writes the findings of the part at key to its findings file
// (nothing when there are none) and returns the file's key.
func (r *Runner) WritePart(ctx context.Context, key string, fs []finding.Finding) (string, error) {
	out, err := PartFindingsKey(key)
	if err != nil || len(fs) == 0 {
		return "", err
	}
	fs = slices.Clone(fs)
	Sort(fs)
	var buf bytes.Buffer
	if err := finding.WriteParquet(&buf, fs); err != nil {
		return "", fmt.Errorf("write %s: %w", out, err)
	}
	if err := r.Store.Put(ctx, out, &buf); err != nil {
		return "", fmt.Errorf("write %s: %w", out, err)
	}
	return out, nil
}

func (r *Runner) knownAccounts(ctx context.Context) ([]string, error) {
	data, err := r.get(ctx, AccountsKey)
	if errors.Is(err, lake.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ka knownAccounts
	if err := json.Unmarshal(data, &ka); err != nil {
		// A damaged file costs precision, not the alert: the part's own
		// accounts are still known.
		r.log().WarnContext(ctx, "unreadable known accounts", slog.String("key", AccountsKey), slog.String("error", err.Error()))
		return nil, nil
	}
	return ka.Accounts, nil
}

// saveAccounts records the accounts a scheduled run inferred.
func (r *Runner) saveAccounts(ctx context.Context, accounts []string, through time.Time) error {
	body, err := json.Marshal(knownAccounts{Accounts: accounts, Through: through.UTC()})
	if err != nil {
		return fmt.Errorf("encode known accounts: %w", err)
	}
	if err := r.Store.Put(ctx, AccountsKey, bytes.NewReader(body)); err != nil {
		return fmt.Errorf("write %s: %w", AccountsKey, err)
	}
	return nil
}

// history streams the aggregates of the HistoryDays before first, as Run
// does.
func (r *Runner) history(ctx context.Context, first time.Time) func(add func(string, *Aggregate) error) error {
	return func(add func(string, *Aggregate) error) error {
		for k := r.config().HistoryDays; k >= 1; k-- {
			day := lake.Day(first.AddDate(0, 0, -k))
			ag, err := r.Aggregate(ctx, day)
			if err != nil {
				return err
			}
			if ag != nil {
				if err := add(day, ag); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// storedHistory streams the stored aggregates of the HistoryDays before
// first, as far as the lake holds them: unlike history, it neither lists
// the days' events to check an aggregate is current nor computes a missing
// one (the schedule keeps them; a day's listing is thousands of objects),
// so the fast path pays one listing and the aggregates' reads. An
// aggregate of another version is skipped.
func (r *Runner) storedHistory(ctx context.Context, first time.Time) func(add func(string, *Aggregate) error) error {
	return func(add func(string, *Aggregate) error) error {
		objs, err := r.Store.List(ctx, AggregatePrefix)
		if err != nil {
			return fmt.Errorf("list aggregates: %w", err)
		}
		stored := map[string]bool{}
		for _, o := range objs {
			stored[o.Key] = true
		}
		for k := r.config().HistoryDays; k >= 1; k-- {
			day := lake.Day(first.AddDate(0, 0, -k))
			if !stored[AggregateKey(day)] {
				continue
			}
			data, err := r.get(ctx, AggregateKey(day))
			if errors.Is(err, lake.ErrNotFound) {
				continue // replaced since the listing
			}
			if err != nil {
				return err
			}
			ag, err := decodeAggregate(data)
			if err != nil || ag.Version != AggregateVersion || ag.Day != day {
				continue
			}
			if err := add(day, ag); err != nil {
				return err
			}
		}
		return nil
	}
}

// continuing gives each hourly finding that continues one already in the
// lake (see continues) that finding's id, as the schedule's merge of
// adjacent windows does: the incident stays one finding, posted once.
func (r *Runner) continuing(ctx context.Context, fs []finding.Finding) error {
	prior := map[string][]finding.Finding{} // by day, read when needed
	read := func(day string) ([]finding.Finding, error) {
		if got, ok := prior[day]; ok {
			return got, nil
		}
		objs, err := r.Store.List(ctx, lake.PartitionPrefix(lake.FindingsPrefix, day))
		if err != nil {
			return nil, fmt.Errorf("list findings of %s: %w", day, err)
		}
		var out []finding.Finding
		for _, o := range objs {
			if !strings.HasSuffix(o.Key, ".parquet") {
				continue
			}
			data, err := r.get(ctx, o.Key)
			if err != nil {
				return nil, err
			}
			got, err := finding.ReadParquet(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", o.Key, err)
			}
			out = append(out, got...)
		}
		prior[day] = out
		return out, nil
	}
	for i := range fs {
		f := &fs[i]
		if !mergeable[f.Kind] {
			continue
		}
		days := []string{lake.Day(f.Start)}
		if f.Start.Sub(DayStart(f.Start)) <= mergeGap && f.Kind != finding.KindCrossAccount {
			days = append(days, lake.Day(f.Start.Add(-24*time.Hour)))
		}
		var root *finding.Finding
		for _, day := range days {
			ps, err := read(day)
			if err != nil {
				return err
			}
			for j := range ps {
				p := &ps[j]
				if p.ID == f.ID || !p.Start.Before(f.Start) || !continues(*p, *f) {
					continue
				}
				if root == nil || p.Start.Before(root.Start) {
					root = p
				}
			}
		}
		if root != nil {
			f.ID = root.ID
		}
	}
	return nil
}

// PartsResult reports a fast-path batch.
type PartsResult struct {
	Findings   []finding.Finding // of the parts done
	EventsRead int               // events in the parts read
}

// Parts runs the fast path over new events parts, each alone, writing
// each part's findings file. An error leaves the rest done; the caller
// (a queue's batch) is delivered again and the parts done are redone with
// the same result.
func (r *Runner) Parts(ctx context.Context, keys []string) error {
	_, err := r.RunParts(ctx, keys)
	return err
}

// RunParts is Parts, reporting the findings and events of the parts.
func (r *Runner) RunParts(ctx context.Context, keys []string) (PartsResult, error) {
	var res PartsResult
	var errs []error
	for _, k := range keys {
		fs, n, err := r.runPart(ctx, k)
		res.EventsRead += n
		out := ""
		if err == nil {
			out, err = r.WritePart(ctx, k, fs)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("part %s: %w", k, err))
			continue
		}
		res.Findings = append(res.Findings, fs...)
		r.log().InfoContext(ctx, "detect part", slog.String("part", k), slog.Int("findings", len(fs)), slog.String("findings_file", out))
	}
	return res, errors.Join(errs...)
}
