package catalog

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Config says how big a catalogue to generate. Zero values take the defaults
// noted on each field so that Generate(Config{Seed: 1}) gives something usable.
type Config struct {
	Products    int // default 100
	MinVariants int // default 1
	MaxVariants int // default MinVariants; capped at 26
	Locations   int // default 2
	Seed        int64
}

// Catalog is the generated data. Treat it as read-only: the sandboxes copy what
// they need into their own state, and several sandboxes share one Catalog.
type Catalog struct {
	Products  []Product
	Locations []Location
	Groups    []Group
}

// Location is a stock location; Number runs 1..N and location 1 is the default.
type Location struct {
	Number int
	Name   string
}

// Group is a Rackbeat product group. Group 1 is the stocked group every
// generated product belongs to; group 2 carries no inventory (services, shipping).
type Group struct {
	Number       int
	Name         string
	HasInventory bool
	VATPercent   int
}

// Product is one base product. A product with a single variant has that
// variant's SKU equal to Number; otherwise the variant SKUs are Number plus a suffix.
type Product struct {
	Number      string // base number, e.g. "P-000042"
	Name        string
	Description string // a few hundred bytes
	Group       int
	Category    string // Shopbox tag / Shopify product type
	SalesPrice  string // excl. VAT, 2 decimals, e.g. "199.00"
	CostPrice   string // 2 decimals
	WeightGrams int
	Variants    []Variant
}

// Variant is one sellable SKU with its stock per location number.
type Variant struct {
	SKU     string
	Title   string
	Barcode string // EAN-13 with a valid check digit
	Stock   map[int]int
}

// Categories are the category names products are spread over.
var Categories = []string{"Kopper", "Klær", "Tilbehør", "Kjøkken", "Leker", "Hjem"}

var locationNames = []string{"Hovedlager", "Butik Oslo", "Butik Bergen", "Butik Trondheim", "Butik Stavanger", "Nettlager"}

var adjectives = []string{"Klassisk", "Nordisk", "Robust", "Myk", "Elegant", "Praktisk", "Lett", "Rustikk", "Moderne", "Liten", "Stor", "Vintage"}

var nouns = map[string][]string{
	"Kopper":   {"Kopp", "Krus", "Termokopp", "Espressokopp"},
	"Klær":     {"Genser", "T-skjorte", "Lue", "Skjerf", "Jakke"},
	"Tilbehør": {"Veske", "Lommebok", "Nøkkelring", "Belte"},
	"Kjøkken":  {"Skjærefjøl", "Kniv", "Panne", "Bolle", "Sleiv"},
	"Leker":    {"Bamse", "Puslespill", "Treleke", "Ball"},
	"Hjem":     {"Pute", "Lysestake", "Vase", "Pledd", "Kurv"},
}

// variantOptions supplies titles and SKU suffixes; index i gives variant i.
var variantOptions = []struct{ title, suffix string }{
	{"Rød", "RED"}, {"Blå", "BLUE"}, {"Grønn", "GREEN"}, {"Sort", "BLACK"}, {"Hvit", "WHITE"},
	{"Grå", "GREY"}, {"Gul", "YELLOW"}, {"Rosa", "PINK"}, {"Brun", "BROWN"}, {"Lilla", "PURPLE"},
	{"Oransje", "ORANGE"}, {"Beige", "BEIGE"}, {"Marine", "NAVY"}, {"Turkis", "TEAL"}, {"Sand", "SAND"},
	{"Oliven", "OLIVE"}, {"Vinrød", "WINE"}, {"Sølv", "SILVER"}, {"Gull", "GOLD"}, {"Kobber", "COPPER"},
	{"Lime", "LIME"}, {"Mint", "MINT"}, {"Korall", "CORAL"}, {"Lavendel", "LAVENDER"}, {"Skifer", "SLATE"},
	{"Natur", "NATURAL"},
}

var sentences = []string{
	"Laget av slitesterke materialer som tåler daglig bruk.",
	"Designet i Norden med fokus på enkle linjer og god funksjon.",
	"Passer like godt på hytta som hjemme i byen.",
	"Kan vaskes i maskin på 40 grader uten å miste fasongen.",
	"Produsert i små serier hos en leverandør vi har samarbeidet med i mange år.",
	"Et populært valg som gave, og et trygt kjøp til deg selv.",
	"Leveres i en resirkulerbar eske uten plast.",
	"Fargene kan avvike noe fra bildene på grunn av skjerminnstillinger.",
	"Kombiner gjerne med andre varer fra samme serie.",
	"Tåler både kulde og fukt, og holder seg fin i mange sesonger.",
}

// Generate builds a catalogue from cfg. The same Config always gives the same
// catalogue, byte for byte, so tests and demos can be replayed from a seed.
func Generate(cfg Config) *Catalog {
	if cfg.Products <= 0 {
		cfg.Products = 100
	}
	if cfg.MinVariants <= 0 {
		cfg.MinVariants = 1
	}
	if cfg.MaxVariants < cfg.MinVariants {
		cfg.MaxVariants = cfg.MinVariants
	}
	if cfg.MaxVariants > len(variantOptions) {
		cfg.MaxVariants = len(variantOptions)
	}
	if cfg.MinVariants > cfg.MaxVariants {
		cfg.MinVariants = cfg.MaxVariants
	}
	if cfg.Locations <= 0 {
		cfg.Locations = 2
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_cafe_f00d))

	c := &Catalog{
		Groups: []Group{
			{Number: 1, Name: "Varer m/lagerstrekk", HasInventory: true, VATPercent: 25},
			{Number: 2, Name: "Varer u/lagerstrekk", HasInventory: false, VATPercent: 25},
		},
	}
	for i := 1; i <= cfg.Locations; i++ {
		name := fmt.Sprintf("Lager %d", i)
		if i <= len(locationNames) {
			name = locationNames[i-1]
		}
		c.Locations = append(c.Locations, Location{Number: i, Name: name})
	}

	c.Products = make([]Product, 0, cfg.Products)
	for i := 1; i <= cfg.Products; i++ {
		cat := Categories[rng.IntN(len(Categories))]
		ns := nouns[cat]
		name := adjectives[rng.IntN(len(adjectives))] + " " + strings.ToLower(ns[rng.IntN(len(ns))])
		number := fmt.Sprintf("P-%06d", i)

		var desc strings.Builder
		desc.WriteString(name + ". ")
		for desc.Len() < 250 {
			desc.WriteString(sentences[rng.IntN(len(sentences))])
			desc.WriteByte(' ')
		}

		// Prices are drawn in øre so they are exact; whole or half crowns look real.
		sales := int64(49+rng.IntN(1951)) * 100
		if rng.IntN(4) == 0 {
			sales += 50
		}
		cost := sales * int64(30+rng.IntN(30)) / 100

		p := Product{
			Number:      number,
			Name:        name,
			Description: strings.TrimSpace(desc.String()),
			Group:       1,
			Category:    cat,
			SalesPrice:  formatMinor(sales),
			CostPrice:   formatMinor(cost),
			WeightGrams: 50 + rng.IntN(2000),
		}
		nv := cfg.MinVariants + rng.IntN(cfg.MaxVariants-cfg.MinVariants+1)
		for v := 0; v < nv; v++ {
			sku, title := number, "Default Title"
			if nv > 1 {
				sku = number + "-" + variantOptions[v].suffix
				title = variantOptions[v].title
			}
			stock := make(map[int]int, cfg.Locations)
			for _, l := range c.Locations {
				// About one in six stock rows is empty, as in a real shop.
				if rng.IntN(6) == 0 {
					stock[l.Number] = 0
				} else {
					stock[l.Number] = 1 + rng.IntN(50)
				}
			}
			p.Variants = append(p.Variants, Variant{
				SKU:     sku,
				Title:   title,
				Barcode: ean13(fmt.Sprintf("570%07d%02d", i%10_000_000, v)),
				Stock:   stock,
			})
		}
		c.Products = append(c.Products, p)
	}
	return c
}

// Variant finds a variant by SKU with its product; ok is false when there is none.
func (c *Catalog) Variant(sku string) (p *Product, v *Variant, ok bool) {
	for i := range c.Products {
		for j := range c.Products[i].Variants {
			if c.Products[i].Variants[j].SKU == sku {
				return &c.Products[i], &c.Products[i].Variants[j], true
			}
		}
	}
	return nil, nil, false
}

// SKUs lists every variant SKU in catalogue order.
func (c *Catalog) SKUs() []string {
	var out []string
	for _, p := range c.Products {
		for _, v := range p.Variants {
			out = append(out, v.SKU)
		}
	}
	return out
}

// VariantCount is the number of SKUs in the catalogue.
func (c *Catalog) VariantCount() int {
	n := 0
	for _, p := range c.Products {
		n += len(p.Variants)
	}
	return n
}

func formatMinor(v int64) string {
	return fmt.Sprintf("%d.%02d", v/100, v%100)
}

// ean13 appends the GS1 check digit to a 12-digit body.
func ean13(body string) string {
	sum := 0
	for i, r := range body {
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}
