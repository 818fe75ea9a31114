package kestrel

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// Events are kept compact until written: who called (identity, address,
// client) is rendered once per session and shared by pointer.

const (
	srcSM  = "secretsmanager.amazonaws.com"
	srcKMS = "kms.amazonaws.com"
)

// ev is one CloudTrail event before rendering.
type ev struct {
	t        time.Time
	who      *caller
	acct     string // recipientAccountId
	region   string
	src      string
	name     string
	req      json.RawMessage // nil renders as null
	resp     json.RawMessage
	res      []string // secrets and keys the record names
	keyRes   string   // a KMS key for the resources array
	errCode  string
	errMsg   string
	typ      string // "" is AwsApiCall
	readOnly bool
	label    int16
	id       uint64
}

func (e *ev) kept() bool { return e.src == srcSM || e.src == srcKMS }

// caller is who made a call and how.
type caller struct {
	principal string // the canonical principal ARN keytrail derives
	acct      string
	ident     json.RawMessage
	ip, ua    string
	vpce      string
	console   bool
	via       map[string]*caller
	id        map[string]any
}

// hash derives a stable number from parts and the seed: identifiers do
// not depend on the order things were generated in.
func (w *world) hash(parts ...string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d", w.seed)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	x := h.Sum64()
	x ^= x >> 31
	x *= 0x9e3779b97f4a7c15
	return x ^ x>>29
}

const (
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	hexLow   = "0123456789abcdef"
)

func (w *world) chars(n int, set string, parts ...string) string {
	x := w.hash(parts...)
	var b strings.Builder
	for i := range n {
		x = x*6364136223846793005 + 1442695040888963407 + uint64(i)
		b.WriteByte(set[(x>>33)%uint64(len(set))])
	}
	return b.String()
}

func uuidOf(x uint64) string {
	a := x
	b := x*0x9e3779b97f4a7c15 ^ x>>17
	b = b*0xbf58476d1ce4e5b9 ^ b>>31
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff,
		uint16(b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

func (w *world) uuid(parts ...string) string { return uuidOf(w.hash(parts...)) }

// ts formats eventTime.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// om is an ordered JSON object: alternating keys and values.
type om []any

func (o om) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i := 0; i+1 < len(o); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(o[i].(string))
		v, err := json.Marshal(o[i+1])
		if err != nil {
			return nil, err
		}
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

func newCaller(principal, acct string, ident om, ip, ua, vpce string, console bool) *caller {
	return &caller{principal: principal, acct: acct, ident: mustJSON(ident), ip: ip, ua: ua, vpce: vpce, console: console}
}

// role is an IAM role.
type role struct {
	acct, path, name string
	arn, id          string
}

func (w *world) role(acct, path, name string) *role {
	arn := "arn:aws:iam::" + acct + ":role/" + path + name
	return &role{acct: acct, path: path, name: name, arn: arn, id: "AROA" + w.chars(17, upperNum, "role", arn)}
}

// session is a caller of an assumed-role session of r; provider names the
// web identity provider of a federated session ("" for none).
func (w *world) session(r *role, sess, provider string, created time.Time, ip, ua, vpce string, console bool) *caller {
	web := om{}
	if provider != "" {
		web = om{"federatedProvider", provider, "attributes", om{}}
	}
	ident := om{"type", "AssumedRole", "principalId", r.id + ":" + sess,
		"arn", "arn:aws:sts::" + r.acct + ":assumed-role/" + r.name + "/" + sess,
		"accountId", r.acct, "accessKeyId", "ASIA" + w.chars(16, upperNum, "key", r.arn, sess, ts(created)),
		"sessionContext", om{
			"sessionIssuer", om{"type", "Role", "principalId", r.id, "arn", r.arn, "accountId", r.acct, "userName", r.name},
			"webIdFederationData", web,
			"attributes", om{"creationDate", ts(created), "mfaAuthenticated", "false"}}}
	c := newCaller(r.arn, r.acct, ident, ip, ua, vpce, console)
	c.id = map[string]any{"ident": ident}
	return c
}

// user is a caller of an IAM user's access key.
func (w *world) user(acct, name, key, ip, ua string) *caller {
	arn := "arn:aws:iam::" + acct + ":user/" + name
	ident := om{"type", "IAMUser", "principalId", "AIDA" + w.chars(17, upperNum, "user", arn),
		"arn", arn, "accountId", acct, "accessKeyId", key, "userName", name}
	c := newCaller(arn, acct, ident, ip, ua, "", false)
	c.id = map[string]any{"ident": ident}
	return c
}

// service is an AWS service acting on its own (principal: its name).
func service(name, acct string) *caller {
	return newCaller(name, acct, om{"type", "AWSService", "invokedBy", name}, name, name, "", false)
}

// by is the caller as seen in a call an AWS service made on its behalf.
func (c *caller) by(svc string) *caller {
	if v, ok := c.via[svc]; ok {
		return v
	}
	ident := append(om{}, c.id["ident"].(om)...)
	ident = append(ident, "invokedBy", svc)
	v := &caller{principal: c.principal, acct: c.acct, ident: mustJSON(ident), ip: svc, ua: svc}
	if c.via == nil {
		c.via = map[string]*caller{}
	}
	c.via[svc] = v
	return v
}

// add appends an event if it falls in the period; it returns its index
// or -1.
func (w *world) add(e ev) int {
	if e.t.Before(w.start) || !e.t.Before(w.end) {
		return -1
	}
	e.t = e.t.UTC().Truncate(time.Second)
	e.id = w.rng.Uint64()
	w.evs = append(w.evs, e)
	return len(w.evs) - 1
}

// call records an API call to Secrets Manager or KMS.
func (w *world) call(lbl int16, t time.Time, c *caller, region, acct, src, name string, req, resp json.RawMessage, ro bool, res ...string) *ev {
	i := w.add(ev{t: t, who: c, acct: acct, region: region, src: src, name: name, req: req, resp: resp,
		res: res, readOnly: ro, label: lbl})
	if i < 0 {
		return &ev{}
	}
	return &w.evs[i]
}

// fail marks an event failed.
func (e *ev) fail(code, msg string) *ev {
	e.errCode, e.errMsg, e.resp = code, msg, nil
	return e
}

// record is a CloudTrail record in CloudTrail's member order.
type record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       json.RawMessage `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []resource      `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	SharedEventID      string          `json:"sharedEventID,omitempty"`
	VPCEndpointID      string          `json:"vpcEndpointId,omitempty"`
	VPCEndpointAcct    string          `json:"vpcEndpointAccountId,omitempty"`
	EventCategory      string          `json:"eventCategory"`
	TLSDetails         *tlsDetails     `json:"tlsDetails,omitempty"`
	SessionFromConsole string          `json:"sessionCredentialFromConsole,omitempty"`
}

type resource struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type tlsDetails struct {
	TLSVersion  string `json:"tlsVersion"`
	CipherSuite string `json:"cipherSuite"`
	Host        string `json:"clientProvidedHostHeader"`
}

func (e *ev) render() record {
	c := e.who
	r := record{EventVersion: "1.11", UserIdentity: c.ident, EventTime: ts(e.t), EventSource: e.src,
		EventName: e.name, AWSRegion: e.region, SourceIPAddress: c.ip, UserAgent: c.ua,
		ErrorCode: e.errCode, ErrorMessage: e.errMsg, RequestParameters: e.req, ResponseElements: e.resp,
		RequestID: uuidOf(e.id ^ 0x5265717565737449), EventID: uuidOf(e.id), ReadOnly: e.readOnly,
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: e.acct, EventCategory: "Management"}
	if e.typ != "" {
		r.EventType, r.EventVersion = e.typ, "1.08"
	}
	if e.keyRes != "" {
		r.Resources = []resource{{AccountID: arnAccount(e.keyRes), Type: "AWS::KMS::Key", ARN: e.keyRes}}
	}
	if c.acct != e.acct && c.acct != "" {
		r.SharedEventID = uuidOf(e.id ^ 0x5368617265644576)
	}
	if c.vpce != "" && (e.src == srcSM || e.src == srcKMS) {
		r.VPCEndpointID, r.VPCEndpointAcct = c.vpce, c.acct
	}
	if !strings.HasSuffix(c.ip, ".amazonaws.com") {
		host := strings.TrimSuffix(e.src, ".amazonaws.com") + "." + e.region + ".amazonaws.com"
		if e.src == "iam.amazonaws.com" {
			host = "iam.amazonaws.com"
		}
		r.TLSDetails = &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Host: host}
	}
	if c.console {
		r.SessionFromConsole = "true"
	}
	return r
}

func arnAccount(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 5 {
		return ""
	}
	return p[4]
}

func arnRegion(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 4 {
		return ""
	}
	return p[3]
}
