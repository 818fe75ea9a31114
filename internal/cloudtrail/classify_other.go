//go:build (!amd64 && !arm64) || purego

package cloudtrail

// haveClassify reports whether classify runs vectorised here.
const haveClassify = false

// classify sets m for b[:64].
func classify(b []byte, m *blockMasks) { classifyGeneric(b, m) }
