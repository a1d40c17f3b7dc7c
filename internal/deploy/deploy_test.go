package deploy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// node builds a custom resource that takes minutes to create.
func node(name string, minutes float64, deps ...string) Node {
	return Node{URN: name, Type: "test:index:Thing", Name: name, Dependencies: deps,
		Duration: Duration{ID: "test-" + name, Minutes: minutes, Source: "test"}}
}

func component(name string, deps ...string) Node {
	return Node{URN: name, Type: "test:index:Component", Name: name, Component: true, Dependencies: deps}
}

func child(n Node, parent string) Node {
	n.Parent = parent
	return n
}

func names(steps []Step) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Name)
	}
	return out
}

func TestCriticalPathOfSyntheticGraphs(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		total float64
		path  []string
		start map[string]float64
	}{
		{
			name:  "chain",
			nodes: []Node{node("a", 5), node("b", 3, "a"), node("c", 2, "b")},
			total: 10, path: []string{"a", "b", "c"},
			start: map[string]float64{"a": 0, "b": 5, "c": 8},
		},
		{
			name:  "diamond takes the longer branch",
			nodes: []Node{node("a", 1), node("b", 10, "a"), node("c", 2, "a"), node("d", 1, "b", "c")},
			total: 12, path: []string{"a", "b", "d"},
			start: map[string]float64{"c": 1, "d": 11},
		},
		{
			name:  "independent chains: the longest wins",
			nodes: []Node{node("net", 2), node("db", 25, "net"), node("eks", 12.5, "net"), node("ng", 2, "eks")},
			total: 27, path: []string{"net", "db"},
			start: map[string]float64{"ng": 14.5},
		},
		{
			name: "depending on a component waits for all its children",
			nodes: []Node{component("comp"), child(node("fast", 1), "comp"), child(node("slow", 7), "comp"),
				node("after", 1, "comp")},
			total: 8, path: []string{"slow", "after"},
			start: map[string]float64{"after": 7},
		},
		{
			name:  "children of a component do not wait for the component or their siblings",
			nodes: []Node{component("comp"), child(node("a", 10), "comp"), child(node("b", 1), "comp")},
			total: 10, path: []string{"a"},
			start: map[string]float64{"a": 0, "b": 0},
		},
		{
			name: "children of a component wait for the component's own dependencies",
			nodes: []Node{node("first", 4), component("comp", "first"), child(node("a", 5), "comp"),
				child(component("inner"), "comp"), child(node("deep", 1), "inner")},
			total: 9, path: []string{"first", "a"},
			start: map[string]float64{"a": 4, "deep": 4},
		},
		{
			name:  "children of a custom resource wait for it to exist",
			nodes: []Node{node("cluster", 12.5), child(node("addon", 1), "cluster")},
			total: 13.5, path: []string{"cluster", "addon"},
			start: map[string]float64{"addon": 12.5},
		},
		{
			name: "a resource waits for its provider",
			nodes: []Node{node("cluster", 12.5), node("k8s-provider", 0, "cluster"),
				{URN: "release", Type: "test:index:Release", Name: "release", Provider: "k8s-provider",
					Duration: Duration{ID: "helm", Minutes: 5}}},
			total: 17.5, path: []string{"cluster", "k8s-provider", "release"},
			start: map[string]float64{"release": 12.5},
		},
		{
			name:  "unknown dependencies are ignored",
			nodes: []Node{node("a", 2, "urn:elsewhere"), node("b", 1, "a")},
			total: 3, path: []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Analyze(tt.nodes)
			require.NoError(t, err)
			assert.InDelta(t, tt.total, p.TotalMinutes, 1e-9)
			assert.Equal(t, tt.path, names(p.CriticalPath))
			for name, want := range tt.start {
				got, ok := p.Start(name)
				require.True(t, ok, name)
				assert.InDelta(t, want, got, 1e-9, name)
			}
			// The path is consistent: each step starts when the previous one finishes or later,
			// and the last one finishes at the total.
			var end float64
			for _, s := range p.CriticalPath {
				assert.GreaterOrEqual(t, s.StartMinutes, end-1e-9)
				end = s.StartMinutes + s.Minutes
			}
			assert.InDelta(t, p.TotalMinutes, end, 1e-9)
			assert.Nil(t, p.FalseSerialisations, "explicit dependencies unknown: no verdict")
		})
	}
}

func TestCycleIsAnError(t *testing.T) {
	_, err := Analyze([]Node{node("a", 1, "c"), node("b", 1, "a"), node("c", 1, "b")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cycle")
}

func TestWaitsFollowsEveryKindOfEdge(t *testing.T) {
	nodes := []Node{
		node("vpc", 0.25), node("db", 25, "vpc"), node("cluster", 12.5, "vpc"),
		{URN: "k8s", Type: "pulumi:providers:kubernetes", Name: "k8s", Dependencies: []string{"cluster"}},
		component("monitoring"),
		{URN: "release", Name: "release", Type: "kubernetes:helm.sh/v3:Release", Parent: "monitoring", Provider: "k8s",
			Duration: For("kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")},
	}
	p, err := Analyze(nodes)
	require.NoError(t, err)
	assert.True(t, p.Waits("release", "cluster"), "through the provider")
	assert.True(t, p.Waits("release", "vpc"), "transitively")
	assert.True(t, p.Waits("db", "vpc"))
	assert.False(t, p.Waits("db", "cluster"))
	assert.False(t, p.Waits("cluster", "db"))
	assert.False(t, p.Waits("release", "unknown"))
	finish, ok := p.Finish("release")
	require.True(t, ok)
	assert.InDelta(t, 0.25+12.5+5, finish, 1e-9)
	done, _ := p.Finish("monitoring")
	assert.InDelta(t, finish, done, 1e-9, "a component finishes with its last child")
}

func TestFalseSerialisations(t *testing.T) {
	slow := node("slow-db", 25)
	app := node("app", 1, "slow-db", "config")
	app.ExplicitDependencies = []string{"slow-db"} // no input uses the database
	attach := Node{URN: "attach", Type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", Name: "attach",
		Duration: DefaultDuration}
	group := node("group", 2, "attach", "role")
	group.ExplicitDependencies = []string{"attach"}
	nodes := []Node{slow, app, node("config", 0.25), attach, node("role", 0.25), group}

	p, err := Analyze(nodes)
	require.NoError(t, err)
	assert.InDelta(t, 26, p.TotalMinutes, 1e-9)
	require.Len(t, p.FalseSerialisations, 2)

	first := p.FalseSerialisations[0]
	assert.Equal(t, "app", first.Name)
	assert.Equal(t, "slow-db", first.WaitsOn.Name)
	assert.Equal(t, Review, first.Verdict)
	assert.InDelta(t, 1, first.SavingMinutes, 1e-9, "without the edge the longest chain is slow-db alone: 26 - 25")

	second := p.FalseSerialisations[1]
	assert.Equal(t, "group", second.Name)
	assert.Equal(t, Ordering, second.Verdict)
	assert.Contains(t, second.Hint, "permissions")
	assert.Zero(t, second.SavingMinutes, "off the critical path")

	// Known explicit dependencies with none reported give an empty list, not nil.
	clean := node("x", 1)
	clean.ExplicitDependencies = []string{}
	p, err = Analyze([]Node{clean})
	require.NoError(t, err)
	assert.NotNil(t, p.FalseSerialisations)
	assert.Empty(t, p.FalseSerialisations)
}

func TestDurations(t *testing.T) {
	tests := []struct {
		typ, chart string
		minutes    float64
		id         string
	}{
		{"eks:index:Cluster", "", 12.5, "eks-control-plane"},
		{"aws:eks/nodeGroup:NodeGroup", "", 2, "eks-node-group"},
		{"aws:rds/instance:Instance", "", 25, "rds-instance"},
		// Production's database: a Multi-AZ DB cluster is not an API-only resource.
		{"aws:rds/cluster:Cluster", "", 25, "rds-multi-az-cluster"},
		{"aws:eks/addon:Addon", "", 1, "eks-addon"},
		{"aws:ec2/natGateway:NatGateway", "", 1.75, "nat-gateway"},
		{"kubernetes:helm.sh/v3:Release", "kube-prometheus-stack", 5, "helm-kube-prometheus-stack"},
		{"kubernetes:helm.sh/v3:Release", "falco", 1, "helm-release"},
		// Karpenter's charts are OCI references; the chart name is their last element.
		{"kubernetes:helm.sh/v3:Release", "oci://public.ecr.aws/karpenter/karpenter", 1, "helm-karpenter"},
		{"kubernetes:helm.sh/v3:Release", "oci://public.ecr.aws/karpenter/karpenter-crd", DefaultDuration.Minutes, "helm-crds"},
		// The system node group is a managed node group like any other.
		{"aws:eks/nodeGroup:NodeGroup", "", 2, "eks-node-group"},
		// A NodePool is an API object: nodes come when pods need them, not when it is created.
		{"kubernetes:karpenter.sh/v1:NodePool", "", DefaultDuration.Minutes, "default"},
		{"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "", DefaultDuration.Minutes, "default"},
		{"pulumi:providers:aws", "", 0, "provider"},
		{"aws:iam/role:Role", "", DefaultDuration.Minutes, "default"},
		// Deliberately at the default: created by one API call, done in seconds.
		{"aws:cloudwatch/logGroup:LogGroup", "", DefaultDuration.Minutes, "default"},
		{"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "", DefaultDuration.Minutes, "default"},
		{"aws:eks/accessEntry:AccessEntry", "", DefaultDuration.Minutes, "default"},
		{"aws:rds/clusterParameterGroup:ClusterParameterGroup", "", DefaultDuration.Minutes, "default"},
	}
	for _, tt := range tests {
		d := For(tt.typ, tt.chart)
		assert.Equal(t, tt.id, d.ID, tt.typ)
		assert.InDelta(t, tt.minutes, d.Minutes, 1e-9, tt.typ)
	}
	table := Table()
	require.NotEmpty(t, table)
	for i, d := range table {
		assert.NotEmpty(t, d.Source, d.ID)
		if i > 0 {
			assert.Less(t, table[i-1].ID, d.ID)
		}
		if d.High > 0 {
			assert.LessOrEqual(t, d.Low, d.Minutes, d.ID)
			assert.LessOrEqual(t, d.Minutes, d.High, d.ID)
		}
	}
	// A pool's floor waits for Karpenter to launch its nodes; other Deployments do not.
	floor := ForResource("kubernetes:apps/v1:Deployment", "cluster-karpenter-deployment-capacity-floor-general", "")
	assert.Equal(t, "karpenter-node-launch", floor.ID)
	assert.InDelta(t, 1.5, floor.Minutes, 1e-9)
	assert.Contains(t, floor.Source, "aws/karpenter-provider-aws#6165")
	assert.Equal(t, DefaultDuration.ID, ForResource("kubernetes:apps/v1:Deployment", "web", "").ID)
	assert.Equal(t, "helm-karpenter", ForResource("kubernetes:helm.sh/v3:Release", "cluster-karpenter", "oci://public.ecr.aws/karpenter/karpenter").ID)
	ids := map[string]bool{}
	for _, d := range table {
		ids[d.ID] = true
	}
	assert.True(t, ids["karpenter-node-launch"], "the table lists every figure")
	// A figure taken from a report rather than from AWS says so.
	assert.Contains(t, For("aws:rds/cluster:Cluster", "").Source, "report")
	assert.Greater(t, For("aws:rds/cluster:Cluster", "").High, For("aws:rds/cluster:Cluster", "").Minutes)
}

func TestClassify(t *testing.T) {
	tests := []struct {
		waiter    string
		component bool
		waitsOn   string
		verdict   Verdict
	}{
		{"aws:eks/nodeGroup:NodeGroup", false, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", Ordering},
		{"aws:iam/role:Role", false, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", Review},
		{"kubernetes:helm.sh/v3:Release", false, "aws:eks/nodeGroup:NodeGroup", Ordering},
		{"aws:iam/role:Role", false, "aws:eks/nodeGroup:NodeGroup", Review},
		{"novacron:monitoring:Stack", true, "aws:eks/nodeGroup:NodeGroup", Ordering},
		{"pulumi:providers:kubernetes", false, "kubernetes:storage.k8s.io/v1:StorageClass", Ordering},
		{"novacron:monitoring:Stack", true, "aws:rds/instance:Instance", Review},
		{"aws:ec2/natGateway:NatGateway", false, "aws:ec2/internetGateway:InternetGateway", Ordering},
		{"aws:rds/instance:Instance", false, "aws:ec2/internetGateway:InternetGateway", Review},
		{"aws:s3/bucketPolicy:BucketPolicy", false, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", Ordering},
		{"kubernetes:monitoring.coreos.com/v1:ServiceMonitor", false, "kubernetes:helm.sh/v3:Release", Ordering},
		{"aws:kms/key:Key", false, "kubernetes:helm.sh/v3:Release", Review},
		{"eks:index:Cluster", false, "aws:cloudwatch/logGroup:LogGroup", Ordering},
		{"aws:ec2/subnet:Subnet", false, "aws:ec2/vpc:Vpc", Review},
		// Karpenter: pods need the pools, the pools need the node role's access entry, the
		// controller needs its Pod Identity association.
		{"kubernetes:helm.sh/v3:Release", false, "kubernetes:karpenter.sh/v1:NodePool", Ordering},
		{"kubernetes:helm.sh/v3:Release", false, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", Ordering},
		{"pulumi:providers:kubernetes", false, "kubernetes:karpenter.sh/v1:NodePool", Ordering},
		{"novacron:monitoring:Stack", true, "kubernetes:karpenter.sh/v1:NodePool", Ordering},
		{"kubernetes:karpenter.sh/v1:NodePool", false, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", Review},
		{"aws:iam/role:Role", false, "kubernetes:karpenter.sh/v1:NodePool", Review},
		{"kubernetes:karpenter.sh/v1:NodePool", false, "aws:eks/accessEntry:AccessEntry", Ordering},
		{"kubernetes:apps/v1:Deployment", false, "aws:eks/accessEntry:AccessEntry", Ordering},
		{"kubernetes:scheduling.k8s.io/v1:PriorityClass", false, "aws:eks/accessEntry:AccessEntry", Review},
		{"kubernetes:helm.sh/v3:Release", false, "aws:eks/podIdentityAssociation:PodIdentityAssociation", Ordering},
		{"aws:iam/role:Role", false, "aws:eks/podIdentityAssociation:PodIdentityAssociation", Review},
		{"pulumi:providers:kubernetes", false, "kubernetes:apps/v1:Deployment", Review},
		{"kubernetes:apps/v1:Deployment", false, "kubernetes:scheduling.k8s.io/v1:PriorityClass", Ordering},
		{"pulumi:providers:kubernetes", false, "kubernetes:scheduling.k8s.io/v1:PriorityClass", Review},
		{"kubernetes:helm.sh/v3:Release", false, "kubernetes:scheduling.k8s.io/v1:PriorityClass", Review},
	}
	// A pool's floor: what waits on it is for review, and the hint says why.
	verdict, hint := classify("pulumi:providers:kubernetes", false, "kubernetes:apps/v1:Deployment",
		"cluster-karpenter-deployment-capacity-floor-general")
	assert.Equal(t, Review, verdict)
	assert.Contains(t, hint, "Karpenter launches nodes for pending pods anyway")
	for _, tt := range tests {
		verdict, hint := classify(tt.waiter, tt.component, tt.waitsOn, "")
		assert.Equal(t, tt.verdict, verdict, "%s waits on %s", tt.waiter, tt.waitsOn)
		assert.NotEmpty(t, hint)
	}
}
