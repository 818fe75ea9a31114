package inventory

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The report's JSON has the fields in name order, and its text spells out
// what AWS's error text could use to forge or hide a line.
func TestReport(t *testing.T) {
	s := &Snapshot{Day: "2026-06-01", Accounts: []string{"111111111111", "222222222222"}, AccountsBy: "configured",
		OrgError: "AccessDenied\nforged line", Secrets: make([]Secret, 3), Keys: make([]Key, 2), Principals: make([]Principal, 5),
		Permissions: make([]Permission, 7), Coverage: []Coverage{
			{Account: "111111111111", Region: "us-east-1", Table: "secrets", Status: StatusOK},
			{Account: "222222222222", Region: "us-east-1", Table: "keys", Status: StatusDenied, Error: "not authorized\x1b[2J"},
		}}
	r := s.Report(4)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	at := -1
	for _, k := range []string{"accounts", "accounts_by", "day", "keys", "not_read", "objects", "permissions", "principals", "secrets"} {
		i := strings.Index(string(b), `"`+k+`":`)
		if i <= at {
			t.Errorf("json field %s out of name order: %s", k, b)
		}
		at = i
	}
	if len(m) != 9 || m["objects"] != 4.0 || m["secrets"] != 3.0 || len(m["not_read"].([]any)) != 1 {
		t.Errorf("json %s", b)
	}
	var out bytes.Buffer
	r.WriteText(&out)
	for _, want := range []string{
		"inventory 2026-06-01: 2 accounts (configured), 3 secrets, 2 keys, 5 principals, 7 permissions; 4 objects written\n",
		"  organizations: AccessDenied\\nforged line\n",
		"  not read: 222222222222 us-east-1 keys: " + string(StatusDenied) + ": not authorized\\u001b[2J\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(out.String(), "\n") != 3 {
		t.Errorf("text has %d lines, want 3:\n%s", strings.Count(out.String(), "\n"), out.String())
	}
}
