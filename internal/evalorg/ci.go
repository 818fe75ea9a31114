package evalorg

import (
	"slices"
	"strconv"
	"time"
)

// CI/CD: GitHub Actions runs in the shared-services account through an
// OIDC role; builds read the CI secrets, and releases assume the deployer
// role of prod or staging, read the deploy secrets and roll the services,
// whose new tasks then read their own secrets (see workloads.go).

func (w *world) runnerIP() string {
	return pick(w, []string{"20.57.", "4.175.", "172.183.", "20.118."}) + strconv.Itoa(w.rng.IntN(256)) + "." + strconv.Itoa(1+w.rng.IntN(254))
}

// ciSession is one workflow run's session of the CI role.
func (w *world) ciSession(t time.Time, ip, src, action string) *caller {
	return w.session(w.cat.rCI, "GitHubActions", t, ip, ciCLI(src, action), nil, tls13AES128, false,
		webIdentity("arn:aws:iam::"+acctShared+":oidc-provider/token.actions.githubusercontent.com"))
}

func (w *world) ciLogin(t time.Time, ip string) {
	prov := "arn:aws:iam::" + acctShared + ":oidc-provider/token.actions.githubusercontent.com"
	sub := "repo:tavor-pay/platform:environment:production"
	k := "gha|" + ip
	c, ok := w.sessions[k]
	if !ok {
		c = newCaller(prov, identity{typ: "WebIdentityUser", principalID: prov + ":sts.amazonaws.com:" + sub,
			userName: sub, provider: prov}, ip, "aws-sdk-js/3.716.0 ua/2.1 os/linux#6.8.0-1021-azure lang/js md/nodejs#20.18.1 api/sts#3.716.0 configure-aws-credentials-for-github-actions", nil, tls13AES128, false, "")
		w.sessions[k] = c
	}
	w.other(t, c, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", euc1, acctShared,
		obj("roleArn", w.cat.rCI.arn, "roleSessionName", "GitHubActions", "durationSeconds", 3600),
		obj("credentials", obj("accessKeyId", w.accessKey(w.cat.rCI, "GitHubActions", t), "sessionToken", "IQoJb3JpZ2luX2VjE"+w.h.chars(60, alnum, "gha", ip, t.String()), "expiration", awsDate(t.Add(time.Hour))),
			"subjectFromWebIdentityToken", sub, "provider", prov, "audience", "sts.amazonaws.com"),
		arr(obj("accountId", acctShared, "type", "AWS::IAM::Role", "ARN", w.cat.rCI.arn)), true)
}

// build is one CI workflow run in shared-services.
func (w *world) build(t time.Time, ip string, signed bool) {
	c := w.cat
	w.ciLogin(t, ip)
	sh := c.shByName
	reads := []*secret{sh["ci/artifactory-token"], sh["ci/npm-token"]}
	if w.chance(0.5) {
		reads = append(reads, sh["ci/sonar-token"])
	}
	for k, s := range reads {
		at := t.Add(time.Duration(20+k*3) * time.Second)
		w.getSecret(at, w.ciSession(t, ip, srcSM, "GetSecretValue"), s, "name", "")
	}
	up := t.Add(w.secs(240, 600))
	art := w.ciSession(t, ip, "s3.amazonaws.com", "PutObject").by("s3.amazonaws.com")
	w.kms(up, art, c.kArtifacts, "GenerateDataKey", obj("keyId", c.kArtifacts.arn, "encryptionContext",
		obj("aws:s3:arn", "arn:aws:s3:::tavor-shared-artifacts/builds/"+w.h.chars(40, hexLow, "sha", t.String())+".tar.zst"), "keySpec", "AES_256"), true)
	if signed {
		w.kms(up.Add(5*time.Second), w.ciSession(t, ip, srcKMS, "Sign"), c.kSigning, "Sign",
			obj("keyId", "alias/"+c.kSigning.alias, "messageType", "DIGEST", "signingAlgorithm", "RSASSA_PKCS1_V1_5_SHA_256"), true)
	}
}

// runID is a GitHub Actions run id.
func (w *world) runID(t time.Time) string {
	return strconv.FormatInt(13_000_000_000+t.Unix()%1_000_000_000, 10)
}

// release deploys svcs from a workflow run starting at t. It records when
// each service rolls; the services' tasks do the rest.
func (w *world) release(t time.Time, svcs []*service) {
	if len(svcs) == 0 {
		return
	}
	c := w.cat
	ip := w.runnerIP()
	w.build(t, ip, true)
	acct := svcs[0].acct
	deployer := c.rDeployer
	if acct == acctStaging {
		deployer = c.rDeployerStg
	}
	at := t.Add(w.secs(420, 700))
	name := "gha-" + w.runID(t)
	ci := w.ciSession(t, ip, "sts.amazonaws.com", "AssumeRole")
	w.other(at, ci, "sts.amazonaws.com", "AssumeRole", euc1, acct,
		obj("roleArn", deployer.arn, "roleSessionName", name, "durationSeconds", 3600),
		obj("credentials", obj("accessKeyId", w.accessKey(deployer, name, at), "sessionToken", "IQoJb3JpZ2luX2VjE"+w.h.chars(60, alnum, "deploy", name), "expiration", awsDate(at.Add(time.Hour))),
			"assumedRoleUser", obj("assumedRoleId", deployer.id+":"+name, "arn", "arn:aws:sts::"+acct+":assumed-role/"+deployer.name+"/"+name)),
		arr(obj("accountId", acct, "type", "AWS::IAM::Role", "ARN", deployer.arn)), true)
	for i, s := range svcs {
		st := at.Add(time.Duration(i)*w.secs(40, 90) + 5*time.Second)
		for k, sec := range s.deploy {
			d := w.session(deployer, name, at, ip, ciCLI(srcSM, "GetSecretValue"), nil, tls13AES128, false)
			w.getSecret(st.Add(time.Duration(k)*2*time.Second), d, sec, "name", "")
		}
		ecs := w.session(deployer, name, at, ip, ciCLI("ecs.amazonaws.com", "UpdateService"), nil, tls13AES128, false)
		w.other(st.Add(8*time.Second), ecs, "ecs.amazonaws.com", "RegisterTaskDefinition", s.region, acct,
			obj("family", s.name, "networkMode", "awsvpc", "requiresCompatibilities", []string{"FARGATE"}), nil, nil, false)
		w.other(st.Add(10*time.Second), ecs, "ecs.amazonaws.com", "UpdateService", s.region, acct,
			obj("cluster", "main", "service", s.name, "taskDefinition", s.name, "forceNewDeployment", false), nil, nil, false)
		w.releases[s] = append(w.releases[s], st.Add(30*time.Second))
	}
}

// planCI emits builds and releases for the whole period. bigRelease is the
// day (local) of the all-services release, or -1.
func (w *world) planCI(bigRelease int, bigAt time.Time) {
	c := w.cat
	var prodECS, stg []*service
	for _, s := range c.services {
		switch {
		case s.acct == acctProd && !s.eks:
			prodECS = append(prodECS, s)
		case s.acct == acctStaging:
			stg = append(stg, s)
		}
	}
	rr, rs := 0, 0
	next := func(list []*service, i *int, n int) []*service {
		var out []*service
		for range n {
			out = append(out, list[*i%len(list)])
			*i++
		}
		return out
	}
	for d := -1; d <= w.cfg.Days; d++ {
		work := w.workday(d)
		// Builds (pull requests, main).
		n := w.poisson(3)
		if work {
			n = w.poisson(26)
		}
		for range n {
			t := w.at(d, 9, 0, 0).Add(w.jitter(10 * time.Hour))
			w.build(t, w.runnerIP(), false)
		}
		if !work {
			continue
		}
		if d == bigRelease {
			// Everything at once, then three services again after a fix.
			w.release(bigAt, prodECS)
			w.release(bigAt.Add(28*time.Minute), prodECS[:3])
		} else if w.chance(0.55) {
			w.release(w.at(d, 11, 0, 0).Add(w.jitter(270*time.Minute)), next(prodECS, &rr, 3))
		}
		for range 2 + w.rng.IntN(2) {
			w.release(w.at(d, 10, 0, 0).Add(w.jitter(7*time.Hour)), next(stg, &rs, 1))
		}
	}
	for _, ts := range w.releases {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	}
}
