package gen

import (
	"math/rand/v2"
	"strings"
	"time"
)

// Kinds of principal the generator models.
const (
	kindRole    = "role"    // an IAM role assumed by a workload or a person
	kindUser    = "user"    // an IAM user with long-term keys
	kindRoot    = "root"    // the account root user
	kindService = "service" // an AWS service acting as itself (AWSService)
)

// principal is one identity of the synthetic organization.
type principal struct {
	kind    string
	account string
	name    string // role or user name, or service principal
	path    string // IAM path without slashes at the ends ("" for none)
	human   bool
	console bool // people who mostly use the console
	mfa     bool
	agents  []string
	ips     []string
	vpce    string // VPC endpoint id for workloads inside a VPC
}

// ARN is the canonical principal keytrail's ingest produces: the role (not
// the session), the user, the root, or the service principal.
func (p *principal) ARN() string {
	switch p.kind {
	case kindRole:
		return "arn:aws:iam::" + p.account + ":role/" + p.pathPrefix() + p.name
	case kindUser:
		return "arn:aws:iam::" + p.account + ":user/" + p.pathPrefix() + p.name
	case kindRoot:
		return "arn:aws:iam::" + p.account + ":root"
	}
	return p.name
}

func (p *principal) pathPrefix() string {
	if p.path == "" {
		return ""
	}
	return p.path + "/"
}

// uniqueID is IAM's stable id for the role or user (AROA…/AIDA…).
func (p *principal) uniqueID() string {
	prefix := "AROA"
	if p.kind == kindUser {
		prefix = "AIDA"
	}
	return prefix + stableString(upperAlnum, 17, "principal", p.ARN())
}

// identity renders userIdentity for a call in session sess (roles) made at t.
// invokedBy marks a call an AWS service made on the principal's behalf.
func (p *principal) identity(sess string, t time.Time, invokedBy string) *identity {
	switch p.kind {
	case kindService:
		return &identity{Type: "AWSService", InvokedBy: p.name}
	case kindRoot:
		return &identity{Type: "Root", PrincipalID: p.account, ARN: p.ARN(), AccountID: p.account,
			AccessKeyID: "ASIA" + stableString(upperAlnum, 16, "root", p.account, t.Truncate(time.Hour)),
			SessionContext: &sessionContext{Attributes: sessionAttributes{
				CreationDate: t.Add(-7 * time.Minute).Format(timeLayout), MFAAuthenticated: "true"}},
			InvokedBy: invokedBy}
	case kindUser:
		return &identity{Type: "IAMUser", PrincipalID: p.uniqueID(), ARN: p.ARN(), AccountID: p.account,
			AccessKeyID: "AKIA" + stableString(upperAlnum, 16, "key", p.ARN()), UserName: p.name,
			InvokedBy: invokedBy}
	}
	created := sessionStart(sess, t)
	return &identity{
		Type:        "AssumedRole",
		PrincipalID: p.uniqueID() + ":" + sess,
		ARN:         "arn:aws:sts::" + p.account + ":assumed-role/" + p.name + "/" + sess,
		AccountID:   p.account,
		AccessKeyID: "ASIA" + stableString(upperAlnum, 16, "session", p.ARN(), sess, created),
		SessionContext: &sessionContext{
			SessionIssuer: &sessionIssuer{Type: "Role", PrincipalID: p.uniqueID(), ARN: p.ARN(),
				AccountID: p.account, UserName: p.name},
			WebIDFederationData: &struct{}{},
			Attributes: sessionAttributes{CreationDate: created.Format(timeLayout),
				MFAAuthenticated: boolString(p.mfa)},
		},
		InvokedBy: invokedBy,
	}
}

// sessionStart is when a session's credentials were issued: role
// credentials last an hour, so the start is the top of the hour before t
// shifted by a per-session offset.
func sessionStart(sess string, t time.Time) time.Time {
	off := time.Duration(hash64("start", sess)%3000) * time.Second
	s := t.Add(-off).Truncate(time.Hour).Add(off)
	if s.After(t) {
		s = s.Add(-time.Hour)
	}
	return s
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (p *principal) agent(r *rand.Rand) string { return p.agents[r.IntN(len(p.agents))] }
func (p *principal) ip(r *rand.Rand) string    { return p.ips[r.IntN(len(p.ips))] }

// secret is a Secrets Manager secret.
type secret struct {
	name, account, region, suffix string
	key                           *key
	rotation                      *rotation // nil when not rotated
}

// ARN is the canonical (partial) ARN keytrail stores: no random suffix.
func (s *secret) ARN() string {
	return "arn:aws:secretsmanager:" + s.region + ":" + s.account + ":secret:" + s.name
}

// FullARN is the ARN with the six-character suffix Secrets Manager adds.
func (s *secret) FullARN() string { return s.ARN() + "-" + s.suffix }

// ref is how a caller names the secret: by name, full ARN or partial ARN.
// Callers from another account must use an ARN.
func (s *secret) ref(r *rand.Rand, callerAccount string) string {
	x := r.IntN(10)
	switch {
	case x < 5 && callerAccount == s.account:
		return s.name
	case x < 8:
		return s.FullARN()
	}
	return s.ARN()
}

// versionID is the secret's current version at t: it changes with each
// rotation, so the KMS encryption context follows the rotation schedule.
func (s *secret) versionID(seed int64, t time.Time) string {
	epoch := 0
	if s.rotation != nil {
		epoch = s.rotation.epoch(t)
	}
	return uuid(newRand(seed, "version", s.FullARN(), epoch))
}

// key is a KMS key with an optional alias.
type key struct {
	id, account, region, alias string // alias without the "alias/" prefix
}

func (k *key) ARN() string { return "arn:aws:kms:" + k.region + ":" + k.account + ":key/" + k.id }

func (k *key) AliasARN() string {
	return "arn:aws:kms:" + k.region + ":" + k.account + ":alias/" + k.alias
}

// ref is how a caller names the key: key id, key ARN, alias name or alias
// ARN. Another account must use an ARN.
func (k *key) ref(r *rand.Rand, callerAccount string) string {
	x := r.IntN(10)
	same := callerAccount == k.account
	switch {
	case x < 3 && same:
		return k.id
	case x < 5 && same && k.alias != "":
		return "alias/" + k.alias
	case x < 6 && k.alias != "":
		return k.AliasARN()
	}
	return k.ARN()
}

func (k *key) resources() []resource {
	return []resource{{AccountID: k.account, Type: "AWS::KMS::Key", ARN: k.ARN()}}
}

// rotation is a secret's rotation schedule: every period days from day
// offset, at a fixed UTC time of day, by a rotation Lambda.
type rotation struct {
	start  time.Time // first rotation
	period int       // days
	lambda *principal
	fn     string // function name, the session name
}

// epoch counts the rotations completed before t.
func (ro *rotation) epoch(t time.Time) int {
	if t.Before(ro.start) {
		return 0
	}
	return int(t.Sub(ro.start)/(time.Duration(ro.period)*24*time.Hour)) + 1
}

// emailSession turns a display name into the email session name Identity
// Center uses.
func emailSession(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
}
