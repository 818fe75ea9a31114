package cloudtrail

// blockMasks describes 64 bytes of JSON: bit i of each mask is set when
// byte i is that kind of byte.
type blockMasks struct {
	quote, backslash uint64
	open, close      uint64 // '{' or '[', and '}' or ']'
}

// classifyGeneric is classify a byte at a time: the reference the
// vectorised version is tested against.
func classifyGeneric(b []byte, m *blockMasks) {
	*m = blockMasks{}
	for i, c := range b[:64] {
		bit := uint64(1) << i
		switch c {
		case '"':
			m.quote |= bit
		case '\\':
			m.backslash |= bit
		case '{', '[':
			m.open |= bit
		case '}', ']':
			m.close |= bit
		}
	}
}
