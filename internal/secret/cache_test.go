package secret

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

const arn = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:keytrail/slack-AbCdEf"

// smServer answers Secrets Manager's JSON protocol for GetSecretValue.
type smServer struct {
	mu      sync.Mutex
	value   string
	errType string // answer with this __type
	status  int
	fetches atomic.Int32
	gate    chan struct{} // when set, answers wait for it
	started chan struct{}
}

func (s *smServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "secretsmanager.GetSecretValue" {
		http.Error(w, "unexpected target "+got, http.StatusBadRequest)
		return
	}
	var in struct{ SecretId string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.fetches.Add(1)
	if s.started != nil {
		s.started <- struct{}{}
	}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if s.errType != "" {
		w.WriteHeader(s.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": s.errType, "Message": "no access to " + in.SecretId})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN": in.SecretId, "Name": "keytrail/slack", "SecretString": s.value,
		"VersionId": "v1", "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7e9,
	})
}

func (s *smServer) set(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = v
}

func client(t *testing.T, s *smServer) *secretsmanager.Client {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return secretsmanager.New(secretsmanager.Options{
		Region:           "eu-central-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestTTLAndRotation(t *testing.T) {
	tests := []struct {
		name        string
		ttl         time.Duration
		advance     time.Duration
		wantFetches int32
		wantValue   string
	}{
		{"within TTL: cached", time.Minute, 59 * time.Second, 1, `{"token":"xoxb-old"}`},
		{"after TTL: rotated value", time.Minute, 61 * time.Second, 2, `{"token":"xoxb-new"}`},
		{"default TTL holds 4 minutes", 0, 4 * time.Minute, 1, `{"token":"xoxb-old"}`},
		{"default TTL expires", 0, DefaultTTL, 2, `{"token":"xoxb-new"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &smServer{value: `{"token":"xoxb-old"}`}
			clk := &clock{t: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
			c := &Cache{Client: client(t, s), TTL: tt.ttl, Now: clk.Now}
			v, err := c.Get(t.Context(), arn)
			if err != nil || v != `{"token":"xoxb-old"}` {
				t.Fatalf("first get: %q %v", v, err)
			}
			s.set(`{"token":"xoxb-new"}`) // rotated
			clk.Advance(tt.advance)
			v, err = c.Get(t.Context(), arn)
			if err != nil || v != tt.wantValue || s.fetches.Load() != tt.wantFetches {
				t.Errorf("got %q %v after %d fetches; want %q after %d", v, err, s.fetches.Load(), tt.wantValue, tt.wantFetches)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		errType  string
		status   int
		isTyped  func(error) bool
		wantCode string
	}{
		{"not found", "ResourceNotFoundException", 400, func(err error) bool {
			var e *types.ResourceNotFoundException
			return errors.As(err, &e)
		}, "ResourceNotFoundException"},
		{"access denied", "AccessDeniedException", 400, nil, "AccessDeniedException"},
		{"decryption failure", "DecryptionFailure", 400, func(err error) bool {
			var e *types.DecryptionFailure
			return errors.As(err, &e)
		}, "DecryptionFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &smServer{errType: tt.errType, status: tt.status}
			c := &Cache{Client: client(t, s)}
			_, err := c.Get(t.Context(), arn)
			if err == nil {
				t.Fatal("no error")
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode {
				t.Errorf("error %v: want API error %s", err, tt.wantCode)
			}
			if tt.isTyped != nil && !tt.isTyped(err) {
				t.Errorf("error %v is not the SDK's typed error", err)
			}
			if !strings.Contains(err.Error(), arn) || !strings.Contains(err.Error(), tt.wantCode) {
				t.Errorf("error %q does not say which secret and why", err)
			}
			// Errors are not cached: the next call asks again.
			s.mu.Lock()
			s.errType, s.value = "", "plain-token"
			s.mu.Unlock()
			if v, err := c.Get(t.Context(), arn); err != nil || v != "plain-token" || s.fetches.Load() != 2 {
				t.Errorf("after the error: %q %v, %d fetches", v, err, s.fetches.Load())
			}
		})
	}
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	s := &smServer{value: "xoxb-shared", gate: make(chan struct{}), started: make(chan struct{}, 1)}
	c := &Cache{Client: client(t, s)}
	const n = 10
	var wg sync.WaitGroup
	results := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = c.Get(t.Context(), arn) })
	}
	<-s.started // the one fetch reached the server
	for c.waiting(arn) < n {
		// Callers join the fetch in flight, which the server holds;
		// yield until all have joined.
		runtime.Gosched()
	}
	close(s.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || results[i] != "xoxb-shared" {
			t.Errorf("caller %d: %q %v", i, results[i], errs[i])
		}
	}
	if got := s.fetches.Load(); got != 1 {
		t.Errorf("%d fetches, want 1", got)
	}
}

func TestCallerCancelDoesNotBreakOthers(t *testing.T) {
	s := &smServer{value: "v", gate: make(chan struct{}), started: make(chan struct{}, 1)}
	c := &Cache{Client: client(t, s)}
	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() { _, err := c.Get(ctx, arn); first <- err }()
	<-s.started
	second := make(chan string, 1)
	go func() { v, _ := c.Get(t.Context(), arn); second <- v }()
	for c.waiting(arn) < 2 {
		runtime.Gosched()
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	close(s.gate)
	if v := <-second; v != "v" {
		t.Errorf("other caller got %q", v)
	}
}
