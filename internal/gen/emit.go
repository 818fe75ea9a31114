package gen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// entry is one rendered record waiting for its log file.
type entry struct {
	t       time.Time
	account string // the account whose trail logs it (recipientAccountId)
	region  string
	id      string
	kept    bool // Secrets Manager or KMS: what keytrail's ingest keeps
	dup     bool // a verbatim repeat of another entry
	b       []byte
}

// call describes one API call to render.
type call struct {
	t         time.Time
	p         *principal
	sess      string // role session name
	region    string
	recipient string // account logging the event; the caller's when empty
	also      string // a second account that logs the same call (cross-account)
	source    string // service prefix: "kms", "secretsmanager", "s3"...
	name      string
	readOnly  bool
	params    any
	resp      any
	extra     any // additionalEventData
	details   any // serviceEventDetails
	res       []resource
	errCode   string
	errMsg    string
	invokedBy string // an AWS service calling on the principal's behalf
	eventType string // AwsApiCall when empty
	ip, agent string // overrides
	console   bool
	noIdent   bool // service events carry only accountId and invokedBy
	requestID string
	// accountIdentity logs the caller as CloudTrail does for some calls
	// from another account: type AWSAccount with this principalId.
	accountIdentity string
}

var consoleAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
	"AWS Internal",
}

// emit renders c into the run's buffers and returns the record's eventID.
func (g *orgGen) emit(r *rand.Rand, c call) string {
	if c.region == "" {
		c.region = g.home
	}
	if c.recipient == "" {
		c.recipient = c.p.account
	}
	rec := record{
		EventVersion:        versions[r.IntN(len(versions))],
		EventTime:           c.t.UTC().Format(timeLayout),
		EventSource:         c.source + ".amazonaws.com",
		EventName:           c.name,
		AWSRegion:           c.region,
		ErrorCode:           c.errCode,
		ErrorMessage:        c.errMsg,
		RequestParameters:   c.params,
		ResponseElements:    c.resp,
		AdditionalEventData: c.extra,
		ServiceEventDetails: c.details,
		RequestID:           uuid(r),
		EventID:             uuid(r),
		Resources:           c.res,
		EventType:           c.eventType,
		ManagementEvent:     true,
		RecipientAccountID:  c.recipient,
		EventCategory:       "Management",
	}
	if rec.EventType == "" {
		rec.EventType = "AwsApiCall"
		rec.ReadOnly = boolp(c.readOnly)
	} else if rec.EventType == "AwsConsoleSignIn" {
		rec.ReadOnly = boolp(false)
	} else {
		rec.ReadOnly = boolp(c.readOnly)
	}
	switch {
	case c.accountIdentity != "":
		rec.UserIdentity = &identity{Type: "AWSAccount", PrincipalID: c.accountIdentity, AccountID: c.p.account}
	case c.noIdent:
		rec.UserIdentity = &identity{AccountID: c.p.account, InvokedBy: c.invokedBy}
		rec.SourceIPAddress, rec.UserAgent = c.invokedBy, c.invokedBy
	case c.invokedBy != "":
		rec.UserIdentity = c.p.identity(c.sess, c.t, c.invokedBy)
		rec.SourceIPAddress, rec.UserAgent = c.invokedBy, c.invokedBy
	case c.p.kind == kindService:
		rec.UserIdentity = c.p.identity("", c.t, "")
		rec.SourceIPAddress, rec.UserAgent = c.p.name, c.p.name
	default:
		rec.UserIdentity = c.p.identity(c.sess, c.t, "")
		rec.SourceIPAddress, rec.UserAgent = c.p.ip(r), c.p.agent(r)
		if c.console || (c.p.console && r.IntN(3) > 0) {
			rec.UserAgent = consoleAgents[r.IntN(len(consoleAgents))]
			rec.SessionCredentialFromConsole = "true"
		}
		if c.p.vpce != "" && c.recipient == c.p.account {
			rec.VPCEndpointID = c.p.vpce
		}
		rec.TLSDetails = &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			ClientProvidedHostHeader: c.source + "." + c.region + ".amazonaws.com"}
		if r.IntN(5) == 0 {
			rec.TLSDetails.TLSVersion, rec.TLSDetails.CipherSuite = "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"
		}
	}
	if c.ip != "" {
		rec.SourceIPAddress = c.ip
	}
	if c.agent != "" {
		rec.UserAgent = c.agent
	}
	if c.requestID != "" {
		rec.RequestID = c.requestID
	}
	if c.also != "" && c.also != c.recipient && g.inOrg[c.also] {
		rec.SharedEventID = uuid(r)
	}
	g.add(rec)
	if rec.SharedEventID != "" {
		other := rec
		other.EventID = uuid(r)
		other.RecipientAccountID = c.also
		other.VPCEndpointID = ""
		g.add(other)
	}
	return rec.EventID
}

var versions = []string{"1.08", "1.09", "1.09", "1.10", "1.11", "1.11"}

func (g *orgGen) add(rec record) {
	b, err := json.Marshal(rec)
	if err != nil { // only our own types are marshalled: a bug
		panic(fmt.Sprintf("gen: marshal record: %v", err))
	}
	t, _ := time.Parse(timeLayout, rec.EventTime)
	kept := rec.EventSource == "kms.amazonaws.com" || rec.EventSource == "secretsmanager.amazonaws.com"
	g.buffer(entry{t: t, account: rec.RecipientAccountID, region: rec.AWSRegion, id: rec.EventID, kept: kept, b: b})
	g.times[rec.EventID] = t
	if kept {
		g.dayKept++
	}
}

// Secrets Manager and KMS calls. Each returns the eventID of the call
// itself (not of the KMS calls Secrets Manager makes on the caller's behalf).

// getSecretValue logs GetSecretValue and, when it succeeds, the KMS Decrypt
// Secrets Manager makes with the caller's identity.
func (g *orgGen) getSecretValue(r *rand.Rand, p *principal, sess string, t time.Time, s *secret, stage string, errCode string) string {
	params := obj{{"secretId", s.ref(r, p.account)}}
	if stage != "" {
		params = append(params, kv{"versionStage", stage})
	}
	c := call{t: t, p: p, sess: sess, region: s.region, recipient: s.account, source: "secretsmanager",
		name: "GetSecretValue", readOnly: true, params: params}
	if errCode != "" {
		c.errCode, c.errMsg = errCode, smError(errCode, p, sess, "GetSecretValue", s)
	}
	id := g.emit(r, c)
	if errCode == "" {
		g.smDecrypt(r, p, sess, t.Add(time.Duration(20+r.IntN(400))*time.Millisecond), s, "Decrypt")
	}
	return id
}

// smDecrypt is the KMS call Secrets Manager makes for a secret value: with
// the caller's identity, invokedBy secretsmanager.amazonaws.com, and the
// secret's ARN in the encryption context.
func (g *orgGen) smDecrypt(r *rand.Rand, p *principal, sess string, t time.Time, s *secret, op string) string {
	params := obj{{"encryptionContext", obj{{"SecretARN", s.FullARN()}, {"SecretVersionId", s.versionID(g.cfg.Seed, t)}}}}
	if op == "Decrypt" {
		params = append(params, kv{"encryptionAlgorithm", "SYMMETRIC_DEFAULT"})
	} else {
		params = append(params, kv{"keyId", s.key.ARN()}, kv{"keySpec", "AES_256"})
	}
	return g.emit(r, call{t: t, p: p, sess: sess, region: s.region, recipient: s.key.account, source: "kms",
		name: op, readOnly: true, params: params, res: s.key.resources(), invokedBy: "secretsmanager.amazonaws.com"})
}

// smCall logs a Secrets Manager call that names one secret.
func (g *orgGen) smCall(r *rand.Rand, p *principal, sess string, t time.Time, s *secret, name string, readOnly bool, params obj, resp any, errCode string) string {
	params = append(obj{{"secretId", s.ref(r, p.account)}}, params...)
	c := call{t: t, p: p, sess: sess, region: s.region, recipient: s.account, source: "secretsmanager",
		name: name, readOnly: readOnly, params: params, resp: resp}
	if errCode != "" {
		c.errCode, c.errMsg = errCode, smError(errCode, p, sess, name, s)
		c.resp = nil
	}
	return g.emit(r, c)
}

// kmsCall logs a KMS call on key k with the caller's own identity.
func (g *orgGen) kmsCall(r *rand.Rand, p *principal, sess string, t time.Time, k *key, name string, readOnly bool, params obj, resp any, errCode string) string {
	params = append(obj{{"keyId", k.ref(r, p.account)}}, params...)
	c := call{t: t, p: p, sess: sess, region: k.region, recipient: k.account, source: "kms",
		name: name, readOnly: readOnly, params: params, resp: resp, res: k.resources()}
	if p.account != k.account {
		c.also = p.account // logged in the caller's account too, with one sharedEventID
	}
	if errCode != "" {
		c.errCode, c.errMsg, c.resp = errCode, kmsError(errCode, p, sess, name, k), nil
	}
	return g.emit(r, c)
}

// dataKey is an application's envelope-encryption call: GenerateDataKey or
// Decrypt with an encryption context naming the application.
func (g *orgGen) dataKey(r *rand.Rand, p *principal, sess string, t time.Time, k *key, app string) string {
	ctx := obj{{"app", app}, {"purpose", []string{"session", "payload", "token", "export"}[r.IntN(4)]}}
	switch r.IntN(5) {
	case 0, 1:
		return g.kmsCall(r, p, sess, t, k, "GenerateDataKey", true, obj{{"encryptionContext", ctx}, {"keySpec", "AES_256"}}, nil, "")
	case 2:
		return g.kmsCall(r, p, sess, t, k, "Encrypt", true, obj{{"encryptionContext", ctx}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, "")
	}
	return g.kmsCall(r, p, sess, t, k, "Decrypt", true, obj{{"encryptionContext", ctx}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, "")
}

func callerARN(p *principal, sess string) string {
	if p.kind == kindRole {
		return "arn:aws:sts::" + p.account + ":assumed-role/" + p.name + "/" + sess
	}
	return p.ARN()
}

func smError(code string, p *principal, sess, op string, s *secret) string {
	switch code {
	case "AccessDeniedException":
		return "User: " + callerARN(p, sess) + " is not authorized to perform: secretsmanager:" + op +
			" on resource: " + s.name + " because no identity-based policy allows the secretsmanager:" + op + " action"
	case "ResourceNotFoundException":
		return "Secrets Manager can't find the specified secret."
	case "InvalidRequestException":
		return "You can't perform this operation on the secret because it was marked for deletion."
	}
	return ""
}

func kmsError(code string, p *principal, sess, op string, k *key) string {
	switch code {
	case "AccessDeniedException":
		return "User: " + callerARN(p, sess) + " is not authorized to perform: kms:" + op + " on resource: " +
			k.ARN() + " because no resource-based policy allows the kms:" + op + " action"
	case "InvalidCiphertextException":
		return ""
	case "KMSInvalidStateException":
		return k.ARN() + " is pending deletion."
	case "NotFoundException":
		return "Alias " + k.AliasARN() + " is not found."
	}
	return ""
}

// policyJSON renders a resource policy the way the console and the CLI send
// it: a JSON document inside a JSON string.
func policyJSON(stmts ...string) string {
	return "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ " + strings.Join(stmts, ", ") + " ]\n}"
}

func allowStmt(sid, principalARN, action, res string) string {
	return fmt.Sprintf("{\n    \"Sid\" : %q,\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : %q\n    },\n    \"Action\" : %q,\n    \"Resource\" : %q\n  }",
		sid, principalARN, action, res)
}

// batchGetSecretValue logs BatchGetSecretValue and, as Secrets Manager
// does, one GetSecretValue per secret returned, with the same caller within
// a second (each with its KMS Decrypt).
func (g *orgGen) batchGetSecretValue(r *rand.Rand, p *principal, sess string, t time.Time, ss []*secret) []string {
	refs := make([]string, len(ss))
	for i, s := range ss {
		refs[i] = s.ref(r, p.account)
	}
	ids := []string{g.emit(r, call{t: t, p: p, sess: sess, region: ss[0].region, recipient: ss[0].account, source: "secretsmanager",
		name: "BatchGetSecretValue", readOnly: true, params: obj{{"secretIdList", refs}}})}
	for _, s := range ss {
		tt := t.Add(time.Duration(50+r.IntN(900)) * time.Millisecond)
		ids = append(ids, g.emit(r, call{t: tt, p: p, sess: sess, region: s.region, recipient: s.account, source: "secretsmanager",
			name: "GetSecretValue", readOnly: true, params: obj{{"secretId", s.FullARN()}}}))
		g.smDecrypt(r, p, sess, tt.Add(time.Duration(20+r.IntN(200))*time.Millisecond), s, "Decrypt")
	}
	return ids
}
