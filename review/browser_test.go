package review

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/keytrail/keytrail/internal/visible"
)

// chromium finds a Chromium or Chrome binary: KEYTRAIL_CHROMIUM, else the
// first of chromium, chromium-browser and google-chrome on PATH. Without
// one the test is skipped, unless KEYTRAIL_REQUIRE_BROWSER=1 (CI) makes
// it fail.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KEYTRAIL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (KEYTRAIL_CHROMIUM, or chromium, chromium-browser, google-chrome on PATH): the review page's layout is not checked in a browser (Debian: apt-get install chromium)"
	if os.Getenv("KEYTRAIL_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// layout is what testdata/layout.js reports.
type layout struct {
	Problems []string
	Counts   struct{ Cells, Labels, Words, Numbers int }
	Charts   []struct{ Ticks, AxisTitles []string }
	SVGTexts []string
}

// check reports what the layout script found wrong, and fails if it
// looked at too little to mean anything. With rep, it also checks that
// the charts draw rep's labels whole.
func (got layout) check(t *testing.T, rep *Report) {
	t.Helper()
	for _, p := range got.Problems {
		t.Error(p)
	}
	// Each chart has a value axis with ticks from 0, and both axes' titles.
	if len(got.Charts) != 2 {
		t.Errorf("%d charts, want 2", len(got.Charts))
	}
	for i, c := range got.Charts {
		if len(c.Ticks) < 2 || c.Ticks[0] != "0" || len(c.AxisTitles) != 2 || slices.Contains(c.AxisTitles, "") {
			t.Errorf("chart %d: ticks %q, axis titles %q", i, c.Ticks, c.AxisTitles)
		}
	}
	if rep == nil {
		if got.Counts.Cells == 0 || got.Counts.Words == 0 {
			t.Errorf("checked too little: %+v", got.Counts)
		}
		return
	}
	// The checks looked at the page: every table's cells, the charts'
	// labels, and the period's numbers.
	if got.Counts.Cells < 50 || got.Counts.Labels < 2*len(rep.Top) || got.Counts.Words < 200 || got.Counts.Numbers < 20 {
		t.Errorf("checked too little: %+v", got.Counts)
	}
	// Every chart label is drawn whole, as text.
	for _, b := range slices.Concat(rep.Weekly, rep.Top) {
		if !slices.Contains(got.SVGTexts, visible.String(b.Label)) {
			t.Errorf("no chart text reads %q in %q", b.Label, got.SVGTexts)
		}
	}
}

// TestPageInBrowser opens the review of the scenario's quarter in headless
// Chromium at two laptop widths and checks what a reader would see: no
// sideways scrolling, no cell or chart text outside its box, no word or
// number broken across lines, every chart label whole; then the same in
// the print layout. It saves a full-page screenshot of each width and the
// page printed to PDF (KEYTRAIL_BROWSER_OUT names a folder to keep them
// in).
func TestPageInBrowser(t *testing.T) {
	b := newBrowser(t)
	_, db, objs := scenarioLake(t)
	p, err := Quarter("2026-Q3")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(context.Background(), db, p, Options{Top: 10, Lake: objs})
	if err != nil {
		t.Fatal(err)
	}
	addLongNames(t, rep)
	// KEYTRAIL_BROWSER_OUT keeps the page, its screenshots and its PDF for
	// a person to look at; by default they go with the test's temp dir.
	dir := os.Getenv("KEYTRAIL_BROWSER_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	if _, err := Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	b.checkPage(t, filepath.Join(dir, "review.html"), dir, rep)
}

// TestGivenPageInBrowser runs the same checks on the review page that
// KEYTRAIL_REVIEW_PAGE names, such as the demo's
// (demo-output/review/review.html): real data, more rows and longer
// names than the scenario's. Its screenshots and PDF go beside it.
func TestGivenPageInBrowser(t *testing.T) {
	page := os.Getenv("KEYTRAIL_REVIEW_PAGE")
	if page == "" {
		t.Skip("KEYTRAIL_REVIEW_PAGE not set: no other review page to check")
	}
	page, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(page); err != nil {
		t.Fatal(err)
	}
	newBrowser(t).checkPage(t, page, filepath.Dir(page), nil)
}

// browser is a headless Chromium tab and the layout script.
type browser struct {
	ctx    context.Context
	script string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromium(t)
	script, err := os.ReadFile("testdata/layout.js")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run its sandbox as root
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return &browser{ctx: ctx, script: string(script)}
}

// layout shows the page at a width, for a media type ("" for screen),
// and runs the layout script on it.
func (b *browser) layout(t *testing.T, url string, width, height int64, media string) layout {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(width, height), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[layout](b.script))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkPage checks the page at 1366 and 1280 px and in the print layout,
// saves a screenshot of each width into dir, and prints the page to PDF
// there.
func (b *browser) checkPage(t *testing.T, page, dir string, rep *Report) {
	url := "file://" + filepath.ToSlash(page)
	for _, w := range []struct{ width, height int64 }{{1366, 768}, {1280, 800}} {
		t.Run(fmt.Sprintf("%dx%d", w.width, w.height), func(t *testing.T) {
			b.layout(t, url, w.width, w.height, "").check(t, rep)
			shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, fmt.Sprintf("review-%dx%d.png", w.width, w.height))
			if err := os.WriteFile(name, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s (%d bytes)", name, len(shot))
		})
	}
	// The same checks on the print layout, at the width of landscape A4
	// within the page's margins (297 mm less 2 x 12 mm, at 96 px an inch).
	t.Run("print", func(t *testing.T) { b.layout(t, url, 1031, 700, "print").check(t, rep) })

	pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10_000 {
		t.Errorf("print to PDF gave %d bytes, starting %q", len(pdf), pdf[:min(len(pdf), 8)])
	}
	name := filepath.Join(dir, "review.pdf")
	if err := os.WriteFile(name, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("printed: %s (%d bytes)", name, len(pdf))
}

// Names as long as real organizations have them: an IAM Identity Center
// session (role name with its hash, the user's e-mail as session name) on
// a secret with a path-like name. The scenario's short ARNs fit anywhere.
const (
	ssoPrincipal = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jane.doe@example.com"
	longSecret   = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod/payments/reconciliation-service/stripe-api-key-AbCdEf"
)

// addLongNames adds one use of longSecret by ssoPrincipal to the access
// section and the busiest-principals chart, copying a scenario row.
func addLongNames(t *testing.T, rep *Report) {
	t.Helper()
	for i, s := range rep.Sections {
		// Who may and who did (with the inventory), else who used.
		if (s.ID != "permissions" && s.ID != "access") || len(s.Rows) == 0 {
			continue
		}
		pi, ri := s.Col("principal_arn"), s.Col("resource_arn")
		if pi < 0 || ri < 0 {
			t.Fatalf("%s section without principal_arn or resource_arn: %v", s.ID, s.Columns)
		}
		row := slices.Clone(s.Rows[0])
		row[pi], row[ri] = ssoPrincipal, longSecret
		rep.Sections[i].Rows = append(slices.Clone(s.Rows), row)
		rep.Top = append(rep.Top, Bar{Label: ssoPrincipal, Value: 1})
		return
	}
	t.Fatal("no permissions or access section with rows")
}
