package lake_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
)

// testStore runs the behaviour every lake.Store must have. newStore returns
// a fresh, empty store for each subtest.
func testStore(t *testing.T, newStore func(t *testing.T) lake.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, newStore(t)) })
	t.Run("PutIfAbsentRace", func(t *testing.T) { testPutIfAbsentRace(t, newStore(t)) })
	t.Run("PutIfMatch", func(t *testing.T) { testPutIfMatch(t, newStore(t)) })
	t.Run("PutIfMatchCounter", func(t *testing.T) { testPutIfMatchCounter(t, newStore(t)) })
	t.Run("LargeStream", func(t *testing.T) { testLargeStream(t, newStore(t)) })
}

func testRoundTrip(t *testing.T, s lake.Store) {
	ctx := t.Context()
	const key = "state/watermark.json"
	put(t, s, key, "v1")
	body, info := get(t, s, key)
	if body != "v1" || info.Key != key || info.Size != 2 || info.ETag == "" || info.Modified.IsZero() {
		t.Fatalf("get = %q, %+v; want v1 with key, size 2, an ETag and a time", body, info)
	}
	put(t, s, key, "version two")
	body, info2 := get(t, s, key)
	if body != "version two" || info2.Size != int64(len("version two")) {
		t.Fatalf("get after overwrite = %q, %+v", body, info2)
	}
	if info2.ETag == info.ETag {
		t.Errorf("ETag %q unchanged by a write of different content", info.ETag)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, _, err := s.Get(ctx, key); !errors.Is(err, lake.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("delete of a missing object: %v, want nil", err)
	}
	if got := listKeys(t, s, ""); len(got) != 0 {
		t.Fatalf("list after delete = %q, want nothing", got)
	}
}

func testList(t *testing.T, s lake.Store) {
	keys := []string{
		"events/day=2024-01-01/a b.parquet",
		"events/day=2024-01-01/a=b.parquet",
		"events/day=2024-01-02/x.parquet",
		"events/day=2024-01-10/y.parquet",
		"events-archive/z.parquet",
		"findings/day=2024-01-01/f.parquet",
		"state/wm.json",
		"a-b",
		"a/b",
	}
	// Written in reverse so that order of writing cannot pass for sorting.
	for _, k := range slices.Backward(keys) {
		put(t, s, k, "content of "+k)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-b", "a/b", "events-archive/z.parquet", "events/day=2024-01-01/a b.parquet",
			"events/day=2024-01-01/a=b.parquet", "events/day=2024-01-02/x.parquet", "events/day=2024-01-10/y.parquet",
			"findings/day=2024-01-01/f.parquet", "state/wm.json"}},
		{"events/", []string{"events/day=2024-01-01/a b.parquet", "events/day=2024-01-01/a=b.parquet",
			"events/day=2024-01-02/x.parquet", "events/day=2024-01-10/y.parquet"}},
		{"events", []string{"events-archive/z.parquet", "events/day=2024-01-01/a b.parquet",
			"events/day=2024-01-01/a=b.parquet", "events/day=2024-01-02/x.parquet", "events/day=2024-01-10/y.parquet"}},
		{"events/day=2024-01-0", []string{"events/day=2024-01-01/a b.parquet", "events/day=2024-01-01/a=b.parquet",
			"events/day=2024-01-02/x.parquet"}},
		{"events/day=2024-01-01/a ", []string{"events/day=2024-01-01/a b.parquet"}},
		{"events/day=2024-01-01/a=", []string{"events/day=2024-01-01/a=b.parquet"}},
		{"a", []string{"a-b", "a/b"}},
		{"a/", []string{"a/b"}},
		{"state/wm.json", []string{"state/wm.json"}},
		{"nothing/", nil},
		{"events/day=2024-01-03/", nil},
	}
	for _, tc := range tests {
		t.Run(strconv.Quote(tc.prefix), func(t *testing.T) {
			infos, err := s.List(t.Context(), tc.prefix)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, info := range infos {
				got = append(got, info.Key)
				_, g := get(t, s, info.Key)
				if info.Size != int64(len("content of "+info.Key)) || info.ETag != g.ETag || info.ETag == "" {
					t.Errorf("list %s: size %d, ETag %q; get: ETag %q; want size %d and equal ETags",
						info.Key, info.Size, info.ETag, g.ETag, len("content of "+info.Key))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("List(%q) =\n%q\nwant\n%q", tc.prefix, got, tc.want)
			}
		})
	}
}

func testNotFound(t *testing.T, s lake.Store) {
	ctx := t.Context()
	put(t, s, "events/day=2024-01-01/present.parquet", "x")
	for _, key := range []string{"missing.json", "events/day=2024-01-01/missing.parquet", "no/such/folder/x"} {
		if _, _, err := s.Get(ctx, key); !errors.Is(err, lake.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
		}
		if err := s.PutIfMatch(ctx, key, strings.NewReader("y"), "some-etag"); !errors.Is(err, lake.ErrPrecondition) {
			t.Errorf("PutIfMatch(%q) on a missing object = %v, want ErrPrecondition", key, err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, lake.ErrNotFound) {
			t.Errorf("Get(%q) after a failed PutIfMatch = %v, want ErrNotFound", key, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q) = %v, want nil", key, err)
		}
	}
}

func testInvalidKeys(t *testing.T, s lake.Store) {
	ctx := t.Context()
	for _, key := range []string{"", "/abs", "a//b", "a/../b", "../a", "..", ".", "./a", "trailing/", "nul\x00", "bad\xffutf8"} {
		if err := s.Put(ctx, key, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q) succeeded, want an invalid key error", key)
		}
		if _, _, err := s.Get(ctx, key); err == nil || errors.Is(err, lake.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want an invalid key error", key, err)
		}
	}
	if got := listKeys(t, s, ""); len(got) != 0 {
		t.Errorf("invalid puts left objects %q", got)
	}
}

func testPutIfAbsentRace(t *testing.T, s lake.Store) {
	const key, n = "state/markers/claimed", 8
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.PutIfAbsent(t.Context(), key, strings.NewReader(fmt.Sprintf("writer %d", i)))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, lake.ErrPrecondition):
			t.Errorf("writer %d: %v, want ErrPrecondition", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	if body, _ := get(t, s, key); body != fmt.Sprintf("writer %d", winner) {
		t.Errorf("object = %q, want the winner's (writer %d)", body, winner)
	}
	if err := s.PutIfAbsent(t.Context(), key, strings.NewReader("late")); !errors.Is(err, lake.ErrPrecondition) {
		t.Errorf("PutIfAbsent over an object = %v, want ErrPrecondition", err)
	}
}

func testPutIfMatch(t *testing.T, s lake.Store) {
	ctx := t.Context()
	const key = "state/delivery.json"
	put(t, s, key, "v1")
	_, v1 := get(t, s, key)
	if err := s.PutIfMatch(ctx, key, strings.NewReader("v2"), v1.ETag); err != nil {
		t.Fatalf("PutIfMatch with the current ETag: %v", err)
	}
	if err := s.PutIfMatch(ctx, key, strings.NewReader("v3"), v1.ETag); !errors.Is(err, lake.ErrPrecondition) {
		t.Fatalf("PutIfMatch with a stale ETag = %v, want ErrPrecondition", err)
	}
	body, v2 := get(t, s, key)
	if body != "v2" {
		t.Fatalf("object = %q after a stale write, want v2", body)
	}
	if err := s.PutIfMatch(ctx, key, strings.NewReader("v3"), ""); !errors.Is(err, lake.ErrPrecondition) {
		t.Fatalf("PutIfMatch with an empty ETag over an object = %v, want ErrPrecondition", err)
	}
	if err := s.PutIfMatch(ctx, key, strings.NewReader("v3"), v2.ETag); err != nil {
		t.Fatalf("PutIfMatch with the new ETag: %v", err)
	}
	if body, _ := get(t, s, key); body != "v3" {
		t.Fatalf("object = %q, want v3", body)
	}
	if err := s.PutIfMatch(ctx, "state/new.json", strings.NewReader("n"), ""); err != nil {
		t.Fatalf("PutIfMatch with an empty ETag on a new key: %v", err)
	}
}

// testPutIfMatchCounter increments a counter from several goroutines with
// read-modify-write loops: with a correct compare-and-swap no increment is
// lost.
func testPutIfMatchCounter(t *testing.T, s lake.Store) {
	const key, workers, each = "state/counter", 4, 5
	put(t, s, key, "0")
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for done := 0; done < each; {
				body, info := get(t, s, key)
				n, err := strconv.Atoi(body)
				if err != nil {
					t.Errorf("counter %q: %v", body, err)
					return
				}
				err = s.PutIfMatch(t.Context(), key, strings.NewReader(strconv.Itoa(n+1)), info.ETag)
				switch {
				case err == nil:
					done++
				case !errors.Is(err, lake.ErrPrecondition):
					t.Errorf("PutIfMatch: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if body, _ := get(t, s, key); body != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %s, want %d", body, workers*each)
	}
}

const largeSize = 20<<20 + 12345 // not a multiple of any part size

// randomStream returns size deterministic pseudo-random bytes that are
// generated as they are read; it is not an io.Seeker.
func randomStream(seed byte, size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), size)
}

func streamSum(t *testing.T, r io.Reader) ([]byte, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil), n
}

func testLargeStream(t *testing.T, s lake.Store) {
	ctx := t.Context()
	// A seekable file, and a stream of unknown length.
	file := filepath.Join(t.TempDir(), "large.bin")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, randomStream(1, largeSize)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases := []struct {
		name string
		seed byte
		body io.Reader
	}{
		{"file", 1, f},
		{"stream", 2, randomStream(2, largeSize)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := "events/day=2024-01-01/large-" + tc.name + ".parquet"
			if err := s.PutIfAbsent(ctx, key, tc.body); err != nil {
				t.Fatalf("put: %v", err)
			}
			rc, info, err := s.Get(ctx, key)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			defer rc.Close()
			got, n := streamSum(t, rc)
			want, _ := streamSum(t, randomStream(tc.seed, largeSize))
			if n != largeSize || info.Size != largeSize || !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes (info %d), sha256 %x; want %d bytes, %x", n, info.Size, got, largeSize, want)
			}
			if err := s.PutIfAbsent(ctx, key, randomStream(3, largeSize)); !errors.Is(err, lake.ErrPrecondition) {
				t.Fatalf("large PutIfAbsent over an object = %v, want ErrPrecondition", err)
			}
			if err := s.PutIfMatch(ctx, key, randomStream(4, largeSize), info.ETag); err != nil {
				t.Fatalf("large PutIfMatch: %v", err)
			}
			if _, info2 := get(t, s, key); info2.ETag == info.ETag {
				t.Fatal("ETag unchanged by a large PutIfMatch")
			}
		})
	}
}

func put(t *testing.T, s lake.Store, key, body string) {
	t.Helper()
	if err := s.Put(t.Context(), key, strings.NewReader(body)); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func get(t *testing.T, s lake.Store, key string) (string, lake.ObjectInfo) {
	t.Helper()
	rc, info, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return string(b), info
}

func listKeys(t *testing.T, s lake.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	var keys []string
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}
