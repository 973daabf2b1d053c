package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"github.com/shopspring/decimal"
)

// RackbeatView is what a rule toward the channel sees as `product`: a
// Rackbeat product with money and weight as decimal strings, so that no
// rule ever computes a price in floating point by accident.
type RackbeatView struct {
	Number      string            `cel:"number"`
	Name        string            `cel:"name"`
	Description string            `cel:"description"`
	Barcode     string            `cel:"barcode"`
	SalesPrice  string            `cel:"sales_price"` // excluding VAT, e.g. "100.00"
	CostPrice   string            `cel:"cost_price"`
	Group       int64             `cel:"group"`
	GroupName   string            `cel:"group_name"`
	Weight      string            `cel:"weight"`
	WeightUnit  string            `cel:"weight_unit"`
	Fields      map[string]string `cel:"fields"` // custom field values by field id, e.g. fields["7"]
}

// ChannelProductView is what a rule toward Rackbeat sees as `product`.
type ChannelProductView struct {
	ID          string            `cel:"id"`
	Title       string            `cel:"title"`
	Description string            `cel:"description"`
	Category    string            `cel:"category"`
	Vendor      string            `cel:"vendor"`
	Status      string            `cel:"status"`
	Variants    int64             `cel:"variants"` // how many variants the product has
	Attributes  map[string]string `cel:"attributes"`
}

// ChannelVariantView is what a rule toward Rackbeat sees as `variant`.
type ChannelVariantView struct {
	ID         string            `cel:"id"`
	SKU        string            `cel:"sku"`
	Title      string            `cel:"title"`
	Barcode    string            `cel:"barcode"`
	Price      string            `cel:"price"` // as the channel shows it, e.g. "125.00"
	Cost       string            `cel:"cost"`
	Weight     string            `cel:"weight"`
	WeightUnit string            `cel:"weight_unit"`
	Options    map[string]string `cel:"options"`
}

// Rule targets. A rule's key names the field it overrides; toward the
// channel the source is `product` (a RackbeatView), toward Rackbeat the
// sources are `product` and `variant` (the channel's).
const (
	TargetTitle       = "title"
	TargetDescription = "description"
	TargetCategory    = "category"
	TargetSKU         = "sku"
	TargetPrice       = "price"
	TargetBarcode     = "barcode"

	TargetRackbeatName        = "rackbeat.name"
	TargetRackbeatNumber      = "rackbeat.number"
	TargetRackbeatDescription = "rackbeat.description"
	TargetRackbeatSalesPrice  = "rackbeat.sales_price"
	TargetRackbeatCostPrice   = "rackbeat.cost_price"
	TargetRackbeatBarcode     = "rackbeat.barcode"
)

type targetInfo struct {
	toRackbeat bool
	decimal    bool // the result must parse as a decimal number
}

var targets = map[string]targetInfo{
	TargetTitle: {}, TargetDescription: {}, TargetCategory: {}, TargetSKU: {}, TargetBarcode: {},
	TargetPrice: {decimal: true},
	// The variant-level fields may also be written as in the config reference.
	"variants.sku": {}, "variants.barcode": {}, "variants.price": {decimal: true},
	TargetRackbeatName: {toRackbeat: true}, TargetRackbeatNumber: {toRackbeat: true},
	TargetRackbeatDescription: {toRackbeat: true}, TargetRackbeatBarcode: {toRackbeat: true},
	TargetRackbeatSalesPrice: {toRackbeat: true, decimal: true}, TargetRackbeatCostPrice: {toRackbeat: true, decimal: true},
}

// canonicalTarget folds the "variants." spellings onto the plain names.
func canonicalTarget(t string) string { return strings.TrimPrefix(t, "variants.") }

func targetNames() string {
	names := make([]string, 0, len(targets))
	for k := range targets {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Limits that keep a hostile or careless rule from stalling a sync.
const (
	maxRuleLength = 4096
	maxRuleCost   = 100000
)

var (
	toChannelEnv, toRackbeatEnv *cel.Env
	envErr                      error
)

func init() {
	toChannelEnv, envErr = newEnv(cel.Variable("product", cel.ObjectType("mapping.RackbeatView")))
	if envErr == nil {
		toRackbeatEnv, envErr = newEnv(
			cel.Variable("product", cel.ObjectType("mapping.ChannelProductView")),
			cel.Variable("variant", cel.ObjectType("mapping.ChannelVariantView")))
	}
}

func newEnv(vars ...cel.EnvOption) (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(reflect.TypeOf(&RackbeatView{}), reflect.TypeOf(&ChannelProductView{}),
			reflect.TypeOf(&ChannelVariantView{}), ext.ParseStructTags(true)),
		ext.Strings(),
		cel.ParserExpressionSizeLimit(maxRuleLength),
		decimalFunc("decimal_add", func(a, b decimal.Decimal) decimal.Decimal { return a.Add(b) }),
		decimalFunc("decimal_sub", func(a, b decimal.Decimal) decimal.Decimal { return a.Sub(b) }),
		decimalFunc("decimal_mul", func(a, b decimal.Decimal) decimal.Decimal { return a.Mul(b) }),
		cel.Function("decimal_round",
			cel.Overload("decimal_round_string_int", []*cel.Type{cel.StringType, cel.IntType}, cel.StringType,
				cel.BinaryBinding(func(a, p ref.Val) ref.Val {
					d, err := decimal.NewFromString(string(a.(types.String)))
					if err != nil {
						return types.NewErr("decimal_round: %q is not a decimal number", a.Value())
					}
					places := int64(p.(types.Int))
					if places < 0 || places > 12 {
						return types.NewErr("decimal_round: places must be 0 to 12, got %d", places)
					}
					return types.String(d.Round(int32(places)).StringFixed(int32(places)))
				}))),
	}
	return cel.NewEnv(append(opts, vars...)...)
}

// decimalFunc declares a function of two decimal strings giving a decimal
// string, so rules can do exact arithmetic on prices (decimal_mul(product.sales_price, "1.1")).
func decimalFunc(name string, op func(a, b decimal.Decimal) decimal.Decimal) cel.EnvOption {
	return cel.Function(name,
		cel.Overload(name+"_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				x, err := decimal.NewFromString(string(a.(types.String)))
				if err != nil {
					return types.NewErr("%s: %q is not a decimal number", name, a.Value())
				}
				y, err := decimal.NewFromString(string(b.(types.String)))
				if err != nil {
					return types.NewErr("%s: %q is not a decimal number", name, b.Value())
				}
				r := op(x, y)
				if r.Exponent() < -12 {
					r = r.Round(12)
				}
				return types.String(r.String())
			})))
}

// RuleError is a rule that does not compile, or fails when it runs. Its
// message starts with line:column in the expression; Path, when known, is
// the configuration key of the rule (config.WithRuleChecker prints it
// itself, so Error leaves it out).
type RuleError struct {
	Path   string
	Line   int // 1-based; 0 when the error is not about a position
	Column int // 1-based
	Msg    string
}

func (e *RuleError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
	}
	return e.Msg
}

// rule is one compiled override.
type rule struct {
	target string
	expr   string
	info   targetInfo
	prg    cel.Program
}

// targetOfPath reads the rule's target out of its key path:
// "links[0].products.rules.title" or `links[0].products.rules["variants.price"]`.
// A bare target is accepted too.
func targetOfPath(path string) string {
	if strings.HasSuffix(path, `"]`) {
		if i := strings.LastIndex(path, `["`); i >= 0 {
			return path[i+2 : len(path)-2]
		}
	}
	if i := strings.LastIndex(path, ".rules."); i >= 0 {
		return path[i+len(".rules."):]
	}
	return path
}

// compileRule type-checks one rule for its target.
func compileRule(path, target, expr string) (*rule, error) {
	if envErr != nil {
		return nil, fmt.Errorf("mapping: rule environment: %w", envErr)
	}
	info, ok := targets[target]
	if !ok {
		return nil, &RuleError{Path: path, Msg: fmt.Sprintf("%q is not a field a rule can set; use one of %s", target, targetNames())}
	}
	env := toChannelEnv
	if info.toRackbeat {
		env = toRackbeatEnv
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		if len(errs) > 0 {
			loc := errs[0].Location
			return nil, &RuleError{Path: path, Line: loc.Line(), Column: loc.Column() + 1, Msg: errs[0].Message}
		}
		return nil, &RuleError{Path: path, Msg: iss.Err().Error()}
	}
	if !ast.OutputType().IsExactType(cel.StringType) {
		what := "a string"
		if info.decimal {
			what = `a string holding a decimal number (money is never a float: write e.g. decimal_mul(product.sales_price, "1.1"))`
		}
		return nil, &RuleError{Path: path, Line: 1, Column: 1, Msg: fmt.Sprintf("the rule for %s must give %s, not %s", target, what, ast.OutputType())}
	}
	prg, err := env.Program(ast, cel.CostLimit(maxRuleCost), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, &RuleError{Path: path, Msg: "cannot build the rule: " + err.Error()}
	}
	return &rule{target: target, expr: expr, info: info, prg: prg}, nil
}

// CheckRule type-checks the rule at a configuration key path; it is the
// checker for config.WithRuleChecker. The target is the last key of path.
// The error is a *RuleError saying line:column and what is wrong.
func CheckRule(path, expr string) error {
	_, err := compileRule(path, targetOfPath(path), expr)
	return err
}

// Rules is a link's compiled rule set, safe for concurrent use.
type Rules struct {
	byTarget map[string]*rule // canonical target → rule
}

// CompileRules compiles a link's products.rules (target → expression).
// prefix is the key path of the rules map, for messages, e.g.
// "links[0].products.rules". Every bad rule is reported.
func CompileRules(prefix string, rules map[string]string) (*Rules, error) {
	r := &Rules{byTarget: map[string]*rule{}}
	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		path := prefix + "." + k
		if strings.Contains(k, ".") {
			path = prefix + `["` + k + `"]`
		}
		c, err := compileRule(path, k, rules[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		canon := canonicalTarget(k)
		if _, dup := r.byTarget[canon]; dup {
			errs = append(errs, fmt.Errorf("%s: %s is set twice (as %q and %q): keep one", path, canon, canon, k))
			continue
		}
		r.byTarget[canon] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// Has reports whether a rule overrides target.
func (r *Rules) Has(target string) bool {
	if r == nil {
		return false
	}
	_, ok := r.byTarget[target]
	return ok
}

// eval runs the rule for target, if there is one; ok is false when there
// is none.
func (r *Rules) eval(target string, vars map[string]any) (string, bool, error) {
	if r == nil {
		return "", false, nil
	}
	c, ok := r.byTarget[target]
	if !ok {
		return "", false, nil
	}
	out, _, err := c.prg.Eval(vars)
	if err != nil {
		return "", true, &RuleError{Msg: fmt.Sprintf("rule for %s failed: %v", c.target, err)}
	}
	s, isStr := out.Value().(string)
	if !isStr {
		return "", true, &RuleError{Msg: fmt.Sprintf("rule for %s gave %T, not a string", c.target, out.Value())}
	}
	if c.info.decimal {
		if _, err := decimal.NewFromString(strings.TrimSpace(s)); err != nil {
			return "", true, &RuleError{Msg: fmt.Sprintf("rule for %s gave %q, which is not a decimal number", c.target, s)}
		}
		s = strings.TrimSpace(s)
	}
	return s, true, nil
}
