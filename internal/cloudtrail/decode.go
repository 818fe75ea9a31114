package cloudtrail

import (
	"encoding/json"
	"math/bits"
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// RawJSON is a JSON value kept as the record carried it: request
// parameters, response elements and additional event data, whose shape
// depends on the call. Unlike json.RawMessage it is a string, so the
// normalized row can keep it without another copy.
type RawJSON string

// UnmarshalJSON keeps the value's text (for JSON null, the text "null").
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	*r = RawJSON(b)
	return nil
}

// recordJSON is Record's table, derived from its json tags.
var recordJSON = NewDecoder[Record]()

// DecodeRecord decodes one record's JSON into rec, exactly as json.Unmarshal
// would, for the shapes CloudTrail writes (Decoder.Decode). It reports false,
// leaving rec in an unspecified state, for anything it leaves to
// encoding/json, which the caller then uses; a test compares the two on
// every record it can find.
func DecodeRecord(raw []byte, rec *Record) bool {
	return recordJSON.Decode(raw, rec)
}

// maxDepth bounds a record's nesting, well inside encoding/json's own
// limit: deeper records take the slow path, whose error names the problem.
// Merge has no slow path, so it allows what encoding/json allows.
const (
	maxDepth     = 1000
	jsonMaxDepth = 10000
)

type decoder struct {
	s     string
	i     int
	depth int
	limit int // the deepest nesting accepted
	// merge is Merge's decoding: encoding/json's, type errors skipped.
	merge bool
	// arena holds the objects Decode points to, allocated together on
	// first use as an arenaType.
	arena     unsafe.Pointer
	arenaType reflect.Type
}

// unquote decodes a JSON string literal with escapes, or that is not
// UTF-8, by encoding/json's rules.
func unquote(quoted string) (string, bool) {
	var s string
	err := json.Unmarshal([]byte(quoted), &s)
	return s, err == nil
}

// members reads an object, calling member at each value. Escaped member
// names (and names that are not UTF-8) are refused unless anyKey; then
// member gets them decoded as encoding/json decodes them.
func (d *decoder) members(anyKey bool, member func(key string) bool) bool {
	if !d.open('{') {
		return false
	}
	if d.ws(); d.closes('}') {
		return true
	}
	for {
		d.ws()
		start, end, plain := d.scanString()
		if start < 0 || !plain && !anyKey {
			return false
		}
		key := d.s[start:end]
		if !plain {
			if key, plain = unquote(d.s[start-1 : end+1]); !plain {
				return false
			}
		}
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return false
		}
		d.i++
		d.ws()
		if !member(key) {
			return false
		}
		if more, ok := d.next('}'); !more {
			return ok
		}
	}
}

// open enters the object or array that c opens at d.i.
func (d *decoder) open(c byte) bool {
	if d.i >= len(d.s) || d.s[d.i] != c {
		return false
	}
	d.i++
	d.depth++
	return d.depth <= d.limit
}

// closes leaves the object or array if c closes it at d.i.
func (d *decoder) closes(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		d.depth--
		return true
	}
	return false
}

// next moves past the ',' or the close that follows a member or an
// element; more reports a ','.
func (d *decoder) next(close byte) (more, ok bool) {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == ',' {
		d.i++
		return true, true
	}
	return false, d.closes(close)
}

// str decodes a string member; null leaves it unchanged.
func (d *decoder) str(p *string) bool {
	if d.literal("null") {
		return true
	}
	start, end, plain := d.scanString()
	switch {
	case start < 0:
		return false
	case plain:
		*p = d.s[start:end]
		return true
	}
	s, ok := unquote(d.s[start-1 : end+1])
	if ok {
		*p = s
	}
	return ok
}

// raw keeps a value's text, as json.RawMessage would.
func (d *decoder) raw(p *RawJSON) bool {
	v, ok := d.valueText()
	if ok {
		*p = v
	}
	return ok
}

// valueText moves past the value at d.i and returns its text.
func (d *decoder) valueText() (RawJSON, bool) {
	start := d.i
	ok := d.skip()
	return RawJSON(d.s[start:d.i]), ok
}

// literal consumes word if it is next.
func (d *decoder) literal(word string) bool {
	if strings.HasPrefix(d.s[d.i:], word) {
		d.i += len(word)
		return true
	}
	return false
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// strClass marks the bytes that end the plain run of a string: the quote,
// the backslash, control characters (invalid in JSON strings) and bytes
// beyond ASCII (whose UTF-8 must be checked).
var strClass = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// scanString validates the string at d.i and moves past it. It returns the
// bounds of its contents (without quotes) and whether they are plain: no
// escapes, valid UTF-8, so the text is the value. start < 0 means invalid.
func (d *decoder) scanString() (start, end int, plain bool) {
	s := d.s
	if d.i >= len(s) || s[d.i] != '"' {
		return -1, 0, false
	}
	start = d.i + 1
	i, plain := start, true
	var high uint64 // bytes beyond ASCII seen eight at a time
	ascii := true
	for {
		// Eight bytes at a time while none is a quote, a backslash or a
		// control character (the lowest flagged byte is exact).
		for i+8 <= len(s) {
			// One bounds check for eight bytes lets the compiler make them
			// one load.
			t := s[i : i+8]
			w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			stop := zeroBytes(w^(ones*'"')) | zeroBytes(w^(ones*'\\')) | (w-ones*0x20)&^w&highs
			if stop != 0 {
				i += bits.TrailingZeros64(stop) >> 3
				high |= w & highs
				break
			}
			high |= w & highs
			i += 8
		}
		for i < len(s) && !strClass[s[i]] {
			i++
		}
		if i >= len(s) {
			return -1, 0, false
		}
		switch c := s[i]; {
		case c == '"':
			d.i = i + 1
			if (high != 0 || !ascii) && plain && !utf8.ValidString(s[start:i]) {
				plain = false
			}
			return start, i, plain
		case c == '\\':
			plain = false
			n := escapeLen(s[i:])
			if n == 0 {
				return -1, 0, false
			}
			i += n
		case c < 0x20:
			return -1, 0, false
		default:
			ascii = false
			i++
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeroBytes flags the zero bytes of w in their high bits. Only the lowest
// flag is sure (a borrow can flag the byte above a zero byte), which is all
// scanString uses.
func zeroBytes(w uint64) uint64 { return (w - ones) &^ w & highs }

// escapeLen returns the length of the valid escape sequence s starts with,
// or 0.
func escapeLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(s) < 6 {
			return 0
		}
		for _, c := range []byte(s[2:6]) {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return 0
			}
		}
		return 6
	}
	return 0
}

// skip validates and moves past one value of any kind.
func (d *decoder) skip() bool {
	if d.i >= len(d.s) {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		start, _, _ := d.scanString()
		return start >= 0
	case c == '{':
		return d.members(true, func(string) bool { return d.skip() })
	case c == '[':
		return d.elements(d.skip)
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return false
}

// elements reads an array, calling element at each value.
func (d *decoder) elements(element func() bool) bool {
	if !d.open('[') {
		return false
	}
	if d.ws(); d.closes(']') {
		return true
	}
	for {
		d.ws()
		if !element() {
			return false
		}
		if more, ok := d.next(']'); !more {
			return ok
		}
	}
}

// number validates a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) number() bool {
	s, i := d.s, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	d.i = i
	return true
}

func digits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}
