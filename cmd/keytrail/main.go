// Command keytrail turns AWS CloudTrail into answers about who touched which
// secret and which key. It runs the same code as the Lambda functions, with a
// local folder as the lake and DuckDB for the SQL.
//
// The commands are cobra commands, so --version, shell completion
// (keytrail completion bash|zsh|fish), "did you mean" and help on stdout
// (keytrail help CMD, keytrail CMD --help) work as in gh or kubectl. This
// package only parses flags and wires packages together: results are
// printed by internal/output, team defaults resolved by internal/settings.
//
// To add a command: write newXCmd(a *app) *cobra.Command in x.go (flags on
// cmd.Flags(); RunE returns nil, an error, which run prints and exits 1
// with, usage(err) for exit 2, or exitCode(n) when the command already
// said why), then add it to the list in newRoot and a row to the README's
// "## Commands" table (readme_test checks both ways).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/internal/settings"
	buildversion "github.com/keytrail/keytrail/internal/version"

	_ "time/tzdata" // time zones on any runtime image
)

// environ is what a command may touch of the process: its standard streams
// and environment, passed in so commands can be tested in-process.
type environ struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) string
	isTerminal     bool // stdout is a terminal: tables rather than JSON lines
	stderrTerminal bool // stderr is a terminal: progress bars
}

// app is one invocation: the environment and the team's settings, loaded
// when a command first asks (completion and help work with a broken file).
type app struct {
	env        *environ
	configFile string
	conf       *settings.Settings
}

func (a *app) settings() (*settings.Settings, error) {
	if a.conf == nil {
		s, err := settings.Load(a.env.getenv, os.ReadFile, a.configFile)
		if err != nil {
			return nil, err
		}
		a.conf = s
	}
	return a.conf, nil
}

// value is a flag's value when given on the command line, else the
// setting key's (KEYTRAIL_* environment, config file, built-in default).
func (a *app) value(cmd *cobra.Command, flag, key string) (string, error) {
	if f := cmd.Flags().Lookup(flag); f != nil && f.Changed {
		return f.Value.String(), nil
	}
	s, err := a.settings()
	if err != nil {
		return "", err
	}
	return s.Get(key), nil
}

// version is set by the Makefile's build: -ldflags "-X main.version=$(git describe)".
var version string

// exitCode ends a command with a status it has already explained.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ error }

func usage(err error) error { return usageError{err} }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func newRoot(a *app) *cobra.Command {
	bi, ok := debug.ReadBuildInfo()
	root := &cobra.Command{
		Use:   "keytrail",
		Short: "who touched which secret and which key, from AWS CloudTrail",
		Long: "keytrail: who touched which secret and which key, from AWS CloudTrail.\n\n" +
			"Team defaults (lake, time zone, calendar, Athena database and workgroup, region) come from\n" +
			"flags, then KEYTRAIL_* environment variables, then the config file; see keytrail config.",
		Version:       buildversion.Text(version, bi, ok),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(a.env.stdout)
	root.SetErr(a.env.stderr)
	if a.env.stdin != nil {
		root.SetIn(a.env.stdin)
	}
	root.SetVersionTemplate("keytrail {{.Version}}\n")
	root.PersistentFlags().StringVar(&a.configFile, "config", "",
		"config `file` of team defaults and detection rules (default $XDG_CONFIG_HOME/keytrail/config.yaml)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	root.AddCommand(
		newIngestCmd(a), newCompactCmd(a), newDetectCmd(a), newAlertCmd(a),
		newQueryCmd(a), newSQLCmd(a), newReviewCmd(a),
		newInventoryCmd(a), newGenCmd(a), newDemoCmd(a), newBenchCmd(a), newDoctorCmd(a), newRedriveCmd(a), newConfigCmd(a),
	)
	return root
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &environ{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, getenv: os.Getenv,
		isTerminal: isTerminal(os.Stdout), stderrTerminal: isTerminal(os.Stderr)}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs one command line and returns its exit status.
func run(ctx context.Context, env *environ, args []string) int {
	root := newRoot(&app{env: env})
	root.SetArgs(args)
	if len(args) == 0 {
		root.InitDefaultHelpFlag()
		root.InitDefaultVersionFlag()
		root.Help()
		return 2
	}
	cmd, err := root.ExecuteContextC(ctx)
	var code exitCode
	var uerr usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &uerr) || strings.HasPrefix(err.Error(), "unknown command"):
		output.Error(env.stderr, cmd.CommandPath(), err)
		fmt.Fprintf(env.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	output.Error(env.stderr, cmd.CommandPath(), err)
	return 1
}

// addOutput adds -o/--output, whose default is def, or with def "" a
// table on a terminal and JSON lines otherwise. The command calls what it
// returns to resolve the format, which takes a deprecated alias of the flag
// (--format, --json) with a one-line notice on stderr.
func (a *app) addOutput(cmd *cobra.Command, def string, allowed ...output.Format) func() (output.Format, error) {
	names := []string{}
	for _, f := range allowed {
		names = append(names, string(f))
	}
	help := "output `format`: " + strings.Join(names, ", ")
	if def == "" {
		help += " (default: table on a terminal, json otherwise)"
	}
	out := cmd.Flags().StringP("output", "o", def, help)
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(names, cobra.ShellCompDirectiveNoFileComp))
	return func() (output.Format, error) {
		f, err := output.Choose(cmd.Flags(), *out, a.env.isTerminal, func(alias string) {
			fmt.Fprintf(a.env.stderr, "%s: --%s is deprecated; use --output\n", cmd.CommandPath(), alias)
		}, allowed...)
		if err != nil {
			return "", usage(err)
		}
		return f, nil
	}
}

// deprecated adds a hidden alias flag that format reads.
func deprecated(cmd *cobra.Command, name, value, help string) {
	if value == "bool" {
		cmd.Flags().Bool(name, false, help)
	} else {
		cmd.Flags().String(name, value, help)
	}
	cmd.Flags().MarkHidden(name)
}

// args makes an argument check's complaint a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usage(err)
		}
		return nil
	}
}
