// Package ingest turns CloudTrail log files into keytrail's lake: it streams
// each file's records, keeps the Secrets Manager and KMS ones, normalizes them
// (who, which secret or key, from where, did it fail) and writes them as
// Parquet partitioned by event day.
//
// The same code serves the CLI (local files and folders), the backfill (S3
// prefixes) and the Lambda (one object per notification). Its guarantees:
//
//   - Memory is bounded whatever the file size: records are split from the
//     decompressed stream one at a time, and kept rows are flushed to Parquet
//     parts of at most Config.RowsPerPart rows.
//   - Cheap filtering first: a record whose bytes do not even contain a kept
//     event source is dropped without being decoded.
//   - Bad input loses nothing readable: a truncated or corrupt file keeps the
//     records before the damage and reports where it stopped; a bad record is
//     reported with its index and the rest of the file goes on, and so is a
//     record over the scanner's size limit (with its byte offset), which is
//     passed over without being held in memory.
//   - An event time is believed only when it is plausible for the object
//     that delivered it (times.go): a record dated 9999 or 0001 goes to the
//     lake's quarantine table and the run's summary, never to an events
//     partition of its own that would move detection windows.
//   - Output names are a function of the input object's key, so ingesting an
//     object again replaces its rows instead of adding them.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/lake"
)

// DefaultRowsPerPart bounds the rows buffered before a Parquet part is
// written: at about 2 KB per row in memory, two parts (one filling, one
// being written) stay near 20 MB.
const DefaultRowsPerPart = 5000

// maxRecordErrors caps the record errors kept per file; the count is exact.
const maxRecordErrors = 20

// Config configures an Ingester.
type Config struct {
	// Sources are the eventSource values to keep; nil keeps DefaultSources.
	Sources []string
	// RowsPerPart bounds the rows held in memory before a part is written;
	// zero means DefaultRowsPerPart.
	RowsPerPart int
	// Logger receives per-file logs; nil discards them.
	Logger *slog.Logger
	// MaxDeliveryDelay is how long before its object's delivery an event
	// may have happened, and MaxClockSkew how long after it (or after
	// S3's LastModified) it may be dated; zero means
	// DefaultMaxDeliveryDelay and DefaultMaxClockSkew. A record outside
	// is quarantined (see times.go).
	MaxDeliveryDelay time.Duration
	MaxClockSkew     time.Duration
	// Now reads the run's clock, which no event time may pass by more
	// than a day, whatever its object; nil means time.Now.
	Now func() time.Time
}

// objectPutter is where Parquet parts go: a lake.Dir or lake.S3.
type objectPutter interface {
	Put(ctx context.Context, key string, body io.Reader) error
}

// Ingester ingests CloudTrail objects into a lake.
type Ingester struct {
	sink        objectPutter
	sources     [][]byte // for the byte pre-filter
	keep        map[string]bool
	rowsPerPart int
	log         *slog.Logger
	maxDelay    time.Duration
	maxSkew     time.Duration
	now         func() time.Time

	active  atomic.Int32 // objects being ingested
	rows    sync.Pool    // of *[]event.Event, see getRows
	bufs    sync.Pool    // of *bytes.Buffer, a part's encoded bytes
	readers sync.Pool    // of *objectReader
}

// New returns an Ingester writing to sink.
func New(sink objectPutter, cfg Config) *Ingester {
	srcs := cfg.Sources
	if len(srcs) == 0 {
		srcs = DefaultSources
	}
	in := &Ingester{sink: sink, keep: map[string]bool{}, rowsPerPart: cfg.RowsPerPart, log: cfg.Logger,
		maxDelay: cfg.MaxDeliveryDelay, maxSkew: cfg.MaxClockSkew, now: cfg.Now}
	in.bufs.New = func() any { return new(bytes.Buffer) }
	for _, s := range srcs {
		in.keep[s] = true
		in.sources = append(in.sources, []byte(s))
	}
	if in.rowsPerPart <= 0 {
		in.rowsPerPart = DefaultRowsPerPart
	}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.maxDelay <= 0 {
		in.maxDelay = DefaultMaxDeliveryDelay
	}
	if in.maxSkew <= 0 {
		in.maxSkew = DefaultMaxClockSkew
	}
	if in.now == nil {
		in.now = time.Now
	}
	return in
}

// Status says what became of one object.
type Status string

// Object statuses.
const (
	StatusOK      Status = "ok"      // every record read
	StatusPartial Status = "partial" // some records or the file's tail could not be read
	StatusFailed  Status = "failed"  // nothing could be read (not gzip, not CloudTrail, …)
	StatusSkipped Status = "skipped" // deliberately not ingested: digest, Insights, empty
)

// Quarantined is one record kept apart because its event time is
// implausible for the object that delivered it (see times.go).
type Quarantined struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	EventTime time.Time `json:"event_time"`
	Reason    string    `json:"reason"`
}

// RecordError is one record that could not be ingested. Offset is where
// the record starts in the uncompressed stream, when the scanner knows it
// (a record skipped for its size).
type RecordError struct {
	Index  int    `json:"index"`
	Offset int64  `json:"offset,omitempty"`
	Err    string `json:"error"`
}

// Result reports one object.
type Result struct {
	Object string `json:"object"`
	Status Status `json:"status"`
	// Reason explains a skipped, partial or failed object.
	Reason string `json:"reason,omitempty"`
	// Records counts the records read from the Records array; Kept those
	// written; Dropped those of other event sources.
	Records  int            `json:"records"`
	Kept     int            `json:"kept"`
	Dropped  int            `json:"dropped"`
	BySource map[string]int `json:"by_source,omitempty"`
	// RecordErrors holds the first errors (RecordErrorCount is exact).
	RecordErrors     []RecordError `json:"record_errors,omitempty"`
	RecordErrorCount int           `json:"record_error_count,omitempty"`
	// Warnings counts kept records with a field of an unexpected type.
	Warnings int `json:"warnings,omitempty"`
	// Quarantined counts records of the kept sources whose event time is
	// implausible for the object: written to the lake's quarantine table,
	// not to its events, and not counted in Kept. QuarantinedRecords
	// holds the first ones. They do not make the object partial.
	Quarantined        int           `json:"quarantined,omitempty"`
	QuarantinedRecords []Quarantined `json:"quarantined_records,omitempty"`
	// CappedRows counts kept rows whose record named more secrets and
	// keys than a row keeps (1000): resource_arns holds the first ones.
	CappedRows int `json:"capped_rows,omitempty"`
	// Bytes is the size of the JSON read (after decompression).
	Bytes int64 `json:"bytes"`
	// Outputs lists the lake keys written.
	Outputs []string `json:"outputs,omitempty"`
	// Oldest and Newest bound the kept events' times (quarantined ones
	// aside).
	Oldest time.Time `json:"oldest,omitzero"`
	Newest time.Time `json:"newest,omitzero"`
}

// Failed reports whether the object counts as a failure for exit status and
// retries.
func (r *Result) Failed() bool { return r.Status == StatusFailed || r.Status == StatusPartial }

// recordError counts a record that could not be ingested; offset is 0
// when unknown.
func (r *Result) recordError(index int, offset int64, err error) {
	r.RecordErrorCount++
	if len(r.RecordErrors) < maxRecordErrors {
		r.RecordErrors = append(r.RecordErrors, RecordError{Index: index, Offset: offset, Err: err.Error()})
	}
}

func (r *Result) quarantine(index int, t time.Time, reason string) {
	r.Quarantined++
	if len(r.QuarantinedRecords) < maxRecordErrors {
		r.QuarantinedRecords = append(r.QuarantinedRecords, Quarantined{Object: r.Object, Index: index, EventTime: t, Reason: reason})
	}
}

// scanError records a record the scanner skipped, with the offset where it
// starts.
func (r *Result) scanError(err error) {
	var se *cloudtrail.SyntaxError
	if !errors.As(err, &se) {
		r.recordError(-1, 0, err)
		return
	}
	r.recordError(se.Index, se.Offset, se.Err)
}

// SkipReason returns why an object key should not be ingested, from its key
// alone, or "" to ingest it. Digest and Insights files live beside the logs
// under their own folders.
func SkipReason(key string) string {
	switch {
	case strings.Contains(key, "/CloudTrail-Digest/") || strings.Contains(path.Base(key), "_CloudTrail-Digest_"):
		return "CloudTrail digest file (integrity validation, no events)"
	case strings.Contains(key, "/CloudTrail-Insight/") || strings.Contains(path.Base(key), "_CloudTrail-Insight_"):
		return "CloudTrail Insights file (no API events)"
	}
	return ""
}

// Ingest reads one CloudTrail object (gzip or plain JSON) named key from r
// and writes its kept records to the lake. The error is non-nil only when
// the lake could not be written; problems with the input are in the Result.
// The object's delivery time, which bounds its events' times, comes from
// key; see times.go.
func (in *Ingester) Ingest(ctx context.Context, key string, r io.Reader) (Result, error) {
	return in.ingest(ctx, key, time.Time{}, r)
}

// ingest is Ingest for an object written at modified (S3's LastModified;
// zero when unknown).
func (in *Ingester) ingest(ctx context.Context, key string, modified time.Time, r io.Reader) (Result, error) {
	res := Result{Object: key, Status: StatusOK, BySource: map[string]int{}}
	if reason := SkipReason(key); reason != "" {
		res.Status, res.Reason = StatusSkipped, reason
		return res, nil
	}
	// Inflating on another core pays only when there is a free one: with
	// as many files in flight as cores, every core is already busy.
	active := in.active.Add(1)
	defer in.active.Add(-1)
	or := in.getReader()
	defer in.putReader(or)
	body, err := or.open(r, int(active) < runtime.GOMAXPROCS(0))
	if err != nil {
		res.Status, res.Reason = StatusFailed, err.Error()
		return res, nil
	}
	defer body.Close()
	counter := &countingReader{r: body}

	bounds := in.timeBounds(key, modified)
	w := in.newPartWriter(ctx, key, bounds.day)
	s := or.scanner
	s.Reset(counter)
	var rec cloudtrail.Record
	for s.Next() {
		res.Records++
		if err := s.RecordErr(); err != nil {
			// Too large to read (the scanner passed over it): lost,
			// but the records after it are not.
			res.scanError(err)
			continue
		}
		raw := s.Record()
		if !in.mayKeep(s.EventSource()) {
			res.Dropped++
			continue
		}
		if !cloudtrail.DecodeRecord(raw, &rec) {
			// The fast decoder handles what CloudTrail writes and leaves
			// any surprise to the standard library, which decodes what it
			// can around a field of an unexpected type and names a syntax
			// error precisely.
			rec = cloudtrail.Record{}
			err := json.Unmarshal(raw, &rec)
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typeErr):
				// The rest decoded: keep the record.
				res.Warnings++
			case err != nil:
				res.recordError(s.Index(), 0, fmt.Errorf("invalid JSON: %w", err))
				continue
			}
		}
		if !in.keep[rec.EventSource] || rec.EventType == "AwsCloudTrailInsight" {
			res.Dropped++
			continue
		}
		e, capped, err := normalize(&rec, raw)
		if err != nil {
			res.recordError(s.Index(), 0, err)
			continue
		}
		e.SourceObject = key
		e.SourceIndex = int64(s.Index())
		if why := bounds.check(e.EventTime); why != "" {
			res.quarantine(s.Index(), e.EventTime, why)
			err = w.addQuarantined(e)
		} else {
			res.Kept++
			if capped {
				res.CappedRows++
			}
			res.BySource[e.EventSource]++
			if res.Oldest.IsZero() || e.EventTime.Before(res.Oldest) {
				res.Oldest = e.EventTime
			}
			if e.EventTime.After(res.Newest) {
				res.Newest = e.EventTime
			}
			err = w.add(e)
		}
		if err != nil {
			w.close()
			return res, err
		}
		if err := ctx.Err(); err != nil {
			w.close()
			return res, err
		}
	}
	res.Bytes = counter.n
	if err := s.Err(); err != nil {
		switch {
		case errors.Is(err, cloudtrail.ErrDigest):
			res.Status, res.Reason = StatusSkipped, "CloudTrail digest file (integrity validation, no events)"
		case res.Records == 0:
			res.Status, res.Reason = StatusFailed, err.Error()
		default:
			res.Status = StatusPartial
			res.Reason = fmt.Sprintf("stopped after %d records: %v", res.Records, err)
		}
	} else if res.Records == 0 {
		res.Status, res.Reason = StatusSkipped, "empty Records array"
	}
	if res.RecordErrorCount > 0 && res.Status == StatusOK {
		res.Status = StatusPartial
		res.Reason = fmt.Sprintf("%d of %d records could not be ingested", res.RecordErrorCount, res.Records)
	}
	outputs, err := w.close()
	res.Outputs = outputs
	if err != nil {
		return res, err
	}
	if len(res.BySource) == 0 {
		res.BySource = nil
	}
	if res.CappedRows > 0 {
		in.log.LogAttrs(ctx, slog.LevelWarn, "resource lists capped",
			slog.String("object", key), slog.Int("rows", res.CappedRows), slog.Int("kept_per_row", maxResources))
	}
	in.log.LogAttrs(ctx, slog.LevelInfo, "ingested object",
		slog.String("object", key), slog.String("status", string(res.Status)),
		slog.Int("records", res.Records), slog.Int("kept", res.Kept),
		slog.Int("record_errors", res.RecordErrorCount), slog.Int("quarantined", res.Quarantined),
		slog.String("reason", res.Reason))
	if res.Quarantined > 0 {
		// The record's text stays out of the log: its index, parsed time
		// and the reason say which it is.
		in.log.LogAttrs(ctx, slog.LevelWarn, "records quarantined: event time implausible for the object",
			slog.String("object", key), slog.Int("quarantined", res.Quarantined),
			slog.String("partition", lake.PartitionPrefix(lake.QuarantinePrefix, bounds.day)),
			slog.Any("first", quarantineLog(res.QuarantinedRecords)))
	}
	return res, nil
}

// quarantineLog is how quarantined records go into a log line: index,
// event time and reason (the object is the line's own attribute).
func quarantineLog(qs []Quarantined) []map[string]any {
	out := make([]map[string]any, len(qs))
	for i, q := range qs {
		out[i] = map[string]any{"index": q.Index, "event_time": q.EventTime.Format(time.RFC3339Nano), "reason": q.Reason}
	}
	return out
}

// mayKeep is the cheap pre-filter, on the record's top-level eventSource as
// the scanner found it in the raw bytes: most records in real trails are
// other services and are dropped without being decoded. A value with JSON
// escapes is decoded to be sure.
func (in *Ingester) mayKeep(src []byte) bool {
	if src == nil {
		return false
	}
	if bytes.IndexByte(src, '\\') >= 0 {
		return true
	}
	for _, s := range in.sources {
		if bytes.Equal(src, s) {
			return true
		}
	}
	return false
}

// objectReader is what reading one object takes: a buffered reader, a gzip
// reader and a record scanner, about 400 KB of buffers and tables. Most
// CloudTrail files are small, and allocating (and zeroing) these for each
// one cost about as much as a tenth of reading it, so an Ingester keeps
// them for the next object.
type objectReader struct {
	br      *bufio.Reader
	zr      *gzip.Reader // nil until the first gzip object
	scanner *cloudtrail.Scanner
}

func (in *Ingester) getReader() *objectReader {
	if or, ok := in.readers.Get().(*objectReader); ok {
		return or
	}
	return &objectReader{br: bufio.NewReaderSize(nil, 64<<10), scanner: cloudtrail.NewScanner(nil)}
}

// putReader keeps or for the next object, without references to this one.
func (in *Ingester) putReader(or *objectReader) {
	or.br.Reset(nil)
	or.scanner.Reset(nil)
	in.readers.Put(or)
}

// open returns the object's JSON stream, gunzipping when the content
// starts with the gzip magic number (the key's extension is not trusted).
// The stream must be closed before or is used again.
func (or *objectReader) open(r io.Reader, readAhead bool) (io.ReadCloser, error) {
	br := or.br
	br.Reset(r)
	magic, err := br.Peek(2)
	if err != nil && len(magic) == 0 {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty object")
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if or.zr == nil {
			or.zr = new(gzip.Reader)
		}
		zr := or.zr
		if err := zr.Reset(br); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		if !readAhead {
			return &gzipBody{zr: zr, r: gzipErrors{zr}}, nil
		}
		ahead := newAheadReader(gzipErrors{zr})
		return &gzipBody{zr: zr, r: ahead, ahead: ahead}, nil
	}
	return io.NopCloser(br), nil
}

// gzipBody is a decompressed object, read ahead when it is large and a
// core is free.
type gzipBody struct {
	zr    *gzip.Reader
	r     io.Reader
	ahead *aheadReader // nil without read-ahead
}

func (g *gzipBody) Read(p []byte) (int, error) { return g.r.Read(p) }

func (g *gzipBody) Close() error {
	if g.ahead != nil {
		g.ahead.Close()
	}
	return g.zr.Close()
}

// gzipErrors labels decompression errors so a truncated or corrupt file
// says so.
type gzipErrors struct{ zr *gzip.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("gzip: unexpected end of compressed data (truncated file?)")
		} else {
			err = fmt.Errorf("gzip: %w", err)
		}
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// objectName derives a deterministic, readable output name from the source
// key: its file name (sanitised) plus a hash of the full key, so the same
// name in two trails or prefixes does not collide.
func objectName(key string) string {
	sum := sha256.Sum256([]byte(key))
	base := path.Base(key)
	for _, ext := range []string{".gz", ".json"} {
		base = strings.TrimSuffix(base, ext)
	}
	base = unsafeChars.ReplaceAllString(base, "_")
	if len(base) > 120 {
		base = base[:120]
	}
	return base + "-" + hex.EncodeToString(sum[:6])
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)
