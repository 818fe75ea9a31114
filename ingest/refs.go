package ingest

import "github.com/keytrail/keytrail/internal/cloudtrail"

// The few fields of request parameters, response elements and additional
// event data that name a secret or key. Their JSON shapes vary by call, so
// the fields are picked out (cloudtrail.Decoder.Merge) rather than the
// whole decoded. The picking follows encoding/json, by a table derived
// from the json tags, and TestRefsMatchEncodingJSON holds it to that: a
// member name selects a field exactly, else ignoring case (CloudTrail's
// "aRN" is "arn"); a repeated member's last value wins; null leaves a
// string as it was; a value of another type is skipped and the rest still
// read.

type requestRefs struct {
	SecretID         string   `json:"secretId"`
	SecretIDList     []string `json:"secretIdList"`
	Name             string   `json:"name"`
	KeyID            string   `json:"keyId"`
	SourceKeyID      string   `json:"sourceKeyId"`
	DestinationKeyID string   `json:"destinationKeyId"`
	TargetKeyID      string   `json:"targetKeyId"`
	PrimaryKeyARN    string   `json:"primaryKeyArn"`
	AliasName        string   `json:"aliasName"`

	EncryptionContext cloudtrail.RawJSON `json:"encryptionContext"`
}

type responseRefs struct {
	ARN         string       `json:"arn"`
	KeyMetadata *keyMetadata `json:"keyMetadata"`
}

type keyMetadata struct {
	ARN string `json:"arn"`
}

// extraRefs is what additional event data names.
type extraRefs struct {
	SecretID string `json:"SecretId"`
}

var (
	requestJSON  = cloudtrail.NewDecoder[requestRefs]()
	responseJSON = cloudtrail.NewDecoder[responseRefs]()
	extraJSON    = cloudtrail.NewDecoder[extraRefs]()
)

func (p *requestRefs) decode(params cloudtrail.RawJSON)    { requestJSON.Merge(params, p) }
func (r *responseRefs) decode(elements cloudtrail.RawJSON) { responseJSON.Merge(elements, r) }
func (x *extraRefs) decode(data cloudtrail.RawJSON)        { extraJSON.Merge(data, x) }
