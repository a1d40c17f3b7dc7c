package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/novacron/platform/components/karpenter"
	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

const (
	addonType     = "aws:eks/addon:Addon"
	nodeGroupType = "aws:eks/nodeGroup:NodeGroup"
	roleType      = "aws:iam/role:Role"
	releaseType   = "kubernetes:helm.sh/v3:Release"
	nodePoolType  = "kubernetes:karpenter.sh/v1:NodePool"
	// testAmiRelease is a documented release of 1.35 (amazon-eks-ami CHANGELOG, v20260714).
	testAmiRelease = "1.35.6-20260714"
)

// baseArgs is production's shape: a general pool with a floor of three m5.xlarge nodes and up to
// ten, and a tainted GPU pool of up to five g5.2xlarge that scales from zero.
func baseArgs() ClusterArgs {
	return ClusterArgs{
		ClusterName:          "novacron-test",
		Region:               "us-east-1",
		AvailabilityZones:    []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		EndpointAllowedCidrs: []string{"10.0.0.0/16"},
		NodeAmiRelease:       testAmiRelease,
		NodePools: []karpenter.NodePoolArgs{
			{Name: "general", InstanceTypes: []string{"m5.xlarge"}, MinNodes: 3, MaxNodes: 10,
				Labels: map[string]string{"workload": "general"}},
			{Name: "ml", InstanceTypes: []string{"g5.2xlarge"}, MaxNodes: 5, DiskSizeGb: 200,
				Labels: map[string]string{"workload": "ml"},
				Taints: []karpenter.Taint{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}},
				Gpu:    true, Consolidation: karpenter.WhenEmpty},
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

func mustRun(t *testing.T, args ClusterArgs) *mock.Engine {
	t.Helper()
	eng, err := run(t, args)
	require.NoError(t, err)
	return eng
}

// decode turns a recorded input into a Kubernetes API type, refusing fields the type lacks.
func decode(t *testing.T, v any, into any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(into), string(b))
}

// tolerates reports whether the tolerations admit a pod onto a node with taint.
func tolerates(tolerations []corev1.Toleration, taint corev1.Taint) bool {
	return slices.ContainsFunc(tolerations, func(tol corev1.Toleration) bool {
		return tol.ToleratesTaint(klog.Background(), &taint, false)
	})
}

var systemTaint = corev1.Taint{Key: SystemTaintKey, Value: "true", Effect: corev1.TaintEffectNoSchedule}

func TestClusterDefaults(t *testing.T) {
	eng := mustRun(t, baseArgs())

	comp := mocktest.Find(t, eng, "novacron:cluster:Cluster", "cluster")
	c := mocktest.Find(t, eng, "eks:index:Cluster", "cluster")
	assert.Equal(t, comp.URN, c.Parent)
	assert.True(t, c.Remote, "pulumi-eks Cluster is a remote component")
	assert.Equal(t, "novacron-test", mocktest.Value(t, c, "name"))
	assert.Equal(t, "1.35", mocktest.Value(t, c, "version"))
	assert.Equal(t, true, mocktest.Value(t, c, "endpointPrivateAccess"))
	assert.Equal(t, false, mocktest.Value(t, c, "endpointPublicAccess"))
	assert.Equal(t, false, mocktest.Value(t, c, "createOidcProvider"))
	assert.Equal(t, true, mocktest.Value(t, c, "useDefaultVpcCni"))
	assert.Equal(t, true, mocktest.Value(t, c, "skipDefaultNodeGroup"))
	assert.Equal(t, "API", mocktest.Value(t, c, "authenticationMode"))
	assert.Equal(t, []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}, mocktest.Value(t, c, "enabledClusterLogTypes"))
	logs := mocktest.Find(t, eng, "aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane")
	assert.Equal(t, "/aws/eks/novacron-test/cluster", mocktest.Value(t, logs, "name"))
	assert.Equal(t, 90.0, mocktest.Value(t, logs, "retentionInDays"))
	assert.Contains(t, c.Dependencies, logs.URN, "the log group exists before EKS writes to it")

	key := mocktest.Find(t, eng, "aws:kms/key:Key", "cluster-secrets")
	assert.Equal(t, true, mocktest.Value(t, key, "enableKeyRotation"))
	assert.Contains(t, c.Dependencies, key.URN, "secrets are encrypted with the created key")
	alias := mocktest.Find(t, eng, "aws:kms/alias:Alias", "cluster-secrets")
	assert.Equal(t, "alias/novacron-test-secrets", mocktest.Str(t, alias, "name"))

	// Every role goes through EKS Pod Identity: no IAM OIDC provider is left to trust.
	for _, r := range eng.Resources() {
		assert.NotEqual(t, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", r.Type, r.Name)
	}

	// Karpenter finds the node security group by its discovery tag.
	nodes := mocktest.Find(t, eng, "aws:ec2/securityGroup:SecurityGroup", "cluster-nodes")
	assert.Equal(t, "novacron-test", mocktest.Str(t, nodes, "tags."+karpenter.DiscoveryTag))
	controlPlane := mocktest.Find(t, eng, "aws:ec2/securityGroup:SecurityGroup", "cluster-control-plane")
	_, tagged := controlPlane.Input("tags." + karpenter.DiscoveryTag)
	assert.False(t, tagged, "Karpenter's nodes must not join the control-plane group")

	sc := mocktest.Find(t, eng, "kubernetes:storage.k8s.io/v1:StorageClass", "cluster-fast-ssd")
	assert.Equal(t, "fast-ssd", mocktest.Str(t, sc, "metadata.name"))
	assert.Equal(t, "ebs.csi.aws.com", mocktest.Value(t, sc, "provisioner"))
	assert.Equal(t, "WaitForFirstConsumer", mocktest.Value(t, sc, "volumeBindingMode"))
	assert.Equal(t, map[string]any{"type": "gp3", "encrypted": "true"}, mocktest.Value(t, sc, "parameters"))
	assert.Equal(t, true, mocktest.Value(t, sc, "allowVolumeExpansion"))
	ebsAddon := mocktest.Find(t, eng, addonType, "cluster-aws-ebs-csi-driver")
	assert.Contains(t, sc.Dependencies, ebsAddon.URN, "the class needs the driver")
	systemProvider := mocktest.Find(t, eng, "pulumi:providers:kubernetes", "cluster-k8s-system")
	assert.Equal(t, systemProvider.URN, sc.ProviderURN())

	// What in-cluster workloads wait for: the system nodes, the storage class, metrics-server
	// and every Karpenter pool, through the provider they are given.
	system := mocktest.Find(t, eng, nodeGroupType, "cluster-system")
	assert.Contains(t, systemProvider.Dependencies, system.URN)
	workloads := mocktest.Find(t, eng, "pulumi:providers:kubernetes", "cluster-k8s")
	ready := []string{system.URN, sc.URN, mocktest.Find(t, eng, addonType, "cluster-metrics-server").URN}
	for _, kind := range []string{nodePoolType, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "kubernetes:apps/v1:Deployment"} {
		for _, r := range eng.ByType(kind) {
			ready = append(ready, r.URN)
		}
	}
	require.Len(t, ready, 3+2+2+1)
	assert.Subset(t, workloads.Dependencies, ready)
	assert.Len(t, eng.ByType("pulumi:providers:kubernetes"), 2)
}

// The system node group: a fixed number of untouchable nodes for the add-ons everything else
// needs, on the pinned AMI release, behind a launch template with IMDSv2 and an encrypted root.
func TestSystemNodeGroup(t *testing.T) {
	eng := mustRun(t, baseArgs())
	groups := eng.ByType(nodeGroupType)
	require.Len(t, groups, 1, "Karpenter launches every other node")
	ng := groups[0]
	assert.Equal(t, "cluster-system", ng.Name)
	assert.Equal(t, []string{"m5.large"}, mocktest.Strs(t, ng, "instanceTypes"))
	assert.Equal(t, map[string]any{"minSize": 2.0, "desiredSize": 2.0, "maxSize": 2.0}, mocktest.Value(t, ng, "scalingConfig"), "fixed size")
	assert.Empty(t, ng.IgnoreChanges, "nothing resizes the group behind the program's back")
	assert.Equal(t, []any{map[string]any{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}}, mocktest.Value(t, ng, "taints"))
	assert.Equal(t, map[string]any{"workload": "system"}, mocktest.Value(t, ng, "labels"))
	assert.Equal(t, testAmiRelease, mocktest.Str(t, ng, "releaseVersion"))
	assert.Equal(t, "1.35", mocktest.Str(t, ng, "version"), "the kubelet follows the control plane")
	assert.Equal(t, "AL2023_x86_64_STANDARD", mocktest.Str(t, ng, "amiType"))
	assert.Equal(t, "ON_DEMAND", mocktest.Str(t, ng, "capacityType"))
	assert.Equal(t, "novacron-test-system-", mocktest.Str(t, ng, "nodeGroupNamePrefix"))
	assert.Equal(t, []string{"subnet-a", "subnet-b", "subnet-c"}, mocktest.Strs(t, ng, "subnetIds"), "the group spans every zone")
	assert.Equal(t, float64(MaxUnavailablePercent), mocktest.Num(t, ng, "updateConfig.maxUnavailablePercentage"))

	lt := mocktest.Find(t, eng, "aws:ec2/launchTemplate:LaunchTemplate", "cluster-system")
	assert.Contains(t, ng.PropertyDependencies["launchTemplate"], lt.URN)
	assert.Equal(t, "enabled", mocktest.Str(t, lt, "metadataOptions.httpEndpoint"))
	assert.Equal(t, "required", mocktest.Str(t, lt, "metadataOptions.httpTokens"), "IMDSv2 only")
	assert.Equal(t, 1.0, mocktest.Num(t, lt, "metadataOptions.httpPutResponseHopLimit"), "pods cannot reach the node role")
	bdm := mocktest.Value(t, lt, "blockDeviceMappings").([]any)
	require.Len(t, bdm, 1)
	assert.Equal(t, map[string]any{
		"deviceName": "/dev/xvda",
		"ebs":        map[string]any{"volumeSize": 50.0, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"},
	}, bdm[0])
	_, hasImage := lt.Input("imageId")
	assert.False(t, hasImage, "the AMI comes from releaseVersion, not the launch template")
	nodes := mocktest.Find(t, eng, "aws:ec2/securityGroup:SecurityGroup", "cluster-nodes")
	assert.Contains(t, lt.PropertyDependencies["vpcSecurityGroupIds"], nodes.URN)

	// The node role: no CNI policy (vpc-cni has its own role), SSM instead of SSH.
	role := mocktest.Find(t, eng, roleType, "cluster-nodes")
	assert.Contains(t, ng.PropertyDependencies["nodeRoleArn"], role.URN)
	attached := []string{}
	for _, att := range eng.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		if strings.HasPrefix(att.Name, "cluster-nodes-") {
			attached = append(attached, mocktest.Str(t, att, "policyArn"))
			assert.Contains(t, ng.Dependencies, att.URN, "the nodes wait for their permissions")
		}
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
		"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	}, attached)

	// The nodes come up with networking and credentials: they wait for the networking add-ons
	// and the Pod Identity agent, and for the control plane.
	for _, name := range []string{"vpc-cni", "kube-proxy", "eks-pod-identity-agent"} {
		assert.Contains(t, ng.Dependencies, mocktest.Find(t, eng, addonType, "cluster-"+name).URN, name)
	}
	assert.Contains(t, ng.Dependencies, mocktest.Find(t, eng, "eks:index:Cluster", "cluster").URN)
}

func TestSystemNodeGroupSizeAndArchitecture(t *testing.T) {
	tests := []struct {
		instanceType string
		count        int
		amiType      string
	}{
		{"m5.large", 3, "AL2023_x86_64_STANDARD"},
		{"m6g.large", 2, "AL2023_ARM_64_STANDARD"},
		{"t4g.xlarge", 10, "AL2023_ARM_64_STANDARD"},
	}
	for _, tt := range tests {
		t.Run(tt.instanceType, func(t *testing.T) {
			args := baseArgs()
			args.SystemInstanceType, args.SystemNodeCount = tt.instanceType, tt.count
			ng := mocktest.Find(t, mustRun(t, args), nodeGroupType, "cluster-system")
			assert.Equal(t, tt.amiType, mocktest.Str(t, ng, "amiType"), "the AMI follows the type's architecture")
			n := float64(tt.count)
			assert.Equal(t, map[string]any{"minSize": n, "desiredSize": n, "maxSize": n}, mocktest.Value(t, ng, "scalingConfig"))
			assert.Equal(t, []string{tt.instanceType}, mocktest.Strs(t, ng, "instanceTypes"))
		})
	}
}

// addonVersionsOf returns every add-on's recorded version by add-on name.
func addonVersionsOf(t *testing.T, eng *mock.Engine) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, addon := range eng.ByType(addonType) {
		name := mocktest.Str(t, addon, "addonName")
		assert.Equal(t, "cluster-"+name, addon.Name)
		out[name] = mocktest.Str(t, addon, "addonVersion")
		assert.Equal(t, "OVERWRITE", mocktest.Value(t, addon, "resolveConflictsOnCreate"), name)
		assert.Equal(t, "OVERWRITE", mocktest.Value(t, addon, "resolveConflictsOnUpdate"), name)
		assert.Equal(t, "novacron-test", mocktest.Str(t, addon, "clusterName"), name)
	}
	return out
}

func TestAddonsPinnedToKubernetesMinor(t *testing.T) {
	releases := map[string]string{"1.35": testAmiRelease, "1.34": "1.34.9-20260714", "1.33": "1.33.13-20260714"}
	for _, version := range []string{"1.35", "1.34", "1.33"} {
		t.Run(version, func(t *testing.T) {
			args := baseArgs()
			args.KubernetesVersion = version
			args.NodeAmiRelease = releases[version]
			eng := mustRun(t, args)
			want, ok := AddonVersionsFor(version)
			require.True(t, ok)
			assert.Equal(t, map[string]string{
				"eks-pod-identity-agent": want.PodIdentityAgent, "vpc-cni": want.VpcCni, "kube-proxy": want.KubeProxy,
				"coredns": want.CoreDNS, "metrics-server": want.MetricsServer, "aws-ebs-csi-driver": want.EbsCsiDriver,
			}, addonVersionsOf(t, eng), "the six add-ons, each managed and pinned")
			ng := mocktest.Find(t, eng, nodeGroupType, "cluster-system")
			assert.Equal(t, version, mocktest.Value(t, ng, "version"))
			assert.Equal(t, releases[version], mocktest.Value(t, ng, "releaseVersion"))
			assert.Equal(t, version, mocktest.Value(t, mocktest.Find(t, eng, "eks:index:Cluster", "cluster"), "version"))
		})
	}
}

// A stack may take one add-on's update ahead of the table; the rest stay on the row.
func TestAddonVersionOverride(t *testing.T) {
	args := baseArgs()
	args.AddonVersions = map[string]string{"coredns": "v1.14.3-eksbuild.9", "kube-proxy": "v1.35.3-eksbuild.20"}
	row, ok := AddonVersionsFor("1.35")
	require.True(t, ok)
	assert.Equal(t, map[string]string{
		"eks-pod-identity-agent": row.PodIdentityAgent, "vpc-cni": row.VpcCni, "kube-proxy": "v1.35.3-eksbuild.20",
		"coredns": "v1.14.3-eksbuild.9", "metrics-server": row.MetricsServer, "aws-ebs-csi-driver": row.EbsCsiDriver,
	}, addonVersionsOf(t, mustRun(t, args)))
}

// The order an upgrade follows: networking and the Pod Identity agent before the nodes, the
// Deployment add-ons after them (they need nodes to become active).
func TestAddonOrder(t *testing.T) {
	eng := mustRun(t, baseArgs())
	system := mocktest.Find(t, eng, nodeGroupType, "cluster-system")
	agent := mocktest.Find(t, eng, addonType, "cluster-eks-pod-identity-agent")
	cni := mocktest.Find(t, eng, addonType, "cluster-vpc-cni")
	assert.Contains(t, cni.Dependencies, agent.URN, "vpc-cni's credentials come from the agent")
	for _, name := range []string{"eks-pod-identity-agent", "vpc-cni", "kube-proxy"} {
		assert.NotContains(t, mocktest.Find(t, eng, addonType, "cluster-"+name).Dependencies, system.URN, name)
	}
	for _, name := range []string{"coredns", "metrics-server", "aws-ebs-csi-driver"} {
		assert.Contains(t, mocktest.Find(t, eng, addonType, "cluster-"+name).Dependencies, system.URN,
			"%s runs on the system nodes: its add-on becomes active only once they exist", name)
	}
}

// vpc-cni and the EBS CSI driver get their own roles through EKS Pod Identity, each trusted only
// for its own service account; the other add-ons call no AWS API and have none.
func TestAddonPodIdentity(t *testing.T) {
	eng := mustRun(t, baseArgs())
	tests := []struct {
		addon, serviceAccount, policy string
	}{
		{"vpc-cni", "aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"},
		{"aws-ebs-csi-driver", "ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.addon, func(t *testing.T) {
			addon := mocktest.Find(t, eng, addonType, "cluster-"+tt.addon)
			role := mocktest.Find(t, eng, roleType, "cluster-"+tt.addon)
			assocs := mocktest.Value(t, addon, "podIdentityAssociations").([]any)
			require.Len(t, assocs, 1)
			assoc := assocs[0].(map[string]any)
			assert.Equal(t, tt.serviceAccount, assoc["serviceAccount"])
			assert.Equal(t, "arn:aws:iam:us-east-1:123456789012:cluster-"+tt.addon, assoc["roleArn"], "the mock's ARN of the add-on's role")
			assert.Contains(t, addon.PropertyDependencies["podIdentityAssociations"], role.URN)
			_, irsa := addon.Input("serviceAccountRoleArn")
			assert.False(t, irsa, "no IRSA role beside Pod Identity")

			var trust struct {
				Statement []struct {
					Effect    string
					Principal map[string]any
					Action    []string
					Condition map[string]map[string]string
				}
			}
			require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, role, "assumeRolePolicy")), &trust))
			require.Len(t, trust.Statement, 1)
			st := trust.Statement[0]
			assert.Equal(t, map[string]any{"Service": "pods.eks.amazonaws.com"}, st.Principal)
			assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:TagSession"}, st.Action)
			assert.Equal(t, map[string]map[string]string{"StringEquals": {
				"aws:RequestTag/eks-cluster-name":           "novacron-test",
				"aws:RequestTag/kubernetes-namespace":       "kube-system",
				"aws:RequestTag/kubernetes-service-account": tt.serviceAccount,
			}}, st.Condition, "only the add-on's own service account in this cluster")

			att := mocktest.Find(t, eng, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "cluster-"+tt.addon)
			assert.Equal(t, tt.policy, mocktest.Str(t, att, "policyArn"))
			assert.Contains(t, att.PropertyDependencies["role"], role.URN)
			assert.Contains(t, addon.Dependencies, att.URN, "the add-on starts with its permissions in place")
		})
	}
	for _, name := range []string{"eks-pod-identity-agent", "kube-proxy", "coredns", "metrics-server"} {
		addon := mocktest.Find(t, eng, addonType, "cluster-"+name)
		_, hasAssoc := addon.Input("podIdentityAssociations")
		_, hasRole := addon.Input("serviceAccountRoleArn")
		assert.False(t, hasAssoc || hasRole, name)
		assert.Nil(t, eng.Find(roleType, "cluster-"+name), name)
	}
	cni := mocktest.Find(t, eng, addonType, "cluster-vpc-cni")
	assert.JSONEq(t, `{"enableNetworkPolicy":"true"}`, mocktest.Str(t, cni, "configurationValues"),
		"without the network policy agent NetworkPolicies are silently not enforced")
}

// CoreDNS and metrics-server run on the tainted system nodes: their configuration must be valid
// JSON of Kubernetes tolerations that admit the CriticalAddonsOnly taint.
func TestAddonTolerations(t *testing.T) {
	eng := mustRun(t, baseArgs())
	for _, name := range []string{"coredns", "metrics-server"} {
		t.Run(name, func(t *testing.T) {
			var config struct {
				Tolerations []corev1.Toleration `json:"tolerations"`
			}
			raw := mocktest.Str(t, mocktest.Find(t, eng, addonType, "cluster-"+name), "configurationValues")
			decode(t, json.RawMessage(raw), &config)
			require.NotEmpty(t, config.Tolerations)
			assert.True(t, tolerates(config.Tolerations, systemTaint), "%s tolerates %s", name, systemTaint.ToString())
			assert.False(t, tolerates(config.Tolerations, corev1.Taint{Key: "ml-workload", Value: "true", Effect: corev1.TaintEffectNoSchedule}),
				"%s stays off the GPU nodes", name)
		})
	}
	var coredns struct {
		Tolerations []corev1.Toleration `json:"tolerations"`
	}
	decode(t, json.RawMessage(mocktest.Str(t, mocktest.Find(t, eng, addonType, "cluster-coredns"), "configurationValues")), &coredns)
	assert.True(t, tolerates(coredns.Tolerations, corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}),
		"replacing the defaults keeps CoreDNS's control-plane toleration")
}

// The cluster-autoscaler is gone for good: Karpenter scales every pool.
func TestNoClusterAutoscaler(t *testing.T) {
	eng := mustRun(t, baseArgs())
	for _, r := range eng.Resources() {
		b, err := json.Marshal(r.Inputs.Mappable())
		require.NoError(t, err)
		for _, s := range []string{"cluster-autoscaler", "autoscaling:", "k8s.io/cluster-autoscaler"} {
			assert.NotContains(t, string(b), s, "%s %s", r.Type, r.Name)
		}
		assert.NotContains(t, r.Name, "autoscaler")
		assert.NotEqual(t, "aws:autoscaling/tag:Tag", r.Type, r.Name)
	}
	releases := []string{}
	for _, r := range eng.ByType(releaseType) {
		releases = append(releases, mocktest.Str(t, r, "chart"))
	}
	assert.ElementsMatch(t, []string{"oci://public.ecr.aws/karpenter/karpenter-crd", "oci://public.ecr.aws/karpenter/karpenter", "nvidia-device-plugin"}, releases)
}

// The cluster hands its pools, AMI release and settings to Karpenter, which runs on the system
// nodes once the Pod Identity agent is there.
func TestKarpenterWiring(t *testing.T) {
	args := baseArgs()
	args.NodeTags = map[string]string{"CostCenter": "platform"}
	args.KarpenterChartVersion = "1.14.0"
	eng := mustRun(t, args)
	comp := mocktest.Find(t, eng, "novacron:karpenter:Karpenter", "cluster-karpenter")
	assert.Equal(t, mocktest.Find(t, eng, "novacron:cluster:Cluster", "cluster").URN, comp.Parent)
	systemProvider := mocktest.Find(t, eng, "pulumi:providers:kubernetes", "cluster-k8s-system")
	crds := mocktest.Find(t, eng, releaseType, "cluster-karpenter-crd")
	for _, r := range []*mock.Resource{crds, mocktest.Find(t, eng, releaseType, "cluster-karpenter")} {
		assert.Equal(t, "1.14.0", mocktest.Str(t, r, "version"))
		assert.Equal(t, systemProvider.URN, r.ProviderURN(), "Karpenter runs on the system nodes")
	}
	assert.Contains(t, crds.Dependencies, mocktest.Find(t, eng, nodeGroupType, "cluster-system").URN)
	assert.Contains(t, crds.Dependencies, mocktest.Find(t, eng, addonType, "cluster-eks-pod-identity-agent").URN)
	for _, name := range []string{"general", "ml"} {
		nc := mocktest.Find(t, eng, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "cluster-karpenter-ec2nodeclass-"+name)
		assert.Equal(t, []any{map[string]any{"alias": "al2023@v20260714"}}, mocktest.Value(t, nc, "spec.amiSelectorTerms"),
			"the pools follow the system group's AMI release")
		assert.Equal(t, "platform", mocktest.Str(t, nc, "spec.tags.CostCenter"))
		assert.Equal(t, "novacron-test-karpenter-node", mocktest.Str(t, nc, "spec.role"))
		assert.Equal(t, []any{map[string]any{"tags": map[string]any{karpenter.DiscoveryTag: "novacron-test"}}},
			mocktest.Value(t, nc, "spec.securityGroupSelectorTerms"), "the tag the node security group carries")
	}
	// The ml pool's disk size reaches its EC2NodeClass.
	ml := mocktest.Find(t, eng, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "cluster-karpenter-ec2nodeclass-ml")
	assert.Equal(t, "200Gi", mocktest.Value(t, ml, "spec.blockDeviceMappings").([]any)[0].(map[string]any)["ebs"].(map[string]any)["volumeSize"])
}

// nodePool returns a pool's recorded NodePool.
func nodePool(t *testing.T, eng *mock.Engine, name string) *mock.Resource {
	t.Helper()
	return mocktest.Find(t, eng, nodePoolType, "cluster-karpenter-nodepool-"+name)
}

// The mission's pools: ml is tainted ml-workload=true:NoSchedule, labelled workload=ml, runs
// only NVIDIA GPU types and is limited to the GPUs of five g5.2xlarge; general is labelled
// workload=general and keeps a floor of three nodes.
func TestSeedPoolInvariants(t *testing.T) {
	eng := mustRun(t, baseArgs())

	ml := nodePool(t, eng, "ml")
	var taints []corev1.Taint
	decode(t, mocktest.Value(t, ml, "spec.template.spec.taints"), &taints)
	assert.Equal(t, []corev1.Taint{{Key: "ml-workload", Value: "true", Effect: corev1.TaintEffectNoSchedule}}, taints)
	assert.Equal(t, map[string]any{"workload": "ml"}, mocktest.Value(t, ml, "spec.template.metadata.labels"))
	var requirements []corev1.NodeSelectorRequirement
	decode(t, mocktest.Value(t, ml, "spec.template.spec.requirements"), &requirements)
	var types []string
	for _, r := range requirements {
		if r.Key == corev1.LabelInstanceTypeStable {
			assert.Equal(t, corev1.NodeSelectorOpIn, r.Operator)
			types = append(types, r.Values...)
		}
	}
	require.Equal(t, []string{"g5.2xlarge"}, types)
	gpus := 0
	for _, name := range types {
		it, ok := awslimits.LookupInstanceType(name)
		require.True(t, ok, name)
		assert.True(t, it.HasGPU(), "%s carries NVIDIA GPUs", name)
		assert.NotEmpty(t, it.GPUModel, name)
		gpus = max(gpus, it.GPUs)
	}
	assert.Equal(t, 1, gpus, "a g5.2xlarge has one A10G")
	assert.Equal(t, "5", mocktest.Str(t, ml, "spec.limits.nvidia.com/gpu"), "five g5.2xlarge, one GPU each")
	assert.Equal(t, "WhenEmpty", mocktest.Str(t, ml, "spec.disruption.consolidationPolicy"), "a running job is never repacked")
	assert.Nil(t, eng.Find("kubernetes:apps/v1:Deployment", "cluster-karpenter-deployment-capacity-floor-ml"), "the GPU pool scales from zero")

	general := nodePool(t, eng, "general")
	assert.Equal(t, map[string]any{"workload": "general"}, mocktest.Value(t, general, "spec.template.metadata.labels"))
	_, generalTainted := general.Input("spec.template.spec.taints")
	assert.False(t, generalTainted, "the general pool takes any pod")
	_, generalGPUs := general.Input("spec.limits.nvidia.com/gpu")
	assert.False(t, generalGPUs)

	floorRes := mocktest.Find(t, eng, "kubernetes:apps/v1:Deployment", "cluster-karpenter-deployment-capacity-floor-general")
	var floor appsv1.DeploymentSpec
	decode(t, mocktest.Value(t, floorRes, "spec"), &floor)
	require.NotNil(t, floor.Replicas)
	assert.Equal(t, int32(3), *floor.Replicas, "the floor holds three general nodes")
	assert.Equal(t, map[string]string{"karpenter.sh/nodepool": "general"}, floor.Template.Spec.NodeSelector,
		"on the general pool's nodes, which Karpenter labels with the pool's name")
	assert.Equal(t, karpenter.FloorPriorityClass, floor.Template.Spec.PriorityClassName, "any real pod preempts a placeholder")
}

// The NVIDIA device plugin must reach the GPU nodes: tolerate their taints and select them.
func TestNvidiaDevicePlugin(t *testing.T) {
	eng := mustRun(t, baseArgs())
	plugin := mocktest.Find(t, eng, releaseType, "cluster-ml-nvidia-device-plugin")
	assert.Equal(t, DefaultNvidiaPluginVersion, mocktest.Str(t, plugin, "version"))
	assert.Equal(t, "https://nvidia.github.io/k8s-device-plugin", mocktest.Str(t, plugin, "repositoryOpts.repo"))
	assert.Equal(t, "kube-system", mocktest.Str(t, plugin, "namespace"))

	var tolerations []corev1.Toleration
	decode(t, mocktest.Value(t, plugin, "values.tolerations"), &tolerations)
	assert.True(t, tolerates(tolerations, corev1.Taint{Key: "ml-workload", Value: "true", Effect: corev1.TaintEffectNoSchedule}))
	assert.True(t, tolerates(tolerations, corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}))
	assert.False(t, tolerates(tolerations, systemTaint), "no reason to run on the system nodes")

	var affinity corev1.Affinity
	decode(t, mocktest.Value(t, plugin, "values.affinity"), &affinity)
	require.NotNil(t, affinity.NodeAffinity)
	require.NotNil(t, affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
	assert.Equal(t, []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: "workload", Operator: corev1.NodeSelectorOpIn, Values: []string{"ml"}},
	}}}, affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms)

	assert.Len(t, eng.ByType(releaseType), 3, "the device plugin and Karpenter's two charts")
	systemProvider := mocktest.Find(t, eng, "pulumi:providers:kubernetes", "cluster-k8s-system")
	assert.Equal(t, systemProvider.URN, plugin.ProviderURN())
	assert.Contains(t, plugin.Dependencies, nodePool(t, eng, "ml").URN, "the plugin waits for the pool its pods land on")
}

func TestClusterOverrides(t *testing.T) {
	args := baseArgs()
	args.EndpointPublicAccess = true
	args.PublicAccessCidrs = []string{"203.0.114.0/24"} // public; the documentation ranges are refused
	args.AdminRoleArns = []string{"arn:aws:iam::123456789012:role/platform-admins"}
	args.SecretsKmsKeyArn = pulumi.String("arn:aws:kms:us-east-1:123456789012:key/byo")
	args.KubernetesVersion = "1.34"
	args.NodeAmiRelease = "1.34.9-20260714"
	args.LogRetentionDays = 365
	args.NodePools = args.NodePools[:1]
	eng := mustRun(t, args)

	c := mocktest.Find(t, eng, "eks:index:Cluster", "cluster")
	assert.Equal(t, true, mocktest.Value(t, c, "endpointPublicAccess"))
	assert.Equal(t, []any{"203.0.114.0/24"}, mocktest.Value(t, c, "publicAccessCidrs"))
	assert.Equal(t, "1.34", mocktest.Value(t, c, "version"))
	assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:key/byo", mocktest.Value(t, c, "encryptionConfigKeyArn"))
	assert.Equal(t, "arn:aws:iam::123456789012:role/platform-admins", mocktest.Value(t, c, "accessEntries.admin-0.principalArn"))
	assert.Equal(t, clusterAdminAccessPolicyArn, mocktest.Value(t, c, "accessEntries.admin-0.accessPolicies.cluster-admin.policyArn"))
	assert.Nil(t, eng.Find("aws:kms/key:Key", "cluster-secrets"), "no key is created when one is brought")
	assert.Equal(t, 365.0, mocktest.Num(t, mocktest.Find(t, eng, "aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane"), "retentionInDays"))
	assert.Nil(t, eng.Find(releaseType, "cluster-ml-nvidia-device-plugin"), "no GPU pool, no device plugin")
	assert.Nil(t, eng.Find(nodePoolType, "cluster-karpenter-nodepool-ml"))
	assert.Equal(t, "1.34.9-20260714", mocktest.Str(t, mocktest.Find(t, eng, nodeGroupType, "cluster-system"), "releaseVersion"))
}

func TestClusterInvalidArgs(t *testing.T) {
	gpuPool := func(a *ClusterArgs) *karpenter.NodePoolArgs { return &a.NodePools[1] }
	generalPool := func(a *ClusterArgs) *karpenter.NodePoolArgs { return &a.NodePools[0] }
	tests := []struct {
		name  string
		edit  func(*ClusterArgs)
		field string // the key the problem names
		want  string // the start of "field message"
	}{
		// The system node group.
		{"GPU system nodes", func(a *ClusterArgs) { a.SystemInstanceType = "g5.xlarge" },
			"systemInstanceType", "systemInstanceType must be a type without GPU, got g5.xlarge"},
		{"unknown system type", func(a *ClusterArgs) { a.SystemInstanceType = "m5.lage" },
			"systemInstanceType", `systemInstanceType must be an EC2 instance type, got "m5.lage" (did you mean "m5.large"?)`},
		{"one system node", func(a *ClusterArgs) { a.SystemNodeCount = 1 },
			"systemNodeCount", "systemNodeCount must be between 2 and 10, got 1"},
		{"eleven system nodes", func(a *ClusterArgs) { a.SystemNodeCount = 11 },
			"systemNodeCount", "systemNodeCount must be between 2 and 10, got 11"},
		// Add-on overrides (config eksAddonVersions).
		{"override of an add-on not installed", func(a *ClusterArgs) { a.AddonVersions = map[string]string{"cluster-autoscaler": "v1.35.0-eksbuild.1"} },
			"addonVersions", `addonVersions names an add-on the cluster does not install, "cluster-autoscaler"`},
		{"override not an EKS version", func(a *ClusterArgs) { a.AddonVersions = map[string]string{"coredns": "1.14.3"} },
			"addonVersions", `addonVersions coredns must be an EKS add-on version such as v1.2.3-eksbuild.4, got "1.14.3"`},
		{"kube-proxy of another minor", func(a *ClusterArgs) { a.AddonVersions = map[string]string{"kube-proxy": "v1.34.6-eksbuild.13"} },
			"addonVersions", `addonVersions kube-proxy must be of the cluster's minor 1.35, got "v1.34.6-eksbuild.13"`},
		// The AMI release.
		{"AMI release of another minor", func(a *ClusterArgs) { a.NodeAmiRelease = "1.34.9-20260714" },
			"nodeAmiRelease", `nodeAmiRelease must be a release for Kubernetes 1.35 (the cluster's kubernetesVersion), got "1.34.9-20260714"`},
		{"no AMI release", func(a *ClusterArgs) { a.NodeAmiRelease = "" },
			"nodeAmiRelease", "nodeAmiRelease must pin an EKS Amazon Linux 2023 AMI release"},
		{"AMI release as a date", func(a *ClusterArgs) { a.NodeAmiRelease = "v20260714" },
			"nodeAmiRelease", `nodeAmiRelease must be an EKS AMI release version "<kubernetes patch>-<YYYYMMDD>"`},
		// The pools.
		{"only GPU pools", func(a *ClusterArgs) { a.NodePools = a.NodePools[1:] },
			"nodePools", "nodePools must include a pool without a GPU for the platform's own services"},
		{"no pools", func(a *ClusterArgs) { a.NodePools = nil }, "nodePools", "nodePools must declare at least one node pool"},
		{"duplicate pool", func(a *ClusterArgs) { gpuPool(a).Name = "general" }, "nodePools", `nodePools names must be unique, got "general" twice`},
		{"no instance type", func(a *ClusterArgs) { generalPool(a).InstanceTypes = nil },
			"nodePools.general.instanceTypes", "nodePools.general.instanceTypes must name at least one EC2 instance type"},
		{"misspelt instance type", func(a *ClusterArgs) { generalPool(a).InstanceTypes = []string{"m5.xlage"} },
			"nodePools.general.instanceTypes", `nodePools.general.instanceTypes must be an EC2 instance type, got "m5.xlage" (did you mean "m5.xlarge"?)`},
		{"retired GPU type", func(a *ClusterArgs) { gpuPool(a).InstanceTypes = []string{"p3.2xlarge"} },
			"nodePools.ml.instanceTypes", `nodePools.ml.instanceTypes "p3.2xlarge" is retired by AWS`},
		{"GPU pool on CPU nodes", func(a *ClusterArgs) { gpuPool(a).InstanceTypes = []string{"m5.xlarge"} },
			"nodePools.ml.instanceTypes", "nodePools.ml.instanceTypes must be NVIDIA GPU types for a GPU pool, got m5.xlarge (m5 family has no GPU)"},
		{"GPU type in the general pool", func(a *ClusterArgs) { generalPool(a).InstanceTypes = []string{"m5.xlarge", "g6.xlarge"} },
			"nodePools.general.instanceTypes", "nodePools.general.instanceTypes must not be GPU types in a pool without GPU, got g6.xlarge"},
		{"two architectures in a pool", func(a *ClusterArgs) { generalPool(a).InstanceTypes = []string{"m5.xlarge", "m6g.xlarge"} },
			"nodePools.general.instanceTypes", "nodePools.general.instanceTypes must share one architecture"},
		{"bad taint effect", func(a *ClusterArgs) { gpuPool(a).Taints[0].Effect = "NO_SCHEDULE" },
			"nodePools.ml.taints", `nodePools.ml.taints effect must be one of [NoSchedule PreferNoSchedule NoExecute], got "NO_SCHEDULE"`},
		{"GPU pool without taint", func(a *ClusterArgs) { gpuPool(a).Taints = nil },
			"nodePools.ml.taints", "nodePools.ml.taints must keep pods that do not ask for a GPU off a GPU pool"},
		{"GPU pool with a floor", func(a *ClusterArgs) { gpuPool(a).MinNodes = 1 },
			"nodePools.ml.minNodes", "nodePools.ml.minNodes must be 0 for a GPU pool"},
		{"floor above the ceiling", func(a *ClusterArgs) { generalPool(a).MinNodes = 11 },
			"nodePools.general.minNodes", "nodePools.general.minNodes (11) must not exceed maxNodes (10)"},
		{"no zones", func(a *ClusterArgs) { a.AvailabilityZones = nil },
			"availabilityZones", "availabilityZones must name the zones nodes may launch in"},
		{"maintenance window", func(a *ClusterArgs) { a.MaintenanceWindowStart = "2am" },
			"maintenanceWindowStart", `maintenanceWindowStart must be a UTC time "HH:MM", got "2am"`},
		{"Karpenter chart range", func(a *ClusterArgs) { a.KarpenterChartVersion = "^1.14" },
			"karpenterChartVersion", `karpenterChartVersion must be an exact chart version such as 1.2.3, got "^1.14"`},
		{"device plugin chart range", func(a *ClusterArgs) { a.NvidiaDevicePluginVersion = "0.18" },
			"nvidiaDevicePluginVersion", `nvidiaDevicePluginVersion must be an exact chart version such as 1.2.3, got "0.18"`},
		// The control plane and its endpoint.
		{"public without CIDRs", func(a *ClusterArgs) { a.EndpointPublicAccess = true },
			"publicAccessCidrs", "publicAccessCidrs must list the CIDRs allowed to reach the public endpoint"},
		{"public to the world", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"0.0.0.0/0"}
		}, "publicAccessCidrs", `publicAccessCidrs must not open the API server to the whole internet, got "0.0.0.0/0"`},
		{"public to the world in halves", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"0.0.0.0/1", "128.0.0.0/1"}
		}, "publicAccessCidrs", `publicAccessCidrs must not open the API server to the whole internet: together 0.0.0.0/1, 128.0.0.0/1 cover every public IPv4 address`},
		{"private range on the public endpoint", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"10.0.0.0/8"}
		}, "publicAccessCidrs", `publicAccessCidrs must be public address ranges: "10.0.0.0/8" is RFC 1918 private`},
		{"public CIDR with host bits", func(a *ClusterArgs) {
			a.EndpointPublicAccess, a.PublicAccessCidrs = true, []string{"203.0.114.9/24"}
		}, "publicAccessCidrs", `publicAccessCidrs must be a network address (203.0.114.0/24), got "203.0.114.9/24"`},
		{"version", func(a *ClusterArgs) { a.KubernetesVersion = "1.35.2" },
			"kubernetesVersion", `kubernetesVersion must be a Kubernetes minor version such as "1.35", got "1.35.2"`},
		{"version without pinned add-ons", func(a *ClusterArgs) { a.KubernetesVersion = "1.39" },
			"kubernetesVersion", `kubernetesVersion must be one with pinned add-on versions [1.33 1.34 1.35], got "1.39"`},
		{"log retention CloudWatch lacks", func(a *ClusterArgs) { a.LogRetentionDays = 100 },
			"logRetentionDays", `logRetentionDays must be a CloudWatch Logs retention, one of [1 3 5 7`},
		{"no region", func(a *ClusterArgs) { a.Region = "" }, "region", "region must not be empty"},
		{"admin not a role", func(a *ClusterArgs) { a.AdminRoleArns = []string{"arn:aws:iam::123456789012:user/bob"} },
			"adminRoleArns", `adminRoleArns must be IAM role ARNs`},
		{"read-only not a role", func(a *ClusterArgs) { a.ReadOnlyRoleArns = []string{"arn:aws:iam::123456789012:user/ci"} },
			"readOnlyRoleArns", `readOnlyRoleArns must be IAM role ARNs`},
		{"role in both lists", func(a *ClusterArgs) {
			a.AdminRoleArns = []string{"arn:aws:iam::123456789012:role/ci"}
			a.ReadOnlyRoleArns = []string{"arn:aws:iam::123456789012:role/ci"}
		}, "readOnlyRoleArns", `readOnlyRoleArns must not repeat a role already in adminRoleArns (EKS keeps one access entry per role), got "arn:aws:iam::123456789012:role/ci"`},
		{"private endpoint nobody can reach", func(a *ClusterArgs) { a.EndpointAllowedCidrs = nil },
			"endpointAllowedCidrs", "endpointAllowedCidrs must list the networks of the runners, bastions or VPNs that deploy"},
		{"deployers from anywhere", func(a *ClusterArgs) { a.EndpointAllowedCidrs = []string{"0.0.0.0/0"} },
			"endpointAllowedCidrs", `endpointAllowedCidrs must name the deployers' networks, not every address, got "0.0.0.0/0"`},
		{"deployer CIDR not a network", func(a *ClusterArgs) { a.EndpointAllowedCidrs = []string{"10.0.0.1/16"} },
			"endpointAllowedCidrs", `endpointAllowedCidrs must be a network address (10.0.0.0/16), got "10.0.0.1/16"`},
		{"deployer group not an id", func(a *ClusterArgs) { a.EndpointAllowedSecurityGroupIds = []string{"runners"} },
			"endpointAllowedSecurityGroupIds", `endpointAllowedSecurityGroupIds must be security group ids (sg- and 8 or 17 hex digits), got "runners"`},
		{"deployer CIDR twice", func(a *ClusterArgs) { a.EndpointAllowedCidrs = []string{"10.8.0.0/16", "10.8.0.0/16"} },
			"endpointAllowedCidrs", `endpointAllowedCidrs lists "10.8.0.0/16" twice`},
		{"deployer group twice", func(a *ClusterArgs) {
			a.EndpointAllowedSecurityGroupIds = []string{"sg-0123456789abcdef0", "sg-0123456789abcdef0"}
		}, "endpointAllowedSecurityGroupIds", `endpointAllowedSecurityGroupIds lists "sg-0123456789abcdef0" twice`},
		// Node egress.
		{"VPC CIDR not a network", func(a *ClusterArgs) { a.VpcCidr = "10.0.0.1/16" },
			"vpcCidr", `vpcCidr must be a network address (10.0.0.0/16), got "10.0.0.1/16"`},
		{"VPC CIDR public", func(a *ClusterArgs) { a.VpcCidr = "8.8.0.0/16" }, "vpcCidr", `vpcCidr must lie in a private range`},
		{"egress every port to the internet", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "everything", FromPort: 1, ToPort: 65535, Cidr: "0.0.0.0/0"}}
		}, "nodeEgressRules[0]", `nodeEgressRules[0] must not open every port to 0.0.0.0/0`},
		{"egress without a description", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{FromPort: 5671, Cidr: "203.0.113.0/24"}}
		}, "nodeEgressRules[0]", `nodeEgressRules[0] description must say what the traffic is for`},
		{"egress protocol", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", Protocol: "-1", FromPort: 5671, Cidr: "203.0.113.0/24"}}
		}, "nodeEgressRules[0]", `nodeEgressRules[0] protocol must be tcp or udp, got "-1"`},
		{"egress port out of range", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", FromPort: 70000, Cidr: "203.0.113.0/24"}}
		}, "nodeEgressRules[0]", `nodeEgressRules[0] ports must be between 1 and 65535, got 70000`},
		{"egress ports reversed", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", FromPort: 5672, ToPort: 5671, Cidr: "203.0.113.0/24"}}
		}, "nodeEgressRules[0]", `nodeEgressRules[0] toPort (5671) must not be below fromPort (5672)`},
		{"egress CIDR with host bits", func(a *ClusterArgs) {
			a.NodeEgressRules = []EgressRule{{Description: "broker", FromPort: 5671, Cidr: "203.0.113.7/24"}}
		}, "nodeEgressRules[0].cidr", `nodeEgressRules[0].cidr must be a network address (203.0.113.0/24), got "203.0.113.7/24"`},
		{"egress rule twice", func(a *ClusterArgs) {
			r := EgressRule{Description: "broker", FromPort: 5671, Cidr: "203.0.113.0/24"}
			a.NodeEgressRules = []EgressRule{r, r}
		}, "nodeEgressRules", `nodeEgressRules lists tcp 5671-5671 to 203.0.113.0/24 twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := baseArgs()
			tt.edit(&args)
			var named []string
			for _, p := range args.Validate() {
				if p.Field == tt.field && strings.HasPrefix(p.Field+" "+p.Message, tt.want) {
					named = append(named, p.Message)
				}
			}
			assert.NotEmpty(t, named, "Validate names %s: %v", tt.field, args.Validate())
			eng, err := run(t, args)
			require.ErrorContains(t, err, `cluster "cluster": `+tt.want)
			assert.Empty(t, eng.Resources(), "nothing is registered when the arguments are invalid")
		})
	}
	base := baseArgs()
	assert.Empty(t, base.Validate(), "the base arguments are valid")
}

func TestAddonVersionTable(t *testing.T) {
	require.Contains(t, SupportedKubernetesVersions(), DefaultKubernetesVersion)
	for minor, v := range addonVersions {
		assert.Regexp(t, versionPattern, minor)
		// kube-proxy must not be newer than the API server, and EKS builds one per minor.
		assert.Truef(t, strings.HasPrefix(v.KubeProxy, "v"+minor+"."), "kube-proxy %s for %s", v.KubeProxy, minor)
		for _, name := range AddonNames {
			version := v.byName(name)
			assert.Regexpf(t, addonVersionPattern, version, "%s for %s", name, minor)
			// A row is valid as a stack's override too.
			assert.Empty(t, checkAddonVersions(minor, map[string]string{name: version}), fmt.Sprintf("%s for %s", name, minor))
		}
	}
	assert.Len(t, AddonNames, 6)
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
