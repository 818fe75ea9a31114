package kestrel

import (
	"encoding/json"
	"fmt"
	"time"
)

// The organization's accounts, and the two outside it.
const (
	acctProd     = "613245870021"
	acctDev      = "613245870112"
	acctLogging  = "613245870233"
	acctAudit    = "613245870344"
	acctVendor   = "702918364455"
	acctAttacker = "389021774566"
	orgID        = "o-k3str3lh7x"

	south = "ap-south-1"
	east  = "us-east-1"

	eksOIDC    = "oidc.eks.ap-south-1.amazonaws.com/id/"
	githubOIDC = "token.actions.githubusercontent.com"
	consoleUA  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	sdkUA      = "aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/secretsmanager#1.34.7"
	javaUA     = "aws-sdk-java/2.29.20 Linux/5.10.228-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode#standard"
	pyLambdaUA = "Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#5.10.230-244.895.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.76"
	nodeUA     = "aws-sdk-js/3.717.0 ua/2.1 os/linux#5.10.230 lang/js md/nodejs#20.18.1 api/secrets-manager#3.717.0"
	cliUA      = "aws-cli/2.22.20 md/awscrt#0.23.4 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#secretsmanager.get-secret-value"
	ghaUA      = "aws-cli/2.22.18 md/awscrt#0.23.4 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/GitHub-Actions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#secretsmanager.get-secret-value"
)

type key struct{ arn, alias string }

type secret struct {
	name, arn, region, acct string
	key                     *key // nil: aws/secretsmanager
}

type person struct {
	email, set, acct string
	role             *role
	secrets          []*secret // what they read
	home             string    // home address
}

type workload struct {
	name    string
	role    *role
	secrets []*secret
	pods    int
	ua      string
	region  string
	ips     []string
	vpce    string
	sess    map[string]*caller
}

type org struct {
	keys    map[string]*key
	secrets map[string]*secret
	prod    []*secret // prod ap-south-1 secrets in catalog order
	svcs    []*workload
	lambdas []*workload
	kafka   *workload
	etl     *workload
	reports *workload
	dr      *role
	rotator *role
	ci      *role
	vendor  *role
	people  map[string]*person
	ssoRole map[string]*role // by account/set
	office  []string
	vpceSM  string
}

func (w *world) key(acct, region, alias string) *key {
	return &key{arn: "arn:aws:kms:" + region + ":" + acct + ":key/" + w.uuid("key", acct, region, alias), alias: alias}
}

func (w *world) secret(acct, region, name string, k *key) *secret {
	return &secret{name: name, acct: acct, region: region, key: k,
		arn: "arn:aws:secretsmanager:" + region + ":" + acct + ":secret:" + name + "-" + w.chars(6, alnum, "secret", acct, name)}
}

// replica is a secret's replica in another region: same name and suffix.
func replica(s *secret, region string, k *key) *secret {
	r := *s
	r.region, r.key = region, k
	r.arn = "arn:aws:secretsmanager:" + region + ":" + s.acct + ":secret:" + s.name + s.arn[len(s.arn)-7:]
	return &r
}

var eksServices = []string{"patients-api", "appointments-api", "orders-api", "billing-api", "claims-api",
	"labs-api", "pharmacy-api", "notifications-api", "identity-api", "search-api", "documents-api", "telehealth-api"}

var lambdaFns = []string{"appointment-reminders", "notify-sms", "pdf-render", "insurance-verify", "webhook-dispatch", "image-thumbs"}

var partnerSecrets = []string{"prod/partners/razorpay", "prod/partners/twilio", "prod/partners/sendgrid",
	"prod/partners/abdm-gateway", "prod/partners/lab-network", "prod/partners/insurer-hub",
	"prod/ops/pagerduty", "prod/ops/datadog-api", "prod/ops/grafana-admin", "prod/ops/vpn-psk"}

var staff = []struct{ email, set, acct string }{
	{"arjun.mehta@kestrelhealth.in", "AdministratorAccess", acctProd},
	{"kavya.reddy@kestrelhealth.in", "SRE", acctProd},
	{"rohan.iyer@kestrelhealth.in", "SRE", acctProd}, // on call 21:00-01:00
	{"sneha.kulkarni@kestrelhealth.in", "SRE", acctProd},
	{"vikram.nair@kestrelhealth.in", "SRE", acctProd},
	{"ananya.das@kestrelhealth.in", "PlatformEngineer", acctProd},
	{"karthik.subramanian@kestrelhealth.in", "PlatformEngineer", acctProd},
	{"pooja.sharma@kestrelhealth.in", "PlatformEngineer", acctProd},
	{"rahul.verma@kestrelhealth.in", "Developer", acctDev},
	{"divya.menon@kestrelhealth.in", "Developer", acctDev},
	{"aditya.joshi@kestrelhealth.in", "Developer", acctDev},
	{"nisha.gupta@kestrelhealth.in", "Developer", acctDev},
	{"sanjay.patel@kestrelhealth.in", "Developer", acctDev},
	{"farhan.qureshi@kestrelhealth.in", "Developer", acctDev},
	{"meera.pillai@kestrelhealth.in", "DataAnalyst", acctProd},
	{"tanvi.bose@kestrelhealth.in", "DataAnalyst", acctProd},
	{"harish.rao@kestrelhealth.in", "ReadOnly", acctProd},
	{"lakshmi.krishnan@kestrelhealth.in", "ReadOnly", acctProd},
	{"deepak.chawla@kestrelhealth.in", "SecurityAudit", acctAudit},
	{"isha.kapoor@kestrelhealth.in", "SecurityAudit", acctAudit},
}

func (w *world) ip(parts ...string) string {
	x := w.hash(parts...)
	return fmt.Sprintf("%d.%d.%d.%d", []int{49, 103, 106, 117, 122, 157, 183}[x%7], 20+x>>8%200, x>>16%250, 2+x>>24%250)
}

func (w *world) newOrg() *org {
	o := &org{keys: map[string]*key{}, secrets: map[string]*secret{}, people: map[string]*person{}, ssoRole: map[string]*role{}}
	for _, k := range []struct{ acct, region, alias string }{
		{acctProd, south, "prod-secrets"}, {acctProd, south, "prod-data"}, {acctProd, south, "prod-s3"},
		{acctProd, south, "prod-events"}, {acctProd, south, "prod-lambda"}, {acctProd, south, "prod-rds"},
		{acctProd, east, "us-customer"}, {acctProd, east, "us-customer-archive"},
		{acctLogging, south, "shared-logs"}, {acctDev, south, "dev-secrets"}, {acctAttacker, south, "exfil"},
	} {
		o.keys[k.alias] = w.key(k.acct, k.region, k.alias)
	}
	ps := o.keys["prod-secrets"]
	addProd := func(name string) *secret {
		s := w.secret(acctProd, south, name, ps)
		o.secrets[name] = s
		o.prod = append(o.prod, s)
		return s
	}
	o.office = []string{"103.211.18.34", "103.211.18.35", "49.207.61.12"}
	o.vpceSM = "vpce-0" + w.chars(16, hexLow, "vpce", "sm")
	for _, n := range eksServices {
		svc := &workload{name: n, role: w.role(acctProd, "", "eks-"+n), pods: 3 + int(w.hash("pods", n)%3), ua: sdkUA,
			region: south, vpce: o.vpceSM, sess: map[string]*caller{}}
		if w.hash("lang", n)%3 == 0 {
			svc.ua = javaUA
		}
		svc.secrets = []*secret{addProd("prod/" + n + "/db"), addProd("prod/" + n + "/api-key")}
		for p := range svc.pods {
			svc.ips = append(svc.ips, fmt.Sprintf("10.20.%d.%d", 8+w.hash("subnet", n, fmt.Sprint(p))%24, 10+w.hash("ip", n, fmt.Sprint(p))%240))
		}
		o.svcs = append(o.svcs, svc)
	}
	for _, n := range lambdaFns {
		fn := &workload{name: n, role: w.role(acctProd, "service-role/", "lambda-"+n), pods: 1, ua: pyLambdaUA, region: south,
			sess: map[string]*caller{}}
		if w.hash("lang", n)%2 == 0 {
			fn.ua = nodeUA
		}
		fn.secrets = []*secret{addProd("prod/lambda/" + n)}
		o.lambdas = append(o.lambdas, fn)
	}
	o.kafka = &workload{name: "events-consumer", role: w.role(acctProd, "", "eks-events-consumer"), pods: 8, ua: javaUA,
		region: south, vpce: o.vpceSM, sess: map[string]*caller{},
		secrets: []*secret{addProd("prod/kafka/sasl"), addProd("prod/kafka/schema-registry")}}
	for p := range 8 {
		o.kafka.ips = append(o.kafka.ips, fmt.Sprintf("10.20.40.%d", 20+p*7))
	}
	o.etl = &workload{name: "etl-nightly", role: w.role(acctProd, "", "ecs-etl-nightly"), pods: 1, ua: pyLambdaUA,
		region: south, vpce: o.vpceSM, ips: []string{"10.20.60.14"}, sess: map[string]*caller{},
		secrets: []*secret{addProd("prod/etl/warehouse"), addProd("prod/etl/source-replica"), addProd("prod/etl/sftp-hospitals")}}
	o.etl.ua = "Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#5.10.230 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#legacy Botocore/1.35.76"
	o.reports = &workload{name: "reports-worker", role: w.role(acctProd, "", "ecs-reports-worker"), pods: 1, ua: javaUA,
		region: south, vpce: o.vpceSM, ips: []string{"10.20.61.30"}, sess: map[string]*caller{},
		secrets: []*secret{addProd("prod/reports/smtp")}}
	for _, n := range []string{"prod/ci/ecr-pull", "prod/ci/helm-repo", "prod/ci/sentry-release", "prod/ci/argocd-token", "prod/ci/slack-webhook"} {
		addProd(n)
	}
	addProd("prod/analytics/warehouse-ro")
	addProd("prod/analytics/metabase")
	addProd("prod/reporting/export-sftp")
	for _, n := range partnerSecrets {
		addProd(n)
	}
	for _, n := range []string{"us/patients-api/db", "us/orders-api/db", "us/identity-api/db"} {
		o.secrets[n] = w.secret(acctProd, east, n, o.keys["us-customer"])
	}
	for _, n := range []string{"dev/shared/db", "dev/shared/api-key", "dev/payments/sandbox"} {
		o.secrets[n] = w.secret(acctDev, south, n, o.keys["dev-secrets"])
	}
	o.dr = w.role(acctProd, "", "dr-replication")
	o.rotator = w.role(acctProd, "service-role/", "lambda-secrets-rotation")
	o.ci = w.role(acctProd, "", "github-actions-deploy")
	o.vendor = w.role(acctVendor, "", "LogAnalyticsReader")
	for _, s := range staff {
		k := s.acct + "/" + s.set
		r, ok := o.ssoRole[k]
		if !ok {
			r = w.role(s.acct, "aws-reserved/sso.amazonaws.com/ap-south-1/",
				"AWSReservedSSO_"+s.set+"_"+w.chars(16, hexLow, "sso", s.acct, s.set))
			o.ssoRole[k] = r
		}
		p := &person{email: s.email, set: s.set, acct: s.acct, role: r, home: w.ip("home", s.email)}
		switch s.set {
		case "SRE", "AdministratorAccess":
			for i := range 6 {
				p.secrets = append(p.secrets, o.prod[int(w.hash("sre", s.email, fmt.Sprint(i))%24)])
			}
		case "PlatformEngineer":
			for i := range 4 {
				p.secrets = append(p.secrets, o.prod[int(w.hash("pe", s.email, fmt.Sprint(i))%uint64(len(o.prod)))])
			}
		case "DataAnalyst":
			p.secrets = []*secret{o.secrets["prod/analytics/warehouse-ro"], o.secrets["prod/analytics/metabase"]}
		case "Developer":
			p.secrets = []*secret{o.secrets["dev/shared/db"], o.secrets["dev/shared/api-key"], o.secrets["dev/payments/sandbox"]}
		}
		o.people[s.email] = p
	}
	return o
}

// sso is a person's console session started at t.
func (w *world) sso(p *person, t time.Time, ip string) *caller {
	return w.session(p.role, p.email, "", t, ip, consoleUA, "", true)
}

// Request bodies.

func secretReq(s *secret) json.RawMessage { return mustJSON(om{"secretId", s.arn}) }

// getSecret records GetSecretValue and, for a secret under a customer key,
// the Decrypt Secrets Manager makes for the caller.
func (w *world) getSecret(lbl int16, t time.Time, c *caller, s *secret) *ev {
	e := w.call(lbl, t, c, s.region, s.acct, srcSM, "GetSecretValue", secretReq(s), nil, true, s.arn)
	if s.key != nil && c.acct == s.acct {
		w.smDecrypt(lbl, t, c, s)
	}
	return e
}

func (w *world) smDecrypt(lbl int16, t time.Time, c *caller, s *secret) {
	ctx := om{"SecretARN", s.arn, "SecretVersionId", w.uuid("version", s.arn)}
	d := w.call(lbl, t, c.by("secretsmanager.amazonaws.com"), s.region, s.acct, srcKMS, "Decrypt",
		mustJSON(om{"encryptionAlgorithm", "SYMMETRIC_DEFAULT", "encryptionContext", ctx}), nil, true, s.key.arn)
	d.keyRes = s.key.arn
}

// kms records a KMS call on k in k's account and region.
func (w *world) kms(lbl int16, t time.Time, c *caller, name string, k *key, req om, ro bool) *ev {
	if req == nil {
		req = om{"keyId", k.arn}
	}
	e := w.call(lbl, t, c, arnRegion(k.arn), arnAccount(k.arn), srcKMS, name, mustJSON(req), nil, ro, k.arn)
	e.keyRes = k.arn
	return e
}

func decryptReq(ctx om) om {
	return om{"encryptionAlgorithm", "SYMMETRIC_DEFAULT", "encryptionContext", ctx}
}

func gdkReq(k *key, ctx om) om {
	return om{"keyId", k.arn, "encryptionContext", ctx, "keySpec", "AES_256"}
}
