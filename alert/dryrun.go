package alert

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/keytrail/keytrail/internal/finding"
)

// DryRun writes to w every message Run would post in bot-token mode,
// posting nothing and needing no Slack or Store: for each, its
// chat.postMessage JSON, a plain-text preview and the file posted in its
// thread (a follow-up query too long for the message). As in Run, the
// findings below MinSeverity are dropped, more than SummaryThreshold get a
// summary first, and each finding's follow-up query is rebuilt from its
// fields, not taken from the input. Delivery state is not read, so
// findings an earlier run posted are shown too.
func (a *Alerter) DryRun(ctx context.Context, w io.Writer, fs []finding.Finding) error {
	fs = Filter(fs, a.MinSeverity)
	var msgs []Message
	if len(fs) > cmp.Or(a.SummaryThreshold, DefaultSummaryThreshold) {
		msgs = append(msgs, a.Render.Summary(fs, 0, true))
	}
	for _, f := range fs {
		f = RebuildQuery(ctx, a.log(), a.Query, f)
		u, note := a.FollowUp.Link(ctx, f)
		msgs = append(msgs, a.Render.Finding(f, Extras{QueryURL: u, QueryNote: note, AttachQuery: true}))
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	for i, m := range msgs {
		fmt.Fprintf(w, "# message %d of %d: Block Kit JSON\n", i+1, len(msgs))
		if err := enc.Encode(m); err != nil {
			return err
		}
		fmt.Fprintf(w, "# message %d of %d: preview\n%s\n", i+1, len(msgs), m.Preview())
		if att := m.Attachment; att != nil {
			fmt.Fprintf(w, "# message %d of %d: attached in its thread as %s (%d bytes)\n%s\n", i+1, len(msgs), att.Filename, len(att.Content), att.Content)
		}
	}
	if len(msgs) == 0 {
		fmt.Fprintln(w, "no findings to post")
	}
	return nil
}

// String says in one line what the run did.
func (r Report) String() string {
	return fmt.Sprintf("posted %d, already posted %d, recovered %d, suppressed %d, held by another run %d, pending %d",
		len(r.Posted), r.AlreadyPosted, len(r.Recovered), len(r.Suppressed), r.Held, len(r.Failed))
}

// ReadFile reads JSON-lines findings (ReadJSONLines) from the file name,
// or from stdin for "-".
func ReadFile(name string, stdin io.Reader) ([]finding.Finding, error) {
	if name == "-" {
		return ReadJSONLines(stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fs, err := ReadJSONLines(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return fs, nil
}
