// Package csvsafe writes every CSV file keytrail emits (keytrail query
// --format csv, the review's evidence files), so that a spreadsheet opens it
// as data and a reader sees every character it holds.
//
// The cells carry text whoever made the AWS call chose: user agents, session
// names, error messages. Opened in Excel, LibreOffice or Google Sheets, a
// cell beginning with "=", "+", "-" or "@" is a formula (a DDE command, a
// HYPERLINK that sends other cells away); tab, CR and NUL at the start do
// the same in some of them. Following OWASP's CSV-injection guidance, such
// a cell gets a leading apostrophe, which spreadsheets read as "text", and
// every cell is quoted, so that a spreadsheet splitting on ";" or tab rather
// than "," still finds no cell that begins a formula.
//
// The apostrophe goes on every cell that begins with one of those
// characters, numbers included: "-5" is written '-5. keytrail's numeric
// columns are counts and indexes, never negative, and a rule that looks at
// the first character only cannot be talked out of it ("-2+3", "-1e3",
// "-1+cmd|..." are all formulas). A program that needs the number strips
// one leading apostrophe.
//
// Control characters, bidi controls, zero-width and tag characters are
// spelled out (\u0000, \n, \u202e) as package visible decides, as in every
// other output: a record is always one line, and two cells that look the
// same are the same.
package csvsafe

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/keytrail/keytrail/internal/visible"
)

// Writer writes CSV records made safe by Cell, every cell quoted, one
// record per line.
type Writer struct {
	w   *bufio.Writer
	err error
}

// NewWriter returns a Writer on w. Call Flush when done.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Write writes one record.
func (w *Writer) Write(record []string) error {
	if w.err != nil {
		return w.err
	}
	for i, c := range record {
		if i > 0 {
			w.w.WriteByte(',')
		}
		w.w.WriteByte('"')
		w.w.WriteString(strings.ReplaceAll(Cell(c), `"`, `""`))
		w.w.WriteByte('"')
	}
	_, w.err = w.w.WriteString("\n")
	return w.err
}

// WriteAll writes records and flushes.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Flush()
}

// Flush writes any buffered data to the underlying writer and returns the
// first error of any Write or of the flush.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.w.Flush()
	return w.err
}

// Cell returns the text Writer puts in a cell for s, before quoting: hidden
// runes spelled out, and a leading apostrophe when s begins with "=", "+",
// "-", "@" or a hidden rune (tab, CR, LF, NUL, any control, bidi or
// zero-width character).
func Cell(s string) string {
	v := visible.String(s)
	if s == "" {
		return v
	}
	if strings.IndexByte("=+-@", s[0]) >= 0 {
		return "'" + v
	}
	if r, _ := utf8.DecodeRuneInString(s); visible.Hidden(r) {
		return "'" + v
	}
	return v
}
