package pricing

import (
	"math"

	"github.com/novacron/platform/internal/awslimits"
)

// Load is an amount of schedulable resources: what pods request, what nodes offer.
type Load struct {
	MilliCPU  int64 `json:"milliCpu"`
	MemoryMiB int64 `json:"memoryMiB"`
	GPUs      int64 `json:"gpus"`
}

func (l Load) minus(o Load) Load {
	return Load{MilliCPU: l.MilliCPU - o.MilliCPU, MemoryMiB: l.MemoryMiB - o.MemoryMiB, GPUs: l.GPUs - o.GPUs}
}

func (l Load) times(n int64) Load {
	return Load{MilliCPU: l.MilliCPU * n, MemoryMiB: l.MemoryMiB * n, GPUs: l.GPUs * n}
}

// IsZero reports whether the load asks for nothing.
func (l Load) IsZero() bool { return l == Load{} }

// Karpenter's model of a node, as aws/karpenter-provider-aws v1.14.1 computes it for the AL2023
// AMI family (pkg/providers/instancetype/types.go, with the defaults of
// pkg/operator/options/options.go). A node's allocatable is its capacity less kube-reserved and
// the hard eviction threshold; Karpenter launches a node for pending pods only when their
// requests fit that allocatable, so the same arithmetic answers whether a load fits a pool.
const (
	// VMMemoryOverheadPercent is the share of an instance type's memory Karpenter assumes the
	// hypervisor and firmware keep (--vm-memory-overhead-percent, default 0.075): the node's
	// memory capacity is the type's memory less this, rounded up to a whole MiB.
	VMMemoryOverheadPercent = 7.5
	// EvictionHardMemoryMiB is the kubelet's default hard eviction threshold for memory.available
	// (100Mi), which Karpenter subtracts from allocatable memory.
	EvictionHardMemoryMiB = 100
	// KubeReservedBaseMiB and KubeReservedPerPodMiB give kube-reserved memory: 255 MiB plus
	// 11 MiB per pod the node can hold (kubeReservedResources).
	KubeReservedBaseMiB   = 255
	KubeReservedPerPodMiB = 11
)

// kubeReservedMilliCPU is Karpenter's kube-reserved CPU for a node of milliCPU: 6% of the first
// core, 1% of the second, 0.5% of the third and fourth, 0.25% of the rest (kubeReservedResources;
// each range's share is truncated to a whole millicore, as Karpenter does).
func kubeReservedMilliCPU(milliCPU int64) int64 {
	var out int64
	for _, r := range []struct {
		start, end int64
		share      float64
	}{{0, 1000, 0.06}, {1000, 2000, 0.01}, {2000, 4000, 0.005}, {4000, 1 << 31, 0.0025}} {
		if milliCPU < r.start {
			break
		}
		span := r.end - r.start
		if milliCPU < r.end {
			span = milliCPU - r.start
		}
		out += int64(float64(span) * r.share)
	}
	return out
}

// maxPods is the pod density of the VPC CNI without prefix delegation, which Karpenter uses for
// AL2023 (ENILimitedPods: network interfaces × (IPv4 addresses per interface − 1) + 2), for the
// instance types of the price table. Interfaces and addresses per interface from
// aws/karpenter-provider-aws v1.14.1 pkg/providers/instancetype/zz_generated.vpclimits.go
// (generated 2026-05-18); the results match awslabs/amazon-eks-ami's eni-max-pods.txt.
var maxPods = map[string]int64{
	"m5.large": 29, "m5.xlarge": 58, "m5.2xlarge": 58,
	"m6i.large": 29, "m6i.xlarge": 58, "m6i.2xlarge": 58,
	"m7i.large": 29, "m7i.xlarge": 58,
	"r6g.large": 29, "r6g.xlarge": 58,
	"p3.2xlarge": 58,
	"g5.xlarge":  58, "g5.2xlarge": 58,
	"g6.xlarge": 58, "g6.2xlarge": 58,
}

// DaemonSet is the requests of one DaemonSet pod, which every node of a pool runs.
type DaemonSet struct {
	Name      string `json:"name"`
	MilliCPU  int64  `json:"milliCpu"`
	MemoryMiB int64  `json:"memoryMiB"`
	Source    string `json:"source"`
}

// DaemonSets are the platform's per-node pods and their requests: what the scheduler holds
// back on every node before a service pod lands. A DaemonSet without requests reserves nothing
// the scheduler counts (its pods still use memory, which is what kube-reserved and the eviction
// threshold are for).
var DaemonSets = []DaemonSet{
	{"falco", 100, 512, "falcosecurity/charts falco-9.1.0 charts/falco/values.yaml resources.requests " +
		"(components/falco sets none; the falcoctl-artifact-follow sidecar requests nothing)"},
	{"otel-agent", 100, 256, "components/telemetry/values.go agentValues resources.requests"},
	{"node-exporter", 0, 0, "prometheus-community/helm-charts prometheus-node-exporter-4.56.1 (the subchart of " +
		"kube-prometheus-stack 88.5.3) values.yaml resources: {}"},
	{"vpc-cni (aws-node)", 25, 0, "aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml (chart 1.23.1): " +
		"resources.requests.cpu 25m; the network policy agent (nodeAgent) requests nothing"},
	{"kube-proxy", 100, 0, "assumption: the EKS kube-proxy add-on requests 100m CPU and no memory " +
		"(aws/containers-roadmap#1509 asks for the missing memory request)"},
	{"eks-pod-identity-agent", 0, 0, "aws/eks-pod-identity-agent charts/eks-pod-identity-agent/values.yaml resources: {}"},
	{"ebs-csi-node", 30, 104, "kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver: node.resources.requests " +
		"10m/40Mi (values.yaml) plus the node-driver-registrar and liveness-probe defaults of 10m/32Mi each " +
		"(templates/_node.tpl)"},
}

// DaemonSetOverhead is the sum of DaemonSets' requests: what each node gives the platform's own
// agents.
func DaemonSetOverhead() Load {
	var l Load
	for _, d := range DaemonSets {
		l.MilliCPU += d.MilliCPU
		l.MemoryMiB += d.MemoryMiB
	}
	return l
}

// NodeShape is what one node of an instance type offers, in Karpenter's arithmetic.
type NodeShape struct {
	InstanceType string `json:"instanceType"`
	VCPUs        int64  `json:"vcpus"`
	MemoryMiB    int64  `json:"memoryMiB"`
	GPUs         int64  `json:"gpus"`
	MaxPods      int64  `json:"maxPods"`
	// Capacity is what Karpenter counts against a NodePool's limits: the vCPUs, the memory less
	// the VM overhead, the GPUs.
	Capacity Load `json:"capacity"`
	// KubeReserved and EvictionMiB are what the kubelet keeps for itself.
	KubeReserved Load  `json:"kubeReserved"`
	EvictionMiB  int64 `json:"evictionMiB"`
	// Allocatable is what the scheduler may place pods on.
	Allocatable Load `json:"allocatable"`
	// ForServices is Allocatable less the DaemonSets: what is left for the services.
	ForServices Load `json:"forServices"`
}

// Shape returns the node arithmetic of an instance type; ok is false for a type whose size or
// pod density the repository does not carry.
func Shape(instanceType string) (NodeShape, bool) {
	it, ok := awslimits.LookupInstanceType(instanceType)
	pods, known := maxPods[instanceType]
	if !ok || !known {
		return NodeShape{}, false
	}
	memory := int64(it.MemoryMiB)
	if it.Arch == awslimits.ArchARM {
		memory -= 64 // Graviton keeps 64 MiB of CMA memory (Karpenter's memory())
	}
	vm := int64(math.Ceil(float64(memory) * VMMemoryOverheadPercent / 100))
	s := NodeShape{
		InstanceType: instanceType,
		VCPUs:        int64(it.VCPUs),
		MemoryMiB:    int64(it.MemoryMiB),
		GPUs:         int64(it.GPUs),
		MaxPods:      pods,
		Capacity:     Load{MilliCPU: int64(it.VCPUs) * 1000, MemoryMiB: memory - vm, GPUs: int64(it.GPUs)},
		KubeReserved: Load{MilliCPU: kubeReservedMilliCPU(int64(it.VCPUs) * 1000), MemoryMiB: KubeReservedPerPodMiB*pods + KubeReservedBaseMiB},
		EvictionMiB:  EvictionHardMemoryMiB,
	}
	s.Allocatable = s.Capacity.minus(s.KubeReserved).minus(Load{MemoryMiB: s.EvictionMiB})
	s.ForServices = s.Allocatable.minus(DaemonSetOverhead())
	return s, true
}

// nodesFor returns how many nodes of shape s a load needs; ok is false when the load asks for a
// resource the shape does not offer (GPUs of a type without any).
func nodesFor(load Load, s NodeShape) (int64, bool) {
	need := int64(0)
	for _, r := range []struct{ want, per int64 }{
		{load.MilliCPU, s.ForServices.MilliCPU}, {load.MemoryMiB, s.ForServices.MemoryMiB}, {load.GPUs, s.ForServices.GPUs},
	} {
		if r.want <= 0 {
			continue
		}
		if r.per <= 0 {
			return 0, false
		}
		need = max(need, (r.want+r.per-1)/r.per)
	}
	return need, true
}

// nodesAtLimit returns how many nodes of shape s a NodePool's limits admit: Karpenter launches
// a node only when its capacity fits what the limits leave (kubernetes-sigs/karpenter v1.14.1
// pkg/controllers/provisioning/scheduling/scheduler.go, filterByRemainingResources). A limit of
// zero is no limit.
func nodesAtLimit(limits Load, s NodeShape) int64 {
	n := int64(math.MaxInt64)
	for _, r := range []struct{ limit, per int64 }{
		{limits.MilliCPU, s.Capacity.MilliCPU}, {limits.MemoryMiB, s.Capacity.MemoryMiB}, {limits.GPUs, s.Capacity.GPUs},
	} {
		if r.limit <= 0 || r.per <= 0 {
			continue
		}
		n = min(n, r.limit/r.per)
	}
	if n == math.MaxInt64 {
		return 0
	}
	return n
}
