package ingest

import (
	"strings"

	"github.com/keytrail/keytrail/internal/cloudtrail"
)

// The few fields of request parameters, response elements and additional
// event data that name a secret or key. Their JSON shapes vary by call, so
// they are picked out member by member (cloudtrail.Members) rather than
// decoded whole. The picking follows encoding/json, which the json tags
// describe and TestRefsMatchEncodingJSON holds it to: a member name
// selects a field exactly, else ignoring case (CloudTrail's "aRN" is
// "arn"); a repeated member's last value wins; null leaves a string as it
// was; a value of another type is skipped and the rest still read.

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

// requestNames are requestRefs' member names; the string fields come
// first, in the order of stringFields.
var requestNames = []string{"secretId", "name", "keyId", "sourceKeyId", "destinationKeyId",
	"targetKeyId", "primaryKeyArn", "aliasName", "secretIdList", "encryptionContext"}

func (p *requestRefs) stringFields() [8]*string {
	return [8]*string{&p.SecretID, &p.Name, &p.KeyID, &p.SourceKeyID, &p.DestinationKeyID,
		&p.TargetKeyID, &p.PrimaryKeyARN, &p.AliasName}
}

func (p *requestRefs) decode(params cloudtrail.RawJSON) {
	fields := p.stringFields()
	cloudtrail.Members(params, func(name string, v cloudtrail.RawJSON) {
		switch i := field(name, requestNames); {
		case i < 0:
		case i < len(fields):
			setString(fields[i], v)
		case requestNames[i] == "secretIdList":
			setStrings(&p.SecretIDList, v)
		default: // encryptionContext
			p.EncryptionContext = v
		}
	})
}

type responseRefs struct {
	ARN         string       `json:"arn"`
	KeyMetadata *keyMetadata `json:"keyMetadata"`
}

type keyMetadata struct {
	ARN string `json:"arn"`
}

var (
	responseNames = []string{"arn", "keyMetadata"}
	arnName       = []string{"arn"}
)

func (r *responseRefs) decode(elements cloudtrail.RawJSON) {
	cloudtrail.Members(elements, func(name string, v cloudtrail.RawJSON) {
		switch field(name, responseNames) {
		case 0: // arn
			setString(&r.ARN, v)
		case 1: // keyMetadata
			if v == "null" {
				r.KeyMetadata = nil
				return
			}
			if r.KeyMetadata == nil {
				// As encoding/json does, whatever the value's type.
				r.KeyMetadata = new(keyMetadata)
			}
			cloudtrail.Members(v, func(name string, v cloudtrail.RawJSON) {
				if field(name, arnName) == 0 {
					setString(&r.KeyMetadata.ARN, v)
				}
			})
		}
	})
}

// extraRefs is what additional event data names.
type extraRefs struct {
	SecretID string `json:"SecretId"`
}

var extraNames = []string{"SecretId"}

func (x *extraRefs) decode(data cloudtrail.RawJSON) {
	cloudtrail.Members(data, func(name string, v cloudtrail.RawJSON) {
		if field(name, extraNames) == 0 {
			setString(&x.SecretID, v)
		}
	})
}

// field returns the index of the entry of names that a member name
// selects, as encoding/json matches member names to fields: exactly, else
// ignoring case; -1 for none. No two names may be equal ignoring case.
func field(name string, names []string) int {
	for i, n := range names {
		if name == n {
			return i
		}
	}
	for i, n := range names {
		if strings.EqualFold(name, n) {
			return i
		}
	}
	return -1
}

// setString sets *p to the string v holds; null and other types leave it.
func setString(p *string, v cloudtrail.RawJSON) {
	if s, ok := cloudtrail.StringValue(v); ok {
		*p = s
	}
}

// setStrings sets *p to the strings of the array v ("" for an element of
// another type), nil for null; other types leave it.
func setStrings(p *[]string, v cloudtrail.RawJSON) {
	switch {
	case v == "null":
		*p = nil
	case strings.HasPrefix(string(v), "["):
		list := (*p)[:0]
		if list == nil {
			list = []string{}
		}
		cloudtrail.Elements(v, func(e cloudtrail.RawJSON) {
			s, _ := cloudtrail.StringValue(e)
			list = append(list, s)
		})
		*p = list
	}
}
