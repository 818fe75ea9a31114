package evalorg

import (
	"strconv"
	"unicode/utf8"
)

// CloudTrail writes the members of an object in a fixed order that
// encoding/json would lose for maps (it sorts keys). The records here are
// built with a small ordered writer instead.

// raw is JSON text to embed as it is.
type raw []byte

// obj renders an object from alternating keys and values. Values may be
// string, raw, bool, int, int64, float64, nil (null), []string or []raw.
// A pair whose value is the omit marker is left out.
func obj(pairs ...any) raw {
	b := make([]byte, 0, 64*len(pairs)/2+2)
	b = append(b, '{')
	first := true
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, skip := pairs[i+1].(omitted); skip {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, pairs[i].(string))
		b = append(b, ':')
		b = appendValue(b, pairs[i+1])
	}
	return append(b, '}')
}

// arr renders an array of values.
func arr(vals ...any) raw {
	b := []byte{'['}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendValue(b, v)
	}
	return append(b, ']')
}

// omitted marks an object member to leave out.
type omitted struct{}

// omit is the value of a member that is not written.
var omit = omitted{}

// opt returns s, or omit when s is empty.
func opt(s string) any {
	if s == "" {
		return omit
	}
	return s
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case raw:
		if v == nil {
			return append(b, "null"...)
		}
		return append(b, v...)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	case []raw:
		b = append(b, '[')
		for i, r := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, r...)
		}
		return append(b, ']')
	}
	panic("evalorg: unsupported JSON value")
}

// appendString appends s as a JSON string, escaping what JSON requires
// (quote, backslash, control characters) and nothing else, as CloudTrail
// does; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, "\ufffd"...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexLow[c>>4], hexLow[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
