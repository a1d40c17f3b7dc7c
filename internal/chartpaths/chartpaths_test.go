package chartpaths

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name            string
		text            string
		exact, freeForm []string
		wantErr         string
	}{
		{
			name:  "exact paths",
			text:  "fullnameOverride\nsingleBinary.replicas\n",
			exact: []string{"fullnameOverride", "singleBinary.replicas"},
		},
		{
			name:     "free-form keys lose their .*",
			text:     "resources.*\nloki.limits_config.*\nmode\n",
			exact:    []string{"mode"},
			freeForm: []string{"resources", "loki.limits_config"},
		},
		{
			name:     "comments and blank lines are ignored",
			text:     "# chart 1.2.3, values.yaml\n\n   \nreplicas      # an int\nextraEnv\t# a list\n  # indented comment\nresources.*   # ResourceRequirements\n",
			exact:    []string{"replicas", "extraEnv"},
			freeForm: []string{"resources"},
		},
		{
			name:  "a # inside a key is part of it",
			text:  "a#b\n",
			exact: []string{"a#b"},
		},
		{
			name: "an empty file lists nothing",
			text: "# nothing yet\n",
		},
		{
			name:    "two paths on a line",
			text:    "replicas\nimage.tag image.repository\n",
			wantErr: ":2: \"image.tag image.repository\" is not one path",
		},
		{
			name:    "a star in the middle",
			text:    "ports.*.enabled\n",
			wantErr: ":1: \"ports.*.enabled\": '*' stands only at the end",
		},
		{
			name:    "a bare star",
			text:    "*\n",
			wantErr: ":1: \"*\"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chart-1.2.3.paths")
			require.NoError(t, os.WriteFile(path, []byte(tt.text), 0o600))
			exact, freeForm, err := Read(path)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.exact, exact)
			assert.Equal(t, tt.freeForm, freeForm)
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	_, _, err := Read(filepath.Join(t.TempDir(), "absent.paths"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chartpaths: ")
	assert.Contains(t, err.Error(), "absent.paths")
}

func TestLeaves(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{name: "nothing", values: map[string]any{}, want: nil},
		{
			name:   "scalars in key order at every level",
			values: map[string]any{"b": 1, "a": map[string]any{"y": "s", "x": true}},
			want:   []string{"a.x", "a.y", "b"},
		},
		{
			name:   "a list is a leaf, maps inside it are not walked",
			values: map[string]any{"a": map[string]any{"b": 1, "c": []any{map[string]any{"d": 1}}}},
			want:   []string{"a.b", "a.c"},
		},
		{
			name:   "an empty map is a leaf",
			values: map[string]any{"e": map[string]any{}, "f": map[string]any{"g": map[string]any{}}},
			want:   []string{"e", "f.g"},
		},
		{
			name:   "a nil value is a leaf",
			values: map[string]any{"n": nil},
			want:   []string{"n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Leaves(tt.values))
		})
	}
}

func TestUnlisted(t *testing.T) {
	exact := []string{"replicas", "image.tag", "tolerations", "pdb.enabled"}
	freeForm := []string{"resources", "loki.limits_config"}
	tests := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{
			name: "every leaf listed",
			values: map[string]any{
				"replicas":    2,
				"image":       map[string]any{"tag": "1.0"},
				"tolerations": []any{map[string]any{"key": "ml-workload"}},
			},
		},
		{
			name:   "a misspelt key is reported",
			values: map[string]any{"replica": 2, "image": map[string]any{"tags": "1.0"}},
			want:   []string{"image.tags", "replica"},
		},
		{
			name: "a free-form subtree is accepted at any depth",
			values: map[string]any{
				"resources": map[string]any{"limits": map[string]any{"memory": "1Gi"}},
				"loki":      map[string]any{"limits_config": map[string]any{"retention_period": "72h"}},
			},
		},
		{
			name:   "a free-form key set whole is accepted",
			values: map[string]any{"resources": map[string]any{}},
		},
		{
			name:   "a key that only starts like a free-form one is reported",
			values: map[string]any{"resourcesPreset": "small", "loki": map[string]any{"limits_configs": map[string]any{"x": 1}}},
			want:   []string{"loki.limits_configs.x", "resourcesPreset"},
		},
		{
			name:   "a listed path set as a map is reported below it",
			values: map[string]any{"replicas": map[string]any{"min": 1}},
			want:   []string{"replicas.min"},
		},
		{
			name:   "a leaf above a listed path is reported",
			values: map[string]any{"pdb": true},
			want:   []string{"pdb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Unlisted(tt.values, exact, freeForm))
		})
	}
}
