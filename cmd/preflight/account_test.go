package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/policy/compliance"
)

// accountCopy copies account/Pulumi.yaml and policy/config.account.json into a temporary
// repository layout, with a stack file for the stack "shared".
func accountCopy(t *testing.T, stackFile string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range []string{"account/Pulumi.yaml", "policy/config.account.json"} {
		b, err := os.ReadFile(filepath.Join(repo, f))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, f), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "account", "Pulumi.shared.yaml"), []byte(stackFile), 0o644))
	return filepath.Join(root, "account")
}

func TestAccountProject(t *testing.T) {
	run := func(t *testing.T, dir, format string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := realMain([]string{"--stack", "shared", "--dir", dir, "--format", format}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	t.Run("the repository's shared account passes the pack as production", func(t *testing.T) {
		code, out, stderr := run(t, filepath.Join(repo, "account"), FormatJSON)
		require.Equal(t, 0, code, stderr)
		var rep Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		assert.Equal(t, "novacron-account", rep.Project)
		assert.Equal(t, filepath.Join(repo, "policy", "config.account.json"), rep.Policy.ConfigFile)
		assert.True(t, rep.Policy.Production, "the shared account holds production")
		assert.Contains(t, stderr, "novacron-account:alertEndpoint is secret: evaluated with a placeholder")
		for _, f := range rep.Policy.Frameworks {
			if f.Framework != string(compliance.CISAWS) {
				continue
			}
			// The account's own controls: Access Analyzer, CloudTrail, Config, the monitoring
			// alarms and Security Hub.
			for _, id := range []string{"1.20", "3.1", "3.2", "3.3", "3.5", "4.1", "4.8", "4.15", "4.16"} {
				assert.NotContains(t, f.NotChecked, id)
				assert.NotContains(t, f.FailedControls, id)
			}
		}
	})
	t.Run("the evidence lists the conformance pack's rules beside the policies", func(t *testing.T) {
		code, out, stderr := run(t, filepath.Join(repo, "account"), FormatCompliance)
		require.Equal(t, 0, code, stderr)
		var row string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "| 3.1 |") {
				row = l
			}
		}
		require.NotEmpty(t, row, "CIS AWS 3.1 has a row")
		assert.Contains(t, row, "| pass |")
		assert.Contains(t, row, "`cloudtrail-multi-region` passed")
		assert.Contains(t, row, "`cloudtrail-enabled` (CLOUD_TRAIL_ENABLED)")
	})
	t.Run("production without the trail's Object Lock exits 1", func(t *testing.T) {
		dir := accountCopy(t, "config:\n  aws:region: us-east-1\n  novacron-account:disableObjectLock: true\n")
		code, out, stderr := run(t, dir, FormatJSON)
		require.Equal(t, 1, code, stderr)
		var rep Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		var policies []string
		for _, v := range rep.Policy.Violations {
			policies = append(policies, v.Policy)
		}
		assert.Equal(t, []string{"cloudtrail-bucket-object-lock-production"}, policies)
	})
	t.Run("a region outside allowedRegions exits 1", func(t *testing.T) {
		dir := accountCopy(t, "config:\n  aws:region: eu-west-1\n  novacron-account:objectLockMode: COMPLIANCE\n  novacron-account:objectLockDays: 365\n")
		code, out, stderr := run(t, dir, FormatJSON)
		require.Equal(t, 1, code, stderr)
		var rep Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		require.NotEmpty(t, rep.Policy.Violations)
		assert.Equal(t, "data-residency-allowed-regions", rep.Policy.Violations[0].Policy)
		assert.Contains(t, rep.Policy.Violations[0].Message, "region eu-west-1 of provider default is not one of the allowed regions (us-east-1)")
	})
}
