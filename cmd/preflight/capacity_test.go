package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/pricing"
	"github.com/novacron/platform/stacks"
)

func capacityPool(t *testing.T, r *Report, name string) CapacityPool {
	t.Helper()
	require.NotNil(t, r.Capacity, "the platform has Karpenter pools")
	for _, p := range r.Capacity.Pools {
		if p.Name == name {
			return p
		}
	}
	require.Failf(t, "no pool", "%s in %s", name, r.Stack)
	return CapacityPool{}
}

// TestCapacityAnswers: ten times the declared baseline against each stack's general pool, in
// Karpenter's arithmetic. An m5.xlarge leaves 3,565m and 13,290 MiB to the services (4,000m
// less 80m kube-reserved and 355m of DaemonSets; 16,384 MiB less 1,229 VM overhead, 893
// kube-reserved, 100 eviction and 872 of DaemonSets); an m5.large 1,575m and 6,031 MiB.
func TestCapacityAnswers(t *testing.T) {
	tests := []struct {
		name      string
		stack     string
		override  string
		fits      bool
		nodes     int64
		atLimit   int64
		baseNodes int64
		answer    string
	}{
		{name: "production: 30 vCPU and 60 GiB need 9 of 10 m5.xlarge", stack: "production",
			fits: true, nodes: 9, atLimit: 10, baseNodes: 3,
			answer: "10x fits: needs 9 of 10 m5.xlarge nodes; headroom at the limit 5.65 vCPU, 69.8 GiB"},
		{name: "staging: 10 vCPU need 7 m5.large, the limit is 4", stack: "staging",
			fits: false, nodes: 7, atLimit: 4, baseNodes: 2,
			answer: "10x does not fit: needs 7 nodes, raise generalMaxNodes to 7 (the limit of 4 m5.large nodes is 3.7 vCPU short)"},
		{name: "production with 4 vCPU declared: 40 vCPU need 12", stack: "production",
			override: "novacron-platform:generalBaselineVcpus: 4\n",
			fits:     false, nodes: 12, atLimit: 10, baseNodes: 3,
			answer: "10x does not fit: needs 12 nodes, raise generalMaxNodes to 12 (the limit of 10 m5.xlarge nodes is 4.35 vCPU short)"},
		{name: "raising the key as told makes it fit", stack: "production",
			override: "novacron-platform:generalBaselineVcpus: 4\nnovacron-platform:generalMaxNodes: 12\n",
			fits:     true, nodes: 12, atLimit: 12, baseNodes: 3,
			answer: "10x fits: needs 12 of 12 m5.xlarge nodes; headroom at the limit 2.78 vCPU, 95.7 GiB"},
		{name: "memory short: 200 GiB need 16 nodes", stack: "production",
			override: "novacron-platform:generalBaselineMemoryGib: 20\n",
			fits:     false, nodes: 16, atLimit: 10, baseNodes: 3,
			answer: "10x does not fit: needs 16 nodes, raise generalMaxNodes to 16 (the limit of 10 m5.xlarge nodes is 70.2 GiB short)"},
		{name: "8 vCPU declared: 80 vCPU need 23 of 30", stack: "production",
			override: "novacron-platform:generalBaselineVcpus: 8\nnovacron-platform:generalMaxNodes: 30\n",
			fits:     true, nodes: 23, atLimit: 30, baseNodes: 3,
			answer: "10x fits: needs 23 of 30 m5.xlarge nodes; headroom at the limit 26.95 vCPU, 329.4 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report(t, tt.stack)
			if tt.override != "" {
				var err error
				r, err = Run(Options{Dir: projectCopy(t, tt.stack, tt.override), Stack: tt.stack})
				require.NoError(t, err)
			}
			p := capacityPool(t, r, "general")
			assert.Equal(t, tt.fits, p.TenXFits)
			assert.Equal(t, tt.nodes, p.NodesForTenX)
			assert.Equal(t, tt.atLimit, p.NodesAtLimit)
			assert.Equal(t, tt.baseNodes, p.BaselineNodes)
			assert.Equal(t, tt.answer, p.Answer)
			assert.Equal(t, "generalMaxNodes", p.MaxNodesKey)
			assert.Equal(t, p.Baseline.MilliCPU*10, p.TenX.MilliCPU)
			for _, format := range []string{FormatText, FormatMarkdown, FormatJSON} {
				assert.Contains(t, renderReport(t, r, format), tt.answer, format)
			}
		})
	}

	// A baseline above the floor: 12 vCPU need ceil(12,000 / 3,565) = 4 nodes, billed instead of
	// the floor of 3.
	r, err := Run(Options{Dir: projectCopy(t, "production", "novacron-platform:generalBaselineVcpus: 12\n"+
		"novacron-platform:generalMaxNodes: 40\n"), Stack: "production"})
	require.NoError(t, err)
	p := capacityPool(t, r, "general")
	assert.EqualValues(t, 4, p.NodesForBaseline)
	assert.EqualValues(t, 4, p.BaselineNodes)
	line := lineOf(t, r, "cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.xlarge, on-demand)")
	assert.InDelta(t, 560.64, line.MonthlyUSD, 0.001) // 4 × 0.192 × 730
	assert.Contains(t, line.Note, "baseline of 4 nodes, what the declared baseline needs (floor 3)")

	// The ml pools declare no steady GPU load: ten times nothing fits, and says so.
	for _, stack := range []string{"production", "staging"} {
		ml := capacityPool(t, report(t, stack), "ml")
		assert.True(t, ml.TenXFits, stack)
		assert.Equal(t, "mlMaxNodes", ml.MaxNodesKey)
		assert.Contains(t, ml.Answer, "10x fits: no steady load is declared", stack)
	}
}

// TestCapacityKeysAreDeclared: the keys the answers name are the stack's configuration keys.
func TestCapacityKeysAreDeclared(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repo, "Pulumi.yaml"))
	require.NoError(t, err)
	var project struct {
		Config map[string]any `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &project))
	for _, stack := range []string{"production", "staging"} {
		for _, p := range report(t, stack).Capacity.Pools {
			for _, key := range append([]string{p.MaxNodesKey}, p.BaselineKeys...) {
				assert.Contains(t, project.Config, key, "%s: %s", stack, p.Name)
			}
		}
	}
}

// TestStagingSpotAssumption: the Spot pool's month is priced with the assumed saving and says
// where it comes from, in every format.
func TestStagingSpotAssumption(t *testing.T) {
	r := report(t, "staging")
	p := capacityPool(t, r, "general")
	assert.Equal(t, "spot", p.CapacityType)
	require.NotNil(t, p.Cost.Spot)
	assert.InDelta(t, 66, p.Cost.Spot.SavingPercent, 1e-9)
	assert.Equal(t, "2025-06-28", p.Cost.Spot.AsOf)
	// 2 × 730 × 0.03264 + 2 × 100 × 0.08; at the limit 4 nodes.
	assert.InDelta(t, 63.65, p.Cost.Baseline.TotalUSD, 0.001)
	assert.InDelta(t, 127.31, p.Cost.Limit.TotalUSD, 0.001)
	assert.InDelta(t, 280.32, p.Cost.Spot.OnDemandLimitUSD, 0.001)
	for _, format := range []string{FormatText, FormatMarkdown} {
		out := renderReport(t, r, format)
		assert.Contains(t, out, "$63.65 a month at the baseline of 2 nodes to $127.31 at the limit of 4 nodes", format)
		assert.Contains(t, out, "assumption: Spot 66% below on-demand", format)
	}
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(renderReport(t, r, FormatJSON)), &v))
	capacity := v["capacity"].(map[string]any)
	pools := capacity["pools"].([]any)
	require.Len(t, pools, 2)
	assert.Equal(t, "general", pools[0].(map[string]any)["name"])
	assert.Equal(t, false, pools[0].(map[string]any)["tenXFits"])
}

// productionRecords evaluates production and returns what the program registers.
func productionRecords(t *testing.T) []*mock.Resource {
	t.Helper()
	cfg, err := stacks.ReadStackFiles(repo, "production")
	require.NoError(t, err)
	records, _, err := evaluate(cfg.WithSecretPlaceholders())
	require.NoError(t, err)
	return records
}

// TestDaemonSetOverheadMatchesTheComponents keeps the declared per-node requests honest: the
// telemetry agent's requests are read from the values the program renders, and the charts and
// add-ons whose defaults the overhead takes must still be left at their defaults.
func TestDaemonSetOverheadMatchesTheComponents(t *testing.T) {
	declared := map[string]pricing.DaemonSet{}
	for _, d := range pricing.DaemonSets {
		declared[d.Name] = d
	}
	seen := map[string]bool{}
	for _, r := range productionRecords(t) {
		switch r.Type {
		case "kubernetes:helm.sh/v3:Release":
			chart, _ := r.Input("chart")
			mode, _ := r.Input("values.mode")
			switch {
			case chart.IsString() && chart.StringValue() == "opentelemetry-collector" && mode.IsString() && mode.StringValue() == "daemonset":
				seen["otel-agent"] = true
				cpu, _ := r.Input("values.resources.requests.cpu")
				memory, _ := r.Input("values.resources.requests.memory")
				assert.Equal(t, "100m", cpu.StringValue())
				assert.Equal(t, "256Mi", memory.StringValue())
				assert.EqualValues(t, 100, declared["otel-agent"].MilliCPU)
				assert.EqualValues(t, 256, declared["otel-agent"].MemoryMiB)
			case chart.IsString() && chart.StringValue() == "falco":
				seen["falco"] = true
				_, set := r.Input("values.resources")
				assert.False(t, set, "falco's requests are the chart's default (100m, 512Mi): update pricing.DaemonSets with the values")
			case chart.IsString() && chart.StringValue() == "kube-prometheus-stack":
				seen["node-exporter"] = true
				_, set := r.Input("values.prometheus-node-exporter.resources")
				assert.False(t, set, "node-exporter requests nothing by default: update pricing.DaemonSets with the values")
			}
		case "aws:eks/addon:Addon":
			name, _ := r.Input("addonName")
			key := map[string]string{"vpc-cni": "vpc-cni (aws-node)", "kube-proxy": "kube-proxy",
				"eks-pod-identity-agent": "eks-pod-identity-agent", "aws-ebs-csi-driver": "ebs-csi-node"}[name.StringValue()]
			if key == "" {
				continue
			}
			seen[key] = true
			if cfg, ok := r.Input("configurationValues"); ok && cfg.IsString() {
				assert.NotContains(t, cfg.StringValue(), "resources", "%s: its requests are the add-on's default", key)
			}
		}
	}
	for name := range declared {
		assert.True(t, seen[name], "the declared DaemonSet %s is installed by the program", name)
	}
	assert.Equal(t, pricing.Load{MilliCPU: 355, MemoryMiB: 872}, pricing.DaemonSetOverhead())
}
