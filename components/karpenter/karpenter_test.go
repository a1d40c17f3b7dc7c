package karpenter

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/chartpaths"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

// Type tokens of what the component registers.
const (
	componentType    = "novacron:karpenter:Karpenter"
	roleType         = "aws:iam/role:Role"
	rolePolicyType   = "aws:iam/rolePolicy:RolePolicy"
	attachmentType   = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	accessEntryType  = "aws:eks/accessEntry:AccessEntry"
	associationType  = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
	queueType        = "aws:sqs/queue:Queue"
	queuePolicyType  = "aws:sqs/queuePolicy:QueuePolicy"
	ruleType         = "aws:cloudwatch/eventRule:EventRule"
	targetType       = "aws:cloudwatch/eventTarget:EventTarget"
	releaseType      = "kubernetes:helm.sh/v3:Release"
	nodePoolType     = "kubernetes:karpenter.sh/v1:NodePool"
	nodeClassType    = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
	priorityType     = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
	deploymentType   = "kubernetes:apps/v1:Deployment"
	testClusterName  = "novacron-test"
	testNodeRoleName = testClusterName + "-karpenter-node"
)

// componentArgs is a cluster's shape: a general pool with a floor of three nodes and a tainted
// GPU pool without one.
func componentArgs() *Args {
	return &Args{
		ClusterName:       testClusterName,
		Region:            "us-east-1",
		KubernetesVersion: "1.35",
		AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		ClusterEndpoint:   pulumi.String("https://NOVACRON-TEST.gr7.us-east-1.eks.amazonaws.com"),
		NodeAmiRelease:    "1.35.6-20260714",
		NodePools: []NodePoolArgs{
			{Name: "general", InstanceTypes: []string{"m5.xlarge"}, MinNodes: 3, MaxNodes: 10,
				Labels: map[string]string{"workload": "general"}},
			{Name: "ml", InstanceTypes: []string{"g5.2xlarge"}, MaxNodes: 5, Gpu: true, Consolidation: WhenEmpty,
				Labels: map[string]string{"workload": "ml"}, Taints: []Taint{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}}},
		},
	}
}

// runComponent builds the component under the recording mock, with a Kubernetes provider made
// from a kubeconfig as the cluster makes it, and something to wait for as the cluster hands over
// its system node group.
func runComponent(t *testing.T, args *Args) (*mock.Engine, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		_, err = New(ctx, "karpenter", args, Inputs{
			ClusterName: pulumi.String(testClusterName).ToStringOutput(),
			Provider:    k8s,
			WaitFor:     []pulumi.Resource{k8s},
		})
		return err
	})
	return eng, err
}

func mustRun(t *testing.T) *mock.Engine {
	t.Helper()
	eng, err := runComponent(t, componentArgs())
	require.NoError(t, err)
	return eng
}

func TestComponentResourceCounts(t *testing.T) {
	eng := mustRun(t)
	counts := map[string]int{}
	for _, r := range eng.Resources() {
		counts[r.Type]++
	}
	assert.Equal(t, map[string]int{
		"pulumi:providers:kubernetes": 1, // the test's own
		componentType:                 1,
		roleType:                      2, // node role, controller role
		attachmentType:                3, // the node role's managed policies
		rolePolicyType:                1, // the controller's inline policy
		accessEntryType:               1,
		associationType:               1,
		queueType:                     1,
		queuePolicyType:               1,
		ruleType:                      5,
		targetType:                    5,
		releaseType:                   2,
		priorityType:                  1,
		nodeClassType:                 2,
		nodePoolType:                  2,
		deploymentType:                1, // the general pool's floor; the GPU pool has none
	}, counts)
	comp := mocktest.Find(t, eng, componentType, "karpenter")
	for _, r := range eng.Resources() {
		if r.Type != componentType && r.Type != "pulumi:providers:kubernetes" {
			assert.Equal(t, comp.URN, r.Parent, "%s %s is the component's child", r.Type, r.Name)
		}
	}
}

func TestNodeRole(t *testing.T) {
	eng := mustRun(t)
	role := mocktest.Find(t, eng, roleType, "karpenter-node")
	// The EC2NodeClasses name the role, so its physical name is fixed.
	assert.Equal(t, testNodeRoleName, mocktest.Str(t, role, "name"))
	var trust struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, role, "assumeRolePolicy")), &trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, map[string]any{"Service": "ec2.amazonaws.com"}, trust.Statement[0].Principal)
	assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)

	policies := map[string]string{}
	for _, att := range eng.ByType(attachmentType) {
		assert.Contains(t, att.PropertyDependencies["role"], role.URN, att.Name)
		policies[att.Name] = mocktest.Str(t, att, "policyArn")
	}
	// No CNI policy: vpc-cni has its own role through Pod Identity.
	assert.Equal(t, map[string]string{
		"karpenter-node-amazoneksworkernodepolicy":          "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		"karpenter-node-amazonec2containerregistrypullonly": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
		"karpenter-node-amazonssmmanagedinstancecore":       "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	}, policies)

	// EC2_LINUX: the access entry type of self-managed Linux nodes (EKS User Guide, "Grant IAM
	// users access to Kubernetes with EKS access entries"); it takes no username or groups.
	entry := mocktest.Find(t, eng, accessEntryType, "karpenter-node")
	assert.Equal(t, "EC2_LINUX", mocktest.Str(t, entry, "type"))
	assert.Equal(t, testClusterName, mocktest.Str(t, entry, "clusterName"))
	assert.Contains(t, entry.PropertyDependencies["principalArn"], role.URN)
	_, hasGroups := entry.Input("kubernetesGroups")
	assert.False(t, hasGroups, "EC2_LINUX entries get their groups from EKS")

	// The EC2NodeClasses launch nodes with this very role.
	for _, nc := range eng.ByType(nodeClassType) {
		assert.Equal(t, testNodeRoleName, mocktest.Str(t, nc, "spec.role"), nc.Name)
	}
}

// policyStatement is an IAM statement decoded with encoding/json, Action and Resource as lists.
type policyStatement struct {
	Sid       string
	Effect    string
	Principal any
	Action    stringList
	Resource  stringList
	Condition map[string]map[string]any
}

// stringList reads an IAM element that is a string or a list of strings.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func parsePolicy(t *testing.T, raw string) []policyStatement {
	t.Helper()
	var doc struct {
		Version   string
		Statement []policyStatement
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &doc), raw)
	require.Equal(t, "2012-10-17", doc.Version)
	require.NotEmpty(t, doc.Statement)
	return doc.Statement
}

func TestInterruptionQueue(t *testing.T) {
	eng := mustRun(t)
	queue := mocktest.Find(t, eng, queueType, "karpenter-interruption")
	assert.Equal(t, testClusterName+"-karpenter", mocktest.Str(t, queue, "name"))
	assert.True(t, mocktest.Bool(t, queue, "sqsManagedSseEnabled"), "messages are encrypted at rest")
	// Karpenter's getting-started CloudFormation template (v1.14.1): MessageRetentionPeriod 300.
	assert.Equal(t, 300.0, mocktest.Num(t, queue, "messageRetentionSeconds"))
	queueArn := "arn:aws:sqs:us-east-1:123456789012:karpenter-interruption" // the mock's ARN of the queue

	policy := mocktest.Find(t, eng, queuePolicyType, "karpenter-interruption")
	assert.Contains(t, policy.PropertyDependencies["queueUrl"], queue.URN)
	statements := parsePolicy(t, mocktest.Str(t, policy, "policy"))
	require.Len(t, statements, 2)
	allow, deny := statements[0], statements[1]
	assert.Equal(t, "Allow", allow.Effect)
	assert.Equal(t, map[string]any{"Service": []any{"events.amazonaws.com", "sqs.amazonaws.com"}}, allow.Principal)
	assert.Equal(t, stringList{"sqs:SendMessage"}, allow.Action)
	assert.Equal(t, stringList{queueArn}, allow.Resource)
	assert.Empty(t, allow.Condition)
	assert.Equal(t, "Deny", deny.Effect)
	assert.Equal(t, "*", deny.Principal)
	assert.Equal(t, stringList{"sqs:*"}, deny.Action)
	assert.Equal(t, stringList{queueArn}, deny.Resource)
	assert.Equal(t, map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}}, deny.Condition, "plain HTTP is refused")

	// The five rules of the template, each feeding the queue.
	patterns := map[string]map[string][]string{}
	for _, rule := range eng.ByType(ruleType) {
		var p map[string][]string
		require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, rule, "eventPattern")), &p), rule.Name)
		patterns[rule.Name] = p
		target := mocktest.Find(t, eng, targetType, rule.Name)
		assert.Equal(t, rule.Name, mocktest.Str(t, target, "rule"))
		assert.Contains(t, target.PropertyDependencies["rule"], rule.URN)
		assert.Equal(t, queueArn, mocktest.Str(t, target, "arn"))
		assert.Contains(t, target.PropertyDependencies["arn"], queue.URN)
	}
	ec2 := func(detailType string) map[string][]string {
		return map[string][]string{"source": {"aws.ec2"}, "detail-type": {detailType}}
	}
	assert.Equal(t, map[string]map[string][]string{
		"karpenter-scheduled-change":                  {"source": {"aws.health"}, "detail-type": {"AWS Health Event"}},
		"karpenter-spot-interruption":                 ec2("EC2 Spot Instance Interruption Warning"),
		"karpenter-rebalance":                         ec2("EC2 Instance Rebalance Recommendation"),
		"karpenter-instance-state-change":             ec2("EC2 Instance State-change Notification"),
		"karpenter-capacity-reservation-interruption": ec2("EC2 Capacity Reservation Instance Interruption Warning"),
	}, patterns)
}

func TestControllerRole(t *testing.T) {
	eng := mustRun(t)
	role := mocktest.Find(t, eng, roleType, "karpenter-controller")
	trust := parsePolicy(t, mocktest.Str(t, role, "assumeRolePolicy"))
	require.Len(t, trust, 1)
	assert.Equal(t, map[string]any{"Service": "pods.eks.amazonaws.com"}, trust[0].Principal)
	assert.ElementsMatch(t, stringList{"sts:AssumeRole", "sts:TagSession"}, trust[0].Action)
	// The session tags EKS Pod Identity sets (EKS User Guide, "List of session tags added by EKS
	// Pod Identity") pin the role to this cluster's kube-system/karpenter.
	assert.Equal(t, map[string]map[string]any{"StringEquals": {
		"aws:RequestTag/eks-cluster-name":           testClusterName,
		"aws:RequestTag/kubernetes-namespace":       "kube-system",
		"aws:RequestTag/kubernetes-service-account": "karpenter",
	}}, trust[0].Condition)

	assoc := mocktest.Find(t, eng, associationType, "karpenter-controller")
	assert.Equal(t, "kube-system", mocktest.Str(t, assoc, "namespace"))
	assert.Equal(t, "karpenter", mocktest.Str(t, assoc, "serviceAccount"))
	assert.Equal(t, testClusterName, mocktest.Str(t, assoc, "clusterName"))
	assert.Contains(t, assoc.PropertyDependencies["roleArn"], role.URN)

	// The inline policy is ControllerPolicy with the real node role and queue ARNs.
	inline := mocktest.Find(t, eng, rolePolicyType, "karpenter-controller")
	assert.Contains(t, inline.PropertyDependencies["role"], role.URN)
	statements := parsePolicy(t, mocktest.Str(t, inline, "policy"))
	entry := mocktest.Find(t, eng, accessEntryType, "karpenter-node")
	target := mocktest.Find(t, eng, targetType, "karpenter-spot-interruption")
	bySid := map[string]policyStatement{}
	for _, st := range statements {
		bySid[st.Sid] = st
	}
	assert.Equal(t, stringList{mocktest.Str(t, entry, "principalArn")}, bySid["AllowPassingInstanceRole"].Resource,
		"PassRole names the node role the access entry admits")
	assert.Equal(t, stringList{mocktest.Str(t, target, "arn")}, bySid["AllowInterruptionQueueActions"].Resource,
		"the controller reads the queue the rules feed")
	assert.Equal(t, stringList{"arn:aws:eks:us-east-1:123456789012:cluster/" + testClusterName},
		bySid["AllowAPIServerEndpointDiscovery"].Resource)
}

func TestReleases(t *testing.T) {
	eng := mustRun(t)
	crds := mocktest.Find(t, eng, releaseType, "karpenter-crd")
	controller := mocktest.Find(t, eng, releaseType, "karpenter")
	for _, r := range []*mock.Resource{crds, controller} {
		assert.Equal(t, DefaultChartVersion, mocktest.Str(t, r, "version"), r.Name)
		assert.Equal(t, "kube-system", mocktest.Str(t, r, "namespace"), r.Name)
		assert.Equal(t, mocktest.Find(t, eng, "pulumi:providers:kubernetes", "k8s").URN, r.ProviderURN(), r.Name)
	}
	assert.Equal(t, "karpenter-crd", mocktest.Str(t, crds, "name"))
	assert.Equal(t, "oci://public.ecr.aws/karpenter/karpenter-crd", mocktest.Str(t, crds, "chart"))
	assert.Equal(t, "karpenter", mocktest.Str(t, controller, "name"), "the chart names its ServiceAccount after the release")
	assert.Equal(t, "oci://public.ecr.aws/karpenter/karpenter", mocktest.Str(t, controller, "chart"))
	assert.True(t, mocktest.Bool(t, controller, "skipCrds"), "the CRDs come from karpenter-crd, which Helm upgrades")
	_, crdSkips := crds.Input("skipCrds")
	assert.False(t, crdSkips)

	// Order: the CRD chart, then the controller once its credentials exist, then the objects.
	assert.Contains(t, controller.Dependencies, crds.URN, "the controller starts after its CRDs")
	assert.NotContains(t, crds.Dependencies, controller.URN)
	assert.Contains(t, controller.Dependencies, mocktest.Find(t, eng, associationType, "karpenter-controller").URN,
		"the controller waits for its Pod Identity association")
	assert.Contains(t, controller.Dependencies, mocktest.Find(t, eng, rolePolicyType, "karpenter-controller").URN, "and for its policy")
	k8s := mocktest.Find(t, eng, "pulumi:providers:kubernetes", "k8s")
	assert.Contains(t, crds.Dependencies, k8s.URN, "the CRDs wait for what the cluster hands over (WaitFor)")

	entry := mocktest.Find(t, eng, accessEntryType, "karpenter-node")
	objects := slices.Concat(eng.ByType(nodePoolType), eng.ByType(nodeClassType), eng.ByType(deploymentType), eng.ByType(priorityType))
	require.Len(t, objects, 6)
	for _, obj := range objects {
		assert.Contains(t, obj.Dependencies, controller.URN, "%s waits for the controller and its webhooks", obj.Name)
		assert.Contains(t, obj.Dependencies, entry.URN, "%s waits until its nodes can join", obj.Name)
		for _, att := range eng.ByType(attachmentType) {
			assert.Contains(t, obj.Dependencies, att.URN, obj.Name)
		}
		assert.Equal(t, k8s.URN, obj.ProviderURN(), obj.Name)
	}
	for _, name := range []string{"general", "ml"} {
		pool := mocktest.Find(t, eng, nodePoolType, "karpenter-nodepool-"+name)
		assert.Equal(t, name, mocktest.Str(t, pool, "metadata.name"))
		assert.Equal(t, name, mocktest.Str(t, pool, "spec.template.spec.nodeClassRef.name"), "each pool has its own EC2NodeClass")
		mocktest.Find(t, eng, nodeClassType, "karpenter-ec2nodeclass-"+name)
	}
	floor := mocktest.Find(t, eng, deploymentType, "karpenter-deployment-capacity-floor-general")
	assert.Contains(t, floor.Dependencies, mocktest.Find(t, eng, priorityType, "karpenter-priorityclass-capacity-floor").URN,
		"admission refuses the floor's pods until their PriorityClass exists")
	assert.Equal(t, "kube-system", mocktest.Str(t, floor, "metadata.namespace"))
	assert.Equal(t, 3.0, mocktest.Num(t, floor, "spec.replicas"))
}

const (
	policyNodeRoleArn = "arn:aws:iam::123456789012:role/" + testNodeRoleName
	policyQueueArn    = "arn:aws:sqs:us-east-1:123456789012:" + testClusterName + "-karpenter"
	clusterTag        = "kubernetes.io/cluster/" + testClusterName
)

func testControllerPolicy() []policyStatement {
	raw, err := ControllerPolicy("aws", "us-east-1", "123456789012", testClusterName, policyNodeRoleArn, policyQueueArn).Render()
	if err != nil {
		panic(err)
	}
	var doc struct{ Statement []policyStatement }
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		panic(err)
	}
	return doc.Statement
}

// usedByLaunch are the resources RunInstances and CreateFleet merely use (an image, a subnet, a
// security group...): they carry no tag of Karpenter's, and the template's statement for them
// has no condition.
var usedByLaunch = []string{"image", "snapshot", "security-group", "subnet", "capacity-reservation", "placement-group"}

// mutating reports whether an action creates, runs, tags, deletes or rewires an EC2 or IAM
// resource: what Karpenter tags as its own. (Deleting an SQS message is scoped by the queue
// ARN instead.)
func mutating(action string) bool {
	service, verb, _ := strings.Cut(action, ":")
	if service != "ec2" && service != "iam" {
		return false
	}
	for _, prefix := range []string{"Create", "Run", "Terminate", "Delete", "Tag", "AddRole", "RemoveRole", "Put", "Update", "Modify"} {
		if strings.HasPrefix(verb, prefix) {
			return true
		}
	}
	return false
}

// scopeViolations lists every way statements grant more than this cluster's Karpenter needs:
// a mutating statement not conditioned on the cluster's owned tag (as a request tag for what is
// created, a resource tag for what is changed), a wildcard action, a write on every resource,
// PassRole beyond the node role, SQS beyond the queue, EKS beyond the cluster.
func scopeViolations(statements []policyStatement, nodeRoleArn, queueArn string) []string {
	var out []string
	bad := func(sid, format string, args ...any) { out = append(out, sid+": "+fmt.Sprintf(format, args...)) }
	ownedTag := func(c map[string]map[string]any) bool {
		eq := c["StringEquals"]
		return eq["aws:RequestTag/"+clusterTag] == "owned" || eq["aws:ResourceTag/"+clusterTag] == "owned"
	}
	has := func(st policyStatement, prefix string) bool {
		return slices.ContainsFunc([]string(st.Action), func(a string) bool { return strings.HasPrefix(a, prefix) })
	}
	for _, st := range statements {
		if st.Effect != "Allow" {
			bad(st.Sid, "effect %s", st.Effect)
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				bad(st.Sid, "wildcard action %s", a)
			}
		}
		if slices.ContainsFunc([]string(st.Action), mutating) {
			onlyLaunchInputs := !slices.ContainsFunc([]string(st.Resource), func(r string) bool {
				return !slices.ContainsFunc(usedByLaunch, func(kind string) bool { return strings.Contains(r, ":"+kind+"/*") })
			})
			launchOnly := !slices.ContainsFunc([]string(st.Action), func(a string) bool {
				return a != "ec2:RunInstances" && a != "ec2:CreateFleet"
			})
			if !(onlyLaunchInputs && launchOnly) && !ownedTag(st.Condition) {
				bad(st.Sid, "creates, tags or deletes without requiring %s=owned", clusterTag)
			}
		}
		for _, r := range st.Resource {
			if r == "*" {
				for _, a := range st.Action {
					_, verb, _ := strings.Cut(a, ":")
					if !strings.HasPrefix(verb, "Describe") && !strings.HasPrefix(verb, "Get") && !strings.HasPrefix(verb, "List") {
						bad(st.Sid, "%s on every resource", a)
					}
				}
			}
			if strings.HasPrefix(r, "arn:aws:ec2:") && !strings.HasPrefix(r, "arn:aws:ec2:us-east-1:") {
				bad(st.Sid, "EC2 resource outside the cluster's region: %s", r)
			}
		}
		if slices.Contains([]string(st.Action), "iam:PassRole") && !slices.Equal(st.Resource, stringList{nodeRoleArn}) {
			bad(st.Sid, "PassRole on %v", st.Resource)
		}
		if has(st, "sqs:") && !slices.Equal(st.Resource, stringList{queueArn}) {
			bad(st.Sid, "SQS on %v", st.Resource)
		}
		if has(st, "eks:") && !slices.Equal(st.Resource, stringList{"arn:aws:eks:us-east-1:123456789012:cluster/" + testClusterName}) {
			bad(st.Sid, "EKS on %v", st.Resource)
		}
	}
	return out
}

// ControllerPolicy, decoded the way IAM reads it, is scoped to this cluster statement by
// statement.
func TestControllerPolicyScope(t *testing.T) {
	raw, err := ControllerPolicy("aws", "us-east-1", "123456789012", testClusterName, policyNodeRoleArn, policyQueueArn).Render()
	require.NoError(t, err)
	// IAM limits a role's inline policies to 10,240 characters in all (IAM User Guide, "IAM and
	// AWS STS quotas").
	assert.Less(t, len(raw), 10240, "the inline policy fits IAM's quota")
	statements := parsePolicy(t, raw)
	assert.Empty(t, scopeViolations(statements, policyNodeRoleArn, policyQueueArn))

	bySid := map[string]policyStatement{}
	for _, st := range statements {
		assert.NotContains(t, bySid, st.Sid, "Sid %s is unique", st.Sid)
		bySid[st.Sid] = st
	}
	assert.Equal(t, map[string]map[string]any{"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
		bySid["AllowPassingInstanceRole"].Condition, "the node role is passed to EC2 only")
	assert.Equal(t, stringList{"ec2:CreateTags"}, bySid["AllowScopedResourceTagging"].Action)
	assert.Equal(t, []any{"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"},
		bySid["AllowScopedResourceTagging"].Condition["ForAllValues:StringEquals"]["aws:TagKeys"],
		"on running instances Karpenter may set only these tags")
	// Every statement of the template's policies (Karpenter v1.14.1, getting-started
	// cloudformation.yaml) but zonal shift, which the component leaves off.
	for _, sid := range []string{
		"AllowScopedEC2InstanceAccessActions", "AllowScopedEC2LaunchTemplateAccessActions", "AllowScopedEC2InstanceActionsWithTags",
		"AllowScopedResourceCreationTagging", "AllowScopedResourceTagging", "AllowScopedDeletion", "AllowPassingInstanceRole",
		"AllowScopedInstanceProfileCreationActions", "AllowScopedInstanceProfileTagActions", "AllowScopedInstanceProfileActions",
		"AllowAPIServerEndpointDiscovery", "AllowInterruptionQueueActions", "AllowRegionalReadActions", "AllowSSMReadActions",
		"AllowPricingReadActions", "AllowUnscopedInstanceProfileListAction", "AllowInstanceProfileReadActions",
	} {
		assert.Contains(t, bySid, sid)
	}
	// What Karpenter calls to launch, tag and clean up nodes and instance profiles is granted.
	granted := map[string]bool{}
	for _, st := range statements {
		for _, a := range st.Action {
			granted[a] = true
		}
	}
	for _, a := range []string{
		"ec2:CreateFleet", "ec2:RunInstances", "ec2:CreateLaunchTemplate", "ec2:CreateTags", "ec2:TerminateInstances",
		"ec2:DeleteLaunchTemplate", "iam:PassRole", "iam:CreateInstanceProfile", "iam:TagInstanceProfile",
		"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile",
		"iam:GetInstanceProfile", "sqs:ReceiveMessage", "sqs:DeleteMessage", "ssm:GetParameter", "pricing:GetProducts",
		"eks:DescribeCluster", "ec2:DescribeInstanceTypes", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeImages",
	} {
		assert.True(t, granted[a], "%s is granted", a)
	}
}

// The scope check must be able to fail: loosened copies of the policy are caught.
func TestControllerPolicyScopeCheckCanFail(t *testing.T) {
	edit := func(sid string, f func(*policyStatement)) []policyStatement {
		statements := testControllerPolicy()
		for i := range statements {
			if statements[i].Sid == sid {
				f(&statements[i])
			}
		}
		return statements
	}
	tests := []struct {
		name       string
		statements []policyStatement
		want       string
	}{
		{"termination without the cluster tag", edit("AllowScopedDeletion", func(s *policyStatement) { s.Condition = nil }),
			"AllowScopedDeletion: creates, tags or deletes without requiring " + clusterTag + "=owned"},
		{"another cluster's tag", edit("AllowScopedEC2InstanceActionsWithTags", func(s *policyStatement) {
			s.Condition = map[string]map[string]any{"StringEquals": {"aws:RequestTag/kubernetes.io/cluster/other": "owned"}}
		}), "AllowScopedEC2InstanceActionsWithTags: creates, tags or deletes without requiring " + clusterTag + "=owned"},
		{"tagging beside a launch input", edit("AllowScopedEC2InstanceAccessActions", func(s *policyStatement) {
			s.Action = append(s.Action, "ec2:CreateTags")
		}), "AllowScopedEC2InstanceAccessActions: creates, tags or deletes without requiring " + clusterTag + "=owned"},
		{"PassRole on any role", edit("AllowPassingInstanceRole", func(s *policyStatement) { s.Resource = stringList{"*"} }),
			"AllowPassingInstanceRole: PassRole on [*]"},
		{"SQS on any queue", edit("AllowInterruptionQueueActions", func(s *policyStatement) {
			s.Resource = stringList{"arn:aws:sqs:us-east-1:123456789012:*"}
		}), "AllowInterruptionQueueActions: SQS on [arn:aws:sqs:us-east-1:123456789012:*]"},
		{"wildcard action", edit("AllowPricingReadActions", func(s *policyStatement) { s.Action = stringList{"pricing:*"} }),
			"AllowPricingReadActions: wildcard action pricing:*"},
		{"write on every resource", edit("AllowUnscopedInstanceProfileListAction", func(s *policyStatement) {
			s.Action = stringList{"iam:ListInstanceProfiles", "iam:DeleteInstanceProfile"}
		}), "AllowUnscopedInstanceProfileListAction: iam:DeleteInstanceProfile on every resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, scopeViolations(tt.statements, policyNodeRoleArn, policyQueueArn), tt.want)
		})
	}
}

// chartValues returns the karpenter release's recorded values as plain data, the way Helm reads
// them once serialised.
func chartValues(t *testing.T, eng *mock.Engine) map[string]any {
	t.Helper()
	rel := mocktest.Find(t, eng, releaseType, "karpenter")
	v, ok := rel.Input("values")
	require.True(t, ok)
	b, err := json.Marshal(v.Mappable())
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestChartValues(t *testing.T) {
	eng := mustRun(t)
	v := chartValues(t, eng)
	settings := v["settings"].(map[string]any)
	// The endpoint is handed over, so the controller need not call eks:DescribeCluster.
	assert.Regexp(t, `^https://`, settings["clusterEndpoint"])
	delete(settings, "clusterEndpoint")
	assert.Equal(t, map[string]any{"clusterName": testClusterName, "interruptionQueue": testClusterName + "-karpenter"}, settings)
	controller := v["controller"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"name": "AWS_REGION", "value": "us-east-1"}}, controller["env"],
		"the region comes from the environment: instance metadata is out of a pod's reach")
	assert.Equal(t, "Default", v["dnsPolicy"])
	_, crds := mocktest.Find(t, eng, releaseType, "karpenter-crd").Input("values")
	assert.False(t, crds, "the CRD chart takes no values")
}

const valuesPathsFile = "karpenter-" + DefaultChartVersion + ".paths"

// Every value path the component sets exists in the pinned chart's values.yaml (listed in
// testdata/karpenter-<version>.paths, each checked against values.yaml at the chart's tag).
func TestChartValuePathsAreInTheChart(t *testing.T) {
	exact, freeForm := readValuePaths(t)
	for _, leaf := range chartpaths.Unlisted(chartValues(t, mustRun(t)), exact, freeForm) {
		assert.Fail(t, "value path not in the chart", "the release sets %s, which %s does not list", leaf, valuesPathsFile)
	}
}

// The check above must be able to fail: misspelt keys are reported.
func TestChartValuePathCheckCatchesTypos(t *testing.T) {
	exact, freeForm := readValuePaths(t)
	v := chartValues(t, mustRun(t))
	require.Empty(t, chartpaths.Unlisted(v, exact, freeForm))
	v["settings"].(map[string]any)["interuptionQueue"] = "q"
	v["controller"].(map[string]any)["envs"] = []any{}
	v["dnsPolicies"] = "Default"
	assert.ElementsMatch(t, []string{"settings.interuptionQueue", "controller.envs", "dnsPolicies"},
		chartpaths.Unlisted(v, exact, freeForm))
}

func readValuePaths(t *testing.T) (exact, freeForm []string) {
	t.Helper()
	exact, freeForm, err := chartpaths.Read(filepath.Join("testdata", valuesPathsFile))
	require.NoError(t, err)
	require.NotEmpty(t, exact)
	return exact, freeForm
}

func TestNewRejectsBadArgsBeforeRegistering(t *testing.T) {
	args := componentArgs()
	args.NodeAmiRelease = "1.34.9-20260714"
	args.NodePools = args.NodePools[1:]
	eng, err := runComponent(t, args)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `karpenter "karpenter": nodeAmiRelease must be a release for Kubernetes 1.35`)
	assert.Contains(t, err.Error(), `karpenter "karpenter": nodePools must include a pool without a GPU`)
	for _, r := range eng.Resources() {
		assert.Equal(t, "pulumi:providers:kubernetes", r.Type, "nothing of the component is registered")
	}
}
