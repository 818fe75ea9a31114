package cloudtrail

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// escapedBytes agrees with counting backslashes byte by byte, across block
// boundaries.
func TestEscapedBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		blocks := make([]uint64, 1+rng.IntN(4))
		for i := range blocks {
			switch rng.IntN(4) {
			case 0:
				blocks[i] = 0
			case 1:
				blocks[i] = ^uint64(0) << rng.IntN(64) // a run to the end
			default:
				blocks[i] = rng.Uint64() & rng.Uint64()
			}
		}
		// Byte by byte: a byte is escaped when the run of backslashes
		// before it is odd.
		var want []uint64
		run := 0
		for _, b := range blocks {
			var e uint64
			for i := range 64 {
				if run%2 == 1 {
					e |= 1 << i
				}
				if b>>i&1 == 1 && run%2 == 0 {
					run++
				} else if b>>i&1 == 1 {
					run = 0 // an escaped backslash ends the run
				} else {
					run = 0
				}
			}
			want = append(want, e)
		}
		var carry uint64
		for i, b := range blocks {
			if got := escapedBytes(b, &carry); got != want[i] {
				t.Fatalf("blocks %064b: block %d escaped %064b, want %064b", blocks, i, got, want[i])
			}
		}
	}
}

// chunkReader returns its data in reads of the given sizes, cycling, so
// records straddle refills at every offset; a size of 0 is a read that
// returns nothing (and no error), which io.Reader allows.
type chunkReader struct {
	data  []byte
	sizes []int
	n     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := c.sizes[c.n%len(c.sizes)]
	c.n++
	k = min(k, len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// describeScan describes everything a Scanner reports on data.
func describeScan(data []byte, sizes []int, max int, blocks bool) string {
	defer func(old bool) { useBlocks = old }(useBlocks)
	useBlocks = blocks
	s := NewScanner(&chunkReader{data: data, sizes: sizes})
	if max > 0 {
		s.SetMaxRecordSize(max)
	}
	var b strings.Builder
	for s.Next() {
		fmt.Fprintf(&b, "%d %q %q %v\n", s.Index(), s.Record(), s.EventSource(), s.RecordErr())
	}
	fmt.Fprintf(&b, "err: %v", s.Err())
	return b.String()
}

// The block splitter returns the same records, eventSource values and
// errors (at the same offsets) as the byte-at-a-time one, however the
// input arrives.
func FuzzBlockSplitter(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"a":1},{"b":"x\"]}"}]}`,
		`{"Records":[]}`,
		`{"k":"v","Records":[{"n":[1,{"o":null}]}]}`,
		`{"Records":[{"a":"\\"}]}`,
		`{"Records":[{"eventSource":"kms.amazonaws.com","x":{"eventSource":"no"}},{"eventSource" : "a\"b", "eventSource":1}]}`,
		`{"Records":[{"a":"\\\"eventSource\":\"x","eventSource":"y"}]}`,
		// Invalid JSON the splitters still agree on: a value named like
		// the member, followed by a string.
		`{"Records":[{"a":"eventSource" "kms.amazonaws.com"},{"eventSource" "s3"}]}`,
		`{"Records":[{"a":[}]}`,
		`{"Records":[{"a":"` + strings.Repeat(`\\`, 40) + `\"` + strings.Repeat("x", 70) + `"}]}`,
		`{"Records":[` + deep(200) + `]}`,
		// A member name across the 300-byte reads that follow empty ones.
		`{"Records":[{"a":"` + strings.Repeat("x", 275) + `","eventSource":"kms.amazonaws.com"}]}`,
	} {
		f.Add([]byte(s), uint16(7), uint16(64), uint16(1))  // no size limit
		f.Add([]byte(s), uint16(7), uint16(64), uint16(0))  // a limit of 16 bytes
		f.Add([]byte(s), uint16(0), uint16(299), uint16(1)) // empty reads, then 300 bytes
	}
	f.Fuzz(func(t *testing.T, data []byte, a, b, max uint16) {
		sizes := []int{int(a) % 300, 1 + int(b)%300}
		m := 0
		if max%4 == 0 {
			m = 16 + int(max)%512
		}
		want := describeScan(data, sizes, m, false)
		if got := describeScan(data, sizes, m, true); got != want {
			t.Fatalf("input %q, reads of %v, limit %d:\nblocks:\n%s\nbytes:\n%s", data, sizes, m, got, want)
		}
	})
}

// The splitters agree on random inputs made of the bytes that matter to
// them: the fuzz target's property, on every architecture the tests run
// on (the fuzzer itself does not run under emulation).
func TestBlockSplitterRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pieces := []string{`"`, `\`, `\\`, `{`, `}`, `[`, `]`, `,`, `:`, ` `, "\n", `a`, `0`, `é`,
		`"eventSource"`, `"kms.amazonaws.com"`, `{"Records":[`, `]}`, `{"eventSource":"x"}`, `\"`}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		var b strings.Builder
		if rng.IntN(4) > 0 {
			b.WriteString(`{"Records":[`)
		}
		for range rng.IntN(200) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		data := []byte(b.String())
		sizes := []int{rng.IntN(100), 1 + rng.IntN(300)}
		limit := 0
		if rng.IntN(4) == 0 {
			limit = 16 + rng.IntN(200)
		}
		want := describeScan(data, sizes, limit, false)
		if got := describeScan(data, sizes, limit, true); got != want {
			t.Fatalf("input %q, reads of %v, limit %d:\nblocks:\n%s\nbytes:\n%s", data, sizes, limit, got, want)
		}
	}
}

// A generated corpus, the shapes ingest meets most, splits the same way
// with both splitters, read in chunks of several sizes.
func TestBlockSplitterCorpus(t *testing.T) {
	data, _ := generatedLog(t, 7, 2<<20)
	for _, sizes := range [][]int{{1 << 20}, {4096}, {63, 65, 80}, {1, 7, 300}} {
		want := describeScan(data, sizes, 0, false)
		if got := describeScan(data, sizes, 0, true); got != want {
			t.Fatalf("reads of %v: the splitters differ (%d and %d bytes of description)", sizes, len(got), len(want))
		}
		if !strings.HasSuffix(want, "err: <nil>") || strings.Count(want, "\n") < 1000 || !strings.Contains(want, `"kms.amazonaws.com"`) {
			t.Fatalf("reads of %v: the corpus did not split into records with sources: %.300s", sizes, want)
		}
	}
}
