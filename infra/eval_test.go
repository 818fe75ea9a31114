package infra

import (
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
)

// Rendering a template for a set of parameter values
//
// The policy tests reason about concrete strings ("arn:aws:s3:::LakeBucket/
// keytrail/events/*"), so the template is rendered the way CloudFormation
// would: parameters and pseudo parameters take test values, Fn::If and the
// conditions are decided, AWS::NoValue disappears, Fn::Sub, Fn::Join,
// Fn::Select and Fn::Split are computed. Resources' Ref and GetAtt values are
// unknown before deployment; they render as their logical ID ("LakeKey",
// "LakeKey.Arn"), except the lake bucket, whose ARN shape the S3 checks need.

// noValue is AWS::NoValue before it is removed.
type noValueType struct{}

var noValue = noValueType{}

var pseudo = map[string]any{
	"AWS::Partition": "aws",
	"AWS::Region":    "us-east-1",
	"AWS::AccountId": "111122223333",
	"AWS::StackName": "kt",
	"AWS::URLSuffix": "amazonaws.com",
	"AWS::NoValue":   noValue,
}

// resourceValues are the rendered Ref/GetAtt values that differ from the
// logical ID.
var resourceValues = map[string]any{
	"LakeBucket":     "lake-bucket",
	"LakeBucket.Arn": "arn:aws:s3:::lake-bucket",
	// log-archive.yaml's bucket, named by its TrailBucketName parameter
	// (logArchiveParams).
	"TrailBucket":     "org-trail-logs",
	"TrailBucket.Arn": "arn:aws:s3:::org-trail-logs",
}

type renderer struct {
	tmpl       map[string]any
	params     map[string]any
	conditions map[string]bool
}

// render returns tmpl's Resources and Outputs with params (merged over the
// parameters' defaults) applied. Unknown names are errors, so a typo cannot render as a string.
func render(t *testing.T, tmpl map[string]any, params map[string]any) map[string]any {
	t.Helper()
	r := &renderer{tmpl: tmpl, params: map[string]any{}, conditions: map[string]bool{}}
	for name, p := range mapOf(tmpl["Parameters"]) {
		p := mapOf(p)
		if d, ok := p["Default"]; ok {
			r.params[name] = d
		}
		if p["Type"] == "CommaDelimitedList" {
			r.params[name] = splitList(fmt.Sprint(r.params[name]))
		}
	}
	maps.Copy(r.params, params)
	for name := range mapOf(tmpl["Conditions"]) {
		if _, err := r.cond(name); err != nil {
			t.Fatalf("condition %s: %v", name, err)
		}
	}
	out := map[string]any{}
	for _, section := range []string{"Resources", "Outputs"} {
		rendered := map[string]any{}
		for name, res := range mapOf(tmpl[section]) {
			res := mapOf(res)
			if c, ok := res["Condition"].(string); ok {
				if on, err := r.cond(c); err != nil {
					t.Fatalf("%s %s: %v", section, name, err)
				} else if !on {
					continue
				}
			}
			v, err := r.eval(res)
			if err != nil {
				t.Fatalf("%s %s: %v", section, name, err)
			}
			rendered[name] = v
		}
		out[section] = rendered
	}
	return out
}

func splitList(s string) []any {
	if s == "" {
		return []any{}
	}
	var l []any
	for _, p := range strings.Split(s, ",") {
		l = append(l, p)
	}
	return l
}

// cond decides the named condition, evaluating it on first use.
func (r *renderer) cond(name string) (bool, error) {
	if c, ok := r.conditions[name]; ok {
		return c, nil
	}
	def, ok := mapOf(r.tmpl["Conditions"])[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	x, err := r.eval(def)
	if err != nil {
		return false, err
	}
	b, ok := x.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s is %T, not a boolean", name, x)
	}
	r.conditions[name] = b
	return b, nil
}

func (r *renderer) ref(name string) (any, error) {
	if v, ok := pseudo[name]; ok {
		return v, nil
	}
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if _, ok := mapOf(r.tmpl["Parameters"])[name]; ok {
		return nil, fmt.Errorf("parameter %s has no value", name)
	}
	if _, ok := mapOf(r.tmpl["Resources"])[name]; ok {
		if v, ok := resourceValues[name]; ok {
			return v, nil
		}
		return name, nil
	}
	return nil, fmt.Errorf("Ref %s: no such parameter or resource", name)
}

func (r *renderer) getAtt(res, attr string) (any, error) {
	if _, ok := mapOf(r.tmpl["Resources"])[res]; !ok {
		return nil, fmt.Errorf("GetAtt %s.%s: no such resource", res, attr)
	}
	if v, ok := resourceValues[res+"."+attr]; ok {
		return v, nil
	}
	return res + "." + attr, nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (r *renderer) sub(s string, vars map[string]any) (string, error) {
	var err error
	out := subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v any
		var e error
		if x, ok := vars[name]; ok {
			v, e = r.eval(x)
		} else if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, e = r.getAtt(res, attr)
		} else {
			v, e = r.ref(name)
		}
		if e != nil {
			err = e
			return ""
		}
		return fmt.Sprint(v)
	})
	return out, err
}

func (r *renderer) eval(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			e, err := r.eval(x)
			if err != nil {
				return nil, err
			}
			if e != noValue {
				out = append(out, e)
			}
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if strings.HasPrefix(k, "Fn::") || k == "Ref" || k == "Condition" {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			e, err := r.eval(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if e != noValue {
				out[k] = e
			}
		}
		return out, nil
	}
	return v, nil
}

func (r *renderer) intrinsic(fn string, arg any) (any, error) {
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		return r.ref(fmt.Sprint(arg))
	case "Condition":
		return r.cond(fmt.Sprint(arg))
	case "Fn::GetAtt":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt wants [resource, attribute]")
		}
		return r.getAtt(fmt.Sprint(args[0]), fmt.Sprint(args[1]))
	case "Fn::Sub":
		if s, ok := arg.(string); ok {
			return r.sub(s, nil)
		}
		if len(args) == 2 {
			return r.sub(fmt.Sprint(args[0]), mapOf(args[1]))
		}
		return nil, fmt.Errorf("Fn::Sub wants a string or [string, variables]")
	case "Fn::If":
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::If wants 3 arguments")
		}
		c, err := r.cond(fmt.Sprint(args[0]))
		if err != nil {
			return nil, fmt.Errorf("Fn::If: %w", err)
		}
		if c {
			return r.eval(args[1])
		}
		return r.eval(args[2])
	}
	ev, err := r.eval(arg)
	if err != nil {
		return nil, err
	}
	args, _ = ev.([]any)
	switch fn {
	case "Fn::Base64":
		return base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(ev))), nil
	case "Fn::Equals":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Equals wants 2 arguments")
		}
		return fmt.Sprint(args[0]) == fmt.Sprint(args[1]), nil
	case "Fn::Not":
		if len(args) != 1 {
			return nil, fmt.Errorf("Fn::Not wants 1 argument")
		}
		b, ok := args[0].(bool)
		return !b, boolErr(ok)
	case "Fn::And", "Fn::Or":
		res := fn == "Fn::And"
		for _, a := range args {
			b, ok := a.(bool)
			if !ok {
				return nil, boolErr(false)
			}
			if fn == "Fn::And" {
				res = res && b
			} else {
				res = res || b
			}
		}
		return res, nil
	case "Fn::Join":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Join wants [separator, list]")
		}
		list, _ := args[1].([]any)
		parts := make([]string, len(list))
		for i, p := range list {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, fmt.Sprint(args[0])), nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Split wants [separator, string]")
		}
		var out []any
		for _, p := range strings.Split(fmt.Sprint(args[1]), fmt.Sprint(args[0])) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Select wants [index, list]")
		}
		var i int
		fmt.Sscan(fmt.Sprint(args[0]), &i)
		list, _ := args[1].([]any)
		if i < 0 || i >= len(list) {
			return nil, fmt.Errorf("Fn::Select index %d out of range", i)
		}
		return list[i], nil
	}
	return nil, fmt.Errorf("%s is not supported by the test renderer", fn)
}

func boolErr(ok bool) error {
	if ok {
		return nil
	}
	return fmt.Errorf("boolean expected")
}

// mapOf returns v as a mapping (nil if it is not one).
func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// listOf returns v as a list: a scalar is a list of one.
func listOf(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// stringsOf returns v as a list of strings.
func stringsOf(v any) []string {
	var out []string
	for _, x := range listOf(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
