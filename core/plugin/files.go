package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/shopbridge/shopbridge/sdk"
)

// FilePrefix starts the file name of every connector binary.
const FilePrefix = "shopbridge-connector-"

var (
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	fileRE = regexp.MustCompile(`^shopbridge-connector-([a-z0-9][a-z0-9-]*)_v(.+)$`)
)

// FileName is the name a connector version has in the plugins directory.
func FileName(name, version string) string { return FilePrefix + name + "_v" + version }

// Binary is a connector binary found in the plugins directory.
type Binary struct {
	Name    string
	Version *semver.Version
	Path    string
}

// Discover lists the connector binaries in dir, sorted by name and then
// newest version first. Files that do not follow the naming scheme are
// ignored; a missing directory holds no binaries.
func Discover(dir string) ([]Binary, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading plugins directory %s: %w", dir, err)
	}
	var out []Binary
	for _, e := range ents {
		m := fileRE.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		v, err := semver.StrictNewVersion(m[2])
		if err != nil {
			continue
		}
		out = append(out, Binary{Name: m[1], Version: v, Path: filepath.Join(dir, e.Name())})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version.GreaterThan(out[j].Version)
	})
	return out, nil
}

// Describe runs `<binary> describe` and returns what the connector says it
// is, without starting it as a plugin. Run it only on binaries the operator
// chose (install) or the lock trusts.
func Describe(ctx context.Context, path string) (sdk.DescribeOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "describe")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg != "" {
			msg = " (" + msg + ")"
		}
		return sdk.DescribeOutput{}, fmt.Errorf("%s describe failed: %v%s; is it a shopbridge connector?", path, err, msg)
	}
	var d sdk.DescribeOutput
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		return d, fmt.Errorf("%s describe did not print a connector description (%v): is it a shopbridge connector?", path, err)
	}
	if !nameRE.MatchString(d.Name) {
		return d, fmt.Errorf("%s describes itself with name %q: a connector name is lower-case letters, digits and dashes", path, d.Name)
	}
	if _, err := semver.StrictNewVersion(d.Version); err != nil {
		return d, fmt.Errorf("%s describes itself with version %q, which is not semver (e.g. 1.2.0): rebuild it with a proper version", path, d.Version)
	}
	return d, nil
}

// Install copies the connector binary at src into dir under the name its
// describe answer gives, and records its sha256 and protocol in the lock
// file at lockPath. Installing the same version again replaces it.
func Install(ctx context.Context, dir, lockPath, src string) (Entry, error) {
	d, err := Describe(ctx, src)
	if err != nil {
		return Entry{}, err
	}
	lock, err := ReadLock(lockPath)
	if err != nil {
		return Entry{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Entry{}, fmt.Errorf("creating plugins directory %s: %w", dir, err)
	}
	file := FileName(d.Name, d.Version)
	dst := filepath.Join(dir, file)
	sum, err := copyExecutable(src, dst)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Name: d.Name, Version: d.Version, File: file, SHA256: sum, Protocol: d.Protocol}
	lock.Put(e)
	if err := lock.Write(lockPath); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// copyExecutable copies src to dst through a temporary file and a rename, so
// a running process of the old file is not disturbed, and returns the hex
// sha256 of what it wrote.
func copyExecutable(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("installing %s: %w", src, err)
	}
	defer in.Close()
	same, _ := sameFile(src, dst)
	if same {
		return FileSHA256(dst)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".install-*")
	if err != nil {
		return "", fmt.Errorf("installing %s into %s: %w", src, filepath.Dir(dst), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return "", fmt.Errorf("installing %s: %w", src, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return "", fmt.Errorf("installing %s: %w", src, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("installing %s: %w", src, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("installing %s as %s: %w", src, dst, err)
	}
	return FileSHA256(dst)
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// Problem is one finding of Verify.
type Problem struct {
	File string
	Msg  string
}

func (p Problem) String() string { return p.File + ": " + p.Msg }

// Verify checks every lock entry against its binary in dir and reports
// binaries the lock does not know. No problems means every locked binary is
// present and intact.
func Verify(dir, lockPath string) ([]Problem, error) {
	lock, err := ReadLock(lockPath)
	if err != nil {
		return nil, err
	}
	var out []Problem
	for _, e := range lock.Connectors {
		path := filepath.Join(dir, e.File)
		sum, err := FileSHA256(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, Problem{path, fmt.Sprintf("locked as %s %s but missing: install it again with \"shopbridge plugins install\"", e.Name, e.Version)})
		case err != nil:
			out = append(out, Problem{path, err.Error()})
		case sum != e.SHA256:
			out = append(out, Problem{path, fmt.Sprintf("sha256 %s does not match the lock (%s): if you trust it, run \"shopbridge plugins install %s\"", sum, e.SHA256, path)})
		}
	}
	bins, err := Discover(dir)
	if err != nil {
		return nil, err
	}
	for _, b := range bins {
		if lock.Find(b.Name, b.Version.Original()) == nil {
			out = append(out, Problem{b.Path, fmt.Sprintf("not in the lock file, so it will not run: run \"shopbridge plugins install %s\" if you trust it", b.Path)})
		}
	}
	return out, nil
}

// Resolve picks the connector version a link with the given constraint
// runs on: the highest installed version that satisfies it, is in the lock
// and speaks protocol version 1. An empty constraint accepts any version.
func Resolve(dir string, lock *Lock, name, constraint string) (Binary, Entry, error) {
	var cons *semver.Constraints
	if constraint != "" {
		c, err := semver.NewConstraint(constraint)
		if err != nil {
			return Binary{}, Entry{}, fmt.Errorf("connector %s@%s: the version constraint is not valid: %w", name, constraint, err)
		}
		cons = c
	}
	bins, err := Discover(dir)
	if err != nil {
		return Binary{}, Entry{}, err
	}
	want := name
	if constraint != "" {
		want += "@" + constraint
	}
	var installed, unlocked, otherProto []string
	for _, b := range bins {
		if b.Name != name {
			continue
		}
		installed = append(installed, b.Version.Original())
		if cons != nil && !cons.Check(b.Version) {
			continue
		}
		e := lock.Find(b.Name, b.Version.Original())
		if e == nil {
			unlocked = append(unlocked, b.Path)
			continue
		}
		if e.Protocol != 0 && e.Protocol != sdk.ProtocolVersion {
			otherProto = append(otherProto, fmt.Sprintf("%s speaks protocol %d", b.Version.Original(), e.Protocol))
			continue
		}
		return b, *e, nil
	}
	switch {
	case len(installed) == 0:
		return Binary{}, Entry{}, fmt.Errorf("connector %s is not installed in %s: install it with \"shopbridge plugins install <binary>\"", want, dir)
	case len(otherProto) > 0 && len(unlocked) == 0:
		return Binary{}, Entry{}, fmt.Errorf("connector %s: no matching version speaks connector protocol %d, the one this host speaks (%s): install a version built for protocol %d", want, sdk.ProtocolVersion, strings.Join(otherProto, ", "), sdk.ProtocolVersion)
	case len(unlocked) > 0:
		return Binary{}, Entry{}, fmt.Errorf("connector %s: %s is installed but not in the lock file, so it will not run: run \"shopbridge plugins install %s\" if you trust it", want, unlocked[0], unlocked[0])
	default:
		return Binary{}, Entry{}, fmt.Errorf("connector %s: no installed version matches (installed: %s): install a matching version or change the link's constraint", want, strings.Join(installed, ", "))
	}
}
