package cluster

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/components/karpenter"
	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/validate"
)

// Defaults for ClusterArgs.
const (
	// DefaultKubernetesVersion is in EKS standard support until 27 March 2027 (Amazon EKS
	// Kubernetes release calendar; 1.35 was released on EKS on 28 January 2026).
	DefaultKubernetesVersion = "1.35"
	// systemDiskSizeGb is each system node's root volume: add-on images only.
	systemDiskSizeGb           = 50
	DefaultLogRetentionDays    = 90
	DefaultNvidiaPluginVersion = "0.18.2"
	// DefaultSystemInstanceType and DefaultSystemNodeCount size the system node group: two
	// m5.large (2 vCPUs, 8 GiB) hold Karpenter's two replicas, CoreDNS, metrics-server and the
	// EBS CSI controller with room for a rolling update.
	DefaultSystemInstanceType = "m5.large"
	DefaultSystemNodeCount    = 2
	// SystemTaint keeps everything but cluster-critical add-ons off the system node group; the
	// add-ons that belong there tolerate it (Kubernetes' conventional CriticalAddonsOnly taint).
	SystemTaintKey               = "CriticalAddonsOnly"
	nvidiaDevicePluginRepository = "https://nvidia.github.io/k8s-device-plugin"
	clusterAdminAccessPolicyArn  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	// readOnlyAccessPolicyArn reads every object, Secrets included (EKS User Guide, "Review
	// access policy permissions"). AmazonEKSViewPolicy is not enough for a preview with refresh:
	// it leaves out Secrets (where Helm keeps its releases), custom resources, StorageClasses
	// and RBAC objects, all of which the program manages.
	readOnlyAccessPolicyArn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
	fastSsdStorageClassName = "fast-ssd"
)

// MaxUnavailablePercent is the share of a node group's nodes a version or launch template
// update replaces at a time (updateConfig.maxUnavailablePercentage).
const MaxUnavailablePercent = 33

// ControlPlaneLogTypes are all five EKS control-plane log types; every one is enabled.
var ControlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// EgressRule lets the nodes open connections to Cidr on ports FromPort to ToPort.
type EgressRule struct {
	// Description says what the traffic is for; it becomes the rule's description. Required.
	Description string `json:"description"`
	// Protocol is "tcp" or "udp". Default: "tcp".
	Protocol string `json:"protocol,omitempty"`
	// FromPort is the first port, 1 to 65535. Required.
	FromPort int `json:"fromPort"`
	// ToPort is the last port, at least FromPort. Default: FromPort.
	ToPort int `json:"toPort,omitempty"`
	// Cidr is the destination, an IPv4 network address such as "203.0.113.0/24". Required.
	Cidr string `json:"cidr"`
}

func (e EgressRule) withDefaults() EgressRule {
	if e.Protocol == "" {
		e.Protocol = "tcp"
	}
	if e.ToPort == 0 {
		e.ToPort = e.FromPort
	}
	return e
}

// ClusterArgs configures a Cluster.
type ClusterArgs struct {
	// ClusterName is the EKS cluster's physical name. Default: the component name.
	ClusterName string
	// Region is the AWS region, used in the kubeconfig and the IRSA roles. Required.
	Region string
	// VpcId is the VPC the cluster and its nodes live in. Required.
	VpcId pulumi.StringInput
	// PrivateSubnetIds hold the control-plane network interfaces and the nodes. Required.
	PrivateSubnetIds pulumi.StringArrayInput
	// AvailabilityZones name the zones of PrivateSubnetIds, in the same order (one subnet per
	// zone). Required when a node group is PerZone. Default: none.
	AvailabilityZones []string
	// KubernetesVersion is the EKS minor version. Default: "1.35".
	KubernetesVersion string
	// EndpointPublicAccess opens the API server endpoint to the internet, restricted to
	// PublicAccessCidrs. The private endpoint is always on. Default: false.
	EndpointPublicAccess bool
	// PublicAccessCidrs may reach the public endpoint; required when EndpointPublicAccess is
	// set: at most 40 canonical public IPv4 blocks that together do not cover the internet (no
	// 0.0.0.0/0, nor 0.0.0.0/1 with 128.0.0.0/1). Default: none.
	PublicAccessCidrs []string
	// EndpointAllowedCidrs may reach the private API endpoint on 443: the networks of the
	// runners, bastions or VPNs that run `pulumi preview` and `pulumi up`. The control-plane
	// security group otherwise admits only the nodes. With the public endpoint off, this or
	// EndpointAllowedSecurityGroupIds must admit someone. Default: none.
	EndpointAllowedCidrs []string
	// EndpointAllowedSecurityGroupIds may reach the private API endpoint on 443: security groups
	// of deployers inside the VPC (or a peered VPC in the same region). Default: none.
	EndpointAllowedSecurityGroupIds []string
	// AdminRoleArns are IAM roles given cluster-admin through EKS access entries, besides the
	// identity that creates the cluster. Default: none.
	AdminRoleArns []string
	// ReadOnlyRoleArns are IAM roles given read access to every Kubernetes object, Secrets
	// included, through EKS access entries (AmazonEKSAdminViewPolicy): what `pulumi preview
	// --refresh` and drift checks need, without the right to change anything. Default: none.
	ReadOnlyRoleArns []string
	// SecretsKmsKeyArn encrypts Kubernetes Secrets in etcd. When nil the component creates a
	// key with rotation. Default: nil.
	SecretsKmsKeyArn pulumi.StringInput
	// LogRetentionDays keeps control-plane logs this long in CloudWatch Logs; one of
	// awslimits.LogRetentionDays. Default: 90.
	LogRetentionDays int
	// LogsKmsKeyArn encrypts the control-plane log group with a customer-managed key, whose
	// policy must let the region's CloudWatch Logs principal use it. Default: nil (CloudWatch
	// Logs' own key).
	LogsKmsKeyArn pulumi.StringInput
	// VpcCidr is the VPC's IPv4 range. The nodes may send anything inside it (pods, the
	// control-plane network interfaces, the database, in-cluster DNS) and only HTTPS beyond it,
	// plus NodeEgressRules. Default: "" (the private ranges a VPC may use, 10.0.0.0/8,
	// 172.16.0.0/12, 192.168.0.0/16 and 100.64.0.0/10, which hold the VPC whatever its range).
	VpcCidr string
	// NodeEgressRules are extra destinations the nodes (and so the pods) may reach outside the
	// VPC besides HTTPS: an application's broker, mail relay or partner API on another port. Each
	// is one protocol, a port range and an IPv4 CIDR; every port to 0.0.0.0/0 is refused.
	// Default: none.
	NodeEgressRules []EgressRule
	// SystemInstanceType is the instance type of the system node group, a managed node group
	// tainted CriticalAddonsOnly=true:NoSchedule that runs the add-ons the rest of the cluster
	// depends on: Karpenter, CoreDNS, metrics-server, the EBS CSI controller. A catalogued type
	// without GPU. Default: "m5.large".
	SystemInstanceType string
	// SystemNodeCount is the system node group's fixed size, 2 to 10: Karpenter runs two
	// replicas on different nodes. Default: 2.
	SystemNodeCount int
	// NodeAmiRelease pins the EKS Amazon Linux 2023 AMI release of every node: the system node
	// group's releaseVersion and the Karpenter pools' alias (karpenter.AmiAlias). Required.
	NodeAmiRelease string
	// NodePools are the Karpenter pools; at least one without GPU. Required.
	NodePools []karpenter.NodePoolArgs
	// NodeTags go on every instance and volume Karpenter launches: the cost-allocation tags.
	// Default: none.
	NodeTags map[string]string
	// MaintenanceWindowStart ("HH:MM" UTC) and MaintenanceWindowHours bound when Karpenter
	// replaces drifted nodes. Default: "02:00" and 4.
	MaintenanceWindowStart string
	MaintenanceWindowHours int
	// KarpenterChartVersion pins the karpenter and karpenter-crd charts. Default: "1.14.1".
	KarpenterChartVersion string
	// AddonVersions override the pinned EKS add-on versions of KubernetesVersion's row, by add-on
	// name ("coredns": "v1.14.3-eksbuild.3"): the way a stack takes an add-on update before
	// the others. Default: none.
	AddonVersions map[string]string
	// NvidiaDevicePluginVersion pins the nvidia-device-plugin chart for Gpu pools. Default: "0.18.2".
	NvidiaDevicePluginVersion string
}

func (a *ClusterArgs) withDefaults(name string) ClusterArgs {
	out := *a
	if out.ClusterName == "" {
		out.ClusterName = name
	}
	if out.KubernetesVersion == "" {
		out.KubernetesVersion = DefaultKubernetesVersion
	}
	if out.LogRetentionDays == 0 {
		out.LogRetentionDays = DefaultLogRetentionDays
	}
	if out.NvidiaDevicePluginVersion == "" {
		out.NvidiaDevicePluginVersion = DefaultNvidiaPluginVersion
	}
	if out.SystemInstanceType == "" {
		out.SystemInstanceType = DefaultSystemInstanceType
	}
	if out.SystemNodeCount == 0 {
		out.SystemNodeCount = DefaultSystemNodeCount
	}
	out.NodeEgressRules = make([]EgressRule, len(a.NodeEgressRules))
	for i, e := range a.NodeEgressRules {
		out.NodeEgressRules[i] = e.withDefaults()
	}
	return out
}

var (
	versionPattern      = regexp.MustCompile(`^1\.[0-9]{2}$`)
	clusterNamePattern  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)
	chartVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	roleArnPattern      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`)
	// EC2 resource ids: the prefix and 8 (older) or 17 hexadecimal digits (EC2 User Guide,
	// "Resource IDs").
	securityGroupIDPattern = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// Validate reports every problem with the plain arguments, after defaults are applied.
func (a *ClusterArgs) Validate() validate.Problems {
	args := a.withDefaults("")
	var p validate.Problems
	if args.ClusterName != "" && !clusterNamePattern.MatchString(args.ClusterName) {
		p.Addf("clusterName", "must be 1-100 letters, digits, '-' or '_' starting with a letter or digit, got %q", args.ClusterName)
	}
	p.NotEmpty("region", args.Region)
	if !versionPattern.MatchString(args.KubernetesVersion) {
		p.Addf("kubernetesVersion", "must be a Kubernetes minor version such as %q, got %q", DefaultKubernetesVersion, args.KubernetesVersion)
	} else if _, ok := addonVersions[args.KubernetesVersion]; !ok {
		// Node groups and add-ons are pinned to the cluster's minor (addons.go); a version
		// without pinned add-ons would upgrade the control plane alone.
		p.Addf("kubernetesVersion", "must be one with pinned add-on versions %v, got %q (add its row to addonVersions in components/cluster/addons.go first)",
			SupportedKubernetesVersions(), args.KubernetesVersion)
	}
	if args.EndpointPublicAccess && len(args.PublicAccessCidrs) == 0 {
		p.Addf("publicAccessCidrs", "must list the CIDRs allowed to reach the public endpoint when endpointPublicAccess is true")
	}
	// Canonical public IPv4 blocks, within EKS's count, that together do not cover the internet
	// (0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0); sources in awslimits.
	awslimits.CheckPublicAccessCIDRs(&p, "publicAccessCidrs", args.PublicAccessCidrs)
	// EKS keeps one access entry per principal (CreateAccessEntry fails with
	// ResourceInUseException for a second one), so a role is listed once across both lists.
	entries := map[string]string{}
	for _, list := range []struct {
		field string
		arns  []string
	}{{"adminRoleArns", args.AdminRoleArns}, {"readOnlyRoleArns", args.ReadOnlyRoleArns}} {
		for _, arn := range list.arns {
			switch {
			case !roleArnPattern.MatchString(arn):
				p.Addf(list.field, "must be IAM role ARNs (arn:aws:iam::<account>:role/<name>), got %q", arn)
			case entries[arn] != "":
				p.Addf(list.field, "must not repeat a role already in %s (EKS keeps one access entry per role), got %q", entries[arn], arn)
			default:
				entries[arn] = list.field
			}
		}
	}
	// A private endpoint admits only what its security groups admit (EKS User Guide, "Cluster
	// API server endpoint"): without a rule for the deployers every Kubernetes call times out.
	if !args.EndpointPublicAccess && len(args.EndpointAllowedCidrs)+len(args.EndpointAllowedSecurityGroupIds) == 0 {
		p.Addf("endpointAllowedCidrs", "must list the networks of the runners, bastions or VPNs that deploy (or name their security groups in endpointAllowedSecurityGroupIds): the API endpoint is private and admits only the nodes")
	}
	for _, cidr := range args.EndpointAllowedCidrs {
		if prefix, ok := p.CIDR("endpointAllowedCidrs", cidr); ok && prefix.Bits() == 0 {
			p.Addf("endpointAllowedCidrs", "must name the deployers' networks, not every address, got %q", cidr)
		}
	}
	for _, id := range args.EndpointAllowedSecurityGroupIds {
		if !securityGroupIDPattern.MatchString(id) {
			p.Addf("endpointAllowedSecurityGroupIds", "must be security group ids (sg- and 8 or 17 hex digits), got %q", id)
		}
	}
	// Each entry becomes a rule named after it; a repeat would be a second rule of the same
	// name, and EC2 refuses a duplicate rule anyway (InvalidPermission.Duplicate).
	for _, list := range []struct {
		field  string
		values []string
	}{{"endpointAllowedCidrs", args.EndpointAllowedCidrs}, {"endpointAllowedSecurityGroupIds", args.EndpointAllowedSecurityGroupIds}} {
		seen := map[string]bool{}
		for _, v := range list.values {
			if seen[v] {
				p.Addf(list.field, "lists %q twice", v)
			}
			seen[v] = true
		}
	}
	if args.VpcCidr != "" {
		if prefix, ok := p.CIDR("vpcCidr", args.VpcCidr); ok {
			awslimits.CheckVPCCIDR(&p, "vpcCidr", prefix)
		}
	}
	p = append(p, validateEgressRules(args.NodeEgressRules)...)
	awslimits.CheckLogRetention(&p, "logRetentionDays", args.LogRetentionDays)
	if !chartVersionPattern.MatchString(args.NvidiaDevicePluginVersion) {
		p.Addf("nvidiaDevicePluginVersion", "must be an exact chart version such as 1.2.3, got %q", args.NvidiaDevicePluginVersion)
	}
	// The system node group: a managed node group of one catalogued type without GPU; its AMI
	// type follows the type's architecture (systemAmiType).
	if it, ok := awslimits.CheckInstanceType(&p, "systemInstanceType", args.SystemInstanceType); ok && it.HasGPU() {
		p.Addf("systemInstanceType", "must be a type without GPU, got %s", it.Name)
	}
	p.IntRange("systemNodeCount", args.SystemNodeCount, 2, 10)
	if prefix := systemNodeGroupNamePrefix(args.ClusterName); len(prefix) > maxNodeGroupNamePrefix {
		p.Addf("clusterName", "makes the system node group's name prefix %q longer than %d characters", prefix, maxNodeGroupNamePrefix)
	}
	p = append(p, checkAddonVersions(args.KubernetesVersion, args.AddonVersions)...)
	// The pools, their AMI release, window and tags are Karpenter's to judge.
	kargs := args.karpenterArgs(nil)
	for _, problem := range kargs.Validate() {
		// The one Karpenter field named differently here.
		if problem.Field == "chartVersion" {
			problem.Field = "karpenterChartVersion"
		}
		p = append(p, problem)
	}
	return p
}

// maxNodeGroupNamePrefix leaves room for the unique suffix the provider appends to a node group
// name prefix (26 characters, terraform-plugin-sdk id.UniqueIDSuffixLength) within EKS's
// 63-character node group names (EKS API reference, CreateNodegroup).
const maxNodeGroupNamePrefix = 63 - 26

// systemAmiType is the EKS AMI type of the system node group: AL2023 of the type's architecture.
func systemAmiType(it awslimits.InstanceType) string {
	if it.Arch == awslimits.ArchARM {
		return "AL2023_ARM_64_STANDARD"
	}
	return "AL2023_x86_64_STANDARD"
}

// karpenterArgs are the Karpenter arguments of a defaulted ClusterArgs.
func (a ClusterArgs) karpenterArgs(endpoint pulumi.StringInput) karpenter.Args {
	return karpenter.Args{
		ClusterName:            a.ClusterName,
		Region:                 a.Region,
		KubernetesVersion:      a.KubernetesVersion,
		AvailabilityZones:      a.AvailabilityZones,
		ClusterEndpoint:        endpoint,
		NodeAmiRelease:         a.NodeAmiRelease,
		NodePools:              a.NodePools,
		NodeTags:               a.NodeTags,
		MaintenanceWindowStart: a.MaintenanceWindowStart,
		MaintenanceWindowHours: a.MaintenanceWindowHours,
		ChartVersion:           a.KarpenterChartVersion,
	}
}

// validateEgressRules checks NodeEgressRules (defaults applied). The checks mirror the policy
// pack's network-no-unrestricted-egress: a rule that opens every port to the internet would undo
// the narrowing of the node egress.
func validateEgressRules(rules []EgressRule) validate.Problems {
	var p validate.Problems
	const field = "nodeEgressRules"
	seen := map[string]bool{}
	for i, e := range rules {
		at := fmt.Sprintf("%s[%d]", field, i)
		if strings.TrimSpace(e.Description) == "" {
			p.Addf(at, "description must say what the traffic is for")
		}
		if e.Protocol != "tcp" && e.Protocol != "udp" {
			p.Addf(at, "protocol must be tcp or udp, got %q", e.Protocol)
		}
		portsOK := true
		for _, port := range []int{e.FromPort, e.ToPort} {
			if port < 1 || port > 65535 {
				p.Addf(at, "ports must be between 1 and 65535, got %d", port)
				portsOK = false
				break
			}
		}
		if portsOK && e.ToPort < e.FromPort {
			p.Addf(at, "toPort (%d) must not be below fromPort (%d)", e.ToPort, e.FromPort)
			portsOK = false
		}
		prefix, cidrOK := p.CIDR(at+".cidr", e.Cidr)
		if cidrOK && portsOK && prefix.Bits() == 0 && e.FromPort <= 1 && e.ToPort == 65535 {
			p.Addf(at, "must not open every port to %s: name the ports the application needs", e.Cidr)
		}
		// Rules are named after their content (egressRuleSuffix); a repeat would be a second
		// rule of the same name, and EC2 refuses a duplicate rule (InvalidPermission.Duplicate).
		if key := egressRuleSuffix(e); seen[key] {
			p.Addf(field, "lists %s %d-%d to %s twice", e.Protocol, e.FromPort, e.ToPort, e.Cidr)
		} else {
			seen[key] = true
		}
	}
	return p
}
