package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/irsa"
	"github.com/novacron/platform/internal/kmspolicy"
)

// Cluster is an EKS cluster with managed node groups, the add-ons the platform relies on, and a
// Kubernetes provider for in-cluster components.
type Cluster struct {
	pulumi.ResourceState

	ClusterName pulumi.StringOutput `pulumi:"clusterName"`
	Endpoint    pulumi.StringOutput `pulumi:"endpoint"`
	// Kubeconfig is secret: it names the cluster and its certificate authority.
	Kubeconfig          pulumi.StringOutput      `pulumi:"kubeconfig"`
	OidcProviderArn     pulumi.StringOutput      `pulumi:"oidcProviderArn"`
	OidcIssuer          pulumi.StringOutput      `pulumi:"oidcIssuer"`
	NodeSecurityGroupId pulumi.StringOutput      `pulumi:"nodeSecurityGroupId"`
	NodeRoleArn         pulumi.StringOutput      `pulumi:"nodeRoleArn"`
	NodeGroupNames      pulumi.StringArrayOutput `pulumi:"nodeGroupNames"`

	// Provider talks to this cluster; pass it to in-cluster components with pulumi.Providers.
	Provider *kubernetes.Provider
	// Ready holds what in-cluster workloads must wait for: the node groups without a GPU and
	// the storage class. Provider already waits for them.
	Ready []pulumi.Resource
	// StorageClassName is the encrypted gp3 class for persistent volumes ("fast-ssd").
	StorageClassName string
}

// IRSA returns what an IAM role needs to trust this cluster's service accounts.
func (c *Cluster) IRSA() irsa.Cluster {
	return irsa.Cluster{OidcProviderArn: c.OidcProviderArn, OidcIssuer: c.OidcIssuer}
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

	c := &Cluster{StorageClassName: fastSsdStorageClassName}
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
		// The OIDC provider is created below as a plain resource, so its ARN is an ordinary output.
		CreateOidcProvider: pulumi.Bool(false),
	}, parent, pulumi.DependsOn([]pulumi.Resource{logGroup}))
	if err != nil {
		return nil, err
	}

	// The component's resource-typed outputs only resolve against a live engine. KubeconfigJson
	// is a plain string that resolves once the control plane is active, so deriving the name from
	// it gives every consumer a real dependency on the cluster.
	clusterName := cluster.KubeconfigJson.ApplyT(func(string) string { return a.ClusterName }).(pulumi.StringOutput)
	issuer := awseks.LookupClusterOutput(ctx, awseks.LookupClusterOutputArgs{Name: clusterName}, parent).
		ApplyT(func(r awseks.LookupClusterResult) (string, error) {
			if len(r.Identities) == 0 || len(r.Identities[0].Oidcs) == 0 {
				return "", fmt.Errorf("cluster %q: EKS reported no OIDC issuer", name)
			}
			return r.Identities[0].Oidcs[0].Issuer, nil
		}).(pulumi.StringOutput)
	oidc, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidc", &iam.OpenIdConnectProviderArgs{
		Url:           issuer,
		ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
	}, parent)
	if err != nil {
		return nil, err
	}
	c.ClusterName = clusterName
	c.OidcProviderArn = oidc.Arn
	c.OidcIssuer = oidc.Url

	// Every add-on is pinned to the cluster's minor (addons.go). Networking comes before the
	// nodes, which need it to become ready; on an upgrade the engine therefore updates the
	// control plane, then vpc-cni and kube-proxy, then the node groups.
	versions := addonVersions[a.KubernetesVersion]
	cni, err := newAddon(ctx, c, name, addonSpec{
		name: "vpc-cni", version: versions.VpcCni,
		namespace: "kube-system", serviceAccount: "aws-node", policyArn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
		// Without the network policy agent every NetworkPolicy is silently a no-op on EKS.
		configuration: `{"enableNetworkPolicy":"true"}`,
	}, parent, nil)
	if err != nil {
		return nil, err
	}
	// kube-proxy calls no AWS API, so it has no IRSA role.
	kubeProxy, err := newAddon(ctx, c, name, addonSpec{name: "kube-proxy", version: versions.KubeProxy}, parent, nil)
	if err != nil {
		return nil, err
	}

	nodeRole, err := newNodeRoleWithPolicies(ctx, name, parent)
	if err != nil {
		return nil, err
	}
	var groupNames pulumi.StringArray
	// system are the groups without a GPU: cluster services run there, so they wait for those
	// only, and a shortage of GPU capacity does not hold back the rest of the platform.
	var system []pulumi.Resource
	gpuGroups := map[string][]pulumi.Resource{}
	for _, ng := range a.NodeGroups {
		groups, err := newNodePool(ctx, name, a, ng, clusterName, nodeRole, sgs.nodes, parent,
			pulumi.DependsOn([]pulumi.Resource{cni, kubeProxy}))
		if err != nil {
			return nil, err
		}
		for _, group := range groups {
			groupNames = append(groupNames, group.NodeGroupName)
			if ng.Gpu {
				gpuGroups[ng.Name] = append(gpuGroups[ng.Name], group)
			} else {
				system = append(system, group)
			}
		}
	}
	if len(system) == 0 {
		return nil, fmt.Errorf("cluster %q: at least one node group without a GPU must run the cluster's own services", name)
	}

	// Kubernetes objects wait for what they run on through their provider: a resource is not
	// created before its provider is configured. The system provider waits for the node groups
	// without a GPU; the workload provider, exported, also for the storage class.
	systemProvider, err := kubernetes.NewProvider(ctx, name+"-k8s-system", &kubernetes.ProviderArgs{
		Kubeconfig: cluster.KubeconfigJson,
	}, parent, pulumi.DependsOn(system))
	if err != nil {
		return nil, err
	}

	// CoreDNS and the EBS CSI controller are Deployments: their add-ons only become active
	// once nodes exist to run them.
	if _, err := newAddon(ctx, c, name, addonSpec{name: "coredns", version: versions.CoreDNS}, parent, system); err != nil {
		return nil, err
	}
	ebs, err := newAddon(ctx, c, name, addonSpec{
		name: "aws-ebs-csi-driver", version: versions.EbsCsiDriver,
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
	c.Ready = append(system, storageClass)
	c.Provider, err = kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig: cluster.KubeconfigJson,
	}, parent, pulumi.DependsOn(c.Ready))
	if err != nil {
		return nil, err
	}

	if err := newClusterAutoscaler(ctx, c, name, a, parent, pulumi.Provider(systemProvider)); err != nil {
		return nil, err
	}
	for _, ng := range a.NodeGroups {
		if ng.Gpu {
			if err := newNvidiaDevicePlugin(ctx, name, a.NvidiaDevicePluginVersion, ng, parent,
				pulumi.Provider(systemProvider), pulumi.DependsOn(gpuGroups[ng.Name])); err != nil {
				return nil, err
			}
		}
	}

	c.Endpoint = cluster.Core.Endpoint()
	c.Kubeconfig = pulumi.ToSecret(cluster.KubeconfigJson).(pulumi.StringOutput)
	c.NodeSecurityGroupId = sgs.nodes.ID().ToStringOutput()
	c.NodeRoleArn = nodeRole.role.Arn
	c.NodeGroupNames = groupNames.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterName":         c.ClusterName,
		"endpoint":            c.Endpoint,
		"kubeconfig":          c.Kubeconfig,
		"oidcProviderArn":     c.OidcProviderArn,
		"oidcIssuer":          c.OidcIssuer,
		"nodeSecurityGroupId": c.NodeSecurityGroupId,
		"nodeRoleArn":         c.NodeRoleArn,
		"nodeGroupNames":      c.NodeGroupNames,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
