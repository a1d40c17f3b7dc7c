package cluster

import (
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	storagev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/storage/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/components/karpenter"
	"github.com/novacron/platform/internal/awslimits"
)

type securityGroups struct {
	controlPlane *ec2.SecurityGroup
	nodes        *ec2.SecurityGroup
}

// newSecurityGroups creates the control-plane and node groups with only the traffic EKS needs:
// nodes to the API server on 443, the API server to kubelets and webhooks on 443 and 1025-65535,
// node to node for pod networking, and node egress limited to the VPC and HTTPS (nodeEgress).
//
// Deployers (runners, bastions, VPNs named by CIDR or security group) reach the API server on
// 443 too: with the public endpoint off, they have no other way in.
func newSecurityGroups(ctx *pulumi.Context, name string, a ClusterArgs, parent pulumi.ResourceOption) (*securityGroups, error) {
	vpcID := a.VpcId
	controlPlane, err := ec2.NewSecurityGroup(ctx, name+"-control-plane", &ec2.SecurityGroupArgs{
		VpcId: vpcID, Description: pulumi.String("EKS control plane " + name),
	}, parent)
	if err != nil {
		return nil, err
	}
	nodes, err := ec2.NewSecurityGroup(ctx, name+"-nodes", &ec2.SecurityGroupArgs{
		VpcId: vpcID, Description: pulumi.String("EKS nodes " + name),
		// Karpenter's EC2NodeClasses select the group by this tag.
		Tags: pulumi.StringMap{karpenter.DiscoveryTag: pulumi.String(a.ClusterName)},
	}, parent)
	if err != nil {
		return nil, err
	}
	type rule struct {
		suffix   string
		group    *ec2.SecurityGroup
		peer     *ec2.SecurityGroup
		protocol string
		from, to int
		what     string
	}
	ingress := []rule{
		{"api-from-nodes", controlPlane, nodes, "tcp", 443, 443, "nodes to the API server"},
		{"nodes-from-api-443", nodes, controlPlane, "tcp", 443, 443, "API server to webhooks on 443"},
		{"nodes-from-api", nodes, controlPlane, "tcp", 1025, 65535, "API server to kubelets and webhooks"},
		{"nodes-from-nodes", nodes, nodes, "-1", 0, 0, "pod and node traffic within the cluster"},
	}
	for _, r := range ingress {
		args := &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           r.group.ID(),
			ReferencedSecurityGroupId: r.peer.ID(),
			IpProtocol:                pulumi.String(r.protocol),
			Description:               pulumi.String(r.what),
		}
		if r.protocol != "-1" {
			args.FromPort, args.ToPort = pulumi.Int(r.from), pulumi.Int(r.to)
		}
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-"+r.suffix, args, parent); err != nil {
			return nil, err
		}
	}
	// Named after the source rather than its position, so that reordering the list replaces
	// nothing.
	deployer := func(source string, args *vpc.SecurityGroupIngressRuleArgs) error {
		args.SecurityGroupId = controlPlane.ID()
		args.IpProtocol = pulumi.String("tcp")
		args.FromPort, args.ToPort = pulumi.Int(443), pulumi.Int(443)
		args.Description = pulumi.String("deployers (runners, bastions, VPN) to the API server")
		_, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-api-from-"+sanitize(strings.ReplaceAll(source, "/", "-")), args, parent)
		return err
	}
	for _, cidr := range a.EndpointAllowedCidrs {
		if err := deployer(cidr, &vpc.SecurityGroupIngressRuleArgs{CidrIpv4: pulumi.String(cidr)}); err != nil {
			return nil, err
		}
	}
	for _, id := range a.EndpointAllowedSecurityGroupIds {
		if err := deployer(id, &vpc.SecurityGroupIngressRuleArgs{ReferencedSecurityGroupId: pulumi.String(id)}); err != nil {
			return nil, err
		}
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-api-to-nodes", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           controlPlane.ID(),
		ReferencedSecurityGroupId: nodes.ID(), IpProtocol: pulumi.String("tcp"),
		FromPort: pulumi.Int(443), ToPort: pulumi.Int(65535),
		Description: pulumi.String("API server to kubelets and webhooks"),
	}, parent); err != nil {
		return nil, err
	}
	for _, e := range nodeEgress(a) {
		e.args.SecurityGroupId = nodes.ID()
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-nodes-egress-"+e.suffix, e.args, parent); err != nil {
			return nil, err
		}
	}
	return &securityGroups{controlPlane: controlPlane, nodes: nodes}, nil
}

// privateVpcRanges are the ranges a VPC may use (those awslimits.CheckVPCCIDR accepts): the node
// egress falls back to them when ClusterArgs.VpcCidr is not given.
var privateVpcRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}

type egressRule struct {
	suffix string
	args   *vpc.SecurityGroupEgressRuleArgs
}

// nodeEgress is what the nodes, and the pods on them, may send; a ClusterArgs with defaults.
//
// The Amazon EKS User Guide ("View Amazon EKS security group requirements for clusters",
// Restricting cluster traffic) lists what nodes need once the all-traffic outbound rule is gone:
// 443 and 10250 and DNS (TCP and UDP 53) to the cluster, inter-node traffic, and outbound access
// to the EKS APIs, to ECR or any other registry the images come from, and to S3. Here:
//   - everything to the VPC: other nodes and pods (the VPC CNI gives pods VPC addresses), the
//     control-plane network interfaces, CoreDNS, the VPC resolver, the database, interface
//     endpoints;
//   - HTTPS to anywhere: the EKS, STS, ECR and S3 APIs, the charts' and images' registries, and
//     the webhooks the platform calls (Slack, PagerDuty), all through the NAT gateways;
//   - NodeEgressRules, for what an application needs beyond that.
//
// Nothing is needed for link-local services: security groups do not filter traffic to and from
// the Amazon DNS server (Route 53 Resolver, 169.254.169.253), instance metadata
// (169.254.169.254) or the Amazon Time Sync Service (169.254.169.123) (Amazon EC2 User Guide,
// "Security group rules"). Nodes are IPv4 only, so there is no IPv6 rule.
func nodeEgress(a ClusterArgs) []egressRule {
	var rules []egressRule
	vpcRanges := privateVpcRanges
	if a.VpcCidr != "" {
		vpcRanges = []string{a.VpcCidr}
	}
	for _, cidr := range vpcRanges {
		rules = append(rules, egressRule{"vpc-" + sanitize(cidr), &vpc.SecurityGroupEgressRuleArgs{
			CidrIpv4: pulumi.String(cidr), IpProtocol: pulumi.String("-1"),
			Description: pulumi.String("pods, nodes, control plane, DNS and database within the VPC"),
		}})
	}
	rules = append(rules, egressRule{"https", &vpc.SecurityGroupEgressRuleArgs{
		CidrIpv4: pulumi.String("0.0.0.0/0"), IpProtocol: pulumi.String("tcp"),
		FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
		Description: pulumi.String("HTTPS: EKS, STS, ECR and S3 APIs, image and chart registries, webhooks"),
	}})
	for _, e := range a.NodeEgressRules {
		rules = append(rules, egressRule{egressRuleSuffix(e), &vpc.SecurityGroupEgressRuleArgs{
			CidrIpv4: pulumi.String(e.Cidr), IpProtocol: pulumi.String(e.Protocol),
			FromPort: pulumi.Int(e.FromPort), ToPort: pulumi.Int(e.ToPort),
			Description: pulumi.String(e.Description),
		}})
	}
	return rules
}

// egressRuleSuffix names an extra egress rule after its content, so that reordering
// NodeEgressRules replaces nothing: "tcp-5671-203-0-113-0-24", "udp-500-4500-198-51-100-7-32".
func egressRuleSuffix(e EgressRule) string {
	ports := strconv.Itoa(e.FromPort)
	if e.ToPort != e.FromPort {
		ports += "-" + strconv.Itoa(e.ToPort)
	}
	return e.Protocol + "-" + ports + "-" + sanitize(e.Cidr)
}

// systemNodeGroupNamePrefix is the physical name prefix of the system node group; the provider
// appends a unique suffix.
func systemNodeGroupNamePrefix(clusterName string) string { return clusterName + "-system-" }

// newSystemNodeGroup creates the system node group: a fixed number of nodes of one type, at the
// pinned AMI release, tainted so that only cluster-critical add-ons run there, spread over the
// private subnets. Its launch template enforces IMDSv2 with a hop limit of 1 and an encrypted gp3
// root volume, like the Karpenter pools' EC2NodeClasses.
func newSystemNodeGroup(ctx *pulumi.Context, name string, a ClusterArgs, clusterName pulumi.StringOutput,
	nodeRole *nodeRole, nodeSG *ec2.SecurityGroup, parent pulumi.ResourceOption, deps pulumi.ResourceOption,
) (*awseks.NodeGroup, error) {
	groupName := name + "-system"
	lt, err := ec2.NewLaunchTemplate(ctx, groupName, &ec2.LaunchTemplateArgs{
		Description: pulumi.Sprintf("System nodes of cluster %s", a.ClusterName),
		// IMDSv2 only, and a hop limit of 1 so that pods cannot borrow the node role; every
		// add-on here authenticates through EKS Pod Identity instead.
		MetadataOptions: ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"), // the AL2023 root volume
			Ebs: ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(systemDiskSizeGb),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		VpcSecurityGroupIds:  pulumi.StringArray{nodeSG.ID()},
		UpdateDefaultVersion: pulumi.Bool(true),
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{ec2.LaunchTemplateTagSpecificationArgs{
			ResourceType: pulumi.String("instance"),
			Tags:         pulumi.StringMap{"Name": pulumi.String(a.ClusterName + "-system")},
		}},
	}, parent)
	if err != nil {
		return nil, err
	}
	it, _ := awslimits.LookupInstanceType(a.SystemInstanceType)
	return awseks.NewNodeGroup(ctx, groupName, &awseks.NodeGroupArgs{
		ClusterName:         clusterName,
		NodeGroupNamePrefix: pulumi.String(systemNodeGroupNamePrefix(a.ClusterName)),
		NodeRoleArn:         nodeRole.role.Arn,
		SubnetIds:           a.PrivateSubnetIds,
		// The kubelet follows the control plane: EKS refuses the next control-plane upgrade
		// while managed nodes lag a minor behind (EKS User Guide, "Update existing cluster to new
		// Kubernetes version"). The release pins the AMI build, as the Karpenter pools' alias
		// does, so one config change patches every node.
		Version:        pulumi.String(a.KubernetesVersion),
		ReleaseVersion: pulumi.String(a.NodeAmiRelease),
		InstanceTypes:  pulumi.ToStringArray([]string{a.SystemInstanceType}),
		AmiType:        pulumi.String(systemAmiType(it)),
		CapacityType:   pulumi.String("ON_DEMAND"),
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			MinSize: pulumi.Int(a.SystemNodeCount), DesiredSize: pulumi.Int(a.SystemNodeCount), MaxSize: pulumi.Int(a.SystemNodeCount),
		},
		Labels: pulumi.StringMap{"workload": pulumi.String("system")},
		Taints: awseks.NodeGroupTaintArray{awseks.NodeGroupTaintArgs{
			Key: pulumi.String(SystemTaintKey), Value: pulumi.String("true"), Effect: pulumi.String("NO_SCHEDULE"),
		}},
		LaunchTemplate: awseks.NodeGroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(strconv.Itoa).(pulumi.StringOutput),
		},
		UpdateConfig: awseks.NodeGroupUpdateConfigArgs{MaxUnavailablePercentage: pulumi.Int(MaxUnavailablePercent)},
	}, parent, deps, pulumi.DependsOn(nodeRole.attachments))
}

func sanitize(s string) string {
	return strings.NewReplacer("/", "-", ".", "-").Replace(s)
}

type nodeRole struct {
	role        *iam.Role
	attachments []pulumi.Resource
}

func newNodeRoleWithPolicies(ctx *pulumi.Context, name string, parent pulumi.ResourceOption) (*nodeRole, error) {
	role, err := iam.NewRole(ctx, name+"-nodes", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	}, parent)
	if err != nil {
		return nil, err
	}
	out := &nodeRole{role: role}
	// The CNI policy is absent on purpose: vpc-cni has its own IRSA role. SSM replaces SSH.
	for _, policy := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"} {
		attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-nodes-"+strings.ToLower(policy), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/" + policy),
		}, parent)
		if err != nil {
			return nil, err
		}
		out.attachments = append(out.attachments, attachment)
	}
	return out, nil
}

// newStorageClass creates "fast-ssd": encrypted gp3 volumes provisioned in the zone of the pod
// that first uses them, and expandable in place.
func newStorageClass(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*storagev1.StorageClass, error) {
	return storagev1.NewStorageClass(ctx, name+"-"+fastSsdStorageClassName, &storagev1.StorageClassArgs{
		Metadata:             metav1.ObjectMetaArgs{Name: pulumi.String(fastSsdStorageClassName)},
		Provisioner:          pulumi.String("ebs.csi.aws.com"),
		Parameters:           pulumi.StringMap{"type": pulumi.String("gp3"), "encrypted": pulumi.String("true")},
		VolumeBindingMode:    pulumi.String("WaitForFirstConsumer"),
		AllowVolumeExpansion: pulumi.Bool(true),
		ReclaimPolicy:        pulumi.String("Delete"),
	}, opts...)
}

// newNvidiaDevicePlugin advertises nvidia.com/gpu on a GPU pool's nodes. The AL2023 NVIDIA AMI
// ships the driver and container toolkit but not the device plugin. The chart's default
// affinity expects node-feature-discovery labels, so it is replaced by the pool's own labels,
// and the pool's taints are tolerated.
func newNvidiaDevicePlugin(ctx *pulumi.Context, name, version string, ng karpenter.NodePoolArgs, opts ...pulumi.ResourceOption) error {
	tolerations := pulumi.Array{pulumi.Map{
		"key": pulumi.String("nvidia.com/gpu"), "operator": pulumi.String("Exists"), "effect": pulumi.String("NoSchedule"),
	}}
	for _, t := range ng.Taints {
		tolerations = append(tolerations, pulumi.Map{
			"key": pulumi.String(t.Key), "operator": pulumi.String("Equal"),
			"value": pulumi.String(t.Value), "effect": pulumi.String(t.Effect),
		})
	}
	var terms pulumi.Array
	keys := make([]string, 0, len(ng.Labels))
	for k := range ng.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		terms = append(terms, pulumi.Map{
			"key": pulumi.String(k), "operator": pulumi.String("In"), "values": pulumi.ToStringArray([]string{ng.Labels[k]}),
		})
	}
	_, err := helmv3.NewRelease(ctx, name+"-"+ng.Name+"-nvidia-device-plugin", &helmv3.ReleaseArgs{
		Name:           pulumi.String("nvidia-device-plugin-" + ng.Name),
		Chart:          pulumi.String("nvidia-device-plugin"),
		Version:        pulumi.String(version),
		Namespace:      pulumi.String("kube-system"),
		RepositoryOpts: helmv3.RepositoryOptsArgs{Repo: pulumi.String(nvidiaDevicePluginRepository)},
		Values: pulumi.Map{
			"tolerations": tolerations,
			"affinity": pulumi.Map{"nodeAffinity": pulumi.Map{
				"requiredDuringSchedulingIgnoredDuringExecution": pulumi.Map{
					"nodeSelectorTerms": pulumi.Array{pulumi.Map{"matchExpressions": terms}},
				},
			}},
		},
	}, opts...)
	return err
}
