package ingest

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/cloudtrail"
)

// refsCases are request parameters, response elements and additional
// event data in the shapes that tell a member-by-member reader from
// encoding/json: names in other cases or escaped, repeats, nulls, values
// of other types, escapes in values.
var refsCases = []string{
	`{}`,
	`{"keyId":"k","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::b/o"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`,
	`{"secretId":"s","secretIdList":["a","b"],"name":"n","keyId":"k","sourceKeyId":"sk","destinationKeyId":"dk","targetKeyId":"tk","primaryKeyArn":"pk","aliasName":"alias/x"}`,
	` { "SecretId" : "upper" , "KEYID":"shout", "aRN":"arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf" } `,
	`{"keyId":"first","keyId":"second","KeyId":"third"}`,
	`{"keyId":"k","KEYID":null}`,
	`{"secretIdList":["a","b"],"secretIdList":["c"]}`,
	`{"secretIdList":null}`,
	`{"secretIdList":[]}`,
	`{"secretIdList":["a",1,null,{"x":"y"},"b"]}`,
	`{"secretIdList":"not a list","secretId":"still read"}`,
	// encoding/json decodes a repeat into the slice it has: an element of
	// another type keeps what was there, even past the length it cut.
	`{"secretIdList":["a","b","c"],"secretIdList":[1],"secretIdList":[null,2,3,"d"]}`,
	`{"keyId":7,"secretId":{"nested":"object"},"name":["x"],"aliasName":true,"targetKeyId":"t"}`,
	`{"key\u0049d":"escaped name","secretId":"quote \" and \\ and \u00e9 and \ud83d\ude00"}`,
	"{\"keyId\":\"not utf-8 \xff\xfe\"}",
	`{"\u212AeyId":"kelvin","\u017FecretId":"long s"}`,
	`{"encryptionContext":null}`,
	`{"encryptionContext":  {"a" : [1, 2.5e3, true, null]}  }`,
	`{"encryptionContext":"a string","EncryptionContext":{"second":"wins"}}`,
	`{"keyMetadata":{"arn":"arn:aws:kms:us-east-1:1:key/k","keyId":"k"}}`,
	`{"keyMetadata":{"ARN":"upper"},"KeyMetadata":{"other":1}}`,
	`{"keyMetadata":{"arn":"a"},"keyMetadata":null}`,
	`{"keyMetadata":"not an object","arn":"kept"}`,
	`{"keyMetadata":[{"arn":"in an array"}]}`,
	`{"arn":1,"arn":"two"}`,
	`{"SecretId":"additional","secretid":"last"}`,
	`{"outer":{"keyId":"nested, not ours"},"list":[{"secretId":"nor this"}]}`,
	// Deeper than the record decoder goes, as deep as encoding/json does.
	`{"deep":` + strings.Repeat("[", 1500) + strings.Repeat("]", 1500) + `,"keyId":"after"}`,
	`{"deep":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat("}", 9999) + `,"keyId":"after"}`,
	`[{"keyId":"an array"}]`,
	`"a string"`,
	`null`,
	`17`,
}

// checkRefs decodes text with the member-by-member readers and with
// encoding/json, and reports a difference.
func checkRefs(t *testing.T, text string) {
	t.Helper()
	var gotReq, wantReq requestRefs
	gotReq.decode(cloudtrail.RawJSON(text))
	json.Unmarshal([]byte(text), &wantReq) // type errors still decode the rest
	if !reflect.DeepEqual(gotReq, wantReq) {
		t.Errorf("request parameters %s:\n got %+v\nwant %+v (encoding/json)", text, gotReq, wantReq)
	}
	var gotResp, wantResp responseRefs
	gotResp.decode(cloudtrail.RawJSON(text))
	json.Unmarshal([]byte(text), &wantResp)
	if !reflect.DeepEqual(gotResp, wantResp) {
		t.Errorf("response elements %s:\n got %+v %+v\nwant %+v %+v (encoding/json)", text, gotResp, gotResp.KeyMetadata, wantResp, wantResp.KeyMetadata)
	}
	var gotExtra, wantExtra extraRefs
	gotExtra.decode(cloudtrail.RawJSON(text))
	json.Unmarshal([]byte(text), &wantExtra)
	if gotExtra != wantExtra {
		t.Errorf("additional event data %s: got %+v, want %+v (encoding/json)", text, gotExtra, wantExtra)
	}
}

func TestRefsMatchEncodingJSON(t *testing.T) {
	for _, text := range refsCases {
		checkRefs(t, text)
	}
}

// TestRefsMatchEncodingJSONOnRealRecords compares the two on every real
// record's request parameters, response elements and additional event data.
func TestRefsMatchEncodingJSONOnRealRecords(t *testing.T) {
	dir := sharedData(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	rare, _ := filepath.Glob(filepath.Join(dir, "rare", "*.ndjson"))
	n := 0
	for _, f := range append(files, rare...) {
		for _, raw := range readNDJSON(t, f) {
			var rec struct {
				RequestParameters, ResponseElements, AdditionalEventData json.RawMessage
			}
			if json.Unmarshal(raw, &rec) != nil {
				continue
			}
			for _, v := range []json.RawMessage{rec.RequestParameters, rec.ResponseElements, rec.AdditionalEventData} {
				if len(v) > 0 {
					checkRefs(t, string(v))
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatalf("no request parameters found under %s", dir)
	}
}

// FuzzRefs holds the readers to encoding/json on any valid JSON (the
// record decoder has validated the text before they see it).
func FuzzRefs(f *testing.F) {
	for _, text := range refsCases {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !json.Valid([]byte(text)) {
			return
		}
		checkRefs(t, text)
	})
}
