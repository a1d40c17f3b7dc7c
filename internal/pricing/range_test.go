package pricing

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// TestFiguresOutOfRangeAreNotPriced: counts and sizes the configuration refuses can still reach
// the model through its other callers; a figure past any real bill is listed without a price,
// and the estimate stays finite and encodable.
func TestFiguresOutOfRangeAreNotPriced(t *testing.T) {
	lt := launchTemplate("huge", 100, "gp3")
	huge := res(tNodeGroup, "huge", map[string]any{
		"instanceTypes": []any{"m5.xlarge"},
		"scalingConfig": map[string]any{"minSize": 1, "desiredSize": 9.223372036854776e18, "maxSize": 9.223372036854776e18},
	}, lt)
	e := Calculate("us-east-1", []*mock.Resource{lt, huge, nodeGroup("ok", "m5.xlarge", 1, 1, 1)})
	instances := find(t, e, "huge", "Node group instances (m5.xlarge)")
	assert.Equal(t, NoPrice, instances.Kind)
	assert.Zero(t, instances.MonthlyUSD)
	assert.Contains(t, instances.Note, "out of range")
	assert.Contains(t, instances.Note, "desiredSize 9223372036854776000 × 730 h", "the count prints as read, not wrapped")
	assert.Equal(t, NoPrice, find(t, e, "huge", "Node root volumes (gp3)").Kind)
	assert.InDelta(t, 140.16, e.TotalMonthlyUSD, 0.001, "only the priced group counts: 0.192 × 730")
	_, err := json.Marshal(e)
	require.NoError(t, err, "no NaN or Inf in the estimate")

	for _, v := range []float64{math.NaN(), math.Inf(1), -1, 1e14} {
		assert.False(t, inRange(v), "%v", v)
	}
	assert.True(t, inRange(0))
	assert.True(t, inRange(2147483647*730.0), "32-bit counts of hours are in range")
}

func TestSizesThatAreNotNumbers(t *testing.T) {
	for _, q := range []string{"NaNGi", "InfGi", "+InfTi", "1e400Gi", "-1Gi", "Gi"} {
		_, ok := gibibytes(q)
		assert.False(t, ok, q)
	}
	pvc := res(tPVC, "data", map[string]any{"spec": map[string]any{"resources": map[string]any{"requests": map[string]any{"storage": "1e400Gi"}}}})
	e := Calculate("us-east-1", []*mock.Resource{pvc})
	assert.Equal(t, NoPrice, find(t, e, "data", "Persistent volume").Kind)
	_, err := json.Marshal(e)
	require.NoError(t, err)
}
