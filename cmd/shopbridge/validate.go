package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/mapping"
)

func newValidateCmd() *cobra.Command {
	var path string
	c := &cobra.Command{
		Use:   "validate -c FILE",
		Short: "Check a configuration file; exit 2 listing every problem, one per line",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			// Product rules are type-checked here too, so a bad one fails
			// validate with its key and column, not the host at 3 a.m.
			cfg, err := config.Load(path, config.WithRuleChecker(mapping.CheckRule))
			var errs *config.Errors
			if errors.As(err, &errs) {
				for _, fe := range *errs {
					fmt.Fprintln(c.ErrOrStderr(), fe.Error())
				}
				return &exitError{code: 2, err: fmt.Errorf("%s has %d problem(s), listed above: fix them and run validate again", path, len(*errs))}
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			fmt.Fprintf(c.OutOrStdout(), "%s is valid: %d link(s)\n", path, len(cfg.Links))
			return nil
		},
	}
	c.Flags().StringVarP(&path, "config", "c", "", "configuration file (YAML)")
	_ = c.MarkFlagRequired("config")
	return c
}
