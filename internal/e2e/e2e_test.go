package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

const (
	acct    = "111122223333"
	outside = "999988887777"
	region  = "us-east-1"
)

// object is one CloudTrail object of the run: ordinary calls around one
// single-event call, whose findings (kinds) the fast path must post.
type object struct {
	key     string
	records []map[string]any
	fastID  string   // the eventID of the single-event call
	kinds   []string // the findings it makes
}

// makeObject builds the i-th object, delivered at at: each has its own
// principal, so each single-event call is a finding of its own.
func makeObject(i int, at time.Time) object {
	at = at.UTC()
	ev := at.Add(-90 * time.Second) // CloudTrail delivers a few minutes late
	o := object{
		key: fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_e2e%012d.json.gz",
			acct, region, at.Format("2006/01/02"), acct, region, at.Format("20060102T1504Z"), i),
		fastID: fmt.Sprintf("e2e-%04d-fast", i),
	}
	role := fmt.Sprintf("ops-%04d", i)
	secret := func(name string) string { return "arn:aws:secretsmanager:" + region + ":" + acct + ":secret:" + name }
	key := "arn:aws:kms:" + region + ":" + acct + fmt.Sprintf(":key/0000%04d-0000-4000-8000-000000000000", i)
	n := 0
	rec := func(t time.Time, src, name, principal string, params map[string]any, res, resType string, readOnly bool) map[string]any {
		n++
		r := map[string]any{
			"eventVersion": "1.11",
			"userIdentity": map[string]any{
				"type": "AssumedRole", "principalId": "AROAE2E:" + principal, "accountId": acct, "accessKeyId": "ASIAE2E",
				"arn": "arn:aws:sts::" + acct + ":assumed-role/" + principal + "/s",
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{
					"type": "Role", "principalId": "AROAE2E", "arn": "arn:aws:iam::" + acct + ":role/" + principal, "accountId": acct, "userName": principal,
				}},
			},
			"eventTime": t.Format(time.RFC3339), "eventSource": src, "eventName": name, "awsRegion": region,
			"sourceIPAddress": "10.0.0.1", "userAgent": "aws-sdk-go-v2/1.30.0", "requestParameters": params,
			"requestID": fmt.Sprintf("req-%04d-%d", i, n), "eventID": fmt.Sprintf("e2e-%04d-%d", i, n),
			"readOnly": readOnly, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": acct, "eventCategory": "Management",
		}
		if res != "" {
			r["resources"] = []map[string]any{{"ARN": res, "accountId": acct, "type": resType}}
		}
		return r
	}
	for k := range 3 {
		s := secret(fmt.Sprintf("app/s%d", (i+k)%7))
		o.records = append(o.records, rec(ev.Add(time.Duration(k)*time.Second), "secretsmanager.amazonaws.com", "GetSecretValue",
			fmt.Sprintf("app-%d", k), map[string]any{"secretId": s}, "", "", true))
	}
	o.records = append(o.records,
		rec(ev, "kms.amazonaws.com", "Decrypt", "app-0", map[string]any{"keyId": key}, key, "AWS::KMS::Key", true),
		rec(ev, "s3.amazonaws.com", "GetObject", "app-1", map[string]any{"bucketName": "b", "key": "k"}, "", "", true),
		rec(ev, "ec2.amazonaws.com", "DescribeInstances", "app-2", map[string]any{}, "", "", true),
	)
	var fast map[string]any
	switch i % 5 {
	case 0:
		fast = rec(ev, "kms.amazonaws.com", "ScheduleKeyDeletion", role, map[string]any{"keyId": key, "pendingWindowInDays": 7}, key, "AWS::KMS::Key", false)
		o.kinds = []string{finding.KindDestructive}
	case 1:
		s := secret(fmt.Sprintf("ops/s%04d", i))
		fast = rec(ev, "secretsmanager.amazonaws.com", "DeleteSecret", role, map[string]any{"secretId": s, "forceDeleteWithoutRecovery": true}, "", "", false)
		o.kinds = []string{finding.KindDestructive}
	case 2:
		fast = rec(ev, "kms.amazonaws.com", "CreateGrant", role, map[string]any{"keyId": key,
			"granteePrincipal": "arn:aws:iam::" + outside + ":role/partner", "operations": []string{"Decrypt"}}, key, "AWS::KMS::Key", false)
		o.kinds = []string{finding.KindPolicyChange}
	case 3:
		fast = rec(ev, "kms.amazonaws.com", "ImportKeyMaterial", role, map[string]any{"keyId": key, "expirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}, key, "AWS::KMS::Key", false)
		o.kinds = []string{finding.KindPolicyChange}
	case 4:
		s := secret(fmt.Sprintf("prod/s%04d", i))
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + outside +
			`:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
		fast = rec(ev, "secretsmanager.amazonaws.com", "PutResourcePolicy", role, map[string]any{"secretId": s, "resourcePolicy": policy}, "", "", false)
		// (cross_account too, with the rule's policy_openings on; off by default)
		o.kinds = []string{finding.KindPolicyChange}
	}
	fast["eventID"] = o.fastID
	o.records = append(o.records, fast)
	return o
}

// outcome is what Slack received for the objects of a run.
type outcome struct {
	latency    []time.Duration // per object: landed → its first finding's message
	missing    []string        // "object kind" without a message
	duplicates int             // messages of a finding id already posted
	split      []string        // an object's kind posted under two ids
}

// collect matches Slack's messages to the objects through the findings
// in the lake (a message carries its finding's id; a finding its events').
func (p *pipeline) collect(ctx context.Context, objs []object) outcome {
	byID := map[string]finding.Finding{}
	for _, fs := range p.findings(ctx, runDays()...) {
		for _, f := range fs {
			g := byID[f.ID]
			g.ID, g.Kind = f.ID, f.Kind
			g.EventIDs = append(g.EventIDs, f.EventIDs...)
			byID[f.ID] = g
		}
	}
	first := map[string]time.Time{}
	var out outcome
	for _, m := range p.slack.Posts() {
		if m.FindingID == "" {
			continue // a summary
		}
		if _, ok := first[m.FindingID]; ok {
			out.duplicates++
			continue
		}
		first[m.FindingID] = m.At
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range objs {
		var earliest time.Time
		for _, kind := range o.kinds {
			var ids []string
			for id, at := range first {
				if f := byID[id]; f.Kind == kind && slices.Contains(f.EventIDs, o.fastID) {
					ids = append(ids, id)
					if earliest.IsZero() || at.Before(earliest) {
						earliest = at
					}
				}
			}
			switch {
			case len(ids) == 0:
				out.missing = append(out.missing, o.key+" "+kind)
			case len(ids) > 1:
				out.split = append(out.split, fmt.Sprintf("%s %s: %v", o.key, kind, ids))
			}
		}
		if !earliest.IsZero() {
			out.latency = append(out.latency, earliest.Sub(p.landed[o.key]))
		}
	}
	return out
}

// runDays are the UTC days a run's findings can be in (the run's
// events are stamped with the wall clock).
func runDays() []string {
	return lake.Days(time.Now().Add(-48*time.Hour), time.Now().Add(48*time.Hour))
}

// scheduled runs the detect schedule (as if its tick came an hour later,
// so its window covers the run's events) and the alert schedule's pass.
func (p *pipeline) scheduled(ctx context.Context) detect.Result {
	s := *p.schedule
	s.Now = func() time.Time { return time.Now().Add(time.Hour) }
	res, err := s.Run(ctx)
	if err != nil {
		p.tb.Errorf("scheduled detection: %v", err)
	}
	if _, err := p.alerter.Handle(ctx, nil); err != nil {
		p.tb.Errorf("scheduled alert pass: %v", err)
	}
	return res
}

// TestExactlyOnce runs a small delivery through the whole pipeline, then
// redelivers a trail notification (ingest, detect and alert run again over
// the same object), a findings notification, and runs the schedules over
// the same events: every single-event call is posted, once, under one id,
// and the schedule gives the fast path's ids.
func TestExactlyOnce(t *testing.T) {
	ctx := context.Background()
	p := newPipeline(t)
	p.setIngestWindow(time.Second) // the template's 20 s would only slow the test
	var objs []object
	for i := range 10 {
		o := makeObject(i, time.Now())
		p.put(ctx, o.key, o.records)
		objs = append(objs, o)
	}
	p.wait()

	p.redeliver(p.ingestQ, objs[0].key)
	p.mu.Lock()
	var notified []string
	for k := range p.bodies {
		if name, ok := strings.CutPrefix(k, "findings/"); ok && strings.Contains(name, "/fast-") {
			notified = append(notified, name)
		}
	}
	p.mu.Unlock()
	if len(notified) == 0 {
		t.Fatal("no findings file of the fast path was announced")
	}
	sort.Strings(notified)
	p.redeliver(p.findingsQ, notified[0])
	p.wait()

	res := p.scheduled(ctx)
	p.wait()
	p.scheduled(ctx) // and the next ticks, finding nothing new
	p.wait()

	out := p.collect(ctx, objs)
	if len(out.missing) > 0 {
		t.Errorf("not posted: %v", out.missing)
	}
	if out.duplicates != 0 {
		t.Errorf("%d messages repeat a finding already posted", out.duplicates)
	}
	if len(out.split) > 0 {
		t.Errorf("one call posted under several finding ids: %v", out.split)
	}
	if len(out.latency) != len(objs) {
		t.Errorf("%d of %d objects reached Slack", len(out.latency), len(objs))
	}
	// The schedule's findings of the single-event calls are the fast
	// path's, by id.
	fast := map[string]bool{}
	for k, fs := range p.findings(ctx, runDays()...) {
		if strings.Contains(k, "/fast-") {
			for _, f := range fs {
				fast[f.ID] = true
			}
		}
	}
	n := 0
	for _, f := range res.Findings {
		for _, o := range objs {
			if slices.Contains(o.kinds, f.Kind) && slices.Contains(f.EventIDs, o.fastID) {
				n++
				if !fast[f.ID] {
					t.Errorf("scheduled %s %s for %s has id %s, which the fast path did not give", f.Kind, f.Severity, o.fastID, f.ID)
				}
			}
		}
	}
	if want := len(objs); n != want { // one finding per call
		t.Errorf("the schedule found %d findings of the single-event calls, want %d", n, want)
	}
}

// BenchmarkE2E puts a few hundred CloudTrail objects into the trail
// bucket, ten a second, with the schedules running once half-way, and
// measures each object's landing → the first Slack message of its
// single-event call. It reports p50, p95 and max in seconds and the
// messages that repeat a finding (must be 0).
func BenchmarkE2E(b *testing.B) {
	const objects, interval = 300, 100 * time.Millisecond
	ctx := context.Background()
	for range b.N {
		p := newPipeline(b)
		var objs []object
		overlap := make(chan struct{})
		tick := time.NewTicker(interval)
		for i := range objects {
			<-tick.C
			o := makeObject(i, time.Now())
			p.put(ctx, o.key, o.records)
			objs = append(objs, o)
			if i == objects/2 {
				go func() { defer close(overlap); p.scheduled(ctx) }()
			}
		}
		tick.Stop()
		<-overlap
		p.wait()
		out := p.collect(ctx, objs)
		if len(out.missing) > 0 || len(out.split) > 0 {
			b.Fatalf("not posted: %v; posted under several ids: %v", out.missing, out.split)
		}
		slices.Sort(out.latency)
		q := func(f float64) time.Duration { return out.latency[int(f*float64(len(out.latency)-1))] }
		b.ReportMetric(q(0.5).Seconds(), "p50-s")
		b.ReportMetric(q(0.95).Seconds(), "p95-s")
		b.ReportMetric(out.latency[len(out.latency)-1].Seconds(), "max-s")
		b.ReportMetric(float64(out.duplicates), "duplicates")
		b.Logf("%d objects, one every %v: landed → Slack p50 %.2f s, p95 %.2f s, max %.2f s; %d duplicate posts",
			len(objs), interval, q(0.5).Seconds(), q(0.95).Seconds(), out.latency[len(out.latency)-1].Seconds(), out.duplicates)
	}
}
