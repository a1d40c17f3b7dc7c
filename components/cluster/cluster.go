package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/components/karpenter"
	"github.com/novacron/platform/internal/kmspolicy"
	"github.com/novacron/platform/internal/podidentity"
)

// Cluster is an EKS cluster with managed node groups, the add-ons the platform relies on, and a
// Kubernetes provider for in-cluster components.
type Cluster struct {
	pulumi.ResourceState

	ClusterName pulumi.StringOutput `pulumi:"clusterName"`
	Endpoint    pulumi.StringOutput `pulumi:"endpoint"`
	// Kubeconfig is secret: it names the cluster and its certificate authority.
	Kubeconfig          pulumi.StringOutput      `pulumi:"kubeconfig"`
	NodeSecurityGroupId pulumi.StringOutput      `pulumi:"nodeSecurityGroupId"`
	NodeRoleArn         pulumi.StringOutput      `pulumi:"nodeRoleArn"`
	NodeGroupNames      pulumi.StringArrayOutput `pulumi:"nodeGroupNames"`

	// Provider talks to this cluster; pass it to in-cluster components with pulumi.Providers.
	Provider *kubernetes.Provider
	// Ready holds what in-cluster workloads must wait for: the system node group, the storage
	// class, metrics-server and the Karpenter pools. Provider already waits for them.
	Ready []pulumi.Resource
	// Karpenter provisions every node outside the system node group.
	Karpenter *karpenter.Karpenter
	// StorageClassName is the encrypted gp3 class for persistent volumes ("fast-ssd").
	StorageClassName string

	clusterNameValue string
}

// PodIdentity returns the binding of a service account of this cluster, for podidentity.NewRole.
func (c *Cluster) PodIdentity(namespace, serviceAccount string) podidentity.Binding {
	return podidentity.Binding{
		ClusterName: c.ClusterName, ClusterNameValue: c.clusterNameValue, Namespace: namespace, ServiceAccount: serviceAccount,
	}
}

// NewCluster creates the cluster.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		args = &ClusterArgs{}
	}
	if err := args.Validate().Err("cluster", name); err != nil {
		return nil, err
	}
	if args.VpcId == nil || args.PrivateSubnetIds == nil {
		return nil, fmt.Errorf("cluster %q: vpcId and privateSubnetIds are required", name)
	}
	a := args.withDefaults(name)

	c := &Cluster{StorageClassName: fastSsdStorageClassName, clusterNameValue: a.ClusterName}
	if err := ctx.RegisterComponentResource("novacron:cluster:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	secretsKey := a.SecretsKmsKeyArn
	if secretsKey == nil {
		key, err := kms.NewKey(ctx, name+"-secrets", &kms.KeyArgs{
			Description:          pulumi.Sprintf("Envelope encryption of Kubernetes Secrets in EKS cluster %s", a.ClusterName),
			EnableKeyRotation:    pulumi.Bool(true),
			DeletionWindowInDays: pulumi.Int(30),
			// KMS's default account statement, written out: IAM policies (the cluster role's)
			// decide who uses the key, and the policy is part of the key's definition.
			Policy: kmspolicy.AccountRoot(ctx, parent),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := kms.NewAlias(ctx, name+"-secrets", &kms.AliasArgs{
			Name: pulumi.String("alias/" + a.ClusterName + "-secrets"), TargetKeyId: key.KeyId,
		}, parent); err != nil {
			return nil, err
		}
		secretsKey = key.Arn
	}

	// EKS writes control-plane logs to this group; creating it first sets a retention instead
	// of EKS's never-expire default.
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-control-plane", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/eks/" + a.ClusterName + "/cluster"),
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
		KmsKeyId:        a.LogsKmsKeyArn,
	}, parent)
	if err != nil {
		return nil, err
	}

	sgs, err := newSecurityGroups(ctx, name, a, parent)
	if err != nil {
		return nil, err
	}

	accessEntries := map[string]eks.AccessEntryArgs{}
	entry := func(arn, policyName, policyArn string) eks.AccessEntryArgs {
		return eks.AccessEntryArgs{
			PrincipalArn: pulumi.String(arn),
			AccessPolicies: eks.AccessPolicyAssociationMap{policyName: eks.AccessPolicyAssociationArgs{
				PolicyArn:   pulumi.String(policyArn),
				AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
			}},
		}
	}
	for i, arn := range a.AdminRoleArns {
		accessEntries[fmt.Sprintf("admin-%d", i)] = entry(arn, "cluster-admin", clusterAdminAccessPolicyArn)
	}
	// Preview and drift roles: read everything (a preview with refresh reads each object the
	// program manages), change nothing. pulumi-kubernetes falls back to a client-side diff when
	// the server-side dry run is forbidden (pulumi/pulumi-kubernetes#2419, in v4.32.0's Create
	// and Update), so a preview still shows in-cluster changes.
	for i, arn := range a.ReadOnlyRoleArns {
		accessEntries[fmt.Sprintf("read-only-%d", i)] = entry(arn, "admin-view", readOnlyAccessPolicyArn)
	}

	// Access entries only: no aws-auth ConfigMap to drift or to be edited by hand.
	apiAuthentication := eks.AuthenticationModeApi
	cluster, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name:                   pulumi.String(a.ClusterName),
		Version:                pulumi.String(a.KubernetesVersion),
		VpcId:                  a.VpcId,
		PrivateSubnetIds:       a.PrivateSubnetIds,
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(a.EndpointPublicAccess),
		PublicAccessCidrs:      pulumi.ToStringArray(a.PublicAccessCidrs),
		EnabledClusterLogTypes: pulumi.ToStringArray(ControlPlaneLogTypes),
		EncryptionConfigKeyArn: secretsKey,
		// pulumi-eks v2.8.1 hands this group to the cluster as vpcConfig.securityGroupIds
		// (nodejs/eks/cluster.ts): its rules decide who reaches the API server, deployers included.
		ClusterSecurityGroup: sgs.controlPlane,
		AuthenticationMode:   &apiAuthentication,
		AccessEntries:        accessEntries,
		SkipDefaultNodeGroup: pulumi.BoolRef(true),
		// pulumi-eks's own CNI manifest has no network-policy switch and needs kubectl at deploy
		// time; the vpc-cni EKS add-on below replaces it.
		UseDefaultVpcCni: pulumi.BoolRef(true),
		// Every workload role goes through EKS Pod Identity, which needs no IAM OIDC provider.
		CreateOidcProvider: pulumi.Bool(false),
	}, parent, pulumi.DependsOn([]pulumi.Resource{logGroup}))
	if err != nil {
		return nil, err
	}

	// The component's resource-typed outputs only resolve against a live engine. KubeconfigJson
	// is a plain string that resolves once the control plane is active, so deriving the name from
	// it gives every consumer a real dependency on the cluster.
	clusterName := cluster.KubeconfigJson.ApplyT(func(string) string { return a.ClusterName }).(pulumi.StringOutput)
	c.ClusterName = clusterName

	// Every add-on is pinned to the cluster's minor (addons.go), or to the stack's override.
	// Networking and the Pod Identity agent come before the nodes, which need them to become
	// ready; on an upgrade the engine therefore updates the control plane, then those add-ons,
	// then the system node group.
	versions := resolvedAddonVersions(a.KubernetesVersion, a.AddonVersions)
	// The agent is a host-network DaemonSet that tolerates every taint: it serves credentials to
	// vpc-cni and every other Pod Identity workload on each node, the system nodes included.
	podIdentityAgent, err := newAddon(ctx, c, name, addonSpec{name: addonPodIdentityAgent, version: versions[addonPodIdentityAgent]}, parent, nil)
	if err != nil {
		return nil, err
	}
	cni, err := newAddon(ctx, c, name, addonSpec{
		name: addonVpcCni, version: versions[addonVpcCni],
		namespace: "kube-system", serviceAccount: "aws-node", policyArn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
		// Without the network policy agent every NetworkPolicy is silently a no-op on EKS.
		configuration: `{"enableNetworkPolicy":"true"}`,
	}, parent, []pulumi.Resource{podIdentityAgent})
	if err != nil {
		return nil, err
	}
	// kube-proxy calls no AWS API, so it has no role.
	kubeProxy, err := newAddon(ctx, c, name, addonSpec{name: addonKubeProxy, version: versions[addonKubeProxy]}, parent, nil)
	if err != nil {
		return nil, err
	}

	nodeRole, err := newNodeRoleWithPolicies(ctx, name, parent)
	if err != nil {
		return nil, err
	}
	systemGroup, err := newSystemNodeGroup(ctx, name, a, clusterName, nodeRole, sgs.nodes, parent,
		pulumi.DependsOn([]pulumi.Resource{cni, kubeProxy, podIdentityAgent}))
	if err != nil {
		return nil, err
	}
	system := []pulumi.Resource{systemGroup}

	// The system provider waits for the system node group: what it creates runs there.
	systemProvider, err := kubernetes.NewProvider(ctx, name+"-k8s-system", &kubernetes.ProviderArgs{
		Kubeconfig: cluster.KubeconfigJson,
	}, parent, pulumi.DependsOn(system))
	if err != nil {
		return nil, err
	}

	// CoreDNS, metrics-server and the EBS CSI controller are Deployments: their add-ons only
	// become active once nodes exist to run them, and they tolerate the system taint so that
	// they run before Karpenter has launched anything. Setting tolerations replaces the add-on's
	// defaults, so CoreDNS's control-plane toleration is repeated.
	if _, err := newAddon(ctx, c, name, addonSpec{
		name: addonCoreDNS, version: versions[addonCoreDNS],
		configuration: `{"tolerations":[{"key":"` + SystemTaintKey + `","operator":"Exists"},` +
			`{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}]}`,
	}, parent, system); err != nil {
		return nil, err
	}
	// metrics-server serves the resource metrics API that HorizontalPodAutoscalers and `kubectl
	// top` read. EKS's build listens on 10251, which the control plane reaches through the
	// node security group's 1025-65535 rule (EKS User Guide, "metrics-server").
	metricsServer, err := newAddon(ctx, c, name, addonSpec{
		name: addonMetricsServer, version: versions[addonMetricsServer],
		configuration: `{"tolerations":[{"key":"` + SystemTaintKey + `","operator":"Exists"}]}`,
	}, parent, system)
	if err != nil {
		return nil, err
	}
	ebs, err := newAddon(ctx, c, name, addonSpec{
		name: addonEbsCsiDriver, version: versions[addonEbsCsiDriver],
		namespace: "kube-system", serviceAccount: "ebs-csi-controller-sa",
		policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
	}, parent, system)
	if err != nil {
		return nil, err
	}
	storageClass, err := newStorageClass(ctx, name, parent, pulumi.Provider(systemProvider), pulumi.DependsOn([]pulumi.Resource{ebs}))
	if err != nil {
		return nil, err
	}

	// Karpenter runs on the system nodes and launches every other node. The workload provider
	// waits for its pools, so nothing is installed before pending pods can get a node.
	kargs := a.karpenterArgs(cluster.Core.Endpoint())
	karp, err := karpenter.New(ctx, name+"-karpenter", &kargs, karpenter.Inputs{
		ClusterName: clusterName, Provider: systemProvider,
		WaitFor: []pulumi.Resource{systemGroup, podIdentityAgent},
	}, parent)
	if err != nil {
		return nil, err
	}
	c.Karpenter = karp
	c.Ready = append([]pulumi.Resource{systemGroup, storageClass, metricsServer}, karp.Ready...)
	c.Provider, err = kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig: cluster.KubeconfigJson,
	}, parent, pulumi.DependsOn(c.Ready))
	if err != nil {
		return nil, err
	}

	for _, np := range a.NodePools {
		if np.Gpu {
			if err := newNvidiaDevicePlugin(ctx, name, a.NvidiaDevicePluginVersion, np, parent,
				pulumi.Provider(systemProvider), pulumi.DependsOn(karp.Ready)); err != nil {
				return nil, err
			}
		}
	}

	c.Endpoint = cluster.Core.Endpoint()
	c.Kubeconfig = pulumi.ToSecret(cluster.KubeconfigJson).(pulumi.StringOutput)
	c.NodeSecurityGroupId = sgs.nodes.ID().ToStringOutput()
	c.NodeRoleArn = nodeRole.role.Arn
	c.NodeGroupNames = pulumi.StringArray{systemGroup.NodeGroupName}.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterName":         c.ClusterName,
		"endpoint":            c.Endpoint,
		"kubeconfig":          c.Kubeconfig,
		"nodeSecurityGroupId": c.NodeSecurityGroupId,
		"nodeRoleArn":         c.NodeRoleArn,
		"nodeGroupNames":      c.NodeGroupNames,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
