package cloudtrail

import (
	"math/rand/v2"
	"testing"
)

// classify agrees with the byte-at-a-time reference on every byte value in
// every position.
func TestClassify(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []byte(`"\{}[]` + "\x00\x7b\x5b\xdb\xfb\x22\xa2\x5c\xdc\x7d\x5d\xfd\x20")
	b := make([]byte, 64)
	for n := range 20000 {
		for i := range b {
			if n < 256 {
				b[i] = byte(n + i) // every byte value in every position
			} else if rng.IntN(2) == 0 {
				b[i] = special[rng.IntN(len(special))]
			} else {
				b[i] = byte(rng.Uint32())
			}
		}
		var got, want blockMasks
		classify(b, &got)
		classifyGeneric(b, &want)
		if got != want {
			t.Fatalf("classify(%q) = %+v, want %+v", b, got, want)
		}
	}
	t.Logf("vectorised: %v", haveClassify)
}
