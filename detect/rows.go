package detect

import (
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/event"
)

// row is an event.Event reduced to what the rules and findings read: the
// time as integers, repeated strings (names, ARNs, accounts, agents)
// interned, and the rare fields (policy documents, batch resources, shared
// ids) kept aside only for the calls that have them. A full Event is about
// 700 bytes before its strings; a row is about 120 and the event id.
type row struct {
	ms     int64     // event time, Unix milliseconds
	srcIdx int64     // source_index: breaks ties between copies of an event
	id     string    // event_id (a slice of its batch's id arena)
	x      *rowExtra // nil for most events
	ns     int32     // event time, nanoseconds after ms

	// Interned strings.
	source, name, principal, resource uint32
	resAcct                           uint32 // resource_account_id, else the resource ARN's account
	prinAcct, prinName, caller        uint32
	session, ip, ua, vpce, region     uint32
	errCode, srcObj, recipient        uint32

	flags uint8
}

// Flags of a row.
const (
	rFailed   uint8 = 1 << iota // failed
	rDerived                    // a KMS call Secrets Manager made for a secret access (see derivedKMS)
	rOwner                      // logged in the resource owner's account
	rNoCaller                   // neither principal_arn nor invoked_by: a service event
)

// rowExtra holds the fields few events have.
type rowExtra struct {
	shared    string   // shared_event_id of a KMS call
	params    string   // request_parameters of calls that are not uses
	resources []uint32 // resource_arns of BatchGetSecretValue
}

// time returns the event time, in UTC.
func (rw *row) time() time.Time {
	return time.UnixMilli(rw.ms).Add(time.Duration(rw.ns)).UTC()
}

func (rw *row) shared() string {
	if rw.x == nil {
		return ""
	}
	return rw.x.shared
}

func (rw *row) params() string {
	if rw.x == nil {
		return ""
	}
	return rw.x.params
}

// rowList is a list of rows in fixed-size chunks: it grows without copying
// (a slice of a million rows would, at its last growth, hold its old and new
// arrays at once) and pointers to its rows stay valid.
type rowList struct {
	chunks [][]row
	n      int
}

const rowChunk = 1 << 14

func (l *rowList) len() int { return l.n }

func (l *rowList) at(i int32) *row { return &l.chunks[i/rowChunk][i%rowChunk] }

func (l *rowList) push(rw row) {
	if l.n%rowChunk == 0 {
		l.chunks = append(l.chunks, make([]row, 0, rowChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, rw)
	l.n++
}

// table collects the events of an evaluation (or of a day's aggregate) as
// rows, batch by batch, counting each event_id once: of the copies of an
// event the one first by event.Compare is kept, as the full events would
// be. The batches' events are not retained.
type table struct {
	names      *interner
	rows       rowList
	seen       map[rowKey]int32 // an event's identity → index in rows
	recipients map[uint32]bool  // recipient accounts of every event read
	read       int              // events read, copies included

	sm, kms uint32 // interned sources
}

func newTable(names *interner) *table {
	return &table{
		names: names, seen: map[rowKey]int32{}, recipients: map[uint32]bool{},
		sm: names.id(sourceSM), kms: names.id(sourceKMS),
	}
}

// batchSize is how many events are read (and converted) at a time.
const batchSize = 4096

// addAll adds events in batches.
func (t *table) addAll(evs []event.Event) {
	for len(evs) > 0 {
		n := min(len(evs), batchSize)
		t.add(evs[:n])
		evs = evs[n:]
	}
}

// add converts a batch of events; the batch may be reused afterwards.
func (t *table) add(evs []event.Event) {
	t.read += len(evs)
	// One allocation holds the batch's event and request ids.
	n := 0
	for i := range evs {
		n += len(evs[i].EventID) + len(evs[i].RequestID)
	}
	var b strings.Builder
	b.Grow(n)
	for i := range evs {
		b.WriteString(evs[i].EventID)
		b.WriteString(evs[i].RequestID)
	}
	arena := b.String()
	off := 0
	for i := range evs {
		e := &evs[i]
		id := arena[off : off+len(e.EventID)]
		off += len(e.EventID)
		req := arena[off : off+len(e.RequestID)]
		off += len(e.RequestID)
		rw := t.convert(e, id)
		// The same identity as event.Event.Key: copies CloudTrail delivers
		// twice collapse; records that share an id and differ in name,
		// time or request are distinct events.
		k := rowKey{id: id, req: req, name: rw.name, ms: rw.ms, ns: rw.ns}
		if j, ok := t.seen[k]; ok {
			if old := t.rows.at(j); t.compare(&rw, old) < 0 {
				*old = rw
			}
			continue
		}
		t.seen[k] = int32(t.rows.len())
		t.rows.push(rw)
	}
}

// rowKey is an event's identity (see event.Event.Key) in interned form.
type rowKey struct {
	id, req string
	name    uint32
	ms      int64
	ns      int32
}

// compare orders rows as event.Compare orders their events.
func (t *table) compare(a, b *row) int {
	switch {
	case a.ms != b.ms:
		return cmpInt(a.ms, b.ms)
	case a.ns != b.ns:
		return cmpInt(a.ns, b.ns)
	case a.id != b.id:
		return strings.Compare(a.id, b.id)
	case a.srcObj != b.srcObj:
		return strings.Compare(t.names.str(a.srcObj), t.names.str(b.srcObj))
	}
	return cmpInt(a.srcIdx, b.srcIdx)
}

func cmpInt[T int32 | int64](a, b T) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func (t *table) convert(e *event.Event, id string) row {
	in := t.names
	ms := e.EventTime.UnixMilli()
	rw := row{
		ms: ms, ns: int32(e.EventTime.Nanosecond() % 1e6), id: id, srcIdx: e.SourceIndex,
		source: in.id(e.EventSource), name: in.id(e.EventName),
		principal: in.id(e.PrincipalARN), resource: in.id(e.ResourceARN), resAcct: in.id(resourceAccount(e)),
		prinAcct: in.id(e.PrincipalAccount), prinName: in.id(e.PrincipalName), caller: in.id(e.CallerKind),
		session: in.id(e.SessionName), ip: in.id(e.SourceIP), ua: in.id(e.UserAgent), vpce: in.id(e.VPCEndpointID),
		region: in.id(e.AWSRegion), errCode: in.id(e.ErrorCode), srcObj: in.id(e.SourceObject), recipient: in.id(e.RecipientAcct),
	}
	if e.Failed {
		rw.flags |= rFailed
	}
	if derivedKMS(e) {
		rw.flags |= rDerived
	}
	if e.RecipientAcct == resourceAccount(e) {
		rw.flags |= rOwner
	}
	if e.PrincipalARN == "" && e.InvokedBy == "" {
		if unidentified(e) {
			// A call with no identity at all is somebody's: count it as an
			// unknown caller of the account, never as a quiet service event.
			rw.principal = in.id(unknownCaller(e.RecipientAcct))
		} else {
			rw.flags |= rNoCaller
		}
	}
	if e.RecipientAcct != "" {
		t.recipients[in.id(e.RecipientAcct)] = true
	}
	shared, params, batch := e.SharedEventID != "", e.RequestParameters != "" && (!useEvents[e.EventName] || e.EventName == "BatchGetSecretValue"),
		e.EventName == "BatchGetSecretValue" && len(e.ResourceARNs) > 0
	if shared || params || batch {
		x := &rowExtra{}
		if shared {
			x.shared = strings.Clone(e.SharedEventID)
		}
		if params {
			x.params = strings.Clone(e.RequestParameters)
		}
		if batch {
			x.resources = make([]uint32, len(e.ResourceARNs))
			for i, r := range e.ResourceARNs {
				x.resources[i] = in.id(r)
			}
		}
		rw.x = x
	}
	return rw
}

// unidentified reports an API call whose record names no caller at all:
// no principal, no invoking service, no identity type. CloudTrail writes an
// identity for every API call; hand-made and edited records drop it.
func unidentified(e *event.Event) bool {
	return e.PrincipalARN == "" && e.InvokedBy == "" && e.IdentityType == "" &&
		(e.CallerKind == "" || e.CallerKind == event.CallerUnknown) && e.EventType != "AwsServiceEvent"
}

// unknownCaller names the principal of an unidentified call.
func unknownCaller(account string) string {
	if account == "" {
		return "(unknown caller)"
	}
	return "(unknown caller in account " + account + ")"
}

// knownAccounts returns the recipient accounts of the events read.
func (t *table) knownAccounts() []string {
	out := make([]string, 0, len(t.recipients))
	for a := range t.recipients {
		out = append(out, t.names.str(a))
	}
	return out
}
