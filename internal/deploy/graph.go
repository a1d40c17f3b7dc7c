package deploy

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Node is one registration as the program declared it.
type Node struct {
	URN  string
	Type string
	Name string
	// Parent is the URN of the parent resource, "" (or an unknown URN) at the top.
	Parent string
	// Component is true for a component resource of this program: it has no create step of its
	// own and is done when its children are. Remote (multi-language) components are not
	// Components here: the engine creates them as a whole, like custom resources.
	Component bool
	// Provider is the URN of the provider resource the node uses, "" when none.
	Provider string
	// Dependencies are the URNs the node waits for, explicit and through its inputs.
	Dependencies []string
	// ExplicitDependencies are the Dependencies that only dependsOn declared: no input property
	// of the node takes an output of them. nil when unknown.
	ExplicitDependencies []string
	// Duration is the node's creation time; ignored for Components.
	Duration Duration
}

// Step is one resource on the critical path.
type Step struct {
	URN          string  `json:"urn"`
	Type         string  `json:"type"`
	Name         string  `json:"name"`
	StartMinutes float64 `json:"startMinutes"`
	Minutes      float64 `json:"minutes"`
	DurationID   string  `json:"durationId"`
}

// Ref names a resource.
type Ref struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
	Name string `json:"name"`
}

// Verdict classifies a wait without a data dependency.
type Verdict string

// Verdicts.
const (
	// Ordering: a known pattern where the order matters although no output flows (permissions
	// attached before use, a log group before the service writes to it, nodes before pods).
	Ordering Verdict = "ordering"
	// Review: nothing explains the wait; drop the dependsOn unless the order matters.
	Review Verdict = "review"
)

// Wait is a false serialisation candidate: a resource that waits, through an explicit
// dependsOn, for a resource whose outputs none of its inputs use.
type Wait struct {
	Ref
	WaitsOn Ref     `json:"waitsOn"`
	Verdict Verdict `json:"verdict"`
	Hint    string  `json:"hint"`
	// SavingMinutes is how much shorter the critical path would be without this one edge.
	SavingMinutes float64 `json:"savingMinutes"`
}

// Plan is the result of Analyze.
type Plan struct {
	// TotalMinutes is the length of the critical path: when the last resource is created if
	// every resource starts as soon as what it waits for is done.
	TotalMinutes float64 `json:"totalMinutes"`
	// CriticalPath lists the resources of the longest chain in creation order (components,
	// which take no time, are left out).
	CriticalPath []Step `json:"criticalPath"`
	// FalseSerialisations lists every explicit wait on a resource whose outputs are not used,
	// largest saving first, then those to review. Nil when explicit dependencies are unknown.
	FalseSerialisations []Wait `json:"falseSerialisations"`
	// Durations are the figures the nodes used, with their sources.
	Durations []Duration `json:"durations"`

	g     *graph
	times []float64
}

// Start and Finish return when a resource starts and is done, in minutes from the start of the
// deployment; ok is false for an unknown URN.
func (p *Plan) Start(urn string) (float64, bool) {
	i, ok := p.g.index[urn]
	if !ok {
		return 0, false
	}
	return p.times[start(i)], true
}

// Finish returns when the resource is done (see Start).
func (p *Plan) Finish(urn string) (float64, bool) {
	i, ok := p.g.index[urn]
	if !ok {
		return 0, false
	}
	return p.times[finish(i)], true
}

// Waits reports whether resource a cannot start before resource b is done, through any chain of
// dependencies, providers and parents.
func (p *Plan) Waits(a, b string) bool {
	ia, ok1 := p.g.index[a]
	ib, ok2 := p.g.index[b]
	if !ok1 || !ok2 {
		return false
	}
	target := finish(ib)
	seen := map[int]bool{}
	stack := []int{start(ia)}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == target {
			return true
		}
		if seen[e] {
			continue
		}
		seen[e] = true
		for _, in := range p.g.in[e] {
			stack = append(stack, in.from)
		}
	}
	return false
}

// Events: every node i has a start event 2i and a finish event 2i+1.
func start(i int) int  { return 2 * i }
func finish(i int) int { return 2*i + 1 }
func nodeOf(e int) int { return e / 2 }

type edge struct {
	from   int
	weight float64
	// dep marks a dependency edge F(dep) → S(node), the only kind a Wait can remove.
	dep bool
}

type graph struct {
	nodes []Node
	index map[string]int
	in    [][]edge
}

func newGraph(nodes []Node) *graph {
	sorted := append([]Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].URN < sorted[j].URN })
	g := &graph{nodes: sorted, index: map[string]int{}, in: make([][]edge, 2*len(sorted))}
	for i, n := range sorted {
		g.index[n.URN] = i
	}
	for i, n := range sorted {
		s, f := start(i), finish(i)
		// A resource starts once what it depends on, and its provider, are done.
		for _, d := range n.Dependencies {
			if j, ok := g.index[d]; ok && j != i {
				g.in[s] = append(g.in[s], edge{from: finish(j), dep: true})
			}
		}
		if j, ok := g.index[n.Provider]; ok && j != i {
			g.in[s] = append(g.in[s], edge{from: finish(j)})
		}
		// A child is registered once its parent is: a component parent registers as soon as
		// its own dependencies are met (it has no create step), a custom or remote parent only
		// once it exists. Children never wait for a component parent to finish.
		if j, ok := g.index[n.Parent]; ok && j != i {
			if g.nodes[j].Component {
				g.in[s] = append(g.in[s], edge{from: start(j)})
			} else {
				g.in[s] = append(g.in[s], edge{from: finish(j)})
			}
			// A component is done when every child is.
			if g.nodes[j].Component {
				g.in[finish(j)] = append(g.in[finish(j)], edge{from: f})
			}
		}
		if n.Component {
			g.in[f] = append(g.in[f], edge{from: s})
		} else {
			g.in[f] = append(g.in[f], edge{from: s, weight: n.Duration.Minutes})
		}
	}
	for e := range g.in {
		sort.Slice(g.in[e], func(a, b int) bool { return g.in[e][a].from < g.in[e][b].from })
	}
	return g
}

// times computes the earliest time of every event, skipping the dependency edge skip (from →
// to; to < 0 skips nothing). It fails on a cycle.
func (g *graph) times(skipFrom, skipTo int) ([]float64, []int, error) {
	n := len(g.in)
	t := make([]float64, n)
	pred := make([]int, n)
	state := make([]uint8, n) // 0 new, 1 in progress, 2 done
	var visit func(e int) error
	visit = func(e int) error {
		switch state[e] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("dependency cycle through %s", g.nodes[nodeOf(e)].URN)
		}
		state[e] = 1
		pred[e] = -1
		best := 0.0
		for _, in := range g.in[e] {
			if in.dep && in.from == skipFrom && e == skipTo {
				continue
			}
			if err := visit(in.from); err != nil {
				return err
			}
			// Ties keep the first edge: in-edges are sorted, so the path is deterministic.
			if v := t[in.from] + in.weight; pred[e] < 0 || v > best {
				best, pred[e] = v, in.from
			}
		}
		t[e] = best
		state[e] = 2
		return nil
	}
	for e := 0; e < n; e++ {
		if err := visit(e); err != nil {
			return nil, nil, err
		}
	}
	return t, pred, nil
}

func total(t []float64) (float64, int) {
	best, at := 0.0, -1
	for e := 1; e < len(t); e += 2 {
		if t[e] > best || at < 0 {
			best, at = t[e], e
		}
	}
	return best, at
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Analyze computes the critical path of the nodes and the waits without a data dependency.
func Analyze(nodes []Node) (*Plan, error) {
	g := newGraph(nodes)
	t, pred, err := g.times(-1, -1)
	if err != nil {
		return nil, err
	}
	p := &Plan{g: g, times: t, CriticalPath: []Step{}}
	tot, last := total(t)
	p.TotalMinutes = round2(tot)

	// Walk back from the last finish along the predecessors that set each time.
	for e := last; e >= 0; e = pred[e] {
		i := nodeOf(e)
		n := g.nodes[i]
		if e == finish(i) && !n.Component && pred[e] == start(i) {
			p.CriticalPath = append(p.CriticalPath, Step{
				URN: n.URN, Type: n.Type, Name: n.Name,
				StartMinutes: round2(t[start(i)]), Minutes: n.Duration.Minutes, DurationID: n.Duration.ID,
			})
		}
	}
	for a, b := 0, len(p.CriticalPath)-1; a < b; a, b = a+1, b-1 {
		p.CriticalPath[a], p.CriticalPath[b] = p.CriticalPath[b], p.CriticalPath[a]
	}

	used := map[string]Duration{}
	known := false
	for i, n := range g.nodes {
		if !n.Component {
			used[n.Duration.ID] = n.Duration
		}
		if n.ExplicitDependencies != nil {
			known = true
		}
		for _, d := range n.ExplicitDependencies {
			j, ok := g.index[d]
			if !ok || j == i {
				continue
			}
			w := Wait{
				Ref:     Ref{URN: n.URN, Type: n.Type, Name: n.Name},
				WaitsOn: Ref{URN: g.nodes[j].URN, Type: g.nodes[j].Type, Name: g.nodes[j].Name},
			}
			w.Verdict, w.Hint = classify(n.Type, n.Component, g.nodes[j].Type, g.nodes[j].Name)
			without, _, err := g.times(finish(j), start(i))
			if err != nil {
				return nil, err
			}
			shorter, _ := total(without)
			w.SavingMinutes = round2(tot - shorter)
			p.FalseSerialisations = append(p.FalseSerialisations, w)
		}
	}
	if known && p.FalseSerialisations == nil {
		p.FalseSerialisations = []Wait{}
	}
	sort.SliceStable(p.FalseSerialisations, func(a, b int) bool {
		x, y := p.FalseSerialisations[a], p.FalseSerialisations[b]
		if x.SavingMinutes != y.SavingMinutes {
			return x.SavingMinutes > y.SavingMinutes
		}
		if x.Verdict != y.Verdict {
			return x.Verdict == Review
		}
		if x.URN != y.URN {
			return x.URN < y.URN
		}
		return x.WaitsOn.URN < y.WaitsOn.URN
	})
	for _, d := range used {
		p.Durations = append(p.Durations, d)
	}
	sort.Slice(p.Durations, func(a, b int) bool { return p.Durations[a].ID < p.Durations[b].ID })
	return p, nil
}

// Karpenter's node objects: the pools nodes come from.
const (
	tNodePool     = "kubernetes:karpenter.sh/v1:NodePool"
	tEC2NodeClass = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
)

// classify explains waits that follow a known pattern where the order matters without any
// output flowing; everything else is for review.
func classify(waiter string, component bool, waitsOn, waitsOnName string) (Verdict, string) {
	inCluster := strings.HasPrefix(waiter, "kubernetes:") || waiter == "aws:eks/addon:Addon"
	if waitsOn == "kubernetes:apps/v1:Deployment" && strings.Contains(waitsOnName, FloorPrefix) {
		return Review, "Karpenter launches nodes for pending pods anyway: waiting for a pool's floor puts its node launch " +
			"before this; drop the dependsOn unless the order matters"
	}
	if component || strings.HasPrefix(waiter, "pulumi:providers:") {
		switch waitsOn {
		case "aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup", "aws:eks/addon:Addon",
			"kubernetes:storage.k8s.io/v1:StorageClass", tNodePool, tEC2NodeClass:
			holds := "a component's dependsOn holds back all its children"
			if !component {
				holds = "a provider's dependsOn holds back every resource that uses it"
			}
			return Ordering, holds + ": in-cluster workloads need nodes, drivers and the storage class"
		}
	}
	if strings.HasPrefix(waiter, "aws:s3/") && strings.HasPrefix(waitsOn, "aws:s3/") {
		return Ordering, "S3 rejects concurrent configuration changes to one bucket, and lifecycle rules on " +
			"noncurrent versions need versioning first"
	}
	switch waitsOn {
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy",
		"aws:iam/policyAttachment:PolicyAttachment":
		if waiter != "aws:iam/role:Role" && !strings.HasPrefix(waiter, "aws:iam/") {
			return Ordering, "permissions must be attached before the resource uses the role"
		}
	case "aws:cloudwatch/logGroup:LogGroup":
		return Ordering, "the log group must exist, with its retention, before the service writes to it"
	case "aws:ec2/internetGateway:InternetGateway":
		if waiter == "aws:ec2/natGateway:NatGateway" || waiter == "aws:ec2/eip:Eip" {
			return Ordering, "a public NAT gateway needs the VPC's internet gateway (the terraform-provider-aws " +
				"aws_nat_gateway documentation recommends this explicit dependency)"
		}
	case "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ServiceAccount":
		if inCluster {
			return Ordering, "referenced by name from the workload, not through an output"
		}
	case "kubernetes:core/v1:Namespace":
		if inCluster {
			return Ordering, "the namespace is named as a string; it must exist first"
		}
	case "kubernetes:helm.sh/v3:Release", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition":
		if inCluster {
			return Ordering, "installs custom resource definitions or webhooks the resource needs"
		}
	case "aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup":
		if inCluster {
			return Ordering, "its pods need schedulable nodes"
		}
		return Review, "waits for nodes but runs no pods: the dependsOn probably came with options shared with an add-on"
	case tNodePool, tEC2NodeClass:
		if inCluster && waiter != tNodePool && waiter != tEC2NodeClass {
			return Ordering, "its pods need nodes, which Karpenter launches from the NodePool and its EC2NodeClass"
		}
	case "aws:eks/accessEntry:AccessEntry":
		// The pools and the floor: a node Karpenter launched before its role's EC2_LINUX entry
		// exists cannot join, and is reclaimed as never ready.
		if inCluster && waiter != "kubernetes:scheduling.k8s.io/v1:PriorityClass" {
			return Ordering, "nodes launched for it must be able to join: the node role's access entry comes first"
		}
	case "aws:eks/podIdentityAssociation:PodIdentityAssociation":
		if inCluster {
			return Ordering, "EKS Pod Identity adds credentials only to pods started after the association exists " +
				"(EKS User Guide, EKS Pod Identity)"
		}
	case "aws:eks/addon:Addon":
		if inCluster || waiter == "aws:eks/nodeGroup:NodeGroup" {
			return Ordering, "needs the add-on running (networking or storage driver)"
		}
	case "kubernetes:storage.k8s.io/v1:StorageClass":
		if inCluster {
			return Ordering, "its volumes name the storage class"
		}
	case "kubernetes:scheduling.k8s.io/v1:PriorityClass":
		if waiter == "kubernetes:apps/v1:Deployment" {
			return Ordering, "its pods name the PriorityClass, and the API server refuses a pod whose class does not exist"
		}
	}
	return Review, "no input uses its outputs: drop the dependsOn unless the order matters"
}
