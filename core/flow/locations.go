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
}

// NewLocationMap reads a link's stock settings.
func NewLocationMap(s config.StockSettings) *LocationMap { return &LocationMap{settings: s} }

// RackbeatFor is the Rackbeat location a sale at the channel location draws
// stock from: the first Rackbeat location mapped to it, else the default
// Rackbeat location ("Hovedlager i Rackbeat"), else fallback.
func (m *LocationMap) RackbeatFor(channelLocation string, fallback int64) int64 {
	for _, mp := range m.settings.Locations.Mappings {
		if mp.Channel == channelLocation && !mp.Rackbeat.All && len(mp.Rackbeat.IDs) > 0 {
			return int64(mp.Rackbeat.IDs[0])
		}
	}
	if m.settings.DefaultRackbeatLocation > 0 {
		return int64(m.settings.DefaultRackbeatLocation)
	}
	return fallback
}

// Feed is one channel location and the Rackbeat locations whose stock it
// shows; All means every Rackbeat location.
type Feed struct {
	Channel  string // "" means the channel's default location
	All      bool
	Rackbeat []int64
}

// Feeds lists which Rackbeat locations feed which channel location.
func (m *LocationMap) Feeds() []Feed {
	if m.settings.Locations.All || len(m.settings.Locations.Mappings) == 0 {
		return []Feed{{Channel: m.settings.DefaultChannelLocation, All: true}}
	}
	out := make([]Feed, 0, len(m.settings.Locations.Mappings))
	for _, mp := range m.settings.Locations.Mappings {
		f := Feed{Channel: mp.Channel, All: mp.Rackbeat.All}
		if f.Channel == "" {
			f.Channel = m.settings.DefaultChannelLocation
		}
		for _, id := range mp.Rackbeat.IDs {
			f.Rackbeat = append(f.Rackbeat, int64(id))
		}
		out = append(out, f)
	}
	return out
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
