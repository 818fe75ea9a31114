package main

import (
	"embed"
	"strings"
)

// The long help of the commands with more to say than a line is prose in
// help/NAME.txt, kept out of the wiring.
//
//go:embed help/*.txt
var helpFiles embed.FS

// help is the long help in help/name.txt; a missing file is a build
// mistake, which every test of the command shows.
func help(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}
