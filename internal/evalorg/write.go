package evalorg

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Delivery, as CloudTrail does it: each account and region gets a log file
// for about every five minutes that had events, written a few minutes after
// the last of them, under the delivery date's folders; now and then an
// event is delivered again in a later file with the same eventID. Digest
// files (integrity validation) go beside the logs under CloudTrail-Digest/.

const (
	window = 5 * time.Minute
	// dupEvery is how rarely an event is delivered twice (one in dupEvery).
	dupEvery  = 1500
	trailName = "org-trail"
	bucket    = "tavor-cloudtrail-logs"
)

type logFile struct {
	key            string
	acct, region   string
	stamp          time.Time
	evs            []int32
	sum            [32]byte
	oldest, newest time.Time
}

// write delivers the events as CloudTrail log files under dir.
func (w *world) write(dir string) (Stats, error) {
	return w.deliver(func(key string, body []byte) error {
		return writeFile(filepath.Join(dir, filepath.FromSlash(key)), body)
	})
}

// deliver renders every log and digest file and hands each to put, from
// two goroutines at once.
func (w *world) deliver(put func(key string, body []byte) error) (Stats, error) {
	st := Stats{BySource: map[string]int{}}
	rng := rand.New(rand.NewPCG(uint64(w.cfg.Seed), 0x64656c6976657279)) // "delivery"
	idx := make([]int32, len(w.evs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		x, y := &w.evs[a], &w.evs[b]
		if c := cmp.Compare(x.acct, y.acct); c != 0 {
			return c
		}
		if c := cmp.Compare(x.region, y.region); c != 0 {
			return c
		}
		if c := x.t.Compare(y.t); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	var files []*logFile
	var cur *logFile
	var curWin time.Time
	var carry []int32
	for _, i := range idx {
		e := &w.evs[i]
		win := e.t.Truncate(window)
		if cur == nil || cur.acct != e.acct || cur.region != e.region || win != curWin {
			if cur != nil && (cur.acct != e.acct || cur.region != e.region) {
				carry = carry[:0] // the group's last file had no successor
			}
			stamp := win.Add(window + time.Duration(2+rng.IntN(7))*time.Minute)
			cur = &logFile{acct: e.acct, region: e.region, stamp: stamp, oldest: e.t}
			cur.evs = append(cur.evs, carry...)
			carry = carry[:0]
			curWin = win
			files = append(files, cur)
		}
		cur.evs = append(cur.evs, i)
		cur.newest = e.t
		if rng.IntN(dupEvery) == 0 {
			carry = append(carry, i)
		}
	}
	for _, f := range files {
		rng.Shuffle(len(f.evs), func(a, b int) { f.evs[a], f.evs[b] = f.evs[b], f.evs[a] })
		f.key = fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
			f.acct, f.region, f.stamp.Format("2006/01/02"), f.acct, f.region,
			f.stamp.Format("20060102T1504Z"), randChars(rng, 16))
	}
	seen := make([]bool, len(w.evs))
	for _, f := range files {
		for _, i := range f.evs {
			e := &w.evs[i]
			if e.t.Before(f.oldest) {
				f.oldest = e.t
			}
			if e.t.After(f.newest) {
				f.newest = e.t
			}
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
	n, err := w.writeDigests(put, files, rng)
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

// writeFiles renders and compresses the files on two workers; each file's
// bytes depend only on its own events, so the output is the same whatever
// the scheduling.
func (w *world) writeFiles(put func(string, []byte) error, files []*logFile) error {
	jobs := make(chan *logFile)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for range 2 {
		wg.Go(func() {
			var buf, gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
			for f := range jobs {
				buf.Reset()
				b := append(buf.AvailableBuffer(), `{"Records":[`...)
				for k, i := range f.evs {
					if k > 0 {
						b = append(b, ',')
					}
					b = w.appendRecord(b, &w.evs[i])
				}
				b = append(b, "]}"...)
				buf.Write(b)
				gz.Reset()
				zw.Reset(&gz)
				zw.Write(buf.Bytes())
				if err := zw.Close(); err != nil {
					fail(fmt.Errorf("compress %s: %w", f.key, err))
					continue
				}
				f.sum = sha256.Sum256(gz.Bytes())
				if err := put(f.key, gz.Bytes()); err != nil {
					fail(err)
				}
			}
		})
	}
	for _, f := range files {
		if failed() {
			break
		}
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

func writeFile(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create folder for %s: %w", p, err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// writeDigests writes, for each account and region, the digest of the
// first hour of each UTC day (a sample of what validation would find).
func (w *world) writeDigests(put func(string, []byte) error, files []*logFile, rng *rand.Rand) (int, error) {
	type group struct{ acct, region, day string }
	byGroup := map[group][]*logFile{}
	var order []group
	for _, f := range files {
		if f.stamp.Hour() != 0 {
			continue
		}
		g := group{f.acct, f.region, f.stamp.Format(time.DateOnly)}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], f)
	}
	n := 0
	for _, g := range order {
		fs := byGroup[g]
		day, _ := time.Parse(time.DateOnly, g.day)
		start := day.Add(time.Duration(rng.IntN(60)) * time.Second)
		end := start.Add(time.Hour)
		name := func(t time.Time) string {
			return fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
				g.acct, g.region, t.Format("2006/01/02"), g.acct, g.region, trailName, "eu-central-1", t.Format("20060102T150405Z"))
		}
		var logs []raw
		oldest, newest := fs[0].oldest, fs[0].newest
		for _, f := range fs {
			logs = append(logs, obj("s3Bucket", bucket, "s3Object", f.key,
				"hashValue", hex.EncodeToString(f.sum[:]), "hashAlgorithm", "SHA-256",
				"newestEventTime", ts(f.newest), "oldestEventTime", ts(f.oldest)))
			if f.oldest.Before(oldest) {
				oldest = f.oldest
			}
			if f.newest.After(newest) {
				newest = f.newest
			}
		}
		prevHash := sha256.Sum256([]byte(name(start)))
		body := obj("awsAccountId", g.acct,
			"digestStartTime", ts(start), "digestEndTime", ts(end),
			"digestS3Bucket", bucket, "digestS3Object", name(end),
			"digestPublicKeyFingerprint", w.h.chars(32, hexLow, "digest-key", g.acct),
			"digestSignatureAlgorithm", "SHA256withRSA",
			"newestEventTime", ts(newest), "oldestEventTime", ts(oldest),
			"previousDigestS3Bucket", bucket, "previousDigestS3Object", name(start),
			"previousDigestHashValue", hex.EncodeToString(prevHash[:]),
			"previousDigestHashAlgorithm", "SHA-256",
			"previousDigestSignature", w.h.chars(512, hexLow, "digest-signature", g.acct, g.region, g.day),
			"logFiles", logs)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return n, fmt.Errorf("compress digest: %w", err)
		}
		if err := put(name(end), gz.Bytes()); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// hostOf is the endpoint host a client names for a service in a region.
func hostOf(src, region string) string {
	svc := strings.TrimSuffix(src, ".amazonaws.com")
	switch svc {
	case "iam":
		return "iam.amazonaws.com"
	case "signin":
		return region + ".signin.aws.amazon.com"
	}
	return svc + "." + region + ".amazonaws.com"
}

var tlsParts = [...][2]string{
	tls13AES128: {"TLSv1.3", "TLS_AES_128_GCM_SHA256"},
	tls13AES256: {"TLSv1.3", "TLS_AES_256_GCM_SHA384"},
	tls12:       {"TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"},
}

func (w *world) id(seq uint32, salt uint64) string {
	x := mix(uint64(w.cfg.Seed)*0x100000001b3 + uint64(seq)*4 + salt)
	return uuidOf(x, mix(x^salt))
}

// appendRecord renders one event with CloudTrail's member order.
func (w *world) appendRecord(b []byte, e *ev) []byte {
	c := e.who
	str := func(b []byte, k, v string) []byte {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		return appendString(b, v)
	}
	rawv := func(b []byte, k string, v raw) []byte {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		if v == nil {
			return append(b, "null"...)
		}
		return append(b, v...)
	}
	ver := "1.11"
	if e.typ == typeServiceEvent || e.typ == typeConsoleSignIn {
		ver = "1.08"
	}
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, ver)
	b = rawv(b, "userIdentity", c.ident)
	b = str(b, "eventTime", ts(e.t))
	b = str(b, "eventSource", e.src)
	b = str(b, "eventName", e.name)
	b = str(b, "awsRegion", e.region)
	b = str(b, "sourceIPAddress", c.ip)
	b = str(b, "userAgent", c.ua)
	if e.errCode != "" {
		b = str(b, "errorCode", e.errCode)
	}
	if e.errMsg != "" {
		b = str(b, "errorMessage", e.errMsg)
	}
	if e.typ != typeVpceEvent {
		b = rawv(b, "requestParameters", e.req)
		b = rawv(b, "responseElements", e.resp)
	}
	if e.extra != nil {
		b = rawv(b, "additionalEventData", e.extra)
	}
	b = str(b, "requestID", w.id(e.seq, 1))
	b = str(b, "eventID", w.id(e.seq, 0))
	if e.typ != typeVpceEvent {
		b = append(b, `,"readOnly":`...)
		if e.readOnly {
			b = append(b, "true"...)
		} else {
			b = append(b, "false"...)
		}
	}
	if e.res != nil {
		b = rawv(b, "resources", e.res)
	}
	b = str(b, "eventType", eventTypes[e.typ])
	if e.typ != typeVpceEvent {
		b = append(b, `,"managementEvent":true`...)
	}
	b = str(b, "recipientAccountId", e.acct)
	if e.shared || e.typ == typeVpceEvent {
		b = str(b, "sharedEventID", w.id(e.seq, 2))
	}
	vpce, vpceAcct := "", ""
	if e.typ == typeVpceEvent {
		vpce, vpceAcct = w.vpceDenied(e)
	} else if c.net != nil {
		vpce, vpceAcct = c.net.forSource(e.src), c.net.acct
	}
	if vpce != "" {
		b = str(b, "vpcEndpointId", vpce)
		b = str(b, "vpcEndpointAccountId", vpceAcct)
	}
	cat := "Management"
	if e.typ == typeVpceEvent {
		cat = "NetworkActivity"
	}
	b = str(b, "eventCategory", cat)
	if c.tls != tlsNone {
		p := tlsParts[c.tls]
		b = append(b, `,"tlsDetails":{"tlsVersion":`...)
		b = appendString(b, p[0])
		b = append(b, `,"cipherSuite":`...)
		b = appendString(b, p[1])
		b = append(b, `,"clientProvidedHostHeader":`...)
		b = appendString(b, hostOf(e.src, e.region))
		b = append(b, '}')
	}
	if c.console {
		b = append(b, `,"sessionCredentialFromConsole":"true"`...)
	}
	return append(b, '}')
}
