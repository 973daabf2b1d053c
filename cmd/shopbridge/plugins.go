package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/plugin"
)

// pluginPaths are the plugins directory and lock file a plugins command
// works on: the flags, else the configuration's plugins section, else the
// defaults.
type pluginPaths struct {
	config, dir, lock string
	cfg               *config.Config
}

func (p *pluginPaths) resolve() error {
	if p.config != "" {
		cfg, err := loadConfig(p.config)
		if err != nil {
			return err
		}
		p.cfg = cfg
		if p.dir == "" {
			p.dir = cfg.Plugins.Dir
		}
		if p.lock == "" {
			p.lock = cfg.Plugins.Lock
		}
	}
	if p.dir == "" {
		p.dir = "./plugins"
	}
	if p.lock == "" {
		p.lock = "./shopbridge.lock"
	}
	return nil
}

func newPluginsCmd() *cobra.Command {
	paths := &pluginPaths{}
	c := &cobra.Command{
		Use:   "plugins",
		Short: "Install, list and verify connector binaries",
	}
	c.PersistentFlags().StringVarP(&paths.config, "config", "c", "", "configuration file; its plugins.dir and plugins.lock are used, and list shows which links use each version")
	c.PersistentFlags().StringVar(&paths.dir, "plugins-dir", "", "plugins directory (default: plugins.dir of the config, else ./plugins)")
	c.PersistentFlags().StringVar(&paths.lock, "lock", "", "lock file (default: plugins.lock of the config, else ./shopbridge.lock)")
	c.AddCommand(newPluginsListCmd(paths), newPluginsInstallCmd(paths), newPluginsVerifyCmd(paths))
	return c
}

func newPluginsInstallCmd(paths *pluginPaths) *cobra.Command {
	return &cobra.Command{
		Use:   "install FILE",
		Short: "Copy a connector binary into the plugins directory and record its sha256 in the lock file",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := paths.resolve(); err != nil {
				return err
			}
			e, err := plugin.Install(c.Context(), paths.dir, paths.lock, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "installed %s %s (protocol %d) as %s\nsha256 %s recorded in %s\n",
				e.Name, e.Version, e.Protocol, filepath.Join(paths.dir, e.File), e.SHA256, paths.lock)
			return nil
		},
	}
}

func newPluginsVerifyCmd(paths *pluginPaths) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check every connector binary against the lock file",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := paths.resolve(); err != nil {
				return err
			}
			problems, err := plugin.Verify(paths.dir, paths.lock)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(c.ErrOrStderr(), p.String())
			}
			if len(problems) > 0 {
				return fmt.Errorf("%d problem(s) with the connector binaries in %s, listed above", len(problems), paths.dir)
			}
			lock, _ := plugin.ReadLock(paths.lock)
			fmt.Fprintf(c.OutOrStdout(), "all %d connector binaries in %s match %s\n", len(lock.Connectors), paths.dir, paths.lock)
			return nil
		},
	}
}

func newPluginsListCmd(paths *pluginPaths) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the installed connectors: name, version, protocol, capabilities, sha256 and the links using each",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := paths.resolve(); err != nil {
				return err
			}
			lock, err := plugin.ReadLock(paths.lock)
			if err != nil {
				return err
			}
			bins, err := plugin.Discover(paths.dir)
			if err != nil {
				return err
			}
			users := linkUsers(paths, lock)
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tVERSION\tPROTOCOL\tCAPABILITIES\tSHA256\tLINKS")
			for _, b := range bins {
				row := listRow(c.Context(), lock, b)
				links := strings.Join(users[b.Name+"@"+b.Version.Original()], ",")
				if links == "" {
					links = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, b.Version.Original(), row.protocol, row.caps, row.sha, links)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(bins) == 0 {
				fmt.Fprintf(c.ErrOrStderr(), "no connectors installed in %s: add one with \"shopbridge plugins install FILE\"\n", paths.dir)
			}
			return nil
		},
	}
}

type row struct{ protocol, caps, sha string }

// listRow describes one binary. Only a binary that matches the lock is run
// (with `describe`) to learn its capabilities; others are never executed.
func listRow(ctx context.Context, lock *plugin.Lock, b plugin.Binary) row {
	e := lock.Find(b.Name, b.Version.Original())
	if e == nil {
		return row{"?", "?", "not in lock: run \"shopbridge plugins install " + b.Path + "\""}
	}
	r := row{protocol: fmt.Sprint(e.Protocol), caps: "?", sha: short(e.SHA256)}
	sum, err := plugin.FileSHA256(b.Path)
	if err != nil || sum != e.SHA256 {
		r.sha = "MISMATCH (actual " + short(sum) + "): run \"shopbridge plugins verify\""
		return r
	}
	d, err := plugin.Describe(ctx, b.Path)
	if err != nil {
		r.caps = "describe failed"
		return r
	}
	caps := make([]string, len(d.Capabilities))
	for i, cp := range d.Capabilities {
		caps[i] = string(cp)
	}
	r.caps = strings.Join(caps, ",")
	return r
}

func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16] + "…"
	}
	return sum
}

// linkUsers maps name@version to the ids of the configured links that
// resolve to it; empty without a configuration.
func linkUsers(paths *pluginPaths, lock *plugin.Lock) map[string][]string {
	out := map[string][]string{}
	if paths.cfg == nil {
		return out
	}
	for _, l := range paths.cfg.Links {
		_, e, err := plugin.Resolve(paths.dir, lock, l.ConnectorName, l.ConnectorConstraint)
		if err != nil {
			continue
		}
		k := e.Name + "@" + e.Version
		out[k] = append(out[k], l.ID)
	}
	return out
}
