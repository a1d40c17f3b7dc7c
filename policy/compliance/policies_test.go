package compliance

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

type caseKind string

const (
	compliant caseKind = "compliant"
	violating caseKind = "violating"
	unknownIn caseKind = "unknown"
)

type policyCase struct {
	policy    string
	kind      caseKind
	name      string
	stack     string // default staging
	cfg       func(*Config)
	resources []*mock.Resource
	// want are the policy's violations, "resource: message" ("stack: message" when stack-wide).
	want []string
	// pending are the checks the policy could not run yet, same format.
	pending []string
	// status, when set, is the policy's exact outcome over the resources.
	status PolicyStatus
}

func rds(props map[string]any) *mock.Resource { return res(tRDSInstance, "db", props) }
func pg(props map[string]any) *mock.Resource  { return res(tRDSParameterGroup, "main-pg", props) }

var policyCases = []policyCase{
	// --- settings
	{policy: SettingsPolicyName, kind: compliant, name: "defaults are valid",
		resources: []*mock.Resource{rds(rdsOK)}},
	{policy: SettingsPolicyName, kind: violating, name: "invalid pattern reported once on the first resource",
		cfg:       func(c *Config) { c.ProductionStackPattern = "(" },
		resources: []*mock.Resource{rds(rdsOK), pg(pgOK)},
		want: []string{"db: invalid compliance-settings, the defaults are used instead: " +
			"productionStackPattern \"(\" is not a valid regular expression: error parsing regexp: missing closing ): `(`"}},

	// --- rds-storage-encrypted
	{policy: "rds-storage-encrypted", kind: compliant, name: "encrypted with a CMK",
		resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-storage-encrypted", kind: compliant, name: "replica inherits encryption",
		resources: []*mock.Resource{rds(set(rdsOK, "storageEncrypted", del, "kmsKeyId", del, "replicateSourceDb", "main"))}},
	{policy: "rds-storage-encrypted", kind: compliant, name: "replica whose source is not known yet",
		resources: []*mock.Resource{rds(set(rdsOK, "storageEncrypted", del, "kmsKeyId", del, "replicateSourceDb", unknownValue))}},
	{policy: "rds-storage-encrypted", kind: violating, name: "unencrypted",
		resources: []*mock.Resource{rds(set(rdsOK, "storageEncrypted", false))},
		want:      []string{"db: storageEncrypted is not true: storage, automated backups and snapshots are unencrypted"}},
	{policy: "rds-storage-encrypted", kind: violating, name: "storageEncrypted unset",
		resources: []*mock.Resource{rds(set(rdsOK, "storageEncrypted", del))},
		want:      []string{"db: storageEncrypted is not true: storage, automated backups and snapshots are unencrypted"}},
	{policy: "rds-storage-encrypted", kind: violating, name: "AWS managed key",
		resources: []*mock.Resource{rds(set(rdsOK, "kmsKeyId", del))},
		want:      []string{"db: kmsKeyId is not set: storage is encrypted with the AWS managed key aws/rds, not a customer managed key"}},
	{policy: "rds-storage-encrypted", kind: violating, name: "wrong type is a violation, not a crash",
		resources: []*mock.Resource{rds(set(rdsOK, "storageEncrypted", "yes"))},
		want:      []string{"db: storageEncrypted must be a boolean, got a string"}},
	{policy: "rds-storage-encrypted", kind: unknownIn, name: "key not created yet",
		resources: []*mock.Resource{rds(set(rdsOK, "kmsKeyId", unknownValue))},
		pending:   []string{"db: kmsKeyId is not known yet"}},
	{policy: "rds-storage-encrypted", kind: unknownIn, name: "unknown output value",
		resources: []*mock.Resource{rds(set(rdsOK, "storageEncrypted", unknownOutput))},
		pending:   []string{"db: storageEncrypted is not known yet"}},

	// --- rds-not-publicly-accessible
	{policy: "rds-not-publicly-accessible", kind: compliant, name: "private",
		resources: []*mock.Resource{rds(set(rdsOK, "publiclyAccessible", del))}},
	{policy: "rds-not-publicly-accessible", kind: violating, name: "public",
		resources: []*mock.Resource{rds(set(rdsOK, "publiclyAccessible", true))},
		want:      []string{"db: publiclyAccessible is true: the instance gets a public IP address and DNS name"}},
	{policy: "rds-not-publicly-accessible", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "publiclyAccessible", unknownValue))},
		pending:   []string{"db: publiclyAccessible is not known yet"}},

	// --- rds-multi-az-production
	{policy: "rds-multi-az-production", kind: compliant, name: "multi-AZ in production", stack: "production",
		resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-multi-az-production", kind: compliant, name: "replica (source identifier empty offline)", stack: "production",
		resources: []*mock.Resource{rds(set(rdsOK, "multiAz", del, "backupRetentionPeriod", del, "replicateSourceDb", ""))}},
	{policy: "rds-multi-az-production", kind: compliant, name: "single-AZ allowed in staging",
		resources: []*mock.Resource{rds(set(rdsOK, "multiAz", false))}},
	{policy: "rds-multi-az-production", kind: violating, name: "single-AZ in production", stack: "production",
		resources: []*mock.Resource{rds(set(rdsOK, "multiAz", false))},
		want:      []string{`db: multiAz is not enabled in production stack "production": one Availability Zone failure stops the database`}},
	{policy: "rds-multi-az-production", kind: violating, name: "custom production pattern", stack: "prd-eu",
		cfg:       func(c *Config) { c.ProductionStackPattern = "^prd-" },
		resources: []*mock.Resource{rds(set(rdsOK, "multiAz", del))},
		want:      []string{`db: multiAz is not enabled in production stack "prd-eu": one Availability Zone failure stops the database`}},
	{policy: "rds-multi-az-production", kind: unknownIn, name: "unknown", stack: "production",
		resources: []*mock.Resource{rds(set(rdsOK, "multiAz", unknownValue))},
		pending:   []string{"db: multiAz is not known yet"}},

	// --- rds-backup-retention
	{policy: "rds-backup-retention", kind: compliant, name: "30 days in production", stack: "production",
		resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-backup-retention", kind: compliant, name: "7 days in staging",
		resources: []*mock.Resource{rds(set(rdsOK, "backupRetentionPeriod", 7))}},
	{policy: "rds-backup-retention", kind: violating, name: "7 days in production", stack: "production",
		resources: []*mock.Resource{rds(set(rdsOK, "backupRetentionPeriod", 7))},
		want:      []string{"db: backupRetentionPeriod is 7 days: at least 30 days are required in production"}},
	{policy: "rds-backup-retention", kind: violating, name: "3 days in staging",
		resources: []*mock.Resource{rds(set(rdsOK, "backupRetentionPeriod", 3))},
		want:      []string{"db: backupRetentionPeriod is 3 days: at least 7 days are required"}},
	{policy: "rds-backup-retention", kind: violating, name: "unset",
		resources: []*mock.Resource{rds(set(rdsOK, "backupRetentionPeriod", del))},
		want:      []string{"db: backupRetentionPeriod is not set (the RDS API default is 1 day): at least 7 days are required"}},
	{policy: "rds-backup-retention", kind: violating, name: "string instead of number",
		resources: []*mock.Resource{rds(set(rdsOK, "backupRetentionPeriod", "30"))},
		want:      []string{"db: backupRetentionPeriod must be a number, got a string"}},
	{policy: "rds-backup-retention", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "backupRetentionPeriod", unknownValue))},
		pending:   []string{"db: backupRetentionPeriod is not known yet"}},

	// --- rds-deletion-protection-production
	{policy: "rds-deletion-protection-production", kind: compliant, name: "protected", stack: "production",
		resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-deletion-protection-production", kind: violating, name: "unprotected", stack: "production",
		resources: []*mock.Resource{rds(set(rdsOK, "deletionProtection", del))},
		want:      []string{`db: deletionProtection is not enabled in production stack "production": the database can be deleted by one API call`}},
	{policy: "rds-deletion-protection-production", kind: unknownIn, name: "unknown", stack: "production",
		resources: []*mock.Resource{rds(set(rdsOK, "deletionProtection", unknownValue))},
		pending:   []string{"db: deletionProtection is not known yet"}},

	// --- rds-iam-authentication
	{policy: "rds-iam-authentication", kind: compliant, name: "enabled",
		resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-iam-authentication", kind: violating, name: "unset",
		resources: []*mock.Resource{rds(set(rdsOK, "iamDatabaseAuthenticationEnabled", del))},
		want:      []string{"db: iamDatabaseAuthenticationEnabled is not true: database logins rely on long-lived passwords only"}},
	{policy: "rds-iam-authentication", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "iamDatabaseAuthenticationEnabled", unknownValue))},
		pending:   []string{"db: iamDatabaseAuthenticationEnabled is not known yet"}},

	// --- rds-tls-enforced
	{policy: "rds-tls-enforced", kind: compliant, name: "parameter group matched by name",
		resources: []*mock.Resource{rds(rdsOK), pg(pgOK)}},
	{policy: "rds-tls-enforced", kind: compliant, name: "parameter group matched by its name property",
		resources: []*mock.Resource{rds(set(rdsOK, "parameterGroupName", "novacron-pg")), pg(set(pgOK, "name", "novacron-pg"))}},
	{policy: "rds-tls-enforced", kind: compliant, name: "parameter group linked by dependency",
		resources: func() []*mock.Resource {
			p := pg(pgOK)
			return []*mock.Resource{dependsOn(rds(set(rdsOK, "parameterGroupName", "main-pg-1a2b3c")), p), p}
		}()},
	{policy: "rds-tls-enforced", kind: compliant, name: "mysql require_secure_transport",
		resources: []*mock.Resource{rds(set(rdsOK, "engine", "mysql")),
			pg(map[string]any{"family": "mysql8.0", "parameters": []any{map[string]any{"name": "require_secure_transport", "value": "ON"}}})}},
	{policy: "rds-tls-enforced", kind: violating, name: "force_ssl off",
		resources: []*mock.Resource{rds(rdsOK), pg(set(pgOK, "parameters", []any{map[string]any{"name": "rds.force_ssl", "value": "0"}}))},
		want:      []string{`db: parameter group main-pg sets rds.force_ssl to "0": it must be 1`}},
	{policy: "rds-tls-enforced", kind: violating, name: "parameter missing",
		resources: []*mock.Resource{rds(rdsOK), pg(set(pgOK, "parameters", []any{map[string]any{"name": "log_connections", "value": "1"}}))},
		want:      []string{"db: parameter group main-pg does not set rds.force_ssl=1: clients may connect without TLS"}},
	{policy: "rds-tls-enforced", kind: violating, name: "default parameter group",
		resources: []*mock.Resource{rds(set(rdsOK, "parameterGroupName", del))},
		want:      []string{"db: parameterGroupName is not set: the engine's default parameter group cannot be shown to force TLS; attach one that sets rds.force_ssl=1"}},
	{policy: "rds-tls-enforced", kind: violating, name: "group not in the stack",
		resources: []*mock.Resource{rds(set(rdsOK, "parameterGroupName", "default.postgres16"))},
		want:      []string{`db: parameter group "default.postgres16" is not managed by this stack, so TLS enforcement cannot be verified; attach one that sets rds.force_ssl=1`}},
	{policy: "rds-tls-enforced", kind: unknownIn, name: "group name not known",
		resources: []*mock.Resource{rds(set(rdsOK, "parameterGroupName", unknownValue)), pg(pgOK)},
		pending:   []string{"db: parameterGroupName is not known yet"}},
	{policy: "rds-tls-enforced", kind: unknownIn, name: "parameter value not known",
		resources: []*mock.Resource{rds(rdsOK), pg(set(pgOK, "parameters", []any{map[string]any{"name": "rds.force_ssl", "value": unknownValue}}))},
		pending:   []string{"db: the parameters of parameter group main-pg are not known yet"}},

	// --- rds-performance-insights-encrypted
	{policy: "rds-performance-insights-encrypted", kind: compliant, name: "CMK",
		resources: []*mock.Resource{rds(rdsOK)}},
	{policy: "rds-performance-insights-encrypted", kind: compliant, name: "Performance Insights off",
		resources: []*mock.Resource{rds(set(rdsOK, "performanceInsightsEnabled", false, "performanceInsightsKmsKeyId", del))}},
	{policy: "rds-performance-insights-encrypted", kind: violating, name: "AWS managed key",
		resources: []*mock.Resource{rds(set(rdsOK, "performanceInsightsKmsKeyId", del))},
		want:      []string{"db: performanceInsightsEnabled is true but performanceInsightsKmsKeyId is not set: Performance Insights data uses the AWS managed key"}},
	{policy: "rds-performance-insights-encrypted", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "performanceInsightsKmsKeyId", unknownValue))},
		pending:   []string{"db: performanceInsightsKmsKeyId is not known yet"}},

	// --- rds-auto-minor-version-upgrade
	{policy: "rds-auto-minor-version-upgrade", kind: compliant, name: "default on",
		resources: []*mock.Resource{rds(set(rdsOK, "autoMinorVersionUpgrade", del))}},
	{policy: "rds-auto-minor-version-upgrade", kind: violating, name: "off",
		resources: []*mock.Resource{rds(set(rdsOK, "autoMinorVersionUpgrade", false))},
		want:      []string{"db: autoMinorVersionUpgrade is false: engine security patches are not applied in the maintenance window"}},
	{policy: "rds-auto-minor-version-upgrade", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{rds(set(rdsOK, "autoMinorVersionUpgrade", unknownValue))},
		pending:   []string{"db: autoMinorVersionUpgrade is not known yet"}},

	// --- eks-endpoint-access
	{policy: "eks-endpoint-access", kind: compliant, name: "component restricted to listed CIDRs",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", eksClusterOK)}},
	{policy: "eks-endpoint-access", kind: compliant, name: "aws cluster private only",
		resources: []*mock.Resource{res(tEKSCluster, "cluster-eksCluster", awsClusterOK)}},
	{policy: "eks-endpoint-access", kind: violating, name: "component open to the internet",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "publicAccessCidrs", []any{"0.0.0.0/0"}))},
		want:      []string{"cluster: the public API endpoint is open to 0.0.0.0/0"}},
	{policy: "eks-endpoint-access", kind: violating, name: "component defaults (public, no CIDRs)",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "endpointPublicAccess", del, "publicAccessCidrs", del))},
		want:      []string{"cluster: the public API endpoint is enabled and publicAccessCidrs is not set: EKS then accepts 0.0.0.0/0"}},
	{policy: "eks-endpoint-access", kind: violating, name: "aws cluster public without CIDRs",
		resources: []*mock.Resource{res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "vpcConfig.endpointPublicAccess", true))},
		want:      []string{"cluster-eksCluster: the public API endpoint is enabled and vpcConfig.publicAccessCidrs is not set: EKS then accepts 0.0.0.0/0"}},
	{policy: "eks-endpoint-access", kind: violating, name: "aws cluster open over IPv6",
		resources: []*mock.Resource{res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK,
			"vpcConfig.endpointPublicAccess", true, "vpcConfig.publicAccessCidrs", []any{"203.0.113.0/24", "::/0"}))},
		want: []string{"cluster-eksCluster: the public API endpoint is open to ::/0"}},
	{policy: "eks-endpoint-access", kind: violating, name: "CIDR outside the allowed list",
		cfg:       func(c *Config) { c.AllowedPublicAccessCidrs = []string{"198.51.100.0/24"} },
		resources: []*mock.Resource{component(tEKSComponent, "cluster", eksClusterOK)},
		want:      []string{"cluster: publicAccessCidrs entry 203.0.113.0/24 is not in allowedPublicAccessCidrs"}},
	{policy: "eks-endpoint-access", kind: unknownIn, name: "CIDRs not known",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "publicAccessCidrs", []any{unknownValue}))},
		pending:   []string{"cluster: publicAccessCidrs is not known yet"}},

	// Under the engine, pulumi-eks registers eks:index:Cluster without properties: nothing to
	// check on it, while its aws:eks/cluster:Cluster child is checked.
	{policy: "eks-endpoint-access", kind: compliant, name: "engine: component without properties",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{})},
		status:    StatusNotApplicable},
	{policy: "eks-endpoint-access", kind: compliant, name: "engine: component with null properties only",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{"version": nil, "publicAccessCidrs": nil})},
		status:    StatusNotApplicable},
	{policy: "eks-endpoint-access", kind: compliant, name: "engine: empty component, compliant aws cluster",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}), res(tEKSCluster, "cluster-eksCluster", awsClusterOK)},
		status:    StatusPassed},
	{policy: "eks-endpoint-access", kind: violating, name: "engine: empty component, aws cluster public without CIDRs",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}),
			res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "vpcConfig.endpointPublicAccess", true))},
		want: []string{"cluster-eksCluster: the public API endpoint is enabled and vpcConfig.publicAccessCidrs is not set: EKS then accepts 0.0.0.0/0"}},

	// --- eks-secrets-encryption
	{policy: "eks-secrets-encryption", kind: compliant, name: "both shapes encrypted",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", eksClusterOK), res(tEKSCluster, "cluster-eksCluster", awsClusterOK)}},
	{policy: "eks-secrets-encryption", kind: violating, name: "component without key",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "encryptionConfigKeyArn", del))},
		want:      []string{"cluster: encryptionConfigKeyArn is not set: Kubernetes Secrets are not envelope-encrypted with a customer managed KMS key"}},
	{policy: "eks-secrets-encryption", kind: violating, name: "aws cluster without encryptionConfig",
		resources: []*mock.Resource{res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "encryptionConfig", del))},
		want:      []string{"cluster-eksCluster: encryptionConfig is not set: Kubernetes Secrets are not envelope-encrypted with a customer managed KMS key"}},
	{policy: "eks-secrets-encryption", kind: violating, name: "aws cluster config without secrets and key",
		resources: []*mock.Resource{res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "encryptionConfig", map[string]any{"resources": []any{}}))},
		want: []string{"cluster-eksCluster: encryptionConfig.resources does not include secrets",
			"cluster-eksCluster: encryptionConfig.provider.keyArn is not set"}},
	{policy: "eks-secrets-encryption", kind: unknownIn, name: "key not created yet",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "encryptionConfigKeyArn", unknownValue))},
		pending:   []string{"cluster: encryptionConfigKeyArn is not known yet"}},

	// Under the engine, pulumi-eks registers eks:index:Cluster without properties: nothing to
	// check on it, while its aws:eks/cluster:Cluster child is checked.
	{policy: "eks-secrets-encryption", kind: compliant, name: "engine: component without properties",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{})},
		status:    StatusNotApplicable},
	{policy: "eks-secrets-encryption", kind: compliant, name: "engine: component with null properties only",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{"version": nil, "publicAccessCidrs": nil})},
		status:    StatusNotApplicable},
	{policy: "eks-secrets-encryption", kind: compliant, name: "engine: empty component, compliant aws cluster",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}), res(tEKSCluster, "cluster-eksCluster", awsClusterOK)},
		status:    StatusPassed},
	{policy: "eks-secrets-encryption", kind: violating, name: "engine: empty component, aws cluster without encryptionConfig",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}),
			res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "encryptionConfig", del))},
		want: []string{"cluster-eksCluster: encryptionConfig is not set: Kubernetes Secrets are not envelope-encrypted with a customer managed KMS key"}},

	// --- eks-control-plane-logging
	{policy: "eks-control-plane-logging", kind: compliant, name: "all log types",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", eksClusterOK), res(tEKSCluster, "cluster-eksCluster", awsClusterOK)}},
	{policy: "eks-control-plane-logging", kind: violating, name: "api and audit only",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "enabledClusterLogTypes", []any{"api", "audit"}))},
		want:      []string{"cluster: enabledClusterLogTypes lacks authenticator, controllerManager, scheduler"}},
	{policy: "eks-control-plane-logging", kind: violating, name: "logging off",
		resources: []*mock.Resource{res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "enabledClusterLogTypes", del))},
		want:      []string{"cluster-eksCluster: enabledClusterLogTypes lacks api, audit, authenticator, controllerManager, scheduler"}},
	{policy: "eks-control-plane-logging", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "enabledClusterLogTypes", unknownValue))},
		pending:   []string{"cluster: enabledClusterLogTypes is not known yet"}},

	// Under the engine, pulumi-eks registers eks:index:Cluster without properties: nothing to
	// check on it, while its aws:eks/cluster:Cluster child is checked.
	{policy: "eks-control-plane-logging", kind: compliant, name: "engine: component without properties",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{})},
		status:    StatusNotApplicable},
	{policy: "eks-control-plane-logging", kind: compliant, name: "engine: component with null properties only",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{"version": nil, "publicAccessCidrs": nil})},
		status:    StatusNotApplicable},
	{policy: "eks-control-plane-logging", kind: compliant, name: "engine: empty component, compliant aws cluster",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}), res(tEKSCluster, "cluster-eksCluster", awsClusterOK)},
		status:    StatusPassed},
	{policy: "eks-control-plane-logging", kind: violating, name: "engine: empty component, aws cluster logging off",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}),
			res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "enabledClusterLogTypes", del))},
		want: []string{"cluster-eksCluster: enabledClusterLogTypes lacks api, audit, authenticator, controllerManager, scheduler"}},

	// --- eks-supported-version
	{policy: "eks-supported-version", kind: compliant, name: "1.35",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", eksClusterOK), res(tEKSCluster, "cluster-eksCluster", awsClusterOK)}},
	{policy: "eks-supported-version", kind: violating, name: "the plan's 1.28",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "version", "1.28"))},
		want:      []string{"cluster: Kubernetes 1.28 is not in supportedKubernetesVersions (1.34, 1.35, 1.36)"}},
	{policy: "eks-supported-version", kind: violating, name: "not pinned",
		resources: []*mock.Resource{res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "version", del))},
		want:      []string{"cluster-eksCluster: version is not set: EKS picks its current default, which later leaves standard support unnoticed"}},
	{policy: "eks-supported-version", kind: violating, name: "number instead of string",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "version", 1.35))},
		want:      []string{"cluster: version must be a string, got a number"}},
	{policy: "eks-supported-version", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", set(eksClusterOK, "version", unknownValue))},
		pending:   []string{"cluster: version is not known yet"}},

	// Under the engine, pulumi-eks registers eks:index:Cluster without properties: nothing to
	// check on it, while its aws:eks/cluster:Cluster child is checked.
	{policy: "eks-supported-version", kind: compliant, name: "engine: component without properties",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{})},
		status:    StatusNotApplicable},
	{policy: "eks-supported-version", kind: compliant, name: "engine: component with null properties only",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{"version": nil, "publicAccessCidrs": nil})},
		status:    StatusNotApplicable},
	{policy: "eks-supported-version", kind: compliant, name: "engine: empty component, compliant aws cluster",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}), res(tEKSCluster, "cluster-eksCluster", awsClusterOK)},
		status:    StatusPassed},
	{policy: "eks-supported-version", kind: violating, name: "engine: empty component, aws cluster not pinned",
		resources: []*mock.Resource{component(tEKSComponent, "cluster", map[string]any{}),
			res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "version", del))},
		want: []string{"cluster-eksCluster: version is not set: EKS picks its current default, which later leaves standard support unnoticed"}},

	// --- eks-node-imdsv2
	{policy: "eks-node-imdsv2", kind: compliant, name: "launch template requires tokens",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", launchTemplateOK), res(tNodeGroup, "system", systemNodeGroupOK)}},
	{policy: "eks-node-imdsv2", kind: violating, name: "tokens optional",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "metadataOptions.httpTokens", "optional"))},
		want:      []string{`lt: metadataOptions.httpTokens is "optional": instances accept IMDSv1`}},
	{policy: "eks-node-imdsv2", kind: violating, name: "no metadata options",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "metadataOptions", del))},
		want:      []string{"lt: metadataOptions.httpTokens is not set: instances accept IMDSv1"}},
	{policy: "eks-node-imdsv2", kind: violating, name: "node group without launch template",
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "launchTemplate", del))},
		want:      []string{"system: node group has no launchTemplate: IMDSv2 cannot be required"}},
	{policy: "eks-node-imdsv2", kind: unknownIn, name: "tokens unknown",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "metadataOptions.httpTokens", unknownValue))},
		pending:   []string{"lt: metadataOptions.httpTokens is not known yet"}},
	{policy: "eks-node-imdsv2", kind: unknownIn, name: "launch template unknown",
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "launchTemplate", unknownValue))},
		pending:   []string{"system: launchTemplate is not known yet"}},

	// --- eks-node-volume-encryption
	{policy: "eks-node-volume-encryption", kind: compliant, name: "encrypted (string, as the provider takes it)",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", launchTemplateOK), res(tNodeGroup, "system", systemNodeGroupOK)}},
	{policy: "eks-node-volume-encryption", kind: compliant, name: "encrypted (boolean)",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "blockDeviceMappings",
			[]any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": true}}}))}},
	{policy: "eks-node-volume-encryption", kind: violating, name: "unencrypted volume",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "blockDeviceMappings",
			[]any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "false"}}}))},
		want: []string{`lt: blockDeviceMappings[0] (/dev/xvda) is not encrypted: set ebs.encrypted to "true"`}},
	{policy: "eks-node-volume-encryption", kind: violating, name: "no block devices",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "blockDeviceMappings", del))},
		want:      []string{"lt: blockDeviceMappings is not set: the root volume's encryption depends on the AMI and the account's EBS default"}},
	{policy: "eks-node-volume-encryption", kind: violating, name: "node group without launch template",
		resources: []*mock.Resource{res(tNodeGroup, "ml", set(gpuNodeGroupOK, "launchTemplate", del))},
		want:      []string{"ml: node group has no launchTemplate: volume encryption is left to the account default"}},
	{policy: "eks-node-volume-encryption", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "blockDeviceMappings",
			[]any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": unknownValue}}}))},
		pending: []string{"lt: blockDeviceMappings[0].ebs.encrypted is not known yet"}},

	// --- eks-node-no-public-ssh
	{policy: "eks-node-no-public-ssh", kind: compliant, name: "no remote access",
		resources: []*mock.Resource{res(tNodeGroup, "system", systemNodeGroupOK)}},
	{policy: "eks-node-no-public-ssh", kind: compliant, name: "SSH from a bastion group",
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "launchTemplate", del,
			"remoteAccess", map[string]any{"ec2SshKey": "ops", "sourceSecurityGroupIds": []any{"sg-bastion"}}))}},
	{policy: "eks-node-no-public-ssh", kind: violating, name: "SSH from anywhere",
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "launchTemplate", del,
			"remoteAccess", map[string]any{"ec2SshKey": "ops"}))},
		want: []string{"system: remoteAccess.ec2SshKey is set without sourceSecurityGroupIds: EKS opens port 22 on the nodes to 0.0.0.0/0"}},
	{policy: "eks-node-no-public-ssh", kind: unknownIn, name: "source groups unknown",
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "launchTemplate", del,
			"remoteAccess", map[string]any{"ec2SshKey": "ops", "sourceSecurityGroupIds": unknownValue}))},
		pending: []string{"system: remoteAccess.sourceSecurityGroupIds is not known yet"}},

	// --- eks-gpu-nodes-tainted
	{policy: "eks-gpu-nodes-tainted", kind: compliant, name: "tainted GPU group beside the system group",
		resources: []*mock.Resource{res(tNodeGroup, "ml", gpuNodeGroupOK), res(tNodeGroup, "system", systemNodeGroupOK)}},
	{policy: "eks-gpu-nodes-tainted", kind: compliant, name: "pulumi-eks managed node group with taint",
		resources: []*mock.Resource{component(tManagedNodeGroup, "ml", set(gpuNodeGroupOK, "launchTemplate", del))}},
	{policy: "eks-gpu-nodes-tainted", kind: violating, name: "untainted GPU node group",
		resources: []*mock.Resource{res(tNodeGroup, "ml", set(gpuNodeGroupOK, "taints", del, "amiType", "AL2023_x86_64_STANDARD"))},
		want:      []string{"ml: GPU node group (g5.2xlarge) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes"}},
	{policy: "eks-gpu-nodes-tainted", kind: violating, name: "a retired p3 group still has GPUs",
		resources: []*mock.Resource{res(tNodeGroup, "ml", set(gpuNodeGroupOK, "instanceTypes", []any{"p3.2xlarge"}, "taints", del, "amiType", "AL2023_x86_64_STANDARD"))},
		want:      []string{"ml: GPU node group (p3.2xlarge) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes"}},
	{policy: "eks-gpu-nodes-tainted", kind: violating, name: "PreferNoSchedule is not enough, NVIDIA AMI counts",
		resources: []*mock.Resource{res(tNodeGroup, "ml", set(gpuNodeGroupOK, "instanceTypes", []any{"g6.xlarge"},
			"taints", []any{map[string]any{"key": "ml-workload", "value": "true", "effect": "PREFER_NO_SCHEDULE"}}))},
		want: []string{"ml: GPU node group (g6.xlarge, amiType AL2023_x86_64_NVIDIA) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes"}},
	{policy: "eks-gpu-nodes-tainted", kind: unknownIn, name: "instance types unknown",
		resources: []*mock.Resource{res(tNodeGroup, "ml", set(gpuNodeGroupOK, "instanceTypes", unknownValue))},
		pending:   []string{"ml: instanceTypes is not known yet"}},

	// --- eks-node-instance-families
	{policy: "eks-node-instance-families", kind: compliant, name: "m5 and g5",
		resources: []*mock.Resource{res(tNodeGroup, "system", systemNodeGroupOK), res(tNodeGroup, "ml", gpuNodeGroupOK)}},
	{policy: "eks-node-instance-families", kind: violating, name: "retired p3 is not allowed by default",
		resources: []*mock.Resource{res(tNodeGroup, "ml", set(gpuNodeGroupOK, "instanceTypes", []any{"p3.2xlarge"}))},
		want:      []string{"ml: instance type p3.2xlarge (family p3) is not in allowedInstanceFamilies"}},
	{policy: "eks-node-instance-families", kind: compliant, name: "empty list allows all",
		cfg:       func(c *Config) { c.AllowedInstanceFamilies = []string{} },
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "instanceTypes", []any{"t3.medium"}))}},
	{policy: "eks-node-instance-families", kind: violating, name: "burstable family",
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "instanceTypes", []any{"m5.xlarge", "t3.medium"}))},
		want:      []string{"system: instance type t3.medium (family t3) is not in allowedInstanceFamilies"}},
	{policy: "eks-node-instance-families", kind: violating, name: "launch template instance type",
		resources: []*mock.Resource{res(tLaunchTemplate, "lt", set(launchTemplateOK, "instanceType", "x1e.32xlarge"))},
		want:      []string{"lt: instance type x1e.32xlarge (family x1e) is not in allowedInstanceFamilies"}},
	{policy: "eks-node-instance-families", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tNodeGroup, "system", set(systemNodeGroupOK, "instanceTypes", unknownValue))},
		pending:   []string{"system: instanceTypes is not known yet"}},

	// --- eks-vpc-cni-network-policy
	{policy: "eks-vpc-cni-network-policy", kind: compliant, name: "enabled",
		resources: []*mock.Resource{res(tEKSAddon, "vpc-cni", map[string]any{"addonName": "vpc-cni", "configurationValues": `{"enableNetworkPolicy":"true"}`}),
			res(tEKSAddon, "coredns", map[string]any{"addonName": "coredns"})}},
	{policy: "eks-vpc-cni-network-policy", kind: violating, name: "not configured",
		resources: []*mock.Resource{res(tEKSAddon, "vpc-cni", map[string]any{"addonName": "vpc-cni"})},
		want:      []string{"vpc-cni: configurationValues does not set enableNetworkPolicy: NetworkPolicies are accepted but not enforced"}},
	{policy: "eks-vpc-cni-network-policy", kind: violating, name: "disabled",
		resources: []*mock.Resource{res(tEKSAddon, "vpc-cni", map[string]any{"addonName": "vpc-cni", "configurationValues": `{"enableNetworkPolicy":"false"}`})},
		want:      []string{`vpc-cni: configurationValues sets enableNetworkPolicy to "false": NetworkPolicies are not enforced`}},
	{policy: "eks-vpc-cni-network-policy", kind: violating, name: "not JSON",
		resources: []*mock.Resource{res(tEKSAddon, "vpc-cni", map[string]any{"addonName": "vpc-cni", "configurationValues": `{not json`})},
		want:      []string{"vpc-cni: configurationValues is not a JSON object: invalid character 'n' looking for beginning of object key string"}},
	{policy: "eks-vpc-cni-network-policy", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tEKSAddon, "vpc-cni", map[string]any{"addonName": "vpc-cni", "configurationValues": unknownValue})},
		pending:   []string{"vpc-cni: configurationValues is not known yet"}},

	// --- network-no-public-admin-ports
	{policy: "network-no-public-admin-ports", kind: compliant, name: "HTTPS from anywhere, database from the VPC, egress anywhere",
		resources: []*mock.Resource{
			res(tSecurityGroup, "sg", map[string]any{"ingress": []any{
				map[string]any{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": []any{"0.0.0.0/0"}},
				map[string]any{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": []any{"10.0.0.0/16"}},
			}}),
			res(tSGRule, "egress", map[string]any{"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": []any{"0.0.0.0/0"}}),
			res(tSGIngressRule, "from-nodes", map[string]any{"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "referencedSecurityGroupId": "sg-nodes"}),
			res(tSGIngressRule, "ping", map[string]any{"ipProtocol": "icmp", "fromPort": -1, "toPort": -1, "cidrIpv4": "0.0.0.0/0"}),
		}},
	{policy: "network-no-public-admin-ports", kind: violating, name: "SSH from anywhere",
		resources: []*mock.Resource{res(tSecurityGroup, "sg", map[string]any{"ingress": []any{
			map[string]any{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": []any{"0.0.0.0/0"}},
		}})},
		want: []string{"sg: ingress[0] allows 0.0.0.0/0 to port(s) 22"}},
	{policy: "network-no-public-admin-ports", kind: violating, name: "all traffic over IPv6",
		resources: []*mock.Resource{res(tSGIngressRule, "all", map[string]any{"ipProtocol": "-1", "cidrIpv6": "::/0"})},
		want:      []string{"all: the rule allows ::/0 to port(s) 22, 3389, 5432, 3306, 1433, 1521, 6379, 27017, 9200"}},
	{policy: "network-no-public-admin-ports", kind: violating, name: "port range covering PostgreSQL",
		resources: []*mock.Resource{res(tSGRule, "range", map[string]any{"type": "ingress", "protocol": "tcp", "fromPort": 5000, "toPort": 6000,
			"cidrBlocks": []any{"0.0.0.0/0"}})},
		want: []string{"range: the rule allows 0.0.0.0/0 to port(s) 5432"}},
	{policy: "network-no-public-admin-ports", kind: unknownIn, name: "CIDR unknown",
		resources: []*mock.Resource{res(tSGIngressRule, "rule", map[string]any{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": unknownValue})},
		pending:   []string{"rule: the rule: cidrIpv4 is not known yet"}},

	// --- network-vpc-flow-logs
	{policy: "network-vpc-flow-logs", kind: compliant, name: "flow log linked by dependency",
		resources: func() []*mock.Resource {
			vpc := res(tVpc, "vpc", map[string]any{"cidrBlock": "10.0.0.0/16"})
			return []*mock.Resource{vpc, dependsOn(res(tFlowLog, "vpc-flow", map[string]any{"vpcId": "vpc-id", "trafficType": "ALL"}), vpc)}
		}()},
	{policy: "network-vpc-flow-logs", kind: compliant, name: "flow log linked by value",
		resources: []*mock.Resource{res(tVpc, "vpc", map[string]any{"cidrBlock": "10.0.0.0/16"}),
			res(tFlowLog, "vpc-flow", map[string]any{"vpcId": "vpc", "trafficType": "REJECT"})}},
	{policy: "network-vpc-flow-logs", kind: violating, name: "no flow log",
		resources: func() []*mock.Resource {
			vpc, other := res(tVpc, "vpc", map[string]any{}), res(tVpc, "other", map[string]any{})
			return []*mock.Resource{vpc, other, dependsOn(res(tFlowLog, "other-flow", map[string]any{"vpcId": "other-id", "trafficType": "ALL"}), other)}
		}(),
		want: []string{"vpc: no flow log is attached to this VPC"}},
	{policy: "network-vpc-flow-logs", kind: violating, name: "accepted traffic only",
		resources: []*mock.Resource{res(tVpc, "vpc", map[string]any{}),
			res(tFlowLog, "vpc-flow", map[string]any{"vpcId": "vpc", "trafficType": "ACCEPT"})},
		want: []string{"vpc: the VPC's flow logs record accepted traffic only: log ALL (or at least REJECT) traffic"}},
	{policy: "network-vpc-flow-logs", kind: unknownIn, name: "vpc id unknown",
		resources: []*mock.Resource{res(tVpc, "vpc", map[string]any{}),
			res(tFlowLog, "vpc-flow", map[string]any{"vpcId": unknownValue, "trafficType": "ALL"})},
		pending: []string{"vpc: the VPC of a flow log is not known yet"}},

	// --- network-default-security-group-closed
	{policy: "network-default-security-group-closed", kind: compliant, name: "no rules",
		resources: []*mock.Resource{res(tDefaultSG, "default", map[string]any{"vpcId": "vpc-id"})}},
	{policy: "network-default-security-group-closed", kind: violating, name: "self ingress kept",
		resources: []*mock.Resource{res(tDefaultSG, "default", map[string]any{"vpcId": "vpc-id",
			"ingress": []any{map[string]any{"protocol": "-1", "self": true, "fromPort": 0, "toPort": 0}}})},
		want: []string{"default: the default security group keeps 1 ingress and 0 egress rule(s): it must have none"}},
	{policy: "network-default-security-group-closed", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tDefaultSG, "default", map[string]any{"vpcId": "vpc-id", "ingress": unknownValue})},
		pending:   []string{"default: ingress is not known yet"}},

	// --- s3-encryption
	{policy: "s3-encryption", kind: compliant, name: "KMS default encryption",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, bucketPolicyOK)},
	{policy: "s3-encryption", kind: violating, name: "no encryption configuration",
		resources: bucketWith("artifacts", nil, pabOK, versioningOK, bucketPolicyOK),
		want:      []string{"artifacts: no server-side encryption configuration is attached to the bucket"}},
	{policy: "s3-encryption", kind: violating, name: "configuration without algorithm",
		resources: bucketWith("artifacts", map[string]any{"rules": []any{map[string]any{"bucketKeyEnabled": true}}}, pabOK, versioningOK, bucketPolicyOK),
		want:      []string{"artifacts: the bucket's encryption configuration has no rule with an sseAlgorithm"}},
	{policy: "s3-encryption", kind: unknownIn, name: "bucket of the configuration unknown",
		resources: []*mock.Resource{res(tBucket, "artifacts", map[string]any{}), res(tBucketEncryption, "sse", set(sseOK, "bucket", unknownValue))},
		pending:   []string{"artifacts: the bucket of an encryption configuration is not known yet"}},

	// --- s3-public-access-block
	{policy: "s3-public-access-block", kind: compliant, name: "all four flags",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, bucketPolicyOK)},
	{policy: "s3-public-access-block", kind: violating, name: "missing",
		resources: bucketWith("artifacts", sseOK, nil, versioningOK, bucketPolicyOK),
		want:      []string{"artifacts: no BucketPublicAccessBlock is attached to the bucket"}},
	{policy: "s3-public-access-block", kind: violating, name: "two flags off",
		resources: bucketWith("artifacts", sseOK, set(pabOK, "blockPublicPolicy", false, "restrictPublicBuckets", del), versioningOK, bucketPolicyOK),
		want:      []string{"artifacts: the bucket's public access block leaves blockPublicPolicy, restrictPublicBuckets off"}},
	{policy: "s3-public-access-block", kind: unknownIn, name: "flag unknown",
		resources: bucketWith("artifacts", sseOK, set(pabOK, "blockPublicAcls", unknownValue), versioningOK, bucketPolicyOK),
		pending:   []string{"artifacts: blockPublicAcls of the public access block is not known yet"}},

	// --- s3-versioning
	{policy: "s3-versioning", kind: compliant, name: "enabled",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, bucketPolicyOK)},
	{policy: "s3-versioning", kind: violating, name: "missing",
		resources: bucketWith("artifacts", sseOK, pabOK, nil, bucketPolicyOK),
		want:      []string{"artifacts: no BucketVersioningV2 is attached to the bucket: versioning is off"}},
	{policy: "s3-versioning", kind: violating, name: "suspended",
		resources: bucketWith("artifacts", sseOK, pabOK, set(versioningOK, "versioningConfiguration.status", "Suspended"), bucketPolicyOK),
		want:      []string{`artifacts: the bucket's versioning status is "Suspended": it must be Enabled`}},
	{policy: "s3-versioning", kind: unknownIn, name: "status unknown",
		resources: bucketWith("artifacts", sseOK, pabOK, set(versioningOK, "versioningConfiguration.status", unknownValue), bucketPolicyOK),
		pending:   []string{"artifacts: the versioning status is not known yet"}},

	// --- s3-tls-only
	{policy: "s3-tls-only", kind: compliant, name: "deny statement",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, bucketPolicyOK)},
	{policy: "s3-tls-only", kind: compliant, name: "single statement object with a boolean",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, map[string]any{"policy": `{"Statement":{"Effect":"Deny",` +
			`"Principal":{"AWS":"*"},"Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":false}}}}`})},
	{policy: "s3-tls-only", kind: violating, name: "no bucket policy",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, nil),
		want:      []string{"artifacts: no bucket policy denies requests without TLS (aws:SecureTransport false)"}},
	{policy: "s3-tls-only", kind: violating, name: "policy without the deny",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, map[string]any{"policy": `{"Statement":[{"Effect":"Allow",` +
			`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject"}]}`}),
		want: []string{"artifacts: the bucket policy has no Deny statement for aws:SecureTransport false"}},
	{policy: "s3-tls-only", kind: unknownIn, name: "policy document unknown",
		resources: bucketWith("artifacts", sseOK, pabOK, versioningOK, map[string]any{"policy": unknownValue}),
		pending:   []string{"artifacts: the bucket policy is not known yet"}},

	// --- ecr
	{policy: "ecr-scan-on-push", kind: compliant, name: "scan on push",
		resources: []*mock.Resource{res(tECRRepository, "app", map[string]any{"imageScanningConfiguration": map[string]any{"scanOnPush": true}})}},
	{policy: "ecr-scan-on-push", kind: violating, name: "no scanning",
		resources: []*mock.Resource{res(tECRRepository, "app", map[string]any{})},
		want:      []string{"app: imageScanningConfiguration.scanOnPush is not true: pushed images are not scanned for vulnerabilities"}},
	{policy: "ecr-scan-on-push", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tECRRepository, "app", map[string]any{"imageScanningConfiguration": map[string]any{"scanOnPush": unknownValue}})},
		pending:   []string{"app: imageScanningConfiguration.scanOnPush is not known yet"}},
	{policy: "ecr-immutable-tags", kind: compliant, name: "immutable",
		resources: []*mock.Resource{res(tECRRepository, "app", map[string]any{"imageTagMutability": "IMMUTABLE"})}},
	{policy: "ecr-immutable-tags", kind: violating, name: "default",
		resources: []*mock.Resource{res(tECRRepository, "app", map[string]any{})},
		want:      []string{"app: imageTagMutability is not set (MUTABLE by default): a pushed tag can be overwritten"}},
	{policy: "ecr-immutable-tags", kind: violating, name: "mutable",
		resources: []*mock.Resource{res(tECRRepository, "app", map[string]any{"imageTagMutability": "MUTABLE"})},
		want:      []string{"app: imageTagMutability is MUTABLE: a pushed tag can be overwritten"}},
	{policy: "ecr-immutable-tags", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tECRRepository, "app", map[string]any{"imageTagMutability": unknownValue})},
		pending:   []string{"app: imageTagMutability is not known yet"}},

	// --- kms-key-rotation
	{policy: "kms-key-rotation", kind: compliant, name: "rotating",
		resources: []*mock.Resource{res(tKMSKey, "key", map[string]any{"enableKeyRotation": true})}},
	{policy: "kms-key-rotation", kind: compliant, name: "asymmetric signing key is exempt",
		resources: []*mock.Resource{res(tKMSKey, "signing", map[string]any{"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"})}},
	{policy: "kms-key-rotation", kind: violating, name: "not rotating",
		resources: []*mock.Resource{res(tKMSKey, "key", map[string]any{"deletionWindowInDays": 30})},
		want:      []string{"key: enableKeyRotation is not true: the key material is never rotated"}},
	{policy: "kms-key-rotation", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tKMSKey, "key", map[string]any{"enableKeyRotation": unknownValue})},
		pending:   []string{"key: enableKeyRotation is not known yet"}},

	// --- secrets manager
	{policy: "secretsmanager-cmk", kind: compliant, name: "CMK",
		resources: []*mock.Resource{res(tSecret, "grafana", map[string]any{"kmsKeyId": keyArn})}},
	{policy: "secretsmanager-cmk", kind: violating, name: "AWS managed key",
		resources: []*mock.Resource{res(tSecret, "grafana", map[string]any{})},
		want:      []string{"grafana: kmsKeyId is not set: the secret is encrypted with the AWS managed key aws/secretsmanager"}},
	{policy: "secretsmanager-cmk", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tSecret, "grafana", map[string]any{"kmsKeyId": unknownValue})},
		pending:   []string{"grafana: kmsKeyId is not known yet"}},
	{policy: "secretsmanager-rotation", kind: compliant, name: "rotation attached",
		resources: func() []*mock.Resource {
			s := res(tSecret, "db", map[string]any{"kmsKeyId": keyArn})
			return []*mock.Resource{s, dependsOn(res(tSecretRotation, "db-rotation", map[string]any{"secretId": "db-id",
				"rotationRules": map[string]any{"automaticallyAfterDays": 30}}), s)}
		}()},
	{policy: "secretsmanager-rotation", kind: violating, name: "no rotation",
		resources: []*mock.Resource{res(tSecret, "slack-webhook", map[string]any{"kmsKeyId": keyArn})},
		want:      []string{"slack-webhook: no SecretRotation rotates this secret"}},
	{policy: "secretsmanager-rotation", kind: compliant, name: "RDS keeps and rotates the master passwords",
		resources: []*mock.Resource{res(tRDSInstance, "db", map[string]any{"manageMasterUserPassword": true}),
			res(tRDSCluster, "db-cluster", map[string]any{"manageMasterUserPassword": true})}},
	{policy: "secretsmanager-rotation", kind: violating, name: "master passwords set by the program",
		resources: []*mock.Resource{res(tRDSInstance, "db", map[string]any{"password": secret("from-config")}),
			res(tRDSCluster, "db-cluster", map[string]any{"manageMasterUserPassword": false, "masterPassword": "from-config"})},
		want: []string{
			"db: password is set by the program and nothing rotates it: set manageMasterUserPassword so that RDS keeps and rotates it in Secrets Manager",
			"db-cluster: masterPassword is set by the program and nothing rotates it: set manageMasterUserPassword so that RDS keeps and rotates it in Secrets Manager",
		}},
	{policy: "secretsmanager-rotation", kind: unknownIn, name: "whether RDS manages the password is unknown",
		resources: []*mock.Resource{res(tRDSInstance, "db", map[string]any{"manageMasterUserPassword": unknownValue})},
		pending:   []string{"db: manageMasterUserPassword is not known yet"}},
	{policy: "secretsmanager-rotation", kind: unknownIn, name: "secret id unknown",
		resources: []*mock.Resource{res(tSecret, "db", map[string]any{"kmsKeyId": keyArn}),
			res(tSecretRotation, "db-rotation", map[string]any{"secretId": unknownValue})},
		pending: []string{"db: the secret of a SecretRotation is not known yet"}},

	// --- required-tags
	{policy: "required-tags", kind: compliant, name: "provider default tags",
		resources: using(awsProvider(allTags), res(tVpc, "vpc", map[string]any{}), res(tRDSInstance, "db", rdsOK))},
	{policy: "required-tags", kind: compliant, name: "default tags as JSON text (pulumi/pulumi#15477)",
		resources: using(res(tAWSProvider, "aws", map[string]any{
			"defaultTags": `{"tags":{"Project":"novacron","Environment":"production","ManagedBy":"pulumi","CostCenter":"platform","Owner":"platform-team"}}`,
		}), res(tVpc, "vpc", map[string]any{}))},
	{policy: "required-tags", kind: compliant, name: "resource completes the provider's tags; non-taggable types skipped",
		resources: using(awsProvider(set(allTags, "Owner", del)),
			res(tVpc, "vpc", map[string]any{"tags": map[string]any{"Owner": "data-team", "Name": "main"}}),
			res("aws:ec2/route:Route", "default-route", map[string]any{"destinationCidrBlock": "0.0.0.0/0"}),
			res(tNamespace, "apps", map[string]any{}))},
	{policy: "required-tags", kind: violating, name: "no provider, partial tags",
		resources: []*mock.Resource{res(tVpc, "vpc", map[string]any{"tags": map[string]any{"Project": "novacron", "Environment": "staging", "ManagedBy": "pulumi"}})},
		want:      []string{"vpc: missing required tag(s) CostCenter, Owner: set them in the AWS provider's defaultTags or on the resource"}},
	{policy: "required-tags", kind: violating, name: "empty value counts as missing",
		resources: using(awsProvider(set(allTags, "CostCenter", "")), res(tKMSKey, "key", map[string]any{"enableKeyRotation": true})),
		want:      []string{"key: missing required tag(s) CostCenter: set them in the AWS provider's defaultTags or on the resource"}},
	{policy: "required-tags", kind: violating, name: "config lists its own tags",
		cfg:       func(c *Config) { c.RequiredTags = []string{"DataClassification"} },
		resources: using(awsProvider(allTags), res(tBucket, "artifacts", map[string]any{})),
		want:      []string{"artifacts: missing required tag(s) DataClassification: set them in the AWS provider's defaultTags or on the resource"}},
	{policy: "required-tags", kind: unknownIn, name: "provider tags unknown",
		resources: using(res(tAWSProvider, "aws", map[string]any{"defaultTags": unknownValue}), res(tVpc, "vpc", map[string]any{})),
		pending:   []string{"vpc: the provider's defaultTags are not known yet"}},
	{policy: "required-tags", kind: unknownIn, name: "resource tags unknown",
		resources: using(awsProvider(nil), res(tVpc, "vpc", map[string]any{"tags": unknownValue})),
		pending:   []string{"vpc: tags is not known yet"}},

	// --- k8s-namespace-default-deny
	{policy: "k8s-namespace-default-deny", kind: compliant, name: "default deny and DNS",
		cfg: func(c *Config) { c.ApplicationNamespaces = []string{"novacron"} },
		resources: []*mock.Resource{namespace("novacron"), networkPolicy("default-deny", "novacron", defaultDenySpec),
			networkPolicy("allow-dns", "novacron", allowDNSSpec)}},
	{policy: "k8s-namespace-default-deny", kind: compliant, name: "namespace resolved through the dependency",
		cfg: func(c *Config) { c.ApplicationNamespaces = []string{"novacron"} },
		resources: func() []*mock.Resource {
			ns := namespace("novacron")
			deny := dependsOn(networkPolicy("default-deny", "", defaultDenySpec), ns)
			deny.Inputs = resource.NewPropertyMapFromMap(map[string]any{"metadata": map[string]any{"namespace": unknownValue}, "spec": defaultDenySpec})
			return []*mock.Resource{ns, deny, networkPolicy("allow-dns", "novacron", allowDNSSpec)}
		}()},
	{policy: "k8s-namespace-default-deny", kind: compliant, name: "nothing configured: not applicable",
		resources: []*mock.Resource{namespace("novacron")}},
	{policy: "k8s-namespace-default-deny", kind: violating, name: "ingress-only deny, no DNS",
		cfg: func(c *Config) { c.ApplicationNamespaces = []string{"novacron"} },
		resources: []*mock.Resource{namespace("novacron"), networkPolicy("deny-ingress", "novacron",
			map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress"}})},
		want: []string{"novacron: namespace novacron has no default-deny NetworkPolicy for egress (podSelector {} without rules)",
			"novacron: namespace novacron has no NetworkPolicy allowing DNS egress on port 53 over UDP and TCP for all pods: default-deny egress blocks name resolution"}},
	{policy: "k8s-namespace-default-deny", kind: violating, name: "DNS over UDP only, policy for some pods only",
		cfg: func(c *Config) { c.ApplicationNamespaces = []string{"novacron"} },
		resources: []*mock.Resource{namespace("novacron"), networkPolicy("default-deny", "novacron", defaultDenySpec),
			networkPolicy("allow-dns", "novacron", set(allowDNSSpec, "egress", []any{map[string]any{"ports": []any{map[string]any{"port": 53, "protocol": "UDP"}}}})),
			networkPolicy("web-dns", "novacron", set(allowDNSSpec, "podSelector", map[string]any{"matchLabels": map[string]any{"app": "web"}}))},
		want: []string{"novacron: namespace novacron has no NetworkPolicy allowing DNS egress on port 53 over UDP and TCP for all pods: default-deny egress blocks name resolution"}},
	{policy: "k8s-namespace-default-deny", kind: violating, name: "namespace not in the stack",
		cfg:       func(c *Config) { c.ApplicationNamespaces = []string{"payments"} },
		resources: []*mock.Resource{namespace("novacron"), networkPolicy("default-deny", "novacron", defaultDenySpec)},
		want: []string{"stack: namespace payments has no default-deny NetworkPolicy for ingress and egress (podSelector {} without rules)",
			"stack: namespace payments has no NetworkPolicy allowing DNS egress on port 53 over UDP and TCP for all pods: default-deny egress blocks name resolution"}},
	{policy: "k8s-namespace-default-deny", kind: unknownIn, name: "policy namespace unknown",
		cfg: func(c *Config) { c.ApplicationNamespaces = []string{"novacron"} },
		resources: []*mock.Resource{namespace("novacron"),
			res(tNetworkPolicy, "default-deny", map[string]any{"metadata": map[string]any{"namespace": unknownValue}, "spec": defaultDenySpec})},
		pending: []string{"novacron: the NetworkPolicies of namespace novacron are not known yet",
			"novacron: the DNS allowance of namespace novacron is not known yet"}},

	// --- k8s-runtime-monitoring-installed
	{policy: "k8s-runtime-monitoring-installed", kind: compliant, name: "falco and kube-prometheus-stack",
		resources: []*mock.Resource{release("falco", "falco", "9.1.0", map[string]any{}),
			release("monitoring", "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack", "88.5.3", map[string]any{})}},
	{policy: "k8s-runtime-monitoring-installed", kind: violating, name: "falco missing",
		resources: []*mock.Resource{release("monitoring", "prometheus-community/kube-prometheus-stack", "88.5.3", map[string]any{})},
		want:      []string{"stack: no Helm release installs the falco chart"}},
	{policy: "k8s-runtime-monitoring-installed", kind: unknownIn, name: "chart unknown",
		resources: []*mock.Resource{res(tHelmRelease, "falco", map[string]any{"chart": unknownValue}),
			release("monitoring", "kube-prometheus-stack", "88.5.3", map[string]any{})},
		pending: []string{"stack: the chart of a Helm release is not known yet"}},

	// --- helm-chart-version-pinned
	{policy: "helm-chart-version-pinned", kind: compliant, name: "exact versions, local chart",
		resources: []*mock.Resource{release("monitoring", "kube-prometheus-stack", "88.5.3", map[string]any{}),
			release("app", "./charts/novacron", "", map[string]any{})}},
	{policy: "helm-chart-version-pinned", kind: violating, name: "no version",
		resources: []*mock.Resource{release("monitoring", "kube-prometheus-stack", "", map[string]any{})},
		want:      []string{"monitoring: chart kube-prometheus-stack has no version: each deployment may install a different chart release"}},
	{policy: "helm-chart-version-pinned", kind: violating, name: "range",
		resources: []*mock.Resource{release("monitoring", "kube-prometheus-stack", "~88.5", map[string]any{})},
		want:      []string{`monitoring: chart kube-prometheus-stack version "~88.5" is not an exact version`}},
	{policy: "helm-chart-version-pinned", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tHelmRelease, "monitoring", map[string]any{"chart": "kube-prometheus-stack", "version": unknownValue})},
		pending:   []string{"monitoring: version is not known yet"}},

	// --- helm-values-no-plaintext-secrets
	{policy: "helm-values-no-plaintext-secrets", kind: compliant, name: "references and Pulumi secrets",
		resources: []*mock.Resource{release("monitoring", "kube-prometheus-stack", "88.5.3", map[string]any{
			"grafana": map[string]any{
				"admin":          map[string]any{"existingSecret": "grafana-admin", "userKey": "admin-user", "passwordKey": "admin-password"},
				"grafana.ini":    map[string]any{"security": map[string]any{"admin_password": "$__file{/etc/secrets/admin_password}"}},
				"serviceAccount": map[string]any{"automountServiceAccountToken": true},
			},
			"alertmanager": map[string]any{
				"alertmanagerSpec": map[string]any{"secrets": []any{"alertmanager-pagerduty"}, "configSecret": "alertmanager-config"},
				"config": map[string]any{"receivers": []any{map[string]any{
					"name":              "pagerduty",
					"pagerduty_configs": []any{map[string]any{"routing_key_file": "/etc/alertmanager/secrets/alertmanager-pagerduty/routing-key"}},
				}}},
			},
			"kubeStateMetrics": map[string]any{"password": secret("from-pulumi-config")},
		})}},
	{policy: "helm-values-no-plaintext-secrets", kind: violating, name: "password, webhook URL and token in plain text",
		resources: []*mock.Resource{release("monitoring", "kube-prometheus-stack", "88.5.3", map[string]any{
			"grafana": map[string]any{"adminPassword": "hunter2"},
			"alertmanager": map[string]any{"config": map[string]any{"global": map[string]any{
				"slack_api_url": "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX"}}},
			"falcosidekick": map[string]any{"config": map[string]any{"pagerduty": map[string]any{"routingKey": "0123456789abcdef0123456789abcdef"}}},
			"oauth":         map[string]any{"clientSecret": "0a1b2c3d4e5f"},
		})},
		want: []string{
			"monitoring: values.oauth.clientSecret holds a plain-text secret",
			"monitoring: values.alertmanager.config.global.slack_api_url holds a plain-text secret",
			"monitoring: values.falcosidekick.config.pagerduty.routingKey holds a plain-text secret",
			"monitoring: values.grafana.adminPassword holds a plain-text secret",
		}},
	{policy: "helm-values-no-plaintext-secrets", kind: unknownIn, name: "secret-looking value unknown",
		resources: []*mock.Resource{release("monitoring", "kube-prometheus-stack", "88.5.3", map[string]any{
			"grafana": map[string]any{"adminPassword": unknownValue}})},
		pending: []string{"monitoring: values.grafana.adminPassword is not known yet"}},

	// --- k8s-no-latest-images
	{policy: "k8s-no-latest-images", kind: compliant, name: "tags and digests",
		resources: []*mock.Resource{
			release("falco", "falco", "9.1.0", map[string]any{"image": map[string]any{"repository": "falcosecurity/falco", "tag": "0.44.1"}}),
			res("kubernetes:apps/v1:Deployment", "web", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"containers":     []any{map[string]any{"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2"}},
				"initContainers": []any{map[string]any{"name": "migrate", "image": "ghcr.io/novacron/migrate@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}},
			}}}}),
		}},
	{policy: "k8s-no-latest-images", kind: violating, name: "latest in values and untagged container",
		resources: []*mock.Resource{
			release("falco", "falco", "9.1.0", map[string]any{
				"image":    map[string]any{"repository": "falcosecurity/falco", "tag": "latest"},
				"sidekick": map[string]any{"image": "falcosecurity/falcosidekick:latest"},
			}),
			res("kubernetes:apps/v1:Deployment", "web", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "web", "image": "registry.internal:5000/web"}},
			}}}}),
		},
		want: []string{
			"falco: values.image.tag is latest",
			"falco: values.sidekick.image uses the :latest tag",
			"web: spec.template.spec.containers[0].image registry.internal:5000/web has no tag, which means :latest",
		}},
	{policy: "k8s-no-latest-images", kind: unknownIn, name: "image unknown",
		resources: []*mock.Resource{res("kubernetes:apps/v1:Deployment", "web", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "web", "image": unknownValue}},
		}}}})},
		pending: []string{"web: spec.template.spec.containers[0].image is not known yet"}},
}

func TestPolicies(t *testing.T) {
	for _, tc := range policyCases {
		t.Run(tc.policy+"/"+string(tc.kind)+"/"+tc.name, func(t *testing.T) {
			require.NotNil(t, PolicyByName(tc.policy), "unknown policy")
			stack := tc.stack
			if stack == "" {
				stack = "staging"
			}
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			rep := Evaluate(tc.resources, stack, cfg)

			want := tc.want
			if want == nil {
				want = []string{}
			}
			pending := tc.pending
			if pending == nil {
				pending = []string{}
			}
			assert.ElementsMatch(t, want, found(rep, tc.policy), "violations")
			assert.ElementsMatch(t, pending, pendingOf(rep, tc.policy), "pending checks")

			switch tc.kind {
			case compliant:
				assert.Contains(t, []PolicyStatus{StatusPassed, StatusNotApplicable}, statusOf(rep, tc.policy))
			case violating:
				if len(tc.want) > 0 {
					assert.Equal(t, StatusFailed, statusOf(rep, tc.policy))
				}
			case unknownIn:
				assert.Equal(t, StatusPending, statusOf(rep, tc.policy))
			}
			if tc.status != "" {
				assert.Equal(t, tc.status, statusOf(rep, tc.policy), "status")
			}
			for _, v := range rep.Violations {
				if v.Policy == tc.policy {
					assert.Equal(t, PolicyByName(tc.policy).Level, v.Level)
					assert.Equal(t, PolicyByName(tc.policy).Severity, v.Severity)
				}
			}
		})
	}
}

// Every policy has at least one compliant, one violating and one unknownValue-value fixture (the
// settings policy reads no resource property, so it has no unknownValue case).
func TestEveryPolicyHasEachKindOfFixture(t *testing.T) {
	kinds := map[string]map[caseKind]bool{}
	for _, tc := range policyCases {
		if kinds[tc.policy] == nil {
			kinds[tc.policy] = map[caseKind]bool{}
		}
		if tc.kind != violating || len(tc.want) > 0 {
			kinds[tc.policy][tc.kind] = true
		}
	}
	for _, p := range Policies() {
		need := []caseKind{compliant, violating, unknownIn}
		if p.Name == SettingsPolicyName {
			need = need[:2]
		}
		for _, k := range need {
			assert.True(t, kinds[p.Name][k], "policy %s has no %s fixture", p.Name, k)
		}
	}
}

// Secret values never appear in a message.
func TestSecretValuesNeverInMessages(t *testing.T) {
	values := map[string]any{
		"grafana":       map[string]any{"adminPassword": "hunter2-value"},
		"falcosidekick": map[string]any{"config": map[string]any{"slack": map[string]any{"webhookurl": "https://hooks.slack.com/services/T1/B1/secretpart"}}},
		"aws":           map[string]any{"credentials": map[string]any{"id": "AKIAABCDEFGHIJKLMNOP"}},
	}
	rep := Evaluate([]*mock.Resource{release("falco", "falco", "9.1.0", values)}, "staging", DefaultConfig())
	msgs := found(rep, "helm-values-no-plaintext-secrets")
	require.Len(t, msgs, 3)
	for _, v := range rep.Violations {
		for _, s := range []string{"hunter2-value", "secretpart", "AKIAABCDEFGHIJKLMNOP"} {
			assert.NotContains(t, v.Message, s)
			assert.NotContains(t, v.EngineMessage(), s)
		}
	}
}
