package ingest

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

func TestAheadReader(t *testing.T) {
	data := make([]byte, aheadAfter+3*aheadChunk+123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, size := range []int{10, aheadAfter - 1, len(data)} {
		a := newAheadReader(bytes.NewReader(data[:size]))
		if err := iotest.TestReader(a, data[:size]); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		a.Close()
	}
	// An error after the switch reaches the reader after the data before it.
	boom := errors.New("boom")
	a := newAheadReader(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)))
	got, err := io.ReadAll(a)
	if !errors.Is(err, boom) || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, err %v; want all %d and boom", len(got), err, len(data))
	}
	a.Close()
	// Closing in the middle stops the goroutine.
	a = newAheadReader(bytes.NewReader(data))
	io.CopyN(io.Discard, a, aheadAfter+10)
	if a.chunks == nil {
		t.Fatal("read-ahead never started")
	}
	a.Close()
}
