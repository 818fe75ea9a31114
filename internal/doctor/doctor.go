// Package doctor checks a keytrail deployment from the outside and says
// precisely what is wrong, with the fix.
//
// Almost every way keytrail can fail silently lies outside its own stack:
// a trail that logs only write events (KMS Decrypt and GetSecretValue are
// read events), a trail that excludes KMS, a trail bucket whose
// notification was never pointed at the queue, an ingest that stopped
// writing. None of these raise an error anywhere; they just produce an
// empty lake. The checks read the trail, the bucket and the lake the way
// an operator would and turn each finding into one line.
//
// Each AWS call sits behind a one-method interface, so the decision logic
// is tested against loopback servers speaking the real protocols.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/keytrail/keytrail/internal/source"
)

// The AWS calls the checks make, one interface each.
type (
	TrailDescriber interface {
		DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	}
	TrailStatusGetter interface {
		GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	}
	EventSelectorsGetter interface {
		GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
	}
	NotificationGetter interface {
		GetBucketNotificationConfiguration(ctx context.Context, in *s3.GetBucketNotificationConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetBucketNotificationConfigurationOutput, error)
	}
	ObjectLister interface {
		ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	}
	QueryStarter interface {
		StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	}
	QueryGetter interface {
		GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	}
)

// Notification sources, as the template's NotificationSource parameter.
const (
	SourceS3ToSQS     = "S3ToSQS"
	SourceSNS         = "SNS"
	SourceEventBridge = "EventBridge"
)

// Deployment is what is checked: the stack's outputs, or flags.
type Deployment struct {
	TrailBucket string
	TrailPrefix string // up to and including AWSLogs/ (and the organization id)
	LakeBucket  string
	LakePrefix  string // "" or ending in "/"
	// NotificationSource is S3ToSQS, SNS or EventBridge; empty skips the
	// notification check.
	NotificationSource string
	QueueARN           string // S3ToSQS
	TopicARN           string // SNS
	Workgroup          string // empty skips the Athena check
	Database           string
	// DeadLetterQueues are the URLs of the stack's dead-letter queues
	// (ingest's, the lake's), whose depth doctor checks and keytrail
	// redrive empties.
	DeadLetterQueues []string
	Stack            string            // the stack's name, for the fixes' commands
	SlackSecretARN   string            // the Slack secret, checked for a placeholder
	Functions        map[string]string // function names by role (ingest, detect, …)
}

// Result is one check's outcome.
type Result struct {
	Check  string
	OK     bool
	Skip   bool   // not run (missing input, or an earlier check failed)
	Detail string // what was found
	Fix    string // what to do, when not OK
}

// Doctor runs the checks. A nil client skips the checks that need it.
type Doctor struct {
	Trails        TrailDescriber
	Status        TrailStatusGetter
	Selectors     EventSelectorsGetter
	Notifications NotificationGetter
	Objects       ObjectLister
	StartQuery    QueryStarter
	GetQuery      QueryGetter
	// The operational checks' clients (ops.go).
	Identity     IdentityGetter
	Queues       QueueAttributesGetter
	Secrets      SecretReader
	Tables       TableGetter
	Metrics      MetricStatisticsGetter
	Get          ObjectGetter
	Now          func() time.Time // nil: time.Now
	PollInterval time.Duration    // between Athena status polls; 0: 1s
	QueryTimeout time.Duration    // 0: 2 minutes
}

func (d *Doctor) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Run runs every check in order and returns their results, credentials
// first: without them it returns that result alone. It returns an error
// only when ctx ends.
func (d *Doctor) Run(ctx context.Context, dep Deployment) ([]Result, error) {
	cred := d.Credentials(ctx)
	if !cred.OK && !cred.Skip {
		return []Result{cred}, ctx.Err()
	}
	out := []Result{cred}
	out = append(out, d.checkTrail(ctx, dep)...)
	out = append(out, d.checkNotification(ctx, dep))
	out = append(out, d.checkLake(ctx, dep))
	out = append(out, d.checkSchema(ctx, dep))
	out = append(out, d.checkDeadLetters(ctx, dep))
	out = append(out, d.checkFunctionErrors(ctx, dep))
	out = append(out, d.checkSlackSecret(ctx, dep))
	out = append(out, d.checkAthena(ctx, dep))
	out = append(out, d.checkViews(ctx, dep))
	return out, ctx.Err()
}

// Check names.
const (
	CheckTrail        = "trail delivers to the bucket"
	CheckLogging      = "trail is logging"
	CheckReadEvents   = "trail logs read and write management events"
	CheckKMSEvents    = "trail does not exclude KMS events" // excludeCheck(source.KMS)
	CheckNotification = "new log files reach the queue"
	CheckLake         = "lake receives events"
	CheckAthena       = "Athena can read the events table"
)

func (d *Doctor) checkTrail(ctx context.Context, dep Deployment) []Result {
	skipRest := func(why string) []Result {
		var rs []Result
		for _, c := range []string{CheckLogging, CheckReadEvents} {
			rs = append(rs, Result{Check: c, Skip: true, Detail: why})
		}
		return append(rs, excludeResults(Result{Skip: true, Detail: why})...)
	}
	if d.Trails == nil || dep.TrailBucket == "" {
		return append([]Result{{Check: CheckTrail, Skip: true, Detail: "no trail bucket given"}}, skipRest("no trail bucket given")...)
	}
	out, err := d.Trails.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return append([]Result{{Check: CheckTrail, Detail: "describe trails: " + errText(err),
			Fix: "run doctor with cloudtrail:DescribeTrails, in the trail's home region (or the organization's management account)"}}, skipRest("trails unreadable")...)
	}
	var trails []cttypes.Trail
	for _, tr := range out.TrailList {
		if aws.ToString(tr.S3BucketName) == dep.TrailBucket && prefixMatches(aws.ToString(tr.S3KeyPrefix), dep.TrailPrefix) {
			trails = append(trails, tr)
		}
	}
	if len(trails) == 0 {
		return append([]Result{{Check: CheckTrail, Detail: fmt.Sprintf("no trail visible here delivers to s3://%s/%s", dep.TrailBucket, dep.TrailPrefix),
			Fix: "create a multi-region trail (ideally an organization trail) delivering to that bucket, or fix CloudTrailBucket/CloudTrailPrefix"}}, skipRest("no trail")...)
	}
	// Prefer a trail that is logging and captures what keytrail needs.
	var best []Result
	for _, tr := range trails {
		rs := d.judgeTrail(ctx, tr)
		if best == nil || countOK(rs) > countOK(best) {
			best = rs
		}
	}
	return best
}

func countOK(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.OK {
			n++
		}
	}
	return n
}

// prefixMatches reports whether a trail with S3KeyPrefix trailPrefix writes
// under want (CloudTrailPrefix: "[prefix/]AWSLogs/[o-id/]").
func prefixMatches(trailPrefix, want string) bool {
	base := "AWSLogs/"
	if trailPrefix != "" {
		base = strings.TrimSuffix(trailPrefix, "/") + "/AWSLogs/"
	}
	return strings.HasPrefix(want, base) || want == ""
}

func (d *Doctor) judgeTrail(ctx context.Context, tr cttypes.Trail) []Result {
	name := aws.ToString(tr.TrailARN)
	if name == "" {
		name = aws.ToString(tr.Name)
	}
	rs := []Result{{Check: CheckTrail, OK: true, Detail: name}}
	if d.Status != nil {
		st, err := d.Status.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(name)})
		switch {
		case err != nil:
			rs = append(rs, Result{Check: CheckLogging, Detail: "get trail status: " + errText(err), Fix: "run doctor in the trail's home region " + aws.ToString(tr.HomeRegion)})
		case aws.ToBool(st.IsLogging):
			rs = append(rs, Result{Check: CheckLogging, OK: true})
		default:
			rs = append(rs, Result{Check: CheckLogging, Detail: "logging is stopped",
				Fix: "aws cloudtrail start-logging --name " + name})
		}
	} else {
		rs = append(rs, Result{Check: CheckLogging, Skip: true})
	}
	if d.Selectors == nil {
		return append(append(rs, Result{Check: CheckReadEvents, Skip: true}), excludeResults(Result{Skip: true})...)
	}
	sel, err := d.Selectors.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(name)})
	if err != nil {
		msg := "get event selectors: " + errText(err)
		return append(append(rs, Result{Check: CheckReadEvents, Detail: msg}), excludeResults(Result{Detail: msg})...)
	}
	reads, excl := judgeSelectors(sel)
	return append(append(rs, reads), excl...)
}

// excludeCheck names the check that a trail does not exclude the
// management events of s.
func excludeCheck(s *source.Source) string {
	return "trail does not exclude " + s.Title + " events"
}

// excludeResults returns r as the result of the exclusion check of each
// kept source that a trail can exclude (source.Source.Excludable).
func excludeResults(r Result) []Result {
	var rs []Result
	for _, s := range source.All {
		if s.Excludable {
			r.Check = excludeCheck(s)
			rs = append(rs, r)
		}
	}
	return rs
}

// judgeSelectors decides whether the trail captures read management
// events, and those of each kept source a trail can exclude (KMS), from its
// basic or advanced selectors.
func judgeSelectors(sel *cloudtrail.GetEventSelectorsOutput) (reads Result, excl []Result) {
	reads = Result{Check: CheckReadEvents}
	excl = excludeResults(Result{})
	var srcs []string // excl's sources
	for _, s := range source.All {
		if s.Excludable {
			srcs = append(srcs, s.EventSource)
		}
	}
	excludeFix := func(src string) string {
		return "remove " + src + " from ExcludeManagementEventSources (or from the advanced selector's eventSource NotEquals)"
	}
	const readFix = "log management events with ReadWriteType All (KMS Decrypt and GetSecretValue are read events)"
	if len(sel.AdvancedEventSelectors) > 0 {
		var sawMgmt, sawReads bool
		saw := make([]bool, len(srcs)) // a management selector keeps srcs[i]
		for _, s := range sel.AdvancedEventSelectors {
			fields := map[string]cttypes.AdvancedFieldSelector{}
			for _, f := range s.FieldSelectors {
				fields[aws.ToString(f.Field)] = f
			}
			cat := fields["eventCategory"]
			if !slices.Contains(cat.Equals, "Management") {
				continue
			}
			sawMgmt = true
			ro, hasRO := fields["readOnly"]
			if !hasRO || slices.Contains(ro.Equals, "true") || (len(ro.Equals) == 0 && !slices.Contains(ro.NotEquals, "true")) {
				sawReads = true
			}
			f, hasSrc := fields["eventSource"]
			for i, src := range srcs {
				if !hasSrc || (len(f.Equals) == 0 || slices.Contains(f.Equals, src)) && !slices.Contains(f.NotEquals, src) {
					saw[i] = true
				}
			}
		}
		switch {
		case !sawMgmt:
			reads.Detail, reads.Fix = "no advanced selector logs management events", "add an advanced selector with eventCategory = Management"
			for i := range excl {
				excl[i].Skip = true
			}
		case !sawReads:
			reads.Detail, reads.Fix = "the management selectors keep write events only (readOnly = false)", readFix
		default:
			reads.OK = true
		}
		if sawMgmt {
			for i, src := range srcs {
				if saw[i] {
					excl[i].OK = true
				} else {
					excl[i].Detail, excl[i].Fix = "the management selectors exclude "+src, excludeFix(src)
				}
			}
		}
		return reads, excl
	}
	var best *cttypes.EventSelector
	for i, s := range sel.EventSelectors {
		if !aws.ToBool(s.IncludeManagementEvents) {
			continue
		}
		if best == nil || s.ReadWriteType == cttypes.ReadWriteTypeAll {
			best = &sel.EventSelectors[i]
		}
	}
	switch {
	case best == nil:
		reads.Detail, reads.Fix = "no event selector includes management events", readFix
		for i := range excl {
			excl[i].Skip = true
		}
		return reads, excl
	case best.ReadWriteType != cttypes.ReadWriteTypeAll:
		reads.Detail, reads.Fix = fmt.Sprintf("management events are logged with ReadWriteType %s", best.ReadWriteType), readFix
	default:
		reads.OK = true
	}
	for i, src := range srcs {
		if slices.Contains(best.ExcludeManagementEventSources, src) {
			excl[i].Detail, excl[i].Fix = "ExcludeManagementEventSources contains "+src, excludeFix(src)
		} else {
			excl[i].OK = true
		}
	}
	return reads, excl
}

func (d *Doctor) checkNotification(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckNotification}
	if d.Notifications == nil || dep.NotificationSource == "" || dep.TrailBucket == "" {
		r.Skip, r.Detail = true, "no notification source given"
		return r
	}
	out, err := d.Notifications.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(dep.TrailBucket)})
	if err != nil {
		r.Detail = "read the trail bucket's notification configuration: " + errText(err)
		r.Fix = "run doctor with s3:GetBucketNotification on the trail bucket (in the bucket owner's account for a log archive bucket)"
		return r
	}
	matchesPrefix := func(rules []string) bool {
		for _, p := range rules {
			if !strings.HasPrefix(dep.TrailPrefix, p) {
				return false
			}
		}
		return true
	}
	created := func(events []string) bool {
		for _, e := range events {
			if e == "s3:ObjectCreated:*" || e == "s3:ObjectCreated:Put" || e == "s3:ObjectCreated:CompleteMultipartUpload" {
				return true
			}
		}
		return false
	}
	switch dep.NotificationSource {
	case SourceS3ToSQS:
		for _, q := range out.QueueConfigurations {
			if aws.ToString(q.QueueArn) == dep.QueueARN && created(eventNames(q.Events)) && matchesPrefix(prefixRules(q.Filter)) {
				r.OK, r.Detail = true, "s3:ObjectCreated → "+dep.QueueARN
				return r
			}
		}
		r.Detail = fmt.Sprintf("the bucket sends no object-created notification for %s to %s", dep.TrailPrefix, dep.QueueARN)
		r.Fix = fmt.Sprintf("add an event notification on s3://%s: events s3:ObjectCreated:*, prefix %s, destination SQS %s", dep.TrailBucket, dep.TrailPrefix, dep.QueueARN)
	case SourceSNS:
		for _, tc := range out.TopicConfigurations {
			if aws.ToString(tc.TopicArn) == dep.TopicARN && created(eventNames(tc.Events)) && matchesPrefix(prefixRules(tc.Filter)) {
				r.OK, r.Detail = true, "s3:ObjectCreated → "+dep.TopicARN
				return r
			}
		}
		// CloudTrail's own SNS notice is also fine; it is not visible
		// from the bucket, so say what to verify.
		r.Detail = "the bucket does not notify " + dep.TopicARN
		r.Fix = "add an s3:ObjectCreated:* notification to the topic, or set the topic as the trail's SNS topic (aws cloudtrail update-trail --sns-topic-name)"
	case SourceEventBridge:
		if out.EventBridgeConfiguration != nil {
			r.OK, r.Detail = true, "EventBridge notifications are on"
			return r
		}
		r.Detail = "EventBridge notifications are off on the trail bucket"
		r.Fix = fmt.Sprintf("aws s3api put-bucket-notification-configuration --bucket %s --notification-configuration '{\"EventBridgeConfiguration\":{}}' (this keeps no other notification: merge with the current configuration)", dep.TrailBucket)
	default:
		r.Skip, r.Detail = true, "unknown notification source "+dep.NotificationSource
	}
	return r
}

func eventNames[E ~string](events []E) []string {
	var out []string
	for _, e := range events {
		out = append(out, string(e))
	}
	return out
}

func (d *Doctor) checkLake(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckLake}
	if d.Objects == nil || dep.LakeBucket == "" {
		r.Skip, r.Detail = true, "no lake given"
		return r
	}
	today := d.now().UTC()
	for _, day := range []time.Time{today, today.AddDate(0, 0, -1)} {
		prefix := dep.LakePrefix + "events/day=" + day.Format(time.DateOnly) + "/"
		out, err := d.Objects.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(dep.LakeBucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1)})
		if err != nil {
			r.Detail = "list the lake: " + errText(err)
			r.Fix = "run doctor with s3:ListBucket on the lake bucket"
			return r
		}
		if len(out.Contents) > 0 {
			r.OK, r.Detail = true, "s3://"+dep.LakeBucket+"/"+aws.ToString(out.Contents[0].Key)
			return r
		}
	}
	r.Detail = "no event files for today or yesterday (UTC)"
	r.Fix = "check the checks above, then the dead-letter queue and the ingest function's log; a quiet account may simply have no Secrets Manager or KMS activity"
	return r
}

func (d *Doctor) checkAthena(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckAthena}
	if d.StartQuery == nil || d.GetQuery == nil || dep.Workgroup == "" {
		r.Skip, r.Detail = true, "no workgroup given"
		return r
	}
	timeout := d.QueryTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	poll := d.PollInterval
	if poll == 0 {
		poll = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	in := &athena.StartQueryExecutionInput{
		QueryString: aws.String(fmt.Sprintf("SELECT count(*) FROM events WHERE day = '%s'", d.now().UTC().Format(time.DateOnly))),
		WorkGroup:   aws.String(dep.Workgroup),
	}
	if dep.Database != "" {
		in.QueryExecutionContext = &athenatypes.QueryExecutionContext{Database: aws.String(dep.Database)}
	}
	started, err := d.StartQuery.StartQueryExecution(ctx, in)
	if err != nil {
		r.Detail = "start query: " + errText(err)
		r.Fix = "run doctor with athena:StartQueryExecution on the workgroup (attach the stack's AthenaReaderPolicy)"
		return r
	}
	id := aws.ToString(started.QueryExecutionId)
	for {
		out, err := d.GetQuery.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			r.Detail = "query " + id + ": " + errText(err)
			return r
		}
		st := out.QueryExecution.Status
		switch st.State {
		case athenatypes.QueryExecutionStateSucceeded:
			r.OK, r.Detail = true, "query "+id+" succeeded"
			return r
		case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			r.Detail = fmt.Sprintf("query %s %s: %s", id, st.State, aws.ToString(st.StateChangeReason))
			r.Fix = "check that your principal is in AthenaReaderPrincipals (the lake key's policy) and has the AthenaReaderPolicy"
			return r
		}
		select {
		case <-ctx.Done():
			r.Detail = "query " + id + " did not finish in " + timeout.String()
			return r
		case <-time.After(poll):
		}
	}
}

// errText is a short description of an AWS error: its code and message.
func errText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

// Print writes one line per result: ✓, ✗ or – (skipped), the check, what
// was found, and the fix. It returns the number of failed checks.
func Print(w io.Writer, results []Result) int {
	failed := 0
	for _, r := range results {
		mark := "✓"
		switch {
		case r.Skip:
			mark = "–"
		case !r.OK:
			mark = "✗"
			failed++
		}
		line := mark + " " + r.Check
		if r.Detail != "" {
			line += ": " + r.Detail
		}
		if !r.OK && !r.Skip && r.Fix != "" {
			line += "\n    fix: " + r.Fix
		}
		fmt.Fprintln(w, line)
	}
	return failed
}

// prefixRules returns the prefix values of a notification filter.
func prefixRules(f *s3types.NotificationConfigurationFilter) []string {
	if f == nil || f.Key == nil {
		return nil
	}
	var out []string
	for _, r := range f.Key.FilterRules {
		if strings.EqualFold(string(r.Name), "prefix") {
			out = append(out, aws.ToString(r.Value))
		}
	}
	return out
}
