package review

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/csvsafe"
	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/queries"
)

// Write writes review.md, review.html and one <section>.csv per section
// (permissions.csv, revoke.csv, …; but those not checked) into dir, and
// returns the file names. The CSVs are the review's evidence: their names
// and columns are a contract (README, "Quarterly access review").
func Write(dir string, rep *Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var names []string
	put := func(name string, write func(io.Writer) error) error {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		names = append(names, name)
		return nil
	}
	if err := put("review.md", rep.Markdown); err != nil {
		return names, err
	}
	if err := put("review.html", rep.HTML); err != nil {
		return names, err
	}
	for _, s := range rep.Sections {
		if s.NotChecked != "" {
			continue // an empty CSV would read as "none"
		}
		if err := put(s.ID+".csv", s.CSV); err != nil {
			return names, err
		}
	}
	return names, nil
}

// CSV writes the section as CSV with a header row, through csvsafe:
// principal names, user agents and error messages come from CloudTrail, so
// formulas are defused and hidden characters spelled out.
func (s Section) CSV(w io.Writer) error {
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(s.Columns); err != nil {
		return err
	}
	return cw.WriteAll(s.Rows)
}

// Markdown writes the report as Markdown.
func (rep *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Access review: secrets and keys, %s\n\n", mdText(rep.Period.Label))
	fmt.Fprintf(&b, "Period: %s to %s (UTC, inclusive).", rep.Period.From.Format(time.DateOnly), rep.Period.Last().Format(time.DateOnly))
	if rep.Inventory.Day == "" {
		fmt.Fprintf(&b, " Resources known from activity since %s.", rep.HistoryFrom.Format(time.DateOnly))
	}
	b.WriteString("\n\n")
	if c := rep.Coverage; c.Complete() {
		fmt.Fprintf(&b, "Coverage: %s in the lake.\n\n", c.Summary())
	} else {
		fmt.Fprintf(&b, "> **Partial data: only %s in the lake.** No events on %s. %s\n\n",
			c.Summary(), strings.Join(c.Gaps(), ", "), partialAdvice)
	}
	if inv := rep.Inventory; inv.Day != "" {
		fmt.Fprintf(&b, "Inventory: %s.\n\n", mdText(inv.Summary()))
	} else {
		fmt.Fprintf(&b, "> **%s.**\n\n", mdText(inv.Summary()))
	}
	b.WriteString("| Section | Rows |\n|---|---:|\n")
	for _, s := range rep.Sections {
		if s.NotChecked != "" {
			fmt.Fprintf(&b, "| %s | not checked |\n", s.Title)
			continue
		}
		fmt.Fprintf(&b, "| %s | %d |\n", s.Title, len(s.Rows))
	}
	for _, s := range rep.Sections {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", s.Title, s.About)
		if s.NotChecked != "" {
			fmt.Fprintf(&b, "**Not checked:** %s.\n", s.NotChecked)
			continue
		}
		if len(s.Rows) == 0 {
			b.WriteString("None.\n")
			continue
		}
		if len(s.GroupBy) == 0 {
			mdTable(&b, s.Result)
			continue
		}
		for i, g := range s.Groups() {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "### %s\n\n%s\n\n", mdText(g.Title), mdText(g.Detail))
			mdTable(&b, g.Result)
		}
	}
	fmt.Fprintf(&b, "\n## Sign-off\n\nAccess review of secrets and keys, %s. %s\n\n| Section | Decision | Notes or ticket |\n|---|---|---|\n",
		mdText(periodText(rep.Period)), signoffAbout)
	for _, s := range rep.Sections {
		fmt.Fprintf(&b, "| %s | [ ] accepted [ ] action required |  |\n", s.Title)
	}
	b.WriteString("\nReviewer (name): ____________________  Role: ____________________\n\nDate: __________  Signature: ____________________\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdTable(b *strings.Builder, r queries.Result) {
	b.WriteString("| " + strings.Join(r.Columns, " | ") + " |\n|")
	for i, c := range r.Columns {
		if columnKind(c, r.Rows, i) == "num" {
			b.WriteString("---:|") // quantities right-aligned, as on the page
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range r.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = mdText(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

// Group is the rows of a grouped section that share its GroupBy values:
// one secret or key.
type Group struct {
	// Title is the first GroupBy column's value (the name); Detail the
	// others, "column: value", the empty ones left out.
	Title, Detail string
	// Result holds the group's rows without the GroupBy columns.
	queries.Result
}

// Groups splits the section's rows by its GroupBy columns, in row order
// (the query sorts by them).
func (s Section) Groups() []Group {
	var idx []int
	grouped := map[int]bool{}
	for _, c := range s.GroupBy {
		if i := s.Col(c); i >= 0 {
			idx = append(idx, i)
			grouped[i] = true
		}
	}
	if len(idx) == 0 {
		return []Group{{Result: s.Result}}
	}
	var keep []int
	var cols, types []string
	for i, c := range s.Columns {
		if !grouped[i] {
			keep = append(keep, i)
			cols = append(cols, c)
			if i < len(s.Types) {
				types = append(types, s.Types[i])
			}
		}
	}
	var out []Group
	last := ""
	for _, row := range s.Rows {
		var key []string
		for _, i := range idx {
			key = append(key, row[i])
		}
		if k := strings.Join(key, "\x00"); len(out) == 0 || k != last {
			last = k
			var detail []string
			for j, i := range idx[1:] {
				if key[j+1] != "" {
					detail = append(detail, s.Columns[i]+": "+key[j+1])
				}
			}
			out = append(out, Group{Title: cmp.Or(key[0], "(no name)"), Detail: strings.Join(detail, "; "),
				Result: queries.Result{Columns: cols, Types: types}})
		}
		g := &out[len(out)-1]
		cells := make([]string, len(keep))
		for j, i := range keep {
			cells[j] = row[i]
		}
		g.Rows = append(g.Rows, cells)
	}
	return out
}

// periodText names the period for the sign-off, which may be printed on
// a page of its own: its label, and its days where the label does not
// spell them out.
func periodText(p Period) string {
	days := p.From.Format(time.DateOnly) + " to " + p.Last().Format(time.DateOnly)
	if p.Label == days {
		return days + " (UTC)"
	}
	return p.Label + " (" + days + ", UTC)"
}

// signoffAbout opens the sign-off block of both outputs.
const signoffAbout = "The reviewer records a decision for each section: accepted as it stands, or action required (with the ticket that tracks it)."

// partialAdvice follows the days a partly covered report is missing.
const partialAdvice = "A day without events is a gap in ingestion or a day on which nobody touched a secret or key: find out which before signing off. Every section below covers only the days with events."

// mdText makes CloudTrail text inert in a Markdown table cell: no markup,
// no HTML, no line breaks, no cell boundaries, and every hidden rune
// (controls, bidi, zero-width, tags) spelled out as package visible says.
// The spelling's backslash precedes a letter, which Markdown leaves as is.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case visible.Hidden(r):
			b.WriteString(visible.Escape(r))
		case strings.ContainsRune("\\`*_[]<>|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
