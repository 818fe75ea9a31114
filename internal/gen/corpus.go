package gen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"
)

// CorpusConfig describes a benchmark corpus: realistic mixed records up to
// a target uncompressed size, in Files log files (one huge file when 1).
type CorpusConfig struct {
	Seed int64
	// Bytes is the uncompressed target for all files together; each file
	// stops at the first record boundary past its share.
	Bytes int64
	// Files is the number of log files (default 1).
	Files int
	// KeepShare is the share of Secrets Manager and KMS records (default
	// 0.2; negative means none).
	KeepShare float64
	// Start is the time of the first record (default 2026-06-01T00:00Z).
	Start time.Time
}

// CorpusSummary reports exactly what Corpus wrote, so a benchmark can check
// that the records it counts out equal the records that went in.
type CorpusSummary struct {
	Files   int
	Records int64 // all records
	Kept    int64 // Secrets Manager and KMS records
	Bytes   int64 // uncompressed bytes
	Keys    []string
}

// template is a rendered record cut around the parts each copy replaces:
// the eventTime (20 bytes) and the eventID (36 bytes).
type template struct {
	b            []byte
	timeAt, idAt int
	kept         bool
}

// Corpus writes a benchmark corpus to out. Records are copies of a few
// hundred records rendered by the organization model, each with a fresh
// eventID and eventTime; files are streamed through gzip as they are
// generated, so a 500 MB file never sits in memory.
func Corpus(cfg CorpusConfig, out Output) (CorpusSummary, error) {
	var sum CorpusSummary
	if cfg.Bytes <= 0 {
		return sum, errors.New("corpus size must be positive")
	}
	if cfg.Files <= 0 {
		cfg.Files = 1
	}
	if cfg.KeepShare == 0 {
		cfg.KeepShare = 0.2
	}
	if cfg.KeepShare > 1 {
		return sum, fmt.Errorf("keep share %v: must be at most 1", cfg.KeepShare)
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	kept, other, acct, region, err := corpusTemplates(cfg.Seed)
	if err != nil {
		return sum, err
	}
	r := newRand(cfg.Seed, "corpus")
	per := (cfg.Bytes + int64(cfg.Files) - 1) / int64(cfg.Files)
	// Each file holds about four minutes of events, delivered six minutes
	// after it starts: the spacing comes from the expected record count.
	avg := 0.0
	for _, tp := range kept {
		avg += cfg.KeepShare * float64(len(tp.b)+1) / float64(len(kept))
	}
	for _, tp := range other {
		avg += (1 - max(cfg.KeepShare, 0)) * float64(len(tp.b)+1) / float64(len(other))
	}
	step := time.Duration(float64(4*time.Minute) / max(float64(per)/avg, 1))
	fileStart := cfg.Start.UTC()
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 256<<10)
	scratch := make([]byte, 0, 8<<10)
	var ts [20]byte
	for f := 0; f < cfg.Files; f++ {
		t := fileStart
		fileStart = fileStart.Add(5 * time.Minute)
		delivered := t.Add(6 * time.Minute)
		key := "AWSLogs/" + acct + "/CloudTrail/" + region + "/" + delivered.Format("2006/01/02") + "/" + acct +
			"_CloudTrail_" + region + "_" + delivered.Format("20060102T1504Z") + "_" + randString(r, alnum, 16) + ".json.gz"
		w, err := out.Create(key)
		if err != nil {
			return sum, fmt.Errorf("create %s: %w", key, err)
		}
		zw.Reset(w)
		bw.Reset(zw)
		n, _ := bw.WriteString(`{"Records":[`)
		written := int64(n)
		sec := int64(-1)
		for i := 0; written < per; i++ {
			var tp *template
			if cfg.KeepShare > 0 && r.Float64() < cfg.KeepShare {
				tp = &kept[r.IntN(len(kept))]
				sum.Kept++
			} else {
				tp = &other[r.IntN(len(other))]
			}
			if s := t.Unix(); s != sec {
				sec = s
				t.AppendFormat(ts[:0], timeLayout)
			}
			scratch = append(scratch[:0], tp.b...)
			copy(scratch[tp.timeAt:], ts[:])
			putUUID(scratch[tp.idAt:], r.Uint64(), r.Uint64())
			if i > 0 {
				bw.WriteByte(',')
				written++
			}
			bw.Write(scratch)
			written += int64(len(scratch))
			sum.Records++
			t = t.Add(step)
		}
		bw.WriteString("]}")
		written += 2
		if err := bw.Flush(); err != nil {
			w.Close()
			return sum, fmt.Errorf("write %s: %w", key, err)
		}
		if err := zw.Close(); err != nil {
			w.Close()
			return sum, fmt.Errorf("write %s: %w", key, err)
		}
		if err := w.Close(); err != nil {
			return sum, fmt.Errorf("write %s: %w", key, err)
		}
		sum.Files++
		sum.Bytes += written
		sum.Keys = append(sum.Keys, key)
	}
	return sum, nil
}

// corpusTemplates renders a day of the organization's prod account and
// cuts each record into a template.
func corpusTemplates(seed int64) (kept, other []template, acct, region string, err error) {
	cfg, err := Config{Seed: seed, Days: 1, Accounts: 1, Regions: []string{"us-east-1"}, DuplicateRate: -1}.withDefaults()
	if err != nil {
		return nil, nil, "", "", err
	}
	g := newOrgGen(cfg, nil)
	g.day(0)
	timeKey, idKey := []byte(`"eventTime":"`), []byte(`"eventID":"`)
	for _, k := range sortedBuckets(g.buckets) {
		for _, e := range g.buckets[k] {
			ti, ii := bytes.Index(e.b, timeKey), bytes.Index(e.b, idKey)
			if ti < 0 || ii < 0 {
				continue
			}
			tp := template{b: e.b, timeAt: ti + len(timeKey), idAt: ii + len(idKey), kept: e.kept}
			if tp.kept {
				kept = append(kept, tp)
			} else {
				other = append(other, tp)
			}
		}
	}
	if len(kept) == 0 || len(other) == 0 {
		return nil, nil, "", "", errors.New("corpus templates: the model produced no records")
	}
	return kept, other, g.pop.prod, cfg.Regions[0], nil
}

func sortedBuckets(m map[bucketKey][]entry) []bucketKey {
	ks := make([]bucketKey, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortBucketKeys(ks)
	return ks
}
