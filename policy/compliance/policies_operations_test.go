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

func anyKey(props map[string]any) *mock.Resource { return res(tKMSKey, "key", props) }

var (
	pgLoggingOK = []any{
		map[string]any{"name": "rds.force_ssl", "value": "1"},
		map[string]any{"name": "log_statement", "value": "ddl"},
		map[string]any{"name": "log_min_duration_statement", "value": "1000"},
	}
	logTarget = map[string]any{"rules": []any{map[string]any{
		"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}}}
)

func init() { policyCases = append(policyCases, anchorCases...) }

var anchorCases = []policyCase{
	// --- rds-query-logging (Checkov CKV2_AWS_30, CKV2_AWS_27)
	{policy: "rds-query-logging", kind: compliant, name: "ddl and slow statements", resources: []*mock.Resource{pg(set(pgOK, "parameters", pgLoggingOK))}},
	{policy: "rds-query-logging", kind: compliant, name: "not PostgreSQL", resources: []*mock.Resource{pg(map[string]any{"family": "mysql8.0"})}},
	{policy: "rds-query-logging", kind: violating, name: "nothing logged",
		resources: []*mock.Resource{cpg(set(cpgOK, "parameters", []any{map[string]any{"name": "log_statement", "value": "none"}}))},
		want: []string{"main-cpg: log_statement is not set (or none): no statement is logged",
			"main-cpg: log_min_duration_statement is not set (or -1): slow statements are not logged"}},
	{policy: "rds-query-logging", kind: unknownIn, name: "value unknown",
		resources: []*mock.Resource{pg(set(pgOK, "parameters", []any{map[string]any{"name": "log_statement", "value": unknownValue}}))},
		pending:   []string{"main-pg: parameter log_statement is not known yet"}},

	// --- rds-postgres-log-fdw-patched (Checkov CKV_AWS_250)
	{policy: "rds-postgres-log-fdw-patched", kind: compliant, name: "16.4", resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-postgres-log-fdw-patched", kind: compliant, name: "12.7", resources: []*mock.Resource{rds(set(rdsOK, "engineVersion", "12.7"))}},
	{policy: "rds-postgres-log-fdw-patched", kind: violating, name: "12.6",
		resources: []*mock.Resource{rds(set(rdsOK, "engineVersion", "12.6"))},
		want:      []string{"db: engineVersion 12.6 is affected by the log_fdw local file read issue (AWS security bulletin AWS-2022-004)"}},
	{policy: "rds-postgres-log-fdw-patched", kind: violating, name: "9.6.21",
		resources: []*mock.Resource{rds(set(rdsOK, "engineVersion", "9.6.21"))},
		want:      []string{"db: engineVersion 9.6.21 is affected by the log_fdw local file read issue (AWS security bulletin AWS-2022-004)"}},
	{policy: "rds-postgres-log-fdw-patched", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "engineVersion", unknownValue))},
		pending:   []string{"db: engineVersion is not known yet"}},

	// --- s3-kms-encryption (Checkov CKV_AWS_145; Pulumi aws-s3-bucket-configure-server-side-encryption-kms,
	// -customer-managed-key, -bucket-key)
	{policy: "s3-kms-encryption", kind: compliant, name: "customer managed key with a bucket key",
		resources: bucketWith("data", sseOK, pabOK, versioningOK, bucketPolicyOK)},
	{policy: "s3-kms-encryption", kind: compliant, name: "SSE-S3 on the access log destination",
		resources: append(bucketWith("logs", logTarget, pabOK, versioningOK, bucketPolicyOK),
			res(tBucketLogging, "data-logging", map[string]any{"bucket": "data-id", "targetBucket": "logs"}))},
	{policy: "s3-kms-encryption", kind: violating, name: "SSE-S3 elsewhere",
		resources: bucketWith("data", logTarget, pabOK, versioningOK, bucketPolicyOK),
		want:      []string{"data: the default encryption is AES256, not aws:kms with a customer managed key"}},
	{policy: "s3-kms-encryption", kind: violating, name: "AWS managed key",
		resources: bucketWith("data", map[string]any{"rules": []any{map[string]any{
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": true}}}, pabOK, versioningOK, bucketPolicyOK),
		want: []string{"data: the default encryption is aws:kms without kmsMasterKeyId: objects use the AWS managed key aws/s3"}},
	{policy: "s3-kms-encryption", kind: violating, name: "no bucket key",
		resources: bucketWith("data", set(sseOK, "rules", []any{map[string]any{
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": keyArn}}}), pabOK, versioningOK, bucketPolicyOK),
		want: []string{"data: bucketKeyEnabled is not true: every object costs a KMS request"}},
	{policy: "s3-kms-encryption", kind: unknownIn, name: "key not created yet",
		resources: bucketWith("data", map[string]any{"rules": []any{map[string]any{
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": unknownValue}, "bucketKeyEnabled": true}}}, pabOK, versioningOK, bucketPolicyOK),
		pending: []string{"data: the encryption rule is not known yet"}},

	// --- resource-descriptions (Checkov CKV_AWS_23; Pulumi *-missing-description)
	{policy: "resource-descriptions", kind: compliant, name: "described",
		resources: []*mock.Resource{anyKey(map[string]any{"description": "state"}),
			res(tSecurityGroup, "db", map[string]any{"description": "database", "ingress": []any{map[string]any{"description": "from nodes"}}})}},
	{policy: "resource-descriptions", kind: violating, name: "missing or Pulumi's default",
		resources: []*mock.Resource{anyKey(map[string]any{}),
			res(tSecurityGroup, "db", map[string]any{"description": "Managed by Pulumi", "egress": []any{map[string]any{"protocol": "-1"}}}),
			res(tSGIngressRule, "db-in", map[string]any{"ipProtocol": "tcp"})},
		want: []string{"key: description is not set", "db: description is not set", "db: egress[0] has no description", "db-in: description is not set"}},
	{policy: "resource-descriptions", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{anyKey(map[string]any{"description": unknownValue})},
		pending:   []string{"key: description is not known yet"}},

	// --- kms-key-enabled (Checkov CKV_AWS_227)
	{policy: "kms-key-enabled", kind: compliant, name: "default", resources: []*mock.Resource{anyKey(map[string]any{})}},
	{policy: "kms-key-enabled", kind: violating, name: "disabled",
		resources: []*mock.Resource{anyKey(map[string]any{"isEnabled": false})},
		want:      []string{"key: isEnabled is false: data encrypted under the key cannot be decrypted"}},
	{policy: "kms-key-enabled", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{anyKey(map[string]any{"isEnabled": unknownValue})},
		pending:   []string{"key: isEnabled is not known yet"}},
}

var (
	ownershipOK = map[string]any{"rule": map[string]any{"objectOwnership": "BucketOwnerEnforced"}}
	lifecycleOK = map[string]any{"rules": []any{map[string]any{"id": "default", "status": "Enabled",
		"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7}}}}
	loggingOK = map[string]any{"targetBucket": "central-access-logs", "targetPrefix": "data/"}
)

// withParts adds ownership controls, a lifecycle configuration and access logging (each when not
// nil) to a bucket built by bucketWith, linked the same way.
func withParts(rs []*mock.Resource, ownership, lifecycle, logging map[string]any) []*mock.Resource {
	b := rs[0]
	add := func(typ, suffix string, props map[string]any) {
		if props != nil {
			rs = append(rs, dependsOn(res(typ, b.Name+"-"+suffix, set(props, "bucket", b.Name+"-id")), b))
		}
	}
	add(tBucketOwnership, "ownership", ownership)
	add(tBucketLifecycle, "lifecycle", lifecycle)
	add(tBucketLogging, "logging", logging)
	return rs
}

func dataBucket(ownership, lifecycle, logging map[string]any) []*mock.Resource {
	return withParts(bucketWith("data", sseOK, pabOK, versioningOK, bucketPolicyOK), ownership, lifecycle, logging)
}

func init() { policyCases = append(policyCases, s3PartCases...) }

var s3PartCases = []policyCase{
	// --- s3-ownership-enforced (Checkov CKV2_AWS_65)
	{policy: "s3-ownership-enforced", kind: compliant, name: "enforced", resources: dataBucket(ownershipOK, nil, nil)},
	{policy: "s3-ownership-enforced", kind: violating, name: "none",
		resources: dataBucket(nil, nil, nil),
		want:      []string{"data: no BucketOwnershipControls is attached: ACLs still grant access"}},
	{policy: "s3-ownership-enforced", kind: violating, name: "object writer",
		resources: dataBucket(map[string]any{"rule": map[string]any{"objectOwnership": "ObjectWriter"}}, nil, nil),
		want:      []string{`data: object ownership is "ObjectWriter", not BucketOwnerEnforced: ACLs still grant access`}},
	{policy: "s3-ownership-enforced", kind: unknownIn, name: "unknown",
		resources: dataBucket(map[string]any{"rule": map[string]any{"objectOwnership": unknownValue}}, nil, nil),
		pending:   []string{"data: the object ownership is not known yet"}},

	// --- s3-lifecycle-abort-incomplete-uploads (Checkov CKV_AWS_300, CKV2_AWS_61)
	{policy: "s3-lifecycle-abort-incomplete-uploads", kind: compliant, name: "7 days", resources: dataBucket(nil, lifecycleOK, nil)},
	{policy: "s3-lifecycle-abort-incomplete-uploads", kind: violating, name: "no lifecycle",
		resources: dataBucket(nil, nil, nil),
		want:      []string{"data: no lifecycle configuration is attached to the bucket"}},
	{policy: "s3-lifecycle-abort-incomplete-uploads", kind: violating, name: "rule disabled",
		resources: dataBucket(nil, map[string]any{"rules": []any{map[string]any{"status": "Disabled",
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7}}}}, nil),
		want: []string{"data: no enabled lifecycle rule aborts incomplete multipart uploads"}},
	{policy: "s3-lifecycle-abort-incomplete-uploads", kind: unknownIn, name: "unknown",
		resources: dataBucket(nil, map[string]any{"rules": []any{map[string]any{"status": "Enabled",
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": unknownValue}}}}, nil),
		pending: []string{"data: a lifecycle rule is not known yet"}},

	// --- s3-access-logging (Checkov CKV_AWS_18)
	{policy: "s3-access-logging", kind: compliant, name: "logs to another bucket", resources: dataBucket(nil, nil, loggingOK)},
	{policy: "s3-access-logging", kind: compliant, name: "the log destination itself",
		resources: append(bucketWith("logs", logTarget, pabOK, versioningOK, bucketPolicyOK),
			dataBucket(nil, nil, set(loggingOK, "targetBucket", "logs"))...)},
	{policy: "s3-access-logging", kind: violating, name: "no logging",
		resources: dataBucket(nil, nil, nil),
		want:      []string{"data: no BucketLoggingV2 is attached: requests to the bucket are not logged"}},
	{policy: "s3-access-logging", kind: unknownIn, name: "bucket of the logging unknown",
		resources: append(bucketWith("data", sseOK, pabOK, versioningOK, bucketPolicyOK),
			res(tBucketLogging, "data-logging", map[string]any{"bucket": unknownValue, "targetBucket": "logs"})),
		pending: []string{"data: the bucket of a logging configuration is not known yet"}},

	// --- s3-policy-no-lockout (Checkov CKV_AWS_93)
	{policy: "s3-policy-no-lockout", kind: compliant, name: "TLS-only deny has a condition",
		resources: []*mock.Resource{res(tBucketPolicy, "data-policy", bucketPolicyOK)}},
	{policy: "s3-policy-no-lockout", kind: violating, name: "unconditional deny of s3:*",
		resources: []*mock.Resource{res(tBucketPolicy, "data-policy", map[string]any{"policy": `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`})},
		want: []string{"data-policy: policy Statement[0] (DenyAll) denies s3:* to every principal without a condition: only the account root could change the policy again"}},
	{policy: "s3-policy-no-lockout", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tBucketPolicy, "data-policy", map[string]any{"policy": unknownValue})},
		pending:   []string{"data-policy: policy is not known yet"}},
}
