package mapping

import (
	"html"
	"regexp"
	"strings"
)

var (
	htmlTag       = regexp.MustCompile(`<[a-zA-Z/][^>]*>`)
	paragraphEnd  = regexp.MustCompile(`(?i)</p>\s*`)
	lineBreak     = regexp.MustCompile(`(?i)<br\s*/?>`)
	blankLines    = regexp.MustCompile(`\n{3,}`)
	trailingSpace = regexp.MustCompile(`[ \t]+\n`)
)

// PlainText is a description as plain text: Rackbeat holds plain text,
// while a channel may hold HTML (Shopify's descriptionHtml, where the
// connector sends Rackbeat's text as "<p>…</p>"). Paragraphs become blank
// lines, <br> a line break, other tags go, entities are decoded. Text
// without tags is only trimmed, so a plain description maps to itself and
// a description that went to the channel and came back compares equal.
func PlainText(s string) string {
	if !htmlTag.MatchString(s) {
		return strings.TrimSpace(s)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = paragraphEnd.ReplaceAllString(s, "\n\n")
	s = lineBreak.ReplaceAllString(s, "\n")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = trailingSpace.ReplaceAllString(s, "\n")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}
