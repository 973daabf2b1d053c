package shopbox

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/plugins/shopbox/api"
	"github.com/shopbridge/shopbridge/sdk"
)

// Link is one open Shopbox account. Its exported methods are the sdk
// capability interfaces.
type Link struct {
	id  string
	s   Settings
	c   *api.Client
	log hclog.Logger

	mu       sync.Mutex
	tags     map[string]int // lower-cased name -> uid
	tagNames map[int]string
	vtypes   []api.VarianceType // nil until loaded
	branches []api.Branch       // nil until loaded

	vtMu    sync.Mutex // one variance-type change at a time
	tagMu   sync.Mutex // one tag creation at a time
	stockMu sync.Mutex // one stock batch at a time, see WriteStock
	applied *appliedKeys
}

var (
	_ sdk.ProductReader  = (*Link)(nil)
	_ sdk.ProductWriter  = (*Link)(nil)
	_ sdk.OrderReader    = (*Link)(nil)
	_ sdk.StockReader    = (*Link)(nil)
	_ sdk.StockWriter    = (*Link)(nil)
	_ sdk.WebhookHandler = (*Link)(nil)
	_ sdk.LocationLister = (*Link)(nil)
	_ sdk.CategoryLister = (*Link)(nil)
)

func newLink(id string, s Settings, c *api.Client, log hclog.Logger) *Link {
	return &Link{id: id, s: s, c: c, log: log, applied: newAppliedKeys(appliedCapacity)}
}

// Client is the link's API client (tests count its logins).
func (l *Link) Client() *api.Client { return l.c }

// Account names the Shopbox account: its e-mail, and the shop when known.
func (l *Link) Account() string {
	a := l.c.Account()
	if id := l.c.ClientID(); id != 0 {
		a += " (shop " + strconv.Itoa(id) + ")"
	}
	return a
}

// Close releases nothing: the link holds no connection of its own.
func (l *Link) Close(context.Context) error { return nil }

// Check logs in, checks the shop can be reached and lists its branches.
func (l *Link) Check(ctx context.Context) (sdk.CheckReport, error) {
	rep := sdk.CheckReport{Account: l.c.Account()}
	login := sdk.CheckItem{Name: "login", Hint: "check email and password (or api_token) in the link settings"}
	if err := l.c.Login(ctx); err != nil {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		login.Detail = err.Error()
		rep.Items = append(rep.Items, login)
		return rep, nil
	}
	login.OK, login.Detail = true, "logged in as "+l.c.Account()
	if l.s.APIToken != "" {
		login.Detail = "api token set"
	}
	rep.Items = append(rep.Items, login)

	shop := sdk.CheckItem{Name: "shop access", Hint: "set client_id to a shop the account may act for"}
	branches, err := l.loadBranches(ctx, true)
	if err != nil {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		shop.Detail = err.Error()
		rep.Items = append(rep.Items, shop)
		return rep, nil
	}
	shop.OK, shop.Detail = true, fmt.Sprintf("acting for shop %d", l.c.ClientID())
	rep.Account = l.Account()
	rep.Items = append(rep.Items, shop)

	names := make([]string, 0, len(branches))
	for _, b := range branches {
		names = append(names, fmt.Sprintf("%s (%d, %d cash registers)", b.Name, b.UID, len(b.CashRegisters)))
	}
	rep.Items = append(rep.Items, sdk.CheckItem{
		Name: "branches", OK: len(branches) > 0,
		Detail: fmt.Sprintf("%d branches: %s", len(branches), strings.Join(names, ", ")),
		Hint:   "create a branch with a cash register in Shopbox",
	})
	return rep, nil
}

// loadBranches returns the shop's branches, sorted by uid, from the cache
// unless fresh is asked for.
func (l *Link) loadBranches(ctx context.Context, fresh bool) ([]api.Branch, error) {
	l.mu.Lock()
	cached := l.branches
	l.mu.Unlock()
	if cached != nil && !fresh {
		return cached, nil
	}
	bs, err := l.c.Branches(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].UID < bs[j].UID })
	if bs == nil {
		bs = []api.Branch{}
	}
	l.mu.Lock()
	l.branches = bs
	l.mu.Unlock()
	return bs, nil
}

// ListLocations lists branches (kind "branch") and their cash registers
// (kind "cash_register", ParentID the branch). Stock lives per branch;
// sales name their cash register.
func (l *Link) ListLocations(ctx context.Context) ([]sdk.Location, error) {
	bs, err := l.loadBranches(ctx, true)
	if err != nil {
		return nil, err
	}
	var out []sdk.Location
	for i, b := range bs {
		bid := strconv.Itoa(b.UID)
		out = append(out, sdk.Location{ID: bid, Name: b.Name, Kind: "branch", IsDefault: i == 0})
		for _, r := range b.CashRegisters {
			out = append(out, sdk.Location{ID: strconv.Itoa(r.UID), Name: b.Name + " / " + r.Name, Kind: "cash_register", ParentID: bid})
		}
	}
	return out, nil
}

// branchOf resolves a location id, a branch or one of its cash registers,
// to the branch uid.
func (l *Link) branchOf(ctx context.Context, id string) (int, error) {
	uid, err := strconv.Atoi(strings.TrimSpace(id))
	if err != nil || uid <= 0 {
		return 0, sdk.Invalid("location_id", "%q is not a Shopbox branch uid", id)
	}
	for fresh := false; ; fresh = true {
		bs, err := l.loadBranches(ctx, fresh)
		if err != nil {
			return 0, err
		}
		for _, b := range bs {
			if b.UID == uid {
				return uid, nil
			}
			for _, r := range b.CashRegisters {
				if r.UID == uid {
					return b.UID, nil
				}
			}
		}
		if fresh {
			return 0, sdk.Invalid("location_id", "%d is neither a branch nor a cash register of Shopbox shop %d; ListLocations lists them", uid, l.c.ClientID())
		}
	}
}

// ListCategories lists the shop's tags.
func (l *Link) ListCategories(ctx context.Context) ([]sdk.Category, error) {
	tags, err := l.loadTags(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Category, 0, len(tags))
	for _, t := range tags {
		out = append(out, sdk.Category{ID: strconv.Itoa(t.UID), Name: t.Name})
	}
	return out, nil
}

func (l *Link) loadTags(ctx context.Context) ([]api.Tag, error) {
	tags, err := l.c.Tags(ctx)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.tags, l.tagNames = map[string]int{}, map[int]string{}
	for _, t := range tags {
		if _, dup := l.tags[strings.ToLower(t.Name)]; !dup {
			l.tags[strings.ToLower(t.Name)] = t.UID
		}
		l.tagNames[t.UID] = t.Name
	}
	l.mu.Unlock()
	return tags, nil
}

// tagName names a tag uid from the cache, loading it once when unknown.
func (l *Link) tagName(ctx context.Context, uid int) string {
	l.mu.Lock()
	name, ok := l.tagNames[uid]
	loaded := l.tagNames != nil
	l.mu.Unlock()
	if ok || loaded {
		return name
	}
	if _, err := l.loadTags(ctx); err != nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tagNames[uid]
}

// tagFor finds the tag of a category name, case-insensitively, creating it
// when the shop has none by that name.
func (l *Link) tagFor(ctx context.Context, name string) (int, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	l.mu.Lock()
	uid, ok := l.tags[key]
	l.mu.Unlock()
	if ok {
		return uid, nil
	}
	l.tagMu.Lock()
	defer l.tagMu.Unlock()
	// Another write may have created it meanwhile, or someone did in
	// Shopbox: look again in a fresh list before creating.
	if _, err := l.loadTags(ctx); err != nil {
		return 0, err
	}
	l.mu.Lock()
	uid, ok = l.tags[key]
	l.mu.Unlock()
	if ok {
		return uid, nil
	}
	t, err := l.c.CreateTag(ctx, strings.TrimSpace(name))
	if err != nil {
		return 0, fmt.Errorf("creating Shopbox tag %q for the category: %w", name, err)
	}
	l.mu.Lock()
	l.tags[key] = t.UID
	l.tagNames[t.UID] = t.Name
	l.mu.Unlock()
	return t.UID, nil
}
