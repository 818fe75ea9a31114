package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/output"
	queryengine "github.com/keytrail/keytrail/queries/engine"
)

func newSQLCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "sql 'SELECT …' | -f FILE [flags]", Short: "run your own SQL over the lake's tables on DuckDB or Athena",
		Long: help("sql"), Args: args(cobra.MaximumNArgs(1))}
	file := cmd.Flags().StringP("file", "f", "", "read the statement from `file` (- for stdin)")
	outFormat := a.addOutput(cmd, "table", output.Table, output.JSON, output.CSV)
	eng := addEngine(cmd)
	cmd.RunE = func(cmd *cobra.Command, argv []string) error {
		ctx := cmd.Context()
		format, err := outFormat()
		if err != nil {
			return err
		}
		var text string
		switch {
		case len(argv) == 1 && *file == "" && argv[0] != "-":
			text = argv[0]
		case len(argv) == 1 && argv[0] == "-" && *file == "", len(argv) == 0 && *file == "-":
			b, err := io.ReadAll(cmd.InOrStdin())
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			text = string(b)
		case len(argv) == 0 && *file != "":
			b, err := os.ReadFile(*file)
			if err != nil {
				return err
			}
			text = string(b)
		default:
			return usage(errors.New("give the statement as the argument, or -f FILE (- for stdin), not both"))
		}
		if strings.TrimSpace(text) == "" {
			return usage(errors.New("the statement is empty"))
		}
		r, done, err := eng.open(ctx, a, cmd)
		if err != nil {
			return err
		}
		defer done()
		if !eng.athena { // DuckDB: a lake folder that holds events (and has the inventory's views)
			if _, _, err := a.readLake(ctx, cmd, ""); err != nil {
				return err
			}
		}
		res, err := queryengine.Exec(ctx, r, eng.lake, text)
		if err != nil {
			return err
		}
		return printResult(a.env, format, res, eng.athena)
	}
	return cmd
}
