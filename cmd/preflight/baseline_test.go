package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// amiReleases are EKS AL2023 node AMI releases of one build date per minor (amazon-eks-ami
// release v20260714).
var amiReleases = map[string]string{
	"1.33": "1.33.13-20260714", "1.34": "1.34.9-20260714", "1.35": "1.35.6-20260714",
}

// atVersion is the stack-file override for another kubernetesVersion, with the node AMI release
// of that minor.
func atVersion(version string) string {
	return "novacron-platform:kubernetesVersion: \"" + version + "\"\n" +
		"novacron-platform:nodeAmiRelease: " + amiReleases[version] + "\n"
}

// projectAt is a project whose production stack file runs kubernetesVersion version, with the
// node AMI release of that minor in place of the file's own.
func projectAt(t *testing.T, version string) string {
	t.Helper()
	dir := projectCopy(t, "production", "")
	base, err := os.ReadFile(filepath.Join(repo, "Pulumi.production.yaml"))
	require.NoError(t, err)
	var kept []string
	for _, line := range strings.Split(string(base), "\n") {
		if !strings.Contains(line, "novacron-platform:nodeAmiRelease:") {
			kept = append(kept, line)
		}
	}
	content := strings.TrimRight(strings.Join(kept, "\n"), "\n") + "\n" + indent(atVersion(version))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.production.yaml"), []byte(content), 0o644))
	return dir
}

// baselineAt writes the JSON report of production with another kubernetesVersion, as the
// deployed commit would have produced it.
func baselineAt(t *testing.T, version string) string {
	t.Helper()
	project := projectAt(t, version)
	r, err := Run(Options{Dir: project, Stack: "production"})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "production-"+version+".json")
	require.NoError(t, os.WriteFile(path, []byte(renderReport(t, r, FormatJSON)), 0o600))
	return path
}

// TestUpgradeStepsInEngineOrder: moving kubernetesVersion shows the upgrade as the engine will
// run it, from the deployment graph: the control plane, then the add-ons the nodes wait for,
// then every node group, then the add-ons that wait for nodes.
func TestUpgradeStepsInEngineOrder(t *testing.T) {
	before := baselineAt(t, "1.34")
	after, err := Run(Options{Dir: repo, Stack: "production", Baseline: before})
	require.NoError(t, err)
	require.NotNil(t, after.Baseline)
	u := after.Baseline.Upgrade
	require.NotNil(t, u, "a version change is an upgrade")
	assert.Equal(t, "1.34", u.From)
	assert.Equal(t, "1.35", u.To)

	type step struct {
		phase int
		typ   string
		name  string
	}
	var got []step
	for _, s := range u.Steps {
		got = append(got, step{s.Phase, s.Type, s.Name})
		assert.NotEmpty(t, s.Source, "%s has a source for its time", s.Name)
		assert.Positive(t, s.Minutes, s.Name)
		assert.GreaterOrEqual(t, s.HighMinutes, s.Minutes, s.Name)
	}
	// vpc-cni, the EBS CSI driver, the Pod Identity agent and metrics-server are pinned to the
	// same build for 1.34 and 1.35: they are not updated, so they are no step. The only managed
	// node group is the system one; Karpenter's nodes are not Pulumi's to update.
	assert.Equal(t, []step{
		{1, clusterType, "cluster"},
		{2, addonType, "cluster-kube-proxy"},
		{3, nodeGroupType, "cluster-system"},
		{4, addonType, "cluster-coredns"},
	}, got)
	// Karpenter replaces the pools' nodes afterwards, as drifted: the alias resolves the new
	// version's AMI.
	assert.Equal(t, []string{"general", "ml"}, u.DriftedPools)

	byName := map[string]UpgradeStep{}
	for _, s := range u.Steps {
		byName[s.Name] = s
	}
	assert.Equal(t, "control plane 1.34 → 1.35", byName["cluster"].What)
	assert.Equal(t, 0.0, byName["cluster"].StartMinutes)
	assert.Contains(t, byName["cluster-kube-proxy"].What, "add-on kube-proxy v1.34.")
	assert.Contains(t, byName["cluster-kube-proxy"].What, "→ v1.35.")
	assert.Equal(t, float64(controlPlaneMinutes), byName["cluster-kube-proxy"].StartMinutes, "add-ons start after the control plane")
	// The system node group: 2 nodes, 33% of which rounds down to one node per batch.
	assert.Equal(t, "node group 1.34 → 1.35, 2 nodes in 2 batches of up to 33%", byName["cluster-system"].What)
	assert.Equal(t, float64(controlPlaneMinutes+addonMinutes), byName["cluster-system"].StartMinutes)
	longestGroup := float64(2 * nodeBatchMinutes)
	assert.Equal(t, float64(controlPlaneMinutes+addonMinutes)+longestGroup, byName["cluster-coredns"].StartMinutes,
		"coredns waits for the slowest node group it runs on")
	assert.Equal(t, float64(controlPlaneMinutes+addonMinutes)+longestGroup+addonMinutes, u.TotalMinutes)
	assert.Greater(t, u.HighMinutes, u.TotalMinutes)

	text := renderReport(t, after, FormatText)
	assert.Contains(t, text, "Kubernetes 1.34 → 1.35: 4 updates")
	assert.Contains(t, text, "Cluster cluster: control plane 1.34 → 1.35")
	assert.Contains(t, text, "Then Karpenter replaces the nodes of 2 pools general, ml as drifted (the AMI alias resolves 1.35's image)")
	md := renderReport(t, after, FormatMarkdown)
	assert.Contains(t, md, "**Kubernetes 1.34 → 1.35**: 4 updates in this order")
	assert.Contains(t, md, "| 3 | cluster-system (NodeGroup) |")
	assert.Contains(t, md, "Then Karpenter replaces the nodes of 2 pools general, ml as drifted")

	// No version change, no upgrade section.
	same, err := Run(Options{Dir: repo, Stack: "production", Baseline: baselineAt(t, "1.35")})
	require.NoError(t, err)
	assert.Nil(t, same.Baseline.Upgrade)
}

// TestKubernetesVersionMovesOneMinorAtATime: with a baseline, preflight refuses what EKS's
// UpdateClusterVersion refuses, before evaluating anything, naming the key.
func TestKubernetesVersionMovesOneMinorAtATime(t *testing.T) {
	tests := []struct {
		name, baseline, to string
		want               string
	}{
		{"two minors at once", "1.33", "1.35",
			"production: novacron-platform:kubernetesVersion must move one minor version at a time, got 1.35 after 1.33"},
		{"downgrade", "1.35", "1.34",
			"production: novacron-platform:kubernetesVersion must not go from 1.35"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			baseline := baselineAt(t, tt.baseline)
			project := projectAt(t, tt.to)
			_, err := Run(Options{Dir: project, Stack: "production", Baseline: baseline})
			var cerr *ConfigError
			require.True(t, errors.As(err, &cerr), "%v", err)
			require.Len(t, cerr.Problems, 1)
			assert.Contains(t, cerr.Problems[0], tt.want)

			var stdout, stderr bytes.Buffer
			code := realMain([]string{"--dir", project, "--stack", "production", "--baseline", baseline}, &stdout, &stderr)
			assert.Equal(t, 2, code, stderr.String())
			assert.Contains(t, stderr.String(), "novacron-platform:kubernetesVersion")
			assert.Empty(t, stdout.String())
		})
	}
}

func TestNodeBatches(t *testing.T) {
	for nodes, want := range map[int]int{0: 0, 1: 1, 2: 2, 3: 3, 5: 5, 6: 6, 10: 4, 30: 4} {
		assert.Equal(t, want, nodeBatches(nodes), "%d nodes", nodes)
	}
}
