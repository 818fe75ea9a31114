package evalorg

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// The incident week: what must be caught, and the weekly look-alikes that
// must not page anyone. Days are placed by the calendar (workdays, nights,
// the holiday) so the story holds for any start date.

type plan struct {
	E       int   // first local day of the incident week
	W       []int // its workdays
	holiday int   // a holiday in the week, or -1
	friday  int
	bigAt   time.Time
	disable int // I9's day; I11's nights are the next two
	rot     map[*secret][]time.Time

	deleteAt, recreateAt                       time.Time
	disableAt, deleteKeyAt, cancelAt, importAt time.Time
	newSvc                                     *service
	newSecrets                                 []*secret
}

const (
	attackerIP  = "185.156.73.54"
	attackerIP2 = "45.141.215.18"
	attackerIP3 = "5.188.62.140"
	attackerIP4 = "185.220.101.47"
	adminVPNIP  = "194.36.189.77"
)

func attackerCLI(src, action string) string {
	return "aws-cli/2.17.52 md/awscrt#0.21.5 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#" + cliCommand(src, action)
}

// planScenarios places the week and sets the state changes the baseline
// must respect (rotations, a disabled key, a deleted secret).
func (w *world) planScenarios() (*plan, error) {
	c := w.cat
	p := &plan{E: w.eval, holiday: -1, friday: -1}
	for d := p.E; d < p.E+7; d++ {
		switch {
		case w.workday(d):
			p.W = append(p.W, d)
		case w.holiday(d) && p.holiday < 0:
			p.holiday = d
		}
		if w.weekday(d) == time.Friday && p.friday < 0 {
			p.friday = d
		}
	}
	if len(p.W) < 3 {
		return nil, fmt.Errorf("the incident week from %s has %d workdays, need 3", w.dayName(p.E), len(p.W))
	}
	p.bigAt = w.at(p.W[0], 12, 0, 0).Add(w.secs(0, 240))

	p.rot = w.rotationPlan()
	for s, ts := range p.rot {
		for _, t := range ts {
			s.rotations = append(s.rotations, rotationEnd(t))
		}
	}

	// I9 disables the export key and schedules its deletion; the export
	// job fails the next two nights; on-call cancels the deletion the
	// morning after the second night.
	p.disable = p.W[1]
	if p.disable+2 > p.E+6 {
		p.disable = p.W[0]
	}
	p.disableAt = w.at(p.disable, 16, 10, 0).Add(w.secs(0, 60))
	p.deleteKeyAt = w.at(p.disable, 17, 12, 0).Add(w.secs(0, 60))
	p.cancelAt = w.at(p.disable+2, 9, 20, 0).Add(w.secs(0, 300))
	k := c.kLedgerExport
	k.states = append(k.states,
		keyState{from: p.disableAt, to: p.deleteKeyAt, state: "Disabled"},
		keyState{from: p.deleteKeyAt, to: p.cancelAt, state: "PendingDeletion"},
		keyState{from: p.cancelAt, to: p.cancelAt.Add(70 * time.Second), state: "Disabled"})

	// I16 imports the BYOK key's material; until then it waits for it.
	p.importAt = w.at(p.W[len(p.W)-1], 10, 47, 0).Add(w.secs(0, 60))
	c.kBYOK.states = append(c.kBYOK.states, keyState{from: c.kBYOK.created, to: p.importAt, state: "PendingImport"})

	// I10 force-deletes a secret; it is recreated two hours later.
	p.deleteAt = w.at(p.W[2], 15, 5, 0).Add(w.secs(0, 60))
	p.recreateAt = p.deleteAt.Add(2*time.Hour + time.Minute + w.secs(0, 60))
	tw := c.sTwilio
	tw.goneFrom, tw.goneTo = p.deleteAt, p.recreateAt
	tw.replacement = &secret{acct: tw.acct, region: tw.region, name: tw.name, key: tw.key, created: p.recreateAt,
		arn: "arn:aws:secretsmanager:" + tw.region + ":" + tw.acct + ":secret:" + tw.name + "-" + w.h.chars(6, alnum, "secret-again", tw.arn)}

	// B2: payments-api triples for an afternoon.
	from, till := w.at(p.W[1], 13, 0, 0), w.at(p.W[1], 18, 0, 0)
	for _, s := range c.services {
		if s.name == "payments-api" && s.acct == acctProd {
			s.scale = func(t time.Time) float64 {
				if !t.Before(from) && t.Before(till) {
					return 3
				}
				return 1
			}
		}
	}
	return p, nil
}

// addNewService is B10's service: new in staging, with two new secrets.
func (w *world) addNewService(p *plan) {
	c := w.cat
	start := w.at(p.W[0], 11, 0, 0)
	for _, n := range []string{"fraud-signals/db-credentials", "fraud-signals/feature-api-key"} {
		s := w.secret(acctStaging, euc1, "staging/"+n, c.kStgSecrets)
		s.created = start.Add(-10 * time.Minute)
		p.newSecrets = append(p.newSecrets, s)
	}
	s := &service{name: "fraud-signals", acct: acctStaging, region: euc1, lang: "go", min: 1, max: 1,
		subnet: "10.30.12.", secrets: p.newSecrets, role: w.role(acctStaging, "/ecs/", "fraud-signals-task"),
		started: start.Add(w.secs(30, 300))}
	c.services = append(c.services, s)
	p.newSvc = s
}

// runSandbox: developers run Terraform in staging through the sandbox role
// a few times a week (reads, and throwaway secrets).
func (w *world) runSandbox() {
	c := w.cat
	for d := -1; d < w.eval; d++ {
		if !w.workday(d) || !w.chance(0.4) {
			continue
		}
		dev := pick(w, w.org.devs)
		t := w.at(d, 10, 0, 0).Add(w.jitter(7 * time.Hour))
		ip := pick(w, officeIPs)
		name := "terraform-" + dev.email[:len(dev.email)-len("@"+domain)]
		kc := w.session(c.rSandbox, name, t, ip, uaTerraform+"kms#1.37.8", nil, tls13AES128, false)
		sc := w.session(c.rSandbox, name, t, ip, uaTerraform+"secretsmanager#1.34.8", nil, tls13AES128, false)
		w.emit(ev{t: t.Add(3 * time.Second), who: kc, acct: acctStaging, region: euc1, src: srcKMS, name: "ListAliases", req: obj("limit", 100), readOnly: true})
		w.keyRead(t.Add(4*time.Second), kc, c.kStgData, "DescribeKey")
		w.keyRead(t.Add(5*time.Second), kc, c.kStgData, "GetKeyPolicy")
		for _, s := range c.stgSecrets[:3] {
			w.smRead(t.Add(6*time.Second), sc, s, "DescribeSecret", "arn")
		}
	}
}

func (w *world) runScenarios(p *plan) {
	w.incidents(p)
	w.lookAlikes(p)
}

func (w *world) incidents(p *plan) {
	c := w.cat
	o := w.org
	E := p.E
	prodSM := func(name string) *secret { return c.prodByName[name] }

	// I4: a stolen access key of a legacy IAM user, at night, from a new
	// address and client.
	{
		t := w.at(E, 3, 10, 0).Add(w.secs(0, 120))
		u := func(src, action string) *caller {
			return w.iamUser(acctProd, "svc-reporting-export", attackerIP3, attackerCLI(src, action), nil)
		}
		arn := "arn:aws:iam::" + acctProd + ":user/svc-reporting-export"
		others := []*secret{c.sPaymentsDB, prodSM("ledger/db-credentials"), prodSM("platform/github-app-private-key")}
		w.begin(true, "I04", "stolen-access-key", arn, "medium",
			"The access key of svc-reporting-export (normally used at 06:15 from the datacenter by a Python job) used at night from a new address with the AWS CLI: its own secret read, three others denied.",
			append([]string{c.sReportingExport.arn}, arns(others)...)...)
		w.other(t, u("sts.amazonaws.com", "GetCallerIdentity"), "sts.amazonaws.com", "GetCallerIdentity", euc1, acctProd, nil, nil, nil, true)
		lc := u(srcSM, "ListSecrets")
		w.emit(ev{t: t.Add(40 * time.Second), who: lc, acct: acctProd, region: euc1, src: srcSM, name: "ListSecrets", req: obj("maxResults", 100), readOnly: true,
			errCode: "AccessDenied", errMsg: notAuthorized(lc, "secretsmanager:ListSecrets", "*", noIdentityPolicy+"secretsmanager:ListSecrets action")})
		w.getSecret(t.Add(2*time.Minute), u(srcSM, "GetSecretValue"), c.sReportingExport, "name", "")
		for i, s := range others {
			w.smDenied(t.Add(3*time.Minute+time.Duration(i)*w.secs(40, 120)), u(srcSM, "GetSecretValue"), s, "GetSecretValue", s.name)
		}
		w.done()
	}

	// I17: a principal of the outside account denied at the prod VPC
	// endpoints (network activity events).
	{
		t := w.at(E, 14, 20, 0).Add(w.secs(0, 120))
		who := newCaller("arn:aws:iam::"+acctOutside+":root",
			identity{typ: "AWSAccount", principalID: c.rOutside.id + ":i-0" + w.h.chars(16, hexLow, "outside-instance"), acct: acctOutside},
			"10.20.6."+strconv.Itoa(60+w.rng.IntN(100)), attackerCLI(srcSM, "GetSecretValue"), nil, tlsNone, false, "")
		w.begin(true, "I17", "vpce-denied-outside-principal", who.principal, "medium",
			"Credentials of an account outside the organization used inside the prod VPC: GetSecretValue, ListSecrets and Decrypt denied by the VPC endpoint policy (NetworkActivity, VpceAccessDenied). The record names only the caller's account.")
		for i, call := range [][2]string{{srcSM, "ListSecrets"}, {srcSM, "GetSecretValue"}, {srcSM, "GetSecretValue"}, {srcKMS, "Decrypt"}, {srcSM, "GetSecretValue"}, {srcKMS, "Decrypt"}} {
			w.emit(ev{t: t.Add(time.Duration(i) * w.secs(15, 50)), who: who, acct: acctProd, region: euc1, src: call[0], name: call[1],
				typ: typeVpceEvent, errCode: "VpceAccessDenied", errMsg: "The request was denied due to a VPC endpoint policy"})
		}
		w.done()
	}

	// I2: the legacy Jenkins agent's instance credentials, stolen, read a
	// large part of prod's secrets. The role never touched a secret.
	jenkins := func(t time.Time, src, action string) *caller {
		inst := "i-0" + w.h.chars(16, hexLow, "jenkins-instance")
		return w.session(c.rJenkins, inst, t.Truncate(6*time.Hour), attackerIP, attackerCLI(src, action), nil, tls13AES128, false,
			func(id *identity) { id.ec2 = true })
	}
	{
		t := w.at(E+1, 1, 30, 0).Add(w.secs(0, 300))
		var pool []*secret
		for _, s := range c.prodSecrets {
			if s.region == euc1 && s.key == c.kProdSecrets {
				pool = append(pool, s)
			}
		}
		w.rng.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
		read := pool[:25]
		w.begin(true, "I02", "mass-read-new-principal", c.rJenkins.arn, "medium",
			"The legacy jenkins-agent instance role, which had never called Secrets Manager or KMS, lists the secrets and reads 25 distinct prod secrets in about 25 minutes from outside the VPC (stolen instance credentials).",
			arns(read)...)
		w.other(t, jenkins(t, "sts.amazonaws.com", "GetCallerIdentity"), "sts.amazonaws.com", "GetCallerIdentity", euc1, acctProd, nil, nil, nil, true)
		w.listSecrets(t.Add(20*time.Second), jenkins(t, srcSM, "ListSecrets"), acctProd, euc1, obj("maxResults", 100))
		w.listSecrets(t.Add(22*time.Second), jenkins(t, srcSM, "ListSecrets"), acctProd, euc1, obj("maxResults", 100, "nextToken", w.h.chars(88, alnum, "page", t.String())))
		at := t.Add(time.Minute)
		for _, s := range read {
			w.getSecret(at, jenkins(at, srcSM, "GetSecretValue"), s, "arn", "")
			at = at.Add(w.secs(35, 85))
		}
		w.done()
	}

	// I15: a merchant-portal task's credentials used from outside across
	// seven regions within minutes.
	{
		t := w.at(E+1, 4, 5, 0).Add(w.secs(0, 120))
		svc := w.serviceNamed("merchant-portal", acctProd)
		rec := w.activeTask(svc, t)
		s := prodSM("merchant/db-credentials")
		w.begin(true, "I15", "multi-region-secret-reads", svc.role.arn, "medium",
			"Credentials of a merchant-portal ECS task used from a Tor exit: GetSecretValue and ListSecrets for its database secret in eu-central-1, then the same name in six other regions within six minutes.",
			s.arn)
		at := t
		for i, region := range []string{euc1, use1, "eu-west-1", "eu-west-2", "eu-north-1", "us-west-2", "ap-southeast-1"} {
			sc := w.taskSessionAt(svc, rec, t, attackerIP4, attackerCLI(srcSM, "GetSecretValue"), nil)
			lc := w.taskSessionAt(svc, rec, t, attackerIP4, attackerCLI(srcSM, "ListSecrets"), nil)
			w.listSecrets(at, lc, acctProd, region, obj("maxResults", 100))
			if i == 0 {
				w.getSecret(at.Add(w.secs(5, 15)), sc, s, "name", "")
			} else {
				w.emit(ev{t: at.Add(w.secs(5, 15)), who: sc, acct: acctProd, region: region, src: srcSM, name: "GetSecretValue",
					req: obj("secretId", s.name), readOnly: true, errCode: "ResourceNotFoundException", errMsg: msgNoSecret})
			}
			at = at.Add(w.secs(30, 60))
		}
		w.done()
	}

	// I6, I8, I5: the same attacker opens the processor key's secret to
	// their account, grants that account Decrypt on its key, and reads it
	// from there.
	{
		t := w.at(E+2, 0, 40, 0).Add(w.secs(0, 120))
		s := c.sProcessorKey
		pc := jenkins(t, srcSM, "PutResourcePolicy")
		policy := "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + acctOutside + ":root\"},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"
		w.begin(true, "I06", "secret-policy-outside-account", c.rJenkins.arn, "medium",
			"PutResourcePolicy on the prod processor API key granting arn:aws:iam::"+acctOutside+":root (not in the organization) GetSecretValue, without conditions.", s.arn)
		w.emit(ev{t: t, who: pc, acct: acctProd, region: euc1, src: srcSM, name: "PutResourcePolicy",
			req:  obj("secretId", s.arn, "resourcePolicy", policy, "blockPublicPolicy", true),
			resp: obj("arn", s.arn, "name", s.name)})
		w.done()

		t = t.Add(12*time.Minute + w.secs(0, 60))
		k := c.kProdSecrets
		w.begin(true, "I08", "grant-outside-account", c.rJenkins.arn, "medium",
			"CreateGrant on the prod secrets key giving Decrypt and DescribeKey to a role of an account outside the organization.", k.arn)
		w.kms(t, jenkins(t, srcKMS, "CreateGrant"), k, "CreateGrant",
			obj("keyId", k.arn, "granteePrincipal", c.rOutside.arn, "operations", []string{"Decrypt", "DescribeKey"}), false)
		w.evs[len(w.evs)-1].resp = obj("grantId", w.h.chars(64, hexLow, "grant", t.String()), "keyId", k.arn)
		w.done()

		t = t.Add(13*time.Minute + w.secs(0, 60))
		w.begin(true, "I05", "outside-account-read", c.rOutside.arn, "medium",
			"A role of an account outside the organization reads the prod processor API key four times in a quarter of an hour, after I06 and I08 opened it.", s.arn)
		oc := w.session(c.rOutside, "aws-go-sdk-"+strconv.FormatInt(t.UnixNano(), 10), t.Add(-time.Minute), attackerIP2, attackerCLI(srcSM, "GetSecretValue"), nil, tls13AES128, false)
		for i := range 4 {
			w.getSecret(t.Add(time.Duration(i)*w.secs(180, 300)), oc, s, "arn", "")
		}
		w.done()
	}

	// I13: a developer's script retrying a prod secret they may not read.
	{
		d := p.W[0]
		t := w.at(d, 10, 30, 0).Add(w.secs(0, 300))
		r := c.ssoProd["ReadOnly"]
		dev := o.devs[4]
		ip := officeIPs[2]
		w.begin(true, "I13", "access-denied-burst", r.arn, "low",
			"Session "+dev.email+" of the prod ReadOnly permission set: 24 GetSecretValue AccessDenied on the prod payments database secret in 20 minutes.", c.sPaymentsDB.arn)
		w.signIn(r, dev, t.Add(-time.Minute), ip, false)
		cs := w.personSession(r, dev, t.Add(-time.Minute), ip, false, srcSM, "GetSecretValue")
		for i := range 24 {
			w.smDenied(t.Add(time.Duration(i)*50*time.Second+w.secs(0, 5)), cs, c.sPaymentsDB, "GetSecretValue", c.sPaymentsDB.name)
		}
		w.done()
	}

	// I9: an SRE disables the export key, then schedules its deletion.
	{
		k := c.kLedgerExport
		r := c.ssoProd["SREProd"]
		sre := o.sres[1]
		ip := officeIPs[1]
		login := p.disableAt.Add(-8 * time.Minute)
		w.begin(true, "I09", "key-deletion-scheduled", r.arn, "medium",
			"Session "+sre.email+" (SREProd) disables the prod ledger-export key and an hour later schedules its deletion with a 7-day window.", k.arn)
		w.signIn(r, sre, login, ip, true)
		cs := w.personSession(r, sre, login, ip, true, "", "")
		w.keyRead(p.disableAt.Add(-2*time.Minute), cs, k, "DescribeKey")
		w.kms(p.disableAt, cs, k, "DisableKey", obj("keyId", k.arn), false)
		w.evs[len(w.evs)-1].resp = obj("keyId", k.arn)
		w.kms(p.deleteKeyAt, cs, k, "ScheduleKeyDeletion", obj("keyId", k.arn, "pendingWindowInDays", 7), false)
		w.evs[len(w.evs)-1].resp = obj("keyId", k.arn, "deletionDate", awsDate(p.deleteKeyAt.AddDate(0, 0, 7)), "keyState", "PendingDeletion", "pendingWindowInDays", 7)
		w.done()
	}

	// I14: BatchGetSecretValue with a match-all filter from inside a
	// risk-scoring pod.
	{
		d := p.W[1]
		t := w.at(d, 13, 0, 0).Add(w.secs(0, 600))
		svc := w.serviceNamed("risk-scoring", acctProd)
		rec := w.activeTask(svc, t)
		name := w.irsaSession("python", t)
		ua := attackerCLI(srcSM, "BatchGetSecretValue")
		net := w.endpointsOf(acctProd, euc1)
		cs := w.session(svc.role, name, t, rec.ip, ua, net, tls13AES128, false, webIdentity(w.oidc(acctProd)))
		var got []*secret
		for _, s := range c.prodSecrets {
			if s.region == euc1 && s.at(t) != nil {
				got = append(got, s)
			}
		}
		w.begin(true, "I14", "batch-get-match-all", svc.role.arn, "medium",
			"The risk-scoring IRSA role, which only ever read its two secrets with GetSecretValue, calls BatchGetSecretValue with a negated tag-key filter that matches every secret, three pages, from a shell in the pod.",
			append(arns(got), c.kProdSecrets.arn, c.kCardVault.arn, c.kLedgerExport.arn, c.kPartner.arn)...)
		w.other(t.Add(-2*time.Second), w.webIdentityCaller(svc, rec.ip, ua), "sts.amazonaws.com", "AssumeRoleWithWebIdentity", euc1, acctProd,
			obj("roleArn", svc.role.arn, "roleSessionName", name), nil, arr(obj("accountId", acctProd, "type", "AWS::IAM::Role", "ARN", svc.role.arn)), true)
		filter := []raw{obj("key", "tag-key", "values", []string{"!do-not-match"})}
		for page := 0; len(got) > 0; page++ {
			at := t.Add(time.Duration(page) * w.secs(8, 20))
			req := obj("filters", filter, "maxResults", 20)
			if page > 0 {
				req = obj("filters", filter, "maxResults", 20, "nextToken", w.h.chars(96, alnum, "batch-page", strconv.Itoa(page)))
			}
			w.emit(ev{t: at, who: cs, acct: acctProd, region: euc1, src: srcSM, name: "BatchGetSecretValue", req: req, readOnly: true})
			n := min(20, len(got))
			for _, s := range got[:n] {
				code, msg := s.key.stateAt(at)
				w.smDecrypt(at.Add(w.secs(0, 2)), cs, s, code, msg)
			}
			got = got[n:]
		}
		w.done()
	}

	// I18: a key created in staging with a policy open to everyone.
	{
		d := p.W[1]
		t := w.at(d, 11, 20, 0).Add(w.secs(0, 300))
		dev := o.devs[9]
		name := "terraform-" + dev.email[:len(dev.email)-len("@"+domain)]
		k := w.key(acctStaging, euc1, "sandbox-shared")
		k.created = t
		kc := w.session(c.rSandbox, name, t.Add(-30*time.Second), officeIPs[0], uaTerraform+"kms#1.37.8", nil, tls13AES128, false)
		open := "{\n      \"Sid\" : \"AllowUseFromAnywhere\",\n      \"Effect\" : \"Allow\",\n      \"Principal\" : \"*\",\n      \"Action\" : [ \"kms:Decrypt\", \"kms:Encrypt\", \"kms:GenerateDataKey*\", \"kms:DescribeKey\" ],\n      \"Resource\" : \"*\"\n    }"
		w.begin(true, "I18", "key-created-public-policy", c.rSandbox.arn, "medium",
			"CreateKey in staging (Terraform sandbox role, "+dev.email+") with a key policy that allows \"Principal\": \"*\" to use the key, without any condition.", k.arn)
		w.emit(ev{t: t, who: kc, acct: acctStaging, region: euc1, src: srcKMS, name: "CreateKey",
			req: obj("policy", defaultKeyPolicy(acctStaging, open), "description", "shared sandbox key", "keyUsage", "ENCRYPT_DECRYPT",
				"keySpec", "SYMMETRIC_DEFAULT", "origin", "AWS_KMS", "bypassPolicyLockoutSafetyCheck", false,
				"tags", []raw{obj("tagKey", "managed-by", "tagValue", "terraform")}),
			resp: obj("keyMetadata", keyMetadata(k, t, "Enabled")), res: k.resources()})
		w.emit(ev{t: t.Add(2 * time.Second), who: kc, acct: acctStaging, region: euc1, src: srcKMS, name: "CreateAlias",
			req: obj("aliasName", "alias/"+k.alias, "targetKeyId", k.id),
			res: raw(`[{"accountId":"` + acctStaging + `","type":"AWS::KMS::Key","ARN":"` + k.arn + `"},{"accountId":"` + acctStaging + `","type":"AWS::KMS::Alias","ARN":"` + k.aliasARN() + `"}]`)})
		w.keyRead(t.Add(3*time.Second), kc, k, "DescribeKey")
		w.keyRead(t.Add(4*time.Second), kc, k, "GetKeyPolicy")
		w.keyRead(t.Add(5*time.Second), kc, k, "GetKeyRotationStatus")
		w.keyRead(t.Add(6*time.Second), kc, k, "ListResourceTags")
		w.done()
	}

	// I11: the export job fails on its disabled key and secret, two nights.
	{
		j := w.jobNamed("ledger-eod-export")
		w.begin(true, "I11", "broken-after-key-disabled", j.role.arn, "low",
			"The nightly ledger-eod-export function fails every call for two nights after I09: GenerateDataKey answers KMSInvalidStateException, GetSecretValue DecryptionFailure (and Secrets Manager's own Decrypt KMSInvalidStateException). Broken permissions a team wants found, not paged.",
			c.kLedgerExport.arn, c.sLedgerExport.arn)
		for _, d := range []int{p.disable + 1, p.disable + 2} {
			var env jobEnv
			t := w.at(d, 2, 30, 0).Add(w.secs(1, 40))
			for _, back := range []time.Duration{0, time.Minute, 3 * time.Minute, 7 * time.Minute} {
				at := t.Add(back)
				w.dataKey(at, w.jobCaller(j, &env, at, srcKMS), c.kLedgerExport, obj("job", j.name, "run", t.In(w.loc).Format("2006-01-02T15:04")))
				w.getSecret(at.Add(300*time.Millisecond), w.jobCaller(j, &env, at, srcSM), c.sLedgerExport, j.style, "")
			}
		}
		w.done()
	}

	// I10: a Terraform apply in CI force-deletes a prod secret.
	{
		t := p.deleteAt
		s := c.sTwilio
		ip := w.runnerIP()
		name := "gha-" + w.runID(t)
		dc := w.session(c.rDeployer, name, t.Add(-4*time.Minute), ip, uaTerraform+"secretsmanager#1.34.8", nil, tls13AES128, false)
		w.begin(true, "I10", "secret-force-deleted", c.rDeployer.arn, "medium",
			"DeleteSecret with ForceDeleteWithoutRecovery on the prod Twilio secret, by the CI deployer role from a Terraform apply: no recovery window.", s.arn)
		w.emit(ev{t: t.Add(-40 * time.Second), who: dc, acct: acctProd, region: euc1, src: srcSM, name: "DescribeSecret", req: obj("secretId", s.arn), readOnly: true})
		w.emit(ev{t: t, who: dc, acct: acctProd, region: euc1, src: srcSM, name: "DeleteSecret",
			req:  obj("secretId", s.arn, "forceDeleteWithoutRecovery", true),
			resp: obj("arn", s.arn, "name", s.name, "deletionDate", awsDate(t))})
		w.done()

		// I12: the notifications service fails every minute until the
		// secret is back.
		svc := w.serviceNamed("notifications", acctProd)
		w.begin(true, "I12", "broken-after-secret-deleted", svc.role.arn, "low",
			"The notifications service's tasks fail GetSecretValue with ResourceNotFoundException every minute for two hours after I10 deleted their secret. A team wants it found, not paged.", s.arn)
		for _, rec := range w.activeTasks(svc, t) {
			for at := t.Add(w.secs(15, 60)); at.Before(p.recreateAt); at = at.Add(time.Minute + w.secs(0, 2)) {
				w.getSecret(at, w.taskSessionAt(svc, rec, at, rec.ip, sdkUA(svc.lang, srcSM, "AWS_ECS_FARGATE"), w.endpointsOf(acctProd, euc1)), s, "name", "")
			}
		}
		w.done()
	}

	// I3: an SSO user reads twenty secrets never read under their
	// permission set, on a holiday evening (or a Friday night).
	{
		d, hh := p.holiday, 21
		if d < 0 {
			d, hh = p.friday, 22
		}
		t := w.at(d, hh, 30, 0).Add(w.secs(0, 300))
		r := c.ssoProd["SREProd"]
		sre := o.sres[0]
		usual := map[*secret]bool{c.sPaymentsRO: true, c.sLedgerRO: true, c.prodByName["platform/pagerduty-integration-key"]: true}
		var pool []*secret
		for _, s := range c.prodSecrets {
			if s.region == euc1 && !usual[s] && s.at(t) != nil && s != c.sLedgerExport {
				pool = append(pool, s)
			}
		}
		w.rng.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
		read := pool[:20]
		what := "a holiday evening"
		if p.holiday < 0 {
			what = "a Friday night"
		}
		w.begin(true, "I03", "person-reads-unusual-secrets", r.arn, "medium",
			"Session "+sre.email+" of SREProd reads 20 prod secrets that nobody under SREProd ever read, on "+what+" ("+w.dayName(d)+"), from home.", arns(read)...)
		w.signIn(r, sre, t.Add(-time.Minute), sre.home, false)
		w.listSecrets(t, w.personSession(r, sre, t.Add(-time.Minute), sre.home, false, srcSM, "ListSecrets"), acctProd, euc1, nil)
		at := t.Add(30 * time.Second)
		for _, s := range read {
			w.getSecret(at, w.personSession(r, sre, t.Add(-time.Minute), sre.home, false, srcSM, "GetSecretValue"), s, "name", "")
			at = at.Add(w.secs(20, 60))
		}
		w.done()
	}

	// I7: a key policy that lets any AWS principal decrypt, late at night.
	{
		t := w.at(E+5, 23, 50, 0).Add(w.secs(0, 120))
		r := c.ssoProd["PlatformAdmin"]
		adm := o.admins[2]
		k := c.kCardVault
		open := "{\n    \"Sid\" : \"AllowPartnerTokenization\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n    \"Action\" : [ \"kms:Decrypt\", \"kms:DescribeKey\" ],\n    \"Resource\" : \"*\"\n  }"
		w.begin(true, "I07", "key-policy-public", r.arn, "medium",
			"PutKeyPolicy on the prod card-vault key adding \"Principal\": {\"AWS\": \"*\"} for Decrypt, without a condition (session "+adm.email+", from a VPN address, near midnight).", k.arn)
		w.signIn(r, adm, t.Add(-4*time.Minute), adminVPNIP, false)
		kc := w.personSession(r, adm, t.Add(-4*time.Minute), adminVPNIP, false, srcKMS, "PutKeyPolicy")
		w.keyRead(t.Add(-time.Minute), w.personSession(r, adm, t.Add(-4*time.Minute), adminVPNIP, false, srcKMS, "GetKeyPolicy"), k, "GetKeyPolicy")
		w.kms(t, kc, k, "PutKeyPolicy", obj("keyId", k.id, "policyName", "default", "policy", defaultKeyPolicy(acctProd, open), "bypassPolicyLockoutSafetyCheck", false), false)
		w.done()
	}

	// I16: key material imported by someone who never administered keys.
	{
		k := c.kBYOK
		r := c.ssoProd["DataEngineer"]
		p0 := o.data[1]
		t := p.importAt.Add(-7 * time.Minute)
		ip := officeIPs[0]
		w.begin(true, "I16", "import-key-material", r.arn, "medium",
			"Session "+p0.email+" of DataEngineer, a permission set that never administered a key, gets import parameters for the EXTERNAL-origin BYOK key and imports key material into it.", k.arn)
		w.signIn(r, p0, t.Add(-2*time.Minute), ip, true)
		cs := w.personSession(r, p0, t.Add(-2*time.Minute), ip, true, "", "")
		w.keyRead(t, cs, k, "DescribeKey")
		w.kms(t.Add(40*time.Second), cs, k, "GetParametersForImport", obj("keyId", k.id, "wrappingAlgorithm", "RSAES_OAEP_SHA_256", "wrappingKeySpec", "RSA_4096"), true)
		w.kms(p.importAt, cs, k, "ImportKeyMaterial", obj("keyId", k.id, "importType", "NEW_KEY_MATERIAL", "expirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"), false)
		w.done()
	}

	// I1: a role created minutes earlier decrypts ~1,700 times in 40
	// minutes with the customer data key.
	{
		t := w.at(E+6, 20, 5, 0).Add(w.secs(0, 120))
		r := w.role(acctProd, "/", "data-export-svc")
		adm := o.admins[1]
		sso := c.ssoProd["PlatformAdmin"]
		w.begin(true, "I01", "new-role-decrypt-burst", r.arn, "medium",
			"Role data-export-svc is created (CreateRole, session "+adm.email+" of PlatformAdmin from a VPN address) trusting an account outside the organization, assumed from there minutes later, and decrypts with the prod customer-pii key about 1,700 times in 40 minutes.",
			c.kPII.arn)
		w.signIn(sso, adm, t.Add(-3*time.Minute), adminVPNIP, false)
		ic := w.personSession(sso, adm, t.Add(-3*time.Minute), adminVPNIP, false, "iam.amazonaws.com", "CreateRole")
		trust := "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + acctOutside + ":root\"},\"Action\":\"sts:AssumeRole\"}]}"
		w.other(t, ic, "iam.amazonaws.com", "CreateRole", use1, acctProd,
			obj("roleName", r.name, "assumeRolePolicyDocument", trust, "description", "export pipeline"),
			obj("role", obj("path", "/", "roleName", r.name, "roleId", r.id, "arn", r.arn, "createDate", awsDate(t),
				"assumeRolePolicyDocument", url.PathEscape(trust))), nil, false)
		w.other(t.Add(45*time.Second), w.personSession(sso, adm, t.Add(-3*time.Minute), adminVPNIP, false, "iam.amazonaws.com", "PutRolePolicy"),
			"iam.amazonaws.com", "PutRolePolicy", use1, acctProd,
			obj("roleName", r.name, "policyName", "export", "policyDocument", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"kms:Decrypt\",\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":\"*\"}]}"),
			nil, nil, false)
		at := t.Add(6*time.Minute + w.secs(0, 60))
		sess := "export-" + strconv.FormatInt(at.Unix(), 10)
		oc := w.session(c.rOutside, "aws-go-sdk-"+strconv.FormatInt(at.UnixNano(), 10), at.Add(-time.Minute), attackerIP2, attackerCLI("sts.amazonaws.com", "AssumeRole"), nil, tls13AES128, false)
		w.other(at, oc, "sts.amazonaws.com", "AssumeRole", euc1, acctProd,
			obj("roleArn", r.arn, "roleSessionName", sess),
			obj("credentials", obj("accessKeyId", w.accessKey(r, sess, at), "sessionToken", "IQoJb3JpZ2luX2VjE"+w.h.chars(60, alnum, "export"), "expiration", awsDate(at.Add(time.Hour))),
				"assumedRoleUser", obj("assumedRoleId", r.id+":"+sess, "arn", "arn:aws:sts::"+acctProd+":assumed-role/"+r.name+"/"+sess)),
			arr(obj("accountId", acctProd, "type", "AWS::IAM::Role", "ARN", r.arn)), true)
		dc := w.session(r, sess, at, attackerIP2, "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36", nil, tls13AES128, false)
		from := at.Add(w.secs(40, 120))
		n := 1650 + w.rng.IntN(200)
		for i := range n {
			ts := from.Add(time.Duration(float64(40*time.Minute) * float64(i) / float64(n)))
			w.decrypt(ts.Add(w.jitter(2*time.Second)), dc, c.kPII,
				obj("tenant", "merchant-"+strconv.Itoa(1000+w.rng.IntN(4000)), "purpose", "customer-pii"))
		}
		w.done()
	}
}

func (w *world) lookAlikes(p *plan) {
	c := w.cat
	o := w.org
	E := p.E
	evalFrom := w.at(E, 0, 0, 0)

	// B1: the week's big release, every ECS service at once at noon.
	w.benignBy("B01", "release-burst", c.rDeployer.arn,
		"The weekly big release at noon: the CI deployer role reads the deploy secrets it reads at every release, for all nine services and three redeploys (about four times an ordinary release).",
		p.bigAt.Add(-10*time.Minute), p.bigAt.Add(90*time.Minute), arns(c.deploySecrets)...)
	var execSecrets []string
	for _, s := range c.services {
		if s.acct == acctProd && !s.eks {
			execSecrets = append(execSecrets, arns(s.secrets)...)
		}
	}
	w.benignBy("B02", "release-burst", c.rExec.arn,
		"The same release: the ECS task execution role reads each service's secrets for every new task, as at every release, about four times as often.",
		p.bigAt, p.bigAt.Add(90*time.Minute), execSecrets...)
	pay := w.serviceNamed("payments-api", acctProd)
	w.benignBy("B03", "scale-out", pay.role.arn,
		"payments-api scales to three times its tasks for an afternoon: the same secrets and keys at the same hours, more calls.",
		w.at(p.W[1], 13, 0, 0), w.at(p.W[1], 18, 30, 0), arns(pay.secrets)...)
	w.benignBy("B04", "scale-out", c.rExec.arn,
		"The scale-out's new payments-api tasks: the execution role reads their secrets at start, as for every task.",
		w.at(p.W[1], 13, 0, 0), w.at(p.W[1], 18, 0, 0), arns(pay.secrets)...)
	w.benignBy("B05", "partner-daily", c.rPartner.arn,
		"The payment processor's cross-account role reads its one shared secret every morning, as throughout the baseline.",
		evalFrom, w.end, c.sPartner.arn)
	j := w.jobNamed("ledger-reconcile")
	w.benignBy("B06", "nightly-batch", j.role.arn,
		"ledger-reconcile runs at 02:00 local every night, holidays included, reading its secrets and decrypting with the ledger key.",
		evalFrom, w.end, append(arns(j.secrets), c.kLedger.arn)...)
	for _, t := range p.rot[c.sPaymentsDB] {
		if !t.Before(evalFrom) {
			w.benignBy("B07", "scheduled-rotation", c.rRotation.arn,
				"Scheduled rotation of the prod payments database secret by Secrets Manager and its rotation function (including its expected AWSPENDING ResourceNotFoundException).",
				t.Add(-time.Minute), rotationEnd(t).Add(time.Minute), c.sPaymentsDB.arn)
			break
		}
	}
	w.benignBy("B08", "service-on-behalf", c.rBackup.arn,
		"AWS Backup decrypting and generating data keys at night on the organization's behalf (invokedBy backup.amazonaws.com), as every night.",
		evalFrom, w.end, c.kRDS.arn, c.kBackup.arn, c.kBackupDR.arn)
	w.benignBy("B09", "service-on-behalf", "rds.amazonaws.com",
		"RDS snapshots and data-key reads by the RDS service itself.", evalFrom, w.end, c.kRDS.arn)

	// B10: the on-call SRE at 03:00, as on earlier on-call nights.
	{
		d := E + 3
		sre := w.onCall(d)
		w.begin(false, "B10", "on-call-night", c.ssoProd["SREProd"].arn, "",
			"On-call SRE "+sre.email+" reads the two read-only database secrets at 03:00 during their on-call week, as on earlier on-call nights.",
			c.sPaymentsRO.arn, c.sLedgerRO.arn)
		w.onCallNight(d, w.at(d, 3, 0, 0).Add(w.secs(0, 300)))
		w.done()
	}

	// B11: a resource policy restricted to the organization.
	{
		t := w.at(p.W[1], 11, 0, 0).Add(w.secs(0, 600))
		r := c.ssoProd["PlatformAdmin"]
		adm := o.admins[0]
		s := c.sFXShared
		w.begin(false, "B11", "org-restricted-policy", r.arn, "",
			"PutResourcePolicy on the FX rates key allowing GetSecretValue to \"*\" only with aws:PrincipalOrgID = the organization: not public.", s.arn)
		w.signIn(r, adm, t.Add(-5*time.Minute), officeIPs[0], true)
		cs := w.personSession(r, adm, t.Add(-5*time.Minute), officeIPs[0], true, "", "")
		w.smRead(t.Add(-time.Minute), cs, s, "GetResourcePolicy", "arn")
		w.emit(ev{t: t, who: cs, acct: acctProd, region: euc1, src: srcSM, name: "PutResourcePolicy",
			req: obj("secretId", s.arn, "resourcePolicy", orgPolicy(s.arn), "blockPublicPolicy", true), resp: obj("arn", s.arn, "name", s.name)})
		w.emit(ev{t: t.Add(20 * time.Second), who: cs, acct: acctProd, region: euc1, src: srcSM, name: "ValidateResourcePolicy",
			req: obj("secretId", s.arn, "resourcePolicy", orgPolicy(s.arn)), readOnly: true})
		w.done()
	}

	// B12: a key policy for another account of the organization, with
	// kms:CallerAccount and kms:ViaService conditions.
	{
		t := w.at(p.W[2], 14, 30, 0).Add(w.secs(0, 600))
		r := c.ssoProd["PlatformAdmin"]
		adm := o.admins[1]
		k := c.kProdSecrets
		extra := "{\n    \"Sid\" : \"AllowSharedServicesViaSecretsManager\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n    \"Action\" : [ \"kms:Decrypt\", \"kms:DescribeKey\" ],\n    \"Resource\" : \"*\",\n    \"Condition\" : {\n      \"StringEquals\" : {\n        \"kms:CallerAccount\" : \"" + acctShared + "\",\n        \"kms:ViaService\" : \"secretsmanager.eu-central-1.amazonaws.com\"\n      }\n    }\n  }"
		w.begin(false, "B12", "org-account-key-policy", r.arn, "",
			"PutKeyPolicy on the prod secrets key letting the shared-services account decrypt, only through Secrets Manager (kms:CallerAccount, kms:ViaService).", k.arn)
		w.signIn(r, adm, t.Add(-6*time.Minute), officeIPs[1], true)
		cs := w.personSession(r, adm, t.Add(-6*time.Minute), officeIPs[1], true, "", "")
		w.keyRead(t.Add(-2*time.Minute), cs, k, "GetKeyPolicy")
		w.kms(t, cs, k, "PutKeyPolicy", obj("keyId", k.id, "policyName", "default", "policy", defaultKeyPolicy(acctProd, extra), "bypassPolicyLockoutSafetyCheck", false), false)
		w.done()
	}

	// B13: the new staging service reads its two new secrets.
	{
		sr := w.role(acctStaging, "/ci/", "deployer")
		t := p.newSecrets[0].created
		w.begin(false, "B13", "new-service-staging", sr.arn, "",
			"Terraform in CI creates the two secrets of the new fraud-signals service in staging.", arns(p.newSecrets)...)
		ip := w.runnerIP()
		name := "gha-" + w.runID(t)
		dc := w.session(sr, name, t.Add(-2*time.Minute), ip, uaTerraform+"secretsmanager#1.34.8", nil, tls13AES128, false)
		for i, s := range p.newSecrets {
			at := t.Add(time.Duration(i) * 3 * time.Second)
			ver := w.h.uuid("new-version", s.arn)
			w.smGenerateDataKey(at, dc, s, ver)
			w.emit(ev{t: at, who: dc, acct: acctStaging, region: euc1, src: srcSM, name: "CreateSecret",
				req:  obj("name", s.name, "kmsKeyId", c.kStgSecrets.arn, "clientRequestToken", ver, "tags", []raw{obj("key", "service", "value", "fraud-signals")}),
				resp: obj("arn", s.arn, "name", s.name, "versionId", ver)})
		}
		w.done()
		w.benignBy("B14", "new-service-staging", p.newSvc.role.arn,
			"The new fraud-signals service in staging reads its two new secrets from its first task on: first seen, but expected (low at most).",
			p.newSvc.started.Add(-time.Minute), w.end, arns(p.newSecrets)...)
	}

	// B15: a developer exploring staging.
	{
		t := w.at(p.W[1], 10, 15, 0).Add(w.secs(0, 600))
		r := c.ssoStg["Developer"]
		dev := o.devs[2]
		ip := officeIPs[2]
		secrets := []*secret{c.stgByName["platform/terraform-cloud-token"], c.stgByName["platform/github-app-private-key"], c.stgByName["platform/terraform-cloud-token"]}
		w.begin(false, "B15", "exploring-denied", r.arn, "",
			"Developer "+dev.email+" exploring staging: three AccessDenied on platform secrets and one on a key, within a few minutes.", arns(secrets[:2])...)
		w.signIn(r, dev, t.Add(-time.Minute), ip, false)
		cs := w.personSession(r, dev, t.Add(-time.Minute), ip, false, srcSM, "GetSecretValue")
		for i, s := range secrets {
			w.smDenied(t.Add(time.Duration(i)*w.secs(30, 90)), cs, s, "GetSecretValue", s.name)
		}
		kc := w.personSession(r, dev, t.Add(-time.Minute), ip, false, srcKMS, "DescribeKey")
		k := c.kStgRDS
		w.emit(ev{t: t.Add(5 * time.Minute), who: kc, acct: acctStaging, region: euc1, src: srcKMS, name: "DescribeKey", req: obj("keyId", "alias/"+k.alias),
			res: k.resources(), readOnly: true, errCode: "AccessDeniedException",
			errMsg: notAuthorized(kc, "kms:DescribeKey", k.arn, noIdentityPolicy+"kms:DescribeKey action")})
		w.done()
	}

	// B16: a throwaway staging secret, deleted with a recovery window.
	{
		t := w.at(p.W[2], 14, 0, 0).Add(w.secs(0, 600))
		r := c.ssoStg["Developer"]
		dev := o.devs[3]
		ip := officeIPs[0]
		w.begin(false, "B16", "test-secret-lifecycle", r.arn, "",
			"Developer "+dev.email+" creates a scratch secret in staging and deletes it an hour later with the 7-day recovery window.")
		w.signIn(r, dev, t.Add(-time.Minute), ip, false)
		w.testSecret(r, dev, t.Add(-time.Minute), ip, t, t.Add(70*time.Minute))
		w.done()
		w.labels[len(w.labels)-1].Resources = w.createdSecrets(len(w.labels))
	}

	// B17: break-glass, once, in a documented window.
	{
		d := p.W[len(p.W)-1]
		t := w.at(d, 9, 0, 0).Add(w.secs(0, 120))
		adm := o.admins[0]
		sso := c.ssoProd["PlatformAdmin"]
		bg := c.rBreakGlass
		name := "oren.malka-CHG-2291"
		read := []*secret{c.sPaymentsDB, c.prodByName["ledger/db-credentials"], c.prodByName["platform/terraform-cloud-token"]}
		w.begin(false, "B17", "break-glass", bg.arn, "",
			"Break-glass role emergency-admin used once by "+adm.email+" in the documented change window CHG-2291 (database failover drill): three secret reads and key lookups in half an hour. A team may accept a low finding here.",
			append(arns(read), c.kRDS.arn)...)
		w.signIn(sso, adm, t.Add(-3*time.Minute), officeIPs[1], false)
		sc := w.personSession(sso, adm, t.Add(-3*time.Minute), officeIPs[1], false, "sts.amazonaws.com", "AssumeRole")
		w.other(t, sc, "sts.amazonaws.com", "AssumeRole", euc1, acctProd,
			obj("roleArn", bg.arn, "roleSessionName", name, "durationSeconds", 3600),
			obj("credentials", obj("accessKeyId", w.accessKey(bg, name, t), "sessionToken", "IQoJb3JpZ2luX2VjE"+w.h.chars(60, alnum, "bg"), "expiration", awsDate(t.Add(time.Hour))),
				"assumedRoleUser", obj("assumedRoleId", bg.id+":"+name, "arn", "arn:aws:sts::"+acctProd+":assumed-role/"+bg.name+"/"+name)),
			arr(obj("accountId", acctProd, "type", "AWS::IAM::Role", "ARN", bg.arn)), true)
		at := t.Add(2 * time.Minute)
		for _, s := range read {
			w.getSecret(at, w.session(bg, name, t, officeIPs[1], adm.laptop+cliCommand(srcSM, "GetSecretValue"), nil, tls13AES128, false), s, "name", "")
			at = at.Add(w.secs(120, 400))
		}
		kc := w.session(bg, name, t, officeIPs[1], adm.laptop+cliCommand(srcKMS, "DescribeKey"), nil, tls13AES128, false)
		w.keyRead(at, kc, c.kRDS, "DescribeKey")
		w.keyRead(at.Add(w.secs(30, 90)), kc, c.kRDS, "ListGrants")
		w.done()
	}

	// B18: on call cancels the key deletion the morning after.
	{
		r := c.ssoProd["SREProd"]
		sre := w.onCall(p.disable + 2)
		k := c.kLedgerExport
		w.begin(false, "B18", "remediation", r.arn, "",
			"On-call "+sre.email+" cancels the scheduled deletion of the ledger-export key and enables it again after I11's second failed night.", k.arn)
		login := p.cancelAt.Add(-5 * time.Minute)
		w.signIn(r, sre, login, sre.home, true)
		cs := w.personSession(r, sre, login, sre.home, true, "", "")
		w.keyRead(p.cancelAt.Add(-time.Minute), cs, k, "DescribeKey")
		w.kms(p.cancelAt, cs, k, "CancelKeyDeletion", obj("keyId", k.arn), false)
		w.evs[len(w.evs)-1].resp = obj("keyId", k.arn)
		w.kms(p.cancelAt.Add(70*time.Second), cs, k, "EnableKey", obj("keyId", k.arn), false)
		w.done()
	}

	// B19: the secret deleted by I10 recreated by an admin.
	{
		s := c.sTwilio.replacement
		r := c.ssoProd["PlatformAdmin"]
		adm := o.admins[2]
		t := p.recreateAt.Add(-10 * time.Second)
		w.begin(false, "B19", "remediation", r.arn, "",
			"An admin recreates the deleted Twilio secret under its old name (a new ARN suffix), ending I12's outage.", s.arn)
		w.signIn(r, adm, t.Add(-4*time.Minute), officeIPs[2], true)
		cs := w.personSession(r, adm, t.Add(-4*time.Minute), officeIPs[2], true, "", "")
		ver := w.h.uuid("recreated", s.arn)
		w.smGenerateDataKey(t, cs, s, ver)
		w.emit(ev{t: t, who: cs, acct: acctProd, region: euc1, src: srcSM, name: "CreateSecret",
			req: obj("name", s.name, "kmsKeyId", "alias/"+s.key.alias, "clientRequestToken", ver), resp: obj("arn", s.arn, "name", s.name, "versionId", ver)})
		w.done()
	}

	w.benignBy("B20", "policy-review", c.ssoProd["SecurityAudit"].arn,
		"The security engineer's weekly review: every key policy, rotation status and secret policy read in an hour.",
		evalFrom, w.end)
	w.benignBy("B21", "service-on-behalf", c.rConfigProd.arn,
		"The AWS Config recorder describing every key and secret once a day.", evalFrom, w.end)
}

// createdSecrets lists the ARNs of the secrets created under label n.
func (w *world) createdSecrets(n int) []string {
	var out []string
	for i := range w.evs {
		e := &w.evs[i]
		if int(e.label) == n && e.name == "CreateSecret" {
			out = append(out, stringField(e.resp, "arn"))
		}
	}
	return out
}

func arns(ss []*secret) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.arn
	}
	return out
}

func (w *world) serviceNamed(name, acct string) *service {
	for _, s := range w.cat.services {
		if s.name == name && s.acct == acct {
			return s
		}
	}
	panic("evalorg: no service " + name)
}

func (w *world) jobNamed(name string) *job {
	for _, j := range w.cat.jobs {
		if j.name == name {
			return j
		}
	}
	panic("evalorg: no job " + name)
}
