package gen

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Config describes the synthetic organization. Everything is derived from
// Seed and the other fields; nothing reads the clock.
type Config struct {
	Seed int64
	// Start is the first UTC day (its time of day is ignored). Zero means
	// 2026-06-01.
	Start time.Time
	// Days is the number of UTC days generated (default 21).
	Days int
	// Warmup is the number of days before the first incident, so detector
	// baselines exist (default 14).
	Warmup int
	// Location is the office time zone: business hours are Mon–Fri
	// 09:00–18:00 there. Nil means UTC.
	Location *time.Location
	// Holidays are office days off, as local dates "YYYY-MM-DD". Nil means
	// two defaults: a weekday in the warm-up and the first weekday after it.
	Holidays []string
	// Accounts is the number of organization accounts (default 3: prod,
	// staging, security). An external partner account is always added.
	Accounts int
	// Regions the trail logs; the first holds the secrets and keys
	// (default eu-central-1, us-east-1).
	Regions []string
	// Scale multiplies the volume of routine activity (default 1).
	Scale float64
	// NoiseShare is the share of records from services other than Secrets
	// Manager and KMS (default 0.8; negative means none).
	NoiseShare float64
	// DuplicateRate is the share of records CloudTrail repeats verbatim in
	// a later file (default 0.002; negative means none).
	DuplicateRate float64
	// OrgID is the organization id in the org-trail layout (default derived
	// from Seed). NoOrgLayout writes AWSLogs/<account>/... instead.
	OrgID       string
	NoOrgLayout bool
	// Bucket and Trail name the trail in digest files.
	Bucket, Trail string
	// DigestHours is how many hourly digest files each account and region
	// gets, from the first hour (default 6; negative means none).
	DigestHours int
	// Insights adds a CloudTrail-Insight file for the frequency incident.
	Insights bool
}

// Summary counts what Org wrote.
type Summary struct {
	Files      int // log files (not digests, insights or labels)
	Records    int // records in log files, duplicates included
	Kept       int // Secrets Manager and KMS records, duplicates included
	Duplicates int // verbatim repeats
	Digests    int
	Insights   int
	Accounts   []string // organization accounts, prod first
	Partner    string   // the external account
	Labels     []Label
}

// ByKind counts labels by kind; decoys are counted as "decoy/<what>".
func (s Summary) ByKind() map[string]int {
	m := map[string]int{}
	for _, l := range s.Labels {
		k := l.Kind
		if d := l.DecoyKind(); d != "" {
			k += "/" + d
		}
		m[k]++
	}
	return m
}

// Output receives the generated objects, named by their S3 key.
type Output interface {
	Create(key string) (io.WriteCloser, error)
}

func (c Config) withDefaults() (Config, error) {
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	c.Start = c.Start.UTC().Truncate(24 * time.Hour)
	if c.Days == 0 {
		c.Days = 21
	}
	if c.Warmup == 0 {
		c.Warmup = 14
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Accounts == 0 {
		c.Accounts = 3
	}
	if len(c.Regions) == 0 {
		c.Regions = []string{"eu-central-1", "us-east-1"}
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if c.NoiseShare == 0 {
		c.NoiseShare = 0.8
	}
	c.NoiseShare = max(c.NoiseShare, 0)
	if c.DuplicateRate == 0 {
		c.DuplicateRate = 0.002
	}
	c.DuplicateRate = max(c.DuplicateRate, 0)
	if c.OrgID == "" {
		c.OrgID = "o-" + stableString(lowerAlnum, 10, c.Seed, "org")
	}
	if c.Bucket == "" {
		c.Bucket = "org-cloudtrail-" + stableString(lowerAlnum, 8, c.Seed, "bucket")
	}
	if c.Trail == "" {
		c.Trail = "org-trail"
	}
	if c.Holidays == nil {
		c.Holidays = defaultHolidays(c.Start, c.Warmup)
	}
	if c.DigestHours == 0 {
		c.DigestHours = 6
	}
	switch {
	case c.Days < 0, c.Warmup < 0, c.Accounts < 0:
		return c, errors.New("days, warm-up and accounts must not be negative")
	case c.Scale < 0:
		return c, errors.New("scale must not be negative")
	case c.NoiseShare >= 1:
		return c, fmt.Errorf("noise share %v: must be below 1", c.NoiseShare)
	}
	return c, nil
}

// bucketKey names one delivery: an account's region's five minutes.
type bucketKey struct {
	account, region string
	start           time.Time
}

const deliveryInterval = 5 * time.Minute

// orgGen is the state of one Org run.
type orgGen struct {
	cfg     Config
	out     Output
	pop     *population
	home    string
	global  string // region of global services' events: us-east-1 when logged
	inOrg   map[string]bool
	buckets map[bucketKey][]entry
	dupRand *rand.Rand
	dayKept int

	sum       Summary
	labels    []Label
	plan      []plannedIncident
	svcDecoys map[string]*Label // service_decrypt decoys by principal and local date
	digests   map[[2]string][]digestLog
	times     map[string]time.Time // event time by eventID, to bound labels
	zw        *gzip.Writer
	gzBuf     bytes.Buffer
	raw       bytes.Buffer
}

// label records l; its Start and End are set from its events when the run
// ends.
func (g *orgGen) label(l Label) { g.labels = append(g.labels, l) }

// bound sets a label's Start and End to its first and last event.
func (g *orgGen) bound(l *Label) {
	for i, id := range l.EventIDs {
		t := g.times[id]
		if i == 0 || t.Before(l.Start) {
			l.Start = t
		}
		if i == 0 || t.After(l.End) {
			l.End = t
		}
	}
}

type digestLog struct {
	key            string
	hash           string
	oldest, newest time.Time
	delivered      time.Time
}

// SelfPrincipals returns the ARNs of keytrail's own roles in the
// organization cfg describes, exactly, as a deployed stack passes its roles
// to the detect function: the detector has no default for them.
func SelfPrincipals(cfg Config) ([]string, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pop := buildPopulation(&cfg)
	return []string{pop.ingest.ARN(), pop.alerter.ARN()}, nil
}

// Org generates the organization's CloudTrail logs, digests and labels
// into out.
func Org(cfg Config, out Output) (Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	g := newOrgGen(cfg, out)
	g.planIncidents()
	for d := 0; d < cfg.Days; d++ {
		g.day(d)
		if err := g.flush(g.dayStart(d)); err != nil {
			return g.sum, err
		}
	}
	if err := g.flush(time.Time{}); err != nil {
		return g.sum, err
	}
	if err := g.writeDigests(); err != nil {
		return g.sum, err
	}
	for _, k := range sortedKeys(g.svcDecoys) {
		g.labels = append(g.labels, *g.svcDecoys[k])
	}
	for i := range g.labels {
		g.bound(&g.labels[i])
		if g.labels[i].Detail == freqSpikeDetail && cfg.Insights {
			if err := g.writeInsight(g.labels[i]); err != nil {
				return g.sum, err
			}
		}
	}
	slices.SortStableFunc(g.labels, func(a, b Label) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Principal, b.Principal))
	})
	g.sum.Labels = g.labels
	w, err := out.Create(LabelsKey)
	if err != nil {
		return g.sum, fmt.Errorf("create %s: %w", LabelsKey, err)
	}
	if err := WriteLabels(w, g.labels); err != nil {
		w.Close()
		return g.sum, err
	}
	if err := w.Close(); err != nil {
		return g.sum, fmt.Errorf("write %s: %w", LabelsKey, err)
	}
	return g.sum, nil
}

// newOrgGen is the state of a run over cfg (with its defaults) writing
// to out: the population, nothing generated yet.
func newOrgGen(cfg Config, out Output) *orgGen {
	g := &orgGen{cfg: cfg, out: out, home: cfg.Regions[0], buckets: map[bucketKey][]entry{},
		dupRand: newRand(cfg.Seed, "duplicates"), svcDecoys: map[string]*Label{},
		digests: map[[2]string][]digestLog{}, inOrg: map[string]bool{}, times: map[string]time.Time{}}
	g.global = g.home
	if slices.Contains(cfg.Regions, "us-east-1") {
		g.global = "us-east-1"
	}
	g.pop = buildPopulation(&cfg)
	for _, a := range g.pop.accounts {
		g.inOrg[a.id] = true
		g.sum.Accounts = append(g.sum.Accounts, a.id)
	}
	g.sum.Partner = g.pop.partner.id
	return g
}

func (g *orgGen) dayStart(d int) time.Time { return g.cfg.Start.AddDate(0, 0, d) }

func (g *orgGen) end() time.Time { return g.dayStart(g.cfg.Days) }

// buffer files an entry under its delivery and, at the duplicate rate,
// repeats it in the next delivery.
func (g *orgGen) buffer(e entry) {
	k := bucketKey{e.account, e.region, e.t.Truncate(deliveryInterval)}
	g.buckets[k] = append(g.buckets[k], e)
	if g.cfg.DuplicateRate > 0 && g.dupRand.Float64() < g.cfg.DuplicateRate {
		d := e
		d.dup = true
		k.start = k.start.Add(deliveryInterval)
		g.buckets[k] = append(g.buckets[k], d)
	}
}

// flush writes every delivery that started before t (all when t is zero).
func (g *orgGen) flush(before time.Time) error {
	var keys []bucketKey
	for k := range g.buckets {
		if before.IsZero() || k.start.Before(before) {
			keys = append(keys, k)
		}
	}
	sortBucketKeys(keys)
	for _, k := range keys {
		if err := g.writeLog(k, g.buckets[k]); err != nil {
			return err
		}
		delete(g.buckets, k)
	}
	return nil
}

func sortBucketKeys(keys []bucketKey) {
	slices.SortFunc(keys, func(a, b bucketKey) int {
		return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.account, b.account), cmp.Compare(a.region, b.region))
	})
}

// awsLogs is the key prefix of an account's trail files.
func (g *orgGen) awsLogs(acct string) string {
	if g.cfg.NoOrgLayout {
		return "AWSLogs/" + acct + "/"
	}
	return "AWSLogs/" + g.cfg.OrgID + "/" + acct + "/"
}

func (g *orgGen) writeLog(k bucketKey, es []entry) error {
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.id, b.id), boolCmp(a.dup, b.dup))
	})
	r := newRand(g.cfg.Seed, "file", k.account, k.region, k.start)
	delivered := k.start.Add(deliveryInterval + time.Duration(30+r.IntN(540))*time.Second)
	key := g.awsLogs(k.account) + "CloudTrail/" + k.region + "/" + delivered.Format("2006/01/02") + "/" +
		k.account + "_CloudTrail_" + k.region + "_" + delivered.Format("20060102T1504Z") + "_" + randString(r, alnum, 16) + ".json.gz"
	raw := &g.raw
	raw.Reset()
	raw.WriteString(`{"Records":[`)
	for i, e := range es {
		if i > 0 {
			raw.WriteByte(',')
		}
		raw.Write(e.b)
		g.sum.Records++
		if e.kept {
			g.sum.Kept++
		}
		if e.dup {
			g.sum.Duplicates++
		}
	}
	raw.WriteString("]}")
	sum, err := g.writeGzip(key, raw.Bytes())
	if err != nil {
		return err
	}
	g.sum.Files++
	if g.cfg.DigestHours > 0 && delivered.Before(g.cfg.Start.Add(time.Duration(g.cfg.DigestHours)*time.Hour)) {
		dk := [2]string{k.account, k.region}
		g.digests[dk] = append(g.digests[dk], digestLog{key: key, hash: sum, oldest: es[0].t, newest: es[len(es)-1].t, delivered: delivered})
	}
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// writeGzip writes data gzip-compressed to key and returns the SHA-256 of
// the object, as digest files record it.
func (g *orgGen) writeGzip(key string, data []byte) (string, error) {
	buf := &g.gzBuf
	buf.Reset()
	if g.zw == nil {
		g.zw = gzip.NewWriter(buf)
	}
	zw := g.zw
	zw.Reset(buf)
	if _, err := zw.Write(data); err != nil {
		return "", fmt.Errorf("compress %s: %w", key, err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compress %s: %w", key, err)
	}
	w, err := g.out.Create(key)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", key, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		w.Close()
		return "", fmt.Errorf("write %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", key, err)
	}
	h := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(h[:]), nil
}

type digestFile struct {
	AWSAccountID                string          `json:"awsAccountId"`
	DigestStartTime             string          `json:"digestStartTime"`
	DigestEndTime               string          `json:"digestEndTime"`
	DigestS3Bucket              string          `json:"digestS3Bucket"`
	DigestS3Object              string          `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string          `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string          `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string         `json:"newestEventTime"`
	OldestEventTime             *string         `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string         `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string         `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string         `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string         `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string         `json:"previousDigestSignature"`
	LogFiles                    []digestLogFile `json:"logFiles"`
}

type digestLogFile struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime"`
	OldestEventTime string `json:"oldestEventTime"`
}

// writeDigests writes hourly digest files, chained by previousDigest*, for
// the first DigestHours hours of every account and region. The signatures
// are random hex: nobody can verify them, as nobody holds the key.
func (g *orgGen) writeDigests() error {
	if g.cfg.DigestHours <= 0 {
		return nil
	}
	for _, a := range g.pop.accounts {
		for _, region := range g.cfg.Regions {
			logs := g.digests[[2]string{a.id, region}]
			var prevKey, prevHash, prevSig string
			for h := 0; h < g.cfg.DigestHours; h++ {
				from := g.cfg.Start.Add(time.Duration(h) * time.Hour)
				to := from.Add(time.Hour)
				r := newRand(g.cfg.Seed, "digest", a.id, region, h)
				key := g.awsLogs(a.id) + "CloudTrail-Digest/" + region + "/" + to.Format("2006/01/02") + "/" +
					a.id + "_CloudTrail-Digest_" + region + "_" + g.cfg.Trail + "_" + g.home + "_" + to.Format("20060102T150405Z") + ".json.gz"
				d := digestFile{AWSAccountID: a.id, DigestStartTime: from.Format(timeLayout), DigestEndTime: to.Format(timeLayout),
					DigestS3Bucket: g.cfg.Bucket, DigestS3Object: key, DigestSignatureAlgorithm: "SHA256withRSA",
					DigestPublicKeyFingerprint: stableString(hexDigits, 32, g.cfg.Seed, "fingerprint", region),
					LogFiles:                   []digestLogFile{}}
				var oldest, newest time.Time
				for _, l := range logs {
					if l.delivered.Before(from) || !l.delivered.Before(to) {
						continue
					}
					d.LogFiles = append(d.LogFiles, digestLogFile{S3Bucket: g.cfg.Bucket, S3Object: l.key, HashValue: l.hash,
						HashAlgorithm: "SHA-256", NewestEventTime: l.newest.Format(timeLayout), OldestEventTime: l.oldest.Format(timeLayout)})
					if oldest.IsZero() || l.oldest.Before(oldest) {
						oldest = l.oldest
					}
					newest = later(newest, l.newest)
				}
				if !oldest.IsZero() {
					o, n := oldest.Format(timeLayout), newest.Format(timeLayout)
					d.OldestEventTime, d.NewestEventTime = &o, &n
				}
				if prevKey != "" {
					b, alg := g.cfg.Bucket, "SHA-256"
					pk, ph, ps := prevKey, prevHash, prevSig
					d.PreviousDigestS3Bucket, d.PreviousDigestS3Object, d.PreviousDigestHashValue = &b, &pk, &ph
					d.PreviousDigestHashAlgorithm, d.PreviousDigestSignature = &alg, &ps
				}
				body, err := json.Marshal(d)
				if err != nil {
					return fmt.Errorf("encode digest %s: %w", key, err)
				}
				sum, err := g.writeGzip(key, body)
				if err != nil {
					return err
				}
				g.sum.Digests++
				prevKey, prevHash, prevSig = key, sum, randHex(r, 512)
			}
		}
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// writeInsight writes a CloudTrail-Insight file with the start and end of
// an API call rate insight around a frequency incident.
func (g *orgGen) writeInsight(l Label) error {
	acct := g.pop.prod
	r := newRand(g.cfg.Seed, "insight")
	shared := uuid(r)
	ev := func(state string, t time.Time) map[string]any {
		ctx := map[string]any{"statistics": map[string]any{
			"baseline": map[string]any{"average": 0.0243}, "insight": map[string]any{"average": 0.5167},
			"insightDuration": 2, "baselineDuration": 10079}}
		return map[string]any{"eventVersion": "1.08", "eventTime": t.Format(timeLayout), "awsRegion": g.home,
			"eventID": uuid(r), "eventType": "AwsCloudTrailInsight", "recipientAccountId": acct, "sharedEventID": shared,
			"insightDetails": map[string]any{"state": state, "eventSource": "secretsmanager.amazonaws.com",
				"eventName": "GetSecretValue", "insightType": "ApiCallRateInsight", "insightContext": ctx},
			"eventCategory": "Insight"}
	}
	start := l.Start.Truncate(time.Minute)
	end := l.End.Truncate(time.Minute).Add(time.Minute)
	body, err := json.Marshal(map[string]any{"Records": []any{ev("Start", start), ev("End", end)}})
	if err != nil {
		return fmt.Errorf("encode insight: %w", err)
	}
	delivered := end.Add(20 * time.Minute)
	key := g.awsLogs(acct) + "CloudTrail-Insight/" + g.home + "/" + delivered.Format("2006/01/02") + "/" + acct +
		"_CloudTrail-Insight_" + g.home + "_" + delivered.Format("20060102T1504Z") + "_" + randString(r, alnum, 16) + ".json.gz"
	if _, err := g.writeGzip(key, body); err != nil {
		return err
	}
	g.sum.Insights++
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Holidays returns the office holidays of the organization cfg describes
// (its own, or the defaults), as local dates: the calendar to give the
// detector, as a team gives its own.
func Holidays(cfg Config) ([]string, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return cfg.Holidays, nil
}
