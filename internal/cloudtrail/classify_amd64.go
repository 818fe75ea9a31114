//go:build !purego

package cloudtrail

import "golang.org/x/sys/cpu"

// haveClassify reports whether classify runs vectorised here.
var haveClassify = cpu.X86.HasAVX2

// classifyAVX2 sets m for the 64 bytes at p. It requires AVX2.
//
//go:noescape
func classifyAVX2(p *byte, m *blockMasks)

// classify sets m for b[:64].
func classify(b []byte, m *blockMasks) {
	if !haveClassify {
		classifyGeneric(b, m)
		return
	}
	_ = b[63]
	classifyAVX2(&b[0], m)
}
