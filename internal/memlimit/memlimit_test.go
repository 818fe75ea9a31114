package memlimit

import "testing"

func TestChoose(t *testing.T) {
	const fn = 1024 << 20 / 10 * 9 // 90 % of a 1024 MB function
	for _, tc := range []struct {
		name string
		p    Profile
		env  map[string]string
		want Settings
	}{
		{"ingest command", Ingest, map[string]string{}, Settings{Limit: 128 << 20, GCPercent: 400}},
		{"ingest command, GOGC set", Ingest, map[string]string{"GOGC": "100"}, Settings{Limit: 128 << 20}},
		{"ingest command, GOMEMLIMIT set", Ingest, map[string]string{"GOMEMLIMIT": "1GiB"}, Settings{}},
		{"ingest function", Ingest, map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, Settings{Limit: fn, GCPercent: 400}},
		{"function", Function, map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, Settings{Limit: fn}},
		{"function, GOMEMLIMIT set", Function, map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "GOMEMLIMIT": "800MiB"}, Settings{}},
		{"function, size unreadable", Function, map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "x"}, Settings{}},
		{"function, size negative", Function, map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "-5"}, Settings{}},
		{"no function, no profile limit", Function, map[string]string{}, Settings{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Choose(func(k string) string { return tc.env[k] }, tc.p); got != tc.want {
				t.Errorf("Choose = %+v, want %+v", got, tc.want)
			}
		})
	}
}
