package compliance

import "github.com/novacron/platform/internal/mock"

// RDS DB clusters: the Multi-AZ DB cluster the platform builds in production (engine postgres
// with a DB cluster instance class), and Aurora where a rule differs.

var (
	rdsClusterOK = map[string]any{
		"engine": "postgres", "engineVersion": "17.9", "dbClusterInstanceClass": "db.r6gd.xlarge",
		"storageType": "gp3", "allocatedStorage": 1000, "iops": 12000,
		"storageEncrypted": true, "kmsKeyId": keyArn, "dbSubnetGroupName": "postgres-subnets",
		"backupRetentionPeriod": 30, "deletionProtection": true, "iamDatabaseAuthenticationEnabled": true,
		"dbClusterParameterGroupName": "main-cpg", "performanceInsightsEnabled": true,
		"performanceInsightsKmsKeyId": keyArn, "manageMasterUserPassword": true,
		"monitoringInterval": 60, "enabledCloudwatchLogsExports": []any{"postgresql"}, "copyTagsToSnapshot": true,
	}
	cpgOK = map[string]any{
		"family": "postgres17",
		"parameters": []any{map[string]any{"name": "rds.force_ssl", "value": "1"},
			map[string]any{"name": "log_statement", "value": "ddl"}, map[string]any{"name": "log_min_duration_statement", "value": "1000"}},
	}
)

func rdsCluster(props map[string]any) *mock.Resource { return res(tRDSCluster, "pg", props) }
func cpg(props map[string]any) *mock.Resource {
	return res(tRDSClusterParameterGroup, "main-cpg", props)
}

func init() { policyCases = append(policyCases, rdsClusterCases...) }

var rdsClusterCases = []policyCase{
	{policy: "rds-storage-encrypted", kind: compliant, name: "cluster encrypted with a CMK",
		resources: []*mock.Resource{rdsCluster(rdsClusterOK)}},
	{policy: "rds-storage-encrypted", kind: violating, name: "cluster unencrypted",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "storageEncrypted", del))},
		want:      []string{"pg: storageEncrypted is not true: storage, automated backups and snapshots are unencrypted"}},
	{policy: "rds-storage-encrypted", kind: violating, name: "cluster replica still states its encryption",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "kmsKeyId", del, "replicationSourceIdentifier", "arn:aws:rds:us-east-1:123456789012:db:src"))},
		want:      []string{"pg: kmsKeyId is not set: storage is encrypted with the AWS managed key aws/rds, not a customer managed key"}},

	{policy: "rds-not-publicly-accessible", kind: compliant, name: "Multi-AZ DB cluster in its own subnet group",
		resources: []*mock.Resource{rdsCluster(rdsClusterOK)}},
	{policy: "rds-not-publicly-accessible", kind: compliant, name: "Aurora cluster: its instances decide",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "engine", "aurora-postgresql", "dbSubnetGroupName", del))}},
	{policy: "rds-not-publicly-accessible", kind: violating, name: "Multi-AZ DB cluster without a subnet group",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbSubnetGroupName", del))},
		want:      []string{"pg: dbSubnetGroupName is not set: RDS makes a Multi-AZ DB cluster without a DB subnet group publicly accessible"}},
	{policy: "rds-not-publicly-accessible", kind: violating, name: "Multi-AZ DB cluster in the default subnet group",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbSubnetGroupName", "default"))},
		want:      []string{`pg: dbSubnetGroupName is "default": RDS makes a Multi-AZ DB cluster in the default DB subnet group publicly accessible`}},
	{policy: "rds-not-publicly-accessible", kind: unknownIn, name: "cluster subnet group not known",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbSubnetGroupName", unknownValue))},
		pending:   []string{"pg: dbSubnetGroupName is not known yet"}},

	{policy: "rds-backup-retention", kind: compliant, name: "cluster 30 days in production", stack: "production",
		resources: []*mock.Resource{rdsCluster(rdsClusterOK)}},
	{policy: "rds-backup-retention", kind: violating, name: "cluster retention unset",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "backupRetentionPeriod", del))},
		want:      []string{"pg: backupRetentionPeriod is not set (the RDS API default is 1 day): at least 7 days are required"}},

	{policy: "rds-deletion-protection-production", kind: violating, name: "cluster unprotected", stack: "production",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "deletionProtection", false))},
		want:      []string{`pg: deletionProtection is not enabled in production stack "production": the database can be deleted by one API call`}},

	{policy: "rds-iam-authentication", kind: violating, name: "cluster without IAM authentication",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "iamDatabaseAuthenticationEnabled", del))},
		want:      []string{"pg: iamDatabaseAuthenticationEnabled is not true: database logins rely on long-lived passwords only"}},

	{policy: "rds-tls-enforced", kind: compliant, name: "cluster parameter group matched by name",
		resources: []*mock.Resource{rdsCluster(rdsClusterOK), cpg(cpgOK)}},
	{policy: "rds-tls-enforced", kind: violating, name: "an instance parameter group does not count for a cluster",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbClusterParameterGroupName", "main-pg")), pg(pgOK)},
		want:      []string{`pg: parameter group "main-pg" is not managed by this stack, so TLS enforcement cannot be verified; attach one that sets rds.force_ssl=1`}},
	{policy: "rds-tls-enforced", kind: violating, name: "cluster on the default cluster parameter group",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbClusterParameterGroupName", del))},
		want:      []string{"pg: dbClusterParameterGroupName is not set: the engine's default parameter group cannot be shown to force TLS; attach one that sets rds.force_ssl=1"}},
	{policy: "rds-tls-enforced", kind: violating, name: "cluster force_ssl off",
		resources: []*mock.Resource{rdsCluster(rdsClusterOK), cpg(set(cpgOK, "parameters", []any{map[string]any{"name": "rds.force_ssl", "value": "0"}}))},
		want:      []string{`pg: parameter group main-cpg sets rds.force_ssl to "0": it must be 1`}},
	{policy: "rds-tls-enforced", kind: unknownIn, name: "cluster parameter group not known",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbClusterParameterGroupName", unknownValue)), cpg(cpgOK)},
		pending:   []string{"pg: dbClusterParameterGroupName is not known yet"}},

	{policy: "rds-performance-insights-encrypted", kind: violating, name: "cluster Performance Insights on the AWS managed key",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "performanceInsightsKmsKeyId", del))},
		want:      []string{"pg: performanceInsightsEnabled is true but performanceInsightsKmsKeyId is not set: Performance Insights data uses the AWS managed key"}},

	{policy: "rds-auto-minor-version-upgrade", kind: compliant, name: "cluster takes the RDS default",
		resources: []*mock.Resource{rdsCluster(rdsClusterOK)}},

	// A Multi-AZ DB cluster is Multi-AZ by construction: it counts, and passes.
	{policy: "rds-multi-az-production", kind: compliant, name: "Multi-AZ DB cluster in production", stack: "production",
		resources: []*mock.Resource{rdsCluster(rdsClusterOK)}, status: StatusPassed},
	{policy: "rds-multi-az-production", kind: compliant, name: "Multi-AZ DB cluster read replica", stack: "production",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "replicationSourceIdentifier", ""))}, status: StatusPassed},
	{policy: "rds-multi-az-production", kind: compliant, name: "Aurora cluster is not judged", stack: "production",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "engine", "aurora-postgresql", "dbClusterInstanceClass", del))},
		status:    StatusNotApplicable},
	{policy: "rds-multi-az-production", kind: violating, name: "postgres cluster without a DB cluster instance class", stack: "production",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbClusterInstanceClass", del))},
		want: []string{`pg: dbClusterInstanceClass is not set in production stack "production": ` +
			"a postgres DB cluster without it is not a Multi-AZ DB cluster, and RDS requires it to create one"}},
	{policy: "rds-multi-az-production", kind: unknownIn, name: "cluster instance class not known", stack: "production",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbClusterInstanceClass", unknownValue))},
		pending:   []string{"pg: dbClusterInstanceClass is not known yet"}},
	{policy: "rds-multi-az-production", kind: unknownIn, name: "cluster engine not known and no class", stack: "production",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "engine", unknownValue, "dbClusterInstanceClass", del))},
		pending:   []string{"pg: engine is not known yet"}},
	{policy: "rds-multi-az-production", kind: compliant, name: "cluster not checked in staging",
		resources: []*mock.Resource{rdsCluster(set(rdsClusterOK, "dbClusterInstanceClass", del))}, status: StatusNotApplicable},
}
