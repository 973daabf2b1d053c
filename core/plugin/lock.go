package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// LockVersion is the version of the lock file format this package writes.
const LockVersion = 1

// Lock is the content of the lock file: the connector binaries the
// operator trusts, with their digests.
type Lock struct {
	LockVersion int     `json:"lock_version"`
	Connectors  []Entry `json:"connectors"`
}

// Entry is one trusted connector binary.
type Entry struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	File     string `json:"file"`   // relative to the plugins directory
	SHA256   string `json:"sha256"` // hex
	Protocol int    `json:"protocol"`
}

// ReadLock reads the lock file at path. A lock file that does not exist yet
// is an empty lock, so a fresh installation needs no set-up step.
func ReadLock(path string) (*Lock, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{LockVersion: LockVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock file %s: %w", path, err)
	}
	var l Lock
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("lock file %s is not valid JSON (%v): fix or delete it and run \"shopbridge plugins install\" again", path, err)
	}
	if l.LockVersion > LockVersion {
		return nil, fmt.Errorf("lock file %s has format version %d, newer than this shopbridge understands (%d): upgrade shopbridge", path, l.LockVersion, LockVersion)
	}
	return &l, nil
}

// Write saves the lock to path atomically, sorted by name and version so
// that it diffs well in version control.
func (l *Lock) Write(path string) error {
	l.LockVersion = LockVersion
	sort.Slice(l.Connectors, func(i, j int) bool {
		a, b := l.Connectors[i], l.Connectors[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing lock file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".shopbridge.lock-*")
	if err != nil {
		return fmt.Errorf("writing lock file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing lock file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing lock file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing lock file %s: %w", path, err)
	}
	return nil
}

// Find returns the entry for name and version, or nil.
func (l *Lock) Find(name, version string) *Entry {
	for i := range l.Connectors {
		if l.Connectors[i].Name == name && l.Connectors[i].Version == version {
			return &l.Connectors[i]
		}
	}
	return nil
}

// Put adds e, replacing the entry of the same name and version.
func (l *Lock) Put(e Entry) {
	if old := l.Find(e.Name, e.Version); old != nil {
		*old = e
		return
	}
	l.Connectors = append(l.Connectors, e)
}

// FileSHA256 returns the hex sha256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// MismatchError says a binary is not the one the lock trusts.
type MismatchError struct {
	File     string
	Expected string
	Actual   string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("connector binary %s does not match the lock file: expected sha256 %s, actual %s; if you trust this binary, run \"shopbridge plugins install %s\" to record it", e.File, e.Expected, e.Actual, e.File)
}

// verify checks the binary at path against its lock entry.
func verify(path string, e *Entry) error {
	actual, err := FileSHA256(path)
	if err != nil {
		return fmt.Errorf("connector binary %s cannot be read (%v): reinstall it with \"shopbridge plugins install\"", path, err)
	}
	if actual != e.SHA256 {
		return &MismatchError{File: path, Expected: e.SHA256, Actual: actual}
	}
	return nil
}
