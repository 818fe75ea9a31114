package cloudtrail

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// scanned is what a Scanner reported for one element of the Records array.
type scanned struct {
	index  int
	record string
	err    error // RecordErr
}

// scanEach reads data with a Scanner (the given splitter, reads of the
// given sizes, a size limit) and returns every element and the final error.
func scanEach(t *testing.T, data string, sizes []int, limit int, blocks bool) ([]scanned, error) {
	t.Helper()
	defer func(old bool) { useBlocks = old }(useBlocks)
	useBlocks = blocks
	s := NewScanner(&chunkReader{data: []byte(data), sizes: sizes})
	s.SetMaxRecordSize(limit)
	var got []scanned
	for s.Next() {
		got = append(got, scanned{s.Index(), string(s.Record()), s.RecordErr()})
		if s.RecordErr() != nil && (s.Record() != nil || s.EventSource() != nil) {
			t.Fatalf("record %d: skipped, yet Record %q and EventSource %q", s.Index(), s.Record(), s.EventSource())
		}
	}
	return got, s.Err()
}

// A record over the size limit is skipped, reported with its index and
// the offset where it starts, and every record after it is read.
func TestScannerSkipsOversizedRecord(t *testing.T) {
	const limit = 1024
	good := func(i int) string { return fmt.Sprintf(`{"eventSource":"kms.amazonaws.com","i":%d}`, i) }
	long := strings.Repeat("A", 5000)
	tests := []struct {
		name  string
		big   string // the oversized record
		after string // what follows it, from the separator on
		want  []string
		err   string // the final error, "" for none
	}{
		{"long string", `{"userAgent":"` + long + `"}`, `,` + good(2) + `]}`, []string{good(0), "", good(2)}, ""},
		{"many resources", `{"resources":[` + strings.Repeat(`{"ARN":"arn:aws:kms:eu-central-1:111122223333:key/k"},`, 100) + `{}]}`,
			`,` + good(2) + `]}`, []string{good(0), "", good(2)}, ""},
		{"brackets and escapes in strings", `{"a":"` + strings.Repeat(`}]\"\\{[`, 400) + `","b":[{"c":"\\"}]}`,
			`,` + good(2) + `]}`, []string{good(0), "", good(2)}, ""},
		{"a long run of backslashes", `{"a":"` + strings.Repeat(`\\`, 3000) + `\"","b":"x"}`,
			`,` + good(2) + `]}`, []string{good(0), "", good(2)}, ""},
		{"deep", `{"d":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`,
			`,` + good(2) + `]}`, []string{good(0), "", good(2)}, ""},
		{"two in a row", `{"userAgent":"` + long + `"}`, `,{"userAgent":"` + long + `"},` + good(3) + `]}`,
			[]string{good(0), "", "", good(3)}, ""},
		{"the last record", `{"userAgent":"` + long + `"}`, "]}\n", []string{good(0), ""}, ""},
		{"truncated inside it", `{"userAgent":"` + long, "", []string{good(0), ""}, "record 1 (offset "},
		{"truncated in a string after an escape", `{"userAgent":"` + long + `\`, "", []string{good(0), ""}, "record 1 (offset "},
		{"followed by garbage", `{"userAgent":"` + long + `"}`, ` x]}`, []string{good(0), ""}, "want ',' or ']' after a record"},
	}
	for _, tt := range tests {
		head := `{"Records":[` + good(0) + `,`
		input := head + tt.big + tt.after
		offset := int64(len(head))
		for _, blocks := range []bool{false, true} {
			for _, sizes := range [][]int{{1 << 20}, {4096}, {1}, {0, 63, 65, 300}} {
				t.Run(fmt.Sprintf("%s/blocks=%v/reads=%v", tt.name, blocks, sizes), func(t *testing.T) {
					got, err := scanEach(t, input, sizes, limit, blocks)
					if len(got) != len(tt.want) {
						t.Fatalf("%d elements %+v, want %d", len(got), got, len(tt.want))
					}
					for i, g := range got {
						if g.index != i {
							t.Errorf("element %d: Index %d", i, g.index)
						}
						if tt.want[i] != "" {
							if g.err != nil || g.record != tt.want[i] {
								t.Errorf("element %d: record %q, err %v; want %q", i, g.record, g.err, tt.want[i])
							}
							continue
						}
						var se *SyntaxError
						if !errors.As(g.err, &se) || !errors.Is(g.err, ErrRecordTooLarge) {
							t.Fatalf("element %d: err %v, want a *SyntaxError for ErrRecordTooLarge", i, g.err)
						}
						if se.Index != i || (i == 1 && se.Offset != offset) || se.Offset < offset {
							t.Errorf("element %d: reported as record %d at offset %d, want %d at %d", i, se.Index, se.Offset, i, offset)
						}
						if msg := g.err.Error(); !strings.Contains(msg, fmt.Sprintf("record %d (offset %d)", i, se.Offset)) ||
							!strings.Contains(msg, "1024") {
							t.Errorf("element %d: message %q does not name the record, its offset and the limit", i, msg)
						}
					}
					switch {
					case tt.err == "" && err != nil:
						t.Fatalf("err = %v, want none: only the oversized record is lost", err)
					case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
						t.Fatalf("err = %v, want one mentioning %q", err, tt.err)
					}
				})
			}
		}
	}
}

// The records around an oversized one, at the default limit, with the
// shapes issue 16 names: a 10 MB user agent and a record with 1,000,000
// resources. The input is generated as it is read, and the scanner must
// get past both on about the memory of its limit: it may not hold either
// record.
func TestScannerOversizedBoundedMemory(t *testing.T) {
	resource := `{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-central-1:111122223333:key/0b3d2c6e"}`
	r := io.MultiReader(
		strings.NewReader(`{"Records":[{"eventSource":"kms.amazonaws.com","eventID":"before"},{"eventSource":"kms.amazonaws.com","userAgent":"`),
		&repeatReader{piece: []byte("Mozilla/5.0 "), n: 10_000_000 / 12},
		strings.NewReader(`"},{"eventSource":"kms.amazonaws.com","eventID":"between"},{"eventSource":"kms.amazonaws.com","resources":[`),
		&repeatReader{piece: []byte(resource + ","), n: 999_999},
		strings.NewReader(resource+`]},{"eventSource":"kms.amazonaws.com","eventID":"after"}]}`),
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewScanner(r)
	var recs []string
	var skipped []int
	for s.Next() {
		if s.RecordErr() != nil {
			skipped = append(skipped, s.Index())
			continue
		}
		recs = append(recs, string(s.Record()))
	}
	runtime.ReadMemStats(&after)
	if s.Err() != nil {
		t.Fatalf("err = %v", s.Err())
	}
	if fmt.Sprint(skipped) != "[1 3]" || len(recs) != 3 || !strings.Contains(recs[2], `"after"`) {
		t.Fatalf("skipped %v, records %q; want records 1 and 3 skipped and the three others read", skipped, recs)
	}
	// Growing the buffer to the limit allocates about twice the limit;
	// holding the 10 MB record would take a 16 MiB buffer more, holding
	// the other a 128 MiB one.
	if len(s.buf) > MaxRecordSize {
		t.Errorf("the buffer grew to %d bytes, past the %d-byte limit", len(s.buf), MaxRecordSize)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*MaxRecordSize {
		t.Errorf("allocated %d MiB to read past two oversized records, want at most %d MiB", alloc>>20, 3*MaxRecordSize>>20)
	}
}

// repeatReader reads piece n times.
type repeatReader struct {
	piece []byte
	n     int
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	read := 0
	for read < len(p) && r.n > 0 {
		k := copy(p[read:], r.piece[r.off:])
		read += k
		r.off += k
		if r.off == len(r.piece) {
			r.off = 0
			r.n--
		}
	}
	if read == 0 {
		return 0, io.EOF
	}
	return read, nil
}
