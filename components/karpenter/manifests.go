package karpenter

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/novacron/platform/internal/awslimits"
)

// API versions of the objects the component writes (karpenter-crd chart 1.14.1).
const (
	NodePoolAPIVersion     = "karpenter.sh/v1"
	EC2NodeClassAPIVersion = "karpenter.k8s.aws/v1"
	// DiscoveryTag marks the private subnets and the node security group the EC2NodeClasses
	// select; its value is the cluster name.
	DiscoveryTag = "karpenter.sh/discovery"
	// FloorPriorityClass is the priority of the floor's placeholder pods: below every real pod,
	// so the scheduler preempts a placeholder rather than leave a real pod pending.
	FloorPriorityClass = "capacity-floor"
	// FloorPriority is below the default of 0 that pods without a class get.
	FloorPriority = -100
	// floorImage is the pause container: it does nothing and needs next to nothing.
	floorImage = "registry.k8s.io/pause:3.10"
	// floorNamespace holds the placeholders with the other cluster services.
	floorNamespace = "kube-system"
)

// Limits are a pool's ceiling: Karpenter launches no node that would take the pool's running
// capacity beyond them.
type Limits struct {
	CPU       int // vCPUs
	MemoryMiB int
	GPUs      int
}

// PoolLimits derives a pool's limits from MaxNodes: MaxNodes nodes of its largest instance type.
// Instance types that are not catalogued count as zero (Validate refuses them).
func PoolLimits(np NodePoolArgs) Limits {
	var l Limits
	for _, name := range np.InstanceTypes {
		it, _ := awslimits.LookupInstanceType(name)
		l.CPU = max(l.CPU, it.VCPUs)
		l.MemoryMiB = max(l.MemoryMiB, it.MemoryMiB)
		l.GPUs = max(l.GPUs, it.GPUs)
	}
	l.CPU *= np.MaxNodes
	l.MemoryMiB *= np.MaxNodes
	l.GPUs *= np.MaxNodes
	return l
}

// NodePool returns the karpenter.sh/v1 NodePool of a pool (defaults applied), as the document
// the API server receives.
func NodePool(a Args, np NodePoolArgs) (map[string]any, error) {
	capacityTypes := []any{OnDemand}
	if np.CapacityType == Spot {
		// On-demand stays allowed: Karpenter prefers Spot when both are allowed and falls back
		// to on-demand only when no Spot pool has capacity (Karpenter docs, NodePools,
		// "capacity-type").
		capacityTypes = []any{Spot, OnDemand}
	}
	requirements := []any{
		requirement("node.kubernetes.io/instance-type", np.InstanceTypes),
		map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacityTypes},
		requirement("topology.kubernetes.io/zone", a.AvailabilityZones),
		requirement("kubernetes.io/os", []string{"linux"}),
	}
	var taints []any
	for _, t := range np.Taints {
		taints = append(taints, map[string]any{"key": t.Key, "value": t.Value, "effect": t.Effect})
	}
	schedule, duration, err := windowBlock(a.MaintenanceWindowStart, a.MaintenanceWindowHours)
	if err != nil {
		return nil, err
	}
	budgets := []any{
		// At most this share of the pool's nodes is disrupted at once, whatever the reason.
		map[string]any{"nodes": strconv.Itoa(DefaultDisruptionPercent) + "%"},
		// A new AMI (drift) replaces nodes only inside the maintenance window: outside it, no
		// node may be disrupted for drift.
		map[string]any{"nodes": "0", "reasons": []any{"Drifted"}, "schedule": schedule, "duration": duration},
	}
	limits := PoolLimits(np)
	limitList := map[string]any{
		"cpu":    strconv.Itoa(limits.CPU),
		"memory": strconv.Itoa(limits.MemoryMiB) + "Mi",
	}
	if limits.GPUs > 0 {
		limitList["nvidia.com/gpu"] = strconv.Itoa(limits.GPUs)
	}
	template := map[string]any{
		"nodeClassRef": map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": np.Name},
		"requirements": requirements,
		"expireAfter":  np.ExpireAfter,
	}
	if len(taints) > 0 {
		template["taints"] = taints
	}
	if np.TerminationGracePeriod != "" {
		template["terminationGracePeriod"] = np.TerminationGracePeriod
	}
	return map[string]any{
		"apiVersion": NodePoolAPIVersion,
		"kind":       "NodePool",
		"metadata":   map[string]any{"name": np.Name},
		"spec": map[string]any{
			"template": map[string]any{
				"metadata": map[string]any{"labels": stringMap(np.Labels)},
				"spec":     template,
			},
			"disruption": map[string]any{
				"consolidationPolicy": np.Consolidation,
				"consolidateAfter":    np.ConsolidateAfter,
				"budgets":             budgets,
			},
			"limits": limitList,
		},
	}, nil
}

// EC2NodeClass returns the karpenter.k8s.aws/v1 EC2NodeClass of a pool (defaults applied):
// the pinned AL2023 release, the discovery-tagged subnets and security group, IMDSv2 with a hop
// limit of 1, an encrypted gp3 root volume, and the cost-allocation tags.
func EC2NodeClass(a Args, np NodePoolArgs, nodeRoleName string) map[string]any {
	discovery := map[string]any{"tags": map[string]any{DiscoveryTag: a.ClusterName}}
	spec := map[string]any{
		"role":                       nodeRoleName,
		"amiSelectorTerms":           []any{map[string]any{"alias": AmiAlias(a.NodeAmiRelease)}},
		"subnetSelectorTerms":        []any{discovery},
		"securityGroupSelectorTerms": []any{discovery},
		// IMDSv2 only, one hop: a pod cannot reach the node role's credentials.
		"metadataOptions": map[string]any{
			"httpEndpoint":            "enabled",
			"httpProtocolIPv6":        "disabled",
			"httpPutResponseHopLimit": 1,
			"httpTokens":              "required",
		},
		"blockDeviceMappings": []any{map[string]any{
			// The AL2023 root device.
			"deviceName": "/dev/xvda",
			"rootVolume": true,
			"ebs": map[string]any{
				"volumeSize":          strconv.Itoa(np.DiskSizeGb) + "Gi",
				"volumeType":          "gp3",
				"encrypted":           true,
				"deleteOnTermination": true,
			},
		}},
	}
	// No Name tag: Karpenter names each instance after its node when the tag is absent
	// (provider pkg/controllers/nodeclaim/tagging at v1.14.1).
	if len(a.NodeTags) > 0 {
		spec["tags"] = stringMap(a.NodeTags)
	}
	return map[string]any{
		"apiVersion": EC2NodeClassAPIVersion,
		"kind":       "EC2NodeClass",
		"metadata":   map[string]any{"name": np.Name},
		"spec":       spec,
	}
}

// FloorDeployment returns the Deployment that holds a pool's floor: MinNodes placeholder pods of
// the lowest priority, each needing a node of its own (anti-affinity on the host name), spread
// evenly across zones and tolerating the pool's taints. Karpenter keeps a node for each; a real
// pod that does not fit preempts a placeholder, which goes pending and brings a new node: the
// floor doubles as headroom for a spike. It returns nil when the pool has no floor.
func FloorDeployment(np NodePoolArgs) map[string]any {
	if np.MinNodes == 0 {
		return nil
	}
	name := "capacity-floor-" + np.Name
	labels := map[string]any{"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "novacron-platform"}
	var tolerations []any
	for _, t := range np.Taints {
		tolerations = append(tolerations, map[string]any{"key": t.Key, "operator": "Equal", "value": t.Value, "effect": t.Effect})
	}
	selector := map[string]any{"matchLabels": labels}
	pod := map[string]any{
		"priorityClassName":             FloorPriorityClass,
		"terminationGracePeriodSeconds": 0,
		"automountServiceAccountToken":  false,
		// Karpenter labels every node with its pool's name; the pool's own labels may be empty
		// or shared with another pool.
		"nodeSelector": map[string]any{"karpenter.sh/nodepool": np.Name},
		"affinity": map[string]any{"podAntiAffinity": map[string]any{
			"requiredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
				"labelSelector": selector, "topologyKey": "kubernetes.io/hostname",
			}},
		}},
		"topologySpreadConstraints": []any{map[string]any{
			"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
			"whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector,
		}},
		"securityContext": map[string]any{
			"runAsNonRoot": true, "runAsUser": 65535, "seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"containers": []any{map[string]any{
			"name":  "pause",
			"image": floorImage,
			// Small requests: real pods share the node with the placeholder and preempt it only
			// when the node is otherwise full.
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "10m", "memory": "16Mi"},
				"limits":   map[string]any{"cpu": "10m", "memory": "16Mi"},
			},
			"securityContext": map[string]any{
				"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
				"capabilities": map[string]any{"drop": []any{"ALL"}},
			},
		}},
	}
	if len(tolerations) > 0 {
		pod["tolerations"] = tolerations
	}
	return map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name, "namespace": floorNamespace, "labels": labels},
		"spec": map[string]any{
			"replicas": np.MinNodes,
			"selector": selector,
			"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": pod},
		},
	}
}

// FloorPriorityClassObject is the PriorityClass of the placeholders: it never preempts anything.
func FloorPriorityClassObject() map[string]any {
	return map[string]any{
		"apiVersion":       "scheduling.k8s.io/v1",
		"kind":             "PriorityClass",
		"metadata":         map[string]any{"name": FloorPriorityClass},
		"value":            FloorPriority,
		"preemptionPolicy": "Never",
		"globalDefault":    false,
		"description":      "Placeholder pods that hold a node pool's floor; every real pod preempts them.",
	}
}

// Manifests returns every object the component writes into the cluster, in apply order after the
// CRDs: the floor's PriorityClass, then per pool its EC2NodeClass, NodePool and floor.
func Manifests(a Args, nodeRoleName string) ([]map[string]any, error) {
	args := a.withDefaults()
	out := []map[string]any{FloorPriorityClassObject()}
	for _, np := range args.NodePools {
		pool, err := NodePool(args, np)
		if err != nil {
			return nil, fmt.Errorf("node pool %s: %w", np.Name, err)
		}
		out = append(out, EC2NodeClass(args, np, nodeRoleName), pool)
		if floor := FloorDeployment(np); floor != nil {
			out = append(out, floor)
		}
	}
	return out, nil
}

func requirement(key string, values []string) map[string]any {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return map[string]any{"key": key, "operator": "In", "values": vs}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out[k] = m[k]
	}
	return out
}
