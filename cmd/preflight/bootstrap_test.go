package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bootstrapCopy copies bootstrap/Pulumi.yaml and policy/config.bootstrap.json into a temporary
// repository layout, with an optional bootstrap stack file.
func bootstrapCopy(t *testing.T, stackFile string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range []string{"bootstrap/Pulumi.yaml", "policy/config.bootstrap.json"} {
		b, err := os.ReadFile(filepath.Join(repo, f))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, f), b, 0o644))
	}
	if stackFile != "" {
		require.NoError(t, os.WriteFile(filepath.Join(root, "bootstrap", "Pulumi.bootstrap.yaml"), []byte(stackFile), 0o644))
	}
	return filepath.Join(root, "bootstrap")
}

func TestBootstrapProject(t *testing.T) {
	run := func(t *testing.T, dir string) (int, Report, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := realMain([]string{"--stack", "bootstrap", "--dir", dir, "--format", "json"}, &stdout, &stderr)
		var rep Report
		if code != 2 {
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep), stderr.String())
		}
		return code, rep, stderr.String()
	}

	t.Run("the repository's bootstrap passes the pack on its declared values", func(t *testing.T) {
		code, rep, stderr := run(t, filepath.Join(repo, "bootstrap"))
		assert.Equal(t, 0, code, stderr)
		assert.Equal(t, "novacron-bootstrap", rep.Project)
		assert.Equal(t, filepath.Join(repo, "policy", "config.bootstrap.json"), rep.Policy.ConfigFile)
		assert.Zero(t, rep.Policy.Mandatory)
		assert.Contains(t, stderr, "Pulumi.bootstrap.yaml does not exist")
		assert.NotEmpty(t, rep.Inventory.Resources)
	})
	t.Run("a stack file with the CI roles is evaluated too", func(t *testing.T) {
		dir := bootstrapCopy(t, "config:\n  aws:region: eu-west-1\n  novacron-bootstrap:githubRepository: novacron/platform\n")
		code, rep, stderr := run(t, dir)
		assert.Equal(t, 0, code, stderr)
		assert.Equal(t, "eu-west-1", rep.Region)
		assert.NotContains(t, stderr, "does not exist")
		var types []string
		for _, c := range rep.Inventory.CountsByType {
			types = append(types, c.Type)
		}
		assert.Contains(t, types, "aws:iam/role:Role")
	})
	t.Run("a stack file that breaks a policy exits 1", func(t *testing.T) {
		dir := bootstrapCopy(t, "config:\n  aws:defaultTags:\n    tags:\n      Project: novacron\n")
		code, rep, stderr := run(t, dir)
		assert.Equal(t, 1, code, stderr)
		require.NotEmpty(t, rep.Policy.Violations)
		assert.Equal(t, "required-tags", rep.Policy.Violations[0].Policy)
	})
	t.Run("a configuration error exits 2 naming stack and key", func(t *testing.T) {
		dir := bootstrapCopy(t, "config:\n  novacron-bootstrap:keyDeletionWindowDays: 3\n")
		code, _, stderr := run(t, dir)
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, "bootstrap: novacron-bootstrap:keyDeletionWindowDays must be between 7 and 30, got 3")
	})
}
