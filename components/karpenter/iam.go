package karpenter

import (
	"github.com/novacron/platform/internal/iamdoc"
)

// ControllerPolicy is the Karpenter controller's IAM policy, scoped to this cluster: it launches,
// tags and terminates only instances, launch templates and instance profiles tagged for this
// cluster and a NodePool, passes only the node role, and reads only this cluster's interruption
// queue. It follows the statements of Karpenter's v1 getting-started CloudFormation template
// (aws/karpenter-provider-aws v1.14.1, website/content/en/v1.13/getting-started/
// getting-started-with-karpenter/cloudformation.yaml), written out for one cluster. The template's
// zonal-shift statement is left out: the component does not turn zonal shift on.
func ControllerPolicy(partition, region, accountID, clusterName, nodeRoleArn, queueArn string) iamdoc.Document {
	arn := func(service, resource string) string {
		return "arn:" + partition + ":" + service + ":" + region + ":" + accountID + ":" + resource
	}
	ec2Any := func(kind string) string { return "arn:" + partition + ":ec2:" + region + ":*:" + kind + "/*" }
	clusterTag := "kubernetes.io/cluster/" + clusterName
	launched := []string{ec2Any("fleet"), ec2Any("instance"), ec2Any("volume"), ec2Any("network-interface"),
		ec2Any("launch-template"), ec2Any("spot-instances-request")}
	requestTagged := iamdoc.Conditions{
		"StringEquals": {"aws:RequestTag/" + clusterTag: "owned", "aws:RequestTag/eks:eks-cluster-name": clusterName},
		"StringLike":   {"aws:RequestTag/karpenter.sh/nodepool": "*"},
	}
	resourceTagged := iamdoc.Conditions{
		"StringEquals": {"aws:ResourceTag/" + clusterTag: "owned"},
		"StringLike":   {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
	}
	profileRequest := iamdoc.Conditions{
		"StringEquals": {
			"aws:RequestTag/" + clusterTag:                 "owned",
			"aws:RequestTag/eks:eks-cluster-name":          clusterName,
			"aws:RequestTag/topology.kubernetes.io/region": region,
		},
		"StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
	}
	profileResource := iamdoc.Conditions{
		"StringEquals": {
			"aws:ResourceTag/" + clusterTag:                 "owned",
			"aws:ResourceTag/topology.kubernetes.io/region": region,
		},
		"StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
	}
	instanceProfiles := "arn:" + partition + ":iam::" + accountID + ":instance-profile/*"
	return iamdoc.New(
		iamdoc.Statement{
			Sid: "AllowScopedEC2InstanceAccessActions", Effect: "Allow",
			Action: []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resource: []string{
				"arn:" + partition + ":ec2:" + region + "::image/*",
				"arn:" + partition + ":ec2:" + region + "::snapshot/*",
				ec2Any("security-group"), ec2Any("subnet"), ec2Any("capacity-reservation"), ec2Any("placement-group"),
			},
		},
		iamdoc.Statement{
			Sid: "AllowScopedEC2LaunchTemplateAccessActions", Effect: "Allow",
			Action:    []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resource:  ec2Any("launch-template"),
			Condition: resourceTagged,
		},
		iamdoc.Statement{
			Sid: "AllowScopedEC2InstanceActionsWithTags", Effect: "Allow",
			Action:    []string{"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
			Resource:  launched,
			Condition: requestTagged,
		},
		iamdoc.Statement{
			Sid: "AllowScopedResourceCreationTagging", Effect: "Allow",
			Action:   "ec2:CreateTags",
			Resource: launched,
			Condition: iamdoc.Conditions{
				"StringEquals": {
					"aws:RequestTag/" + clusterTag:        "owned",
					"aws:RequestTag/eks:eks-cluster-name": clusterName,
					"ec2:CreateAction":                    []string{"RunInstances", "CreateFleet", "CreateLaunchTemplate"},
				},
				"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
			},
		},
		iamdoc.Statement{
			// Karpenter tags its instances once they join (the NodeClaim and Name tags) and may
			// change nothing else on them.
			Sid: "AllowScopedResourceTagging", Effect: "Allow",
			Action:   "ec2:CreateTags",
			Resource: ec2Any("instance"),
			Condition: iamdoc.Conditions{
				"StringEquals":              {"aws:ResourceTag/" + clusterTag: "owned"},
				"StringLike":                {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
				"StringEqualsIfExists":      {"aws:RequestTag/eks:eks-cluster-name": clusterName},
				"ForAllValues:StringEquals": {"aws:TagKeys": []string{"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"}},
			},
		},
		iamdoc.Statement{
			Sid: "AllowScopedDeletion", Effect: "Allow",
			Action:    []string{"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
			Resource:  []string{ec2Any("instance"), ec2Any("launch-template")},
			Condition: resourceTagged,
		},
		iamdoc.Statement{
			Sid: "AllowRegionalReadActions", Effect: "Allow",
			Action: []string{
				"ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus",
				"ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
				"ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory",
				"ec2:DescribeSubnets", "ec2:DescribeAvailabilityZones",
			},
			Resource:  "*",
			Condition: iamdoc.Conditions{"StringEquals": {"aws:RequestedRegion": region}},
		},
		iamdoc.Statement{
			// The AL2023 alias resolves through AWS's public SSM parameters.
			Sid: "AllowSSMReadActions", Effect: "Allow",
			Action:   "ssm:GetParameter",
			Resource: "arn:" + partition + ":ssm:" + region + "::parameter/aws/service/*",
		},
		iamdoc.Statement{
			// Prices decide the cheapest instance type; the Price List API has no resource scope.
			Sid: "AllowPricingReadActions", Effect: "Allow",
			Action: "pricing:GetProducts", Resource: "*",
		},
		iamdoc.Statement{
			Sid: "AllowInterruptionQueueActions", Effect: "Allow",
			Action:   []string{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"},
			Resource: queueArn,
		},
		iamdoc.Statement{
			Sid: "AllowPassingInstanceRole", Effect: "Allow",
			Action:    "iam:PassRole",
			Resource:  nodeRoleArn,
			Condition: iamdoc.Conditions{"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
		},
		iamdoc.Statement{
			Sid: "AllowScopedInstanceProfileCreationActions", Effect: "Allow",
			Action: "iam:CreateInstanceProfile", Resource: instanceProfiles, Condition: profileRequest,
		},
		iamdoc.Statement{
			Sid: "AllowScopedInstanceProfileTagActions", Effect: "Allow",
			Action: "iam:TagInstanceProfile", Resource: instanceProfiles,
			Condition: iamdoc.Conditions{
				"StringEquals": {
					"aws:ResourceTag/" + clusterTag:                 "owned",
					"aws:ResourceTag/topology.kubernetes.io/region": region,
					"aws:RequestTag/" + clusterTag:                  "owned",
					"aws:RequestTag/eks:eks-cluster-name":           clusterName,
					"aws:RequestTag/topology.kubernetes.io/region":  region,
				},
				"StringLike": {
					"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
					"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass":  "*",
				},
			},
		},
		iamdoc.Statement{
			Sid: "AllowScopedInstanceProfileActions", Effect: "Allow",
			Action:    []string{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
			Resource:  instanceProfiles,
			Condition: profileResource,
		},
		iamdoc.Statement{
			Sid: "AllowInstanceProfileReadActions", Effect: "Allow",
			Action: "iam:GetInstanceProfile", Resource: instanceProfiles,
		},
		iamdoc.Statement{
			// Listing has no resource scope; Karpenter lists to find profiles it left behind.
			Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow",
			Action: "iam:ListInstanceProfiles", Resource: "*",
		},
		iamdoc.Statement{
			Sid: "AllowAPIServerEndpointDiscovery", Effect: "Allow",
			Action: "eks:DescribeCluster", Resource: arn("eks", "cluster/"+clusterName),
		},
	)
}

// InterruptionQueuePolicy lets EventBridge and SQS itself deliver to the queue, over TLS only.
func InterruptionQueuePolicy(queueArn string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.Statement{
			Sid: "AllowEventBridgeAndSqs", Effect: "Allow",
			Principal: iamdoc.Service("events.amazonaws.com", "sqs.amazonaws.com"),
			Action:    "sqs:SendMessage",
			Resource:  queueArn,
		},
		iamdoc.Statement{
			Sid: "DenyHTTP", Effect: "Deny", Principal: "*",
			Action: "sqs:*", Resource: queueArn,
			Condition: iamdoc.Conditions{"Bool": {"aws:SecureTransport": "false"}},
		},
	)
}

// InterruptionEvents are the EventBridge patterns whose events Karpenter acts on before AWS takes
// a node away: Spot interruption warnings (two minutes), rebalance recommendations, scheduled
// maintenance from AWS Health, and instances stopping or terminating (Karpenter docs,
// "Interruption"; the template's rules).
var InterruptionEvents = []struct{ Name, Pattern string }{
	{"scheduled-change", `{"source":["aws.health"],"detail-type":["AWS Health Event"]}`},
	{"spot-interruption", `{"source":["aws.ec2"],"detail-type":["EC2 Spot Instance Interruption Warning"]}`},
	{"rebalance", `{"source":["aws.ec2"],"detail-type":["EC2 Instance Rebalance Recommendation"]}`},
	{"instance-state-change", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}`},
	{"capacity-reservation-interruption", `{"source":["aws.ec2"],"detail-type":["EC2 Capacity Reservation Instance Interruption Warning"]}`},
}

// nodeRolePolicies are the AWS managed policies of the node role. The CNI policy is absent on
// purpose: vpc-cni has its own role. SSM replaces SSH.
var nodeRolePolicies = []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"}
