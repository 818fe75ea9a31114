package review

import (
	"html"
	"reflect"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/queries"
)

func TestBreakable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AccessDenied", "AccessDenied"},
		{"f-cross", "f-cross"}, // short: left to the browser
		{"two words", "two words"},
		{"arn:aws:iam::111111111111:user/alice", "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>111111111111:<wbr>user/<wbr>alice"},
		{"jane.doe@example.com-session", "jane.<wbr>doe@<wbr>example.<wbr>com-<wbr>session"},
		// A run without separators is broken every 40 runes, as a last resort.
		{strings.Repeat("a", 90), strings.Repeat("a", 40) + "<wbr>" + strings.Repeat("a", 40) + "<wbr>" + strings.Repeat("a", 10)},
		// Escaped piece by piece: the markup stays text.
		{`arn:aws:iam::1:user/<script>alert("x")</script>`, `arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>1:<wbr>user/<wbr>&lt;script&gt;alert(&#34;x&#34;)&lt;/<wbr>script&gt;`},
		{"arn:aws:iam::1:user/a&b'c", "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>1:<wbr>user/<wbr>a&amp;b&#39;c"},
	}
	for _, tt := range tests {
		if got := breakable(tt.in); got != tt.want {
			t.Errorf("breakable(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestCellIsEscaped: whatever CloudTrail says, a cell is the value's
// visible text with break opportunities and the page's own spans, and
// nothing else.
func TestCellIsEscaped(t *testing.T) {
	for _, v := range []string{
		`<img src=x onerror=alert(1)>`,
		`arn:aws:iam::111111111111:user/"><script>alert(1)</script>`,
		`arn:aws:secretsmanager:us-east-1:1:secret:</span><b>x</b>-AbCdEf`,
		"arn:aws:sts::1:assumed-role/r/\u202egnp.exe&amp;",
		"1 <b>2</b>",
		strings.Repeat("<&>'\"", 30),
	} {
		for _, kind := range []string{"", "num", "fixed"} {
			got := string(cell(kind, v))
			text := got
			for _, tag := range []string{`<span class="name">`, `<span class="arn">`, `</span>`, `<wbr>`} {
				text = strings.ReplaceAll(text, tag, "")
			}
			if strings.ContainsAny(text, `<>"'`) {
				t.Errorf("cell(%q, %q) = %q: markup beyond the page's own", kind, v, got)
			}
			want := visible.String(v)
			if name, ok := arnNames(v); ok && kind == "" {
				want = visible.String(name) + want
			}
			if html.UnescapeString(text) != want {
				t.Errorf("cell(%q, %q) reads %q, want %q", kind, v, html.UnescapeString(text), want)
			}
		}
	}
}

func TestArnName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf", "db"},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/payments/api-key-Xy9Z12", "prod/payments/api-key"},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:nosuffix", "nosuffix"},
		{"arn:aws:kms:us-east-1:111111111111:key/11111111-1111-1111-1111-111111111111", "key/11111111-1111-1111-1111-111111111111"},
		{"arn:aws:kms:us-east-1:111111111111:alias/app", "alias/app"},
		{"arn:aws:iam::111111111111:user/alice", "user/alice"},
		{"arn:aws:sts::111111111111:assumed-role/app/i-123", "assumed-role/app/i-123"},
		{"arn:aws-us-gov:iam::111111111111:role/a:b", "role/a:b"},
	}
	for _, tt := range tests {
		if got, ok := arnName(tt.in); !ok || got != tt.want {
			t.Errorf("arnName(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, notARN := range []string{"", "arn:aws:iam::1", "arn:aws:iam::1:", "s3.amazonaws.com", "urn:a:b:c:d:e"} {
		if got, ok := arnName(notARN); ok {
			t.Errorf("arnName(%q) = %q, want not an ARN", notARN, got)
		}
	}
}

// A row's list of resources is named resource by resource, not read as
// one ARN whose name runs on into the next.
func TestArnNames(t *testing.T) {
	const k = "arn:aws:kms:eu-central-1:1:key/0fc7"
	const sec = "arn:aws:secretsmanager:eu-central-1:1:secret:prod/db-wgcDFT"
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{sec, "prod/db", true},
		{k + ", " + sec, "key/0fc7, prod/db", true},
		{k + ", s3.amazonaws.com", "", false},
		{"a, b", "", false},
	} {
		if got, ok := arnNames(tt.in); ok != tt.ok || got != tt.want {
			t.Errorf("arnNames(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestColumnKind(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"calls", []string{"3", "10", "0"}, "num"},
		{"cost_usd", []string{"0.40", "", "12.00"}, "num"},
		{"principal_account_id", []string{"111111111111", "222222222222"}, "fixed"},
		{"first_use", []string{"2026-07-02 10:00:00.000", ""}, "fixed"},
		{"day", []string{"2026-07-02"}, "fixed"},
		{"source_ip", []string{"198.51.100.7"}, ""},
		{"calls", []string{"3", "many"}, ""},
		{"last_use", []string{"", ""}, ""},
		{"principal_arn", []string{"arn:aws:iam::1:user/a"}, ""},
	}
	for _, tt := range tests {
		rows := make([][]string, len(tt.values))
		for i, v := range tt.values {
			rows[i] = []string{"x", v}
		}
		if got := columnKind(tt.name, rows, 1); got != tt.want {
			t.Errorf("columnKind(%s, %q) = %q, want %q", tt.name, tt.values, got, tt.want)
		}
	}
}

func TestTicks(t *testing.T) {
	tests := []struct{ max, step, top int64 }{
		{0, 1, 1}, {1, 1, 1}, {3, 1, 3}, {5, 1, 5}, {6, 2, 6}, {7, 2, 8}, {10, 2, 10},
		{11, 5, 15}, {97, 20, 100}, {161, 50, 200}, {1000, 200, 1000}, {123456, 50000, 150000},
	}
	for _, tt := range tests {
		step, top := ticks(tt.max)
		if step != tt.step || top != tt.top || top < tt.max || top/step > 5 {
			t.Errorf("ticks(%d) = %d, %d; want %d, %d", tt.max, step, top, tt.step, tt.top)
		}
	}
}

// TestChartLayout: the label column holds the longest label, bars scale
// to the axis, and the value labels and the last tick fit on the right.
func TestChartLayout(t *testing.T) {
	long := "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jane.doe@example.com"
	c := newChart("T", "Principal", "Data calls", []Bar{{"a", 97}, {long, 3}, {"b\u200b", 0}})
	if c.LabelX-chartPad < textW(long) || c.LabelX >= c.PlotX {
		t.Errorf("labels end at %d, plot at %d: no room for %d px", c.LabelX, c.PlotX, textW(long))
	}
	if c.Bars[0].W != c.PlotW*97/100 || c.Bars[2].W != 0 {
		t.Errorf("bar widths %d, %d on a %d px axis to 100", c.Bars[0].W, c.Bars[2].W, c.PlotW)
	}
	if got := c.Ticks[len(c.Ticks)-1]; got.Label != "100" || got.X != c.PlotX+c.PlotW || len(c.Ticks) != 6 {
		t.Errorf("ticks %v", c.Ticks)
	}
	if right := c.Width - chartPad - (c.PlotX + c.Bars[0].W + 4); right < textW("97") {
		t.Errorf("%d px right of the longest bar for its value", right)
	}
	if c.Height < c.XTitleY || c.AxisY <= c.Bars[2].Y+barHeight {
		t.Errorf("height %d, axis %d, x title at %d", c.Height, c.AxisY, c.XTitleY)
	}
	// A label beyond maxLabel runes keeps its start and end; the label
	// column is sized for what is drawn.
	huge := "arn:aws:sts::123456789012:assumed-role/" + strings.Repeat("x", 300) + "/jane.doe@example.com"
	h := newChart("T", "Principal", "Data calls", []Bar{{huge, 1}})
	if s := h.Bars[0].Shown; len([]rune(s)) != maxLabel || !strings.HasPrefix(s, "arn:aws:sts::123456789012:") || !strings.HasSuffix(s, "/jane.doe@example.com") ||
		h.Bars[0].Label != huge || h.LabelX-chartPad != textW(s) {
		t.Errorf("huge label shown as %q (%d runes) in %d px", s, len([]rune(s)), h.LabelX-chartPad)
	}
	if c.Bars[1].Shown != long {
		t.Errorf("label of %d runes elided: %q", len(long), c.Bars[1].Shown)
	}
	// The hidden rune is measured as it is drawn, spelled out.
	if w := textW(visible.String("b\u200b")); c.LabelX-chartPad < w {
		t.Errorf("label column %d px, spelled label %d px", c.LabelX-chartPad, w)
	}
}

func TestPeriodText(t *testing.T) {
	q, _ := Quarter("2026-Q3")
	r, _ := Range("2026-06-01", "2026-06-21")
	for p, want := range map[Period]string{q: "2026-Q3 (2026-07-01 to 2026-09-30, UTC)", r: "2026-06-01 to 2026-06-21 (UTC)"} {
		if got := periodText(p); got != want {
			t.Errorf("periodText(%s) = %q, want %q", p.Label, got, want)
		}
	}
}

// The page lists a principal's actions under one grant in one row; rows
// that differ in anything else stay apart.
func TestMergeRows(t *testing.T) {
	r := queries.Result{Columns: []string{"principal_arn", "action", "granted_by"}, Rows: [][]string{
		{"p1", "kms:Decrypt", "key policy #0"},
		{"p2", "kms:Decrypt", "key policy #0"},
		{"p1", "kms:Encrypt", "key policy #0"},
		{"p1", "kms:Decrypt", "grant g1"},
		{"p1", "kms:Decrypt", "key policy #0"}, // a repeat adds nothing
	}}
	got := mergeRows(r, "action").Rows
	want := [][]string{
		{"p1", "kms:Decrypt, kms:Encrypt", "key policy #0"},
		{"p2", "kms:Decrypt", "key policy #0"},
		{"p1", "kms:Decrypt", "grant g1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(r.Rows[0], []string{"p1", "kms:Decrypt", "key policy #0"}) {
		t.Errorf("the section's own rows changed: %q", r.Rows[0])
	}
	if got := mergeRows(r, "none"); !reflect.DeepEqual(got.Rows, r.Rows) {
		t.Errorf("no such column: %q", got.Rows)
	}
}
