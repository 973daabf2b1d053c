package config

import (
	"encoding/json"
	"fmt"
)

// StockLocations says which Rackbeat locations feed which channel location.
// "all" (the default, the Shopify seed's "Alla") sums every Rackbeat location
// into the channel's one location; a list maps locations explicitly (the
// Shopbox seed's one Rackbeat location per cash-register location).
type StockLocations struct {
	All      bool
	Mappings []LocationMapping
}

// LocationMapping feeds one channel location from some Rackbeat locations.
type LocationMapping struct {
	Rackbeat RackbeatLocations `json:"rackbeat"`
	Channel  string            `json:"channel"`
}

// RackbeatLocations is "all" or a list of Rackbeat location numbers.
type RackbeatLocations struct {
	All bool
	IDs []int
}

// MarshalJSON writes the YAML form: "all" or the list of mappings.
func (s StockLocations) MarshalJSON() ([]byte, error) {
	if s.All {
		return []byte(`"all"`), nil
	}
	return json.Marshal(s.Mappings)
}

// MarshalJSON writes "all" or the list of numbers.
func (r RackbeatLocations) MarshalJSON() ([]byte, error) {
	if r.All {
		return []byte(`"all"`), nil
	}
	return json.Marshal(r.IDs)
}

// decode reads "all" or a list of {rackbeat, channel} mappings.
func (s *StockLocations) decode(d *decoder, path string, raw any) {
	if str, ok := raw.(string); ok {
		if str == "all" {
			*s = StockLocations{All: true}
			return
		}
		d.errf(path, `must be "all" or a list of {rackbeat: all | [location numbers], channel: "<channel location id>"} (got %s)`, describe(raw))
		return
	}
	list, ok := raw.([]any)
	if !ok {
		d.errf(path, `must be "all" or a list of {rackbeat: all | [location numbers], channel: "<channel location id>"} (got %s)`, describe(raw))
		return
	}
	if len(list) == 0 {
		d.errf(path, `must not be an empty list: write "all" or list at least one {rackbeat, channel} mapping`)
		return
	}
	seen := map[string]int{}
	*s = StockLocations{}
	for i, item := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		m, ok := d.object(p, item, []string{"rackbeat", "channel"})
		if !ok {
			continue
		}
		var lm LocationMapping
		if rv, present := m["rackbeat"]; !present || rv == nil {
			d.errf(p+".rackbeat", `is required: "all" or a list of Rackbeat location numbers`)
		} else {
			lm.Rackbeat = d.rackbeatLocations(p+".rackbeat", rv)
		}
		if cv, present := m["channel"]; !present || cv == nil {
			d.errf(p+".channel", "is required: the channel location id these Rackbeat locations feed")
		} else if str, ok := d.str(p+".channel", cv); ok {
			if str == "" {
				d.errf(p+".channel", "must not be empty")
			} else if j, dup := seen[str]; dup {
				d.errf(p+".channel", "channel location %q is already mapped by %s[%d]: list each channel location once", str, path, j)
			} else {
				seen[str] = i
			}
			lm.Channel = str
		}
		s.Mappings = append(s.Mappings, lm)
	}
}

func (d *decoder) rackbeatLocations(path string, raw any) RackbeatLocations {
	switch v := raw.(type) {
	case string:
		if v == "all" {
			return RackbeatLocations{All: true}
		}
	case int:
		if v < 1 {
			d.errf(path, "location number must be at least 1 (got %d)", v)
		}
		return RackbeatLocations{IDs: []int{v}}
	case []any:
		if len(v) == 0 {
			d.errf(path, `must not be empty: write "all" or list Rackbeat location numbers`)
			return RackbeatLocations{}
		}
		var r RackbeatLocations
		seen := map[int]bool{}
		for i, e := range v {
			p := fmt.Sprintf("%s[%d]", path, i)
			n, ok := e.(int)
			if !ok {
				d.errf(p, "must be a Rackbeat location number (got %s)", describe(e))
				continue
			}
			if n < 1 {
				d.errf(p, "location number must be at least 1 (got %d)", n)
				continue
			}
			if seen[n] {
				d.errf(p, "location %d is listed twice", n)
				continue
			}
			seen[n] = true
			r.IDs = append(r.IDs, n)
		}
		return r
	}
	d.errf(path, `must be "all" or a list of Rackbeat location numbers (got %s)`, describe(raw))
	return RackbeatLocations{}
}
