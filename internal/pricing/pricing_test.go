package pricing

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

func res(typ, name string, inputs map[string]any, deps ...*mock.Resource) *mock.Resource {
	r := &mock.Resource{
		Type:   typ,
		Name:   name,
		URN:    "urn:pulumi:test::novacron-platform::" + typ + "::" + name,
		Custom: !strings.HasPrefix(typ, "eks:index:") && !strings.HasPrefix(typ, "novacron:"),
		Inputs: resource.NewPropertyMapFromMap(inputs),
	}
	for _, d := range deps {
		r.Dependencies = append(r.Dependencies, d.URN)
	}
	return r
}

func nodeGroup(name, instanceType string, minSize, desired, maxSize int, deps ...*mock.Resource) *mock.Resource {
	return res(tNodeGroup, name, map[string]any{
		"instanceTypes": []any{instanceType},
		"scalingConfig": map[string]any{"minSize": minSize, "desiredSize": desired, "maxSize": maxSize},
	}, deps...)
}

func launchTemplate(name string, size int, volType string) *mock.Resource {
	return res(tLaunchTemplate, name, map[string]any{
		"blockDeviceMappings": []any{map[string]any{"deviceName": "/dev/xvda",
			"ebs": map[string]any{"volumeSize": size, "volumeType": volType, "encrypted": "true"}}},
	})
}

func postgres(name, class string, multiAZ bool, storage int) *mock.Resource {
	return res(tRDSInstance, name, map[string]any{
		"engine": "postgres", "instanceClass": class, "multiAz": multiAZ,
		"storageType": "gp3", "allocatedStorage": storage, "maxAllocatedStorage": 2 * storage,
		"manageMasterUserPassword": true, "backupRetentionPeriod": 30, "monitoringInterval": 60,
		"performanceInsightsEnabled": true, "performanceInsightsRetentionPeriod": 7,
	})
}

// find returns the single line of the resource named name whose item is itemPrefix, or else
// starts with it.
func find(t *testing.T, e *Estimate, name, itemPrefix string) Line {
	t.Helper()
	var exact, found []Line
	for _, l := range e.Lines {
		if l.Name == name && l.Item == itemPrefix {
			exact = append(exact, l)
		}
		if l.Name == name && strings.HasPrefix(l.Item, itemPrefix) {
			found = append(found, l)
		}
	}
	if len(exact) > 0 {
		found = exact
	}
	require.Len(t, found, 1, "lines of %s starting with %q in %+v", name, itemPrefix, e.Lines)
	return found[0]
}

func TestPriceTableIsSourcedAndDated(t *testing.T) {
	table, ok := ForRegion("us-east-1")
	require.True(t, ok)
	assert.Equal(t, TableDate, table.Date)
	for id, p := range table.Prices {
		assert.Equal(t, id, p.ID)
		assert.Positive(t, p.USD, id)
		assert.NotEmpty(t, p.Unit, id)
		assert.NotEmpty(t, p.Source, id)
		assert.NotEmpty(t, p.AsOf, id)
		assert.NotEmpty(t, p.Description, id)
	}
	// DESIGN.md §8's figures, as the table must carry them.
	want := map[string]float64{
		"ec2/m5.xlarge": 0.192, "ec2/p3.2xlarge": 3.06, "ec2/g5.xlarge": 1.006, "ec2/g6.xlarge": 0.8048,
		idEKSStandard: 0.10, idEKSExtended: 0.60, idNATHour: 0.045, idNATData: 0.045, idALBHour: 0.0225,
		idRDSgp3: 0.115, idRDSgp3MultiAZ: 0.23, idRDSgp3Cluster: 0.345, idEBSgp3: 0.08, idKMSKey: 1, idSecret: 0.40,
		idInterfaceVPCE: 0.01, idS3Standard: 0.023,
	}
	for id, usd := range want {
		p, ok := table.Price(id)
		require.True(t, ok, id)
		assert.InDelta(t, usd, p.USD, 1e-9, id)
	}
	// Multi-AZ bills the primary and the standby.
	large, _ := table.Price(rdsID("postgres", "db.r6g.large", false))
	largeMulti, _ := table.Price(rdsID("postgres", "db.r6g.large", true))
	assert.InDelta(t, 2*large.USD, largeMulti.USD, 1e-9)
	// No figure was found for db.r6g.xlarge Single-AZ: it must stay absent, not be derived.
	_, ok = table.Price(rdsID("postgres", "db.r6g.xlarge", false))
	assert.False(t, ok)

	_, ok = ForRegion("eu-west-1")
	assert.False(t, ok)
}

func TestMonthlyCostPerResourceType(t *testing.T) {
	lt := launchTemplate("cluster-general", 100, "gp3")
	primary := postgres("postgres", "db.r6g.xlarge", true, 1000)
	replica := res(tRDSInstance, "postgres-replica-1", map[string]any{
		"replicateSourceDb": "postgres", "instanceClass": "db.r6g.xlarge", "storageType": "gp3",
	}, primary)

	tests := []struct {
		name     string
		records  []*mock.Resource
		resource string
		item     string
		kind     Kind
		monthly  float64
		quantity float64
	}{
		// The hand-computed figures.
		{"5 × m5.xlarge × 730 h", []*mock.Resource{nodeGroup("general", "m5.xlarge", 3, 5, 10)},
			"general", "Node group instances (m5.xlarge)", Fixed, 700.80, 3650},
		{"2 × p3.2xlarge × 730 h", []*mock.Resource{nodeGroup("ml", "p3.2xlarge", 0, 2, 5)},
			"ml", "Node group instances (p3.2xlarge)", Fixed, 4467.60, 1460},
		{"GPU group scaled to zero", []*mock.Resource{nodeGroup("ml", "g5.xlarge", 0, 0, 2)},
			"ml", "Node group instances (g5.xlarge)", Fixed, 0, 0},
		{"EKS control plane, standard support", []*mock.Resource{res(tEKSComponent, "cluster", map[string]any{"version": "1.35"})},
			"cluster", "EKS control plane", Fixed, 73.00, 730},
		{"EKS control plane, extended support", []*mock.Resource{res(tEKSComponent, "cluster", map[string]any{"version": "1.30"})},
			"cluster", "EKS control plane", Fixed, 438.00, 730},
		{"node root volumes from the launch template: 5 × 100 GB gp3",
			[]*mock.Resource{lt, nodeGroup("general", "m5.xlarge", 3, 5, 10, lt)},
			"general", "Node root volumes (gp3)", Fixed, 40.00, 500},
		{"RDS db.r6g.xlarge Multi-AZ: 0.899 × 730", []*mock.Resource{primary},
			"postgres", "RDS postgres db.r6g.xlarge, Multi-AZ (primary)", Fixed, 656.27, 730},
		{"RDS gp3 Multi-AZ: 1000 GB × 0.23", []*mock.Resource{primary},
			"postgres", "RDS storage (gp3, Multi-AZ)", Fixed, 230.00, 1000},
		{"RDS-managed master secret", []*mock.Resource{primary},
			"postgres", "Secrets Manager secret (RDS-managed", Fixed, 0.40, 1},
		{"RDS db.r6g.large Multi-AZ: 0.45 × 730", []*mock.Resource{postgres("db", "db.r6g.large", true, 100)},
			"db", "RDS postgres db.r6g.large, Multi-AZ", Fixed, 328.50, 730},
		{"RDS db.r6g.large Single-AZ: 0.225 × 730", []*mock.Resource{postgres("db", "db.r6g.large", false, 100)},
			"db", "RDS postgres db.r6g.large, Single-AZ", Fixed, 164.25, 730},
		{"RDS gp3 Single-AZ: 100 GB × 0.115", []*mock.Resource{postgres("db", "db.r6g.large", false, 100)},
			"db", "RDS storage (gp3)", Fixed, 11.50, 100},
		{"replica without a Single-AZ price is listed, not guessed", []*mock.Resource{primary, replica},
			"postgres-replica-1", "RDS postgres db.r6g.xlarge, Single-AZ (read replica)", NoPrice, 0, 730},
		{"replica storage follows its source", []*mock.Resource{primary, replica},
			"postgres-replica-1", "RDS storage (gp3)", Fixed, 115.00, 1000},
		{"NAT gateway hour", []*mock.Resource{res(tNATGateway, "nat-a", nil)},
			"nat-a", "NAT gateway", Fixed, 32.85, 730},
		{"NAT data is usage-based", []*mock.Resource{res(tNATGateway, "nat-a", nil)},
			"nat-a", "NAT gateway data processed", Usage, 0, 0},
		{"Elastic IP public IPv4", []*mock.Resource{res(tEIP, "nat-a", nil)},
			"nat-a", "Public IPv4 address", Fixed, 3.65, 730},
		{"interface endpoint in 3 AZs", []*mock.Resource{res(tVPCEndpoint, "ecr", map[string]any{
			"vpcEndpointType": "Interface", "subnetIds": []any{"a", "b", "c"}})},
			"ecr", "Interface VPC endpoint", Fixed, 21.90, 2190},
		{"KMS key", []*mock.Resource{res(tKMSKey, "key", map[string]any{"enableKeyRotation": true})},
			"key", "KMS key", Fixed, 1.00, 1},
		{"Secrets Manager secret", []*mock.Resource{res(tSecret, "slack", nil)},
			"slack", "Secrets Manager secret", Fixed, 0.40, 1},
		{"S3 is usage-based", []*mock.Resource{res(tBucketV2, "artifacts", nil)},
			"artifacts", "S3 Standard storage", Usage, 0, 0},
		{"CloudWatch Logs are usage-based", []*mock.Resource{res(tLogGroup, "flow", map[string]any{"retentionInDays": 90})},
			"flow", "CloudWatch Logs ingestion", Usage, 0, 0},
		{"ALB of the load balancer controller", []*mock.Resource{res(tHelmRelease, "lbc", map[string]any{
			"chart": "aws-load-balancer-controller"})},
			"lbc", "Application Load Balancer (created", Fixed, 16.43, 730},
		{"ALB capacity units are usage-based", []*mock.Resource{res(tHelmRelease, "lbc", map[string]any{
			"chart": "aws-load-balancer-controller"})},
			"lbc", "Application Load Balancer capacity units", Usage, 0, 0},
		{"EBS volume gp3", []*mock.Resource{res(tEBSVolume, "data", map[string]any{"type": "gp3", "size": 50})},
			"data", "EBS volume (gp3)", Fixed, 4.00, 50},
		{"EBS volume gp2 has no price", []*mock.Resource{res(tEBSVolume, "data", map[string]any{"type": "gp2", "size": 50})},
			"data", "EBS volume (gp2)", NoPrice, 0, 0},
		// The account baseline.
		{"CloudWatch alarm", []*mock.Resource{res(tMetricAlarm, "cis-4-1", map[string]any{"metricName": "UnauthorizedApiCalls"})},
			"cis-4-1", "CloudWatch alarm", Fixed, 0.10, 1},
		{"CloudTrail data events are usage-based", []*mock.Resource{res(tTrail, "trail", nil)},
			"trail", "CloudTrail data events", Usage, 0, 0},
		{"AWS Config items are usage-based", []*mock.Resource{res(tConfigRecorder, "recorder", nil)},
			"recorder", "AWS Config configuration items", Usage, 0, 0},
		{"conformance pack evaluations are usage-based", []*mock.Resource{res(tConformancePack, "pack", nil)},
			"pack", "AWS Config rule evaluations", Usage, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Calculate("us-east-1", tt.records)
			l := find(t, e, tt.resource, tt.item)
			assert.Equal(t, tt.kind, l.Kind, "%+v", l)
			assert.InDelta(t, tt.monthly, l.MonthlyUSD, 0.001, "%+v", l)
			assert.InDelta(t, tt.quantity, l.Quantity, 0.001, "%+v", l)
			if tt.kind != NoPrice {
				assert.NotEmpty(t, l.PriceID)
				assert.Positive(t, l.UnitPriceUSD)
			}
		})
	}
}

func TestMonitoringVolumesFromHelmValues(t *testing.T) {
	claim := func(size string) map[string]any {
		return map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
			"storageClassName": "fast-ssd", "resources": map[string]any{"requests": map[string]any{"storage": size}}}}}
	}
	kps := res(tHelmRelease, "monitoring-kube-prometheus-stack", map[string]any{
		"chart": "kube-prometheus-stack",
		"values": map[string]any{
			"prometheus":   map[string]any{"prometheusSpec": map[string]any{"storageSpec": claim("500Gi")}},
			"grafana":      map[string]any{"persistence": map[string]any{"enabled": true, "size": "100Gi"}},
			"alertmanager": map[string]any{"alertmanagerSpec": map[string]any{"storage": claim("10Gi")}},
		},
	})
	e := Calculate("us-east-1", []*mock.Resource{kps})
	for item, monthly := range map[string]float64{
		"Prometheus volume 500Gi (gp3)": 40.00, "Grafana volume 100Gi (gp3)": 8.00, "Alertmanager volume 10Gi (gp3)": 0.80,
	} {
		l := find(t, e, kps.Name, item)
		assert.Equal(t, Fixed, l.Kind)
		assert.InDelta(t, monthly, l.MonthlyUSD, 0.001, item)
	}
	assert.InDelta(t, 48.80, e.TotalMonthlyUSD, 0.001)

	// Grafana without persistence has no volume; two Prometheus replicas double the storage.
	values := kps.Inputs["values"].ObjectValue()
	values["grafana"] = resource.NewObjectProperty(resource.NewPropertyMapFromMap(map[string]any{
		"persistence": map[string]any{"enabled": false, "size": "100Gi"}}))
	values["prometheus"] = resource.NewObjectProperty(resource.NewPropertyMapFromMap(map[string]any{
		"prometheusSpec": map[string]any{"storageSpec": claim("500Gi"), "replicas": 2}}))
	e = Calculate("us-east-1", []*mock.Resource{kps})
	assert.InDelta(t, 80.80, e.TotalMonthlyUSD, 0.001)
	for _, l := range e.Lines {
		assert.NotContains(t, l.Item, "Grafana")
	}
}

func TestMultiAZDoublesTheSingleAZRateWhenNoMultiAZPriceIsListed(t *testing.T) {
	tables["test-1"] = &Table{Region: "test-1", Date: TableDate, Prices: map[string]Price{
		rdsID("postgres", "db.m7g.large", false): {ID: rdsID("postgres", "db.m7g.large", false), USD: 0.2, Unit: "hour"},
	}}
	t.Cleanup(func() { delete(tables, "test-1") })

	e := Calculate("test-1", []*mock.Resource{postgres("db", "db.m7g.large", true, 100)})
	l := find(t, e, "db", "RDS postgres db.m7g.large, Multi-AZ")
	assert.Equal(t, Fixed, l.Kind)
	assert.InDelta(t, 2*730, l.Quantity, 0.001)
	assert.InDelta(t, 292.00, l.MonthlyUSD, 0.001) // 2 × 0.2 × 730
	assert.Contains(t, l.Note, "primary and the standby")
}

func pgCluster(name, class string, storage, iops int) *mock.Resource {
	return res(tRDSCluster, name, map[string]any{
		"engine": "postgres", "dbClusterInstanceClass": class, "storageType": "gp3",
		"allocatedStorage": storage, "iops": iops, "manageMasterUserPassword": true,
		"backupRetentionPeriod": 30, "monitoringInterval": 60,
		"performanceInsightsEnabled": true, "performanceInsightsRetentionPeriod": 7,
	})
}

// TestMultiAZDBCluster prices production's database: three copies of the storage, and instance
// hours only from a listed price, never guessed.
func TestMultiAZDBCluster(t *testing.T) {
	e := Calculate("us-east-1", []*mock.Resource{pgCluster("postgres", "db.r6gd.xlarge", 1000, 12000)})
	hours := find(t, e, "postgres", "RDS postgres db.r6gd.xlarge, Multi-AZ DB cluster")
	assert.Equal(t, NoPrice, hours.Kind, "no price-list record for the class: listed, not guessed")
	assert.InDelta(t, 730, hours.Quantity, 0.001)
	// The line says what it stands for and that the total leaves it out.
	assert.Contains(t, hours.Note, "three instances billed; not in the total")
	assert.Contains(t, hours.Note, "no price for rds/postgres/db.r6gd.xlarge/multi-az-cluster")
	storage := find(t, e, "postgres", "RDS storage (gp3, Multi-AZ DB cluster)")
	assert.Equal(t, Fixed, storage.Kind)
	assert.InDelta(t, 345.00, storage.MonthlyUSD, 0.001) // 1000 GB × 0.345
	assert.Equal(t, Fixed, find(t, e, "postgres", "Secrets Manager secret (RDS-managed").Kind)
	assert.InDelta(t, 345.40, e.TotalMonthlyUSD, 0.001)
	for _, l := range e.Lines {
		assert.NotContains(t, l.Item, "IOPS above", "12,000 IOPS is the gp3 baseline from 400 GiB")
	}

	// Above the baseline, the extra IOPS are named without a price.
	e = Calculate("us-east-1", []*mock.Resource{pgCluster("postgres", "db.r6gd.xlarge", 1000, 20000)})
	extra := find(t, e, "postgres", "RDS gp3 IOPS above the 12,000 baseline")
	assert.Equal(t, NoPrice, extra.Kind)
	assert.Contains(t, extra.Note, "8000 provisioned IOPS")

	// Aurora clusters are not this model's business.
	e = Calculate("us-east-1", []*mock.Resource{res(tRDSCluster, "aurora", map[string]any{"engine": "aurora-postgresql"})})
	assert.Empty(t, e.Lines)
	assert.Equal(t, []TypeCount{{Type: tRDSCluster, Count: 1}}, e.NotModelled)
}

func TestMultiAZDBClusterBillsThreeInstances(t *testing.T) {
	single := rdsID("postgres", "db.m6gd.large", false)
	cluster := rdsClusterID("postgres", "db.r6gd.large")
	tables["test-1"] = &Table{Region: "test-1", Date: TableDate, Prices: map[string]Price{
		single:  {ID: single, USD: 0.2, Unit: "hour"},
		cluster: {ID: cluster, USD: 0.9, Unit: "hour"},
	}}
	t.Cleanup(func() { delete(tables, "test-1") })

	e := Calculate("test-1", []*mock.Resource{pgCluster("a", "db.m6gd.large", 500, 12000), pgCluster("b", "db.r6gd.large", 500, 12000)})
	a := find(t, e, "a", "RDS postgres db.m6gd.large, Multi-AZ DB cluster")
	assert.Equal(t, Fixed, a.Kind)
	assert.InDelta(t, 3*730, a.Quantity, 0.001)
	assert.InDelta(t, 438.00, a.MonthlyUSD, 0.001) // 3 × 0.2 × 730
	b := find(t, e, "b", "RDS postgres db.r6gd.large, Multi-AZ DB cluster")
	assert.InDelta(t, 657.00, b.MonthlyUSD, 0.001) // the listed cluster rate, 0.9 × 730
}

func TestTotalIsTheSumOfFixedLines(t *testing.T) {
	lt := launchTemplate("cluster-general", 100, "gp3")
	records := []*mock.Resource{
		res(tEKSComponent, "cluster", map[string]any{"version": "1.35"}),
		lt, nodeGroup("general", "m5.xlarge", 3, 5, 10, lt),
		nodeGroup("ml", "p3.2xlarge", 0, 2, 5),
		res(tNATGateway, "nat-a", nil), res(tNATGateway, "nat-b", nil),
		postgres("postgres", "db.r6g.xlarge", true, 1000),
		res("aws:iam/role:Role", "nodes", nil),
		res("aws:iam/role:Role", "cni", nil),
	}
	e := Calculate("us-east-1", records)
	// 73 + 700.80 + 40 + 4467.60 + 2 × 32.85 + 656.27 + 230 + 0.40
	assert.InDelta(t, 6233.77, e.TotalMonthlyUSD, 0.001)
	var sum float64
	for _, l := range e.Fixed() {
		sum += l.MonthlyUSD
	}
	assert.InDelta(t, sum, e.TotalMonthlyUSD, 0.001)
	assert.Equal(t, []TypeCount{{Type: "aws:iam/role:Role", Count: 2}}, e.NotModelled)
	assert.NotEmpty(t, e.UsageBased())
	// Every price a line uses is listed with its source.
	ids := map[string]bool{}
	for _, p := range e.Prices {
		ids[p.ID] = true
	}
	for _, l := range e.Lines {
		if l.PriceID != "" && l.Kind != NoPrice {
			assert.True(t, ids[l.PriceID], l.PriceID)
		}
	}
}

func TestRegionWithoutPricesSaysSo(t *testing.T) {
	e := Calculate("eu-west-1", []*mock.Resource{
		res(tEKSComponent, "cluster", map[string]any{"version": "1.35"}),
		res(tNATGateway, "nat-a", nil),
	})
	assert.False(t, e.PricesAvailable)
	assert.Empty(t, e.PriceTableDate)
	assert.Zero(t, e.TotalMonthlyUSD)
	require.NotEmpty(t, e.Lines)
	for _, l := range e.Lines {
		assert.NotEqual(t, Fixed, l.Kind, "%+v", l)
		assert.Zero(t, l.MonthlyUSD)
		assert.Contains(t, l.Note, "no prices for region eu-west-1")
	}
	// Quantities are still shown.
	assert.InDelta(t, 730, find(t, e, "cluster", "EKS control plane").Quantity, 0.001)
}

func TestGibibytes(t *testing.T) {
	for q, want := range map[string]float64{"500Gi": 500, "1Ti": 1024, "512Mi": 0.5, "100G": 1e11 / (1 << 30)} {
		got, ok := gibibytes(q)
		require.True(t, ok, q)
		assert.InDelta(t, want, got, 1e-9, q)
	}
	for _, q := range []string{"", "lots", "-1Gi", "10"} {
		_, ok := gibibytes(q)
		assert.False(t, ok, q)
	}
}
