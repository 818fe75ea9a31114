package s3test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestServerRoundTripKillRestart(t *testing.T) {
	srv := Start(t)
	c := srv.Client(t)
	bucket := srv.Bucket(t, "round-trip")
	ctx := t.Context()

	const key, body = "a/b c=d/object.txt", "hello versitygw"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body),
	}); err != nil {
		t.Fatalf("put: %v", err)
	}
	// The posix backend stores the object as a plain file: proof that the
	// server is the real one, serving Root.
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, bucket, filepath.FromSlash(key)))
	if err != nil || string(onDisk) != body {
		t.Fatalf("file on disk = %q, %v; want %q", onDisk, err, body)
	}

	srv.Kill()
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)},
		func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if err == nil {
		t.Fatal("get after Kill succeeded; want a connection error")
	}

	srv.Restart(t)
	got := getString(t, c, bucket, key)
	if got != body {
		t.Fatalf("get after Restart = %q, want %q", got, body)
	}
}

func TestEnvPointsAtServer(t *testing.T) {
	srv := Start(t)
	env := srv.Env()
	for k, want := range map[string]string{
		"AWS_ENDPOINT_URL_S3":   srv.Endpoint,
		"AWS_ACCESS_KEY_ID":     srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY": srv.SecretKey,
		"AWS_REGION":            srv.Region,
	} {
		if env[k] != want || srv.Getenv(k) != want {
			t.Errorf("Env()[%s] = %q, Getenv = %q; want %q", k, env[k], srv.Getenv(k), want)
		}
	}
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want loopback", srv.Endpoint)
	}
}

func getString(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return string(b)
}

func TestLocate(t *testing.T) {
	// A fake repository: go.mod at root, tests running two levels down.
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "module example\n", 0o644)
	wd := filepath.Join(root, "internal", "pkg")
	if err := os.MkdirAll(wd, 0o755); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	explicit := filepath.Join(elsewhere, "my-versitygw")
	writeFile(t, explicit, "#!/bin/sh\n", 0o755)
	notExec := filepath.Join(elsewhere, "not-executable")
	writeFile(t, notExec, "", 0o644)
	onPath := filepath.Join(elsewhere, "path-versitygw")
	repoBin := filepath.Join(root, "bin", "versitygw")

	noPath := func(string) (string, error) { return "", errors.New("not on PATH") }
	withPath := func(string) (string, error) { return onPath, nil }
	installs := func(ctx context.Context, gobin string) error {
		writeFile(t, filepath.Join(gobin, "versitygw"), "#!/bin/sh\n", 0o755)
		return nil
	}
	installFails := func(ctx context.Context, gobin string) error { return errors.New("no network") }
	installsNothing := func(ctx context.Context, gobin string) error { return nil }

	tests := []struct {
		name     string
		env      string
		wd       string
		repoBin  bool
		lookPath func(string) (string, error)
		install  func(context.Context, string) error
		want     string
		wantErr  string
		installs bool
	}{
		{name: "env wins over everything", env: explicit, wd: wd, repoBin: true, lookPath: withPath, want: explicit},
		{name: "env not executable", env: notExec, wd: wd, lookPath: withPath, wantErr: "not an executable"},
		{name: "env missing file", env: filepath.Join(elsewhere, "nope"), wd: wd, lookPath: withPath, wantErr: "KEYTRAIL_VERSITYGW"},
		{name: "repo bin before PATH", wd: wd, repoBin: true, lookPath: withPath, want: repoBin},
		{name: "PATH", wd: wd, lookPath: withPath, want: onPath},
		{name: "go install into repo bin", wd: wd, lookPath: noPath, install: installs, want: repoBin, installs: true},
		{name: "go install fails", wd: wd, lookPath: noPath, install: installFails, wantErr: "no network", installs: true},
		{name: "go install leaves no binary", wd: wd, lookPath: noPath, install: installsNothing, wantErr: "missing after go install", installs: true},
		{name: "no repository, not on PATH", wd: elsewhere, lookPath: noPath, wantErr: "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(root, "bin"))
			if tc.repoBin {
				writeFile(t, repoBin, "#!/bin/sh\n", 0o755)
			}
			installed := false
			l := locator{
				getenv: func(k string) string {
					if k == "KEYTRAIL_VERSITYGW" {
						return tc.env
					}
					return ""
				},
				getwd:    func() (string, error) { return tc.wd, nil },
				lookPath: tc.lookPath,
				install: func(ctx context.Context, gobin string) error {
					installed = true
					if gobin != filepath.Join(root, "bin") {
						t.Errorf("install into %s, want %s", gobin, filepath.Join(root, "bin"))
					}
					if tc.install == nil {
						t.Fatal("unexpected install")
					}
					return tc.install(ctx, gobin)
				},
			}
			got, err := l.locate(t.Context())
			if installed != tc.installs {
				t.Errorf("installed = %v, want %v", installed, tc.installs)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("locate = %q, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("locate = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestGoInstall runs the real fallback, go install of the pinned version,
// into a temporary folder. With a warm build cache it only links; skipped
// with -short because a cold build takes about 45 s.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping go install of versitygw in -short mode")
	}
	gobin := t.TempDir()
	if err := goInstall(t.Context(), gobin); err != nil {
		t.Fatal(err)
	}
	if p := filepath.Join(gobin, "versitygw"); !isExecutable(p) {
		t.Fatalf("%s is not an executable after go install", p)
	}
}

func writeFile(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// TestModuleMatchesMakefile keeps the version the fallback installs equal
// to the one `make tools` installs.
func TestModuleMatchesMakefile(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Skipf("no Makefile at the repository root: %v", err)
	}
	var version string
	for line := range strings.Lines(string(mk)) {
		if v, ok := strings.CutPrefix(line, "VERSITYGW_VERSION"); ok {
			_, version, _ = strings.Cut(v, ":=")
			version = strings.TrimSpace(version)
		}
	}
	if version == "" {
		t.Fatal("Makefile has no VERSITYGW_VERSION")
	}
	if want := "github.com/versity/versitygw/cmd/versitygw@" + version; Module != want {
		t.Fatalf("Module = %s, Makefile installs %s", Module, want)
	}
}
