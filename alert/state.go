package alert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
)

// Store is the part of the lake the alerter uses: findings to read, and
// delivery state under state/alert/ written with conditional writes.
// lake.Dir and the S3 store implement it.
type Store interface {
	Get(ctx context.Context, key string) (io.ReadCloser, lake.ObjectInfo, error)
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
	PutIfAbsent(ctx context.Context, key string, body io.Reader) error
	PutIfMatch(ctx context.Context, key string, body io.Reader, etag string) error
}

// StatePrefix holds the alerter's delivery state.
const StatePrefix = lake.StatePrefix + "alert/"

// Delivery states of a finding.
const (
	StateClaimed    = "claimed"    // a run is posting it (until LeaseUntil)
	StatePosted     = "posted"     // in Slack at Channel/TS: done
	StateFailed     = "failed"     // not delivered: the next run retries
	StateSuppressed = "suppressed" // a repeat inside the window: done
)

// Record is the delivery state of one finding, at
// state/alert/finding/<id>.json.
type Record struct {
	FindingID string `json:"finding_id"`
	State     string `json:"state"`
	Owner     string `json:"owner"`
	// ClaimedAt is the first claim: any post of this finding is younger,
	// which bounds the search of the channel's history after a crash.
	ClaimedAt  time.Time `json:"claimed_at"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Attempts   int       `json:"attempts"`
	// MaybePosted says a failed attempt may have reached Slack (a timeout,
	// a 5xx): the next run looks in the channel before posting.
	MaybePosted bool   `json:"maybe_posted,omitempty"`
	LastError   string `json:"last_error,omitempty"`

	Channel  string    `json:"channel,omitempty"`
	TS       string    `json:"ts,omitempty"`
	ThreadTS string    `json:"thread_ts,omitempty"`
	PostedAt time.Time `json:"posted_at,omitzero"`
	// What the post said (see grown): its severity, calls and resources.
	// Records written before these were kept have none, and are never
	// taken for a smaller version of their finding.
	Severity   string   `json:"severity,omitempty"`
	EventNames []string `json:"event_names,omitempty"`
	Resources  []string `json:"resources,omitempty"`

	// Group is the finding's subject (kind, principal, resource); Reserved
	// says this finding holds its slot in the subject's record (see
	// groupRecord), with the repeats it reports.
	Group           string    `json:"group"`
	Reserved        bool      `json:"reserved,omitempty"`
	Suppressed      int       `json:"suppressed,omitempty"`
	SuppressedSince time.Time `json:"suppressed_since,omitzero"`
	SuppressedBy    string    `json:"suppressed_by,omitempty"`
	// Escalates is the earlier finding of the subject this one is news
	// against; it is posted in that finding's thread.
	Escalates *Escalation `json:"escalates,omitempty"`
}

// Escalation says what a finding adds to an earlier finding of its
// subject posted inside the window.
type Escalation struct {
	FindingID string    `json:"finding_id"` // the latest earlier post of the subject
	PostedAt  time.Time `json:"posted_at"`
	// From and To are set when the severity is higher than any posted.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// NewCalls are event names no earlier post of the subject had.
	NewCalls []string `json:"new_calls,omitempty"`
	// OtherChange: the same calls, but another change (another added
	// principal or grantee, another account) or another set of calls.
	OtherChange bool `json:"other_change,omitempty"`
}

// groupRecord is the delivery state of one subject (kind, principal,
// resource), at state/alert/group/<hash>.json: what was posted for it, one
// entry per repeat key (see repeatKey). Records written before repeat
// keys existed hold no posts and read as empty: the next finding of such
// a subject is posted.
type groupRecord struct {
	Kind      string      `json:"kind"`
	Principal string      `json:"principal"`
	Resource  string      `json:"resource"`
	Posts     []groupPost `json:"posts,omitempty"`
}

// groupPost is the latest posted (or being posted) finding of a repeat key.
type groupPost struct {
	Repeat     string    `json:"repeat"`
	FindingID  string    `json:"finding_id"`
	Severity   string    `json:"severity"`
	EventNames []string  `json:"event_names,omitempty"`
	PostedAt   time.Time `json:"posted_at"`
	// Suppressed counts repeats since PostedAt, reported (and reset) by
	// the next finding of the key that is posted.
	Suppressed int `json:"suppressed,omitempty"`
}

// maxGroupPosts bounds a subject's record: the oldest entries go first.
const maxGroupPosts = 64

var safeID = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

// RecordKey returns the state key of a finding id. Ids are deterministic
// hashes in practice; anything else is hashed to a safe name.
func RecordKey(id string) string {
	return StatePrefix + "finding/" + safeName(id) + ".json"
}

// safeName returns id when it is safe in a key or file name, else a hash.
func safeName(id string) string {
	if !safeID.MatchString(id) {
		sum := sha256.Sum256([]byte(id))
		id = "h-" + hex.EncodeToString(sum[:16])
	}
	return id
}

func groupKey(group string) string {
	sum := sha256.Sum256([]byte(group))
	return StatePrefix + "group/" + hex.EncodeToString(sum[:16]) + ".json"
}

// readJSON reads the object at key into v and returns its ETag; a missing
// object returns lake.ErrNotFound.
func readJSON(ctx context.Context, s Store, key string, v any) (string, error) {
	rc, info, err := s.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return "", fmt.Errorf("decode %s: %w", key, err)
	}
	return info.ETag, nil
}

// writeJSON writes v at key: only if absent when etag is "", else only if
// unchanged. A lost race returns lake.ErrPrecondition. It returns the new
// ETag (read back: stores do not return it from a write).
func writeJSON(ctx context.Context, s Store, key string, v any, etag string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", key, err)
	}
	if etag == "" {
		err = s.PutIfAbsent(ctx, key, bytes.NewReader(b))
	} else {
		err = s.PutIfMatch(ctx, key, bytes.NewReader(b), etag)
	}
	if err != nil {
		return "", err
	}
	rc, info, err := s.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("read back %s: %w", key, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return "", fmt.Errorf("read back %s: %w", key, err)
	}
	if !bytes.Equal(got, b) {
		// Someone replaced it between our write and the read: treat as
		// a lost race.
		return "", fmt.Errorf("read back %s: changed: %w", key, lake.ErrPrecondition)
	}
	return info.ETag, nil
}

func isPrecondition(err error) bool { return errors.Is(err, lake.ErrPrecondition) }
func isNotFound(err error) bool     { return errors.Is(err, lake.ErrNotFound) }
