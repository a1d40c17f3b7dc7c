package karpenter

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/podidentity"
)

// Names fixed by the charts and the component.
const (
	// Chart locations: the charts are published as OCI artifacts only (Karpenter docs,
	// "Getting Started": helm upgrade --install karpenter oci://public.ecr.aws/karpenter/karpenter).
	chartRef    = "oci://public.ecr.aws/karpenter/karpenter"
	crdChartRef = "oci://public.ecr.aws/karpenter/karpenter-crd"
	// Namespace and ServiceAccount: the chart names its ServiceAccount after the release.
	Namespace      = "kube-system"
	ServiceAccount = "karpenter"
	releaseName    = "karpenter"
)

// Karpenter provisions the cluster's nodes: its controller, its CRDs, the pools, their node role
// and the interruption queue.
type Karpenter struct {
	pulumi.ResourceState

	NodeRoleArn       pulumi.StringOutput `pulumi:"nodeRoleArn"`
	InterruptionQueue pulumi.StringOutput `pulumi:"interruptionQueue"`
	ControllerRoleArn pulumi.StringOutput `pulumi:"controllerRoleArn"`
	NodePoolNames     []string
	// Ready holds the NodePools and their floors: once they exist, pending pods get nodes.
	Ready []pulumi.Resource
}

// Inputs are what the cluster hands over besides Args.
type Inputs struct {
	// ClusterName resolves once the control plane is active.
	ClusterName pulumi.StringOutput
	// Provider talks to the cluster; the controller runs on the system node group.
	Provider *kubernetes.Provider
	// WaitFor holds what the controller needs before it starts: the system nodes and the Pod
	// Identity agent.
	WaitFor []pulumi.Resource
}

// New installs Karpenter and its pools.
func New(ctx *pulumi.Context, name string, args *Args, in Inputs, opts ...pulumi.ResourceOption) (*Karpenter, error) {
	if args == nil {
		args = &Args{}
	}
	if err := args.Validate().Err("karpenter", name); err != nil {
		return nil, err
	}
	if in.Provider == nil {
		return nil, fmt.Errorf("karpenter %q: a Kubernetes provider is required", name)
	}
	a := args.withDefaults()
	k := &Karpenter{}
	if err := ctx.RegisterComponentResource("novacron:karpenter:Karpenter", name, k, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(k)

	nodeRole, nodeReady, err := newNodeRole(ctx, name, a, in.ClusterName, parent)
	if err != nil {
		return nil, err
	}
	queue, err := newInterruptionQueue(ctx, name, a, parent)
	if err != nil {
		return nil, err
	}

	caller := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent)
	partition := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, parent)
	policy := pulumi.All(partition.Partition(), caller.AccountId(), nodeRole.Arn, queue.Arn).ApplyT(func(v []any) (string, error) {
		return ControllerPolicy(v[0].(string), a.Region, v[1].(string), a.ClusterName, v[2].(string), v[3].(string)).Render()
	}).(pulumi.StringOutput)
	controller, err := podidentity.NewRole(ctx, name+"-controller", podidentity.Binding{
		ClusterName: in.ClusterName, ClusterNameValue: a.ClusterName, Namespace: Namespace, ServiceAccount: ServiceAccount,
	}, policy, nil, parent)
	if err != nil {
		return nil, err
	}

	k8s := pulumi.Provider(in.Provider)
	// The CRDs come from their own chart, so that a version change upgrades them: Helm installs
	// a chart's crds/ directory once and never upgrades it (Karpenter upgrade guide).
	crds, err := helmv3.NewRelease(ctx, name+"-crd", &helmv3.ReleaseArgs{
		Name:      pulumi.String("karpenter-crd"),
		Chart:     pulumi.String(crdChartRef),
		Version:   pulumi.String(a.ChartVersion),
		Namespace: pulumi.String(Namespace),
	}, parent, k8s, pulumi.DependsOn(in.WaitFor))
	if err != nil {
		return nil, err
	}
	waitFor := append(append([]pulumi.Resource{crds}, in.WaitFor...), controller.Ready...)
	release, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:      pulumi.String(releaseName),
		Chart:     pulumi.String(chartRef),
		Version:   pulumi.String(a.ChartVersion),
		Namespace: pulumi.String(Namespace),
		SkipCrds:  pulumi.Bool(true),
		Values:    helmValues(a, queue.Name),
	}, parent, k8s, pulumi.DependsOn(waitFor))
	if err != nil {
		return nil, err
	}

	// The pools wait for the controller and for the node role's access entry: a node that
	// cannot join would be launched and then reclaimed, again and again.
	docs, err := Manifests(a, nodeRoleName(a.ClusterName))
	if err != nil {
		return nil, fmt.Errorf("karpenter %q: %w", name, err)
	}
	after := append([]pulumi.Resource{release}, nodeReady...)
	var priorityClass pulumi.Resource
	for _, doc := range docs {
		meta := doc["metadata"].(map[string]any)
		fields := kubernetes.UntypedArgs{}
		for key, value := range doc {
			if key != "apiVersion" && key != "kind" && key != "metadata" {
				fields[key] = value
			}
		}
		objectMeta := metav1.ObjectMetaArgs{Name: pulumi.String(meta["name"].(string))}
		if ns, ok := meta["namespace"].(string); ok {
			objectMeta.Namespace = pulumi.String(ns)
		}
		if labels, ok := meta["labels"].(map[string]any); ok {
			objectMeta.Labels = pulumi.ToStringMap(toStrings(labels))
		}
		deps := after
		if doc["kind"] == "Deployment" && priorityClass != nil {
			// Admission refuses the floor's pods until their PriorityClass exists.
			deps = append(append([]pulumi.Resource{}, after...), priorityClass)
		}
		object, err := apiextensions.NewCustomResource(ctx, name+"-"+resourceSuffix(doc), &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String(doc["apiVersion"].(string)),
			Kind:        pulumi.String(doc["kind"].(string)),
			Metadata:    objectMeta,
			OtherFields: fields,
		}, parent, k8s, pulumi.DependsOn(deps))
		if err != nil {
			return nil, err
		}
		if doc["kind"] == "PriorityClass" {
			priorityClass = object
		}
		k.Ready = append(k.Ready, object)
	}

	for _, np := range a.NodePools {
		k.NodePoolNames = append(k.NodePoolNames, np.Name)
	}
	k.NodeRoleArn = nodeRole.Arn
	k.InterruptionQueue = queue.Name
	k.ControllerRoleArn = controller.Role.Arn
	if err := ctx.RegisterResourceOutputs(k, pulumi.Map{
		"nodeRoleArn":       k.NodeRoleArn,
		"interruptionQueue": k.InterruptionQueue,
		"controllerRoleArn": k.ControllerRoleArn,
	}); err != nil {
		return nil, err
	}
	return k, nil
}

// resourceSuffix names an object's Pulumi resource after its kind and name:
// "nodepool-general", "ec2nodeclass-ml", "deployment-capacity-floor-general".
func resourceSuffix(doc map[string]any) string {
	return strings.ToLower(doc["kind"].(string)) + "-" + doc["metadata"].(map[string]any)["name"].(string)
}

// queueName is the interruption queue's name.
func queueName(clusterName string) string { return clusterName + "-karpenter" }

// nodeRoleName is the node role's physical name: the EC2NodeClasses name it, so it is fixed.
func nodeRoleName(clusterName string) string { return clusterName + "-karpenter-node" }

// newNodeRole creates the role of the nodes Karpenter launches and its EC2_LINUX access entry,
// which lets their kubelets join the cluster.
func newNodeRole(ctx *pulumi.Context, name string, a Args, clusterName pulumi.StringOutput, parent pulumi.ResourceOption,
) (*iam.Role, []pulumi.Resource, error) {
	role, err := iam.NewRole(ctx, name+"-node", &iam.RoleArgs{
		Name: pulumi.String(nodeRoleName(a.ClusterName)),
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	var ready []pulumi.Resource
	for _, policy := range nodeRolePolicies {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-node-"+strings.ToLower(policy), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.Sprintf("arn:aws:iam::aws:policy/%s", policy),
		}, parent)
		if err != nil {
			return nil, nil, err
		}
		ready = append(ready, att)
	}
	entry, err := awseks.NewAccessEntry(ctx, name+"-node", &awseks.AccessEntryArgs{
		ClusterName:  clusterName,
		PrincipalArn: role.Arn,
		Type:         pulumi.String("EC2_LINUX"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return role, append(ready, entry), nil
}

// newInterruptionQueue creates the SQS queue Karpenter reads interruption events from and the
// EventBridge rules that feed it. Events older than five minutes are useless (a Spot warning
// gives two), so the queue keeps them no longer.
func newInterruptionQueue(ctx *pulumi.Context, name string, a Args, parent pulumi.ResourceOption) (*sqs.Queue, error) {
	queue, err := sqs.NewQueue(ctx, name+"-interruption", &sqs.QueueArgs{
		Name:                    pulumi.String(queueName(a.ClusterName)),
		MessageRetentionSeconds: pulumi.Int(300),
		SqsManagedSseEnabled:    pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy := queue.Arn.ApplyT(func(arn string) (string, error) {
		return InterruptionQueuePolicy(arn).Render()
	}).(pulumi.StringOutput)
	if _, err := sqs.NewQueuePolicy(ctx, name+"-interruption", &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url, Policy: policy,
	}, parent); err != nil {
		return nil, err
	}
	for _, event := range InterruptionEvents {
		rule, err := cloudwatch.NewEventRule(ctx, name+"-"+event.Name, &cloudwatch.EventRuleArgs{
			Description:  pulumi.Sprintf("Karpenter interruption handling for %s: %s", a.ClusterName, event.Name),
			EventPattern: pulumi.String(event.Pattern),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name+"-"+event.Name, &cloudwatch.EventTargetArgs{
			Rule: rule.Name, Arn: queue.Arn,
		}, parent); err != nil {
			return nil, err
		}
	}
	return queue, nil
}

func toStrings(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}
