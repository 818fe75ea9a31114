package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

// EventReader returns the events behind a finding; LakeEvents implements
// it. The alerter asks only for destructive findings (see needsEvents),
// whose message shows the deadline and the undo the events' requests and
// responses hold.
type EventReader interface {
	FindingEvents(ctx context.Context, f finding.Finding) ([]event.Event, error)
}

// LakeEvents reads a finding's events from the lake's events table: the
// rows of the UTC days of the finding's window whose event id the finding
// lists (its first ids; see Finding.EventIDs), once each.
type LakeEvents struct {
	Store Store
}

// lakeBatch is how many rows are read at a time (as the detector does:
// parquet-go reads small batches faster than large ones).
const lakeBatch = 256

// FindingEvents implements EventReader.
func (l LakeEvents) FindingEvents(ctx context.Context, f finding.Finding) ([]event.Event, error) {
	want := map[string]bool{}
	for _, id := range f.EventIDs {
		want[id] = true
	}
	if len(want) == 0 || f.Start.IsZero() {
		return nil, nil
	}
	end := f.End
	if end.Before(f.Start) {
		end = f.Start
	}
	var out []event.Event
	seen := map[string]bool{}
	buf := make([]event.Event, lakeBatch)
	for _, day := range lake.Days(f.Start, end) {
		objs, err := l.Store.List(ctx, lake.PartitionPrefix(lake.EventsPrefix, day))
		if err != nil {
			return nil, fmt.Errorf("list events of %s: %w", day, err)
		}
		// Newest first: a finding's events are most often in the parts
		// written last (an alert from the fast path, within a minute).
		slices.SortStableFunc(objs, func(a, b lake.ObjectInfo) int { return b.Modified.Compare(a.Modified) })
		for _, o := range objs {
			if !strings.HasSuffix(o.Key, ".parquet") {
				continue
			}
			err := readEvents(ctx, l.Store, o.Key, buf, func(e *event.Event) {
				if want[e.EventID] && !seen[e.EventID] {
					seen[e.EventID] = true
					out = append(out, *e)
				}
			})
			if err != nil {
				return nil, err
			}
			if len(seen) == len(want) {
				break
			}
		}
	}
	slices.SortFunc(out, event.Compare)
	return out, nil
}

// readEvents calls fn for every row of one events Parquet object.
func readEvents(ctx context.Context, s Store, key string, buf []event.Event, fn func(*event.Event)) error {
	rc, _, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("open %s: %w", key, err)
	}
	pr := parquet.NewGenericReader[event.Event](pf)
	defer pr.Close()
	for {
		clear(buf)
		n, err := pr.Read(buf)
		for i := range buf[:n] {
			fn(&buf[i])
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
	}
}
