package kestrel

import (
	"encoding/json"
	"fmt"
	"time"
)

// The baseline: three weeks of the organization's ordinary work. Each
// runner walks the local days of the period; add drops what falls outside
// it.

func (w *world) runBaseline() {
	for d := range w.days() {
		w.runServices(d)
		w.runLambdas(d, 1)
		w.runKafka(d)
		w.runETL(d, 0)
		w.runReports(d)
		w.runRDS(d)
		scale := 1
		if d == w.evalDay+2 {
			scale = 3 // a release day
		}
		w.runCI(d, scale, 0)
		w.runDR(d, 0)
		w.runRotation(d, 0)
		w.runVendor(d)
		w.runPeople(d)
		w.runOnCall(d)
		w.runAdmin(d)
		w.runDevs(d)
		w.runUSStack(d)
		w.runReportingUser(d)
	}
}

// podSession is a service pod's IRSA session of day d.
func (w *world) podSession(s *workload, pod, d int) *caller {
	k := fmt.Sprint(pod, "/", d)
	if c, ok := s.sess[k]; ok {
		return c
	}
	created := w.day(d).Add(time.Duration(w.hash("pod", s.name, k)%3600) * time.Second)
	sess := fmt.Sprintf("botocore-session-%d", created.Unix())
	provider := "arn:aws:iam::" + acctProd + ":oidc-provider/" + eksOIDC + w.chars(32, "0123456789ABCDEF", "eks", acctProd)
	ip := s.ips[pod%len(s.ips)]
	c := w.session(s.role, sess, provider, created, ip, s.ua, s.vpce, false)
	s.sess[k] = c
	return c
}

// runServices: each pod reads its api-key secret every 45 minutes and its
// database secret every two hours, starting at a per-pod offset.
func (w *world) runServices(d int) {
	for _, s := range w.org.svcs {
		for p := range s.pods {
			c := w.podSession(s, p, d)
			off := time.Duration(w.hash("off", s.name, fmt.Sprint(p))%2700) * time.Second
			for t := w.day(d).Add(off); t.Before(w.day(d + 1)); t = t.Add(45 * time.Minute) {
				w.getSecret(0, t.Add(w.jitter(20*time.Second)), c, s.secrets[1])
			}
			for t := w.day(d).Add(off / 3); t.Before(w.day(d + 1)); t = t.Add(2 * time.Hour) {
				w.getSecret(0, t.Add(w.jitter(20*time.Second)), c, s.secrets[0])
			}
		}
	}
}

// lambdaSession is a function's execution environment session.
func (w *world) lambdaSession(fn *workload, t time.Time) *caller {
	created := t.Add(-time.Duration(w.rng.IntN(3)) * time.Second)
	return w.session(fn.role, fn.role.name, "", created, "13.232."+fmt.Sprint(w.rng.IntN(250))+"."+fmt.Sprint(2+w.rng.IntN(250)), fn.ua, "", false)
}

// coldStart: a new execution environment reads the function's secret and
// decrypts its environment.
func (w *world) coldStart(lbl int16, fn *workload, t time.Time) {
	c := w.lambdaSession(fn, t)
	w.getSecret(lbl, t, c, fn.secrets[0])
	w.kms(lbl, t.Add(time.Duration(100+w.rng.IntN(400))*time.Millisecond), c, "Decrypt", w.org.keys["prod-lambda"],
		decryptReq(om{"LambdaFunctionName", fn.name}), true)
}

// runLambdas: cold starts through the day, more in office hours; scale
// multiplies them (a storm after a deploy).
func (w *world) runLambdas(d, scale int) {
	for _, fn := range w.org.lambdas {
		for h := range 24 {
			n := 1
			if h >= 9 && h < 21 {
				n = 3
			}
			for range n * scale {
				w.coldStart(0, fn, w.at(d, h, 0).Add(w.jitter(time.Hour)))
			}
		}
	}
}

// runKafka: the consumers read their secrets at start and decrypt
// payload keys every ten minutes; every few days a burst of throttling.
func (w *world) runKafka(d int) {
	k := w.org.kafka
	ev := w.org.keys["prod-events"]
	for p := range k.pods {
		c := w.podSession(k, p, d)
		for _, s := range k.secrets {
			w.getSecret(0, w.day(d).Add(time.Duration(w.hash("kstart", fmt.Sprint(p, d))%1800)*time.Second), c, s)
		}
		off := time.Duration(w.hash("koff", fmt.Sprint(p))%600) * time.Second
		for t := w.day(d).Add(off); t.Before(w.day(d + 1)); t = t.Add(10 * time.Minute) {
			w.kms(0, t.Add(w.jitter(30*time.Second)), c, "Decrypt", ev, decryptReq(om{"topic", "patient-events"}), true)
		}
	}
	if d < w.evalDay && d%4 == 2 {
		w.throttle(0, w.at(d, 8+d%10, 17), 180+w.rng.IntN(200))
	}
}

// throttle is a burst of n throttled Decrypts from the Kafka fleet in
// about a minute.
func (w *world) throttle(lbl int16, t time.Time, n int) {
	k := w.org.kafka
	d := int(t.Sub(w.day(0)) / (24 * time.Hour))
	for i := range n {
		c := w.podSession(k, i%k.pods, d)
		w.kms(lbl, t.Add(w.jitter(time.Minute)), c, "Decrypt", w.org.keys["prod-events"],
			decryptReq(om{"topic", "patient-events"}), true).
			fail("ThrottlingException", "Rate exceeded")
	}
}

// runETL: jobs at 01:00 and 04:00 local read their secrets, decrypt and
// write data files (S3 SSE-KMS on their behalf). While the data key is
// disabled every Decrypt fails (incident 8b) and nothing is written.
func (w *world) runETL(d int, lbl int16) {
	e := w.org.etl
	data, s3k := w.org.keys["prod-data"], w.org.keys["prod-s3"]
	for _, h := range []int{1, 4} {
		start := w.at(d, h, 0).Add(time.Duration(5+w.rng.IntN(50)) * time.Second)
		task := w.chars(32, hexLow, "task", fmt.Sprint(d, h))
		c := w.session(e.role, task, "", start.Add(-20*time.Second), e.ips[0], e.ua, e.vpce, false)
		t := start
		for _, s := range e.secrets {
			w.getSecret(lbl, t, c, s)
			t = t.Add(time.Duration(200+w.rng.IntN(800)) * time.Millisecond)
		}
		disabled := w.dataKeyDisabled(t)
		for i := range 36 + w.rng.IntN(10) {
			t = t.Add(time.Duration(4+w.rng.IntN(20)) * time.Second)
			x := w.kms(lbl, t, c, "Decrypt", data, decryptReq(om{"dataset", fmt.Sprintf("hospital-%02d", i%24)}), true)
			if disabled {
				x.fail("DisabledException", data.arn+" is disabled.")
				x.label = w.etlFail
			}
		}
		if disabled {
			continue
		}
		for i := range 8 + w.rng.IntN(6) {
			t = t.Add(time.Duration(5+w.rng.IntN(30)) * time.Second)
			w.kms(lbl, t, c, "GenerateDataKey", data, gdkReq(data, om{"dataset", fmt.Sprintf("mart-%02d", i)}), true)
			w.kms(lbl, t.Add(2*time.Second), c.by("s3.amazonaws.com"), "GenerateDataKey", s3k,
				gdkReq(s3k, om{"aws:s3:arn", "arn:aws:s3:::kestrel-prod-warehouse/marts/" + fmt.Sprint(i)}), true)
		}
	}
}

// runReports: the nightly report job at 02:30 and daytime exports write
// and read report files through S3 SSE-KMS.
func (w *world) runReports(d int) {
	r := w.org.reports
	s3k := w.org.keys["prod-s3"]
	for _, h := range []int{2, 11, 15} {
		start := w.at(d, h, 30).Add(w.jitter(5 * time.Minute))
		c := w.session(r.role, w.chars(32, hexLow, "rtask", fmt.Sprint(d, h)), "", start.Add(-15*time.Second), r.ips[0], r.ua, r.vpce, false)
		w.getSecret(0, start, c, r.secrets[0])
		t := start
		n := 6
		if h == 2 {
			n = 24
		}
		for i := range n {
			t = t.Add(time.Duration(3+w.rng.IntN(25)) * time.Second)
			obj := om{"aws:s3:arn", fmt.Sprintf("arn:aws:s3:::kestrel-prod-reports/%s/r-%03d.pdf", w.day(d).Format("2006-01-02"), i)}
			w.kms(0, t, c.by("s3.amazonaws.com"), "GenerateDataKey", s3k, gdkReq(s3k, obj), true)
			if i%3 == 0 {
				w.kms(0, t.Add(time.Second), c.by("s3.amazonaws.com"), "Decrypt", s3k, decryptReq(obj), true)
			}
		}
	}
}

// runRDS: RDS decrypts its storage keys a couple of times an hour.
func (w *world) runRDS(d int) {
	rds := service("rds.amazonaws.com", "")
	k := w.org.keys["prod-rds"]
	for h := range 24 {
		for range 2 {
			w.kms(0, w.at(d, h, 0).Add(w.jitter(time.Hour)), rds, "Decrypt", k,
				decryptReq(om{"aws:rds:db-id", "db-" + w.chars(26, upperNum, "db", fmt.Sprint(h%3))}), true)
		}
	}
}

// ciSession is a GitHub Actions run's session.
func (w *world) ciSession(run int, t time.Time, ip string) *caller {
	sess := fmt.Sprintf("gha-%d", run)
	provider := "arn:aws:iam::" + acctProd + ":oidc-provider/" + githubOIDC
	return w.session(w.org.ci, sess, provider, t, ip, ghaUA, "", false)
}

// runCI: deploys in working hours of working days, each reading the deploy
// secrets; scale multiplies them.
func (w *world) runCI(d, scale int, lbl int16) {
	if !w.workday(d) {
		return
	}
	n := (3 + w.rng.IntN(4)) * scale
	for i := range n {
		t := w.at(d, 10, 0).Add(w.jitter(9 * time.Hour))
		run := 12000000000 + d*1000 + i*7 + scale
		ip := fmt.Sprintf("20.%d.%d.%d", 40+w.rng.IntN(160), w.rng.IntN(250), 2+w.rng.IntN(250))
		c := w.ciSession(run, t.Add(-30*time.Second), ip)
		for _, n := range []string{"prod/ci/ecr-pull", "prod/ci/helm-repo", "prod/ci/sentry-release", "prod/ci/argocd-token", "prod/ci/slack-webhook"} {
			t = t.Add(time.Duration(1+w.rng.IntN(4)) * time.Second)
			w.getSecret(lbl, t, c, w.org.secrets[n])
		}
	}
}

// drSecrets are the secrets the DR role checks in both regions.
func (w *world) drSecrets() []*secret {
	var out []*secret
	for _, n := range []string{"patients-api", "orders-api", "identity-api", "billing-api"} {
		s := w.org.secrets["prod/"+n+"/db"]
		out = append(out, s, replica(s, east, w.org.keys["us-customer"]))
	}
	return out
}

// runDR: on Sunday nights at 02:00 the DR role reads the replicated
// secrets in both regions.
func (w *world) runDR(d int, lbl int16) {
	if w.day(d).Weekday() != time.Sunday {
		return
	}
	t := w.at(d, 2, 0).Add(w.jitter(2 * time.Minute))
	c := w.session(w.org.dr, "dr-check-"+w.day(d).Format("20060102"), "", t.Add(-time.Minute), "10.20.70.9", sdkUA, w.org.vpceSM, false)
	for _, s := range w.drSecrets() {
		t = t.Add(time.Duration(2+w.rng.IntN(5)) * time.Second)
		w.call(lbl, t, c, s.region, s.acct, srcSM, "DescribeSecret", secretReq(s), nil, true, s.arn)
		w.getSecret(lbl, t.Add(time.Second), c, s)
	}
}

// runRotation: each service's database secret rotates weekly, on a day of
// its own, at about 03:00.
func (w *world) runRotation(d int, lbl int16) {
	for i, svc := range w.org.svcs {
		if (d+i)%7 != 0 {
			continue
		}
		s := svc.secrets[0]
		t := w.at(d, 3, 0).Add(time.Duration(i)*3*time.Minute + w.jitter(time.Minute))
		w.rotate(lbl, s, t)
	}
}

func (w *world) rotate(lbl int16, s *secret, t time.Time) {
	c := w.session(w.org.rotator, w.org.rotator.name, "", t.Add(-2*time.Second), "13.233.4."+fmt.Sprint(10+w.rng.IntN(200)), pyLambdaUA, "", false)
	pending := w.uuid("rotation", s.arn, ts(t))
	step := func() time.Time { t = t.Add(time.Duration(300+w.rng.IntN(1500)) * time.Millisecond); return t }
	w.call(lbl, step(), c, s.region, s.acct, srcSM, "DescribeSecret", secretReq(s), nil, true, s.arn)
	w.call(lbl, step(), c, s.region, s.acct, srcSM, "GetSecretValue", mustJSON(om{"secretId", s.arn, "versionStage", "AWSCURRENT"}), nil, true, s.arn)
	w.smDecrypt(lbl, t, c, s)
	w.call(lbl, step(), c, s.region, s.acct, srcSM, "GetRandomPassword", mustJSON(om{"excludeCharacters", "/@\"'\\", "passwordLength", 32}), nil, true)
	w.call(lbl, step(), c, s.region, s.acct, srcSM, "PutSecretValue",
		mustJSON(om{"secretId", s.arn, "clientRequestToken", pending, "versionStages", []string{"AWSPENDING"}}),
		mustJSON(om{"arn", s.arn, "name", s.name, "versionId", pending, "versionStages", []string{"AWSPENDING"}}), false, s.arn)
	w.kms(lbl, t, c.by("secretsmanager.amazonaws.com"), "GenerateDataKey", s.key,
		om{"keyId", s.key.arn, "encryptionContext", om{"SecretARN", s.arn, "SecretVersionId", pending}, "keySpec", "AES_256"}, true)
	w.call(lbl, step(), c, s.region, s.acct, srcSM, "GetSecretValue", mustJSON(om{"secretId", s.arn, "versionStage", "AWSPENDING"}), nil, true, s.arn)
	w.smDecrypt(lbl, t, c, s)
	w.call(lbl, step(), c, s.region, s.acct, srcSM, "DescribeSecret", secretReq(s), nil, true, s.arn)
	w.call(lbl, step(), c, s.region, s.acct, srcSM, "UpdateSecretVersionStage",
		mustJSON(om{"secretId", s.arn, "versionStage", "AWSCURRENT", "moveToVersionId", pending, "removeFromVersionId", w.uuid("prev", s.arn, ts(t))}),
		mustJSON(om{"arn", s.arn, "name", s.name}), false, s.arn)
}

// runVendor: the log-analytics vendor decrypts the shared key 15-25 times
// an hour, every hour.
func (w *world) runVendor(d int) {
	k := w.org.keys["shared-logs"]
	c := w.vendorSession(d)
	for h := range 24 {
		for range 15 + w.rng.IntN(11) {
			w.kms(0, w.at(d, h, 0).Add(w.jitter(time.Hour)), c, "Decrypt", k,
				decryptReq(om{"aws:s3:arn", "arn:aws:s3:::kestrel-shared-logs/exports"}), true)
		}
	}
}

func (w *world) vendorSession(d int) *caller {
	return w.session(w.org.vendor, "ingest-"+w.chars(8, hexLow, "vsess", fmt.Sprint(d)), "", w.day(d),
		"3.108.77."+fmt.Sprint(10+d%5), "aws-sdk-java/1.12.780 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.13+11-LTS java/17.0.13 vendor/Amazon.com_Inc.", "", false)
}

// runPeople: people at work read and inspect what they look after.
func (w *world) runPeople(d int) {
	if !w.workday(d) {
		return
	}
	for _, s := range staff {
		p := w.org.people[s.email]
		if p.email == "rohan.iyer@kestrelhealth.in" && w.day(d).Weekday() < time.Friday {
			continue // on call at night
		}
		if w.rng.IntN(100) < 12 {
			continue // away
		}
		ip := w.org.office[w.rng.IntN(len(w.org.office))]
		if w.rng.IntN(4) == 0 {
			ip = p.home
		}
		start := w.at(d, 10, 0).Add(w.jitter(75 * time.Minute))
		c := w.sso(p, start.Add(-time.Minute), ip)
		n := 5 + w.rng.IntN(12)
		for range n {
			t := start.Add(w.jitter(8 * time.Hour))
			w.personAction(p, c, t)
		}
	}
}

func (w *world) personAction(p *person, c *caller, t time.Time) {
	region, acct := south, p.acct
	list := func() {
		w.call(0, t, c, region, acct, srcSM, "ListSecrets", mustJSON(om{"maxResults", 100}), nil, true)
	}
	switch p.set {
	case "SecurityAudit":
		switch w.rng.IntN(3) {
		case 0:
			w.call(0, t, c, region, acct, srcKMS, "ListKeys", mustJSON(om{"limit", 1000}), nil, true)
		case 1:
			w.call(0, t, c, region, acct, srcKMS, "ListAliases", mustJSON(om{"limit", 100}), nil, true)
		default:
			list()
		}
		return
	case "ReadOnly":
		switch r := w.rng.IntN(30); {
		case r == 0:
			s := w.org.prod[w.rng.IntN(len(w.org.prod))]
			w.call(0, t, c, s.region, s.acct, srcSM, "GetSecretValue", secretReq(s), nil, true, s.arn).
				fail("AccessDeniedException", "User: arn:aws:sts::"+acct+":assumed-role/"+p.role.name+"/"+p.email+
					" is not authorized to perform: secretsmanager:GetSecretValue on resource: "+s.arn+" because no identity-based policy allows the secretsmanager:GetSecretValue action")
		case r < 15:
			list()
		default:
			s := w.org.prod[w.rng.IntN(len(w.org.prod))]
			w.call(0, t, c, s.region, s.acct, srcSM, "DescribeSecret", secretReq(s), nil, true, s.arn)
		}
		return
	}
	if len(p.secrets) == 0 {
		list()
		return
	}
	s := p.secrets[w.rng.IntN(len(p.secrets))]
	switch r := w.rng.IntN(40); {
	case r == 0:
		// a typo
		w.call(0, t, c, s.region, s.acct, srcSM, "GetSecretValue", mustJSON(om{"secretId", s.name + "s"}), nil, true).
			fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	case r < 10:
		list()
	case r < 18:
		w.call(0, t, c, s.region, s.acct, srcSM, "DescribeSecret", secretReq(s), nil, true, s.arn)
	case r < 22 && s.key != nil:
		w.kms(0, t, c, "DescribeKey", s.key, om{"keyId", s.key.arn}, true)
	default:
		w.getSecret(0, t, c, s)
	}
}

// runOnCall: the on-call SRE works 21:00-01:00 on Monday to Thursday
// nights, from home.
func (w *world) runOnCall(d int) {
	wd := w.day(d).Weekday()
	if wd < time.Monday || wd > time.Thursday {
		return
	}
	p := w.org.people["rohan.iyer@kestrelhealth.in"]
	start := w.at(d, 21, 0).Add(w.jitter(15 * time.Minute))
	c := w.sso(p, start.Add(-time.Minute), p.home)
	for range 6 + w.rng.IntN(8) {
		w.personAction(p, c, start.Add(w.jitter(3*time.Hour+40*time.Minute)))
	}
}

// keyPolicy is a key policy document with the account's root, the admin
// role and extra statements.
func keyPolicy(acct string, extra ...om) string {
	st := []om{{"Sid", "EnableRoot", "Effect", "Allow", "Principal", om{"AWS", "arn:aws:iam::" + acct + ":root"}, "Action", "kms:*", "Resource", "*"}}
	st = append(st, extra...)
	b, _ := json.MarshalIndent(om{"Version", "2012-10-17", "Id", "key-policy", "Statement", st}, "", "  ")
	return string(b)
}

// runAdmin: on Monday, Wednesday and Friday the admin reviews a key's
// policy and grants a role of the account use of it.
func (w *world) runAdmin(d int) {
	wd := w.day(d).Weekday()
	if !w.workday(d) || (wd != time.Monday && wd != time.Wednesday && wd != time.Friday) {
		return
	}
	p := w.org.people["arjun.mehta@kestrelhealth.in"]
	t := w.at(d, 15, 0).Add(w.jitter(2 * time.Hour))
	c := w.sso(p, t.Add(-10*time.Minute), w.org.office[0])
	keys := []string{"prod-secrets", "prod-data", "prod-s3", "prod-events", "prod-lambda"}
	k := w.org.keys[keys[d%len(keys)]]
	svc := w.org.svcs[d%len(w.org.svcs)]
	w.kms(0, t, c, "GetKeyPolicy", k, om{"keyId", k.arn, "policyName", "default"}, true)
	pol := keyPolicy(acctProd, om{"Sid", "Use", "Effect", "Allow", "Principal", om{"AWS", svc.role.arn},
		"Action", []string{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource", "*"})
	w.kms(0, t.Add(3*time.Minute), c, "PutKeyPolicy", k,
		om{"keyId", k.arn, "policyName", "default", "policy", pol, "bypassPolicyLockoutSafetyCheck", false}, false)
}

// runDevs: developers create test secrets in dev, read them and delete
// them with a recovery window.
func (w *world) runDevs(d int) {
	if !w.workday(d) {
		return
	}
	for _, s := range staff {
		if s.set != "Developer" || w.rng.IntN(10) >= 3 {
			continue
		}
		w.testSecret(0, w.org.people[s.email], w.at(d, 11, 0).Add(w.jitter(6*time.Hour)), d)
	}
}

func (w *world) testSecret(lbl int16, p *person, t time.Time, d int) {
	c := w.sso(p, t.Add(-5*time.Minute), w.org.office[1])
	name := fmt.Sprintf("dev/test/%s-%d", p.email[:len(p.email)-len("@kestrelhealth.in")], d)
	s := w.secret(acctDev, south, name, nil)
	w.call(lbl, t, c, south, acctDev, srcSM, "CreateSecret",
		mustJSON(om{"name", name, "clientRequestToken", w.uuid("tok", name), "description", "scratch"}),
		mustJSON(om{"arn", s.arn, "name", name, "versionId", w.uuid("tok", name)}), false, s.arn)
	for i := range 2 + w.rng.IntN(3) {
		w.getSecret(lbl, t.Add(time.Duration(2+i*7)*time.Minute), c, s)
	}
	w.call(lbl, t.Add(45*time.Minute), c, south, acctDev, srcSM, "DeleteSecret",
		mustJSON(om{"secretId", s.arn, "recoveryWindowInDays", 7}),
		mustJSON(om{"arn", s.arn, "name", name, "deletionDate", t.Add(45*time.Minute).AddDate(0, 0, 7).UTC().Format("Jan 2, 2006, 3:04:05 PM")}), false, s.arn)
}

// runUSStack: the US customer's services read their secrets hourly.
func (w *world) runUSStack(d int) {
	for _, n := range []string{"patients-api", "orders-api", "identity-api"} {
		s := w.org.secrets["us/"+n+"/db"]
		r := w.role(acctProd, "", "eks-us-"+n)
		created := w.day(d)
		c := w.session(r, fmt.Sprintf("botocore-session-%d", created.Unix()+int64(len(n))), "arn:aws:iam::"+acctProd+":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/"+w.chars(32, "0123456789ABCDEF", "eks-us"),
			created, "10.40.12."+fmt.Sprint(10+len(n)), sdkUA, "", false)
		for h := range 24 {
			w.getSecret(0, w.at(d, h, int(w.hash("us", n)%60)), c, s)
		}
	}
}

// dataKeyDisabled reports whether the prod data key is disabled at t (the
// incident of the evaluation week).
func (w *world) dataKeyDisabled(t time.Time) bool {
	return !w.disabledFrom.IsZero() && !t.Before(w.disabledFrom) && t.Before(w.disabledTill)
}
