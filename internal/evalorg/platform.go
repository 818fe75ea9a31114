package evalorg

import (
	"strconv"
	"time"
)

// What AWS services and platform machinery do every day: the partner's
// daily read, Secrets Manager rotation, AWS Backup and RDS snapshots,
// EBS volumes of EKS nodes, CloudTrail encrypting its own log files, the
// AWS Config recorder, monitoring, and a few legacy principals.

const (
	partnerIP   = "52.59.214.87"
	partnerUA   = "aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy"
	reportingIP = "82.80.147.20"
	reportingUA = "Boto3/1.26.137 Python/3.9.16 Linux/3.10.0-1160.105.1.el7.x86_64 Botocore/1.29.137"
	jenkinsIP   = "10.20.12.37"
)

// partnerRead is the processor's settlement job reading the shared secret
// through its cross-account role.
func (w *world) partnerRead(t time.Time) {
	c := w.cat
	name := "settlement-" + t.Format("20060102")
	cs := w.session(c.rPartner, name, t.Add(-4*time.Second), partnerIP, partnerUA, nil, tls12, false)
	w.getSecret(t, cs, c.sPartner, "arn", "")
	if w.chance(0.2) {
		w.getSecret(t.Add(w.secs(90, 200)), cs, c.sPartner, "arn", "")
	}
}

func (w *world) runPartner() {
	for d := -1; d <= w.cfg.Days; d++ {
		t := w.cfg.Start.AddDate(0, 0, d).Add(5*time.Hour + 40*time.Minute + w.secs(-600, 600))
		w.partnerRead(t)
	}
}

func (w *world) runReportingUser() {
	c := w.cat
	for d := -1; d <= w.cfg.Days; d++ {
		t := w.at(d, 6, 15, 0).Add(w.secs(0, 90))
		u := w.iamUser(acctProd, "svc-reporting-export", reportingIP, reportingUA, nil)
		w.other(t.Add(-time.Second), u, "sts.amazonaws.com", "GetCallerIdentity", euc1, acctProd, nil, nil, nil, true)
		w.getSecret(t, u, c.sReportingExport, "name", "")
	}
}

// --- rotation ---------------------------------------------------------------

// rotationPlan is when each rotated secret rotates: every seven days at
// 01:00 local, staggered.
func (w *world) rotationPlan() map[*secret][]time.Time {
	plan := map[*secret][]time.Time{}
	for i, s := range w.cat.rotated {
		for d := 0; d < w.cfg.Days; d++ {
			if (d-i)%7 == 3 {
				plan[s] = append(plan[s], w.at(d, 1, 0, 0).Add(time.Duration(i)*10*time.Minute+w.secs(0, 50)))
			}
		}
	}
	return plan
}

// rotateAt: Secrets Manager rotates s at t with the rotation function;
// the new version becomes AWSCURRENT at the returned time.
func rotationEnd(t time.Time) time.Time { return t.Add(37 * time.Second) }

func (w *world) rotate(s *secret, t time.Time) {
	c := w.cat
	svc := w.serviceEvent(acctProd, srcSM)
	w.emit(ev{t: t, who: svc, acct: acctProd, region: s.region, src: srcSM, name: "RotationStarted",
		extra: obj("SecretId", s.arn), typ: typeServiceEvent})
	net := w.endpointsOf(acctProd, euc1)
	ip := "10.20.31." + strconv.Itoa(10+int(w.h.of("rotation-ip", t.String())%200))
	cs := func(action string) *caller {
		return w.session(c.rRotation, c.rRotation.name, t.Add(-time.Second), ip, sdkUA("python", srcSM, lambdaEnv("python")), net, tls13AES128, false)
	}
	end := rotationEnd(t)
	old, next := w.version(s, t), w.version(s, end)
	token := next
	step := t.Add(time.Second)
	tick := func() time.Time { step = step.Add(w.secs(1, 3)); return step }
	getVersion := func(stage, version string) {
		at := tick()
		w.smDecryptVersion(at, cs(""), s, version)
		w.emit(ev{t: at, who: cs(""), acct: acctProd, region: s.region, src: srcSM, name: "GetSecretValue",
			req: obj("secretId", s.arn, "versionStage", stage), readOnly: true})
	}
	// createSecret
	w.smRead(tick(), cs(""), s, "DescribeSecret", "arn")
	getVersion("AWSCURRENT", old)
	w.emit(ev{t: tick(), who: cs(""), acct: acctProd, region: s.region, src: srcSM, name: "GetRandomPassword",
		req: obj("passwordLength", 32, "excludeCharacters", "/@\"'\\"), readOnly: true})
	w.getSecret(tick(), cs(""), s, "arn", "AWSPENDING")
	at := tick()
	w.smGenerateDataKey(at, cs(""), s, next)
	w.emit(ev{t: at, who: cs(""), acct: acctProd, region: s.region, src: srcSM, name: "PutSecretValue",
		req:  obj("secretId", s.arn, "clientRequestToken", token, "versionStages", []string{"AWSPENDING"}),
		resp: obj("arn", s.arn, "name", s.name, "versionId", next, "versionStages", []string{"AWSPENDING"})})
	// setSecret, testSecret
	w.smRead(tick(), cs(""), s, "DescribeSecret", "arn")
	getVersion("AWSPENDING", next)
	getVersion("AWSCURRENT", old)
	w.smRead(tick(), cs(""), s, "DescribeSecret", "arn")
	getVersion("AWSPENDING", next)
	// finishSecret
	w.smRead(tick(), cs(""), s, "DescribeSecret", "arn")
	w.emit(ev{t: end, who: cs(""), acct: acctProd, region: s.region, src: srcSM, name: "UpdateSecretVersionStage",
		req:  obj("secretId", s.arn, "versionStage", "AWSCURRENT", "moveToVersionId", next, "removeFromVersionId", old),
		resp: obj("arn", s.arn, "name", s.name)})
	w.emit(ev{t: end.Add(time.Second), who: svc, acct: acctProd, region: s.region, src: srcSM, name: "RotationSucceeded",
		extra: obj("SecretId", s.arn), typ: typeServiceEvent})
}

func (w *world) smDecryptVersion(t time.Time, c *caller, s *secret, version string) {
	w.emit(ev{t: t, who: c.by(srcSM), acct: s.key.acct, region: s.region, src: srcKMS, name: "Decrypt",
		req: obj("encryptionAlgorithm", "SYMMETRIC_DEFAULT",
			"encryptionContext", obj("SecretARN", s.arn, "SecretVersionId", version)),
		res: s.key.resources(), readOnly: true})
}

func (w *world) runRotations(plan map[*secret][]time.Time) {
	for _, s := range w.cat.rotated {
		for _, t := range plan[s] {
			w.rotate(s, t)
		}
	}
}

// --- backups and storage ----------------------------------------------------

var prodDBs = []string{"payments", "ledger", "kyc", "merchant"}

func (w *world) dbID(name string) string {
	return "db-" + w.h.chars(26, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "db", name)
}

func (w *world) runBackups() {
	c := w.cat
	rds := w.service("rds.amazonaws.com")
	for d := -1; d <= w.cfg.Days; d++ {
		// RDS automated snapshots.
		t := w.at(d, 0, 30, 0).Add(w.secs(0, 300))
		for i, db := range prodDBs {
			at := t.Add(time.Duration(i) * w.secs(20, 80))
			ctx := obj("aws:rds:db-id", w.dbID(db))
			w.kms(at, rds, c.kRDS, "GenerateDataKeyWithoutPlaintext", obj("keyId", c.kRDS.arn, "encryptionContext", ctx, "keySpec", "AES_256"), true)
			w.kms(at.Add(w.secs(1, 5)), rds, c.kRDS, "Decrypt", obj("encryptionContext", ctx, "encryptionAlgorithm", "SYMMETRIC_DEFAULT"), true)
		}
		for i, db := range []string{"staging-payments", "staging-ledger"} {
			at := t.Add(time.Duration(i)*w.secs(20, 80) + 10*time.Minute)
			ctx := obj("aws:rds:db-id", w.dbID(db))
			w.kms(at, rds, c.kStgRDS, "GenerateDataKeyWithoutPlaintext", obj("keyId", c.kStgRDS.arn, "encryptionContext", ctx, "keySpec", "AES_256"), true)
		}
		// RDS re-reading its data keys through the day.
		for range w.poisson(6) {
			at := w.at(d, 0, 0, 0).Add(w.jitter(24 * time.Hour))
			w.kms(at, rds, c.kRDS, "Decrypt", obj("encryptionContext", obj("aws:rds:db-id", w.dbID(pick(w, prodDBs))), "encryptionAlgorithm", "SYMMETRIC_DEFAULT"), true)
		}
		// AWS Backup: the nightly plan, then the copy to the DR vault.
		t = w.at(d, 1, 0, 0).Add(w.secs(0, 120))
		b := w.session(c.rBackup, "AWSBackup-AWSBackupDefaultServiceRole", t.Add(-30*time.Second), "backup.amazonaws.com", "backup.amazonaws.com", nil, tlsNone, false).by("backup.amazonaws.com")
		vault := obj("aws:backup:backup-vault", "prod-vault")
		for i, db := range prodDBs {
			at := t.Add(time.Duration(i) * w.secs(30, 120))
			w.kms(at, b, c.kRDS, "Decrypt", obj("encryptionContext", obj("aws:rds:db-id", w.dbID(db)), "encryptionAlgorithm", "SYMMETRIC_DEFAULT"), true)
			w.kms(at.Add(w.secs(2, 9)), b, c.kBackup, "GenerateDataKeyWithoutPlaintext", obj("keyId", c.kBackup.arn, "encryptionContext", vault, "keySpec", "AES_256"), true)
		}
		t = w.at(d, 2, 40, 0).Add(w.secs(0, 300))
		dr := w.session(c.rBackup, "AWSBackup-AWSBackupDefaultServiceRole", t.Add(-30*time.Second), "backup.amazonaws.com", "backup.amazonaws.com", nil, tlsNone, false).by("backup.amazonaws.com")
		for i := range prodDBs {
			at := t.Add(time.Duration(i) * w.secs(40, 160))
			w.kms(at, dr, c.kBackup, "Decrypt", obj("encryptionContext", vault, "encryptionAlgorithm", "SYMMETRIC_DEFAULT"), true)
			w.kms(at.Add(w.secs(3, 12)), dr, c.kBackupDR, "GenerateDataKeyWithoutPlaintext",
				obj("keyId", c.kBackupDR.arn, "encryptionContext", obj("aws:backup:backup-vault", "prod-vault-dr"), "keySpec", "AES_256"), true)
		}
	}
}

// runNodes: EKS node groups scale up in the morning and down at night; a
// new node's volumes are decrypted by EC2.
func (w *world) runNodes() {
	c := w.cat
	asg := w.role(acctProd, "/aws-service-role/autoscaling.amazonaws.com/", "AWSServiceRoleForAutoScaling")
	for d := -1; d <= w.cfg.Days; d++ {
		n := 2 + w.rng.IntN(3)
		if !w.workday(d) {
			n = 1
		}
		t := w.at(d, 7, 0, 0).Add(w.secs(0, 900))
		as := w.session(asg, "AutoScaling", t.Add(-time.Minute), "autoscaling.amazonaws.com", "autoscaling.amazonaws.com", nil, tlsNone, false).by("autoscaling.amazonaws.com")
		for i := range n {
			at := t.Add(time.Duration(i) * w.secs(5, 40))
			inst := "i-0" + w.h.chars(16, hexLow, "instance", at.String())
			vol := "vol-0" + w.h.chars(16, hexLow, "volume", inst)
			w.other(at, as, "ec2.amazonaws.com", "RunInstances", euc1, acctProd,
				obj("instancesSet", obj("items", []raw{obj("minCount", 1, "maxCount", 1)}), "launchTemplate", obj("launchTemplateId", "lt-0"+w.h.chars(16, hexLow, "lt"), "version", "14")),
				obj("instancesSet", obj("items", []raw{obj("instanceId", inst, "instanceType", "m7i.2xlarge")})), nil, false)
			e := w.session(c.rEBS, inst, at.Add(30*time.Second), "AWS Internal", "AWS Internal", nil, tlsNone, false)
			ctx := obj("aws:ebs:id", vol)
			w.kms(at.Add(25*time.Second), e, c.kEBS, "GenerateDataKeyWithoutPlaintext", obj("keyId", c.kEBS.arn, "encryptionContext", ctx, "keySpec", "AES_256"), true)
			w.kms(at.Add(40*time.Second), e, c.kEBS, "Decrypt", obj("encryptionContext", ctx), true)
			w.other(w.at(d, 22, 30, 0).Add(w.secs(0, 1200)), as, "ec2.amazonaws.com", "TerminateInstances", euc1, acctProd,
				obj("instancesSet", obj("items", []raw{obj("instanceId", inst)})), nil, nil, false)
		}
	}
}

// runTrailKeys: CloudTrail encrypts each log file it delivers with a data
// key of the security account's key.
func (w *world) runTrailKeys() {
	c := w.cat
	ct := w.service("cloudtrail.amazonaws.com")
	trail := "arn:aws:cloudtrail:" + euc1 + ":" + acctSecurity + ":trail/" + trailName
	groups := [][2]string{{acctProd, euc1}, {acctProd, use1}, {acctStaging, euc1}, {acctShared, euc1}, {acctSecurity, euc1}}
	for t := w.start; t.Before(w.end); t = t.Add(window) {
		for _, g := range groups {
			at := t.Add(window + w.secs(100, 420))
			obj1 := "arn:aws:s3:::" + bucket + "/AWSLogs/" + g[0] + "/CloudTrail/" + g[1] + "/" + at.Format("2006/01/02") + "/" +
				g[0] + "_CloudTrail_" + g[1] + "_" + at.Format("20060102T1504Z") + "_" + w.h.chars(16, alnum, "trail-file", g[0], g[1], at.String()) + ".json.gz"
			w.kms(at, ct, c.kTrail, "GenerateDataKey", obj("keyId", c.kTrail.arn, "encryptionContext",
				obj("aws:cloudtrail:arn", trail, "aws:s3:arn", obj1), "keySpec", "AES_256"), true)
		}
	}
}

// runConfig: the AWS Config recorder describes every key and secret once a
// day, and the IAM roles and S3 buckets with them.
func (w *world) runConfig() {
	c := w.cat
	rStg := w.role(acctStaging, "/aws-service-role/config.amazonaws.com/", "AWSServiceRoleForConfig")
	for d := -1; d <= w.cfg.Days; d++ {
		for _, a := range []struct {
			r       *role
			keys    []*key
			secrets []*secret
		}{{c.rConfigProd, c.prodKeys, c.prodSecrets}, {rStg, c.stgKeys, c.stgSecrets}} {
			t := w.cfg.Start.AddDate(0, 0, d).Add(3*time.Hour + w.secs(0, 1800))
			cs := w.session(a.r, "AWSConfig-Describe", t.Add(-time.Minute), "config.amazonaws.com", "config.amazonaws.com", nil, tlsNone, false).by("config.amazonaws.com")
			at := t
			for _, k := range a.keys {
				if !k.created.IsZero() && k.created.After(at) {
					continue
				}
				w.keyRead(at, cs, k, "DescribeKey")
				w.keyRead(at.Add(time.Second), cs, k, "GetKeyRotationStatus")
				w.keyRead(at.Add(2*time.Second), cs, k, "ListResourceTags")
				at = at.Add(w.secs(2, 6))
			}
			w.listSecrets(at, cs, a.r.acct, euc1, obj("maxResults", 20))
			for _, s := range a.secrets {
				if s.region != euc1 || s.at(at) == nil {
					continue
				}
				at = at.Add(w.secs(1, 3))
				w.smRead(at, cs, s, "DescribeSecret", "arn")
			}
			for i := range 12 {
				w.other(at.Add(time.Duration(i)*time.Second), cs, "iam.amazonaws.com", "GetRole", use1, a.r.acct,
					obj("roleName", pick(w, []string{"deployer", "ecsTaskExecutionRole", "payments-api-task", "ledger-service-task", "grafana-cloudwatch"})), nil, nil, true)
				w.other(at.Add(time.Duration(i)*time.Second+500*time.Millisecond), cs, "s3.amazonaws.com", "GetBucketEncryption", euc1, a.r.acct,
					obj("bucketName", "tavor-"+pick(w, []string{"reports", "exports", "artifacts", "assets", "logs"}), "Host", "s3.eu-central-1.amazonaws.com", "encryption", ""), nil, nil, true)
			}
		}
	}
}

// runMonitoring: dashboards polling CloudWatch, EC2 and the load
// balancers, the EBS CSI driver, and the legacy Jenkins agent that still
// polls EC2 and S3 (and never touched a secret).
func (w *world) runMonitoring() {
	c := w.cat
	csi := w.role(acctProd, "/eks/", "ebs-csi-driver-irsa")
	for h := w.start.Add(-time.Hour); h.Before(w.end); h = h.Add(time.Hour) {
		mon := w.session(c.rMonitoring, "grafana", h, "10.20.40.11", uaGrafana, nil, tls12, false)
		stg := w.session(w.role(acctStaging, "/monitoring/", "grafana-cloudwatch"), "grafana", h, "10.30.40.11", uaGrafana, nil, tls12, false)
		for m := 0; m < 60; m++ {
			t := h.Add(time.Duration(m)*time.Minute + w.secs(0, 20))
			w.other(t, mon, "monitoring.amazonaws.com", "GetMetricData", euc1, acctProd,
				obj("metricDataQueries", []raw{obj("id", "a", "metricStat", obj("metric", obj("namespace", "AWS/ECS", "metricName", "CPUUtilization")))}, "startTime", awsDate(t.Add(-time.Hour)), "endTime", awsDate(t)), nil, nil, true)
			if m%5 == 0 {
				w.other(t.Add(2*time.Second), mon, "ec2.amazonaws.com", "DescribeInstances", euc1, acctProd, obj("instancesSet", raw("{}"), "filterSet", raw("{}")), nil, nil, true)
				w.other(t.Add(3*time.Second), mon, "elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", euc1, acctProd,
					obj("targetGroupArn", "arn:aws:elasticloadbalancing:eu-central-1:"+acctProd+":targetgroup/payments-api/"+w.h.chars(16, hexLow, "tg")), nil, nil, true)
				w.other(t.Add(4*time.Second), stg, "monitoring.amazonaws.com", "GetMetricData", euc1, acctStaging,
					obj("metricDataQueries", []raw{obj("id", "a")}, "startTime", awsDate(t.Add(-time.Hour)), "endTime", awsDate(t)), nil, nil, true)
			}
			if m%10 == 0 {
				cc := w.session(csi, "aws-go-sdk-"+strconv.FormatInt(h.UnixNano(), 10), h, "10.20.24.51", sdkUA("go", "ec2.amazonaws.com", ""), nil, tls13AES128, false, webIdentity(w.oidc(acctProd)))
				w.other(t.Add(7*time.Second), cc, "ec2.amazonaws.com", "DescribeVolumes", euc1, acctProd, obj("volumeSet", raw("{}"), "filterSet", raw("{}")), nil, nil, true)
			}
		}
		j := w.session(c.rJenkins, "i-0"+w.h.chars(16, hexLow, "jenkins-instance"), h.Truncate(6*time.Hour), jenkinsIP, uaJenkins, nil, tls12, false,
			func(id *identity) { id.ec2 = true })
		w.other(h.Add(w.jitter(time.Hour)), j, "ec2.amazonaws.com", "DescribeInstances", euc1, acctProd, obj("instancesSet", raw("{}"), "filterSet", raw("{}")), nil, nil, true)
		w.other(h.Add(w.jitter(time.Hour)), j, "s3.amazonaws.com", "ListBuckets", euc1, acctProd, obj("Host", "s3.eu-central-1.amazonaws.com"), nil, nil, true)
	}
}
