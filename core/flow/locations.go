package flow

import (
	"strconv"

	"github.com/shopbridge/shopbridge/config"
)

// LocationMap turns channel locations into Rackbeat locations and back,
// from a link's stock.locations setting: the Shopify seed's "main
// warehouse" (which Rackbeat locations feed the shop; "all" sums them) and
// the Shopbox seed's one Rackbeat location per till location, with the
// default locations on both sides when a mapping is missing.
type LocationMap struct {
	settings config.StockSettings
	// unmapped is the channel location that shows the stock of every
	// Rackbeat location no mapping names; empty leaves them out.
	unmapped string
}

// NewLocationMap reads a link's stock settings.
func NewLocationMap(s config.StockSettings) *LocationMap { return &LocationMap{settings: s} }

// SendUnmappedTo makes the channel location show the stock of every
// Rackbeat location that no mapping names (Shopbox seed: "Hovedlager i
// Shopbox", the default location "dersom vi ikke kan finne lokasjonen i
// Shopbox"). It matters only with a list of mappings: "all" already feeds
// every Rackbeat location to one channel location.
func (m *LocationMap) SendUnmappedTo(channel string) { m.unmapped = channel }

// RackbeatFor is the Rackbeat location a sale at the channel location draws
// stock from: the first Rackbeat location mapped to it, else the default
// Rackbeat location ("Hovedlager i Rackbeat"), else fallback.
func (m *LocationMap) RackbeatFor(channelLocation string, fallback int64) int64 {
	return m.RackbeatForAny(fallback, channelLocation)
}

// RackbeatForAny is RackbeatFor for a sale that names several channel
// locations, most specific first (a Shopbox till, then its branch): the
// first one mapped decides.
func (m *LocationMap) RackbeatForAny(fallback int64, channelLocations ...string) int64 {
	for _, loc := range channelLocations {
		if loc == "" {
			continue
		}
		for _, mp := range m.settings.Locations.Mappings {
			if mp.Channel == loc && !mp.Rackbeat.All && len(mp.Rackbeat.IDs) > 0 {
				return int64(mp.Rackbeat.IDs[0])
			}
		}
	}
	if m.settings.DefaultRackbeatLocation > 0 {
		return int64(m.settings.DefaultRackbeatLocation)
	}
	return fallback
}

// Feed is one channel location and the Rackbeat locations whose stock it
// shows; All means every Rackbeat location, Unmapped adds every Rackbeat
// location no feed names.
type Feed struct {
	Channel  string // "" means the channel's default location
	All      bool
	Unmapped bool
	Rackbeat []int64
}

// Feeds reports whether the feed shows the stock of Rackbeat location loc;
// named are the locations some feed names.
func (f Feed) Feeds(loc int64, named map[int64]bool) bool {
	return f.All || containsInt(f.Rackbeat, loc) || (f.Unmapped && !named[loc])
}

// Named are the Rackbeat locations the feeds name.
func Named(feeds []Feed) map[int64]bool {
	out := map[int64]bool{}
	for _, f := range feeds {
		for _, id := range f.Rackbeat {
			out[id] = true
		}
	}
	return out
}

// Feeds lists which Rackbeat locations feed which channel location.
func (m *LocationMap) Feeds() []Feed {
	if m.settings.Locations.All || len(m.settings.Locations.Mappings) == 0 {
		return []Feed{{Channel: m.settings.DefaultChannelLocation, All: true}}
	}
	out := make([]Feed, 0, len(m.settings.Locations.Mappings)+1)
	anyAll := false
	for _, mp := range m.settings.Locations.Mappings {
		f := Feed{Channel: mp.Channel, All: mp.Rackbeat.All}
		if f.Channel == "" {
			f.Channel = m.settings.DefaultChannelLocation
		}
		for _, id := range mp.Rackbeat.IDs {
			f.Rackbeat = append(f.Rackbeat, int64(id))
		}
		anyAll = anyAll || f.All
		out = append(out, f)
	}
	if m.unmapped == "" || anyAll {
		return out
	}
	for i := range out {
		if out[i].Channel == m.unmapped {
			out[i].Unmapped = true
			return out
		}
	}
	return append(out, Feed{Channel: m.unmapped, Unmapped: true})
}

// String is for logs.
func (f Feed) String() string {
	if f.All {
		return f.Channel + "←all"
	}
	s := f.Channel + "←"
	for i, id := range f.Rackbeat {
		if i > 0 {
			s += "+"
		}
		s += strconv.FormatInt(id, 10)
	}
	if f.Unmapped {
		if len(f.Rackbeat) > 0 {
			s += "+"
		}
		s += "unmapped"
	}
	return s
}

// ChannelLocations lists the channel locations the mapping feeds, for a
// stock read that must see every one of them (a channel reads only its
// default location when asked for none).
func (m *LocationMap) ChannelLocations() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range m.Feeds() {
		if f.Channel != "" && !seen[f.Channel] {
			seen[f.Channel] = true
			out = append(out, f.Channel)
		}
	}
	return out
}
