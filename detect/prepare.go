package detect

import (
	"slices"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/event"
)

// Flags of an access.
const (
	fFailed   uint8 = 1 << iota // the call failed (error_code set)
	fService                    // an AWS service called (caller_kind service)
	fRotation                   // part of a secret's rotation (rotation Lambda steps)
	fPerson                     // caller_kind person or unknown
	fUse                        // a use of the secret or key (read, crypto operation), not management
)

// useEvents are the calls that use a secret's value or a key: what
// baselines, frequency and first_seen count. Management calls have rules of
// their own (destructive, policy_change).
var useEvents = map[string]bool{
	"GetSecretValue": true, "BatchGetSecretValue": true,
	"Decrypt": true, "Encrypt": true, "ReEncrypt": true, "GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true,
	"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true, "Sign": true, "Verify": true,
	"GenerateMac": true, "VerifyMac": true, "DeriveSharedSecret": true,
}

// An access is one counted use of one resource by one principal: the unit
// every rule and aggregate counts. A record naming several resources
// (BatchGetSecretValue) yields one access per resource it alone accounts for.
type access struct {
	t     int64  // event time, Unix milliseconds
	ev    int32  // index of the event in prepared.evs
	p, r  uint32 // interned principal and resource (0: none)
	flags uint8
}

func (a *access) ok() bool { return a.flags&(fFailed|fService|fRotation) == 0 }

// interner maps strings to small integers so the hot path compares and
// hashes integers, and holds each distinct string once.
type interner struct {
	ids  map[string]uint32
	strs []string
}

func newInterner() *interner {
	return &interner{ids: map[string]uint32{"": 0}, strs: []string{""}}
}

func (in *interner) id(s string) uint32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := uint32(len(in.strs))
	in.ids[s] = id
	in.strs = append(in.strs, s)
	return id
}

func (in *interner) str(id uint32) string { return in.strs[id] }

// prepared is a set of events counted once, in time order, with their
// accesses.
type prepared struct {
	evs   []*event.Event
	acc   []access // sorted by time, then event
	names *interner
}

const (
	sourceSM  = "secretsmanager.amazonaws.com"
	sourceKMS = "kms.amazonaws.com"
)

// batchSlack is how far apart a BatchGetSecretValue and the per-secret
// GetSecretValue entries it writes may be logged.
const batchSlack = 10 * time.Second

// rotationBefore and rotationAfter bound, around a rotation event of a
// secret, the calls by non-person callers that are the rotation's steps.
const (
	rotationBefore = 10 * time.Minute
	rotationAfter  = 30 * time.Minute
)

var rotationEvents = map[string]bool{
	"RotateSecret": true, "RotationStarted": true, "RotationSucceeded": true,
	"RotationFailed": true, "RotationAbandoned": true,
}

// prepare counts what happened, once:
//   - the same event_id twice (CloudTrail repeats, compaction) is one event;
//   - a cross-account KMS call, logged in both accounts with one
//     shared_event_id, is one event (the copy in the key owner's account);
//   - KMS calls Secrets Manager makes on a caller's behalf (invoked_by
//     secretsmanager, encryption context naming SecretARN) are part of the
//     secret access, not accesses of their own;
//   - BatchGetSecretValue writes one GetSecretValue per secret: those are the
//     accesses; the batch record only counts for secrets without one.
//
// Events are taken by pointer; rows must not change while in use.
func prepare(rows []event.Event, names *interner) *prepared {
	idx := make([]int32, 0, len(rows))
	seen := make(map[string]int32, len(rows))
	for i := range rows {
		e := &rows[i]
		if j, ok := seen[e.EventID]; ok {
			if event.Compare(*e, rows[j]) < 0 {
				seen[e.EventID] = int32(i)
			}
			continue
		}
		seen[e.EventID] = int32(i)
	}
	var shared map[string]int32
	for i := range rows {
		e := &rows[i]
		if seen[e.EventID] != int32(i) || e.SharedEventID == "" || e.EventSource != sourceKMS {
			continue
		}
		if shared == nil {
			shared = map[string]int32{}
		}
		if j, ok := shared[e.SharedEventID]; !ok || betterShared(e, &rows[j]) {
			shared[e.SharedEventID] = int32(i)
		}
	}
	for i := range rows {
		e := &rows[i]
		if seen[e.EventID] != int32(i) || derivedKMS(e) {
			continue
		}
		if e.SharedEventID != "" && e.EventSource == sourceKMS && shared[e.SharedEventID] != int32(i) {
			continue
		}
		idx = append(idx, int32(i))
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := rows[a].EventTime.Compare(rows[b].EventTime); c != 0 {
			return c
		}
		return strings.Compare(rows[a].EventID, rows[b].EventID)
	})
	p := &prepared{evs: make([]*event.Event, len(idx)), names: names}
	for k, i := range idx {
		p.evs[k] = &rows[i]
	}

	// Batches and their per-secret entries; rotation windows.
	type pr struct{ p, r string }
	var batchGSV map[pr][]int64 // GetSecretValue times of principals that batch
	var rotations map[string][]int64
	for _, e := range p.evs {
		if e.EventSource != sourceSM {
			continue
		}
		if e.EventName == "BatchGetSecretValue" && !e.Failed {
			if batchGSV == nil {
				batchGSV = map[pr][]int64{}
			}
			batchGSV[pr{e.PrincipalARN, ""}] = nil
		}
		if rotationEvents[e.EventName] && !e.Failed && e.ResourceARN != "" {
			if rotations == nil {
				rotations = map[string][]int64{}
			}
			rotations[e.ResourceARN] = append(rotations[e.ResourceARN], e.EventTime.UnixMilli())
		}
	}
	if batchGSV != nil {
		for _, e := range p.evs {
			if e.EventName == "GetSecretValue" && e.EventSource == sourceSM {
				if _, ok := batchGSV[pr{e.PrincipalARN, ""}]; ok {
					k := pr{e.PrincipalARN, e.ResourceARN}
					batchGSV[k] = append(batchGSV[k], e.EventTime.UnixMilli())
				}
			}
		}
	}

	p.acc = make([]access, 0, len(p.evs))
	for k, e := range p.evs {
		var fl uint8
		if e.Failed {
			fl |= fFailed
		}
		switch e.CallerKind {
		case event.CallerService:
			fl |= fService
		case event.CallerPerson, event.CallerUnknown, "":
			fl |= fPerson
		}
		if e.PrincipalARN == "" && e.InvokedBy == "" {
			fl |= fService // service events (rotation started, key deleted) have no caller
		}
		if useEvents[e.EventName] {
			fl |= fUse
		}
		t := e.EventTime.UnixMilli()
		pid := names.id(e.PrincipalARN)
		if e.EventName == "BatchGetSecretValue" && e.EventSource == sourceSM && !e.Failed {
			for _, r := range e.ResourceARNs {
				if coveredBy(batchGSV[pr{e.PrincipalARN, r}], t) {
					continue
				}
				p.acc = append(p.acc, access{t: t, ev: int32(k), p: pid, r: names.id(r), flags: fl})
			}
			continue
		}
		if fl&fPerson == 0 && e.EventSource == sourceSM && inRotation(rotations[e.ResourceARN], t) {
			fl |= fRotation
		}
		p.acc = append(p.acc, access{t: t, ev: int32(k), p: pid, r: names.id(e.ResourceARN), flags: fl})
	}
	return p
}

func coveredBy(times []int64, t int64) bool {
	for _, u := range times {
		if d := u - t; d >= -batchSlack.Milliseconds() && d <= batchSlack.Milliseconds() {
			return true
		}
	}
	return false
}

func inRotation(times []int64, t int64) bool {
	for _, u := range times {
		if t >= u-rotationBefore.Milliseconds() && t <= u+rotationAfter.Milliseconds() {
			return true
		}
	}
	return false
}

// betterShared reports whether a is the copy of a shared event to keep over
// b: the one logged in the resource owner's account, else the smaller id.
func betterShared(a, b *event.Event) bool {
	ao, bo := a.RecipientAcct == resourceAccount(a), b.RecipientAcct == resourceAccount(b)
	if ao != bo {
		return ao
	}
	return a.EventID < b.EventID
}

// derivedKMS reports a KMS call Secrets Manager made for a secret access.
func derivedKMS(e *event.Event) bool {
	return e.EventSource == sourceKMS && e.InvokedBy == sourceSM &&
		strings.Contains(e.EncryptionContext, "SecretARN")
}

// resourceAccount is the resource's account: the column, else the ARN's.
func resourceAccount(e *event.Event) string {
	if e.ResourceAccount != "" {
		return e.ResourceAccount
	}
	return arnAccount(e.ResourceARN)
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
