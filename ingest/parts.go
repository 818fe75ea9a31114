package ingest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
)

// partWriter buffers rows by event day and writes sorted Parquet parts
// (quarantined rows apart, under the object's delivery day). A
// part is encoded and stored by a background goroutine while the next one
// fills, so reading and writing overlap on two cores; at most one part is
// in flight, which bounds memory at two parts.
type partWriter struct {
	in      *Ingester
	ctx     context.Context
	base    string
	byDay   map[int64][]event.Event // by Unix day
	rows    int
	parts   map[int64]int
	outputs []string
	// quarantined rows, all under the partition of quarantineDay.
	quarantined     []event.Event
	quarantineDay   string
	quarantineParts int

	pending chan partJob // to the writer goroutine
	done    chan struct{}
	mu      sync.Mutex
	err     error // the writer's first error
}

type partJob struct {
	key  string
	rows []event.Event
}

func (in *Ingester) newPartWriter(ctx context.Context, key, quarantineDay string) *partWriter {
	w := &partWriter{in: in, ctx: ctx, base: objectName(key), quarantineDay: quarantineDay,
		byDay: map[int64][]event.Event{}, parts: map[int64]int{},
		pending: make(chan partJob), done: make(chan struct{})}
	go w.writeLoop()
	return w
}

func (w *partWriter) writeLoop() {
	defer close(w.done)
	buf := w.in.bufs.Get().(*bytes.Buffer)
	defer w.in.bufs.Put(buf)
	for job := range w.pending {
		if w.failed() != nil {
			w.in.putRows(job.rows)
			continue
		}
		event.Sort(job.rows)
		buf.Reset()
		err := event.WriteParquetFast(buf, job.rows)
		w.in.putRows(job.rows)
		if err != nil {
			err = fmt.Errorf("encode %s: %w", job.key, err)
		} else if err = w.in.sink.Put(w.ctx, job.key, bytes.NewReader(buf.Bytes())); err != nil {
			err = fmt.Errorf("write %s: %w", job.key, err)
		}
		if err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
	}
}

func (w *partWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

const secondsPerDay = 24 * 60 * 60

func (w *partWriter) add(e event.Event) error {
	d := e.EventTime.Unix()
	if d < 0 {
		d -= secondsPerDay - 1 // floor division before 1970
	}
	d /= secondsPerDay
	rows, ok := w.byDay[d]
	if !ok {
		rows = w.in.getRows()
	}
	w.byDay[d] = append(rows, e)
	w.rows++
	if w.rows >= w.in.rowsPerPart {
		return w.flush()
	}
	return nil
}

// addQuarantined buffers a row for the quarantine table.
func (w *partWriter) addQuarantined(e event.Event) error {
	if w.quarantined == nil {
		w.quarantined = w.in.getRows()
	}
	w.quarantined = append(w.quarantined, e)
	w.rows++
	if w.rows >= w.in.rowsPerPart {
		return w.flush()
	}
	return nil
}

func (w *partWriter) flush() error {
	days := make([]int64, 0, len(w.byDay))
	for d := range w.byDay {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		if err := w.failed(); err != nil {
			return err
		}
		n := w.parts[d]
		w.parts[d] = n + 1
		day := time.Unix(d*secondsPerDay, 0).UTC().Format(lake.DayLayout)
		key := lake.EventKey(day, fmt.Sprintf("%s-p%03d", w.base, n))
		w.pending <- partJob{key: key, rows: w.byDay[d]}
		w.outputs = append(w.outputs, key)
		delete(w.byDay, d)
	}
	if len(w.quarantined) > 0 {
		if err := w.failed(); err != nil {
			return err
		}
		// The same names as the object's event parts, so ingesting it
		// again replaces them.
		key := lake.QuarantineKey(w.quarantineDay, fmt.Sprintf("%s-p%03d", w.base, w.quarantineParts))
		w.quarantineParts++
		w.pending <- partJob{key: key, rows: w.quarantined}
		w.outputs = append(w.outputs, key)
		w.quarantined = nil
	}
	w.rows = 0
	return nil
}

// getRows returns an empty row slice, reusing the capacity of parts already
// written: growing a slice of wide rows part after part would copy each row
// several times and allocate as much as the rows themselves.
func (in *Ingester) getRows() []event.Event {
	if p, ok := in.rows.Get().(*[]event.Event); ok {
		return (*p)[:0]
	}
	return nil
}

// putRows gives a written part's slice back, cleared so that it does not
// keep the part's strings alive.
func (in *Ingester) putRows(rows []event.Event) {
	if cap(rows) == 0 || cap(rows) > 2*in.rowsPerPart {
		return
	}
	clear(rows)
	rows = rows[:0]
	in.rows.Put(&rows)
}

// close writes what is buffered and waits for the writer; it returns the
// keys written.
func (w *partWriter) close() ([]string, error) {
	var err error
	if w.rows > 0 {
		err = w.flush()
	}
	close(w.pending)
	<-w.done
	if werr := w.failed(); werr != nil {
		err = werr
	}
	return w.outputs, err
}
