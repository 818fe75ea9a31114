package source

import (
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/event"
)

// TestRegistry holds the table to what its readers assume of it.
func TestRegistry(t *testing.T) {
	types, refs, calls := 0, map[Ref]string{}, map[string]string{}
	for _, s := range All {
		if !strings.HasSuffix(s.EventSource, ".amazonaws.com") || s.EventSource != s.Prefix+".amazonaws.com" {
			t.Errorf("%s: event source %q is not the prefix %q's service principal", s.Title, s.EventSource, s.Prefix)
		}
		if Of(s.EventSource) != s || ByPrefix(s.Prefix) != s {
			t.Errorf("%s: Of/ByPrefix do not find it", s.Title)
		}
		if len(s.Types) == 0 || s.Types[0].Bare {
			t.Errorf("%s: the first type takes bare references, so it cannot need a prefix on them", s.Title)
		}
		for i, ty := range s.Types {
			if got := Order(ty.Name); got != types {
				t.Errorf("%s: Order(%s) = %d, want %d", s.Title, ty.Name, got, types)
			}
			if _, o, ok := s.TypeOf(ty.ARNPrefix + "x"); !ok || o != types {
				t.Errorf("%s: TypeOf(%sx) = %d %v, want %d", s.Title, ty.ARNPrefix, o, ok, types)
			}
			for _, other := range s.Types[:i] {
				if strings.HasPrefix(ty.ARNPrefix, other.ARNPrefix) {
					t.Errorf("%s: prefix %q hides %q", s.Title, other.ARNPrefix, ty.ARNPrefix)
				}
			}
			types++
		}
		if len(s.Refs) == 0 {
			t.Errorf("%s: no record field names its resource", s.Title)
		}
		for _, r := range s.Refs {
			if r == 0 || r >= numRefs {
				t.Errorf("%s: ref %d out of range", s.Title, r)
			}
			if other, dup := refs[r]; dup {
				t.Errorf("%s: %s is also %s's", s.Title, r, other)
			}
			refs[r] = s.Title
		}
		for _, list := range [][]string{s.Reads, s.Destructive, s.Policy, {s.Create}} {
			for _, c := range list {
				if other, dup := calls[c]; dup && other != s.Title || c == "" {
					t.Errorf("%s: call %q listed twice or empty (%s)", s.Title, c, other)
				}
				calls[c] = s.Title
			}
		}
		for _, c := range s.Critical {
			if !slices.Contains(s.Destructive, c) {
				t.Errorf("%s: critical %s is not destructive", s.Title, c)
			}
		}
		for op, acts := range s.Actions {
			if !slices.Contains(acts, s.Prefix+":"+op) {
				t.Errorf("%s: %s does not need %s:%s", s.Title, op, s.Prefix, op)
			}
		}
	}
	if types != NumTypes {
		t.Errorf("the sources store %d types, NumTypes is %d", types, NumTypes)
	}
	if len(refs) != int(numRefs)-1 {
		t.Errorf("%d refs used, %d declared", len(refs), numRefs-1)
	}
	for r := Ref(1); r < numRefs; r++ {
		if strings.Count(r.String(), ".") < 1 {
			t.Errorf("ref %d has no path: %q", r, r)
		}
	}
	if Of("s3.amazonaws.com") != nil || Of("") != nil || ByPrefix("s3") != nil {
		t.Error("an unknown source is found")
	}
	if Order(event.ResourceAlias) != 2 || Order("bucket") != NumTypes {
		t.Error("Order: aliases come third, unknown types last")
	}
}

// TestLookupsDoNotAllocate: they run per record and per reference.
func TestLookupsDoNotAllocate(t *testing.T) {
	var sink int
	n := testing.AllocsPerRun(100, func() {
		s := Of("kms.amazonaws.com")
		_, o, _ := s.TypeOf("alias/x")
		_, b := s.BareType("k")
		sink += o + b + Order(event.ResourceSecret)
		if ByPrefix("secretsmanager") == nil {
			sink++
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per lookup", n)
	}
	_ = sink
}

func TestBareType(t *testing.T) {
	for _, tc := range []struct {
		s    *Source
		ref  string
		want string
	}{
		{KMS, "alias/app", event.ResourceAlias},
		{KMS, "1234abcd", event.ResourceKey},
		{KMS, "key/1234", event.ResourceKey}, // not Bare: a bare "key/" is an id
		{SecretsManager, "db", event.ResourceSecret},
		{SecretsManager, "secret:db", event.ResourceSecret},
	} {
		if got, _ := tc.s.BareType(tc.ref); got.Name != tc.want {
			t.Errorf("%s BareType(%q) = %s, want %s", tc.s.Title, tc.ref, got.Name, tc.want)
		}
	}
}
