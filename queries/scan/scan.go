// Package scan computes how many bytes of the lake a library query makes an
// engine read, for the benchmark that holds investigations to reading
// little (issue #19): Athena bills and waits by bytes scanned, and a query
// of one principal over a day should read a small part of that day.
//
// What a query reads depends on the engine's plan, not on the SQL text
// alone: which columns the scan produces, and which predicates the
// optimizer pushed down to it. So the plan comes from DuckDB's optimizer
// (Explain: EXPLAIN (FORMAT JSON) with the query's parameters bound), and
// the bytes from the files' own footers (Measure), pruned the way Athena
// (Trino) and DuckDB prune Parquet:
//
//   - partitions: only the day folders the query's day bounds select;
//   - columns: only the column chunks of the columns the scan reads;
//   - row groups: only those whose min/max statistics, and for equality
//     their bloom filters, can match every predicate on the scan.
//
// Only predicates on one column each can prune, as in Trino, whose pushed
// predicate is a conjunction of per-column domains: a filter above a
// window (the library's dedup step) or a disjunction across two columns
// (principal_arn = ? OR session_issuer_arn = ?) prunes nothing, and
// Measure counts it so. A predicate this package does not understand is
// treated the same way, so the count errs towards reading more.
//
// Each read file also costs its footer, and each surviving row group the
// page index of its predicate columns and any bloom filter probed.
// DuckDB is cgo: only benchmarks and tests use this package.
package scan

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Plan is what a query's scan of one table reads.
type Plan struct {
	// Columns are the stored columns the scan produces or filters on.
	Columns []string
	// Preds are the pushed predicates, all of which a row must match.
	Preds []Pred
}

// Pred is a predicate on one column: a set of values (Values) or a range
// (Lo, Hi; either may be absent). Values are as DuckDB prints them:
// strings unquoted, timestamps as "2006-01-02 15:04:05[.000]".
type Pred struct {
	Column         string
	Values         []string
	Lo, Hi         *string
	LoOpen, HiOpen bool // exclusive bounds
}

// Read is what Measure counted.
type Read struct {
	Files, RowGroups, RowGroupsRead int
	// Footer is the files' metadata; Data the column chunks read; Index
	// the page indexes and Bloom the bloom filters of predicate columns.
	Footer, Data, Index, Bloom int64
}

// Bytes is everything read.
func (r Read) Bytes() int64 { return r.Footer + r.Data + r.Index + r.Bloom }

// Measure counts what plan reads of table (a folder of day=YYYY-MM-DD
// partitions) for the days from through to, inclusive.
func Measure(table string, plan Plan, from, to string) (Read, error) {
	var r Read
	days, err := filepath.Glob(filepath.Join(table, "day=*"))
	if err != nil {
		return r, fmt.Errorf("list %s: %w", table, err)
	}
	for _, d := range days {
		day := strings.TrimPrefix(filepath.Base(d), "day=")
		if day < from || day > to {
			continue
		}
		files, err := filepath.Glob(filepath.Join(d, "*.parquet"))
		if err != nil {
			return r, fmt.Errorf("list %s: %w", d, err)
		}
		for _, f := range files {
			if err := measureFile(f, plan, &r); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// MeasureAll is the sum of Measure over plans: each scan of a query reads
// its own footers and column chunks (an engine does not share them between
// the branches of a UNION ALL).
func MeasureAll(table string, plans []Plan, from, to string) (Read, error) {
	var sum Read
	for _, p := range plans {
		r, err := Measure(table, p, from, to)
		if err != nil {
			return sum, err
		}
		sum.Files += r.Files
		sum.RowGroups += r.RowGroups
		sum.RowGroupsRead += r.RowGroupsRead
		sum.Footer += r.Footer
		sum.Data += r.Data
		sum.Index += r.Index
		sum.Bloom += r.Bloom
	}
	return sum, nil
}

func measureFile(path string, plan Plan, r *Read) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	footer, err := footerSize(fh, st.Size())
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	f, err := parquet.OpenFile(fh, st.Size(), parquet.SkipPageIndex(true))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	r.Files++
	r.Footer += footer
	leaves := f.Schema().Columns()
	groups := f.RowGroups()
	for i, rg := range f.Metadata().RowGroups {
		r.RowGroups++
		var index, bloom int64
		match := true
		for _, p := range plan.Preds {
			j := slices.IndexFunc(leaves, func(l []string) bool { return len(l) == 1 && l[0] == p.Column })
			if j < 0 {
				continue // a partition or nested column: no statistics here
			}
			cc := rg.Columns[j]
			index += int64(cc.ColumnIndexLength) + int64(cc.OffsetIndexLength)
			ok, probed, err := mayMatch(p, &cc.MetaData.Statistics, groups[i].ColumnChunks()[j])
			if err != nil {
				return fmt.Errorf("%s row group %d column %s: %w", path, i, p.Column, err)
			}
			if probed {
				bloom += int64(cc.MetaData.BloomFilterLength)
			}
			if !ok {
				match = false
				break
			}
		}
		r.Bloom += bloom
		if !match {
			continue
		}
		r.RowGroupsRead++
		r.Index += index
		for j, cc := range rg.Columns {
			if slices.Contains(plan.Columns, leaves[j][0]) {
				r.Data += cc.MetaData.TotalCompressedSize
			}
		}
	}
	return nil
}

// footerSize is the length of a Parquet file's footer: the metadata, its
// length and the magic number.
func footerSize(r io.ReaderAt, size int64) (int64, error) {
	var tail [8]byte
	if size < 8 {
		return 0, fmt.Errorf("%d bytes: not a parquet file", size)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return 0, err
	}
	if string(tail[4:]) != "PAR1" {
		return 0, fmt.Errorf("no parquet footer")
	}
	return int64(binary.LittleEndian.Uint32(tail[:4])) + 8, nil
}

// mayMatch reports whether a row group whose column chunk is cc, with
// statistics st, may hold a row matching p, and whether it probed the
// chunk's bloom filter to know.
func mayMatch(p Pred, st *format.Statistics, cc parquet.ColumnChunk) (ok, probed bool, err error) {
	typ := cc.Type()
	if st.MinValue == nil || st.MaxValue == nil {
		return true, false, nil
	}
	within := func(v []byte) bool {
		return compare(typ.Kind(), v, st.MinValue) >= 0 && compare(typ.Kind(), v, st.MaxValue) <= 0
	}
	if p.Values != nil {
		var maybe [][]byte
		for _, s := range p.Values {
			v, ok := encode(typ, s)
			if !ok {
				return true, false, nil
			}
			if within(v) {
				maybe = append(maybe, v)
			}
		}
		if len(maybe) == 0 {
			return false, false, nil
		}
		bf := cc.BloomFilter()
		if bf == nil || typ.Kind() != parquet.ByteArray {
			return true, false, nil
		}
		for _, v := range maybe {
			has, err := bf.Check(parquet.ByteArrayValue(v))
			if err != nil {
				return true, true, err
			}
			if has {
				return true, true, nil
			}
		}
		return false, true, nil
	}
	if p.Lo != nil {
		v, ok := encode(typ, *p.Lo)
		if !ok {
			return true, false, nil
		}
		// Rows ≥ lo (> lo) exist only if max ≥ lo (> lo).
		if c := compare(typ.Kind(), st.MaxValue, v); c < 0 || c == 0 && p.LoOpen {
			return false, false, nil
		}
	}
	if p.Hi != nil {
		v, ok := encode(typ, *p.Hi)
		if !ok {
			return true, false, nil
		}
		if c := compare(typ.Kind(), st.MinValue, v); c > 0 || c == 0 && p.HiOpen {
			return false, false, nil
		}
	}
	return true, false, nil
}

// compare orders two plain-encoded values of kind.
func compare(kind parquet.Kind, a, b []byte) int {
	if kind == parquet.Int64 && len(a) == 8 && len(b) == 8 {
		return cmp.Compare(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	}
	return bytes.Compare(a, b)
}

// encode turns a printed value into the column's plain-encoded bytes, as
// its statistics hold them; ok is false for a type this package does not
// compare (nothing is pruned then).
func encode(typ parquet.Type, v string) (b []byte, ok bool) {
	switch typ.Kind() {
	case parquet.ByteArray:
		return []byte(v), true
	case parquet.Int64:
		lt := typ.LogicalType()
		if lt == nil {
			return nil, false
		}
		ts, isTime := lt.Value.(*format.TimestampType)
		if !isTime {
			return nil, false
		}
		if _, millis := ts.Unit.Value.(*format.MilliSeconds); !millis {
			return nil, false
		}
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil {
				return binary.LittleEndian.AppendUint64(nil, uint64(t.UnixMilli())), true
			}
		}
	}
	return nil, false
}
