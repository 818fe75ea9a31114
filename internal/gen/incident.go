package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// plannedIncident runs on the UTC day that holds at.
type plannedIncident struct {
	name string
	at   time.Time
	run  func(r *rand.Rand)
}

const freqSpikeDetail = "an application's rate on one secret jumps twentyfold for two hours"

// defaultHolidays picks a weekday in the warm-up and the first weekday after
// it, so both baselines and incidents meet a holiday.
func defaultHolidays(start time.Time, warmup int) []string {
	pick := func(from time.Time) string {
		for d := from; ; d = d.AddDate(0, 0, 1) {
			if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
				return d.Format(time.DateOnly)
			}
		}
	}
	return []string{pick(start.AddDate(0, 0, 3)), pick(start.AddDate(0, 0, warmup))}
}

// planIncidents places the labeled incidents after the warm-up: off-hours
// reads on a weekend night and a holiday, the rest in business hours on the
// working days that follow, in an order where cause precedes effect (a
// policy change before the partner uses it).
func (g *orgGen) planIncidents() {
	if g.cfg.Days <= g.cfg.Warmup {
		return
	}
	pop := g.pop
	first := g.dayStart(g.cfg.Warmup)
	var dates, workdays []time.Time
	for d := g.cfg.Warmup; d < g.cfg.Days; d++ {
		ld := g.dayStart(d) // UTC midnight; its date is the local date we use
		dates = append(dates, ld)
		if g.workday(g.localAt(ld, 12, 0)) {
			workdays = append(workdays, ld)
		}
	}
	if len(workdays) == 0 {
		workdays = dates
	}
	w := func(i int) time.Time { return workdays[i%len(workdays)] }
	findDate := func(ok func(time.Time) bool) (time.Time, bool) {
		for _, d := range dates {
			if ok(g.localAt(d, 12, 0)) {
				return d, true
			}
		}
		return time.Time{}, false
	}
	add := func(name string, at time.Time, run func(r *rand.Rand)) {
		if at.Before(first) || !at.Before(g.end()) {
			return // outside the generated range (local times near its ends)
		}
		g.plan = append(g.plan, plannedIncident{name: name, at: at, run: run})
	}
	byRole := func(set string) *person {
		for _, ps := range pop.people {
			if strings.HasPrefix(ps.p.name, "AWSReservedSSO_"+set+"_") {
				return ps
			}
		}
		return pop.people[0]
	}
	dev, admin := byRole("Developer"), byRole("AdministratorAccess")
	appNamed := func(name, acct string) *app {
		for _, a := range pop.apps {
			if a.name == name && a.p.account == acct {
				return a
			}
		}
		return pop.apps[0]
	}
	checkout, payments, orders := appNamed("checkout", pop.prod), appNamed("payments", pop.prod), appNamed("orders-api", pop.prod)
	search, notifications := appNamed("search-indexer", pop.prod), appNamed("notifications", pop.prod)

	// off_hours: a weekend night, a holiday, a Sunday evening.
	if d, ok := findDate(func(t time.Time) bool { return g.local(t).Weekday() == time.Saturday }); ok {
		add("off-hours-saturday", g.localAt(d, 3, 5), func(r *rand.Rand) {
			t := g.localAt(d, 3, 5)
			s := payments.secrets[0]
			ids := []string{g.smCall(r, dev.p, dev.session, t, s, "DescribeSecret", true, nil, nil, "")}
			for range 2 {
				t = t.Add(time.Duration(20+r.IntN(90)) * time.Second)
				ids = append(ids, g.getSecretValue(r, dev.p, dev.session, t, s, "", ""))
			}
			g.label(Label{Kind: KindOffHours, Principal: dev.p.ARN(), Resource: s.ARN(), EventIDs: ids,
				Detail: dev.session + " reads a production database secret at 03:00 on a Saturday"})
		})
	}
	if len(g.cfg.Holidays) > 0 {
		if d, ok := findDate(func(t time.Time) bool {
			return g.local(t).Format(time.DateOnly) == g.cfg.Holidays[len(g.cfg.Holidays)-1]
		}); ok {
			add("off-hours-holiday", g.localAt(d, 10, 30), func(r *rand.Rand) {
				t := g.localAt(d, 10, 30)
				s := checkout.secrets[1]
				var ids []string
				for range 3 {
					t = t.Add(time.Duration(10+r.IntN(120)) * time.Second)
					ids = append(ids, g.getSecretValue(r, admin.p, admin.session, t, s, "", ""))
				}
				g.label(Label{Kind: KindOffHours, Principal: admin.p.ARN(), Resource: s.ARN(), EventIDs: ids,
					Detail: admin.session + " reads a production API key on a public holiday"})
			})
		}
	}
	if d, ok := findDate(func(t time.Time) bool { return g.local(t).Weekday() == time.Sunday }); ok {
		add("off-hours-sunday", g.localAt(d, 23, 40), func(r *rand.Rand) {
			t := g.localAt(d, 23, 40)
			ops := pop.opsAdmin
			k := checkout.key
			ids := []string{g.kmsCall(r, ops.p, ops.session, t, k, "Decrypt", true,
				obj{{"encryptionContext", obj{{"app", "checkout"}, {"purpose", "export"}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, "")}
			t = t.Add(50 * time.Second)
			ids = append(ids, g.kmsCall(r, ops.p, ops.session, t, k, "Decrypt", true,
				obj{{"encryptionContext", obj{{"app", "checkout"}, {"purpose", "export"}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, ""))
			g.label(Label{Kind: KindOffHours, Principal: ops.p.ARN(), Resource: k.ARN(), EventIDs: ids,
				Detail: ops.session + " decrypts with the checkout key late on a Sunday"})
		})
	}

	// failed_access: enumeration with AccessDenied, and a retrying app as a decoy.
	add("failed-access-ci", g.localAt(w(0), 10, 20), func(r *rand.Rand) {
		t := g.localAt(w(0), 10, 20)
		ci := pop.ciUser
		ids := []string{g.emit(r, call{t: t, p: ci, source: "secretsmanager", name: "ListSecrets", readOnly: true,
			params: obj{{"maxResults", 100}}, errCode: "AccessDeniedException",
			errMsg: "User: " + ci.ARN() + " is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action"})}
		n := 0
		for _, s := range pop.allSecrets() {
			if s == pop.ciSecret || s.account != pop.prod || n == 12 {
				continue
			}
			n++
			t = t.Add(time.Duration(5+r.IntN(25)) * time.Second)
			ids = append(ids, g.getSecretValue(r, ci, "", t, s, "", "AccessDeniedException"))
		}
		n = 0
		for _, k := range pop.allKeys() {
			if k.account != pop.prod || n == 5 {
				continue
			}
			n++
			t = t.Add(time.Duration(5+r.IntN(25)) * time.Second)
			ids = append(ids, g.kmsCall(r, ci, "", t, k, []string{"Decrypt", "DescribeKey"}[n%2], true, nil, nil, "AccessDeniedException"))
		}
		g.label(Label{Kind: KindFailedAccess, Principal: ci.ARN(), EventIDs: ids,
			Detail: "an IAM user's access key enumerates 12 secrets and 5 keys, all denied"})
	})
	add("failed-access-app", g.localAt(w(1), 14, 5), func(r *rand.Rand) {
		t := g.localAt(w(1), 14, 5)
		a := appNamed("payments", pop.staging)
		sess := a.sessionFor(g.cfg.Seed, t, r)
		var ids []string
		for _, s := range pop.allSecrets() {
			if s.account != a.p.account || s == a.secrets[0] {
				continue
			}
			t = t.Add(time.Duration(2+r.IntN(10)) * time.Second)
			ids = append(ids, g.getSecretValue(r, a.p, sess, t, s, "", "AccessDeniedException"))
		}
		for _, k := range pop.allKeys() {
			if k.account != a.p.account || k == a.key {
				continue
			}
			t = t.Add(time.Duration(2+r.IntN(10)) * time.Second)
			ids = append(ids, g.kmsCall(r, a.p, sess, t, k, "Decrypt", true, nil, nil, "AccessDeniedException"))
		}
		g.label(Label{Kind: KindFailedAccess, Principal: a.p.ARN(), EventIDs: ids,
			Detail: fmt.Sprintf("a workload role tries %d secrets and keys it has no access to", len(ids))})
	})
	add("retrying-app", g.localAt(w(0), 9, 30), func(r *rand.Rand) {
		t := g.localAt(w(0), 9, 30)
		end := t.Add(3 * time.Hour)
		a := notifications
		missing := &secret{name: "prod/notifications/twilio-v2", account: a.p.account, region: g.home, key: a.secrets[0].key,
			suffix: stableString(alnum, 6, g.cfg.Seed, "missing")}
		var ids []string
		for ; t.Before(end); t = t.Add(time.Duration(60+r.IntN(60)) * time.Second) {
			ids = append(ids, g.emit(r, call{t: t, p: a.p, sess: a.p.name, region: g.home, source: "secretsmanager",
				name: "GetSecretValue", readOnly: true, params: obj{{"secretId", missing.name}},
				errCode: "ResourceNotFoundException", errMsg: "Secrets Manager can't find the specified secret."}))
		}
		g.label(Label{Kind: KindDecoy, Principal: a.p.ARN(), Resource: missing.ARN(), EventIDs: ids,
			Detail: DecoyRetryingApp + ": a misconfigured function retries one secret name that does not exist"})
	})

	// frequency: a rate jump on one secret, and many more distinct secrets.
	add("frequency-rate", g.localAt(w(1), 13, 0), func(r *rand.Rand) {
		t := g.localAt(w(1), 13, 0)
		a, s := orders, orders.secrets[0]
		n := int(20 * a.rate * 2 * g.cfg.Scale)
		var ids []string
		for range max(n, 40) {
			tt := within(r, t, 2*time.Hour)
			ids = append(ids, g.getSecretValue(r, a.p, a.sessionFor(g.cfg.Seed, tt, r), tt, s, "", ""))
		}
		g.label(Label{Kind: KindFrequency, Principal: a.p.ARN(), Resource: s.ARN(), EventIDs: ids, Detail: freqSpikeDetail})
	})
	add("frequency-distinct", g.localAt(w(3), 11, 0), func(r *rand.Rand) {
		t := g.localAt(w(3), 11, 0)
		ops := pop.opsAdmin
		var ids []string
		for _, s := range pop.opsPool {
			t = t.Add(time.Duration(30+r.IntN(150)) * time.Second)
			ids = append(ids, g.getSecretValue(r, ops.p, ops.session, t, s, "", ""))
		}
		g.label(Label{Kind: KindFrequency, Principal: ops.p.ARN(), EventIDs: ids,
			Detail: fmt.Sprintf("reads %d distinct secrets in under an hour; two a day is usual", len(pop.opsPool))})
	})

	// first_seen: established apps touching what they never touched.
	add("first-seen-secret", g.localAt(w(1), 10, 45), func(r *rand.Rand) {
		t := g.localAt(w(1), 10, 45)
		s := payments.secrets[1]
		var ids []string
		for range 3 {
			t = t.Add(time.Duration(60+r.IntN(400)) * time.Second)
			ids = append(ids, g.getSecretValue(r, search.p, search.sessionFor(g.cfg.Seed, t, r), t, s, "", ""))
		}
		g.label(Label{Kind: KindFirstSeen, Principal: search.p.ARN(), Resource: s.ARN(), EventIDs: ids,
			Detail: "the search indexer reads the payment provider token, never read by it before"})
	})
	add("first-seen-key", g.localAt(w(2), 15, 10), func(r *rand.Rand) {
		t := g.localAt(w(2), 15, 10)
		k := payments.key
		var ids []string
		for range 2 {
			t = t.Add(time.Duration(30+r.IntN(300)) * time.Second)
			ids = append(ids, g.kmsCall(r, checkout.p, checkout.sessionFor(g.cfg.Seed, t, r), t, k, "Decrypt", true,
				obj{{"encryptionContext", obj{{"app", "payments"}, {"purpose", "payload"}}}, {"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, ""))
		}
		g.label(Label{Kind: KindFirstSeen, Principal: checkout.p.ARN(), Resource: k.ARN(), EventIDs: ids,
			Detail: "the checkout service decrypts with the payments key for the first time"})
	})

	// destructive.
	destroy := func(name string, day time.Time, hh, mm int, p *principal, sess string, res string, detail string, do func(r *rand.Rand, t time.Time) string) {
		add(name, g.localAt(day, hh, mm), func(r *rand.Rand) {
			id := do(r, g.localAt(day, hh, mm))
			g.label(Label{Kind: KindDestructive, Principal: p.ARN(), Resource: res, EventIDs: []string{id}, Detail: detail})
		})
	}
	legacy := pop.legacySecret
	destroy("delete-secret", w(0), 16, 0, dev.p, dev.session, legacy.ARN(), "DeleteSecret with a 7-day recovery window",
		func(r *rand.Rand, t time.Time) string {
			id := g.smCall(r, dev.p, dev.session, t, legacy, "DeleteSecret", false, obj{{"recoveryWindowInDays", 7}},
				obj{{"arn", legacy.FullARN()}, {"name", legacy.name}, {"deletionDate", t.AddDate(0, 0, 7).Format("Jan 2, 2006, 3:04:05 PM")}}, "")
			g.smCall(r, admin.p, admin.session, t.Add(35*time.Minute), legacy, "RestoreSecret", false, nil,
				obj{{"arn", legacy.FullARN()}, {"name", legacy.name}}, "")
			return id
		})
	destroy("schedule-key-deletion", w(1), 11, 30, admin.p, admin.session, pop.legacyKey.ARN(), "ScheduleKeyDeletion with a 30-day window",
		func(r *rand.Rand, t time.Time) string {
			k := pop.legacyKey
			return g.kmsCall(r, admin.p, admin.session, t, k, "ScheduleKeyDeletion", false, obj{{"pendingWindowInDays", 30}},
				obj{{"keyId", k.ARN()}, {"deletionDate", t.AddDate(0, 0, 30).Format("Jan 2, 2006, 3:04:05 PM")}, {"keyState", "PendingDeletion"}, {"pendingWindowInDays", 30}}, "")
		})
	stagingKey := appNamed("orders-api", pop.staging).key
	rootStaging := pop.root[pop.staging]
	destroy("disable-key", w(2), 10, 10, rootStaging, "", stagingKey.ARN(), "the root user disables a key",
		func(r *rand.Rand, t time.Time) string {
			id := g.kmsCall(r, rootStaging, "", t, stagingKey, "DisableKey", false, nil, nil, "")
			g.kmsCall(r, rootStaging, "", t.Add(20*time.Minute), stagingKey, "EnableKey", false, nil, nil, "")
			return id
		})
	reporting := appNamed("reporting", pop.prod)
	destroy("delete-alias", w(3), 9, 40, pop.ciUser, "", reporting.key.ARN(), "DeleteAlias alias/"+reporting.key.alias,
		func(r *rand.Rand, t time.Time) string {
			k := reporting.key
			id := g.emit(r, call{t: t, p: pop.ciUser, region: k.region, source: "kms", name: "DeleteAlias",
				params: obj{{"aliasName", "alias/" + k.alias}},
				res:    []resource{{AccountID: k.account, Type: "AWS::KMS::Key", ARN: k.AliasARN()}, {AccountID: k.account, Type: "AWS::KMS::Key", ARN: k.ARN()}}})
			g.emit(r, call{t: t.Add(2 * time.Minute), p: pop.ciUser, region: k.region, source: "kms", name: "CreateAlias",
				params: obj{{"aliasName", "alias/" + k.alias}, {"targetKeyId", k.id}},
				res:    []resource{{AccountID: k.account, Type: "AWS::KMS::Key", ARN: k.AliasARN()}, {AccountID: k.account, Type: "AWS::KMS::Key", ARN: k.ARN()}}})
			return id
		})
	if len(pop.rotators) > 0 {
		rs := pop.rotators[0]
		destroy("cancel-rotate", w(3), 16, 30, dev.p, dev.session, rs.ARN(), "CancelRotateSecret turns rotation off",
			func(r *rand.Rand, t time.Time) string {
				return g.smCall(r, dev.p, dev.session, t, rs, "CancelRotateSecret", false, nil,
					obj{{"arn", rs.FullARN()}, {"name", rs.name}}, "")
			})
	}

	// policy_change: the partner account gets access; then uses it.
	ps := pop.partnerSecret
	partner := pop.partner.id
	// Set-up, during the warm-up: the partner's secret is created.
	if g.cfg.Days > 0 {
		at := g.localAt(g.dayStart(min(2, g.cfg.Days-1)), 11, 0)
		if !at.Before(g.cfg.Start) {
			g.plan = append(g.plan, plannedIncident{name: "create-partner-secret", at: at, run: func(r *rand.Rand) {
				tok := uuid(r)
				g.emit(r, call{t: at, p: admin.p, sess: admin.session, region: ps.region, source: "secretsmanager", name: "CreateSecret",
					params: obj{{"name", ps.name}, {"description", "API credentials shared with the partner"}, {"clientRequestToken", tok}, {"kmsKeyId", "alias/" + ps.key.alias}},
					resp:   obj{{"arn", ps.FullARN()}, {"name", ps.name}, {"versionId", tok}}})
			}})
		}
	}
	add("put-resource-policy", g.localAt(w(2), 11, 0), func(r *rand.Rand) {
		t := g.localAt(w(2), 11, 0)
		added := "arn:aws:iam::" + partner + ":root"
		pol := policyJSON(allowStmt("PartnerRead", added, "secretsmanager:GetSecretValue", "*"))
		id := g.smCall(r, admin.p, admin.session, t, ps, "PutResourcePolicy", false,
			obj{{"resourcePolicy", pol}, {"blockPublicPolicy", true}}, obj{{"arn", ps.FullARN()}, {"name", ps.name}}, "")
		g.label(Label{Kind: KindPolicyChange, Principal: admin.p.ARN(), Resource: ps.ARN(), EventIDs: []string{id},
			Detail: "PutResourcePolicy adds " + added + " (account " + partner + ")"})
	})
	add("put-key-policy", g.localAt(w(2), 11, 20), func(r *rand.Rand) {
		t := g.localAt(w(2), 11, 20)
		k := pop.secretsKey[pop.prod]
		added := pop.partnerRole.ARN()
		pol := policyJSON(allowStmt("Enable IAM User Permissions", "arn:aws:iam::"+k.account+":root", "kms:*", "*"),
			allowStmt("PartnerDecrypt", added, "kms:Decrypt", "*"))
		id := g.kmsCall(r, admin.p, admin.session, t, k, "PutKeyPolicy", false,
			obj{{"policyName", "default"}, {"policy", pol}, {"bypassPolicyLockoutSafetyCheck", false}}, nil, "")
		g.label(Label{Kind: KindPolicyChange, Principal: admin.p.ARN(), Resource: k.ARN(), EventIDs: []string{id},
			Detail: "PutKeyPolicy adds " + added + " (account " + partner + ")"})
	})
	add("create-grant", g.localAt(w(2), 14, 40), func(r *rand.Rand) {
		t := g.localAt(w(2), 14, 40)
		k := payments.key
		added := pop.partnerRole.ARN()
		id := g.kmsCall(r, admin.p, admin.session, t, k, "CreateGrant", false,
			obj{{"granteePrincipal", added}, {"operations", []string{"Decrypt", "DescribeKey"}}},
			obj{{"grantId", randHex(r, 64)}, {"keyId", k.ARN()}}, "")
		g.label(Label{Kind: KindPolicyChange, Principal: admin.p.ARN(), Resource: k.ARN(), EventIDs: []string{id},
			Detail: "CreateGrant gives " + added + " (account " + partner + ") Decrypt"})
	})

	// cross_account: the partner uses what it was given.
	add("cross-account-secret", g.localAt(w(3), 10, 0), func(r *rand.Rand) {
		t := g.localAt(w(3), 10, 0)
		var ids []string
		for range 3 {
			t = t.Add(time.Duration(60+r.IntN(600)) * time.Second)
			ids = append(ids, g.getSecretValue(r, pop.partnerRole, "partner-sync-"+randHex(r, 8), t, ps, "", ""))
		}
		g.label(Label{Kind: KindCrossAccount, Principal: pop.partnerRole.ARN(), Resource: ps.ARN(), EventIDs: ids,
			Detail: "a role in the external account " + partner + " reads a production secret"})
	})
	add("cross-account-key", g.localAt(w(3), 13, 30), func(r *rand.Rand) {
		t := g.localAt(w(3), 13, 30)
		k := payments.key
		var ids []string
		for range 2 {
			t = t.Add(time.Duration(30+r.IntN(300)) * time.Second)
			ids = append(ids, g.kmsCall(r, pop.partnerRole, "partner-sync-"+randHex(r, 8), t, k, "Decrypt", true,
				obj{{"encryptionAlgorithm", "SYMMETRIC_DEFAULT"}}, nil, ""))
		}
		g.label(Label{Kind: KindCrossAccount, Principal: pop.partnerRole.ARN(), Resource: k.ARN(), EventIDs: ids,
			Detail: "a role in the external account " + partner + " decrypts with a production key"})
	})
}
