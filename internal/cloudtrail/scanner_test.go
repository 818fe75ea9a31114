package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func scanAll(t testing.TB, input string, bufSize int) ([]string, error) {
	t.Helper()
	var r io.Reader = strings.NewReader(input)
	if bufSize > 0 {
		r = iotest.OneByteReader(r)
	}
	s := NewScanner(r)
	var recs []string
	for s.Next() {
		recs = append(recs, string(s.Record()))
		if s.Index() != len(recs)-1 {
			t.Fatalf("Index() = %d, want %d", s.Index(), len(recs)-1)
		}
	}
	return recs, s.Err()
}

func TestScannerValid(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"one", `{"Records":[{"a":1}]}`, []string{`{"a":1}`}},
		{"two with spaces", " \n{ \"Records\" : [ {\"a\":1} ,\n {\"b\":[1,2,{}]} ] }\n", []string{`{"a":1}`, `{"b":[1,2,{}]}`}},
		{"records not first", `{"x":{"y":[1,"]"]},"Records":[{"a":"}"}],"z":null}`, []string{`{"a":"}"}`}},
		{"escaped quotes and backslashes", `{"Records":[{"a":"q\"}]\\","b":"\\\\"}]}`, []string{`{"a":"q\"}]\\","b":"\\\\"}`}},
		{"byte order mark", "\xEF\xBB\xBF{\"Records\":[{}]}", []string{`{}`}},
		{"unicode", `{"Records":[{"ua":"Müller ☃ \u2028"}]}`, []string{`{"ua":"Müller ☃ \u2028"}`}},
		{"empty records", `{"Records":[]}`, nil},
		{"deep", `{"Records":[` + deep(150) + `,{}]}`, []string{deep(150), `{}`}},
	}
	for _, tt := range tests {
		for _, oneByte := range []int{0, 1} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := scanAll(t, tt.input, oneByte)
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Fatalf("records = %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestScannerErrors(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		records   int    // records returned before the error
		is        error  // errors.Is target, if any
		index     int    // SyntaxError.Index, -2 to skip
		substring string // in the message
	}{
		{"empty input", "", 0, ErrNotCloudTrail, -1, "empty input"},
		{"array at top", `[{"a":1}]`, 0, ErrNotCloudTrail, -1, "not a JSON object"},
		{"not json", "hello", 0, ErrNotCloudTrail, -1, "not a JSON object"},
		{"no Records", `{"foo":[1,2]}`, 0, ErrNotCloudTrail, -2, "no top-level Records"},
		{"digest", `{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}`, 0, ErrDigest, -2, "digest"},
		{"Records not array", `{"Records":{"a":1}}`, 0, ErrNotCloudTrail, -1, "Records member is not an array"},
		{"mismatch deep", `{"Records":[{"a":1},` + strings.Replace(deep(100), "]", "}", 1) + `]}`, 1, nil, 1, "mismatched"},
		{"mismatch past 64 levels", `{"Records":[{"a":1},` + deep(100)[:len(deep(100))-30] + "]" + `]}`, 1, nil, 1, "mismatched"},
		{"truncated mid record", `{"Records":[{"a":1},{"b":"xy`, 1, nil, 1, "unexpected end of input"},
		{"truncated between records", `{"Records":[{"a":1},`, 1, nil, 1, "unexpected end of input"},
		{"truncated after array", `{"Records":[{"a":1}]`, 1, nil, -1, "unexpected end of input"},
		{"record not object", `{"Records":[{"a":1},7]}`, 1, nil, 1, "not a JSON object"},
		{"mismatched bracket", `{"Records":[{"a":[1}]}`, 0, nil, 0, "mismatched"},
		{"missing comma", `{"Records":[{"a":1} {"b":2}]}`, 1, nil, 1, "want ',' or ']'"},
		{"trailing garbage", `{"Records":[{"a":1}]} x`, 1, nil, -1, "after the top-level object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanAll(t, tt.input, 0)
			if err == nil {
				t.Fatalf("no error; records %q", got)
			}
			if len(got) != tt.records {
				t.Errorf("records before error = %d, want %d", len(got), tt.records)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
			if tt.index != -2 {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("err = %T %v, want *SyntaxError", err, err)
				}
				if se.Index != tt.index {
					t.Errorf("index = %d, want %d (%v)", se.Index, tt.index, err)
				}
			}
			if !strings.Contains(err.Error(), tt.substring) {
				t.Errorf("err = %q, want it to mention %q", err, tt.substring)
			}
		})
	}
}

// A record over the limit is not returned: Next reports it through
// RecordErr, and the file goes on (see TestScannerSkipsOversizedRecord).
func TestScannerRecordTooLarge(t *testing.T) {
	big := `{"Records":[{"a":"` + strings.Repeat("x", 4096) + `"}]}`
	s := NewScanner(strings.NewReader(big))
	s.SetMaxRecordSize(1024)
	n := 0
	for s.Next() {
		n++
		if s.Record() != nil {
			t.Fatal("returned a record over the limit")
		}
		if !errors.Is(s.RecordErr(), ErrRecordTooLarge) {
			t.Fatalf("RecordErr = %v, want ErrRecordTooLarge", s.RecordErr())
		}
	}
	if n != 1 || s.Err() != nil {
		t.Fatalf("%d elements, err %v; want the one, skipped, and no error", n, s.Err())
	}
}

// A top-level member other than Records is not a record: once it outgrows
// the limit (and the buffer), it still ends the file.
func TestScannerMemberTooLarge(t *testing.T) {
	s := NewScanner(strings.NewReader(`{"x":"` + strings.Repeat("x", 600<<10) + `","Records":[{}]}`))
	s.SetMaxRecordSize(300 << 10)
	for s.Next() {
		t.Fatal("returned a record after an oversized member")
	}
	var se *SyntaxError
	if !errors.Is(s.Err(), ErrRecordTooLarge) || !errors.As(s.Err(), &se) || se.Index != -1 {
		t.Fatalf("err = %v, want ErrRecordTooLarge outside the Records array", s.Err())
	}
}

func TestScannerReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`{"Records":[{"a":1},{"b":`), iotest.ErrReader(boom))
	s := NewScanner(r)
	n := 0
	for s.Next() {
		n++
	}
	if n != 1 || !errors.Is(s.Err(), boom) {
		t.Fatalf("records %d, err %v; want 1 and boom", n, s.Err())
	}
}

// FuzzScanner checks the scanner against encoding/json: on any input that
// encoding/json accepts as a log file, the scanner returns the same records;
// on any input at all, it never panics and never returns a record that is
// not balanced JSON.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"a":1},{"b":"x\"]}"}]}`,
		`{"Records":[]}`,
		`{"k":"v","Records":[{"n":[1,{"o":null}]}]}`,
		`{"Records":[{"a":"\\"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(bytes.NewReader(data))
		var got []string
		for s.Next() {
			got = append(got, string(s.Record()))
		}
		var file struct {
			Records []json.RawMessage
		}
		if json.Unmarshal(data, &file) != nil || file.Records == nil {
			return
		}
		// encoding/json matches keys case-insensitively and keeps the last
		// duplicate; the scanner follows CloudTrail's exact "Records".
		if !bytes.Contains(data, []byte(`"Records"`)) || bytes.Count(data, []byte(`"Records"`)) > 1 {
			return
		}
		if s.Err() != nil {
			t.Fatalf("scanner error %v on valid input %q", s.Err(), data)
		}
		if len(got) != len(file.Records) {
			t.Fatalf("scanner found %d records, encoding/json %d, in %q", len(got), len(file.Records), data)
		}
		for i := range got {
			if !json.Valid([]byte(got[i])) {
				t.Fatalf("record %d %q is not valid JSON", i, got[i])
			}
		}
		// EventSource agrees with a full decode (for plain strings).
		s = NewScanner(bytes.NewReader(data))
		for i := 0; s.Next(); i++ {
			var rec map[string]json.RawMessage
			if json.Unmarshal(s.Record(), &rec) != nil {
				continue
			}
			want := ""
			if v, ok := rec["eventSource"]; ok && len(v) > 1 && v[0] == '"' {
				want = string(v[1 : len(v)-1])
			}
			if bytes.Count(s.Record(), []byte(`"eventSource"`)) > 1 || bytes.Contains(s.Record(), []byte(`\`)) {
				continue // duplicate keys or escapes: encoding/json's rules differ
			}
			if got := string(s.EventSource()); got != want {
				t.Fatalf("record %d: EventSource %q, want %q in %s", i, got, want, s.Record())
			}
		}
	})
}

func TestScannerEventSource(t *testing.T) {
	input := `{"Records":[` +
		`{"eventVersion":"1.08","eventSource":"kms.amazonaws.com","eventName":"Decrypt"},` +
		`{"requestParameters":{"eventSource":"kms.amazonaws.com"},"eventSource":"s3.amazonaws.com"},` +
		`{"a":{"b":[{"eventSource":"x"}]},"eventName":"eventSource","x":"eventSource"},` +
		`{"eventSource" : "secretsmanager.amazonaws.com" , "k":1},` +
		`{"insightDetails":{"eventSource":"iam.amazonaws.com"}},` +
		`{"eventSource":"a\"b"}` +
		`]}`
	want := []string{"kms.amazonaws.com", "s3.amazonaws.com", "", "secretsmanager.amazonaws.com", "", `a\"b`}
	for _, oneByte := range []bool{false, true} {
		var r io.Reader = strings.NewReader(input)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		s := NewScanner(r)
		var got []string
		for s.Next() {
			got = append(got, string(s.EventSource()))
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("oneByte=%v: sources %q, want %q", oneByte, got, want)
		}
	}
}

// deep returns a record nested n levels, objects and arrays alternating
// irregularly, so the scanner's bracket stack goes past 64 levels.
func deep(n int) string {
	var open, close strings.Builder
	for i := range n {
		if i%3 == 0 {
			open.WriteString(`{"k":`)
		} else {
			open.WriteString(`[`)
		}
	}
	for i := n - 1; i >= 0; i-- {
		if i%3 == 0 {
			close.WriteString("}")
		} else {
			close.WriteString("]")
		}
	}
	return "{" + `"d":` + open.String() + `"x"` + close.String() + "}"
}

// TestScannerReset reads a sequence of files, good, broken and one with a
// record that grows the buffer, with one Scanner reset between them, and
// checks each gives what a new Scanner gives: state from one file must not
// leak into the next.
func TestScannerReset(t *testing.T) {
	inputs := []string{
		`{"Records":[{"a":1},{"b":"xy`, // truncated, mid-string
		`{"Records":[{"eventSource":"kms.amazonaws.com","x":[1,{"y":"]"}]}]}`,
		`{"Records":[{"a":[1}]}`, // mismatched, mid-array
		`{"Records":[{"eventSource":"` + strings.Repeat("s", 600<<10) + `"},{"eventSource":"a"}]}`,
		`{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}`,
		`{"Records":[{"a":"q\"}]\\","eventSource":"secretsmanager.amazonaws.com"}]}`,
		"hello",
		`{"Records":[{"eventSource":"kms.amazonaws.com"},7]}`,
		`{"Records":[` + deep(150) + `,{"eventSource":"b"}]}`,
	}
	type result struct {
		recs, sources []string
		err           string
	}
	scan := func(s *Scanner) result {
		var r result
		for s.Next() {
			r.recs = append(r.recs, string(s.Record()))
			r.sources = append(r.sources, string(s.EventSource()))
		}
		if s.Err() != nil {
			r.err = s.Err().Error()
		}
		return r
	}
	reused := NewScanner(nil)
	for round := range 2 {
		for i, in := range inputs {
			want := scan(NewScanner(strings.NewReader(in)))
			reused.Reset(strings.NewReader(in))
			got := scan(reused)
			if strings.Join(got.recs, "|") != strings.Join(want.recs, "|") ||
				strings.Join(got.sources, "|") != strings.Join(want.sources, "|") || got.err != want.err {
				t.Errorf("round %d, input %d after Reset: records %d, sources %q, err %q; a new Scanner gives %d, %q, %q",
					round, i, len(got.recs), got.sources, got.err, len(want.recs), want.sources, want.err)
			}
		}
	}
	if len(reused.buf) != bufSize {
		t.Errorf("after Reset the buffer is %d bytes, want %d: a grown buffer is kept", len(reused.buf), bufSize)
	}
}
