package detect

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/parquet-go/parquet-go"
)

// Store is what the detector needs of the lake.
type Store interface {
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
	Get(ctx context.Context, key string) (io.ReadCloser, lake.ObjectInfo, error)
	Put(ctx context.Context, key string, body io.Reader) error
	PutIfMatch(ctx context.Context, key string, body io.Reader, etag string) error
	Delete(ctx context.Context, key string) error
}

// Lake keys of the detector's state.
const (
	AggregatePrefix = lake.StatePrefix + "detect/aggregates/"
	WatermarkKey    = lake.StatePrefix + "detect/watermark.json"
)

// AggregateKey names the stored aggregate of a day.
func AggregateKey(day string) string { return AggregatePrefix + "day=" + day + ".json.gz" }

// FindingsKey names the findings file of the UTC hour starting at h: each
// hour's findings live in one file, rewritten whenever the hour is
// evaluated again, so a replay replaces what it recomputes.
func FindingsKey(h time.Time) string {
	h = h.UTC()
	return lake.FindingKey(lake.Day(h), "detect-"+h.Format("20060102T15"))
}

// Runner evaluates windows of a lake.
type Runner struct {
	Store    Store
	Detector *Detector
	Logger   *slog.Logger // nil: slog.Default()
}

func (r *Runner) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func (r *Runner) config() *Config {
	if r.Detector.Config != nil {
		return r.Detector.Config
	}
	return DefaultConfig()
}

// Run detects over [from, to): raw events from the start of from's UTC day,
// per-day aggregates (computed and stored when missing or stale) for the
// HistoryDays before it. It holds one aggregate, one Parquet object and a
// batch of its rows at a time, besides the compact form of the events.
func (r *Runner) Run(ctx context.Context, from, to time.Time) ([]finding.Finding, error) {
	return r.run(ctx, from, to, nil, nil)
}

// run is Run, calling seen with the accounts inferred from the events and
// adding the number of events evaluated to read (when not nil).
func (r *Runner) run(ctx context.Context, from, to time.Time, seen func([]string), read *int) ([]finding.Finding, error) {
	s := r.stream(ctx, from, to, read)
	s.Seen = seen
	return r.Detector.DetectStream(s)
}

// stream is what Run evaluates for [from, to): the aggregates of the
// HistoryDays before from's UTC day, and the events of the lake's day
// partitions from that day on that happened before to, counted into read
// (when not nil).
func (r *Runner) stream(ctx context.Context, from, to time.Time, read *int) Stream {
	first := DayStart(from)
	return Stream{
		From: from, To: to,
		History: r.history(ctx, first),
		Events: func(add func([]event.Event) error) error {
			for _, day := range lake.Days(first, to.Add(-time.Millisecond)) {
				objs, err := r.Store.List(ctx, lake.PartitionPrefix(lake.EventsPrefix, day))
				if err != nil {
					return fmt.Errorf("list events of %s: %w", day, err)
				}
				err = r.readEvents(ctx, objs, func(rows []event.Event) error {
					n := 0
					for i := range rows {
						if rows[i].EventTime.Before(to) {
							rows[n] = rows[i]
							n++
						}
					}
					if read != nil {
						*read += n
					}
					return add(rows[:n])
				})
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// readEvents reads the Parquet objects among objs, one at a time, and calls
// fn with batches of their rows; a batch is reused after fn returns.
func (r *Runner) readEvents(ctx context.Context, objs []lake.ObjectInfo, fn func([]event.Event) error) error {
	var buf []event.Event
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".parquet") {
			continue
		}
		data, err := r.get(ctx, o.Key)
		if err != nil {
			return err
		}
		if buf == nil {
			buf = make([]event.Event, parquetBatch)
		}
		if err := readParquet(data, buf, fn); err != nil {
			return fmt.Errorf("read %s: %w", o.Key, err)
		}
	}
	return nil
}

// parquetBatch is how many rows readParquet reads at a time: parquet-go
// reads much slower with large batches (thousands of rows) than small ones.
const parquetBatch = 256

// readParquet reads an events Parquet file in batches of len(buf) rows.
func readParquet(data []byte, buf []event.Event, fn func([]event.Event) error) error {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("open parquet: %w", err)
	}
	pr := parquet.NewGenericReader[event.Event](f)
	defer pr.Close()
	for {
		clear(buf) // nothing of the previous batch may show through
		n, err := pr.Read(buf)
		if n > 0 {
			if err := fn(buf[:n]); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read rows: %w", err)
		}
	}
}

func (r *Runner) get(ctx context.Context, key string) ([]byte, error) {
	rc, _, err := r.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return data, nil
}

// Aggregate returns the aggregate of a UTC day, or nil when the lake holds
// no events for it. A stored aggregate is used while the day's event
// objects are unchanged; otherwise it is recomputed and stored.
func (r *Runner) Aggregate(ctx context.Context, day string) (*Aggregate, error) {
	objs, err := r.Store.List(ctx, lake.PartitionPrefix(lake.EventsPrefix, day))
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", day, err)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	fp := fingerprint(objs)
	key := AggregateKey(day)
	if data, err := r.get(ctx, key); err == nil {
		if ag, err := decodeAggregate(data); err == nil && ag.Version == AggregateVersion && ag.Source == fp && ag.Day == day {
			return ag, nil
		}
	} else if !errors.Is(err, lake.ErrNotFound) {
		return nil, err
	}
	t := newTable(newInterner())
	if err := r.readEvents(ctx, objs, func(rows []event.Event) error { t.add(rows); return nil }); err != nil {
		return nil, err
	}
	n := t.read
	ag := buildAggregate(day, t)
	ag.Source = fp
	data, err := encodeAggregate(ag)
	if err != nil {
		return nil, err
	}
	if err := r.Store.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("store aggregate of %s: %w", day, err)
	}
	r.log().DebugContext(ctx, "aggregate computed", slog.String("day", day), slog.Int("events", n), slog.Int("pairs", len(ag.Pairs)))
	return ag, nil
}

// fingerprint identifies a set of event objects by key, size, version tag
// and modification time.
func fingerprint(objs []lake.ObjectInfo) string {
	h := sha256.New()
	for _, o := range objs {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00%d\n", o.Key, o.Size, o.ETag, o.Modified.UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func encodeAggregate(ag *Aggregate) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(ag); err != nil {
		return nil, fmt.Errorf("encode aggregate: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode aggregate: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeAggregate(data []byte) (*Aggregate, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode aggregate: %w", err)
	}
	// Room for the whole text up front: the gzip trailer holds its size
	// (mod 2^32), believed only up to deflate's utmost ratio, 1032:1.
	var text strings.Builder
	if n := len(data); n >= 4 {
		text.Grow(int(min(uint64(binary.LittleEndian.Uint32(data[n-4:])), uint64(n)*1032)))
	}
	if _, err := io.Copy(&text, zr); err != nil {
		return nil, fmt.Errorf("decode aggregate: %w", err)
	}
	var ag Aggregate
	// The fast path decodes the day's pairs several times faster than
	// encoding/json, and a run decodes HistoryDays aggregates;
	// encoding/json names what the fast path does not take.
	if !aggregateJSON.DecodeString(text.String(), &ag) {
		ag = Aggregate{}
		if err := json.Unmarshal([]byte(text.String()), &ag); err != nil {
			return nil, fmt.Errorf("decode aggregate: %w", err)
		}
	}
	return &ag, nil
}

// aggregateJSON is Aggregate's table, derived from its json tags.
var aggregateJSON = cloudtrail.NewDecoder[Aggregate]()

// WriteFindings writes the findings of every UTC hour overlapping
// [from, to), one file per hour (deleting the file of an hour that now has
// none), and returns the ids that no file held before.
func (r *Runner) WriteFindings(ctx context.Context, from, to time.Time, fs []finding.Finding) ([]string, error) {
	byHour := map[int64][]finding.Finding{}
	for _, f := range fs {
		h := f.Start.UTC().Truncate(time.Hour).UnixMilli()
		byHour[h] = append(byHour[h], f)
	}
	var fresh []string
	for h := from.UTC().Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		key := FindingsKey(h)
		old := map[string]bool{}
		prev, err := lake.ReadRows(ctx, r.Store, key, finding.ReadParquet)
		if err != nil && !errors.Is(err, lake.ErrNotFound) {
			return nil, err
		}
		for _, f := range prev {
			old[f.ID] = true
		}
		hour := byHour[h.UnixMilli()]
		if len(hour) == 0 {
			if len(old) > 0 {
				if err := r.Store.Delete(ctx, key); err != nil {
					return nil, err
				}
			}
			continue
		}
		Sort(hour)
		for _, f := range hour {
			if !old[f.ID] {
				fresh = append(fresh, f.ID)
			}
		}
		var buf bytes.Buffer
		if err := finding.WriteParquet(&buf, hour); err != nil {
			return nil, fmt.Errorf("write %s: %w", key, err)
		}
		if err := r.Store.Put(ctx, key, &buf); err != nil {
			return nil, err
		}
	}
	slices.Sort(fresh)
	return fresh, nil
}

// Schedule runs the detector on a schedule: each run processes from the
// watermark (less a look-back for late events) to now minus the delivery
// lag, writes the findings and advances the watermark with a conditional
// write, so two overlapping runs cannot both advance it.
type Schedule struct {
	Runner *Runner
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Lag is CloudTrail's delivery delay (default 15m): a run processes up
	// to now − Lag.
	Lag time.Duration
	// Step aligns window ends (default 15m, the schedule's period).
	Step time.Duration
	// Lookback re-evaluates this much before the watermark (default 3h):
	// late events get their findings, with the same ids.
	Lookback time.Duration
}

// Watermark is the state kept at WatermarkKey.
type Watermark struct {
	ProcessedTo time.Time `json:"processed_to"`
}

// Result reports one scheduled run.
type Result struct {
	From, To time.Time
	Findings []finding.Finding
	New      []string // ids no findings file held before
	Advanced bool     // the watermark moved to To
	// Watermark is where detection stands after the run: To when it
	// advanced, else the stored watermark (zero before the first run).
	Watermark time.Time
	// EventsRead counts the events the run evaluated.
	EventsRead int
}

// Run performs one scheduled run.
func (s *Schedule) Run(ctx context.Context) (Result, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	lag, step, look := or(s.Lag, 15*time.Minute), or(s.Step, 15*time.Minute), or(s.Lookback, 3*time.Hour)
	to := now().UTC().Add(-lag).Truncate(step)
	wm, etag, err := s.watermark(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{To: to, Watermark: wm}
	if wm.IsZero() {
		wm = to.Add(-step)
	}
	res.From = wm.Add(-look)
	if !to.After(wm) {
		return res, nil
	}
	var accounts []string
	res.Findings, err = s.Runner.run(ctx, res.From, to, func(a []string) { accounts = a }, &res.EventsRead)
	if err != nil {
		return res, err
	}
	if res.New, err = s.Runner.WriteFindings(ctx, res.From, to, res.Findings); err != nil {
		return res, err
	}
	if len(accounts) > 0 {
		// For the fast path (RunPart), which sees one part's accounts.
		if err := s.Runner.saveAccounts(ctx, accounts, to); err != nil {
			return res, err
		}
	}
	body, _ := json.Marshal(Watermark{ProcessedTo: to})
	err = s.Runner.Store.PutIfMatch(ctx, WatermarkKey, bytes.NewReader(body), etag)
	if errors.Is(err, lake.ErrPrecondition) {
		s.Runner.log().WarnContext(ctx, "watermark moved by another run; not advancing", slog.Time("to", to))
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("advance watermark: %w", err)
	}
	res.Advanced, res.Watermark = true, to
	return res, nil
}

func (s *Schedule) watermark(ctx context.Context) (time.Time, string, error) {
	rc, info, err := s.Runner.Store.Get(ctx, WatermarkKey)
	if errors.Is(err, lake.ErrNotFound) {
		return time.Time{}, "", nil
	}
	if err != nil {
		return time.Time{}, "", fmt.Errorf("read watermark: %w", err)
	}
	defer rc.Close()
	var wm Watermark
	if err := json.NewDecoder(rc).Decode(&wm); err != nil {
		return time.Time{}, "", fmt.Errorf("read watermark: %w", err)
	}
	return wm.ProcessedTo.UTC(), info.ETag, nil
}

func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
