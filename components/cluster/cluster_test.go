package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

func baseArgs() ClusterArgs {
	return ClusterArgs{
		ClusterName:          "novacron-test",
		Region:               "us-east-1",
		AvailabilityZones:    []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		EndpointAllowedCidrs: []string{"10.0.0.0/16"},
		NodeGroups: []NodeGroupArgs{
			{Name: "general", InstanceTypes: []string{"m5.xlarge"}, MinSize: 3, DesiredSize: 5, MaxSize: 10,
				Labels: map[string]string{"workload": "general"}, PerZone: true},
			{Name: "ml", InstanceTypes: []string{"g5.2xlarge"}, AmiType: "AL2023_x86_64_NVIDIA", MinSize: 0, DesiredSize: 2, MaxSize: 5,
				Labels: map[string]string{"workload": "ml"}, Taints: []Taint{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}}, Gpu: true},
		},
	}
}

func run(t *testing.T, args ClusterArgs) (*mock.Engine, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		a := args
		a.VpcId = pulumi.String("vpc-1")
		a.PrivateSubnetIds = pulumi.ToStringArray([]string{"subnet-a", "subnet-b", "subnet-c"})
		_, err := NewCluster(ctx, "cluster", &a)
		return err
	})
	return eng, err
}

func TestClusterDefaults(t *testing.T) {
	eng, err := run(t, baseArgs())
	require.NoError(t, err)

	comp := eng.Find("novacron:cluster:Cluster", "cluster")
	require.NotNil(t, comp)
	c := eng.Find("eks:index:Cluster", "cluster")
	require.NotNil(t, c)
	assert.Equal(t, comp.URN, c.Parent)
	assert.True(t, c.Remote, "pulumi-eks Cluster is a remote component")
	assert.Equal(t, "1.35", mocktest.Value(t, c, "version"))
	assert.Equal(t, true, mocktest.Value(t, c, "endpointPrivateAccess"))
	assert.Equal(t, false, mocktest.Value(t, c, "endpointPublicAccess"))
	assert.Equal(t, false, mocktest.Value(t, c, "createOidcProvider"))
	assert.Equal(t, true, mocktest.Value(t, c, "useDefaultVpcCni"))
	assert.Equal(t, []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}, mocktest.Value(t, c, "enabledClusterLogTypes"))
	logs := eng.Find("aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane")
	require.NotNil(t, logs)
	assert.Equal(t, "/aws/eks/novacron-test/cluster", mocktest.Value(t, logs, "name"))
	assert.Equal(t, 90.0, mocktest.Value(t, logs, "retentionInDays"))
	assert.Contains(t, c.Dependencies, logs.URN, "the log group exists before EKS writes to it")

	key := eng.Find("aws:kms/key:Key", "cluster-secrets")
	require.NotNil(t, key)
	assert.Equal(t, true, mocktest.Value(t, key, "enableKeyRotation"))
	assert.Contains(t, c.Dependencies, key.URN, "secrets are encrypted with the created key")

	oidc := eng.Find("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "cluster-oidc")
	require.NotNil(t, oidc)
	assert.Equal(t, "https://oidc.eks.us-east-1.amazonaws.com/id/NOVACRON-TEST", mocktest.Value(t, oidc, "url"))
	assert.Equal(t, []any{"sts.amazonaws.com"}, mocktest.Value(t, oidc, "clientIdLists"))

	// Node groups: launch template with IMDSv2 and encrypted volumes, scaling drift ignored,
	// the kubelet pinned to the control plane's minor, after the networking add-ons so that
	// nodes come up with working networking.
	cni := eng.Find("aws:eks/addon:Addon", "cluster-vpc-cni")
	require.NotNil(t, cni)
	assert.JSONEq(t, `{"enableNetworkPolicy":"true"}`, mocktest.Value(t, cni, "configurationValues").(string))
	kubeProxy := eng.Find("aws:eks/addon:Addon", "cluster-kube-proxy")
	require.NotNil(t, kubeProxy)
	groups := []string{"general-us-east-1a", "general-us-east-1b", "general-us-east-1c", "ml"}
	for _, name := range groups {
		ng := eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-"+name)
		require.NotNil(t, ng, name)
		assert.Contains(t, ng.Dependencies, cni.URN)
		assert.Contains(t, ng.Dependencies, kubeProxy.URN)
		assert.Contains(t, ng.Dependencies, c.URN, "node groups wait for the control plane")
		assert.Equal(t, []string{"scalingConfig.desiredSize"}, ng.IgnoreChanges)
		assert.Equal(t, "ON_DEMAND", mocktest.Value(t, ng, "capacityType"))
		assert.Equal(t, "1.35", mocktest.Value(t, ng, "version"), "%s follows the control plane", name)
	}
	assert.Len(t, eng.ByType("aws:eks/nodeGroup:NodeGroup"), len(groups))
	for _, pool := range []string{"general", "ml"} {
		lt := eng.Find("aws:ec2/launchTemplate:LaunchTemplate", "cluster-"+pool)
		require.NotNil(t, lt)
		assert.Equal(t, "required", mocktest.Value(t, lt, "metadataOptions.httpTokens"))
		assert.Equal(t, 1.0, mocktest.Value(t, lt, "metadataOptions.httpPutResponseHopLimit"))
		ebs := mocktest.Value(t, lt, "blockDeviceMappings").([]any)[0].(map[string]any)["ebs"].(map[string]any)
		assert.Equal(t, "true", ebs["encrypted"])
		assert.Equal(t, "gp3", ebs["volumeType"])
		assert.Equal(t, 100.0, ebs["volumeSize"])
	}
	assert.Len(t, eng.ByType("aws:ec2/launchTemplate:LaunchTemplate"), 2, "the zone groups of a pool share its launch template")
	ml := eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-ml")
	assert.Equal(t, []any{map[string]any{"key": "ml-workload", "value": "true", "effect": "NO_SCHEDULE"}}, mocktest.Value(t, ml, "taints"))
	assert.Equal(t, "AL2023_x86_64_NVIDIA", mocktest.Value(t, ml, "amiType"))
	assert.Equal(t, []any{"subnet-a", "subnet-b", "subnet-c"}, mocktest.Value(t, ml, "subnetIds"), "the GPU pool spans every zone")

	tags := map[string]map[string]string{}
	for _, tag := range eng.ByType("aws:autoscaling/tag:Tag") {
		asg := mocktest.Value(t, tag, "autoscalingGroupName").(string)
		if tags[asg] == nil {
			tags[asg] = map[string]string{}
		}
		tags[asg][mocktest.Value(t, tag, "tag.key").(string)] = mocktest.Value(t, tag, "tag.value").(string)
	}
	general := map[string]string{"k8s.io/cluster-autoscaler/node-template/label/workload": "general"}
	assert.Equal(t, map[string]map[string]string{
		"eks-cluster-general-us-east-1a-asg": general,
		"eks-cluster-general-us-east-1b-asg": general,
		"eks-cluster-general-us-east-1c-asg": general,
		"eks-cluster-ml-asg": {
			"k8s.io/cluster-autoscaler/node-template/label/workload":    "ml",
			"k8s.io/cluster-autoscaler/node-template/taint/ml-workload": "true:NoSchedule",
		},
	}, tags, "each group's own Auto Scaling group carries its labels and taints")

	// IRSA: each add-on's role trusts only its own service account.
	ebsAddon := eng.Find("aws:eks/addon:Addon", "cluster-aws-ebs-csi-driver")
	require.NotNil(t, ebsAddon)
	role := eng.Find("aws:iam/role:Role", "cluster-aws-ebs-csi-driver")
	require.NotNil(t, role)
	assert.Contains(t, mocktest.Value(t, role, "assumeRolePolicy"), "system:serviceaccount:kube-system:ebs-csi-controller-sa")
	generalA := eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-general-us-east-1a")
	generalC := eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-general-us-east-1c")
	gpu := eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-ml")
	assert.Subset(t, ebsAddon.Dependencies, []string{generalA.URN, generalC.URN}, "the EBS CSI controller needs nodes to run on")
	assert.NotContains(t, ebsAddon.Dependencies, gpu.URN, "GPU capacity does not hold back cluster services")
	system := eng.Find("pulumi:providers:kubernetes", "cluster-k8s-system")
	require.NotNil(t, system)
	assert.Contains(t, system.Dependencies, generalA.URN)
	assert.NotContains(t, system.Dependencies, gpu.URN)
	workloads := eng.Find("pulumi:providers:kubernetes", "cluster-k8s")
	require.NotNil(t, workloads)
	assert.Subset(t, workloads.Dependencies, []string{generalA.URN, generalC.URN, eng.Find("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-fast-ssd").URN},
		"workloads wait for the system nodes and the storage class")
	assert.NotContains(t, workloads.Dependencies, gpu.URN)

	sc := eng.Find("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-fast-ssd")
	require.NotNil(t, sc)
	assert.Equal(t, "ebs.csi.aws.com", mocktest.Value(t, sc, "provisioner"))
	assert.Equal(t, "WaitForFirstConsumer", mocktest.Value(t, sc, "volumeBindingMode"))
	assert.Contains(t, sc.Dependencies, ebsAddon.URN)

	plugin := eng.Find("kubernetes:helm.sh/v3:Release", "cluster-ml-nvidia-device-plugin")
	require.NotNil(t, plugin, "the device plugin goes on the GPU group")
	assert.Len(t, eng.ByType("kubernetes:helm.sh/v3:Release"), 2, "device plugin and cluster autoscaler")
	assert.Equal(t, "0.18.2", mocktest.Value(t, plugin, "version"))
	assert.Contains(t, plugin.Dependencies, gpu.URN, "the device plugin waits for its own group")
	terms := mocktest.Value(t, plugin, "values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")
	assert.Equal(t, []any{map[string]any{"matchExpressions": []any{
		map[string]any{"key": "workload", "operator": "In", "values": []any{"ml"}},
	}}}, terms)
}

func TestClusterAutoscaler(t *testing.T) {
	eng, err := run(t, baseArgs())
	require.NoError(t, err)
	release := eng.Find("kubernetes:helm.sh/v3:Release", "cluster-cluster-autoscaler")
	require.NotNil(t, release)
	assert.Equal(t, "9.59.0", mocktest.Value(t, release, "version"))
	assert.Equal(t, "novacron-test", mocktest.Value(t, release, "values.autoDiscovery.clusterName"))
	assert.Equal(t, "us-east-1", mocktest.Value(t, release, "values.awsRegion"))
	role := eng.Find("aws:iam/role:Role", "cluster-cluster-autoscaler")
	require.NotNil(t, role)
	assert.Contains(t, mocktest.Value(t, role, "assumeRolePolicy"), "system:serviceaccount:kube-system:cluster-autoscaler")
	assert.Contains(t, release.Dependencies, eng.Find("aws:iam/rolePolicy:RolePolicy", "cluster-cluster-autoscaler").URN)

	var doc struct {
		Statement []struct {
			Sid       string
			Action    []string
			Condition map[string]map[string]string
		}
	}
	policy := eng.Find("aws:iam/rolePolicy:RolePolicy", "cluster-cluster-autoscaler")
	require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, policy, "policy")), &doc))
	require.Len(t, doc.Statement, 2)
	resize := doc.Statement[1]
	assert.Equal(t, []string{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}, resize.Action)
	assert.Equal(t, map[string]string{"aws:ResourceTag/k8s.io/cluster-autoscaler/novacron-test": "owned"},
		resize.Condition["StringEquals"], "only this cluster's groups can be resized")
}

func TestNodeTemplateTags(t *testing.T) {
	ng := baseArgs().NodeGroups[1]
	assert.Equal(t, []asgTag{
		{"label-workload", "k8s.io/cluster-autoscaler/node-template/label/workload", "ml"},
		{"taint-ml-workload", "k8s.io/cluster-autoscaler/node-template/taint/ml-workload", "true:NoSchedule"},
	}, nodeTemplateTags(ng))
}

func TestClusterOverrides(t *testing.T) {
	args := baseArgs()
	args.EndpointPublicAccess = true
	args.PublicAccessCidrs = []string{"203.0.114.0/24"} // public; the documentation ranges are refused
	args.AdminRoleArns = []string{"arn:aws:iam::123456789012:role/platform-admins"}
	args.SecretsKmsKeyArn = pulumi.String("arn:aws:kms:us-east-1:123456789012:key/byo")
	args.KubernetesVersion = "1.34"
	// Chart 9.59.0 installs v1.35.0 by default; a 1.34 cluster needs a 1.34 autoscaler.
	args.ClusterAutoscalerImageTag = "v1.34.2"
	args.NodeGroups = args.NodeGroups[:1]
	eng, err := run(t, args)
	require.NoError(t, err)

	c := eng.Find("eks:index:Cluster", "cluster")
	require.NotNil(t, c)
	assert.Equal(t, true, mocktest.Value(t, c, "endpointPublicAccess"))
	assert.Equal(t, []any{"203.0.114.0/24"}, mocktest.Value(t, c, "publicAccessCidrs"))
	assert.Equal(t, "1.34", mocktest.Value(t, c, "version"))
	assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:key/byo", mocktest.Value(t, c, "encryptionConfigKeyArn"))
	assert.Equal(t, "arn:aws:iam::123456789012:role/platform-admins", mocktest.Value(t, c, "accessEntries.admin-0.principalArn"))
	assert.Equal(t, clusterAdminAccessPolicyArn, mocktest.Value(t, c, "accessEntries.admin-0.accessPolicies.cluster-admin.policyArn"))
	assert.Nil(t, eng.Find("aws:kms/key:Key", "cluster-secrets"), "no key is created when one is brought")
	assert.Nil(t, eng.Find("kubernetes:helm.sh/v3:Release", "cluster-ml-nvidia-device-plugin"), "no GPU group, no device plugin")
}

func TestClusterInvalidArgs(t *testing.T) {
	tests := []struct {
		name string
		edit func(*ClusterArgs)
		want string
	}{
		{"no node groups", func(a *ClusterArgs) { a.NodeGroups = nil }, "nodeGroups must declare at least one node group"},
		{"public without CIDRs", func(a *ClusterArgs) { a.EndpointPublicAccess = true },
			"publicAccessCidrs must list the CIDRs allowed to reach the public endpoint"},
		{"public to the world", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"0.0.0.0/0"}
		}, `publicAccessCidrs must not open the API server to the whole internet, got "0.0.0.0/0"`},
		{"version", func(a *ClusterArgs) { a.KubernetesVersion = "1.35.2" }, `kubernetesVersion must be a Kubernetes minor version such as "1.35", got "1.35.2"`},
		{"min above max", func(a *ClusterArgs) { a.NodeGroups[1].MinSize = 6 }, "nodeGroups.ml.maxSize (5) must not be below minSize (6)"},
		{"desired above max", func(a *ClusterArgs) { a.NodeGroups[0].DesiredSize = 11 },
			"nodeGroups.general.desiredSize (11) must be between minSize (3) and maxSize (10)"},
		{"no instance type", func(a *ClusterArgs) { a.NodeGroups[0].InstanceTypes = nil }, "nodeGroups.general.instanceTypes must name at least one EC2 instance type"},
		{"bad instance type", func(a *ClusterArgs) { a.NodeGroups[0].InstanceTypes = []string{"large"} },
			`nodeGroups.general.instanceTypes must be an EC2 instance type of a catalogued family (general purpose t3, t3a, t4g, m5 to m7;`},
		{"misspelt instance type", func(a *ClusterArgs) { a.NodeGroups[0].InstanceTypes = []string{"m5.xlage"} },
			`nodeGroups.general.instanceTypes must be an EC2 instance type, got "m5.xlage" (did you mean "m5.xlarge"?)`},
		{"abbreviated GPU type", func(a *ClusterArgs) { a.NodeGroups[1].InstanceTypes = []string{"p3.2xl"} },
			`nodeGroups.ml.instanceTypes must be an EC2 instance type, got "p3.2xl" (did you mean "p3.2xlarge", which is retired by AWS`},
		{"retired GPU type", func(a *ClusterArgs) { a.NodeGroups[1].InstanceTypes = []string{"p3.2xlarge"} },
			`nodeGroups.ml.instanceTypes "p3.2xlarge" is retired by AWS: P3 instances are no longer offered`},
		{"GPU pool on CPU nodes", func(a *ClusterArgs) { a.NodeGroups[1].InstanceTypes = []string{"m5.xlarge"} },
			`nodeGroups.ml.instanceTypes must be an NVIDIA GPU instance type for a GPU group`},
		{"GPU pool with the standard AMI", func(a *ClusterArgs) { a.NodeGroups[1].AmiType = "AL2023_x86_64_STANDARD" },
			`nodeGroups.ml.amiType must be an NVIDIA AMI type (AL2023_x86_64_NVIDIA, or AL2023_ARM_64_NVIDIA for g5g) for a GPU group`},
		{"GPU type in the general pool", func(a *ClusterArgs) { a.NodeGroups[0].InstanceTypes = []string{"g6.xlarge"} },
			`nodeGroups.general.instanceTypes must not be a GPU instance type in a group without GPU support: g6.xlarge (1 L4)`},
		{"Graviton type on an x86 AMI", func(a *ClusterArgs) { a.NodeGroups[0].InstanceTypes = []string{"m7g.xlarge"} },
			`nodeGroups.general.amiType must match the arm64 architecture of m7g.xlarge, got "AL2023_x86_64_STANDARD"`},
		{"Amazon Linux 2 AMI", func(a *ClusterArgs) { a.NodeGroups[1].AmiType = "AL2_x86_64_GPU" },
			`nodeGroups.ml.amiType must be an Amazon Linux 2023 type (one of [AL2023_x86_64_STANDARD AL2023_ARM_64_STANDARD AL2023_x86_64_NVIDIA AL2023_ARM_64_NVIDIA]): EKS publishes no Amazon Linux 2 AMI for Kubernetes 1.33 and later, got "AL2_x86_64_GPU"`},
		{"unknown AMI type", func(a *ClusterArgs) { a.NodeGroups[1].AmiType = "AL2023_NVIDIA" },
			`nodeGroups.ml.amiType must be an EKS AMI type such as AL2023_x86_64_STANDARD`},
		{"more nodes than EKS's quota", func(a *ClusterArgs) { a.NodeGroups[1].MaxSize = 451 },
			`nodeGroups.ml.maxSize must be at most 450, EKS's quota of nodes per managed node group, got 451`},
		{"log retention CloudWatch lacks", func(a *ClusterArgs) { a.LogRetentionDays = 100 },
			`logRetentionDays must be a CloudWatch Logs retention, one of [1 3 5 7`},
		{"public to the world in halves", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"0.0.0.0/1", "128.0.0.0/1"}
		}, `publicAccessCidrs must not open the API server to the whole internet: together 0.0.0.0/1, 128.0.0.0/1 cover every public IPv4 address`},
		{"private range on the public endpoint", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"10.0.0.0/8"}
		}, `publicAccessCidrs must be public address ranges: "10.0.0.0/8" is RFC 1918 private`},
		{"public CIDR with host bits", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"203.0.114.9/24"}
		}, `publicAccessCidrs must be a network address (203.0.114.0/24), got "203.0.114.9/24"`},
		{"autoscaler image of another minor", func(a *ClusterArgs) { a.ClusterAutoscalerImageTag = "v1.34.2" },
			`clusterAutoscalerImageTag must be a v1.35.x release to match kubernetesVersion 1.35, got "v1.34.2"`},
		{"chart default image of another minor", func(a *ClusterArgs) { a.KubernetesVersion = "1.34" },
			`clusterAutoscalerImageTag must be set to a v1.34.x release: cluster-autoscaler chart 9.59.0 installs v1.35.0, which does not match kubernetesVersion 1.34`},
		{"chart whose default image is unknown", func(a *ClusterArgs) { a.ClusterAutoscalerVersion = "9.99.0" },
			`clusterAutoscalerImageTag must be set (a v1.35.x release): the default image of cluster-autoscaler chart 9.99.0 is not known here`},
		{"bad taint effect", func(a *ClusterArgs) { a.NodeGroups[1].Taints[0].Effect = "NO_SCHEDULE" }, `nodeGroups.ml.taints effect must be one of [NoSchedule PreferNoSchedule NoExecute], got "NO_SCHEDULE"`},
		{"duplicate group", func(a *ClusterArgs) { a.NodeGroups[1].Name = "general" }, `nodeGroups names must be unique, got "general" twice`},
		{"admin not a role", func(a *ClusterArgs) { a.AdminRoleArns = []string{"arn:aws:iam::123456789012:user/bob"} }, `adminRoleArns must be IAM role ARNs`},
		{"no region", func(a *ClusterArgs) { a.Region = "" }, "region must not be empty"},
		{"only GPU groups", func(a *ClusterArgs) { a.NodeGroups = a.NodeGroups[1:] },
			"nodeGroups must include a group without a GPU for the cluster's own services"},
		{"autoscaler chart range", func(a *ClusterArgs) { a.ClusterAutoscalerVersion = "^9" },
			`clusterAutoscalerVersion must be an exact chart version such as 1.2.3, got "^9"`},
		{"private endpoint nobody can reach", func(a *ClusterArgs) { a.EndpointAllowedCidrs = nil },
			"endpointAllowedCidrs must list the networks of the runners, bastions or VPNs that deploy"},
		{"deployers from anywhere", func(a *ClusterArgs) { a.EndpointAllowedCidrs = []string{"0.0.0.0/0"} },
			`endpointAllowedCidrs must name the deployers' networks, not every address, got "0.0.0.0/0"`},
		{"deployer CIDR not a network", func(a *ClusterArgs) { a.EndpointAllowedCidrs = []string{"10.0.0.1/16"} },
			`endpointAllowedCidrs must be a network address (10.0.0.0/16), got "10.0.0.1/16"`},
		{"deployer group not an id", func(a *ClusterArgs) { a.EndpointAllowedSecurityGroupIds = []string{"runners"} },
			`endpointAllowedSecurityGroupIds must be security group ids (sg- and 8 or 17 hex digits), got "runners"`},
		{"deployer CIDR twice", func(a *ClusterArgs) { a.EndpointAllowedCidrs = []string{"10.8.0.0/16", "10.8.0.0/16"} },
			`endpointAllowedCidrs lists "10.8.0.0/16" twice`},
		{"deployer group twice", func(a *ClusterArgs) {
			a.EndpointAllowedSecurityGroupIds = []string{"sg-0123456789abcdef0", "sg-0123456789abcdef0"}
		}, `endpointAllowedSecurityGroupIds lists "sg-0123456789abcdef0" twice`},
		{"read-only not a role", func(a *ClusterArgs) { a.ReadOnlyRoleArns = []string{"arn:aws:iam::123456789012:user/ci"} },
			`readOnlyRoleArns must be IAM role ARNs`},
		{"role in both lists", func(a *ClusterArgs) {
			a.AdminRoleArns = []string{"arn:aws:iam::123456789012:role/ci"}
			a.ReadOnlyRoleArns = []string{"arn:aws:iam::123456789012:role/ci"}
		}, `readOnlyRoleArns must not repeat a role already in adminRoleArns (EKS keeps one access entry per role), got "arn:aws:iam::123456789012:role/ci"`},
		{"version without pinned add-ons", func(a *ClusterArgs) { a.KubernetesVersion = "1.39" },
			`kubernetesVersion must be one with pinned add-on versions [1.33 1.34 1.35], got "1.39"`},
		{"zone groups without room in every zone", func(a *ClusterArgs) {
			a.NodeGroups[0].MinSize, a.NodeGroups[0].DesiredSize, a.NodeGroups[0].MaxSize = 1, 1, 2
		}, "nodeGroups.general.maxSize (2) must be at least the number of zones (3)"},
		{"VPC CIDR not a network", func(a *ClusterArgs) { a.VpcCidr = "10.0.0.1/16" },
			`vpcCidr must be a network address (10.0.0.0/16), got "10.0.0.1/16"`},
		{"VPC CIDR public", func(a *ClusterArgs) { a.VpcCidr = "8.8.0.0/16" },
			`vpcCidr must lie in a private range`},
		{"egress every port to the internet", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "everything", FromPort: 1, ToPort: 65535, Cidr: "0.0.0.0/0"}}
		}, `nodeEgressRules[0] must not open every port to 0.0.0.0/0`},
		{"egress without a description", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{FromPort: 5671, Cidr: "203.0.113.0/24"}}
		}, `nodeEgressRules[0] description must say what the traffic is for`},
		{"egress protocol", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", Protocol: "-1", FromPort: 5671, Cidr: "203.0.113.0/24"}}
		}, `nodeEgressRules[0] protocol must be tcp or udp, got "-1"`},
		{"egress port out of range", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", FromPort: 70000, Cidr: "203.0.113.0/24"}}
		}, `nodeEgressRules[0] ports must be between 1 and 65535, got 70000`},
		{"egress ports reversed", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", FromPort: 5672, ToPort: 5671, Cidr: "203.0.113.0/24"}}
		}, `nodeEgressRules[0] toPort (5671) must not be below fromPort (5672)`},
		{"egress CIDR with host bits", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", FromPort: 5671, Cidr: "203.0.113.7/24"}}
		}, `nodeEgressRules[0].cidr must be a network address (203.0.113.0/24), got "203.0.113.7/24"`},
		{"egress rule twice", func(a *ClusterArgs) {
			r := EgressRule{Description: "broker", FromPort: 5671, Cidr: "203.0.113.0/24"}
			a.NodeEgressRules = []EgressRule{r, r}
		}, `nodeEgressRules lists tcp 5671-5671 to 203.0.113.0/24 twice`},
		{"zone groups without zones", func(a *ClusterArgs) { a.AvailabilityZones = nil },
			"nodeGroups.general.perZone needs availabilityZones, the zones of privateSubnetIds in order"},
		{"zone group name too long", func(a *ClusterArgs) { a.ClusterName = "novacron-a-rather-long-cluster-name" },
			`nodeGroups.general.perZone node group name prefix "novacron-a-rather-long-cluster-name-general-a-" is longer than 37 characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := baseArgs()
			args.NodeGroups = append([]NodeGroupArgs(nil), args.NodeGroups...)
			args.NodeGroups[1].Taints = append([]Taint(nil), args.NodeGroups[1].Taints...)
			tt.edit(&args)
			eng, err := run(t, args)
			require.ErrorContains(t, err, `cluster "cluster": `+tt.want)
			assert.Empty(t, eng.Resources(), "nothing is registered when the arguments are invalid")
		})
	}
}

func TestAddonsPinnedToKubernetesMinor(t *testing.T) {
	for _, version := range []string{"1.35", "1.34"} {
		t.Run(version, func(t *testing.T) {
			args := baseArgs()
			args.KubernetesVersion = version
			if version != DefaultKubernetesVersion {
				args.ClusterAutoscalerImageTag = "v" + version + ".0" // the chart's default image is 1.35's
			}
			eng, err := run(t, args)
			require.NoError(t, err)
			want, ok := AddonVersionsFor(version)
			require.True(t, ok)
			addons := map[string]string{}
			for _, addon := range eng.ByType("aws:eks/addon:Addon") {
				addons[mocktest.Str(t, addon, "addonName")] = mocktest.Str(t, addon, "addonVersion")
				assert.Equal(t, "OVERWRITE", mocktest.Value(t, addon, "resolveConflictsOnUpdate"))
			}
			assert.Equal(t, map[string]string{
				"vpc-cni": want.VpcCni, "kube-proxy": want.KubeProxy, "coredns": want.CoreDNS, "aws-ebs-csi-driver": want.EbsCsiDriver,
			}, addons, "every add-on is managed and pinned")
			for _, ng := range eng.ByType("aws:eks/nodeGroup:NodeGroup") {
				assert.Equal(t, version, mocktest.Value(t, ng, "version"), ng.Name)
			}
			assert.Equal(t, version, mocktest.Value(t, eng.Find("eks:index:Cluster", "cluster"), "version"))

			// kube-proxy and CoreDNS call no AWS API: no IRSA role, and so no role to wait for.
			for _, name := range []string{"kube-proxy", "coredns"} {
				addon := eng.Find("aws:eks/addon:Addon", "cluster-"+name)
				_, hasRole := addon.Input("serviceAccountRoleArn")
				assert.False(t, hasRole, name)
				assert.Nil(t, eng.Find("aws:iam/role:Role", "cluster-"+name))
			}
			coredns := eng.Find("aws:eks/addon:Addon", "cluster-coredns")
			assert.Contains(t, coredns.Dependencies, eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-general-us-east-1b").URN,
				"CoreDNS runs on nodes: its add-on becomes active only once they exist")
			assert.NotContains(t, coredns.Dependencies, eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-ml").URN)
		})
	}
}

func TestAddonVersionTable(t *testing.T) {
	require.Contains(t, SupportedKubernetesVersions(), DefaultKubernetesVersion)
	for minor, v := range addonVersions {
		assert.Regexp(t, versionPattern, minor)
		// kube-proxy must not be newer than the API server, and EKS builds one per minor.
		assert.Truef(t, strings.HasPrefix(v.KubeProxy, "v"+minor+"."), "kube-proxy %s for %s", v.KubeProxy, minor)
		for name, version := range map[string]string{"vpc-cni": v.VpcCni, "coredns": v.CoreDNS, "aws-ebs-csi-driver": v.EbsCsiDriver, "kube-proxy": v.KubeProxy} {
			assert.Regexpf(t, `^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`, version, "%s for %s", name, minor)
		}
	}
}

func TestSplitAcrossZones(t *testing.T) {
	tests := []struct {
		total, zones int
		want         []int
	}{
		{10, 3, []int{4, 3, 3}},
		{5, 3, []int{2, 2, 1}},
		{3, 3, []int{1, 1, 1}},
		{2, 3, []int{1, 1, 0}},
		{0, 3, []int{0, 0, 0}},
		{7, 2, []int{4, 3}},
	}
	for _, tt := range tests {
		got := splitAcrossZones(tt.total, tt.zones)
		assert.Equal(t, tt.want, got, "%d over %d zones", tt.total, tt.zones)
		sum := 0
		for _, n := range got {
			sum += n
		}
		assert.Equal(t, tt.total, sum, "the parts add up to the total")
	}
	// Splitting min, desired and max the same way keeps min <= desired <= max in each zone.
	for lo := 0; lo <= 12; lo++ {
		for hi := lo; hi <= 12; hi++ {
			a, b := splitAcrossZones(lo, 3), splitAcrossZones(hi, 3)
			for i := range a {
				require.LessOrEqual(t, a[i], b[i], "%d and %d, zone %d", lo, hi, i)
			}
		}
	}
}

// TestGeneralPoolOneGroupPerZone holds the zonal design: a pod whose EBS volume lives in one
// zone can only come back if a group in that zone can grow, so the general pool is one group
// per zone, each in its own subnet, balanced by the autoscaler.
func TestGeneralPoolOneGroupPerZone(t *testing.T) {
	eng, err := run(t, baseArgs())
	require.NoError(t, err)
	want := []struct {
		zone, subnet, prefix string
		min, desired, max    float64
	}{
		{"us-east-1a", "subnet-a", "novacron-test-general-a-", 1, 2, 4},
		{"us-east-1b", "subnet-b", "novacron-test-general-b-", 1, 2, 3},
		{"us-east-1c", "subnet-c", "novacron-test-general-c-", 1, 1, 3},
	}
	lt := eng.Find("aws:ec2/launchTemplate:LaunchTemplate", "cluster-general")
	require.NotNil(t, lt)
	for _, w := range want {
		ng := eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-general-"+w.zone)
		require.NotNil(t, ng, w.zone)
		assert.Equal(t, []any{w.subnet}, mocktest.Value(t, ng, "subnetIds"), "one zone's subnet only")
		assert.Equal(t, w.prefix, mocktest.Value(t, ng, "nodeGroupNamePrefix"))
		assert.Equal(t, w.min, mocktest.Value(t, ng, "scalingConfig.minSize"))
		assert.Equal(t, w.desired, mocktest.Value(t, ng, "scalingConfig.desiredSize"))
		assert.Equal(t, w.max, mocktest.Value(t, ng, "scalingConfig.maxSize"))
		assert.Equal(t, map[string]any{"workload": "general"}, mocktest.Value(t, ng, "labels"), "same labels: similar groups")
		assert.Equal(t, float64(MaxUnavailablePercent), mocktest.Value(t, ng, "updateConfig.maxUnavailablePercentage"))
		assert.Contains(t, ng.Dependencies, lt.URN, "the zone groups share the pool's launch template")
	}
	assert.Nil(t, eng.Find("aws:eks/nodeGroup:NodeGroup", "cluster-general"), "no group spans the zones")

	release := eng.Find("kubernetes:helm.sh/v3:Release", "cluster-cluster-autoscaler")
	require.NotNil(t, release)
	assert.Equal(t, map[string]any{
		"balance-similar-node-groups": true,
		"balancing-ignore-label_1":    "eks.amazonaws.com/nodegroup-image",
		"balancing-ignore-label_2":    "eks.amazonaws.com/sourceLaunchTemplateVersion",
		"expander":                    "least-waste",
	}, mocktest.Value(t, release, "values.extraArgs"))
}

func TestDeployersReachThePrivateEndpoint(t *testing.T) {
	args := baseArgs()
	args.EndpointAllowedCidrs = []string{"10.20.0.0/24"}
	args.EndpointAllowedSecurityGroupIds = []string{"sg-0123456789abcdef0"}
	args.ReadOnlyRoleArns = []string{"arn:aws:iam::123456789012:role/github-ci-preview"}
	eng, err := run(t, args)
	require.NoError(t, err)

	controlPlane := eng.Find("aws:ec2/securityGroup:SecurityGroup", "cluster-control-plane")
	require.NotNil(t, controlPlane)
	rules := map[string]map[string]any{}
	for _, r := range eng.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if strings.HasPrefix(r.Name, "cluster-api-from-") && r.Name != "cluster-api-from-nodes" {
			rules[r.Name] = map[string]any{
				"port": mocktest.Value(t, r, "fromPort"), "to": mocktest.Value(t, r, "toPort"), "protocol": mocktest.Value(t, r, "ipProtocol"),
			}
			if v, ok := r.Input("cidrIpv4"); ok {
				rules[r.Name]["source"] = v.StringValue()
			}
			if v, ok := r.Input("referencedSecurityGroupId"); ok {
				rules[r.Name]["source"] = v.StringValue()
			}
			assert.Contains(t, r.Dependencies, controlPlane.URN, "the rule is on the control-plane group")
		}
	}
	assert.Equal(t, map[string]map[string]any{
		"cluster-api-from-10-20-0-0-24":         {"port": 443.0, "to": 443.0, "protocol": "tcp", "source": "10.20.0.0/24"},
		"cluster-api-from-sg-0123456789abcdef0": {"port": 443.0, "to": 443.0, "protocol": "tcp", "source": "sg-0123456789abcdef0"},
	}, rules)

	c := eng.Find("eks:index:Cluster", "cluster")
	assert.Equal(t, "arn:aws:iam::123456789012:role/github-ci-preview", mocktest.Value(t, c, "accessEntries.read-only-0.principalArn"))
	assert.Equal(t, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy",
		mocktest.Value(t, c, "accessEntries.read-only-0.accessPolicies.admin-view.policyArn"))
	assert.Equal(t, "cluster", mocktest.Value(t, c, "accessEntries.read-only-0.accessPolicies.admin-view.accessScope.type"))
}

// egressRules returns the node group's egress rules by name, as protocol, ports and destination.
func egressRules(t *testing.T, eng *mock.Engine) map[string]string {
	t.Helper()
	nodes := eng.Find("aws:ec2/securityGroup:SecurityGroup", "cluster-nodes")
	require.NotNil(t, nodes)
	out := map[string]string{}
	for _, r := range eng.ByType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
		if !slices.Contains(r.Dependencies, nodes.URN) || r.Name == "cluster-api-to-nodes" {
			continue
		}
		rule := mocktest.Value(t, r, "ipProtocol").(string)
		if v, ok := r.Input("fromPort"); ok {
			rule += fmt.Sprintf(" %v-%v", v.NumberValue(), mocktest.Value(t, r, "toPort"))
		}
		out[r.Name] = rule + " to " + mocktest.Value(t, r, "cidrIpv4").(string)
	}
	return out
}

func TestNodeEgress(t *testing.T) {
	tests := []struct {
		name string
		edit func(*ClusterArgs)
		want map[string]string
	}{
		{"the VPC and HTTPS", func(a *ClusterArgs) { a.VpcCidr = "10.20.0.0/16" }, map[string]string{
			"cluster-nodes-egress-vpc-10-20-0-0-16": "-1 to 10.20.0.0/16",
			"cluster-nodes-egress-https":            "tcp 443-443 to 0.0.0.0/0",
		}},
		{"the private ranges without a VPC CIDR", func(*ClusterArgs) {}, map[string]string{
			"cluster-nodes-egress-vpc-10-0-0-0-8":     "-1 to 10.0.0.0/8",
			"cluster-nodes-egress-vpc-172-16-0-0-12":  "-1 to 172.16.0.0/12",
			"cluster-nodes-egress-vpc-192-168-0-0-16": "-1 to 192.168.0.0/16",
			"cluster-nodes-egress-vpc-100-64-0-0-10":  "-1 to 100.64.0.0/10",
			"cluster-nodes-egress-https":              "tcp 443-443 to 0.0.0.0/0",
		}},
		{"extra application rules", func(a *ClusterArgs) {
			a.VpcCidr = "10.20.0.0/16"
			a.NodeEgressRules = []EgressRule{
				{Description: "AMQPS broker", FromPort: 5671, Cidr: "203.0.113.0/24"},
				{Description: "IPsec to a partner", Protocol: "udp", FromPort: 500, ToPort: 4500, Cidr: "198.51.100.7/32"},
			}
		}, map[string]string{
			"cluster-nodes-egress-vpc-10-20-0-0-16":             "-1 to 10.20.0.0/16",
			"cluster-nodes-egress-https":                        "tcp 443-443 to 0.0.0.0/0",
			"cluster-nodes-egress-tcp-5671-203-0-113-0-24":      "tcp 5671-5671 to 203.0.113.0/24",
			"cluster-nodes-egress-udp-500-4500-198-51-100-7-32": "udp 500-4500 to 198.51.100.7/32",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := baseArgs()
			tt.edit(&args)
			eng, err := run(t, args)
			require.NoError(t, err)
			assert.Equal(t, tt.want, egressRules(t, eng))
		})
	}
}
