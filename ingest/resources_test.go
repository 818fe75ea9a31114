package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/source"
)

// secretARN is the full ARN of the i-th generated secret, random suffix
// included; canonicalSecret is the ARN setResources makes of it.
func secretARN(i int) string {
	return fmt.Sprintf("arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-%06d-AbCdEf", i)
}

func canonicalSecret(i int) string {
	return fmt.Sprintf("arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-%06d", i)
}

// manyResources returns a BatchGetSecretValue record whose resources name
// n distinct secrets, as a hostile or broken producer could write.
func manyResources(n int) *cloudtrail.Record {
	rec := &cloudtrail.Record{EventSource: source.SecretsManager.EventSource, EventName: "BatchGetSecretValue",
		AWSRegion: "us-east-1", RecipientAccountID: "111122223333"}
	rec.Resources = make([]cloudtrail.Resource, n)
	for i := range rec.Resources {
		rec.Resources[i].ARN = secretARN(i)
	}
	return rec
}

// BenchmarkSetResources70k measures the resource columns of one record
// naming 70,000 secrets.
func BenchmarkSetResources70k(b *testing.B) {
	rec := manyResources(70_000)
	b.ReportAllocs()
	for b.Loop() {
		e := event.Event{EventSource: rec.EventSource}
		var p requestRefs
		setResources(&e, rec, &p, "aws")
	}
}

// scanResources is setResources as it was before it had a set and a cap:
// each reference is looked for in its kind's list. It is the reference
// for what setResources keeps and in which order.
func scanResources(e *event.Event, rec *cloudtrail.Record, p *requestRefs, part string) {
	region, account := rec.AWSRegion, rec.RecipientAccountID
	var lists [3][]string
	addRef := func(ref string) {
		k, canon := canonicalRef(source.Of(e.EventSource), ref, part, region, account)
		if k < 0 {
			return
		}
		if !slices.Contains(lists[k], canon) {
			lists[k] = append(lists[k], canon)
		}
	}
	for _, r := range rec.Resources {
		if a := r.Arn(); strings.HasPrefix(a, "arn:") {
			addRef(a)
		}
	}
	var resp responseRefs
	resp.decode(rec.ResponseElements)
	var extra extraRefs
	extra.decode(rec.AdditionalEventData)
	if e.EventSource == source.SecretsManager.EventSource {
		addRef(resp.ARN)
		addRef(p.SecretID)
		for _, id := range p.SecretIDList {
			addRef(id)
		}
		if resp.ARN == "" && p.SecretID == "" && e.EventName == "CreateSecret" {
			addRef(p.Name)
		}
		addRef(extra.SecretID)
	} else {
		if resp.KeyMetadata != nil {
			addRef(resp.KeyMetadata.ARN)
		}
		for _, ref := range []string{p.KeyID, p.SourceKeyID, p.DestinationKeyID, p.TargetKeyID, p.PrimaryKeyARN, p.AliasName} {
			addRef(ref)
		}
	}
	secrets, keys, aliases := lists[0], lists[1], lists[2]
	if len(aliases) > 0 {
		e.KeyAlias = aliasName(aliases[0])
	}
	if len(keys) == 1 {
		secrets = nil
	}
	e.ResourceARNs = slices.Concat(secrets, keys, aliases)
	if e.ResourceARNs == nil {
		e.ResourceARNs = []string{}
	}
	if len(e.ResourceARNs) > 0 {
		e.ResourceARN = e.ResourceARNs[0]
	}
}

// TestSetResourcesKeepsOrderAndDuplicates draws records naming secrets,
// keys and aliases, in every spelling and with many repeats, below and
// above the size where setResources switches to a set and the cap: the
// row must list what the scan lists, in its order, cut to maxResources,
// and say it was cut exactly when it was.
func TestSetResourcesKeepsOrderAndDuplicates(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 11))
	// A reference of each kind and spelling to i, an index into a pool.
	spell := []func(i int) string{
		func(i int) string { return secretARN(i) },
		func(i int) string { return canonicalSecret(i) }, // partial ARN, same secret
		func(i int) string { return fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:key/%08d", i) },
		func(i int) string { return fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:alias/a%d", i) },
	}
	var cut int // rows the cap cut: the draw must reach it
	sizes := []int{0, 1, 2, 3, 4, 5, 8, smallRefs - 1, smallRefs, smallRefs + 1, smallRefs + 2, 40,
		maxResources - 1, maxResources, maxResources + 1, 2*maxResources + 7, 3*maxResources + 50}
	for _, n := range sizes {
		for _, pool := range []int{1, 3, n/2 + 1, 4 * n} { // few distinct, many repeats; or nearly all distinct
			for _, src := range []string{source.SecretsManager.EventSource, source.KMS.EventSource} {
				rec := &cloudtrail.Record{EventSource: src, EventName: "Call", AWSRegion: "us-east-1", RecipientAccountID: "111122223333"}
				var p requestRefs
				kinds := rng.IntN(len(spell)) + 1 // draw from the first kinds only, or from all
				for range n {
					ref := spell[rng.IntN(kinds)](rng.IntN(pool))
					if rng.IntN(4) == 0 && src == source.SecretsManager.EventSource {
						// The request's list, where a bare name is also a reference.
						p.SecretIDList = append(p.SecretIDList, strings.TrimPrefix(ref, "arn:aws:secretsmanager:us-east-1:111122223333:secret:"))
						continue
					}
					rec.Resources = append(rec.Resources, cloudtrail.Resource{ARN: ref})
				}
				if n > 0 && rng.IntN(2) == 0 {
					p.KeyID = spell[2](rng.IntN(pool))
				}
				name := fmt.Sprintf("%d refs of %d %s kinds %d", n, pool, src, kinds)
				want := event.Event{EventSource: src}
				scanResources(&want, rec, &p, "aws")
				wantCapped := len(want.ResourceARNs) > maxResources
				if wantCapped {
					cut++
					want.ResourceARNs = want.ResourceARNs[:maxResources]
				}
				got := event.Event{EventSource: src}
				capped := setResources(&got, rec, &p, "aws")
				if !slices.Equal(got.ResourceARNs, want.ResourceARNs) {
					t.Errorf("%s: resource_arns (%d) differ from the scan's (%d)", name, len(got.ResourceARNs), len(want.ResourceARNs))
				}
				if got.ResourceARNs == nil {
					t.Errorf("%s: resource_arns is nil, want an empty list", name)
				}
				if got.ResourceARN != want.ResourceARN || got.KeyAlias != want.KeyAlias {
					t.Errorf("%s: resource_arn %q key_alias %q, want %q %q", name, got.ResourceARN, got.KeyAlias, want.ResourceARN, want.KeyAlias)
				}
				if capped != wantCapped {
					t.Errorf("%s: capped = %v, want %v", name, capped, wantCapped)
				}
			}
		}
	}
	if cut == 0 {
		t.Error("no drawn row is above the cap: the draw no longer tests it")
	}
}

// TestManyResourcesCapped ingests a record naming 70,000 distinct secrets
// beside an ordinary one: its row keeps the first maxResources in the
// order named, the ordinary row all of its own, and the summary and the
// log say one row was cut.
func TestManyResourcesCapped(t *testing.T) {
	const n = 70_000
	type resource struct {
		ARN string `json:"ARN"`
	}
	big := map[string]any{
		"eventVersion": "1.09", "eventTime": "2026-06-01T10:00:00Z", "eventID": "e-many",
		"eventSource": source.SecretsManager.EventSource, "eventName": "BatchGetSecretValue",
		"awsRegion": "us-east-1", "recipientAccountId": "111122223333",
		"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"},
	}
	resources := make([]resource, n)
	for i := range resources {
		resources[i].ARN = secretARN(i)
	}
	big["resources"] = resources
	bigJSON, err := json.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	small := `{"eventVersion":"1.09","eventTime":"2026-06-01T10:00:01Z","eventID":"e-one","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{"secretId":"app/db-000001"}}`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "many.json.gz"), logFile(t, []json.RawMessage{bigJSON, json.RawMessage(small)}, true), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newLake(t)
	var log bytes.Buffer
	in := New(d, Config{Logger: newJSONLogger(&log)})
	sum, err := in.Run(context.Background(), []Source{LocalSource{Path: dir}}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Kept != 2 || sum.OK != 1 || sum.CappedRows != 1 {
		t.Fatalf("summary %+v, want 2 rows kept from one ok object, 1 capped", sum)
	}
	rows := readLake(t, d)
	if len(rows) != 2 {
		t.Fatalf("%d rows in the lake, want 2", len(rows))
	}
	byID := map[string]event.Event{}
	for _, r := range rows {
		byID[r.EventID] = r
	}
	many := byID["e-many"]
	if len(many.ResourceARNs) != maxResources {
		t.Fatalf("resource_arns holds %d, want the cap %d", len(many.ResourceARNs), maxResources)
	}
	for i, a := range many.ResourceARNs {
		if a != canonicalSecret(i) {
			t.Fatalf("resource_arns[%d] = %q, want %q (the order named)", i, a, canonicalSecret(i))
		}
	}
	if many.ResourceARN != canonicalSecret(0) || many.ResourceType != event.ResourceSecret {
		t.Errorf("resource_arn %q type %q, want the first secret", many.ResourceARN, many.ResourceType)
	}
	if one := byID["e-one"]; !slices.Equal(one.ResourceARNs, []string{canonicalSecret(1)}) {
		t.Errorf("ordinary row resource_arns = %q", one.ResourceARNs)
	}
	var warned bool
	for line := range strings.Lines(log.String()) {
		var l struct {
			Level, Msg, Object string
			Rows               int
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Level == "WARN" && l.Msg == "resource lists capped" {
			warned = l.Object == "many.json.gz" && l.Rows == 1
		}
	}
	if !warned {
		t.Errorf("no warning naming many.json.gz and 1 row in the log:\n%s", log.String())
	}
}
