package output

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress is a progress bar for a person watching a terminal: the input
// bytes done of a total, described by the JSON read so far and its Rate
// since the bar started, the figure the ingest summary also shows.
type Progress struct {
	bar       *progressbar.ProgressBar
	label     string
	now       func() time.Time
	start     time.Time
	jsonBytes int64
}

// NewProgress starts a bar on w for total input bytes; now reads the
// clock for the rate.
func NewProgress(w io.Writer, label string, total int64, now func() time.Time) *Progress {
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)
	return &Progress{bar: bar, label: label, now: now, start: now()}
}

// Add moves the bar to done input bytes, jsonBytes more of JSON read.
func (p *Progress) Add(done, jsonBytes int64) {
	p.jsonBytes += jsonBytes
	p.bar.Describe(fmt.Sprintf("%s %.0f MB of JSON, %.0f MB/s", p.label, float64(p.jsonBytes)/1e6, Rate(p.jsonBytes, p.now().Sub(p.start))))
	p.bar.Set64(done)
}

// Finish clears the bar.
func (p *Progress) Finish() { p.bar.Finish() }
