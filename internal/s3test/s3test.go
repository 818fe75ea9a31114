// Package s3test runs a real S3-compatible server, versitygw, for tests.
//
// Tests of S3 code talk to a real server rather than a mock because the
// behaviour that matters is the server's: conditional writes (If-None-Match,
// If-Match), pagination, error codes, multipart uploads, SigV4. versitygw's
// posix backend serves a folder as S3 (each subfolder a bucket, each object a
// plain file), starts in well under a second, and needs no container runtime.
//
// The binary is found, in order, at $KEYTRAIL_VERSITYGW, at bin/versitygw in
// the repository (what `make tools` installs), on PATH, and otherwise it is
// built into the repository's bin/ with `go install` (once, about 45 s,
// serialised across parallel test binaries by a file lock), so a test never
// depends on something installed by hand.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Fixed test credentials and region of every Server.
const (
	AccessKey = "keytrail-test"
	SecretKey = "keytrail-test-secret"
	Region    = "us-east-1"
)

const healthPath = "/keytrail-health"

// Server is a running versitygw serving Root on a loopback port.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string
	Region    string
	Root      string // the folder served; Root/<bucket>/<key> is each object

	bin  string
	addr string

	mu   sync.Mutex
	proc *process
	logs *lockedBuffer
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
}

// Start runs versitygw on a free port of 127.0.0.1 over a fresh
// t.TempDir() and stops it when the test ends. It fails the test if the
// server cannot be found, built or started.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary(t.Context())
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	s := &Server{
		AccessKey: AccessKey,
		SecretKey: SecretKey,
		Region:    Region,
		Root:      t.TempDir(),
		bin:       bin,
		logs:      &lockedBuffer{},
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("s3test: versitygw output:\n%s", s.logs.String())
		}
	})
	// The port is chosen by binding :0 and releasing it, so another process
	// can take it before versitygw binds it: retry with a new port.
	for attempt := 0; ; attempt++ {
		s.addr, err = freeAddr()
		if err != nil {
			t.Fatalf("s3test: %v", err)
		}
		s.Endpoint = "http://" + s.addr
		err = s.start()
		if err == nil || attempt == 4 {
			break
		}
	}
	if err != nil {
		t.Fatalf("s3test: start versitygw: %v\n%s", err, s.logs.String())
	}
	return s
}

// Client returns an S3 client for the server: static credentials, path-style
// addressing, checksums only when required. optFns apply last.
func (s *Server) Client(t testing.TB, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	cfg := aws.Config{
		Region:      s.Region,
		Credentials: credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	}
	base := func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){base}, optFns...)...)
}

// Bucket creates the bucket name and returns name.
func (s *Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	_, err := s.Client(t).CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}

// Env returns the standard AWS variables that point code loading its
// configuration the standard way (awsconf.Load, the AWS CLI, a subprocess)
// at this server.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_S3":              s.Endpoint,
		"AWS_ACCESS_KEY_ID":                s.AccessKey,
		"AWS_SECRET_ACCESS_KEY":            s.SecretKey,
		"AWS_REGION":                       s.Region,
		"AWS_DEFAULT_REGION":               s.Region,
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
		"AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
	}
}

// Getenv looks key up in Env, for functions that take a getenv function.
func (s *Server) Getenv(key string) string { return s.Env()[key] }

// Kill stops the server abruptly (SIGKILL), as a crash would. Requests fail
// until Restart.
func (s *Server) Kill() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Restart starts a killed or stopped server again on the same address and
// folder.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Kill()
	var err error
	// The address was ours a moment ago; give the kernel a few tries to
	// hand it back.
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("s3test: restart versitygw: %v\n%s", err, s.logs.String())
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin, "--quiet", "--health", healthPath, "--port", s.addr, "posix", s.Root)
	cmd.Env = []string{
		"ROOT_ACCESS_KEY_ID=" + s.AccessKey,
		"ROOT_SECRET_ACCESS_KEY=" + s.SecretKey,
		"VGW_REGION=" + s.Region,
	}
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := waitReady(s.Endpoint+healthPath, p); err != nil {
		cmd.Process.Kill()
		<-p.done
		return err
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// stop ends the server gracefully, killing it if it does not exit promptly.
func (s *Server) stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// waitReady polls the health endpoint until it answers 200, the process
// exits, or about 20 seconds of attempts have passed.
func waitReady(url string, p *process) error {
	client := &http.Client{Timeout: time.Second}
	delay := 5 * time.Millisecond
	var last error
	for attempt := 0; attempt < 200; attempt++ {
		select {
		case <-p.done:
			return fmt.Errorf("versitygw exited: %v", p.err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health check: %s", resp.Status)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("versitygw exited: %v", p.err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
	return fmt.Errorf("versitygw not ready: %w", last)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// lockedBuffer collects the server's output from its two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var errNoBinary = errors.New("versitygw not found")

// Binary returns the path of a versitygw binary, building it if needed; see
// the package comment for the search order.
func Binary(ctx context.Context) (string, error) {
	return locator{
		getenv:   os.Getenv,
		getwd:    os.Getwd,
		lookPath: exec.LookPath,
		install:  goInstall,
	}.locate(ctx)
}
