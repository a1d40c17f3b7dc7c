package karpenter

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// helmValues builds the karpenter chart's values (aws/karpenter-provider-aws v1.14.1,
// charts/karpenter/values.yaml). The chart's defaults already run two replicas on different
// nodes and zones (podAntiAffinity on the host name, a zone topology spread), keep them off
// Karpenter's own nodes (a nodeAffinity on karpenter.sh/nodepool DoesNotExist), tolerate
// CriticalAddonsOnly and add a PodDisruptionBudget of maxUnavailable 1: together they place the
// controller on the system node group and keep one replica through a drain.
func helmValues(a Args, queueName pulumi.StringOutput) pulumi.Map {
	settings := pulumi.Map{
		"clusterName":       pulumi.String(a.ClusterName),
		"interruptionQueue": queueName,
	}
	// Given the endpoint, the controller need not look it up with eks:DescribeCluster at start.
	if a.ClusterEndpoint != nil {
		settings["clusterEndpoint"] = a.ClusterEndpoint
	}
	return pulumi.Map{
		"settings": settings,
		// The controller resolves cluster DNS before CoreDNS may have a node: with the host's
		// resolver it still reaches the AWS APIs (Karpenter docs, "Getting Started", dnsPolicy).
		"dnsPolicy": pulumi.String("Default"),
		"controller": pulumi.Map{
			// Without AWS_REGION the controller asks instance metadata, which a pod cannot reach
			// past the hop limit of 1 (pkg/operator/operator.go at v1.14.1); Pod Identity injects
			// only the credential variables.
			"env": pulumi.Array{pulumi.Map{"name": pulumi.String("AWS_REGION"), "value": pulumi.String(a.Region)}},
			"resources": pulumi.Map{
				"requests": pulumi.Map{"cpu": pulumi.String("500m"), "memory": pulumi.String("1Gi")},
				"limits":   pulumi.Map{"memory": pulumi.String("1Gi")},
			},
		},
	}
}
