package ingest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/source"
)

// recordNaming returns a record of s whose only references are the given
// fields (source.Ref.String paths), each set to its bare reference.
func recordNaming(t *testing.T, s *source.Source, name string, fields map[source.Ref]string) *cloudtrail.Record {
	t.Helper()
	doc := map[string]any{"eventVersion": "1.08", "eventTime": "2025-03-10T12:00:00Z", "eventSource": s.EventSource,
		"eventName": name, "awsRegion": "us-east-1", "recipientAccountId": "111122223333", "eventID": "e1"}
	for ref, v := range fields {
		path := strings.Split(ref.String(), ".")
		m := doc
		for _, k := range path[:len(path)-1] {
			next, _ := m[k].(map[string]any)
			if next == nil {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		var val any = v
		if ref == source.RequestSecretIDList {
			val = []string{v}
		}
		m[path[len(path)-1]] = val
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var rec cloudtrail.Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return &rec
}

// bareARN is the canonical ARN of a bare reference to s's first type.
func bareARN(s *source.Source, ref string) string {
	return "arn:aws:" + s.Prefix + ":us-east-1:111122223333:" + s.Types[0].ARNPrefix + ref
}

// TestEveryRefIsDecoded: each record field the registry says names a
// source's resource is read from the place its path names, and a record
// naming all of them lists them in the registry's order.
func TestEveryRefIsDecoded(t *testing.T) {
	for _, s := range source.All {
		all := map[source.Ref]string{}
		var want []string
		for i, ref := range s.Refs {
			t.Run(s.Title+"/"+ref.String(), func(t *testing.T) {
				name := "Call"
				if ref == source.CreatedName {
					name = s.Create
				}
				e, err := Normalize(recordNaming(t, s, name, map[source.Ref]string{ref: "r-1"}), nil)
				if err != nil {
					t.Fatal(err)
				}
				if w := []string{bareARN(s, "r-1")}; !slices.Equal(e.ResourceARNs, w) || e.ResourceType != s.Types[0].Name {
					t.Errorf("resource_arns %q (%s), want %q (%s)", e.ResourceARNs, e.ResourceType, w, s.Types[0].Name)
				}
			})
			if ref != source.CreatedName { // only when nothing else names the secret
				id := fmt.Sprintf("r-%d", i)
				all[ref] = id
				want = append(want, bareARN(s, id))
			}
		}
		e, err := Normalize(recordNaming(t, s, "Call", all), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(e.ResourceARNs, want) {
			t.Errorf("%s: resource_arns %q, want the registry's order %q", s.Title, e.ResourceARNs, want)
		}
	}
}

// TestCreatedNameOnlyAlone: CreateSecret's name names the secret only when
// the record carries no ARN or id for it.
func TestCreatedNameOnlyAlone(t *testing.T) {
	s := source.SecretsManager
	for _, tc := range []struct {
		name   string
		fields map[source.Ref]string
		want   []string
	}{
		{s.Create, map[source.Ref]string{source.CreatedName: "n"}, []string{bareARN(s, "n")}},
		{"UpdateSecret", map[source.Ref]string{source.CreatedName: "n"}, []string{}},
		{s.Create, map[source.Ref]string{source.CreatedName: "n", source.RequestSecretID: "id"}, []string{bareARN(s, "id")}},
		{s.Create, map[source.Ref]string{source.CreatedName: "n", source.ResponseARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:n-AbCdEf"},
			[]string{bareARN(s, "n")}},
	} {
		e, err := Normalize(recordNaming(t, s, tc.name, tc.fields), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(e.ResourceARNs, tc.want) {
			t.Errorf("%s %v: resource_arns %q, want %q", tc.name, tc.fields, e.ResourceARNs, tc.want)
		}
	}
}

// TestUnknownSourceNamesOnlyResources: a record of a source keytrail does
// not know (one a user added to Config.Sources) names resources through
// resources[] only: its request members mean what its own service says,
// not what KMS's do. SSM's PutParameter names the KMS key that encrypts
// the parameter in keyId; the parameter, not the key, is what was touched.
func TestUnknownSourceNamesOnlyResources(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:111122223333:key/0b3c7f4e-1111-2222-3333-444455556666"
	for _, tc := range []struct {
		name string
		rec  string
		want []string
	}{
		{"request member", `{"eventVersion":"1.08","eventTime":"2025-03-10T12:00:00Z","eventSource":"ssm.amazonaws.com",
			"eventName":"PutParameter","awsRegion":"us-east-1","recipientAccountId":"111122223333","eventID":"e1",
			"requestParameters":{"name":"/app/db","type":"SecureString","keyId":"` + key + `"},
			"responseElements":{"keyMetadata":{"arn":"` + key + `"}}}`, []string{}},
		{"resources[]", `{"eventVersion":"1.08","eventTime":"2025-03-10T12:00:00Z","eventSource":"ssm.amazonaws.com",
			"eventName":"PutParameter","awsRegion":"us-east-1","recipientAccountId":"111122223333","eventID":"e1",
			"resources":[{"ARN":"` + key + `"}]}`, []string{key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec cloudtrail.Record
			if err := json.Unmarshal([]byte(tc.rec), &rec); err != nil {
				t.Fatal(err)
			}
			e, err := Normalize(&rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(e.ResourceARNs, tc.want) {
				t.Errorf("resource_arns %q, want %q", e.ResourceARNs, tc.want)
			}
		})
	}
}
