package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/novacron/platform/components/cluster"
	"github.com/novacron/platform/stacks"
)

// SettingChange is one setting that differs from the baseline.
type SettingChange struct {
	Name   string `json:"name"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Change is a resource present in both reports whose settings or inputs differ.
type Change struct {
	Ref
	Settings []SettingChange `json:"settings,omitempty"`
	// InputsChanged is true when the inputs differ, shown settings or not.
	InputsChanged bool `json:"inputsChanged"`
}

// CostChange is the monthly cost of one item before and after.
type CostChange struct {
	Name     string  `json:"name"`
	Item     string  `json:"item"`
	Before   float64 `json:"beforeUSD"`
	After    float64 `json:"afterUSD"`
	DeltaUSD float64 `json:"deltaUSD"`
}

// Removal is a resource of the baseline that the program no longer declares: `pulumi up`
// deletes it.
type Removal struct {
	Ref
	// Protected is true when the baseline marked it protect: the engine refuses to delete a
	// protected resource and the update fails (Pulumi docs, "protect" resource option) until
	// the protection is removed, for example with `pulumi state unprotect`.
	Protected bool `json:"protected,omitempty"`
}

// BaselineDiff compares the report with an earlier one of the same stack.
type BaselineDiff struct {
	File    string    `json:"file"`
	Stack   string    `json:"stack"`
	Added   []Ref     `json:"added"`
	Removed []Removal `json:"removed"`
	Changed []Change  `json:"changed"`

	CostBeforeUSD float64 `json:"costBeforeUSD"`
	CostAfterUSD  float64 `json:"costAfterUSD"`
	CostDeltaUSD  float64 `json:"costDeltaUSD"`
	// UnpricedBefore and UnpricedAfter count the lines without a price on each side: the totals,
	// and so the delta, leave them out.
	UnpricedBefore int `json:"unpricedBefore"`
	UnpricedAfter  int `json:"unpricedAfter"`
	// CostChanges lists the fixed cost lines whose amount changed, appeared or went away.
	CostChanges []CostChange `json:"costChanges"`

	CriticalPathBeforeMinutes float64 `json:"criticalPathBeforeMinutes"`
	CriticalPathAfterMinutes  float64 `json:"criticalPathAfterMinutes"`
	MandatoryBefore           int     `json:"mandatoryBefore"`
	MandatoryAfter            int     `json:"mandatoryAfter"`

	// Upgrade is present when the cluster's Kubernetes version changes.
	Upgrade *Upgrade `json:"upgrade,omitempty"`
}

// readBaseline reads an earlier JSON report; it must be of this schema version.
func readBaseline(path string) (*Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline: %v", err)}
	}
	var head struct {
		SchemaVersion int    `json:"schemaVersion"`
		Tool          string `json:"tool"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is not a preflight JSON report: %v", path, err)}
	}
	if head.Tool != ToolName || head.SchemaVersion != SchemaVersion {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is not a %s report of schema version %d (tool %q, version %d)",
			path, ToolName, SchemaVersion, head.Tool, head.SchemaVersion)}
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&r); err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s: %v", path, err)}
	}
	if r.Cost == nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s has no cost section", path)}
	}
	return &r, nil
}

func compare(file string, before, after *Report) *BaselineDiff {
	d := &BaselineDiff{
		File: file, Stack: before.Stack,
		Added: []Ref{}, Removed: []Removal{}, Changed: []Change{}, CostChanges: []CostChange{},
		CostBeforeUSD: before.Cost.TotalMonthlyUSD, CostAfterUSD: after.Cost.TotalMonthlyUSD,
		UnpricedBefore: len(before.Cost.Unpriced()), UnpricedAfter: len(after.Cost.Unpriced()),
		CriticalPathBeforeMinutes: before.Deploy.TotalMinutes, CriticalPathAfterMinutes: after.Deploy.TotalMinutes,
		MandatoryBefore: before.Policy.Mandatory, MandatoryAfter: after.Policy.Mandatory,
	}
	d.CostDeltaUSD = round2(d.CostAfterUSD - d.CostBeforeUSD)
	d.Upgrade = upgradeOf(before, after)

	old := map[string]Entry{}
	for _, e := range before.Inventory.Resources {
		old[e.URN] = e
	}
	seen := map[string]bool{}
	for _, e := range after.Inventory.Resources {
		seen[e.URN] = true
		prev, ok := old[e.URN]
		if !ok {
			d.Added = append(d.Added, Ref{URN: e.URN, Type: e.Type, Name: e.Name})
			continue
		}
		c := Change{Ref: Ref{URN: e.URN, Type: e.Type, Name: e.Name}, InputsChanged: prev.InputsHash != e.InputsHash}
		c.Settings = settingChanges(prev.Settings, e.Settings)
		if c.InputsChanged || len(c.Settings) > 0 {
			d.Changed = append(d.Changed, c)
		}
	}
	for _, e := range before.Inventory.Resources {
		if !seen[e.URN] {
			d.Removed = append(d.Removed, Removal{Ref: Ref{URN: e.URN, Type: e.Type, Name: e.Name}, Protected: e.Protect})
		}
	}

	type key struct{ urn, item string }
	amounts := func(r *Report) map[key]float64 {
		m := map[key]float64{}
		for _, l := range r.Cost.Fixed() {
			m[key{l.URN, l.Item}] += l.MonthlyUSD
		}
		return m
	}
	names := map[string]string{}
	for _, r := range []*Report{before, after} {
		for _, l := range r.Cost.Lines {
			names[l.URN] = l.Name
		}
	}
	b, a := amounts(before), amounts(after)
	keys := map[key]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	for k := range keys {
		if delta := round2(a[k] - b[k]); math.Abs(delta) >= 0.005 {
			d.CostChanges = append(d.CostChanges, CostChange{Name: names[k.urn], Item: k.item, Before: b[k], After: a[k], DeltaUSD: delta})
		}
	}
	sort.Slice(d.CostChanges, func(i, j int) bool {
		x, y := d.CostChanges[i], d.CostChanges[j]
		if math.Abs(x.DeltaUSD) != math.Abs(y.DeltaUSD) {
			return math.Abs(x.DeltaUSD) > math.Abs(y.DeltaUSD)
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Item < y.Item
	})
	return d
}

func settingChanges(before, after []Setting) []SettingChange {
	b := map[string]string{}
	for _, s := range before {
		b[s.Name] = s.Value
	}
	a := map[string]string{}
	var order []string
	for _, s := range after {
		a[s.Name] = s.Value
		order = append(order, s.Name)
	}
	for _, s := range before {
		if _, ok := a[s.Name]; !ok {
			order = append(order, s.Name)
		}
	}
	var out []SettingChange
	for _, name := range order {
		if b[name] != a[name] {
			out = append(out, SettingChange{Name: name, Before: b[name], After: a[name]})
		}
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Types whose updates make up a Kubernetes version upgrade.
const (
	clusterType   = "eks:index:Cluster"
	addonType     = "aws:eks/addon:Addon"
	nodeGroupType = "aws:eks/nodeGroup:NodeGroup"
	nodePoolType  = "kubernetes:karpenter.sh/v1:NodePool"
)

// Upgrade is a change of the cluster's Kubernetes version against the baseline: the resources
// the engine updates for it, in the order their dependencies impose, with the time each takes.
type Upgrade struct {
	From  string        `json:"from"`
	To    string        `json:"to"`
	Steps []UpgradeStep `json:"steps"`
	// TotalMinutes is when the last step is done if each starts as soon as the steps it waits
	// for are done, on the typical figures; HighMinutes the same on the high ones.
	TotalMinutes float64 `json:"totalMinutes"`
	HighMinutes  float64 `json:"highMinutes"`
	// DriftedPools are the Karpenter pools whose nodes Karpenter replaces after the control
	// plane moves: their AMI alias resolves the new version's image (the SSM parameter path
	// names the Kubernetes version), so every node drifts, and is replaced within the pool's
	// disruption budgets, after `pulumi up` and outside its times.
	DriftedPools []string `json:"driftedPools,omitempty"`
}

// UpgradeStep is one resource the upgrade updates. Steps of the same Phase run in parallel;
// a phase starts when the steps of the earlier phases it waits for are done.
type UpgradeStep struct {
	Ref
	Phase        int     `json:"phase"`
	What         string  `json:"what"`
	StartMinutes float64 `json:"startMinutes"`
	Minutes      float64 `json:"minutes"`
	HighMinutes  float64 `json:"highMinutes"`
	Source       string  `json:"source"`
}

// Update durations, with their sources.
const (
	controlPlaneUpdateSource = "EKS User Guide, \"Update existing cluster to new Kubernetes version\" (\"several minutes\", " +
		"one minor version at a time); observed 21.6 min (terraform-aws-modules/terraform-aws-eks#326), " +
		"more than 25 min (eksctl-io/eksctl#2150), about 30 min and once about an hour (eksctl-io/eksctl#3309)"
	addonUpdateSource = "DaemonSet add-ons are done when their pods are ready again; coredns and the EBS CSI driver have " +
		"taken about 15 min to report active (aws-ia/terraform-aws-eks-blueprints#642); 2 min typical is an assumption"
	nodeGroupUpdateSource = "EKS replaces up to maxUnavailable nodes at a time, about 5 min per replacement " +
		"(aws-quickstart/quickstart-amazon-eks#377); a node whose pods do not leave holds its batch 15 min plus the " +
		"60 s cordon wait before EKS fails the update with PodEvictionFailure (EKS User Guide, \"Understand each " +
		"phase of node updates\")"
)

const (
	controlPlaneMinutes, controlPlaneHighMinutes = 25, 60
	addonMinutes, addonHighMinutes               = 2, 15
	nodeBatchMinutes, nodeBatchHighMinutes       = 5, 16
	// emptyGroupMinutes is a group without nodes: only its launch template version and Auto
	// Scaling group change (assumption).
	emptyGroupMinutes = 1
)

func settingValue(e Entry, name string) (string, bool) {
	for _, s := range e.Settings {
		if s.Name == name {
			return s.Value, true
		}
	}
	return "", false
}

// clusterVersion is the Kubernetes version of the report's cluster, "" when it has none.
func clusterVersion(r *Report) string {
	for _, e := range r.Inventory.Resources {
		if e.Type == clusterType {
			if v, ok := settingValue(e, "version"); ok {
				return v
			}
		}
	}
	return ""
}

// nodeBatches is how many rounds of replacements a node group update takes: EKS replaces up to
// maxUnavailablePercentage of the nodes at a time, at least one.
func nodeBatches(nodes int) int {
	if nodes <= 0 {
		return 0
	}
	perBatch := max(1, nodes*cluster.MaxUnavailablePercent/100)
	return (nodes + perBatch - 1) / perBatch
}

// upgradeOf describes the upgrade from the baseline's Kubernetes version to the report's, nil
// when the version did not change.
func upgradeOf(before, after *Report) *Upgrade {
	from, to := clusterVersion(before), clusterVersion(after)
	if from == "" || to == "" || from == to {
		return nil
	}
	old := map[string]Entry{}
	for _, e := range before.Inventory.Resources {
		old[e.URN] = e
	}
	u := &Upgrade{From: from, To: to, Steps: []UpgradeStep{}}
	for _, e := range after.Inventory.Resources {
		prev, existed := old[e.URN]
		step := UpgradeStep{Ref: Ref{URN: e.URN, Type: e.Type, Name: e.Name}}
		switch e.Type {
		case clusterType:
			step.What = fmt.Sprintf("control plane %s → %s", from, to)
			step.Minutes, step.HighMinutes, step.Source = controlPlaneMinutes, controlPlaneHighMinutes, controlPlaneUpdateSource
		case addonType:
			name, _ := settingValue(e, "add-on")
			version, _ := settingValue(e, "version")
			was, _ := settingValue(prev, "version")
			switch {
			case !existed:
				step.What = fmt.Sprintf("add-on %s installed at %s", name, version)
			case was != version:
				step.What = fmt.Sprintf("add-on %s %s → %s", name, orUnpinned(was), version)
			default:
				continue
			}
			step.Minutes, step.HighMinutes, step.Source = addonMinutes, addonHighMinutes, addonUpdateSource
		case nodeGroupType:
			if !existed {
				continue // a new group is created at the new version, not upgraded
			}
			desired, _ := settingValue(e, "desired")
			nodes, _ := strconv.Atoi(desired)
			batches := nodeBatches(nodes)
			step.What = fmt.Sprintf("node group %s → %s, %s in %s of up to %d%%", from, to,
				plural(nodes, "node", "nodes"), plural(batches, "batch", "batches"), cluster.MaxUnavailablePercent)
			step.Minutes, step.HighMinutes = float64(nodeBatchMinutes*batches), float64(nodeBatchHighMinutes*batches)
			if batches == 0 {
				step.Minutes, step.HighMinutes = emptyGroupMinutes, emptyGroupMinutes
			}
			step.Source = nodeGroupUpdateSource
		case nodePoolType:
			if pool, ok := settingValue(e, "pool"); ok {
				u.DriftedPools = append(u.DriftedPools, pool)
			}
			continue
		default:
			continue
		}
		u.Steps = append(u.Steps, step)
	}
	sort.Strings(u.DriftedPools)
	schedule(u, after)
	return u
}

// driftText says what happens to the Karpenter pools' nodes after the upgrade.
func driftText(u *Upgrade) string {
	return fmt.Sprintf("then Karpenter replaces the nodes of %s as drifted (the AMI alias resolves %s's image), "+
		"within each pool's disruption budgets: after `pulumi up`, not part of these times",
		plural(len(u.DriftedPools), "pool", "pools")+" "+strings.Join(u.DriftedPools, ", "), u.To)
}

func orUnpinned(v string) string {
	if v == "" {
		return "(unpinned)"
	}
	return v
}

// schedule orders the steps as the engine runs them: a step starts when every step it waits for
// (through any chain of dependencies in the report's deployment graph) is done.
func schedule(u *Upgrade, after *Report) {
	waits := func(a, b UpgradeStep) bool {
		if after.plan != nil {
			return after.plan.Waits(a.URN, b.URN)
		}
		// Without the graph, the order EKS documents: control plane, add-ons, node groups.
		rank := map[string]int{clusterType: 0, addonType: 1, nodeGroupType: 2}
		return rank[a.Type] > rank[b.Type]
	}
	n := len(u.Steps)
	done := make([]bool, n)
	finish := make([]float64, n)
	high := make([]float64, n)
	for placed := 0; placed < n; {
		progressed := false
		for i := range u.Steps {
			if done[i] {
				continue
			}
			ready, phase, start, highStart := true, 1, 0.0, 0.0
			for j := range u.Steps {
				if i == j || !waits(u.Steps[i], u.Steps[j]) {
					continue
				}
				if !done[j] {
					ready = false
					break
				}
				phase = max(phase, u.Steps[j].Phase+1)
				start, highStart = math.Max(start, finish[j]), math.Max(highStart, high[j])
			}
			if !ready {
				continue
			}
			s := &u.Steps[i]
			s.Phase, s.StartMinutes = phase, round2(start)
			finish[i], high[i] = start+s.Minutes, highStart+s.HighMinutes
			u.TotalMinutes, u.HighMinutes = math.Max(u.TotalMinutes, finish[i]), math.Max(u.HighMinutes, high[i])
			done[i] = true
			placed++
			progressed = true
		}
		if !progressed {
			break // a cycle cannot happen in a deployment graph; leave the rest unplaced
		}
	}
	u.TotalMinutes, u.HighMinutes = round2(u.TotalMinutes), round2(u.HighMinutes)
	sort.SliceStable(u.Steps, func(i, j int) bool {
		a, b := u.Steps[i], u.Steps[j]
		if a.Phase != b.Phase {
			return a.Phase < b.Phase
		}
		return a.Name < b.Name
	})
}

// minor parses "1.35" into 1 and 35.
func minor(v string) (int, int, bool) {
	major, rest, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(rest)
	return a, b, err1 == nil && err2 == nil
}

// checkKubernetesVersionMove refuses what EKS refuses when the baseline's Kubernetes version is
// known: a move of more than one minor version, and any move back (EKS User Guide, "Update
// existing cluster to new Kubernetes version": one minor version at a time, no downgrade).
func checkKubernetesVersionMove(stack, baselineFile string, baseline *Report, to string) error {
	from := clusterVersion(baseline)
	fromMajor, fromMinor, ok1 := minor(from)
	toMajor, toMinor, ok2 := minor(to)
	if !ok1 || !ok2 || from == to {
		return nil
	}
	key := stacks.Key("kubernetesVersion")
	var problem string
	switch {
	case toMajor != fromMajor || toMinor < fromMinor:
		problem = fmt.Sprintf("%s: %s must not go from %s (the baseline %s) back to %s: EKS cannot downgrade a cluster",
			stack, key, from, baselineFile, to)
	case toMinor-fromMinor > 1:
		problem = fmt.Sprintf("%s: %s must move one minor version at a time, got %s after %s (the baseline %s): EKS refuses the jump; deploy %d.%d first",
			stack, key, to, from, baselineFile, fromMajor, fromMinor+1)
	default:
		return nil
	}
	return &ConfigError{Stack: stack, Problems: []string{problem}}
}

// writeUpgradeText prints the upgrade steps in the text report.
func writeUpgradeText(p *printer, u *Upgrade) {
	if u == nil {
		return
	}
	p.f("  Kubernetes %s → %s: %s, about %s min (up to %s):\n", u.From, u.To,
		plural(len(u.Steps), "update", "updates"), minutes(u.TotalMinutes), minutes(u.HighMinutes))
	p.f("  %5s %7s %7s %7s  step\n", "phase", "start", "takes", "up to")
	for _, s := range u.Steps {
		p.f("  %5d %7s %7s %7s  %s %s: %s\n", s.Phase, minutes(s.StartMinutes), minutes(s.Minutes), minutes(s.HighMinutes),
			shortType(s.Type), s.Name, s.What)
	}
	if len(u.DriftedPools) > 0 {
		p.f("  %s\n", upperFirst(driftText(u)))
	}
	sources := map[string]bool{}
	for _, s := range u.Steps {
		if !sources[s.Source] {
			sources[s.Source] = true
			p.f("    source: %s\n", s.Source)
		}
	}
}

// writeUpgradeMarkdown prints the upgrade steps in the Markdown report.
func writeUpgradeMarkdown(p *printer, u *Upgrade) {
	if u == nil {
		return
	}
	p.f("\n**Kubernetes %s → %s**: %s in this order, about %s min (up to %s). Steps of one phase run in parallel.\n\n",
		u.From, u.To, plural(len(u.Steps), "update", "updates"), minutes(u.TotalMinutes), minutes(u.HighMinutes))
	p.f("| Phase | Resource | Step | Starts (min) | Takes (min) | Up to (min) |\n|---:|---|---|---:|---:|---:|\n")
	for _, s := range u.Steps {
		p.f("| %d | %s | %s | %s | %s | %s |\n", s.Phase, cell(s.Name+" ("+shortType(s.Type)+")"), cell(s.What),
			minutes(s.StartMinutes), minutes(s.Minutes), minutes(s.HighMinutes))
	}
	if len(u.DriftedPools) > 0 {
		p.f("\n%s.\n", upperFirst(driftText(u)))
	}
	p.f("\n<details><summary>Sources of the times</summary>\n\n")
	sources := map[string]bool{}
	for _, s := range u.Steps {
		if !sources[s.Source] {
			sources[s.Source] = true
			p.f("- %s\n", cell(s.Source))
		}
	}
	p.f("\n</details>\n")
}
