package evalorg

import (
	"strconv"
	"time"
)

// catalog names what scenarios refer to.
type catalog struct {
	// Keys.
	kProdSecrets, kPayments, kLedger, kLedgerExport, kPII, kCardVault, kRisk, kAudit,
	kRDS, kEBS, kBackup, kPartner, kReports, kBYOK *key
	kFX, kProdSecretsUS, kBackupDR                  *key
	kStgSecrets, kStgData, kStgRDS                  *key
	kShSecrets, kArtifacts, kTFState, kSigning      *key
	kTrail, kSIEM                                   *key
	prodKeys, stgKeys, shKeys, secKeys, allKeys     []*key
	prodSecrets, stgSecrets, shSecrets, secSecrets  []*secret
	prodByName                                      map[string]*secret
	stgByName, shByName, secByName                  map[string]*secret
	deploySecrets                                   []*secret
	sPartner, sLedgerExport, sTwilio, sProcessorKey *secret
	sPaymentsDB, sPaymentsRO, sLedgerRO, sFXShared  *secret
	sReportingExport, sWarehouse, sFXProvider       *secret
	rotated                                         []*secret // by the rotation function, in order
	replicas                                        []*secret

	services []*service
	jobs     []*job

	rCI, rDeployer, rExec, rDeployerStg, rExecStg, rJenkins, rRotation, rBackup,
	rPartner, rOutside, rBreakGlass, rSandbox, rConfigProd, rMonitoring, rEBS *role
	ssoProd, ssoStg, ssoShared, ssoSec map[string]*role
}

// service is a long-running workload: ECS tasks or EKS pods.
type service struct {
	name         string
	acct, region string
	eks          bool
	role         *role
	secrets      []*secret
	kms          []kmsUse
	min, max     int
	lang         string
	subnet       string
	deploy       []*secret // what the deployer reads to release it
	started      time.Time // zero: before the period
	// scale multiplies the task count (a scale-out); nil is 1.
	scale   func(t time.Time) float64
	ctx     func(w *world, t time.Time) raw
	history []taskRecord
}

// kmsUse is a workload's own use of a key: op at perHour calls an hour at
// peak load (whole service).
type kmsUse struct {
	key     *key
	op      string // Decrypt, GenerateDataKey, Encrypt; "s3" for S3 reads of SSE-KMS objects
	perHour float64
}

// job is a Lambda function or batch job: cron runs or a fixed period.
type job struct {
	name         string
	acct, region string
	role         *role
	secrets      []*secret
	kms          []kmsUse // perHour here is calls per run
	runs         func(w *world, d int) []time.Time
	lang         string
	vpc          bool
	style        string
}

func (w *world) newCatalog() {
	c := &catalog{prodByName: map[string]*secret{}, stgByName: map[string]*secret{},
		shByName: map[string]*secret{}, secByName: map[string]*secret{}}
	w.cat = c
	pk := func(alias string) *key {
		k := w.key(acctProd, euc1, alias)
		c.prodKeys = append(c.prodKeys, k)
		return k
	}
	c.kProdSecrets = pk("prod-secrets")
	c.kPayments = pk("payments-data")
	c.kLedger = pk("ledger-data")
	c.kLedgerExport = pk("ledger-export")
	c.kPII = pk("customer-pii")
	c.kCardVault = pk("card-vault")
	c.kRisk = pk("risk-data")
	c.kAudit = pk("audit-logs")
	c.kRDS = pk("rds-prod")
	c.kEBS = pk("ebs-prod")
	c.kBackup = pk("backup-vault")
	c.kPartner = pk("partner-share")
	c.kReports = pk("reports-s3")
	c.kFX = w.key(acctProd, use1, "fx-data")
	c.kProdSecretsUS = w.key(acctProd, use1, "prod-secrets")
	c.kBackupDR = w.key(acctProd, use1, "backup-vault-dr")
	c.prodKeys = append(c.prodKeys, c.kFX, c.kProdSecretsUS, c.kBackupDR)
	c.kStgSecrets = w.key(acctStaging, euc1, "staging-secrets")
	c.kStgData = w.key(acctStaging, euc1, "staging-data")
	c.kStgRDS = w.key(acctStaging, euc1, "rds-staging")
	c.stgKeys = []*key{c.kStgSecrets, c.kStgData, c.kStgRDS}
	c.kShSecrets = w.key(acctShared, euc1, "shared-secrets")
	c.kArtifacts = w.key(acctShared, euc1, "artifacts-s3")
	c.kTFState = w.key(acctShared, euc1, "terraform-state")
	c.kSigning = w.key(acctShared, euc1, "release-signing")
	c.shKeys = []*key{c.kShSecrets, c.kArtifacts, c.kTFState, c.kSigning}
	c.kTrail = w.key(acctSecurity, euc1, "cloudtrail-logs")
	c.kSIEM = w.key(acctSecurity, euc1, "siem-data")
	c.secKeys = []*key{c.kTrail, c.kSIEM}
	// The BYOK key is created during the warmup (see admins).
	c.kBYOK = w.key(acctProd, euc1, "byok-hsm-import")
	c.kBYOK.origin = "EXTERNAL"
	c.kBYOK.created = w.at(9, 14, 12, 40)
	c.allKeys = append(append(append(append([]*key{}, c.prodKeys...), c.stgKeys...), c.shKeys...), c.secKeys...)

	ps := func(name string, k *key) *secret {
		s := w.secret(acctProd, euc1, "prod/"+name, k)
		c.prodSecrets = append(c.prodSecrets, s)
		c.prodByName[name] = s
		return s
	}
	for _, n := range []string{
		"payments/db-credentials", "payments/db-readonly", "payments/processor-api-key",
		"payments/processor-webhook-secret", "payments/3ds-provider-key",
		"ledger/db-credentials", "ledger/db-readonly", "ledger/bank-sftp-key",
		"merchant/db-credentials", "merchant/session-signing-key", "merchant/oauth-client-secret",
		"notifications/twilio-auth", "notifications/sendgrid-api-key", "notifications/firebase-service-account",
		"kyc/provider-api-key", "kyc/db-credentials", "kyc/provider-webhook-secret",
		"auth/jwt-signing-key", "auth/oauth-client-secret", "auth/saml-signing-cert",
		"webhooks/signing-secret", "risk/model-store-token", "risk/db-credentials",
		"fraud/feature-store-key", "fraud/db-credentials", "reporting/warehouse-credentials",
		"reporting/looker-api-key", "search/opensearch-credentials", "statements/pdf-signing-key",
		"settlement/bank-api-key", "deploy/datadog-api-key", "deploy/sentry-dsn",
		"deploy/registry-pull-token", "shared/fx-rates-api-key", "platform/terraform-cloud-token",
		"platform/pagerduty-integration-key", "platform/github-app-private-key",
		"legacy/reporting-export-db",
	} {
		ps(n, c.kProdSecrets)
	}
	ps("card-vault/hsm-credentials", c.kCardVault)
	ps("card-vault/tokenization-salt", c.kCardVault)
	c.sLedgerExport = ps("ledger/export-sftp-credentials", c.kLedgerExport)
	c.sPartner = ps("partner/settlement-sftp-credentials", c.kPartner)
	p := c.prodByName
	c.sTwilio, c.sProcessorKey = p["notifications/twilio-auth"], p["payments/processor-api-key"]
	c.sPaymentsDB, c.sPaymentsRO, c.sLedgerRO = p["payments/db-credentials"], p["payments/db-readonly"], p["ledger/db-readonly"]
	c.sFXShared, c.sReportingExport, c.sWarehouse = p["shared/fx-rates-api-key"], p["legacy/reporting-export-db"], p["reporting/warehouse-credentials"]
	c.deploySecrets = []*secret{p["deploy/datadog-api-key"], p["deploy/sentry-dsn"], p["deploy/registry-pull-token"]}
	c.rotated = []*secret{c.sPaymentsDB, p["ledger/db-credentials"], p["kyc/db-credentials"], p["merchant/db-credentials"]}
	c.sFXProvider = w.secret(acctProd, use1, "prod/fx/provider-api-key", c.kFX)
	c.prodSecrets = append(c.prodSecrets, c.sFXProvider)
	c.replicas = []*secret{w.replica(c.sPaymentsDB, use1, c.kProdSecretsUS), w.replica(p["ledger/db-credentials"], use1, c.kProdSecretsUS)}

	ss := func(acct string, list *[]*secret, by map[string]*secret, prefix string, k *key, ns ...string) {
		for _, n := range ns {
			s := w.secret(acct, euc1, prefix+n, k)
			*list = append(*list, s)
			by[n] = s
		}
	}
	ss(acctStaging, &c.stgSecrets, c.stgByName, "staging/", c.kStgSecrets,
		"payments/db-credentials", "payments/processor-sandbox-key", "ledger/db-credentials",
		"merchant/db-credentials", "merchant/session-signing-key", "notifications/twilio-test-auth",
		"kyc/provider-sandbox-key", "card-vault/hsm-credentials", "e2e/test-user-password",
		"e2e/processor-sandbox-webhook", "deploy/datadog-api-key", "deploy/registry-pull-token",
		"platform/terraform-cloud-token", "platform/github-app-private-key", "risk/db-credentials",
		"reporting/warehouse-credentials")
	ss(acctShared, &c.shSecrets, c.shByName, "shared/", c.kShSecrets,
		"ci/artifactory-token", "ci/npm-token", "ci/sonar-token", "ci/github-app-key",
		"monitoring/grafana-admin", "monitoring/datadog-api-key", "platform/atlantis-webhook-secret",
		"platform/github-app-key", "finops/cloudability-api-key")
	ss(acctSecurity, &c.secSecrets, c.secByName, "security/", c.kSIEM,
		"siem/splunk-hec-token", "siem/guardduty-slack-webhook", "siem/opsgenie-api-key")

	// Roles.
	c.rCI = w.role(acctShared, "/ci/", "github-actions-deploy")
	c.rDeployer = w.role(acctProd, "/ci/", "deployer")
	c.rExec = w.role(acctProd, "/ecs/", "ecsTaskExecutionRole")
	c.rDeployerStg = w.role(acctStaging, "/ci/", "deployer")
	c.rExecStg = w.role(acctStaging, "/ecs/", "ecsTaskExecutionRole")
	c.rJenkins = w.role(acctProd, "/legacy/", "jenkins-agent")
	c.rRotation = w.role(acctProd, "/lambda/", "secrets-rotation-postgres")
	c.rBackup = w.role(acctProd, "/service-role/", "AWSBackupDefaultServiceRole")
	c.rPartner = w.role(acctPartner, "/integrations/", "tavor-settlement-reader")
	c.rOutside = w.role(acctOutside, "/", "ops-automation")
	c.rBreakGlass = w.role(acctProd, "/break-glass/", "emergency-admin")
	c.rSandbox = w.role(acctStaging, "/platform/", "terraform-sandbox")
	c.rConfigProd = w.role(acctProd, "/aws-service-role/config.amazonaws.com/", "AWSServiceRoleForConfig")
	c.rMonitoring = w.role(acctProd, "/monitoring/", "grafana-cloudwatch")
	c.rEBS = w.role(acctProd, "/", "aws:ec2-infrastructure")
	c.ssoProd, c.ssoStg, c.ssoShared, c.ssoSec = map[string]*role{}, map[string]*role{}, map[string]*role{}, map[string]*role{}
	for _, ps := range []string{"PlatformAdmin", "SREProd", "ReadOnly", "DataEngineer", "SecurityAudit"} {
		c.ssoProd[ps] = w.sso(acctProd, ps)
	}
	for _, ps := range []string{"PlatformAdmin", "Developer", "SecurityAudit"} {
		c.ssoStg[ps] = w.sso(acctStaging, ps)
	}
	for _, ps := range []string{"PlatformAdmin", "SecurityAudit"} {
		c.ssoShared[ps] = w.sso(acctShared, ps)
		c.ssoSec[ps] = w.sso(acctSecurity, ps)
	}

	w.newServices()
	w.newJobs()
}

func (w *world) newServices() {
	c := w.cat
	p, st, sh := c.prodByName, c.stgByName, c.shByName
	dd, ds, dr := p["deploy/datadog-api-key"], p["deploy/sentry-dsn"], p["deploy/registry-pull-token"]
	svc := func(name, acct, region string, eks bool, lang string, min, max int, subnet string, secrets []*secret, kms ...kmsUse) *service {
		path := "/ecs/"
		suffix := "-task"
		if eks {
			path, suffix = "/eks/", "-irsa"
		}
		s := &service{name: name, acct: acct, region: region, eks: eks, lang: lang, min: min, max: max,
			subnet: subnet, secrets: secrets, kms: kms, role: w.role(acct, path, name+suffix)}
		c.services = append(c.services, s)
		return s
	}
	pii := func(w *world, t time.Time) raw {
		return obj("tenant", "merchant-"+strconv.Itoa(1000+w.rng.IntN(4000)), "purpose", "customer-pii")
	}
	pay := func(w *world, t time.Time) raw {
		return obj("service", "payments-api", "batch", t.In(w.loc).Format("20060102T15"))
	}
	s := svc("payments-api", acctProd, euc1, false, "go", 3, 6, "10.20.4.",
		[]*secret{p["payments/db-credentials"], p["payments/processor-api-key"], p["payments/3ds-provider-key"]},
		kmsUse{c.kPayments, "GenerateDataKey", 20}, kmsUse{c.kPayments, "Decrypt", 32})
	s.ctx, s.deploy = pay, []*secret{dd, dr}
	s = svc("ledger-service", acctProd, euc1, false, "java", 2, 4, "10.20.5.",
		[]*secret{p["ledger/db-credentials"]},
		kmsUse{c.kLedger, "Decrypt", 18}, kmsUse{c.kLedger, "GenerateDataKey", 10})
	s.deploy = []*secret{dd, dr}
	s.ctx = func(w *world, t time.Time) raw {
		return obj("ledger", "main", "entry-type", pick(w, []string{"debit", "credit"}))
	}
	s = svc("merchant-portal", acctProd, euc1, false, "node", 2, 4, "10.20.6.",
		[]*secret{p["merchant/db-credentials"], p["merchant/session-signing-key"], p["merchant/oauth-client-secret"]},
		kmsUse{c.kPII, "Decrypt", 15})
	s.ctx, s.deploy = pii, []*secret{dd, ds, dr}
	s = svc("notifications", acctProd, euc1, false, "python", 2, 3, "10.20.7.",
		[]*secret{p["notifications/twilio-auth"], p["notifications/sendgrid-api-key"], p["notifications/firebase-service-account"]})
	s.deploy = []*secret{dd, dr}
	s = svc("card-vault", acctProd, euc1, false, "go", 2, 4, "10.20.8.",
		[]*secret{p["card-vault/hsm-credentials"], p["card-vault/tokenization-salt"]},
		kmsUse{c.kCardVault, "Decrypt", 40}, kmsUse{c.kCardVault, "Encrypt", 20})
	s.deploy = []*secret{dd, dr}
	s.ctx = func(w *world, t time.Time) raw {
		return obj("vault", "cards", "pan-bin", strconv.Itoa(400000+w.rng.IntN(150000)))
	}
	s = svc("kyc-service", acctProd, euc1, false, "python", 1, 3, "10.20.9.",
		[]*secret{p["kyc/provider-api-key"], p["kyc/db-credentials"]},
		kmsUse{c.kPII, "Decrypt", 8}, kmsUse{c.kPII, "GenerateDataKey", 4})
	s.ctx, s.deploy = pii, []*secret{dd, dr}
	s = svc("auth-gateway", acctProd, euc1, false, "go", 2, 5, "10.20.10.",
		[]*secret{p["auth/jwt-signing-key"], p["auth/oauth-client-secret"], p["auth/saml-signing-cert"]})
	s.deploy = []*secret{dd, ds, dr}
	s = svc("webhooks-dispatcher", acctProd, euc1, false, "node", 1, 3, "10.20.11.",
		[]*secret{p["webhooks/signing-secret"], p["payments/processor-webhook-secret"]})
	s.deploy = []*secret{dd, dr}
	s = svc("fx-rates", acctProd, use1, false, "go", 1, 2, "10.21.4.",
		[]*secret{c.sFXProvider}, kmsUse{c.kFX, "GenerateDataKey", 3})
	s.deploy = []*secret{dd, dr}
	s.ctx = func(w *world, t time.Time) raw { return obj("feed", "fx-rates") }

	s = svc("risk-scoring", acctProd, euc1, true, "python", 2, 4, "10.20.20.",
		[]*secret{p["risk/model-store-token"], p["risk/db-credentials"]}, kmsUse{c.kRisk, "Decrypt", 12})
	s.ctx = func(w *world, t time.Time) raw { return obj("model", "risk-v7") }
	s = svc("fraud-engine", acctProd, euc1, true, "java", 2, 4, "10.20.21.",
		[]*secret{p["fraud/feature-store-key"], p["fraud/db-credentials"]}, kmsUse{c.kRisk, "Decrypt", 8})
	s.ctx = func(w *world, t time.Time) raw { return obj("model", "fraud-gbm-2026q1") }
	svc("reporting-api", acctProd, euc1, true, "python", 1, 2, "10.20.22.",
		[]*secret{p["reporting/warehouse-credentials"], p["reporting/looker-api-key"]}, kmsUse{c.kReports, "s3", 5})
	svc("search-indexer", acctProd, euc1, true, "java", 1, 2, "10.20.23.",
		[]*secret{p["search/opensearch-credentials"]})

	sd, sr := st["deploy/datadog-api-key"], st["deploy/registry-pull-token"]
	stg := func(name, lang, subnet string, secrets []*secret, kms ...kmsUse) *service {
		s := svc(name, acctStaging, euc1, false, lang, 1, 1, subnet, secrets, kms...)
		s.deploy = []*secret{sd, sr}
		return s
	}
	s = stg("payments-api", "go", "10.30.4.", []*secret{st["payments/db-credentials"], st["payments/processor-sandbox-key"]},
		kmsUse{c.kStgData, "GenerateDataKey", 2}, kmsUse{c.kStgData, "Decrypt", 3})
	s.ctx = pay
	stg("ledger-service", "java", "10.30.5.", []*secret{st["ledger/db-credentials"]})
	stg("merchant-portal", "node", "10.30.6.", []*secret{st["merchant/db-credentials"], st["merchant/session-signing-key"]})
	stg("notifications", "python", "10.30.7.", []*secret{st["notifications/twilio-test-auth"]})
	stg("kyc-service", "python", "10.30.9.", []*secret{st["kyc/provider-sandbox-key"]})
	s = stg("card-vault", "go", "10.30.8.", []*secret{st["card-vault/hsm-credentials"]}, kmsUse{c.kStgData, "Decrypt", 4})
	s.ctx = func(w *world, t time.Time) raw { return obj("vault", "cards-test") }

	svc("grafana", acctShared, euc1, false, "go", 1, 1, "10.40.4.",
		[]*secret{sh["monitoring/grafana-admin"], sh["monitoring/datadog-api-key"]})
	s = svc("atlantis", acctShared, euc1, false, "go", 1, 1, "10.40.5.",
		[]*secret{sh["platform/atlantis-webhook-secret"], sh["platform/github-app-key"]}, kmsUse{c.kTFState, "s3", 2})
	s.ctx = func(w *world, t time.Time) raw { return nil }
}

// daily runs a job at local hh:mm on the days keep accepts (nil: every
// day), a few seconds late.
func daily(hh, mm int, keep func(w *world, d int) bool) func(w *world, d int) []time.Time {
	return func(w *world, d int) []time.Time {
		if keep != nil && !keep(w, d) {
			return nil
		}
		return []time.Time{w.at(d, hh, mm, 0).Add(w.secs(1, 40))}
	}
}

// every runs a job each period through the day.
func every(period time.Duration) func(w *world, d int) []time.Time {
	return func(w *world, d int) []time.Time {
		var out []time.Time
		from, to := w.at(d, 0, 0, 0), w.at(d+1, 0, 0, 0)
		for t := from; t.Before(to); t = t.Add(period) {
			out = append(out, t.Add(w.secs(0, 20)))
		}
		return out
	}
}

func (w *world) newJobs() {
	c := w.cat
	p := c.prodByName
	j := func(name, acct, region, lang string, vpc bool, runs func(*world, int) []time.Time, secrets []*secret, kms ...kmsUse) *job {
		jb := &job{name: name, acct: acct, region: region, role: w.role(acct, "/lambda/", name), lang: lang, vpc: vpc,
			runs: runs, secrets: secrets, kms: kms, style: "name"}
		c.jobs = append(c.jobs, jb)
		return jb
	}
	workdays := func(w *world, d int) bool { return w.workday(d) }
	j("ledger-reconcile", acctProd, euc1, "python", true, daily(2, 0, nil),
		[]*secret{p["ledger/db-readonly"], p["ledger/bank-sftp-key"]},
		kmsUse{c.kLedger, "Decrypt", 40}, kmsUse{c.kLedger, "GenerateDataKey", 10})
	j("ledger-eod-export", acctProd, euc1, "python", true, daily(2, 30, nil),
		[]*secret{c.sLedgerExport}, kmsUse{c.kLedgerExport, "GenerateDataKey", 6}, kmsUse{c.kLedgerExport, "Decrypt", 4})
	j("statement-generator", acctProd, euc1, "java", true, func(w *world, d int) []time.Time {
		out := daily(3, 0, nil)(w, d)
		if w.weekday(d) == time.Friday {
			out = append(out, w.at(d, 6, 0, 0).Add(w.secs(1, 30)))
		}
		return out
	}, []*secret{p["statements/pdf-signing-key"]}, kmsUse{c.kPII, "Decrypt", 30})
	j("chargeback-sync", acctProd, euc1, "go", false, every(15*time.Minute), []*secret{c.sProcessorKey})
	j("kyc-callback", acctProd, euc1, "node", false, func(w *world, d int) []time.Time {
		var out []time.Time
		for h := 0; h < 24; h++ {
			t := w.at(d, h, 0, 0)
			for range w.poisson(3 * w.load(t)) {
				out = append(out, t.Add(w.jitter(time.Hour)))
			}
		}
		return out
	}, []*secret{p["kyc/provider-webhook-secret"]})
	j("settlement-batch", acctProd, euc1, "python", true, func(w *world, d int) []time.Time {
		out := daily(5, 0, nil)(w, d)
		if w.weekday(d) == time.Saturday {
			out = append(out, w.at(d, 4, 0, 0).Add(w.secs(1, 30)))
		}
		return out
	}, []*secret{p["settlement/bank-api-key"]}, kmsUse{c.kPayments, "Decrypt", 20})
	j("audit-archiver", acctProd, euc1, "go", false, every(time.Hour), nil, kmsUse{c.kAudit, "GenerateDataKey", 2})
	j("dr-checker", acctProd, use1, "python", false, every(time.Hour), c.replicas)
	j("siem-shipper", acctSecurity, euc1, "python", false, every(15*time.Minute),
		[]*secret{c.secByName["siem/splunk-hec-token"]}, kmsUse{c.kSIEM, "GenerateDataKey", 1})
	j("guardduty-notifier", acctSecurity, euc1, "python", false, func(w *world, d int) []time.Time {
		var out []time.Time
		for range w.poisson(4) {
			out = append(out, w.at(d, 0, 0, 0).Add(w.jitter(24*time.Hour)))
		}
		return out
	}, []*secret{c.secByName["siem/guardduty-slack-webhook"]})
	j("cost-reporter", acctShared, euc1, "python", false, daily(7, 0, workdays),
		[]*secret{c.shByName["finops/cloudability-api-key"]})
	j("e2e-tests", acctStaging, euc1, "node", false, func(w *world, d int) []time.Time {
		if !w.workday(d) {
			return nil
		}
		var out []time.Time
		for h := 9; h < 19; h++ {
			out = append(out, w.at(d, h, 10, 0).Add(w.secs(0, 600)))
		}
		return out
	}, []*secret{c.stgByName["e2e/test-user-password"], c.stgByName["payments/processor-sandbox-key"], c.stgByName["e2e/processor-sandbox-webhook"]})
}
