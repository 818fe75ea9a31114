package review

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
)

// Objects is what a review reads of the lake's objects directly (lake.Dir,
// lake.S3): the quarantine, which is no table of the query library.
type Objects interface {
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
	Get(ctx context.Context, key string) (io.ReadCloser, lake.ObjectInfo, error)
}

var quarantineColumns = []string{"delivered", "event_time", "event_name", "principal_arn", "resource_arn", "event_id", "source_object", "source_index"}

// quarantine lists the rows ingest kept apart because their event time is
// implausible for the object that delivered them, for the objects
// delivered in the period (quarantine/ is partitioned by delivery day: the
// recorded time is the one thing about these rows that cannot be trusted).
func quarantine(ctx context.Context, objs Objects, p Period) (Section, error) {
	s := Section{ID: "quarantine", Title: "Records kept apart for an implausible time",
		About: "Records delivered in the period whose eventTime is far from their delivery (a broken clock, or a forged record): ingest kept them out of every table, so no section above counts them. Look at each one."}
	s.Columns = quarantineColumns
	if objs == nil {
		s.NotChecked = "this review was given no access to the lake's objects, and quarantine/ is not a table"
		return s, nil
	}
	list, err := objs.List(ctx, lake.QuarantinePrefix)
	if err != nil {
		return s, fmt.Errorf("review: quarantine: %w", err)
	}
	first, last := p.From.Format(lake.DayLayout), p.Last().Format(lake.DayLayout)
	type row struct {
		day string
		e   event.Event
	}
	var rows []row
	for _, o := range list {
		if !strings.HasSuffix(o.Key, ".parquet") {
			continue
		}
		day, err := lake.ParseDay(o.Key)
		if err != nil || day < first || day > last {
			continue
		}
		evs, err := readEvents(ctx, objs, o.Key)
		if err != nil {
			return s, fmt.Errorf("review: quarantine: %w", err)
		}
		for _, e := range evs {
			rows = append(rows, row{day, e})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.day, b.day), strings.Compare(a.e.SourceObject, b.e.SourceObject), cmp.Compare(a.e.SourceIndex, b.e.SourceIndex))
	})
	for _, r := range rows {
		e := r.e
		s.Rows = append(s.Rows, []string{r.day, e.EventTime.UTC().Format(timeLayout), e.EventName, e.PrincipalARN,
			e.ResourceARN, e.EventID, e.SourceObject, strconv.FormatInt(e.SourceIndex, 10)})
	}
	return s, nil
}

// timeLayout is how query results show timestamps (see queries.Result).
const timeLayout = "2006-01-02 15:04:05.000"

func readEvents(ctx context.Context, objs Objects, key string) ([]event.Event, error) {
	return lake.ReadRows(ctx, objs, key, event.ReadParquet)
}
