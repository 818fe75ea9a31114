package cloudtrail

import (
	"encoding/json"
	"math/bits"
	"strings"
	"unicode/utf8"
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

// DecodeRecord decodes one record's JSON into rec, exactly as json.Unmarshal
// would, for the shapes CloudTrail writes. It makes one copy of raw and
// points every decoded string into it (strings with escapes aside), so a
// kept record's text costs one allocation instead of one per field, and it
// uses no reflection.
//
// It reports false, leaving rec in an unspecified state, for anything it does
// not handle just as encoding/json does: invalid JSON, a member name that is
// escaped, repeated, or matches a field only case-insensitively, a value of
// an unexpected type, nesting deeper than maxDepth. The caller
// then decodes with encoding/json, which names the problem; a test compares
// the two on every record it can find.
func DecodeRecord(raw []byte, rec *Record) bool {
	*rec = Record{}
	d := decoder{s: string(raw), limit: maxDepth}
	d.ws()
	if !d.record(rec) {
		return false
	}
	d.ws()
	return d.i == len(d.s)
}

// maxDepth bounds a record's nesting, well inside encoding/json's own
// limit: deeper records take the slow path, whose error names the problem.
// Members and Elements have no slow path, so they allow what encoding/json
// allows.
const (
	maxDepth     = 1000
	jsonMaxDepth = 10000
)

type decoder struct {
	s     string
	i     int
	depth int
	limit int // the deepest nesting accepted
	// objects holds the record's nested objects, allocated together on
	// first use.
	objects *nested
}

// nested is room for every object a record can nest, each used at most
// once (a repeated member takes the slow path): one allocation instead of
// one per object.
type nested struct {
	user     UserIdentity
	session  SessionContext
	issuer   SessionIssuer
	attrs    SessionAttributes
	onBehalf OnBehalfOf
	readOnly bool
	mgmt     bool
}

func (d *decoder) nested() *nested {
	if d.objects == nil {
		d.objects = new(nested)
	}
	return d.objects
}

var recordNames = []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName",
	"awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters",
	"responseElements", "additionalEventData", "serviceEventDetails", "requestID", "eventID",
	"readOnly", "resources", "eventType", "managementEvent", "recipientAccountId", "sharedEventID",
	"vpcEndpointId", "eventCategory", "sessionCredentialFromConsole"}

func (d *decoder) record(r *Record) bool {
	var seen uint64
	return d.object(func(key string) bool {
		switch key {
		case "eventVersion":
			return once(&seen, 0) && d.str(&r.EventVersion)
		case "userIdentity":
			return once(&seen, 1) && into(d, &r.UserIdentity, &d.nested().user, d.userIdentity)
		case "eventTime":
			return once(&seen, 2) && d.str(&r.EventTime)
		case "eventSource":
			return once(&seen, 3) && d.str(&r.EventSource)
		case "eventName":
			return once(&seen, 4) && d.str(&r.EventName)
		case "awsRegion":
			return once(&seen, 5) && d.str(&r.AWSRegion)
		case "sourceIPAddress":
			return once(&seen, 6) && d.str(&r.SourceIPAddress)
		case "userAgent":
			return once(&seen, 7) && d.str(&r.UserAgent)
		case "errorCode":
			return once(&seen, 8) && d.str(&r.ErrorCode)
		case "errorMessage":
			return once(&seen, 9) && d.str(&r.ErrorMessage)
		case "requestParameters":
			return once(&seen, 10) && d.raw(&r.RequestParameters)
		case "responseElements":
			return once(&seen, 11) && d.raw(&r.ResponseElements)
		case "additionalEventData":
			return once(&seen, 12) && d.raw(&r.AdditionalEventData)
		case "serviceEventDetails":
			return once(&seen, 13) && d.raw(&r.ServiceEventDetails)
		case "requestID":
			return once(&seen, 14) && d.str(&r.RequestID)
		case "eventID":
			return once(&seen, 15) && d.str(&r.EventID)
		case "readOnly":
			return once(&seen, 16) && d.boolPtr(&r.ReadOnly, &d.nested().readOnly)
		case "resources":
			return once(&seen, 17) && d.resources(&r.Resources)
		case "eventType":
			return once(&seen, 18) && d.str(&r.EventType)
		case "managementEvent":
			return once(&seen, 19) && d.boolPtr(&r.ManagementEvent, &d.nested().mgmt)
		case "recipientAccountId":
			return once(&seen, 20) && d.str(&r.RecipientAccountID)
		case "sharedEventID":
			return once(&seen, 21) && d.str(&r.SharedEventID)
		case "vpcEndpointId":
			return once(&seen, 22) && d.str(&r.VPCEndpointID)
		case "eventCategory":
			return once(&seen, 23) && d.str(&r.EventCategory)
		case "sessionCredentialFromConsole":
			return once(&seen, 24) && d.str(&r.SessionCredentialFromConsole)
		}
		return d.unknown(key, recordNames)
	})
}

var userIdentityNames = []string{"type", "principalId", "arn", "accountId", "accessKeyId",
	"userName", "invokedBy", "identityProvider", "sessionContext", "onBehalfOf"}

func (d *decoder) userIdentity(u *UserIdentity) bool {
	var seen uint64
	return d.object(func(key string) bool {
		switch key {
		case "type":
			return once(&seen, 0) && d.str(&u.Type)
		case "principalId":
			return once(&seen, 1) && d.str(&u.PrincipalID)
		case "arn":
			return once(&seen, 2) && d.str(&u.ARN)
		case "accountId":
			return once(&seen, 3) && d.str(&u.AccountID)
		case "accessKeyId":
			return once(&seen, 4) && d.str(&u.AccessKeyID)
		case "userName":
			return once(&seen, 5) && d.str(&u.UserName)
		case "invokedBy":
			return once(&seen, 6) && d.str(&u.InvokedBy)
		case "identityProvider":
			return once(&seen, 7) && d.str(&u.IdentityProvider)
		case "sessionContext":
			return once(&seen, 8) && into(d, &u.SessionContext, &d.nested().session, d.sessionContext)
		case "onBehalfOf":
			return once(&seen, 9) && into(d, &u.OnBehalfOf, &d.nested().onBehalf, d.onBehalfOf)
		}
		return d.unknown(key, userIdentityNames)
	})
}

var sessionContextNames = []string{"sessionIssuer", "attributes", "sourceIdentity"}

func (d *decoder) sessionContext(c *SessionContext) bool {
	var seen uint64
	return d.object(func(key string) bool {
		switch key {
		case "sessionIssuer":
			return once(&seen, 0) && into(d, &c.SessionIssuer, &d.nested().issuer, d.sessionIssuer)
		case "attributes":
			return once(&seen, 1) && into(d, &c.Attributes, &d.nested().attrs, d.attributes)
		case "sourceIdentity":
			return once(&seen, 2) && d.str(&c.SourceIdentity)
		}
		return d.unknown(key, sessionContextNames)
	})
}

var (
	attributesNames    = []string{"creationDate", "mfaAuthenticated"}
	sessionIssuerNames = []string{"type", "principalId", "arn", "accountId", "userName"}
	onBehalfOfNames    = []string{"userId", "identityStoreArn"}
	resourceNames      = []string{"ARN", "arn", "aRN", "accountId", "type"}
)

func (d *decoder) attributes(a *SessionAttributes) bool {
	return d.stringFields(attributesNames, &a.CreationDate, &a.MFAAuthenticated)
}

func (d *decoder) sessionIssuer(s *SessionIssuer) bool {
	return d.stringFields(sessionIssuerNames, &s.Type, &s.PrincipalID, &s.ARN, &s.AccountID, &s.UserName)
}

func (d *decoder) onBehalfOf(o *OnBehalfOf) bool {
	return d.stringFields(onBehalfOfNames, &o.UserID, &o.IdentityStoreARN)
}

func (d *decoder) resource(r *Resource) bool {
	return d.stringFields(resourceNames, &r.ARN, &r.ARNLower, &r.ARNOdd, &r.AccountID, &r.Type)
}

// stringFields decodes an object whose fields are all strings: the member
// named names[i] goes to fields[i].
func (d *decoder) stringFields(names []string, fields ...*string) bool {
	var seen uint64
	return d.object(func(key string) bool {
		for i, n := range names {
			if key == n {
				return once(&seen, uint(i)) && d.str(fields[i])
			}
		}
		return d.unknown(key, names)
	})
}

// resources decodes an array of objects; JSON null leaves a nil slice and
// [] an empty one, as encoding/json does.
func (d *decoder) resources(p *[]Resource) bool {
	if d.literal("null") {
		*p = nil
		return true
	}
	rs := []Resource{}
	if !d.elements(func() bool {
		rs = append(rs, Resource{})
		return d.literal("null") || d.resource(&rs[len(rs)-1])
	}) {
		return false
	}
	*p = rs
	return true
}

// unquote decodes a JSON string literal with escapes, or that is not
// UTF-8, by encoding/json's rules.
func unquote(quoted string) (string, bool) {
	var s string
	err := json.Unmarshal([]byte(quoted), &s)
	return s, err == nil
}

// once records that member n was seen and reports whether it is the first
// time: encoding/json merges repeated objects into one, which the fast path
// leaves to it.
func once(seen *uint64, n uint) bool {
	if *seen&(1<<n) != 0 {
		return false
	}
	*seen |= 1 << n
	return true
}

// into decodes an object into *v and points *p at it (JSON null leaves *p
// nil).
func into[T any](d *decoder, p **T, v *T, decode func(*T) bool) bool {
	if d.literal("null") {
		*p = nil
		return true
	}
	if !decode(v) {
		return false
	}
	*p = v
	return true
}

// unknown skips the value of a member the struct has no field for, unless
// encoding/json would match it to a field case-insensitively.
func (d *decoder) unknown(key string, names []string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false // Unicode folding (K, ſ) is encoding/json's to do
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return false
		}
	}
	return d.skip()
}

// Members calls member with the name and the JSON text of the value of
// each member of the JSON object text, in order, as encoding/json would
// see them: names with escapes decoded, a repeated name given each time.
// It reports whether text is one valid JSON object; for one that is not,
// member may have been called for the members before the fault.
//
// It is how ingest picks the few fields it needs out of request
// parameters and response elements, whose shapes vary by call, without
// decoding the rest.
func Members(text RawJSON, member func(name string, value RawJSON)) bool {
	d := decoder{s: string(text), limit: jsonMaxDepth}
	d.ws()
	ok := d.members(true, func(name string) bool {
		v, ok := d.valueText()
		if ok {
			member(name, v)
		}
		return ok
	})
	d.ws()
	return ok && d.i == len(d.s)
}

// Elements calls element with the JSON text of each value of the JSON
// array text, in order. It reports whether text is one valid JSON array.
func Elements(text RawJSON, element func(value RawJSON)) bool {
	d := decoder{s: string(text), limit: jsonMaxDepth}
	d.ws()
	ok := d.elements(func() bool {
		v, ok := d.valueText()
		if ok {
			element(v)
		}
		return ok
	})
	d.ws()
	return ok && d.i == len(d.s)
}

// StringValue returns the string that value, a JSON value's text, holds,
// with escapes decoded; ok is false for any other value, null included.
func StringValue(value RawJSON) (string, bool) {
	d := decoder{s: string(value)}
	var s string
	if !strings.HasPrefix(d.s, `"`) || !d.str(&s) || d.i != len(d.s) {
		return "", false
	}
	return s, true
}

// object reads an object, calling member for each member name with the
// decoder at its value.
func (d *decoder) object(member func(key string) bool) bool {
	return d.members(false, member)
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

func (d *decoder) boolPtr(p **bool, v *bool) bool {
	switch {
	case d.literal("null"):
		*p = nil
		return true
	case d.literal("true"):
		*v = true
	case d.literal("false"):
		*v = false
	default:
		return false
	}
	*p = v
	return true
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
		return d.array()
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

func (d *decoder) array() bool { return d.elements(d.skip) }

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
