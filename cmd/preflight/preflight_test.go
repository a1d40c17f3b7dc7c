package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/deploy"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/pricing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// repo is the repository root: the project directory of the real stacks.
const repo = "../.."

var (
	reportsMu sync.Mutex
	reports   = map[string]*Report{}
)

// report runs the preflight of a stack of the repository once per test binary.
func report(t testing.TB, stack string) *Report {
	t.Helper()
	reportsMu.Lock()
	defer reportsMu.Unlock()
	if r, ok := reports[stack]; ok {
		return r
	}
	r, err := Run(Options{Dir: repo, Stack: stack})
	require.NoError(t, err)
	reports[stack] = r
	return r
}

func renderReport(t testing.TB, r *Report, format string) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, r, format))
	return buf.String()
}

func TestGoldenReports(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		for _, format := range []string{FormatJSON, FormatMarkdown, FormatCompliance} {
			t.Run(stack+"/"+format, func(t *testing.T) {
				ext := map[string]string{FormatJSON: ".json", FormatMarkdown: ".md", FormatCompliance: ".compliance.md"}[format]
				path := filepath.Join("testdata", stack+ext)
				got := renderReport(t, report(t, stack), format)
				if *update {
					require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test ./cmd/preflight/ -update to create %s", path)
				if format == FormatJSON {
					var g, w any
					require.NoError(t, json.Unmarshal([]byte(got), &g))
					require.NoError(t, json.Unmarshal(want, &w))
					assert.Equal(t, w, g, "%s is out of date: review the change, then rerun with -update", path)
				} else {
					assert.Equal(t, string(want), got, "%s is out of date: review the change, then rerun with -update", path)
				}
			})
		}
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	a, err := Run(Options{Dir: repo, Stack: "production"})
	require.NoError(t, err)
	b, err := Run(Options{Dir: repo, Stack: "production"})
	require.NoError(t, err)
	for _, format := range Formats {
		assert.Equal(t, renderReport(t, a, format), renderReport(t, b, format), format)
	}
}

func TestTextReportHasTheFourSections(t *testing.T) {
	text := renderReport(t, report(t, "production"), FormatText)
	for _, heading := range []string{
		"1. Resources by component", "2. Policy verdict", "3. Estimated monthly cost", "4. Deployment critical path",
		"5. Node pool capacity",
	} {
		assert.Contains(t, text, "\n"+heading)
	}
	// The settings that matter are shown with the resources: the pools, their node classes, the
	// system node group, the interruption queue and rules.
	assert.Contains(t, text, "instance types: m5.xlarge; capacity: on-demand; limits: cpu=40, memory=163840Mi")
	assert.Contains(t, text, "taints: ml-workload=true:NoSchedule; consolidation: WhenEmpty")
	assert.Contains(t, text, "budgets: {nodes=10%}, {duration=20h, nodes=0, reasons=Drifted, schedule=0 6 * * *}")
	assert.Contains(t, text, "AMI: al2023@v20260714; IMDS tokens: required; IMDS hop limit: 1; root volume: 100Gi; volume type: gp3; encrypted: true")
	assert.Contains(t, text, "taints: CriticalAddonsOnly=true:NO_SCHEDULE")
	assert.Contains(t, text, "(queue: novacron-production-karpenter; retention s: 300; SSE: true)")
	assert.Contains(t, text, "(events: aws.ec2: EC2 Spot Instance Interruption Warning)")
	assert.Contains(t, text, "(namespace: kube-system; service account: karpenter)")
	assert.Contains(t, text, "interruption queue: novacron-production-karpenter")
	assert.Contains(t, text, "(namespace: kube-system; name: capacity-floor-general; replicas: 3; priority class: capacity-floor)")
	assert.Contains(t, text, "version: 1.35")
	// Production's database is a Multi-AZ DB cluster, shown with what matters about it.
	var db string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "aws:rds/cluster:Cluster  postgres") {
			db = l
		}
	}
	require.NotEmpty(t, db, "the database line")
	for _, want := range []string{
		"[protected]", "engine: postgres", "version: 17.9", "class: db.r6gd.xlarge", "Multi-AZ: true",
		"readable standbys: 2", "storage type: gp3", "storage GB: 1000", "IOPS: 12000", "encrypted: true",
		"backup retention days: 30", "deletion protection: true",
	} {
		assert.Contains(t, db, want)
	}
	assert.NotContains(t, text, "aws:rds/instance:Instance", "no DB instance, and no read replica")
	// The headline says which cost is missing from the total.
	assert.Contains(t, text, "not counting 1 item without a price (postgres)")
}

func TestClusterSettings(t *testing.T) {
	cluster := func(inputs map[string]any) *mock.Resource {
		return &mock.Resource{Type: "aws:rds/cluster:Cluster", Name: "db", Inputs: resource.NewPropertyMapFromMap(inputs)}
	}
	get := func(ss []Setting, name string) (string, bool) {
		for _, s := range ss {
			if s.Name == name {
				return s.Value, true
			}
		}
		return "", false
	}
	tests := []struct {
		name     string
		inputs   map[string]any
		multiAZ  string
		standbys string
	}{
		{"Multi-AZ DB cluster", map[string]any{"engine": "postgres", "dbClusterInstanceClass": "db.r6gd.xlarge"}, "true", "2"},
		{"MySQL Multi-AZ DB cluster", map[string]any{"engine": "mysql", "dbClusterInstanceClass": "db.m6gd.large"}, "true", "2"},
		{"Aurora: instances are separate resources", map[string]any{"engine": "aurora-postgresql"}, "false", ""},
		{"Aurora with a class is still Aurora", map[string]any{"engine": "aurora-postgresql", "dbClusterInstanceClass": "db.r6gd.xlarge"}, "false", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := settings(cluster(tt.inputs))
			v, ok := get(ss, "Multi-AZ")
			require.True(t, ok)
			assert.Equal(t, tt.multiAZ, v)
			v, ok = get(ss, "readable standbys")
			assert.Equal(t, tt.standbys != "", ok)
			assert.Equal(t, tt.standbys, v)
		})
	}
}

func lineOf(t *testing.T, r *Report, name, item string) pricing.Line {
	t.Helper()
	for _, l := range r.Cost.Lines {
		if l.Name == name && l.Item == item {
			return l
		}
	}
	require.Failf(t, "missing cost line", "%s %q in %s", name, item, r.Stack)
	return pricing.Line{}
}

func TestProductionCost(t *testing.T) {
	r := report(t, "production")
	require.True(t, r.Cost.PricesAvailable)
	for _, tt := range []struct {
		name, item string
		monthly    float64
	}{
		{"cluster", "EKS control plane", 73.00},
		{"cluster-system", "Node group instances (m5.large)", 140.16}, // 2 × 0.096 × 730, fixed size
		{"cluster-system", "Node root volumes (gp3)", 8.00},           // 2 × 50 GB × 0.08
		// The general pool at its floor of 3: 3 vCPU and 6 GiB need one node.
		{"cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.xlarge, on-demand)", 420.48}, // 3 × 0.192 × 730
		{"cluster-karpenter-nodepool-general", "Karpenter pool root volumes (gp3)", 24.00},                // 3 × 100 GB × 0.08
		// No GPU node until a job asks for one.
		{"cluster-karpenter-nodepool-ml", "Karpenter pool instances (g5.2xlarge, on-demand)", 0},
		{"cluster-karpenter-nodepool-ml", "Karpenter pool root volumes (gp3)", 0},
		{"postgres", "RDS storage (gp3, Multi-AZ DB cluster)", 345.00}, // 1000 GB × 0.345, three copies
		{"postgres", "Secrets Manager secret (RDS-managed master password)", 0.40},
		{"cluster-secrets", "KMS key", 1.00},
		{"postgres-kms", "KMS key", 1.00},
	} {
		l := lineOf(t, r, tt.name, tt.item)
		assert.Equal(t, pricing.Fixed, l.Kind, "%+v", l)
		assert.InDelta(t, tt.monthly, l.MonthlyUSD, 0.001, "%s %s", tt.name, tt.item)
	}
	// One NAT gateway per zone, each with its public IPv4 address.
	for _, az := range []string{"a", "b", "c"} {
		assert.InDelta(t, 32.85, lineOf(t, r, "network-nat-us-east-1"+az, "NAT gateway").MonthlyUSD, 0.001)
		assert.InDelta(t, 3.65, lineOf(t, r, "network-nat-us-east-1"+az, "Public IPv4 address").MonthlyUSD, 0.001)
		assert.Equal(t, pricing.Usage, lineOf(t, r, "network-nat-us-east-1"+az, "NAT gateway data processed").Kind)
	}
	// The database is one Multi-AZ DB cluster: a writer and two readable standbys, no DB
	// instance and no read replica.
	for _, e := range r.Inventory.Resources {
		assert.NotEqual(t, "aws:rds/instance:Instance", e.Type, e.Name)
		assert.NotContains(t, e.Name, "replica")
	}
	for _, l := range r.Cost.Lines {
		assert.NotContains(t, l.Item, "read replica")
	}
	// No AWS price-list record was found for db.r6gd.xlarge in a Multi-AZ DB cluster: its
	// instance hours, all three instances, are listed without a price, never guessed, and the
	// line says the total leaves them out.
	hours := lineOf(t, r, "postgres", "RDS postgres db.r6gd.xlarge, Multi-AZ DB cluster (writer and two readable standbys)")
	assert.Equal(t, pricing.NoPrice, hours.Kind)
	assert.Equal(t, "aws:rds/cluster:Cluster", hours.Type)
	assert.InDelta(t, 730, hours.Quantity, 0.001)
	assert.Contains(t, hours.Note, "three instances billed; not in the total")
	require.Len(t, r.Cost.Unpriced(), 1, "the cluster's instance hours are the only unpriced line")
	assert.Equal(t, 1, r.Summary.UnpricedItems)

	// What the stack installs in the cluster is priced from the Helm values when it is there.
	for _, e := range r.Inventory.Resources {
		if e.Type != "kubernetes:helm.sh/v3:Release" {
			continue
		}
		for _, s := range e.Settings {
			switch {
			case s.Name == "chart" && s.Value == "kube-prometheus-stack":
				lineOf(t, r, e.Name, "Prometheus volume 500Gi (gp3)")
				lineOf(t, r, e.Name, "Grafana volume 100Gi (gp3)")
			case s.Name == "chart" && s.Value == "aws-load-balancer-controller":
				lineOf(t, r, e.Name, "Application Load Balancer (created by the controller)")
			case s.Name == "chart" && s.Value == "loki":
				lineOf(t, r, e.Name, "Loki write-ahead log 10Gi (gp3)")
				writes := lineOf(t, r, e.Name, "Loki S3 writes")
				assert.Equal(t, pricing.Usage, writes.Kind)
				assert.InDelta(t, 0.005, writes.UnitPriceUSD, 1e-9)
				assert.Contains(t, writes.Note, "retention 30 days")
			case s.Name == "chart" && s.Value == "tempo":
				lineOf(t, r, e.Name, "Tempo write-ahead log 10Gi (gp3)")
				assert.Contains(t, lineOf(t, r, e.Name, "Tempo S3 writes").Note, "retention 14 days")
				assert.InDelta(t, 0.0004, lineOf(t, r, e.Name, "Tempo S3 reads").UnitPriceUSD, 1e-9)
			}
		}
	}

	// The pools' months from baseline to limit are data too: the general pool's 10 nodes at its
	// limit, the ml pool's 5.
	general := lineOf(t, r, "cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.xlarge, on-demand)")
	require.NotNil(t, general.Range)
	assert.Equal(t, pricing.Range{LowNodes: 3, HighNodes: 10, LowUSD: 420.48, HighUSD: 1401.60}, *general.Range)
	assert.Contains(t, general.Note, "$420.48 at the baseline of 3 nodes to $1,401.60 at the limit of 10 nodes")
	ml := lineOf(t, r, "cluster-karpenter-nodepool-ml", "Karpenter pool instances (g5.2xlarge, on-demand)")
	assert.Equal(t, pricing.Range{LowNodes: 0, HighNodes: 5, LowUSD: 0, HighUSD: 4423.80}, *ml.Range) // 5 × 1.212 × 730
	// The system node group has a fixed size: no autoscaler moves it.
	assert.Equal(t, "fixed size: 2 nodes × 730 h (minSize = desiredSize = maxSize)",
		lineOf(t, r, "cluster-system", "Node group instances (m5.large)").Note)
	// The interruption queue and its rules are usage-based; AWS management events are free.
	assert.Equal(t, pricing.Usage, lineOf(t, r, "cluster-karpenter-interruption", "SQS requests").Kind)
	assert.True(t, lineOf(t, r, "cluster-karpenter-spot-interruption", "EventBridge events matched").NoCharge())

	// The hand-computed total of today's composition: cluster 73 + 140.16 (system nodes) + 8
	// (their root volumes) + 420.48 (the general pool's floor of 3) + 24 (their root volumes),
	// the ml pool empty; database 345 (storage) + 0.40 (secret), its instance hours unpriced;
	// network 3 × (32.85 + 3.65); ALB 16.43; monitoring volumes 40 + 8 + 0.80; the Loki and
	// Tempo write-ahead logs 2 × 0.80; 5 KMS keys; 2 Secrets Manager secrets 0.80. Update it,
	// with the golden files, when the stack gains priced resources.
	assert.InDelta(t, 1193.17, r.Cost.TotalMonthlyUSD, 0.001)
	assert.InDelta(t, r.Cost.TotalMonthlyUSD, r.Summary.MonthlyUSD, 0.001)
}

func TestStagingCost(t *testing.T) {
	r := report(t, "staging")
	for _, tt := range []struct {
		name, item string
		monthly    float64
	}{
		{"cluster-system", "Node group instances (m5.large)", 140.16}, // 2 × 0.096 × 730
		// The Spot floor of 2 at the assumed 66% saving: 2 × 730 × 0.03264.
		{"cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.large, Spot)", 47.65},
		{"cluster-karpenter-nodepool-general", "Karpenter pool root volumes (gp3)", 16.00},
		{"cluster-karpenter-nodepool-ml", "Karpenter pool instances (g5.xlarge, on-demand)", 0},
		{"postgres", "RDS postgres db.r6g.large, Multi-AZ (primary)", 328.50}, // 0.45 × 730
		{"postgres", "RDS storage (gp3, Multi-AZ)", 23.00},                    // 100 GB × 0.23
		{"network-nat-us-east-1a", "NAT gateway", 32.85},                      // a single NAT gateway
	} {
		assert.InDelta(t, tt.monthly, lineOf(t, r, tt.name, tt.item).MonthlyUSD, 0.001, "%s %s", tt.name, tt.item)
	}
	for _, l := range r.Cost.Lines {
		assert.NotContains(t, l.Name, "network-nat-us-east-1b", "staging has one NAT gateway")
	}
	spot := lineOf(t, r, "cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.large, Spot)")
	assert.Equal(t, "ec2-spot/m5.large", spot.PriceID)
	assert.Contains(t, spot.Note, "assumption: Spot 66% below on-demand")
	assert.Contains(t, spot.Note, "AWS EC2 Spot Instance Advisor")
	// Cluster 73 + 140.16 + 8 (system nodes and volumes) + 47.65 + 16 (the general pool's Spot
	// floor and volumes); database 328.50 + 23 + 0.40; network 32.85 + 3.65; ALB 16.43;
	// monitoring volumes 48.80; Loki and Tempo write-ahead logs 1.60; 5 KMS keys; 2 Secrets
	// Manager secrets 0.80.
	assert.InDelta(t, 745.84, r.Cost.TotalMonthlyUSD, 0.001)
	// Production's total leaves out its database cluster's instance hours (no price-list record),
	// which staging's Multi-AZ instance has: the totals compare only loosely.
	assert.Less(t, r.Cost.TotalMonthlyUSD, report(t, "production").Cost.TotalMonthlyUSD, "staging costs less than production")
}

func TestProductionCriticalPath(t *testing.T) {
	r := report(t, "production")
	p := r.plan
	require.NotNil(t, p)
	urns := func(typ string) []string {
		var out []string
		for _, e := range r.Inventory.Resources {
			if e.Type == typ {
				out = append(out, e.URN)
			}
		}
		require.NotEmpty(t, out, typ)
		return out
	}
	clusters := urns("eks:index:Cluster")
	groups := urns("aws:eks/nodeGroup:NodeGroup")
	pools := urns("kubernetes:karpenter.sh/v1:NodePool")
	databases := urns("aws:rds/cluster:Cluster")
	for _, db := range databases {
		for _, c := range clusters {
			assert.False(t, p.Waits(db, c), "RDS %s must not wait for the EKS cluster", db)
		}
	}
	// The database waits for its log group, which waits for the logs key: RDS would otherwise
	// create the group itself, without retention or key.
	for _, e := range r.Inventory.Resources {
		if e.Type == "aws:cloudwatch/logGroup:LogGroup" && strings.HasPrefix(e.Name, "postgres-") {
			assert.True(t, p.Waits(databases[0], e.URN), "the database waits for %s", e.Name)
		}
	}
	for _, g := range groups {
		for _, c := range clusters {
			assert.True(t, p.Waits(g, c), "node group %s waits for the cluster", g)
		}
	}
	// Every Helm release waits for the system node group, where Karpenter and the critical
	// add-ons run; all but Karpenter's own wait for the general pool. No resource stands for
	// GPU nodes (the ml pool has no floor), so a shortage of GPU capacity holds nothing back.
	require.Equal(t, []string{"cluster-system"}, entryNames(r, groups))
	general := ""
	for _, pool := range pools {
		if strings.HasSuffix(pool, "::cluster-karpenter-nodepool-general") {
			general = pool
		}
	}
	require.NotEmpty(t, general)
	for _, rel := range urns("kubernetes:helm.sh/v3:Release") {
		assert.True(t, p.Waits(rel, groups[0]), "Helm release %s waits for the system node group", rel)
		karpenter := strings.HasSuffix(rel, "::cluster-karpenter") || strings.HasSuffix(rel, "::cluster-karpenter-crd")
		assert.Equal(t, !karpenter, p.Waits(rel, general), "Helm release %s waits for the general pool unless it installs Karpenter", rel)
	}
	for _, e := range r.Inventory.Resources {
		assert.NotContains(t, e.Name, "capacity-floor-ml", "a GPU pool has no floor")
	}

	d := r.Deploy
	require.NotEmpty(t, d.CriticalPath)
	// The path is a chain: each step waits for the one before it and starts when it is done.
	for i := 1; i < len(d.CriticalPath); i++ {
		prev, cur := d.CriticalPath[i-1], d.CriticalPath[i]
		assert.True(t, p.Waits(cur.URN, prev.URN), "%s waits for %s", cur.Name, prev.Name)
		assert.InDelta(t, prev.StartMinutes+prev.Minutes, cur.StartMinutes, 0.011, "%s starts when %s is done", cur.Name, prev.Name)
	}
	last := d.CriticalPath[len(d.CriticalPath)-1]
	assert.InDelta(t, d.TotalMinutes, last.StartMinutes+last.Minutes, 0.011)
	// Nothing finishes later than the total.
	for _, e := range r.Inventory.Resources {
		f, ok := p.Finish(e.URN)
		require.True(t, ok)
		assert.LessOrEqual(t, f, d.TotalMinutes+0.011, e.Name)
	}
	// The in-cluster chain is the longest: control plane, the Pod Identity agent and the VPC CNI,
	// the system node group, Karpenter's CRDs and controller, the floor's PriorityClass, the
	// general pool's floor (Karpenter launching its nodes, 1.5 min), the monitoring stack (done
	// at 25.5 min), then the trace store and the collectors, each of which waits for what it
	// exports to (Tempo, the gateway, the agents), 1 min apiece.
	assert.InDelta(t, 28.5, d.TotalMinutes, 0.011)
	names := stepNames(d.CriticalPath)
	require.GreaterOrEqual(t, len(names), 4)
	assert.Equal(t, []string{"monitoring-kube-prometheus-stack", "telemetry-tempo-release",
		"telemetry-otel-gateway-release", "telemetry-otel-agent-release"}, names[len(names)-4:])
	assert.Contains(t, names, "cluster", "the EKS control plane is on the path")
	assert.Contains(t, names, "cluster-system", "the system node group is on the path")
	assert.Contains(t, names, "cluster-karpenter-deployment-capacity-floor-general", "the pool's floor is on the path")
	for _, s := range d.CriticalPath {
		if s.Name == "cluster-karpenter-deployment-capacity-floor-general" {
			assert.Equal(t, "karpenter-node-launch", s.DurationID)
		}
	}
	last = d.CriticalPath[len(d.CriticalPath)-1]
	assert.Equal(t, "helm-release", last.DurationID)
	// On the published ranges: the add-ons' 15-minute reports dominate the high end.
	assert.InDelta(t, 25.0, d.LowMinutes, 0.011)
	assert.InDelta(t, 77.5, d.HighMinutes, 0.011)
	// The Multi-AZ DB cluster, 0.75 min of network (VPC, subnet, DB subnet group) then 25 min of
	// RDS creating the writer and both standbys together, ends 0.75 min earlier; no replica
	// comes after it.
	for _, e := range r.Inventory.Resources {
		switch e.Name {
		case "postgres":
			f, _ := p.Finish(e.URN)
			assert.InDelta(t, 25.75, f, 0.011)
		case "monitoring-kube-prometheus-stack":
			f, _ := p.Finish(e.URN)
			assert.InDelta(t, 25.5, f, 0.011)
		}
	}
	// Every explicit dependsOn without data flow is reported, with a verdict.
	require.NotEmpty(t, d.FalseSerialisations)
	for _, w := range d.FalseSerialisations {
		assert.Contains(t, []string{"ordering", "review"}, string(w.Verdict))
		assert.NotEmpty(t, w.Hint)
		assert.GreaterOrEqual(t, w.SavingMinutes, 0.0)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	lenient := filepath.Join(dir, "all-advisory.json")
	require.NoError(t, os.WriteFile(lenient, []byte(`{"all": "advisory"}`), 0o644))

	t.Run("mandatory violations exit 1", func(t *testing.T) {
		r := report(t, "production")
		var stdout, stderr bytes.Buffer
		code := realMain([]string{"--stack", "production", "--dir", repo}, &stdout, &stderr)
		if r.Policy.Mandatory > 0 {
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), "mandatory policy violation")
		} else {
			assert.Equal(t, 0, code)
		}
		assert.Contains(t, stdout.String(), "4. Deployment critical path")
	})
	t.Run("a mandatory violation introduced by the stack file exits 1 and is named", func(t *testing.T) {
		project := projectCopy(t, "production", "novacron-platform:dbBackupRetentionDays: 7\n")
		var stdout, stderr bytes.Buffer
		code := realMain([]string{"--stack", "production", "--dir", project, "--format", "json"}, &stdout, &stderr)
		assert.Equal(t, 1, code, stderr.String())
		var rep Report
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep))
		var policies []string
		for _, v := range rep.Policy.Violations {
			policies = append(policies, v.Policy)
		}
		assert.Contains(t, policies, "rds-backup-retention")
		assert.Equal(t, 1, rep.ExitCode)
	})
	t.Run("no mandatory violation exits 0", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := realMain([]string{"--stack", "production", "--dir", repo, "--policy-config", lenient, "--format", "markdown"},
			&stdout, &stderr)
		assert.Equal(t, 0, code, stderr.String())
		assert.Contains(t, stdout.String(), "#### 3. Estimated monthly cost")
		assert.Contains(t, stdout.String(), "**0 mandatory**")
	})
	t.Run("help exits 0", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 0, realMain([]string{"-h"}, &stdout, &stderr))
		assert.Contains(t, stderr.String(), "usage: preflight")
	})
}

// projectCopy makes a project directory with the repository's Pulumi.yaml, its policy settings,
// and a stack file named stack holding content.
func projectCopy(t *testing.T, stack, content string) string {
	t.Helper()
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(repo, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), raw, 0o644))
	if policy, err := os.ReadFile(filepath.Join(repo, "policy", "config."+stack+".json")); err == nil {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "policy"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "policy", "config."+stack+".json"), policy, 0o644))
	}
	if content != "" {
		if base, err := os.ReadFile(filepath.Join(repo, "Pulumi."+stack+".yaml")); err == nil {
			content = string(base) + indent(content)
		} else {
			content = "config:\n" + indent(content)
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(content), 0o644))
	return dir
}

func indent(lines string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(lines, "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func TestBadInputExitsTwoNamingStackAndKey(t *testing.T) {
	write := func(t *testing.T, name, content string) string {
		dir := projectCopy(t, "x", "")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+name+".yaml"), []byte(content), 0o644))
		return dir
	}
	tests := []struct {
		name  string
		dir   func(t *testing.T) string
		args  []string
		wants []string
	}{
		{"unknown stack", func(t *testing.T) string { return repo }, []string{"--stack", "nosuch"},
			[]string{`unknown stack "nosuch"`, "Pulumi.nosuch.yaml"}},
		{"missing stack file in another directory", func(t *testing.T) string { return t.TempDir() }, []string{"--stack", "production"},
			[]string{"production", "Pulumi.yaml"}},
		{"YAML syntax error", func(t *testing.T) string {
			return write(t, "broken", "config:\n  novacron-platform:vpcCidr: [10.0.0.0/16\n")
		}, []string{"--stack", "broken"}, []string{"broken", "Pulumi.broken.yaml"}},
		{"wrong type", func(t *testing.T) string {
			return write(t, "wrongtype", "config:\n  novacron-platform:generalMinNodes: three\n")
		}, []string{"--stack", "wrongtype"}, []string{"wrongtype", "generalMinNodes"}},
		{"list where a list is expected is not a map", func(t *testing.T) string {
			return write(t, "zones", "config:\n  novacron-platform:availabilityZones:\n    a: b\n")
		}, []string{"--stack", "zones"}, []string{"zones", "availabilityZones"}},
		{"invalid values, all reported", func(t *testing.T) string {
			return write(t, "invalid", "config:\n  novacron-platform:generalMaxNodes: 0\n  novacron-platform:dbBackupRetentionDays: 40\n")
		}, []string{"--stack", "invalid"}, []string{"invalid: novacron-platform:generalMaxNodes", "invalid: novacron-platform:dbBackupRetentionDays"}},
		{"private endpoint nobody may reach", func(t *testing.T) string {
			return write(t, "private", "config:\n  novacron-platform:clusterEndpointPublicAccess: false\n")
		}, []string{"--stack", "private"}, []string{"private: novacron-platform:clusterEndpointAllowedCidrs must list the networks"}},
		{"region missing", func(t *testing.T) string {
			return write(t, "noregion", "config:\n  aws:region: \"\"\n")
		}, []string{"--stack", "noregion"}, []string{"noregion", "aws:region"}},
		{"stack name is not a path", func(t *testing.T) string { return repo }, []string{"--stack", "../production"},
			[]string{"not a stack name"}},
		{"no stack", func(t *testing.T) string { return repo }, nil, []string{"--stack is required"}},
		{"unknown format", func(t *testing.T) string { return repo }, []string{"--stack", "production", "--format", "yaml"},
			[]string{`--format "yaml"`}},
		{"unknown flag", func(t *testing.T) string { return repo }, []string{"--stak", "production"}, []string{"stak"}},
		{"stray argument", func(t *testing.T) string { return repo }, []string{"--stack", "production", "extra"},
			[]string{`unexpected argument "extra"`}},
		{"policy config unreadable", func(t *testing.T) string { return repo },
			[]string{"--stack", "production", "--policy-config", "no-such-file.json"}, []string{"policy config no-such-file.json"}},
		{"baseline missing", func(t *testing.T) string { return repo },
			[]string{"--stack", "production", "--baseline", "no-such-file.json"}, []string{"--baseline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--dir", tt.dir(t)}, tt.args...)
			var stdout, stderr bytes.Buffer
			code := realMain(args, &stdout, &stderr)
			assert.Equal(t, 2, code, stderr.String())
			assert.Empty(t, stdout.String(), "no report on bad input")
			for _, want := range tt.wants {
				assert.Contains(t, stderr.String(), want)
			}
			assert.NotContains(t, stderr.String(), "goroutine", "never a stack trace")
			assert.NotContains(t, stderr.String(), "panic")
		})
	}
}

func TestEmptyStackFileRunsOnDefaults(t *testing.T) {
	// Besides the deployers of the private endpoint, which have no default on purpose.
	dir := projectCopy(t, "empty", "novacron-platform:clusterEndpointAllowedCidrs: [10.0.0.0/16]\n")
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"--stack", "empty", "--dir", dir, "--format", "json"}, &stdout, &stderr)
	require.Contains(t, []int{0, 1}, code, stderr.String())
	var rep Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep))
	assert.Equal(t, "empty", rep.Stack)
	assert.Equal(t, "us-east-1", rep.Region, "Pulumi.yaml's aws:region")
	// Pulumi.yaml's defaults are production's figures.
	assert.InDelta(t, 420.48, lineOf(t, &rep, "cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.xlarge, on-demand)").MonthlyUSD, 0.001)
	assert.Empty(t, rep.Policy.ConfigFile, "no policy/config.empty.json: the pack's defaults")
}

func TestBaselineComparison(t *testing.T) {
	before := filepath.Join(t.TempDir(), "production.json")
	require.NoError(t, os.WriteFile(before, []byte(renderReport(t, report(t, "production"), FormatJSON)), 0o644))

	// One more general node in the pool's floor, and production's Multi-AZ DB cluster swapped
	// for the plan's Multi-AZ instance: another resource type, so RDS gets a new database and
	// the old one is deleted, which its protect option forbids.
	project := projectCopy(t, "production", "novacron-platform:generalMinNodes: 4\n"+
		"novacron-platform:dbDeployment: instance\nnovacron-platform:dbEngineVersion: \"17\"\n"+
		"novacron-platform:dbInstanceClass: db.r6g.xlarge\n")
	after, err := Run(Options{Dir: project, Stack: "production", Baseline: before})
	require.NoError(t, err)
	b := after.Baseline
	require.NotNil(t, b)
	refs := func(rs []Ref) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, shortType(r.Type)+" "+r.Name)
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, []string{"Instance postgres", "LogGroup postgres-upgrade-logs", "ParameterGroup postgres-params"}, refs(b.Added))
	var removed []Ref
	for _, r := range b.Removed {
		removed = append(removed, r.Ref)
		assert.Equal(t, r.Type == "aws:rds/cluster:Cluster", r.Protected, "%s: only the database is protected", r.Name)
	}
	assert.Equal(t, []string{"Cluster postgres", "ClusterParameterGroup postgres-params"}, refs(removed))
	var changed *Change
	for i := range b.Changed {
		if b.Changed[i].Name == "cluster-karpenter-deployment-capacity-floor-general" {
			changed = &b.Changed[i]
		}
	}
	require.NotNil(t, changed, "%+v", b.Changed)
	// The floor's placeholders hold one more node.
	assert.Contains(t, changed.Settings, SettingChange{Name: "replicas", Before: "3", After: "4"})
	assert.True(t, changed.InputsChanged)
	// One more m5.xlarge (140.16) and its 100 GB root volume (8.00); the instance's Multi-AZ
	// hours (656.27) and storage (230.00) replace the cluster's storage (345.00). The cluster's
	// own hours had no price: the delta leaves them out, and says so.
	assert.InDelta(t, 140.16+8+656.27+230-345, b.CostDeltaUSD, 0.001)
	assert.InDelta(t, b.CostAfterUSD-b.CostBeforeUSD, b.CostDeltaUSD, 0.001)
	assert.Equal(t, 1, b.UnpricedBefore)
	assert.Equal(t, 0, b.UnpricedAfter)
	assert.InDelta(t, b.CriticalPathBeforeMinutes, b.CriticalPathAfterMinutes, 0.011,
		"an instance takes the cluster's 25 min on the same network chain")

	text := renderReport(t, after, FormatText)
	assert.Contains(t, text, "Compared with "+before)
	assert.Contains(t, text, "leaving out 1 item without a price before, 0 after")
	assert.Contains(t, text, "- aws:rds/cluster:Cluster postgres: protected, `pulumi up` refuses to delete it")
	assert.Contains(t, text, "+ aws:rds/instance:Instance postgres\n")
	md := renderReport(t, after, FormatMarkdown)
	assert.Contains(t, md, "#### Compared with the baseline")
	assert.Contains(t, md, "| removed | postgres | `aws:rds/cluster:Cluster` | protected, `pulumi up` refuses")
	assert.Contains(t, md, "| removed | postgres-params | `aws:rds/clusterParameterGroup:ClusterParameterGroup` |  |")

	t.Run("another stack's report is refused", func(t *testing.T) {
		_, err := Run(Options{Dir: repo, Stack: "staging", Baseline: before})
		var uerr *UsageError
		require.ErrorAs(t, err, &uerr)
		assert.Contains(t, err.Error(), `stack "production", not "staging"`)
	})
	t.Run("a file of another schema is refused", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "old.json")
		require.NoError(t, os.WriteFile(other, []byte(`{"schemaVersion": 0, "tool": "novacron-preflight"}`), 0o644))
		_, err := Run(Options{Dir: repo, Stack: "production", Baseline: other})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "schema version 1")
	})
}

func TestSecretsNeverReachTheOutput(t *testing.T) {
	const ciphertext = "v1:Q0lQSEVSVEVYVC1ORVZFUi1JTi1PVVRQVVQ="
	// Staging's file does not set owner; the secure value replaces Pulumi.yaml's default.
	project := projectCopy(t, "staging", "novacron-platform:owner:\n  secure: "+ciphertext+"\n")
	r, err := Run(Options{Dir: project, Stack: "staging"})
	require.NoError(t, err)
	for _, format := range Formats {
		out := renderReport(t, r, format)
		assert.NotContains(t, out, ciphertext, format)
		assert.NotContains(t, out, "Q0lQSEVSVEVYVC1ORVZFUi1JTi1PVVRQVVQ", format)
	}

	// Secret inputs print as the marker and do not feed the fingerprint.
	secret := func(v string) resource.PropertyMap {
		return resource.PropertyMap{
			"name":     resource.NewStringProperty("grafana-admin"),
			"password": resource.MakeSecret(resource.NewStringProperty(v)),
			"nested":   resource.NewObjectProperty(resource.PropertyMap{"token": resource.MakeSecret(resource.NewStringProperty(v))}),
		}
	}
	v, ok := at(secret("hunter2"), "password")
	require.True(t, ok)
	assert.Equal(t, secretText, render(v))
	v, ok = at(secret("hunter2"), "nested.token")
	require.True(t, ok)
	assert.Equal(t, secretText, render(v))
	v, ok = at(resource.PropertyMap{"outer": resource.MakeSecret(resource.NewObjectProperty(
		resource.PropertyMap{"inner": resource.NewStringProperty("hunter2")}))}, "outer.inner")
	require.True(t, ok)
	assert.Equal(t, secretText, render(v), "a secret on the way hides what is below it")
	assert.Equal(t, inputsHash(secret("hunter2")), inputsHash(secret("something else")))
	assert.NotEqual(t, inputsHash(secret("hunter2")), inputsHash(resource.PropertyMap{"name": resource.NewStringProperty("x")}))

	rec := &mock.Resource{Type: "kubernetes:helm.sh/v3:Release", Name: "r", Inputs: resource.PropertyMap{
		"chart":  resource.NewStringProperty("grafana"),
		"values": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"tolerations": resource.NewStringProperty("hunter2")})),
	}}
	for _, s := range settings(rec) {
		assert.NotContains(t, s.Value, "hunter2")
	}
}

func TestProgressLine(t *testing.T) {
	var progress bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return progress.Write(p)
	})
	_, err := Run(Options{Dir: repo, Stack: "staging", Progress: w, ProgressAfter: time.Nanosecond})
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Regexp(t, regexp.MustCompile(`^preflight: evaluating stack staging offline .*\n$`), progress.String())
}

// entryNames returns the inventory names of urns.
func entryNames(r *Report, urns []string) []string {
	out := []string{}
	for _, u := range urns {
		for _, e := range r.Inventory.Resources {
			if e.URN == u {
				out = append(out, e.Name)
			}
		}
	}
	return out
}

func stepNames(steps []deploy.Step) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Name)
	}
	return out
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestNeverPanics(t *testing.T) {
	saved := runPreflight
	t.Cleanup(func() { runPreflight = saved })
	runPreflight = func(Options) (*Report, error) { panic("boom\nsecond line") }
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"--stack", "production"}, &stdout, &stderr)
	assert.Equal(t, 2, code)
	assert.Equal(t, "preflight: internal error: boom second line\n", stderr.String())
}

// TestSchemaIsDocumented keeps docs/preflight.md in step with the JSON report: every field name
// the report writes is described there.
func TestSchemaIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repo, "docs", "preflight.md"))
	require.NoError(t, err)
	before := filepath.Join(t.TempDir(), "production.json")
	require.NoError(t, os.WriteFile(before, []byte(renderReport(t, report(t, "production"), FormatJSON)), 0o644))
	// Reports that write every optional field: a baseline, a Kubernetes upgrade against an older
	// baseline, and a protected resource removed (the database moved to another type).
	withBaseline, err := Run(Options{Dir: repo, Stack: "production", Baseline: before})
	require.NoError(t, err)
	upgrade, err := Run(Options{Dir: repo, Stack: "production", Baseline: baselineAt(t, "1.34")})
	require.NoError(t, err)
	require.NotNil(t, upgrade.Baseline.Upgrade)
	swapped, err := Run(Options{Dir: projectCopy(t, "production", "novacron-platform:dbDeployment: instance\n"+
		"novacron-platform:dbEngineVersion: \"17\"\n"), Stack: "production", Baseline: before})
	require.NoError(t, err)
	keys := map[string]bool{}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, e := range x {
				keys[k] = true
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, r := range []*Report{withBaseline, upgrade, swapped} {
		var v any
		require.NoError(t, json.Unmarshal([]byte(renderReport(t, r, FormatJSON)), &v))
		walk(v)
	}
	assert.True(t, keys["upgrade"] && keys["protected"], "the optional fields were written")
	var missing []string
	for k := range keys {
		if !strings.Contains(string(doc), "`"+k+"`") && !strings.Contains(string(doc), "`"+k+"[]`") {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "fields of the JSON report that docs/preflight.md does not describe")
	assert.Contains(t, string(doc), "schemaVersion")
}

func BenchmarkPreflightProduction(b *testing.B) {
	for b.Loop() {
		if _, err := Run(Options{Dir: repo, Stack: "production"}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRegionWithoutPricesSaysSo(t *testing.T) {
	project := projectCopy(t, "eu", "aws:region: eu-west-1\n"+
		"novacron-platform:availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]\n"+
		"novacron-platform:clusterEndpointAllowedCidrs: [10.0.0.0/16]\n")
	r, err := Run(Options{Dir: project, Stack: "eu"})
	require.NoError(t, err)
	assert.False(t, r.Cost.PricesAvailable)
	assert.Zero(t, r.Cost.TotalMonthlyUSD)
	assert.Empty(t, r.Cost.Fixed())
	text := renderReport(t, r, FormatText)
	assert.Contains(t, text, "no prices for region eu-west-1: the price table covers us-east-1")
	assert.Contains(t, text, "no prices for eu-west-1 ·", "the summary does not show a total")
	assert.NotContains(t, text, "$0.00/month")
	// Quantities are still listed.
	assert.InDelta(t, 2190, lineOf(t, r, "cluster-karpenter-nodepool-general", "Karpenter pool instances (m5.xlarge, on-demand)").Quantity, 0.001)
	// Capacity does not depend on prices: the answer is there, the months are not.
	require.NotNil(t, r.Capacity)
	assert.Contains(t, text, "10x fits: needs 9 of 10 m5.xlarge nodes")
	assert.Contains(t, text, "cost: not priced")
}
