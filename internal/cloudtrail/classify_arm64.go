//go:build !purego

package cloudtrail

// haveClassify reports whether classify runs vectorised here: NEON (ASIMD)
// is part of every arm64 processor Go runs on.
const haveClassify = true

// classifyNEON sets m for the 64 bytes at p.
//
//go:noescape
func classifyNEON(p *byte, m *blockMasks)

// classify sets m for b[:64].
func classify(b []byte, m *blockMasks) {
	_ = b[63]
	classifyNEON(&b[0], m)
}
