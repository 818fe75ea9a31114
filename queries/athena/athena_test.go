package athena

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/keytrail/keytrail/queries"
)

// fakeAthena speaks Athena's JSON 1.1 protocol on a loopback server: one
// query, which goes QUEUED → RUNNING → final state, with pages of rows.
type fakeAthena struct {
	t      *testing.T
	final  string // SUCCEEDED, FAILED or CANCELLED
	reason string
	pages  [][][]string // rows per page; the first page starts with the header

	mu      sync.Mutex
	started map[string]any
	polls   int
	tokens  []string
}

func (f *fakeAthena) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		f.t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		f.t.Errorf("request not signed")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	enc := json.NewEncoder(w)
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "AmazonAthena.StartQueryExecution":
		f.started = in
		enc.Encode(map[string]any{"QueryExecutionId": "qid-1"})
	case "AmazonAthena.GetQueryExecution":
		if in["QueryExecutionId"] != "qid-1" {
			f.t.Errorf("GetQueryExecution of %v", in["QueryExecutionId"])
		}
		f.polls++
		state := []string{"QUEUED", "RUNNING", f.final}[min(f.polls-1, 2)]
		status := map[string]any{"State": state}
		if state == f.final && f.reason != "" {
			status["StateChangeReason"] = f.reason
		}
		enc.Encode(map[string]any{"QueryExecution": map[string]any{
			"QueryExecutionId": "qid-1",
			"Status":           status,
			"Statistics":       map[string]any{"DataScannedInBytes": 3 * (1 << 30)},
		}})
	case "AmazonAthena.GetQueryResults":
		tok, _ := in["NextToken"].(string)
		f.tokens = append(f.tokens, tok)
		page := 0
		if tok != "" {
			page = int(tok[len("page-")] - '0')
		}
		var rows []any
		for _, r := range f.pages[page] {
			var data []any
			for _, c := range r {
				if c == "<null>" {
					data = append(data, map[string]any{})
				} else {
					data = append(data, map[string]any{"VarCharValue": c})
				}
			}
			rows = append(rows, map[string]any{"Data": data})
		}
		out := map[string]any{"ResultSet": map[string]any{
			"Rows": rows,
			"ResultSetMetadata": map[string]any{"ColumnInfo": []any{
				map[string]any{"Name": "principal_arn", "Type": "varchar"},
				map[string]any{"Name": "calls", "Type": "bigint"},
			}},
		}}
		if page+1 < len(f.pages) {
			out["NextToken"] = "page-" + string(rune('0'+page+1))
		}
		enc.Encode(out)
	default:
		w.WriteHeader(400)
		enc.Encode(map[string]any{"__type": "InvalidRequestException", "message": "unknown target " + target})
	}
}

func newRunner(t *testing.T, f *fakeAthena) (*Runner, *[]time.Duration) {
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := athena.New(athena.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       srv.Client(),
	})
	var slept []time.Duration
	return &Runner{
		Client: client, WorkGroup: "keytrail", Database: "keytrail_db", Poll: 2 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	}, &slept
}

func resourceAccess(t *testing.T) queries.Query {
	q, err := queries.Get("resource_access")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var hostileArgs = map[string]string{
	"resource": "arn:aws:kms:us-east-1:111111111111:key/x' OR '1'='1",
	"from":     "2026-07-01T00:00:00Z",
	"to":       "2026-07-08T00:00:00Z",
}

func TestRunPagesAndParameters(t *testing.T) {
	f := &fakeAthena{final: "SUCCEEDED", pages: [][][]string{
		{{"principal_arn", "calls"}, {"arn:aws:iam::1:user/a", "3"}},
		{{"arn:aws:iam::1:user/b", "2"}, {"<null>", "1"}},
		{{"arn:aws:iam::1:user/c", "1"}},
	}}
	r, slept := newRunner(t, f)
	q := resourceAccess(t)
	res, err := r.Run(context.Background(), q, hostileArgs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Columns, []string{"principal_arn", "calls"}) {
		t.Errorf("columns %v", res.Columns)
	}
	want := [][]string{{"arn:aws:iam::1:user/a", "3"}, {"arn:aws:iam::1:user/b", "2"}, {"", "1"}, {"arn:aws:iam::1:user/c", "1"}}
	if len(res.Rows) != len(want) {
		t.Fatalf("rows %v, want %v", res.Rows, want)
	}
	for i := range want {
		if !slices.Equal(res.Rows[i], want[i]) {
			t.Errorf("row %d = %v, want %v", i, res.Rows[i], want[i])
		}
	}
	if !slices.Equal(f.tokens, []string{"", "page-1", "page-2"}) {
		t.Errorf("page tokens %q", f.tokens)
	}
	if res.BytesScanned != 3<<30 {
		t.Errorf("bytes scanned %d", res.BytesScanned)
	}
	// Two polls found the query queued, then running: two sleeps.
	if f.polls != 3 || !slices.Equal(*slept, []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Errorf("polls %d, sleeps %v", f.polls, *slept)
	}
	// The SQL went as written; values only as execution parameters.
	if f.started["QueryString"] != q.SQL || strings.Contains(q.SQL, "x' OR") {
		t.Errorf("query string changed")
	}
	wantParams, _ := q.Args(hostileArgs)
	var gotParams []string
	for _, p := range f.started["ExecutionParameters"].([]any) {
		gotParams = append(gotParams, p.(string))
	}
	if !slices.Equal(gotParams, wantParams) || gotParams[4] != `'arn:aws:kms:us-east-1:111111111111:key/x'' OR ''1''=''1'` {
		t.Errorf("execution parameters %q, want %q", gotParams, wantParams)
	}
	if f.started["WorkGroup"] != "keytrail" || f.started["QueryExecutionContext"].(map[string]any)["Database"] != "keytrail_db" {
		t.Errorf("workgroup/database not sent: %v", f.started)
	}
}

func TestRunFailedQuery(t *testing.T) {
	for _, tc := range []struct{ state, reason, want string }{
		{"FAILED", "TABLE_NOT_FOUND: line 9:10: Table 'awsdatacatalog.keytrail_db.events' does not exist", "FAILED: TABLE_NOT_FOUND"},
		{"CANCELLED", "", "CANCELLED: no reason given"},
	} {
		f := &fakeAthena{final: tc.state, reason: tc.reason}
		r, _ := newRunner(t, f)
		_, err := r.Run(context.Background(), resourceAccess(t), hostileArgs)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.ID != "qid-1" || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "query resource_access") {
			t.Errorf("%s: err = %v, want a QueryError with %q", tc.state, err, tc.want)
		}
		if len(f.tokens) != 0 {
			t.Errorf("%s: fetched results of a failed query", tc.state)
		}
	}
}

func TestRunBadParameterSendsNothing(t *testing.T) {
	f := &fakeAthena{final: "SUCCEEDED"}
	r, _ := newRunner(t, f)
	_, err := r.Run(context.Background(), resourceAccess(t), map[string]string{"resource": "x", "from": "soon", "to": "2026-07-08"})
	if err == nil || !strings.Contains(err.Error(), "parameter from") || f.started != nil {
		t.Errorf("err = %v, started = %v", err, f.started)
	}
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		bytes int64
		want  float64
	}{
		{0, 10.0 / (1 << 20) * 5},
		{10 << 20, 10.0 / (1 << 20) * 5},
		{1 << 40, 5},
		{(1 << 40) + 1, 5 + 5.0/(1<<20)},
		{3 << 40, 15},
	} {
		if got := Cost(tc.bytes); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Cost(%d) = %g, want %g", tc.bytes, got, tc.want)
		}
	}
}
