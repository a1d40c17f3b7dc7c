package baseline

import (
	"fmt"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Framework names a control framework. The values are the policy pack's
// (policy/compliance.Framework), so a report can join the pack's controls with this table.
type Framework string

// The frameworks the conformance pack maps to, spelled as policy/compliance spells them.
const (
	SOC2     Framework = "SOC 2"
	ISO27001 Framework = "ISO 27001:2022"
	PCIDSS   Framework = "PCI DSS v4.0"
	CISAWS   Framework = "CIS AWS Foundations v3.0.0"
	CISEKS   Framework = "CIS Amazon EKS v1.0.1"
)

// Control is one requirement of one framework, as in policy/compliance.Control.
type Control struct {
	Framework Framework `json:"framework"`
	ID        string    `json:"id"`
}

// String renders the control as "SOC 2 CC6.1".
func (c Control) String() string { return string(c.Framework) + " " + c.ID }

// ConfigRule is one AWS managed Config rule of the conformance pack and the controls it gives
// evidence for.
type ConfigRule struct {
	// Identifier is the managed rule's source identifier (CLOUD_TRAIL_ENABLED).
	Identifier string
	// Name is the rule's name in the account (cloudtrail-enabled), the one Config reports under.
	Name string
	// Checks says in one line what the rule evaluates.
	Checks string
	// Parameters are the rule's input parameters, as text (AWS Config passes them as strings).
	Parameters map[string]string
	Controls   []Control
}

func soc2(ids ...string) []Control   { return controlsOf(SOC2, ids) }
func iso(ids ...string) []Control    { return controlsOf(ISO27001, ids) }
func pci(ids ...string) []Control    { return controlsOf(PCIDSS, ids) }
func cisAWS(ids ...string) []Control { return controlsOf(CISAWS, ids) }
func cisEKS(ids ...string) []Control { return controlsOf(CISEKS, ids) }

func controlsOf(f Framework, ids []string) []Control {
	out := make([]Control, len(ids))
	for i, id := range ids {
		out[i] = Control{Framework: f, ID: id}
	}
	return out
}

func join(groups ...[]Control) []Control {
	var out []Control
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// ConfigRules is the conformance pack: every rule is an AWS managed rule (identifiers checked
// against the SourceIdentifier values of AWS's own conformance pack templates, awslabs/
// aws-config-rules, aws-config-conformance-packs/; the list is testdata/managed-rules.txt), mapped to
// the control ids the policy pack uses for the same requirement. Where the policy pack checks a
// resource before deployment, the rule checks the live account: together they are the evidence
// for a control. CIS AWS item numbers are those of v3.0.0 (section 1 IAM, 2 storage, 3 logging,
// 4 monitoring, 5 networking), as the policy pack numbers them.
var ConfigRules = []ConfigRule{
	// Audit trail (CIS section 3).
	{Identifier: "CLOUD_TRAIL_ENABLED", Name: "cloudtrail-enabled",
		Checks:   "a CloudTrail trail is logging in the account",
		Controls: join(soc2("CC7.2"), iso("A.8.15"), pci("10.2.1"), cisAWS("3.1"))},
	{Identifier: "MULTI_REGION_CLOUD_TRAIL_ENABLED", Name: "multi-region-cloudtrail-enabled",
		Checks:   "at least one trail records management events (read and write) in every region",
		Controls: join(soc2("CC7.2"), iso("A.8.15"), pci("10.2.1"), cisAWS("3.1"))},
	{Identifier: "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", Name: "cloud-trail-log-file-validation-enabled",
		Checks:   "trails sign their log files with digest files",
		Controls: join(soc2("CC7.2"), iso("A.8.15"), pci("10.3.4"), cisAWS("3.2"))},
	{Identifier: "CLOUD_TRAIL_ENCRYPTION_ENABLED", Name: "cloud-trail-encryption-enabled",
		Checks:   "trails encrypt their log files with a KMS key",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("10.3.2"), cisAWS("3.5"))},
	{Identifier: "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", Name: "cloud-trail-cloud-watch-logs-enabled",
		Checks:   "trails deliver to CloudWatch Logs, where the CIS metric filters read them",
		Controls: join(soc2("CC7.2"), iso("A.8.16"), pci("10.4.1"))},
	{Identifier: "CLOUDWATCH_LOG_GROUP_ENCRYPTED", Name: "cloudwatch-log-group-encrypted",
		Checks:   "log groups are encrypted with a KMS key",
		Controls: join(soc2("CC6.1"), iso("A.8.15", "A.8.24"))},
	{Identifier: "CW_LOGGROUP_RETENTION_PERIOD_CHECK", Name: "cw-loggroup-retention-period-check",
		Checks:     "log groups keep events for at least a year",
		Parameters: map[string]string{"MinRetentionTime": "365"},
		Controls:   join(soc2("CC7.2"), iso("A.8.15"), pci("10.5.1"))},
	{Identifier: "VPC_FLOW_LOGS_ENABLED", Name: "vpc-flow-logs-enabled",
		Checks:   "every VPC has flow logs",
		Controls: join(soc2("CC7.2"), iso("A.8.15", "A.8.16"), pci("10.2.1"), cisAWS("3.7"))},
	{Identifier: "CMK_BACKING_KEY_ROTATION_ENABLED", Name: "cmk-backing-key-rotation-enabled",
		Checks:   "customer managed keys rotate their key material",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("3.7.4"), cisAWS("3.6"))},

	// Detection services (CIS 4.16 and the findings routed to on-call).
	{Identifier: "SECURITYHUB_ENABLED", Name: "securityhub-enabled",
		Checks:   "Security Hub is enabled in the account",
		Controls: join(soc2("CC7.2"), iso("A.8.16"), pci("10.7.2"), cisAWS("4.16"))},
	{Identifier: "GUARDDUTY_ENABLED_CENTRALIZED", Name: "guardduty-enabled-centralized",
		Checks:   "GuardDuty is enabled in the region",
		Controls: join(soc2("CC7.2"), iso("A.8.16"), pci("11.5.1"))},
	{Identifier: "INSPECTOR_ECR_SCAN_ENABLED", Name: "inspector-ecr-scan-enabled",
		Checks:   "Amazon Inspector scans ECR container images",
		Controls: join(soc2("CC7.1"), iso("A.8.8"), pci("6.3.1"))},

	// Identity (CIS section 1).
	{Identifier: "IAM_ROOT_ACCESS_KEY_CHECK", Name: "iam-root-access-key-check",
		Checks:   "the root user has no access keys",
		Controls: join(soc2("CC6.1"), iso("A.8.2"), cisAWS("1.4"))},
	{Identifier: "ROOT_ACCOUNT_MFA_ENABLED", Name: "root-account-mfa-enabled",
		Checks:   "the root user signs in with MFA",
		Controls: join(soc2("CC6.1"), iso("A.8.5"), cisAWS("1.5"))},
	{Identifier: "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", Name: "mfa-enabled-for-iam-console-access",
		Checks:   "IAM users with a console password have MFA",
		Controls: join(soc2("CC6.1"), iso("A.8.5"), pci("8.4.2"), cisAWS("1.10"))},
	{Identifier: "IAM_PASSWORD_POLICY", Name: "iam-password-policy",
		Checks:   "the account password policy meets the rule's defaults (14 characters, mixed classes, 90-day age)",
		Controls: join(soc2("CC6.1"), iso("A.5.17"), pci("8.3.6"), cisAWS("1.8"))},
	{Identifier: "ACCESS_KEYS_ROTATED", Name: "access-keys-rotated",
		Checks:     "active IAM access keys are younger than 90 days",
		Parameters: map[string]string{"maxAccessKeyAge": "90"},
		Controls:   join(soc2("CC6.1"), iso("A.5.17"), pci("8.6.3"), cisAWS("1.14"))},
	{Identifier: "IAM_USER_NO_POLICIES_CHECK", Name: "iam-user-no-policies-check",
		Checks:   "IAM users get permissions through groups or roles only",
		Controls: join(soc2("CC6.3"), iso("A.5.18"), pci("7.2.1"), cisAWS("1.15"))},
	{Identifier: "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", Name: "iam-policy-no-statements-with-admin-access",
		Checks:   "no customer managed policy allows \"*\" on \"*\"",
		Controls: join(soc2("CC6.1", "CC6.3"), iso("A.5.15", "A.8.2"), pci("7.2.1"), cisAWS("1.16"))},
	{Identifier: "SECRETSMANAGER_ROTATION_ENABLED_CHECK", Name: "secretsmanager-rotation-enabled-check",
		Checks:   "Secrets Manager secrets rotate automatically",
		Controls: join(soc2("CC6.1"), iso("A.5.17"), pci("8.6.3"))},
	{Identifier: "SECRETSMANAGER_USING_CMK", Name: "secretsmanager-using-cmk",
		Checks:   "Secrets Manager secrets are encrypted with a customer managed key",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("8.3.2"))},

	// Storage and data (CIS section 2).
	{Identifier: "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", Name: "s3-bucket-level-public-access-prohibited",
		Checks:   "buckets block public access with all four settings",
		Controls: join(soc2("CC6.1"), iso("A.8.3"), cisAWS("2.1.4"))},
	{Identifier: "S3_BUCKET_PUBLIC_READ_PROHIBITED", Name: "s3-bucket-public-read-prohibited",
		Checks:   "no bucket allows public reads",
		Controls: join(soc2("CC6.1"), iso("A.8.3"), cisAWS("2.1.4"))},
	{Identifier: "S3_BUCKET_PUBLIC_WRITE_PROHIBITED", Name: "s3-bucket-public-write-prohibited",
		Checks:   "no bucket allows public writes",
		Controls: join(soc2("CC6.1"), iso("A.8.3"), cisAWS("2.1.4"))},
	{Identifier: "S3_BUCKET_SSL_REQUESTS_ONLY", Name: "s3-bucket-ssl-requests-only",
		Checks:   "bucket policies deny requests without TLS",
		Controls: join(soc2("CC6.7"), iso("A.8.24"), pci("4.2.1"), cisAWS("2.1.1"))},
	{Identifier: "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", Name: "s3-bucket-server-side-encryption-enabled",
		Checks:   "buckets have default encryption",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"))},
	{Identifier: "S3_BUCKET_VERSIONING_ENABLED", Name: "s3-bucket-versioning-enabled",
		Checks:   "buckets keep object versions",
		Controls: join(soc2("A1.2"), iso("A.8.13"))},
	{Identifier: "ENCRYPTED_VOLUMES", Name: "encrypted-volumes",
		Checks:   "attached EBS volumes are encrypted",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), cisAWS("2.2.1"))},
	{Identifier: "EC2_EBS_ENCRYPTION_BY_DEFAULT", Name: "ec2-ebs-encryption-by-default",
		Checks:   "new EBS volumes are encrypted by default in the region",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), cisAWS("2.2.1"))},
	{Identifier: "RDS_STORAGE_ENCRYPTED", Name: "rds-storage-encrypted",
		Checks:   "RDS DB instances are encrypted at rest",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), cisAWS("2.3.1"))},
	{Identifier: "RDS_INSTANCE_PUBLIC_ACCESS_CHECK", Name: "rds-instance-public-access-check",
		Checks:   "RDS DB instances are not publicly accessible",
		Controls: join(soc2("CC6.6"), iso("A.8.20", "A.8.22"), pci("1.3.1", "1.4.4"), cisAWS("2.3.3"))},
	{Identifier: "RDS_MULTI_AZ_SUPPORT", Name: "rds-multi-az-support",
		Checks:   "RDS DB instances are Multi-AZ",
		Controls: join(soc2("A1.2"), iso("A.8.14"))},
	{Identifier: "RDS_CLUSTER_MULTI_AZ_ENABLED", Name: "rds-cluster-multi-az-enabled",
		Checks:   "RDS DB clusters span several Availability Zones",
		Controls: join(soc2("A1.2"), iso("A.8.14"))},
	{Identifier: "DB_INSTANCE_BACKUP_ENABLED", Name: "db-instance-backup-enabled",
		Checks:   "RDS DB instances have automated backups",
		Controls: join(soc2("A1.2"), iso("A.8.13"))},
	{Identifier: "SNS_ENCRYPTED_KMS", Name: "sns-encrypted-kms",
		Checks:   "SNS topics are encrypted with KMS",
		Controls: join(soc2("CC6.1"), iso("A.8.24"))},

	// Containers.
	{Identifier: "EKS_ENDPOINT_NO_PUBLIC_ACCESS", Name: "eks-endpoint-no-public-access",
		Checks:   "EKS API endpoints are private",
		Controls: join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1"), cisEKS("5.4.2"))},
	{Identifier: "EKS_SECRETS_ENCRYPTED", Name: "eks-secrets-encrypted",
		Checks:   "EKS clusters encrypt Kubernetes Secrets with a KMS key",
		Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), cisEKS("5.3.1"))},
	{Identifier: "EKS_CLUSTER_LOGGING_ENABLED", Name: "eks-cluster-logging-enabled",
		Checks:   "EKS clusters send control plane logs to CloudWatch Logs",
		Controls: join(soc2("CC7.2"), iso("A.8.15"), pci("10.2.1"), cisEKS("2.1.1"))},
	{Identifier: "ECR_PRIVATE_IMAGE_SCANNING_ENABLED", Name: "ecr-private-image-scanning-enabled",
		Checks:   "private ECR repositories scan images",
		Controls: join(soc2("CC7.1"), iso("A.8.8"), pci("6.3.1"))},
	{Identifier: "ECR_PRIVATE_TAG_IMMUTABILITY_ENABLED", Name: "ecr-private-tag-immutability-enabled",
		Checks:   "private ECR repositories have immutable tags",
		Controls: join(soc2("CC8.1"), iso("A.8.32"), pci("6.5.1"))},

	// Networking (CIS section 5).
	{Identifier: "VPC_DEFAULT_SECURITY_GROUP_CLOSED", Name: "vpc-default-security-group-closed",
		Checks:   "default security groups allow no traffic",
		Controls: join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1"), cisAWS("5.4"))},
	{Identifier: "INCOMING_SSH_DISABLED", Name: "restricted-ssh",
		Checks:   "no security group admits SSH from 0.0.0.0/0",
		Controls: join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1"), cisAWS("5.2"))},
}

// RulesFor returns the rules that give evidence for a control, in table order.
func RulesFor(c Control) []ConfigRule {
	var out []ConfigRule
	for _, r := range ConfigRules {
		for _, rc := range r.Controls {
			if rc == c {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// conformancePackTemplate renders ConfigRules as a conformance pack template (the CloudFormation
// subset AWS Config accepts: one AWS::Config::ConfigRule resource per rule, AWS Config Developer
// Guide, "Conformance Pack Templates"). Logical ids are the rule names in PascalCase.
func conformancePackTemplate(rules []ConfigRule) (string, error) {
	type source struct {
		Owner            string `yaml:"Owner"`
		SourceIdentifier string `yaml:"SourceIdentifier"`
	}
	type properties struct {
		ConfigRuleName  string            `yaml:"ConfigRuleName"`
		Description     string            `yaml:"Description"`
		InputParameters map[string]string `yaml:"InputParameters,omitempty"`
		Source          source            `yaml:"Source"`
	}
	type resource struct {
		Type       string     `yaml:"Type"`
		Properties properties `yaml:"Properties"`
	}
	resources := map[string]resource{}
	for _, r := range rules {
		id := logicalID(r.Name)
		if _, dup := resources[id]; dup {
			return "", fmt.Errorf("conformance pack: rule %q appears twice", r.Name)
		}
		var ids []string
		for _, c := range r.Controls {
			ids = append(ids, c.String())
		}
		resources[id] = resource{
			Type: "AWS::Config::ConfigRule",
			Properties: properties{
				ConfigRuleName:  r.Name,
				Description:     truncate(r.Checks+". Controls: "+strings.Join(ids, ", "), 256),
				InputParameters: r.Parameters,
				Source:          source{Owner: "AWS", SourceIdentifier: r.Identifier},
			},
		}
	}
	b, err := yaml.Marshal(map[string]any{"Resources": resources})
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// logicalID turns "cloud-trail-log-file-validation-enabled" into
// "CloudTrailLogFileValidationEnabled" (CloudFormation logical ids are alphanumeric).
func logicalID(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		switch {
		case r == '-' || r == '_':
			upper = true
		case upper:
			b.WriteRune(unicode.ToUpper(r))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// truncate keeps a description within ConfigRule's 256-character limit (AWS Config API
// reference, ConfigRule.Description).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
