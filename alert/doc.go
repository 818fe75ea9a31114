// Package alert posts detector findings to the security team's Slack
// channel, one Block Kit message per finding, and keeps the delivery state
// that makes sure a finding is posted exactly once.
//
// # Messages
//
// A finding's message shows its severity as an emoji and a word (colour
// alone is not enough), the title, who (principal ARN, name, account,
// caller kind, session names), what (secret or key, event names, error
// codes), when (the team's time zone and UTC), where (source IPs, regions,
// user agents, VPC endpoints), why (the detector's reason, its window
// rewritten into the team's zone), the finding and event ids, a link to
// each event in the CloudTrail console's event history (no setup needed,
// see EventHistoryURL), the Athena SQL that shows the evidence and, when a
// workgroup is configured, a link to Athena (see FollowUp). A destructive
// finding also gives the deadline its call set and the command that
// undoes it, or says there is none, from the call's parameters (see
// undo.go and EventReader). The SQL is rebuilt from the finding's fields
// through the query library (Alerter.Query, see RebuildQuery), never taken
// from the finding as stored, and shown exactly as it runs, in a rich text
// preformatted block (no escaping, no look-alikes: see sqlBlock), without
// the query library's header comments. A query
// too long for a message is never cut: in bot-token mode it is attached
// whole as an .sql file in the message's thread (files:write scope), and a
// finding counts as posted only once its file is there too (a webhook
// cannot attach files: there the message says so). Block Kit limits are
// respected by construction: every untrusted value is capped, lists show
// their first items and a count, a text that would pass its limit ends
// with "… (truncated)", and a message never has more than 50 blocks.
// Untrusted text is rendered inert and copies back as it was written; see
// text.go for the rules.
//
// When a run has more findings to post than SummaryThreshold, it first
// posts one summary (counts by severity and kind, the top findings) and,
// in bot-token mode, posts every finding in the summary's thread. Webhook
// mode cannot thread: it posts the summary and then every finding as its
// own message, so nothing is only summarised.
//
// # Delivery state
//
// Every run re-reads the recent findings and decides per finding from its
// record at state/alert/finding/<id>.json (see Record):
//
//	(none) ──claim (PutIfAbsent)──▶ claimed ──post ok, PutIfMatch──▶ posted
//	                                  │  └──repeat in window──▶ suppressed
//	                                  └──post failed──▶ failed ──next run claims (PutIfMatch)──▶ claimed
//	claimed with an expired lease ──next run takes over (PutIfMatch)──▶ claimed
//
// Conditional writes decide every race: of two runs, exactly one creates
// the claim (PutIfAbsent) or replaces a given version of it (PutIfMatch);
// the other sees a live claim and leaves the finding alone. A claim holds
// for Lease, longer than any run.
//
// Each message carries the finding id in its Slack metadata (event type
// keytrail_finding). What happens at each crash point:
//
//   - before the claim: nothing happened; the next run starts afresh.
//   - after the claim, before posting: the lease expires, the next run
//     takes the claim over, finds no message and posts.
//   - after posting, before recording "posted": the next run takes the
//     expired claim over and, before posting, reads the channel's history
//     since the claim (conversations.history with metadata, and the threads
//     of keytrail summaries); it finds the message by its metadata and
//     records it as posted instead of posting again.
//   - a failed post that may have reached Slack (a 5xx, a timeout) is
//     looked up the same way, both before retrying within the run and
//     before the next run posts again.
//
// The history lookup needs the bot's channels:history (or groups:history)
// scope and the channel's ID. Webhook mode cannot read the channel: there,
// a crash between posting and recording means the finding is posted again
// (at least once rather than lost).
//
// Repeats: a finding whose id is recorded is never posted again. A
// different finding that repeats one posted less than SuppressWindow ago
// (the same kind, principal and resource, the same calls and the same
// change, and no higher severity; see repeatKey) is recorded as
// suppressed and counted in its subject's record
// (state/alert/group/<hash>.json); the next finding of that repeat key to
// be posted says how many were suppressed since. Anything else is news and
// is posted: a higher severity, another call, another added principal or
// grantee. News about a subject posted inside the window goes in the
// thread of the earlier message (sent to the channel too) and says what
// it escalates; the thread is recorded before posting, so the lookup after
// a crash searches it. The subject's record is written with conditional
// writes too, so two runs cannot both post the same thing first.
//
// A finding that cannot be delivered stays pending (failed, or claimed
// with a lease) and Run returns an error; the next run, which re-reads the
// findings of the last days, delivers it.
package alert
