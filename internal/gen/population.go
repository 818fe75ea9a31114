package gen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// account is one AWS account of the organization (or the partner's).
type account struct{ id, name string }

// app is a workload: a role with several sessions that reads its own secrets
// and uses its own key at an hour-of-day-shaped rate.
type app struct {
	name    string
	p       *principal
	secrets []*secret
	key     *key
	rate    float64 // GetSecretValue per secret per hour at the daily peak
	lambda  bool    // session name is the function name; otherwise ECS task ids
	extra   *key    // a key in another account of the organization (cross-account within the org)
}

// person is someone working in office hours through Identity Center or an
// IAM user.
type person struct {
	name    string
	p       *principal
	session string // email session name for Identity Center roles
	secrets []*secret
	keys    []*key
}

// population is everything the organization holds and everyone acting in it.
type population struct {
	accounts                []account // organization accounts: prod first, security last
	partner                 account   // an external account, outside the organization
	prod, staging, security string

	apps          []*app
	people        []*person
	opsAdmin      *person // touches a couple of a large pool of secrets each day
	opsPool       []*secret
	ciUser        *principal // IAM user with one secret of its own
	ciSecret      *secret
	root          map[string]*principal
	deploy        map[string]*principal // per workload account
	batch         *principal
	batchSecs     []*secret
	batchKey      *key
	rotators      []*secret             // secrets with a rotation schedule
	services      map[string]*principal // AWS services acting as themselves
	ingest        *principal            // keytrail's own roles
	alerter       *principal
	slack         *secret
	trailKey      *key
	partnerRole   *principal
	partnerSecret *secret // a secret the partner is later granted
	legacySecret  *secret
	legacyKey     *key
	noise         []*principal    // everyone who makes other calls
	secretsKey    map[string]*key // the CMK encrypting each account's secrets
}

var accountNames = []string{"prod", "staging", "security", "dev", "sandbox", "data", "shared", "logs"}

func accountID(seed int64, name string) string {
	r := newRand(seed, "account", name)
	return fmt.Sprintf("%012d", 100000000000+r.Int64N(899999999999))
}

func buildPopulation(cfg *Config) *population {
	seed := cfg.Seed
	home := cfg.Regions[0]
	pop := &population{root: map[string]*principal{}, deploy: map[string]*principal{},
		services: map[string]*principal{}, secretsKey: map[string]*key{}}
	for i := 0; i < cfg.Accounts; i++ {
		name := accountNames[i%len(accountNames)]
		if i >= len(accountNames) {
			name = fmt.Sprintf("%s-%d", name, i/len(accountNames))
		}
		pop.accounts = append(pop.accounts, account{id: accountID(seed, name), name: name})
	}
	pop.partner = account{id: accountID(seed, "partner"), name: "partner"}
	pop.prod = pop.accounts[0].id
	pop.staging = pop.prod
	if len(pop.accounts) > 1 {
		pop.staging = pop.accounts[1].id
	}
	pop.security = pop.accounts[len(pop.accounts)-1].id

	newKey := func(acct, alias string) *key {
		return &key{id: uuid(newRand(seed, "key", acct, alias)), account: acct, region: home, alias: alias}
	}
	newSecret := func(acct, name string, k *key) *secret {
		return &secret{name: name, account: acct, region: home, key: k,
			suffix: stableString(alnum, 6, seed, "suffix", acct, name)}
	}
	for _, a := range pop.accounts {
		pop.secretsKey[a.id] = newKey(a.id, "secrets-"+a.name)
		pop.root[a.id] = &principal{kind: kindRoot, account: a.id, human: true, console: true,
			agents: consoleAgents[:2], ips: []string{"198.51.100.7"}}
	}

	sdkGo := "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/%s"
	boto := "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.144"
	java := "aws-sdk-java/2.25.40 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard"
	// Workloads: prod at full rate, staging at a lower one.
	type appSpec struct {
		name    string
		secrets []string
		rate    float64
		lambda  bool
		agent   string
	}
	specs := []appSpec{
		{"checkout", []string{"db", "stripe-api-key"}, 2, false, java},
		{"payments", []string{"db", "psp-token"}, 1.6, false, java},
		{"orders-api", []string{"db"}, 2.4, true, boto},
		{"notifications", []string{"smtp", "twilio"}, 1, true, boto},
		{"search-indexer", []string{"opensearch-master"}, 1.2, false, sdkGo},
		{"reporting", []string{"warehouse"}, 0.8, false, sdkGo},
	}
	workloads := []struct {
		acct, env string
		scale     float64
		n         int
	}{{pop.prod, "prod", 1, len(specs)}}
	if pop.staging != pop.prod {
		workloads = append(workloads, struct {
			acct, env string
			scale     float64
			n         int
		}{pop.staging, "staging", 0.35, 4})
	}
	for _, w := range workloads {
		vpce := "vpce-" + stableString(hexDigits, 17, seed, "vpce", w.acct)
		for i, sp := range specs[:w.n] {
			path := "app"
			if sp.lambda {
				path = "service-role/lambda"
			}
			agent := sp.agent
			if agent == sdkGo {
				agent = fmt.Sprintf(sdkGo, "secretsmanager#1.32.4")
			}
			p := &principal{kind: kindRole, account: w.acct, name: sp.name + "-" + w.env, path: path,
				agents: []string{agent}, ips: []string{fmt.Sprintf("10.%d.%d.%d", 20+i, 1+i, 10+i), fmt.Sprintf("10.%d.%d.%d", 20+i, 2+i, 40+i)}}
			if i%2 == 0 {
				p.vpce = vpce
			} else {
				p.ips = []string{fmt.Sprintf("203.0.113.%d", 10+i+len(pop.apps))}
			}
			a := &app{name: sp.name, p: p, rate: sp.rate * w.scale, lambda: sp.lambda,
				key: newKey(w.acct, sp.name+"-"+w.env)}
			for _, s := range sp.secrets {
				a.secrets = append(a.secrets, newSecret(w.acct, w.env+"/"+sp.name+"/"+s, pop.secretsKey[w.acct]))
			}
			pop.apps = append(pop.apps, a)
			pop.noise = append(pop.noise, p)
		}
	}
	if pop.security != pop.prod {
		// reporting in prod decrypts exports with a key kept in the security
		// account: a steady cross-account use inside the organization.
		for _, a := range pop.apps {
			if a.name == "reporting" && a.p.account == pop.prod {
				a.extra = newKey(pop.security, "data-export")
			}
		}
	}

	// People: Identity Center permission sets and a few IAM users.
	ssoRole := func(acct, set string) *principal {
		return &principal{kind: kindRole, account: acct,
			name: "AWSReservedSSO_" + set + "_" + stableString(hexDigits, 16, seed, "sso", acct, set),
			path: "aws-reserved/sso.amazonaws.com/" + home, human: true, mfa: false}
	}
	cli := "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#secretsmanager.get-secret-value"
	dev := ssoRole(pop.prod, "Developer")
	admin := ssoRole(pop.prod, "AdministratorAccess")
	ops := ssoRole(pop.prod, "PlatformOps")
	ro := ssoRole(pop.staging, "ReadOnly")
	names := []struct {
		name string
		role *principal
	}{{"Alice Meyer", dev}, {"Jonas Weber", dev}, {"Priya Nair", dev}, {"Lena Fischer", admin},
		{"Tom Becker", ro}, {"Sara Costa", dev}}
	for i, n := range names {
		pp := *n.role
		pp.console = i%2 == 0
		pp.agents = []string{cli, consoleAgents[0]}
		pp.ips = []string{fmt.Sprintf("192.0.2.%d", 20+i), fmt.Sprintf("198.51.100.%d", 30+i)}
		ps := &person{name: n.name, p: &pp, session: emailSession(n.name)}
		for j, a := range pop.apps {
			if a.p.account == pp.account && (j+i)%3 == 0 {
				ps.secrets = append(ps.secrets, a.secrets[0])
				ps.keys = append(ps.keys, a.key)
			}
		}
		if len(ps.secrets) == 0 {
			ps.secrets, ps.keys = pop.apps[i%len(pop.apps)].secrets[:1], []*key{pop.apps[i%len(pop.apps)].key}
		}
		pop.people = append(pop.people, ps)
		pop.noise = append(pop.noise, &pp)
	}
	opsP := *ops
	opsP.agents, opsP.ips = []string{cli}, []string{"192.0.2.60", "198.51.100.61"}
	pop.opsAdmin = &person{name: "Max Schulz", p: &opsP, session: emailSession("Max Schulz")}
	for _, a := range pop.apps {
		if a.p.account == pop.prod {
			pop.opsPool = append(pop.opsPool, a.secrets...)
		}
	}
	pop.noise = append(pop.noise, &opsP)

	pop.ciUser = &principal{kind: kindUser, account: pop.prod, name: "ci-legacy", agents: []string{
		"aws-cli/1.33.1 Python/3.9.19 Linux/5.15.0-1064-aws botocore/1.34.139"}, ips: []string{"203.0.113.80"}}
	pop.ciSecret = newSecret(pop.prod, "prod/ci/registry-token", pop.secretsKey[pop.prod])
	pop.noise = append(pop.noise, pop.ciUser)

	for _, a := range pop.accounts[:min(2, len(pop.accounts))] {
		pop.deploy[a.id] = &principal{kind: kindRole, account: a.id, name: "github-actions-deploy", path: "deploy",
			agents: []string{fmt.Sprintf(sdkGo, "secretsmanager#1.32.4"), "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1022-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython exec-env/github-actions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#secretsmanager.describe-secret"},
			ips:    []string{"198.51.100.200", "198.51.100.201"}}
	}

	pop.batch = &principal{kind: kindRole, account: pop.prod, name: "nightly-reconcile", path: "batch",
		agents: []string{boto}, ips: []string{"10.40.1.15"}, vpce: "vpce-" + stableString(hexDigits, 17, seed, "vpce", pop.prod)}
	pop.batchKey = newKey(pop.prod, "batch-exports")
	for _, s := range []string{"ledger-db", "bank-sftp", "warehouse-loader"} {
		pop.batchSecs = append(pop.batchSecs, newSecret(pop.prod, "prod/batch/"+s, pop.secretsKey[pop.prod]))
	}

	// Rotation: the database secrets of the workload accounts, weekly.
	start := cfg.Start.UTC().Truncate(24 * time.Hour)
	for i, a := range pop.apps {
		if a.secrets[0].name[len(a.secrets[0].name)-2:] != "db" {
			continue
		}
		s := a.secrets[0]
		fn := "SecretsManager-postgres-rotation"
		lam := &principal{kind: kindRole, account: s.account, name: "secrets-rotation-postgres", path: "service-role",
			agents: []string{boto}, ips: []string{"10.60.3.21"}}
		hourOff := time.Duration(1+i%3)*time.Hour + time.Duration(7*i%50)*time.Minute
		s.rotation = &rotation{start: start.Add(time.Duration(1+i%7)*24*time.Hour + hourOff), period: 7, lambda: lam, fn: fn}
		pop.rotators = append(pop.rotators, s)
	}

	for _, svc := range []string{"cloudtrail.amazonaws.com", "ec2.amazonaws.com", "s3.amazonaws.com", "config.amazonaws.com", "ecs-tasks.amazonaws.com", "lambda.amazonaws.com"} {
		pop.services[svc] = &principal{kind: kindService, account: "", name: svc}
	}

	pop.trailKey = newKey(pop.security, "cloudtrail-logs")
	pop.ingest = &principal{kind: kindRole, account: pop.security, name: "keytrail-ingest", path: "keytrail",
		agents: []string{fmt.Sprintf(sdkGo, "s3#1.58.2") + " exec-env/AWS_Lambda_provided.al2023"}, ips: []string{"10.90.0.11"}}
	pop.alerter = &principal{kind: kindRole, account: pop.security, name: "keytrail-alert", path: "keytrail",
		agents: []string{fmt.Sprintf(sdkGo, "secretsmanager#1.32.4") + " exec-env/AWS_Lambda_provided.al2023"}, ips: []string{"10.90.0.12"}}
	pop.slack = newSecret(pop.security, "keytrail/slack-bot-token", pop.secretsKey[pop.security])

	pop.partnerRole = &principal{kind: kindRole, account: pop.partner.id, name: "partner-sync", path: "integrations",
		agents: []string{boto}, ips: []string{"203.0.113.150"}}
	pop.partnerSecret = newSecret(pop.prod, "prod/partner/api-credentials", pop.secretsKey[pop.prod])
	pop.legacySecret = newSecret(pop.prod, "prod/legacy/old-api-key", pop.secretsKey[pop.prod])
	pop.legacyKey = newKey(pop.prod, "legacy-data")
	return pop
}

// sessionFor names an application session at t: ECS task ids that change
// every few hours, or the function name for a Lambda.
func (a *app) sessionFor(seed int64, t time.Time, r *rand.Rand) string {
	if a.lambda {
		return a.p.name
	}
	slot := t.Unix() / (4 * 3600)
	task := r.IntN(3) // a few tasks run side by side
	return stableString(hexDigits, 32, seed, "task", a.p.ARN(), int64(slot), task)
}

// allSecrets lists every secret of the organization in a fixed order.
func (pop *population) allSecrets() []*secret {
	var out []*secret
	for _, a := range pop.apps {
		out = append(out, a.secrets...)
	}
	out = append(out, pop.batchSecs...)
	out = append(out, pop.ciSecret, pop.slack, pop.partnerSecret, pop.legacySecret)
	return out
}

// allKeys lists every key of the organization in a fixed order.
func (pop *population) allKeys() []*key {
	var out []*key
	for _, a := range pop.accounts {
		out = append(out, pop.secretsKey[a.id])
	}
	for _, a := range pop.apps {
		out = append(out, a.key)
		if a.extra != nil {
			out = append(out, a.extra)
		}
	}
	return append(out, pop.batchKey, pop.trailKey, pop.legacyKey)
}
