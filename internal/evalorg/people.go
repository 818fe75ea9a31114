package evalorg

import "time"

// People sign in through IAM Identity Center: each permission set is a
// role AWSReservedSSO_<set>_<hash> in each account, and the session name
// is the person's e-mail. A console session is marked
// sessionCredentialFromConsole; a CLI session carries the command in its
// user agent.

// personSession returns p's session of r created at login, for the
// console or for a CLI command.
func (w *world) personSession(r *role, p *person, login time.Time, ip string, console bool, src, action string) *caller {
	ua := p.browser
	if !console {
		ua = p.laptop + cliCommand(src, action)
	}
	return w.session(r, p.email, login, ip, ua, nil, tls13AES128, console)
}

// signIn emits what a sign-in leaves in the member account: the SAML
// federation into the permission set's role and, for the console, the
// console sign-in.
func (w *world) signIn(r *role, p *person, login time.Time, ip string, console bool) {
	prov := "arn:aws:iam::" + r.acct + ":saml-provider/AWSSSO_" + w.h.chars(16, hexLow, "saml", r.acct) + "_DO_NOT_DELETE"
	k := "saml|" + r.arn + "|" + p.email + "|" + ip
	c, ok := w.sessions[k]
	if !ok {
		c = newCaller("SAMLUser:"+p.email, identity{typ: "SAMLUser", principalID: w.h.chars(28, base32, "saml-id", p.email) + ":" + p.email,
			userName: p.email, provider: prov}, ip, "aws-internal/3 aws-sdk-java/1.12.780 Linux/5.10.230-202.885.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/17.0.13+11-LTS java/17.0.13 vendor/Amazon.com_Inc. cfg/retry-mode/standard", nil, tls13AES256, false, "")
		w.sessions[k] = c
	}
	w.other(login.Add(-2*time.Second), c, "sts.amazonaws.com", "AssumeRoleWithSAML", euc1, r.acct,
		obj("sAMLAssertionID", "_"+w.h.uuid("assertion", p.email, login.String()), "roleSessionName", p.email,
			"principalArn", prov, "roleArn", r.arn, "durationSeconds", 43200),
		obj("credentials", obj("accessKeyId", w.accessKey(r, p.email, login), "sessionToken", "IQoJb3JpZ2luX2VjE"+w.h.chars(60, alnum, "saml-token", p.email, login.String()),
			"expiration", awsDate(login.Add(12*time.Hour))),
			"assumedRoleUser", obj("assumedRoleId", r.id+":"+p.email, "arn", "arn:aws:sts::"+r.acct+":assumed-role/"+r.name+"/"+p.email),
			"subjectType", "persistent", "audience", "https://signin.aws.amazon.com/saml"),
		arr(obj("accountId", r.acct, "type", "AWS::IAM::Role", "ARN", r.arn)), false)
	if console {
		s := w.personSession(r, p, login, ip, true, "", "")
		w.emit(ev{t: login, who: s, acct: r.acct, region: euc1, src: "signin.amazonaws.com", name: "ConsoleLogin",
			resp: obj("ConsoleLogin", "Success"), extra: obj("MobileVersion", "No", "MFAUsed", "No"), typ: typeConsoleSignIn})
	}
}

func (w *world) runPeople() {
	c := w.cat
	o := w.org
	stgApp := []*secret{}
	for _, s := range c.stgSecrets {
		if s.name[len("staging/"):len("staging/")+5] != "platf" && s.name[len("staging/"):len("staging/")+5] != "deplo" {
			stgApp = append(stgApp, s)
		}
	}
	for i, p := range o.devs {
		for k := range 3 {
			p.team = append(p.team, stgApp[(i*2+k*5)%len(stgApp)])
		}
	}
	for d := -1; d <= w.cfg.Days; d++ {
		work := w.workday(d)
		for i, p := range o.devs {
			// Some work a little at weekends; nobody works on a holiday.
			if (work && w.chance(0.85)) || (!work && !w.holiday(d) && w.chance(0.03)) {
				w.devDay(d, p, i)
			}
		}
		if work {
			for _, p := range o.sres {
				if w.chance(0.35) {
					w.sreDay(d, p)
				}
			}
			for _, p := range o.admins {
				if w.chance(0.5) {
					w.adminDay(d, p)
				}
			}
			for _, p := range o.data {
				if w.chance(0.5) {
					w.dataDay(d, p)
				}
			}
		}
	}
	w.onCallNights()
	w.securityReviews()
	w.adminMilestones()
}

// office returns a sign-in time and address for a workday.
func (w *world) office(d int) (time.Time, time.Time, string) {
	in := w.at(d, 8, 20, 0).Add(w.jitter(100 * time.Minute))
	out := w.at(d, 16, 40, 0).Add(w.jitter(140 * time.Minute))
	return in, out, pick(w, officeIPs)
}

func (w *world) devDay(d int, p *person, i int) {
	c := w.cat
	dev := c.ssoStg["Developer"]
	in, out, ip := w.office(d)
	if !w.workday(d) {
		ip = p.home
	}
	console := w.chance(0.6)
	w.signIn(dev, p, in, ip, console)
	cliLogin := in.Add(w.jitter(time.Hour))
	if !console {
		w.signIn(dev, p, cliLogin, ip, false)
	}
	n := 1 + w.poisson(1.6)
	for range n {
		t := in.Add(10*time.Minute + w.jitter(out.Sub(in)-10*time.Minute))
		s := p.team[w.rng.IntN(len(p.team))]
		switch r := w.rng.Float64(); {
		case r < 0.45 && console:
			cs := w.personSession(dev, p, in, ip, true, "", "")
			w.listSecrets(t, cs, acctStaging, euc1, obj("maxResults", 100, "sortOrder", "asc", "filters", []raw{obj("key", "name", "values", []string{s.name[:len("staging/")+3]})}))
			w.smRead(t.Add(w.secs(4, 20)), cs, s, "DescribeSecret", "arn")
			if w.chance(0.7) {
				w.getSecret(t.Add(w.secs(25, 90)), cs, s, "arn", "")
			}
		case r < 0.86:
			cs := w.personSession(dev, p, cliLogin, ip, false, srcSM, "GetSecretValue")
			w.getSecret(t, cs, s, "name", "")
		case r < 0.92:
			// A typo: the name with one letter dropped.
			cs := w.personSession(dev, p, cliLogin, ip, false, srcSM, "GetSecretValue")
			cut := len("staging/") + 2 + w.rng.IntN(4)
			bad := s.name[:cut] + s.name[cut+1:]
			w.emit(ev{t: t, who: cs, acct: acctStaging, region: euc1, src: srcSM, name: "GetSecretValue",
				req: obj("secretId", bad), readOnly: true, errCode: "ResourceNotFoundException", errMsg: msgNoSecret})
		case r < 0.95:
			// Exploring: a platform secret developers may not read.
			cs := w.personSession(dev, p, cliLogin, ip, false, srcSM, "GetSecretValue")
			sec := c.stgByName[pick(w, []string{"platform/terraform-cloud-token", "platform/github-app-private-key"})]
			w.smDenied(t, cs, sec, "GetSecretValue", sec.name)
		case r < 0.98:
			cs := w.personSession(dev, p, in, ip, true, "", "")
			w.emit(ev{t: t, who: cs, acct: acctStaging, region: euc1, src: srcKMS, name: "ListAliases", req: obj("limit", 100), readOnly: true})
			w.keyRead(t.Add(w.secs(5, 30)), cs, pick(w, c.stgKeys), "DescribeKey")
		default:
			w.testSecret(dev, p, cliLogin, ip, t, t.Add(w.secs(1800, 9000)))
		}
	}
}

// testSecret creates a throwaway staging secret and deletes it with the
// default recovery window.
func (w *world) testSecret(r *role, p *person, login time.Time, ip string, t, del time.Time) {
	c := w.cat
	name := "staging/test/" + p.email[:len(p.email)-len("@"+domain)] + "-" + w.h.chars(4, hexLow[:10], "tmp", p.email, t.String())
	s := &secret{acct: acctStaging, region: euc1, name: name, key: c.kStgSecrets,
		arn: "arn:aws:secretsmanager:" + euc1 + ":" + acctStaging + ":secret:" + name + "-" + w.h.chars(6, alnum, "secret", name)}
	cs := w.personSession(r, p, login, ip, false, srcSM, "CreateSecret")
	ver := w.h.uuid("tmp-version", s.arn)
	w.smGenerateDataKey(t, cs, s, ver)
	w.emit(ev{t: t, who: cs, acct: acctStaging, region: euc1, src: srcSM, name: "CreateSecret",
		req:  obj("name", name, "clientRequestToken", ver, "description", "scratch for local testing", "kmsKeyId", "alias/"+c.kStgSecrets.alias),
		resp: obj("arn", s.arn, "name", name, "versionId", ver)})
	w.getSecret(t.Add(w.secs(30, 600)), w.personSession(r, p, login, ip, false, srcSM, "GetSecretValue"), s, "name", "")
	dc := w.personSession(r, p, login, ip, false, srcSM, "DeleteSecret")
	w.emit(ev{t: del, who: dc, acct: acctStaging, region: euc1, src: srcSM, name: "DeleteSecret",
		req:  obj("secretId", name, "recoveryWindowInDays", 7),
		resp: obj("arn", s.arn, "name", name, "deletionDate", awsDate(del.AddDate(0, 0, 7)))})
}

func (w *world) sreDay(d int, p *person) {
	c := w.cat
	r := c.ssoProd["SREProd"]
	in, out, ip := w.office(d)
	w.signIn(r, p, in, ip, false)
	t := in.Add(w.jitter(out.Sub(in)))
	usual := []*secret{c.sPaymentsRO, c.sLedgerRO, c.prodByName["platform/pagerduty-integration-key"]}
	for k := range 1 + w.rng.IntN(2) {
		s := usual[w.rng.IntN(len(usual))]
		w.getSecret(t.Add(time.Duration(k)*w.secs(20, 300)), w.personSession(r, p, in, ip, false, srcSM, "GetSecretValue"), s, "name", "")
	}
	if w.chance(0.4) {
		w.signIn(r, p, t.Add(-time.Minute), ip, true)
		cs := w.personSession(r, p, t.Add(-time.Minute), ip, true, "", "")
		w.listSecrets(t.Add(time.Minute), cs, acctProd, euc1, nil)
		w.smRead(t.Add(w.secs(70, 200)), cs, pick(w, c.prodSecrets[:20]), "DescribeSecret", "arn")
		w.keyRead(t.Add(w.secs(200, 400)), cs, pick(w, []*key{c.kPayments, c.kLedger, c.kPII, c.kCardVault}), "DescribeKey")
	}
}

func (w *world) adminDay(d int, p *person) {
	c := w.cat
	in, out, ip := w.office(d)
	accts := []struct {
		r       *role
		secrets []*secret
		keys    []*key
	}{
		{c.ssoProd["PlatformAdmin"], c.prodSecrets, c.prodKeys},
		{c.ssoStg["PlatformAdmin"], c.stgSecrets, c.stgKeys},
		{c.ssoShared["PlatformAdmin"], c.shSecrets, c.shKeys},
	}
	a := accts[w.rng.IntN(len(accts))]
	w.signIn(a.r, p, in, ip, true)
	cs := w.personSession(a.r, p, in, ip, true, "", "")
	for range 1 + w.rng.IntN(4) {
		t := in.Add(w.jitter(out.Sub(in)))
		s := pick(w, a.secrets)
		k := pick(w, a.keys)
		switch w.rng.IntN(6) {
		case 0:
			w.smRead(t, cs, s, "DescribeSecret", "arn")
		case 1:
			w.smRead(t, cs, s, "DescribeSecret", "arn")
			w.emit(ev{t: t.Add(w.secs(20, 90)), who: cs, acct: s.acct, region: s.region, src: srcSM, name: "TagResource",
				req: obj("secretId", s.arn, "tags", []raw{obj("key", "owner", "value", pick(w, []string{"payments", "platform", "ledger", "risk"}))})})
		case 2:
			w.emit(ev{t: t, who: cs, acct: k.acct, region: k.region, src: srcKMS, name: "ListKeys", req: obj("limit", 1000), readOnly: true})
			w.emit(ev{t: t.Add(time.Second), who: cs, acct: k.acct, region: k.region, src: srcKMS, name: "ListAliases", req: obj("limit", 100), readOnly: true})
		case 3:
			w.keyRead(t, cs, k, "DescribeKey")
			w.keyRead(t.Add(w.secs(2, 9)), cs, k, "GetKeyRotationStatus")
		case 4:
			w.smRead(t, cs, s, "GetResourcePolicy", "arn")
		default:
			w.emit(ev{t: t, who: cs, acct: s.acct, region: s.region, src: srcSM, name: "UpdateSecret",
				req:  obj("secretId", s.arn, "description", "owner: "+pick(w, []string{"payments", "platform", "ledger"})+"; rotation: see runbook"),
				resp: obj("arn", s.arn, "name", s.name)})
		}
	}
}

func (w *world) dataDay(d int, p *person) {
	c := w.cat
	r := c.ssoProd["DataEngineer"]
	in, out, ip := w.office(d)
	w.signIn(r, p, in, ip, false)
	t := in.Add(w.jitter(out.Sub(in)))
	w.getSecret(t, w.personSession(r, p, in, ip, false, srcSM, "GetSecretValue"), c.sWarehouse, "name", "")
	s3 := w.personSession(r, p, in, ip, false, "s3.amazonaws.com", "GetObject").by("s3.amazonaws.com")
	for k := range 1 + w.rng.IntN(5) {
		w.s3Decrypt(t.Add(time.Duration(k)*w.secs(5, 60)), s3, c.kReports, "exports")
	}
}

// onCall returns who is on call on local day d: a week each, from Sunday.
func (w *world) onCall(d int) *person {
	first := 0
	for w.weekday(first) != time.Sunday {
		first--
	}
	week := (d - first) / 7
	if d < first {
		week = -1
	}
	return w.org.onCall[(week%len(w.org.onCall)+len(w.org.onCall))%len(w.org.onCall)]
}

// onCallNights: two nights a week the on-call SRE is paged and checks the
// databases with the two read-only credentials. In the incident week the
// scenario's night is the only one (it is labelled).
func (w *world) onCallNights() {
	for d := 0; d < w.eval; d++ {
		if w.weekday(d) != time.Sunday && d != 0 {
			continue
		}
		days := []int{}
		for k := d; k < min(d+7, w.eval); k++ {
			if w.weekday(k) == time.Sunday && k != d {
				break
			}
			days = append(days, k)
		}
		w.rng.Shuffle(len(days), func(a, b int) { days[a], days[b] = days[b], days[a] })
		for _, k := range days[:min(2, len(days))] {
			w.onCallNight(k, w.at(k, 1, 30, 0).Add(w.jitter(3*time.Hour)))
		}
	}
}

func (w *world) onCallNight(d int, t time.Time) {
	c := w.cat
	p := w.onCall(d)
	r := c.ssoProd["SREProd"]
	w.signIn(r, p, t, p.home, false)
	cs := w.personSession(r, p, t, p.home, false, srcSM, "GetSecretValue")
	w.getSecret(t.Add(w.secs(20, 60)), cs, c.sPaymentsRO, "name", "")
	w.getSecret(t.Add(w.secs(120, 600)), cs, c.sLedgerRO, "name", "")
	ec2 := w.personSession(r, p, t, p.home, false, "ec2.amazonaws.com", "DescribeInstances")
	w.other(t.Add(w.secs(30, 90)), ec2, "ec2.amazonaws.com", "DescribeInstances", euc1, acctProd,
		obj("instancesSet", raw("{}"), "filterSet", obj("items", []raw{obj("name", "tag:Name", "valueSet", obj("items", []raw{obj("value", "*payments*")}))})), nil, nil, true)
}

// securityReviews: on the first workday of each week the security engineer
// reviews every key policy and secret policy.
func (w *world) securityReviews() {
	for d := 0; d < w.cfg.Days; d++ {
		if !w.workday(d) {
			continue
		}
		first := true
		for k := d - 1; k >= 0 && w.weekday(k) != time.Saturday; k-- {
			if w.workday(k) {
				first = false
			}
		}
		if first {
			w.review(w.at(d, 14, 0, 0).Add(w.jitter(40 * time.Minute)))
		}
	}
}

func (w *world) review(t time.Time) {
	c := w.cat
	p := w.org.security
	ip := pick(w, officeIPs)
	for _, a := range []struct {
		r       *role
		keys    []*key
		secrets []*secret
		acct    string
	}{
		{c.ssoProd["SecurityAudit"], c.prodKeys, c.prodSecrets, acctProd},
		{c.ssoStg["SecurityAudit"], c.stgKeys, c.stgSecrets, acctStaging},
		{c.ssoShared["SecurityAudit"], c.shKeys, c.shSecrets, acctShared},
		{c.ssoSec["SecurityAudit"], c.secKeys, c.secSecrets, acctSecurity},
	} {
		w.signIn(a.r, p, t, ip, false)
		kc := w.personSession(a.r, p, t, ip, false, srcKMS, "GetKeyPolicy")
		w.emit(ev{t: t.Add(5 * time.Second), who: kc, acct: a.acct, region: euc1, src: srcKMS, name: "ListKeys", req: obj("limit", 1000), readOnly: true})
		at := t.Add(10 * time.Second)
		for _, k := range a.keys {
			if !k.created.IsZero() && k.created.After(at) {
				continue
			}
			w.keyRead(at, kc, k, "DescribeKey")
			w.keyRead(at.Add(time.Second), kc, k, "GetKeyPolicy")
			w.keyRead(at.Add(2*time.Second), kc, k, "GetKeyRotationStatus")
			if w.chance(0.3) {
				w.keyRead(at.Add(3*time.Second), kc, k, "ListGrants")
			}
			at = at.Add(w.secs(4, 12))
		}
		sc := w.personSession(a.r, p, t, ip, false, srcSM, "GetResourcePolicy")
		w.listSecrets(at, sc, a.acct, euc1, nil)
		for _, s := range a.secrets {
			if s.region == euc1 && w.chance(0.5) {
				at = at.Add(w.secs(1, 4))
				w.smRead(at, sc, s, "GetResourcePolicy", "arn")
			}
		}
		t = at.Add(w.secs(60, 180))
	}
	ct := w.personSession(c.ssoSec["SecurityAudit"], p, t, ip, false, "cloudtrail.amazonaws.com", "LookupEvents")
	w.other(t, ct, "cloudtrail.amazonaws.com", "LookupEvents", euc1, acctSecurity,
		obj("lookupAttributes", []raw{obj("attributeKey", "EventSource", "attributeValue", srcKMS)}, "maxResults", 50), nil, nil, true)
}

// adminMilestones are one-off admin changes in the warmup: a resource
// policy shared with the organization, key rotation enabled, and the BYOK
// key created (it waits for its key material).
func (w *world) adminMilestones() {
	c := w.cat
	o := w.org
	d := w.firstWorkday(3)
	p := o.admins[1]
	t := w.at(d, 11, 20, 0)
	r := c.ssoProd["PlatformAdmin"]
	w.signIn(r, p, t, officeIPs[0], true)
	cs := w.personSession(r, p, t, officeIPs[0], true, "", "")
	s := c.prodByName["deploy/datadog-api-key"]
	w.emit(ev{t: t.Add(3 * time.Minute), who: cs, acct: acctProd, region: euc1, src: srcSM, name: "PutResourcePolicy",
		req:  obj("secretId", s.arn, "resourcePolicy", orgPolicy(s.arn), "blockPublicPolicy", true),
		resp: obj("arn", s.arn, "name", s.name)})

	d = w.firstWorkday(4)
	t = w.at(d, 15, 5, 0)
	p = o.admins[2]
	rs := c.ssoStg["PlatformAdmin"]
	w.signIn(rs, p, t, officeIPs[1], true)
	cs = w.personSession(rs, p, t, officeIPs[1], true, "", "")
	w.kms(t.Add(time.Minute), cs, c.kStgData, "EnableKeyRotation", obj("keyId", c.kStgData.id, "rotationPeriodInDays", 365), false)
	w.keyRead(t.Add(2*time.Minute), cs, c.kStgData, "GetKeyRotationStatus")

	// The BYOK key (created at c.kBYOK.created, see newCatalog).
	k := c.kBYOK
	t = k.created
	p = o.admins[0]
	w.signIn(r, p, t.Add(-10*time.Minute), officeIPs[2], true)
	cs = w.personSession(r, p, t.Add(-10*time.Minute), officeIPs[2], true, "", "")
	w.emit(ev{t: t, who: cs, acct: acctProd, region: euc1, src: srcKMS, name: "CreateKey",
		req: obj("keyUsage", "ENCRYPT_DECRYPT", "keySpec", "SYMMETRIC_DEFAULT", "origin", "EXTERNAL",
			"description", "BYOK: card network key material from the HSM (PCI-4417)", "bypassPolicyLockoutSafetyCheck", false,
			"policy", defaultKeyPolicy(acctProd, "")),
		resp: obj("keyMetadata", keyMetadata(k, t, "PendingImport")), res: k.resources()})
	w.emit(ev{t: t.Add(40 * time.Second), who: cs, acct: acctProd, region: euc1, src: srcKMS, name: "CreateAlias",
		req: obj("aliasName", "alias/"+k.alias, "targetKeyId", k.id),
		res: raw(`[{"accountId":"` + acctProd + `","type":"AWS::KMS::Key","ARN":"` + k.arn + `"},{"accountId":"` + acctProd + `","type":"AWS::KMS::Alias","ARN":"` + k.aliasARN() + `"}]`)})
	w.keyRead(t.Add(70*time.Second), cs, k, "DescribeKey")
}

// firstWorkday is the first workday on or after local day d.
func (w *world) firstWorkday(d int) int {
	for !w.workday(d) {
		d++
	}
	return d
}
