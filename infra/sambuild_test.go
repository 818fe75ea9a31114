package infra

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sam build builds every function with the repository's Makefile
// (BuildMethod makefile): CodeUri must be the repository root, where the
// Makefile is, and the Makefile must have the function's build-<LogicalId>
// target, building that function's cmd/ package into $(ARTIFACTS_DIR) with
// scripts/package-lambdas (the flags make package uses). make -n checks the
// target without building; the sam CLI is not needed.
func TestSamBuild(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not found")
	}
	root := repoRoot(t)
	tmplPath, err := filepath.Abs(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	res := mapOf(loadTemplate(t)["Resources"])
	n := 0
	for name, r := range res {
		r := mapOf(r)
		if r["Type"] != "AWS::Serverless::Function" {
			continue
		}
		n++
		p := mapOf(r["Properties"])
		if m := mapOf(r["Metadata"]); m["BuildMethod"] != "makefile" {
			t.Errorf("%s: Metadata %v, want BuildMethod makefile", name, r["Metadata"])
		}
		if p["Runtime"] != "provided.al2023" || fmt.Sprint(p["Architectures"]) != "[arm64]" || p["Handler"] != "bootstrap" {
			t.Errorf("%s: %v %v %v, want provided.al2023 arm64 bootstrap (what package-lambdas builds)", name, p["Runtime"], p["Architectures"], p["Handler"])
		}
		if dir := filepath.Join(filepath.Dir(tmplPath), fmt.Sprint(p["CodeUri"])); filepath.Clean(dir) != root {
			t.Errorf("%s: CodeUri %v is not the repository root (where the Makefile is)", name, p["CodeUri"])
		}
		fn := strings.ToLower(strings.TrimSuffix(name, "Function"))
		artifacts := t.TempDir()
		cmd := exec.Command(makeBin, "-n", "build-"+name, "ARTIFACTS_DIR="+artifacts)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: make -n build-%s: %v\n%s", name, name, err, out)
			continue
		}
		if want := fmt.Sprintf("scripts/package-lambdas -o %q %s", artifacts, fn); !strings.Contains(string(out), want) {
			t.Errorf("%s: make build-%s runs %q, want %q", name, name, out, want)
		}
	}
	if n != len(functions) {
		t.Errorf("%d functions in the template, %d known to the tests", n, len(functions))
	}
	// The check itself notices a missing target.
	cmd := exec.Command(makeBin, "-n", "build-NoSuchFunction", "ARTIFACTS_DIR="+t.TempDir())
	cmd.Dir = root
	if err := cmd.Run(); err == nil {
		t.Error("make -n succeeds for a target that does not exist: the check is broken")
	}
}
