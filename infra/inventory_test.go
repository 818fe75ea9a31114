package infra

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/inventory"
	"github.com/keytrail/keytrail/queries"
)

// The inventory's Glue tables declare exactly its rows' columns, in
// order, with the partitioning and projection of queries/ddl/inventory_*.sql.
func TestInventoryGlueTables(t *testing.T) {
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	files, err := queries.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range inventory.Tables {
		t.Run(tb.Name, func(t *testing.T) {
			name := "inventory_" + tb.Name
			ddl := strings.ReplaceAll(files["ddl/"+name+".sql"], "${lake}", "s3://lake-bucket/keytrail")
			checkGlueTable(t, mapOf(res["Inventory"+strings.ToUpper(tb.Name[:1])+tb.Name[1:]+"Table"]), name, tb.Prefix, tb.Schema, ddl)
		})
	}
}

const inventoryRoleARN = "arn:aws:iam::111122223333:role/keytrail/kt-InventoryRole-ABC"

// memberServices are the services the inventory calls with a member
// account's credentials; Organizations, STS and S3 it calls as itself.
var memberServices = []string{"secretsmanager", "kms", "iam"}

// The member role trusts the inventory role alone, in its session only,
// and grants exactly the reads the inventory's code makes in a member
// account: derived from the call graph, like the function roles.
func TestMemberRole(t *testing.T) {
	progs := analyze(t)
	p := progs["inventory"]
	if p == nil {
		t.Fatal("cmd/inventory not analysed")
	}
	tmpl, err := ParseFile("member-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := mapOf(render(t, tmpl, map[string]any{"InventoryRoleArn": inventoryRoleARN})["Resources"])
	role := mapOf(res["InventoryReaderRole"])
	props := mapOf(role["Properties"])
	if role["Type"] != "AWS::IAM::Role" || props["Path"] != "/keytrail/" {
		t.Fatalf("role %v path %v", role["Type"], props["Path"])
	}
	trust := listOf(mapOf(props["AssumeRolePolicyDocument"])["Statement"])
	if len(trust) != 1 {
		t.Fatalf("trust policy has %d statements", len(trust))
	}
	ts := parseStatement(trust[0])
	if ts.Effect != "Allow" || !slices.Equal(ts.Actions, []string{"sts:AssumeRole"}) ||
		!slices.Equal(stringsOf(mapOf(ts.Raw["Principal"])["AWS"]), []string{inventoryRoleARN}) || len(mapOf(ts.Raw["Principal"])) != 1 ||
		mapOf(ts.Condition["StringEquals"])["sts:RoleSessionName"] != inventory.SessionName {
		t.Errorf("trust %+v: want sts:AssumeRole by the inventory role, session %s, only", ts, inventory.SessionName)
	}
	var ops = map[string]bool{}
	for op := range p.ops {
		svc, _, _ := strings.Cut(op, ":")
		if slices.Contains(memberServices, svc) {
			ops[op] = true
		}
	}
	if len(ops) < 10 {
		t.Fatalf("the analysis finds only %v of the inventory's member-account reads", ops)
	}
	want, unmapped := expectedActions(nil, ops)
	if len(unmapped) > 0 {
		t.Fatalf("unmapped %v", unmapped)
	}
	stmts := identityPolicies(res)["InventoryReaderRole"]
	got := roleActions(stmts)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("member role grants %v\n      code needs %v", got, want)
	}
	for i, s := range stmts {
		for _, e := range checkStatement(s) {
			t.Errorf("statement %d (%s): %s", i, s.Sid, e)
		}
	}
	// Same reads, same resources, as the inventory role in its own account.
	main := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	var own []string
	for _, g := range grants(identityPolicies(main)["InventoryRole"]) {
		// The lake key encrypts the inventory's own writes to the lake.
		if svc, _, _ := strings.Cut(g, ":"); slices.Contains(memberServices, svc) && !strings.HasSuffix(g, " LakeKey.Arn") {
			own = append(own, g)
		}
	}
	if g := grants(stmts); !slices.Equal(g, own) {
		t.Errorf("member role grants\n%v\ninventory role's own reads\n%v", g, own)
	}
}

// The role the function assumes is the one member-role.yaml creates.
func TestMemberRoleName(t *testing.T) {
	member, err := ParseFile("member-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprint(mapOf(mapOf(member["Parameters"])["RoleName"])["Default"])
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	vars := mapOf(mapOf(mapOf(mapOf(res["InventoryFunction"])["Properties"])["Environment"])["Variables"])
	if got := vars["KEYTRAIL_MEMBER_ROLE_NAME"]; got != "keytrail/"+name {
		t.Errorf("KEYTRAIL_MEMBER_ROLE_NAME = %v, member-role.yaml makes keytrail/%s", got, name)
	}
	if g := grants(identityPolicies(res)["InventoryRole"]); !slices.Contains(g, "sts:AssumeRole arn:aws:iam::*:role/keytrail/"+name) {
		t.Errorf("the inventory role may not assume keytrail/%s: %v", name, g)
	}
}
