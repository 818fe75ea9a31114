package evalorg

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
)

type principalRow struct {
	arn string
	t   time.Time
}

// principals reads the principal_arn and event_time columns of a lake
// file: reading whole rows of some twenty thousand small files would take
// minutes.
func principals(f *parquet.File) ([]principalRow, error) {
	pl, ok1 := f.Schema().Lookup("principal_arn")
	tl, ok2 := f.Schema().Lookup("event_time")
	if !ok1 || !ok2 {
		return nil, errors.New("no principal_arn or event_time column")
	}
	var out []principalRow
	for _, rg := range f.RowGroups() {
		arns, err := columnValues(rg.ColumnChunks()[pl.ColumnIndex])
		if err != nil {
			return nil, err
		}
		times, err := columnValues(rg.ColumnChunks()[tl.ColumnIndex])
		if err != nil {
			return nil, err
		}
		if len(arns) != len(times) {
			return nil, fmt.Errorf("%d principals, %d times", len(arns), len(times))
		}
		for i := range arns {
			out = append(out, principalRow{arn: arns[i].String(), t: time.UnixMilli(times[i].Int64()).UTC()})
		}
	}
	return out, nil
}

func columnValues(cc parquet.ColumnChunk) ([]parquet.Value, error) {
	pages := cc.Pages()
	defer pages.Close()
	var out []parquet.Value
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		vals := make([]parquet.Value, p.NumValues())
		n, err := p.Values().ReadValues(vals)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		// Values may point into the page's buffers: copy what is kept.
		for i := range vals[:n] {
			vals[i] = vals[i].Clone()
		}
		out = append(out, vals[:n]...)
		parquet.Release(p)
	}
}
