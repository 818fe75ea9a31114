package cloudtrail

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameAsEncodingJSON checks DecodeRecord's promise on one input: when it
// says yes, encoding/json decodes the same bytes without error to the same
// Record.
func sameAsEncodingJSON(t *testing.T, input []byte) (fast bool) {
	t.Helper()
	var got, want Record
	fast = DecodeRecord(input, &got)
	err := json.Unmarshal(input, &want)
	if !fast {
		return false
	}
	if err != nil {
		t.Fatalf("fast path accepted %q, which encoding/json rejects: %v", input, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path decoded %q as\n%+v\nencoding/json as\n%+v", input, got, want)
	}
	return true
}

const typical = `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:s",` +
	`"arn":"arn:aws:sts::111122223333:assumed-role/app/s","accountId":"111122223333","accessKeyId":"ASIA1",` +
	`"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::111122223333:role/app",` +
	`"accountId":"111122223333","userName":"app"},"webIdFederationData":{},` +
	`"attributes":{"creationDate":"2026-06-01T00:00:00Z","mfaAuthenticated":"false"}}},` +
	`"eventTime":"2026-06-01T00:00:01Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt",` +
	`"awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userAgent":"aws-sdk-go/1.0 (\"quoted\")",` +
	`"requestParameters":{"encryptionContext":{"aws:s3:arn":"arn:aws:s3:::b/k"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT","n":-1.5e3},` +
	`"responseElements":null,"requestID":"r","eventID":"e","readOnly":true,` +
	`"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/k"}],` +
	`"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333",` +
	`"eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256"}}`

func TestDecodeRecord(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		fast  bool // whether the fast path must take it
	}{
		{"typical", typical, true},
		{"empty", `{}`, true},
		{"white space", " {\n\t\"eventName\" : \"X\" ,\r\n \"readOnly\" : false } ", true},
		{"nulls", `{"userIdentity":null,"readOnly":null,"resources":null,"eventName":null,"requestParameters":null}`, true},
		{"empty resources", `{"resources":[]}`, true},
		{"null resource", `{"resources":[null,{"aRN":"x"},{"arn":"y"}]}`, true},
		{"escapes in values", `{"errorMessage":"a\"b\\c\/d\u00e9\ud83d\ude00\n","userAgent":"\u0041"}`, true},
		{"raw keeps escapes and spacing", `{"requestParameters": { "a" : [ 1 , "\u0000" , {"\"k":true} ] } }`, true},
		{"unicode text", `{"userAgent":"Mozilla/5.0 (é ü 日本)"}`, true},
		{"unknown members", `{"insightDetails":{"x":[1,2,{"y":null}]},"apiVersion":"2014","addendum":{"reason":"r"}}`, true},
		{"numbers", `{"x":[0,-0,1.5,-2e10,3E+2,4e-1,123456789012345678901234567890]}`, true},
		{"long strings", `{"userAgent":"0123456789abcdef\"0123456789abcdef\\x","eventName":"0123456789abcdefg"}`, true},
		{"invalid UTF-8 past eight bytes", "{\"userAgent\":\"0123456789\xffabcdef\"}", true},
		{"valid UTF-8 past eight bytes", "{\"userAgent\":\"0123456789 é 日本 0123456789\"}", true},
		{"control character past eight bytes", "{\"eventName\":\"0123456789\x1fabcdef\"}", false},
		{"invalid UTF-8", "{\"userAgent\":\"a\xffb\"}", true},
		{"invalid UTF-8 in raw", "{\"requestParameters\":{\"k\":\"\xff\"}}", true},
		{"case-folded name", `{"EventSource":"kms.amazonaws.com"}`, false},
		{"unicode-folded name", `{"eventſource":"kms.amazonaws.com"}`, false},
		{"escaped name", `{"event\u0053ource":"kms.amazonaws.com"}`, false},
		{"repeated member", `{"eventName":"A","eventName":"B"}`, false},
		{"repeated object", `{"userIdentity":{"type":"A"},"userIdentity":{"arn":"x"}}`, false},
		{"number for a string", `{"eventName":1}`, false},
		{"string for a bool", `{"readOnly":"true"}`, false},
		{"object for resources", `{"resources":{}}`, false},
		{"array for userIdentity", `{"userIdentity":[]}`, false},
		{"truncated", `{"eventName":"A"`, false},
		{"bad literal", `{"x":tru}`, false},
		{"literal run-on", `{"readOnly":truex}`, false},
		{"missing comma", `{"a":1 "b":2}`, false},
		{"double comma", `{"x":[1,,2]}`, false},
		{"trailing comma", `{"x":1,}`, false},
		{"leading zero", `{"x":01}`, false},
		{"bare minus", `{"x":-}`, false},
		{"bad fraction", `{"x":1.}`, false},
		{"bad exponent", `{"x":1e}`, false},
		{"control character", "{\"eventName\":\"a\x01b\"}", false},
		{"bad escape", `{"eventName":"a\x"}`, false},
		{"short unicode escape", `{"eventName":"\u12"}`, false},
		{"trailing data", `{"a":1} x`, false},
		{"not an object", `[]`, false},
		{"deep", `{"x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast := sameAsEncodingJSON(t, []byte(tc.input))
			if fast != tc.fast {
				t.Fatalf("fast path took it: %v, want %v", fast, tc.fast)
			}
		})
	}
}

// TestDecodeRecordRealSamples holds DecodeRecord to encoding/json on every
// real record in ../shared/data/real, and checks that the fast path takes
// nearly all of them (otherwise it would be no faster).
func TestDecodeRecordRealSamples(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "real")
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	rare, _ := filepath.Glob(filepath.Join(dir, "rare", "*.ndjson"))
	files = append(files, rare...)
	if len(files) == 0 {
		t.Skipf("no real CloudTrail samples in %s (they live beside the repository, not in it)", dir)
	}
	var n, fast int
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if len(strings.TrimSpace(string(line))) == 0 || line[0] != '{' {
				continue
			}
			n++
			if sameAsEncodingJSON(t, line) {
				fast++
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d real records took the fast path", fast, n)
	if fast < n*95/100 {
		t.Errorf("only %d of %d real records took the fast path", fast, n)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(typical))
	f.Add([]byte(`{"resources":[null,{"aRN":"x"}],"readOnly":false,"x":[1.5e3,"\u00e9"]}`))
	f.Add([]byte(`{"userIdentity":{"sessionContext":{"attributes":null}},"eventName":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsEncodingJSON(t, data)
	})
}

// TestDecodeAllocations pins how many allocations decoding costs: a
// record's text is copied once and its strings point into the copy, its
// nested objects are allocated together, and picking fields out of an
// object allocates nothing. An allocation per member or per value (a
// variable that escapes, say) multiplies a kept record's cost.
func TestDecodeAllocations(t *testing.T) {
	raw := []byte(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:s","arn":"arn:aws:sts::111122223333:assumed-role/r/s","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/r","accountId":"111122223333","userName":"r"},"attributes":{"creationDate":"2026-06-01T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-06-01T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"eu-central-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-sdk-go-v2/1.30.0","requestParameters":{"encryptionContext":{"aws:s3:arn":"arn:aws:s3:::b/o"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"k"},"responseElements":null,"requestID":"r","eventID":"e","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-central-1:111122223333:key/k"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"kms.eu-central-1.amazonaws.com"}}`)
	var rec Record
	if !DecodeRecord(raw, &rec) {
		t.Fatal("slow path")
	}
	// The text, the nested objects, the resources slice.
	if n := testing.AllocsPerRun(100, func() { DecodeRecord(raw, &rec) }); n > 3 {
		t.Errorf("DecodeRecord: %v allocations, want at most 3", n)
	}
	params := rec.RequestParameters
	var picked pickedParams
	if n := testing.AllocsPerRun(100, func() { pickedJSON.Merge(params, &picked) }); n != 0 {
		t.Errorf("Merge: %v allocations, want none", n)
	}
	if picked.KeyID != "k" || picked.Context == "" {
		t.Errorf("Merge picked %+v", picked)
	}
}

// pickedParams is a few fields of request parameters, as ingest picks
// them.
type pickedParams struct {
	KeyID   string  `json:"keyId"`
	Context RawJSON `json:"encryptionContext"`
}

var pickedJSON = NewDecoder[pickedParams]()
