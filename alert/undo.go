package alert

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/visible"
)

// Deadline and undo
//
// A destructive finding says what the call set in motion and how to take
// it back: the date a scheduled key deletion takes effect or a deleted
// secret's recovery window ends, and the AWS CLI command that undoes the
// call, or plainly that there is none (a secret deleted without recovery,
// a revoked grant). The finding holds only the call names and resources;
// the window, the alias name or the replica regions are in the call's
// request and response, so the alerter reads the finding's events from
// the lake (see EventReader). Without them it still names the command and
// gives the deadline's earliest and latest possible dates.
//
// Every value in a command comes from the event, so from the caller: each
// is quoted for a POSIX shell ('…', an embedded ' written '\''), and a
// command whose values hold a rune a reader cannot see is not shown (what
// is pasted must be what was read). Commands go in rich text, which Slack
// shows and copies as sent.

// Windows of the destructive calls that have one (the AWS defaults and
// bounds: ScheduleKeyDeletion's PendingWindowInDays, DeleteSecret's
// RecoveryWindowInDays).
const (
	defaultWindowDays = 30
	minWindowDays     = 7
	maxWindowDays     = 30
)

// remedy is what the message says about one destructive call.
type remedy struct {
	call     string // the event name
	resource string // what it acted on
	failed   string // the call's error code: it did nothing
	deadline time.Time
	// earliest and latest bound the deadline when the event was not read.
	earliest, latest time.Time
	deadlineWhat     string // what happens at the deadline
	note             string // trusted text
	commands         []string
	hidden           bool // a command was left out: its values hide a rune
}

// undoCalls are the destructive calls the message has something to say
// about (detect's default destructive list).
var undoCalls = map[string]bool{
	"ScheduleKeyDeletion": true, "DisableKey": true, "DeleteSecret": true, "DeleteAlias": true,
	"DisableKeyRotation": true, "CancelRotateSecret": true, "RemoveRegionsFromReplication": true,
	"StopReplicationToReplica": true, "DeleteImportedKeyMaterial": true, "DeleteCustomKeyStore": true,
	"DisconnectCustomKeyStore": true, "RetireGrant": true, "RevokeGrant": true,
}

// needsEvents reports whether f is a finding whose message shows
// remedies, so the events behind it are worth reading.
func needsEvents(f finding.Finding) bool {
	if f.Kind != finding.KindDestructive {
		return false
	}
	for _, n := range f.EventNames {
		if undoCalls[n] {
			return true
		}
	}
	return false
}

// remedies returns what to say about f's destructive calls: from calls
// (its events, read from the lake) when there are any, else from the
// finding alone.
func remedies(f finding.Finding, calls []event.Event) []remedy {
	if !needsEvents(f) {
		return nil
	}
	var out []remedy
	for _, e := range calls {
		if undoCalls[e.EventName] {
			out = append(out, fromEvent(e))
		}
	}
	if len(out) > 0 {
		return out
	}
	// No event: only a finding with one resource says which call touched what.
	res := f.Resource
	if res == "" && len(f.Resources) == 1 {
		res = f.Resources[0]
	}
	if res == "" {
		return nil
	}
	for _, n := range f.EventNames {
		if !undoCalls[n] {
			continue
		}
		e := event.Event{EventName: n, ResourceARN: res, AWSRegion: arnRegion(res)}
		r := fromEvent(e)
		if r.deadlineWhat != "" {
			r.earliest = f.Start.AddDate(0, 0, minWindowDays)
			r.latest = f.End.AddDate(0, 0, maxWindowDays)
		}
		if n == "DeleteSecret" {
			r.note = "The event was not read, so whether it had a recovery window is not known: restore-secret fails if it was deleted with --force-delete-without-recovery, and then there is no undo."
		}
		out = append(out, r)
	}
	return out
}

// fromEvent works out the remedy of one call. e may carry only its name,
// resource and region (a finding without its events): the remedy then
// has no deadline and the commands that need no request parameter.
func fromEvent(e event.Event) remedy {
	req, resp := jsonObject(e.RequestParameters), jsonObject(e.ResponseElements)
	read := e.EventID != ""
	r := remedy{call: e.EventName, resource: e.ResourceARN, failed: e.ErrorCode}
	if r.failed == "" && e.Failed {
		r.failed = "failed"
	}
	if r.resource == "" {
		r.resource = cmpOr(str(req, "keyId"), str(req, "secretId"))
	}
	region := cmpOr(arnRegion(r.resource), e.AWSRegion)
	key := func() string { return cmpOr(kmsKeyARN(e.ResourceARN), str(req, "keyId")) }
	secretID := cmpOr(secretARN(e.ResourceARN), str(req, "secretId"))
	add := func(args ...string) {
		if c, ok := shellCommand(region, args...); ok {
			r.commands = append(r.commands, c)
		} else {
			r.hidden = true
		}
	}
	window := func(field string) {
		r.deadline = parseDeletionDate(str(resp, "deletionDate"))
		if r.deadline.IsZero() && read && !e.EventTime.IsZero() {
			days := defaultWindowDays
			if n, ok := num(req, field); ok && n >= 1 && n <= 365 {
				days = n
			}
			r.deadline = e.EventTime.UTC().AddDate(0, 0, days)
		}
	}
	switch e.EventName {
	case "ScheduleKeyDeletion":
		window("pendingWindowInDays")
		r.deadlineWhat = "the key is deleted, and everything encrypted under it is lost"
		r.note = "Until then the key is pending deletion and refuses every use. Cancelling leaves it disabled: enable it too."
		if k := key(); k != "" {
			add("kms", "cancel-key-deletion", "--key-id", k)
			add("kms", "enable-key", "--key-id", k)
		}
	case "DisableKey":
		r.note = "The key refuses every cryptographic operation until it is enabled again."
		if k := key(); k != "" {
			add("kms", "enable-key", "--key-id", k)
		}
	case "DeleteSecret":
		if v, ok := boolean(req, "forceDeleteWithoutRecovery"); ok && v {
			r.note = "Deleted without a recovery window (--force-delete-without-recovery): the secret is gone at once and there is no undo. Recreate it from the source of its value."
			break
		}
		window("recoveryWindowInDays")
		r.deadlineWhat = "the secret is deleted for good"
		r.note = "Until then the secret is scheduled for deletion and cannot be read."
		if secretID != "" {
			add("secretsmanager", "restore-secret", "--secret-id", secretID)
		}
	case "DeleteAlias":
		alias := str(req, "aliasName")
		k := kmsKeyARN(e.ResourceARN)
		switch {
		case alias != "" && k != "":
			r.note = "Callers that name the key by its alias fail until it is created again."
			add("kms", "create-alias", "--alias-name", alias, "--target-key-id", k)
		case read:
			r.note = "The event does not name both the alias and its key: recreate the alias with aws kms create-alias."
		default:
			r.note = "The alias name is in the event, which was not read: recreate it with aws kms create-alias."
		}
	case "DisableKeyRotation":
		r.note = "The key is no longer rotated automatically. Enabling restores the default period unless you pass --rotation-period-in-days."
		if k := key(); k != "" {
			add("kms", "enable-key-rotation", "--key-id", k)
		}
	case "CancelRotateSecret":
		r.note = "Automatic rotation is off. rotate-secret turns it on again with the rotation settings the secret still has and rotates it now: check them first (aws secretsmanager describe-secret)."
		if secretID != "" {
			add("secretsmanager", "rotate-secret", "--secret-id", secretID)
		}
	case "RemoveRegionsFromReplication":
		regions := strs(req, "removeReplicaRegions")
		if secretID != "" && len(regions) > 0 {
			args := []string{"secretsmanager", "replicate-secret-to-regions", "--secret-id", secretID, "--add-replica-regions"}
			for _, rg := range regions {
				args = append(args, "Region="+rg)
			}
			add(args...)
			r.note = "The replicas were deleted. Replicating again creates new ones; add KmsKeyId=… to a region whose replica had its own key."
		} else {
			r.note = "The replicas were deleted; replicate the secret again with aws secretsmanager replicate-secret-to-regions."
		}
	case "StopReplicationToReplica":
		r.note = "The replica is now a standalone secret in its region. There is no undo: to replicate again, delete the standalone secret there and replicate the primary to that region."
	case "DeleteImportedKeyMaterial":
		r.note = "The key is unusable until the same key material is imported again (aws kms get-parameters-for-import, then import-key-material). Without a copy of the material there is no undo."
	case "DeleteCustomKeyStore":
		r.note = "A deleted custom key store cannot be restored: there is no undo. Create a new one with aws kms create-custom-key-store."
	case "DisconnectCustomKeyStore":
		r.note = "The keys in the store are unusable until it is connected again."
		if id := str(req, "customKeyStoreId"); id != "" {
			add("kms", "connect-custom-key-store", "--custom-key-store-id", id)
		}
	case "RetireGrant", "RevokeGrant":
		r.note = "A retired or revoked grant cannot be restored: there is no undo. If it was needed, create it again with aws kms create-grant (the grantee and operations it had)."
	}
	return r
}

// shellCommand renders an AWS CLI command, every argument that is not a
// plain flag quoted for a POSIX shell; ok is false when a value holds a
// rune a reader cannot see or is not valid UTF-8.
func shellCommand(region string, args ...string) (string, bool) {
	if region != "" {
		args = append(args, "--region", region)
	}
	parts := []string{"aws"}
	for i, a := range args {
		if !utf8.ValidString(a) || strings.IndexFunc(a, visible.Hidden) >= 0 {
			return "", false
		}
		if i < 2 || plainFlagRE.MatchString(a) {
			parts = append(parts, a) // service, operation and flags are ours
			continue
		}
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " "), true
}

var plainFlagRE = regexp.MustCompile(`^--[a-z][a-z-]*$`)

// shellQuote quotes s for a POSIX shell: inside '…' nothing is special but
// the quote itself, which is written '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// deletionDateLayouts are the forms CloudTrail writes a deletionDate in
// (the SDK's date in the service's US English rendering, in UTC).
var deletionDateLayouts = []string{
	"Jan 2, 2006, 3:04:05 PM",
	"Jan 2, 2006 3:04:05 PM",
	time.RFC3339,
}

// parseDeletionDate reads a response's deletionDate; zero when absent or
// in no known form (the window then gives the date).
func parseDeletionDate(s string) time.Time {
	for _, l := range deletionDateLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

func jsonObject(s string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if s != "" && json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

func str(m map[string]json.RawMessage, k string) string {
	var s string
	if json.Unmarshal(m[k], &s) != nil {
		return ""
	}
	return s
}

func num(m map[string]json.RawMessage, k string) (int, bool) {
	var n int
	if json.Unmarshal(m[k], &n) != nil {
		return 0, false
	}
	return n, true
}

func boolean(m map[string]json.RawMessage, k string) (bool, bool) {
	var b bool
	if json.Unmarshal(m[k], &b) != nil {
		return false, false
	}
	return b, true
}

// strs reads a list of strings, or of objects with a "region" (the SDK's
// shapes for replica regions).
func strs(m map[string]json.RawMessage, k string) []string {
	var ss []string
	if json.Unmarshal(m[k], &ss) == nil {
		return ss
	}
	var objs []struct {
		Region string `json:"region"`
	}
	if json.Unmarshal(m[k], &objs) != nil {
		return nil
	}
	for _, o := range objs {
		if o.Region != "" {
			ss = append(ss, o.Region)
		}
	}
	return ss
}

// arnRegion is the region field of an ARN ("" if it has none or it does
// not look like a region).
func arnRegion(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 || p[0] != "arn" || !regionRE.MatchString(p[3]) {
		return ""
	}
	return p[3]
}

func kmsKeyARN(arn string) string {
	if p := strings.SplitN(arn, ":", 6); len(p) == 6 && p[0] == "arn" && p[2] == "kms" && strings.HasPrefix(p[5], "key/") {
		return arn
	}
	return ""
}

func secretARN(arn string) string {
	if p := strings.SplitN(arn, ":", 6); len(p) == 6 && p[0] == "arn" && p[2] == "secretsmanager" && strings.HasPrefix(p[5], "secret:") {
		return arn
	}
	return ""
}

// maxUndo is the room the deadline-and-undo block takes at most.
const maxUndo = maxSectionText

// undoBlock renders the remedies as one rich text block, or nil. Names are
// shown with their hidden runes spelled out; commands are shown as built.
func (r Renderer) undoBlock(rs []remedy) slack.Block {
	if len(rs) == 0 {
		return nil
	}
	b := &richFit{limit: maxUndo - 64} // room for the "more calls" line
	b.add(piece{"Deadline and undo", boldStyle})
	for i, m := range rs {
		ps := []piece{{"\n", nil}, {m.call, boldStyle}, {" on ", nil},
			{visible.String(clipRunes(m.resource, maxValue)), codeStyle}, {": ", nil}}
		if m.failed != "" {
			ps = append(ps, piece{"the call failed (" + visible.String(clipRunes(m.failed, 64)) + "): it changed nothing, there is nothing to undo.", nil})
		} else {
			if !m.deadline.IsZero() {
				ps = append(ps, piece{"on " + r.when(m.deadline) + " " + m.deadlineWhat + ". ", nil})
			} else if !m.earliest.IsZero() {
				ps = append(ps, piece{"between " + r.when(m.earliest) + " and " + r.when(m.latest) +
					" (7 to 30 days after the call; the event has the date) " + m.deadlineWhat + ". ", nil})
			}
			ps = append(ps, piece{m.note, nil})
			for _, c := range m.commands {
				ps = append(ps, piece{"\n", nil}, piece{c, codeStyle})
			}
			if m.hidden {
				ps = append(ps, piece{"\n(A command is not shown: a value in it has a character a reader cannot see; see the event.)", nil})
			}
		}
		if !b.add(ps...) {
			b.limit += 64
			b.add(piece{fmt.Sprintf("\n… and %d more calls: see the events.", len(rs)-i), nil})
			break
		}
	}
	return slack.NewRichTextBlock("", slack.NewRichTextSection(b.els...))
}

// piece is one styled run of rich text.
type piece struct {
	text  string
	style *slack.RichTextSectionTextStyle
}

// richFit builds rich text up to limit characters from atomic groups of
// pieces, as textFit does for mrkdwn: a command is never cut.
type richFit struct {
	limit, n int
	els      []slack.RichTextSectionElement
}

// add appends the pieces (all or none) and reports whether they fitted.
func (b *richFit) add(ps ...piece) bool {
	n := 0
	for _, p := range ps {
		n += width(p.text)
	}
	if b.n+n > b.limit {
		return false
	}
	for _, p := range ps {
		b.els = append(b.els, richText(p.text, p.style))
	}
	b.n += n
	return true
}

// clipRunes cuts s to max runes, marking the cut.
func clipRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + truncMark
}
