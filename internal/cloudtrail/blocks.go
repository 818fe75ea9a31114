package cloudtrail

import (
	"fmt"
	"io"
	"math/bits"
)

const (
	// keyLookahead bytes past a block let a top-level string that opens in
	// the block be compared with `"eventSource"` without a refill.
	keyLookahead = 16
	sourceKey    = `"eventSource"`
	oddBits      = 0xAAAAAAAAAAAAAAAA
)

// useBlocks selects the block splitter; tests switch it to compare.
var useBlocks = haveClassify

// escapedBytes returns the bytes of a block that follow an escaping
// backslash, given its backslash mask and whether the first byte is escaped
// by the block before (carry, 0 or 1); it updates carry for the next block.
// It is simdjson's branch-free method: runs of backslashes that start on an
// odd position are told from those that start on an even one by an
// addition whose carries run along each run.
func escapedBytes(backslash uint64, carry *uint64) uint64 {
	if backslash == 0 {
		e := *carry
		*carry = 0
		return e
	}
	potential := backslash &^ *carry
	code := ((potential<<1 | oddBits) - potential) ^ oddBits
	escaped := code ^ (backslash | *carry)
	*carry = (code & backslash) >> 63
	return escaped
}

// prefixXor sets bit i of the result to the parity of bits 0..i of x: with
// x the unescaped quotes, the bytes from an opening quote up to (not
// including) its closing quote.
func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// skipNestedBlocks is skipNested for machines where classify is
// vectorised, about twice as fast (BenchmarkScanner). Instead of looking at
// every byte outside strings and searching for the end of every string, it
// classifies 64 bytes at a time into bit masks (quotes, backslashes,
// brackets), works out from them which bytes are inside strings (the
// method of simdjson's first stage), and then visits only the brackets, and
// the strings at the record's top level to find its eventSource. It accepts
// and rejects exactly what skipNested does, at the same offsets, however
// the input arrives; FuzzBlockSplitter holds it to that.
func (s *Scanner) skipNestedBlocks(index int) bool {
	s.stack = s.stack[:0]
	s.srcStart, s.srcEnd = -1, -1
	s.srcKeys = s.srcKeys[:0]
	var (
		levels   bracketStack
		inString uint64 // all ones when the last block ended inside a string
		escape   uint64 // 1 when the last block's last byte escapes the next
		m        blockMasks
	)
	p := s.pos
	ahead := true // read ahead before a block shorter than 64+keyLookahead
	for {
		avail := s.end - p
		if avail < 64+keyLookahead && ahead {
			s.pos = p
			ahead = s.fillAhead()
			p = s.pos
			continue
		}
		if avail <= 0 {
			// The input ends (or the record reached the size limit, or a
			// read failed) inside the value: fill reports which, at the
			// offset skipNested would, which inside a string is before a
			// trailing run of backslashes.
			s.pos = s.end
			for inString != 0 && s.pos > s.mark && s.buf[s.pos-1] == '\\' {
				s.pos--
			}
			behind := s.end - s.pos
			if !s.fill() {
				return s.fail(index, errUnexpectedEOF, nil)
			}
			p, ahead = s.pos+behind, true
			continue
		}
		blk := s.buf[p:s.end]
		valid := uint64(1<<64 - 1)
		if avail < 64 {
			pad := s.pad[:]
			for i := range pad {
				pad[i] = ' '
			}
			copy(pad, blk)
			blk = pad
			valid = 1<<uint(avail) - 1
		}
		classify(blk, &m)
		escaped := escapedBytes(m.backslash&valid, &escape)
		if avail < 64 {
			// The next block starts after the last valid byte, not at
			// the 64th: carry whether that next byte is escaped.
			escape = escaped >> uint(avail) & 1
		}
		quote := m.quote &^ escaped & valid
		str := prefixXor(quote) ^ inString
		if m.backslash&valid&^str != 0 {
			// A backslash outside a string (invalid JSON): the masks took
			// it for an escape, skipNested does not. Let skipNested scan
			// the value from its start, to fail it the same way.
			s.pos = s.mark
			return s.skipNested(index)
		}
		inString = uint64(int64(str) >> 63)
		open := m.open &^ str & valid
		brackets := (open | m.close&^str) & valid
		opening := quote & str // opening quotes
		seg := 0               // the bytes since the last bracket
		for {
			i := 64
			if brackets != 0 {
				i = bits.TrailingZeros64(brackets)
			}
			if levels.depth == 1 {
				// Top-level strings in [seg, i): note where an
				// "eventSource" member name ends.
				for q := opening & (^uint64(0) << uint(seg)) & (1<<uint(i) - 1); q != 0; q &= q - 1 {
					// Candidates whose name is not all read yet are
					// checked once the record is.
					k := p + bits.TrailingZeros64(q)
					if k+len(sourceKey) > s.end || string(s.buf[k:k+len(sourceKey)]) == sourceKey {
						s.srcKeys = append(s.srcKeys, k-s.mark)
					}
				}
			}
			if brackets == 0 {
				break
			}
			brackets &= brackets - 1
			c := blk[i]
			if open>>uint(i)&1 == 1 {
				levels.push(c, &s.stack)
			} else {
				if !levels.pop(c, &s.stack) {
					s.pos = p + i
					return s.fail(index, fmt.Errorf("mismatched %q", c), nil)
				}
				if levels.depth == 0 {
					s.pos = p + i + 1
					s.findSource()
					return true
				}
			}
			seg = i + 1
		}
		p += min(avail, 64)
	}
}

// findSource sets srcStart and srcEnd from the record's top-level strings
// noted in srcKeys, by skipNested's rules: a string named "eventSource"
// that follows the record's '{' or a ',' is a member name, and the next
// string before any other bracket or ',' is its value; the last such value
// wins.
func (s *Scanner) findSource() {
	rec := s.buf[:s.pos]
	for _, off := range s.srcKeys {
		k := s.mark + off
		if k+len(sourceKey) > len(rec) || string(rec[k:k+len(sourceKey)]) != sourceKey {
			continue
		}
		i := k - 1
		for !structural[rec[i]] {
			i--
		}
		if rec[i] != ',' && (i != s.mark || rec[i] != '{') {
			continue // not where a member name goes
		}
		i = k + len(sourceKey)
		for i < len(rec) && !structural[rec[i]] {
			i++
		}
		if i < len(rec) && rec[i] == '"' {
			if end, ok := stringEnd(rec, i+1); ok {
				s.srcStart, s.srcEnd = i+1-s.mark, end-1-s.mark
			}
		}
	}
}

// fillAhead reads more input if it can without failing: unlike fill, it
// leaves the end of input, a read error and the size limit for fill to
// report once the bytes before them are used. It reports whether it read
// anything.
func (s *Scanner) fillAhead() bool {
	if s.eof || s.readErr != nil || s.end-s.mark >= s.max {
		return false
	}
	s.makeRoom()
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.readErr = err
	}
	return n > 0
}
