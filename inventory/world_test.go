package inventory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/keytrail/keytrail/inventory"
	"github.com/keytrail/keytrail/inventory/clients"
)

// The world the tests read: one loopback server speaking each service's
// wire protocol as the AWS API reference documents it — Secrets Manager,
// KMS and Organizations JSON 1.1 (X-Amz-Target), IAM and STS Query (form
// POST, XML) — with the reference's example responses (testdata/aws),
// reached through the real SDK clients. KMS is local-kms where it runs
// (self, us-east-1), with ListGrants, which local-kms lacks, answered
// here. Which account a request is for comes from its signature: the
// deployment's own credentials and each assumed role's carry the
// account in their access key id.

const (
	self     = "111122223333"
	member   = "444455556666"
	locked   = "777788889999" // its role cannot be assumed
	roleName = "keytrail/keytrail-inventory-reader"
)

type world struct {
	t        *testing.T
	srv      *httptest.Server
	kms      *httputil.ReverseProxy // local-kms, for self in us-east-1
	mu       sync.Mutex
	calls    map[string]int    // "svc:Op account region"
	fail     map[string]string // "svc:Op account region" → error code, every time
	throttle map[string]int    // "svc:Op account region" → throttles left before it answers
	secrets  map[string]int    // "account region" → how many secrets
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, calls: map[string]int{}, fail: map[string]string{}, throttle: map[string]int{}, secrets: map[string]int{}}
	w.srv = httptest.NewServer(w)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) count(key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[key]
}

// scope reads the access key id, region and service of a SigV4 request.
var scopeRE = regexp.MustCompile(`Credential=([A-Z0-9]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

func (w *world) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(rw, "unsigned request", http.StatusForbidden)
		return
	}
	akid, region, svc := m[1], m[2], m[3]
	account := akid[len(akid)-12:]
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var op string
	var form url.Values
	switch svc {
	case "iam", "sts":
		form, _ = url.ParseQuery(string(body))
		op = form.Get("Action")
	default:
		_, op, _ = strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	}
	if svc == "sts" { // the account is the role's, not the caller's
		account = strings.Split(form.Get("RoleArn"), ":")[4]
	}
	key := svc + ":" + op + " " + account + " " + region
	w.mu.Lock()
	w.calls[key]++
	code := w.fail[key]
	throttled := w.throttle[key] > 0
	if throttled {
		w.throttle[key]--
	}
	w.mu.Unlock()
	query := svc == "iam" || svc == "sts"
	switch {
	case code != "":
		awsError(rw, query, code, "User: arn:aws:sts::"+account+":assumed-role/x/y is not authorized to perform: "+svc+":"+op)
		return
	case throttled && query:
		awsError(rw, query, "Throttling", "Rate exceeded")
		return
	case throttled:
		awsError(rw, query, "ThrottlingException", "Rate exceeded")
		return
	}
	var in map[string]any
	if !query {
		json.Unmarshal(body, &in)
	}
	sub := strings.NewReplacer("123456789012", account, "us-west-2", region)
	switch key := svc + ":" + op; key {
	case "sts:AssumeRole":
		xmlOut(rw, sub.Replace(fixture(w.t, "sts-AssumeRole.xml")))
	case "iam:GetAccountAuthorizationDetails":
		page := map[string]string{"": "1", "EXAMPLEkakv9BCuUNFDtxWSyfzetYwEx2ADc8dnzfvERF5S6YMvXKx41t6gCl/eeaCX3Jo94/bKqezEAg8TEVS99EKFLxm3jtbpl25FDWEXAMPLE": "2",
			"SECONDPAGEkakv9BCuUNFDtxWSyfzetYwEx2ADc8dnzfvERF5S6YMvXKx41t6gCl": "3"}[form.Get("Marker")]
		xmlOut(rw, sub.Replace(fixture(w.t, "iam-GetAccountAuthorizationDetails-"+page+".xml")))
	case "organizations:ListAccounts":
		var all struct{ Accounts []json.RawMessage }
		json.Unmarshal([]byte(fixture(w.t, "organizations-ListAccounts.json")), &all)
		from, _ := strconv.Atoi(str(in["NextToken"]))
		out := map[string]any{"Accounts": all.Accounts[from:min(from+2, len(all.Accounts))]}
		if from+2 < len(all.Accounts) {
			out["NextToken"] = strconv.Itoa(from + 2)
		}
		jsonOut(rw, out)
	case "secretsmanager:ListSecrets":
		n := w.secrets[account+" "+region]
		from, _ := strconv.Atoi(str(in["NextToken"]))
		var list []map[string]any
		for i := from; i < min(from+2, n); i++ { // pages of two, whatever MaxResults says
			s := w.secret(sub, i)
			delete(s, "ReplicationStatus") // DescribeSecret's only
			list = append(list, s)
		}
		out := map[string]any{"SecretList": list}
		if from+2 < n {
			out["NextToken"] = strconv.Itoa(from + 2)
		}
		jsonOut(rw, out)
	case "secretsmanager:DescribeSecret":
		jsonOut(rw, w.secret(sub, secretIndex(str(in["SecretId"]))))
	case "secretsmanager:GetResourcePolicy":
		i := secretIndex(str(in["SecretId"]))
		switch i {
		case 0:
			rw.Write([]byte(sub.Replace(fixture(w.t, "secretsmanager-GetResourcePolicy.json"))))
		case 2:
			awsError(rw, false, "AccessDeniedException", "denied by the secret's policy")
		default:
			jsonOut(rw, map[string]any{"ARN": str(in["SecretId"]), "Name": "x"})
		}
	case "kms:ListGrants":
		g := sub.Replace(fixture(w.t, "kms-ListGrants.json"))
		g = strings.ReplaceAll(g, "1234abcd-12ab-34cd-56ef-1234567890ab", str(in["KeyId"]))
		rw.Write([]byte(g))
	default:
		if svc == "kms" && w.kms != nil && account == self && region == "us-east-1" {
			w.kms.ServeHTTP(rw, r)
			return
		}
		switch key {
		case "kms:ListKeys":
			jsonOut(rw, map[string]any{"Keys": []any{}, "Truncated": false})
		case "kms:ListAliases":
			jsonOut(rw, map[string]any{"Aliases": []any{}, "Truncated": false})
		default:
			http.Error(rw, "not in this world: "+key, http.StatusNotImplemented)
		}
	}
}

// secret i of an account and region: the reference's DescribeSecret
// example under another name; secret 1 is scheduled for deletion, and
// secret 3's name and tag carry what a hostile tenant might write.
func (w *world) secret(sub *strings.Replacer, i int) map[string]any {
	var s map[string]any
	if err := json.Unmarshal([]byte(sub.Replace(fixture(w.t, "secretsmanager-DescribeSecret.json"))), &s); err != nil {
		w.t.Fatal(err)
	}
	name := fmt.Sprintf("app/db-%d", i)
	if i == 3 {
		name = fmt.Sprintf("app/db-%d\u202e\n", i)
		s["Tags"] = []any{map[string]any{"Key": "owner", "Value": "=HYPERLINK(\"x\")"}}
	}
	s["Name"] = name
	s["ARN"] = strings.Replace(str(s["ARN"]), "MyTestDatabaseSecret", url.PathEscape(name), 1)
	if i == 1 {
		s["DeletedDate"] = 1.7e9
	}
	return s
}

var secretIndexRE = regexp.MustCompile(`db-(\d+)`)

func secretIndex(id string) int {
	m := secretIndexRE.FindStringSubmatch(id)
	if m == nil {
		return -1
	}
	i, _ := strconv.Atoi(m[1])
	return i
}

func str(v any) string { s, _ := v.(string); return s }

func fixture(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "aws", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonOut(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(rw).Encode(v)
}

func xmlOut(rw http.ResponseWriter, s string) {
	rw.Header().Set("Content-Type", "text/xml")
	rw.Write([]byte(s))
}

// awsError answers as the services do: JSON's __type, or Query's
// ErrorResponse (403 for access denied).
func awsError(rw http.ResponseWriter, query bool, code, msg string) {
	status := http.StatusBadRequest
	if strings.HasPrefix(code, "AccessDenied") {
		status = http.StatusForbidden
	}
	if query {
		rw.Header().Set("Content-Type", "text/xml")
		rw.WriteHeader(status)
		fmt.Fprintf(rw, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>4c5e3a2b-0000-11e4-8c85-4b53eEXAMPLE</RequestId></ErrorResponse>`, code, msg)
		return
	}
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(map[string]string{"__type": code, "message": msg})
}

// config is the deployment's own AWS configuration in this world.
func (w *world) config() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIA00000"+self, "secret", "")}
}

// options point every client at the world, and do not wait between retries.
func (w *world) options() clients.Options {
	e := map[string]string{}
	for _, svc := range []string{"secretsmanager", "kms", "iam", "organizations", "sts"} {
		e[svc] = w.srv.URL
	}
	return clients.Options{Backoff: noWait{}, Endpoints: e}
}

type noWait struct{}

func (noWait) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// collector reads this world as a deployment would.
func (w *world) collector(at time.Time, org bool) *inventory.Collector {
	cfg, o := w.config(), w.options()
	c := &inventory.Collector{Self: self, Accounts: []string{member, locked}, Regions: []string{"us-east-1", "eu-west-1"},
		MemberRole: roleName, STS: clients.STS(cfg, o), Connect: clients.Connect(cfg, o), PageSize: 1,
		Now: func() time.Time { return at }, Logger: slog.New(slog.DiscardHandler)}
	if org {
		c.Org = clients.Organizations(cfg, o)
	}
	return c
}

// startLocalKMS runs local-kms (KEYTRAIL_LOCAL_KMS, or bin/local-kms from
// `make tools`) on a free port for self in us-east-1, seeded with
// testdata/local-kms-seed.yaml, and routes that account's KMS calls to it.
func (w *world) startLocalKMS(t *testing.T) *kms.Client {
	bin := os.Getenv("KEYTRAIL_LOCAL_KMS")
	if bin == "" {
		bin = filepath.Join("..", "bin", "local-kms")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("local-kms not found at %s: run `make tools` or set KEYTRAIL_LOCAL_KMS", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	seed, _ := filepath.Abs(filepath.Join("testdata", "local-kms-seed.yaml"))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "KMS_ACCOUNT_ID="+self, "KMS_REGION=us-east-1", "KMS_DATA_PATH="+t.TempDir(), "KMS_SEED_PATH="+seed)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	target, _ := url.Parse("http://127.0.0.1:" + port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", target.Host)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("local-kms did not start: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.kms = httputil.NewSingleHostReverseProxy(target)
	cfg := w.config()
	return kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(target.String()) })
}

var _ = context.Background

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
