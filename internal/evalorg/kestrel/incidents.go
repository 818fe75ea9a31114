package kestrel

import (
	"encoding/json"
	"fmt"
	"time"
)

// The incident week: day w.evalDay is Monday 26 January (Republic Day) in
// the default period; incidents and look-alikes are placed on days
// counted from it.

const (
	reportingUser = "reporting-export"
	reportingIP   = "115.245.10.20"
)

// plan fixes what the baseline must know of the incidents before it runs:
// when the data key is disabled, and the label of the ETL failures.
func (w *world) plan() {
	e := w.evalDay
	w.disabledFrom = w.at(e+3, 23, 30).Add(14 * time.Second)
	w.disabledTill = w.at(e+4, 10, 40)
	w.etlFail = w.newLabel("I08b-etl-decrypt-failures", "broken_dependency",
		"the nightly ETL jobs fail every Decrypt of the disabled prod data key at 01:00 and 04:00",
		w.org.etl.role.arn, "low", true)
}

func (w *world) reportingKey(old bool) string {
	if old {
		return "AKIA" + w.chars(16, upperNum, "akia", "old")
	}
	return "AKIA" + w.chars(16, upperNum, "akia", "new")
}

// runReportingUser: a legacy IAM user reads its SFTP secret every morning
// at 06:00 from the reporting host.
func (w *world) runReportingUser(d int) {
	c := w.user(acctProd, reportingUser, w.reportingKey(true), reportingIP, cliUA)
	w.getSecret(0, w.at(d, 6, 0).Add(w.jitter(3*time.Minute)), c, w.org.secrets["prod/reporting/export-sftp"])
}

// pick returns n prod secrets not in skip, in a seed-dependent order.
func (w *world) pick(n int, skip func(*secret) bool) []*secret {
	var pool []*secret
	for _, s := range w.org.prod {
		if !skip(s) {
			pool = append(pool, s)
		}
	}
	w.rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	if n > len(pool) {
		n = len(pool)
	}
	return pool[:n]
}

func hasPrefix(s *secret, p ...string) bool {
	for _, x := range p {
		if len(s.name) >= len(x) && s.name[:len(x)] == x {
			return true
		}
	}
	return false
}

func (w *world) runIncidents() {
	e := w.evalDay
	o := w.org
	admin := o.people["arjun.mehta@kestrelhealth.in"]

	// 1. Slow exfiltration by the orders API's role, from its own pods.
	{
		svc := o.svcs[2] // orders-api
		l := w.newLabel("I01-slow-exfiltration", "new_secrets",
			"the orders API's IRSA role reads 12 prod secrets it never used, two an hour for six hours, from its usual pods",
			svc.role.arn, "medium", true)
		own := map[*secret]bool{svc.secrets[0]: true, svc.secrets[1]: true}
		ss := w.pick(12, func(s *secret) bool { return own[s] || hasPrefix(s, "prod/ci/") })
		for i, s := range ss {
			t := w.at(e+2, 13, 0).Add(time.Duration(i)*30*time.Minute + w.jitter(10*time.Minute))
			w.getSecret(l, t, w.podSession(svc, i%svc.pods, e+2), s)
		}
	}

	// 2. The deploy role from an unknown repository at 03:00.
	{
		l := w.newLabel("I02-ci-unknown-repo", "new_secrets",
			"the GitHub Actions deploy role, assumed from an unknown repository (new session names, new address) at 03:00 local, reads 15 prod secrets in 10 minutes",
			o.ci.arn, "medium", true)
		ss := w.pick(15, func(s *secret) bool { return hasPrefix(s, "prod/ci/") })
		t := w.at(e+3, 3, 2)
		c := w.session(o.ci, "GitHubActions", "arn:aws:iam::"+acctProd+":oidc-provider/"+githubOIDC, t.Add(-40*time.Second),
			"172.183.41.207", ghaUA, "", false)
		for _, s := range ss {
			t = t.Add(time.Duration(25+w.rng.IntN(15)) * time.Second)
			w.getSecret(l, t, c, s)
		}
	}

	// 3. A new access key of the legacy reporting user, used at once from
	// a new address.
	{
		arn := "arn:aws:iam::" + acctProd + ":user/" + reportingUser
		l := w.newLabel("I03-new-access-key", "new_secrets",
			"an access key of the reporting-export IAM user, created minutes earlier from a new address, reads 8 secrets",
			arn, "medium", true)
		t := w.at(e+4, 19, 50)
		old := w.user(acctProd, reportingUser, w.reportingKey(true), "45.134.22.81", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12")
		newKey := w.reportingKey(false)
		w.call(l, t, old, "us-east-1", acctProd, "iam.amazonaws.com", "CreateAccessKey",
			mustJSON(om{"userName", reportingUser}),
			mustJSON(om{"accessKey", om{"userName", reportingUser, "accessKeyId", newKey, "status", "Active",
				"createDate", t.UTC().Format("Jan 2, 2006, 3:04:05 PM")}}), false)
		c := w.user(acctProd, reportingUser, newKey, "45.134.22.81", "python-requests/2.31.0 Boto3/1.34.0 Botocore/1.34.0")
		t = t.Add(4 * time.Minute)
		for _, s := range w.pick(8, func(s *secret) bool { return s.name == "prod/reporting/export-sftp" }) {
			t = t.Add(time.Duration(10+w.rng.IntN(20)) * time.Second)
			w.getSecret(l, t, c, s)
		}
	}

	// 4. An insider with the DataAnalyst set.
	{
		p := o.people["meera.pillai@kestrelhealth.in"]
		l := w.newLabel("I04-insider-analyst", "new_secrets",
			"a data analyst (SSO DataAnalyst) reads 30 prod secrets in office hours, none of which the role read before",
			p.role.arn, "medium", true)
		t := w.at(e+1, 14, 5)
		c := w.sso(p, t.Add(-3*time.Minute), o.office[0])
		for _, s := range w.pick(30, func(s *secret) bool { return hasPrefix(s, "prod/analytics/") }) {
			t = t.Add(time.Duration(2+w.rng.IntN(6))*time.Minute + w.jitter(time.Minute))
			w.getSecret(l, t, c, s)
		}
	}

	// 5. A key policy that lets the attacker's account in.
	{
		k := o.keys["prod-secrets"]
		l := w.newLabel("I05-key-policy-outsider", "policy_external",
			"PutKeyPolicy on the prod secrets key allows the attacker account's root, conditioned only by StringNotEquals aws:PrincipalOrgID (which the outsider satisfies)",
			admin.role.arn, "medium", true)
		t := w.at(e+4, 12, 10)
		c := w.sso(admin, t.Add(-8*time.Minute), o.office[0])
		w.kms(l, t, c, "GetKeyPolicy", k, om{"keyId", k.arn, "policyName", "default"}, true)
		pol := keyPolicy(acctProd, om{"Sid", "PartnerAudit", "Effect", "Allow",
			"Principal", om{"AWS", "arn:aws:iam::" + acctAttacker + ":root"},
			"Action", []string{"kms:Decrypt", "kms:DescribeKey"}, "Resource", "*",
			"Condition", om{"StringNotEquals", om{"aws:PrincipalOrgID", orgID}}})
		w.kms(l, t.Add(2*time.Minute), c, "PutKeyPolicy", k,
			om{"keyId", k.arn, "policyName", "default", "policy", pol, "bypassPolicyLockoutSafetyCheck", false}, false)
	}

	// 6. A grant to the attacker's account on the data key.
	{
		p := o.people["ananya.das@kestrelhealth.in"]
		k := o.keys["prod-data"]
		l := w.newLabel("I06-grant-outsider", "grant_external",
			"CreateGrant on the prod data key with grantee and retiring principal in the attacker account",
			p.role.arn, "medium", true)
		t := w.at(e, 14, 45)
		c := w.sso(p, t.Add(-6*time.Minute), p.home)
		w.kms(l, t, c, "CreateGrant", k, om{"keyId", k.arn,
			"granteePrincipal", "arn:aws:iam::" + acctAttacker + ":role/data-sync",
			"retiringPrincipal", "arn:aws:iam::" + acctAttacker + ":root",
			"operations", []string{"Decrypt", "GenerateDataKey", "DescribeKey"}}, false).
			resp = mustJSON(om{"grantId", w.chars(64, hexLow, "grant", k.arn), "keyId", k.arn})
	}

	// 7. A secret opened to everyone with an IfExists condition.
	{
		p := o.people["karthik.subramanian@kestrelhealth.in"]
		s := o.secrets["prod/partners/abdm-gateway"]
		l := w.newLabel("I07-public-secret-policy", "policy_public",
			"PutResourcePolicy on a prod secret with Principal \"*\" and only StringEqualsIfExists aws:SourceVpc (public in effect)",
			p.role.arn, "medium", true)
		t := w.at(e+1, 14, 10)
		c := w.sso(p, t.Add(-4*time.Minute), o.office[1])
		pol := policyDoc(om{"Effect", "Allow", "Principal", "*", "Action", "secretsmanager:GetSecretValue", "Resource", "*",
			"Condition", om{"StringEqualsIfExists", om{"aws:SourceVpc", "vpc-0a41c2d9e7b35f180"}}})
		w.call(l, t, c, s.region, s.acct, srcSM, "PutResourcePolicy",
			mustJSON(om{"secretId", s.arn, "resourcePolicy", pol, "blockPublicPolicy", false}),
			mustJSON(om{"arn", s.arn, "name", s.name}), false, s.arn)
	}

	// 8a. The data key disabled late at night (8b, the failures, is the
	// ETL's own; see plan and runETL).
	{
		k := o.keys["prod-data"]
		l := w.newLabel("I08a-disable-data-key", "key_disabled",
			"DisableKey on the prod data key at 23:30 local by the SSO admin",
			admin.role.arn, "medium", true)
		c := w.sso(admin, w.disabledFrom.Add(-12*time.Minute), admin.home)
		w.kms(l, w.disabledFrom.Add(-90*time.Second), c, "DescribeKey", k, om{"keyId", k.arn}, true)
		w.kms(l, w.disabledFrom, c, "DisableKey", k, om{"keyId", k.arn}, false)
		// Re-enabled in the morning, when the failures are noticed.
		c2 := w.sso(admin, w.disabledTill.Add(-20*time.Minute), o.office[0])
		w.kms(0, w.disabledTill, c2, "EnableKey", k, om{"keyId", k.arn}, false)
	}

	// 9. A us-east-1 key scheduled for deletion.
	{
		p := o.people["pooja.sharma@kestrelhealth.in"]
		k := o.keys["us-customer-archive"]
		l := w.newLabel("I09-schedule-key-deletion", "key_deletion",
			"ScheduleKeyDeletion of the US customer's archive key (us-east-1) with a 7-day window",
			p.role.arn, "medium", true)
		t := w.at(e+2, 16, 20)
		c := w.sso(p, t.Add(-5*time.Minute), o.office[2])
		w.kms(l, t.Add(-time.Minute), c, "DescribeKey", k, om{"keyId", k.arn}, true)
		w.kms(l, t, c, "ScheduleKeyDeletion", k, om{"keyId", k.arn, "pendingWindowInDays", 7}, false).
			resp = mustJSON(om{"keyId", k.arn, "deletionDate", t.AddDate(0, 0, 7).UTC().Format("Jan 2, 2006, 3:04:05 PM"),
			"keyState", "PendingDeletion", "pendingWindowInDays", 7})
	}

	// 10. A secret re-encrypted under the attacker's key.
	{
		p := o.people["vikram.nair@kestrelhealth.in"]
		s := o.secrets["prod/billing-api/db"]
		ext := o.keys["exfil"]
		l := w.newLabel("I10-secret-foreign-key", "secret_external_key",
			"UpdateSecret points a prod secret's KmsKeyId at a key in the attacker account",
			p.role.arn, "medium", true)
		t := w.at(e+6, 12, 45)
		c := w.sso(p, t.Add(-7*time.Minute), p.home)
		w.call(l, t.Add(-2*time.Minute), c, s.region, s.acct, srcSM, "DescribeSecret", secretReq(s), nil, true, s.arn)
		w.call(l, t, c, s.region, s.acct, srcSM, "UpdateSecret",
			mustJSON(om{"secretId", s.arn, "kmsKeyId", ext.arn}),
			mustJSON(om{"arn", s.arn, "name", s.name}), false, s.arn, ext.arn)
	}

	// 11. The vendor starts generating data keys.
	{
		k := o.keys["shared-logs"]
		l := w.newLabel("I11-vendor-new-operation", "new_operation",
			"the log-analytics vendor's role, which only ever called Decrypt, calls GenerateDataKey on the shared key",
			o.vendor.arn, "low", true)
		c := w.vendorSession(e + 5)
		t := w.at(e+5, 20, 0)
		for range 6 {
			t = t.Add(time.Duration(2+w.rng.IntN(5)) * time.Minute)
			w.kms(l, t, c, "GenerateDataKey", k, gdkReq(k, om{"aws:s3:arn", "arn:aws:s3:::kestrel-shared-logs/exports"}), true)
		}
	}

	// 12. An outsider probing the shared key.
	{
		k := o.keys["shared-logs"]
		r := w.role(acctAttacker, "", "etl-runner")
		l := w.newLabel("I12-outsider-denied", "denied_burst",
			"a role of the attacker account calls Decrypt on the shared key 40 times in 10 minutes, all denied",
			r.arn, "medium", true)
		t := w.at(e+6, 7, 30)
		sess := "i-0" + w.chars(16, hexLow, "inst")
		c := w.session(r, sess, "", t.Add(-time.Hour), "185.220.101.47",
			"Boto3/1.34.100 md/Botocore#1.34.100 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.9 Botocore/1.34.100", "", false)
		for i := range 40 {
			x := w.kms(l, t.Add(time.Duration(i)*15*time.Second+w.jitter(10*time.Second)), c, "Decrypt", k,
				decryptReq(om{"aws:s3:arn", "arn:aws:s3:::kestrel-shared-logs/exports"}), true)
			x.fail("AccessDeniedException", "User: arn:aws:sts::"+acctAttacker+":assumed-role/etl-runner/"+sess+
				" is not authorized to perform: kms:Decrypt on this resource because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access")
		}
	}

	// 13. A person enumerating secrets.
	{
		p := o.people["harish.rao@kestrelhealth.in"]
		l := w.newLabel("I13-denied-enumeration", "denied_burst",
			"25 denied GetSecretValue across 12 secrets in 15 minutes by a ReadOnly SSO session",
			p.role.arn, "medium", true)
		t := w.at(e+4, 11, 0)
		c := w.session(p.role, p.email, "", t.Add(-3*time.Minute), p.home, cliUA, "", false)
		ss := w.pick(12, func(*secret) bool { return false })
		for i := range 25 {
			s := ss[i%len(ss)]
			w.call(l, t.Add(time.Duration(i)*36*time.Second), c, s.region, s.acct, srcSM, "GetSecretValue", secretReq(s), nil, true, s.arn).
				fail("AccessDeniedException", "User: arn:aws:sts::"+acctProd+":assumed-role/"+p.role.name+"/"+p.email+
					" is not authorized to perform: secretsmanager:GetSecretValue on resource: "+s.arn+" because no identity-based policy allows the secretsmanager:GetSecretValue action")
		}
	}

	// 14. A batch read of everything from a Lambda role.
	{
		fn := o.lambdas[1] // notify-sms
		l := w.newLabel("I14-batch-all-secrets", "bulk_retrieval",
			"BatchGetSecretValue with a name filter \"!zzz\" (every secret) by a Lambda role that never batched",
			fn.role.arn, "medium", true)
		t := w.at(e+2, 7, 10)
		c := w.lambdaSession(fn, t.Add(-time.Second))
		w.call(l, t, c, south, acctProd, srcSM, "BatchGetSecretValue",
			mustJSON(om{"filters", []om{{"key", "name", "values", []string{"!zzz"}}}}), nil, true)
		w.call(l, t.Add(2*time.Second), c, south, acctProd, srcSM, "BatchGetSecretValue",
			mustJSON(om{"filters", []om{{"key", "name", "values", []string{"!zzz"}}}, "nextToken", w.chars(40, alnum, "next")}), nil, true)
	}

	// 15. A secret's policy replaced to let the vendor in.
	{
		p := o.people["ananya.das@kestrelhealth.in"]
		s := o.secrets["prod/ops/datadog-api"]
		l := w.newLabel("I15-secret-opened-to-partner", "policy_external",
			"DeleteResourcePolicy on a prod secret, then PutResourcePolicy granting the vendor account GetSecretValue (new access for a known partner)",
			p.role.arn, "low", true)
		t := w.at(e+5, 11, 15)
		c := w.sso(p, t.Add(-5*time.Minute), o.office[0])
		w.call(l, t, c, s.region, s.acct, srcSM, "DeleteResourcePolicy", secretReq(s),
			mustJSON(om{"arn", s.arn, "name", s.name}), false, s.arn)
		pol := policyDoc(om{"Effect", "Allow", "Principal", om{"AWS", "arn:aws:iam::" + acctVendor + ":root"},
			"Action", "secretsmanager:GetSecretValue", "Resource", "*"})
		w.call(l, t.Add(3*time.Minute), c, s.region, s.acct, srcSM, "PutResourcePolicy",
			mustJSON(om{"secretId", s.arn, "resourcePolicy", pol, "blockPublicPolicy", true}),
			mustJSON(om{"arn", s.arn, "name", s.name}), false, s.arn)
	}
}

func policyDoc(st ...om) string {
	b, _ := json.MarshalIndent(om{"Version", "2012-10-17", "Statement", st}, "", "  ")
	return string(b)
}

func (w *world) runBenign() {
	e := w.evalDay
	o := w.org

	// Lambda cold-start storm after a deploy.
	{
		fn := o.lambdas[0]
		l := w.newLabel("B01-lambda-storm", "volume", "cold-start storm of a Lambda after a deploy: its own secret and key, ten times the usual calls for five minutes",
			fn.role.arn, "", false)
		t := w.at(e+1, 11, 32)
		for range 30 {
			w.coldStart(l, fn, t.Add(w.jitter(5*time.Minute)))
		}
	}
	w.predicate("B02-vendor-decrypt", "cross_account", "the vendor's constant cross-account Decrypt of the shared key",
		o.vendor.arn, w.day(e+1), w.day(e+2))
	w.predicate("B03-dr-sunday", "regions", "the weekly Sunday DR check reading secrets in ap-south-1 and us-east-1",
		o.dr.arn, w.day(e+6), w.at(e+6, 6, 0))
	w.predicate("B04-oncall-night", "off_hours", "the on-call SRE on a usual night, 21:00-01:00 local",
		o.people["rohan.iyer@kestrelhealth.in"].role.arn, w.at(e+2, 20, 30), w.at(e+3, 2, 0))
	w.predicate("B05-etl-holiday-night", "off_hours", "the ETL jobs at 01:00 and 04:00 on the holiday's night",
		o.etl.role.arn, w.day(e+1), w.at(e+1, 6, 0))
	w.predicate("B06-ci-busy-day", "volume", "a day of three times the usual deploys, reading the usual deploy secrets",
		o.ci.arn, w.at(e+2, 9, 0), w.at(e+2, 20, 0))
	w.predicate("B07-rotation", "rotation", "weekly rotation of database secrets by the rotation Lambda",
		o.rotator.arn, w.at(e+3, 2, 0), w.at(e+3, 5, 0))
	w.predicate("B08-s3-kms-night", "service", "S3 SSE-KMS calls for the nightly report job",
		o.reports.role.arn, w.at(e+3, 2, 0), w.at(e+3, 4, 0))
	{
		p := o.people["rahul.verma@kestrelhealth.in"]
		l := w.newLabel("B09-dev-test-secrets", "lifecycle", "a developer creates, reads and deletes (7-day recovery window) a test secret in dev",
			p.role.arn, "", false)
		w.testSecret(l, p, w.at(e+1, 16, 40), 100+e)
	}
	{
		admin := o.people["arjun.mehta@kestrelhealth.in"]
		k := o.keys["prod-secrets"]
		l := w.newLabel("B10-key-policy-org", "policy_external", "the admin adds the logging account to a key policy, conditioned on aws:PrincipalOrgID",
			admin.role.arn, "", false)
		t := w.at(e+2, 12, 0)
		c := w.sso(admin, t.Add(-6*time.Minute), o.office[0])
		w.kms(l, t, c, "GetKeyPolicy", k, om{"keyId", k.arn, "policyName", "default"}, true)
		pol := keyPolicy(acctProd, om{"Sid", "LoggingAccount", "Effect", "Allow",
			"Principal", om{"AWS", "arn:aws:iam::" + acctLogging + ":root"},
			"Action", []string{"kms:Decrypt", "kms:DescribeKey"}, "Resource", "*",
			"Condition", om{"StringEquals", om{"aws:PrincipalOrgID", orgID}}})
		w.kms(l, t.Add(4*time.Minute), c, "PutKeyPolicy", k,
			om{"keyId", k.arn, "policyName", "default", "policy", pol, "bypassPolicyLockoutSafetyCheck", false}, false)
	}
	{
		dev := o.people["divya.menon@kestrelhealth.in"]
		r := w.role(acctDev, "", "eks-claims-ingest")
		t := w.at(e+3, 11, 0)
		c := w.sso(dev, t.Add(-5*time.Minute), o.office[1])
		var ss []*secret
		for _, n := range []string{"dev/claims-ingest/db", "dev/claims-ingest/queue", "dev/claims-ingest/api-key"} {
			s := w.secret(acctDev, south, n, nil)
			ss = append(ss, s)
			t = t.Add(time.Minute)
			w.call(0, t, c, south, acctDev, srcSM, "CreateSecret",
				mustJSON(om{"name", n, "clientRequestToken", w.uuid("tok", n)}),
				mustJSON(om{"arn", s.arn, "name", n, "versionId", w.uuid("tok", n)}), false, s.arn)
		}
		l := w.newLabel("B11-new-dev-service", "new_principal", "a new microservice in dev reads its three new dev secrets",
			r.arn, "", false)
		for d := e + 3; d < w.cfg.Days; d++ {
			pc := w.session(r, fmt.Sprintf("botocore-session-%d", w.at(d, 12, 0).Unix()), "arn:aws:iam::"+acctDev+":oidc-provider/"+eksOIDC+"DEV", w.at(d, 12, 0), "10.30.8.41", sdkUA, "", false)
			lbl := int16(0)
			if d == e+3 {
				lbl = l
			}
			for t := w.at(d, 12, 5); t.Before(w.day(d + 1)); t = t.Add(30 * time.Minute) {
				for _, s := range ss {
					w.getSecret(lbl, t.Add(w.jitter(5*time.Second)), pc, s)
				}
			}
		}
	}
	w.throttle(w.newLabel("B12-kafka-throttling", "errors", "a Kafka fleet throttling burst: hundreds of ThrottlingException in a minute",
		o.kafka.role.arn, "", false), w.at(e+4, 9, 12), 420)
	{
		p := o.people["nisha.gupta@kestrelhealth.in"]
		l := w.newLabel("B13-dev-two-denied", "errors", "a developer's two AccessDenied in dev",
			p.role.arn, "", false)
		t := w.at(e+5, 15, 20)
		c := w.sso(p, t.Add(-10*time.Minute), o.office[2])
		s := w.secret(acctDev, south, "dev/payments/live-mirror", nil)
		for i := range 2 {
			w.call(l, t.Add(time.Duration(i)*40*time.Second), c, south, acctDev, srcSM, "GetSecretValue", secretReq(s), nil, true, s.arn).
				fail("AccessDeniedException", "User: arn:aws:sts::"+acctDev+":assumed-role/"+p.role.name+"/"+p.email+
					" is not authorized to perform: secretsmanager:GetSecretValue on resource: "+s.arn+" because no resource-based policy allows the secretsmanager:GetSecretValue action")
		}
	}
}
