package karpenter

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/validate"
)

// Defaults for Args and NodePoolArgs.
const (
	// DefaultChartVersion is the karpenter and karpenter-crd chart version (aws/karpenter-provider-aws
	// v1.14.1, August 2026). Karpenter 1.9 and later support Kubernetes 1.35 (the compatibility
	// matrix in website/content/en/docs/upgrading/compatibility.md at that tag).
	DefaultChartVersion = "1.14.1"
	// DefaultDiskSizeGb is each node's encrypted gp3 root volume.
	DefaultDiskSizeGb = 100
	// DefaultExpireAfter replaces every node after 30 days even when no new AMI came: a node
	// that never drifted still gets the latest pinned image and a fresh kubelet.
	DefaultExpireAfter = "720h"
	// DefaultConsolidateAfter is how long a node must be empty or underused before Karpenter
	// removes or replaces it; short enough to follow a spike down, long enough not to flap.
	DefaultConsolidateAfter = "5m"
	// DefaultTerminationGracePeriod bounds how long a pod may hold a general node's
	// replacement back.
	DefaultTerminationGracePeriod = "24h"
	// DefaultDisruptionPercent is the share of a pool's nodes Karpenter may disrupt at once for
	// consolidation, drift or expiry.
	DefaultDisruptionPercent = 10
	// DefaultMaintenanceWindowStart and DefaultMaintenanceWindowHours bound when drifted nodes
	// (a new AMI) are replaced: 02:00 to 06:00 UTC.
	DefaultMaintenanceWindowStart = "02:00"
	DefaultMaintenanceWindowHours = 4
)

// Capacity types as Karpenter's karpenter.sh/capacity-type label spells them.
const (
	OnDemand = "on-demand"
	Spot     = "spot"
)

// Consolidation policies (karpenter.sh/v1 NodePool spec.disruption.consolidationPolicy).
const (
	WhenEmptyOrUnderutilized = "WhenEmptyOrUnderutilized"
	WhenEmpty                = "WhenEmpty"
)

// Taint is a Kubernetes taint on every node of a pool.
type Taint struct {
	Key    string
	Value  string
	Effect string // NoSchedule, PreferNoSchedule or NoExecute
}

// NodePoolArgs describes one Karpenter NodePool and its EC2NodeClass.
type NodePoolArgs struct {
	// Name names the NodePool, its EC2NodeClass and child resources ("general", "ml"). Required.
	Name string
	// InstanceTypes are the EC2 instance types Karpenter may launch; it picks the cheapest that
	// fits the pending pods. Catalogued types EC2 still offers, all of one architecture, NVIDIA
	// GPU types exactly when Gpu is set. Required.
	InstanceTypes []string
	// CapacityType is OnDemand or Spot. A Spot pool also allows on-demand, which Karpenter uses
	// only when no Spot capacity fits. Default: OnDemand.
	CapacityType string
	// MinNodes is the pool's floor: a placeholder Deployment of lowest priority keeps that many
	// nodes, one per node and spread across zones, which real pods use and may preempt. Karpenter
	// itself has no minimum size. Default: 0.
	MinNodes int
	// MaxNodes bounds the pool: its limits are MaxNodes times the largest instance type's vCPUs,
	// memory and GPUs, so Karpenter stops launching once that much is running. Required.
	MaxNodes int
	// DiskSizeGb is each node's encrypted gp3 root volume. Default: 100.
	DiskSizeGb int
	// Labels go on every node. Default: none.
	Labels map[string]string
	// Taints keep pods that do not tolerate them off the pool. Default: none.
	Taints []Taint
	// Gpu marks a GPU pool: the NVIDIA device plugin runs on its nodes. Default: false.
	Gpu bool
	// Consolidation is WhenEmptyOrUnderutilized (pack pods onto fewer, cheaper nodes) or
	// WhenEmpty (remove only nodes without pods: a running job is never moved). Default:
	// WhenEmptyOrUnderutilized.
	Consolidation string
	// ConsolidateAfter is how long a node stays empty or underused before Karpenter acts, a Go
	// duration of whole seconds to hours. Default: "5m".
	ConsolidateAfter string
	// ExpireAfter replaces each node after this long (Go duration, at least 1h), or "Never".
	// Default: "720h".
	ExpireAfter string
	// TerminationGracePeriod is how long a node being replaced may wait for pods that block
	// their eviction (a PodDisruptionBudget, the karpenter.sh/do-not-disrupt annotation) before
	// Karpenter terminates it anyway; without one such a pod holds back drift and expiry for
	// ever. Default: "24h" for a pool without GPU, none for a GPU pool (a running job is never
	// cut short; patching waits for it).
	TerminationGracePeriod string
}

// Args configures Karpenter for a cluster.
type Args struct {
	// ClusterName is the EKS cluster's name; it scopes the IAM policy, the interruption queue and
	// the discovery tag. Required.
	ClusterName string
	// Region is the cluster's AWS region. Required.
	Region string
	// KubernetesVersion is the cluster's minor version; NodeAmiRelease must be of it. Required.
	KubernetesVersion string
	// AvailabilityZones are the zones nodes may launch in (the private subnets' zones). Required.
	AvailabilityZones []string
	// ClusterEndpoint is the API server's URL, handed to the controller (settings.clusterEndpoint) so it need
	// not look it up. Default: nil (the controller calls eks:DescribeCluster).
	ClusterEndpoint pulumi.StringInput
	// NodeAmiRelease pins the EKS-optimized Amazon Linux 2023 AMI release of every node, as EKS
	// managed node groups name it: "<kubernetes patch>-<YYYYMMDD>" ("1.35.3-20261120"). The
	// pools select it by the alias al2023@v<YYYYMMDD>, so changing it drifts every node to the
	// new image, inside the disruption budgets. Required.
	NodeAmiRelease string
	// NodePools are the pools; at least one without GPU. Required.
	NodePools []NodePoolArgs
	// NodeTags go on every instance, volume and network interface Karpenter launches (the
	// provider's default tags do not reach them): the cost-allocation tags. Default: none.
	NodeTags map[string]string
	// MaintenanceWindowStart ("HH:MM", UTC) and MaintenanceWindowHours (1 to 23) are when drifted
	// nodes are replaced; outside the window a budget of zero nodes holds drift back. Default:
	// "02:00" and 4.
	MaintenanceWindowStart string
	MaintenanceWindowHours int
	// ChartVersion pins the karpenter and karpenter-crd charts. Default: "1.14.1".
	ChartVersion string
}

func (a *Args) withDefaults() Args {
	out := *a
	if out.ChartVersion == "" {
		out.ChartVersion = DefaultChartVersion
	}
	if out.MaintenanceWindowStart == "" {
		out.MaintenanceWindowStart = DefaultMaintenanceWindowStart
	}
	if out.MaintenanceWindowHours == 0 {
		out.MaintenanceWindowHours = DefaultMaintenanceWindowHours
	}
	out.NodePools = make([]NodePoolArgs, len(a.NodePools))
	for i, np := range a.NodePools {
		if np.CapacityType == "" {
			np.CapacityType = OnDemand
		}
		if np.DiskSizeGb == 0 {
			np.DiskSizeGb = DefaultDiskSizeGb
		}
		if np.Consolidation == "" {
			np.Consolidation = WhenEmptyOrUnderutilized
		}
		if np.ConsolidateAfter == "" {
			np.ConsolidateAfter = DefaultConsolidateAfter
		}
		if np.ExpireAfter == "" {
			np.ExpireAfter = DefaultExpireAfter
		}
		if np.TerminationGracePeriod == "" && !np.Gpu {
			np.TerminationGracePeriod = DefaultTerminationGracePeriod
		}
		out.NodePools[i] = np
	}
	return out
}

var (
	namePattern         = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	chartVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	// amiReleasePattern is an EKS AL2023 release version: the Kubernetes patch and the build date.
	amiReleasePattern  = regexp.MustCompile(`^(1\.[0-9]{2})\.([0-9]{1,3})-([0-9]{8})$`)
	windowStartPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
	taintEffects       = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
)

// AmiAlias is the EC2NodeClass alias of an AMI release: "1.35.3-20261120" → "al2023@v20261120".
// Karpenter resolves it through the public SSM parameters of that AL2023 release, the NVIDIA
// variant for GPU instance types.
func AmiAlias(release string) string {
	m := amiReleasePattern.FindStringSubmatch(release)
	if m == nil {
		return ""
	}
	return "al2023@v" + m[3]
}

// CheckAmiRelease reports a release that is not "<minor>.<patch>-<YYYYMMDD>" of kubernetesVersion.
func CheckAmiRelease(p *validate.Problems, field, release, kubernetesVersion string) {
	m := amiReleasePattern.FindStringSubmatch(release)
	switch {
	case release == "":
		p.Addf(field, "must pin an EKS Amazon Linux 2023 AMI release such as \"1.35.3-20261120\" (nodes must not follow \"latest\" unreviewed)")
	case m == nil:
		p.Addf(field, "must be an EKS AMI release version \"<kubernetes patch>-<YYYYMMDD>\" such as \"1.35.3-20261120\", got %q", release)
	case kubernetesVersion != "" && m[1] != kubernetesVersion:
		p.Addf(field, "must be a release for Kubernetes %s (the cluster's kubernetesVersion), got %q", kubernetesVersion, release)
	default:
		// AL2023 EKS AMIs exist from 2023 (the first AL2023 EKS AMI, v20231116); a date that does
		// not parse would make Karpenter resolve no image at all.
		if d, err := time.Parse("20060102", m[3]); err != nil || d.Year() < 2023 {
			p.Addf(field, "has no valid build date (YYYYMMDD from 2023 on), got %q", release)
		}
	}
}

// Validate reports every problem with the plain arguments, after defaults are applied.
func (a *Args) Validate() validate.Problems {
	args := a.withDefaults()
	var p validate.Problems
	p.NotEmpty("clusterName", args.ClusterName)
	// Names derived from the cluster's: IAM role names have at most 64 characters, SQS queue
	// names 80 (IAM User Guide, "IAM and AWS STS quotas"; SQS Developer Guide, "Quotas related
	// to queues").
	if n := len(nodeRoleName(args.ClusterName)); n > 64 {
		p.Addf("clusterName", "makes the node role name %q %d characters long, over IAM's 64", nodeRoleName(args.ClusterName), n)
	}
	if n := len(queueName(args.ClusterName)); n > 80 {
		p.Addf("clusterName", "makes the interruption queue name %q %d characters long, over SQS's 80", queueName(args.ClusterName), n)
	}
	p.NotEmpty("region", args.Region)
	if len(args.AvailabilityZones) == 0 {
		p.Addf("availabilityZones", "must name the zones nodes may launch in")
	}
	CheckAmiRelease(&p, "nodeAmiRelease", args.NodeAmiRelease, args.KubernetesVersion)
	if !chartVersionPattern.MatchString(args.ChartVersion) {
		p.Addf("chartVersion", "must be an exact chart version such as 1.2.3, got %q", args.ChartVersion)
	}
	if !windowStartPattern.MatchString(args.MaintenanceWindowStart) {
		p.Addf("maintenanceWindowStart", "must be a UTC time \"HH:MM\", got %q", args.MaintenanceWindowStart)
	}
	// A window of 24 hours or more would leave no time outside it to hold drift back.
	p.IntRange("maintenanceWindowHours", args.MaintenanceWindowHours, 1, 23)
	for k, v := range args.NodeTags {
		awslimits.CheckTag(&p, "nodeTags", k, v)
		// Karpenter sets these itself and the EC2NodeClass CRD refuses them
		// (awsv1.RestrictedTagPatterns, pkg/apis/v1/ec2nodeclass.go at v1.14.1).
		if k == "eks:eks-cluster-name" || strings.HasPrefix(k, "kubernetes.io/cluster") || k == "karpenter.sh/nodepool" ||
			k == "karpenter.sh/nodeclaim" || k == "karpenter.k8s.aws/ec2nodeclass" {
			p.Addf("nodeTags", "must not set %q: Karpenter sets it on every node itself", k)
		}
	}
	if len(args.NodePools) == 0 {
		p.Addf("nodePools", "must declare at least one node pool")
	}
	seen, general := map[string]bool{}, false
	for _, np := range args.NodePools {
		if !namePattern.MatchString(np.Name) {
			p.Addf("nodePools", "names must be lowercase letters, digits and '-', got %q", np.Name)
		}
		if seen[np.Name] {
			p.Addf("nodePools", "names must be unique, got %q twice", np.Name)
		}
		seen[np.Name] = true
		general = general || !np.Gpu
		p = append(p, np.validate().Prefixed("nodePools."+np.Name)...)
	}
	if len(args.NodePools) > 0 && !general {
		p.Addf("nodePools", "must include a pool without a GPU for the platform's own services")
	}
	return p
}

// validate checks one pool.
func (np NodePoolArgs) validate() validate.Problems {
	var p validate.Problems
	if len(np.InstanceTypes) == 0 {
		p.Addf("instanceTypes", "must name at least one EC2 instance type")
	}
	types := make([]awslimits.InstanceType, 0, len(np.InstanceTypes))
	for _, name := range np.InstanceTypes {
		if it, ok := awslimits.CheckInstanceType(&p, "instanceTypes", name); ok && it.Retired == "" {
			types = append(types, it)
		}
	}
	if len(types) == len(np.InstanceTypes) && len(types) > 0 {
		for _, it := range types {
			// The AL2023 alias resolves the NVIDIA image for GPU types only; a GPU pool of a type
			// without GPU would never advertise nvidia.com/gpu, a general pool of GPU types would
			// pay for GPUs nothing uses.
			switch {
			case np.Gpu && !it.HasGPU():
				p.Addf("instanceTypes", "must be NVIDIA GPU types for a GPU pool, got %s (%s family has no GPU)", it.Name, it.Family())
			case !np.Gpu && it.HasGPU():
				p.Addf("instanceTypes", "must not be GPU types in a pool without GPU, got %s", it.Name)
			}
			if it.Arch != types[0].Arch {
				p.Addf("instanceTypes", "must share one architecture (one AMI per pool), got %s (%s) and %s (%s)",
					types[0].Name, types[0].Arch, it.Name, it.Arch)
			}
		}
	}
	if np.CapacityType != OnDemand && np.CapacityType != Spot {
		p.Addf("capacityType", "must be %q or %q, got %q", OnDemand, Spot, np.CapacityType)
	}
	if np.MaxNodes < 1 {
		p.Addf("maxNodes", "must be at least 1, got %d", np.MaxNodes)
	}
	if np.MinNodes < 0 {
		p.Addf("minNodes", "must not be negative, got %d", np.MinNodes)
	}
	if np.MaxNodes >= 1 && np.MinNodes > np.MaxNodes {
		// The floor's placeholders would stay pending forever: the limits stop Karpenter first.
		p.Addf("minNodes", "(%d) must not exceed maxNodes (%d): the pool's limits would leave the floor pending", np.MinNodes, np.MaxNodes)
	}
	if np.Gpu && np.MinNodes > 0 {
		p.Addf("minNodes", "must be 0 for a GPU pool: idle GPU nodes cost the most, and jobs bring their own nodes, got %d", np.MinNodes)
	}
	p.IntRange("diskSizeGb", np.DiskSizeGb, 20, 16384)
	if np.Consolidation != WhenEmptyOrUnderutilized && np.Consolidation != WhenEmpty {
		p.Addf("consolidation", "must be %q or %q, got %q", WhenEmptyOrUnderutilized, WhenEmpty, np.Consolidation)
	}
	if np.Gpu && np.Consolidation != WhenEmpty {
		// Underutilized consolidation evicts running pods to repack them: a training job would
		// lose its progress.
		p.Addf("consolidation", "must be %q for a GPU pool, so a running job is never evicted to repack nodes, got %q", WhenEmpty, np.Consolidation)
	}
	checkDuration(&p, "consolidateAfter", np.ConsolidateAfter, true, 0)
	checkDuration(&p, "expireAfter", np.ExpireAfter, true, time.Hour)
	if np.TerminationGracePeriod != "" {
		checkDuration(&p, "terminationGracePeriod", np.TerminationGracePeriod, false, time.Minute)
	}
	for _, t := range np.Taints {
		if t.Key == "" {
			p.Addf("taints", "must have a key")
		}
		if !slices.Contains(taintEffects, t.Effect) {
			p.Addf("taints", "effect must be one of %v, got %q", taintEffects, t.Effect)
		}
	}
	if np.Gpu && len(np.Taints) == 0 {
		p.Addf("taints", "must keep pods that do not ask for a GPU off a GPU pool")
	}
	for k := range np.Labels {
		// The NodePool CRD refuses labels of the karpenter.sh and karpenter.k8s.aws domains
		// (and any domain ending in them) and kubernetes.io/hostname (karpenter.sh_nodepools.yaml
		// at v1.14.1); the kubelet may not set kubernetes.io or k8s.io labels beyond a short
		// list (Kubernetes NodeRestriction admission plugin), so those are refused too.
		domain, _, hasDomain := strings.Cut(k, "/")
		if !hasDomain {
			continue
		}
		for _, reserved := range []string{"karpenter.sh", "karpenter.k8s.aws", "kubernetes.io", "k8s.io"} {
			if strings.HasSuffix(domain, reserved) {
				p.Addf("labels", "must not use the reserved label domain of %q", k)
				break
			}
		}
	}
	return p
}

// checkDuration accepts what Karpenter's CRD accepts for these fields: whole seconds, minutes or
// hours ("30s", "5m", "720h"), and "Never" where allowed.
func checkDuration(p *validate.Problems, field, value string, neverOK bool, atLeast time.Duration) {
	if neverOK && value == "Never" {
		return
	}
	if !durationPattern.MatchString(value) {
		p.Addf(field, "must be a duration of whole hours, minutes or seconds such as \"5m\" or \"720h\"%s, got %q",
			map[bool]string{true: ", or \"Never\"", false: ""}[neverOK], value)
		return
	}
	d, err := time.ParseDuration(value)
	if err != nil || d < atLeast {
		p.Addf(field, "must be at least %s, got %q", atLeast, value)
	}
}

// durationPattern is the pattern of the NodePool CRD's duration fields (karpenter.sh_nodepools.yaml
// at v1.14.1, consolidateAfter and expireAfter): one or more number-unit pairs of h, m and s.
var durationPattern = regexp.MustCompile(`^([0-9]+(s|m|h))+$`)

// windowBlock returns the schedule (cron, UTC) and duration of the budget that holds drift back
// outside the maintenance window: it starts when the window ends and lasts the rest of the day.
func windowBlock(start string, hours int) (schedule, duration string, err error) {
	m := windowStartPattern.FindStringSubmatch(start)
	if m == nil {
		return "", "", fmt.Errorf("maintenance window start %q is not HH:MM", start)
	}
	h, _ := strconv.Atoi(m[1])
	minute, _ := strconv.Atoi(m[2])
	end := (h + hours) % 24
	return fmt.Sprintf("%d %d * * *", minute, end), fmt.Sprintf("%dh", 24-hours), nil
}
