// Package bench measures keytrail's ingest against the most any reader of
// gzip CloudTrail can do (decompression alone) and against its peer, the
// same filtering done with DuckDB alone, on reproducible synthetic corpora
// (internal/gen). Ingest and the peer each run as a separate process of
// the keytrail binary, so that their wall time and peak memory (RSS) are
// their own and not the harness's; the floor runs in this process.
//
// The numbers are wall-clock measurements: Config.Now is the clock (nil
// means time.Now), and the checks printed at the end are the project's
// performance claims (README, Performance).
package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver, for the peer
	"github.com/klauspost/compress/gzip"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/source"
)

// Config is one benchmark run.
type Config struct {
	// Exe is the keytrail binary: ingest runs as "Exe ingest …", the
	// peer as "Exe bench --peer-duckdb …" (which calls Peer).
	Exe            string
	Out            string // folder for corpora, lakes, profiles; corpora are reused
	Stdout, Stderr io.Writer
	Seed           int64
	Bytes          int64 // uncompressed bytes of each many-file corpus
	Files          []int // a many-file corpus of Bytes for each count
	Big            int64 // uncompressed bytes of the one-file corpus (0: none)
	Threads        []int // thread counts compared, at least one
	Runs           int   // measurements of the floor and of ingest, fastest kept
	DuckDB         bool  // run the peer
	// DuckDBPerObject also runs the peer with one query and output per
	// file, as ingest writes.
	DuckDBPerObject bool
	Profile         bool // --cpuprofile for each ingest run
	Now             func() time.Time
}

func (b *Config) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// fastest runs floor and ingest b.Runs times each, alternating so both see
// the same machine, and returns the fastest of each (ingest's peak RSS is
// the largest seen). A shared, noisy machine only ever slows a run down.
func (b *Config) fastest(floorRun, ingestRun func() (measure, error)) (floor, ingest measure, err error) {
	for i := range b.Runs {
		f, err := floorRun()
		if err != nil {
			return floor, ingest, fmt.Errorf("floor: %w", err)
		}
		in, err := ingestRun()
		if err != nil {
			return floor, ingest, err
		}
		if i == 0 || f.seconds < floor.seconds {
			floor = f
		}
		rss := max(ingest.maxRSS, in.maxRSS)
		if i == 0 || in.seconds < ingest.seconds {
			ingest = in
		}
		ingest.maxRSS = rss
	}
	return floor, ingest, nil
}

// ingestArgs are the arguments of one measured ingest run, named name.
func (b *Config) ingestArgs(name string, args ...string) []string {
	if b.Profile {
		args = append([]string{"--cpuprofile", filepath.Join(b.Out, name+".pprof")}, args...)
	}
	return append([]string{"ingest"}, args...)
}

type corpus struct {
	dir   string
	files []string
	sum   gen.CorpusSummary
}

// corpusFor generates (or reuses) a corpus in dir.
func (b *Config) corpusFor(name string, seed, bytes int64, files int) (*corpus, error) {
	dir := filepath.Join(b.Out, name)
	meta := filepath.Join(dir, "corpus.json")
	want := gen.CorpusConfig{Seed: seed, Bytes: bytes, Files: files}
	c := &corpus{dir: dir}
	if raw, err := os.ReadFile(meta); err == nil {
		var saved struct {
			Config  gen.CorpusConfig
			Summary gen.CorpusSummary
		}
		if json.Unmarshal(raw, &saved) == nil && saved.Config == want {
			c.sum = saved.Summary
		}
	}
	if c.sum.Files == 0 {
		fmt.Fprintf(b.Stderr, "generating %s: %d MB in %d files…\n", name, bytes/1e6, files)
		os.RemoveAll(dir)
		s, err := gen.Corpus(want, gen.WriteDir(filepath.Join(dir, "logs")))
		if err != nil {
			return nil, err
		}
		c.sum = s
		raw, _ := json.Marshal(struct {
			Config  gen.CorpusConfig
			Summary gen.CorpusSummary
		}{want, s})
		if err := os.WriteFile(meta, raw, 0o644); err != nil {
			return nil, err
		}
	}
	for _, k := range c.sum.Keys {
		c.files = append(c.files, filepath.Join(dir, "logs", filepath.FromSlash(k)))
	}
	return c, nil
}

type measure struct {
	seconds float64
	maxRSS  int64 // bytes; 0 when unknown
}

func (m measure) mbps(bytes int64) float64 { return float64(bytes) / 1e6 / m.seconds }

// sub runs b.Exe with args and GOMAXPROCS=threads, returning its
// wall time, peak RSS and standard output.
func (b *Config) sub(ctx context.Context, threads int, args ...string) (measure, []byte, error) {
	cmd := exec.CommandContext(ctx, b.Exe, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(threads))
	cmd.Stderr = b.Stderr
	start := b.now()
	out, err := cmd.Output()
	m := measure{seconds: b.now().Sub(start).Seconds()}
	if cmd.ProcessState != nil {
		m.maxRSS = maxRSS(cmd.ProcessState)
	}
	if err != nil {
		return m, out, fmt.Errorf("%s: %w", strings.Join(args[:1], " "), err)
	}
	return m, out, nil
}

// floor decompresses every file with threads goroutines and discards the
// output: what any reader of gzip CloudTrail must spend at least.
func floor(now func() time.Time, files []string, threads int) (measure, int64, error) {
	prev := runtime.GOMAXPROCS(threads)
	defer runtime.GOMAXPROCS(prev)
	start := now()
	var mu sync.Mutex
	var total int64
	var firstErr error
	next := make(chan string)
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for p := range next {
				n, err := gunzipDiscard(p)
				mu.Lock()
				total += n
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return measure{seconds: now().Sub(start).Seconds()}, total, firstErr
}

func gunzipDiscard(p string) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, zr)
}

// Run measures ingest as c says and prints the table and checks to
// c.Stdout.
func Run(ctx context.Context, c Config) error {
	b := &c
	if err := os.MkdirAll(b.Out, 0o755); err != nil {
		return err
	}
	w := b.Stdout
	fmt.Fprintf(w, "keytrail bench — %s/%s, %d CPUs, Go %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "floor and ingest: fastest of %d runs each, alternating; duckdb: one run\n", b.Runs)
	type row struct {
		files, threads      int
		floor, ingest, duck float64
	}
	var rows []row
	for _, files := range b.Files {
		many, err := b.corpusFor(fmt.Sprintf("corpus-%d-files", files), b.Seed, b.Bytes, files)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\ncorpus: %d files of about %.1f MB, %.0f MB of JSON, %d records, %d Secrets Manager/KMS (%.0f %%)\n",
			many.sum.Files, float64(many.sum.Bytes)/1e6/float64(many.sum.Files), float64(many.sum.Bytes)/1e6,
			many.sum.Records, many.sum.Kept, 100*float64(many.sum.Kept)/float64(many.sum.Records))
		fmt.Fprintf(w, "%-8s %12s %12s %12s %14s %14s\n", "threads", "floor MB/s", "ingest MB/s", "duckdb MB/s", "ingest/duckdb", "ingest/floor")
		for _, t := range b.Threads {
			lakeDir := filepath.Join(b.Out, "lake")
			fm, im, err := b.fastest(func() (measure, error) {
				m, n, err := floor(b.now, many.files, t)
				if err == nil && n != many.sum.Bytes {
					err = fmt.Errorf("read %d bytes, corpus has %d", n, many.sum.Bytes)
				}
				return m, err
			}, func() (measure, error) {
				os.RemoveAll(lakeDir)
				im, out, err := b.sub(ctx, t, b.ingestArgs(fmt.Sprintf("ingest-%d-files-%dt", files, t), "--output", "json", "--lake", lakeDir, "--concurrency", strconv.Itoa(t), filepath.Join(many.dir, "logs"))...)
				if err != nil {
					return im, err
				}
				var sum ingest.Summary
				if err := json.Unmarshal(out, &sum); err != nil {
					return im, fmt.Errorf("ingest summary: %w", err)
				}
				if int64(sum.Kept) != many.sum.Kept || int64(sum.Records) != many.sum.Records {
					return im, fmt.Errorf("ingest kept %d of %d records, corpus has %d of %d", sum.Kept, sum.Records, many.sum.Kept, many.sum.Records)
				}
				return im, nil
			})
			if err != nil {
				return err
			}
			r := row{files: files, threads: t, floor: fm.mbps(many.sum.Bytes), ingest: im.mbps(many.sum.Bytes)}
			duck := "-"
			if b.DuckDB {
				dm, n, err := b.peer(ctx, t, false, many.files)
				if err != nil {
					return err
				}
				if n != many.sum.Kept {
					return fmt.Errorf("duckdb wrote %d rows, corpus has %d", n, many.sum.Kept)
				}
				r.duck = dm.mbps(many.sum.Bytes)
				duck = fmt.Sprintf("%.0f", r.duck)
			}
			rows = append(rows, r)
			ratio := "-"
			if r.duck > 0 {
				ratio = fmt.Sprintf("%.2f×", r.ingest/r.duck)
			}
			fmt.Fprintf(w, "%-8d %12.0f %12.0f %12s %14s %14.2f\n", t, r.floor, r.ingest, duck, ratio, r.ingest/r.floor)
		}
		if b.DuckDBPerObject {
			// Exactly-once by object means one output per input object:
			// the peer doing that too.
			these := rows[len(rows)-len(b.Threads):]
			for i, t := range b.Threads {
				m, n, err := b.peer(ctx, t, true, many.files)
				if err != nil {
					return err
				}
				if n != many.sum.Kept {
					return fmt.Errorf("duckdb per object wrote %d rows, corpus has %d", n, many.sum.Kept)
				}
				mbps := m.mbps(many.sum.Bytes)
				fmt.Fprintf(w, "duckdb, one output per file, %d thread(s): %.0f MB/s (ingest %.1f×)\n", t, mbps, these[i].ingest/mbps)
			}
		}
	}
	if b.Big > 0 {
		one, err := b.corpusFor("corpus-one", b.Seed, b.Big, 1)
		if err != nil {
			return err
		}
		t := b.Threads[len(b.Threads)-1]
		lakeDir := filepath.Join(b.Out, "lake")
		fm, im, err := b.fastest(func() (measure, error) {
			m, _, err := floor(b.now, one.files, t)
			return m, err
		}, func() (measure, error) {
			os.RemoveAll(lakeDir)
			m, _, err := b.sub(ctx, t, b.ingestArgs(fmt.Sprintf("ingest-one-%dt", t), "--output", "json", "--lake", lakeDir, one.files[0])...)
			return m, err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\none %.0f MB file, %d threads (one gzip stream cannot be inflated in parallel):\n", float64(one.sum.Bytes)/1e6, t)
		fmt.Fprintf(w, "  floor   %6.0f MB/s\n", fm.mbps(one.sum.Bytes))
		fmt.Fprintf(w, "  ingest  %6.0f MB/s   peak RSS %5.0f MB   %.2f of the floor\n", im.mbps(one.sum.Bytes), float64(im.maxRSS)/1e6, im.mbps(one.sum.Bytes)/fm.mbps(one.sum.Bytes))
		if b.DuckDB {
			dm, _, err := b.peer(ctx, t, false, one.files)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  duckdb  %6.0f MB/s   peak RSS %5.0f MB\n", dm.mbps(one.sum.Bytes), float64(dm.maxRSS)/1e6)
		}
		check(w, "peak RSS under 200 MB on one large file", im.maxRSS > 0 && im.maxRSS < 200e6)
		check(w, "one large file: at least half the decompression-only floor", im.mbps(one.sum.Bytes) >= fm.mbps(one.sum.Bytes)/2)
	}
	for _, r := range rows {
		what := fmt.Sprintf("%d files, %d thread(s)", r.files, r.threads)
		if r.duck > 0 {
			check(w, what+": at least 2× DuckDB", r.ingest >= 2*r.duck)
		}
		check(w, what+": at least half the decompression-only floor", r.ingest >= r.floor/2)
	}
	return nil
}

func check(w io.Writer, what string, ok bool) {
	mark := "✗"
	if ok {
		mark = "✓"
	}
	fmt.Fprintf(w, "%s %s\n", mark, what)
}

// peer runs the DuckDB peer in its own process, with one query and one
// output per file if perObject.
func (b *Config) peer(ctx context.Context, threads int, perObject bool, files []string) (measure, int64, error) {
	out := filepath.Join(b.Out, "duckdb-peer.parquet")
	args := []string{"bench", "--peer-duckdb", "--peer-threads", strconv.Itoa(threads)}
	if perObject {
		out = filepath.Join(b.Out, "duckdb-peer-per-object")
		args = append(args, "--peer-per-object")
	}
	os.RemoveAll(out)
	args = append(append(args, "--peer-out", out), files...)
	m, outText, err := b.sub(ctx, threads, args...)
	if err != nil {
		return m, 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(outText)), 10, 64)
	return m, n, err
}

// Peer is what a team would write with DuckDB alone: read the log
// files with an explicit schema (auto-detection rejects real CloudTrail,
// whose resources carry both "ARN" and "arn"), keep the Secrets Manager
// and KMS records, and write them as zstd Parquet.
func Peer(ctx context.Context, threads int, out string, perObject bool, files []string) (int64, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
		return 0, err
	}
	if !perObject {
		return peerCopy(ctx, db, files, out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	var rows int64
	for i, f := range files {
		n, err := peerCopy(ctx, db, []string{f}, filepath.Join(out, fmt.Sprintf("part-%05d.parquet", i)))
		if err != nil {
			return rows, err
		}
		rows += n
	}
	return rows, nil
}

// peerCopy runs the peer's query on files, writing to out.
func peerCopy(ctx context.Context, db *sql.DB, files []string, out string) (int64, error) {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	kept := make([]string, len(source.All))
	for i, src := range source.EventSources() {
		kept[i] = "'" + strings.ReplaceAll(src, "'", "''") + "'"
	}
	q := `COPY (
  SELECT r.* FROM (
    SELECT unnest(Records) AS r FROM read_json([` + strings.Join(quoted, ",") + `],
      format = 'unstructured', maximum_object_size = 1073741824,
      columns = {Records: 'STRUCT(eventVersion VARCHAR, eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR,
        awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR,
        eventID VARCHAR, eventType VARCHAR, readOnly BOOLEAN, recipientAccountId VARCHAR, sharedEventID VARCHAR,
        vpcEndpointId VARCHAR, userIdentity JSON, requestParameters JSON, responseElements JSON,
        additionalEventData JSON, resources JSON)[]'})
  ) WHERE r.eventSource IN (` + strings.Join(kept, ", ") + `)
) TO '` + strings.ReplaceAll(out, "'", "''") + `' (FORMAT parquet, COMPRESSION zstd)`
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
