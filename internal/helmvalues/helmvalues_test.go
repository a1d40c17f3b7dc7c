package helmvalues

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestToInputKeepsStructureAndInputs(t *testing.T) {
	in := ToInput(map[string]any{
		"replicaCount": 2,
		"ratio":        0.5,
		"enabled":      true,
		"name":         "falco",
		"tolerations":  []any{map[string]any{"key": "ml-workload"}},
		"roleArn":      pulumi.String("arn:aws:iam::123456789012:role/x"),
		"ports":        []int{443},
	})
	m, ok := in.(pulumi.Map)
	require.True(t, ok)
	assert.Equal(t, pulumi.Int(2), m["replicaCount"])
	assert.Equal(t, pulumi.Float64(0.5), m["ratio"])
	assert.Equal(t, pulumi.Bool(true), m["enabled"])
	assert.Equal(t, pulumi.String("arn:aws:iam::123456789012:role/x"), m["roleArn"], "inputs are kept")
	assert.Equal(t, pulumi.Array{pulumi.Map{"key": pulumi.String("ml-workload")}}, m["tolerations"])

	res, err := internals.UnsafeAwaitOutput(context.Background(), m["ports"].(pulumi.AnyOutput))
	require.NoError(t, err)
	assert.Equal(t, []int{443}, res.Value, "other types pass through unchanged")
}
