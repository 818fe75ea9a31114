// Command keytrail turns AWS CloudTrail into answers about who touched which
// secret and which key. It runs the same code as the Lambda functions, with a
// local folder as the lake and DuckDB for the SQL.
//
// Usage:
//
//	keytrail <command> [flags] [args]
//
// Run "keytrail help" for the list of commands and "keytrail <command> -h"
// for one command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	_ "time/tzdata" // time zones on any runtime image
)

// A command runs one subcommand. It returns the process exit status.
type command struct {
	summary string
	run     func(ctx context.Context, env *environ, args []string) int
}

// environ is what a command may touch of the process: its standard streams
// and environment, passed in so commands can be tested in-process.
type environ struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     bool // stdout is a terminal: tables rather than JSON lines
	stderrTerminal bool // stderr is a terminal: progress bars
}

// commands lists every subcommand. It is filled in init because the demo
// command runs the others through run, which reads it.
var commands map[string]command

func init() {
	commands = map[string]command{
		"ingest":  {"read CloudTrail log files and write Secrets Manager and KMS events to the lake", runIngest},
		"alert":   {"post findings to Slack (or --dry-run to print the messages)", runAlert},
		"detect":  {"run the detection rules over the lake and print (or store) the findings", runDetect},
		"gen":     {"generate a synthetic organization's CloudTrail logs with labeled incidents", runGen},
		"query":   {"run a query of the investigation library on the local lake or Athena", runQuery},
		"review":  {"write the quarterly access review of secrets and keys", runReview},
		"demo":    {"run the whole pipeline on a generated organization, no AWS account needed", runDemo},
		"bench":   {"measure ingest throughput and memory against gzip and DuckDB", runBench},
		"compact": {"merge the lake's small event files and drop duplicate events", runCompact},
		"doctor":  {"check a deployment: trail settings, notifications, recent data, Athena", runDoctor},
	}
	commands["inventory"] = command{"take the inventory of secrets, keys and who may use them into the lake", runInventory}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &environ{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		isTerminal: isTerminal(os.Stdout), stderrTerminal: isTerminal(os.Stderr)}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, env *environ, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "keytrail: unknown command %q\n\n", args[0])
		usage(env.stderr)
		return 2
	}
	return cmd.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "keytrail: who touched which secret and which key, from AWS CloudTrail.\n\nUsage: keytrail <command> [flags] [args]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'keytrail <command> -h' for a command's flags.\n")
}

// newFlagSet returns a command's flag set: errors and usage go to stderr,
// and -h prints usage followed by the flags.
func newFlagSet(env *environ, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; when the command must stop (after -h, or on a
// bad flag, which the flag package has already reported) it returns the
// exit status and false.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}
