package compliance

import (
	"slices"
	"strconv"
	"strings"
)

// Resource types read only by the operational policies below.
const (
	tBackupVault     = "aws:backup/vault:Vault"
	tBackupPlan      = "aws:backup/plan:Plan"
	tBucketLogging   = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	tBucketOwnership = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tBucketLifecycle = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
)

// lockoutActions are the bucket policy actions whose unconditional Deny to everyone leaves only
// the account root able to change the policy again (Checkov CKV_AWS_93).
var lockoutActions = []string{"s3:putbucketpolicy", "s3:*bucketpolicy", "s3:put*", "s3:*", "*"}

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
			Name:        "rds-query-logging",
			Area:        "rds",
			Description: "PostgreSQL parameter groups log statements: log_statement (not none) and log_min_duration_statement (not -1).",
			Level:       Mandatory,
			Severity:    Medium,
			// Checkov CKV2_AWS_30 / CKV2_AWS_27 look for both parameters in the group.
			Remediation: "Set log_statement (ddl or mod) and log_min_duration_statement (milliseconds) in the DB (cluster) parameter group.",
			Controls:    join(soc2("CC7.2"), iso("A.8.15"), pci("10.2.1")),
			Types:       []string{tRDSParameterGroup, tRDSClusterParameterGroup},
			checkResource: func(c *run, r *Resource) {
				family, _, ok := c.stringField(r, "family")
				if !ok || !strings.HasPrefix(family, "postgres") {
					return
				}
				params, _, ok := c.listField(r, "parameters")
				if !ok {
					return
				}
				values := map[string]string{}
				for _, p := range params {
					name, st := asString(at(p, "name"))
					if st == unknown {
						c.cannotCheck(r, "a parameter name is not known yet")
						return
					}
					value, vst := asString(at(p, "value"))
					if vst == unknown {
						c.cannotCheck(r, "parameter %s is not known yet", name)
						return
					}
					values[name] = value
				}
				if v, set := values["log_statement"]; !set || v == "none" {
					c.violation(r, "log_statement is not set (or none): no statement is logged")
				}
				if v, set := values["log_min_duration_statement"]; !set || v == "-1" {
					c.violation(r, "log_min_duration_statement is not set (or -1): slow statements are not logged")
				}
			},
		},
		&Policy{
			Name:        "rds-postgres-log-fdw-patched",
			Area:        "rds",
			Description: "RDS for PostgreSQL runs a version with the log_fdw fix (AWS-2022-004: 9.6.22+, 10.17+, 11.12+, 12.7+, 13.3+, 14+).",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Upgrade engineVersion to a supported PostgreSQL major version (14 or later).",
			Controls:    join(soc2("CC7.1"), iso("A.8.8"), pci("6.3.3")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				engine, _, ok := c.stringField(r, "engine")
				if !ok || engine != "postgres" {
					return
				}
				version, set, ok := c.stringField(r, "engineVersion")
				if !ok || !set {
					return
				}
				if !logFdwPatched(version) {
					c.violation(r, "engineVersion %s is affected by the log_fdw local file read issue (AWS security bulletin AWS-2022-004)", version)
				}
			},
		},
		&Policy{
			Name:        "s3-kms-encryption",
			Area:        "s3",
			Description: "S3 buckets encrypt by default with a customer managed KMS key and an S3 Bucket Key, except server access log destinations (S3 delivers access logs only to SSE-S3 buckets).",
			Level:       Mandatory,
			Severity:    Medium,
			// Amazon S3 User Guide, "Enabling Amazon S3 server access logging": the destination
			// bucket can use SSE-S3 only; SSE-KMS is not supported there.
			Remediation: "Give the bucket's encryption configuration sseAlgorithm aws:kms, kmsMasterKeyId (a customer managed key) and bucketKeyEnabled true.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), gdpr("Art. 32")),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				logTargets := logDestinations(rs)
				forBucketParts(c, rs, tBucketEncryption, "an encryption configuration", func(b *Resource, parts []*Resource) {
					if logTargets[b] || len(parts) == 0 {
						return // log destinations stay SSE-S3; no configuration at all is s3-encryption's finding
					}
					rules, st := asList(parts[0].get("rules"))
					switch st {
					case unknown:
						c.cannotCheck(b, "the encryption rules are not known yet")
						return
					case present:
					default:
						return
					}
					for _, rule := range rules {
						alg, ast := asString(at(rule, "applyServerSideEncryptionByDefault.sseAlgorithm"))
						key, kst := asString(at(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId"))
						bk, bst := asBool(at(rule, "bucketKeyEnabled"))
						switch {
						case ast == unknown || kst == unknown || bst == unknown:
							c.cannotCheck(b, "the encryption rule is not known yet")
						case !strings.HasPrefix(alg, "aws:kms"):
							c.violation(b, "the default encryption is %s, not aws:kms with a customer managed key", alg)
						case kst != present || key == "":
							c.violation(b, "the default encryption is aws:kms without kmsMasterKeyId: objects use the AWS managed key aws/s3")
						case !bk:
							c.violation(b, "bucketKeyEnabled is not true: every object costs a KMS request")
						}
					}
				})
			},
		},
		&Policy{
			Name:        "s3-ownership-enforced",
			Area:        "s3",
			Description: "S3 buckets disable ACLs (object ownership BucketOwnerEnforced).",
			Level:       Mandatory,
			Severity:    Medium,
			// With BucketOwnerEnforced the bucket owner owns every object and ACLs no longer
			// grant access (Amazon S3 User Guide, "Controlling ownership of objects and disabling
			// ACLs for your bucket").
			Remediation: "Attach an aws.s3.BucketOwnershipControls with rule.objectOwnership BucketOwnerEnforced.",
			Controls:    join(soc2("CC6.1"), iso("A.8.3")),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				forBucketParts(c, rs, tBucketOwnership, "ownership controls", func(b *Resource, parts []*Resource) {
					if len(parts) == 0 {
						c.violation(b, "no BucketOwnershipControls is attached: ACLs still grant access")
						return
					}
					own, st := asString(parts[0].get("rule.objectOwnership"))
					switch {
					case st == unknown:
						c.cannotCheck(b, "the object ownership is not known yet")
					case own != "BucketOwnerEnforced":
						c.violation(b, "object ownership is %q, not BucketOwnerEnforced: ACLs still grant access", own)
					}
				})
			},
		},
		&Policy{
			Name:        "s3-lifecycle-abort-incomplete-uploads",
			Area:        "s3",
			Description: "S3 buckets have a lifecycle configuration with an enabled rule that aborts incomplete multipart uploads.",
			Level:       Mandatory,
			Severity:    Low,
			// Parts of an upload never completed are stored and billed until aborted (Amazon S3
			// User Guide, "Configuring a bucket lifecycle configuration to delete incomplete
			// multipart uploads").
			Remediation: "Attach an aws.s3.BucketLifecycleConfigurationV2 with an Enabled rule setting abortIncompleteMultipartUpload.daysAfterInitiation.",
			Controls:    iso("A.8.10"),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				forBucketParts(c, rs, tBucketLifecycle, "a lifecycle configuration", func(b *Resource, parts []*Resource) {
					if len(parts) == 0 {
						c.violation(b, "no lifecycle configuration is attached to the bucket")
						return
					}
					for _, p := range parts {
						rules, st := asList(p.get("rules"))
						if st == unknown {
							c.cannotCheck(b, "the lifecycle rules are not known yet")
							return
						}
						for _, rule := range rules {
							status, sst := asString(at(rule, "status"))
							days, dst := asNumber(at(rule, "abortIncompleteMultipartUpload.daysAfterInitiation"))
							if sst == unknown || dst == unknown {
								c.cannotCheck(b, "a lifecycle rule is not known yet")
								return
							}
							if status == "Enabled" && dst == present && days > 0 {
								return
							}
						}
					}
					c.violation(b, "no enabled lifecycle rule aborts incomplete multipart uploads")
				})
			},
		},
		&Policy{
			Name:        "s3-access-logging",
			Area:        "s3",
			Description: "S3 buckets log requests (server access logging), except the log destinations themselves.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Attach an aws.s3.BucketLoggingV2 whose targetBucket is the access log bucket.",
			Controls:    join(soc2("CC7.2"), iso("A.8.15"), pci("10.2.1")),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				targets := logDestinations(rs)
				forBucketParts(c, rs, tBucketLogging, "a logging configuration", func(b *Resource, parts []*Resource) {
					if len(parts) == 0 && !targets[b] {
						c.violation(b, "no BucketLoggingV2 is attached: requests to the bucket are not logged")
					}
				})
			},
		},
		&Policy{
			Name:        "s3-policy-no-lockout",
			Area:        "s3",
			Description: "S3 bucket policies do not deny everyone the bucket policy actions without a condition (only the root user could then change the policy).",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Add a condition to the Deny (aws:PrincipalArn, aws:SecureTransport, ...) or narrow its actions.",
			Controls:    join(soc2("A1.2"), iso("A.8.3")),
			Types:       []string{tBucketPolicy},
			checkResource: func(c *run, r *Resource) {
				doc, set, ok := readIAMDocument(c, r, "policy", r.get("policy"))
				if !ok || !set {
					return
				}
				for _, st := range doc.Statements {
					if st.Allow || st.hasCondition() || len(st.NotActions) > 0 || !st.AnyPrincipal {
						continue
					}
					for _, a := range st.Actions {
						if slices.Contains(lockoutActions, strings.ToLower(a)) {
							c.violation(r, "policy %s denies %s to every principal without a condition: only the account root could change the policy again", st.Label, a)
						}
					}
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
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), gdpr("Art. 32")),
			Types:       []string{tBackupVault},
			checkResource: func(c *run, r *Resource) {
				if _, set, ok := c.stringField(r, "kmsKeyArn"); ok && !set {
					c.violation(r, "kmsKeyArn is not set: recovery points are encrypted with the AWS managed key aws/backup")
				}
			},
		},
	)
}

// logFdwPatched reports whether a PostgreSQL engine version has the log_fdw fix, by the minors
// Checkov CKV_AWS_250 accepts (AWS security bulletin AWS-2022-004). A version it cannot read
// (a major version alone such as "16") passes when the major is 14 or later.
func logFdwPatched(version string) bool {
	parts := strings.Split(version, ".")
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return true
	}
	if major >= 14 {
		return true
	}
	if len(parts) < 2 {
		return false
	}
	minor, err := strconv.Atoi(parts[1])
	if err != nil {
		return true
	}
	switch major {
	case 13:
		return minor > 2
	case 12:
		return minor > 6
	case 11:
		return minor > 11
	case 10:
		return minor > 16
	case 9:
		return minor == 6 && len(parts) == 3 && atoiOr(parts[2]) > 21
	}
	return false
}

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// logDestinations returns the buckets of the stack that receive another bucket's server access
// logs (the targetBucket of a BucketLoggingV2).
func logDestinations(rs []*Resource) map[*Resource]bool {
	buckets := ofType(rs, tBucket)
	out := map[*Resource]bool{}
	for _, l := range ofType(rs, tBucketLogging) {
		targets, _ := linked(l, "targetBucket", buckets, "bucket", "id")
		for _, t := range targets {
			out[t] = true
		}
	}
	return out
}
