package baseline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCISMetricFiltersCoverSection4(t *testing.T) {
	require.Len(t, CISMetricFilters, 15)
	names := map[string]bool{}
	for i, f := range CISMetricFilters {
		assert.Equal(t, fmt.Sprintf("4.%d", i+1), f.Item, "items in order, none missing")
		assert.False(t, names[f.Name], "duplicate name %s", f.Name)
		names[f.Name] = true
		assert.Contains(t, f.Controls(), Control{Framework: CISAWS, ID: f.Item})
	}
}

// TestCISMetricFilterPatternsAreWellFormed checks the JSON filter syntax the patterns rely on:
// one {...} term, balanced parentheses and quotes, only $. selectors.
func TestCISMetricFilterPatternsAreWellFormed(t *testing.T) {
	for _, f := range CISMetricFilters {
		p := strings.TrimSpace(f.Pattern)
		require.True(t, strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"), f.Item)
		depth := 0
		for _, r := range p {
			switch r {
			case '(':
				depth++
			case ')':
				depth--
			}
			require.GreaterOrEqual(t, depth, 0, "%s: ')' before its '('", f.Item)
		}
		assert.Zero(t, depth, "%s: unbalanced parentheses", f.Item)
		assert.Zero(t, strings.Count(p, `"`)%2, "%s: unbalanced quotes", f.Item)
		assert.Contains(t, p, "$.", f.Item)
	}
}
