package infra

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"
)

// How the AWS operations of a function are found
//
// The function's program is cmd/<fn> plus every keytrail package it links
// (go list -deps, built as `make package` builds it: CGO_ENABLED=0, tag
// lambda.norpc). Those packages are type-checked from source; the rest
// (the SDK, the standard library) come from export data, so the SDK's own
// internals never count, only what keytrail's code asks of it.
//
// A call graph is built over keytrail's functions, starting from every
// function and package-level initializer of cmd/<fn>:
//   - a reference to a keytrail function or method (a call, or a method
//     value such as lambda.Start(h.HandleSQS)) is an edge to it;
//   - a call of an interface method is an edge to every keytrail method of
//     the same name and identical signature (class hierarchy analysis by
//     signature: conservative, so a store interface declared in detect/
//     reaches (*lake.S3).PutIfMatch);
//   - a call of a method whose second parameter is *<svc>.<Op>Input, from
//     an aws-sdk-go-v2/service/<svc> package, on a client or on a
//     consumer-side interface, is the operation <svc>:<Op>;
//   - <svc>.New<Op>Paginator and <svc>.New<Op>Waiter are <svc>:<Op>.
//
// The operations of every reachable function are the function's. Limits:
// callbacks into keytrail code made by other modules through interfaces
// they declare are not followed (none of keytrail's AWS calls sit behind
// one today), and a function value stored and called later is counted at
// the place it is referenced, which is conservative.

const module = "github.com/keytrail/keytrail"

const sdkService = "github.com/aws/aws-sdk-go-v2/service/"

// program is what the analysis found for one cmd/<fn>.
type program struct {
	ops  map[string]bool // "s3:GetObject"
	env  map[string]bool // KEYTRAIL_* names in cmd/<fn>
	pkgs []string        // keytrail packages linked
}

var (
	programsOnce sync.Once
	programs     map[string]*program
	programsErr  error
)

// repoRoot is the module root (infra's parent).
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// functions are the Lambda functions and their logical IDs in the template.
var functions = []struct{ name, resource, role string }{
	{"ingest", "IngestFunction", "IngestRole"},
	{"compact", "CompactFunction", "CompactRole"},
	{"detect", "DetectFunction", "DetectRole"},
	{"alert", "AlertFunction", "AlertRole"},
	{"inventory", "InventoryFunction", "InventoryRole"},
}

// analyze loads and analyses every cmd/<fn> once per test binary.
func analyze(t *testing.T) map[string]*program {
	t.Helper()
	if testing.Short() {
		t.Skip("loads and type-checks the Lambda programs")
	}
	root := repoRoot(t)
	programsOnce.Do(func() {
		programs = map[string]*program{}
		for _, fn := range functions {
			if _, err := os.Stat(filepath.Join(root, "cmd", fn.name)); err != nil {
				continue // not written yet: its tests skip
			}
			p, err := analyzeProgram(root, fn.name)
			if err != nil {
				programsErr = err
				return
			}
			programs[fn.name] = p
		}
	})
	if programsErr != nil {
		t.Fatal(programsErr)
	}
	return programs
}

func loadConfig(root string, mode packages.LoadMode) *packages.Config {
	return &packages.Config{
		Mode:       mode,
		Dir:        root,
		Env:        append(os.Environ(), "CGO_ENABLED=0"),
		BuildFlags: []string{"-tags=lambda.norpc"},
	}
}

func analyzeProgram(root, fn string) (*program, error) {
	// First the package list, cheaply.
	deps, err := packages.Load(loadConfig(root, packages.NeedName|packages.NeedImports|packages.NeedDeps), "./cmd/"+fn)
	if err != nil {
		return nil, err
	}
	var own []string
	packages.Visit(deps, nil, func(p *packages.Package) {
		if p.PkgPath == module || strings.HasPrefix(p.PkgPath, module+"/") {
			own = append(own, p.PkgPath)
		}
	})
	sort.Strings(own)
	// Then keytrail's packages with syntax and types.
	pkgs, err := packages.Load(loadConfig(root, packages.NeedName|packages.NeedFiles|packages.NeedSyntax|
		packages.NeedTypes|packages.NeedTypesInfo|packages.NeedImports), own...)
	if err != nil {
		return nil, err
	}
	var errs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			errs = append(errs, e.Error())
		}
	})
	if len(errs) > 0 {
		return nil, &loadError{fn, errs}
	}
	g := newGraph(pkgs)
	prog := &program{ops: map[string]bool{}, env: map[string]bool{}, pkgs: own}
	for _, p := range pkgs {
		// The shared Lambda bootstrap reads the lake's variables for
		// every function that uses it; core packages read none.
		if p.PkgPath == module+"/internal/lambdaenv" {
			for name := range envNames(p) {
				prog.env[name] = true
			}
		}
		if p.PkgPath != module+"/cmd/"+fn {
			continue
		}
		for n := range g.reachable(g.roots(p)) {
			for op := range n.ops {
				prog.ops[op] = true
			}
		}
		for name := range envNames(p) {
			prog.env[name] = true
		}
	}
	return prog, nil
}

type loadError struct {
	fn   string
	errs []string
}

func (e *loadError) Error() string {
	return "load cmd/" + e.fn + ": " + strings.Join(e.errs, "; ")
}

// node is one keytrail function (or a package's initializers).
type node struct {
	edges []*types.Func // referenced keytrail functions
	calls []*types.Func // interface methods called
	ops   map[string]bool
}

type graph struct {
	nodes    map[*types.Func]*node
	init     map[*types.Package]*node // package-level initializers
	concrete map[string][]*types.Func // method name → keytrail concrete methods
}

func newGraph(pkgs []*packages.Package) *graph {
	g := &graph{nodes: map[*types.Func]*node{}, init: map[*types.Package]*node{}, concrete: map[string][]*types.Func{}}
	for _, p := range pkgs {
		initNode := &node{ops: map[string]bool{}}
		g.init[p.Types] = initNode
		for _, f := range p.Syntax {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					obj, _ := p.TypesInfo.Defs[d.Name].(*types.Func)
					if obj == nil || d.Body == nil {
						continue
					}
					n := &node{ops: map[string]bool{}}
					g.nodes[obj] = n
					g.scan(p.TypesInfo, d.Body, n)
					if sig := obj.Type().(*types.Signature); sig.Recv() != nil && !types.IsInterface(sig.Recv().Type()) {
						g.concrete[obj.Name()] = append(g.concrete[obj.Name()], obj)
					}
				case *ast.GenDecl:
					if d.Tok == token.VAR {
						g.scan(p.TypesInfo, d, initNode)
					}
				}
			}
		}
	}
	return g
}

// scan records what the code under root references.
func (g *graph) scan(info *types.Info, root ast.Node, n *node) {
	ast.Inspect(root, func(x ast.Node) bool {
		id, ok := x.(*ast.Ident)
		if !ok {
			return true
		}
		fn, ok := info.Uses[id].(*types.Func)
		if !ok {
			return true
		}
		fn = fn.Origin()
		sig := fn.Type().(*types.Signature)
		if op := sdkOp(fn, sig); op != "" {
			n.ops[op] = true
			return true
		}
		if fn.Pkg() == nil || !strings.HasPrefix(fn.Pkg().Path(), module) {
			return true
		}
		if sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
			n.calls = append(n.calls, fn)
		} else {
			n.edges = append(n.edges, fn)
		}
		return true
	})
}

// sdkOp returns "svc:Op" when fn is an AWS SDK operation (a method taking
// *<svc>.<Op>Input, or a paginator or waiter constructor).
func sdkOp(fn *types.Func, sig *types.Signature) string {
	if sig.Recv() != nil {
		if sig.Params().Len() < 2 {
			return ""
		}
		ptr, ok := sig.Params().At(1).Type().(*types.Pointer)
		if !ok {
			return ""
		}
		named, ok := ptr.Elem().(*types.Named)
		if !ok || named.Obj().Pkg() == nil {
			return ""
		}
		path := named.Obj().Pkg().Path()
		op, ok := strings.CutSuffix(named.Obj().Name(), "Input")
		if !ok || op != fn.Name() || !strings.HasPrefix(path, sdkService) {
			return ""
		}
		return named.Obj().Pkg().Name() + ":" + op
	}
	if fn.Pkg() == nil || !strings.HasPrefix(fn.Pkg().Path(), sdkService) {
		return ""
	}
	if m := constructorRE.FindStringSubmatch(fn.Name()); m != nil {
		return fn.Pkg().Name() + ":" + m[1]
	}
	return ""
}

var constructorRE = regexp.MustCompile(`^New(\w+)(?:Paginator|Waiter)$`)

// roots are cmd/<fn>'s functions and initializers.
func (g *graph) roots(p *packages.Package) []*node {
	roots := []*node{g.init[p.Types]}
	for obj, n := range g.nodes {
		if obj.Pkg() == p.Types {
			roots = append(roots, n)
		}
	}
	return roots
}

func (g *graph) reachable(roots []*node) map[*node]bool {
	seen := map[*node]bool{}
	var visit func(n *node)
	visit = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		for _, f := range n.edges {
			visit(g.nodes[f])
		}
		for _, m := range n.calls {
			for _, c := range g.concrete[m.Name()] {
				if types.Identical(withoutRecv(c), withoutRecv(m)) {
					visit(g.nodes[c])
				}
			}
		}
	}
	for _, r := range roots {
		visit(r)
	}
	return seen
}

func withoutRecv(f *types.Func) *types.Signature {
	s := f.Type().(*types.Signature)
	return types.NewSignatureType(nil, nil, nil, s.Params(), s.Results(), s.Variadic())
}

var envRE = regexp.MustCompile(`^KEYTRAIL_[A-Z0-9_]+$`)

// envNames returns every string constant of p's non-test files that is a
// KEYTRAIL_* variable name: a function reads its environment in its own
// cmd/ package (core packages never do), sometimes through a table of
// names, so literals rather than getenv calls are what is collected.
func envNames(p *packages.Package) map[string]bool {
	names := map[string]bool{}
	for _, f := range p.Syntax {
		ast.Inspect(f, func(x ast.Node) bool {
			lit, ok := x.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s := constant.StringVal(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
			if envRE.MatchString(s) {
				names[s] = true
			}
			return true
		})
	}
	return names
}
