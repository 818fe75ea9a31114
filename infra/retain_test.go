package infra

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// dataTypes are the resource types that hold data a stack deletion must
// leave behind: the lake.
var dataTypes = []string{"AWS::S3::Bucket"}

// retainProblems returns what in the rendered resources is deleted with
// the stack although it holds retained data or is needed to read it: a
// data resource without Retain, a KMS key a retained resource is encrypted
// with (named anywhere in its properties) without Retain, and an alias of a
// retained key without Retain.
func retainProblems(res map[string]any) []string {
	retained := func(name string) bool {
		r := mapOf(res[name])
		return r["DeletionPolicy"] == "Retain" && r["UpdateReplacePolicy"] == "Retain"
	}
	var problems []string
	names := map[string]string{} // rendered Ref and GetAtt values → logical ID
	for name := range res {
		for _, v := range []string{name, name + ".Arn", name + ".KeyId"} {
			names[v] = name
		}
	}
	for v, x := range resourceValues {
		name, _, _ := strings.Cut(v, ".")
		names[fmt.Sprint(x)] = name
	}
	keys := map[string]bool{} // KMS keys retained resources name
	for name, r := range res {
		r := mapOf(r)
		if slices.Contains(dataTypes, fmt.Sprint(r["Type"])) && !retained(name) {
			problems = append(problems, name+" holds data but is not retained")
		}
		if !retained(name) {
			continue
		}
		for _, ref := range referencedResources(r["Properties"], names) {
			if mapOf(res[ref])["Type"] == "AWS::KMS::Key" {
				keys[ref] = true
			}
		}
	}
	for k := range keys {
		if !retained(k) {
			problems = append(problems, k+" encrypts retained data but is not retained")
		}
	}
	for name, r := range res {
		r := mapOf(r)
		if r["Type"] != "AWS::KMS::Alias" {
			continue
		}
		target := referencedResources(mapOf(r["Properties"])["TargetKeyId"], names)
		if len(target) == 1 && keys[target[0]] && !retained(name) {
			problems = append(problems, name+" names retained key "+target[0]+" but is not retained")
		}
	}
	sort.Strings(problems)
	return problems
}

// referencedResources lists the logical IDs a rendered value names: the
// renderer turns Ref X into "X" and GetAtt X.Arn into "X.Arn".
func referencedResources(v any, names map[string]string) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if name, ok := names[v]; ok {
				out = append(out, name)
			}
		}
	}
	walk(v)
	return out
}

// Deleting the stack keeps the lake and what reads it: the bucket, its key
// and the key's alias.
func TestRetainedData(t *testing.T) {
	for _, sc := range scenarios {
		res := mapOf(render(t, loadTemplate(t), sc.params)["Resources"])
		for _, p := range retainProblems(res) {
			t.Errorf("%s: %s", sc.name, p)
		}
		for _, name := range []string{"LakeBucket", "LakeKey", "LakeKeyAlias"} {
			if r := mapOf(res[name]); r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s: %s is deleted with the stack", sc.name, name)
			}
		}
	}
	// The check itself notices a key and an alias that go with the stack.
	probe := map[string]any{
		"B": map[string]any{"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
			"Properties": map[string]any{"BucketEncryption": []any{map[string]any{"KMSMasterKeyID": "K.Arn"}}}},
		"K": map[string]any{"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain"},
		"A": map[string]any{"Type": "AWS::KMS::Alias", "Properties": map[string]any{"TargetKeyId": "K"}},
		"C": map[string]any{"Type": "AWS::S3::Bucket"},
	}
	want := []string{"A names retained key K but is not retained", "C holds data but is not retained", "K encrypts retained data but is not retained"}
	if got := retainProblems(probe); !slices.Equal(got, want) {
		t.Errorf("probe: got %q\nwant %q", got, want)
	}
}
