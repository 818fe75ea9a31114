package kestrel

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/keytrail/keytrail/internal/evalorg"
	"github.com/klauspost/compress/gzip"
)

// Delivery, as CloudTrail does it: each account and region gets a log file
// for every five minutes that had events, written 3-10 minutes after the
// window closed (so 3-15 minutes after its events) and foldered by the
// delivery date; about one event in dupEvery is delivered again in the
// group's next file. Each account and region also gets a digest file a day.

const (
	window    = 5 * time.Minute
	dupEvery  = 1500
	trailName = "kestrel-org-trail"
	bucket    = "kestrel-cloudtrail-archive"
)

type logFile struct {
	key          string
	acct, region string
	win, stamp   time.Time
	evs          []int32
	sum          [32]byte
}

func (w *world) write(dir string) (evalorg.Stats, error) {
	return w.deliver(func(key string, body []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("create folder for %s: %w", key, err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		return nil
	})
}

func (w *world) deliver(put func(key string, body []byte) error) (evalorg.Stats, error) {
	st := evalorg.Stats{BySource: map[string]int{}}
	rng := rand.New(rand.NewPCG(w.seed, 0x64656c6976657279)) // "delivery"
	idx := make([]int32, len(w.evs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		x, y := &w.evs[a], &w.evs[b]
		return cmp.Or(cmp.Compare(x.acct, y.acct), cmp.Compare(x.region, y.region), x.t.Compare(y.t))
	})
	var files []*logFile
	var cur *logFile
	var carry []int32
	for _, i := range idx {
		e := &w.evs[i]
		win := e.t.Truncate(window)
		if cur == nil || cur.acct != e.acct || cur.region != e.region || win != cur.win {
			if cur != nil && (cur.acct != e.acct || cur.region != e.region) {
				carry = carry[:0]
			}
			cur = &logFile{acct: e.acct, region: e.region, win: win, stamp: win.Add(window + time.Duration(3+rng.IntN(8))*time.Minute)}
			cur.evs = append(cur.evs, carry...)
			carry = carry[:0]
			files = append(files, cur)
		}
		cur.evs = append(cur.evs, i)
		if rng.IntN(dupEvery) == 0 {
			carry = append(carry, i)
		}
	}
	seen := make([]bool, len(w.evs))
	for _, f := range files {
		rng.Shuffle(len(f.evs), func(a, b int) { f.evs[a], f.evs[b] = f.evs[b], f.evs[a] })
		f.key = fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
			f.acct, f.region, f.stamp.Format("2006/01/02"), f.acct, f.region,
			f.stamp.Format("20060102T1504Z"), randChars(rng, 16))
		for _, i := range f.evs {
			e := &w.evs[i]
			st.Records++
			if e.kept() {
				st.Kept++
				st.BySource[e.src]++
			}
			if seen[i] {
				st.Duplicates++
			}
			seen[i] = true
		}
	}
	if err := w.writeFiles(put, files); err != nil {
		return st, err
	}
	st.Files = len(files)
	n, err := w.writeDigests(put, files)
	st.Digests = n
	return st, err
}

func randChars(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

// writeFiles renders and compresses files on two workers; a file's bytes
// depend only on its own events.
func (w *world) writeFiles(put func(string, []byte) error, files []*logFile) error {
	jobs := make(chan *logFile)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			var buf, gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			for f := range jobs {
				buf.Reset()
				buf.WriteString(`{"Records":[`)
				var err error
				for k, i := range f.evs {
					if k > 0 {
						buf.WriteByte(',')
					}
					if err = enc.Encode(w.evs[i].render()); err != nil {
						break
					}
					buf.Truncate(buf.Len() - 1) // the encoder's newline
				}
				buf.WriteString("]}")
				gz.Reset()
				zw.Reset(&gz)
				zw.Write(buf.Bytes())
				if err == nil {
					err = zw.Close()
				}
				if err == nil {
					f.sum = sha256.Sum256(gz.Bytes())
					err = put(f.key, gz.Bytes())
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("deliver %s: %w", f.key, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

// writeDigests writes, for each account and region, a digest of the log
// files delivered in the first hour of each UTC day.
func (w *world) writeDigests(put func(string, []byte) error, files []*logFile) (int, error) {
	type group struct{ acct, region, day string }
	by := map[group][]*logFile{}
	var order []group
	for _, f := range files {
		if f.stamp.Hour() != 0 {
			continue
		}
		g := group{f.acct, f.region, f.stamp.Format(time.DateOnly)}
		if _, ok := by[g]; !ok {
			order = append(order, g)
		}
		by[g] = append(by[g], f)
	}
	for i, g := range order {
		day, _ := time.Parse(time.DateOnly, g.day)
		start, end := day, day.Add(time.Hour)
		name := func(t time.Time) string {
			return fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
				g.acct, g.region, t.Format("2006/01/02"), g.acct, g.region, trailName, south, t.Format("20060102T150405Z"))
		}
		var logs []om
		for _, f := range by[g] {
			logs = append(logs, om{"s3Bucket", bucket, "s3Object", f.key, "hashValue", hex.EncodeToString(f.sum[:]), "hashAlgorithm", "SHA-256"})
		}
		body := mustJSON(om{"awsAccountId", g.acct, "digestStartTime", ts(start), "digestEndTime", ts(end),
			"digestS3Bucket", bucket, "digestS3Object", name(end), "digestPublicKeyFingerprint", w.chars(32, hexLow, "fp", g.acct),
			"digestSignatureAlgorithm", "SHA256withRSA", "previousDigestS3Bucket", bucket, "previousDigestS3Object", name(start),
			"logFiles", logs})
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return i, fmt.Errorf("compress digest: %w", err)
		}
		if err := put(name(end), gz.Bytes()); err != nil {
			return i, err
		}
	}
	return len(order), nil
}
