package gen

import (
	"bytes"
	"encoding/json"
	"maps"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// fullRun is one default-sized organization, generated once for the tests
// that only read it.
var fullRun = sync.OnceValues(func() (*memOutput, Summary) {
	out := newMemOutput()
	s, err := Org(Config{Seed: 7, Location: berlin, Insights: true}, out)
	if err != nil {
		panic(err)
	}
	return out, s
})

type parsedRun struct {
	records []*testRecord
	byID    map[string][]*testRecord
}

var parsedFull = sync.OnceValue(func() *parsedRun {
	out, _ := fullRun()
	p := &parsedRun{byID: map[string][]*testRecord{}}
	for _, k := range out.keys() {
		if !logKey.MatchString(k) {
			continue
		}
		zr, err := gunzipBytes(out.objects[k])
		if err != nil {
			panic(k + ": " + err.Error())
		}
		var f struct{ Records []*testRecord }
		if err := json.Unmarshal(zr, &f); err != nil {
			panic(k + ": " + err.Error())
		}
		for _, r := range f.Records {
			r.key = k
			p.records = append(p.records, r)
			p.byID[r.EventID] = append(p.byID[r.EventID], r)
		}
	}
	return p
})

var logKey = regexp.MustCompile(`^AWSLogs/(o-[a-z0-9]{10}/)?(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4}/\d{2}/\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)

func TestOrgDeterministic(t *testing.T) {
	cfg := Config{Seed: 3, Days: 15, Warmup: 14, Accounts: 2, Location: berlin}
	run := func(c Config) map[string][]byte {
		out := newMemOutput()
		if _, err := Org(c, out); err != nil {
			t.Fatal(err)
		}
		return out.objects
	}
	a, b := run(cfg), run(cfg)
	if !maps.EqualFunc(a, b, bytes.Equal) {
		t.Fatal("same seed: outputs differ")
	}
	other := cfg
	other.Seed = 4
	c := run(other)
	same := 0
	for k, v := range c {
		if bytes.Equal(a[k], v) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("different seeds: %d identical objects", same)
	}
}

func TestOrgLogFiles(t *testing.T) {
	out, sum := fullRun()
	p := parsedFull()
	if len(p.records) != sum.Records {
		t.Errorf("read %d records, summary says %d", len(p.records), sum.Records)
	}
	if sum.Records < 100_000 || sum.Records > 200_000 {
		t.Errorf("records = %d, want 100k–200k at scale 1", sum.Records)
	}
	kept, files, crossMidnight := 0, map[string]bool{}, 0
	for _, r := range p.records {
		files[r.key] = true
		if r.EventTime == "" || r.EventSource == "" || r.EventName == "" || r.EventID == "" || r.RecipientAccountID == "" {
			t.Fatalf("%s: record lacks basics: %+v", r.key, r)
		}
		et, err := time.Parse(time.RFC3339, r.EventTime)
		if err != nil {
			t.Fatalf("%s: eventTime %q: %v", r.key, r.EventTime, err)
		}
		m := logKey.FindStringSubmatch(r.key)
		if m[2] != r.RecipientAccountID || m[5] != m[2] || m[3] != r.AWSRegion || m[6] != m[3] {
			t.Fatalf("%s: record of %s/%s in the wrong file", r.key, r.RecipientAccountID, r.AWSRegion)
		}
		delivered, _ := time.Parse("20060102T1504Z", m[7])
		if m[4] != delivered.Format("2006/01/02") {
			t.Fatalf("%s: date folder is not the delivery date", r.key)
		}
		if lag := delivered.Sub(et); lag < 0 || lag > 25*time.Minute {
			t.Fatalf("%s: event at %s delivered %s later", r.key, et, lag)
		}
		if delivered.Format(time.DateOnly) != et.Format(time.DateOnly) {
			crossMidnight++
		}
		if r.EventSource == "kms.amazonaws.com" || r.EventSource == "secretsmanager.amazonaws.com" {
			kept++
		}
	}
	if len(files) != sum.Files {
		t.Errorf("%d log files hold records, summary says %d", len(files), sum.Files)
	}
	if kept != sum.Kept {
		t.Errorf("kept = %d, summary says %d", kept, sum.Kept)
	}
	if share := float64(kept) / float64(len(p.records)); share < 0.15 || share > 0.25 {
		t.Errorf("Secrets Manager/KMS share = %.3f, want about 0.2", share)
	}
	if crossMidnight == 0 {
		t.Error("no event delivered in the next day's folder")
	}
	dups := 0
	for _, rs := range p.byID {
		if len(rs) > 1 {
			dups++
			if rs[0].key == rs[1].key {
				t.Errorf("repeat of %s in the same file", rs[0].EventID)
			}
		}
	}
	if dups != sum.Duplicates || dups == 0 {
		t.Errorf("repeated eventIDs = %d, summary says %d", dups, sum.Duplicates)
	}
	for _, k := range out.keys() {
		if strings.Contains(k, "CloudTrail-Digest/") || strings.Contains(k, "CloudTrail-Insight/") || k == LabelsKey {
			continue
		}
		if !logKey.MatchString(k) {
			t.Errorf("unexpected object %s", k)
		}
	}
}

func TestOrgLabels(t *testing.T) {
	_, sum := fullRun()
	p := parsedFull()
	out, _ := fullRun()
	fromFile, err := ReadLabels(bytes.NewReader(out.objects[LabelsKey]))
	if err != nil {
		t.Fatal(err)
	}
	if len(fromFile) != len(sum.Labels) {
		t.Fatalf("labels.jsonl has %d labels, summary %d", len(fromFile), len(sum.Labels))
	}
	warm := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	for _, l := range fromFile {
		if len(l.EventIDs) == 0 {
			t.Errorf("%s %s: no events", l.Kind, l.Principal)
		}
		if l.Start.Before(warm) || l.End.Before(l.Start) {
			t.Errorf("%s %s: window %s–%s before the warm-up ends or reversed", l.Kind, l.Principal, l.Start, l.End)
		}
		for _, id := range l.EventIDs {
			rs := p.byID[id]
			if len(rs) == 0 {
				t.Fatalf("%s %s: event %s not in the logs", l.Kind, l.Principal, id)
			}
			r := rs[0]
			if got := r.principal(); got != l.Principal {
				t.Errorf("%s: event %s %s belongs to %q, label says %q", l.Kind, id, r.EventName, got, l.Principal)
			}
			et, _ := time.Parse(time.RFC3339, r.EventTime)
			if et.Before(l.Start) || et.After(l.End) {
				t.Errorf("%s: event %s at %s outside %s–%s", l.Kind, id, et, l.Start, l.End)
			}
		}
	}
	byKind := sum.ByKind()
	for _, k := range []string{KindOffHours, KindFailedAccess, KindFrequency, KindFirstSeen, KindDestructive, KindPolicyChange, KindCrossAccount,
		"decoy/" + DecoyNightlyBatch, "decoy/" + DecoyRotation, "decoy/" + DecoyDeployBurst, "decoy/" + DecoyServiceDecrypt, "decoy/" + DecoyRetryingApp} {
		if byKind[k] == 0 {
			t.Errorf("no %s label", k)
		}
	}
	for _, k := range []string{KindOffHours, KindFailedAccess, KindFrequency, KindFirstSeen, KindDestructive, KindPolicyChange, KindCrossAccount} {
		if byKind[k] < 2 {
			t.Errorf("%d %s labels, want several", byKind[k], k)
		}
	}
	for _, l := range fromFile {
		switch l.Kind {
		case KindOffHours:
			lt := l.Start.In(berlin)
			if h := lt.Hour(); h >= 9 && h < 18 && lt.Weekday() != time.Saturday && lt.Weekday() != time.Sunday && !strings.Contains(l.Detail, "holiday") {
				t.Errorf("off_hours label at %s is in business hours", lt)
			}
		case KindPolicyChange:
			if !strings.Contains(l.Detail, sum.Partner) {
				t.Errorf("policy_change %q does not name the added account", l.Detail)
			}
		case KindCrossAccount:
			if !strings.Contains(l.Principal, ":"+sum.Partner+":") {
				t.Errorf("cross_account principal %s is not in the partner account", l.Principal)
			}
		}
	}
}

func TestOrgShapes(t *testing.T) {
	p := parsedFull()
	_, sum := fullRun()
	type check struct {
		name string
		ok   func(r *testRecord) bool
	}
	params := func(r *testRecord) map[string]any {
		var m map[string]any
		_ = json.Unmarshal(r.RequestParameters, &m)
		return m
	}
	fullSuffix := regexp.MustCompile(`:secret:[^:]+-[A-Za-z0-9]{6}$`)
	checks := []check{
		{"service decrypt on behalf of a GetSecretValue", func(r *testRecord) bool {
			if r.EventName != "Decrypt" || r.UserIdentity == nil || r.UserIdentity.InvokedBy != "secretsmanager.amazonaws.com" {
				return false
			}
			ec, _ := params(r)["encryptionContext"].(map[string]any)
			arn, _ := ec["SecretARN"].(string)
			return r.SourceIPAddress == "secretsmanager.amazonaws.com" && r.UserAgent == "secretsmanager.amazonaws.com" &&
				fullSuffix.MatchString(arn) && ec["SecretVersionId"] != nil && len(r.Resources) == 1 && r.Resources[0].Type == "AWS::KMS::Key"
		}},
		{"rotation UpdateSecretVersionStage by the rotation role", func(r *testRecord) bool {
			return r.EventName == "UpdateSecretVersionStage" && strings.Contains(r.principal(), ":role/service-role/secrets-rotation-")
		}},
		{"RotationSucceeded service event", func(r *testRecord) bool {
			return r.EventName == "RotationSucceeded" && r.EventType == "AwsServiceEvent" && r.UserIdentity.InvokedBy == "secretsmanager.amazonaws.com"
		}},
		{"nightly batch at 02:10 local", func(r *testRecord) bool {
			et, _ := time.Parse(time.RFC3339, r.EventTime)
			return strings.HasSuffix(r.principal(), ":role/batch/nightly-reconcile") && et.In(berlin).Hour() == 2
		}},
		{"AWSService decrypt for EBS", func(r *testRecord) bool {
			return r.UserIdentity != nil && r.UserIdentity.Type == "AWSService" && r.UserIdentity.InvokedBy == "ec2.amazonaws.com" &&
				strings.Contains(string(r.RequestParameters), `"aws:ebs:id"`)
		}},
		{"Identity Center role with email session", func(r *testRecord) bool {
			return r.UserIdentity != nil && strings.Contains(r.UserIdentity.ARN, "assumed-role/AWSReservedSSO_") &&
				strings.HasSuffix(r.UserIdentity.ARN, "@example.com") && strings.Contains(r.principal(), ":role/aws-reserved/sso.amazonaws.com/")
		}},
		{"cross-account AssumeRole logged as AWSAccount", func(r *testRecord) bool {
			return r.UserIdentity != nil && r.UserIdentity.Type == "AWSAccount" && r.UserIdentity.AccountID == sum.Partner
		}},
		{"BatchGetSecretValue", func(r *testRecord) bool { return r.EventName == "BatchGetSecretValue" }},
		{"failure with an error code", func(r *testRecord) bool { return r.ErrorCode == "AccessDeniedException" }},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range p.records {
				if c.ok(r) {
					return
				}
			}
			t.Error("no such record")
		})
	}

	t.Run("secretId forms mixed per secret", func(t *testing.T) {
		forms := map[string]map[string]bool{}
		for _, r := range p.records {
			if r.EventName != "GetSecretValue" {
				continue
			}
			id, _ := params(r)["secretId"].(string)
			name, form := id, "name"
			if strings.HasPrefix(id, "arn:") {
				name, form = id[strings.Index(id, ":secret:")+8:], "partial"
				if fullSuffix.MatchString(id) {
					name, form = name[:len(name)-7], "full"
				}
			}
			if forms[name] == nil {
				forms[name] = map[string]bool{}
			}
			forms[name][form] = true
		}
		if f := forms["prod/checkout/db"]; len(f) != 3 {
			t.Errorf("prod/checkout/db named as %v, want name, full and partial ARN", f)
		}
	})
	t.Run("cross-account KMS logged in both accounts", func(t *testing.T) {
		shared := map[string]map[string]bool{}
		for _, r := range p.records {
			if r.SharedEventID != "" && r.EventSource == "kms.amazonaws.com" {
				if shared[r.SharedEventID] == nil {
					shared[r.SharedEventID] = map[string]bool{}
				}
				shared[r.SharedEventID][r.RecipientAccountID+" "+r.EventID] = true
			}
		}
		pairs := 0
		for _, m := range shared {
			if len(m) == 2 {
				pairs++
			}
		}
		if pairs == 0 {
			t.Error("no sharedEventID logged in two accounts with two eventIDs")
		}
	})
}

func TestOrgDigests(t *testing.T) {
	out, sum := fullRun()
	var digests []digestFile
	for _, k := range out.keys() {
		if !strings.Contains(k, "/CloudTrail-Digest/") {
			continue
		}
		var d digestFile
		if err := json.Unmarshal(gunzip(t, k, out.objects[k]), &d); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if d.DigestS3Object != k || !strings.HasPrefix(path.Base(k), d.AWSAccountID+"_CloudTrail-Digest_") {
			t.Errorf("%s: digest names %s / account %s", k, d.DigestS3Object, d.AWSAccountID)
		}
		for _, l := range d.LogFiles {
			if _, ok := out.objects[l.S3Object]; !ok {
				t.Errorf("%s lists missing log %s", k, l.S3Object)
			}
		}
		digests = append(digests, d)
	}
	if len(digests) != sum.Digests || len(digests) == 0 {
		t.Fatalf("%d digests, summary says %d", len(digests), sum.Digests)
	}
	chained, listed := 0, 0
	for _, d := range digests {
		if d.PreviousDigestS3Object != nil {
			if _, ok := out.objects[*d.PreviousDigestS3Object]; !ok {
				t.Errorf("previous digest %s missing", *d.PreviousDigestS3Object)
			}
			chained++
		}
		listed += len(d.LogFiles)
	}
	if chained == 0 || listed == 0 {
		t.Errorf("digests: %d chained, %d log files listed", chained, listed)
	}
}
