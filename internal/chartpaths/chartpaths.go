package chartpaths

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Read parses a .paths file into its exact paths and its free-form keys (without the ".*").
func Read(path string) (exact, freeForm []string, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("chartpaths: %w", err)
	}
	for n, line := range strings.Split(string(raw), "\n") {
		entry := strings.TrimSpace(stripComment(line))
		switch {
		case entry == "":
		case strings.ContainsAny(entry, " \t"):
			// Two paths on a line, or a comment without its space: either would never match.
			return nil, nil, fmt.Errorf("chartpaths: %s:%d: %q is not one path", path, n+1, entry)
		case strings.HasSuffix(entry, ".*") && !strings.Contains(strings.TrimSuffix(entry, ".*"), "*"):
			freeForm = append(freeForm, strings.TrimSuffix(entry, ".*"))
		case strings.Contains(entry, "*"):
			return nil, nil, fmt.Errorf("chartpaths: %s:%d: %q: '*' stands only at the end, as \"key.*\"", path, n+1, entry)
		default:
			exact = append(exact, entry)
		}
	}
	return exact, freeForm, nil
}

// stripComment drops a '#' comment that opens the line or follows a space or tab; a '#' inside a
// word is kept as part of it.
func stripComment(line string) string {
	for i, r := range line {
		if r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// Leaves returns the dotted paths of the leaves of values, in key order at every level.
func Leaves(values map[string]any) []string {
	return leaves(values, "")
}

func leaves(v map[string]any, prefix string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(v)) {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if m, ok := v[k].(map[string]any); ok && len(m) > 0 {
			out = append(out, leaves(m, p)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// Unlisted returns the leaf paths of values that are neither in exact nor at or below a key of
// freeForm, in the order of Leaves.
func Unlisted(values map[string]any, exact, freeForm []string) []string {
	var out []string
	for _, leaf := range Leaves(values) {
		if slices.Contains(exact, leaf) || slices.ContainsFunc(freeForm, func(p string) bool {
			return leaf == p || strings.HasPrefix(leaf, p+".")
		}) {
			continue
		}
		out = append(out, leaf)
	}
	return out
}
