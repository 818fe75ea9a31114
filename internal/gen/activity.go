package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// diurnal is the relative activity of workloads by local hour.
var diurnal = [24]float64{0.25, 0.2, 0.2, 0.2, 0.25, 0.3, 0.45, 0.65, 0.85, 1, 1, 1, 1, 1, 1, 1, 0.95, 0.85, 0.7, 0.6, 0.5, 0.45, 0.35, 0.3}

func (g *orgGen) local(t time.Time) time.Time { return t.In(g.cfg.Location) }

// workday reports whether t's local date is a weekday and not a holiday.
func (g *orgGen) workday(t time.Time) bool {
	l := g.local(t)
	if l.Weekday() == time.Saturday || l.Weekday() == time.Sunday {
		return false
	}
	return !slices.Contains(g.cfg.Holidays, l.Format(time.DateOnly))
}

// businessHours reports whether t is within Mon–Fri 09:00–18:00 local time
// on a working day.
func (g *orgGen) businessHours(t time.Time) bool {
	h := g.local(t).Hour()
	return h >= 9 && h < 18 && g.workday(t)
}

// shape is the workload activity factor at t.
func (g *orgGen) shape(t time.Time) float64 {
	f := diurnal[g.local(t).Hour()]
	if !g.workday(t) {
		f *= 0.6
	}
	return f
}

// localAt is the UTC instant of hh:mm on the local date of day.
func (g *orgGen) localAt(day time.Time, hh, mm int) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, hh, mm, 0, 0, g.cfg.Location).UTC()
}

// localDates lists the local dates whose scheduled events may fall on UTC
// day d.
func (g *orgGen) localDates(d int) []time.Time {
	s := g.local(g.dayStart(d))
	base := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC)
	return []time.Time{base.AddDate(0, 0, -1), base, base.AddDate(0, 0, 1)}
}

func (g *orgGen) onDay(t time.Time, d int) bool {
	return !t.Before(g.dayStart(d)) && t.Before(g.dayStart(d+1))
}

// within returns a time uniformly inside [t, t+d).
func within(r *rand.Rand, t time.Time, d time.Duration) time.Time {
	return t.Add(time.Duration(r.Int64N(int64(d))))
}

// day generates UTC day d: routine activity, scheduled jobs, planned
// incidents, then noise in proportion.
func (g *orgGen) day(d int) {
	g.dayKept = 0
	start := g.dayStart(d)
	afterWarmup := d >= g.cfg.Warmup
	scale := g.cfg.Scale
	for h := 0; h < 24; h++ {
		hour := start.Add(time.Duration(h) * time.Hour)
		r := newRand(g.cfg.Seed, "hour", hour)
		f := g.shape(hour) * scale
		for _, a := range g.pop.apps {
			g.appHour(r, a, hour, f)
		}
		g.serviceHour(r, hour, scale, afterWarmup)
		if g.businessHours(hour) {
			g.peopleHour(r, hour, scale)
		}
	}
	for _, ld := range g.localDates(d) {
		g.nightlyBatch(d, ld, afterWarmup)
		if g.workday(g.localAt(ld, 12, 0)) {
			g.deploys(d, ld, afterWarmup)
			g.opsDay(d, ld)
		}
	}
	for _, s := range g.pop.rotators {
		ro := s.rotation
		for k := 0; ; k++ {
			t := ro.start.AddDate(0, 0, k*ro.period)
			if !t.Before(g.dayStart(d + 1)) {
				break
			}
			if g.onDay(t, d) {
				g.rotate(newRand(g.cfg.Seed, "rotation", s.FullARN(), k), s, t, afterWarmup)
			}
		}
	}
	for _, p := range g.plan {
		if g.onDay(p.at, d) {
			p.run(newRand(g.cfg.Seed, "incident", p.name))
		}
	}
	g.noise(d)
}

func (g *orgGen) appHour(r *rand.Rand, a *app, hour time.Time, f float64) {
	for _, s := range a.secrets {
		for range poisson(r, a.rate*f) {
			t := within(r, hour, time.Hour)
			g.getSecretValue(r, a.p, a.sessionFor(g.cfg.Seed, t, r), t, s, "", "")
		}
		if r.Float64() < 0.03*f {
			t := within(r, hour, time.Hour)
			g.smCall(r, a.p, a.sessionFor(g.cfg.Seed, t, r), t, s, "DescribeSecret", true, nil, nil, "")
		}
	}
	for range poisson(r, a.rate*1.5*f) {
		t := within(r, hour, time.Hour)
		g.dataKey(r, a.p, a.sessionFor(g.cfg.Seed, t, r), t, a.key, a.name)
	}
	if a.extra != nil {
		for range poisson(r, 0.4*f) {
			t := within(r, hour, time.Hour)
			g.kmsCall(r, a.p, a.sessionFor(g.cfg.Seed, t, r), t, a.extra, "Decrypt", true,
				obj{{"encryptionContext", obj{{"export", "daily"}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, "")
		}
	}
	if a.lambda {
		// Cold starts: Lambda decrypts the function's environment variables.
		for range poisson(r, 0.3*f) {
			t := within(r, hour, time.Hour)
			fn := "arn:aws:lambda:" + g.home + ":" + a.p.account + ":function:" + a.p.name
			g.emit(r, call{t: t, p: a.p, sess: a.p.name, source: "kms", name: "Decrypt", readOnly: true,
				params: obj{{"encryptionContext", obj{{"aws:lambda:FunctionArn", fn}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}},
				res:    a.key.resources(), invokedBy: "lambda.amazonaws.com"})
		}
	}
}

// serviceHour is AWS services using keys: CloudTrail encrypting log files,
// S3 and EBS decrypting, and keytrail's own roles.
func (g *orgGen) serviceHour(r *rand.Rand, hour time.Time, scale float64, afterWarmup bool) {
	pop := g.pop
	trailARN := "arn:aws:cloudtrail:" + g.home + ":" + pop.security + ":trail/" + g.cfg.Trail
	for _, a := range pop.accounts {
		for range poisson(r, 1.5*scale) {
			t := within(r, hour, time.Hour)
			ctx := obj{{"aws:cloudtrail:arn", trailARN}, {"aws:s3:arn", "arn:aws:s3:::" + g.cfg.Bucket + "/" +
				g.awsLogs(a.id) + "CloudTrail/" + g.home + "/" + t.Format("2006/01/02") + "/" + a.id + "_CloudTrail_" + g.home + "_" + t.Format("20060102T1504Z") + "_" + randString(r, alnum, 16) + ".json.gz"}}
			id := g.emit(r, call{t: t, p: pop.services["cloudtrail.amazonaws.com"], recipient: pop.security, source: "kms",
				name: "GenerateDataKey", readOnly: true, params: obj{{"keyId", pop.trailKey.ARN()}, {"encryptionContext", ctx}, {"keySpec", "AES_256"}},
				res: pop.trailKey.resources()})
			g.serviceDecoy(pop.services["cloudtrail.amazonaws.com"], t, id, afterWarmup)
			if r.IntN(2) == 0 {
				// keytrail's ingest role decrypts the log file it reads.
				lt := t.Add(time.Duration(5+r.IntN(10)) * time.Minute)
				g.kmsCall(r, pop.ingest, "keytrail-ingest", lt, pop.trailKey, "Decrypt", true,
					obj{{"encryptionContext", ctx}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, "")
			}
		}
		if a.id == pop.security {
			continue
		}
		// S3 SSE-KMS with bucket keys, and EBS volumes.
		for range poisson(r, 0.8*scale*g.shape(hour)) {
			t := within(r, hour, time.Hour)
			k := g.appKey(r, a.id)
			id := g.emit(r, call{t: t, p: pop.services["s3.amazonaws.com"], recipient: a.id, source: "kms",
				name: []string{"Decrypt", "GenerateDataKey"}[r.IntN(2)], readOnly: true,
				params: obj{{"encryptionContext", obj{{"aws:s3:arn", "arn:aws:s3:::" + a.name + "-" + a.id + "-app-data"}}}, {"keyId", k.ARN()}},
				res:    k.resources()})
			g.serviceDecoy(pop.services["s3.amazonaws.com"], t, id, afterWarmup)
		}
		for range poisson(r, 0.25*scale) {
			t := within(r, hour, time.Hour)
			k := pop.secretsKey[a.id]
			id := g.emit(r, call{t: t, p: pop.services["ec2.amazonaws.com"], recipient: a.id, source: "kms",
				name: "Decrypt", readOnly: true,
				params: obj{{"encryptionContext", obj{{"aws:ebs:id", "vol-" + randHex(r, 17)}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}},
				res:    k.resources()})
			g.serviceDecoy(pop.services["ec2.amazonaws.com"], t, id, afterWarmup)
		}
	}
	// keytrail's alert role reads its Slack token; a TTL cache keeps it rare.
	if r.Float64() < 0.2*scale {
		t := within(r, hour, time.Hour)
		g.getSecretValue(r, pop.alerter, "keytrail-alert", t, pop.slack, "", "")
	}
}

func (g *orgGen) appKey(r *rand.Rand, acct string) *key {
	var ks []*key
	for _, a := range g.pop.apps {
		if a.p.account == acct {
			ks = append(ks, a.key)
		}
	}
	return ks[r.IntN(len(ks))]
}

// serviceDecoy records a service's own key use at night on weekends after
// the warm-up: AWS services work around the clock and must not look like
// people reading at 03:00.
func (g *orgGen) serviceDecoy(p *principal, t time.Time, id string, afterWarmup bool) {
	l := g.local(t)
	if !afterWarmup || l.Hour() >= 6 || (l.Weekday() != time.Saturday && l.Weekday() != time.Sunday) {
		return
	}
	k := p.name + " " + l.Format(time.DateOnly)
	lb := g.svcDecoys[k]
	if lb == nil {
		lb = &Label{Kind: KindDecoy, Principal: p.ARN(),
			Detail: DecoyServiceDecrypt + ": " + p.name + " uses KMS keys around the clock, here " + l.Weekday().String() + " night"}
		g.svcDecoys[k] = lb
	}
	lb.EventIDs = append(lb.EventIDs, id)
}

// peopleHour is people at work: reading a few secrets from the CLI or the
// console, describing, listing, decrypting.
func (g *orgGen) peopleHour(r *rand.Rand, hour time.Time, scale float64) {
	for _, ps := range g.pop.people {
		for range poisson(r, 0.5*scale) {
			t := within(r, hour, time.Hour)
			switch x := r.IntN(10); {
			case x < 5:
				g.getSecretValue(r, ps.p, ps.session, t, ps.secrets[r.IntN(len(ps.secrets))], "", "")
			case x < 7:
				g.smCall(r, ps.p, ps.session, t, ps.secrets[r.IntN(len(ps.secrets))], "DescribeSecret", true, nil, nil, "")
			case x < 8:
				g.emit(r, call{t: t, p: ps.p, sess: ps.session, source: "secretsmanager", name: "ListSecrets", readOnly: true,
					params: obj{{"maxResults", 100}}})
			case x < 9:
				k := ps.keys[r.IntN(len(ps.keys))]
				g.kmsCall(r, ps.p, ps.session, t, k, "DescribeKey", true, nil, nil, "")
			default:
				g.emit(r, call{t: t, p: ps.p, sess: ps.session, source: "kms", name: "ListAliases", readOnly: true,
					params: obj{{"limit", 100}}})
			}
		}
	}
	if r.Float64() < 0.4*scale {
		t := within(r, hour, time.Hour)
		g.getSecretValue(r, g.pop.ciUser, "", t, g.pop.ciSecret, "", "")
	}
	if r.Float64() < 0.05*scale {
		t := within(r, hour, time.Hour)
		a := g.pop.apps[0]
		g.emit(r, call{t: t, p: a.p, sess: a.sessionFor(g.cfg.Seed, t, r), source: "kms", name: "GenerateRandom",
			readOnly: true, params: obj{{"numberOfBytes", 32}}})
	}
}

// opsDay is the platform engineer touching two secrets of a large pool each
// working day: over the warm-up they see all of them, two at a time.
func (g *orgGen) opsDay(d int, ld time.Time) {
	r := newRand(g.cfg.Seed, "ops", ld)
	ops := g.pop.opsAdmin
	n := g.workdaysBefore(ld)
	for i := range 2 {
		s := g.pop.opsPool[(2*n+i)%len(g.pop.opsPool)]
		t := g.localAt(ld, 9+r.IntN(8), r.IntN(60))
		if !g.onDay(t, d) || g.quietOps(t) {
			continue
		}
		g.getSecretValue(r, ops.p, ops.session, t, s, "", "")
		g.smCall(r, ops.p, ops.session, t.Add(40*time.Second), s, "DescribeSecret", true, nil, nil, "")
	}
}

// quietOps keeps the ops engineer's routine off the day of their frequency
// incident, so the incident is the only unusual thing that day.
func (g *orgGen) quietOps(t time.Time) bool {
	for _, p := range g.plan {
		if p.name == "frequency-distinct" && g.local(p.at).Format(time.DateOnly) == g.local(t).Format(time.DateOnly) {
			return true
		}
	}
	return false
}

// workdaysBefore counts working days from the start up to local date ld.
func (g *orgGen) workdaysBefore(ld time.Time) int {
	n := 0
	s := g.local(g.cfg.Start)
	for d := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC); d.Before(ld); d = d.AddDate(0, 0, 1) {
		if g.workday(g.localAt(d, 12, 0)) {
			n++
		}
	}
	return n
}

// nightlyBatch reads the batch secrets and key at 02:10 local every night:
// off-hours by design.
func (g *orgGen) nightlyBatch(d int, ld time.Time, afterWarmup bool) {
	pop := g.pop
	r := newRand(g.cfg.Seed, "batch", ld)
	t := g.localAt(ld, 2, 10).Add(time.Duration(r.IntN(90)) * time.Second)
	if !g.onDay(t, d) {
		return
	}
	sess := "nightly-reconcile-" + ld.Format("20060102")
	var ids []string
	ids = append(ids, g.batchGetSecretValue(r, pop.batch, sess, t, pop.batchSecs)...)
	t = t.Add(time.Second)
	for range 3 {
		t = t.Add(time.Duration(1+r.IntN(30)) * time.Second)
		ids = append(ids, g.kmsCall(r, pop.batch, sess, t, pop.batchKey, "GenerateDataKey", true,
			obj{{"encryptionContext", obj{{"job", "nightly-reconcile"}}}, {"keySpec", "AES_256"}}, nil, ""))
	}
	if afterWarmup {
		g.label(Label{Kind: KindDecoy, Principal: pop.batch.ARN(), EventIDs: ids,
			Detail: DecoyNightlyBatch + ": reads the same secrets at 02:10 " + g.cfg.Location.String() + " every night"})
	}
}

// deploys are the CI role's bursts in business hours: describing and reading
// the secrets of the services it deploys, sometimes writing one.
func (g *orgGen) deploys(d int, ld time.Time, afterWarmup bool) {
	pop := g.pop
	for _, acct := range []string{pop.prod, pop.staging} {
		dp := pop.deploy[acct]
		if dp == nil || (acct == pop.staging && pop.staging == pop.prod) {
			continue
		}
		r := newRand(g.cfg.Seed, "deploy", acct, ld)
		var apps []*app
		for _, a := range pop.apps {
			if a.p.account == acct {
				apps = append(apps, a)
			}
		}
		for n := range 1 + r.IntN(3) {
			t := g.localAt(ld, 9+r.IntN(8), r.IntN(60))
			if !g.onDay(t, d) {
				continue
			}
			sess := fmt.Sprintf("GitHubActions-%d", 9000000000+r.Int64N(999999999))
			var ids []string
			for range 2 {
				a := apps[r.IntN(len(apps))]
				for _, s := range a.secrets {
					t = t.Add(time.Duration(1+r.IntN(20)) * time.Second)
					ids = append(ids, g.smCall(r, dp, sess, t, s, "DescribeSecret", true, nil, nil, ""))
					t = t.Add(time.Duration(1+r.IntN(5)) * time.Second)
					ids = append(ids, g.getSecretValue(r, dp, sess, t, s, "", ""))
					if r.IntN(6) == 0 {
						t = t.Add(time.Duration(1+r.IntN(5)) * time.Second)
						ids = append(ids, g.putSecretValue(r, dp, sess, t, s))
					}
				}
				t = t.Add(time.Duration(1+r.IntN(10)) * time.Second)
				ids = append(ids, g.kmsCall(r, dp, sess, t, a.key, "DescribeKey", true, nil, nil, ""))
			}
			if afterWarmup {
				g.label(Label{Kind: KindDecoy, Principal: dp.ARN(), EventIDs: ids,
					Detail: fmt.Sprintf("%s: deploy %d of the day reads the secrets of the services it ships", DecoyDeployBurst, n+1)})
			}
		}
	}
}

// putSecretValue writes a new version; Secrets Manager generates a data key
// with the caller's identity to encrypt it.
func (g *orgGen) putSecretValue(r *rand.Rand, p *principal, sess string, t time.Time, s *secret) string {
	tok := uuid(r)
	id := g.smCall(r, p, sess, t, s, "PutSecretValue", false, obj{{"clientRequestToken", tok}},
		obj{{"arn", s.FullARN()}, {"name", s.name}, {"versionId", tok}, {"versionStages", []string{"AWSCURRENT"}}}, "")
	g.smDecrypt(r, p, sess, t.Add(100*time.Millisecond), s, "GenerateDataKey")
	return id
}

// rotate runs a scheduled rotation: the service's RotationStarted, the
// rotation Lambda's four steps, RotationSucceeded.
func (g *orgGen) rotate(r *rand.Rand, s *secret, t time.Time, afterWarmup bool) {
	ro := s.rotation
	lam, fn := ro.lambda, ro.fn
	svc := &principal{kind: kindService, account: s.account, name: "secretsmanager.amazonaws.com"}
	token := uuid(r)
	reqID := "Rotation-" + s.FullARN() + "-" + token
	extra := obj{{"SecretId", s.FullARN()}}
	g.emit(r, call{t: t, p: svc, noIdent: true, invokedBy: svc.name, recipient: s.account, region: s.region,
		source: "secretsmanager", name: "RotationStarted", eventType: "AwsServiceEvent", extra: extra, requestID: reqID})
	var ids []string
	step := func(d time.Duration) { t = t.Add(d + time.Duration(r.IntN(800))*time.Millisecond) }
	describe := func() {
		step(900 * time.Millisecond)
		ids = append(ids, g.smCall(r, lam, fn, t, s, "DescribeSecret", true, nil, nil, ""))
	}
	first := t
	// createSecret
	describe()
	step(300 * time.Millisecond)
	ids = append(ids, g.getSecretValue(r, lam, fn, t, s, "AWSCURRENT", ""))
	step(300 * time.Millisecond)
	ids = append(ids, g.emit(r, call{t: t, p: lam, sess: fn, region: s.region, source: "secretsmanager", name: "GetRandomPassword",
		readOnly: true, params: obj{{"passwordLength", 32}, {"excludeCharacters", "/@\"'\\"}}}))
	step(300 * time.Millisecond)
	ids = append(ids, g.smCall(r, lam, fn, t, s, "PutSecretValue", false,
		obj{{"clientRequestToken", token}, {"versionStages", []string{"AWSPENDING"}}},
		obj{{"arn", s.FullARN()}, {"name", s.name}, {"versionId", token}, {"versionStages", []string{"AWSPENDING"}}}, ""))
	g.smDecrypt(r, lam, fn, t.Add(80*time.Millisecond), s, "GenerateDataKey")
	// setSecret
	describe()
	step(300 * time.Millisecond)
	ids = append(ids, g.getSecretValue(r, lam, fn, t, s, "AWSPENDING", ""))
	// testSecret
	describe()
	step(300 * time.Millisecond)
	ids = append(ids, g.getSecretValue(r, lam, fn, t, s, "AWSPENDING", ""))
	// finishSecret
	describe()
	step(300 * time.Millisecond)
	ids = append(ids, g.smCall(r, lam, fn, t, s, "UpdateSecretVersionStage", false,
		obj{{"versionStage", "AWSCURRENT"}, {"moveToVersionId", token}, {"removeFromVersionId", s.versionID(g.cfg.Seed, first.Add(-time.Minute))}}, nil, ""))
	step(time.Second)
	g.emit(r, call{t: t, p: svc, noIdent: true, invokedBy: svc.name, recipient: s.account, region: s.region,
		source: "secretsmanager", name: "RotationSucceeded", eventType: "AwsServiceEvent", extra: extra, requestID: reqID})
	if afterWarmup {
		g.label(Label{Kind: KindDecoy, Principal: lam.ARN(), Resource: s.ARN(), EventIDs: ids, Detail: fmt.Sprintf("%s: scheduled rotation every %d days by %s", DecoyRotation, ro.period, fn)})
	}
}
