package evalorg

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// world is one generation: the calendar, the catalog, the events.
type world struct {
	cfg        Config
	loc        *time.Location
	h          hasher
	rng        *rand.Rand
	start, end time.Time // the period, UTC
	eval       int       // first local day of the incident week
	holidays   map[string]bool

	evs []ev
	seq uint32
	cur int16 // label of the events being emitted, 1-based; 0 none

	labels []*labelDef

	roles    map[string]*role
	keys     []*key
	secrets  []*secret
	sessions map[string]*caller
	org      *org
	cat      *catalog
	releases map[*service][]time.Time
}

// A labelDef is a label being built; its span is that of its events.
type labelDef struct {
	Label
	incident bool
	// For labels given by a predicate (a principal's events in a
	// window) rather than by the scenario that emits them.
	match      string
	from, till time.Time
}

// --- calendar ---------------------------------------------------------------

// date returns the local date of local day d (day 0 is the date of
// Config.Start).
func (w *world) date(d int) (y int, m time.Month, dd int) {
	t := w.cfg.Start.AddDate(0, 0, d)
	return t.Date()
}

// at is local day d at hh:mm:ss local time, in UTC.
func (w *world) at(d, hh, mm, ss int) time.Time {
	y, m, dd := w.date(d)
	return time.Date(y, m, dd, hh, mm, ss, 0, w.loc).UTC()
}

// dayOf is the local day index of t.
func (w *world) dayOf(t time.Time) int {
	lt := t.In(w.loc)
	y, m, d := lt.Date()
	local := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return int(local.Sub(w.cfg.Start).Hours() / 24)
}

func (w *world) dayName(d int) string {
	y, m, dd := w.date(d)
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func (w *world) weekday(d int) time.Weekday {
	y, m, dd := w.date(d)
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Weekday()
}

func (w *world) holiday(d int) bool { return w.holidays[w.dayName(d)] }

// workday: Sunday to Thursday, not a holiday.
func (w *world) workday(d int) bool {
	wd := w.weekday(d)
	return wd != time.Friday && wd != time.Saturday && !w.holiday(d)
}

// localHour is t's local time of day in hours.
func (w *world) localHour(t time.Time) float64 {
	lt := t.In(w.loc)
	return float64(lt.Hour()) + float64(lt.Minute())/60
}

// load is customer traffic at t relative to a weekday's peak: payments
// run around the clock, with a night trough, a quieter weekend (Friday
// afternoon and Saturday) and quieter holidays.
func (w *world) load(t time.Time) float64 {
	h := w.localHour(t)
	var l float64
	switch {
	case h < 6:
		l = 0.22
	case h < 9:
		l = 0.22 + (h-6)/3*0.7
	case h < 21:
		l = 0.92 + 0.08*math.Sin((h-9)/12*math.Pi)
	default:
		l = 0.92 - (h-21)/3*0.7
	}
	d := w.dayOf(t)
	switch wd := w.weekday(d); {
	case w.holiday(d):
		l *= 0.55
	case wd == time.Saturday:
		l *= 0.6
	case wd == time.Friday && h >= 13:
		l *= 0.7
	}
	return l
}

// inPeriod reports whether t is inside the generated period.
func (w *world) inPeriod(t time.Time) bool { return !t.Before(w.start) && t.Before(w.end) }

// --- randomness -------------------------------------------------------------

func (w *world) chance(p float64) bool { return w.rng.Float64() < p }

// jitter returns a duration uniformly in [0, d).
func (w *world) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(w.rng.Int64N(int64(d)))
}

// secs is a uniform number of seconds in [lo, hi].
func (w *world) secs(lo, hi int) time.Duration {
	return time.Duration(lo+w.rng.IntN(hi-lo+1)) * time.Second
}

// poisson draws a Poisson count with mean l.
func (w *world) poisson(l float64) int {
	if l <= 0 {
		return 0
	}
	if l > 40 {
		n := int(math.Round(l + math.Sqrt(l)*w.rng.NormFloat64()))
		return max(n, 0)
	}
	limit, p, k := math.Exp(-l), 1.0, 0
	for {
		p *= w.rng.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

func pick[T any](w *world, xs []T) T { return xs[w.rng.IntN(len(xs))] }

// --- emission ---------------------------------------------------------------

func (w *world) emit(e ev) {
	if !w.inPeriod(e.t) {
		return
	}
	e.seq = w.seq
	w.seq++
	e.label = w.cur
	w.evs = append(w.evs, e)
}

// begin starts a label: events emitted until done carry it.
func (w *world) begin(incident bool, id, class, principal, minSeverity, description string, resources ...string) {
	w.labels = append(w.labels, &labelDef{incident: incident, Label: Label{ID: id, Class: class,
		Description: description, Principal: principal, Resources: resources, MinSeverity: minSeverity}})
	w.cur = int16(len(w.labels))
}

func (w *world) done() { w.cur = 0 }

// benignBy defines a look-alike label as every event of principal in
// [from, till) that no scenario labelled.
func (w *world) benignBy(id, class, principal, description string, from, till time.Time, resources ...string) {
	w.labels = append(w.labels, &labelDef{Label: Label{ID: id, Class: class, Description: description,
		Principal: principal, Resources: resources}, match: principal, from: from, till: till})
}

// --- identities -------------------------------------------------------------

// session returns the caller for a role session, the same pointer for the
// same session seen from the same place.
func (w *world) session(r *role, name string, created time.Time, ip, ua string, net *endpoints, tls uint8, console bool, opts ...sessionOpt) *caller {
	k := r.arn + "|" + name + "|" + strconv.FormatInt(created.Unix(), 10) + "|" + ip + "|" + ua
	if c, ok := w.sessions[k]; ok {
		return c
	}
	id := identity{typ: "AssumedRole", principalID: r.id + ":" + name,
		arn:       "arn:aws:sts::" + r.acct + ":assumed-role/" + r.name + "/" + name,
		acct:      r.acct,
		accessKey: w.accessKey(r, name, created),
		issuer:    r, created: created}
	for _, o := range opts {
		o(&id)
	}
	c := newCaller(r.arn, id, ip, ua, net, tls, console, name)
	w.sessions[k] = c
	return c
}

type sessionOpt func(*identity)

func webIdentity(provider string) sessionOpt { return func(id *identity) { id.webID = provider } }

func (w *world) accessKey(r *role, name string, created time.Time) string {
	return "ASIA" + w.h.chars(16, base32, "session", r.arn, name, strconv.FormatInt(created.Unix(), 10))
}

// iamUser is a long-term access key of an IAM user.
func (w *world) iamUser(acct, name, ip, ua string, net *endpoints) *caller {
	arn := "arn:aws:iam::" + acct + ":user/" + name
	k := arn + "|" + ip + "|" + ua
	if c, ok := w.sessions[k]; ok {
		return c
	}
	id := identity{typ: "IAMUser", principalID: "AIDA" + w.h.chars(17, base32, "user", arn), arn: arn,
		acct: acct, accessKey: "AKIA" + w.h.chars(16, base32, "user-key", arn), userName: name}
	c := newCaller(arn, id, ip, ua, net, tls13AES128, false, "")
	w.sessions[k] = c
	return c
}

// service is an AWS service acting on its own (userIdentity type
// AWSService).
func (w *world) service(name string) *caller {
	k := "service|" + name
	if c, ok := w.sessions[k]; ok {
		return c
	}
	c := newCaller(name, identity{typ: "AWSService", invokedBy: name}, name, name, nil, tlsNone, false, "")
	w.sessions[k] = c
	return c
}

// serviceEvent is the identity of an event a service records about
// itself (no type, the account and the service).
func (w *world) serviceEvent(acct, name string) *caller {
	k := "service-event|" + acct + "|" + name
	if c, ok := w.sessions[k]; ok {
		return c
	}
	c := newCaller(name, identity{acct: acct, invokedBy: name}, name, name, nil, tlsNone, false, "")
	w.sessions[k] = c
	return c
}

// --- calls ------------------------------------------------------------------

// Error texts as the services write them.
func notAuthorized(c *caller, action, resource, why string) string {
	return "User: " + c.id.arn + " is not authorized to perform: " + action + " on resource: " + resource + " because " + why
}

const (
	noIdentityPolicy = "no identity-based policy allows the "
	noResourcePolicy = "no resource-based policy allows the "
	msgNoSecret      = "Secrets Manager can't find the specified secret."
)

// keyState is a key's usability at t: "" when enabled, else the error code
// and message KMS answers.
func (k *key) stateAt(t time.Time) (code, msg string) {
	for _, s := range k.states {
		if !t.Before(s.from) && (s.to.IsZero() || t.Before(s.to)) {
			switch s.state {
			case "Disabled":
				return "DisabledException", k.arn + " is disabled."
			case "PendingDeletion":
				return "KMSInvalidStateException", k.arn + " is pending deletion."
			case "PendingImport":
				return "KMSInvalidStateException", k.arn + " is pending import."
			}
		}
	}
	return "", ""
}

type keyState struct {
	from, to time.Time
	state    string
}

// secretRef is how a caller names a secret: "name" (the default for
// applications configured by name), "arn" (what listings return), or
// "partial" (the ARN without its suffix).
func secretRef(s *secret, style string) string {
	switch style {
	case "arn":
		return s.arn
	case "partial":
		return strings.TrimSuffix(s.arn, s.arn[len(s.arn)-7:])
	}
	return s.name
}

// getSecret emits GetSecretValue and, when Secrets Manager decrypts the
// value, its KMS call on the caller's behalf. A secret that does not exist
// at t answers ResourceNotFoundException; a key that cannot be used,
// DecryptionFailure. It reports whether the value was returned.
func (w *world) getSecret(t time.Time, c *caller, s *secret, style, stage string) bool {
	cur := s.at(t)
	ref := secretRef(s, style)
	if cur != nil {
		ref = secretRef(cur, style)
	}
	req := obj("secretId", ref, "versionStage", opt(stage))
	e := ev{t: t, who: c, acct: s.acct, region: s.region, src: srcSM, name: "GetSecretValue",
		req: req, readOnly: true, shared: c.acct != s.acct}
	if cur == nil {
		e.errCode, e.errMsg = "ResourceNotFoundException", msgNoSecret
		w.emit(e)
		return false
	}
	if stage == "AWSPENDING" {
		// Rotation's first step asks whether a pending version exists.
		e.errCode = "ResourceNotFoundException"
		e.errMsg = "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"
		w.emit(e)
		return false
	}
	code, msg := cur.key.stateAt(t)
	w.smDecrypt(t.Add(w.secs(0, 1)), c, cur, code, msg)
	if code != "" {
		e.errCode = "DecryptionFailure"
		e.errMsg = "Secrets Manager can't decrypt the protected secret text using the provided KMS key. " + msg
	}
	w.emit(e)
	return code == ""
}

// smDecrypt is the KMS Decrypt Secrets Manager makes for a caller.
func (w *world) smDecrypt(t time.Time, c *caller, s *secret, code, msg string) {
	w.emit(ev{t: t, who: c.by(srcSM), acct: s.key.acct, region: s.region, src: srcKMS, name: "Decrypt",
		req: obj("encryptionAlgorithm", "SYMMETRIC_DEFAULT",
			"encryptionContext", obj("SecretARN", s.arn, "SecretVersionId", w.version(s, t))),
		res: s.key.resources(), readOnly: true, shared: c.acct != s.key.acct,
		errCode: code, errMsg: msg})
}

// smGenerateDataKey is the KMS call Secrets Manager makes to encrypt a new
// secret version.
func (w *world) smGenerateDataKey(t time.Time, c *caller, s *secret, version string) {
	w.emit(ev{t: t, who: c.by(srcSM), acct: s.key.acct, region: s.region, src: srcKMS, name: "GenerateDataKey",
		req: obj("keyId", s.key.arn, "keySpec", "AES_256",
			"encryptionContext", obj("SecretARN", s.arn, "SecretVersionId", version)),
		res: s.key.resources(), readOnly: true, shared: c.acct != s.key.acct})
}

// denied emits a Secrets Manager call refused by IAM.
func (w *world) smDenied(t time.Time, c *caller, s *secret, action, ref string) {
	w.emit(ev{t: t, who: c, acct: s.acct, region: s.region, src: srcSM, name: action,
		req: obj("secretId", ref), readOnly: strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "Describe"),
		errCode: "AccessDenied",
		errMsg:  notAuthorized(c, "secretsmanager:"+action, ref, noIdentityPolicy+"secretsmanager:"+action+" action")})
}

// smRead emits a read-only Secrets Manager call on a secret that needs no
// decryption (DescribeSecret, GetResourcePolicy, ListSecretVersionIds).
func (w *world) smRead(t time.Time, c *caller, s *secret, action, style string) {
	if s = s.at(t); s == nil || !s.created.IsZero() && t.Before(s.created) {
		return
	}
	w.emit(ev{t: t, who: c, acct: s.acct, region: s.region, src: srcSM, name: action,
		req: obj("secretId", secretRef(s, style)), readOnly: true, shared: c.acct != s.acct})
}

// listSecrets emits ListSecrets in acct/region.
func (w *world) listSecrets(t time.Time, c *caller, acct, region string, req raw) {
	if req == nil {
		req = obj("maxResults", 100)
	}
	w.emit(ev{t: t, who: c, acct: acct, region: region, src: srcSM, name: "ListSecrets", req: req, readOnly: true})
}

// kms emits a KMS call on k; a key that cannot be used fails it.
func (w *world) kms(t time.Time, c *caller, k *key, op string, req raw, readOnly bool) bool {
	code, msg := "", ""
	switch op {
	case "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt", "Sign":
		code, msg = k.stateAt(t)
	}
	w.emit(ev{t: t, who: c, acct: k.acct, region: k.region, src: srcKMS, name: op, req: req,
		res: k.resources(), readOnly: readOnly, shared: c.acct != "" && c.acct != k.acct, errCode: code, errMsg: msg})
	return code == ""
}

// decrypt is an application's Decrypt: no keyId for a symmetric key (the
// ciphertext names it), the application's encryption context.
func (w *world) decrypt(t time.Time, c *caller, k *key, ctx raw) bool {
	return w.kms(t, c, k, "Decrypt", obj("encryptionAlgorithm", "SYMMETRIC_DEFAULT", "encryptionContext", ctx), true)
}

// dataKey is an application's GenerateDataKey, naming the key by alias.
func (w *world) dataKey(t time.Time, c *caller, k *key, ctx raw) bool {
	return w.kms(t, c, k, "GenerateDataKey", obj("keyId", "alias/"+k.alias, "encryptionContext", ctx, "keySpec", "AES_256"), true)
}

// keyRead emits a read-only KMS call naming the key (DescribeKey,
// GetKeyPolicy, GetKeyRotationStatus, ListGrants, ListResourceTags).
func (w *world) keyRead(t time.Time, c *caller, k *key, op string) {
	var req raw
	switch op {
	case "GetKeyPolicy":
		req = obj("keyId", k.id, "policyName", "default")
	case "ListResourceTags", "ListGrants":
		req = obj("keyId", k.arn)
	default:
		req = obj("keyId", k.arn)
	}
	w.kms(t, c, k, op, req, true)
}

// other emits an event of another service, which keytrail drops.
func (w *world) other(t time.Time, c *caller, src, name, region, acct string, req, resp, res raw, readOnly bool) {
	w.emit(ev{t: t, who: c, acct: acct, region: region, src: src, name: name, req: req, resp: resp,
		res: res, readOnly: readOnly, shared: c.acct != "" && c.acct != acct})
}
