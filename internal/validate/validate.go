// Package validate collects argument problems so that a component or the stack loader can report
// all of them at once, before anything is registered.
//
// A Problem names the field it is about in the component's own vocabulary ("azCount",
// "nodePools.ml.maxNodes"); the stacks package translates fields into config keys, so one rule
// serves both the component's error and the stack's.
package validate

import (
	"fmt"
	"net/netip"
	"strings"
)

// Problem is one invalid argument.
type Problem struct {
	// Field is the argument's name, dotted for nested values ("nodePools.ml.minNodes").
	Field string
	// Message says what was expected and what was received ("must be between 2 and 6, got 9").
	Message string
}

// Problems is an ordered list of argument problems.
type Problems []Problem

// Addf records a problem with field.
func (p *Problems) Addf(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Prefixed returns the problems with prefix + "." before each field.
func (p Problems) Prefixed(prefix string) Problems {
	out := make(Problems, len(p))
	for i, pr := range p {
		out[i] = Problem{Field: prefix + "." + pr.Field, Message: pr.Message}
	}
	return out
}

// Err returns nil when there are no problems, or one error naming the component kind and name
// and listing every problem: `network "main": azCount must be between 2 and 6, got 9`.
func (p Problems) Err(kind, name string) error {
	if len(p) == 0 {
		return nil
	}
	lines := make([]string, len(p))
	for i, pr := range p {
		lines[i] = fmt.Sprintf("%s %q: %s %s", kind, name, pr.Field, pr.Message)
	}
	return fmt.Errorf("%s", strings.Join(lines, "\n"))
}

// IntRange records a problem unless min <= v <= max.
func (p *Problems) IntRange(field string, v, lo, hi int) {
	if v < lo || v > hi {
		p.Addf(field, "must be between %d and %d, got %d", lo, hi, v)
	}
}

// NotEmpty records a problem when v is empty or blank.
func (p *Problems) NotEmpty(field, v string) {
	if strings.TrimSpace(v) == "" {
		p.Addf(field, "must not be empty")
	}
}

// OneOf records a problem unless v is one of allowed.
func (p *Problems) OneOf(field string, v int, allowed []int) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	p.Addf(field, "must be one of %v, got %d", allowed, v)
}

// CIDR parses v as an IPv4 prefix in canonical form, recording a problem when it is not one.
func (p *Problems) CIDR(field, v string) (netip.Prefix, bool) {
	prefix, err := netip.ParsePrefix(v)
	switch {
	case err != nil:
		p.Addf(field, "must be an IPv4 CIDR block such as 10.0.0.0/16, got %q", v)
	case !prefix.Addr().Is4():
		p.Addf(field, "must be an IPv4 CIDR block, got %q", v)
	case prefix.Masked() != prefix:
		p.Addf(field, "must be a network address (%s), got %q", prefix.Masked(), v)
	default:
		return prefix, true
	}
	return netip.Prefix{}, false
}
