package gen

import (
	"reflect"
	"testing"
	"time"

	"github.com/keytrail/keytrail/inventory"
)

// The inventory is the seed's alone, holds everything the population
// names, and follows the incidents that change state: without them (a
// period no longer than the warm-up) nothing is shared with the partner
// and no key is pending deletion. Its consistency with the events is
// tested in internal/demo, where they are ingested.
func TestInventory(t *testing.T) {
	cfg := Config{Seed: 3, Start: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Days: 21}
	a, err := Inventory(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Inventory(cfg)
	if !reflect.DeepEqual(a, b) {
		t.Error("two inventories of one configuration differ")
	}
	if a.Day != "2026-06-21" || !a.At.Equal(time.Date(2026, 6, 21, 23, 30, 0, 0, time.UTC)) {
		t.Errorf("taken %s (day %s)", a.At, a.Day)
	}
	full, _ := cfg.withDefaults()
	pop := buildPopulation(&full)
	secrets, keys, principals := map[string]inventory.Secret{}, map[string]inventory.Key{}, map[string]bool{}
	for _, s := range a.Secrets {
		secrets[s.ARN] = s
	}
	for _, k := range a.Keys {
		keys[k.ARN] = k
	}
	for _, p := range a.Principals {
		principals[p.ARN] = true
	}
	for _, s := range pop.allSecrets() {
		if _, ok := secrets[s.FullARN()]; !ok {
			t.Errorf("secret %s missing", s.name)
		}
	}
	for _, k := range pop.allKeys() {
		if _, ok := keys[k.ARN()]; !ok {
			t.Errorf("key %s missing", k.alias)
		}
	}
	actors := []*principal{pop.ciUser, pop.batch, pop.ingest, pop.alerter, pop.opsAdmin.p}
	for _, ap := range pop.apps {
		actors = append(actors, ap.p)
	}
	for _, ps := range pop.people {
		actors = append(actors, ps.p)
	}
	for _, p := range actors {
		if !principals[p.ARN()] {
			t.Errorf("principal %s missing", p.ARN())
		}
	}
	if len(a.Secrets) != len(pop.allSecrets())+1 || len(a.Principals) != len(principals) {
		t.Errorf("%d secrets for %d of the population and the unused one; %d principal rows for %d ARNs",
			len(a.Secrets), len(pop.allSecrets()), len(a.Principals), len(principals))
	}
	if ps := secrets[pop.partnerSecret.FullARN()]; ps.ResourcePolicy == "" {
		t.Error("the partner secret has no resource policy after the incident that writes it")
	}
	if k := keys[pop.legacyKey.ARN()]; k.State != "PendingDeletion" {
		t.Errorf("legacy key %s after its scheduled deletion", k.State)
	}

	cfg.Days, cfg.Warmup = 10, 14
	quiet, err := Inventory(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range quiet.Secrets {
		if s.ResourcePolicy != "" {
			t.Errorf("%s has a resource policy with no incident to write it", s.Name)
		}
	}
	for _, k := range quiet.Keys {
		if k.State != "Enabled" {
			t.Errorf("%s is %s with no incident", k.ARN, k.State)
		}
	}
	for _, p := range quiet.Permissions {
		if p.Outside {
			t.Errorf("reachable from outside with no incident: %+v", p)
		}
	}
}

// Any organization size gives an inventory whose rows all belong to it:
// one account (prod is staging and security), two, eight.
func TestInventorySizes(t *testing.T) {
	for _, n := range []int{1, 2, 8} {
		s, err := Inventory(Config{Seed: 5, Accounts: n, Regions: []string{"eu-west-1"}})
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]bool{}
		for _, a := range s.Accounts {
			in[a] = true
		}
		if len(s.Accounts) != n || len(s.Coverage) != 4*n {
			t.Errorf("%d accounts: %v, %d coverage rows", n, s.Accounts, len(s.Coverage))
		}
		arns := map[string]bool{}
		for _, r := range s.Secrets {
			arns[r.ARN] = in[r.Account]
		}
		for _, r := range s.Keys {
			arns[r.ARN] = in[r.Account]
		}
		for _, p := range s.Principals {
			if !in[p.Account] {
				t.Errorf("%d accounts: principal %s outside them", n, p.ARN)
			}
		}
		for _, p := range s.Permissions {
			if !arns[p.ResourceARN] {
				t.Errorf("%d accounts: permission on %s, not a resource of the inventory", n, p.ResourceARN)
			}
		}
		if len(s.Permissions) == 0 {
			t.Errorf("%d accounts: nobody may do anything", n)
		}
	}
}
