// Package visible shows the characters that change what a reader sees
// without being seen themselves.
//
// Everything keytrail prints for people (Slack messages, the review's
// Markdown, HTML and CSV, the CLI's tables) carries text that whoever made
// the AWS call wrote: user agents, session names, error messages, secret
// names. A control character can break a line or a terminal, a bidi control
// can reorder what is read (Trojan Source), and a zero-width or tag
// character can make two different names look identical. Each renderer
// keeps its own syntax escaping (mrkdwn, Markdown, HTML, CSV formulas) and
// asks this package which runes to spell out, so that every output agrees on
// what is hidden and how it is shown: as a Go-style escape, \n, \t, \r or
// \u200b.
package visible

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hidden reports whether r must be spelled out rather than printed: control
// characters (C0, DEL, C1), format characters (Unicode category Cf: bidi
// controls, zero-width space, joiners, word joiner, BOM, soft hyphen, tag
// characters U+E0000–U+E007F), line and paragraph separators, and the
// Hangul fillers that render as blank letters.
func Hidden(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0x80:
		return false
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0':
		return true
	case r >= 0xe0000 && r <= 0xe007f: // tags, including unassigned ones
		return true
	}
	return false
}

// Escape spells r out: \n, \r and \t for those three, \uXXXX for the rest
// of the Basic Multilingual Plane and \UXXXXXXXX beyond it.
func Escape(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	if r > 0xffff {
		return fmt.Sprintf(`\U%08x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// String returns s with every hidden rune spelled out and invalid UTF-8
// replaced by U+FFFD. It returns s itself when there is nothing to change.
func String(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if Hidden(r) {
			b.WriteString(Escape(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || Hidden(r) {
			return false
		}
		i += n
	}
	return true
}
