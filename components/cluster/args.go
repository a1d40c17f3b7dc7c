package cluster

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/validate"
)

// Defaults for ClusterArgs and NodeGroupArgs.
const (
	// DefaultKubernetesVersion is in EKS standard support until 27 March 2027 (Amazon EKS
	// Kubernetes release calendar; 1.35 was released on EKS on 28 January 2026).
	DefaultKubernetesVersion   = "1.35"
	DefaultAmiType             = "AL2023_x86_64_STANDARD"
	DefaultDiskSizeGb          = 100
	DefaultLogRetentionDays    = 90
	DefaultNvidiaPluginVersion = "0.18.2"
	// DefaultClusterAutoscalerVersion is the kubernetes/autoscaler cluster-autoscaler chart of
	// August 2026 (9.59.0); its image should match the cluster's Kubernetes minor version.
	DefaultClusterAutoscalerVersion = "9.59.0"
	nvidiaDevicePluginRepository    = "https://nvidia.github.io/k8s-device-plugin"
	clusterAdminAccessPolicyArn     = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
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

// Taint is a Kubernetes taint on every node of a group.
type Taint struct {
	Key    string
	Value  string
	Effect string // NoSchedule, PreferNoSchedule or NoExecute
}

// NodeGroupArgs describes one managed node group.
type NodeGroupArgs struct {
	// Name identifies the group ("general", "ml"); it names the child resources. Required.
	Name string
	// InstanceTypes are the EC2 instance types, first preferred: catalogued types EC2 still
	// offers (awslimits), NVIDIA GPU types exactly when Gpu is set. Required.
	InstanceTypes []string
	// AmiType is the EKS AMI type, an Amazon Linux 2023 one of the instance types' architecture:
	// AL2023_x86_64_STANDARD or AL2023_ARM_64_STANDARD, and for GPU groups AL2023_x86_64_NVIDIA
	// (AL2023_ARM_64_NVIDIA on g5g). Default: "AL2023_x86_64_STANDARD".
	AmiType string
	// MinSize, DesiredSize and MaxSize bound the group; the cluster autoscaler moves DesiredSize
	// after creation and the program ignores that drift. MaxSize is 1 to 450 per managed node
	// group (EKS's default quota). Default: 0, 0, and MaxSize is required.
	MinSize, DesiredSize, MaxSize int
	// DiskSizeGb is the size of each node's encrypted gp3 root volume. Default: 100.
	DiskSizeGb int
	// Labels are the Kubernetes node labels. Default: none.
	Labels map[string]string
	// Taints keep workloads that do not tolerate them off the group. Default: none.
	Taints []Taint
	// Gpu installs the NVIDIA device plugin on this group's nodes, tolerating its taints.
	// Default: false.
	Gpu bool
	// PerZone builds one managed node group per availability zone (one private subnet each)
	// instead of one group spanning every zone. MinSize, DesiredSize and MaxSize stay the totals
	// and are divided among the zones: each zone gets total/zones, and the first total%zones
	// zones one more, so the totals hold exactly (splitAcrossZones). Groups that run pods with
	// zonal EBS volumes need it: the cluster autoscaler can only bring such a pod back by growing
	// a group in the volume's zone. Default: false.
	PerZone bool
}

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
	// NodeGroups are the managed node groups; at least one. Required.
	NodeGroups []NodeGroupArgs
	// NvidiaDevicePluginVersion pins the nvidia-device-plugin chart for Gpu groups. Default: "0.18.2".
	NvidiaDevicePluginVersion string
	// ClusterAutoscalerVersion pins the cluster-autoscaler chart, which moves each node group's
	// size between its bounds. Default: "9.59.0".
	ClusterAutoscalerVersion string
	// ClusterAutoscalerImageTag overrides the autoscaler image tag: a v<kubernetesVersion>.<patch>
	// release, preferably the latest. Required when the chart's default image is of another
	// Kubernetes minor, or not known (awslimits.AutoscalerChartImageTags). Default: "" (the
	// chart's own).
	ClusterAutoscalerImageTag string
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
	if out.ClusterAutoscalerVersion == "" {
		out.ClusterAutoscalerVersion = DefaultClusterAutoscalerVersion
	}
	out.NodeEgressRules = make([]EgressRule, len(a.NodeEgressRules))
	for i, e := range a.NodeEgressRules {
		out.NodeEgressRules[i] = e.withDefaults()
	}
	out.NodeGroups = make([]NodeGroupArgs, len(a.NodeGroups))
	for i, ng := range a.NodeGroups {
		if ng.AmiType == "" {
			ng.AmiType = DefaultAmiType
		}
		if ng.DiskSizeGb == 0 {
			ng.DiskSizeGb = DefaultDiskSizeGb
		}
		out.NodeGroups[i] = ng
	}
	return out
}

var (
	versionPattern      = regexp.MustCompile(`^1\.[0-9]{2}$`)
	clusterNamePattern  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)
	namePattern         = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	chartVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	roleArnPattern      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`)
	// EC2 resource ids: the prefix and 8 (older) or 17 hexadecimal digits (EC2 User Guide,
	// "Resource IDs").
	securityGroupIDPattern = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	taintEffects           = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
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
	for _, chart := range []struct{ field, version string }{
		{"nvidiaDevicePluginVersion", args.NvidiaDevicePluginVersion},
		{"clusterAutoscalerVersion", args.ClusterAutoscalerVersion},
	} {
		if !chartVersionPattern.MatchString(chart.version) {
			p.Addf(chart.field, "must be an exact chart version such as 1.2.3, got %q", chart.version)
		}
	}
	// The autoscaler supports the cluster's own Kubernetes minor: a pinned tag must be of it, and
	// without one the chart's default image must be (awslimits.AutoscalerChartImageTags).
	if chartVersionPattern.MatchString(args.ClusterAutoscalerVersion) {
		awslimits.CheckAutoscalerImage(&p, "clusterAutoscalerImageTag", args.KubernetesVersion,
			args.ClusterAutoscalerVersion, args.ClusterAutoscalerImageTag)
	}
	if gpuOnly := len(args.NodeGroups) > 0; gpuOnly {
		for _, ng := range args.NodeGroups {
			gpuOnly = gpuOnly && ng.Gpu
		}
		if gpuOnly {
			p.Addf("nodeGroups", "must include a group without a GPU for the cluster's own services")
		}
	}
	if len(args.NodeGroups) == 0 {
		p.Addf("nodeGroups", "must declare at least one node group")
	}
	seen := map[string]bool{}
	for _, ng := range args.NodeGroups {
		field := "nodeGroups." + ng.Name
		if !namePattern.MatchString(ng.Name) {
			p.Addf("nodeGroups", "names must be lowercase letters, digits and '-', got %q", ng.Name)
		}
		if seen[ng.Name] {
			p.Addf("nodeGroups", "names must be unique, got %q twice", ng.Name)
		}
		seen[ng.Name] = true
		groups := 1
		if ng.PerZone {
			groups = len(args.AvailabilityZones)
		}
		p = append(p, ng.validate(args.KubernetesVersion, groups).Prefixed(field)...)
		if ng.PerZone {
			p = append(p, ng.validateZones(args.ClusterName, args.Region, args.AvailabilityZones).Prefixed(field)...)
		}
	}
	return p
}

// maxNodeGroupNamePrefix leaves room for the unique suffix the provider appends to
// nodeGroupNamePrefix (26 characters, terraform-plugin-sdk id.UniqueIDSuffixLength) within
// EKS's 63-character node group names (EKS API reference, CreateNodegroup).
const maxNodeGroupNamePrefix = 63 - 26

// validateZones checks a PerZone group against the zones it is split across.
func (ng NodeGroupArgs) validateZones(clusterName, region string, zones []string) validate.Problems {
	var p validate.Problems
	if len(zones) == 0 {
		p.Addf("perZone", "needs availabilityZones, the zones of privateSubnetIds in order")
		return p
	}
	// Each zone's group needs room for a node: EKS refuses a maxSize below 1, and a zone
	// without one could never host a pod whose volume lives there.
	if ng.MaxSize < len(zones) {
		p.Addf("maxSize", "(%d) must be at least the number of zones (%d): the group is split into one group per zone, each with room for a node", ng.MaxSize, len(zones))
	}
	for _, az := range zones {
		if prefix := nodeGroupNamePrefix(clusterName, ng.Name, zoneSuffix(region, az)); len(prefix) > maxNodeGroupNamePrefix {
			p.Addf("perZone", "node group name prefix %q is longer than %d characters; shorten the cluster or group name", prefix, maxNodeGroupNamePrefix)
			break
		}
	}
	return p
}

// validate checks a group for a cluster of kubernetesVersion, its sizes spread over groups
// managed node groups (one per zone when PerZone).
func (ng NodeGroupArgs) validate(kubernetesVersion string, groups int) validate.Problems {
	var p validate.Problems
	if len(ng.InstanceTypes) == 0 {
		p.Addf("instanceTypes", "must name at least one EC2 instance type")
	}
	// Instance types that exist and are still offered, an AMI type EKS publishes for this
	// Kubernetes minor, and the two matching: architecture, and an NVIDIA GPU with the NVIDIA AMI
	// exactly when the group is meant for GPUs (sources in awslimits).
	types, typesOK := make([]awslimits.InstanceType, 0, len(ng.InstanceTypes)), true
	for _, name := range ng.InstanceTypes {
		it, ok := awslimits.CheckInstanceType(&p, "instanceTypes", name)
		typesOK = typesOK && ok && it.Retired == ""
		types = append(types, it)
	}
	amiOK := awslimits.CheckAMIType(&p, "amiType", ng.AmiType, kubernetesVersion)
	if typesOK && amiOK && len(types) > 0 {
		awslimits.CheckNodeGroupImage(&p, "instanceTypes", "amiType", types, ng.AmiType, ng.Gpu)
	}
	awslimits.CheckScaling(&p, "minSize", "desiredSize", "maxSize", ng.MinSize, ng.DesiredSize, ng.MaxSize, groups)
	p.IntRange("diskSizeGb", ng.DiskSizeGb, 20, 16384)
	for _, t := range ng.Taints {
		if t.Key == "" {
			p.Addf("taints", "must have a key")
		}
		if !slices.Contains(taintEffects, t.Effect) {
			p.Addf("taints", "effect must be one of %v, got %q", taintEffects, t.Effect)
		}
	}
	return p
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
