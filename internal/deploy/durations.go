package deploy

import (
	"sort"
	"strings"
)

// Duration is the typical creation time of one kind of resource.
type Duration struct {
	// ID names the figure in reports ("rds-instance").
	ID string `json:"id"`
	// Minutes is the figure used on the critical path; Low and High give the published range
	// when there is one.
	Minutes float64 `json:"minutes"`
	Low     float64 `json:"low,omitempty"`
	High    float64 `json:"high,omitempty"`
	Source  string  `json:"source"`
}

// DefaultDuration applies to every type without its own figure: API-only resources that
// complete in seconds, such as IAM roles and policies, security groups and their rules, KMS
// keys, route tables, CloudWatch log groups, RDS subnet and parameter groups, EKS access entries
// and Kubernetes objects. It is an assumption, not a published figure, and reports say so.
var DefaultDuration = Duration{
	ID:      "default",
	Minutes: 0.25,
	Source: "assumption: API-only resources (IAM, security groups and rules, KMS, log groups, " +
		"parameter groups, access entries, Kubernetes objects) complete in seconds",
}

// Published figures, DESIGN.md §8; the typical value is the middle of the published range.
var (
	eksControlPlane = Duration{ID: "eks-control-plane", Minutes: 12.5, Low: 10, High: 15,
		Source: "AWS EKS CreateCluster API reference: the control plane takes 10-15 minutes (DESIGN.md §8)"}
	eksNodeGroup = Duration{ID: "eks-node-group", Minutes: 2, Low: 2, High: 20,
		Source: "terraform-aws-eks issues: a managed node group is ready in about 2 minutes; failures surface after 20+ minutes (DESIGN.md §8)"}
	rdsInstance = Duration{ID: "rds-instance", Minutes: 25, Low: 15, High: 35,
		Source: "hashicorp/terraform#498, terraform-provider-aws#43322: RDS Multi-AZ takes 15-35 minutes (DESIGN.md §8); " +
			"used for Single-AZ instances and replicas too, for lack of a separate figure"}
	natGateway = Duration{ID: "nat-gateway", Minutes: 1.75, Low: 1.5, High: 2,
		Source: "NAT gateway 1.5-2 minutes (DESIGN.md §8)"}
	kubePrometheusStack = Duration{ID: "helm-kube-prometheus-stack", Minutes: 5, Low: 5,
		Source: "kube-prometheus-stack often exceeds Helm's 5-minute default timeout (DESIGN.md §8); 5 minutes is a lower bound"}
	helmRelease = Duration{ID: "helm-release", Minutes: 1,
		Source: "assumption: a chart without persistent volumes is ready in about a minute; no published figure"}
	// RDS publishes no creation time for a Multi-AZ DB cluster; CreateDBCluster creates the
	// writer and both readers itself, in parallel. The high figure is a report, not an AWS one.
	rdsMultiAZCluster = Duration{ID: "rds-multi-az-cluster", Minutes: 25, Low: 15, High: 37,
		Source: "report, no AWS figure: terraform-provider-aws#31336, acceptance test TestAccRDSCluster_storageTypeIo1 " +
			"(a Multi-AZ DB cluster of db.r6gd.xlarge) took 2,236 s, about 37 min, to create, check and delete, " +
			"an upper bound; the typical 25 and low 15 are the Multi-AZ instance's (DESIGN.md §8), as RDS creates " +
			"the three instances together"}
	eksAddon = Duration{ID: "eks-addon", Minutes: 1, Low: 1, High: 15,
		Source: "assumption: an EKS add-on becomes active in about a minute once its nodes exist; report: coredns " +
			"and the EBS CSI driver have taken about 15 min to report active on a new cluster " +
			"(aws-ia/terraform-aws-eks-blueprints#642)"}
	provider = Duration{ID: "provider", Minutes: 0,
		Source: "provider resources are configured, not created"}
	// A chart of CustomResourceDefinitions only has no workload for Helm to wait on.
	helmCRDs = Duration{ID: "helm-crds", Minutes: DefaultDuration.Minutes,
		Source: "assumption: a chart holding only CustomResourceDefinitions (karpenter-crd 1.14.1: " +
			"charts/karpenter-crd/templates has the CRDs and nothing else) completes in seconds, like other API-only objects"}
	helmKarpenter = Duration{ID: "helm-karpenter", Minutes: 1,
		Source: "assumption, as helm-release: the release waits for the controller Deployment, two replicas on the " +
			"system node group whose readiness probe starts after 5 s (charts/karpenter/templates/deployment.yaml at v1.14.1)"}
	// The floor's placeholder pods can only become ready on nodes Karpenter launches for them,
	// and the Kubernetes provider waits for a Deployment to be available (10-minute default).
	karpenterNodeLaunch = Duration{ID: "karpenter-node-launch", Minutes: 1.5, Low: 0.5, High: 2,
		Source: "report, no AWS figure: Karpenter's maintainers typically see a new node ready in 30-40 s " +
			"(aws/karpenter-provider-aws#6165), and the AWS containers blog cited there gives 1-2 minutes to add nodes; " +
			"the Pulumi Kubernetes provider waits for the floor's Deployment to be available"}
)

// byType maps type tokens to their figures.
var byType = map[string]Duration{
	"eks:index:Cluster":             eksControlPlane,
	"aws:eks/cluster:Cluster":       eksControlPlane,
	"aws:eks/nodeGroup:NodeGroup":   eksNodeGroup,
	"eks:index:ManagedNodeGroup":    eksNodeGroup,
	"aws:rds/instance:Instance":     rdsInstance,
	"aws:rds/cluster:Cluster":       rdsMultiAZCluster,
	"aws:ec2/natGateway:NatGateway": natGateway,
	"kubernetes:helm.sh/v3:Release": helmRelease,
	"kubernetes:helm.sh/v4:Chart":   helmRelease,
	"aws:eks/addon:Addon":           eksAddon,
}

// byChart refines Helm releases by chart name (the last element of an OCI reference).
var byChart = map[string]Duration{
	"kube-prometheus-stack": kubePrometheusStack,
	"karpenter-crd":         helmCRDs,
	"karpenter":             helmKarpenter,
}

// FloorPrefix starts the name of the Deployment that holds a Karpenter pool's floor
// (components/karpenter: "<component>-deployment-capacity-floor-<pool>").
const FloorPrefix = "capacity-floor-"

// ForResource returns the creation time of a named resource: For, except that a Karpenter
// pool's floor Deployment takes as long as Karpenter needs to launch its nodes.
func ForResource(typ, name, chart string) Duration {
	if typ == "kubernetes:apps/v1:Deployment" && strings.Contains(name, FloorPrefix) {
		return karpenterNodeLaunch
	}
	return For(typ, chart)
}

// For returns the creation time of a resource of type typ; chart is the Helm chart name for
// Helm releases ("" otherwise). Components take no time of their own: callers mark them.
func For(typ, chart string) Duration {
	if chart != "" {
		// "oci://public.ecr.aws/karpenter/karpenter" is the chart "karpenter".
		if i := strings.LastIndex(chart, "/"); i >= 0 && strings.Contains(chart, "://") {
			chart = chart[i+1:]
		}
		if d, ok := byChart[chart]; ok {
			return d
		}
	}
	if d, ok := byType[typ]; ok {
		return d
	}
	if strings.HasPrefix(typ, "pulumi:providers:") {
		return provider
	}
	return DefaultDuration
}

// Table lists every figure with its source, for documentation and reports.
func Table() []Duration {
	seen := map[string]Duration{DefaultDuration.ID: DefaultDuration, provider.ID: provider, karpenterNodeLaunch.ID: karpenterNodeLaunch}
	for _, d := range byType {
		seen[d.ID] = d
	}
	for _, d := range byChart {
		seen[d.ID] = d
	}
	out := make([]Duration, 0, len(seen))
	for _, d := range seen {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
