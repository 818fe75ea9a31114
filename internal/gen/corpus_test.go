package gen

import (
	"encoding/json"
	"testing"
)

func TestCorpus(t *testing.T) {
	tests := []struct {
		name  string
		cfg   CorpusConfig
		share float64
	}{
		{"one file", CorpusConfig{Seed: 1, Bytes: 3 << 20, Files: 1}, 0.2},
		{"several files", CorpusConfig{Seed: 2, Bytes: 2 << 20, Files: 4, KeepShare: 0.5}, 0.5},
		{"no secrets or keys", CorpusConfig{Seed: 3, Bytes: 1 << 20, Files: 2, KeepShare: -1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := newMemOutput()
			sum, err := Corpus(tt.cfg, out)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Files != tt.cfg.Files || len(out.objects) != tt.cfg.Files {
				t.Fatalf("files: summary %d, written %d, want %d", sum.Files, len(out.objects), tt.cfg.Files)
			}
			var records, kept, size int64
			ids := map[string]bool{}
			for _, k := range out.keys() {
				if !logKey.MatchString(k) {
					t.Errorf("key %s does not look like a CloudTrail log", k)
				}
				raw := gunzip(t, k, out.objects[k])
				size += int64(len(raw))
				var f struct{ Records []*testRecord }
				if err := json.Unmarshal(raw, &f); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				for _, r := range f.Records {
					records++
					if r.EventSource == "kms.amazonaws.com" || r.EventSource == "secretsmanager.amazonaws.com" {
						kept++
					}
					if r.EventName == "" || r.EventTime == "" || ids[r.EventID] {
						t.Fatalf("%s: bad or repeated record %+v", k, r)
					}
					ids[r.EventID] = true
				}
			}
			if records != sum.Records || kept != sum.Kept || size != sum.Bytes {
				t.Errorf("read %d records, %d kept, %d bytes; summary %+v", records, kept, size, sum)
			}
			if size < tt.cfg.Bytes || size > tt.cfg.Bytes+int64(tt.cfg.Files)*64<<10 {
				t.Errorf("uncompressed size %d, want just over %d", size, tt.cfg.Bytes)
			}
			if got := float64(kept) / float64(records); got < tt.share-0.03 || got > tt.share+0.03 {
				t.Errorf("SM/KMS share %.3f, want %.2f", got, tt.share)
			}
		})
	}
}

// TestCorpusStreams checks a big file is written in pieces as it is
// generated, never as one buffer.
func TestCorpusStreams(t *testing.T) {
	out := newMemOutput()
	sum, err := Corpus(CorpusConfig{Seed: 1, Bytes: 8 << 20, Files: 1}, out)
	if err != nil {
		t.Fatal(err)
	}
	compressed := len(out.objects[sum.Keys[0]])
	if out.maxWrite >= compressed/2 {
		t.Errorf("largest write %d bytes of a %d-byte object: not streamed", out.maxWrite, compressed)
	}
}
