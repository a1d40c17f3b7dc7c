package cluster

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/irsa"
)

const (
	autoscalerRepository     = "https://kubernetes.github.io/autoscaler"
	autoscalerServiceAccount = "cluster-autoscaler"
)

// autoscalerPolicy is the cluster-autoscaler's IAM policy: read the groups, and change the size
// only of the Auto Scaling groups EKS tagged as owned by this cluster (the least-privilege
// policy of the cluster-autoscaler AWS cloud provider README; eks:DescribeNodegroup lets it read
// a managed group's labels and taints when scaling from zero).
func autoscalerPolicy(clusterName string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":    "ReadGroups",
				"Effect": "Allow",
				"Action": []string{
					"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
					"autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
					"autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
					"ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
					"eks:DescribeNodegroup",
				},
				"Resource": "*",
			},
			map[string]any{
				"Sid":      "ResizeOwnGroups",
				"Effect":   "Allow",
				"Action":   []string{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"},
				"Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]string{
					"aws:ResourceTag/k8s.io/cluster-autoscaler/" + clusterName: "owned",
				}},
			},
		},
	})
	return string(b), err
}

// newClusterAutoscaler installs the cluster-autoscaler with auto-discovery of this cluster's
// node groups, so that pending pods grow a group and idle nodes shrink it, within each group's
// minSize and maxSize. It is what owns desiredSize, which the program therefore ignores.
func newClusterAutoscaler(ctx *pulumi.Context, c *Cluster, name string, a ClusterArgs,
	parent, provider pulumi.ResourceOption,
) error {
	role, err := iam.NewRole(ctx, name+"-cluster-autoscaler", &iam.RoleArgs{
		AssumeRolePolicy: irsa.AssumeRolePolicy(c.IRSA(), "kube-system", autoscalerServiceAccount),
	}, parent)
	if err != nil {
		return err
	}
	policy, err := autoscalerPolicy(a.ClusterName)
	if err != nil {
		return err
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-cluster-autoscaler", &iam.RolePolicyArgs{
		Role: role.Name, Policy: pulumi.String(policy),
	}, parent)
	if err != nil {
		return err
	}
	values := pulumi.Map{
		"cloudProvider": pulumi.String("aws"),
		"awsRegion":     pulumi.String(a.Region),
		"autoDiscovery": pulumi.Map{"clusterName": pulumi.String(a.ClusterName)},
		"rbac": pulumi.Map{"serviceAccount": pulumi.Map{
			"create":      pulumi.Bool(true),
			"name":        pulumi.String(autoscalerServiceAccount),
			"annotations": pulumi.Map{"eks.amazonaws.com/role-arn": role.Arn},
		}},
		// The chart renders each key as --key=value; a "_N" suffix repeats a flag (chart 9.59.0,
		// values.yaml extraArgs and templates/deployment.yaml).
		"extraArgs": pulumi.Map{
			// A PerZone pool is one group per zone: keep their sizes even on scale-up, while a pod
			// bound to a zonal volume still grows its own zone's group (cluster-autoscaler FAQ,
			// "nodes in multiple zones"; AWS cloud provider README on EBS volumes and zones).
			"balance-similar-node-groups": pulumi.Bool(true),
			// Groups are similar when their labels match, ignoring zone and EKS's own node group
			// label (processors/nodegroupset/aws_nodegroups.go). The zone groups share one launch
			// template, but a rolling update moves them one at a time, and meanwhile their nodes
			// differ in these EKS labels (EKS User Guide, "Understand each phase of node updates").
			"balancing-ignore-label_1": pulumi.String("eks.amazonaws.com/nodegroup-image"),
			"balancing-ignore-label_2": pulumi.String("eks.amazonaws.com/sourceLaunchTemplateVersion"),
			"expander":                 pulumi.String("least-waste"),
		},
		"replicaCount": pulumi.Int(2),
	}
	if a.ClusterAutoscalerImageTag != "" {
		values["image"] = pulumi.Map{"tag": pulumi.String(a.ClusterAutoscalerImageTag)}
	}
	_, err = helmv3.NewRelease(ctx, name+"-cluster-autoscaler", &helmv3.ReleaseArgs{
		Name:           pulumi.String("cluster-autoscaler"),
		Chart:          pulumi.String("cluster-autoscaler"),
		Version:        pulumi.String(a.ClusterAutoscalerVersion),
		Namespace:      pulumi.String("kube-system"),
		RepositoryOpts: helmv3.RepositoryOptsArgs{Repo: pulumi.String(autoscalerRepository)},
		Values:         values,
	}, parent, provider, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	return err
}
