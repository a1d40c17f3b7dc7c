package karpenter

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/novacron/platform/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testNodeRole is the node role name the EC2NodeClasses are written with in these tests.
const testNodeRole = "novacron-production-karpenter-node"

// prodArgs is production's shape: a general on-demand pool with a floor of three nodes and a
// tainted GPU pool that scales from zero and only removes empty nodes.
func prodArgs() Args {
	return Args{
		ClusterName:       "novacron-production",
		Region:            "us-east-1",
		KubernetesVersion: "1.35",
		AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		NodeAmiRelease:    "1.35.3-20261120",
		NodeTags:          map[string]string{"CostCenter": "platform", "Environment": "production"},
		NodePools: []NodePoolArgs{
			{
				Name:          "general",
				InstanceTypes: []string{"m5.xlarge"},
				MinNodes:      3,
				MaxNodes:      10,
				Labels:        map[string]string{"workload": "general"},
			},
			{
				Name:          "ml",
				InstanceTypes: []string{"g5.2xlarge"},
				MaxNodes:      5,
				Gpu:           true,
				Labels:        map[string]string{"workload": "ml"},
				Taints:        []Taint{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}},
				Consolidation: WhenEmpty,
			},
		},
	}
}

// spotArgs is prodArgs with the general pool on Spot across three interchangeable families.
func spotArgs() Args {
	a := prodArgs()
	a.NodePools[0].CapacityType = Spot
	a.NodePools[0].InstanceTypes = []string{"m5.xlarge", "m6i.xlarge", "m7i.xlarge"}
	return a
}

// pool returns the named pool of a with defaults applied, and the defaulted Args.
func pool(t *testing.T, a Args, name string) (Args, NodePoolArgs) {
	t.Helper()
	d := a.withDefaults()
	for _, np := range d.NodePools {
		if np.Name == name {
			return d, np
		}
	}
	require.FailNow(t, "no such pool", name)
	return d, NodePoolArgs{}
}

func nodePoolSpec(t *testing.T, a Args, name string) map[string]any {
	t.Helper()
	d, np := pool(t, a, name)
	doc, err := NodePool(d, np)
	require.NoError(t, err)
	assert.Equal(t, "karpenter.sh/v1", doc["apiVersion"])
	assert.Equal(t, "NodePool", doc["kind"])
	assert.Equal(t, map[string]any{"name": name}, doc["metadata"])
	return doc["spec"].(map[string]any)
}

// templateSpec is spec.template.spec of a NodePool spec.
func templateSpec(spec map[string]any) map[string]any {
	return spec["template"].(map[string]any)["spec"].(map[string]any)
}

func TestNodePoolRequirements(t *testing.T) {
	zones := []any{"us-east-1a", "us-east-1b", "us-east-1c"}
	tests := []struct {
		name          string
		args          Args
		pool          string
		instanceTypes []any
		capacityTypes []any
	}{
		{"on-demand general", prodArgs(), "general", []any{"m5.xlarge"}, []any{"on-demand"}},
		{"on-demand GPU", prodArgs(), "ml", []any{"g5.2xlarge"}, []any{"on-demand"}},
		// A Spot pool falls back to on-demand when no Spot capacity fits.
		{"spot general", spotArgs(), "general", []any{"m5.xlarge", "m6i.xlarge", "m7i.xlarge"}, []any{"spot", "on-demand"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := templateSpec(nodePoolSpec(t, tt.args, tt.pool))["requirements"]
			want := []any{
				map[string]any{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": tt.instanceTypes},
				map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": tt.capacityTypes},
				map[string]any{"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones},
				map[string]any{"key": "kubernetes.io/os", "operator": "In", "values": []any{"linux"}},
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestNodePoolTemplate(t *testing.T) {
	tests := []struct {
		pool   string
		labels map[string]any
		taints []any // nil: no taints key at all
	}{
		{"general", map[string]any{"workload": "general"}, nil},
		{"ml", map[string]any{"workload": "ml"}, []any{map[string]any{"key": "ml-workload", "value": "true", "effect": "NoSchedule"}}},
	}
	for _, tt := range tests {
		t.Run(tt.pool, func(t *testing.T) {
			spec := nodePoolSpec(t, prodArgs(), tt.pool)
			template := spec["template"].(map[string]any)
			assert.Equal(t, map[string]any{"labels": tt.labels}, template["metadata"])
			ts := templateSpec(spec)
			taints, ok := ts["taints"]
			if tt.taints == nil {
				assert.False(t, ok, "a pool without taints writes no taints key")
			} else {
				assert.Equal(t, tt.taints, taints)
			}
			// The class of the same name, in the provider's group.
			assert.Equal(t, map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": tt.pool}, ts["nodeClassRef"])
			assert.Equal(t, DefaultExpireAfter, ts["expireAfter"])
		})
	}
}

func TestPoolLimits(t *testing.T) {
	tests := []struct {
		name string
		pool NodePoolArgs
		want Limits
	}{
		{"g5.2xlarge x5", NodePoolArgs{InstanceTypes: []string{"g5.2xlarge"}, MaxNodes: 5}, Limits{CPU: 40, MemoryMiB: 5 * 32768, GPUs: 5}},
		{"m5.xlarge x10", NodePoolArgs{InstanceTypes: []string{"m5.xlarge"}, MaxNodes: 10}, Limits{CPU: 40, MemoryMiB: 10 * 16384}},
		// The largest type sets the per-node figure, whatever the order.
		{"largest of several", NodePoolArgs{InstanceTypes: []string{"m5.2xlarge", "m5.xlarge"}, MaxNodes: 3}, Limits{CPU: 24, MemoryMiB: 3 * 32768}},
		{"largest GPU count", NodePoolArgs{InstanceTypes: []string{"g5.xlarge", "g5.4xlarge"}, MaxNodes: 2}, Limits{CPU: 32, MemoryMiB: 2 * 65536, GPUs: 2}},
		{"uncatalogued counts as zero", NodePoolArgs{InstanceTypes: []string{"m5.xlage"}, MaxNodes: 4}, Limits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, PoolLimits(tt.pool))
		})
	}
}

func TestNodePoolLimits(t *testing.T) {
	assert.Equal(t, map[string]any{"cpu": "40", "memory": "163840Mi"}, nodePoolSpec(t, prodArgs(), "general")["limits"],
		"a pool without GPUs sets no GPU limit")
	assert.Equal(t, map[string]any{"cpu": "40", "memory": "163840Mi", "nvidia.com/gpu": "5"}, nodePoolSpec(t, prodArgs(), "ml")["limits"])
}

func TestNodePoolDisruption(t *testing.T) {
	drift := func(schedule, duration string) map[string]any {
		return map[string]any{"nodes": "0", "reasons": []any{"Drifted"}, "schedule": schedule, "duration": duration}
	}
	tests := []struct {
		name   string
		mutate func(*Args)
		pool   string
		want   map[string]any
	}{
		{
			name: "general defaults", pool: "general",
			want: map[string]any{
				"consolidationPolicy": WhenEmptyOrUnderutilized, "consolidateAfter": "5m",
				"budgets": []any{map[string]any{"nodes": "10%"}, drift("0 6 * * *", "20h")},
			},
		},
		{
			name: "GPU pool removes empty nodes only", pool: "ml",
			want: map[string]any{
				"consolidationPolicy": WhenEmpty, "consolidateAfter": "5m",
				"budgets": []any{map[string]any{"nodes": "10%"}, drift("0 6 * * *", "20h")},
			},
		},
		{
			name: "window across midnight", pool: "general",
			mutate: func(a *Args) {
				a.MaintenanceWindowStart, a.MaintenanceWindowHours = "22:30", 4
				a.NodePools[0].ConsolidateAfter = "10m"
			},
			want: map[string]any{
				"consolidationPolicy": WhenEmptyOrUnderutilized, "consolidateAfter": "10m",
				"budgets": []any{map[string]any{"nodes": "10%"}, drift("30 2 * * *", "20h")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := prodArgs()
			if tt.mutate != nil {
				tt.mutate(&a)
			}
			assert.Equal(t, tt.want, nodePoolSpec(t, a, tt.pool)["disruption"])
		})
	}
}

func TestWindowBlock(t *testing.T) {
	tests := []struct {
		start              string
		hours              int
		schedule, duration string
		err                bool
	}{
		// The block starts when the window ends and lasts until it opens again the next day.
		{start: "02:00", hours: 4, schedule: "0 6 * * *", duration: "20h"},
		{start: "22:30", hours: 4, schedule: "30 2 * * *", duration: "20h"},
		{start: "00:00", hours: 23, schedule: "0 23 * * *", duration: "1h"},
		{start: "23:59", hours: 1, schedule: "59 0 * * *", duration: "23h"},
		{start: "20:15", hours: 4, schedule: "15 0 * * *", duration: "20h"},
		{start: "2:00", hours: 4, err: true},
		{start: "24:00", hours: 4, err: true},
		{start: "", hours: 4, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.start, func(t *testing.T) {
			schedule, duration, err := windowBlock(tt.start, tt.hours)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.schedule, schedule)
			assert.Equal(t, tt.duration, duration)
		})
	}
}

func TestEC2NodeClass(t *testing.T) {
	d, np := pool(t, prodArgs(), "ml")
	doc := EC2NodeClass(d, np, testNodeRole)
	assert.Equal(t, "karpenter.k8s.aws/v1", doc["apiVersion"])
	assert.Equal(t, "EC2NodeClass", doc["kind"])
	assert.Equal(t, map[string]any{"name": "ml"}, doc["metadata"])
	spec := doc["spec"].(map[string]any)
	discovery := []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "novacron-production"}}}
	want := map[string]any{
		"role":                       testNodeRole,
		"amiSelectorTerms":           []any{map[string]any{"alias": "al2023@v20261120"}},
		"subnetSelectorTerms":        discovery,
		"securityGroupSelectorTerms": discovery,
		"metadataOptions": map[string]any{
			"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": 1, "httpTokens": "required",
		},
		"blockDeviceMappings": []any{map[string]any{
			"deviceName": "/dev/xvda", "rootVolume": true,
			"ebs": map[string]any{"volumeSize": "100Gi", "volumeType": "gp3", "encrypted": true, "deleteOnTermination": true},
		}},
		"tags": map[string]any{"CostCenter": "platform", "Environment": "production"},
	}
	assert.Equal(t, want, spec)
}

func TestEC2NodeClassVariants(t *testing.T) {
	a := prodArgs()
	a.NodePools[0].DiskSizeGb = 250
	a.NodeAmiRelease = "1.35.0-20260105"
	d, np := pool(t, a, "general")
	spec := EC2NodeClass(d, np, testNodeRole)["spec"].(map[string]any)
	assert.Equal(t, "250Gi", spec["blockDeviceMappings"].([]any)[0].(map[string]any)["ebs"].(map[string]any)["volumeSize"])
	assert.Equal(t, []any{map[string]any{"alias": "al2023@v20260105"}}, spec["amiSelectorTerms"])

	a.NodeTags = nil
	d, np = pool(t, a, "general")
	_, tagged := EC2NodeClass(d, np, testNodeRole)["spec"].(map[string]any)["tags"]
	assert.False(t, tagged, "no node tags: no tags key")
}

func TestFloorDeployment(t *testing.T) {
	t.Run("no floor", func(t *testing.T) {
		_, np := pool(t, prodArgs(), "ml")
		assert.Nil(t, FloorDeployment(np))
	})
	t.Run("general floor", func(t *testing.T) {
		_, np := pool(t, prodArgs(), "general")
		doc := FloorDeployment(np)
		require.NotNil(t, doc)
		assert.Equal(t, "apps/v1", doc["apiVersion"])
		assert.Equal(t, "Deployment", doc["kind"])
		meta := doc["metadata"].(map[string]any)
		assert.Equal(t, "capacity-floor-general", meta["name"])
		assert.Equal(t, "kube-system", meta["namespace"])
		spec := doc["spec"].(map[string]any)
		assert.Equal(t, 3, spec["replicas"])
		selector := spec["selector"].(map[string]any)
		podLabels := spec["template"].(map[string]any)["metadata"].(map[string]any)["labels"]
		assert.Equal(t, selector["matchLabels"], podLabels, "the selector selects the template's pods")

		pod := spec["template"].(map[string]any)["spec"].(map[string]any)
		assert.Equal(t, FloorPriorityClass, pod["priorityClassName"])
		assert.Equal(t, map[string]any{"karpenter.sh/nodepool": "general"}, pod["nodeSelector"])
		// One placeholder per node: required anti-affinity on the host name against its own pods.
		assert.Equal(t, map[string]any{"podAntiAffinity": map[string]any{
			"requiredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
				"labelSelector": selector, "topologyKey": "kubernetes.io/hostname",
			}},
		}}, pod["affinity"])
		spread := pod["topologySpreadConstraints"].([]any)[0].(map[string]any)
		assert.Equal(t, "topology.kubernetes.io/zone", spread["topologyKey"])
		assert.Equal(t, selector, spread["labelSelector"])
		_, tolerates := pod["tolerations"]
		assert.False(t, tolerates, "an untainted pool needs no tolerations")
	})
	t.Run("tainted pool", func(t *testing.T) {
		np := NodePoolArgs{
			Name: "batch", InstanceTypes: []string{"m5.2xlarge"}, MinNodes: 2, MaxNodes: 6,
			Labels: map[string]string{"workload": "batch"},
			Taints: []Taint{{Key: "dedicated", Value: "batch", Effect: "NoSchedule"}, {Key: "spot-only", Value: "yes", Effect: "NoExecute"}},
		}
		doc := FloorDeployment(np)
		require.NotNil(t, doc)
		spec := doc["spec"].(map[string]any)
		assert.Equal(t, 2, spec["replicas"])
		pod := spec["template"].(map[string]any)["spec"].(map[string]any)
		assert.Equal(t, []any{
			map[string]any{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"},
			map[string]any{"key": "spot-only", "operator": "Equal", "value": "yes", "effect": "NoExecute"},
		}, pod["tolerations"])
	})
}

func TestManifestsOrder(t *testing.T) {
	docs, err := Manifests(prodArgs(), testNodeRole)
	require.NoError(t, err)
	var got []string
	for _, d := range docs {
		got = append(got, d["kind"].(string)+"/"+d["metadata"].(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{
		"PriorityClass/capacity-floor",
		"EC2NodeClass/general", "NodePool/general", "Deployment/capacity-floor-general",
		"EC2NodeClass/ml", "NodePool/ml",
	}, got)

	a := prodArgs()
	a.MaintenanceWindowStart = "6am"
	_, err = Manifests(a, testNodeRole)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node pool general")
}

func TestAmiAlias(t *testing.T) {
	tests := map[string]string{
		"1.35.3-20261120":  "al2023@v20261120",
		"1.34.10-20260901": "al2023@v20260901",
		"1.35-20261120":    "",
		"v20261120":        "",
		"latest":           "",
		"":                 "",
	}
	for release, want := range tests {
		assert.Equal(t, want, AmiAlias(release), release)
	}
}

func TestCheckAmiRelease(t *testing.T) {
	tests := []struct {
		release, kubernetes string
		want                string // substring of the one problem; empty: none
	}{
		{"1.35.3-20261120", "1.35", ""},
		{"1.35.3-20261120", "", ""}, // the version's own check reports a missing version
		{"", "1.35", "must pin an EKS Amazon Linux 2023 AMI release"},
		{"20261120", "1.35", `must be an EKS AMI release version "<kubernetes patch>-<YYYYMMDD>"`},
		{"1.35.3", "1.35", "must be an EKS AMI release version"},
		{"v1.35.3-20261120", "1.35", "must be an EKS AMI release version"},
		{"1.34.2-20261120", "1.35", `must be a release for Kubernetes 1.35 (the cluster's kubernetesVersion), got "1.34.2-20261120"`},
		{"1.35.3-20261301", "1.35", "has no valid build date"},
		{"1.35.3-20221116", "1.35", "has no valid build date"},
	}
	for _, tt := range tests {
		t.Run(tt.release+"/"+tt.kubernetes, func(t *testing.T) {
			var p validate.Problems
			CheckAmiRelease(&p, "nodeAmiRelease", tt.release, tt.kubernetes)
			if tt.want == "" {
				assert.Empty(t, p)
				return
			}
			require.Len(t, p, 1)
			assert.Equal(t, "nodeAmiRelease", p[0].Field)
			assert.Contains(t, p[0].Message, tt.want)
		})
	}
}

func TestValidate(t *testing.T) {
	general := func(f func(*NodePoolArgs)) func(*Args) { return func(a *Args) { f(&a.NodePools[0]) } }
	ml := func(f func(*NodePoolArgs)) func(*Args) { return func(a *Args) { f(&a.NodePools[1]) } }
	tests := []struct {
		name    string
		mutate  func(*Args)
		fields  []string // every problem's field, in order
		message string   // substring of the first problem's message
	}{
		{name: "production", mutate: func(*Args) {}},
		{name: "spot", mutate: func(a *Args) { *a = spotArgs() }},
		{name: "expireAfter Never", mutate: general(func(np *NodePoolArgs) { np.ExpireAfter = "Never" })},
		{name: "custom label domain", mutate: general(func(np *NodePoolArgs) { np.Labels = map[string]string{"novacron.io/team": "platform"} })},
		{
			name:    "cluster name too long for the node role",
			mutate:  func(a *Args) { a.ClusterName = strings.Repeat("c", 50) },
			fields:  []string{"clusterName"},
			message: "over IAM's 64",
		},
		{name: "consolidateAfter Never", mutate: general(func(np *NodePoolArgs) { np.ConsolidateAfter = "Never" })},
		{
			name:    "domain ending in karpenter.sh",
			mutate:  general(func(np *NodePoolArgs) { np.Labels = map[string]string{"notkarpenter.sh/team": "a"} }),
			fields:  []string{"nodePools.general.labels"},
			message: "reserved label domain",
		},
		{
			name:    "tag Karpenter sets itself",
			mutate:  func(a *Args) { a.NodeTags = map[string]string{"karpenter.sh/nodepool": "x"} },
			fields:  []string{"nodeTags"},
			message: "Karpenter sets it on every node itself",
		},
		{
			name:    "cluster ownership tag",
			mutate:  func(a *Args) { a.NodeTags = map[string]string{"kubernetes.io/cluster/other": "owned"} },
			fields:  []string{"nodeTags"},
			message: "Karpenter sets it on every node itself",
		},
		{
			name:   "nothing set",
			mutate: func(a *Args) { *a = Args{} },
			fields: []string{"clusterName", "region", "availabilityZones", "nodeAmiRelease", "nodePools"},
		},
		{
			name:    "non-GPU type in a GPU pool",
			mutate:  ml(func(np *NodePoolArgs) { np.InstanceTypes = []string{"m5.xlarge"} }),
			fields:  []string{"nodePools.ml.instanceTypes"},
			message: "must be NVIDIA GPU types for a GPU pool, got m5.xlarge (m5 family has no GPU)",
		},
		{
			name:    "GPU type in a general pool",
			mutate:  general(func(np *NodePoolArgs) { np.InstanceTypes = []string{"m5.xlarge", "g5.xlarge"} }),
			fields:  []string{"nodePools.general.instanceTypes"},
			message: "must not be GPU types in a pool without GPU, got g5.xlarge",
		},
		{
			name:    "mixed architectures",
			mutate:  general(func(np *NodePoolArgs) { np.InstanceTypes = []string{"m5.xlarge", "m6g.xlarge"} }),
			fields:  []string{"nodePools.general.instanceTypes"},
			message: "must share one architecture",
		},
		{
			name:    "misspelt instance type",
			mutate:  general(func(np *NodePoolArgs) { np.InstanceTypes = []string{"m5.xlage"} }),
			fields:  []string{"nodePools.general.instanceTypes"},
			message: `(did you mean "m5.xlarge"?)`,
		},
		{
			name:    "retired GPU type",
			mutate:  ml(func(np *NodePoolArgs) { np.InstanceTypes = []string{"p3.2xlarge"} }),
			fields:  []string{"nodePools.ml.instanceTypes"},
			message: "retired",
		},
		{
			name:   "no instance types",
			mutate: general(func(np *NodePoolArgs) { np.InstanceTypes = nil }),
			fields: []string{"nodePools.general.instanceTypes"},
		},
		{
			name:    "minNodes above maxNodes",
			mutate:  general(func(np *NodePoolArgs) { np.MinNodes = 11 }),
			fields:  []string{"nodePools.general.minNodes"},
			message: "(11) must not exceed maxNodes (10)",
		},
		{
			name:    "maxNodes zero",
			mutate:  general(func(np *NodePoolArgs) { np.MaxNodes = 0 }),
			fields:  []string{"nodePools.general.maxNodes"},
			message: "must be at least 1, got 0",
		},
		{
			name:    "negative minNodes",
			mutate:  general(func(np *NodePoolArgs) { np.MinNodes = -1 }),
			fields:  []string{"nodePools.general.minNodes"},
			message: "must not be negative",
		},
		{
			name:    "GPU pool with a floor",
			mutate:  ml(func(np *NodePoolArgs) { np.MinNodes = 1 }),
			fields:  []string{"nodePools.ml.minNodes"},
			message: "must be 0 for a GPU pool",
		},
		{
			name:    "GPU pool consolidating underutilized nodes",
			mutate:  ml(func(np *NodePoolArgs) { np.Consolidation = WhenEmptyOrUnderutilized }),
			fields:  []string{"nodePools.ml.consolidation"},
			message: `must be "WhenEmpty" for a GPU pool`,
		},
		{
			// The default is WhenEmptyOrUnderutilized: a GPU pool must say WhenEmpty.
			name:    "GPU pool with the default consolidation",
			mutate:  ml(func(np *NodePoolArgs) { np.Consolidation = "" }),
			fields:  []string{"nodePools.ml.consolidation"},
			message: `got "WhenEmptyOrUnderutilized"`,
		},
		{
			name:    "unknown consolidation",
			mutate:  general(func(np *NodePoolArgs) { np.Consolidation = "Always" }),
			fields:  []string{"nodePools.general.consolidation"},
			message: `got "Always"`,
		},
		{
			name:    "GPU pool without taints",
			mutate:  ml(func(np *NodePoolArgs) { np.Taints = nil }),
			fields:  []string{"nodePools.ml.taints"},
			message: "must keep pods that do not ask for a GPU off a GPU pool",
		},
		{
			name:    "bad taint",
			mutate:  ml(func(np *NodePoolArgs) { np.Taints = []Taint{{Value: "true", Effect: "NoScheduleX"}} }),
			fields:  []string{"nodePools.ml.taints", "nodePools.ml.taints"},
			message: "must have a key",
		},
		{
			name:    "capacity type",
			mutate:  general(func(np *NodePoolArgs) { np.CapacityType = "preemptible" }),
			fields:  []string{"nodePools.general.capacityType"},
			message: `got "preemptible"`,
		},
		{
			name:    "disk size",
			mutate:  general(func(np *NodePoolArgs) { np.DiskSizeGb = 10 }),
			fields:  []string{"nodePools.general.diskSizeGb"},
			message: "must be between 20 and 16384, got 10",
		},
		{
			name:    "malformed nodeAmiRelease",
			mutate:  func(a *Args) { a.NodeAmiRelease = "al2023@v20261120" },
			fields:  []string{"nodeAmiRelease"},
			message: "must be an EKS AMI release version",
		},
		{
			name:    "nodeAmiRelease of another minor",
			mutate:  func(a *Args) { a.NodeAmiRelease = "1.34.2-20261120" },
			fields:  []string{"nodeAmiRelease"},
			message: "must be a release for Kubernetes 1.35",
		},
		{
			name:    "unpinned nodeAmiRelease",
			mutate:  func(a *Args) { a.NodeAmiRelease = "" },
			fields:  []string{"nodeAmiRelease"},
			message: "must pin",
		},
		{
			name:    "window start",
			mutate:  func(a *Args) { a.MaintenanceWindowStart = "2:00" },
			fields:  []string{"maintenanceWindowStart"},
			message: `must be a UTC time "HH:MM", got "2:00"`,
		},
		{
			name:    "window start past midnight",
			mutate:  func(a *Args) { a.MaintenanceWindowStart = "24:00" },
			fields:  []string{"maintenanceWindowStart"},
			message: `got "24:00"`,
		},
		{
			name:    "window of a whole day",
			mutate:  func(a *Args) { a.MaintenanceWindowHours = 24 },
			fields:  []string{"maintenanceWindowHours"},
			message: "must be between 1 and 23, got 24",
		},
		{
			name:    "negative window",
			mutate:  func(a *Args) { a.MaintenanceWindowHours = -2 },
			fields:  []string{"maintenanceWindowHours"},
			message: "got -2",
		},
		{
			name:    "consolidateAfter in words",
			mutate:  general(func(np *NodePoolArgs) { np.ConsolidateAfter = "5 minutes" }),
			fields:  []string{"nodePools.general.consolidateAfter"},
			message: `got "5 minutes"`,
		},
		{
			name:    "consolidateAfter in days",
			mutate:  general(func(np *NodePoolArgs) { np.ConsolidateAfter = "1d" }),
			fields:  []string{"nodePools.general.consolidateAfter"},
			message: `got "1d"`,
		},
		{
			name:    "consolidateAfter in milliseconds",
			mutate:  general(func(np *NodePoolArgs) { np.ConsolidateAfter = "500ms" }),
			fields:  []string{"nodePools.general.consolidateAfter"},
			message: `got "500ms"`,
		},
		{
			name:    "expireAfter below an hour",
			mutate:  general(func(np *NodePoolArgs) { np.ExpireAfter = "30m" }),
			fields:  []string{"nodePools.general.expireAfter"},
			message: `must be at least 1h0m0s, got "30m"`,
		},
		{
			name:    "expireAfter fractional",
			mutate:  general(func(np *NodePoolArgs) { np.ExpireAfter = "1.5h" }),
			fields:  []string{"nodePools.general.expireAfter"},
			message: `got "1.5h"`,
		},
		{
			name:    "karpenter.sh label",
			mutate:  general(func(np *NodePoolArgs) { np.Labels = map[string]string{"karpenter.sh/pool": "x"} }),
			fields:  []string{"nodePools.general.labels"},
			message: `"karpenter.sh/pool"`,
		},
		{
			name:    "karpenter.k8s.aws label",
			mutate:  general(func(np *NodePoolArgs) { np.Labels = map[string]string{"karpenter.k8s.aws/x": "y"} }),
			fields:  []string{"nodePools.general.labels"},
			message: `"karpenter.k8s.aws/x"`,
		},
		{
			name:    "kubernetes.io subdomain label",
			mutate:  general(func(np *NodePoolArgs) { np.Labels = map[string]string{"node.kubernetes.io/role": "x"} }),
			fields:  []string{"nodePools.general.labels"},
			message: "reserved label domain",
		},
		{
			name:    "k8s.io label",
			mutate:  general(func(np *NodePoolArgs) { np.Labels = map[string]string{"k8s.io/x": "y"} }),
			fields:  []string{"nodePools.general.labels"},
			message: "reserved label domain",
		},
		{
			name:    "no general pool",
			mutate:  func(a *Args) { a.NodePools = a.NodePools[1:] },
			fields:  []string{"nodePools"},
			message: "must include a pool without a GPU",
		},
		{
			name:    "duplicate pool",
			mutate:  func(a *Args) { a.NodePools = append(a.NodePools, a.NodePools[0]) },
			fields:  []string{"nodePools"},
			message: `names must be unique, got "general" twice`,
		},
		{
			name:    "pool name",
			mutate:  general(func(np *NodePoolArgs) { np.Name = "General" }),
			fields:  []string{"nodePools"},
			message: `got "General"`,
		},
		{
			name:    "chart version",
			mutate:  func(a *Args) { a.ChartVersion = "v1.14" },
			fields:  []string{"chartVersion"},
			message: `got "v1.14"`,
		},
		{
			name:    "node tag",
			mutate:  func(a *Args) { a.NodeTags = map[string]string{"aws:owner": "x"} },
			fields:  []string{"nodeTags"},
			message: "AWS reserves",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := prodArgs()
			tt.mutate(&a)
			got := a.Validate()
			fields := make([]string, 0, len(got))
			for _, p := range got {
				fields = append(fields, p.Field)
			}
			require.Equal(t, tt.fields, nilIfEmpty(fields), "problems: %v", got)
			if tt.message != "" {
				assert.Contains(t, got[0].Message, tt.message)
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// The objects are a reviewable document, and internal/karpentercheck decodes these files into
// Karpenter's own API types.
func TestManifestsGolden(t *testing.T) {
	tests := map[string]Args{
		"manifests.golden.yaml":      prodArgs(),
		"manifests-spot.golden.yaml": spotArgs(),
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			require.Empty(t, args.Validate())
			docs, err := Manifests(args, testNodeRole)
			require.NoError(t, err)
			var buf bytes.Buffer
			for i, d := range docs {
				if i > 0 {
					buf.WriteString("---\n")
				}
				b, err := yaml.Marshal(d)
				require.NoError(t, err)
				buf.Write(b)
			}
			path := filepath.Join("testdata", name)
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create %s", path)
			assert.Equal(t, string(want), buf.String(), "documents differ from %s (review, then run the test with -update)", path)
			assert.Equal(t, len(docs), len(strings.Split(string(want), "\n---\n")))
		})
	}
}
