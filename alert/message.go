package alert

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxBlocks      = 50
	maxHeaderText  = 150
	maxSectionText = 3000
	maxContextText = 2000
	maxFallback    = 3000 // Slack accepts 40,000; a notification shows far less
	maxListItems   = 10   // values shown per list (IPs, user agents, …)
	maxEventIDs    = 5
	maxTopItems    = 10 // findings listed in a summary
)

// MetadataEventType is the Slack message metadata event type carrying the
// finding id, so a later run can recognise a message it already posted.
const MetadataEventType = "keytrail_finding"

// Message is one Slack message: the fallback text, the blocks and, for a
// finding, its id (sent as message metadata) and the file to post in its
// thread (a follow-up query too long for the message), if any.
type Message struct {
	FindingID  string
	Text       string
	Blocks     []slack.Block
	Attachment *Attachment
	// Broadcast sends a reply in a thread to the channel too (an
	// escalation must not hide in a thread).
	Broadcast bool
}

// Metadata returns the message metadata carrying the finding id (empty for
// a summary).
func (m Message) Metadata() slack.SlackMetadata {
	if m.FindingID == "" {
		return slack.SlackMetadata{}
	}
	return slack.SlackMetadata{EventType: MetadataEventType, EventPayload: map[string]any{"finding_id": m.FindingID}}
}

// MarshalJSON renders the chat.postMessage payload (without channel and
// thread): what --dry-run prints and the golden files hold.
func (m Message) MarshalJSON() ([]byte, error) {
	p := struct {
		Text     string               `json:"text"`
		Blocks   slack.Blocks         `json:"blocks"`
		Metadata *slack.SlackMetadata `json:"metadata,omitempty"`
	}{Text: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}}
	if m.FindingID != "" {
		md := m.Metadata()
		p.Metadata = &md
	}
	return json.Marshal(p)
}

// Renderer turns findings into messages.
type Renderer struct {
	// Location is the team's time zone, shown next to UTC; nil means UTC only.
	Location *time.Location
	// Region, Workgroup and Database describe where the follow-up query runs.
	Region    string
	Workgroup string
	Database  string
}

// Extras is what a message says beyond the finding itself.
type Extras struct {
	// Suppressed counts repeats of this finding (see repeatKey) not
	// posted since SuppressedSince.
	Suppressed      int
	SuppressedSince time.Time
	// Escalates is the earlier finding of the same kind, principal and
	// resource this one is news against.
	Escalates *Escalation
	// QueryURL links the follow-up in the Athena console; QueryNote says
	// what it is (a started execution, or why it is only the editor).
	QueryURL  string
	QueryNote string
	// AttachQuery says a follow-up query too long for the message will be
	// attached in its thread (bot-token mode; a webhook cannot).
	AttachQuery bool
	// Calls are the finding's events as the lake holds them (see
	// EventReader), read for a destructive finding: their requests and
	// responses give the deadline and the undo commands.
	Calls []event.Event
}

// severity returns the emoji and word shown for a severity: the colour of
// an emoji alone is not enough, so the word is always there too.
func severity(s string) (emoji, word string) {
	switch s {
	case finding.SeverityCritical:
		return "🚨", "CRITICAL"
	case finding.SeverityHigh:
		return "🔴", "HIGH"
	case finding.SeverityMedium:
		return "🟠", "MEDIUM"
	case finding.SeverityLow:
		return "🟡", "LOW"
	}
	return "⚪", "UNKNOWN SEVERITY"
}

func mrkdwn(s string) *slack.TextBlockObject {
	// verbatim: no auto-linking of URLs, channel names or mentions.
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func section(s string) slack.Block { return slack.NewSectionBlock(mrkdwn(s), nil, nil) }

// Finding renders one finding. It shows f.Query as the follow-up query:
// callers pass a finding whose Query RebuildQuery has set (Alerter.Run
// does), never one as read from the lake.
func (r Renderer) Finding(f finding.Finding, x Extras) Message {
	emoji, word := severity(f.Severity)
	title := f.Title
	if title == "" {
		title = f.Kind
	}
	var blocks []slack.Block
	blocks = append(blocks, slack.NewHeaderBlock(plainText(clip(emoji+" "+word+" · "+plain(title, maxHeaderText), maxHeaderText))))

	top := newFit(maxSectionText)
	top.add("*Severity:* ", emoji, " *", word, "*   *Kind:* ", code(f.Kind), "   *Events:* ", fmt.Sprint(f.Count))
	if e := x.Escalates; e != nil {
		var why []string
		if e.To != "" {
			_, from := severity(e.From)
			_, to := severity(e.To)
			why = append(why, "severity "+from+" → "+to)
		}
		if len(e.NewCalls) > 0 {
			calls := newFit(maxSectionText / 2)
			addList(calls, e.NewCalls)
			why = append(why, "new calls "+calls.String())
		}
		if e.OtherChange {
			why = append(why, "another change or set of calls (see Why)")
		}
		top.add("\n:arrow_up: Escalates finding ", code(e.FindingID), " of the same kind, principal and resource, posted ",
			r.when(e.PostedAt), ": ", strings.Join(why, "; "), ".")
	}
	if x.Suppressed > 0 {
		top.add(fmt.Sprintf("\n:mute: %d repeat(s) of this finding (same kind, principal, resource, calls and change, no higher severity) were suppressed since %s.",
			x.Suppressed, r.when(x.SuppressedSince)))
	}
	blocks = append(blocks, section(top.String()))

	who := newFit(maxSectionText)
	who.add("*Who*")
	who.add("\nPrincipal: ", code(f.Principal))
	who.add("\nName: ", code(f.PrincipalName), " · Account: ", code(f.PrincipalAccount), " · Caller: ", code(f.CallerKind))
	if len(f.SessionNames) > 0 {
		who.add("\nSessions: ")
		addList(who, f.SessionNames)
	}
	blocks = append(blocks, section(who.String()))

	what := newFit(maxSectionText)
	what.add("*What*")
	res := f.Resources
	if len(res) == 0 && f.Resource != "" {
		res = []string{f.Resource}
	}
	what.add("\nResource: ")
	addList(what, res)
	what.add("\nActions: ")
	addList(what, f.EventNames)
	if len(f.ErrorCodes) > 0 {
		what.add("\nErrors: ")
		addList(what, f.ErrorCodes)
	}
	blocks = append(blocks, section(what.String()))

	when := "*When*\n" + r.span(f.Start, f.End)
	blocks = append(blocks, section(when))

	where := newFit(maxSectionText)
	where.add("*Where*")
	for _, l := range []struct {
		label string
		vs    []string
	}{{"Source IPs", f.SourceIPs}, {"Regions", f.Regions}, {"User agents", f.UserAgents}, {"VPC endpoints", f.VPCEndpoints}} {
		if len(l.vs) == 0 {
			continue
		}
		where.add("\n", l.label, ": ")
		addList(where, l.vs)
	}
	blocks = append(blocks, section(where.String()))

	blocks = append(blocks, section("*Why*\n"+codeFit(r.reason(f), maxSectionText, maxSectionText-len("*Why*\n"))))

	ev := newFit(maxSectionText)
	ev.add("*Evidence*\nFinding: ", code(f.ID))
	if len(f.EventIDs) > 0 {
		ev.add("\nEvent IDs: ")
		n := len(f.EventIDs)
		for i, id := range f.EventIDs[:min(n, maxEventIDs)] {
			if i > 0 {
				ev.add(", ")
			}
			ev.add(code(id))
		}
		if n > maxEventIDs {
			ev.add(fmt.Sprintf(" and %d more (the query lists them all)", n-maxEventIDs))
		}
	}
	blocks = append(blocks, section(ev.String()))

	att := queryAttachment(f)
	if f.Query != "" {
		blocks = append(blocks, sqlBlock(f.Query, att, x.AttachQuery))
	}
	if !x.AttachQuery {
		att = nil
	}
	if b := r.undoBlock(remedies(f, x.Calls)); b != nil {
		blocks = append(blocks, b)
	}
	links := newFit(maxSectionText)
	r.historyLinks(links, f, x.Calls)
	if x.QueryURL != "" || x.QueryNote != "" {
		var s string
		if x.QueryURL != "" {
			s = "<" + x.QueryURL + "|Open in Athena>"
		}
		if x.QueryNote != "" {
			s = strings.TrimSpace(s + " " + x.QueryNote)
		}
		if links.n > 0 {
			s = "\n" + s
		}
		links.add(s)
	}
	if links.n > 0 {
		blocks = append(blocks, section(links.String()))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(clip("keytrail · "+code(f.Kind)+" · finding "+code(f.ID), maxContextText))))

	return Message{
		FindingID:  f.ID,
		Text:       clip(emoji+" "+word+" keytrail finding: "+mrkdwnCode(title, 500), maxFallback),
		Blocks:     capBlocks(blocks),
		Attachment: att,
	}
}

// addList adds vs as code spans, as many as fit.
func addList(t *textFit, vs []string) {
	if len(vs) == 0 {
		t.add("—")
		return
	}
	for i, v := range vs {
		if i == maxListItems {
			t.add(fmt.Sprintf(", and %d more", len(vs)-maxListItems))
			return
		}
		sep := ""
		if i > 0 {
			sep = ", "
		}
		if !t.add(sep, code(v)) {
			return
		}
	}
}

// The follow-up SQL goes into a rich_text block as one preformatted text
// element. Text elements of rich text are not text objects: Slack parses
// no mrkdwn, no <…> control sequences and no entities in them (mentions
// and links are elements of their own), so the SQL is sent as it is, with
// no escaping and no look-alike for a backtick, and what is copied from
// Slack is the SQL that runs. RebuildQuery has made sure it holds no
// hidden rune.
//
// Slack documents no length limit for rich text, but refuses a message
// whose blocks together pass roughly 13,000 characters
// (msg_blocks_too_long), so the SQL is shown in the message only up to
// maxSectionText, as the other parts of a message are. A longer query is
// never cut: in bot-token mode it is attached whole as a file in the
// message's thread (see Attachment); a webhook cannot attach files, so
// there the message says where else to find it.

// maxSQL is the longest follow-up query shown in the message itself.
const maxSQL = maxSectionText

// Attachment is a file posted in a message's thread after the message.
type Attachment struct {
	Filename string
	Title    string
	Content  string
}

// queryAttachment returns the file that carries f's follow-up query when
// it is too long for the message, or nil.
func queryAttachment(f finding.Finding) *Attachment {
	if f.Query == "" || width(f.Query) <= maxSQL {
		return nil
	}
	name := safeName(f.ID)
	return &Attachment{
		Filename: "keytrail-finding-" + name + ".sql",
		Title:    "Follow-up query of keytrail finding " + name,
		Content:  f.Query,
	}
}

var (
	boldStyle = &slack.RichTextSectionTextStyle{Bold: true}
	codeStyle = &slack.RichTextSectionTextStyle{Code: true}
)

func richText(s string, style *slack.RichTextSectionTextStyle) slack.RichTextSectionElement {
	return slack.NewRichTextSectionTextElement(s, style)
}

// sqlBlock renders the follow-up query: whole in a preformatted element,
// or, when it is too long, a note saying where it is (attached in the
// thread when attach is set).
func sqlBlock(q string, att *Attachment, attach bool) slack.Block {
	label := richText("Follow-up query", boldStyle)
	if att == nil {
		return slack.NewRichTextBlock("",
			slack.NewRichTextSection(label, richText(" (Athena SQL, exactly as it runs)\n", nil)),
			&slack.RichTextPreformatted{Type: slack.RTEPreformatted, Elements: []slack.RichTextSectionElement{richText(q, nil)}},
		)
	}
	size := fmt.Sprintf(" (Athena SQL, %d characters): too long for a message", width(q))
	if attach {
		return slack.NewRichTextBlock("", slack.NewRichTextSection(label,
			richText(size+"; attached whole in this thread as ", nil), richText(att.Filename, codeStyle), richText(".", nil)))
	}
	return slack.NewRichTextBlock("", slack.NewRichTextSection(label,
		richText(size+", and a webhook cannot attach it: open it from the Athena link when the alerter starts it, or post in bot-token mode, which attaches it.", nil)))
}

// capBlocks keeps a message within the block limit.
func capBlocks(blocks []slack.Block) []slack.Block {
	if len(blocks) <= maxBlocks {
		return blocks
	}
	out := slices.Clone(blocks[:maxBlocks-1])
	return append(out, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("%d more blocks %s", len(blocks)-maxBlocks+1, truncMark))))
}

const timeLayout = "2006-01-02 15:04:05 MST"

// when renders t in the team's zone and in UTC.
func (r Renderer) when(t time.Time) string {
	u := t.UTC().Format(timeLayout)
	if r.Location == nil || r.Location == time.UTC {
		return u
	}
	return t.In(r.Location).Format(timeLayout) + " (" + u + ")"
}

// span renders start–end in the team's zone and in UTC.
func (r Renderer) span(start, end time.Time) string {
	utc := start.UTC().Format(timeLayout) + " – " + end.UTC().Format(timeLayout)
	if r.Location == nil || r.Location == time.UTC {
		return utc
	}
	local := start.In(r.Location).Format(timeLayout) + " – " + end.In(r.Location).Format(timeLayout)
	return local + " (" + r.Location.String() + ")\n" + utc
}

// The detector writes a finding's window into its reason in its own
// configured zone (detect's localSpan: "at Mon 2006-01-02 15:04 (Zone)" or
// "on Mon 2006-01-02 between 15:04 and 15:05 (Zone)", the date perhaps
// followed by " (holiday)"). A message shows one zone, the team's
// (Location), so reason rewrites that phrase into it, and only when the
// phrase is exactly the finding's window in the zone it names: anything
// else in the reason stays as the detector wrote it.
var spanRE = regexp.MustCompile(`\b(?:at|on) [A-Z][a-z]{2} \d{4}-\d{2}-\d{2}(?: \(holiday\))?(?: between)? \d{2}:\d{2}(?: and \d{2}:\d{2})? \(([A-Za-z0-9_+/-]{1,64})\)`)

// reason is f.Reason with its window in the team's zone.
func (r Renderer) reason(f finding.Finding) string {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	return spanRE.ReplaceAllStringFunc(f.Reason, func(m string) string {
		name := spanRE.FindStringSubmatch(m)[1]
		if name == loc.String() {
			return m
		}
		from, err := time.LoadLocation(name)
		if err != nil {
			return m
		}
		holiday := strings.Contains(m, " (holiday)")
		if localSpan(f.Start, f.End, from, holiday) != m {
			return m
		}
		same := f.Start.In(from).Format(time.DateOnly) == f.Start.In(loc).Format(time.DateOnly)
		out := localSpan(f.Start, f.End, loc, holiday && same)
		if holiday && !same {
			out += " (a holiday in " + name + ")"
		}
		return out
	})
}

// localSpan renders start–end as the detector does, in loc.
func localSpan(start, end time.Time, loc *time.Location, holiday bool) string {
	a, b := start.In(loc), end.In(loc)
	day := a.Format("Mon 2006-01-02")
	if holiday {
		day += " (holiday)"
	}
	if a.Equal(b) {
		return fmt.Sprintf("at %s %s (%s)", day, a.Format("15:04"), loc)
	}
	return fmt.Sprintf("on %s between %s and %s (%s)", day, a.Format("15:04"), b.Format("15:04"), loc)
}

var (
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	execRE   = regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)
)

// ExecutionURL links a started Athena query in the console ("" if region
// or id look wrong: the link must never carry text Slack would parse).
func ExecutionURL(region, id string) string {
	if !regionRE.MatchString(region) || !execRE.MatchString(id) {
		return ""
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/athena/home?region=%s#/query-editor/history/%s", region, region, id)
}

// EditorURL links Athena's query editor in region. The console cannot
// pre-fill SQL from a URL, so the message says to paste the query.
func EditorURL(region string) string {
	if !regionRE.MatchString(region) {
		return ""
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/athena/home?region=%s#/query-editor", region, url.QueryEscape(region))
}

// EventHistoryURL links one event in the CloudTrail console's event
// history ("" if region or id look wrong). The event history holds every
// management event of the last 90 days in its region with no setup (all
// Secrets Manager and KMS calls are management events), so this link works
// where no Athena workgroup is configured. AWS documents no URL parameters
// for the console; #/events/<event id> is the page the console itself
// shows for an event (its address bar when one opens an event from the
// list), the same form as the LookupEvents attribute EventId.
func EventHistoryURL(region, eventID string) string {
	if !regionRE.MatchString(region) || !eventIDRE.MatchString(eventID) {
		return ""
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudtrailv2/home?region=%s#/events/%s", region, region, eventID)
}

// eventIDRE: CloudTrail event ids are GUIDs; anything else (a finding
// written by hand, or tampered) gets no link.
var eventIDRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// historyLinks adds the event history links of f's events: each event in
// its own region when the lake said which, else in the finding's one
// region, else in the alerter's.
func (r Renderer) historyLinks(t *textFit, f finding.Finding, calls []event.Event) {
	regionOf := map[string]string{}
	for _, e := range calls {
		regionOf[e.EventID] = e.AWSRegion
	}
	def := r.Region
	if len(f.Regions) == 1 {
		def = f.Regions[0]
	}
	n := 0
	for _, id := range f.EventIDs[:min(len(f.EventIDs), maxEventIDs)] {
		u := EventHistoryURL(cmpOr(regionOf[id], def), id)
		if u == "" {
			continue
		}
		if n == 0 {
			t.add("CloudTrail event history (90 days): ")
		} else {
			t.add(" · ")
		}
		n++
		t.add("<" + u + "|" + fmt.Sprintf("event %d", n) + ">")
	}
}

// Summary renders the message that stands for many findings, posted
// before them (in token mode they go in its thread).
func (r Renderer) Summary(fs []finding.Finding, suppressed int, threaded bool) Message {
	bySev := map[string]int{}
	byKind := map[string]int{}
	top := ""
	for _, f := range fs {
		bySev[f.Severity]++
		byKind[f.Kind]++
		if top == "" || finding.SeverityRank(f.Severity) > finding.SeverityRank(top) {
			top = f.Severity
		}
	}
	emoji, _ := severity(top)
	var sevParts []string
	for _, s := range []string{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow} {
		if n := bySev[s]; n > 0 {
			e, w := severity(s)
			sevParts = append(sevParts, fmt.Sprintf("%s %d %s", e, n, strings.ToLower(w)))
		}
	}
	other := 0
	for s, n := range bySev {
		if finding.SeverityRank(s) == 0 {
			other += n
		}
	}
	if other > 0 {
		sevParts = append(sevParts, fmt.Sprintf("⚪ %d unknown severity", other))
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if byKind[a] != byKind[b] {
			return byKind[b] - byKind[a]
		}
		return strings.Compare(a, b)
	})

	head := fmt.Sprintf("%s keytrail: %d new findings", emoji, len(fs))
	blocks := []slack.Block{slack.NewHeaderBlock(plainText(clip(head, maxHeaderText)))}

	counts := newFit(maxSectionText)
	counts.add("*By severity:* ", strings.Join(sevParts, " · "))
	counts.add("\n*By kind:* ")
	for i, k := range kinds {
		sep := ""
		if i > 0 {
			sep = " · "
		}
		if !counts.add(sep, code(k), fmt.Sprintf(" %d", byKind[k])) {
			break
		}
	}
	blocks = append(blocks, section(counts.String()))

	list := newFit(maxSectionText)
	list.add("*Top findings*")
	for i, f := range fs {
		if i == maxTopItems {
			list.add(fmt.Sprintf("\n…and %d more", len(fs)-maxTopItems))
			break
		}
		e, w := severity(f.Severity)
		title := code(f.Kind)
		if f.Title != "" {
			title = mrkdwnCode(f.Title, 120)
		}
		if !list.add("\n", e, " *", w, "* · ", title, " · ", code(f.Principal)) {
			break
		}
	}
	blocks = append(blocks, section(list.String()))

	note := "Each finding follows as its own message."
	if threaded {
		note = "Each finding is posted in this thread."
	}
	if suppressed > 0 {
		note += fmt.Sprintf(" %d repeated finding(s) were suppressed in this run.", suppressed)
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(note)))

	text := fmt.Sprintf("keytrail: %d new findings (%s)", len(fs), strings.Join(sevParts, ", "))
	return Message{Text: clip(text, maxFallback), Blocks: capBlocks(blocks)}
}

// Preview renders msg as plain text for a terminal: the header, then each
// section and context, as Slack would lay them out (without formatting).
func (m Message) Preview() string {
	var b strings.Builder
	for _, bl := range m.Blocks {
		switch x := bl.(type) {
		case *slack.HeaderBlock:
			b.WriteString(x.Text.Text + "\n" + strings.Repeat("=", min(width(x.Text.Text), 72)) + "\n")
		case *slack.SectionBlock:
			if x.Text != nil {
				b.WriteString(x.Text.Text + "\n\n")
			}
		case *slack.RichTextBlock:
			for _, e := range x.Elements {
				switch el := e.(type) {
				case *slack.RichTextSection:
					for _, t := range el.Elements {
						if t, ok := t.(*slack.RichTextSectionTextElement); ok {
							b.WriteString(t.Text)
						}
					}
				case *slack.RichTextPreformatted:
					b.WriteString("```\n")
					for _, t := range el.Elements {
						if t, ok := t.(*slack.RichTextSectionTextElement); ok {
							b.WriteString(t.Text)
						}
					}
					b.WriteString("\n```")
				}
			}
			b.WriteString("\n\n")
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					b.WriteString(t.Text + "\n")
				}
			}
		}
	}
	return b.String()
}
