package evalorg

import (
	"math"
	"strconv"
	"time"
)

// Workloads: long-running services (ECS tasks, EKS pods) and jobs
// (Lambda functions). A service runs between min and max tasks following
// the traffic curve; each task reads its secrets when it starts and again
// every hour (the caching clients' default refresh), and the service makes
// its own KMS calls in proportion to traffic. An ECS task's secrets are
// first read by the task execution role (the ECS agent injecting them).

type task struct {
	id      string
	ip      string
	start   time.Time
	next    time.Time // next cache refresh
	credIdx int       // credentials announced so far (-1: none)
	active  bool
}

// taskRecord is a task as it started, for scenarios that use a running
// task's credentials.
type taskRecord struct {
	slot  int
	id    string
	ip    string
	start time.Time
}

// activeTasks returns the tasks of the always-running slots (below the
// minimum count) at t.
func (w *world) activeTasks(s *service, t time.Time) []taskRecord {
	latest := make([]taskRecord, s.min)
	for _, r := range s.history {
		if r.slot < s.min && !r.start.After(t) {
			latest[r.slot] = r
		}
	}
	return latest
}

func (w *world) activeTask(s *service, t time.Time) taskRecord { return w.activeTasks(s, t)[0] }

// taskSessionAt is the session of a task's credentials at t, as seen from
// ip with ua (the task's own, or whoever holds its credentials).
func (w *world) taskSessionAt(s *service, r taskRecord, t time.Time, ip, ua string, net *endpoints) *caller {
	idx := int(t.Sub(r.start) / s.credPeriod())
	created := r.start.Add(time.Duration(idx) * s.credPeriod())
	name := r.id
	var opts []sessionOpt
	if s.eks {
		name = w.irsaSession(s.lang, created)
		opts = append(opts, webIdentity(w.oidc(s.acct)))
	}
	return w.session(s.role, name, created, ip, ua, net, tls13AES128, false, opts...)
}

// webIdentityCaller is a pod's service account exchanging its token.
func (w *world) webIdentityCaller(s *service, ip, ua string) *caller {
	sa := "system:serviceaccount:" + s.name + ":" + s.name
	prov := w.oidc(s.acct)
	k := "webid|" + prov + "|" + sa + "|" + ip + "|" + ua
	c, ok := w.sessions[k]
	if !ok {
		c = newCaller(prov, identity{typ: "WebIdentityUser", principalID: prov + ":sts.amazonaws.com:" + sa,
			userName: sa, provider: prov}, ip, ua, nil, tls13AES128, false, "")
		w.sessions[k] = c
	}
	return c
}

// credPeriod is how often a task's or pod's credentials are renewed.
func (s *service) credPeriod() time.Duration {
	if s.eks {
		return time.Hour
	}
	return 3 * time.Hour
}

// usable reports whether a baseline read of s at t would work as usual;
// when not, the scenario that broke it emits what happens instead.
func usable(s *secret, t time.Time) bool {
	cur := s.at(t)
	if cur == nil {
		return false
	}
	code, _ := cur.key.stateAt(t)
	return code == ""
}

func (w *world) runServices() {
	for _, s := range w.cat.services {
		w.runService(s)
	}
}

func (w *world) runService(s *service) {
	net := w.endpointsOf(s.acct, s.region)
	tasks := make([]task, s.max*4)
	releases := w.releases[s]
	ri := 0
	first := w.start.Add(-time.Hour)
	for h := first; h.Before(w.end); h = h.Add(time.Hour) {
		mid := h.Add(30 * time.Minute)
		factor := 1.0
		if s.scale != nil {
			factor = s.scale(mid)
		}
		desired := s.min + int(math.Round(float64(s.max-s.min)*w.load(mid)))
		desired = min(max(int(math.Round(float64(desired)*factor)), 1), len(tasks))
		if !s.started.IsZero() && !s.started.Before(h.Add(time.Hour)) {
			desired = 0
		}
		var rel time.Time
		for ri < len(releases) && releases[ri].Before(h.Add(time.Hour)) {
			if !releases[ri].Before(h) {
				rel = releases[ri]
			}
			ri++
		}
		for i := range tasks {
			tk := &tasks[i]
			if i >= desired {
				tk.active = false
				continue
			}
			restart := time.Time{}
			switch {
			case !tk.active:
				switch {
				case h.Equal(first):
					restart = h.Add(-time.Duration(w.rng.IntN(72)) * time.Hour)
				case !s.started.IsZero() && h.Before(s.started):
					restart = s.started.Add(time.Duration(i)*40*time.Second + w.secs(20, 90))
				default:
					restart = h.Add(w.jitter(time.Hour))
				}
			case !rel.IsZero():
				restart = rel.Add(time.Duration(i)*45*time.Second + w.secs(90, 240))
			}
			// Refreshes of the running task until it is replaced.
			until := h.Add(time.Hour)
			if !restart.IsZero() && restart.Before(until) && tk.active {
				until = restart
			}
			for tk.active && tk.next.Before(until) {
				w.taskReads(s, tk, tk.next, net, false)
				tk.next = tk.next.Add(time.Hour + w.secs(0, 30))
			}
			if !restart.IsZero() {
				w.startTask(s, tk, i, restart, net)
				for tk.next.Before(h.Add(time.Hour)) {
					w.taskReads(s, tk, tk.next, net, false)
					tk.next = tk.next.Add(time.Hour + w.secs(0, 30))
				}
			}
		}
		// The service's own KMS calls follow traffic.
		for _, u := range s.kms {
			n := w.poisson(u.perHour * w.load(mid) * factor)
			for range n {
				t := h.Add(w.jitter(time.Hour))
				tk := &tasks[w.rng.IntN(max(desired, 1))]
				if !tk.active || t.Before(tk.start) {
					tk = &tasks[0]
				}
				if !tk.active || t.Before(tk.start) {
					continue
				}
				w.serviceKMS(s, tk, u, t, net)
			}
		}
	}
}

func (w *world) startTask(s *service, tk *task, slot int, t time.Time, net *endpoints) {
	gen := strconv.FormatInt(t.Unix(), 10)
	tk.id = w.h.chars(32, hexLow, "task", s.role.arn, strconv.Itoa(slot), gen)
	tk.ip = s.subnet + strconv.Itoa(10+int(w.h.of("ip", tk.id)%200))
	tk.start, tk.active, tk.credIdx = t, true, -1
	s.history = append(s.history, taskRecord{slot: slot, id: tk.id, ip: tk.ip, start: t})
	if !s.eks {
		// The ECS agent reads the task's secrets to inject them.
		exec := w.cat.rExec
		if s.acct == acctStaging {
			exec = w.cat.rExecStg
		}
		if exec.acct == s.acct {
			c := w.session(exec, tk.id, t.Add(-2*time.Second), tk.ip, uaECSAgent, net, tls12, false)
			for k, sec := range s.secrets {
				if usable(sec, t) {
					w.getSecret(t.Add(time.Duration(k)*time.Second/3), c, sec, "arn", "")
				}
			}
			w.other(t.Add(-time.Second), c, "ecr.amazonaws.com", "GetAuthorizationToken", s.region, s.acct,
				obj("registryIds", []string{s.acct}), nil, nil, true)
		}
	}
	w.taskReads(s, tk, t.Add(w.secs(8, 25)), net, true)
	tk.next = t.Add(time.Hour + w.secs(0, 60))
}

// taskCaller returns the task's session for a call at t, announcing new
// credentials with the STS event that issued them.
func (w *world) taskCaller(s *service, tk *task, t time.Time, src string, net *endpoints) *caller {
	idx := int(t.Sub(tk.start) / s.credPeriod())
	created := tk.start.Add(time.Duration(idx) * s.credPeriod())
	name := tk.id
	env := "AWS_ECS_FARGATE"
	var opts []sessionOpt
	if s.eks {
		env = ""
		name = w.irsaSession(s.lang, created)
		opts = append(opts, webIdentity(w.oidc(s.acct)))
	}
	c := w.session(s.role, name, created, tk.ip, sdkUA(s.lang, src, env), net, tls13AES128, false, opts...)
	for tk.credIdx < idx {
		tk.credIdx++
		at := tk.start.Add(time.Duration(tk.credIdx) * s.credPeriod())
		w.announce(s, tk, at, net)
	}
	return c
}

func (w *world) irsaSession(lang string, created time.Time) string {
	switch lang {
	case "java":
		return "aws-sdk-java-" + strconv.FormatInt(created.UnixMilli(), 10)
	case "go":
		return "aws-go-sdk-" + strconv.FormatInt(created.UnixNano(), 10)
	}
	return "botocore-session-" + strconv.FormatInt(created.Unix(), 10)
}

func (w *world) oidc(acct string) string {
	return "arn:aws:iam::" + acct + ":oidc-provider/oidc.eks." + euc1 + ".amazonaws.com/id/" + w.h.chars(32, "0123456789ABCDEF", "eks", acct)
}

// announce emits the STS call that issued a task's or pod's credentials.
func (w *world) announce(s *service, tk *task, at time.Time, net *endpoints) {
	name := tk.id
	if s.eks {
		name = w.irsaSession(s.lang, at)
	}
	ak := w.accessKey(s.role, name, at)
	creds := obj("accessKeyId", ak, "sessionToken", "IQoJb3JpZ2luX2VjE"+w.h.chars(60, alnum, "token", ak), "expiration", awsDate(at.Add(6*time.Hour)))
	assumed := obj("assumedRoleId", s.role.id+":"+name, "arn", "arn:aws:sts::"+s.acct+":assumed-role/"+s.role.name+"/"+name)
	res := arr(obj("accountId", s.acct, "type", "AWS::IAM::Role", "ARN", s.role.arn))
	if !s.eks {
		w.other(at, w.service("ecs-tasks.amazonaws.com"), "sts.amazonaws.com", "AssumeRole", s.region, s.acct,
			obj("roleArn", s.role.arn, "roleSessionName", name), obj("credentials", creds, "assumedRoleUser", assumed), res, true)
		return
	}
	sa := "system:serviceaccount:" + s.name + ":" + s.name
	prov := w.oidc(s.acct)
	c := w.webIdentityCaller(s, tk.ip, sdkUA(s.lang, "sts.amazonaws.com", ""))
	w.other(at, c, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", s.region, s.acct,
		obj("roleArn", s.role.arn, "roleSessionName", name),
		obj("credentials", creds, "subjectFromWebIdentityToken", sa, "assumedRoleUser", assumed,
			"provider", prov, "audience", "sts.amazonaws.com"), res, true)
}

// taskReads is a task reading each of its secrets.
func (w *world) taskReads(s *service, tk *task, t time.Time, net *endpoints, starting bool) {
	c := w.taskCaller(s, tk, t, srcSM, net)
	for k, sec := range s.secrets {
		at := t.Add(time.Duration(k*150+w.rng.IntN(120)) * time.Millisecond)
		if usable(sec, at) {
			w.getSecret(at, c, sec, "name", "")
		}
	}
	if starting {
		w.other(t.Add(-3*time.Second), w.taskCaller(s, tk, t, "ssm.amazonaws.com", net), "ssm.amazonaws.com", "GetParameters",
			s.region, s.acct, obj("names", []string{"/" + s.name + "/config", "/" + s.name + "/feature-flags"}, "withDecryption", false), nil, nil, true)
	}
}

func (w *world) serviceKMS(s *service, tk *task, u kmsUse, t time.Time, net *endpoints) {
	var ctx raw
	if s.ctx != nil {
		ctx = s.ctx(w, t)
	}
	if u.op == "s3" {
		c := w.taskCaller(s, tk, t, "s3.amazonaws.com", net).by("s3.amazonaws.com")
		w.s3Decrypt(t, c, u.key, s.name)
		return
	}
	if code, _ := u.key.stateAt(t); code != "" {
		return
	}
	c := w.taskCaller(s, tk, t, srcKMS, net)
	if ctx == nil {
		ctx = obj("service", s.name)
	}
	switch u.op {
	case "Decrypt":
		w.decrypt(t, c, u.key, ctx)
	case "Encrypt":
		w.kms(t, c, u.key, "Encrypt", obj("keyId", "alias/"+u.key.alias, "encryptionAlgorithm", "SYMMETRIC_DEFAULT", "encryptionContext", ctx), true)
	default:
		w.dataKey(t, c, u.key, ctx)
	}
}

// s3Decrypt is S3 decrypting an SSE-KMS object for c (already the
// invokedBy form of the reader).
func (w *world) s3Decrypt(t time.Time, c *caller, k *key, prefix string) {
	bucketName := "tavor-" + map[string]string{acctProd: "prod", acctStaging: "staging", acctShared: "shared", acctSecurity: "security"}[k.acct] + "-" + k.alias
	obj1 := "arn:aws:s3:::" + bucketName + "/" + prefix + "/" + t.Format("2006/01/02") + "/" + w.h.chars(12, hexLow, "object", prefix, t.String()) + ".parquet"
	w.kms(t, c, k, "Decrypt", obj("encryptionContext", obj("aws:s3:arn", obj1), "encryptionAlgorithm", "SYMMETRIC_DEFAULT"), true)
}

// --- jobs -------------------------------------------------------------------

type jobEnv struct {
	created time.Time
	last    time.Time
	ip      string
}

func (w *world) runJobs() {
	for _, j := range w.cat.jobs {
		var env jobEnv
		for d := -1; d <= w.cfg.Days; d++ {
			for _, t := range j.runs(w, d) {
				if !w.inPeriod(t) || !w.jobUsable(j, t) {
					continue
				}
				w.jobRun(j, &env, t)
			}
		}
	}
}

// jobUsable reports whether the job's secrets and keys work at t; runs
// that would fail belong to the scenario that broke them.
func (w *world) jobUsable(j *job, t time.Time) bool {
	for _, s := range j.secrets {
		if !usable(s, t) {
			return false
		}
	}
	for _, u := range j.kms {
		if code, _ := u.key.stateAt(t); code != "" {
			return false
		}
	}
	return true
}

// jobCaller returns the function's session at t: a new execution
// environment after 20 idle minutes or four hours.
func (w *world) jobCaller(j *job, env *jobEnv, t time.Time, src string) *caller {
	if env.created.IsZero() || t.Sub(env.last) > 20*time.Minute || t.Sub(env.created) > 4*time.Hour {
		env.created = t.Add(-w.secs(1, 3))
		if j.vpc {
			env.ip = "10." + map[string]string{acctProd: "20", acctStaging: "30", acctShared: "40", acctSecurity: "50"}[j.acct] + ".30." + strconv.Itoa(10+w.rng.IntN(200))
			if j.region == use1 {
				env.ip = "10.21.30." + strconv.Itoa(10+w.rng.IntN(200))
			}
		} else {
			prefix := "3.120."
			if j.region == use1 {
				prefix = "44.204."
			}
			env.ip = prefix + strconv.Itoa(w.rng.IntN(256)) + "." + strconv.Itoa(1+w.rng.IntN(254))
		}
		w.other(env.created.Add(-time.Second), w.service("lambda.amazonaws.com"), "sts.amazonaws.com", "AssumeRole", j.region, j.acct,
			obj("roleArn", j.role.arn, "roleSessionName", j.name),
			obj("credentials", obj("accessKeyId", w.accessKey(j.role, j.name, env.created), "sessionToken", "IQoJb3JpZ2luX2VjE"+w.h.chars(60, alnum, "token", j.name, env.created.String()),
				"expiration", awsDate(env.created.Add(12*time.Hour)))),
			arr(obj("accountId", j.acct, "type", "AWS::IAM::Role", "ARN", j.role.arn)), true)
		lc := w.session(j.role, j.name, env.created, env.ip, sdkUA(j.lang, "logs.amazonaws.com", lambdaEnv(j.lang)), nil, tls13AES128, false)
		w.other(env.created.Add(time.Second), lc, "logs.amazonaws.com", "CreateLogStream", j.region, j.acct,
			obj("logGroupName", "/aws/lambda/"+j.name, "logStreamName", env.created.In(w.loc).Format("2006/01/02")+"/[$LATEST]"+w.h.chars(32, hexLow, "stream", j.name, env.created.String())), nil, nil, false)
	}
	env.last = t
	var net *endpoints
	if j.vpc {
		net = w.endpointsOf(j.acct, j.region)
	}
	return w.session(j.role, j.name, env.created, env.ip, sdkUA(j.lang, src, lambdaEnv(j.lang)), net, tls13AES128, false)
}

func (w *world) jobRun(j *job, env *jobEnv, t time.Time) {
	for k, s := range j.secrets {
		at := t.Add(time.Duration(k*200+w.rng.IntN(300)) * time.Millisecond)
		w.getSecret(at, w.jobCaller(j, env, at, srcSM), s, j.style, "")
	}
	span := time.Minute
	if len(j.kms) > 0 && j.kms[0].perHour > 10 {
		span = 15 * time.Minute
	}
	for _, u := range j.kms {
		for range w.poisson(u.perHour) {
			at := t.Add(2*time.Second + w.jitter(span))
			c := w.jobCaller(j, env, at, srcKMS)
			ctx := obj("job", j.name, "run", t.In(w.loc).Format("2006-01-02T15:04"))
			if u.op == "Decrypt" {
				w.decrypt(at, c, u.key, ctx)
			} else {
				w.dataKey(at, c, u.key, ctx)
			}
		}
	}
}
