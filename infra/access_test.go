package infra

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/source"
)

// Who may do what: an IAM policy evaluator
//
// The tests in policy_test.go compare each role's grants with its code;
// the ones here ask AWS's own question of the rendered template — may this
// principal make this request? — so that each promise of the README's
// security model is checked as a decision, not as the shape of a statement.
// The evaluator follows AWS's documented logic for a request inside one
// account:
//   - an explicit Deny in any policy that applies wins;
//   - KMS: the key policy decides. A statement naming the principal
//     allows on its own; one naming the account (arn:…:root) delegates to
//     IAM, so the principal's identity policy must allow as well. An
//     identity policy alone never allows;
//   - other services (Secrets Manager, SQS): an Allow in the identity
//     policy, or in the resource policy naming the principal, suffices;
//   - actions match as case-insensitive globs, resources and condition
//     values as globs or exactly by operator; a condition key missing from
//     the request fails a positive operator and passes a negated one.
//
// What it does not model (NotAction, NotResource, NotPrincipal, an unknown
// condition operator) fails the test instead of being skipped. Grants,
// SCPs, permission boundaries and session policies are outside it: the
// template creates no grants and cannot rely on the others.

// principal is a caller: its ARN (a role's ARN stands for all its
// sessions, as aws:PrincipalArn does), its account, and the identity
// policies attached to it.
type principal struct {
	Name     string // for messages
	ARN      string
	Account  string
	Identity []statement
}

// request is one API call to be decided.
type request struct {
	Action   string
	Resource string
	// Context holds condition keys; aws:PrincipalArn comes from the
	// principal and aws:SecureTransport is "true" unless set.
	Context map[string]string
}

// decision evaluates req by p against the resource's policy (nil: none).
// kms says the resource is a KMS key, whose policy alone can allow.
func decision(t *testing.T, p principal, req request, resource []statement, kms bool) bool {
	t.Helper()
	ctx := map[string]string{"aws:principalarn": p.ARN, "aws:securetransport": "true"}
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	var idAllow, direct, viaAccount bool
	for _, s := range p.Identity {
		if !statementApplies(t, s, req, ctx) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		idAllow = true
	}
	for _, s := range resource {
		who := principalMatch(t, s, p)
		if who == "" || !statementApplies(t, s, req, ctx) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		if who == "direct" {
			direct = true
		} else {
			viaAccount = true
		}
	}
	if kms {
		return direct || viaAccount && idAllow
	}
	return idAllow || direct
}

// statementApplies matches action, resource and condition (not principal).
func statementApplies(t *testing.T, s statement, req request, ctx map[string]string) bool {
	t.Helper()
	for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
		if _, ok := s.Raw[k]; ok {
			t.Fatalf("statement %s: %s is not modelled by the evaluator", s.Sid, k)
		}
	}
	if s.Effect != "Allow" && s.Effect != "Deny" {
		t.Fatalf("statement %s: effect %q", s.Sid, s.Effect)
	}
	if !slices.ContainsFunc(s.Actions, func(a string) bool { return glob(strings.ToLower(a), strings.ToLower(req.Action)) }) {
		return false
	}
	if !slices.ContainsFunc(s.Resources, func(r string) bool { return glob(r, req.Resource) }) {
		return false
	}
	return conditionHolds(t, s, ctx)
}

// principalMatch says how a resource policy statement names p: "direct",
// "account" (its account root: delegation to IAM) or "" (not at all).
func principalMatch(t *testing.T, s statement, p principal) string {
	t.Helper()
	raw, ok := s.Raw["Principal"]
	if !ok {
		t.Fatalf("resource policy statement %s has no Principal", s.Sid)
	}
	if raw == "*" {
		return "direct"
	}
	m := mapOf(raw)
	if m == nil {
		t.Fatalf("statement %s: Principal %v", s.Sid, raw)
	}
	for k := range m {
		if k != "AWS" && k != "Service" {
			t.Fatalf("statement %s: principal type %s is not modelled", s.Sid, k)
		}
	}
	who := ""
	for _, a := range stringsOf(m["AWS"]) {
		switch {
		case a == "*" || a == p.ARN:
			return "direct"
		case a == "arn:aws:iam::"+p.Account+":root":
			who = "account"
		}
	}
	if slices.Contains(stringsOf(m["Service"]), p.ARN) {
		return "direct"
	}
	return who
}

// conditionHolds evaluates every operator of s's Condition against ctx.
func conditionHolds(t *testing.T, s statement, ctx map[string]string) bool {
	t.Helper()
	for op, keys := range s.Condition {
		for key, want := range mapOf(keys) {
			got, present := ctx[strings.ToLower(key)]
			values := stringsOf(want)
			some := func(match func(w string) bool) bool { return present && slices.ContainsFunc(values, match) }
			var ok bool
			switch op {
			case "StringEquals", "ArnEquals":
				ok = some(func(w string) bool { return w == got })
			case "StringNotEquals", "ArnNotEquals":
				ok = !some(func(w string) bool { return w == got })
			case "StringLike", "ArnLike":
				ok = some(func(w string) bool { return glob(w, got) })
			case "StringNotLike", "ArnNotLike":
				ok = !some(func(w string) bool { return glob(w, got) })
			case "Bool":
				ok = some(func(w string) bool { return strings.EqualFold(w, got) })
			case "Null":
				ok = slices.ContainsFunc(values, func(w string) bool { return (w == "true") == !present })
			default:
				t.Fatalf("statement %s: condition operator %s is not modelled by the evaluator", s.Sid, op)
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// glob matches s against a pattern where * is any run and ? one character.
func glob(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// allowAll is an identity policy granting everything, as an account
// administrator (or a careless policy) has.
var allowAll = []statement{parseStatement(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})}

// The evaluator decides known cases as AWS does; were it lenient, the
// promises below would hold vacuously.
func TestEvaluator(t *testing.T) {
	st := func(m map[string]any) statement { return parseStatement(m) }
	me := principal{Name: "app", ARN: "arn:aws:iam::111122223333:role/app", Account: "111122223333"}
	with := func(ids ...statement) principal { p := me; p.Identity = ids; return p }
	root := map[string]any{"AWS": "arn:aws:iam::111122223333:root"}
	decrypt := request{Action: "kms:Decrypt", Resource: "LakeKey.Arn"}
	for _, tc := range []struct {
		name     string
		p        principal
		req      request
		resource []statement
		kms      bool
		want     bool
	}{
		{"no policy, no access", with(), decrypt, nil, false, false},
		{"identity allow", with(allowAll...), request{Action: "sqs:SendMessage", Resource: "Queue.Arn"}, nil, false, true},
		{"action glob is case-insensitive", with(st(map[string]any{"Effect": "Allow", "Action": "SQS:Send*", "Resource": "Queue.Arn"})),
			request{Action: "sqs:SendMessage", Resource: "Queue.Arn"}, nil, false, true},
		{"resource must match", with(st(map[string]any{"Effect": "Allow", "Action": "sqs:*", "Resource": "Other.Arn"})),
			request{Action: "sqs:SendMessage", Resource: "Queue.Arn"}, nil, false, false},
		{"explicit deny in the resource policy wins", with(allowAll...), request{Action: "sqs:SendMessage", Resource: "Queue.Arn"},
			[]statement{st(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"})}, false, false},
		{"resource policy allow naming the principal", with(), request{Action: "sqs:SendMessage", Resource: "Queue.Arn"},
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": me.ARN}, "Action": "sqs:SendMessage", "Resource": "*"})}, false, true},
		{"KMS: identity policy alone is not enough", with(allowAll...), decrypt, nil, true, false},
		{"KMS: the account in the key policy delegates to IAM", with(allowAll...), decrypt,
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": root, "Action": "kms:*", "Resource": "*"})}, true, true},
		{"KMS: delegation without an identity allow", with(), decrypt,
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": root, "Action": "kms:*", "Resource": "*"})}, true, false},
		{"KMS: naming the principal allows on its own", with(), decrypt,
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": me.ARN}, "Action": "kms:Decrypt", "Resource": "*"})}, true, true},
		{"another account's root is not this one", with(allowAll...), decrypt,
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::999999999999:root"}, "Action": "kms:*", "Resource": "*"})}, true, false},
		{"condition key missing fails StringEquals", with(), decrypt,
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": me.ARN}, "Action": "kms:Decrypt", "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "s3.us-east-1.amazonaws.com"}}})}, true, false},
		{"condition key matches, case-insensitive name", with(), request{Action: "kms:Decrypt", Resource: "LakeKey.Arn", Context: map[string]string{"kms:viaservice": "s3.us-east-1.amazonaws.com"}},
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": me.ARN}, "Action": "kms:Decrypt", "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "s3.us-east-1.amazonaws.com"}}})}, true, true},
		{"StringNotEquals deny skips the named principal", with(allowAll...), request{Action: "secretsmanager:GetSecretValue", Resource: "SlackSecret"},
			[]statement{st(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
				"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalArn": []any{"x", me.ARN}}}})}, false, true},
		{"StringNotEquals deny hits everyone else", with(allowAll...), request{Action: "secretsmanager:GetSecretValue", Resource: "SlackSecret"},
			[]statement{st(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
				"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/other"}}})}, false, false},
		{"StringLike ? is one character", with(), request{Action: "kms:Decrypt", Resource: "LakeKey.Arn", Context: map[string]string{"kms:EncryptionContext:SecretARN": "s/slack-x-AbCdEf"}},
			[]statement{st(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": me.ARN}, "Action": "kms:Decrypt", "Resource": "*",
				"Condition": map[string]any{"StringLike": map[string]any{"kms:EncryptionContext:SecretARN": "s/slack-??????"}}})}, true, false},
		{"Bool on TLS", with(allowAll...), request{Action: "sqs:SendMessage", Resource: "Queue.Arn", Context: map[string]string{"aws:SecureTransport": "false"}},
			[]statement{st(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}})}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decision(t, tc.p, tc.req, tc.resource, tc.kms); got != tc.want {
				t.Errorf("decision = %v, want %v", got, tc.want)
			}
		})
	}
}

// deployment is one rendered template, with the policies and the callers
// the promises are about.
type deployment struct {
	t           *testing.T
	keyPolicy   []statement
	secret      []statement // the Slack secret's resource policy
	secretARN   string      // as KMS sees it in the encryption context
	functions   map[string]principal
	keyAdmins   []principal
	admin       principal // an account administrator: Allow * on *
	root        principal // the account root user
	queuePolicy map[string][]statement
}

const account = "111122223333"

func deploy(t *testing.T, params map[string]any) *deployment {
	t.Helper()
	d := deployFrom(t, mapOf(render(t, loadTemplate(t), params)["Resources"]))
	for _, a := range stringsOf(params["KeyAdminArns"]) {
		d.keyAdmins = append(d.keyAdmins, principal{Name: "key admin " + a, ARN: a, Account: account})
	}
	return d
}

// deployFrom reads the policies of a rendered keytrail stack.
func deployFrom(t *testing.T, res map[string]any) *deployment {
	t.Helper()
	d := &deployment{t: t, functions: map[string]principal{}, queuePolicy: map[string][]statement{},
		admin: principal{Name: "an administrator with * on *", ARN: "arn:aws:iam::" + account + ":role/admin", Account: account, Identity: allowAll},
		root:  principal{Name: "the account root", ARN: "arn:aws:iam::" + account + ":root", Account: account, Identity: allowAll}}
	for _, s := range listOf(mapOf(mapOf(mapOf(res["LakeKey"])["Properties"])["KeyPolicy"])["Statement"]) {
		d.keyPolicy = append(d.keyPolicy, parseStatement(s))
	}
	var secretPolicies int
	for name, r := range res {
		props := mapOf(mapOf(r)["Properties"])
		switch mapOf(r)["Type"] {
		case "AWS::SecretsManager::ResourcePolicy":
			if props["SecretId"] != "SlackSecret" {
				continue
			}
			secretPolicies++
			if props["BlockPublicPolicy"] != true {
				t.Errorf("%s: BlockPublicPolicy is %v", name, props["BlockPublicPolicy"])
			}
			for _, s := range listOf(mapOf(props["ResourcePolicy"])["Statement"]) {
				d.secret = append(d.secret, parseStatement(s))
			}
		case "AWS::SQS::QueuePolicy":
			for _, q := range stringsOf(props["Queues"]) {
				for _, s := range listOf(mapOf(props["PolicyDocument"])["Statement"]) {
					d.queuePolicy[q] = append(d.queuePolicy[q], parseStatement(s))
				}
			}
		}
	}
	if secretPolicies > 1 {
		t.Fatalf("%d resource policies on the Slack secret: one would replace the other", secretPolicies)
	}
	name := fmt.Sprint(mapOf(mapOf(res["SlackSecret"])["Properties"])["Name"])
	d.secretARN = "arn:aws:secretsmanager:us-east-1:" + account + ":secret:" + name + "-AbCdEf"
	pols := identityPolicies(res)
	for _, fn := range functions {
		d.functions[fn.name] = principal{Name: fn.name, ARN: fn.role + ".Arn", Account: account, Identity: pols[fn.role]}
	}
	return d
}

// kms decides a request on the lake key.
func (d *deployment) kms(p principal, action string, ctx map[string]string) bool {
	d.t.Helper()
	return decision(d.t, p, request{Action: action, Resource: "LakeKey.Arn", Context: ctx}, d.keyPolicy, true)
}

// viaSecrets is the context of Secrets Manager using the key for a secret.
func viaSecrets(secretARN string) map[string]string {
	return map[string]string{"kms:ViaService": source.SecretsManager.ViaService("us-east-1"), "kms:EncryptionContext:SecretARN": secretARN}
}

// readsSlack: GetSecretValue allowed, and the Decrypt Secrets Manager
// makes with the caller's credentials too.
func (d *deployment) readsSlack(p principal) bool {
	d.t.Helper()
	return decision(d.t, p, request{Action: "secretsmanager:GetSecretValue", Resource: "SlackSecret"}, d.secret, false) &&
		d.kms(p, "kms:Decrypt", viaSecrets(d.secretARN))
}

// writesSlack: PutSecretValue allowed, with GenerateDataKey and Decrypt.
func (d *deployment) writesSlack(p principal) bool {
	d.t.Helper()
	return decision(d.t, p, request{Action: "secretsmanager:PutSecretValue", Resource: "SlackSecret"}, d.secret, false) &&
		d.kms(p, "kms:GenerateDataKey", viaSecrets(d.secretARN)) && d.kms(p, "kms:Decrypt", viaSecrets(d.secretARN))
}

// callers returns every principal the promises speak of; broad gives the
// function roles Allow * on * instead of their own policies, so that what
// stops them is the resource's policy, not their role's.
func (d *deployment) callers(broad bool) []principal {
	ps := []principal{d.admin, d.root}
	for _, fn := range functions {
		p := d.functions[fn.name]
		if broad {
			p.Name += " (with * on *)"
			p.Identity = allowAll
		}
		ps = append(ps, p)
	}
	for _, a := range d.keyAdmins {
		if broad {
			a.Identity = allowAll
		}
		ps = append(ps, a)
	}
	return ps
}

var useActions = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
	"kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant", "kms:PutKeyPolicy", "kms:ReplicateKey"}

// The promises of the README's security model, as decisions.
func TestSecurityPromises(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			d := deploy(t, sc.params)
			if len(d.keyAdmins) == 0 {
				t.Fatal("scenario without KeyAdminArns")
			}
			s3 := map[string]string{"kms:ViaService": "s3.us-east-1.amazonaws.com"}
			contexts := []map[string]string{nil, s3, {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}, viaSecrets(d.secretARN)}

			t.Run("no identity policy gives use of the lake key", func(t *testing.T) {
				for _, p := range []principal{d.admin, d.root} {
					for _, a := range useActions {
						for _, ctx := range contexts {
							if d.kms(p, a, ctx) {
								t.Errorf("%s may %s %v", p.Name, a, ctx)
							}
						}
					}
					// The account still administers the key.
					for _, a := range []string{"kms:DescribeKey", "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:RevokeGrant"} {
						if !d.kms(p, a, nil) {
							t.Errorf("%s may not %s: the account administers the key", p.Name, a)
						}
					}
				}
			})

			t.Run("nobody creates grants; only the key admins change the key policy", func(t *testing.T) {
				for _, p := range d.callers(true) {
					for _, ctx := range contexts {
						if d.kms(p, "kms:CreateGrant", ctx) {
							t.Errorf("%s may create a grant %v", p.Name, ctx)
						}
					}
					isAdmin := slices.ContainsFunc(d.keyAdmins, func(a principal) bool { return a.ARN == p.ARN })
					if got := d.kms(p, "kms:PutKeyPolicy", nil); got != isAdmin {
						t.Errorf("%s may change the key policy: %v, want %v", p.Name, got, isAdmin)
					}
				}
				// KMS's lockout check at CreateKey: the key policy on its
				// own lets the principal creating the key change it later.
				for _, a := range d.keyAdmins {
					if !d.kms(a, "kms:PutKeyPolicy", nil) {
						t.Errorf("%s (no identity policy) may not change the key policy: CloudFormation could not create the key", a.Name)
					}
					for _, ctx := range contexts[:3] {
						if d.kms(a, "kms:Decrypt", ctx) {
							t.Errorf("%s may decrypt with the lake key %v", a.Name, ctx)
						}
					}
				}
			})

			t.Run("only alert reads the Slack secret", func(t *testing.T) {
				if !d.readsSlack(d.functions["alert"]) {
					t.Error("the alert role cannot read the Slack secret")
				}
				for _, p := range d.callers(true) {
					if p.ARN != d.functions["alert"].ARN && d.readsSlack(p) {
						t.Errorf("%s can read the Slack secret", p.Name)
					}
				}
				// Each layer refuses on its own: the secret's policy even if
				// the key allowed, the key even without the secret's policy.
				// The key admins pass the key (they write the secret, and
				// Secrets Manager decrypts to compare versions): the
				// secret's policy alone stops them reading.
				for _, p := range []principal{d.admin, d.root, d.keyAdmins[0]} {
					p.Identity = allowAll
					if decision(t, p, request{Action: "secretsmanager:GetSecretValue", Resource: "SlackSecret"}, d.secret, false) {
						t.Errorf("the secret's resource policy lets %s read it", p.Name)
					}
				}
				for _, p := range []principal{d.admin, d.root} {
					if d.kms(p, "kms:Decrypt", viaSecrets(d.secretARN)) {
						t.Errorf("the key policy lets %s decrypt the Slack secret", p.Name)
					}
				}
			})

			t.Run("only the key admins write or unprotect the Slack secret", func(t *testing.T) {
				for _, p := range d.callers(true) {
					isAdmin := slices.ContainsFunc(d.keyAdmins, func(a principal) bool { return a.ARN == p.ARN })
					if got := d.writesSlack(p); got != isAdmin {
						t.Errorf("%s writes the Slack secret: %v, want %v", p.Name, got, isAdmin)
					}
					for _, a := range []string{"secretsmanager:DeleteResourcePolicy", "secretsmanager:PutResourcePolicy", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret"} {
						if got := decision(t, p, request{Action: a, Resource: "SlackSecret"}, d.secret, false); got != isAdmin {
							t.Errorf("%s may %s: %v, want %v", p.Name, a, got, isAdmin)
						}
					}
				}
			})

			t.Run("the Slack secret's key context names that secret only", func(t *testing.T) {
				for _, other := range []string{
					"arn:aws:secretsmanager:us-east-1:" + account + ":secret:kt/slack-extra-AbCdEf",
					"arn:aws:secretsmanager:us-east-1:" + account + ":secret:kt/slackx-AbCdEf",
					"arn:aws:secretsmanager:us-east-1:" + account + ":secret:other/slack-AbCdEf",
				} {
					if d.kms(d.functions["alert"], "kms:Decrypt", viaSecrets(other)) {
						t.Errorf("alert may decrypt %s", other)
					}
					if d.kms(d.keyAdmins[0], "kms:GenerateDataKey", viaSecrets(other)) {
						t.Errorf("a key admin may encrypt %s", other)
					}
				}
				if d.kms(d.functions["alert"], "kms:GenerateDataKey", viaSecrets(d.secretARN)) {
					t.Error("alert may write the Slack secret")
				}
			})

			t.Run("functions use the key only through their services", func(t *testing.T) {
				for fn, via := range map[string][]string{"ingest": {"s3", "sqs"}, "compact": {"s3"}, "detect": {"s3", "sqs"}, "alert": {"s3", "sqs"}, "inventory": {"s3"}} {
					p := d.functions[fn]
					for _, svc := range []string{"s3", "sqs", "secretsmanager", ""} {
						ctx := map[string]string{}
						if svc != "" {
							ctx["kms:ViaService"] = svc + ".us-east-1.amazonaws.com"
						}
						if got, want := d.kms(p, "kms:Decrypt", ctx), slices.Contains(via, svc); got != want {
							t.Errorf("%s decrypts via %q: %v, want %v", fn, svc, got, want)
						}
					}
				}
			})

			t.Run("every queue refuses requests without TLS", func(t *testing.T) {
				for _, q := range []string{"Queue", "DeadLetterQueue", "PartsQueue", "FindingsQueue", "LakeDeadLetterQueue"} {
					for _, a := range []string{"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:PurgeQueue"} {
						plain := request{Action: a, Resource: q + ".Arn", Context: map[string]string{"aws:SecureTransport": "false"}}
						if decision(t, d.admin, plain, d.queuePolicy[q], false) {
							t.Errorf("%s allows %s without TLS", q, a)
						}
						tls := request{Action: a, Resource: q + ".Arn"}
						if !decision(t, d.admin, tls, d.queuePolicy[q], false) {
							t.Errorf("%s refuses %s over TLS: the deny is too broad", q, a)
						}
					}
				}
				if !decision(t, d.functions["ingest"], request{Action: "sqs:ReceiveMessage", Resource: "Queue.Arn"}, d.queuePolicy["Queue"], false) {
					t.Error("ingest cannot receive from the queue")
				}
				// Each lake queue: its consumer receives, no other function does.
				for q, consumer := range map[string]string{"Queue": "ingest", "PartsQueue": "detect", "FindingsQueue": "alert"} {
					for fn, p := range d.functions {
						got := decision(t, p, request{Action: "sqs:ReceiveMessage", Resource: q + ".Arn"}, d.queuePolicy[q], false)
						if got != (fn == consumer) {
							t.Errorf("%s receives from %s: %v, want %v", fn, q, got, fn == consumer)
						}
					}
				}
			})
		})
	}
}
