package infra

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// emfMetric is one metric of keytrail's EMF contract: namespace keytrail,
// one dimension Function naming the function that emits it.
type emfMetric struct{ function, name, unit string }

// emfMetrics is the contract the alarms rely on, in one place to check
// against the functions' code (TestEMFContractInCode does, for every
// function whose code writes EMF).
var emfMetrics = []emfMetric{
	{"ingest", "RecordsIn", "Count"},
	{"ingest", "RecordsKept", "Count"},
	{"ingest", "RecordsQuarantined", "Count"},
	{"ingest", "FilesFailed", "Count"},
	{"ingest", "Objects", "Count"},
	{"ingest", "LagSeconds", "Seconds"},
	{"detect", "Findings", "Count"},
	{"detect", "FindingsCritical", "Count"},
	{"detect", "FindingsHigh", "Count"},
	{"detect", "FindingsMedium", "Count"},
	{"detect", "FindingsLow", "Count"},
	{"detect", "EventsRead", "Count"},
	{"detect", "WatermarkLagSeconds", "Seconds"}, // run time − the watermark detection has reached
	{"alert", "Posted", "Count"},
	{"alert", "PostFailures", "Count"},
	{"alert", "Suppressed", "Count"}, // repeats not posted
	{"alert", "Pending", "Count"},    // findings left unposted after the run
}

const emfNamespace = "keytrail"

// Every alarm watches a metric that exists: keytrail's own from the EMF
// contract (with its Function dimension), a Lambda function's or a queue's
// of this stack; and notifies AlarmTopicArn when one is given.
func TestAlarms(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, topic := range []string{"", topicARN} {
		res := mapOf(render(t, tmpl, map[string]any{"CloudTrailBucket": "trail-bucket", "KeyAdminArns": splitList(deployer), "AlarmTopicArn": topic})["Resources"])
		var alarms []string
		for name, r := range res {
			if mapOf(r)["Type"] != "AWS::CloudWatch::Alarm" {
				continue
			}
			alarms = append(alarms, name)
			p := mapOf(mapOf(r)["Properties"])
			dims := listOf(p["Dimensions"])
			if len(dims) != 1 {
				t.Errorf("%s: dimensions %v, want one", name, dims)
				continue
			}
			dim, value := fmt.Sprint(mapOf(dims[0])["Name"]), fmt.Sprint(mapOf(dims[0])["Value"])
			metric := fmt.Sprint(p["MetricName"])
			switch p["Namespace"] {
			case emfNamespace:
				if dim != "Function" || !slices.ContainsFunc(emfMetrics, func(m emfMetric) bool { return m.function == value && m.name == metric }) {
					t.Errorf("%s: %s/%s with %s=%s is not in the EMF contract", name, emfNamespace, metric, dim, value)
				}
			case "AWS/Lambda":
				if dim != "FunctionName" || mapOf(res[value])["Type"] != "AWS::Serverless::Function" || metric != "Errors" {
					t.Errorf("%s: AWS/Lambda %s with %s=%s, want Errors of a function of this stack", name, metric, dim, value)
				}
			case "AWS/SQS":
				q, attr, _ := strings.Cut(value, ".")
				if dim != "QueueName" || attr != "QueueName" || mapOf(res[q])["Type"] != "AWS::SQS::Queue" {
					t.Errorf("%s: AWS/SQS with %s=%s, want a queue of this stack", name, dim, value)
				}
			default:
				t.Errorf("%s: namespace %v", name, p["Namespace"])
			}
			for _, k := range []string{"Statistic", "Period", "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData"} {
				if _, ok := p[k]; !ok {
					t.Errorf("%s: no %s", name, k)
				}
			}
			actions, ok := p["AlarmActions"]
			if topic == "" && ok || topic != "" && !slices.Equal(stringsOf(actions), []string{topic}) {
				t.Errorf("%s: AlarmActions %v with AlarmTopicArn %q", name, actions, topic)
			}
		}
		slices.Sort(alarms)
		t.Logf("alarms: %v", alarms)
		for _, want := range []string{"DetectStaleAlarm", "AlertFailuresAlarm", "AlertBacklogAlarm", "IngestLagAlarm"} {
			if !slices.Contains(alarms, want) {
				t.Errorf("no %s", want)
			}
		}
	}
}

// The alarms on detect and alert, one by one.
func TestDetectAndAlertAlarms(t *testing.T) {
	tmpl := loadTemplate(t)
	res := mapOf(render(t, tmpl, map[string]any{"CloudTrailBucket": "trail-bucket", "KeyAdminArns": splitList(deployer), "DetectStaleAlarmSeconds": 7200})["Resources"])
	for _, tc := range []struct {
		alarm, function, metric, statistic string
		threshold                          int
		missing                            string
	}{
		// A detector that stops running emits nothing: that must alarm.
		{"DetectStaleAlarm", "detect", "WatermarkLagSeconds", "Maximum", 7200, "breaching"},
		{"AlertFailuresAlarm", "alert", "PostFailures", "Sum", 0, "notBreaching"},
		{"AlertBacklogAlarm", "alert", "Pending", "Minimum", 0, "notBreaching"},
	} {
		p := mapOf(mapOf(res[tc.alarm])["Properties"])
		dims := listOf(p["Dimensions"])
		if p["Namespace"] != emfNamespace || p["MetricName"] != tc.metric || len(dims) != 1 ||
			mapOf(dims[0])["Name"] != "Function" || mapOf(dims[0])["Value"] != tc.function {
			t.Errorf("%s watches %v/%v %v, want %s/%s Function=%s", tc.alarm, p["Namespace"], p["MetricName"], dims, emfNamespace, tc.metric, tc.function)
		}
		if p["Statistic"] != tc.statistic || num(p["Threshold"]) != tc.threshold || p["ComparisonOperator"] != "GreaterThanThreshold" || p["TreatMissingData"] != tc.missing {
			t.Errorf("%s: %v %v %v, missing data %v; want %s > %d, missing data %s", tc.alarm, p["Statistic"], p["ComparisonOperator"], p["Threshold"], p["TreatMissingData"], tc.statistic, tc.threshold, tc.missing)
		}
	}

	// With missing data breaching, a period shorter than the schedule's
	// interval would alarm between two healthy runs.
	stale := mapOf(mapOf(res["DetectStaleAlarm"])["Properties"])
	schedule := fmt.Sprint(mapOf(mapOf(tmpl["Parameters"])["DetectSchedule"])["Default"])
	interval, err := rateSeconds(schedule)
	if err != nil {
		t.Fatal(err)
	}
	if period := num(stale["Period"]) * num(stale["EvaluationPeriods"]); period < interval {
		t.Errorf("DetectStaleAlarm looks at %d s, less than DetectSchedule's %s", period, schedule)
	}
}

var rateRE = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours)\)$`)

// rateSeconds is the interval of an EventBridge rate expression.
func rateSeconds(expr string) (int, error) {
	m := rateRE.FindStringSubmatch(expr)
	if m == nil {
		return 0, fmt.Errorf("schedule %q is not a rate in minutes or hours", expr)
	}
	n, _ := strconv.Atoi(m[1])
	if strings.HasPrefix(m[2], "hour") {
		return n * 3600, nil
	}
	return n * 60, nil
}

// Each function whose code writes EMF (its cmd/ or stage package imports
// internal/emf) names every metric the contract gives it, as a string
// literal in that code: a renamed metric leaves its alarm watching
// nothing, and an alarm with missing data notBreaching never fires.
func TestEMFContractInCode(t *testing.T) {
	root := repoRoot(t)
	for _, fn := range []string{"ingest", "detect", "alert"} {
		t.Run(fn, func(t *testing.T) {
			literals, usesEMF := map[string]bool{}, false
			for _, dir := range []string{filepath.Join(root, "cmd", fn), filepath.Join(root, fn)} {
				entries, err := os.ReadDir(dir)
				if err != nil {
					continue
				}
				for _, e := range entries {
					if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
						continue
					}
					f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
					if err != nil {
						t.Fatal(err)
					}
					for _, imp := range f.Imports {
						if strings.HasSuffix(imp.Path.Value, `/internal/emf"`) {
							usesEMF = true
						}
					}
					ast.Inspect(f, func(n ast.Node) bool {
						if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if s, err := strconv.Unquote(lit.Value); err == nil {
								literals[s] = true
							}
						}
						return true
					})
				}
			}
			if !usesEMF {
				if fn == "ingest" {
					t.Fatal("ingest writes no EMF: the scan is broken")
				}
				t.Skipf("%s writes no EMF yet: its alarms watch metrics its code does not emit", fn)
			}
			for _, m := range emfMetrics {
				if m.function == fn && !literals[m.name] {
					t.Errorf("%s's code never names metric %s of the contract", fn, m.name)
				}
			}
		})
	}
}
