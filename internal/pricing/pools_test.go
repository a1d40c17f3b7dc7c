package pricing

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// karpenterPool returns the NodePool, EC2NodeClass and floor Deployment of a pool as the
// karpenter component registers them: maxNodes nodes of the first type make the limits.
func karpenterPool(name string, types []string, capacityTypes []string, limits map[string]any, diskGi string, floor int) []*mock.Resource {
	values := func(ss []string) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	pool := res(tNodePool, "cluster-karpenter-nodepool-"+name, map[string]any{
		"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"template": map[string]any{"spec": map[string]any{
				"nodeClassRef": map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": name},
				"requirements": []any{
					map[string]any{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": values(types)},
					map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": values(capacityTypes)},
				},
			}},
			"limits": limits,
		},
	})
	class := res(tEC2NodeClass, "cluster-karpenter-ec2nodeclass-"+name, map[string]any{
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{"blockDeviceMappings": []any{map[string]any{
			"deviceName": "/dev/xvda", "rootVolume": true,
			"ebs": map[string]any{"volumeSize": diskGi, "volumeType": "gp3", "encrypted": true},
		}}},
	})
	out := []*mock.Resource{pool, class}
	if floor > 0 {
		out = append(out, res(tDeployment, "cluster-karpenter-deployment-capacity-floor-"+name, map[string]any{
			"metadata": map[string]any{"name": "capacity-floor-" + name, "namespace": "kube-system"},
			"spec":     map[string]any{"replicas": floor},
		}))
	}
	return out
}

func poolNamed(t *testing.T, e *Estimate, name string) Pool {
	t.Helper()
	for _, p := range e.Pools {
		if p.Name == name {
			return p
		}
	}
	require.Failf(t, "no pool", "%s in %+v", name, e.Pools)
	return Pool{}
}

// TestNodeShapes checks Karpenter's node arithmetic on the types the stacks use, worked by hand
// from aws/karpenter-provider-aws v1.14.1 pkg/providers/instancetype/types.go.
func TestNodeShapes(t *testing.T) {
	tests := []struct {
		typ                     string
		maxPods                 int64
		capacityMiB             int64 // memory less ceil(7.5%)
		kubeCPU, kubeMiB        int64
		allocCPU, allocMiB      int64
		servicesCPU, servicesMi int64
	}{
		// 8192 × 0.075 = 614.4 → 615; kube-reserved 60 + 10 = 70m and 11 × 29 + 255 = 574 MiB.
		{"m5.large", 29, 7577, 70, 574, 1930, 6903, 1930 - 355, 6903 - 872},
		// 16384 × 0.075 = 1228.8 → 1229; 60 + 10 + 10 = 80m; 11 × 58 + 255 = 893 MiB.
		{"m5.xlarge", 58, 15155, 80, 893, 3920, 14162, 3920 - 355, 14162 - 872},
		// 8 vCPUs: 60 + 10 + 10 + 4000 × 0.25% = 90m.
		{"g5.2xlarge", 58, 30310, 90, 893, 7910, 30310 - 893 - 100, 7910 - 355, 30310 - 893 - 100 - 872},
		// Graviton: 64 MiB of CMA memory come off first: 16320 × 0.075 = 1224.
		{"r6g.large", 29, 15096, 70, 574, 1930, 15096 - 574 - 100, 1930 - 355, 15096 - 574 - 100 - 872},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			s, ok := Shape(tt.typ)
			require.True(t, ok)
			assert.Equal(t, tt.maxPods, s.MaxPods)
			assert.Equal(t, tt.capacityMiB, s.Capacity.MemoryMiB)
			assert.Equal(t, tt.kubeCPU, s.KubeReserved.MilliCPU)
			assert.Equal(t, tt.kubeMiB, s.KubeReserved.MemoryMiB)
			assert.Equal(t, tt.allocCPU, s.Allocatable.MilliCPU)
			assert.Equal(t, tt.allocMiB, s.Allocatable.MemoryMiB)
			assert.Equal(t, tt.servicesCPU, s.ForServices.MilliCPU)
			assert.Equal(t, tt.servicesMi, s.ForServices.MemoryMiB)
		})
	}
	_, ok := Shape("c7i.xlarge")
	assert.False(t, ok, "a type without a pod density in the table has no shape")
	assert.Equal(t, Load{MilliCPU: 355, MemoryMiB: 872}, DaemonSetOverhead())
	for _, d := range DaemonSets {
		assert.NotEmpty(t, d.Source, d.Name)
	}
}

func TestKubeReservedCPU(t *testing.T) {
	for milli, want := range map[int64]int64{0: 0, 500: 30, 1000: 60, 2000: 70, 4000: 80, 8000: 90, 96000: 310} {
		assert.Equal(t, want, kubeReservedMilliCPU(milli), "%d", milli)
	}
}

func TestPools(t *testing.T) {
	general := map[string]any{"cpu": "40", "memory": "163840Mi"}
	tests := []struct {
		name        string
		records     []*mock.Resource
		baseline    Load
		pool        string
		item        string
		kind        Kind
		monthly     float64
		baseNodes   int64
		limitNodes  int64
		lowUSD      float64
		highUSD     float64
		tenXFits    bool
		tenXNodes   int64
		noteHas     []string
		problemHas  string
		volumes     float64
		volumesKind Kind
	}{
		{
			name:    "floor above the baseline: 3 × m5.xlarge × 730 h",
			records: karpenterPool("general", []string{"m5.xlarge"}, []string{"on-demand"}, general, "100Gi", 3),
			// 3 vCPU fit one node's 3,565m; 10x (30 vCPU, 60 GiB) needs ceil(30000 / 3565) = 9.
			baseline: Load{MilliCPU: 3000, MemoryMiB: 6 * 1024},
			pool:     "general", item: "Karpenter pool instances (m5.xlarge, on-demand)", kind: Fixed,
			monthly: 420.48, baseNodes: 3, limitNodes: 10, lowUSD: 420.48, highUSD: 1401.60, tenXFits: true, tenXNodes: 9,
			noteHas: []string{"baseline of 3 nodes, the pool's floor (the declared baseline needs 1), × 730 h", "$420.48 at the baseline of 3 nodes to $1,401.60 at the limit of 10 nodes"},
			volumes: 24.00, volumesKind: Fixed,
		},
		{
			name:    "baseline above the floor: 5 vCPU need 2 nodes",
			records: karpenterPool("general", []string{"m5.xlarge"}, []string{"on-demand"}, general, "100Gi", 1),
			// ceil(5000 / 3565) = 2; 10x: ceil(50000 / 3565) = 15 > 10.
			baseline: Load{MilliCPU: 5000, MemoryMiB: 1024},
			pool:     "general", item: "Karpenter pool instances (m5.xlarge, on-demand)", kind: Fixed,
			monthly: 280.32, baseNodes: 2, limitNodes: 10, lowUSD: 280.32, highUSD: 1401.60, tenXFits: false, tenXNodes: 15,
			noteHas: []string{"baseline of 2 nodes, what the declared baseline needs (floor 1), × 730 h"},
			volumes: 16.00, volumesKind: Fixed,
		},
		{
			name: "Spot pool at the assumed 66% saving",
			records: karpenterPool("general", []string{"m5.large"}, []string{"spot", "on-demand"},
				map[string]any{"cpu": "8", "memory": "32768Mi"}, "100Gi", 2),
			// 0.096 × 0.34 = 0.03264 $/h; 2 × 730 × 0.03264 = 47.65; 4 nodes: 95.31.
			baseline: Load{MilliCPU: 1000, MemoryMiB: 1024},
			pool:     "general", item: "Karpenter pool instances (m5.large, Spot)", kind: Fixed,
			monthly: 47.65, baseNodes: 2, limitNodes: 4, lowUSD: 47.65, highUSD: 95.31, tenXFits: false, tenXNodes: 7,
			noteHas: []string{"assumption: Spot 66% below on-demand", "AWS EC2 Spot Instance Advisor", "2025-06-28",
				"$280.32 at the limit if Spot has no capacity"},
			volumes: 16.00, volumesKind: Fixed,
		},
		{
			name: "Spot pool of a type without an assumed saving is not priced",
			records: karpenterPool("general", []string{"m6i.large"}, []string{"spot", "on-demand"},
				map[string]any{"cpu": "8", "memory": "32768Mi"}, "100Gi", 2),
			pool: "general", item: "Karpenter pool instances (m6i.large, Spot)", kind: NoPrice,
			baseNodes: 2, limitNodes: 4, tenXFits: true,
			noteHas: []string{"no Spot saving for m6i.large in us-east-1"},
			volumes: 16.00, volumesKind: Fixed,
		},
		{
			name: "GPU pool without a baseline costs nothing until a job comes",
			records: karpenterPool("ml", []string{"g5.2xlarge"}, []string{"on-demand"},
				map[string]any{"cpu": "40", "memory": "163840Mi", "nvidia.com/gpu": "5"}, "200Gi", 0),
			pool: "ml", item: "Karpenter pool instances (g5.2xlarge, on-demand)", kind: Fixed,
			// 5 × 730 × 1.212 = 4,423.80.
			monthly: 0, baseNodes: 0, limitNodes: 5, lowUSD: 0, highUSD: 4423.80, tenXFits: true, tenXNodes: 0,
			noteHas: []string{"$0.00 at the baseline of 0 nodes to $4,423.80 at the limit of 5 nodes"},
			volumes: 0, volumesKind: Fixed,
		},
		{
			name: "GPU baseline: 3 GPUs need 3 single-GPU nodes",
			records: karpenterPool("ml", []string{"g5.xlarge"}, []string{"on-demand"},
				map[string]any{"cpu": "8", "memory": "32768Mi", "nvidia.com/gpu": "2"}, "200Gi", 0),
			baseline: Load{GPUs: 3},
			pool:     "ml", item: "Karpenter pool instances (g5.xlarge, on-demand)", kind: Fixed,
			monthly: 2203.14, baseNodes: 3, limitNodes: 2, lowUSD: 2203.14, highUSD: 1468.76, tenXFits: false, tenXNodes: 30,
		},
		{
			name:    "unknown instance type: listed, not guessed",
			records: karpenterPool("general", []string{"c7i.xlarge"}, []string{"on-demand"}, general, "100Gi", 3),
			pool:    "general", item: "Karpenter pool instances", kind: NoPrice, baseNodes: 3,
			noteHas:    []string{"no instance type with known capacity"},
			problemHas: "c7i.xlarge: vCPUs, memory or pod density not in the repository's tables",
			volumes:    24.00, volumesKind: Fixed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := CalculateWith("us-east-1", tt.records, Options{Baselines: map[string]Load{tt.pool: tt.baseline}})
			resource := "cluster-karpenter-nodepool-" + tt.pool
			l := find(t, e, resource, tt.item)
			assert.Equal(t, tt.kind, l.Kind, "%+v", l)
			assert.InDelta(t, tt.monthly, l.MonthlyUSD, 0.001, "%+v", l)
			for _, s := range tt.noteHas {
				assert.Contains(t, l.Note, s)
			}
			p := poolNamed(t, e, tt.pool)
			assert.Equal(t, tt.baseNodes, p.BaselineNodes)
			assert.Equal(t, tt.limitNodes, p.NodesAtLimit)
			assert.Equal(t, tt.tenXFits, p.TenXFits, "%+v", p)
			assert.Equal(t, tt.tenXNodes, p.NodesForTenX)
			assert.Equal(t, tt.baseline.times(10), p.TenX)
			if tt.kind == Fixed {
				require.NotNil(t, l.Range)
				assert.Equal(t, tt.baseNodes, l.Range.LowNodes)
				assert.Equal(t, tt.limitNodes, l.Range.HighNodes)
				assert.InDelta(t, tt.lowUSD, l.Range.LowUSD, 0.001)
				assert.InDelta(t, tt.highUSD, l.Range.HighUSD, 0.001)
				assert.InDelta(t, tt.lowUSD, p.Cost.Baseline.InstancesUSD, 0.001)
				assert.InDelta(t, tt.highUSD, p.Cost.Limit.InstancesUSD, 0.001)
				// The line's figure is its baseline, and the total counts it.
				assert.InDelta(t, l.MonthlyUSD, l.Range.LowUSD, 0.001)
			}
			if tt.problemHas != "" {
				assert.Contains(t, strings.Join(p.Problems, "; "), tt.problemHas)
			}
			if tt.volumesKind != "" {
				v := find(t, e, resource, "Karpenter pool root volumes")
				assert.Equal(t, tt.volumesKind, v.Kind)
				assert.InDelta(t, tt.volumes, v.MonthlyUSD, 0.001, "%+v", v)
			}
		})
	}
}

// TestPoolHeadroom: the headroom is what the limit leaves after ten times the baseline, and
// goes negative where ten times the baseline does not fit.
func TestPoolHeadroom(t *testing.T) {
	records := karpenterPool("general", []string{"m5.large"}, []string{"spot", "on-demand"},
		map[string]any{"cpu": "8", "memory": "32768Mi"}, "100Gi", 2)
	e := CalculateWith("us-east-1", records, Options{Baselines: map[string]Load{"general": {MilliCPU: 1000, MemoryMiB: 1024}}})
	p := poolNamed(t, e, "general")
	// 4 × (1,930 − 355) = 6,300m and 4 × (6,903 − 872) = 24,124 MiB against 10,000m and 10,240 MiB.
	assert.Equal(t, Load{MilliCPU: 6300, MemoryMiB: 24124}, p.AtLimit)
	assert.Equal(t, Load{MilliCPU: -3700, MemoryMiB: 13884}, p.Headroom)
	require.NotNil(t, p.Cost.Spot)
	assert.InDelta(t, 66, p.Cost.Spot.SavingPercent, 1e-9)
	assert.Equal(t, "15-20%", p.Cost.Spot.InterruptionBand)
	// Limits are counted in capacity (memory less the VM overhead), as Karpenter counts them.
	assert.Equal(t, Load{MilliCPU: 8000, MemoryMiB: 32768}, p.Limits)
	assert.EqualValues(t, 4, p.NodesAtLimit)
}

// TestPoolsWithoutATable: capacity does not depend on prices; amounts do.
func TestPoolsWithoutATable(t *testing.T) {
	records := karpenterPool("general", []string{"m5.xlarge"}, []string{"on-demand"}, map[string]any{"cpu": "40", "memory": "163840Mi"}, "100Gi", 3)
	e := CalculateWith("eu-west-1", records, Options{Baselines: map[string]Load{"general": {MilliCPU: 3000, MemoryMiB: 6144}}})
	p := poolNamed(t, e, "general")
	assert.True(t, p.TenXFits)
	assert.False(t, p.Cost.Baseline.Priced)
	l := find(t, e, "cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.xlarge, on-demand)")
	assert.Equal(t, NoPrice, l.Kind)
	assert.InDelta(t, 3*730, l.Quantity, 0.001)
	assert.Zero(t, e.TotalMonthlyUSD)
}

func TestQuantities(t *testing.T) {
	for q, want := range map[string]int64{"40": 40000, "500m": 500, "1.5": 1500} {
		got, ok := milliCores(q)
		require.True(t, ok, q)
		assert.Equal(t, want, got, q)
	}
	for q, want := range map[string]int64{"163840Mi": 163840, "16Gi": 16384, "1073741824": 1024} {
		got, ok := mebibytes(q)
		require.True(t, ok, q)
		assert.Equal(t, want, got, q)
	}
	for _, q := range []string{"", "lots", "-1", "NaN"} {
		_, ok := milliCores(q)
		assert.False(t, ok, q)
		_, ok = mebibytes(q)
		assert.False(t, ok, q)
	}
}

func TestInterruptionQueueAndRulesAreUsageBased(t *testing.T) {
	e := Calculate("us-east-1", []*mock.Resource{res(tSQSQueue, "cluster-karpenter-interruption", nil),
		res(tEventRule, "cluster-karpenter-spot-interruption", nil)})
	q := find(t, e, "cluster-karpenter-interruption", "SQS requests")
	assert.Equal(t, Usage, q.Kind)
	assert.InDelta(t, 0.40, q.UnitPriceUSD, 1e-9)
	r := find(t, e, "cluster-karpenter-spot-interruption", "EventBridge events matched")
	assert.Equal(t, Usage, r.Kind)
	assert.Contains(t, r.Note, "ingested free")
	assert.True(t, r.NoCharge())
	assert.False(t, q.NoCharge())
	assert.Zero(t, e.TotalMonthlyUSD)
}

func TestFixedSizeNodeGroupNote(t *testing.T) {
	e := Calculate("us-east-1", []*mock.Resource{nodeGroup("cluster-system", "m5.large", 2, 2, 2)})
	l := find(t, e, "cluster-system", "Node group instances (m5.large)")
	assert.Equal(t, "fixed size: 2 nodes × 730 h (minSize = desiredSize = maxSize)", l.Note)
	assert.InDelta(t, 140.16, l.MonthlyUSD, 0.001)
	e = Calculate("us-east-1", []*mock.Resource{nodeGroup("scaled", "m5.large", 1, 2, 4)})
	assert.Contains(t, find(t, e, "scaled", "Node group instances").Note, "scaling may move it between minSize 1 and maxSize 4")
	assert.NotContains(t, find(t, e, "scaled", "Node group instances").Note, "autoscaler")
}
