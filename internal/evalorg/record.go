package evalorg

import (
	"time"
)

// The generator keeps events compact until they are written: what repeats
// (who called, from where, with which client) is rendered once per session
// and shared by pointer, and each event holds only what is its own.

// Event types as CloudTrail names them.
const (
	typeAPICall uint8 = iota
	typeServiceEvent
	typeVpceEvent
	typeConsoleSignIn
)

var eventTypes = [...]string{"AwsApiCall", "AwsServiceEvent", "AwsVpceEvent", "AwsConsoleSignIn"}

// Event sources.
const (
	srcSM  = "secretsmanager.amazonaws.com"
	srcKMS = "kms.amazonaws.com"
)

// ev is one CloudTrail event before rendering.
type ev struct {
	t        time.Time
	who      *caller
	acct     string // recipientAccountId: whose trail receives it
	region   string
	src      string
	name     string
	req      raw // requestParameters; nil is null
	resp     raw // responseElements; nil is null
	extra    raw // additionalEventData; nil is left out
	res      raw // resources; nil is left out
	errCode  string
	errMsg   string
	typ      uint8
	readOnly bool
	shared   bool // delivered to more than one account: has a sharedEventID
	label    int16
	seq      uint32
}

// kept reports whether keytrail keeps the event (a Secrets Manager or KMS
// record).
func (e *ev) kept() bool { return e.src == srcSM || e.src == srcKMS }

// endpoints are an account's interface VPC endpoints in one region.
type endpoints struct{ acct, sm, kms string }

func (p *endpoints) forSource(src string) string {
	switch src {
	case srcSM:
		return p.sm
	case srcKMS:
		return p.kms
	}
	return ""
}

// identity is a record's userIdentity.
type identity struct {
	typ         string // AssumedRole, IAMUser, AWSService, AWSAccount; "" for a service event
	principalID string
	arn         string
	acct        string
	accessKey   string
	userName    string
	provider    string // identityProvider of a web-identity or SAML user
	issuer      *role  // the role of an assumed-role session
	created     time.Time
	webID       string // the OIDC provider of a web-identity session
	ec2         bool   // an instance profile session (ec2RoleDelivery)
	invokedBy   string
}

func (id *identity) render() raw {
	var sc any = omit
	if id.issuer != nil {
		web := raw("{}")
		if id.webID != "" {
			web = obj("federatedProvider", id.webID, "attributes", raw("{}"))
		}
		var ec2 any = omit
		if id.ec2 {
			ec2 = "2.0"
		}
		sc = obj(
			"sessionIssuer", obj("type", "Role", "principalId", id.issuer.id, "arn", id.issuer.arn,
				"accountId", id.issuer.acct, "userName", id.issuer.name),
			"webIdFederationData", web,
			"attributes", obj("creationDate", ts(id.created), "mfaAuthenticated", "false"),
			"ec2RoleDelivery", ec2)
	}
	return obj("type", opt(id.typ), "principalId", opt(id.principalID), "arn", opt(id.arn),
		"accountId", opt(id.acct), "accessKeyId", opt(id.accessKey), "userName", opt(id.userName),
		"identityProvider", opt(id.provider), "sessionContext", sc, "invokedBy", opt(id.invokedBy))
}

// TLS variants of clients (tlsDetails).
const (
	tlsNone uint8 = iota
	tls13AES128
	tls13AES256
	tls12
)

// caller is who made a call and how: identity, address, client.
type caller struct {
	principal string // canonical principal ARN, as keytrail derives it
	acct      string // the caller's account
	id        identity
	ident     raw
	ip, ua    string
	net       *endpoints // the VPC endpoints the calls went through; nil for the internet
	tls       uint8
	console   bool
	session   string
	via       map[string]*caller
}

func newCaller(principal string, id identity, ip, ua string, net *endpoints, tls uint8, console bool, session string) *caller {
	return &caller{principal: principal, acct: id.acct, id: id, ident: id.render(),
		ip: ip, ua: ua, net: net, tls: tls, console: console, session: session}
}

// by returns the caller as seen in a call an AWS service made on its
// behalf: same identity with invokedBy, the service as address and agent.
func (c *caller) by(service string) *caller {
	if v, ok := c.via[service]; ok {
		return v
	}
	id := c.id
	id.invokedBy = service
	v := newCaller(c.principal, id, service, service, nil, tlsNone, false, c.session)
	if c.via == nil {
		c.via = map[string]*caller{}
	}
	c.via[service] = v
	return v
}

// ts formats a time as CloudTrail's eventTime.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// awsDate formats a time as CloudTrail writes dates inside responses
// ("Apr 16, 2026, 9:12:00 PM").
func awsDate(t time.Time) string { return t.UTC().Format("Jan 2, 2006, 3:04:05 PM") }
