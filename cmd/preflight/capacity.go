package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/novacron/platform/internal/pricing"
	"github.com/novacron/platform/stacks"
)

// CapacitySection answers, for each Karpenter pool, whether ten times the services' declared
// baseline fits inside the pool's limits, in Karpenter's own arithmetic of what a node offers.
type CapacitySection struct {
	// Method names where the node arithmetic comes from.
	Method                  string  `json:"method"`
	VMMemoryOverheadPercent float64 `json:"vmMemoryOverheadPercent"`
	EvictionHardMemoryMiB   int64   `json:"evictionHardMemoryMiB"`
	// DaemonSets are the per-node requests assumed on every node, with their sources, and
	// DaemonSetOverhead their sum.
	DaemonSets        []pricing.DaemonSet `json:"daemonSets"`
	DaemonSetOverhead pricing.Load        `json:"daemonSetOverhead"`
	Pools             []CapacityPool      `json:"pools"`
}

// CapacityPool is one pool's figures and the answer.
type CapacityPool struct {
	pricing.Pool
	// MaxNodesKey is the configuration key the pool's limits derive from; BaselineKeys declare
	// its baseline.
	MaxNodesKey  string   `json:"maxNodesKey"`
	BaselineKeys []string `json:"baselineKeys"`
	// Answer is "10x fits: ..." or "10x does not fit: needs N nodes, raise <key> to N ...".
	Answer string `json:"answer"`
}

// capacityMethod cites the arithmetic.
const capacityMethod = "Karpenter's node arithmetic for AL2023 (aws/karpenter-provider-aws v1.14.1, " +
	"pkg/providers/instancetype/types.go): allocatable = vCPUs and memory less " +
	"7.5% VM overhead, kube-reserved (CPU by core ranges; 11 MiB per pod + 255 MiB) and the 100Mi eviction threshold; " +
	"the DaemonSets' requests come off every node; limits count node capacity (kubernetes-sigs/karpenter v1.14.1 " +
	"scheduler.go, filterByRemainingResources)"

// poolConfig is what the stack configuration declares about one pool.
type poolConfig struct {
	baseline     pricing.Load
	maxNodesKey  string
	baselineKeys []string
}

// poolConfigs maps the stack's declared baselines to its pools. The keys follow the stacks
// package's names for pool settings ("nodePools.general.maxNodes" is generalMaxNodes).
func poolConfigs(cfg *stacks.Config) map[string]poolConfig {
	b := cfg.Baseline
	return map[string]poolConfig{
		"general": {
			baseline:     pricing.Load{MilliCPU: int64(b.GeneralVcpus) * 1000, MemoryMiB: int64(b.GeneralMemoryGib) * 1024},
			maxNodesKey:  "generalMaxNodes",
			baselineKeys: []string{"generalBaselineVcpus", "generalBaselineMemoryGib"},
		},
		"ml": {
			baseline:     pricing.Load{GPUs: int64(b.MlGpus)},
			maxNodesKey:  "mlMaxNodes",
			baselineKeys: []string{"mlBaselineGpus"},
		},
	}
}

func baselinesOf(pools map[string]poolConfig) map[string]pricing.Load {
	out := map[string]pricing.Load{}
	for name, p := range pools {
		out[name] = p.baseline
	}
	return out
}

// capacitySection builds the section from the estimate's pools; nil when there is no pool.
func capacitySection(pools []pricing.Pool, configs map[string]poolConfig) *CapacitySection {
	if len(pools) == 0 {
		return nil
	}
	s := &CapacitySection{
		Method:                  capacityMethod,
		VMMemoryOverheadPercent: pricing.VMMemoryOverheadPercent,
		EvictionHardMemoryMiB:   pricing.EvictionHardMemoryMiB,
		DaemonSets:              pricing.DaemonSets,
		DaemonSetOverhead:       pricing.DaemonSetOverhead(),
	}
	for _, p := range pools {
		c := configs[p.Name]
		key := c.maxNodesKey
		if key == "" {
			key = p.Name + "MaxNodes"
		}
		s.Pools = append(s.Pools, CapacityPool{Pool: p, MaxNodesKey: key, BaselineKeys: c.baselineKeys,
			Answer: capacityAnswer(p, key)})
	}
	return s
}

// capacityAnswer says whether ten times the baseline fits, and what to change when it does not.
func capacityAnswer(p pricing.Pool, key string) string {
	switch {
	case p.Node == nil:
		return "not answered: " + strings.Join(p.Problems, "; ")
	case p.Baseline.IsZero():
		return fmt.Sprintf("10x fits: no steady load is declared, the pool holds up to %s for work that comes and goes",
			plural(int(p.NodesAtLimit), "node", "nodes"))
	case p.NodesForTenX == 0 && !p.TenXFits:
		return fmt.Sprintf("10x does not fit: %s offers none of what the baseline asks for", p.Node.InstanceType)
	case p.TenXFits:
		return fmt.Sprintf("10x fits: needs %d of %d %s nodes; headroom at the limit %s",
			p.NodesForTenX, p.NodesAtLimit, p.Node.InstanceType, loadText(p.Headroom, p.Baseline))
	}
	return fmt.Sprintf("10x does not fit: needs %d nodes, raise %s to %d (the limit of %d %s nodes is %s short)",
		p.NodesForTenX, key, p.NodesForTenX, p.NodesAtLimit, p.Node.InstanceType, shortfall(p.Headroom, p.Baseline))
}

// loadText prints the resources a baseline asks for: "5.65 vCPU, 69.8 GiB".
func loadText(l, asked pricing.Load) string {
	var parts []string
	if asked.MilliCPU > 0 {
		parts = append(parts, vcpus(l.MilliCPU))
	}
	if asked.MemoryMiB > 0 {
		parts = append(parts, gib(l.MemoryMiB))
	}
	if asked.GPUs > 0 {
		parts = append(parts, plural(int(l.GPUs), "GPU", "GPUs"))
	}
	return strings.Join(parts, ", ")
}

// shortfall prints what the headroom lacks, resource by resource.
func shortfall(headroom, asked pricing.Load) string {
	var parts []string
	if asked.MilliCPU > 0 && headroom.MilliCPU < 0 {
		parts = append(parts, vcpus(-headroom.MilliCPU))
	}
	if asked.MemoryMiB > 0 && headroom.MemoryMiB < 0 {
		parts = append(parts, gib(-headroom.MemoryMiB))
	}
	if asked.GPUs > 0 && headroom.GPUs < 0 {
		parts = append(parts, plural(int(-headroom.GPUs), "GPU", "GPUs"))
	}
	return strings.Join(parts, " and ")
}

// vcpus prints millicores as vCPUs: 3565 → "3.565 vCPU", 30000 → "30 vCPU".
func vcpus(milli int64) string {
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64) + " vCPU"
}

// gib prints MiB as GiB with one decimal: 13290 → "13 GiB", 71460 → "69.8 GiB".
func gib(mib int64) string {
	s := strconv.FormatFloat(float64(mib)/1024, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " GiB"
}

// nodeText prints an instance type's size: "4 vCPU, 16 GiB, 1 GPU".
func nodeText(n pricing.NodeShape) string {
	return loadAll(pricing.Load{MilliCPU: n.VCPUs * 1000, MemoryMiB: n.MemoryMiB, GPUs: n.GPUs})
}

// loadAll prints every resource of a load that is set.
func loadAll(l pricing.Load) string {
	parts := []string{vcpus(l.MilliCPU), gib(l.MemoryMiB)}
	if l.GPUs != 0 {
		parts = append(parts, plural(int(l.GPUs), "GPU", "GPUs"))
	}
	return strings.Join(parts, ", ")
}

// poolCostText is the month from baseline to limit, instances and root volumes.
func poolCostText(p pricing.Pool) string {
	b, l := p.Cost.Baseline, p.Cost.Limit
	if !b.Priced || !l.Priced {
		return "not priced: " + joinNonEmpty("no price for "+b.PriceID, strings.Join(p.Problems, "; "))
	}
	s := fmt.Sprintf("%s a month at the baseline of %s to %s at the limit of %s (instances and root volumes",
		money(b.TotalUSD), plural(int(b.Nodes), "node", "nodes"), money(l.TotalUSD), plural(int(l.Nodes), "node", "nodes"))
	if a := p.Cost.Spot; a != nil {
		s += fmt.Sprintf("; assumption: Spot %g%% below on-demand (%s), interruption frequency %s; "+
			"if Spot has no capacity Karpenter falls back to on-demand: %s for the instances at the limit",
			a.SavingPercent, a.Source, a.InterruptionBand, money(a.OnDemandLimitUSD))
	} else {
		s += ", on-demand"
	}
	return s + ")"
}

// limitsText prints a pool's limits and the nodes they admit.
func limitsText(p pricing.Pool) string {
	parts := []string{vcpus(p.Limits.MilliCPU), gib(p.Limits.MemoryMiB)}
	if p.Limits.GPUs > 0 {
		parts = append(parts, plural(int(p.Limits.GPUs), "GPU", "GPUs"))
	}
	return fmt.Sprintf("%s = %s", strings.Join(parts, ", "), plural(int(p.NodesAtLimit), "node", "nodes"))
}

// baselineText prints the declared baseline and the nodes it needs.
func baselineText(p CapacityPool) string {
	if p.Baseline.IsZero() {
		return "none declared (" + strings.Join(p.BaselineKeys, ", ") + " = 0)"
	}
	s := loadText(p.Baseline, p.Baseline) + " (" + strings.Join(p.BaselineKeys, ", ") + "): " +
		plural(int(p.NodesForBaseline), "node", "nodes")
	if p.BaselineNodes > p.NodesForBaseline {
		s += fmt.Sprintf(", billed at the floor of %d", p.BaselineNodes)
	}
	return s
}

func typesText(p pricing.Pool) string {
	return strings.Join(p.InstanceTypes, ", ") + ", " + p.CapacityType
}

// writeCapacityText prints the capacity section in the text report.
func writeCapacityText(p *printer, c *CapacitySection) {
	if c == nil {
		return
	}
	p.f("\n5. Node pool capacity: does ten times the declared baseline fit inside each pool's limits?\n")
	for _, pool := range c.Pools {
		p.f("  %s: %s; floor %d; limits %s (%s)\n", pool.Name, typesText(pool.Pool), pool.Floor, limitsText(pool.Pool), pool.MaxNodesKey)
		if n := pool.Node; n != nil {
			p.f("    per %s node: %s; %s (%g%% VM overhead); allocatable %s; %s after the DaemonSets\n", n.InstanceType,
				nodeText(*n), gib(n.Capacity.MemoryMiB)+" counted", c.VMMemoryOverheadPercent, loadAll(n.Allocatable), loadAll(n.ForServices))
			p.f("    at the limit: %s for the services\n", loadAll(pool.AtLimit))
		}
		if pool.Baseline.IsZero() {
			p.f("    baseline: %s\n", baselineText(pool))
		} else {
			p.f("    baseline: %s; 10x: %s\n", baselineText(pool), loadText(pool.TenX, pool.Baseline))
		}
		p.f("    %s\n", pool.Answer)
		p.f("    cost: %s\n", poolCostText(pool.Pool))
		for _, pr := range pool.Problems {
			p.f("    note: %s\n", pr)
		}
	}
	p.f("  Requests every node gives the platform's DaemonSets (%dm CPU, %dMi memory):\n", c.DaemonSetOverhead.MilliCPU, c.DaemonSetOverhead.MemoryMiB)
	for _, d := range c.DaemonSets {
		p.f("    %-24s %6dm %6dMi  %s\n", d.Name, d.MilliCPU, d.MemoryMiB, d.Source)
	}
	p.f("  Method: %s.\n", c.Method)
}

// writeCapacityMarkdown prints the capacity section in the Markdown report.
func writeCapacityMarkdown(p *printer, c *CapacitySection) {
	if c == nil {
		return
	}
	p.f("\n#### 5. Node pool capacity\n\nDoes ten times the declared baseline fit inside each pool's limits?\n\n")
	p.f("| Pool | Instances | Floor | Limits (key) | For the services at the limit | Baseline | 10x | Answer |\n|---|---|---:|---|---|---|---|---|\n")
	for _, pool := range c.Pools {
		atLimit := ""
		if pool.Node != nil {
			atLimit = loadAll(pool.AtLimit)
		}
		tenX := "none"
		if !pool.Baseline.IsZero() {
			tenX = loadText(pool.TenX, pool.Baseline)
		}
		p.f("| %s | %s | %d | %s (`%s`) | %s | %s | %s | %s |\n", pool.Name, cell(typesText(pool.Pool)), pool.Floor,
			cell(limitsText(pool.Pool)), pool.MaxNodesKey, cell(atLimit), cell(baselineText(pool)), cell(tenX), cell(pool.Answer))
	}
	p.f("\n| Pool | Month at the baseline → at the limit |\n|---|---|\n")
	for _, pool := range c.Pools {
		p.f("| %s | %s |\n", pool.Name, cell(poolCostText(pool.Pool)))
	}
	p.f("\n<details><summary>Per node: Karpenter's arithmetic and the DaemonSets' requests</summary>\n\n")
	p.f("| Pool | Instance type | Size | Counted by Karpenter | Allocatable | After the DaemonSets | Max pods |\n|---|---|---|---|---|---|---:|\n")
	for _, pool := range c.Pools {
		if n := pool.Node; n != nil {
			p.f("| %s | %s | %s | %s | %s | %s | %d |\n", pool.Name, n.InstanceType, nodeText(*n), loadAll(n.Capacity),
				loadAll(n.Allocatable), loadAll(n.ForServices), n.MaxPods)
		}
	}
	p.f("\n| DaemonSet | CPU | Memory | Source |\n|---|---:|---:|---|\n")
	for _, d := range c.DaemonSets {
		p.f("| %s | %dm | %dMi | %s |\n", d.Name, d.MilliCPU, d.MemoryMiB, cell(d.Source))
	}
	p.f("| **every node** | **%dm** | **%dMi** | |\n", c.DaemonSetOverhead.MilliCPU, c.DaemonSetOverhead.MemoryMiB)
	p.f("\n%s.\n\n</details>\n", upperFirst(c.Method))
}
