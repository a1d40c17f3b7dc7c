package cluster

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	storagev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/storage/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

// taintEffect maps a Kubernetes taint effect to the EKS API's spelling.
func taintEffect(effect string) string {
	switch effect {
	case "NoExecute":
		return "NO_EXECUTE"
	case "PreferNoSchedule":
		return "PREFER_NO_SCHEDULE"
	default:
		return "NO_SCHEDULE"
	}
}

// nodeGroupNamePrefix is the physical name prefix of a managed node group; zone is "" for a
// group that spans every zone.
func nodeGroupNamePrefix(clusterName, group, zone string) string {
	if zone == "" {
		return clusterName + "-" + group + "-"
	}
	return clusterName + "-" + group + "-" + zone + "-"
}

// zoneSuffix shortens a zone name to what follows its region ("us-east-1a" → "a"), which keeps
// node group names within EKS's limit.
func zoneSuffix(region, az string) string {
	if s := strings.TrimLeft(strings.TrimPrefix(az, region), "-"); s != "" {
		return s
	}
	return az
}

// splitAcrossZones divides a total among n zones: total/n each, and one more for each of the
// first total%n zones. The parts add up to the total, and splitting min, desired and max the
// same way keeps min <= desired <= max in every zone.
func splitAcrossZones(total, n int) []int {
	parts := make([]int, n)
	for i := range parts {
		parts[i] = total / n
		if i < total%n {
			parts[i]++
		}
	}
	return parts
}

// nodeGroupSpec is one managed node group of a pool: the whole pool, or its share in one zone.
type nodeGroupSpec struct {
	resourceName, namePrefix string
	subnets                  pulumi.StringArrayInput
	min, desired, max        int
}

// poolGroups lists the managed node groups of a pool: one across every private subnet, or one
// per zone (PerZone), each in its zone's subnet with its share of the sizes.
func poolGroups(name string, a ClusterArgs, ng NodeGroupArgs) []nodeGroupSpec {
	groupName := name + "-" + ng.Name
	if !ng.PerZone {
		return []nodeGroupSpec{{
			resourceName: groupName, namePrefix: nodeGroupNamePrefix(a.ClusterName, ng.Name, ""),
			subnets: a.PrivateSubnetIds, min: ng.MinSize, desired: ng.DesiredSize, max: ng.MaxSize,
		}}
	}
	n := len(a.AvailabilityZones)
	mins, desired, maxes := splitAcrossZones(ng.MinSize, n), splitAcrossZones(ng.DesiredSize, n), splitAcrossZones(ng.MaxSize, n)
	subnets := a.PrivateSubnetIds.ToStringArrayOutput()
	specs := make([]nodeGroupSpec, n)
	for i, az := range a.AvailabilityZones {
		specs[i] = nodeGroupSpec{
			resourceName: groupName + "-" + az,
			namePrefix:   nodeGroupNamePrefix(a.ClusterName, ng.Name, zoneSuffix(a.Region, az)),
			subnets:      pulumi.StringArray{subnets.Index(pulumi.Int(i))},
			min:          mins[i], desired: desired[i], max: maxes[i],
		}
	}
	return specs
}

// newNodePool creates a pool's launch template and its managed node groups. The groups of a
// PerZone pool share the launch template, so their nodes carry the same
// eks.amazonaws.com/sourceLaunchTemplateId label and the autoscaler sees them as similar.
func newNodePool(ctx *pulumi.Context, name string, a ClusterArgs, ng NodeGroupArgs, clusterName pulumi.StringOutput,
	nodeRole *nodeRole, nodeSG *ec2.SecurityGroup, parent pulumi.ResourceOption, deps pulumi.ResourceOption,
) ([]*awseks.NodeGroup, error) {
	groupName := name + "-" + ng.Name
	lt, err := ec2.NewLaunchTemplate(ctx, groupName, &ec2.LaunchTemplateArgs{
		Description: pulumi.Sprintf("Nodes of group %s in cluster %s", ng.Name, a.ClusterName),
		// IMDSv2 only, and a hop limit of 1 so that pods cannot borrow the node role; every
		// add-on here authenticates through IRSA instead.
		MetadataOptions: ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"), // the AL2023 root volume
			Ebs: ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(ng.DiskSizeGb),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		VpcSecurityGroupIds:  pulumi.StringArray{nodeSG.ID()},
		UpdateDefaultVersion: pulumi.Bool(true),
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{ec2.LaunchTemplateTagSpecificationArgs{
			ResourceType: pulumi.String("instance"),
			Tags:         pulumi.StringMap{"Name": pulumi.String(groupName)},
		}},
	}, parent)
	if err != nil {
		return nil, err
	}

	var taints awseks.NodeGroupTaintArray
	for _, t := range ng.Taints {
		taints = append(taints, awseks.NodeGroupTaintArgs{
			Key: pulumi.String(t.Key), Value: pulumi.String(t.Value), Effect: pulumi.String(taintEffect(t.Effect)),
		})
	}
	var groups []*awseks.NodeGroup
	for _, spec := range poolGroups(name, a, ng) {
		group, err := awseks.NewNodeGroup(ctx, spec.resourceName, &awseks.NodeGroupArgs{
			ClusterName:         clusterName,
			NodeGroupNamePrefix: pulumi.String(spec.namePrefix),
			NodeRoleArn:         nodeRole.role.Arn,
			SubnetIds:           spec.subnets,
			// The kubelet follows the control plane: without a version the provider never
			// upgrades the group, and EKS refuses the next control-plane upgrade while managed
			// nodes lag a minor behind (EKS User Guide, "Update existing cluster to new
			// Kubernetes version"). The AMI comes from the version because the launch template
			// names none.
			Version:       pulumi.String(a.KubernetesVersion),
			InstanceTypes: pulumi.ToStringArray(ng.InstanceTypes),
			AmiType:       pulumi.String(ng.AmiType),
			CapacityType:  pulumi.String("ON_DEMAND"),
			ScalingConfig: awseks.NodeGroupScalingConfigArgs{
				MinSize: pulumi.Int(spec.min), DesiredSize: pulumi.Int(spec.desired), MaxSize: pulumi.Int(spec.max),
			},
			Labels: pulumi.ToStringMap(ng.Labels),
			Taints: taints,
			LaunchTemplate: awseks.NodeGroupLaunchTemplateArgs{
				Id:      lt.ID(),
				Version: lt.LatestVersion.ApplyT(strconv.Itoa).(pulumi.StringOutput),
			},
			UpdateConfig: awseks.NodeGroupUpdateConfigArgs{MaxUnavailablePercentage: pulumi.Int(MaxUnavailablePercent)},
		}, parent, deps, pulumi.DependsOn(nodeRole.attachments),
			// The cluster autoscaler owns the desired size once the group exists.
			pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}))
		if err != nil {
			return nil, err
		}
		if err := tagAutoscalingGroup(ctx, spec.resourceName, ng, group, parent); err != nil {
			return nil, err
		}
		groups = append(groups, group)
	}
	return groups, nil
}

// tagAutoscalingGroup adds the cluster-autoscaler node-template tags to a group's Auto Scaling
// group. EKS tags it for autoscaler discovery, but not with the labels and taints, which the
// autoscaler needs to scale a group up from zero nodes. The zone label comes from the Auto
// Scaling group's own zone (cluster-autoscaler AWS cloud provider, buildGenericLabels).
func tagAutoscalingGroup(ctx *pulumi.Context, groupName string, ng NodeGroupArgs, group *awseks.NodeGroup, parent pulumi.ResourceOption) error {
	asgName := group.Resources.ApplyT(func(rs []awseks.NodeGroupResource) (string, error) {
		if len(rs) == 0 || len(rs[0].AutoscalingGroups) == 0 || rs[0].AutoscalingGroups[0].Name == nil {
			return "", fmt.Errorf("node group %s: EKS reported no Auto Scaling group", groupName)
		}
		return *rs[0].AutoscalingGroups[0].Name, nil
	}).(pulumi.StringOutput)
	for _, tag := range nodeTemplateTags(ng) {
		if _, err := autoscaling.NewTag(ctx, groupName+"-"+tag.id, &autoscaling.TagArgs{
			AutoscalingGroupName: asgName,
			Tag: autoscaling.TagTagArgs{
				Key: pulumi.String(tag.key), Value: pulumi.String(tag.value), PropagateAtLaunch: pulumi.Bool(false),
			},
		}, parent); err != nil {
			return err
		}
	}
	return nil
}

type asgTag struct{ id, key, value string }

// nodeTemplateTags are the cluster-autoscaler node-template tags for a group's labels and taints,
// in a stable order (cluster-autoscaler's AWS cloud provider README, "Scaling a node group to 0").
func nodeTemplateTags(ng NodeGroupArgs) []asgTag {
	var tags []asgTag
	keys := make([]string, 0, len(ng.Labels))
	for k := range ng.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		tags = append(tags, asgTag{"label-" + sanitize(k), "k8s.io/cluster-autoscaler/node-template/label/" + k, ng.Labels[k]})
	}
	for _, t := range ng.Taints {
		tags = append(tags, asgTag{"taint-" + sanitize(t.Key), "k8s.io/cluster-autoscaler/node-template/taint/" + t.Key, t.Value + ":" + t.Effect})
	}
	return tags
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

// newNvidiaDevicePlugin advertises nvidia.com/gpu on a GPU group's nodes. The AL2023 NVIDIA AMI
// ships the driver and container toolkit but not the device plugin. The chart's default
// affinity expects node-feature-discovery labels, so it is replaced by the group's own labels,
// and the group's taints are tolerated.
func newNvidiaDevicePlugin(ctx *pulumi.Context, name, version string, ng NodeGroupArgs, opts ...pulumi.ResourceOption) error {
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
