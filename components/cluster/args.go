package cluster

import (
	"regexp"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

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
	defaultMaxUnavailablePercent    = 33
	nvidiaDevicePluginRepository    = "https://nvidia.github.io/k8s-device-plugin"
	clusterAdminAccessPolicyArn     = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	fastSsdStorageClassName         = "fast-ssd"
)

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
	// InstanceTypes are the EC2 instance types, first preferred. Required.
	InstanceTypes []string
	// AmiType is the EKS AMI type; GPU groups use AL2023_x86_64_NVIDIA. Default: "AL2023_x86_64_STANDARD".
	AmiType string
	// MinSize, DesiredSize and MaxSize bound the group; the cluster autoscaler moves DesiredSize
	// after creation and the program ignores that drift. Default: 0, 0, and MaxSize is required.
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
	// KubernetesVersion is the EKS minor version. Default: "1.35".
	KubernetesVersion string
	// EndpointPublicAccess opens the API server endpoint to the internet, restricted to
	// PublicAccessCidrs. The private endpoint is always on. Default: false.
	EndpointPublicAccess bool
	// PublicAccessCidrs may reach the public endpoint; required when EndpointPublicAccess is
	// set, and never 0.0.0.0/0. Default: none.
	PublicAccessCidrs []string
	// AdminRoleArns are IAM roles given cluster-admin through EKS access entries, besides the
	// identity that creates the cluster. Default: none.
	AdminRoleArns []string
	// SecretsKmsKeyArn encrypts Kubernetes Secrets in etcd. When nil the component creates a
	// key with rotation. Default: nil.
	SecretsKmsKeyArn pulumi.StringInput
	// LogRetentionDays keeps control-plane logs this long in CloudWatch Logs. Default: 90.
	LogRetentionDays int
	// NodeGroups are the managed node groups; at least one. Required.
	NodeGroups []NodeGroupArgs
	// NvidiaDevicePluginVersion pins the nvidia-device-plugin chart for Gpu groups. Default: "0.18.2".
	NvidiaDevicePluginVersion string
	// ClusterAutoscalerVersion pins the cluster-autoscaler chart, which moves each node group's
	// size between its bounds. Default: "9.59.0".
	ClusterAutoscalerVersion string
	// ClusterAutoscalerImageTag overrides the autoscaler image tag; it should be the latest
	// v<kubernetesVersion>.x release. Default: "" (the chart's own).
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
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	clusterNamePattern  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)
	namePattern         = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	chartVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	imageTagPattern     = regexp.MustCompile(`^v1\.[0-9]+\.[0-9]+$`)
	roleArnPattern      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`)
	// amiTypes accepted by EKS managed node groups with an AL2023 root volume at
	// /dev/xvda; Amazon Linux 2 types are absent on purpose (not offered for current EKS versions).
	amiTypes = []string{"AL2023_x86_64_STANDARD", "AL2023_x86_64_NVIDIA", "AL2023_x86_64_NEURON",
		"AL2023_ARM_64_STANDARD", "AL2023_ARM_64_NVIDIA"}
	taintEffects = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
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
	}
	if args.EndpointPublicAccess && len(args.PublicAccessCidrs) == 0 {
		p.Addf("publicAccessCidrs", "must list the CIDRs allowed to reach the public endpoint when endpointPublicAccess is true")
	}
	for _, cidr := range args.PublicAccessCidrs {
		if prefix, ok := p.CIDR("publicAccessCidrs", cidr); ok && prefix.Bits() == 0 {
			p.Addf("publicAccessCidrs", "must not open the API server to the whole internet, got %q", cidr)
		}
	}
	for _, arn := range args.AdminRoleArns {
		if !roleArnPattern.MatchString(arn) {
			p.Addf("adminRoleArns", "must be IAM role ARNs (arn:aws:iam::<account>:role/<name>), got %q", arn)
		}
	}
	p.IntRange("logRetentionDays", args.LogRetentionDays, 1, 3653)
	for _, chart := range []struct{ field, version string }{
		{"nvidiaDevicePluginVersion", args.NvidiaDevicePluginVersion},
		{"clusterAutoscalerVersion", args.ClusterAutoscalerVersion},
	} {
		if !chartVersionPattern.MatchString(chart.version) {
			p.Addf(chart.field, "must be an exact chart version such as 1.2.3, got %q", chart.version)
		}
	}
	if tag := args.ClusterAutoscalerImageTag; tag != "" && !imageTagPattern.MatchString(tag) {
		p.Addf("clusterAutoscalerImageTag", "must be an autoscaler release tag such as v1.35.0, got %q", tag)
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
		p = append(p, ng.validate().Prefixed(field)...)
	}
	return p
}

func (ng NodeGroupArgs) validate() validate.Problems {
	var p validate.Problems
	if len(ng.InstanceTypes) == 0 {
		p.Addf("instanceTypes", "must name at least one EC2 instance type")
	}
	for _, it := range ng.InstanceTypes {
		if !instanceTypePattern.MatchString(it) {
			p.Addf("instanceTypes", "must be EC2 instance types such as m5.xlarge, got %q", it)
		}
	}
	if !slices.Contains(amiTypes, ng.AmiType) {
		p.Addf("amiType", "must be one of %v, got %q", amiTypes, ng.AmiType)
	}
	if ng.MinSize < 0 {
		p.Addf("minSize", "must be 0 or more, got %d", ng.MinSize)
	}
	switch {
	case ng.MaxSize < 1:
		p.Addf("maxSize", "must be at least 1, got %d", ng.MaxSize)
	case ng.MaxSize < ng.MinSize:
		p.Addf("maxSize", "(%d) must not be below minSize (%d)", ng.MaxSize, ng.MinSize)
	case ng.DesiredSize < ng.MinSize || ng.DesiredSize > ng.MaxSize:
		p.Addf("desiredSize", "(%d) must be between minSize (%d) and maxSize (%d)", ng.DesiredSize, ng.MinSize, ng.MaxSize)
	}
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
