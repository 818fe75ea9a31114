package alert

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keytrail/keytrail/internal/visible"
)

// Untrusted text
//
// Almost everything in a finding comes from CloudTrail and so from whoever
// made the call: user agents, session and principal names, error messages,
// even parts of the title and reason. Slack would turn some of it into
// mentions (<!channel>, <!here>, <@U…>), channel links (<#C…>), spoofed links
// (<https://evil|label>) or formatting. The rule is that a value an analyst
// copies out of Slack is the value CloudTrail recorded, character for
// character, wherever that can be had without letting the value act. Every
// untrusted value goes through one of two renderers, chosen by where it
// lands:
//
//   - mrkdwnCode (code for the usual cap): the one escaper for mrkdwn, an
//     inline code span. Slack applies no formatting inside code, so * _ ~
//     stay as written, and every mrkdwn text object is sent with
//     verbatim=true, with which Slack does not modify plain-text content:
//     no auto-linked URLs, channel names or bare @mentions
//     (https://docs.slack.dev/reference/block-kit/composition-objects/text-object).
//     What Slack still parses with verbatim=true are its manual parsing
//     strings, the <…> sequences, and & < > are the characters its
//     formatting guide says to escape, as &amp; &lt; &gt;: Slack shows and
//     copies them as & < >. A backtick would end the span and has no
//     escape in mrkdwn: it alone becomes U+02CB MODIFIER LETTER GRAVE
//     ACCENT. Prose from the detector (title, reason) is rendered the same
//     way: a sentence made of ARNs and names is data too.
//   - plain: for plain_text objects (the header). Slack applies no mrkdwn
//     there, and plain_text has no verbatim flag, so an @ before a letter
//     is followed by a WORD JOINER (U+2060) and "@channel" cannot become a
//     mention however Slack treats the text. Every value of the header is
//     shown again in a code span below it, which is where to copy from.
//
// Both first escape &, <, > (so no <…> control sequence can survive), spell
// out every rune a reader cannot see, as internal/visible decides (control
// characters, line breaks, bidi controls, zero-width and tag characters:
// \n, \t, \u202e, \u200b, \U000e0041), so that a value cannot change the
// layout, reorder what the reader sees or look like another name, and cap
// the value with a visible "… (truncated)" marker. Text that must run as
// written (the follow-up SQL, the undo commands) goes in rich text, which
// Slack does not parse at all (see sqlBlock, undoBlock).

// maxValue caps one untrusted value (in runes, before escaping). Long
// enough for any ARN a human reads, short enough that a 100 KB user agent
// cannot crowd out the rest of the message.
const maxValue = 200

// truncMark marks every cut.
const truncMark = "… (truncated)"

// sanitize escapes and caps s; see the package notes on untrusted text.
func sanitize(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	cut := false
	if utf8.RuneCountInString(s) > max {
		n := 0
		for i := range s {
			if n == max {
				s = s[:i]
				break
			}
			n++
		}
		cut = true
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case visible.Hidden(r):
			b.WriteString(visible.Escape(r))
		default:
			b.WriteRune(r)
		}
	}
	if cut {
		b.WriteString(truncMark)
	}
	return b.String()
}

// code renders an untrusted value as an inline code span for mrkdwn, at
// the usual cap. An empty value renders as an em dash outside code.
func code(s string) string {
	if s == "" {
		return "—"
	}
	return mrkdwnCode(s, maxValue)
}

// mrkdwnCode is the one mrkdwn escaper: s, sanitized and capped at max
// runes, as an inline code span.
func mrkdwnCode(s string, max int) string {
	return "`" + strings.ReplaceAll(sanitize(s, max), "`", "\u02cb") + "`"
}

// codeFit renders s as mrkdwnCode, cut further (in runes) until the span
// is at most w wide: escaping can make a value several times longer, and a
// span is never split.
func codeFit(s string, max, w int) string {
	c := mrkdwnCode(s, max)
	for width(c) > w && max > 1 {
		max = max * 3 / 4
		c = mrkdwnCode(s, max)
	}
	return c
}

// plain renders untrusted text for a plain_text object, capped at max
// runes, with a word joiner after an @ that precedes a letter or digit.
func plain(s string, max int) string {
	s = sanitize(s, max)
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		b.WriteRune(r)
		if r == '@' && i+1 < len(runes) && (unicode.IsLetter(runes[i+1]) || unicode.IsDigit(runes[i+1])) {
			b.WriteRune('\u2060')
		}
	}
	return b.String()
}

// width is the length of s as Slack counts it, conservatively: UTF-16
// code units (an emoji counts two).
func width(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// cutWidth returns the longest prefix of s of at most w width.
func cutWidth(s string, w int) string {
	n := 0
	for i, r := range s {
		k := 1
		if r >= 0x10000 {
			k = 2
		}
		if n+k > w {
			return s[:i]
		}
		n += k
	}
	return s
}

// textFit builds a text up to limit characters from atomic pieces: a piece
// that does not fit is dropped with everything after it, and the text ends
// with the truncation marker. Pieces are never split, so code spans and
// entities stay whole.
type textFit struct {
	limit     int
	b         strings.Builder
	n         int
	truncated bool
}

func newFit(limit int) *textFit { return &textFit{limit: limit} }

// add appends pieces (all or none) and reports whether they fitted.
func (f *textFit) add(pieces ...string) bool {
	if f.truncated {
		return false
	}
	n := 0
	for _, p := range pieces {
		n += width(p)
	}
	// Keep room for "\n" + marker.
	if f.n+n > f.limit-width(truncMark)-1 {
		f.truncated = true
		return false
	}
	for _, p := range pieces {
		f.b.WriteString(p)
	}
	f.n += n
	return true
}

func (f *textFit) String() string {
	if f.truncated {
		if f.n > 0 {
			return f.b.String() + "\n" + truncMark
		}
		return truncMark
	}
	return f.b.String()
}

// clip cuts trusted or already-sanitized text to limit runes, marking the
// cut; it backs off an entity (&amp;) or \u or \U escape it would split.
func clip(s string, limit int) string {
	if width(s) <= limit {
		return s
	}
	s = cutWidth(s, max(limit-width(truncMark), 0))
	if j := strings.LastIndexByte(s, '&'); j >= 0 && !strings.Contains(s[j:], ";") {
		s = s[:j]
	}
	if j := strings.LastIndex(s, `\u`); j >= 0 && len(s)-j < 6 {
		s = s[:j]
	}
	if j := strings.LastIndex(s, `\U`); j >= 0 && len(s)-j < 10 {
		s = s[:j]
	}
	if strings.Count(s, "`")%2 == 1 {
		s = s[:strings.LastIndexByte(s, '`')]
	}
	return s + truncMark
}
