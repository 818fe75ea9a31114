package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/inventory"
)

// dataActions are the calls that use a secret's value or a key: the ones
// the inventory's who-may answers for.
var dataActions = map[string]bool{"GetSecretValue": true, "Decrypt": true, "Encrypt": true, "GenerateDataKey": true,
	"GenerateDataKeyWithoutPlaintext": true, "GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true,
	"ReEncryptFrom": true, "ReEncryptTo": true, "Sign": true, "Verify": true}

func actionOf(e event.Event) string {
	if e.EventSource == "secretsmanager.amazonaws.com" {
		return "secretsmanager:" + e.EventName
	}
	return "kms:" + e.EventName
}

// eventARNs are the ARNs the events name a permission's resource by. A
// secret's lose the six-character suffix Secrets Manager adds; a secret
// whose own name ends like a suffix (opensearch-master) is also named
// without it when a call used its partial ARN, which ingest cannot tell
// from a full one (see ingest's canonicalRef).
func eventARNs(r inventory.Permission) []string {
	if r.ResourceType != "secret" {
		return []string{r.ResourceARN}
	}
	return secretEventARNs(r.ResourceARN)
}

func secretEventARNs(full string) []string {
	partial := full[:len(full)-7]
	out := []string{partial}
	if n := len(partial) - 7; n > 0 && partial[n] == '-' {
		out = append(out, partial[:n])
	}
	return out
}

// accountOf is the account of an IAM ARN, "" for a service.
func accountOf(arn string) string {
	if a, ok := ingest.ParseARN(arn); ok {
		return a.Account
	}
	return ""
}

// lakeTable reads every object of one inventory table of day from the lake
// with the inventory's own schema.
func lakeTable[T any](t *testing.T, st *lake.Dir, prefix, day string) []T {
	t.Helper()
	ctx := context.Background()
	objs, err := st.List(ctx, prefix+"day="+day+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatalf("no objects under %sday=%s/", prefix, day)
	}
	var rows []T
	for _, o := range objs {
		rs, err := lake.ReadRows(ctx, st, o.Key, inventory.ReadParquet[T])
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, rs...)
	}
	return rows
}

// The generated organization's inventory, written as the demo writes it
// and read back, agrees with its CloudTrail as keytrail ingests it: who
// used a secret or key may, who was only ever denied may not, and each
// case planted for the access review is there.
func TestInventoryConsistentWithEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests 12 days of CloudTrail")
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cfg := gen.Config{Seed: 7, Start: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Days: 12, Warmup: 5, Scale: 0.2, Location: berlin,
		NoiseShare: -1, DuplicateRate: -1, DigestHours: -1}
	dir := t.TempDir()
	trail, lakeDir := filepath.Join(dir, "cloudtrail"), filepath.Join(dir, "lake")
	if _, err := gen.Org(cfg, gen.WriteDir(trail)); err != nil {
		t.Fatal(err)
	}
	st, err := lake.NewDir(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := ingest.New(st, ingest.Config{Now: func() time.Time { return cfg.Start.AddDate(0, 0, cfg.Days+1) }})
	if _, err := in.Run(ctx, []ingest.Source{ingest.LocalSource{Path: trail}}, ingest.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	var events []event.Event
	objs, err := st.List(ctx, "events/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		rows, err := lake.ReadRows(ctx, st, o.Key, event.ReadParquet)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, rows...)
	}

	var out bytes.Buffer
	d := &demo{Config: Config{Stdout: &out}}
	if err := d.inventory(ctx, lakeDir, cfg); err != nil {
		t.Fatal(err)
	}
	snap, err := gen.Inventory(cfg)
	if err != nil {
		t.Fatal(err)
	}
	day := snap.Day
	if want := cfg.Start.AddDate(0, 0, cfg.Days-1).Format(time.DateOnly); day != want {
		t.Errorf("inventory of %s, want the last day %s", day, want)
	}
	if !strings.Contains(out.String(), "Inventory of "+day) || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("the demo's line about the inventory: %q", out.String())
	}
	secrets := lakeTable[inventory.Secret](t, st, inventory.SecretsPrefix, day)
	keys := lakeTable[inventory.Key](t, st, inventory.KeysPrefix, day)
	principals := lakeTable[inventory.Principal](t, st, inventory.PrincipalsPrefix, day)
	perms := lakeTable[inventory.Permission](t, st, inventory.PermissionsPrefix, day)
	coverage := lakeTable[inventory.Coverage](t, st, inventory.CoveragePrefix, day)
	if len(secrets) != len(snap.Secrets) || len(keys) != len(snap.Keys) || len(principals) != len(snap.Principals) ||
		len(perms) != len(snap.Permissions) || len(coverage) != len(snap.Coverage) {
		t.Fatalf("read back %d secrets, %d keys, %d principals, %d permissions, %d coverage rows; wrote %d, %d, %d, %d, %d",
			len(secrets), len(keys), len(principals), len(perms), len(coverage),
			len(snap.Secrets), len(snap.Keys), len(snap.Principals), len(snap.Permissions), len(snap.Coverage))
	}
	for _, c := range coverage {
		if c.Status != inventory.StatusOK {
			t.Errorf("coverage %+v", c)
		}
	}

	accounts := map[string]bool{}
	for _, c := range coverage {
		accounts[c.Account] = true
	}
	// may[resource][principal] lists the actions granted.
	may := map[string]map[string][]string{}
	for _, p := range perms {
		for _, r := range eventARNs(p) {
			if may[r] == nil {
				may[r] = map[string][]string{}
			}
			may[r][p.PrincipalARN] = append(may[r][p.PrincipalARN], p.Action)
		}
	}
	allowed := func(principal, account, resource, action string) bool {
		who := may[resource]
		if slices.Contains(who[principal], action) {
			return true
		}
		// A principal of an account the inventory does not cover is let in
		// through its account, which a policy names by its root.
		return !accounts[account] && account != "" && slices.Contains(who["arn:aws:iam::"+account+":root"], action)
	}
	type use struct{ principal, account, resource, action string }
	succeeded, denied := map[use]int{}, map[use]int{}
	lastRead := map[string]time.Time{}
	touched := map[string]bool{} // every resource and principal an event names
	for _, e := range events {
		touched[e.PrincipalARN] = true
		for _, r := range e.ResourceARNs {
			touched[r] = true
		}
		if !dataActions[e.EventName] || e.ResourceARN == "" {
			continue
		}
		u := use{e.PrincipalARN, e.PrincipalAccount, e.ResourceARN, actionOf(e)}
		switch {
		case !e.Failed:
			succeeded[u]++
			if !allowed(u.principal, u.account, u.resource, u.action) {
				t.Errorf("%s calls %s on %s at %s, but no permission row lets it", e.PrincipalARN, e.EventName, e.ResourceARN, e.EventTime)
			}
			if e.EventName == "GetSecretValue" && e.EventTime.After(lastRead[e.ResourceARN]) {
				lastRead[e.ResourceARN] = e.EventTime
			}
		case e.ErrorCode == "AccessDeniedException":
			denied[u]++
		}
	}
	for u := range denied {
		if succeeded[u] == 0 && allowed(u.principal, u.account, u.resource, u.action) {
			t.Errorf("%s is only ever denied %s on %s, yet a permission row allows it", u.principal, u.action, u.resource)
		}
	}
	if len(succeeded) < 40 || len(denied) < 10 {
		t.Fatalf("%d successful and %d denied principal × resource × action: the test checks too little", len(succeeded), len(denied))
	}
	for _, s := range secrets {
		for _, arn := range secretEventARNs(s.ARN) {
			if last, ok := lastRead[arn]; ok && (s.LastAccessed == nil || s.LastAccessed.Before(last.Truncate(24*time.Hour))) {
				t.Errorf("%s last read %s, but last accessed %v", s.Name, last, s.LastAccessed)
			}
		}
	}

	// The planted cases.
	inventoryDay, _ := time.Parse(time.DateOnly, day)
	secret := func(name string) inventory.Secret {
		for _, s := range secrets {
			if s.Name == name {
				return s
			}
		}
		t.Fatalf("no secret %s", name)
		return inventory.Secret{}
	}
	key := func(alias string) inventory.Key {
		for _, k := range keys {
			if slices.Contains(k.Aliases, "alias/"+alias) {
				return k
			}
		}
		t.Fatalf("no key alias/%s", alias)
		return inventory.Key{}
	}
	rowsFor := func(resource string, keep func(inventory.Permission) bool) []inventory.Permission {
		var out []inventory.Permission
		for _, p := range perms {
			if p.ResourceARN == resource && keep(p) {
				out = append(out, p)
			}
		}
		return out
	}
	unused := secret("staging/loadtest/orders-db")
	if touched[secretEventARNs(unused.ARN)[0]] || unused.LastAccessed == nil || unused.LastAccessed.After(inventoryDay.AddDate(0, 0, -90)) {
		t.Errorf("the unused secret is named by an event or was accessed in the last 90 days: %v", unused.LastAccessed)
	}
	if len(rowsFor(unused.ARN, func(inventory.Permission) bool { return true })) == 0 {
		t.Error("nobody may read the unused secret: it would not be a grant to remove")
	}

	batch := key("batch-exports")
	grant := rowsFor(batch.ARN, func(p inventory.Permission) bool { return p.Via == "grant" })
	if len(grant) == 0 {
		t.Fatalf("no grant on %s", batch.ARN)
	}
	for _, g := range grant {
		if succeeded[use{g.PrincipalARN, accountOf(g.PrincipalARN), batch.ARN, g.Action}] > 0 {
			t.Errorf("the unused grant is used: %s %s", g.PrincipalARN, g.Action)
		}
	}
	if batch.Manager != "CUSTOMER" || batch.Spec != "SYMMETRIC_DEFAULT" || batch.RotationEnabled == nil || *batch.RotationEnabled {
		t.Errorf("batch-exports should be a customer managed symmetric key without rotation: %+v", batch)
	}

	var leaver inventory.Principal
	for _, p := range principals {
		if p.Kind == inventory.KindUser && p.Name == "jan.keller" {
			leaver = p
		}
	}
	if leaver.ARN == "" || touched[leaver.ARN] || !slices.Contains(leaver.Groups, "developers") {
		t.Errorf("the leaver is missing, in no group, or has calls: %+v", leaver)
	}
	n := 0
	for _, p := range perms {
		if p.PrincipalARN == leaver.ARN && p.Action == "secretsmanager:GetSecretValue" && strings.HasPrefix(p.GrantedBy, "identity policy group:developers/") {
			n++
		}
	}
	if n == 0 {
		t.Error("the leaver may read no secret through the developers group")
	}

	partner := secret("prod/partner/api-credentials")
	if len(rowsFor(partner.ARN, func(p inventory.Permission) bool { return p.Outside && p.Via == "resource-policy" })) == 0 {
		t.Errorf("the partner secret is not readable from outside: %s", partner.ResourcePolicy)
	}

	smtp := secret("prod/notifications/smtp")
	if !smtp.RotationEnabled || smtp.RotationDays == nil || smtp.LastRotated == nil ||
		!smtp.LastRotated.AddDate(0, 0, int(*smtp.RotationDays)).Before(inventoryDay) {
		t.Errorf("smtp's rotation is not overdue: %+v", smtp)
	}
	legacy := key("legacy-data")
	if legacy.State != "PendingDeletion" || legacy.DeletionDate == nil || !legacy.DeletionDate.After(inventoryDay) {
		t.Errorf("legacy-data is not pending deletion: %s %v", legacy.State, legacy.DeletionDate)
	}

	// Both used and unused grants: what the review's permissions.csv needs.
	usedRows, unusedRows := 0, 0
	for _, p := range perms {
		used := false
		for _, r := range eventARNs(p) {
			used = used || succeeded[use{p.PrincipalARN, accountOf(p.PrincipalARN), r, p.Action}] > 0
		}
		if used {
			usedRows++
		} else {
			unusedRows++
		}
	}
	if usedRows == 0 || unusedRows == 0 {
		t.Errorf("%d used and %d unused permission rows", usedRows, unusedRows)
	}
}
