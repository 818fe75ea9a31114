package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Errors that classify a whole object rather than one record.
var (
	// ErrDigest reports a CloudTrail digest file (log file integrity
	// validation), which holds no events.
	ErrDigest = errors.New("CloudTrail digest file, not a log file")
	// ErrNotCloudTrail reports JSON that is not a CloudTrail log file.
	ErrNotCloudTrail = errors.New("not a CloudTrail log file: no top-level Records array")
	// ErrRecordTooLarge reports a record beyond the scanner's limit
	// (RecordErr), or a top-level member other than Records beyond it.
	ErrRecordTooLarge = errors.New("record exceeds the size limit")
)

// MaxRecordSize is the default limit on one record's size. CloudTrail caps an
// event at 256 KB; the margin covers other producers without letting a broken
// file make the scanner buffer it whole. A larger record is skipped, not
// held: see RecordErr.
const MaxRecordSize = 8 << 20

// SyntaxError is a malformed or truncated log file, or (from RecordErr) a
// record skipped for its size. Index is the Records element being read when
// it went wrong (-1 outside the Records array) and Offset the byte offset in
// the uncompressed stream.
type SyntaxError struct {
	Index  int
	Offset int64
	Err    error
}

func (e *SyntaxError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("offset %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("record %d (offset %d): %v", e.Index, e.Offset, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

var errUnexpectedEOF = errors.New("unexpected end of input (truncated file?)")

// Scanner splits a CloudTrail log file into its records without decoding
// them and without holding more than one record in memory, so a 500 MB file
// costs what a 5 KB one does. It checks the structure it walks (brackets,
// strings) but not every token inside a record: callers decode the records
// they keep, and that decode validates them fully.
//
// Use it like bufio.Scanner:
//
//	s := cloudtrail.NewScanner(r)
//	for s.Next() {
//		if err := s.RecordErr(); err != nil {
//			... // a record over the size limit, skipped
//			continue
//		}
//		raw := s.Record() // valid until the next call to Next
//	}
//	if err := s.Err(); err != nil { ... }
//
// One record over the size limit does not end the file: the scanner passes
// over it without keeping its bytes (a 10 MB user agent or a million
// resources cost one buffer of the limit's size, not the record's) and
// reads on from the record after it. A file that is broken, truncated or
// unreadable ends at the damage (Err).
type Scanner struct {
	r   io.Reader
	max int

	buf     []byte
	pos     int // next byte to examine
	end     int // end of valid data in buf
	mark    int // bytes before mark may be discarded
	base    int64
	eof     bool
	readErr error // a read error held back until the bytes before it are used

	state    int
	index    int // index of the next record
	rec      []byte
	recErr   error // why the current record was skipped (RecordErr)
	sawArray bool
	keys     []string
	err      error
	// overLimit is set when err is the size limit met inside a record,
	// which Next turns into skipping that record.
	overLimit bool
	stack     []byte
	// srcStart and srcEnd bound the current record's top-level eventSource
	// value, relative to mark; -1 when it has none.
	srcStart, srcEnd int
	// srcKeys are where the current record's top-level strings that may
	// be the member name "eventSource" open, relative to mark
	// (skipNestedBlocks; findSource checks them).
	srcKeys []int
	pad     [64]byte // the last, short block of a value (skipNestedBlocks)
}

const (
	stateStart = iota
	stateMembers
	stateArray
	stateDone
)

// NewScanner returns a Scanner reading from r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: r, max: MaxRecordSize, buf: make([]byte, bufSize)}
}

// bufSize is the scanner's buffer at first; it grows for a larger record.
const bufSize = 256 << 10

// Reset makes s read a new log file from r, as NewScanner(r) would, but
// keeps its buffers: a caller reading many small files (most CloudTrail
// files are) then allocates and clears them once. The maximum record size
// is kept too.
// A buffer that grew for one large record is dropped.
func (s *Scanner) Reset(r io.Reader) {
	buf := s.buf
	if len(buf) != bufSize {
		buf = make([]byte, bufSize)
	}
	*s = Scanner{r: r, max: s.max, buf: buf, keys: s.keys[:0],
		stack: s.stack[:0], srcKeys: s.srcKeys[:0]}
}

// SetMaxRecordSize changes the largest record the scanner accepts.
func (s *Scanner) SetMaxRecordSize(n int) { s.max = n }

// Record returns the current record's JSON. It is valid until Next is called.
func (s *Scanner) Record() []byte { return s.rec }

// EventSource returns the current record's top-level eventSource value as
// it appears in the JSON (without quotes, escapes not decoded), or nil. It
// is valid until the next call to Next.
func (s *Scanner) EventSource() []byte {
	if s.rec == nil || s.srcStart < 0 {
		return nil
	}
	return s.rec[s.srcStart:s.srcEnd]
}

// RecordErr reports why the current record was skipped, or nil when it
// was read: a *SyntaxError for ErrRecordTooLarge, whose Index and Offset
// (in the uncompressed stream) say where the record starts. Record and
// EventSource are then nil. Scanning goes on with the next record.
func (s *Scanner) RecordErr() error { return s.recErr }

// Index returns the current record's position in the Records array.
func (s *Scanner) Index() int { return s.index - 1 }

// Count returns how many records Next has returned, skipped ones included.
func (s *Scanner) Count() int { return s.index }

// Err returns the first error met, nil at a clean end of a log file.
// A file without a Records array returns ErrDigest or ErrNotCloudTrail.
func (s *Scanner) Err() error { return s.err }

// Next advances to the next record and reports whether there is one.
func (s *Scanner) Next() bool {
	if s.err != nil || s.state == stateDone {
		return false
	}
	s.rec, s.recErr = nil, nil
	for {
		switch s.state {
		case stateStart:
			c, ok := s.peekNonSpace()
			if !ok {
				return s.fail(-1, errors.New("empty input"), ErrNotCloudTrail)
			}
			if c == 0xEF { // UTF-8 byte order mark
				if !s.skipBOM() {
					return s.fail(-1, errors.New("invalid byte order mark"), ErrNotCloudTrail)
				}
				continue
			}
			if c != '{' {
				return s.fail(-1, fmt.Errorf("starts with %q, not a JSON object", c), ErrNotCloudTrail)
			}
			s.pos++
			s.state = stateMembers
			if c, ok := s.peekNonSpace(); ok && c == '}' {
				s.pos++
				return s.finish()
			}
		case stateMembers:
			key, ok := s.readKey()
			if !ok {
				return false
			}
			if key == "Records" {
				c, ok := s.peekNonSpace()
				if !ok || c != '[' {
					return s.fail(-1, errors.New("the Records member is not an array"), ErrNotCloudTrail)
				}
				s.pos++
				s.sawArray = true
				s.state = stateArray
				if c, ok := s.peekNonSpace(); ok && c == ']' {
					s.pos++
					if !s.afterMember() {
						return false
					}
				}
				continue
			}
			if len(s.keys) < 32 {
				s.keys = append(s.keys, key)
			}
			if _, _, ok := s.value(-1); !ok {
				return false
			}
			if !s.afterMember() {
				return false
			}
		case stateArray:
			if s.index > 0 {
				c, ok := s.peekNonSpace()
				if !ok {
					return s.fail(s.index, errUnexpectedEOF, nil)
				}
				if c == ']' {
					s.pos++
					if !s.afterMember() {
						return false
					}
					continue
				}
				if c != ',' {
					return s.fail(s.index, fmt.Errorf("want ',' or ']' after a record, found %q", c), nil)
				}
				s.pos++
			}
			c, ok := s.peekNonSpace()
			if !ok {
				return s.fail(s.index, errUnexpectedEOF, nil)
			}
			if c != '{' {
				return s.fail(s.index, fmt.Errorf("record is %q, not a JSON object", c), nil)
			}
			start, end, ok := s.value(s.index)
			if !ok {
				if s.overLimit {
					return s.skipRecord()
				}
				return false
			}
			if end-start > s.max {
				// Whole in the buffer, but the limit was lowered since
				// the buffer grew.
				return s.skipped(s.base+int64(start), int64(end-start), true)
			}
			s.rec = s.buf[start:end]
			s.index++
			return true
		case stateDone:
			return false
		}
	}
}

// afterMember consumes the ',' or '}' that follows a top-level member and
// reports whether scanning goes on.
func (s *Scanner) afterMember() bool {
	s.state = stateMembers
	c, ok := s.peekNonSpace()
	if !ok {
		return s.fail(-1, errUnexpectedEOF, nil)
	}
	switch c {
	case ',':
		s.pos++
		return true
	case '}':
		s.pos++
		return s.finish() // the file ends here: no more records
	}
	return s.fail(-1, fmt.Errorf("want ',' or '}' after a member, found %q", c), nil)
}

// finish ends the file: only white space may follow the top-level object.
func (s *Scanner) finish() bool {
	s.state = stateDone
	if c, ok := s.peekNonSpace(); ok {
		return s.fail(-1, fmt.Errorf("unexpected %q after the top-level object", c), nil)
	}
	if s.err != nil {
		return false
	}
	if !s.sawArray {
		s.err = ErrNotCloudTrail
		for _, k := range s.keys {
			if k == "digestStartTime" || k == "logFiles" || k == "digestPublicKeyFingerprint" {
				s.err = ErrDigest
			}
		}
	}
	return false
}

func (s *Scanner) fail(index int, err, kind error) bool {
	if s.err == nil {
		if kind != nil {
			err = fmt.Errorf("%w (%v)", kind, err)
		}
		s.err = &SyntaxError{Index: index, Offset: s.base + int64(s.pos), Err: err}
	}
	s.state = stateDone
	return false
}

// skipRecord passes over the record at mark, which outgrew the size limit
// while value scanned it, and reports it through RecordErr; Next goes on
// with the next record. value stopped with the limit as the file's error:
// that error is withdrawn, and the record scanned again from its start by
// skipValue, which keeps none of it.
func (s *Scanner) skipRecord() bool {
	s.err, s.overLimit, s.state = nil, false, stateArray
	s.rec, s.srcStart, s.srcEnd = nil, -1, -1
	start := s.base + int64(s.mark)
	s.pos = s.mark
	done := s.skipValue(s.index)
	return s.skipped(start, s.base+int64(s.pos)-start, done)
}

// skipped reports the record of size bytes at offset start as skipped
// (whole, or cut short by the end of the input or a read error, which then
// is the file's error, met once the caller is done with this record).
func (s *Scanner) skipped(start, size int64, whole bool) bool {
	err := fmt.Errorf("%w: %d bytes, the limit is %d; skipped", ErrRecordTooLarge, size, s.max)
	if !whole {
		err = fmt.Errorf("%w: at least %d bytes, the limit is %d; skipped", ErrRecordTooLarge, size, s.max)
	}
	s.recErr = &SyntaxError{Index: s.index, Offset: start, Err: err}
	s.index++
	return true
}

// skipValue advances past the object or array at pos without keeping it:
// the bytes it has passed are released at every refill, so a value of any
// size costs one buffer. It finds where the value ends and no more:
// brackets are counted, not matched, since the value is dropped; a
// mismatch inside it shows as a syntax error after it, where the count
// runs out. It reports whether the value ended before the input did.
func (s *Scanner) skipValue(index int) bool {
	var k skipState
	for {
		n, done := k.scan(s.buf[s.pos:s.end])
		s.pos += n
		if done {
			return true
		}
		s.mark = s.pos
		if !s.fill() {
			return s.fail(index, errUnexpectedEOF, nil)
		}
	}
}

// skipState is where skipValue is in the value: its depth, and whether in
// a string and after a backslash there. It carries across refills, so no
// byte is kept for the next read.
type skipState struct {
	depth    int64
	inString bool
	escaped  bool
}

// scan walks b and returns the bytes it used and whether the value ended
// in them (just past its closing bracket).
func (k *skipState) scan(b []byte) (int, bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case k.escaped:
			k.escaped = false
		case k.inString:
			switch c {
			case '\\':
				k.escaped = true
			case '"':
				k.inString = false
			}
		default:
			switch c {
			case '"':
				k.inString = true
			case '{', '[':
				k.depth++
			case '}', ']':
				if k.depth--; k.depth == 0 {
					return i + 1, true
				}
			}
		}
	}
	return len(b), false
}

// readKey reads `"name" :` and returns name.
func (s *Scanner) readKey() (string, bool) {
	c, ok := s.peekNonSpace()
	if !ok {
		return "", s.fail(-1, errUnexpectedEOF, nil)
	}
	if c != '"' {
		return "", s.fail(-1, fmt.Errorf("want a member name, found %q", c), ErrNotCloudTrail)
	}
	start, end, ok := s.value(-1)
	if !ok {
		return "", false
	}
	key := string(s.buf[start+1 : end-1])
	c, ok = s.peekNonSpace()
	if !ok || c != ':' {
		return "", s.fail(-1, errors.New("want ':' after a member name"), nil)
	}
	s.pos++
	return key, true
}

// peekNonSpace skips white space and returns the next byte without
// consuming it; ok is false at the end of input or on a read error.
func (s *Scanner) peekNonSpace() (byte, bool) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		s.mark = s.pos
		if !s.fill() {
			return 0, false
		}
	}
}

func (s *Scanner) skipBOM() bool {
	for s.end-s.pos < 3 {
		s.mark = s.pos
		if !s.fill() {
			return false
		}
	}
	if !bytes.Equal(s.buf[s.pos:s.pos+3], []byte{0xEF, 0xBB, 0xBF}) {
		return false
	}
	s.pos += 3
	return true
}

// fill reads more input, keeping buf[mark:end]. It returns false at the end
// of input or on a read error (recorded in s.err).
func (s *Scanner) fill() bool {
	if s.eof {
		return false
	}
	s.makeRoom()
	if s.end >= s.max {
		// In a record (the bytes from mark on), Next skips the record
		// instead of ending the file.
		inRecord := s.state == stateArray
		s.fail(s.errIndex(), fmt.Errorf("%w (%d bytes)", ErrRecordTooLarge, s.max), nil)
		s.overLimit = inRecord
		return false
	}
	if s.readErr != nil {
		s.eof = true
		s.fail(s.errIndex(), fmt.Errorf("read: %w", s.readErr), nil)
		return false
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return n > 0
		}
		if err != nil {
			// Use what was read; report the error when more is needed.
			s.readErr = err
			if n > 0 {
				return true
			}
			s.eof = true
			s.fail(s.errIndex(), fmt.Errorf("read: %w", err), nil)
			return false
		}
		if n > 0 {
			return true
		}
	}
	s.fail(-1, io.ErrNoProgress, nil)
	return false
}

// makeRoom moves buf[mark:end] to the front of buf and, when that leaves
// no room, grows buf up to the size limit.
func (s *Scanner) makeRoom() {
	if s.mark > 0 {
		n := copy(s.buf, s.buf[s.mark:s.end])
		s.base += int64(s.mark)
		s.pos -= s.mark
		s.end = n
		s.mark = 0
	}
	if s.end == len(s.buf) && s.end < s.max {
		nb := make([]byte, min(2*len(s.buf), s.max))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
}

// errIndex is the record index to report for an error met now.
func (s *Scanner) errIndex() int {
	if s.state == stateArray {
		return s.index
	}
	return -1
}

// value scans one JSON value starting at the next non-space byte and returns
// its bounds in buf. index labels errors.
func (s *Scanner) value(index int) (start, end int, ok bool) {
	c, ok := s.peekNonSpace()
	if !ok {
		return 0, 0, s.fail(index, errUnexpectedEOF, nil)
	}
	s.mark = s.pos
	switch c {
	case '"':
		s.pos++
		if !s.skipString(index) {
			return 0, 0, false
		}
	case '{', '[':
		if useBlocks {
			if !s.skipNestedBlocks(index) {
				return 0, 0, false
			}
		} else if !s.skipNested(index) {
			return 0, 0, false
		}
	default:
		for {
			for s.pos < s.end {
				switch s.buf[s.pos] {
				case ',', '}', ']', ' ', '\t', '\n', '\r':
					goto done
				}
				s.pos++
			}
			if !s.fill() {
				if s.err != nil {
					return 0, 0, false
				}
				goto done
			}
		}
	done:
		if s.pos == s.mark {
			return 0, 0, s.fail(index, fmt.Errorf("unexpected %q", c), nil)
		}
	}
	return s.mark, s.pos, true
}

// skipString advances past the closing quote of a string whose opening quote
// has been consumed.
func (s *Scanner) skipString(index int) bool {
	for {
		p, ok := stringEnd(s.buf[:s.end], s.pos)
		s.pos = p
		if ok {
			return true
		}
		if !s.fill() {
			return s.fail(index, errUnexpectedEOF, nil)
		}
	}
}

// stringEnd returns the index just past the closing quote of a JSON string
// whose contents start at buf[p], or (q, false) when buf ends first, q being
// where to go on once more bytes are in (a trailing backslash is not
// consumed, so the byte it escapes is skipped with it).
func stringEnd(buf []byte, p int) (int, bool) {
	for {
		q := bytes.IndexByte(buf[p:], '"')
		if q < 0 {
			// Resume at a trailing run of backslashes, so an escape is
			// never split from the byte it escapes.
			e := len(buf)
			for e > p && buf[e-1] == '\\' {
				e--
			}
			return e, false
		}
		q += p
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for j := q - 1; j >= p && buf[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		p = q + 1
	}
}

// structural marks the bytes skipNested must look at outside strings.
var structural = [256]bool{'"': true, ',': true, '{': true, '}': true, '[': true, ']': true}

// bracketStack is the brackets open around a scan: whether each level is
// an object, as bits of one word for the innermost 64 levels (1 for an
// object), outer ones spilled onto a slice.
type bracketStack struct {
	objects uint64 // bit i: level depth-i is an object
	depth   int
}

// push opens a level with c, '{' or '['.
func (b *bracketStack) push(c byte, spill *[]byte) {
	if b.depth >= 64 {
		*spill = append(*spill, byte(b.objects>>63))
	}
	b.objects <<= 1
	if c == '{' {
		b.objects |= 1
	}
	b.depth++
}

// pop closes the innermost level with c, '}' or ']', and reports whether
// c matches it.
func (b *bracketStack) pop(c byte, spill *[]byte) bool {
	if b.depth == 0 || (b.objects&1 == 1) != (c == '}') {
		return false
	}
	b.objects >>= 1
	if b.depth > 64 {
		st := *spill
		b.objects |= uint64(st[len(st)-1]) << 63
		*spill = st[:len(st)-1]
	}
	b.depth--
	return true
}

// skipNested advances past an object or array, checking that brackets match.
// On the way it notes where the top-level "eventSource" value is (as offsets
// from mark, which fills keep stable), so callers can filter records
// without decoding them.
//
// This loop is where ingest spends most of its time after inflating, so it
// keeps its state in locals, the open brackets in a bracketStack
// (skipNestedBlocks replaces it where classify is vectorised).
func (s *Scanner) skipNested(index int) bool {
	s.stack = s.stack[:0]
	s.srcStart, s.srcEnd = -1, -1
	// At depth 1 of an object, a string after '{' or ',' is a member name;
	// after the name "eventSource", the next string is its value.
	expectKey, wantValue := false, false
	var open bracketStack
	// buf and p are local copies of s.buf[:s.end] and s.pos, stored back
	// before each fill (which may move the bytes) and reloaded after.
	buf, p := s.buf[:s.end], s.pos
	for {
		for p < len(buf) && !structural[buf[p]] {
			p++
		}
		if p >= len(buf) {
			s.pos = p
			if !s.fill() {
				return s.fail(index, errUnexpectedEOF, nil)
			}
			buf, p = s.buf[:s.end], s.pos
			continue
		}
		c := buf[p]
		p++
		switch c {
		case '"':
			// An offset from mark: a fill may move buf.
			startOff := p - s.mark
			for {
				q := bytes.IndexByte(buf[p:], '"')
				if q >= 0 {
					q += p
					if buf[q-1] != '\\' {
						p = q + 1
						break
					}
				}
				var ok bool
				if p, ok = stringEnd(buf, p); ok {
					break
				}
				s.pos = p
				if !s.fill() {
					return s.fail(index, errUnexpectedEOF, nil)
				}
				buf, p = s.buf[:s.end], s.pos
			}
			if open.depth == 1 {
				switch {
				case expectKey:
					expectKey = false
					wantValue = string(buf[s.mark+startOff:p-1]) == "eventSource"
				case wantValue:
					wantValue = false
					s.srcStart, s.srcEnd = startOff, p-1-s.mark
				}
			}
		case ',':
			if open.depth == 1 {
				expectKey, wantValue = true, false
			}
		case '{', '[':
			open.push(c, &s.stack)
			expectKey = open.depth == 1 && c == '{'
		case '}', ']':
			if !open.pop(c, &s.stack) {
				s.pos = p - 1
				return s.fail(index, fmt.Errorf("mismatched %q", c), nil)
			}
			switch open.depth {
			case 0:
				s.pos = p
				return true
			case 1:
				wantValue = false
			}
		}
	}
}
