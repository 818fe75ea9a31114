// Package review produces the quarterly access review: for each secret and
// key, who may use it and who did (the inventory's permissions joined with
// the period's events); then what a reviewer acts on: grants to revoke,
// people who may have left, secrets to delete, access from outside the
// organization, rotation; and what happened: who only failed, who came
// from other accounts, what was deleted or re-permissioned, the findings.
// A reviewer reads it (Markdown or a self-contained HTML page), signs it off,
// and keeps the CSV files as evidence.
//
// Every number comes from the query library (review_* and a few
// investigation queries), run by a Runner: DuckDB on a laptop, Athena in
// AWS. The period is always explicit; nothing here reads the clock.
//
// An empty report must never pass for a clean one. Build first asks which
// days of the period the lake holds events for (Coverage): a period with
// none is an error (ErrNoData), not a report of "None." everywhere, and a
// partly covered one says so at the top of every output. Likewise a period
// without an inventory says so at the top, and its sections built on the
// inventory say "not checked", never "None.". The rows ingest
// kept apart for an implausible event time (quarantine/) are listed too,
// read from the lake's objects, since no table holds them; a review that
// cannot read them says "not checked" rather than "none".
package review

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/queries"
)

// Runner runs a library query (queries/duck.DB and queries/athena.Runner).
type Runner interface {
	Run(ctx context.Context, q queries.Query, args map[string]string) (queries.Result, error)
}

// Period is the half-open interval [From, To), in UTC.
type Period struct {
	From, To time.Time
	Label    string // "2026-Q3", or "2026-07-01 to 2026-09-30"
}

var quarterRE = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)

// Quarter returns the calendar quarter named like "2026-Q3".
func Quarter(s string) (Period, error) {
	m := quarterRE.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("quarter %q: want YYYY-Qn, such as 2026-Q3", s)
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return Period{From: from, To: from.AddDate(0, 3, 0), Label: s}, nil
}

// PeriodOf is the period a reviewer names: a quarter ("2026-Q3"), or the
// days from..to, both inclusive; exactly one of the two forms.
func PeriodOf(quarter, from, to string) (Period, error) {
	switch {
	case quarter != "" && from == "" && to == "":
		return Quarter(quarter)
	case quarter == "" && from != "" && to != "":
		return Range(from, to)
	}
	return Period{}, errors.New("give either --quarter, or --from and --to")
}

// Range returns the days from..to, both inclusive (YYYY-MM-DD).
func Range(from, to string) (Period, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return Period{}, fmt.Errorf("from %q: want YYYY-MM-DD", from)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return Period{}, fmt.Errorf("to %q: want YYYY-MM-DD", to)
	}
	if t.Before(f) {
		return Period{}, fmt.Errorf("period ends (%s) before it starts (%s)", to, from)
	}
	return Period{From: f, To: t.AddDate(0, 0, 1), Label: from + " to " + to}, nil
}

// Last returns the last day of the period.
func (p Period) Last() time.Time { return p.To.AddDate(0, 0, -1) }

func (p Period) args() map[string]string {
	return map[string]string{"from": p.From.Format(time.RFC3339), "to": p.To.Format(time.RFC3339)}
}

// Section is one part of the report: a titled table.
type Section struct {
	ID    string // file name stem of its CSV
	Title string
	About string // one sentence on what it shows and why it matters
	// NotChecked, if set, says why the section could not be filled: it is
	// shown instead of "None." and the section has no CSV.
	NotChecked string
	// GroupBy, if set, names the columns that make a heading: the page
	// shows one table per value (per secret or key), the CSV every row.
	GroupBy []string
	// PageHide names columns the page leaves out so that a wide table
	// fits a laptop's width: what another column already shows there (the
	// page shows an ARN with its name first). review.md and the CSV keep
	// them.
	PageHide []string
	// PageMerge, if set, names a column the page joins (", ") over rows
	// that agree in every other column it shows: a principal's actions
	// under one grant make one row there, one row each in review.md and
	// the CSV.
	PageMerge string
	queries.Result
}

// Report is a finished review.
type Report struct {
	Period      Period
	HistoryFrom time.Time
	// Coverage is which days of the period the lake holds events for.
	Coverage Coverage
	// Inventory is the inventory day the review read, if any.
	Inventory Inventory
	Sections  []Section
	// Weekly is use per week; Top is the busiest principals over all
	// secrets and keys (for the charts).
	Weekly []Bar
	Top    []Bar
}

// Bar is one bar of a chart.
type Bar struct {
	Label string
	Value int64
}

// sectionSpec is one section of the review: the query it shows and what
// it needs.
type sectionSpec struct {
	id, query, title, about string
	// needs is what the section rests on besides the period's events:
	// needInventory (not checked without one), noInventory (shown only
	// without one: the events' answer when the inventory cannot give the
	// better one), or neither.
	needs             int
	groupBy, pageHide []string
	pageMerge         string
	// args adds the section's own parameters.
	args func(args map[string]string, rep *Report, opt Options)
	// aboutOf, if set, says what the section shows once it is filled.
	aboutOf func(s Section, opt Options) string
}

const (
	needInventory = 1 + iota
	noInventory
)

// The sections, in the order a reviewer works: who may and who did, then
// the actions (revoke, confirm leavers, delete, fix outside access,
// rotate), then what happened (failures, other accounts, changes,
// findings).
var sections = []sectionSpec{
	{id: "permissions", query: "review_permissions", title: "Who may and who did, per secret and key", needs: needInventory,
		about: "Every permission of the inventory (who may, by which policy statement or grant, under which conditions) with its use in the period (who did: last use and calls; empty when unused). " +
			"principal_class sets apart keytrail's own roles, AWS service principals, account roots and anyone (\"*\"); a use the inventory has no permission for says \"not in inventory\".",
		groupBy:  []string{"resource_name", "resource_type", "account", "owner", "resource_arn"},
		pageHide: []string{"principal_name", "via", "outside", "public"}, pageMerge: "action", args: selfArgs},
	{id: "revoke", query: "review_revoke", title: "Granted but unused: revoke", needs: needInventory, args: selfArgs,
		pageHide: []string{"principal_name", "principal_class", "outside"},
		about:    "Permissions whose principal made no successful data call to the resource in the period: remove the principal from the statement or grant named, or record why it is still needed."},
	{id: "leavers", query: "review_leavers", title: "People with access who made no call: confirm", needs: needInventory,
		about: "IAM users and IAM Identity Center roles that may use a secret or key and made no call at all in the period: confirm they have not left, or remove their access."},
	{id: "delete", query: "review_delete", title: "Secrets nobody used: delete", needs: needInventory,
		args: func(a map[string]string, rep *Report, opt Options) {
			a["idle_from"] = rep.Period.To.AddDate(0, 0, -opt.idleDays()).Format(time.RFC3339)
		},
		aboutOf: deleteAbout},
	{id: "outside", query: "review_outside", title: "Reachable from outside the organization: fix", needs: needInventory,
		about: "Permissions of principals outside the accounts the inventory covers, or of anyone (\"*\"), read from the policies as the detector reads them: remove them, or confirm each trust."},
	{id: "rotation", query: "review_rotation", title: "Rotation off or overdue, keys pending deletion", needs: needInventory,
		args: func(a map[string]string, _ *Report, opt Options) {
			a["max_rotation_days"] = strconv.Itoa(opt.maxRotationDays())
		},
		aboutOf: func(_ Section, opt Options) string {
			return fmt.Sprintf("Secrets with rotation off, or not rotated in the %d days before the inventory's day; customer managed symmetric keys without automatic rotation: turn rotation on or rotate. Keys pending deletion: confirm the date, or cancel the deletion.", opt.maxRotationDays())
		}},
	{id: "access", query: "review_access", title: "Who used each secret and key", needs: noInventory,
		about: "Data calls (reading or writing a secret value, cryptographic operations with a key) per principal: confirm each one still needs its access."},
	{id: "unused", query: "review_unused", title: "Secrets and keys nobody used", needs: noInventory,
		about: "Known from earlier activity, but no successful use in the period: candidates for deletion.",
		args: func(a map[string]string, rep *Report, _ Options) {
			a["history_from"] = rep.HistoryFrom.Format(time.RFC3339)
		}},
	{id: "failed_only", query: "review_failed_only", title: "Principals whose every call failed",
		about: "Denied or broken: probing, or credentials and permissions that should be cleaned up."},
	{id: "cross_account", query: "cross_account", title: "Principals from other accounts",
		about: "Calls by principals of another AWS account: confirm each trust is intended."},
	{id: "changes", query: "destructive_and_policy", title: "Deletions, policy and grant changes", pageHide: []string{"principal_name"},
		about: "Every attempt to delete or disable, change a resource or key policy, or create or retire a grant."},
	{id: "findings", query: "review_findings", title: "Findings",
		about: "What the detector raised in the period, most severe first."},
}

func selfArgs(a map[string]string, _ *Report, opt Options) {
	a["self_principals"] = strings.Join(opt.SelfPrincipals, " ")
}

// SecretMonthlyCost is what AWS charges for a secret a month, in US
// dollars (Secrets Manager pricing; each replica is billed as a secret).
const SecretMonthlyCost = 0.40

// Options tune a review.
type Options struct {
	// HistoryFrom is how far back "known" secrets and keys are looked up
	// when there is no inventory; zero means one year before the period.
	HistoryFrom time.Time
	// Top is how many principals the chart shows; zero means 10.
	Top int
	// Lake is where the quarantined rows are read from; nil leaves that
	// section marked not checked.
	Lake Objects
	// MaxRotationDays is the longest acceptable time between two
	// rotations of a secret; zero means 90.
	MaxRotationDays int
	// IdleDays is how long a secret must go unused, up to the period's
	// end, to be listed for deletion; zero means 90.
	IdleDays int
	// SelfPrincipals are keytrail's own roles (exact ARNs) besides those
	// under the path /keytrail/.
	SelfPrincipals []string
}

func (o Options) idleDays() int        { return cmp.Or(o.IdleDays, 90) }
func (o Options) maxRotationDays() int { return cmp.Or(o.MaxRotationDays, 90) }

// noInventoryReason is what a section built on the inventory says without one.
const noInventoryReason = "no inventory in the period (run keytrail inventory, or deploy the inventory function)"

// Build runs the review's queries for period p. It returns an error
// wrapping ErrNoData, and runs nothing else, when the lake holds no events
// for any day of the period. A period with events and no inventory gives a
// report that says so at the top, whose sections built on the inventory
// are not checked, and which shows the events' answers (who used each
// secret and key, what nobody used) instead.
func Build(ctx context.Context, r Runner, p Period, opt Options) (*Report, error) {
	rep := &Report{Period: p, HistoryFrom: opt.HistoryFrom}
	if rep.HistoryFrom.IsZero() {
		rep.HistoryFrom = p.From.AddDate(-1, 0, 0)
	}
	cov, err := Covered(ctx, r, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("review %s: %w", p.Label, err)
	}
	rep.Coverage = cov
	if rep.Inventory, err = InventoryOf(ctx, r, p); err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	have := rep.Inventory.Day != ""
	for _, s := range sections {
		sec := Section{ID: s.id, Title: s.title, About: s.about, GroupBy: s.groupBy, PageHide: s.pageHide, PageMerge: s.pageMerge}
		switch {
		case s.needs == noInventory && have:
			continue
		case s.needs == needInventory && !have:
			sec.NotChecked = noInventoryReason
		default:
			args := p.args()
			if s.args != nil {
				s.args(args, rep, opt)
			}
			if sec.Result, err = run(ctx, r, s.query, args); err != nil {
				return nil, err
			}
		}
		if s.aboutOf != nil {
			sec.About = s.aboutOf(sec, opt)
		}
		rep.Sections = append(rep.Sections, sec)
	}
	// The chart's busiest principals: from the access section where the
	// report shows it, else from its query.
	var access queries.Result
	if i := slices.IndexFunc(rep.Sections, func(s Section) bool { return s.ID == "access" }); i >= 0 {
		access = rep.Sections[i].Result
	} else if access, err = run(ctx, r, "review_access", p.args()); err != nil {
		return nil, err
	}
	weekly, err := run(ctx, r, "review_weekly", p.args())
	if err != nil {
		return nil, err
	}
	rep.Weekly = bars(weekly, "week", "calls")
	q, err := quarantine(ctx, opt.Lake, p)
	if err != nil {
		return nil, err
	}
	rep.Sections = append(rep.Sections, q, rep.Inventory.section())
	top := opt.Top
	if top <= 0 {
		top = 10
	}
	rep.Top = topPrincipals(access, top, opt.SelfPrincipals, rep.Inventory.Accounts)
	return rep, nil
}

// deleteAbout says what deleting the listed secrets saves, as AWS prices a
// secret.
func deleteAbout(s Section, opt Options) string {
	idle := opt.idleDays()
	about := fmt.Sprintf("Secrets with no use in the lake and none recorded by Secrets Manager in the %d days before the period's end (not those scheduled for deletion, nor younger ones): delete them, after checking with their owner.", idle)
	if s.NotChecked != "" {
		return about
	}
	n := len(s.Rows)
	return about + fmt.Sprintf(" Deleting the %d saves $%.2f a month, at $%.2f a secret a month as AWS prices it (replicas are billed as secrets too).", n, float64(n)*SecretMonthlyCost, SecretMonthlyCost)
}

// section is the inventory's coverage rows as evidence.
func (inv Inventory) section() Section {
	s := Section{ID: "coverage", Title: "Inventory coverage",
		About: "The accounts, regions and tables the inventory read on the day the review reads, and what it could not read: the sections above cover only these.", Result: inv.Rows}
	if inv.Day == "" {
		s.NotChecked = noInventoryReason
	}
	return s
}

func run(ctx context.Context, r Runner, name string, args map[string]string) (queries.Result, error) {
	q, err := queries.Get(name)
	if err != nil {
		return queries.Result{}, err
	}
	res, err := r.Run(ctx, q, args)
	if err != nil {
		return res, fmt.Errorf("review: %w", err)
	}
	return res, nil
}

func bars(r queries.Result, label, value string) []Bar {
	li, vi := r.Col(label), r.Col(value)
	if li < 0 || vi < 0 {
		return nil
	}
	var out []Bar
	for _, row := range r.Rows {
		n, _ := strconv.ParseInt(row[vi], 10, 64)
		out = append(out, Bar{Label: row[li], Value: n})
	}
	return out
}

// topPrincipals sums calls per principal over every resource, for the
// people and workloads a reviewer reviews: AWS services (a principal that
// is no ARN, such as cloudtrail.amazonaws.com) and keytrail's own roles
// (among self, or under /keytrail/ in an account of inside, those the
// inventory covers) are left out, as review_permissions sets them apart.
func topPrincipals(access queries.Result, n int, self, inside []string) []Bar {
	sum := map[string]int64{}
	for _, b := range bars(access, "principal_arn", "calls") {
		ours := slices.Contains(self, b.Label) ||
			(strings.Contains(b.Label, ":role/keytrail/") && slices.Contains(inside, arn.Account(b.Label)))
		if !strings.HasPrefix(b.Label, "arn:") || ours {
			continue
		}
		sum[b.Label] += b.Value
	}
	var out []Bar
	for l, v := range sum {
		out = append(out, Bar{Label: l, Value: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Value != out[j].Value {
			return out[i].Value > out[j].Value
		}
		return out[i].Label < out[j].Label
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
