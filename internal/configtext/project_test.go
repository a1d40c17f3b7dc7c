package configtext

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testProject = "name: demo\nruntime: go\nconfig:\n  size:\n    default: 3\n  tags:\n    value:\n      Team: platform\n"

func writeProject(t *testing.T, stack string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(testProject), 0o600))
	if stack != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), []byte(stack), 0o600))
	}
	return dir
}

func TestReadProjectFiles(t *testing.T) {
	accept := func(StackKey) (bool, error) { return false, nil }
	tests := []struct {
		name      string
		stack     string
		project   string
		check     StackCheck
		want      map[string]string
		fromStack bool
		wantErr   string
	}{
		{
			name: "declared values without a stack file", project: "demo", check: accept,
			want: map[string]string{"demo:size": "3", "demo:tags": `{"Team":"platform"}`},
		},
		{
			name: "the stack file overrides", project: "demo", check: accept, fromStack: true,
			stack: "config:\n  demo:size: 5\n  aws:region: eu-west-1\n",
			want:  map[string]string{"demo:size": "5", "demo:tags": `{"Team":"platform"}`, "aws:region": "eu-west-1"},
		},
		{
			name: "a skipped key keeps its declared value", project: "demo", fromStack: true,
			stack: "config:\n  demo:size: 5\n",
			check: func(k StackKey) (bool, error) { return k.Key == "demo:size", nil },
			want:  map[string]string{"demo:size": "3", "demo:tags": `{"Team":"platform"}`},
		},
		{
			name: "the check refuses", project: "demo",
			stack: "config:\n  demo:sise: 5\n",
			check: func(k StackKey) (bool, error) {
				if k.Own && !k.Declared {
					return false, errors.New(k.Key + " is not declared")
				}
				return false, nil
			},
			wantErr: "demo:sise is not declared",
		},
		{name: "another project", project: "other", check: accept, wantErr: `project is "demo", want "other"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadProjectFiles(writeProject(t, tc.stack), "dev", tc.project, tc.check)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Values)
			assert.Equal(t, tc.fromStack, got.FromStackFile)
		})
	}
}

func TestReadProjectFilesSeesEveryKey(t *testing.T) {
	var seen []StackKey
	_, err := ReadProjectFiles(writeProject(t, "config:\n  demo:size: 5\n  demo:extra: x\n  aws:region: eu-west-1\n"), "dev", "demo",
		func(k StackKey) (bool, error) { seen = append(seen, k); return false, nil })
	require.NoError(t, err)
	byKey := map[string][2]bool{}
	for _, k := range seen {
		assert.Equal(t, filepath.Base(k.File), "Pulumi.dev.yaml")
		byKey[k.Key] = [2]bool{k.Own, k.Declared}
	}
	assert.Equal(t, map[string][2]bool{
		"demo:size":  {true, true},
		"demo:extra": {true, false},
		"aws:region": {false, false},
	}, byKey)
}
