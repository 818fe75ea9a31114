package gen

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/inventory"
)

// InventoryMemberRole is the role the organization's inventory reads
// member accounts through (keytrail inventory's default).
const InventoryMemberRole = "keytrail/keytrail-inventory-reader"

// Inventory returns the inventory the organization cfg describes would
// have on the last day of its generated period, collected at 23:30 UTC
// that day by the deployment in the security account (keytrail's own):
// every secret and key Org's activity touches, every IAM user and role
// that calls, with the resource policies, key policies, grants and
// identity policies that let them. Who may is not written here: the
// policy documents go through inventory's own evaluation
// (Snapshot.Evaluate), as a real run's do.
//
// It is consistent with Org's events: every principal that reads a secret
// or uses a key successfully is allowed to by some policy, and the calls
// the failed-access incidents make are not allowed (the enumerating IAM
// user's). Some grants are wider than what is used, as in any real
// account (developers may read all of prod/*, the search indexer too —
// which is why its first-seen read succeeds —, checkout may decrypt with
// every key of prod). Planted on purpose, for the access review to find:
//
//   - a secret nobody used in 90 days, with no event at all:
//     staging/loadtest/orders-db (last accessed 150 days before);
//     prod/legacy/old-api-key too is unread (200 days), though deleted
//     and restored in the period;
//   - a grant nobody uses: a KMS grant on the batch-exports key to the
//     reporting role of prod, which never calls that key;
//   - a person who left: the IAM user people/jan.keller, in the
//     developers group that may read prod/checkout/* and prod/payments/*,
//     with no call in the period (created two years before);
//   - a secret readable from the partner account outside the
//     organization: prod/partner/api-credentials, through the resource
//     policy the put-resource-policy incident writes;
//   - an overdue rotation: prod/notifications/smtp rotates every 30 days
//     but was last rotated 200 days before; rotation off: the first
//     rotated database secret after the cancel-rotate incident; a
//     customer managed symmetric key with rotation off: batch-exports;
//   - a key pending deletion: legacy-data, 30 days after the
//     schedule-key-deletion incident.
func Inventory(cfg Config) (*inventory.Snapshot, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := newOrgGen(cfg, nil)
	g.planIncidents()
	b := &inventoryBuilder{g: g, pop: g.pop, at: g.end().Add(-30 * time.Minute)}
	return b.build(), nil
}

// inventoryBuilder assembles one snapshot of the organization.
type inventoryBuilder struct {
	g        *orgGen
	pop      *population
	at       time.Time
	snap     *inventory.Snapshot
	policies []inventory.IdentityPolicy
}

// happened reports when the incident name took place, if it did before
// the inventory was taken.
func (b *inventoryBuilder) happened(name string) (time.Time, bool) {
	for _, p := range b.g.plan {
		if p.name == name && p.at.Before(b.at) {
			return p.at, true
		}
	}
	return time.Time{}, false
}

func (b *inventoryBuilder) daysBefore(n int) *time.Time {
	t := b.at.AddDate(0, 0, -n).Truncate(24 * time.Hour)
	return &t
}

// statement is one IAM policy statement as JSON writes it.
type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]any               `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func allow(sid string, actions []string, resources ...string) statement {
	return statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

func document(sts ...statement) string {
	b, err := json.Marshal(struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{"2012-10-17", sts})
	if err != nil {
		panic(fmt.Sprintf("gen: marshal policy: %v", err)) // only our own types
	}
	return string(b)
}

func tags(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

var (
	readSecret   = []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
	deploySecret = []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"}
	rotateSecret = []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue",
		"secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetRandomPassword"}
	useKey = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
)

// secretPattern matches a secret's full ARN, whose six-character suffix
// a policy cannot know in advance.
func secretPattern(s *secret) string { return s.ARN() + "-??????" }

// prefixPattern matches every secret of account under a name prefix.
func (b *inventoryBuilder) prefixPattern(account, prefix string) string {
	return "arn:aws:secretsmanager:" + b.g.home + ":" + account + ":secret:" + prefix + "*"
}

// viaSecretsManager is the customer managed policy of each workload
// account that lets a principal's secret reads decrypt: Secrets Manager
// calls KMS with the caller's identity.
func (b *inventoryBuilder) viaSecretsManager(account string) (arn, doc string) {
	st := allow("DecryptSecretsThroughSecretsManager", []string{"kms:Decrypt", "kms:GenerateDataKey"}, b.pop.secretsKey[account].ARN())
	st.Condition = map[string]map[string]string{"StringEquals": {"kms:ViaService": "secretsmanager." + b.g.home + ".amazonaws.com"}}
	return "arn:aws:iam::" + account + ":policy/SecretsManagerDecrypt", document(st)
}

func (b *inventoryBuilder) build() *inventory.Snapshot {
	pop := b.pop
	b.snap = &inventory.Snapshot{At: b.at, Day: lake.Day(b.at), AccountsBy: "organizations"}
	for _, a := range pop.accounts {
		b.snap.Accounts = append(b.snap.Accounts, a.id)
	}
	slices.Sort(b.snap.Accounts)
	b.secrets()
	b.keys()
	b.principals()
	for _, a := range pop.accounts {
		via := "arn:aws:iam::" + a.id + ":role/" + InventoryMemberRole
		if a.id == pop.security {
			via = "self"
		}
		count := func(table, region string) int64 {
			n := 0
			switch table {
			case "principals":
				for _, p := range b.snap.Principals {
					n += boolInt(p.Account == a.id)
				}
			case "secrets":
				for _, s := range b.snap.Secrets {
					n += boolInt(s.Account == a.id && s.Region == region)
				}
			case "keys":
				for _, k := range b.snap.Keys {
					n += boolInt(k.Account == a.id && k.Region == region)
				}
			}
			return int64(n)
		}
		cov := func(region, table string) {
			b.snap.Coverage = append(b.snap.Coverage, inventory.Coverage{CollectedAt: b.at, Account: a.id, Region: region, Table: table,
				Status: inventory.StatusOK, Rows: count(table, region), Via: via})
		}
		cov(inventory.Global, "principals")
		for _, r := range b.g.cfg.Regions {
			cov(r, "secrets")
			cov(r, "keys")
		}
	}
	b.snap.Evaluate(b.policies)
	return b.snap
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// owners are the teams the secrets' and keys' owner tags name.
func (b *inventoryBuilder) owner(name string) string {
	for _, a := range b.pop.apps {
		if strings.Contains(name, "/"+a.name+"/") || strings.HasPrefix(name, a.name+"-") {
			return "team-" + a.name
		}
	}
	switch {
	case strings.Contains(name, "batch"):
		return "team-finance"
	case strings.Contains(name, "partner"):
		return "team-partnerships"
	case strings.HasPrefix(name, "keytrail/"), strings.Contains(name, "cloudtrail"), strings.Contains(name, "data-export"):
		return "team-security"
	case strings.Contains(name, "legacy"):
		return "team-payments"
	}
	return "team-platform"
}

func (b *inventoryBuilder) secrets() {
	pop := b.pop
	lastDay := b.daysBefore(0)
	add := func(s *secret, row inventory.Secret) {
		env, _, _ := strings.Cut(s.name, "/")
		row.CollectedAt, row.Account, row.Region = b.at, s.account, s.region
		row.ARN, row.Name, row.KMSKeyID = s.FullARN(), s.name, s.key.ARN()
		row.Tags = tags("owner", b.owner(s.name), "env", env)
		row.Replicas, row.Errors = []string{}, []string{}
		if row.LastAccessed == nil {
			row.LastAccessed = lastDay
		}
		if row.Created == nil {
			row.Created = b.daysBefore(400)
		}
		row.LastChanged = cmp.Or(row.LastChanged, row.Created)
		b.snap.Secrets = append(b.snap.Secrets, row)
	}
	rotating := map[*secret]bool{}
	for i, s := range pop.rotators {
		rotating[s] = true
		ro := s.rotation
		days := int64(ro.period)
		row := inventory.Secret{RotationEnabled: true, RotationDays: &days,
			RotationLambdaARN: "arn:aws:lambda:" + s.region + ":" + s.account + ":function:" + ro.fn}
		if ro.start.Before(b.at) {
			last := ro.start.AddDate(0, 0, (ro.epoch(b.at)-1)*ro.period)
			next := last.AddDate(0, 0, ro.period)
			row.LastRotated, row.NextRotation, row.LastChanged = &last, &next, &last
		}
		if _, ok := b.happened("cancel-rotate"); ok && i == 0 {
			row.RotationEnabled, row.NextRotation = false, nil
		}
		add(s, row)
	}
	for _, s := range pop.allSecrets() {
		if rotating[s] {
			continue
		}
		var row inventory.Secret
		switch s {
		case pop.ciSecret:
			row.Description = "container registry token for the legacy CI"
			row.LastAccessed = b.lastWorkday()
		case pop.slack:
			row.Description = "keytrail's Slack bot token"
		case pop.legacySecret:
			// Planted: unread for 200 days; deleted and restored in the period.
			row.Description, row.LastAccessed = "API key of the retired v1 API", b.daysBefore(200)
		case pop.partnerSecret:
			row.Description = "API credentials shared with the partner"
			row.Created, row.LastAccessed = b.when("create-partner-secret"), b.when("cross-account-secret")
			if at, ok := b.happened("put-resource-policy"); ok {
				row.LastChanged = &at
				row.ResourcePolicy = policyJSON(allowStmt("PartnerRead", "arn:aws:iam::"+pop.partner.id+":root", "secretsmanager:GetSecretValue", "*"))
			}
		}
		if strings.HasSuffix(s.name, "/smtp") && s.account == pop.prod {
			// Planted: rotation on, every 30 days, last done 200 days ago.
			days := int64(30)
			row.RotationEnabled, row.RotationDays = true, &days
			row.RotationLambdaARN = "arn:aws:lambda:" + s.region + ":" + s.account + ":function:SecretsManager-smtp-rotation"
			row.LastRotated, row.NextRotation = b.daysBefore(200), b.daysBefore(170)
		}
		add(s, row)
	}
	// Planted: a load-test database secret nobody has read for 150 days and
	// no event of the period names.
	unused := &secret{name: "staging/loadtest/orders-db", account: pop.staging, region: b.g.home, key: pop.secretsKey[pop.staging],
		suffix: stableString(alnum, 6, b.g.cfg.Seed, "suffix", pop.staging, "staging/loadtest/orders-db")}
	add(unused, inventory.Secret{Description: "orders database of the spring load test", Created: b.daysBefore(300), LastAccessed: b.daysBefore(150)})
}

// when is the UTC day an incident happened, nil if it did not.
func (b *inventoryBuilder) when(name string) *time.Time {
	at, ok := b.happened(name)
	if !ok {
		return nil
	}
	d := at.Truncate(24 * time.Hour)
	return &d
}

// lastWorkday is the UTC day of the last office day before the inventory.
func (b *inventoryBuilder) lastWorkday() *time.Time {
	for d := b.at.Truncate(24 * time.Hour); ; d = d.AddDate(0, 0, -1) {
		if b.g.workday(b.g.localAt(d, 12, 0)) {
			return &d
		}
	}
}

// keyPolicy is the default key policy (the account's IAM policies decide)
// plus the statements for who the key policy must name itself.
func keyPolicy(k *key, extra ...statement) string {
	root := statement{Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + k.account + ":root"},
		Action: []string{"kms:*"}, Resource: []string{"*"}}
	return document(append([]statement{root}, extra...)...)
}

func service(sid, svc string, actions ...string) statement {
	return statement{Sid: sid, Effect: "Allow", Principal: map[string]any{"Service": svc}, Action: actions, Resource: []string{"*"}}
}

type grant struct {
	ID         string   `json:"GrantId"`
	Name       string   `json:"Name,omitempty"`
	Grantee    string   `json:"GranteePrincipal"`
	Issuing    string   `json:"IssuingAccount"`
	Operations []string `json:"Operations"`
}

func (b *inventoryBuilder) keys() {
	pop := b.pop
	workload := map[string]bool{pop.prod: true, pop.staging: true}
	for _, k := range pop.allKeys() {
		on, period := true, int64(365)
		created := b.daysBefore(500)
		next := created.AddDate(0, 0, 365*(int(b.at.Sub(*created)/(365*24*time.Hour))+1))
		row := inventory.Key{CollectedAt: b.at, Account: k.account, Region: k.region, ARN: k.ARN(), KeyID: k.id,
			Aliases: []string{"alias/" + k.alias}, State: "Enabled", Manager: "CUSTOMER", Origin: "AWS_KMS", Spec: "SYMMETRIC_DEFAULT",
			Usage: "ENCRYPT_DECRYPT", Created: created, RotationEnabled: &on, RotationDays: &period, NextRotation: &next,
			Tags: tags("owner", b.owner(k.alias)), Grants: "[]", Errors: []string{}}
		var extra []statement
		var grants []grant
		switch {
		case k == pop.trailKey:
			row.Description = "encrypts the organization trail's log files"
			extra = append(extra, service("Allow CloudTrail to encrypt logs", "cloudtrail.amazonaws.com", "kms:GenerateDataKey*"))
		case k == pop.secretsKey[k.account]:
			row.Description = "encrypts the account's secrets"
			if workload[k.account] {
				extra = append(extra, service("Allow EBS volumes", "ec2.amazonaws.com", "kms:Decrypt"))
			}
			if _, ok := b.happened("put-key-policy"); ok && k.account == pop.prod {
				// What the put-key-policy incident adds (with EBS's statement kept).
				extra = append(extra, statement{Sid: "PartnerDecrypt", Effect: "Allow", Principal: map[string]any{"AWS": pop.partnerRole.ARN()},
					Action: []string{"kms:Decrypt"}, Resource: []string{"*"}})
			}
		case k == pop.batchKey:
			// Planted: a customer managed symmetric key without rotation, and
			// a grant its grantee never uses.
			off := false
			row.Description, row.RotationEnabled, row.RotationDays, row.NextRotation = "encrypts the nightly exports", &off, nil, nil
			grants = append(grants, grant{ID: stableString(hexDigits, 64, b.g.cfg.Seed, "grant", "batch-exports"), Name: "reporting-reads-exports",
				Grantee: b.app("reporting", pop.prod).p.ARN(), Issuing: k.account, Operations: []string{"Decrypt", "DescribeKey"}})
		case k == pop.legacyKey:
			row.Description = "data of the retired v1 API"
			if at, ok := b.happened("schedule-key-deletion"); ok {
				del := at.AddDate(0, 0, 30)
				row.State, row.DeletionDate = "PendingDeletion", &del
				row.RotationEnabled, row.RotationDays, row.NextRotation = nil, nil, nil // KMS does not say for a key pending deletion
			}
		default:
			if workload[k.account] && k.alias != "data-export" {
				row.Description = "envelope encryption of " + k.alias
				extra = append(extra, service("Allow S3 bucket encryption", "s3.amazonaws.com", "kms:Decrypt", "kms:GenerateDataKey"))
			}
		}
		if a := b.app("reporting", pop.prod); a != nil && k == a.extra {
			row.Description = "encrypts the data exports the reporting service reads"
			extra = append(extra, statement{Sid: "ReportingDecryptsExports", Effect: "Allow", Principal: map[string]any{"AWS": a.p.ARN()},
				Action: []string{"kms:Decrypt"}, Resource: []string{"*"}})
		}
		if pay := b.app("payments", pop.prod); pay != nil && k == pay.key {
			if _, ok := b.happened("create-grant"); ok {
				// The create-grant incident's grant, with the id it logged.
				grants = append(grants, grant{ID: randHex(newRand(b.g.cfg.Seed, "incident", "create-grant"), 64), Grantee: pop.partnerRole.ARN(),
					Issuing: k.account, Operations: []string{"Decrypt", "DescribeKey"}})
			}
		}
		row.KeyPolicy = keyPolicy(k, extra...)
		if len(grants) > 0 {
			text, _ := json.Marshal(grants)
			row.Grants, row.GrantCount = string(text), int64(len(grants))
		}
		b.snap.Keys = append(b.snap.Keys, row)
	}
}

// app is the workload name of account, nil if there is none.
func (b *inventoryBuilder) app(name, account string) *app {
	for _, a := range b.pop.apps {
		if a.name == name && a.p.account == account {
			return a
		}
	}
	return nil
}

// trust policies by who assumes a role.
func trust(principal map[string]any, action string) string {
	return document(statement{Effect: "Allow", Principal: principal, Action: []string{action}})
}

// role adds an IAM role (or user, without a trust policy) with its
// identity policies: inline ones by name, managed ones by ARN.
func (b *inventoryBuilder) role(p *principal, trustPolicy string, managed map[string]string, inline map[string]string, lastUsed *time.Time) {
	row := inventory.Principal{CollectedAt: b.at, Account: p.account, ARN: p.ARN(), Kind: p.kind, Name: p.name, Path: "/" + p.pathPrefix(),
		ID: p.uniqueID(), Created: b.daysBefore(420), Tags: "{}", Groups: []string{}, Policies: []string{}, InlinePolicies: []string{},
		TrustPolicy: trustPolicy, Errors: []string{}}
	if p.kind == kindRole {
		row.LastUsed, row.LastUsedRegion = lastUsed, b.g.home
	}
	for _, arn := range sortedKeys(managed) {
		row.Policies = append(row.Policies, arn)
		b.policies = append(b.policies, inventory.IdentityPolicy{Principal: row.ARN, Name: arn, Document: managed[arn]})
	}
	for _, name := range sortedKeys(inline) {
		row.InlinePolicies = append(row.InlinePolicies, name)
		b.policies = append(b.policies, inventory.IdentityPolicy{Principal: row.ARN, Name: "inline:" + name, Document: inline[name]})
	}
	b.snap.Principals = append(b.snap.Principals, row)
}

func (b *inventoryBuilder) principals() {
	pop := b.pop
	today := b.at.Truncate(24 * time.Hour)
	viaSM := func(account string) map[string]string {
		arn, doc := b.viaSecretsManager(account)
		return map[string]string{arn: doc}
	}
	for _, a := range pop.apps {
		var res []string
		for _, s := range a.secrets {
			res = append(res, secretPattern(s))
		}
		if a.name == "search-indexer" {
			res = []string{b.prefixPattern(a.p.account, "prod/")} // wider than it needs: its first-seen read succeeds
		}
		sts := []statement{allow("ReadOwnSecrets", readSecret, res...), allow("UseOwnKey", useKey, a.key.ARN())}
		if a.extra != nil {
			sts = append(sts, allow("DecryptExports", []string{"kms:Decrypt"}, a.extra.ARN()))
		}
		if a.name == "checkout" && a.p.account == pop.prod {
			sts = append(sts, allow("DecryptAnything", []string{"kms:Decrypt"}, "arn:aws:kms:*:"+a.p.account+":key/*"))
		}
		svc := "ecs-tasks.amazonaws.com"
		if a.lambda {
			svc = "lambda.amazonaws.com"
		}
		b.role(a.p, trust(map[string]any{"Service": svc}, "sts:AssumeRole"), viaSM(a.p.account), map[string]string{a.name + "-access": document(sts...)}, &today)
	}

	// People: Identity Center's permission set roles.
	roles := map[string]bool{} // by ARN: people share their permission set's role
	sso := func(p *principal, managed map[string]string, inline map[string]string) {
		saml := "arn:aws:iam::" + p.account + ":saml-provider/AWSSSO_" + stableString(hexDigits, 16, b.g.cfg.Seed, "saml", p.account) + "_DO_NOT_DELETE"
		for k, v := range viaSM(p.account) {
			managed[k] = v
		}
		b.role(p, trust(map[string]any{"Federated": saml}, "sts:AssumeRoleWithSAML"), managed, inline, b.lastWorkday())
	}
	for _, ps := range append(slices.Clone(pop.people), pop.opsAdmin) {
		p := ps.p
		if roles[p.ARN()] {
			continue
		}
		roles[p.ARN()] = true
		set := strings.Split(p.name, "_")[1]
		switch set {
		case "AdministratorAccess":
			sso(p, map[string]string{"arn:aws:iam::aws:policy/AdministratorAccess": document(allow("", []string{"*"}, "*"))}, nil)
		case "PlatformOps":
			sso(p, map[string]string{}, map[string]string{"AwsSSOInlinePolicy": document(
				allow("ReadAllSecrets", readSecret, b.prefixPattern(p.account, "")),
				allow("DecryptAppData", []string{"kms:Decrypt", "kms:DescribeKey"}, "arn:aws:kms:*:"+p.account+":key/*"))})
		case "ReadOnly":
			sso(p, map[string]string{}, map[string]string{"AwsSSOInlinePolicy": document(
				allow("ReadStagingSecrets", readSecret, b.prefixPattern(p.account, "staging/")))})
		default: // Developer
			sso(p, map[string]string{}, map[string]string{"AwsSSOInlinePolicy": document(
				allow("ReadProdSecrets", readSecret, b.prefixPattern(p.account, "prod/")),
				allow("DescribeKeys", []string{"kms:DescribeKey", "kms:ListAliases"}, "*"))})
		}
	}

	// The legacy CI's IAM user: its own secret only, so its enumeration
	// is denied.
	b.role(pop.ciUser, "", viaSM(pop.prod), map[string]string{"registry-token": document(allow("ReadRegistryToken", readSecret, secretPattern(pop.ciSecret)))}, nil)

	for _, acct := range []string{pop.prod, pop.staging} {
		dp := pop.deploy[acct]
		if dp == nil || roles[dp.ARN()] {
			continue
		}
		roles[dp.ARN()] = true
		env := "prod/"
		if acct != pop.prod {
			env = "staging/"
		}
		gh := map[string]any{"Federated": "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"}
		b.role(dp, trust(gh, "sts:AssumeRoleWithWebIdentity"), viaSM(acct), map[string]string{"deploy-secrets": document(
			allow("DeployAppSecrets", deploySecret, b.prefixPattern(acct, env)),
			allow("DescribeKeys", []string{"kms:DescribeKey"}, "arn:aws:kms:*:"+acct+":key/*"))}, b.lastWorkday())
	}

	var batchRes []string
	for _, s := range pop.batchSecs {
		batchRes = append(batchRes, secretPattern(s))
	}
	b.role(pop.batch, trust(map[string]any{"Service": "ecs-tasks.amazonaws.com"}, "sts:AssumeRole"), viaSM(pop.prod),
		map[string]string{"reconcile": document(allow("ReadBatchSecrets", append([]string{"secretsmanager:BatchGetSecretValue"}, readSecret...), batchRes...),
			allow("WriteExports", []string{"kms:GenerateDataKey"}, pop.batchKey.ARN()))}, &today)

	rotators := map[string][]string{}
	var lambdas []*principal
	for _, s := range pop.rotators {
		if _, ok := rotators[s.account]; !ok {
			lambdas = append(lambdas, s.rotation.lambda)
		}
		rotators[s.account] = append(rotators[s.account], secretPattern(s))
	}
	for _, lam := range lambdas {
		b.role(lam, trust(map[string]any{"Service": "lambda.amazonaws.com"}, "sts:AssumeRole"), viaSM(lam.account),
			map[string]string{"rotate-databases": document(allow("RotateDatabaseSecrets", rotateSecret, rotators[lam.account]...))}, b.lastRotation(lam.account))
	}

	lambda := map[string]any{"Service": "lambda.amazonaws.com"}
	b.role(pop.ingest, trust(lambda, "sts:AssumeRole"), nil, map[string]string{"read-trail": document(
		allow("DecryptTrail", []string{"kms:Decrypt"}, pop.trailKey.ARN()))}, &today)
	b.role(pop.alerter, trust(lambda, "sts:AssumeRole"), viaSM(pop.security), map[string]string{"slack-token": document(
		allow("ReadSlackToken", []string{"secretsmanager:GetSecretValue"}, secretPattern(pop.slack)))}, &today)

	// Planted: a developer who left, still an IAM user in the developers
	// group, who made no call in the period.
	leaver := &principal{kind: kindUser, account: pop.prod, name: "jan.keller", path: "people"}
	b.role(leaver, "", nil, nil, nil)
	row := &b.snap.Principals[len(b.snap.Principals)-1]
	row.Created, row.Groups, row.Tags = b.daysBefore(730), []string{"developers"}, tags("email", "jan.keller@example.com", "team", "payments")
	arn, doc := b.viaSecretsManager(pop.prod)
	b.policies = append(b.policies,
		inventory.IdentityPolicy{Principal: leaver.ARN(), Name: "group:developers/inline:read-app-secrets", Document: document(
			allow("ReadAppSecrets", readSecret, b.prefixPattern(pop.prod, "prod/checkout/"), b.prefixPattern(pop.prod, "prod/payments/")))},
		inventory.IdentityPolicy{Principal: leaver.ARN(), Name: "group:developers/" + arn, Document: doc})
}

// lastRotation is the day of the last rotation in account, nil if none.
func (b *inventoryBuilder) lastRotation(account string) *time.Time {
	var last *time.Time
	for _, s := range b.pop.rotators {
		ro := s.rotation
		if s.account != account || !ro.start.Before(b.at) {
			continue
		}
		t := ro.start.AddDate(0, 0, (ro.epoch(b.at)-1)*ro.period)
		if last == nil || t.After(*last) {
			last = &t
		}
	}
	return last
}
