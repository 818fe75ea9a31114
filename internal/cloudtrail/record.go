// Package cloudtrail is keytrail's model of its input: CloudTrail log files as
// CloudTrail writes them to S3.
//
// Field names and JSON tags are CloudTrail's own, so a record decodes with the
// standard library and nothing is renamed on the way in. Open-ended objects
// (requestParameters, responseElements, additionalEventData) stay as raw JSON:
// their shape depends on the API call and the caller controls their content.
package cloudtrail

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record is one element of a log file's Records array.
type Record struct {
	EventVersion                 string        `json:"eventVersion"`
	UserIdentity                 *UserIdentity `json:"userIdentity"`
	EventTime                    string        `json:"eventTime"`
	EventSource                  string        `json:"eventSource"`
	EventName                    string        `json:"eventName"`
	AWSRegion                    string        `json:"awsRegion"`
	SourceIPAddress              string        `json:"sourceIPAddress"`
	UserAgent                    string        `json:"userAgent"`
	ErrorCode                    string        `json:"errorCode"`
	ErrorMessage                 string        `json:"errorMessage"`
	RequestParameters            RawJSON       `json:"requestParameters"`
	ResponseElements             RawJSON       `json:"responseElements"`
	AdditionalEventData          RawJSON       `json:"additionalEventData"`
	ServiceEventDetails          RawJSON       `json:"serviceEventDetails"`
	RequestID                    string        `json:"requestID"`
	EventID                      string        `json:"eventID"`
	ReadOnly                     *bool         `json:"readOnly"`
	Resources                    []Resource    `json:"resources"`
	EventType                    string        `json:"eventType"`
	ManagementEvent              *bool         `json:"managementEvent"`
	RecipientAccountID           string        `json:"recipientAccountId"`
	SharedEventID                string        `json:"sharedEventID"`
	VPCEndpointID                string        `json:"vpcEndpointId"`
	EventCategory                string        `json:"eventCategory"`
	SessionCredentialFromConsole string        `json:"sessionCredentialFromConsole"`
}

// UserIdentity is the record's userIdentity object.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId"`
	ARN              string          `json:"arn"`
	AccountID        string          `json:"accountId"`
	AccessKeyID      string          `json:"accessKeyId"`
	UserName         string          `json:"userName"`
	InvokedBy        string          `json:"invokedBy"`
	IdentityProvider string          `json:"identityProvider"`
	SessionContext   *SessionContext `json:"sessionContext"`
	OnBehalfOf       *OnBehalfOf     `json:"onBehalfOf"`
}

// SessionContext describes temporary credentials.
type SessionContext struct {
	SessionIssuer  *SessionIssuer     `json:"sessionIssuer"`
	Attributes     *SessionAttributes `json:"attributes"`
	SourceIdentity string             `json:"sourceIdentity"`
}

// SessionAttributes are a session's creation date and MFA flag.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// SessionIssuer is the role or user that issued a session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// OnBehalfOf names the Identity Center user behind a call.
type OnBehalfOf struct {
	UserID           string `json:"userId"`
	IdentityStoreARN string `json:"identityStoreArn"`
}

// Resource is an element of resources[]. CloudTrail writes the ARN under
// "ARN"; some sources write "arn", and Secrets Manager wrote "aRN" until
// 2024. Each spelling has its own field because encoding/json would
// otherwise match them case-insensitively to one field and keep the last.
type Resource struct {
	ARN       string `json:"ARN"`
	ARNLower  string `json:"arn"`
	ARNOdd    string `json:"aRN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// Arn returns the resource's ARN whichever key carried it.
func (r Resource) Arn() string {
	switch {
	case r.ARN != "":
		return r.ARN
	case r.ARNLower != "":
		return r.ARNLower
	}
	return r.ARNOdd
}

// ErrNoEventTime reports a record without a usable eventTime.
var ErrNoEventTime = errors.New("missing eventTime")

// timeLayouts are the eventTime forms seen in real data: CloudTrail's own
// RFC 3339, and the space-separated form that SIEM exports write back.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
}

// Time parses eventTime as UTC.
func (r *Record) Time() (time.Time, error) {
	if r.EventTime == "" {
		return time.Time{}, ErrNoEventTime
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, r.EventTime); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("eventTime %q: not an RFC 3339 time", r.EventTime)
}

// Version is a CloudTrail eventVersion, compared as (major, minor): "1.10" is
// newer than "1.9", which a float comparison gets wrong.
type Version struct{ Major, Minor int }

// ParseVersion parses "1.08" into Version{1, 8}.
func ParseVersion(s string) (Version, error) {
	maj, min, ok := strings.Cut(s, ".")
	if !ok {
		return Version{}, fmt.Errorf("event version %q: want MAJOR.MINOR", s)
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return Version{}, fmt.Errorf("event version %q: want MAJOR.MINOR", s)
	}
	return Version{a, b}, nil
}

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
func (v Version) Compare(w Version) int {
	switch {
	case v.Major != w.Major:
		if v.Major < w.Major {
			return -1
		}
		return 1
	case v.Minor < w.Minor:
		return -1
	case v.Minor > w.Minor:
		return 1
	}
	return 0
}
