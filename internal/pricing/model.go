package pricing

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/novacron/platform/internal/mock"
)

// Kind says how a cost line counts.
type Kind string

// Line kinds.
const (
	// Fixed lines have a monthly amount from the price table; they make up the total.
	Fixed Kind = "fixed"
	// Usage lines depend on traffic or data volume: the unit price is shown, never a guess of
	// the quantity, and they are not in the total.
	Usage Kind = "usage"
	// NoPrice lines are priced resources for which the table has no figure (another instance
	// class, another region); they are listed so that the total is known to be incomplete.
	NoPrice Kind = "no-price"
)

// Line is one priced item of one resource.
type Line struct {
	URN  string `json:"urn,omitempty"`
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
	// Item says what is billed ("EKS control plane", "Node root volumes").
	Item string `json:"item"`
	Kind Kind   `json:"kind"`
	// Quantity is in Unit per month (instance-hours, GB-months); MonthlyUSD = Quantity ×
	// UnitPriceUSD, rounded to cents. Usage lines have no quantity.
	Quantity     float64 `json:"quantity,omitempty"`
	Unit         string  `json:"unit,omitempty"`
	PriceID      string  `json:"priceId,omitempty"`
	UnitPriceUSD float64 `json:"unitPriceUSD,omitempty"`
	MonthlyUSD   float64 `json:"monthlyUSD"`
	Note         string  `json:"note,omitempty"`
	// Range is what the line costs from its pool's baseline to its limit (Karpenter pools).
	Range *Range `json:"range,omitempty"`
}

// TypeCount counts the resources of one type.
type TypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// Estimate is the monthly cost of one stack.
type Estimate struct {
	Region          string `json:"region"`
	Currency        string `json:"currency"`
	HoursPerMonth   int    `json:"hoursPerMonth"`
	PriceTableDate  string `json:"priceTableDate,omitempty"`
	PricesAvailable bool   `json:"pricesAvailable"`
	// TotalMonthlyUSD is the sum of the Fixed lines.
	TotalMonthlyUSD float64 `json:"totalMonthlyUSD"`
	Lines           []Line  `json:"lines"`
	// NotModelled counts the custom resources the model does not price: most carry no charge of
	// their own (IAM, security groups, Kubernetes objects); the rest are listed for review.
	NotModelled []TypeCount `json:"notModelled"`
	// Prices are the table entries the lines use, with their sources.
	Prices []Price `json:"prices"`
	// Pools are the Karpenter NodePools: their cost from baseline to limit and their capacity.
	// Reports carry them in a section of their own.
	Pools []Pool `json:"-"`
}

// Options are what the estimate needs besides the records.
type Options struct {
	// Baselines are the services' declared steady loads per NodePool name: a pool is billed at
	// the nodes its baseline needs when they are more than its floor. Default: none.
	Baselines map[string]Load
}

// Fixed returns the lines included in the total.
func (e *Estimate) Fixed() []Line { return e.kind(Fixed) }

// UsageBased returns the usage-priced lines.
func (e *Estimate) UsageBased() []Line { return e.kind(Usage) }

// Unpriced returns the lines without a price.
func (e *Estimate) Unpriced() []Line { return e.kind(NoPrice) }

func (e *Estimate) kind(k Kind) []Line {
	var out []Line
	for _, l := range e.Lines {
		if l.Kind == k {
			out = append(out, l)
		}
	}
	return out
}

// Type tokens the model prices.
const (
	tEKSComponent   = "eks:index:Cluster"
	tEKSCluster     = "aws:eks/cluster:Cluster"
	tNodeGroup      = "aws:eks/nodeGroup:NodeGroup"
	tManagedNG      = "eks:index:ManagedNodeGroup"
	tLaunchTemplate = "aws:ec2/launchTemplate:LaunchTemplate"
	tRDSInstance    = "aws:rds/instance:Instance"
	tRDSCluster     = "aws:rds/cluster:Cluster"
	tNATGateway     = "aws:ec2/natGateway:NatGateway"
	tEIP            = "aws:ec2/eip:Eip"
	tVPCEndpoint    = "aws:ec2/vpcEndpoint:VpcEndpoint"
	tKMSKey         = "aws:kms/key:Key"
	tSecret         = "aws:secretsmanager/secret:Secret"
	tBucketV2       = "aws:s3/bucketV2:BucketV2"
	tBucket         = "aws:s3/bucket:Bucket"
	tLogGroup       = "aws:cloudwatch/logGroup:LogGroup"
	tEBSVolume      = "aws:ebs/volume:Volume"
	tHelmRelease    = "kubernetes:helm.sh/v3:Release"
	tPVC            = "kubernetes:core/v1:PersistentVolumeClaim"
	tECRRepository  = "aws:ecr/repository:Repository"
	tBackupVault    = "aws:backup/vault:Vault"

	// The account baseline (account/).
	tTrail            = "aws:cloudtrail/trail:Trail"
	tConfigRecorder   = "aws:cfg/recorder:Recorder"
	tConfigRule       = "aws:cfg/rule:Rule"
	tConformancePack  = "aws:cfg/conformancePack:ConformancePack"
	tMetricAlarm      = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tGuardDuty        = "aws:guardduty/detector:Detector"
	tSecurityHub      = "aws:securityhub/account:Account"
	tInspectorEnabler = "aws:inspector2/enabler:Enabler"
)

// noCharge starts the note of a usage line whose usage is free: reports print the note alone.
const noCharge = "no charge: "

// NoCharge reports whether a usage line's usage is free.
func (l Line) NoCharge() bool { return strings.HasPrefix(l.Note, noCharge) }

// Chart names whose resources the model prices from Helm values.
const (
	chartKubePrometheusStack = "kube-prometheus-stack"
	chartLBController        = "aws-load-balancer-controller"
	chartLoki                = "loki"
	chartTempo               = "tempo"
)

// tempoRetention finds the compactor's block retention in Tempo's configuration file.
var tempoRetention = regexp.MustCompile(`block_retention:\s*"?([0-9]+h)"?`)

// store prices a log or trace store that keeps its data in S3: its write-ahead-log volume is
// fixed; its bucket is priced as S3 storage on the bucket itself, and the requests it makes
// there are usage-based.
func (e *estimator) store(r *mock.Resource, what, volumePath, retention, writes, reads string) {
	if q := str(r.Inputs, volumePath); q != "" {
		if size, ok := gibibytes(q); ok {
			e.fixed(r, what+" write-ahead log "+q+" (gp3)", idEBSgp3, size, "GB-month",
				"PersistentVolumeClaim from the Helm values (EBS CSI driver, gp3)")
		} else {
			e.unpriced(r, what+" write-ahead log", "size "+q+" not readable")
		}
	}
	e.usage(r, what+" S3 writes", idS3Put, joinNote(writes, retention))
	e.usage(r, what+" S3 reads", idS3Get, reads)
}

// retentionNote says how long a store keeps data, from a duration in hours ("720h"), or from
// the match of such a duration.
func retentionNote(v any) string {
	var hours string
	switch t := v.(type) {
	case string:
		hours = t
	case []string:
		if len(t) == 2 {
			hours = t[1]
		}
	}
	h, err := strconv.Atoi(strings.TrimSuffix(hours, "h"))
	if err != nil || !strings.HasSuffix(hours, "h") || h <= 0 {
		return "retention not readable"
	}
	if h%24 == 0 {
		return fmt.Sprintf("retention %d days", h/24)
	}
	return fmt.Sprintf("retention %d hours", h)
}

// Calculate estimates the monthly on-demand cost of the recorded resources in region.
func Calculate(region string, records []*mock.Resource) *Estimate {
	return CalculateWith(region, records, Options{})
}

// CalculateWith estimates the monthly cost of the recorded resources in region, the Karpenter
// pools at the baselines opts declares.
func CalculateWith(region string, records []*mock.Resource, opts Options) *Estimate {
	table, ok := ForRegion(region)
	e := &estimator{
		table:   table,
		region:  region,
		opts:    opts,
		pools:   indexPools(records),
		byURN:   map[string]*mock.Resource{},
		used:    map[string]bool{},
		skipped: map[string]int{},
	}
	est := &Estimate{Region: region, Currency: "USD", HoursPerMonth: HoursPerMonth, PricesAvailable: ok}
	if ok {
		est.PriceTableDate = table.Date
	}

	sorted := append([]*mock.Resource(nil), records...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].URN < sorted[j].URN })
	for _, r := range sorted {
		e.byURN[r.URN] = r
	}
	for _, r := range sorted {
		e.resource(r)
	}

	est.Lines = e.lines
	if est.Lines == nil {
		est.Lines = []Line{}
	}
	var total float64
	for _, l := range est.Lines {
		if l.Kind == Fixed {
			total += l.MonthlyUSD
		}
	}
	est.TotalMonthlyUSD = cents(total)
	for typ, n := range e.skipped {
		est.NotModelled = append(est.NotModelled, TypeCount{Type: typ, Count: n})
	}
	sort.Slice(est.NotModelled, func(i, j int) bool { return est.NotModelled[i].Type < est.NotModelled[j].Type })
	if est.NotModelled == nil {
		est.NotModelled = []TypeCount{}
	}
	est.Prices = []Price{}
	for id := range e.used {
		if p, ok := table.Price(id); ok {
			est.Prices = append(est.Prices, p)
		}
	}
	sort.Slice(est.Prices, func(i, j int) bool { return est.Prices[i].ID < est.Prices[j].ID })
	est.Pools = e.poolList
	if est.Pools == nil {
		est.Pools = []Pool{}
	}
	sortPools(est.Pools)
	return est
}

type estimator struct {
	table    *Table
	region   string
	opts     Options
	pools    poolIndex
	poolList []Pool
	byURN    map[string]*mock.Resource
	lines    []Line
	used     map[string]bool
	skipped  map[string]int
}

func cents(x float64) float64 { return math.Round(x*100) / 100 }

// maxFigure is the largest monthly amount (USD) or quantity the model prices. Far beyond any
// real bill, it keeps every figure a finite number whose cents are exact in a float64 (below
// 2^53 cents), so that totals neither overflow nor print as NaN or Inf; the stack
// configuration bounds every count and size well below it.
const maxFigure = 1e13

// inRange reports whether x is a quantity or an amount the model can carry.
func inRange(x float64) bool {
	return !math.IsNaN(x) && x >= 0 && x <= maxFigure
}

// fixed adds a line of qty units at the price priceID.
func (e *estimator) fixed(r *mock.Resource, item, priceID string, qty float64, unit, note string) {
	l := e.line(r, item, priceID, note)
	l.Quantity = qty
	l.Unit = unit
	if !inRange(qty) {
		l.Kind = NoPrice
		l.Quantity = 0
		l.Note = joinNote(l.Note, "quantity out of range: not priced")
		e.lines = append(e.lines, l)
		return
	}
	if p, ok := e.table.Price(priceID); ok {
		e.used[priceID] = true
		l.Kind = Fixed
		l.Unit = p.Unit
		l.UnitPriceUSD = p.USD
		l.MonthlyUSD = cents(qty * p.USD)
		if !inRange(l.MonthlyUSD) {
			l.Kind = NoPrice
			l.MonthlyUSD = 0
			l.Note = joinNote(l.Note, "amount out of range: not priced")
		}
	} else {
		l.Kind = NoPrice
		l.Note = joinNote(l.Note, e.missing(priceID))
	}
	e.lines = append(e.lines, l)
}

// usage adds a usage-priced line: the unit price, no quantity.
func (e *estimator) usage(r *mock.Resource, item, priceID, note string) {
	l := e.line(r, item, priceID, note)
	l.Kind = Usage
	if p, ok := e.table.Price(priceID); ok {
		e.used[priceID] = true
		l.Unit = p.Unit
		l.UnitPriceUSD = p.USD
	} else {
		l.Note = joinNote(l.Note, e.missing(priceID))
	}
	e.lines = append(e.lines, l)
}

// unpriced adds a line for something billed that the table cannot price at all.
func (e *estimator) unpriced(r *mock.Resource, item, note string) {
	l := e.line(r, item, "", note)
	l.Kind = NoPrice
	e.lines = append(e.lines, l)
}

func (e *estimator) line(r *mock.Resource, item, priceID, note string) Line {
	l := Line{Item: item, PriceID: priceID, Note: note}
	if r != nil {
		l.URN, l.Type, l.Name = r.URN, r.Type, r.Name
	}
	return l
}

func (e *estimator) missing(priceID string) string {
	if e.table == nil {
		return fmt.Sprintf("no prices for region %s (the table covers %s)", e.region, strings.Join(Regions(), ", "))
	}
	if priceID == "" {
		return "unit price not in the table"
	}
	return fmt.Sprintf("no price for %s in the %s table", priceID, e.region)
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func (e *estimator) resource(r *mock.Resource) {
	switch r.Type {
	case tEKSComponent:
		e.controlPlane(r)
	case tEKSCluster:
		// Under a pulumi-eks component the control plane is already priced on the component.
		if p := e.byURN[r.Parent]; p == nil || p.Type != tEKSComponent {
			e.controlPlane(r)
		}
	case tNodeGroup, tManagedNG:
		e.nodeGroup(r)
	case tNodePool:
		e.pool(r)
	case tSQSQueue:
		e.usage(r, "SQS requests", idSQSRequests, "standard queue; the Karpenter controller long-polls its interruption queue")
	case tEventRule:
		// EventBridge ingests AWS management events (EC2 state changes, Spot warnings, AWS
		// Health) for free (Amazon EventBridge pricing page, "Event buses").
		l := e.line(r, "EventBridge events matched", "", noCharge+"AWS management events are ingested free "+
			"(Amazon EventBridge pricing, \"Event buses\"); the queue's requests are priced on the queue")
		l.Kind = Usage
		e.lines = append(e.lines, l)
	case tRDSInstance:
		e.database(r)
	case tRDSCluster:
		e.databaseCluster(r)
	case tNATGateway:
		e.fixed(r, "NAT gateway", idNATHour, HoursPerMonth, "hour", "")
		e.usage(r, "NAT gateway data processed", idNATData, "every GB through the gateway")
	case tEIP:
		e.fixed(r, "Public IPv4 address", idPublicIPv4, HoursPerMonth, "hour", "")
	case tVPCEndpoint:
		if !strings.EqualFold(str(r.Inputs, "vpcEndpointType"), "Interface") {
			e.skipped[r.Type]++ // gateway endpoints (S3, DynamoDB)
			return
		}
		azs := len(strs(r.Inputs, "subnetIds"))
		if azs == 0 {
			azs = 1
		}
		e.fixed(r, "Interface VPC endpoint", idInterfaceVPCE, float64(azs*HoursPerMonth), "hour",
			fmt.Sprintf("%d AZ × 730 h; data processed is usage-based", azs))
	case tKMSKey:
		e.fixed(r, "KMS key", idKMSKey, 1, "month", "API requests are usage-based")
	case tSecret:
		e.fixed(r, "Secrets Manager secret", idSecret, 1, "month", "API calls are usage-based")
	case tBucketV2, tBucket:
		e.usage(r, "S3 Standard storage", idS3Standard, "requests and transfer are usage-based too")
	case tLogGroup:
		note := "no retention set (kept forever)"
		if days, ok := num(r.Inputs, "retentionInDays"); ok && days > 0 {
			note = fmt.Sprintf("retention %d days", int(days))
		}
		e.usage(r, "CloudWatch Logs ingestion", idLogsIngest, note)
		e.usage(r, "CloudWatch Logs storage", idLogsStore, note)
	case tLaunchTemplate:
		// Priced through the node groups that use it: their root volumes.
	case tEBSVolume:
		size, _ := num(r.Inputs, "size")
		e.volume(r, "EBS volume", str(r.Inputs, "type"), size, 1, "")
	case tPVC:
		q := str(r.Inputs, "spec.resources.requests.storage")
		if size, ok := gibibytes(q); ok {
			e.fixed(r, "Persistent volume "+q, idEBSgp3, size, "GB-month",
				"provisioned by the EBS CSI driver; priced as gp3")
		} else {
			e.unpriced(r, "Persistent volume", "size not readable")
		}
	case tHelmRelease:
		e.helmRelease(r)
	case tECRRepository:
		e.usage(r, "ECR image storage", "", "GB stored")
	case tBackupVault:
		e.usage(r, "AWS Backup storage", "", "GB of recovery points")
	case tTrail:
		// The first copy of management events in each region is free (CloudTrail pricing page).
		e.usage(r, "CloudTrail data events", idTrailDataEvents, "management events: first copy free")
	case tConfigRecorder:
		e.usage(r, "AWS Config configuration items", idConfigItem, "one per recorded resource change")
	case tConfigRule, tConformancePack:
		e.usage(r, "AWS Config rule evaluations", idConfigEvaluation, "first 100,000 a month; cheaper beyond")
	case tMetricAlarm:
		e.fixed(r, "CloudWatch alarm", idAlarmStandard, 1, "month", "standard resolution")
	case tGuardDuty:
		// Each protection plan bills its own unit (events, GB, vCPU-hours analysed), tiered by
		// volume (GuardDuty User Guide, "Estimating GuardDuty cost"): no single unit price.
		e.usage(r, "GuardDuty analysis", "", "per event, GB and vCPU-hour each protection plan analyses")
	case tSecurityHub:
		e.usage(r, "Security Hub", "", "per resource monitored and security check")
	case tInspectorEnabler:
		e.usage(r, "Inspector scans", "", "per container image scanned")
	default:
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			e.skipped[r.Type]++
		}
	}
}

// controlPlane prices the EKS cluster hour; versions past standard support bill the extended rate.
func (e *estimator) controlPlane(r *mock.Resource) {
	version := str(r.Inputs, "version")
	id, note := idEKSStandard, "standard support"
	if version != "" {
		note = "Kubernetes " + version + ", standard support"
		if minorOlder(version, EKSStandardSupportMinimum) {
			id, note = idEKSExtended, "Kubernetes "+version+" is past standard support: extended-support rate"
		}
	}
	e.fixed(r, "EKS control plane", id, HoursPerMonth, "hour", note)
}

// minorOlder reports whether version "1.N" is older than oldest "1.M"; unparsable versions are not.
func minorOlder(version, oldest string) bool {
	minor := func(v string) (int, bool) {
		_, m, ok := strings.Cut(v, ".")
		if !ok {
			return 0, false
		}
		m, _, _ = strings.Cut(m, ".")
		n, err := strconv.Atoi(m)
		return n, err == nil
	}
	a, ok1 := minor(version)
	b, ok2 := minor(oldest)
	return ok1 && ok2 && a < b
}

// nodeGroup prices desiredSize instances for the month. desiredSize is what `pulumi up` creates;
// a group whose minSize and maxSize differ may be scaled between them, which bounds the month.
func (e *estimator) nodeGroup(r *mock.Resource) {
	types := strs(r.Inputs, "instanceTypes")
	desired, _ := num(r.Inputs, "scalingConfig.desiredSize")
	minSize, _ := num(r.Inputs, "scalingConfig.minSize")
	maxSize, _ := num(r.Inputs, "scalingConfig.maxSize")
	if len(types) == 0 {
		e.unpriced(r, "Node group instances", "no instance type in the inputs")
		return
	}
	it := types[0]
	item := fmt.Sprintf("Node group instances (%s)", it)
	if strings.EqualFold(str(r.Inputs, "capacityType"), "SPOT") {
		e.unpriced(r, item, "spot capacity: prices vary")
		return
	}
	var note string
	if minSize == desired && desired == maxSize {
		note = fmt.Sprintf("fixed size: %s nodes × 730 h (minSize = desiredSize = maxSize)", count(desired))
	} else {
		note = fmt.Sprintf("desiredSize %s × 730 h; scaling may move it between minSize %s and maxSize %s",
			count(desired), count(minSize), count(maxSize))
		if p, ok := e.table.Price(ec2ID(it)); ok && inRange(maxSize*HoursPerMonth*p.USD) && inRange(minSize) {
			note += fmt.Sprintf(" ($%.2f to $%.2f a month)", cents(minSize*HoursPerMonth*p.USD), cents(maxSize*HoursPerMonth*p.USD))
		}
	}
	e.fixed(r, item, ec2ID(it), desired*HoursPerMonth, "hour", note)

	// Root volumes: the launch template's block device, else the group's diskSize.
	size, volType := 0.0, ""
	for _, dep := range r.Dependencies {
		if lt := e.byURN[dep]; lt != nil && lt.Type == tLaunchTemplate {
			size, _ = num(lt.Inputs, "blockDeviceMappings.0.ebs.volumeSize")
			volType = str(lt.Inputs, "blockDeviceMappings.0.ebs.volumeType")
		}
	}
	if size == 0 {
		if s, ok := num(r.Inputs, "diskSize"); ok {
			size, volType = s, "gp3"
		}
	}
	if size == 0 {
		e.unpriced(r, "Node root volumes", "volume size not set in the inputs")
		return
	}
	e.volume(r, "Node root volumes", volType, size, desired,
		fmt.Sprintf("%s × %g GB", count(desired), size))
}

// count prints a number of things read from the inputs without converting it to an integer
// type, which a value out of range would overflow.
func count(x float64) string {
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// volume prices count EBS volumes of size GiB; only gp3 is in the table.
func (e *estimator) volume(r *mock.Resource, item, volType string, size, count float64, note string) {
	if volType == "" {
		volType = "gp2" // the EC2 default when a launch template or volume names no type
	}
	item += " (" + volType + ")"
	if volType != "gp3" {
		e.unpriced(r, item, joinNote(note, "only gp3 is in the price table"))
		return
	}
	e.fixed(r, item, idEBSgp3, size*count, "GB-month", note)
}

// database prices an RDS instance: instance hours (Multi-AZ bills primary and standby), storage,
// the RDS-managed master secret, and the usage-based backup and monitoring charges.
func (e *estimator) database(r *mock.Resource) {
	in := r.Inputs
	// A read replica names its source in replicateSourceDb; the value may be unknown offline,
	// so an input dependency on another instance counts too.
	var source *mock.Resource
	for _, dep := range r.Dependencies {
		if d := e.byURN[dep]; d != nil && d.Type == tRDSInstance {
			source = d
			break
		}
	}
	_, named := in["replicateSourceDb"]
	replica := named || source != nil
	engine := str(in, "engine")
	if engine == "" && source != nil {
		engine = str(source.Inputs, "engine")
	}
	class := str(in, "instanceClass")
	multiAZ := boolean(in, "multiAz")
	deployment := "Single-AZ"
	if multiAZ {
		deployment = "Multi-AZ"
	}
	role := "primary"
	if replica {
		role = "read replica"
	}
	item := fmt.Sprintf("RDS %s %s, %s (%s)", engine, class, deployment, role)

	switch {
	case engine == "" || class == "":
		e.unpriced(r, item, "engine or instance class not in the inputs")
	case multiAZ:
		if _, ok := e.table.Price(rdsID(engine, class, true)); ok || e.table == nil {
			e.fixed(r, item, rdsID(engine, class, true), HoursPerMonth, "hour", "Multi-AZ rate: primary and standby")
		} else if _, ok := e.table.Price(rdsID(engine, class, false)); ok {
			e.fixed(r, item, rdsID(engine, class, false), 2*HoursPerMonth, "hour",
				"Multi-AZ bills the primary and the standby: 2 × 730 h at the Single-AZ rate")
		} else {
			e.fixed(r, item, rdsID(engine, class, true), HoursPerMonth, "hour", "")
		}
	default:
		e.fixed(r, item, rdsID(engine, class, false), HoursPerMonth, "hour", "")
	}

	storage, ok := num(in, "allocatedStorage")
	storageNote := ""
	if !ok && source != nil {
		storage, ok = num(source.Inputs, "allocatedStorage")
		storageNote = "same allocation as the source instance"
	}
	storageType := str(in, "storageType")
	if storageType == "" && source != nil {
		storageType = str(source.Inputs, "storageType")
	}
	if maxStorage, ok := num(in, "maxAllocatedStorage"); ok && maxStorage > storage {
		storageNote = joinNote(storageNote, fmt.Sprintf("autoscaling up to %g GB", maxStorage))
	}
	switch {
	case !ok || storage == 0:
		e.unpriced(r, "RDS storage", "allocated storage not in the inputs")
	case storageType != "gp3":
		e.unpriced(r, "RDS storage ("+storageType+")", "only gp3 is in the price table")
	case multiAZ:
		e.fixed(r, "RDS storage (gp3, Multi-AZ)", idRDSgp3MultiAZ, storage, "GB-month", storageNote)
	default:
		e.fixed(r, "RDS storage (gp3)", idRDSgp3, storage, "GB-month", storageNote)
	}

	e.databaseExtras(r, !replica, "")
}

// databaseCluster prices an RDS Multi-AZ DB cluster: instance hours for its writer and two
// readers (the cluster rate when the table has one, else three times the Single-AZ rate: each of
// the three instances is billed), storage for three copies, the RDS-managed master secret, and
// the usage-based backup and monitoring charges. Aurora clusters bill differently (storage by
// use, I/O) and are counted as not modelled.
func (e *estimator) databaseCluster(r *mock.Resource) {
	in := r.Inputs
	engine, class := str(in, "engine"), str(in, "dbClusterInstanceClass")
	if class == "" || strings.HasPrefix(engine, "aurora") {
		e.skipped[r.Type]++
		return
	}
	item := fmt.Sprintf("RDS %s %s, Multi-AZ DB cluster (writer and two readable standbys)", engine, class)
	if _, ok := e.table.Price(rdsClusterID(engine, class)); ok || e.table == nil {
		e.fixed(r, item, rdsClusterID(engine, class), HoursPerMonth, "hour", "cluster rate: three instances")
	} else if _, ok := e.table.Price(rdsID(engine, class, false)); ok {
		e.fixed(r, item, rdsID(engine, class, false), 3*HoursPerMonth, "hour",
			"a Multi-AZ DB cluster bills its three instances: 3 × 730 h at the Single-AZ rate")
	} else {
		// No record to derive from: say what the line stands for, as it is often the largest.
		e.fixed(r, item, rdsClusterID(engine, class), HoursPerMonth, "hour",
			"three instances billed; not in the total: take the class's Multi-AZ DB cluster rate "+
				"from the RDS price list before budgeting")
	}

	storage, ok := num(in, "allocatedStorage")
	storageType := str(in, "storageType")
	iops, _ := num(in, "iops")
	switch {
	case !ok || storage == 0:
		e.unpriced(r, "RDS storage", "allocated storage not in the inputs")
	case storageType != "gp3":
		e.unpriced(r, "RDS storage ("+storageType+", Multi-AZ DB cluster)", "only gp3 is in the price table")
	default:
		// From 400 GiB, 12,000 IOPS is the gp3 baseline and costs nothing extra (RDS User Guide,
		// gp3 storage); more is billed per IOPS-month, a price the table does not carry.
		note := fmt.Sprintf("three copies; %d IOPS", int(iops))
		e.fixed(r, "RDS storage (gp3, Multi-AZ DB cluster)", idRDSgp3Cluster, storage, "GB-month", note)
		if iops > 12000 {
			e.unpriced(r, "RDS gp3 IOPS above the 12,000 baseline (Multi-AZ DB cluster)",
				fmt.Sprintf("%d provisioned IOPS beyond the baseline; unit price not in the table", int(iops)-12000))
		}
	}

	e.databaseExtras(r, true, ", three instances")
}

// databaseExtras prices what an RDS instance and a Multi-AZ DB cluster add alike beside their
// hours and storage: the RDS-managed master secret, backup storage when backups is set (usage;
// the instance path leaves it out for a read replica), Performance Insights retention past the
// free 7 days (unpriced), and enhanced monitoring (usage; monitored ends its note, ", three
// instances" for a cluster, empty for one instance).
func (e *estimator) databaseExtras(r *mock.Resource, backups bool, monitored string) {
	in := r.Inputs
	if boolean(in, "manageMasterUserPassword") {
		e.fixed(r, "Secrets Manager secret (RDS-managed master password)", idSecret, 1, "month",
			"created and rotated by RDS")
	}
	if backups {
		note := "free up to 100% of provisioned storage"
		if days, ok := num(in, "backupRetentionPeriod"); ok {
			note += fmt.Sprintf("; retention %d days", int(days))
		}
		e.usage(r, "RDS backup storage", idRDSBackup, note)
	}
	if days, ok := num(in, "performanceInsightsRetentionPeriod"); ok && days > 7 && boolean(in, "performanceInsightsEnabled") {
		e.unpriced(r, "Performance Insights long-term retention",
			fmt.Sprintf("%d days, billed per vCPU-month; unit price not in the table", int(days)))
	}
	if interval, ok := num(in, "monitoringInterval"); ok && interval > 0 {
		e.usage(r, "Enhanced monitoring (CloudWatch Logs ingestion)", idLogsIngest,
			fmt.Sprintf("OS metrics every %d s%s", int(interval), monitored))
	}
}

// helmRelease prices what a chart makes AWS create: the persistent volumes of
// kube-prometheus-stack, and the load balancer of the AWS Load Balancer Controller.
func (e *estimator) helmRelease(r *mock.Resource) {
	switch str(r.Inputs, "chart") {
	case chartKubePrometheusStack:
		claim := func(item, path, replicasPath string) {
			q := str(r.Inputs, path)
			if q == "" {
				return
			}
			size, ok := gibibytes(q)
			if !ok {
				e.unpriced(r, item, "size "+q+" not readable")
				return
			}
			replicas := 1.0
			if n, ok := num(r.Inputs, replicasPath); ok && n > 0 {
				replicas = n
			}
			note := "PersistentVolumeClaim from the Helm values, provisioned by the EBS CSI driver (gp3 storage class)"
			if replicas > 1 {
				note = fmt.Sprintf("%d replicas; ", int(replicas)) + note
			}
			e.fixed(r, item+" "+q+" (gp3)", idEBSgp3, size*replicas, "GB-month", note)
		}
		claim("Prometheus volume", "values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage",
			"values.prometheus.prometheusSpec.replicas")
		if boolean(r.Inputs, "values.grafana.persistence.enabled") {
			claim("Grafana volume", "values.grafana.persistence.size", "values.grafana.replicas")
		}
		claim("Alertmanager volume", "values.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage",
			"values.alertmanager.alertmanagerSpec.replicas")
	case chartLoki:
		e.store(r, "Loki", "values.singleBinary.persistence.size",
			retentionNote(str(r.Inputs, "values.loki.limits_config.retention_period")),
			"chunk and index flushes", "queries and compaction")
	case chartTempo:
		e.store(r, "Tempo", "values.persistence.size",
			retentionNote(tempoRetention.FindStringSubmatch(str(r.Inputs, "values.config"))),
			"block flushes and compaction", "trace lookups and searches")
	case chartLBController:
		note := "estimate: the AWS Load Balancer Controller creates the ALB for an Ingress at run time, " +
			"not Pulumi; one ALB assumed (one per IngressGroup); an internet-facing ALB also bills a " +
			"public IPv4 address per AZ"
		e.fixed(r, "Application Load Balancer (created by the controller)", idALBHour, HoursPerMonth, "hour", note)
		e.usage(r, "Application Load Balancer capacity units", idALBLCU, "LCU-hours depend on traffic")
	default:
		e.skipped[r.Type]++
	}
}
