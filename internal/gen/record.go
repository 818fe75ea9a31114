package gen

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// timeLayout is CloudTrail's eventTime format: UTC, second precision.
const timeLayout = "2006-01-02T15:04:05Z"

// record is one CloudTrail record. Field order follows the order CloudTrail
// writes, so the generated JSON reads like the real thing.
type record struct {
	EventVersion                 string      `json:"eventVersion"`
	UserIdentity                 *identity   `json:"userIdentity,omitempty"`
	EventTime                    string      `json:"eventTime"`
	EventSource                  string      `json:"eventSource"`
	EventName                    string      `json:"eventName"`
	AWSRegion                    string      `json:"awsRegion"`
	SourceIPAddress              string      `json:"sourceIPAddress"`
	UserAgent                    string      `json:"userAgent"`
	ErrorCode                    string      `json:"errorCode,omitempty"`
	ErrorMessage                 string      `json:"errorMessage,omitempty"`
	RequestParameters            any         `json:"requestParameters"`
	ResponseElements             any         `json:"responseElements"`
	AdditionalEventData          any         `json:"additionalEventData,omitempty"`
	ServiceEventDetails          any         `json:"serviceEventDetails,omitempty"`
	RequestID                    string      `json:"requestID,omitempty"`
	EventID                      string      `json:"eventID"`
	ReadOnly                     *bool       `json:"readOnly,omitempty"`
	Resources                    []resource  `json:"resources,omitempty"`
	EventType                    string      `json:"eventType"`
	ManagementEvent              bool        `json:"managementEvent"`
	RecipientAccountID           string      `json:"recipientAccountId"`
	SharedEventID                string      `json:"sharedEventID,omitempty"`
	VPCEndpointID                string      `json:"vpcEndpointId,omitempty"`
	EventCategory                string      `json:"eventCategory"`
	TLSDetails                   *tlsDetails `json:"tlsDetails,omitempty"`
	SessionCredentialFromConsole string      `json:"sessionCredentialFromConsole,omitempty"`
}

type identity struct {
	Type           string          `json:"type,omitempty"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer       *sessionIssuer    `json:"sessionIssuer,omitempty"`
	WebIDFederationData *struct{}         `json:"webIdFederationData,omitempty"`
	Attributes          sessionAttributes `json:"attributes"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type sessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type resource struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// obj is a JSON object that keeps its key order, as CloudTrail's
// requestParameters do.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(p.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func boolp(b bool) *bool { return &b }

// newRand returns a generator for one named stream of the run: streams are
// independent, so adding a population member does not reshuffle the others.
func newRand(seed int64, stream ...any) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), hash64(stream...)))
}

func hash64(parts ...any) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			h.Write([]byte(v))
		case int:
			h.Write(strconv.AppendInt(nil, int64(v), 10))
		case int64:
			h.Write(strconv.AppendInt(nil, v, 10))
		case time.Time:
			h.Write(v.UTC().AppendFormat(nil, time.RFC3339Nano))
		default:
			panic("gen: hash of unsupported type")
		}
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// uuid draws a random (version 4) UUID from r.
func uuid(r *rand.Rand) string {
	var b [36]byte
	putUUID(b[:], r.Uint64(), r.Uint64())
	return string(b[:])
}

const hexDigits = "0123456789abcdef"

// putUUID formats a version 4 UUID into dst[:36].
func putUUID(dst []byte, hi, lo uint64) {
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	var src [16]byte
	for i := 0; i < 8; i++ {
		src[i] = byte(hi >> (56 - 8*i))
		src[8+i] = byte(lo >> (56 - 8*i))
	}
	j := 0
	for i, c := range src {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j] = hexDigits[c>>4]
		dst[j+1] = hexDigits[c&0xf]
		j += 2
	}
}

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// randString draws n characters of alphabet from r.
func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// stableString derives n characters of alphabet from parts: the same parts
// always give the same string (access key ids, principal ids, suffixes).
func stableString(alphabet string, n int, parts ...any) string {
	return randString(rand.New(rand.NewPCG(hash64(parts...), 0x6b6579747261696c)), alphabet, n)
}

func randHex(r *rand.Rand, n int) string { return randString(r, hexDigits, n) }

// poisson draws from a Poisson distribution with mean m (Knuth for small m,
// a rounded normal approximation above).
func poisson(r *rand.Rand, m float64) int {
	if m <= 0 {
		return 0
	}
	if m > 30 {
		n := int(m + r.NormFloat64()*math.Sqrt(m) + 0.5)
		if n < 0 {
			return 0
		}
		return n
	}
	l, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
