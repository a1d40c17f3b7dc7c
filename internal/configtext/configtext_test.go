package configtext

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"string", "10.0.0.0/16", "10.0.0.0/16"},
		{"bool", true, "true"},
		{"int", 30, "30"},
		{"whole float", 365.0, "365"},
		{"fraction", 1.5, "1.5"},
		{"list", []any{"us-east-1a", "us-east-1b"}, `["us-east-1a","us-east-1b"]`},
		{"map", map[string]any{"Team": "platform"}, `{"Team":"platform"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Text(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := Text(map[string]any{"bad": func() {}})
	assert.Error(t, err)
}
