package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Label kinds: the detector's finding kinds, plus decoys.
const (
	KindOffHours     = "off_hours"
	KindFailedAccess = "failed_access"
	KindFrequency    = "frequency"
	KindFirstSeen    = "first_seen"
	KindDestructive  = "destructive"
	KindPolicyChange = "policy_change"
	KindCrossAccount = "cross_account"
	// KindDecoy marks activity that looks suspicious and is not: the
	// detector must stay quiet about its principal within its window. The
	// Detail starts with what it is ("nightly_batch: …"), see DecoyKind.
	KindDecoy = "decoy"
)

// Decoy kinds, the first word of a decoy label's Detail.
const (
	DecoyNightlyBatch   = "nightly_batch"
	DecoyRotation       = "rotation"
	DecoyDeployBurst    = "deploy_burst"
	DecoyServiceDecrypt = "service_decrypt"
	DecoyRetryingApp    = "retrying_app"
)

// LabelsKey is the object name of the labels, next to AWSLogs/.
const LabelsKey = "labels.jsonl"

// Label is the ground truth for one incident or decoy. Principal and
// Resource are the canonical identifiers keytrail's ingest produces (role
// ARN, user ARN, root ARN or service principal; partial secret ARN; key
// ARN). Resource is empty when the incident spans many resources.
type Label struct {
	Kind      string    `json:"kind"`
	Principal string    `json:"principal"`
	Resource  string    `json:"resource,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	EventIDs  []string  `json:"event_ids"`
	Detail    string    `json:"detail,omitempty"`
}

// DecoyKind returns what a decoy is (DecoyNightlyBatch, …), or "" for an
// incident label.
func (l Label) DecoyKind() string {
	if l.Kind != KindDecoy {
		return ""
	}
	k, _, _ := strings.Cut(l.Detail, ":")
	return k
}

// WriteLabels writes labels as JSON lines.
func WriteLabels(w io.Writer, labels []Label) error {
	enc := json.NewEncoder(w)
	for _, l := range labels {
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("encode label: %w", err)
		}
	}
	return nil
}

// ReadLabels reads labels written by WriteLabels.
func ReadLabels(r io.Reader) ([]Label, error) {
	var out []Label
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var l Label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("label line %d: %w", n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	return out, nil
}
