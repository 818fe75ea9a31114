package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/source"
	"go.yaml.in/yaml/v3"
)

// Config holds every detector setting. It is read from YAML (strict: unknown
// keys are errors) and validated by Validate, which also resolves the time
// zone, business hours and holidays into their parsed forms.
type Config struct {
	// Timezone is the team's IANA time zone; business hours and holidays are
	// in it. Default UTC.
	Timezone string `yaml:"timezone"`
	// BusinessHours is a list of "Mon-Fri 09:00-18:00" style ranges separated
	// by commas, e.g. "Mon-Thu 09:00-18:00,Fri 09:00-15:00".
	BusinessHours string `yaml:"business_hours"`
	// Holidays are local dates (YYYY-MM-DD) treated as off-hours all day.
	Holidays []string `yaml:"holidays"`

	// KnownAccounts are the organisation's own account ids: access from them
	// is not cross-account in the alerting sense. When empty (and
	// InferKnownAccounts is not false), the accounts whose own CloudTrail
	// the lake holds — the recipient accounts of the events — are taken as
	// the organisation's: an organization trail logs every member account,
	// and an outside account's calls reach the lake only through ours.
	KnownAccounts []string `yaml:"known_accounts"`
	// InferKnownAccounts turns the inference above off when false.
	InferKnownAccounts *bool `yaml:"infer_known_accounts"`
	// SelfPrincipals are keytrail's own roles; they are quiet for every
	// rule. Unset means none: a deployment knows its roles exactly (the
	// stack passes their ARNs to the detect function), and no pattern can
	// stand for them, because anyone can create a role of the same name or
	// path in an account of their own. Each entry is therefore an ARN whose
	// partition, service, region and account are written out (a glob may
	// follow in the resource part, e.g. role/keytrail/*); see
	// checkSelfPrincipal.
	SelfPrincipals []string `yaml:"self_principals"`
	// AllowPrincipals (ARN glob patterns) are quiet for every rule.
	AllowPrincipals []string `yaml:"allow_principals"`
	// Suppressions silence matching evidence for some rules, until they expire.
	Suppressions []Suppression `yaml:"suppressions"`

	// BaselineDays is how many days before an event make up its principal's
	// baseline (frequency, off-hours for workloads). Default 14.
	BaselineDays int `yaml:"baseline_days"`
	// HistoryDays is how far back first_seen looks for earlier access.
	// Default 30; never less than BaselineDays.
	HistoryDays int `yaml:"history_days"`
	// WarmupDays is how many days of history the lake must hold before
	// baseline rules (frequency, first_seen, workload off-hours) speak.
	// Default 7.
	WarmupDays int `yaml:"warmup_days"`

	Rules Rules `yaml:"rules"`

	loc      *time.Location
	hours    businessHours
	holidays map[string]bool
}

// Suppression silences findings of some rules for matching principals and
// resources. Hours (local time, "HH:MM-HH:MM", may wrap midnight) restrict it
// to a daily window, which is how a known job is described.
type Suppression struct {
	Name      string   `yaml:"name"`
	Principal string   `yaml:"principal"` // ARN glob, required
	Resource  string   `yaml:"resource"`  // ARN glob, empty = any
	Rules     []string `yaml:"rules"`     // empty = all rules
	Hours     string   `yaml:"hours"`     // empty = all day
	Expires   string   `yaml:"expires"`   // YYYY-MM-DD (end of that local day) or RFC 3339; empty = never
	Reason    string   `yaml:"reason"`

	from, to int       // minutes of the day when Hours is set
	expires  time.Time // zero = never
}

// Rule holds the settings every rule has.
type Rule struct {
	Enabled  *bool  `yaml:"enabled"`  // default true
	Severity string `yaml:"severity"` // base severity
	Shadow   bool   `yaml:"shadow"`   // record findings with Shadow=true, never alert
	// IncludeServices makes the rule see AWS service calls (caller_kind
	// service), which are quiet by default.
	IncludeServices bool `yaml:"include_services"`
}

// On reports whether the rule is enabled.
func (r Rule) On() bool { return r.Enabled == nil || *r.Enabled }

// Rules configures each rule.
type Rules struct {
	OffHours      OffHoursRule      `yaml:"off_hours"`
	FailedAccess  FailedAccessRule  `yaml:"failed_access"`
	Frequency     FrequencyRule     `yaml:"frequency"`
	FirstSeen     FirstSeenRule     `yaml:"first_seen"`
	Destructive   DestructiveRule   `yaml:"destructive"`
	PolicyChange  PolicyChangeRule  `yaml:"policy_change"`
	CrossAccount  CrossAccountRule  `yaml:"cross_account"`
	BulkRetrieval BulkRetrievalRule `yaml:"bulk_retrieval"`
}

// BulkRetrievalRule: secrets fetched wholesale. A BatchGetSecretValue whose
// filters match every secret (only negated or empty values, no id list) is
// reported at Severity; BatchMinCalls batches by one principal in a UTC day
// at BatchSeverity; retrieval in MinRegions regions within Window at
// Severity. None needs a baseline.
type BulkRetrievalRule struct {
	Rule `yaml:",inline"`
	// BatchMinCalls is the number of BatchGetSecretValue calls in a UTC day
	// that is reported. Default 5.
	BatchMinCalls int    `yaml:"batch_min_calls"`
	BatchSeverity string `yaml:"batch_severity"`
	// MinRegions distinct regions within Window. Defaults 5 and 10m.
	MinRegions int    `yaml:"min_regions"`
	Window     string `yaml:"window"`

	window int64 // ms
}

// OffHoursRule: access outside business hours. People always; workloads only
// when their own baseline shows no activity in that hour of the week (±1 h).
type OffHoursRule struct {
	Rule `yaml:",inline"`
	// Workloads enables the baseline check for workloads; false keeps them
	// quiet. Default true.
	Workloads *bool `yaml:"workloads"`
	// WorkloadSeverity is the severity for a workload. Default low.
	WorkloadSeverity string `yaml:"workload_severity"`
	// PersonHabitDays: a person (or a shared permission-set role) active
	// around this local hour on at least this many comparable baseline
	// days gets WorkloadSeverity: the late worker, the on-call night, the
	// IAM user a script runs as every morning. Default 2.
	PersonHabitDays int `yaml:"person_habit_days"`
}

// FailedAccessRule: failed calls per principal and hour.
type FailedAccessRule struct {
	Rule `yaml:",inline"`
	// MinResources distinct failing resources make a finding (Severity).
	// Default 3.
	MinResources int `yaml:"min_resources"`
	// EnumerationResources distinct failing resources make it an
	// enumeration (EnumerationSeverity). Default 5.
	EnumerationResources int `yaml:"enumeration_resources"`
	// PersonSeverity is the severity of a person's failures across
	// MinResources (fewer than EnumerationResources): exploring. Default low.
	PersonSeverity      string `yaml:"person_severity"`
	EnumerationSeverity string `yaml:"enumeration_severity"`
	// RetryMinFailures failures on fewer resources (a misconfigured
	// application retrying) make a RetrySeverity finding; 0 keeps them
	// quiet. Default 0.
	RetryMinFailures int    `yaml:"retry_min_failures"`
	RetrySeverity    string `yaml:"retry_severity"`
	// PersonMinFailures failures by a person in an hour, on however few
	// resources, make a Severity finding (denials while trying to read a
	// secret). Default 10.
	PersonMinFailures int `yaml:"person_min_failures"`
	// BrokenMinFailures failures of a workload on one resource in an hour,
	// at least BrokenShare of its calls there, make a BrokenSeverity
	// finding: a dependency that broke (a disabled key, a deleted secret, a
	// changed policy). Default 3; BrokenShare default 0.9; severity low.
	BrokenMinFailures int     `yaml:"broken_min_failures"`
	BrokenShare       float64 `yaml:"broken_share"`
	BrokenSeverity    string  `yaml:"broken_severity"`
	// IgnoreErrorCodes are not failures of access (default: throttling).
	IgnoreErrorCodes []string `yaml:"ignore_error_codes"`
}

// FrequencyRule: access volume or breadth unusual against the principal's
// own baseline at the same local hour on the same kind of day.
type FrequencyRule struct {
	Rule `yaml:",inline"`
	// MinCount is the fewest calls in an hour that can be unusual. Default 20.
	MinCount int `yaml:"min_count"`
	// Ratio: observed must be at least Ratio × the baseline median. Default 3.
	Ratio float64 `yaml:"ratio"`
	// MADs: observed must exceed median + MADs × scaled MAD. Default 6.
	MADs float64 `yaml:"mads"`
	// MinDistinct is the fewest distinct resources in an hour that can be an
	// unusual breadth. Default 8.
	MinDistinct int `yaml:"min_distinct"`
	// MinSamples of the same day type (business/non-business) are needed,
	// else all baseline days are used. Default 3.
	MinSamples int `yaml:"min_samples"`
	// ColdMinDistinct distinct resources in an hour by a principal with no
	// history is reported without a baseline (Severity; high from twice
	// as many). Default 10.
	ColdMinDistinct int `yaml:"cold_min_distinct"`
	// HabitSeverity is the severity of a volume jump by a workload that
	// reads only what it always reads, at an hour it is usually active
	// (releases, scale-outs). Default low.
	HabitSeverity string `yaml:"habit_severity"`
}

// FirstSeenRule: a principal touching a secret or key it never touched in
// HistoryDays.
type FirstSeenRule struct {
	Rule `yaml:",inline"`
	// NewPrincipals also reports principals with no history at all (a
	// new role or access key is where attacks start). Default true.
	NewPrincipals *bool `yaml:"new_principals"`
	// WorkloadSeverity is the severity for a workload. Default low.
	WorkloadSeverity string `yaml:"workload_severity"`
	// WorkloadDrift: the hour in which a workload's count of resources new
	// to it since the start of the UTC day reaches this number is reported
	// at Severity (slow exfiltration spreads over hours). Default 5.
	WorkloadDrift int `yaml:"workload_drift"`
}

// DestructiveRule: calls that destroy or disable secrets and keys.
type DestructiveRule struct {
	Rule `yaml:",inline"`
	// Events replaces the default list of destructive event names.
	Events []string `yaml:"events"`
	// CriticalEvents are reported as critical. Default ScheduleKeyDeletion,
	// DeleteImportedKeyMaterial, DeleteSecret with ForceDeleteWithoutRecovery.
	CriticalEvents []string `yaml:"critical_events"`
	// CleanupSeverity is used for DeleteSecret with a recovery window of
	// secrets the same principal created earlier in the evaluated events
	// (test secrets created and removed). Default low.
	CleanupSeverity string `yaml:"cleanup_severity"`
}

// PolicyChangeRule: resource policies, key policies, grants and rotation
// configuration.
type PolicyChangeRule struct {
	Rule `yaml:",inline"`
	// Events replaces the default list of policy-changing event names.
	Events []string `yaml:"events"`
	// OpenSeverity is used when a change adds a principal outside the known
	// accounts. Default high.
	OpenSeverity string `yaml:"open_severity"`
	// InsideSeverity is used when a policy or grant changes who may call
	// but lets in no one outside the organization. Default low.
	InsideSeverity string `yaml:"inside_severity"`
	// PublicSeverity is used when a change lets in everyone: a wildcard
	// principal that no condition confines to an organization, account,
	// network or service. Default critical.
	PublicSeverity string `yaml:"public_severity"`
}

// CrossAccountRule: a principal of another account using a secret or key, or
// a policy or grant opening one to another account.
type CrossAccountRule struct {
	Rule `yaml:",inline"`
	// KnownSeverity is used for principals of known accounts; empty keeps
	// them quiet. Default empty.
	KnownSeverity string `yaml:"known_severity"`
	// DepartSeverity is used for a principal of an outside account that
	// used the resource throughout the baseline (a partner) when its volume
	// departs from its own baseline; within its baseline it is quiet.
	// Default medium.
	DepartSeverity string `yaml:"depart_severity"`
	// PolicyOpenings also reports a policy or grant opening a resource to
	// another account as a cross_account finding. Off by default: the
	// policy_change finding already names the accounts, at open_severity.
	PolicyOpenings bool `yaml:"policy_openings"`
}

// Default names of destructive and policy-changing calls: the kept
// sources' (internal/source).
var (
	defaultDestructive = source.Calls(func(s *source.Source) []string { return s.Destructive })
	defaultCritical    = source.Calls(func(s *source.Source) []string { return s.Critical })
	defaultPolicy      = source.Calls(func(s *source.Source) []string { return s.Policy })
)

// LoadConfig reads a YAML config strictly and validates it. An empty input
// is the default configuration.
func LoadConfig(data []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// DefaultConfig returns the validated default configuration.
func DefaultConfig() *Config {
	c := &Config{}
	if err := c.Validate(); err != nil {
		panic(err) // the defaults are valid; a test checks it
	}
	return c
}

// Validate fills defaults and checks every setting, naming the setting and
// the bad value in its error. It must be called after changing a field.
func (c *Config) Validate() error {
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "Local" {
		return fmt.Errorf("config: timezone %q: not an IANA time zone name", c.Timezone)
	}
	c.loc = loc
	if c.BusinessHours == "" {
		c.BusinessHours = "Mon-Fri 09:00-18:00"
	}
	if c.hours, err = ParseBusinessHours(c.BusinessHours); err != nil {
		return fmt.Errorf("config: business_hours: %w", err)
	}
	c.holidays = map[string]bool{}
	for _, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return fmt.Errorf("config: holidays: %q is not a date (YYYY-MM-DD)", h)
		}
		c.holidays[h] = true
	}
	for _, a := range c.KnownAccounts {
		if !arn.IsAccountID(a) {
			return fmt.Errorf("config: known_accounts: %q is not a 12-digit account id", a)
		}
	}
	for _, g := range c.SelfPrincipals {
		if err := checkSelfPrincipal(g); err != nil {
			return fmt.Errorf("config: self_principals: %w", err)
		}
	}
	for name, globs := range map[string][]string{"self_principals": c.SelfPrincipals, "allow_principals": c.AllowPrincipals} {
		for _, g := range globs {
			if g == "" {
				return fmt.Errorf("config: %s: bad pattern %q", name, g)
			}
		}
	}
	if err := defaultInt("baseline_days", &c.BaselineDays, 14, 1, 90); err != nil {
		return err
	}
	if err := defaultInt("history_days", &c.HistoryDays, 30, 1, 400); err != nil {
		return err
	}
	c.HistoryDays = max(c.HistoryDays, c.BaselineDays)
	if err := defaultInt("warmup_days", &c.WarmupDays, 7, 0, c.HistoryDays); err != nil {
		return err
	}
	for i := range c.Suppressions {
		if err := c.Suppressions[i].validate(c.loc); err != nil {
			return fmt.Errorf("config: suppressions[%d]: %w", i, err)
		}
	}
	return c.Rules.validate()
}

func (s *Suppression) validate(loc *time.Location) error {
	if s.Principal == "" {
		return errors.New("principal: required")
	}
	for _, r := range s.Rules {
		if !slices.Contains(ruleNames, r) {
			return fmt.Errorf("rules: unknown rule %q", r)
		}
	}
	if s.Hours != "" {
		from, to, err := parseClockRange(s.Hours, true)
		if err != nil {
			return fmt.Errorf("hours: %w", err)
		}
		s.from, s.to = from, to
	}
	if s.Expires != "" {
		if d, err := time.ParseInLocation(time.DateOnly, s.Expires, loc); err == nil {
			s.expires = d.AddDate(0, 0, 1)
		} else if t, err := time.Parse(time.RFC3339, s.Expires); err == nil {
			s.expires = t
		} else {
			return fmt.Errorf("expires: %q is not a date (YYYY-MM-DD) or RFC 3339 time", s.Expires)
		}
	}
	return nil
}

var ruleNames = []string{
	finding.KindOffHours, finding.KindFailedAccess, finding.KindFrequency, finding.KindFirstSeen,
	finding.KindDestructive, finding.KindPolicyChange, finding.KindCrossAccount, finding.KindBulkRetrieval,
}

func (r *Rules) validate() error {
	type base struct {
		name string
		r    *Rule
		def  string
	}
	for _, b := range []base{
		{finding.KindOffHours, &r.OffHours.Rule, finding.SeverityMedium},
		{finding.KindFailedAccess, &r.FailedAccess.Rule, finding.SeverityMedium},
		{finding.KindFrequency, &r.Frequency.Rule, finding.SeverityMedium},
		{finding.KindFirstSeen, &r.FirstSeen.Rule, finding.SeverityMedium},
		{finding.KindDestructive, &r.Destructive.Rule, finding.SeverityHigh},
		{finding.KindPolicyChange, &r.PolicyChange.Rule, finding.SeverityMedium},
		{finding.KindCrossAccount, &r.CrossAccount.Rule, finding.SeverityHigh},
		{finding.KindBulkRetrieval, &r.BulkRetrieval.Rule, finding.SeverityHigh},
	} {
		if err := severity("rules."+b.name+".severity", &b.r.Severity, b.def, false); err != nil {
			return err
		}
	}
	o := &r.OffHours
	if o.Workloads == nil {
		t := true
		o.Workloads = &t
	}
	if err := severity("rules.off_hours.workload_severity", &o.WorkloadSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	if err := defaultInt("rules.off_hours.person_habit_days", &o.PersonHabitDays, 2, 1, 90); err != nil {
		return err
	}
	f := &r.FailedAccess
	if err := defaultInt("rules.failed_access.min_resources", &f.MinResources, 3, 1, 1000); err != nil {
		return err
	}
	if err := defaultInt("rules.failed_access.enumeration_resources", &f.EnumerationResources, 5, 1, 1000); err != nil {
		return err
	}
	if err := severity("rules.failed_access.enumeration_severity", &f.EnumerationSeverity, finding.SeverityHigh, false); err != nil {
		return err
	}
	if err := severity("rules.failed_access.person_severity", &f.PersonSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	if f.RetryMinFailures < 0 {
		return fmt.Errorf("config: rules.failed_access.retry_min_failures: %d is negative", f.RetryMinFailures)
	}
	if err := severity("rules.failed_access.retry_severity", &f.RetrySeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	if err := defaultInt("rules.failed_access.person_min_failures", &f.PersonMinFailures, 10, 1, 1e6); err != nil {
		return err
	}
	if err := defaultInt("rules.failed_access.broken_min_failures", &f.BrokenMinFailures, 3, 1, 1e6); err != nil {
		return err
	}
	if err := defaultFloat("rules.failed_access.broken_share", &f.BrokenShare, 0.9); err != nil {
		return err
	}
	if f.BrokenShare > 1 {
		return fmt.Errorf("config: rules.failed_access.broken_share: %v is above 1", f.BrokenShare)
	}
	if err := severity("rules.failed_access.broken_severity", &f.BrokenSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	if f.IgnoreErrorCodes == nil {
		f.IgnoreErrorCodes = []string{"ThrottlingException", "LimitExceededException", "RequestLimitExceeded", "InternalServiceError", "KMSInternalException", "InternalFailure"}
	}
	q := &r.Frequency
	if err := defaultInt("rules.frequency.min_count", &q.MinCount, 20, 1, 1e9); err != nil {
		return err
	}
	if err := defaultInt("rules.frequency.min_distinct", &q.MinDistinct, 8, 1, 1e6); err != nil {
		return err
	}
	if err := defaultInt("rules.frequency.min_samples", &q.MinSamples, 3, 1, 90); err != nil {
		return err
	}
	if err := defaultInt("rules.frequency.cold_min_distinct", &q.ColdMinDistinct, 10, 1, 1e6); err != nil {
		return err
	}
	if err := severity("rules.frequency.habit_severity", &q.HabitSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	if err := defaultFloat("rules.frequency.ratio", &q.Ratio, 3); err != nil {
		return err
	}
	if err := defaultFloat("rules.frequency.mads", &q.MADs, 6); err != nil {
		return err
	}
	if err := defaultInt("rules.first_seen.workload_drift", &r.FirstSeen.WorkloadDrift, 5, 1, 1e6); err != nil {
		return err
	}
	if r.FirstSeen.NewPrincipals == nil {
		t := true
		r.FirstSeen.NewPrincipals = &t
	}
	if err := severity("rules.first_seen.workload_severity", &r.FirstSeen.WorkloadSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	d := &r.Destructive
	if d.Events == nil {
		d.Events = defaultDestructive
	}
	if d.CriticalEvents == nil {
		d.CriticalEvents = defaultCritical
	}
	if err := severity("rules.destructive.cleanup_severity", &d.CleanupSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	p := &r.PolicyChange
	if p.Events == nil {
		p.Events = defaultPolicy
	}
	if err := severity("rules.policy_change.open_severity", &p.OpenSeverity, finding.SeverityHigh, false); err != nil {
		return err
	}
	if err := severity("rules.policy_change.public_severity", &p.PublicSeverity, finding.SeverityCritical, false); err != nil {
		return err
	}
	if err := severity("rules.policy_change.inside_severity", &p.InsideSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	b := &r.BulkRetrieval
	if err := defaultInt("rules.bulk_retrieval.batch_min_calls", &b.BatchMinCalls, 5, 1, 1e6); err != nil {
		return err
	}
	if err := severity("rules.bulk_retrieval.batch_severity", &b.BatchSeverity, finding.SeverityLow, false); err != nil {
		return err
	}
	if err := defaultInt("rules.bulk_retrieval.min_regions", &b.MinRegions, 5, 2, 40); err != nil {
		return err
	}
	if b.Window == "" {
		b.Window = "10m"
	}
	w, err := time.ParseDuration(b.Window)
	if err != nil || w <= 0 || w > 24*time.Hour {
		return fmt.Errorf("config: rules.bulk_retrieval.window: %q is not a duration between 0 and 24h", b.Window)
	}
	b.window = w.Milliseconds()
	if err := severity("rules.cross_account.depart_severity", &r.CrossAccount.DepartSeverity, finding.SeverityMedium, false); err != nil {
		return err
	}
	return severity("rules.cross_account.known_severity", &r.CrossAccount.KnownSeverity, "", true)
}

func severity(name string, s *string, def string, emptyOK bool) error {
	if *s == "" {
		*s = def
		return nil
	}
	if finding.SeverityRank(*s) == 0 && !(emptyOK && *s == "") {
		return fmt.Errorf("config: %s: %q is not low, medium, high or critical", name, *s)
	}
	return nil
}

func defaultInt(name string, v *int, def, lo, hi int) error {
	if *v == 0 {
		*v = def
	}
	if *v < lo || *v > hi {
		return fmt.Errorf("config: %s: %d is outside %d..%d", name, *v, lo, hi)
	}
	return nil
}

func defaultFloat(name string, v *float64, def float64) error {
	if *v == 0 {
		*v = def
	}
	if *v < 0 {
		return fmt.Errorf("config: %s: %v is negative", name, *v)
	}
	return nil
}

// checkSelfPrincipal refuses a self_principals entry that could match a
// principal of an account other than the one it names. The pattern
// "arn:*:iam::*:role/keytrail/*" once was the default: a role on the path
// /keytrail/ in the attacker's own account then deleted keys and read
// secrets with no finding. A glob's * also matches ':' (and IAM paths may
// contain ':'), so a wildcard anywhere before the resource part, the
// partition included, can stand for another account; the text up to the
// account must be literal and the account a 12-digit id.
func checkSelfPrincipal(g string) error {
	parts := strings.SplitN(g, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return fmt.Errorf("%q is not a principal ARN (arn:aws:iam::111122223333:role/keytrail/NAME)", g)
	}
	prefix := strings.Join(parts[:5], ":")
	if strings.ContainsAny(prefix, "*?") || !arn.IsAccountID(parts[4]) {
		return fmt.Errorf("%q can match principals of any account: name keytrail's roles with their account "+
			"(arn:aws:iam::111122223333:role/keytrail/NAME; the stack passes the exact ARNs to the detect function)", g)
	}
	return nil
}

// Location is the configured time zone (after Validate).
func (c *Config) Location() *time.Location { return c.loc }

// businessHours holds, per weekday, the open minute ranges [from, to).
type businessHours [7][][2]int

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseBusinessHours parses "Mon-Fri 09:00-18:00" and comma-separated lists
// of such ranges ("Mon-Thu 09:00-18:00,Fri 09:00-15:00", "Sat 10:00-12:00").
// Days not named are off all day.
func ParseBusinessHours(s string) (businessHours, error) {
	var bh businessHours
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		days, clock, ok := strings.Cut(part, " ")
		if !ok {
			return bh, fmt.Errorf("%q: want \"Mon-Fri 09:00-18:00\"", part)
		}
		first, last, _ := strings.Cut(days, "-")
		if last == "" {
			last = first
		}
		d1, ok1 := weekdays[strings.ToLower(first)]
		d2, ok2 := weekdays[strings.ToLower(last)]
		if !ok1 || !ok2 {
			return bh, fmt.Errorf("%q: bad weekday range %q", part, days)
		}
		from, to, err := parseClockRange(strings.TrimSpace(clock), false)
		if err != nil {
			return bh, fmt.Errorf("%q: %w", part, err)
		}
		for d := d1; ; d = (d + 1) % 7 {
			bh[d] = append(bh[d], [2]int{from, to})
			if d == d2 {
				break
			}
		}
	}
	return bh, nil
}

// parseClockRange parses "HH:MM-HH:MM" into minutes of the day. to may be
// 24:00; with wrap, to < from wraps past midnight.
func parseClockRange(s string, wrap bool) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want HH:MM-HH:MM", s)
	}
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("%q: %w", s, err)
	}
	if from == to || (!wrap && to < from) {
		return 0, 0, fmt.Errorf("%q: end must be after start", s)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*60 + mm, nil
}

// IsBusinessTime reports whether t falls in business hours in the configured
// zone: on a listed weekday range and not on a holiday.
func (c *Config) IsBusinessTime(t time.Time) bool {
	l := t.In(c.loc)
	if c.holidays[l.Format(time.DateOnly)] {
		return false
	}
	m := l.Hour()*60 + l.Minute()
	for _, r := range c.hours[l.Weekday()] {
		if m >= r[0] && m < r[1] {
			return true
		}
	}
	return false
}

// isBusinessDay reports whether the local date of t has business hours.
func (c *Config) isBusinessDay(t time.Time) bool {
	l := t.In(c.loc)
	return !c.holidays[l.Format(time.DateOnly)] && len(c.hours[l.Weekday()]) > 0
}

// ParseHolidays parses a comma-separated list of dates, or "@file" naming a
// file (read by the caller through read) with one date per line; blank lines
// and lines starting with # are skipped.
func ParseHolidays(s string, read func(name string) ([]byte, error)) ([]string, error) {
	var items []string
	if name, ok := strings.CutPrefix(s, "@"); ok {
		data, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("holidays file: %w", err)
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				items = append(items, line)
			}
		}
	} else {
		for d := range strings.SplitSeq(s, ",") {
			if d = strings.TrimSpace(d); d != "" {
				items = append(items, d)
			}
		}
	}
	for _, d := range items {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, fmt.Errorf("holidays: %q is not a date (YYYY-MM-DD)", d)
		}
	}
	return items, nil
}

// Overrides are the settings every team sets, given as flags or
// environment variables; empty fields keep the configuration's value.
type Overrides struct {
	Timezone      string
	BusinessHours string
	Holidays      string // comma-separated dates, or @file with one per line
}

// Apply sets the non-empty overrides and validates the result. read reads
// an @file of holidays.
func (c *Config) Apply(o Overrides, read func(name string) ([]byte, error)) error {
	if o.Timezone != "" {
		c.Timezone = o.Timezone
	}
	if o.BusinessHours != "" {
		c.BusinessHours = o.BusinessHours
	}
	if o.Holidays != "" {
		hs, err := ParseHolidays(o.Holidays, read)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		c.Holidays = hs
	}
	return c.Validate()
}
