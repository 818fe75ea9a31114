package evalorg

import (
	"encoding/hex"
	"strings"
)

// Identifiers (role ids, access keys, task ids, key ids, secret suffixes)
// are hashes of what they name and the seed, not draws from the random
// stream: the same role has the same id wherever it appears, and adding a
// scenario does not change the ids of everything generated after it.

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hasher derives identifiers from names.
type hasher struct{ seed uint64 }

// of hashes parts (FNV-1a with a separator, then mixed with the seed).
func (h hasher) of(parts ...string) uint64 {
	x := uint64(0xcbf29ce484222325)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			x ^= uint64(p[i])
			x *= 0x100000001b3
		}
		x ^= 0xff
		x *= 0x100000001b3
	}
	return mix(x ^ mix(h.seed))
}

// Character sets of AWS identifiers.
const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // access key ids, unique ids
	hexLow = "0123456789abcdef"
)

// chars returns n characters of set derived from parts.
func (h hasher) chars(n int, set string, parts ...string) string {
	x := h.of(parts...)
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		x = mix(x + uint64(i))
		b.WriteByte(set[x%uint64(len(set))])
	}
	return b.String()
}

// uuid returns a version-4 style UUID derived from parts.
func (h hasher) uuid(parts ...string) string {
	x := h.of(parts...)
	return uuidOf(x, mix(x))
}

func uuidOf(a, b uint64) string {
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(a >> (8 * i))
		raw[8+i] = byte(b >> (8 * i))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], raw[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], raw[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], raw[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], raw[8:10])
	s[23] = '-'
	hex.Encode(s[24:], raw[10:])
	return string(s[:])
}
