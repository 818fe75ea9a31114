package cloudtrail

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// A Decoder decodes JSON into a T as encoding/json would, by a table of
// T's fields that NewDecoder derives once, by reflection, from the json
// tags: the struct is the one description of its JSON, so a field added
// to it is decoded with no other edit. Decoding follows the table with
// field offsets and uses no reflection, except to grow a slice or to call
// an UnmarshalJSON method.
//
// It is keytrail's one JSON fast path: records (DecodeRecord), the fields
// ingest picks out of request parameters (Merge), detect's aggregates.
type Decoder[T any] struct{ tab table }

// NewDecoder derives T's table. It panics if T holds a type encoding/json
// would decode in a way the table does not follow (maps, interfaces,
// floats, []byte, embedded structs, the ",string" option, a
// TextUnmarshaler): Decoders are package variables, so any test of the
// package that declares one finds the fault.
func NewDecoder[T any]() *Decoder[T] {
	tab, err := newTable(reflect.TypeFor[T]())
	if err != nil {
		panic("cloudtrail.NewDecoder: " + err.Error())
	}
	return &Decoder[T]{tab}
}

// Decode decodes raw into *v, exactly as json.Unmarshal would into a zero
// T, for the JSON it takes. It makes one copy of raw and points every
// decoded string into it (strings with escapes aside), and allocates the
// objects v points to together, so a kept value costs a few allocations
// instead of one per field.
//
// It reports false, leaving *v in an unspecified state, for anything whose
// decoding takes encoding/json's judgement: invalid JSON, a member name
// that is escaped, repeated, or matches a field only case-insensitively, a
// value of an unexpected type, nesting deeper than maxDepth, an
// UnmarshalJSON error. The caller then decodes with encoding/json, which
// names the problem or decodes around it.
func (dec *Decoder[T]) Decode(raw []byte, v *T) bool {
	var zero T
	*v = zero
	return dec.tab.decode(string(raw), unsafe.Pointer(v), false)
}

// DecodeString is Decode of JSON text already in a string, which the
// decoded strings point into instead of a copy: for a large value read
// once, whose text would otherwise be held twice.
func (dec *Decoder[T]) DecodeString(text string, v *T) bool {
	var zero T
	*v = zero
	return dec.tab.decode(text, unsafe.Pointer(v), false)
}

// Merge decodes the JSON text into *v as json.Unmarshal would, type errors
// aside: into what *v holds, a member name matching a field exactly else
// ignoring case, a repeated member's last value winning, null leaving a
// string as it was, a value of another type skipped and the rest still
// read. It reports whether text is one valid JSON value; for one that is
// not, *v may hold the members before the fault.
//
// It is how ingest picks the few fields it needs out of request
// parameters and response elements, whose shapes vary by call, without
// decoding the rest. It allocates only what *v newly points to.
func (dec *Decoder[T]) Merge(text RawJSON, v *T) bool {
	return dec.tab.decode(string(text), unsafe.Pointer(v), true)
}

// table is how to decode one type.
type table struct {
	t     *typeInfo
	arena reflect.Type // room for the pointers Decode sets; nil for none
}

func newTable(t reflect.Type) (table, error) {
	var b builder
	ti, err := b.info(t, true)
	if err != nil {
		return table{}, fmt.Errorf("%v: %w", t, err)
	}
	tab := table{t: ti}
	if len(b.slots) > 0 {
		tab.arena = reflect.StructOf(b.slots)
		for i, p := range b.slotted {
			p.slot = tab.arena.Field(i).Offset
		}
	}
	return tab, nil
}

// decode decodes s into the zero value or (merge) the value at p.
func (tab table) decode(s string, p unsafe.Pointer, merge bool) bool {
	d := decoder{s: s, limit: maxDepth, merge: merge}
	if merge {
		d.limit = jsonMaxDepth
	} else {
		d.arenaType = tab.arena
	}
	d.ws()
	if !d.value(tab.t, p) {
		return false
	}
	d.ws()
	return d.i == len(d.s)
}

type kind uint8

const (
	kString kind = iota + 1
	kRaw         // RawJSON: the value's text
	kBool
	kInt
	kUint
	kPtr
	kStruct
	kSlice
	kArray
	kUnmarshaler // a json.Unmarshaler other than RawJSON
)

// typeInfo is how to decode one type at one place in a Decoder's type: a
// pointer type at two places has two, each with its own slot.
type typeInfo struct {
	kind kind
	typ  reflect.Type
	size uintptr
	elem *typeInfo // kPtr, kSlice, kArray
	len  int       // kArray

	// kPtr: whether Decode points it into its arena, and where.
	inArena bool
	slot    uintptr

	// kStruct: the fields in order, and by the length of their names.
	fields    []field
	byLen     [][]*field
	asciiOnly bool // all names ASCII
}

type field struct {
	name   string
	offset uintptr
	index  int // in fields: its bit in Decode's set of members seen
	info   *typeInfo
}

var (
	rawJSONType         = reflect.TypeFor[RawJSON]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// builder derives a typeInfo tree, collecting the arena's slots: one for
// each pointer that Decode sets at most once per value (not inside a slice
// or an array, whose elements are many).
type builder struct {
	slots   []reflect.StructField
	slotted []*typeInfo
	open    []reflect.Type // the types being derived, to refuse recursion
}

func (b *builder) info(t reflect.Type, once bool) (*typeInfo, error) {
	for _, o := range b.open {
		if o == t {
			return nil, fmt.Errorf("%v: recursive type", t)
		}
	}
	b.open = append(b.open, t)
	defer func() { b.open = b.open[:len(b.open)-1] }()

	ti := &typeInfo{typ: t, size: t.Size()}
	switch {
	case t == rawJSONType:
		ti.kind = kRaw
		return ti, nil
	case t.Kind() == reflect.Pointer:
	case reflect.PointerTo(t).Implements(unmarshalerType):
		ti.kind = kUnmarshaler
		return ti, nil
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		return nil, fmt.Errorf("%v: TextUnmarshaler", t)
	}
	var err error
	switch t.Kind() {
	case reflect.String:
		ti.kind = kString
	case reflect.Bool:
		ti.kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		ti.kind = kInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ti.kind = kUint
	case reflect.Pointer:
		ti.kind = kPtr
		if ti.elem, err = b.info(t.Elem(), once); err == nil && once {
			ti.inArena = true
			b.slots = append(b.slots, reflect.StructField{Name: fmt.Sprintf("P%d", len(b.slots)), Type: t.Elem()})
			b.slotted = append(b.slotted, ti)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, fmt.Errorf("%v: encoding/json decodes it from base64", t)
		}
		ti.kind = kSlice
		ti.elem, err = b.info(t.Elem(), false)
	case reflect.Array:
		ti.kind, ti.len = kArray, t.Len()
		ti.elem, err = b.info(t.Elem(), false)
	case reflect.Struct:
		ti.kind = kStruct
		err = b.fields(ti, once)
	default:
		return nil, fmt.Errorf("%v: kind %v not decoded", t, t.Kind())
	}
	if err != nil {
		return nil, err
	}
	return ti, nil
}

// fields derives a struct's fields as encoding/json names them: the json
// tag's name, else the Go name; "-" and unexported fields are not decoded.
func (b *builder) fields(ti *typeInfo, once bool) error {
	t := ti.typ
	names := map[string]bool{}
	ti.asciiOnly = true
	maxLen := 0
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		switch {
		case tag == "-":
			continue
		case sf.Anonymous:
			return fmt.Errorf("%v.%s: embedded field", t, sf.Name)
		case !sf.IsExported():
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		for opts != "" {
			var opt string
			opt, opts, _ = strings.Cut(opts, ",")
			if opt == "string" {
				return fmt.Errorf("%v.%s: the \",string\" option", t, sf.Name)
			}
		}
		if name == "" {
			name = sf.Name
		}
		if strings.ContainsAny(name, "\"\\") || !utf8.ValidString(name) {
			return fmt.Errorf("%v.%s: json name %q", t, sf.Name, name)
		}
		if names[name] {
			return fmt.Errorf("%v: two fields named %q", t, name)
		}
		names[name] = true
		fi, err := b.info(sf.Type, once)
		if err != nil {
			return fmt.Errorf("%v.%s: %w", t, sf.Name, err)
		}
		ti.fields = append(ti.fields, field{name: name, offset: sf.Offset, index: len(ti.fields), info: fi})
		maxLen = max(maxLen, len(name))
		ti.asciiOnly = ti.asciiOnly && isASCII(name)
	}
	ti.byLen = make([][]*field, maxLen+1)
	for i := range ti.fields {
		f := &ti.fields[i]
		ti.byLen[len(f.name)] = append(ti.byLen[len(f.name)], f)
	}
	return nil
}

// field returns the field a member name selects, as encoding/json
// chooses: the one so named, else the first whose name equals it ignoring
// case (bytes.EqualFold, which is encoding/json's rule); exact reports
// which.
func (ti *typeInfo) field(key string) (f *field, exact bool) {
	var same []*field
	if len(key) < len(ti.byLen) {
		same = ti.byLen[len(key)]
		for _, f := range same {
			if f.name == key {
				return f, true
			}
		}
	}
	if ti.asciiOnly && isASCII(key) {
		// ASCII folds only to ASCII of the same length.
		for _, f := range same {
			if strings.EqualFold(key, f.name) {
				return f, false
			}
		}
		return nil, false
	}
	for i := range ti.fields {
		if strings.EqualFold(key, ti.fields[i].name) {
			return &ti.fields[i], false
		}
	}
	return nil, false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// value decodes the value at d.i into the t at p.
func (d *decoder) value(t *typeInfo, p unsafe.Pointer) bool {
	if d.i >= len(d.s) {
		return false
	}
	c := d.s[d.i]
	if c == 'n' && t.kind != kRaw && t.kind != kUnmarshaler {
		if !d.literal("null") {
			return false
		}
		// As encoding/json does: null clears a pointer or a slice and
		// leaves anything else.
		switch t.kind {
		case kPtr:
			*(*unsafe.Pointer)(p) = nil
		case kSlice:
			*(*sliceHeader)(p) = sliceHeader{}
		}
		return true
	}
	switch t.kind {
	case kString:
		if c == '"' {
			return d.str((*string)(p))
		}
	case kRaw:
		return d.raw((*RawJSON)(p))
	case kBool:
		switch {
		case d.literal("true"):
			*(*bool)(p) = true
			return true
		case d.literal("false"):
			*(*bool)(p) = false
			return true
		}
	case kInt, kUint:
		if c == '-' || '0' <= c && c <= '9' {
			return d.integer(t, p)
		}
	case kPtr:
		return d.value(t.elem, d.pointer(t, p))
	case kStruct:
		if c == '{' {
			return d.fields(t, p)
		}
	case kSlice:
		if c == '[' {
			return d.slice(t, p)
		}
	case kArray:
		if c == '[' {
			return d.array(t, p)
		}
	case kUnmarshaler:
		v, ok := d.valueText()
		return ok && reflect.NewAt(t.typ, p).Interface().(json.Unmarshaler).UnmarshalJSON([]byte(v)) == nil
	}
	// A value of another type: encoding/json's type error, which Merge
	// passes over as it does.
	return d.merge && d.skip()
}

// fields decodes an object into the struct at p.
func (d *decoder) fields(t *typeInfo, p unsafe.Pointer) bool {
	// The members seen, for Decode to leave a repeat to encoding/json
	// (which merges repeated objects).
	var word [1]uint64
	seen := word[:]
	if n := len(t.fields); n > 64 && !d.merge {
		seen = make([]uint64, (n+63)/64)
	}
	return d.members(d.merge, func(key string) bool {
		f, exact := t.field(key)
		switch {
		case f == nil:
			return d.skip()
		case !d.merge:
			w, bit := &seen[f.index/64], uint64(1)<<(f.index%64)
			if !exact || *w&bit != 0 {
				return false
			}
			*w |= bit
		}
		return d.value(f.info, unsafe.Add(p, f.offset))
	})
}

// pointer returns what the pointer at p points to, pointing it first at a
// new value if it is nil, as encoding/json does whatever the JSON value.
func (d *decoder) pointer(t *typeInfo, p unsafe.Pointer) unsafe.Pointer {
	q := *(*unsafe.Pointer)(p)
	if q != nil {
		return q
	}
	switch {
	case t.inArena && !d.merge:
		if d.arena == nil {
			d.arena = reflect.New(d.arenaType).UnsafePointer()
		}
		q = unsafe.Add(d.arena, t.slot)
	default:
		q = reflect.New(t.elem.typ).UnsafePointer()
	}
	*(*unsafe.Pointer)(p) = q
	return q
}

// sliceHeader is a slice's layout.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// emptyArray is where an empty (not nil) slice points.
var emptyArray [0]uint64

// slice decodes an array into the slice at p as encoding/json does: into
// the elements it has, growing it as needed, and truncating it to the
// array's length; [] makes an empty slice.
func (d *decoder) slice(t *typeInfo, p unsafe.Pointer) bool {
	h := (*sliceHeader)(p)
	i := 0
	if !d.elements(func() bool {
		if i >= h.cap {
			reflect.NewAt(t.typ, p).Elem().Grow(max(h.cap, 1))
		}
		if i >= h.len {
			h.len = i + 1
		}
		i++
		return d.value(t.elem, unsafe.Add(h.data, uintptr(i-1)*t.elem.size))
	}) {
		return false
	}
	if i < h.len {
		h.len = i
	}
	if i == 0 {
		*h = sliceHeader{data: unsafe.Pointer(&emptyArray)}
	}
	return true
}

// array decodes an array into the array at p as encoding/json does:
// elements beyond its length are skipped, those the JSON lacks zeroed.
func (d *decoder) array(t *typeInfo, p unsafe.Pointer) bool {
	i := 0
	if !d.elements(func() bool {
		i++
		if i > t.len {
			return d.skip()
		}
		return d.value(t.elem, unsafe.Add(p, uintptr(i-1)*t.elem.size))
	}) {
		return false
	}
	for ; i < t.len; i++ {
		reflect.NewAt(t.elem.typ, unsafe.Add(p, uintptr(i)*t.elem.size)).Elem().SetZero()
	}
	return true
}

// integer decodes a number into the integer at p; one that is not an
// integer of its size is encoding/json's type error.
func (d *decoder) integer(t *typeInfo, p unsafe.Pointer) bool {
	start := d.i
	if !d.number() {
		return false
	}
	text := d.s[start:d.i]
	bits := int(t.size) * 8
	n, small := smallUint(text)
	switch {
	case small && t.kind == kUint && (bits == 64 || n < 1<<bits):
	case small && t.kind == kInt && n < 1<<(bits-1):
	case t.kind == kInt:
		v, err := strconv.ParseInt(text, 10, bits)
		if err != nil {
			return d.merge
		}
		n = uint64(v)
	default:
		v, err := strconv.ParseUint(text, 10, bits)
		if err != nil {
			return d.merge
		}
		n = v
	}
	switch t.size {
	case 1:
		*(*uint8)(p) = uint8(n)
	case 2:
		*(*uint16)(p) = uint16(n)
	case 4:
		*(*uint32)(p) = uint32(n)
	default:
		*(*uint64)(p) = n
	}
	return true
}

// smallUint parses a number of at most 18 digits and nothing else, the
// counts and hours that make up most integers, without strconv's checks.
func smallUint(text string) (n uint64, ok bool) {
	if len(text) > 18 {
		return 0, false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
