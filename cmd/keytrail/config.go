package main

import (
	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/settings"
)

func newConfigCmd(a *app) *cobra.Command {
	show := func(cmd *cobra.Command, _ []string) error {
		s, err := a.settings()
		if err != nil {
			return err
		}
		s.Print(a.env.stdout)
		return nil
	}
	long := "Prints each setting's effective value and where it came from: a KEYTRAIL_* environment\n" +
		"variable, the config file (--config, else $XDG_CONFIG_HOME/keytrail/config.yaml, else\n" +
		"~/.config/keytrail/config.yaml) or the built-in default. A flag given to a command wins over all.\n\nSettings:\n"
	for _, k := range settings.Keys {
		long += "  " + k.Name + " (" + k.Env + "): " + k.Help + "\n"
	}
	cmd := &cobra.Command{Use: "config [show]", Short: "print the team defaults in effect and where each came from", Long: long,
		Args: args(cobra.NoArgs), RunE: show}
	cmd.AddCommand(&cobra.Command{Use: "show", Short: "print the team defaults in effect and where each came from", Args: args(cobra.NoArgs), RunE: show})
	return cmd
}

// values is value for each flag, keyed by flag name: keys maps each flag
// to its setting key.
func (a *app) values(cmd *cobra.Command, keys map[string]string) (map[string]string, error) {
	v := map[string]string{}
	for flag, key := range keys {
		var err error
		if v[flag], err = a.value(cmd, flag, key); err != nil {
			return nil, err
		}
	}
	return v, nil
}
