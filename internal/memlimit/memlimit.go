// Package memlimit is the one place that tunes the Go garbage collector for
// keytrail's processes: the ingest command, the ingest Lambda (which run the
// same streaming code and so share Ingest) and the other Lambdas.
//
// A Lambda function is killed when it passes its memory size; a soft limit
// under it makes the collector work harder near the edge instead. Ingest
// streams, so its live heap is a couple of Parquet parts: a soft limit keeps
// the collector from letting the heap double past that on a large file,
// and under that limit it can collect less often (GOGC 400) without the
// heap growing unbounded. GOMEMLIMIT and GOGC, when set, win: the runtime
// has read them already.
package memlimit

import (
	"runtime/debug"
	"strconv"
)

// Profile is how a kind of process wants its memory tuned.
type Profile struct {
	// Limit is the soft memory limit in bytes outside a Lambda function
	// (0 for none). In a function, 90 % of its memory size is the limit.
	Limit int64
	// GCPercent replaces the default GOGC under a limit (0 keeps it).
	GCPercent int
}

// Profiles of keytrail's processes.
var (
	// Ingest is for the ingest command and the ingest Lambda. With a live
	// heap of a few MB, the default GOGC runs the collector every few
	// small files, about a tenth of the work on a trail of 1 MB files.
	Ingest = Profile{Limit: 128 << 20, GCPercent: 400}
	// Function is for the other Lambdas: only the function's limit.
	Function = Profile{}
)

// Settings are what Choose decided; zero values leave the runtime as it is.
type Settings struct {
	Limit     int64 // bytes
	GCPercent int
}

// Choose returns the settings for a process of profile p in the
// environment read through getenv.
func Choose(getenv func(string) string, p Profile) Settings {
	if getenv("GOMEMLIMIT") != "" {
		return Settings{} // the runtime has read it; GOGC is the user's too
	}
	s := Settings{Limit: p.Limit}
	if mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); err == nil && mb > 0 {
		s.Limit = int64(mb) << 20 / 10 * 9
	}
	if s.Limit > 0 && getenv("GOGC") == "" {
		s.GCPercent = p.GCPercent
	}
	return s
}

// Apply sets the runtime's limit and GC percent as Choose decides, and
// returns what it set.
func Apply(getenv func(string) string, p Profile) Settings {
	s := Choose(getenv, p)
	if s.Limit > 0 {
		debug.SetMemoryLimit(s.Limit)
	}
	if s.GCPercent > 0 {
		debug.SetGCPercent(s.GCPercent)
	}
	return s
}
