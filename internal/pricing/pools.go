package pricing

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/novacron/platform/internal/mock"
)

// Karpenter's objects, as the program registers them (kubernetes CustomResources), and the
// Deployment that holds a pool's floor.
const (
	tNodePool     = "kubernetes:karpenter.sh/v1:NodePool"
	tEC2NodeClass = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
	tDeployment   = "kubernetes:apps/v1:Deployment"
	tSQSQueue     = "aws:sqs/queue:Queue"
	tEventRule    = "aws:cloudwatch/eventRule:EventRule"
	// floorPrefix names the Deployment of placeholder pods that keeps a pool's floor
	// (components/karpenter FloorDeployment: "capacity-floor-<pool>").
	floorPrefix = "capacity-floor-"
	// Requirement keys of a NodePool template (well-known labels).
	keyInstanceType = "node.kubernetes.io/instance-type"
	keyCapacityType = "karpenter.sh/capacity-type"
	capacitySpot    = "spot"
	capacityOnDem   = "on-demand"
)

// Pool is one Karpenter NodePool: what it may launch, what a month of it costs from its
// baseline to its limit, and whether ten times the declared baseline fits inside its limits.
type Pool struct {
	Name string `json:"name"`
	URN  string `json:"urn"`
	// InstanceTypes and CapacityType come from the template's requirements; a Spot pool also
	// allows on-demand, which Karpenter uses only when no Spot capacity fits.
	InstanceTypes []string `json:"instanceTypes"`
	CapacityType  string   `json:"capacityType"`
	// Floor is the replica count of the pool's placeholder Deployment: nodes kept when idle.
	Floor int64 `json:"floor"`
	// Limits are the NodePool's spec.limits (vCPUs as millicores, memory in MiB, GPUs).
	Limits Load `json:"limits"`
	// DiskGiB is each node's root volume, from the EC2NodeClass the pool names.
	DiskGiB float64 `json:"diskGiB"`
	// Node is the instance type the limits are counted in (the pool's largest), NodesAtLimit how
	// many of it the limits admit, and AtLimit what those nodes leave for the services.
	Node         *NodeShape `json:"node,omitempty"`
	NodesAtLimit int64      `json:"nodesAtLimit"`
	AtLimit      Load       `json:"atLimit"`
	// Baseline is the declared steady load of the services; TenX ten times it. BaselineNodes is
	// the larger of the floor and the nodes of the cheapest type the baseline needs.
	Baseline         Load  `json:"baseline"`
	TenX             Load  `json:"tenX"`
	NodesForBaseline int64 `json:"nodesForBaseline"`
	BaselineNodes    int64 `json:"baselineNodes"`
	// NodesForTenX counts nodes of the limit type that hold TenX; TenXFits says whether the
	// limits admit that many, and Headroom is AtLimit less TenX (negative where it falls short).
	NodesForTenX int64    `json:"nodesForTenX"`
	TenXFits     bool     `json:"tenXFits"`
	Headroom     Load     `json:"headroom"`
	Cost         PoolCost `json:"cost"`
	// Problems say what could not be worked out (an instance type without data, no limits).
	Problems []string `json:"problems,omitempty"`
}

// PoolCost is a month of a pool at its baseline and at its limit.
type PoolCost struct {
	Baseline PoolMonth `json:"baseline"`
	Limit    PoolMonth `json:"limit"`
	// Spot is the assumption a Spot pool is priced with; nil for an on-demand pool.
	Spot *SpotAssumption `json:"spot,omitempty"`
}

// PoolMonth is a month of Nodes nodes of InstanceType: instance hours and root volumes.
type PoolMonth struct {
	Nodes        int64   `json:"nodes"`
	InstanceType string  `json:"instanceType"`
	PriceID      string  `json:"priceId,omitempty"`
	Priced       bool    `json:"priced"`
	InstancesUSD float64 `json:"instancesUSD"`
	VolumesUSD   float64 `json:"volumesUSD"`
	TotalUSD     float64 `json:"totalUSD"`
}

// SpotAssumption is the saving a Spot pool is priced with, and what its limit would cost if
// Spot had no capacity and Karpenter fell back to on-demand.
type SpotAssumption struct {
	SavingPercent    float64 `json:"savingPercent"`
	InterruptionBand string  `json:"interruptionBand,omitempty"`
	Source           string  `json:"source"`
	AsOf             string  `json:"asOf"`
	OnDemandLimitUSD float64 `json:"onDemandLimitUSD,omitempty"`
}

// poolIndex holds what prices a pool besides its NodePool: the EC2NodeClasses and the floors,
// by name.
type poolIndex struct {
	nodeClasses map[string]*mock.Resource
	floors      map[string]int64
}

func indexPools(records []*mock.Resource) poolIndex {
	ix := poolIndex{nodeClasses: map[string]*mock.Resource{}, floors: map[string]int64{}}
	for _, r := range records {
		switch r.Type {
		case tEC2NodeClass:
			ix.nodeClasses[str(r.Inputs, "metadata.name")] = r
		case tDeployment:
			if pool, ok := strings.CutPrefix(str(r.Inputs, "metadata.name"), floorPrefix); ok {
				if n, ok := num(r.Inputs, "spec.replicas"); ok && n >= 0 && n < math.MaxInt32 {
					ix.floors[pool] = int64(n)
				}
			}
		}
	}
	return ix
}

// requirementValues returns the values of the template requirement on key ("In" only).
func requirementValues(pm resource.PropertyMap, key string) []string {
	reqs, ok := lookup(pm, "spec.template.spec.requirements")
	if !ok || !reqs.IsArray() {
		return nil
	}
	var out []string
	for _, e := range reqs.ArrayValue() {
		if e = plain(e); !e.IsObject() {
			continue
		}
		obj := e.ObjectValue()
		if str(obj, "key") == key && str(obj, "operator") == "In" {
			out = append(out, strs(obj, "values")...)
		}
	}
	return out
}

// limitsOf reads a NodePool's spec.limits; the GPU key holds dots, so the object is read whole.
func limitsOf(pm resource.PropertyMap) (Load, bool) {
	v, ok := lookup(pm, "spec.limits")
	if !ok || !v.IsObject() {
		return Load{}, false
	}
	obj := v.ObjectValue()
	text := func(key string) string {
		e, ok := obj[resource.PropertyKey(key)]
		if !ok {
			return ""
		}
		switch e = plain(e); {
		case e.IsString():
			return e.StringValue()
		case e.IsNumber():
			return strconv.FormatFloat(e.NumberValue(), 'f', -1, 64)
		}
		return ""
	}
	var l Load
	var okCPU, okMem, okGPU bool
	l.MilliCPU, okCPU = milliCores(text("cpu"))
	l.MemoryMiB, okMem = mebibytes(text("memory"))
	if g := text("nvidia.com/gpu"); g != "" {
		l.GPUs, okGPU = wholeCount(g)
	}
	return l, okCPU || okMem || okGPU
}

// milliCores parses a CPU quantity ("40", "500m", "1.5").
func milliCores(q string) (int64, bool) {
	q = strings.TrimSpace(q)
	if n, ok := strings.CutSuffix(q, "m"); ok {
		f, err := strconv.ParseFloat(n, 64)
		return int64(math.Ceil(f)), err == nil && f >= 0 && f < 1e15
	}
	f, err := strconv.ParseFloat(q, 64)
	return int64(math.Ceil(f * 1000)), err == nil && f >= 0 && f < 1e12
}

// mebibytes parses a memory quantity ("163840Mi", "16Gi", or bytes) into MiB, rounded down.
func mebibytes(q string) (int64, bool) {
	if gib, ok := gibibytes(q); ok && gib < 1e12 {
		return int64(gib * 1024), true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
	if err != nil || !(f >= 0) || f > 1e18 {
		return 0, false
	}
	return int64(f / (1 << 20)), true
}

func wholeCount(q string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(q), 10, 64)
	return n, err == nil && n >= 0
}

// pool prices a Karpenter NodePool and answers its capacity question. Its instance hours are
// billed at the baseline: the floor, or more nodes if the declared baseline needs them.
func (e *estimator) pool(r *mock.Resource) {
	name := str(r.Inputs, "metadata.name")
	p := Pool{
		Name: name, URN: r.URN, InstanceTypes: requirementValues(r.Inputs, keyInstanceType),
		CapacityType: capacityOnDem, Floor: e.pools.floors[name], Baseline: e.opts.Baselines[name],
	}
	for _, ct := range requirementValues(r.Inputs, keyCapacityType) {
		if ct == capacitySpot {
			p.CapacityType = capacitySpot
		}
	}
	p.TenX = p.Baseline.times(10)
	limits, ok := limitsOf(r.Inputs)
	p.Limits = limits
	if !ok {
		p.Problems = append(p.Problems, "spec.limits not readable: the pool is unbounded")
	}
	volType := ""
	if nc := e.pools.nodeClasses[str(r.Inputs, "spec.template.spec.nodeClassRef.name")]; nc != nil {
		if size, ok := gibibytes(str(nc.Inputs, "spec.blockDeviceMappings.0.ebs.volumeSize")); ok {
			p.DiskGiB = size
		}
		volType = str(nc.Inputs, "spec.blockDeviceMappings.0.ebs.volumeType")
	}

	// The limits are counted in the largest type; the baseline is bought in the cheapest.
	var largest, cheapest *NodeShape
	cheapestUSD := math.Inf(1)
	for _, it := range p.InstanceTypes {
		s, ok := Shape(it)
		if !ok {
			p.Problems = append(p.Problems, fmt.Sprintf("%s: vCPUs, memory or pod density not in the repository's tables", it))
			continue
		}
		if largest == nil || s.VCPUs > largest.VCPUs || (s.VCPUs == largest.VCPUs && s.MemoryMiB > largest.MemoryMiB) {
			largest = &s
		}
		usd := math.Inf(1)
		if pr, ok := e.table.Price(ec2ID(it)); ok {
			usd = pr.USD
		}
		if cheapest == nil || usd < cheapestUSD {
			c := s
			cheapest, cheapestUSD = &c, usd
		}
	}
	if len(p.InstanceTypes) == 0 {
		p.Problems = append(p.Problems, "no instance type in the requirements")
	}

	p.BaselineNodes = p.Floor
	if cheapest != nil {
		if n, ok := nodesFor(p.Baseline, *cheapest); ok {
			p.NodesForBaseline = n
			p.BaselineNodes = max(p.Floor, n)
		} else {
			p.Problems = append(p.Problems, fmt.Sprintf("%s offers no GPU for the baseline's GPUs", cheapest.InstanceType))
		}
	}
	if largest != nil {
		p.Node = largest
		p.NodesAtLimit = nodesAtLimit(p.Limits, *largest)
		p.AtLimit = largest.ForServices.times(p.NodesAtLimit)
		p.Headroom = p.AtLimit.minus(p.TenX)
		if n, ok := nodesFor(p.TenX, *largest); ok {
			p.NodesForTenX = n
			p.TenXFits = n <= p.NodesAtLimit
		}
	}

	e.poolCost(r, &p, cheapest, largest, volType)
	e.poolList = append(e.poolList, p)
}

// poolCost adds the pool's lines: instance hours and root volumes at the baseline, each with
// the month at the limit in its note and as data.
func (e *estimator) poolCost(r *mock.Resource, p *Pool, cheapest, largest *NodeShape, volType string) {
	spot := p.CapacityType == capacitySpot
	capacity := "on-demand"
	if spot {
		capacity = "Spot"
	}
	month := func(n int64, s *NodeShape) PoolMonth {
		m := PoolMonth{Nodes: n}
		if vol, ok := e.table.Price(idEBSgp3); ok && volType == "gp3" {
			m.VolumesUSD = cents(float64(n) * p.DiskGiB * vol.USD)
		}
		m.TotalUSD = m.VolumesUSD
		if s == nil {
			return m
		}
		m.InstanceType = s.InstanceType
		id := ec2ID(s.InstanceType)
		if spot {
			id = spotID(s.InstanceType)
		}
		m.PriceID = id
		if pr, ok := e.table.Price(id); ok {
			m.Priced = true
			m.InstancesUSD = cents(float64(n) * HoursPerMonth * pr.USD)
		}
		m.TotalUSD = cents(m.InstancesUSD + m.VolumesUSD)
		return m
	}
	p.Cost.Baseline = month(p.BaselineNodes, cheapest)
	p.Cost.Limit = month(p.NodesAtLimit, largest)
	if spot && cheapest != nil {
		if s, ok := e.spotSaving(cheapest.InstanceType); ok {
			a := &SpotAssumption{SavingPercent: s.Percent, InterruptionBand: s.InterruptionBand, Source: s.Source, AsOf: s.AsOf}
			if largest != nil {
				if pr, ok := e.table.Price(ec2ID(largest.InstanceType)); ok {
					a.OnDemandLimitUSD = cents(float64(p.NodesAtLimit) * HoursPerMonth * pr.USD)
				}
			}
			p.Cost.Spot = a
		}
	}

	if cheapest == nil {
		e.unpriced(r, "Karpenter pool instances", joinNote("no instance type with known capacity", strings.Join(p.Problems, "; ")))
		e.poolVolumes(r, p, volType)
		return
	}
	item := fmt.Sprintf("Karpenter pool instances (%s, %s)", cheapest.InstanceType, capacity)
	note := fmt.Sprintf("baseline of %d nodes, the pool's floor (the declared baseline needs %d), × 730 h",
		p.BaselineNodes, p.NodesForBaseline)
	if p.BaselineNodes > p.Floor {
		note = fmt.Sprintf("baseline of %d nodes, what the declared baseline needs (floor %d), × 730 h", p.BaselineNodes, p.Floor)
	}
	if spot {
		if a := p.Cost.Spot; a != nil {
			note += fmt.Sprintf("; assumption: Spot %g%% below on-demand (%s, as of %s), Spot prices move", a.SavingPercent, a.Source, a.AsOf)
		} else {
			e.unpriced(r, item, joinNote(note, "Spot capacity: no Spot saving for "+cheapest.InstanceType+" in "+e.region+" in the table"))
			e.poolVolumes(r, p, volType)
			return
		}
	}
	if p.Cost.Baseline.Priced && p.Cost.Limit.Priced {
		note += fmt.Sprintf("; %s at the baseline of %d nodes to %s at the limit of %d nodes",
			dollars(p.Cost.Baseline.InstancesUSD), p.BaselineNodes, dollars(p.Cost.Limit.InstancesUSD), p.NodesAtLimit)
		if a := p.Cost.Spot; a != nil && a.OnDemandLimitUSD > 0 {
			note += fmt.Sprintf(" (%s at the limit if Spot has no capacity and Karpenter falls back to on-demand)", dollars(a.OnDemandLimitUSD))
		}
	}
	e.fixed(r, item, p.Cost.Baseline.PriceID, float64(p.BaselineNodes)*HoursPerMonth, "hour", note)
	e.setRange(p.Cost.Baseline.InstancesUSD, p.Cost.Limit.InstancesUSD, p)
	e.poolVolumes(r, p, volType)
}

// poolVolumes prices the root volumes of the pool's baseline nodes.
func (e *estimator) poolVolumes(r *mock.Resource, p *Pool, volType string) {
	if p.DiskGiB == 0 {
		e.unpriced(r, "Karpenter pool root volumes", "no root volume size in the EC2NodeClass")
		return
	}
	note := fmt.Sprintf("%d × %g GB", p.BaselineNodes, p.DiskGiB)
	if volType == "gp3" && p.Cost.Limit.VolumesUSD > 0 {
		note += fmt.Sprintf("; %s at the limit of %d nodes", dollars(p.Cost.Limit.VolumesUSD), p.NodesAtLimit)
	}
	before := len(e.lines)
	e.volume(r, "Karpenter pool root volumes", volType, p.DiskGiB, float64(p.BaselineNodes), note)
	if len(e.lines) > before && e.lines[len(e.lines)-1].Kind == Fixed {
		e.setRange(p.Cost.Baseline.VolumesUSD, p.Cost.Limit.VolumesUSD, p)
	}
}

// setRange attaches the baseline-to-limit range to the last line.
func (e *estimator) setRange(low, high float64, p *Pool) {
	l := &e.lines[len(e.lines)-1]
	if l.Kind != Fixed {
		return
	}
	l.Range = &Range{LowNodes: p.BaselineNodes, HighNodes: p.NodesAtLimit, LowUSD: low, HighUSD: high}
}

// Range is what a line costs from a pool's baseline to its limit.
type Range struct {
	LowNodes  int64   `json:"lowNodes"`
	HighNodes int64   `json:"highNodes"`
	LowUSD    float64 `json:"lowUSD"`
	HighUSD   float64 `json:"highUSD"`
}

// dollars prints an amount for a note: $1,401.60.
func dollars(x float64) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return "$" + b.String() + "." + frac
}

func sortPools(ps []Pool) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
}
