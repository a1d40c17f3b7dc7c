package awslimits_test

// An external test package: internal/pricing imports awslimits, so the package's own tests
// cannot import pricing.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/pricing"
)

// TestPriceTableNamesRealTypes keeps the cost model honest: every EC2 price is for a catalogued
// type, so a typo in the price table cannot price an instance that does not exist.
func TestPriceTableNamesRealTypes(t *testing.T) {
	for _, region := range pricing.Regions() {
		table, ok := pricing.ForRegion(region)
		require.True(t, ok)
		n := 0
		for id := range table.Prices {
			name, isEC2 := strings.CutPrefix(id, "ec2/")
			if !isEC2 {
				continue
			}
			n++
			_, known := awslimits.LookupInstanceType(name)
			assert.True(t, known, "%s prices %s, which is not in the catalogue", region, name)
		}
		assert.Positive(t, n, region)
	}
}
