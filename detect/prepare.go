package detect

import (
	"slices"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/source"
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
// They are the kept sources' reads (internal/source).
var useEvents = set(source.Calls(func(s *source.Source) []string { return s.Reads }))

// An access is one counted use of one resource by one principal: the unit
// every rule and aggregate counts. A record naming several resources
// (BatchGetSecretValue) yields one access per resource it alone accounts for.
type access struct {
	t     int64  // event time, Unix milliseconds
	ev    int32  // position of the event in prepared.idx
	p, r  uint32 // interned principal and resource (0: none)
	flags uint8
}

func (a *access) ok() bool { return a.flags&(fFailed|fService|fRotation) == 0 }

// interner maps strings to small integers so the hot path compares and
// hashes integers, and holds each distinct string once (a copy, so that
// an interned string never keeps a decoded batch alive).
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
	s = strings.Clone(s)
	id := uint32(len(in.strs))
	in.ids[s] = id
	in.strs = append(in.strs, s)
	return id
}

func (in *interner) str(id uint32) string { return in.strs[id] }

// prepared is a set of events counted once, in time order, with their
// accesses.
type prepared struct {
	rows  *rowList
	idx   []int32  // the rows counted, by time and event id
	acc   []access // sorted by time, then event
	names *interner
}

// ev returns the event at position k of the time order.
func (p *prepared) ev(k int32) *row { return p.rows.at(p.idx[k]) }

// The kept sources' event_source values, which the rules compare often.
var (
	sourceSM  = source.SecretsManager.EventSource
	sourceKMS = source.KMS.EventSource
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
//   - the same event_id twice (CloudTrail repeats, compaction) is one event
//     (the table keeps one copy);
//   - a cross-account KMS call, logged in both accounts with one
//     shared_event_id, is one event (the copy in the key owner's account);
//   - KMS calls Secrets Manager makes on a caller's behalf (invoked_by
//     secretsmanager, encryption context naming SecretARN) are part of the
//     secret access, not accesses of their own;
//   - BatchGetSecretValue writes one GetSecretValue per secret: those are the
//     accesses; the batch record only counts for secrets without one.
//
// The table's rows are taken, not copied; it must not be added to after.
func prepare(t *table) *prepared {
	rows, names := &t.rows, t.names
	t.seen = nil // every event is read: the index of ids is done with
	var shared map[string]int32
	for i := range rows.len() {
		e := rows.at(int32(i))
		if e.source != t.kms || e.shared() == "" {
			continue
		}
		if shared == nil {
			shared = map[string]int32{}
		}
		if j, ok := shared[e.shared()]; !ok || betterShared(e, rows.at(j)) {
			shared[e.shared()] = int32(i)
		}
	}
	idx := make([]int32, 0, rows.len())
	for i := range rows.len() {
		e := rows.at(int32(i))
		if e.flags&rDerived != 0 {
			continue
		}
		if e.source == t.kms && e.shared() != "" && shared[e.shared()] != int32(i) {
			continue
		}
		idx = append(idx, int32(i))
	}
	slices.SortFunc(idx, func(a, b int32) int {
		x, y := rows.at(a), rows.at(b)
		if x.ms != y.ms {
			return cmpInt(x.ms, y.ms)
		}
		if x.ns != y.ns {
			return cmpInt(x.ns, y.ns)
		}
		return strings.Compare(x.id, y.id)
	})
	p := &prepared{rows: rows, idx: idx, names: names}

	// Batches and their per-secret entries; rotation windows.
	batchName, gsvName := names.id("BatchGetSecretValue"), names.id("GetSecretValue")
	var batchGSV map[pairKey][]int64 // GetSecretValue times of principals that batch
	var rotations map[uint32][]int64
	for _, i := range idx {
		e := rows.at(int32(i))
		if e.source != t.sm {
			continue
		}
		if e.name == batchName && e.flags&rFailed == 0 {
			if batchGSV == nil {
				batchGSV = map[pairKey][]int64{}
			}
			batchGSV[pairKey{e.principal, 0}] = nil
		}
		if e.flags&rFailed == 0 && e.resource != 0 && rotationEvents[names.str(e.name)] {
			if rotations == nil {
				rotations = map[uint32][]int64{}
			}
			rotations[e.resource] = append(rotations[e.resource], e.ms)
		}
	}
	if batchGSV != nil {
		for _, i := range idx {
			e := rows.at(int32(i))
			if e.name == gsvName && e.source == t.sm {
				if _, ok := batchGSV[pairKey{e.principal, 0}]; ok {
					k := pairKey{e.principal, e.resource}
					batchGSV[k] = append(batchGSV[k], e.ms)
				}
			}
		}
	}

	// Flags by name and caller kind, worked out once per distinct string.
	nameFlags := make([]int8, len(names.strs)) // 0 unknown, 1 use, -1 not
	callerFlags := make([]uint8, len(names.strs))
	callerDone := make([]bool, len(names.strs))
	p.acc = make([]access, 0, len(idx))
	for k, i := range idx {
		e := rows.at(int32(i))
		var fl uint8
		if e.flags&rFailed != 0 {
			fl |= fFailed
		}
		if !callerDone[e.caller] {
			switch names.str(e.caller) {
			case event.CallerService:
				callerFlags[e.caller] = fService
			case event.CallerPerson, event.CallerUnknown, "":
				callerFlags[e.caller] = fPerson
			}
			callerDone[e.caller] = true
		}
		fl |= callerFlags[e.caller]
		if e.flags&rNoCaller != 0 {
			fl |= fService // service events (rotation started, key deleted) have no caller
		}
		if nameFlags[e.name] == 0 {
			nameFlags[e.name] = -1
			if useEvents[names.str(e.name)] {
				nameFlags[e.name] = 1
			}
		}
		if nameFlags[e.name] > 0 {
			fl |= fUse
		}
		ms := e.ms
		if e.name == batchName && e.source == t.sm && e.flags&rFailed == 0 {
			if e.x == nil || len(e.x.resources) == 0 {
				// A batch whose response was not logged: the call itself.
				p.acc = append(p.acc, access{t: ms, ev: int32(k), p: e.principal, flags: fl})
				continue
			}
			for _, r := range e.x.resources {
				if coveredBy(batchGSV[pairKey{e.principal, r}], ms) {
					continue
				}
				p.acc = append(p.acc, access{t: ms, ev: int32(k), p: e.principal, r: r, flags: fl})
			}
			continue
		}
		if fl&fPerson == 0 && e.source == t.sm && inRotation(rotations[e.resource], ms) {
			fl |= fRotation
		}
		p.acc = append(p.acc, access{t: ms, ev: int32(k), p: e.principal, r: e.resource, flags: fl})
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
func betterShared(a, b *row) bool {
	ao, bo := a.flags&rOwner != 0, b.flags&rOwner != 0
	if ao != bo {
		return ao
	}
	return a.id < b.id
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
	return arn.Account(e.ResourceARN)
}
