package alert

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

// DefaultLookback is how far back a run reads the findings table. Every
// run re-reads it and the delivery state skips what is done, so a finding
// that could not be delivered is retried for this long.
const DefaultLookback = 3 * 24 * time.Hour

// LoadLake reads the findings partitions of the days from now-lookback to
// now (UTC days, inclusive).
func LoadLake(ctx context.Context, s Store, now time.Time, lookback time.Duration) ([]finding.Finding, error) {
	var out []finding.Finding
	for _, day := range lake.Days(now.Add(-lookback), now) {
		objs, err := s.List(ctx, lake.PartitionPrefix(lake.FindingsPrefix, day))
		if err != nil {
			return nil, fmt.Errorf("list findings of %s: %w", day, err)
		}
		for _, o := range objs {
			if !strings.HasSuffix(o.Key, ".parquet") {
				continue
			}
			fs, err := readFindings(ctx, s, o.Key)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
		}
	}
	return out, nil
}

func readFindings(ctx context.Context, s Store, key string) ([]finding.Finding, error) {
	return lake.ReadRows(ctx, s, key, finding.ReadParquet)
}

// ReadJSONLines reads findings, one JSON object per line (blank lines
// skipped), as the detector writes them with --json.
func ReadJSONLines(r io.Reader) ([]finding.Finding, error) {
	var out []finding.Finding
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var f finding.Finding
		if err := json.Unmarshal(line, &f); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	return out, nil
}
