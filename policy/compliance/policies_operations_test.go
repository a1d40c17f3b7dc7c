package compliance

import "github.com/novacron/platform/internal/mock"

func ecrRepo(props map[string]any) *mock.Resource     { return res(tECRRepository, "app", props) }
func backupVault(props map[string]any) *mock.Resource { return res(tBackupVault, "vault", props) }

var (
	ecrOK = map[string]any{"imageTagMutability": "IMMUTABLE",
		"encryptionConfigurations": []any{map[string]any{"encryptionType": "KMS", "kmsKey": keyArn}}}
	vaultOK = map[string]any{"kmsKeyArn": keyArn}
)

func init() { policyCases = append(policyCases, operationsCases...) }

var operationsCases = []policyCase{
	// --- rds-performance-insights-enabled (Checkov CKV_AWS_353)
	{policy: "rds-performance-insights-enabled", kind: compliant, name: "instance", resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-performance-insights-enabled", kind: compliant, name: "cluster", resources: []*mock.Resource{rdsCluster(rdsClusterOK)}},
	{policy: "rds-performance-insights-enabled", kind: violating, name: "unset",
		resources: []*mock.Resource{rds(set(rdsOK, "performanceInsightsEnabled", del, "performanceInsightsKmsKeyId", del))},
		want:      []string{"db: performanceInsightsEnabled is not true: database load and wait events are not recorded"}},
	{policy: "rds-performance-insights-enabled", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "performanceInsightsEnabled", unknownValue))},
		pending:   []string{"db: performanceInsightsEnabled is not known yet"}},

	// --- rds-enhanced-monitoring (Checkov CKV_AWS_118)
	{policy: "rds-enhanced-monitoring", kind: compliant, name: "60 s", resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-enhanced-monitoring", kind: violating, name: "off",
		resources: []*mock.Resource{rds(set(rdsOK, "monitoringInterval", 0))},
		want:      []string{"db: monitoringInterval is not set: enhanced monitoring is off"}},
	{policy: "rds-enhanced-monitoring", kind: violating, name: "interval RDS refuses",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "monitoringInterval", 20))},
		want:      []string{"pg: monitoringInterval is 20: RDS accepts 1, 5, 10, 15, 30 or 60"}},
	{policy: "rds-enhanced-monitoring", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "monitoringInterval", unknownValue))},
		pending:   []string{"db: monitoringInterval is not known yet"}},

	// --- rds-log-exports (Checkov CKV_AWS_129, CKV_AWS_324)
	{policy: "rds-log-exports", kind: compliant, name: "postgresql and upgrade", resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-log-exports", kind: compliant, name: "cluster postgresql", resources: []*mock.Resource{rdsCluster(rdsClusterOK)}},
	{policy: "rds-log-exports", kind: violating, name: "none",
		resources: []*mock.Resource{rds(set(rdsOK, "enabledCloudwatchLogsExports", del))},
		want:      []string{"db: enabledCloudwatchLogsExports is empty: the database's logs stay on the instance and are lost with it"}},
	{policy: "rds-log-exports", kind: violating, name: "postgres without the postgresql log",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "enabledCloudwatchLogsExports", []any{"upgrade"}))},
		want:      []string{"pg: enabledCloudwatchLogsExports is [upgrade]: a PostgreSQL database must export the postgresql log"}},
	{policy: "rds-log-exports", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "enabledCloudwatchLogsExports", unknownValue))},
		pending:   []string{"db: enabledCloudwatchLogsExports is not known yet"}},

	// --- rds-copy-tags-to-snapshot (Checkov CKV_AWS_313, CKV2_AWS_60)
	{policy: "rds-copy-tags-to-snapshot", kind: compliant, name: "instance", resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-copy-tags-to-snapshot", kind: violating, name: "cluster without",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "copyTagsToSnapshot", false))},
		want:      []string{"pg: copyTagsToSnapshot is not true: snapshots do not carry the database's tags"}},
	{policy: "rds-copy-tags-to-snapshot", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "copyTagsToSnapshot", unknownValue))},
		pending:   []string{"db: copyTagsToSnapshot is not known yet"}},

	// --- rds-ca-certificate-current (Checkov CKV_AWS_211)
	{policy: "rds-ca-certificate-current", kind: compliant, name: "rsa2048 g1", resources: []*mock.Resource{rds(set(rdsOK, "caCertIdentifier", "rds-ca-rsa2048-g1"))}},
	{policy: "rds-ca-certificate-current", kind: compliant, name: "unset takes the region's default", resources: []*mock.Resource{rdsCluster(rdsClusterOK)}},
	{policy: "rds-ca-certificate-current", kind: violating, name: "expired CA",
		resources: []*mock.Resource{rds(set(rdsOK, "caCertIdentifier", "rds-ca-2019"))},
		want:      []string{`db: caCertIdentifier is "rds-ca-2019": use rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1`}},
	{policy: "rds-ca-certificate-current", kind: violating, name: "cluster field",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "caCertificateIdentifier", "rds-ca-2019"))},
		want:      []string{`pg: caCertificateIdentifier is "rds-ca-2019": use rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1`}},
	{policy: "rds-ca-certificate-current", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "caCertIdentifier", unknownValue))},
		pending:   []string{"db: caCertIdentifier is not known yet"}},

	// --- ecr-kms-encryption (Checkov CKV_AWS_136; Pulumi aws-ecr-repository-configure-customer-managed-key)
	{policy: "ecr-kms-encryption", kind: compliant, name: "customer managed key", resources: []*mock.Resource{ecrRepo(ecrOK)}},
	{policy: "ecr-kms-encryption", kind: violating, name: "default AES256",
		resources: []*mock.Resource{ecrRepo(set(ecrOK, "encryptionConfigurations", del))},
		want:      []string{"app: encryptionConfigurations does not set encryptionType KMS: images are encrypted with AES256 under keys the account does not control"}},
	{policy: "ecr-kms-encryption", kind: violating, name: "AWS managed key",
		resources: []*mock.Resource{ecrRepo(set(ecrOK, "encryptionConfigurations", []any{map[string]any{"encryptionType": "KMS"}}))},
		want:      []string{"app: encryptionConfigurations sets no kmsKey: images are encrypted with the AWS managed key aws/ecr"}},
	{policy: "ecr-kms-encryption", kind: unknownIn, name: "key not created yet",
		resources: []*mock.Resource{ecrRepo(set(ecrOK, "encryptionConfigurations", []any{map[string]any{"encryptionType": "KMS", "kmsKey": unknownValue}}))},
		pending:   []string{"app: encryptionConfigurations.kmsKey is not known yet"}},

	// --- backup-vault-cmk (Checkov CKV_AWS_166)
	{policy: "backup-vault-cmk", kind: compliant, name: "customer managed key", resources: []*mock.Resource{backupVault(vaultOK)}},
	{policy: "backup-vault-cmk", kind: violating, name: "AWS managed key",
		resources: []*mock.Resource{backupVault(set(vaultOK, "kmsKeyArn", del))},
		want:      []string{"vault: kmsKeyArn is not set: recovery points are encrypted with the AWS managed key aws/backup"}},
	{policy: "backup-vault-cmk", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{backupVault(set(vaultOK, "kmsKeyArn", unknownValue))},
		pending:   []string{"vault: kmsKeyArn is not known yet"}},
}
