package bench

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// StartCPUProfile profiles the process into path until stop is called:
// keytrail ingest --cpuprofile, which Run passes with Config.Profile.
func StartCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// Counts parses a comma-separated list of whole numbers ≥ 1, the file
// and thread counts of Config.
func Counts(list string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, errors.New("want whole numbers ≥ 1, separated by commas")
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, errors.New("want at least one number")
	}
	return ns, nil
}
