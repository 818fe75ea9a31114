// Package progress draws the CLI's progress bar. It is apart from
// internal/output, which the Lambda functions' packages use, so that they
// do not link a terminal library.
package progress

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/keytrail/keytrail/internal/output"
)

// Bar is a progress bar for a person watching a terminal: the input
// bytes done of a total, described by the JSON read so far and its Rate
// since the bar started, the figure the ingest summary also shows.
type Bar struct {
	bar       *progressbar.ProgressBar
	label     string
	now       func() time.Time
	start     time.Time
	jsonBytes int64
}

// New starts a bar on w for total input bytes; now reads the
// clock for the rate.
func New(w io.Writer, label string, total int64, now func() time.Time) *Bar {
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)
	return &Bar{bar: bar, label: label, now: now, start: now()}
}

// Add moves the bar to done input bytes, jsonBytes more of JSON read.
func (p *Bar) Add(done, jsonBytes int64) {
	p.jsonBytes += jsonBytes
	p.bar.Describe(fmt.Sprintf("%s %.0f MB of JSON, %.0f MB/s", p.label, float64(p.jsonBytes)/1e6, output.Rate(p.jsonBytes, p.now().Sub(p.start))))
	p.bar.Set64(done)
}

// Finish clears the bar.
func (p *Bar) Finish() { p.bar.Finish() }
