package review

import (
	_ "embed"
	"html/template"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/queries"
)

// The HTML page is what an auditor prints and signs, so its layout is part
// of the contract and is checked in a real browser (browser_test.go): no
// sideways scrolling at a laptop's width, no number or word broken across
// lines, long ARNs wrapped only at their separators, chart labels whole.
// The template loops over the report's sections and knows nothing about
// any one of them; this file decides, from the values, how a column is
// shown (numbers right-aligned, timestamps on one line, ARNs with their
// name first) and lays the charts out.

//go:embed review.html.tmpl
var htmlSource string

// page is the HTML report. CloudTrail text goes through "visible" (hidden
// runes spelled out) and then html/template's escaping, or through cell,
// which escapes every piece it joins with <wbr>.
var page = template.Must(template.New("review").Funcs(template.FuncMap{
	"date":    func(t time.Time) string { return t.Format(time.DateOnly) },
	"visible": visible.String,
	"join":    strings.Join,
	"add": func(n ...int) int {
		sum := 0
		for _, v := range n {
			sum += v
		}
		return sum
	},
	"half":       func(n int) int { return n / 2 },
	"periodText": periodText,
}).Parse(htmlSource))

// HTML writes the report as one self-contained page: inline CSS and SVG,
// no scripts, no external resources; html/template escapes every value.
func (rep *Report) HTML(w io.Writer) error {
	views := make([]sectionView, len(rep.Sections))
	for i, s := range rep.Sections {
		views[i] = newSectionView(s)
	}
	return page.Execute(w, struct {
		*Report
		Views   []sectionView
		Charts  []chart
		Partial string
		Signoff string
	}{rep, views, []chart{
		newChart("Data calls per week", "Week starting (Monday)", "Data calls", rep.Weekly),
		newChart("Busiest people and workloads (AWS services and keytrail's own roles left out)", "Principal", "Data calls, all secrets and keys", rep.Top),
	}, partialAdvice, signoffAbout})
}

// sectionView is a section as the page shows it.
type sectionView struct {
	Section
	Cols  []colView
	Cells [][]template.HTML
	// Long sections start a new page when printed.
	Long bool
	// Groups are a grouped section's tables, one per secret or key.
	Groups []groupView
}

// groupView is one table of a grouped section (Section.Groups).
type groupView struct {
	Title, Detail string
	sectionView
}

type colView struct {
	Label string // the CSV column name, with spaces for underscores so headers wrap between words
	Class string // "num", "fixed" or ""
}

// longSection is the number of rows from which a printed section starts
// on a new page rather than below the previous one.
const longSection = 12

func newSectionView(s Section) sectionView {
	v := sectionView{Section: s, Long: len(s.Rows) >= longSection}
	if len(s.GroupBy) > 0 {
		for _, g := range s.Groups() {
			v.Groups = append(v.Groups, groupView{Title: g.Title, Detail: g.Detail,
				sectionView: newSectionView(Section{Result: g.Result, PageHide: s.PageHide, PageMerge: s.PageMerge})})
		}
	}
	s.Result = mergeRows(withoutColumns(s.Result, s.PageHide), s.PageMerge)
	kinds := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		kinds[i] = columnKind(c, s.Rows, i)
		v.Cols = append(v.Cols, colView{Label: strings.ReplaceAll(c, "_", " "), Class: kinds[i]})
	}
	for _, row := range s.Rows {
		cells := make([]template.HTML, len(row))
		for i, c := range row {
			kind := ""
			if i < len(kinds) {
				kind = kinds[i]
			}
			cells[i] = cell(kind, c)
		}
		v.Cells = append(v.Cells, cells)
	}
	return v
}

// mergeRows joins column col's values (", ", each once) over the rows of
// r that agree in every other column, in the order the rows come; r as it
// is when it has no such column.
func mergeRows(r queries.Result, col string) queries.Result {
	ci := slices.Index(r.Columns, col)
	if col == "" || ci < 0 {
		return r
	}
	out := queries.Result{Columns: r.Columns, Types: r.Types, BytesScanned: r.BytesScanned}
	at := map[string]int{}
	for _, row := range r.Rows {
		key := strings.Join(slices.Delete(slices.Clone(row), ci, ci+1), "\x00")
		i, ok := at[key]
		if !ok {
			at[key] = len(out.Rows)
			out.Rows = append(out.Rows, slices.Clone(row))
			continue
		}
		if vals := strings.Split(out.Rows[i][ci], ", "); !slices.Contains(vals, row[ci]) {
			out.Rows[i][ci] += ", " + row[ci]
		}
	}
	return out
}

// withoutColumns returns r without the named columns.
func withoutColumns(r queries.Result, drop []string) queries.Result {
	if len(drop) == 0 {
		return r
	}
	var keep []int
	out := queries.Result{BytesScanned: r.BytesScanned}
	for i, c := range r.Columns {
		if !slices.Contains(drop, c) {
			keep = append(keep, i)
			out.Columns = append(out.Columns, c)
			if i < len(r.Types) {
				out.Types = append(out.Types, r.Types[i])
			}
		}
	}
	for _, row := range r.Rows {
		cells := make([]string, len(keep))
		for j, i := range keep {
			cells[j] = row[i]
		}
		out.Rows = append(out.Rows, cells)
	}
	return out
}

var (
	numberRE = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?$`)
	timeRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$`)
)

// columnKind is "num" for a column of quantities (every value a number,
// and the column not an identifier such as an account ID), "fixed" for a
// column of dates, timestamps or identifiers made of digits (shown as
// they are, without break opportunities; a timestamp may wrap at its
// space only), and "" for text.
func columnKind(name string, rows [][]string, i int) string {
	isNum, isTime, seen := true, true, false
	for _, row := range rows {
		if i >= len(row) || row[i] == "" {
			continue
		}
		seen = true
		isNum = isNum && numberRE.MatchString(row[i])
		isTime = isTime && timeRE.MatchString(row[i])
	}
	switch {
	case !seen:
		return ""
	case isNum && !strings.HasSuffix(name, "_id") && name != "id":
		return "num"
	case isNum, isTime:
		return "fixed"
	}
	return ""
}

// cell renders one value. Numbers (right-aligned and kept on one line
// by the stylesheet) and fixed values are shown as they are. Text has its
// hidden runes spelled out, and its long tokens (ARNs, session names) get
// a <wbr> after each separator so that they wrap there and nowhere else;
// an ARN is shown as its resource's name first, then in full. Every piece
// is HTML-escaped here: the value comes from CloudTrail.
func cell(kind, v string) template.HTML {
	if kind != "" {
		return template.HTML(template.HTMLEscapeString(visible.String(v)))
	}
	if name, ok := arnNames(v); ok {
		return template.HTML(`<span class="name">` + breakable(name) + `</span><span class="arn">` + breakable(v) + `</span>`)
	}
	return template.HTML(breakable(v))
}

// arnNames is arnName of an ARN, or of each of a list of ARNs joined by
// ", " (a row's resources), the names joined the same way.
func arnNames(v string) (string, bool) {
	var names []string
	for _, a := range strings.Split(v, ", ") {
		name, ok := arnName(a)
		if !ok {
			return "", false
		}
		names = append(names, name)
	}
	return strings.Join(names, ", "), true
}

const (
	// longToken is the length from which a run of non-space text is given
	// break opportunities after its separators.
	longToken = 20
	// chunk is how long a run without any separator may grow before it is
	// given a break opportunity anyway (a hash, a base64 blob): the page
	// must not overflow for any value.
	chunk = 40
)

// breakable spells out the hidden runes of s, HTML-escapes it, and joins
// the pieces of its long tokens with <wbr>.
func breakable(s string) string {
	s = visible.String(s)
	var b strings.Builder
	for i, tok := range strings.Split(s, " ") {
		if i > 0 {
			b.WriteByte(' ')
		}
		if utf8.RuneCountInString(tok) < longToken {
			b.WriteString(template.HTMLEscapeString(tok))
			continue
		}
		run := 0
		var piece strings.Builder
		flush := func() {
			b.WriteString(template.HTMLEscapeString(piece.String()))
			piece.Reset()
			run = 0
		}
		for j, r := range tok {
			piece.WriteRune(r)
			run++
			last := j+utf8.RuneLen(r) == len(tok)
			if !last && (strings.ContainsRune(":/-._@,=", r) || run >= chunk) {
				flush()
				b.WriteString("<wbr>")
			}
		}
		flush()
	}
	return b.String()
}

// arnName returns the name of an ARN's resource: the part after the
// account, without the "secret:" type and the six random characters
// Secrets Manager appends to a secret's name.
func arnName(v string) (string, bool) {
	parts := strings.SplitN(v, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[5] == "" {
		return "", false
	}
	name := parts[5]
	if parts[2] == "secretsmanager" {
		name = strings.TrimPrefix(name, "secret:")
		if i := len(name) - 7; i > 0 && name[i] == '-' && secretSuffixRE.MatchString(name[i+1:]) {
			name = name[:i]
		}
	}
	return name, true
}

var secretSuffixRE = regexp.MustCompile(`^[A-Za-z0-9]{6}$`)

// chart is an SVG horizontal bar chart with a labelled value axis, laid
// out here so the template only places numbers. The label column is as
// wide as the longest label, so no label is clipped; the SVG has a
// viewBox, so a chart wider than the page is scaled down rather than cut.
type chart struct {
	Title          string
	YTitle, XTitle string
	Width, Height  int
	PlotX, PlotW   int
	LabelX         int // right end of the labels
	TitleY         int // baseline of the Y axis title
	AxisY          int // the X axis line
	TickY, XTitleY int // baselines of the tick labels and the X axis title
	Bars           []chartBar
	Ticks          []chartTick
}

type chartBar struct {
	Label       string // in full, hidden runes spelled out
	Shown       string // as drawn: Label, or its middle elided beyond maxLabel runes
	Value       int64
	Y, W, TextY int
}

type chartTick struct {
	X     int
	Label string
}

const (
	// chartFont is the charts' font size in px; the font is monospace so
	// that a label's width is known here. glyphW bounds the advance of a
	// glyph at that size (0.6 em in DejaVu Sans Mono and Liberation Mono).
	chartFont = 12
	glyphW    = 7.4
	barHeight = 18
	barGap    = 6
	plotW     = 360
	chartPad  = 6
)

func textW(s string) int { return int(math.Ceil(float64(utf8.RuneCountInString(s)) * glyphW)) }

func newChart(title, yTitle, xTitle string, bars []Bar) chart {
	c := chart{Title: title, YTitle: yTitle, XTitle: xTitle, PlotW: plotW}
	var maxV int64
	labelW := textW(yTitle)
	for _, b := range bars {
		maxV = max(maxV, b.Value)
		labelW = max(labelW, textW(elide(visible.String(b.Label))))
	}
	step, top := ticks(maxV)
	c.LabelX = chartPad + labelW
	c.PlotX = c.LabelX + 8
	c.TitleY = chartPad + chartFont
	y0 := c.TitleY + 8
	for i, b := range bars {
		y := y0 + i*(barHeight+barGap)
		w := int(int64(plotW) * max(b.Value, 0) / top)
		label := visible.String(b.Label)
		c.Bars = append(c.Bars, chartBar{Label: label, Shown: elide(label), Value: b.Value, Y: y, W: w, TextY: y + barHeight - 5})
	}
	c.AxisY = y0 + len(bars)*(barHeight+barGap) - barGap/2
	for v := int64(0); v <= top; v += step {
		c.Ticks = append(c.Ticks, chartTick{X: c.PlotX + int(int64(plotW)*v/top), Label: strconv.FormatInt(v, 10)})
	}
	c.TickY = c.AxisY + 6 + chartFont
	c.XTitleY = c.TickY + 6 + chartFont
	// Right of the plot: the longest bar's value, or half the last tick's
	// label, and the X axis title where it is wider than the plot.
	right := max(textW(strconv.FormatInt(maxV, 10))+6, textW(strconv.FormatInt(top, 10))/2+1, (textW(xTitle)-plotW)/2+1)
	c.Width = c.PlotX + plotW + right + chartPad
	c.Height = c.XTitleY + 4 + chartPad // room for descenders
	return c
}

// maxLabel is the longest chart label drawn whole, in runes: the longest
// principal ARNs of real organizations (an IAM Identity Center role with
// its hash and an e-mail as session name) are about 110. A longer one,
// which would shrink the whole chart to fit the page, is drawn with its
// middle elided (the account and the session name stay), and its full
// text is the label's tooltip.
const maxLabel = 120

func elide(s string) string {
	r := []rune(s)
	if len(r) <= maxLabel {
		return s
	}
	head := maxLabel * 3 / 5
	return string(r[:head]) + "…" + string(r[len(r)-(maxLabel-head-1):])
}

// ticks returns the step of the value axis (1, 2 or 5 times a power of
// ten, for at most five steps) and its end, a multiple of the step at or
// above maxV.
func ticks(maxV int64) (step, top int64) {
	maxV = max(maxV, 1)
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			step = m * p
			if n := (maxV + step - 1) / step; n <= 5 {
				return step, n * step
			}
		}
	}
}
