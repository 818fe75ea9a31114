// Package finding defines what the detector produces and the alerter posts:
// one Finding per suspicious pattern, with the evidence to check it.
//
// The detector and the alerter never import each other; they meet on this
// type (as JSON lines, or as Parquet in the lake's findings/ table). Field
// names are part of keytrail's public interface: the README documents them
// and analysts query them in Athena, so rename nothing lightly.
package finding

import (
	"io"
	"time"

	"github.com/keytrail/keytrail/internal/parquetio"
)

// Kinds of finding, one per detection rule.
const (
	KindOffHours     = "off_hours"
	KindFailedAccess = "failed_access"
	KindFrequency    = "frequency"
	KindFirstSeen    = "first_seen"
	KindDestructive  = "destructive"
	KindPolicyChange = "policy_change"
	KindCrossAccount = "cross_account"
	// KindBulkRetrieval: secrets fetched wholesale (a catch-all
	// BatchGetSecretValue, many batches, many regions in minutes).
	KindBulkRetrieval = "bulk_retrieval"
)

// Severities, lowest first.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// SeverityRank orders severities; unknown ones rank lowest.
func SeverityRank(s string) int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// Finding is one detector result.
type Finding struct {
	// ID is deterministic: the same evidence yields the same id, so
	// replays and retries recognise a finding they have already produced.
	ID       string `json:"id" parquet:"id"`
	Kind     string `json:"kind" parquet:"kind,dict"`
	Severity string `json:"severity" parquet:"severity,dict"`
	// Principal is the canonical principal ARN (for a role session, the role).
	Principal string `json:"principal" parquet:"principal,dict"`
	// Resource is the canonical ARN of the secret or key; Resources lists
	// them all when a finding spans several.
	Resource  string   `json:"resource,omitempty" parquet:"resource,dict"`
	Resources []string `json:"resources,omitempty" parquet:"resources,list"`
	// Start and End bound the evidence (first and last event), UTC.
	Start time.Time `json:"start" parquet:"start,timestamp(millisecond:utc)"`
	End   time.Time `json:"end" parquet:"end,timestamp(millisecond:utc)"`
	Count int64     `json:"count" parquet:"count"`
	Title string    `json:"title" parquet:"title"`
	// Reason is a plain sentence with the numbers behind the finding.
	Reason   string   `json:"reason" parquet:"reason"`
	EventIDs []string `json:"event_ids" parquet:"event_ids,list"`
	// Query is the Athena SQL that shows the evidence, parameters filled
	// safely from the query library.
	Query string `json:"query" parquet:"query"`

	// Context for the message: taken from the evidence, all caller-controlled
	// except the account ids. Consumers must treat them as untrusted text.
	PrincipalName    string   `json:"principal_name,omitempty" parquet:"principal_name"`
	PrincipalAccount string   `json:"principal_account,omitempty" parquet:"principal_account"`
	CallerKind       string   `json:"caller_kind,omitempty" parquet:"caller_kind,dict"`
	SessionNames     []string `json:"session_names,omitempty" parquet:"session_names,list"`
	EventNames       []string `json:"event_names,omitempty" parquet:"event_names,list"`
	SourceIPs        []string `json:"source_ips,omitempty" parquet:"source_ips,list"`
	UserAgents       []string `json:"user_agents,omitempty" parquet:"user_agents,list"`
	VPCEndpoints     []string `json:"vpc_endpoints,omitempty" parquet:"vpc_endpoints,list"`
	Regions          []string `json:"regions,omitempty" parquet:"regions,list"`
	ErrorCodes       []string `json:"error_codes,omitempty" parquet:"error_codes,list"`
	// Shadow marks a finding from a rule in shadow mode: recorded, never posted.
	Shadow bool `json:"shadow,omitempty" parquet:"shadow"`
}

// WriteParquet writes findings as one Parquet file (the lake's findings table).
func WriteParquet(w io.Writer, fs []Finding) error { return parquetio.Write(w, fs) }

// ReadParquet reads a findings Parquet file.
func ReadParquet(r io.ReaderAt, size int64) ([]Finding, error) {
	return parquetio.Read[Finding](r, size)
}
