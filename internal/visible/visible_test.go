package visible

import (
	"fmt"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:role/app"},
		{"non-latin letters stay", "données-秘密-ключ", "données-秘密-ключ"},
		{"line breaks", "a\nb\r\tc", `a\nb\r\tc`},
		{"escape and nul", "\x1b[31mred\x00", `\u001b[31mred\u0000`},
		{"del and c1", "a\x7fb\u0085c", `a\u007fb\u0085c`},
		{"zero width", "prod\u200b-db\u200c\u200d", `prod\u200b-db\u200c\u200d`},
		{"word joiner and bom", "a\u2060b\ufeffc", `a\u2060b\ufeffc`},
		{"bidi", "\u202eevil\u2066\u200f\u061c", `\u202eevil\u2066\u200f\u061c`},
		{"tags", "ok\U000e0041\U000e007f", `ok\U000e0041\U000e007f`},
		{"separators", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"soft hyphen", "pass\u00adword", `pass\u00adword`},
		{"hangul filler", "\u3164admin", `\u3164admin`},
		{"invalid utf-8", "a\xffb", "a\ufffdb"},
		{"emoji stays", "🔑", "🔑"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNoHiddenSurvives checks every rune of the ranges the package promises
// to show: none passes through String unchanged.
func TestNoHiddenSurvives(t *testing.T) {
	ranges := [][2]rune{{0, 0x1f}, {0x7f, 0x9f}, {0x200b, 0x200f}, {0x202a, 0x202e}, {0x2060, 0x2064}, {0x2066, 0x2069}, {0xfeff, 0xfeff}, {0xe0000, 0xe007f}}
	for _, rg := range ranges {
		for r := rg[0]; r <= rg[1]; r++ {
			if !Hidden(r) {
				t.Errorf("Hidden(%U) = false", r)
			}
			if got := String("x" + string(r) + "x"); got == "x"+string(r)+"x" {
				t.Errorf("String kept %U raw", r)
			}
		}
	}
	for _, r := range "aZ09 -_:/@*`<>&é秘🔑" {
		if Hidden(r) {
			t.Errorf("Hidden(%U) = true, want a printable rune kept", r)
		}
	}
}

func ExampleString() {
	// A secret name that looks like "prod-db" but is not.
	fmt.Println(String("prod\u200b-db"))
	// Output: prod\u200b-db
}
