package schema

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Version is the Admin API version this schema describes.
const Version = "2026-10"

//go:embed testdata/admin_2026-10.json.gz
var introspectionGz []byte

var (
	loadOnce   sync.Once
	loaded     *ast.Schema
	errLoading error
)

// Load returns the Admin API schema. The result is built once and shared; treat
// it as read-only.
func Load() (*ast.Schema, error) {
	loadOnce.Do(func() {
		loaded, errLoading = fromGzip(introspectionGz)
	})
	return loaded, errLoading
}

// Introspection returns the raw introspection JSON ({"data":{"__schema":…}}).
func Introspection() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(introspectionGz))
	if err != nil {
		return nil, fmt.Errorf("open embedded Shopify schema: %w", err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read embedded Shopify schema: %w", err)
	}
	return b, nil
}

func fromGzip(gz []byte) (*ast.Schema, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("open embedded Shopify schema: %w", err)
	}
	defer zr.Close()
	return FromIntrospection(zr)
}

// Parse parses and validates doc against the Admin schema and returns the
// validated document, or the errors the real API would report.
func Parse(doc string) (*ast.QueryDocument, gqlerror.List) {
	s, err := Load()
	if err != nil {
		return nil, gqlerror.List{gqlerror.Wrap(err)}
	}
	q, perr := parser.ParseQuery(&ast.Source{Name: "query", Input: doc})
	if perr != nil {
		var ge *gqlerror.Error
		if errors.As(perr, &ge) {
			return nil, gqlerror.List{ge}
		}
		return nil, gqlerror.List{gqlerror.Wrap(perr)}
	}
	if errs := validator.ValidateWithRules(s, q, nil); len(errs) > 0 {
		return nil, errs
	}
	return q, nil
}

// Validate reports whether doc is a valid document for the Admin API 2026-10.
// The error lists every problem with its line and column.
func Validate(doc string) error {
	if _, errs := Parse(doc); len(errs) > 0 {
		return fmt.Errorf("document is not valid for the Shopify Admin API %s: %w", Version, errs)
	}
	return nil
}

// introspection mirrors the parts of an introspection result a schema needs.
type introspection struct {
	Data struct {
		Schema struct {
			QueryType        *struct{ Name string } `json:"queryType"`
			MutationType     *struct{ Name string } `json:"mutationType"`
			SubscriptionType *struct{ Name string } `json:"subscriptionType"`
			Types            []fullType             `json:"types"`
			Directives       []directive            `json:"directives"`
		} `json:"__schema"`
	} `json:"data"`
}

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OfType *typeRef `json:"ofType"`
}

type inputValue struct {
	Name              string  `json:"name"`
	Type              typeRef `json:"type"`
	DefaultValue      *string `json:"defaultValue"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

type field struct {
	Name              string       `json:"name"`
	Args              []inputValue `json:"args"`
	Type              typeRef      `json:"type"`
	IsDeprecated      bool         `json:"isDeprecated"`
	DeprecationReason *string      `json:"deprecationReason"`
}

type fullType struct {
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	IsOneOf       *bool        `json:"isOneOf"`
	Fields        []field      `json:"fields"`
	InputFields   []inputValue `json:"inputFields"`
	Interfaces    []typeRef    `json:"interfaces"`
	EnumValues    []field      `json:"enumValues"`
	PossibleTypes []typeRef    `json:"possibleTypes"`
}

type directive struct {
	Name         string       `json:"name"`
	IsRepeatable bool         `json:"isRepeatable"`
	Locations    []string     `json:"locations"`
	Args         []inputValue `json:"args"`
}

// FromIntrospection converts an introspection result into an ast.Schema. It
// writes the schema out as SDL and lets gqlparser load it with its prelude, so
// the result is checked by the same rules as any hand-written schema.
func FromIntrospection(r io.Reader) (*ast.Schema, error) {
	var in introspection
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, fmt.Errorf("decode introspection result: %w", err)
	}
	sdl, err := toSDL(&in)
	if err != nil {
		return nil, err
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "shopify-admin-" + Version + ".graphql", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("load converted Shopify schema: %w", err)
	}
	return s, nil
}

// builtin names come from gqlparser's prelude and must not be declared twice.
var builtinScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}
var builtinDirectives = map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true, "defer": true}

func toSDL(in *introspection) (string, error) {
	s := &in.Data.Schema
	if s.QueryType == nil {
		return "", errors.New("introspection result has no query type: is this an __schema result?")
	}
	var b strings.Builder
	b.WriteString("schema {\n  query: " + s.QueryType.Name + "\n")
	if s.MutationType != nil {
		b.WriteString("  mutation: " + s.MutationType.Name + "\n")
	}
	if s.SubscriptionType != nil {
		b.WriteString("  subscription: " + s.SubscriptionType.Name + "\n")
	}
	b.WriteString("}\n\n")

	dirs := append([]directive(nil), s.Directives...)
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name < dirs[j].Name })
	for _, d := range dirs {
		if builtinDirectives[d.Name] {
			continue
		}
		b.WriteString("directive @" + d.Name + args(d.Args))
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		b.WriteString(" on " + strings.Join(d.Locations, " | ") + "\n\n")
	}

	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") || builtinScalars[t.Name] {
			continue
		}
		switch t.Kind {
		case "SCALAR":
			b.WriteString("scalar " + t.Name + "\n\n")
		case "OBJECT", "INTERFACE":
			kw := "type "
			if t.Kind == "INTERFACE" {
				kw = "interface "
			}
			b.WriteString(kw + t.Name)
			if len(t.Interfaces) > 0 {
				names := make([]string, len(t.Interfaces))
				for i, it := range t.Interfaces {
					names[i] = it.Name
				}
				b.WriteString(" implements " + strings.Join(names, " & "))
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				b.WriteString("  " + f.Name + args(f.Args) + ": " + ref(f.Type) + deprecated(f.IsDeprecated, f.DeprecationReason) + "\n")
			}
			b.WriteString("}\n\n")
		case "UNION":
			names := make([]string, len(t.PossibleTypes))
			for i, pt := range t.PossibleTypes {
				names[i] = pt.Name
			}
			b.WriteString("union " + t.Name + " = " + strings.Join(names, " | ") + "\n\n")
		case "ENUM":
			b.WriteString("enum " + t.Name + " {\n")
			for _, v := range t.EnumValues {
				b.WriteString("  " + v.Name + deprecated(v.IsDeprecated, v.DeprecationReason) + "\n")
			}
			b.WriteString("}\n\n")
		case "INPUT_OBJECT":
			b.WriteString("input " + t.Name)
			if t.IsOneOf != nil && *t.IsOneOf {
				b.WriteString(" @oneOf")
			}
			b.WriteString(" {\n")
			for _, f := range t.InputFields {
				b.WriteString("  " + f.Name + ": " + ref(f.Type) + defaultValue(f.DefaultValue) + deprecated(f.IsDeprecated, f.DeprecationReason) + "\n")
			}
			b.WriteString("}\n\n")
		default:
			return "", fmt.Errorf("introspection type %s has unknown kind %q", t.Name, t.Kind)
		}
	}
	return b.String(), nil
}

func args(in []inputValue) string {
	if len(in) == 0 {
		return ""
	}
	parts := make([]string, len(in))
	for i, a := range in {
		parts[i] = a.Name + ": " + ref(a.Type) + defaultValue(a.DefaultValue) + deprecated(a.IsDeprecated, a.DeprecationReason)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func ref(t typeRef) string {
	switch t.Kind {
	case "NON_NULL":
		return ref(*t.OfType) + "!"
	case "LIST":
		return "[" + ref(*t.OfType) + "]"
	default:
		return t.Name
	}
}

func defaultValue(v *string) string {
	if v == nil {
		return ""
	}
	return " = " + *v
}

func deprecated(is bool, reason *string) string {
	if !is {
		return ""
	}
	if reason == nil {
		return " @deprecated"
	}
	r, _ := json.Marshal(*reason)
	return " @deprecated(reason: " + string(r) + ")"
}
