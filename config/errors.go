package config

import "strings"

// FieldError is one problem with one key of the configuration.
type FieldError struct {
	// Path is the key path, e.g. "links[0].orders.numbering"; empty for
	// problems with the file as a whole (such as YAML syntax).
	Path string
	// Msg says what is wrong and, where it can, how to fix it. It never
	// contains a secret value.
	Msg string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors is every problem found in one configuration. Load and Parse return a
// *Errors when the configuration is invalid; find it with errors.As.
type Errors []*FieldError

// Error lists one problem per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}
