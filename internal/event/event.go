// Package event defines keytrail's stored format: one normalized row per
// Secrets Manager or KMS CloudTrail record.
//
// The same struct is the Parquet schema (parquet tags), the JSON shape used by
// the CLI (json tags) and, through a test, the source of truth for the Athena
// DDL in queries/ and the Glue table in infra/. Change a column here and those
// tests tell you what else must change.
//
// Column conventions: lower-case snake_case; empty string means "not present
// in the record"; timestamps are UTC with millisecond precision; open-ended
// CloudTrail objects (requestParameters, additionalEventData, the KMS
// encryption context) are kept as JSON text so nothing the caller sent is lost.
//
// Encodings: a column whose values repeat within a file is dictionary
// encoded ("dict"): names, accounts, ARNs, and every column of the caller's
// identity, since one session makes many calls. Columns that are unique per
// row or nearly so (event and request ids, request parameters, the
// encryption context) are not: a dictionary would repeat them.
package event

import "time"

// Caller kinds classify who made a call. AWS services calling KMS on someone's
// behalf are the largest source of noise in every peer tool, so detection rules
// and queries filter on this column rather than re-deriving it.
const (
	CallerPerson   = "person"   // a human: IAM user, root, SSO/SAML/console session
	CallerWorkload = "workload" // an application: role session, federated web identity
	CallerService  = "service"  // an AWS service acting for someone (invokedBy, AWSService)
	CallerUnknown  = "unknown"
)

// Resource types for the resource_type column.
const (
	ResourceSecret = "secret"
	ResourceKey    = "key"
	ResourceAlias  = "alias" // a KMS alias the record did not resolve to a key
)

// Event is one normalized CloudTrail record. Field order is column order.
type Event struct {
	EventID         string    `parquet:"event_id" json:"event_id"`
	EventTime       time.Time `parquet:"event_time,timestamp(millisecond:utc)" json:"event_time"`
	EventVersion    string    `parquet:"event_version,dict" json:"event_version"`
	EventSource     string    `parquet:"event_source,dict" json:"event_source"`
	EventName       string    `parquet:"event_name,dict" json:"event_name"`
	EventType       string    `parquet:"event_type,dict" json:"event_type"`
	EventCategory   string    `parquet:"event_category,dict" json:"event_category"`
	ReadOnly        *bool     `parquet:"read_only,optional" json:"read_only,omitempty"`
	ManagementEvent *bool     `parquet:"management_event,optional" json:"management_event,omitempty"`
	AWSRegion       string    `parquet:"aws_region,dict" json:"aws_region"`
	RecipientAcct   string    `parquet:"recipient_account_id,dict" json:"recipient_account_id"`
	RequestID       string    `parquet:"request_id" json:"request_id,omitempty"`
	SharedEventID   string    `parquet:"shared_event_id" json:"shared_event_id,omitempty"`
	Failed          bool      `parquet:"failed" json:"failed"`
	ErrorCode       string    `parquet:"error_code,dict" json:"error_code,omitempty"`
	ErrorMessage    string    `parquet:"error_message,dict" json:"error_message,omitempty"`

	// Principal: who made the call.
	IdentityType     string `parquet:"identity_type,dict" json:"identity_type"`
	CallerKind       string `parquet:"caller_kind,dict" json:"caller_kind"`
	PrincipalARN     string `parquet:"principal_arn,dict" json:"principal_arn"`
	PrincipalID      string `parquet:"principal_id,dict" json:"principal_id,omitempty"`
	PrincipalAccount string `parquet:"principal_account_id,dict" json:"principal_account_id"`
	PrincipalName    string `parquet:"principal_name,dict" json:"principal_name"`
	SessionName      string `parquet:"session_name,dict" json:"session_name,omitempty"`
	CallerARN        string `parquet:"caller_arn,dict" json:"caller_arn,omitempty"`
	AccessKeyID      string `parquet:"access_key_id,dict" json:"access_key_id,omitempty"`
	MFAAuthenticated *bool  `parquet:"mfa_authenticated,optional" json:"mfa_authenticated,omitempty"`
	SessionIssuerARN string `parquet:"session_issuer_arn,dict" json:"session_issuer_arn,omitempty"`
	InvokedBy        string `parquet:"invoked_by,dict" json:"invoked_by,omitempty"`
	SourceIP         string `parquet:"source_ip,dict" json:"source_ip"`
	UserAgent        string `parquet:"user_agent,dict" json:"user_agent"`
	VPCEndpointID    string `parquet:"vpc_endpoint_id,dict" json:"vpc_endpoint_id,omitempty"`
	FromConsole      bool   `parquet:"from_console" json:"from_console,omitempty"`

	// Resource: the secret or key the call touched. ResourceARNs holds every
	// secret or key the record names (BatchGetSecretValue, ReEncrypt,
	// CreateAlias); ResourceARN is the first of them.
	ResourceARN     string   `parquet:"resource_arn,dict" json:"resource_arn"`
	ResourceType    string   `parquet:"resource_type,dict" json:"resource_type"`
	ResourceName    string   `parquet:"resource_name,dict" json:"resource_name"`
	ResourceAccount string   `parquet:"resource_account_id,dict" json:"resource_account_id"`
	ResourceARNs    []string `parquet:"resource_arns,list" json:"resource_arns"`
	KeyAlias        string   `parquet:"key_alias,dict" json:"key_alias,omitempty"`

	// The call's open-ended content, as JSON text.
	EncryptionContext   string `parquet:"encryption_context" json:"encryption_context,omitempty"`
	RequestParameters   string `parquet:"request_parameters" json:"request_parameters,omitempty"`
	ResponseElements    string `parquet:"response_elements" json:"response_elements,omitempty"`
	AdditionalEventData string `parquet:"additional_event_data" json:"additional_event_data,omitempty"`

	// Lineage: where the record came from.
	SourceObject string `parquet:"source_object,dict" json:"source_object"`
	SourceIndex  int64  `parquet:"source_index" json:"source_index"`
}

// Day is the event's UTC day, the lake's partition value.
func (e *Event) Day() string { return e.EventTime.UTC().Format(time.DateOnly) }
