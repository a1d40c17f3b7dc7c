package compliance

import (
	"slices"
	"strings"
)

// Resource types read only by the operational policies below.
const (
	tBackupVault = "aws:backup/vault:Vault"
)

// currentRDSCAs are the RDS certificate authorities valid beyond 2024; rds-ca-2019 expired in
// August 2024 (Amazon RDS User Guide, "Using SSL/TLS to encrypt a connection to a DB instance or
// cluster", Certificate authorities). Checkov CKV_AWS_211 accepts the same three.
var currentRDSCAs = []string{"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"}

// enhancedMonitoringIntervals are the granularities RDS accepts besides 0, which turns enhanced
// monitoring off (RDS API Reference, CreateDBInstance MonitoringInterval).
var enhancedMonitoringIntervals = []float64{1, 5, 10, 15, 30, 60}

func init() {
	register(
		&Policy{
			Name:        "rds-performance-insights-enabled",
			Area:        "rds",
			Description: "RDS databases have Performance Insights enabled.",
			Level:       Mandatory,
			Severity:    Low,
			Remediation: "Set performanceInsightsEnabled to true (with performanceInsightsKmsKeyId).",
			Controls:    join(soc2("CC7.2"), iso("A.8.16")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				if on, ok := c.boolField(r, "performanceInsightsEnabled", false); ok && !on {
					c.violation(r, "performanceInsightsEnabled is not true: database load and wait events are not recorded")
				}
			},
		},
		&Policy{
			Name:        "rds-enhanced-monitoring",
			Area:        "rds",
			Description: "RDS databases publish enhanced monitoring (OS) metrics.",
			// Advisory: the database component lets a stack turn enhanced monitoring off
			// (dbDisableEnhancedMonitoring), a cost decision rather than a control failure.
			Level:       Advisory,
			Severity:    Low,
			Remediation: "Set monitoringInterval to 1, 5, 10, 15, 30 or 60 seconds with a monitoringRoleArn.",
			Controls:    join(soc2("CC7.2"), iso("A.8.16")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				n, set, ok := c.numberField(r, "monitoringInterval")
				switch {
				case !ok:
				case !set || n == 0:
					c.violation(r, "monitoringInterval is not set: enhanced monitoring is off")
				case !slices.Contains(enhancedMonitoringIntervals, n):
					c.violation(r, "monitoringInterval is %v: RDS accepts 1, 5, 10, 15, 30 or 60", n)
				}
			},
		},
		&Policy{
			Name:        "rds-log-exports",
			Area:        "rds",
			Description: "RDS databases export their engine logs to CloudWatch Logs (PostgreSQL: the postgresql log).",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set enabledCloudwatchLogsExports (PostgreSQL: [\"postgresql\", \"upgrade\"] on an instance, [\"postgresql\"] on a cluster).",
			Controls:    join(soc2("CC7.2"), iso("A.8.15"), pci("10.2.1")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				logs, set, ok := c.stringsField(r, "enabledCloudwatchLogsExports")
				if !ok {
					return
				}
				if !set || len(logs) == 0 {
					c.violation(r, "enabledCloudwatchLogsExports is empty: the database's logs stay on the instance and are lost with it")
					return
				}
				engine, _, ok := c.stringField(r, "engine")
				if ok && strings.Contains(engine, "postgres") && !slices.Contains(logs, "postgresql") {
					c.violation(r, "enabledCloudwatchLogsExports is %v: a PostgreSQL database must export the postgresql log", logs)
				}
			},
		},
		&Policy{
			Name:        "rds-copy-tags-to-snapshot",
			Area:        "rds",
			Description: "RDS databases copy their tags to snapshots.",
			Level:       Mandatory,
			Severity:    Low,
			// Snapshots without the database's tags escape tag-based ownership, cost and backup
			// selection (Amazon RDS User Guide, "Copying tags to DB snapshots").
			Remediation: "Set copyTagsToSnapshot to true.",
			Controls:    iso("A.5.9"),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				if on, ok := c.boolField(r, "copyTagsToSnapshot", false); ok && !on {
					c.violation(r, "copyTagsToSnapshot is not true: snapshots do not carry the database's tags")
				}
			},
		},
		&Policy{
			Name:        "rds-ca-certificate-current",
			Area:        "rds",
			Description: "RDS databases that name their server certificate authority name a current one (not rds-ca-2019).",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set caCertIdentifier (instance) or caCertificateIdentifier (Multi-AZ DB cluster) to rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1, or leave it unset for the region's default.",
			Controls:    join(iso("A.8.24"), pci("4.2.1")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				field := "caCertIdentifier"
				if r.Type == tRDSCluster {
					field = "caCertificateIdentifier"
				}
				ca, set, ok := c.stringField(r, field)
				if ok && set && !slices.Contains(currentRDSCAs, ca) {
					c.violation(r, "%s is %q: use %s", field, ca, strings.Join(currentRDSCAs, ", "))
				}
			},
		},
		&Policy{
			Name:        "ecr-kms-encryption",
			Area:        "ecr",
			Description: "ECR repositories are encrypted with a customer managed KMS key.",
			Level:       Mandatory,
			Severity:    Medium,
			// Without encryptionConfigurations ECR encrypts with AES256 (S3-managed keys); the
			// setting cannot change after creation (Amazon ECR User Guide, "Encryption at rest").
			Remediation: "Set encryptionConfigurations to [{encryptionType: KMS, kmsKey: <customer managed key ARN>}] when creating the repository.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1")),
			Types:       []string{tECRRepository},
			checkResource: func(c *run, r *Resource) {
				typ, set, ok := c.stringField(r, "encryptionConfigurations.encryptionType")
				if !ok {
					return
				}
				if !set || typ != "KMS" {
					c.violation(r, "encryptionConfigurations does not set encryptionType KMS: images are encrypted with AES256 under keys the account does not control")
					return
				}
				if _, set, ok := c.stringField(r, "encryptionConfigurations.kmsKey"); ok && !set {
					c.violation(r, "encryptionConfigurations sets no kmsKey: images are encrypted with the AWS managed key aws/ecr")
				}
			},
		},
		&Policy{
			Name:        "backup-vault-cmk",
			Area:        "backup",
			Description: "AWS Backup vaults encrypt recovery points with a customer managed KMS key.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set kmsKeyArn to a customer managed key when creating the vault.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1")),
			Types:       []string{tBackupVault},
			checkResource: func(c *run, r *Resource) {
				if _, set, ok := c.stringField(r, "kmsKeyArn"); ok && !set {
					c.violation(r, "kmsKeyArn is not set: recovery points are encrypted with the AWS managed key aws/backup")
				}
			},
		},
	)
}
