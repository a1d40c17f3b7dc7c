package kmspolicy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDocument(t *testing.T) {
	doc, err := Document("aws-us-gov", "123456789012")
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &got))
	assert.Equal(t, map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "EnableIamPoliciesForAccount",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "arn:aws-us-gov:iam::123456789012:root"},
			"Action":    "kms:*",
			"Resource":  "*",
		}},
	}, got)
}
