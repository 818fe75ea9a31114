package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// kinds holds every kind of field a Decoder decodes, for the comparisons
// with encoding/json that Record's fields do not reach: integers of each
// size, arrays, slices of structs, a json.Unmarshaler.
type kinds struct {
	S     string            `json:"s"`
	B     bool              `json:"b"`
	PB    *bool             `json:"pb"`
	I     int               `json:"i"`
	I8    int8              `json:"i8"`
	I16   int16             `json:"i16"`
	I32   int32             `json:"i32"`
	U     uint              `json:"u"`
	U8    uint8             `json:"u8"`
	U16   uint16            `json:"u16"`
	U32   uint32            `json:"u32"`
	U64   uint64            `json:"u64"`
	Hours [3]uint32         `json:"h"`
	List  []string          `json:"list"`
	Items []kindsItem       `json:"items"`
	Sub   *kindsItem        `json:"sub"`
	Raw   RawJSON           `json:"raw"`
	T     time.Time         `json:"t"`
	PT    *time.Time        `json:"pt"`
	Grid  [2][2]int         `json:"grid"`
	Untag string            // named by its Go name
	Skip  string            `json:"-"`
	Opt   string            `json:"opt,omitempty"`
	Same  map[string]string `json:"-"` // not decoded, so not refused
}

type kindsItem struct {
	A  string   `json:"a"`
	PA *string  `json:"pa"` // a pointer in a slice element: its own allocation
	N  []int    `json:"n"`
	X  *kindsIt `json:"x"`
}

type kindsIt struct {
	V uint16 `json:"v"`
}

var kindsJSON = NewDecoder[kinds]()

var kindsCases = []struct {
	name  string
	input string
	fast  bool // whether Decode must take it
}{
	{"all", `{"s":"x","b":true,"pb":false,"i":-9223372036854775808,"i8":-128,"i16":32767,"i32":-5,` +
		`"u":18446744073709551615,"u8":255,"u16":65535,"u32":4294967295,"u64":0,"h":[1,2,3],` +
		`"list":["a","b\u00e9"],"items":[{"a":"1","pa":"p","n":[1,-2],"x":{"v":7}},null,{}],` +
		`"sub":{"a":"s","x":null},"raw":{"k":[1]},"t":"2026-06-01T00:00:00.5+02:00","pt":"2026-06-01T00:00:00Z",` +
		`"grid":[[1,2],[3,4]],"Untag":"u","-":"not Skip","opt":"o","Same":{"a":"b"}}`, true},
	{"nulls", `{"s":null,"pb":null,"i":null,"h":null,"list":null,"items":null,"sub":null,"raw":null,"t":null,"pt":null}`, true},
	{"empty arrays", `{"h":[],"list":[],"items":[],"grid":[[]]}`, true},
	{"short and long arrays", `{"h":[1],"grid":[[1,2,3],[4],[5,6]]}`, true},
	{"many items", `{"items":[` + strings.Repeat(`{"a":"x","n":[1,2,3]},`, 40) + `{"a":"last"}]}`, true},
	{"minus zero", `{"i":-0,"i8":-0}`, true},
	{"leading zeros", `{"u32":0000}`, false},
	{"long integers", `{"i":999999999999999999,"u64":9999999999999999999,"i32":-2147483648}`, true},
	{"overflow", `{"i8":128}`, false},
	{"unsigned 32-bit overflow", `{"u32":4294967296}`, false},
	{"16-bit overflow", `{"i16":32768}`, false},
	{"negative unsigned", `{"u":-1}`, false},
	{"unsigned overflow", `{"u64":18446744073709551616}`, false},
	{"fraction", `{"i":1.5}`, false},
	{"exponent", `{"i":1e2}`, false},
	{"string for int", `{"i":"1"}`, false},
	{"number for bool", `{"b":1}`, false},
	{"object for array", `{"h":{}}`, false},
	{"string for slice", `{"list":"a"}`, false},
	{"bad element", `{"list":["a",1]}`, false},
	{"bad time", `{"t":"yesterday"}`, false},
	{"number for time", `{"pt":1}`, false},
	{"case-folded Go name", `{"untag":"u"}`, false},
	{"repeated", `{"items":[],"items":[{}]}`, false},
	{"repeated in an element", `{"items":[{"a":"1","a":"2"}]}`, false},
	{"invalid", `{"h":[1,]}`, false},
	{"top-level array", `[1]`, false},
	{"top-level null", `null`, true},
}

// sameKinds holds Decode and Merge to encoding/json on one input: when
// Decode says yes, json.Unmarshal decodes the same without error; Merge
// on valid JSON is json.Unmarshal with its type errors passed over, into
// a zero value and into one that already holds values.
func sameKinds(t *testing.T, input string) (fast bool) {
	t.Helper()
	var got, want kinds
	fast = kindsJSON.Decode([]byte(input), &got)
	err := json.Unmarshal([]byte(input), &want)
	if fast {
		if err != nil {
			t.Fatalf("Decode accepted %s, which encoding/json rejects: %v", input, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode decoded %s as\n%+v\nencoding/json as\n%+v", input, got, want)
		}
	}
	if !json.Valid([]byte(input)) {
		return fast
	}
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return fast // an error encoding/json stops at (UnmarshalJSON's)
	}
	for _, prefill := range []string{`{}`, `{"s":"old","pb":true,"i":3,"h":[9,9,9],"list":["p","q","r"],` +
		`"items":[{"a":"old","n":[7,7]},{"a":"two"}],"sub":{"a":"old"},"raw":1,"pt":"2000-01-01T00:00:00Z"}`} {
		var got, want kinds
		json.Unmarshal([]byte(prefill), &got)
		json.Unmarshal([]byte(prefill), &want)
		json.Unmarshal([]byte(input), &want)
		if !kindsJSON.Merge(RawJSON(input), &got) {
			t.Fatalf("Merge refused %s, valid JSON", input)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Merge of %s into %s gave\n%+v\nencoding/json\n%+v", input, prefill, got, want)
		}
	}
	return fast
}

func TestDecoderMatchesEncodingJSON(t *testing.T) {
	for _, tc := range kindsCases {
		t.Run(tc.name, func(t *testing.T) {
			if fast := sameKinds(t, tc.input); fast != tc.fast {
				t.Fatalf("Decode took it: %v, want %v", fast, tc.fast)
			}
		})
	}
}

func FuzzDecoder(f *testing.F) {
	for _, tc := range kindsCases {
		f.Add(tc.input)
	}
	f.Fuzz(func(t *testing.T, input string) {
		sameKinds(t, input)
	})
}

// TestDecoderWideStruct decodes a struct of more fields than one word of
// the set of members seen holds: each is found, and a repeat of one past
// the 64th is still left to encoding/json.
func TestDecoderWideStruct(t *testing.T) {
	var fields []reflect.StructField
	var members []string
	for i := range 70 {
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("F%02d", i), Type: reflect.TypeFor[string](),
			Tag: reflect.StructTag(fmt.Sprintf(`json:"f%02d"`, i)),
		})
		members = append(members, fmt.Sprintf(`"f%02d":"v%d"`, i, i))
	}
	typ := reflect.StructOf(fields)
	tab, err := newTable(typ)
	if err != nil {
		t.Fatal(err)
	}
	decode := func(input string) (reflect.Value, bool) {
		v := reflect.New(typ)
		return v.Elem(), tab.decode(input, v.UnsafePointer(), false)
	}
	got, ok := decode("{" + strings.Join(members, ",") + "}")
	if !ok {
		t.Fatal("Decode refused 70 distinct members")
	}
	for i := range 70 {
		if s := got.Field(i).String(); s != fmt.Sprintf("v%d", i) {
			t.Errorf("field %d = %q", i, s)
		}
	}
	if _, ok := decode(`{"f66":"a","f01":"b","f66":"c"}`); ok {
		t.Error("Decode took a repeat of the 67th field")
	}
}

// TestNewDecoderRefuses checks that a type encoding/json decodes in a way
// the table does not follow is refused when the table is derived, not
// decoded wrongly.
func TestNewDecoderRefuses(t *testing.T) {
	type embedded struct{ A string }
	type recursive struct {
		Next *recursive `json:"next"`
	}
	for _, tc := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[struct{ M map[string]string }](), "kind map"},
		{reflect.TypeFor[struct{ X any }](), "kind interface"},
		{reflect.TypeFor[struct{ F float64 }](), "kind float64"},
		{reflect.TypeFor[struct{ B []byte }](), "base64"},
		{reflect.TypeFor[struct{ embedded }](), "embedded"},
		{reflect.TypeFor[struct {
			N int `json:"n,omitempty,string"`
		}](), `",string"`},
		{reflect.TypeFor[struct{ T textOnly }](), "TextUnmarshaler"},
		{reflect.TypeFor[recursive](), "recursive"},
		{reflect.StructOf([]reflect.StructField{ // go vet refuses it as source
			{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"a"`},
			{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"a"`},
		}), `two fields named "a"`},
		{reflect.StructOf([]reflect.StructField{ // staticcheck refuses the tag as source
			{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"a\"b"`},
		}), "json name"},
	} {
		_, err := newTable(tc.typ)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("newTable(%v): %v, want an error about %s", tc.typ, err, tc.want)
		}
	}
}

type textOnly struct{ s string }

func (x *textOnly) UnmarshalText(b []byte) error { x.s = string(b); return nil }

// TestDecodeArena checks that the pointers Decode sets outside slices
// share one allocation and those inside slices do not share it.
func TestDecodeArena(t *testing.T) {
	var v kinds
	input := []byte(`{"pb":true,"sub":{"x":{"v":1}},"pt":"2026-06-01T00:00:00Z","items":[{"pa":"a"},{"pa":"b"}]}`)
	if !kindsJSON.Decode(input, &v) {
		t.Fatal("slow path")
	}
	arena := uintptr(unsafe.Pointer(v.PB))
	size := kindsJSON.tab.arena.Size()
	for name, p := range map[string]unsafe.Pointer{
		"sub": unsafe.Pointer(v.Sub), "sub.x": unsafe.Pointer(v.Sub.X), "pt": unsafe.Pointer(v.PT),
	} {
		if a := uintptr(p); a < arena-size || a >= arena+size {
			t.Errorf("%s at %#x, not in the arena beside pb (%#x, %d bytes)", name, a, arena, size)
		}
	}
	if v.Items[0].PA == v.Items[1].PA || *v.Items[0].PA != "a" || *v.Items[1].PA != "b" {
		t.Errorf("items share a pointer: %v %v", v.Items[0].PA, v.Items[1].PA)
	}
	small := []byte(`{"pb":true,"sub":{"x":{"v":1}}}`)
	if n := testing.AllocsPerRun(50, func() { kindsJSON.Decode(small, &v) }); n > 2 {
		t.Errorf("Decode: %v allocations, want 2 (the text and the arena)", n)
	}
}
