package gen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"sort"
	"sync"
	"testing"
)

// memOutput keeps objects in memory and remembers the largest single Write,
// so tests can tell a streamed file from one written in one piece.
type memOutput struct {
	mu       sync.Mutex
	objects  map[string][]byte
	maxWrite int
}

func newMemOutput() *memOutput { return &memOutput{objects: map[string][]byte{}} }

func (m *memOutput) Create(key string) (io.WriteCloser, error) {
	return &memFile{m: m, key: key}, nil
}

type memFile struct {
	m   *memOutput
	key string
	buf bytes.Buffer
}

func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	f.m.maxWrite = max(f.m.maxWrite, len(p))
	f.m.mu.Unlock()
	return f.buf.Write(p)
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	f.m.objects[f.key] = f.buf.Bytes()
	return nil
}

func (m *memOutput) keys() []string {
	ks := make([]string, 0, len(m.objects))
	for k := range m.objects {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func gunzip(t *testing.T, key string, b []byte) []byte {
	t.Helper()
	raw, err := gunzipBytes(b)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return raw
}

func gunzipBytes(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// testRecord is what the tests read back of a generated record.
type testRecord struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity *struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext *struct {
			SessionIssuer *struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	EventID            string          `json:"eventID"`
	EventType          string          `json:"eventType"`
	RecipientAccountID string          `json:"recipientAccountId"`
	SharedEventID      string          `json:"sharedEventID"`
	Resources          []struct {
		ARN  string `json:"ARN"`
		Type string `json:"type"`
	} `json:"resources"`
	key string
}

// principal is the canonical principal keytrail's ingest derives.
func (r *testRecord) principal() string {
	u := r.UserIdentity
	switch {
	case u == nil:
		return ""
	case u.Type == "AssumedRole" && u.SessionContext != nil && u.SessionContext.SessionIssuer != nil:
		return u.SessionContext.SessionIssuer.ARN
	case u.Type == "IAMUser" || u.Type == "Root":
		return u.ARN
	case u.Type == "AWSService" || u.Type == "":
		return u.InvokedBy
	}
	return ""
}
