package awslimits

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/novacron/platform/internal/validate"
)

// Tag limits (AWS Tagging Best Practices and the Resource Groups Tagging API, Tag: key 1 to 128
// Unicode characters, value 0 to 256, pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$; "aws:" in any
// case is reserved for AWS as a prefix of keys and values; at most 50 tags per resource).
const (
	MaxTagKeyLength    = 128
	MaxTagValueLength  = 256
	MaxTagsPerResource = 50
)

// tagPattern is the character set of tag keys and values: Unicode letters, separators (spaces),
// digits and _ . : / = + - @.
var tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// CheckTag records the problems of one tag under field: key length and characters, value length
// and characters, and the reserved prefix. Values are quoted shortened in messages.
func CheckTag(p *validate.Problems, field, key, value string) {
	switch n := utf8.RuneCountInString(key); {
	case n == 0 || n > MaxTagKeyLength:
		p.Addf(field, "must be an AWS tag key of 1 to %d characters, got %d characters", MaxTagKeyLength, n)
	case !tagPattern.MatchString(key):
		p.Addf(field, "must be an AWS tag key of letters, digits, spaces and _ . : / = + - @, got %q", shorten(key))
	case hasReservedPrefix(key):
		p.Addf(field, "must not start with \"aws:\", which AWS reserves, got %q", shorten(key))
	}
	switch n := utf8.RuneCountInString(value); {
	case n > MaxTagValueLength:
		p.Addf(field, "must be at most %d characters (an AWS tag value), got %d", MaxTagValueLength, n)
	case !tagPattern.MatchString(value):
		p.Addf(field, "must be an AWS tag value of letters, digits, spaces and _ . : / = + - @, got %q", shorten(value))
	case hasReservedPrefix(value):
		p.Addf(field, "must not start with \"aws:\", which AWS reserves in tag values, got %q", shorten(value))
	}
}

func hasReservedPrefix(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "aws:")
}

// shorten keeps messages readable when a value is long: its first 40 characters and "…".
func shorten(s string) string {
	const keep = 40
	if utf8.RuneCountInString(s) <= keep {
		return s
	}
	r := []rune(s)
	return string(r[:keep]) + "…"
}
