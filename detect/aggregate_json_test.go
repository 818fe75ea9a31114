package detect

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDecodeAggregate holds the stored aggregate's decoding to
// encoding/json: an aggregate as encodeAggregate writes it takes the fast
// path and comes back equal, and text the fast path leaves (a repeated
// member, a value of another type, nonsense) decodes or fails as
// encoding/json decodes or fails it.
func TestDecodeAggregate(t *testing.T) {
	ag := &Aggregate{Version: AggregateVersion, Day: "2025-03-10", Source: "f00d",
		Pairs: []PairHours{
			{Principal: "arn:aws:iam::111111111111:role/a", Resource: "arn:aws:kms:us-east-1:222222222222:key/k",
				Hours: [24]uint32{0: 1, 23: 4294967295}, Calls: []string{"Decrypt", "GenerateDataKey"}},
			{Principal: "arn:aws:iam::111111111111:role/\u00e9\"q\"", Resource: "r"},
		},
		Policies: []PolicyState{{Resource: "r", Principals: []string{"*"}, EventID: "e",
			Time: time.Date(2025, 3, 10, 9, 30, 0, 5, time.UTC)}},
	}
	data, err := encodeAggregate(ag)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	zr, _ := gzip.NewReader(bytes.NewReader(data))
	text.ReadFrom(zr)
	var fast Aggregate
	if !aggregateJSON.DecodeString(text.String(), &fast) {
		t.Fatalf("the fast path refused an aggregate as written: %s", text.String())
	}
	got, err := decodeAggregate(data)
	if err != nil || !reflect.DeepEqual(got, ag) || !reflect.DeepEqual(&fast, ag) {
		t.Fatalf("decoded\n%+v (%v)\nwant\n%+v", got, err, ag)
	}

	for _, text := range []string{
		`{"version":3,"version":2,"pairs":[{"p":"a","h":[1,2]}]}`,
		`{"version":3,"pairs":[{"p":"a","h":[1,"2"]}],"day":"d"}`,
		`{"Version":3,"PAIRS":[{"P":"a"}]}`,
		`{"version":1.5}`,
		`{"pairs":[{"p":"a"}]`,
		`[]`,
	} {
		var zw bytes.Buffer
		w := gzip.NewWriter(&zw)
		w.Write([]byte(text))
		w.Close()
		got, err := decodeAggregate(zw.Bytes())
		var want Aggregate
		wantErr := json.Unmarshal([]byte(text), &want)
		switch {
		case (err != nil) != (wantErr != nil):
			t.Errorf("%s: error %v, encoding/json's %v", text, err, wantErr)
		case err != nil && !strings.Contains(err.Error(), wantErr.Error()):
			t.Errorf("%s: error %v, want encoding/json's %v", text, err, wantErr)
		case err == nil && !reflect.DeepEqual(*got, want):
			t.Errorf("%s: decoded %+v, encoding/json %+v", text, *got, want)
		}
	}
}
