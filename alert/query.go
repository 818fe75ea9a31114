package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/visible"
)

// QueryFunc rebuilds a finding's follow-up query from its fields; in
// keytrail it is queries.Evidence, wired in cmd/ (the stage packages meet
// there, not in each other).
type QueryFunc func(finding.Finding) (string, error)

// The follow-up query
//
// A finding read from the lake carries the SQL the detector stored with it
// (Finding.Query), but the alerter never shows or runs that text: whoever
// can write findings/ would otherwise choose the SQL the alert role starts
// in Athena and the SQL analysts paste. RebuildQuery renders the query
// again from the finding's principal, resource and window through the
// query library, whose literals keep every caller-controlled value data. A
// stored query that differs from the rebuilt one is logged (a tampered
// finding, or one from an older detector) and replaced.
//
// The query shown and started is the rebuilt one without the library's
// header (its "-- @name", "-- @param", "-- @bind" lines, which document
// the template, not this query; see StripHeader): the comments inside the
// SQL stay.

// RebuildQuery returns f with Query replaced by the query q rebuilds from
// the finding's fields. When q is nil or fails, or its SQL holds a rune a
// reader cannot see (the SQL shown must be the SQL that runs, and nothing
// may hide in it), Query is empty: the message then has no follow-up query
// and none is started. It never keeps the stored query.
func RebuildQuery(ctx context.Context, log *slog.Logger, q QueryFunc, f finding.Finding) finding.Finding {
	stored := f.Query
	f.Query = ""
	if q == nil {
		return f
	}
	sql, err := q(f)
	if err == nil {
		err = checkShowable(sql)
	}
	if err != nil {
		log.ErrorContext(ctx, "rebuild follow-up query", "finding_id", f.ID, "err", err)
		return f
	}
	if stored != "" && stored != sql {
		sum := sha256.Sum256([]byte(stored))
		log.WarnContext(ctx, "stored follow-up query differs from the rebuilt one (tampered, or from an older detector); using the rebuilt one",
			"finding_id", f.ID, "stored_sha256", hex.EncodeToString(sum[:8]), "stored_bytes", len(stored))
	}
	f.Query = StripHeader(sql)
	return f
}

// StripHeader returns sql without its leading header: the lines at its
// start that are "-- @…" comments of the query library (and blank lines
// among them). Everything from the first other line on is kept as it is.
func StripHeader(sql string) string {
	rest := sql
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "-- @") {
			break
		}
		rest = after
	}
	return rest
}

// checkShowable refuses SQL that a reader could not see whole: invalid
// UTF-8, or a hidden rune other than a line break or a tab.
func checkShowable(sql string) error {
	if !utf8.ValidString(sql) {
		return errors.New("follow-up query is not valid UTF-8")
	}
	for i, r := range sql {
		if r != '\n' && r != '\t' && visible.Hidden(r) {
			return fmt.Errorf("follow-up query has the hidden character %s at byte %d", visible.Escape(r), i)
		}
	}
	return nil
}
