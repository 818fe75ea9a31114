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
// (<https://evil|label>) or formatting. Every untrusted value goes through
// one of three renderers, chosen by where it lands:
//
//   - code: inside an inline code span in a mrkdwn text object (the default
//     for values: ARNs, names, IPs, user agents). Slack applies no
//     formatting and no auto-linking inside code, the text object is sent
//     with verbatim=true, and a backtick in the value (which would end the
//     span) becomes U+02CB MODIFIER LETTER GRAVE ACCENT.
//   - plain: for plain_text objects (header, the reason). Slack applies no
//     mrkdwn there.
//   - inert: for mrkdwn outside code (the notification fallback text): the
//     mrkdwn markers * _ ~ ` become look-alikes (∗ ˍ ∼ ˋ).
//
// All three first do the same: escape &, <, > as Slack asks (so no
// <…> control sequence can survive), spell out every rune a reader cannot
// see, as internal/visible decides (control characters, line breaks, bidi
// controls, zero-width and tag characters: \n, \t, \u202e, \u200b,
// \U000e0041), so that a value cannot change the layout, reorder what the
// reader sees or look like another name, put a WORD JOINER
// (U+2060) after an @ that precedes a letter (so "@channel" and "@here"
// never become mentions, even where Slack parses bare names), and cap the
// value at maxValue runes with a visible "… (truncated)" marker. A value
// copied out of Slack may therefore carry invisible U+2060 characters; the
// finding's SQL, not the message text, is the way to query the evidence.

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
	runes := []rune(s)
	for i, r := range runes {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '@':
			b.WriteRune(r)
			if i+1 < len(runes) && (unicode.IsLetter(runes[i+1]) || unicode.IsDigit(runes[i+1])) {
				b.WriteRune('\u2060')
			}
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

// code renders an untrusted value as an inline code span for mrkdwn.
// An empty value renders as an em dash outside code.
func code(s string) string {
	if s == "" {
		return "—"
	}
	return "`" + strings.ReplaceAll(sanitize(s, maxValue), "`", "\u02cb") + "`"
}

// plain renders untrusted text for a plain_text object, capped at max runes.
func plain(s string, max int) string { return sanitize(s, max) }

var inertReplacer = strings.NewReplacer("*", "\u2217", "_", "\u02cd", "~", "\u223c", "`", "\u02cb")

// inert renders untrusted text for mrkdwn outside code.
func inert(s string, max int) string { return inertReplacer.Replace(sanitize(s, max)) }

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
