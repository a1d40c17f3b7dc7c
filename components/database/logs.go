package database

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// instanceLogExports are the RDS for PostgreSQL log types an instance exports to CloudWatch Logs
// (CreateDBInstance, EnableCloudwatchLogsExports: postgresql, upgrade, iam-db-auth-error).
var instanceLogExports = []string{"postgresql", "upgrade"}

// clusterLogExports are those of a Multi-AZ DB cluster. RDS also takes "upgrade" for a cluster
// (CreateDBCluster, EnableCloudwatchLogsExports), but pulumi-aws 6.83.4 documents only
// "postgresql" for PostgreSQL on rds.Cluster, and terraform-aws-modules/rds-aurora's Multi-AZ
// example exports just that; the upgrade log is also in the RDS console.
var clusterLogExports = []string{"postgresql"}

func logExports(deployment string) []string {
	if deployment == DeploymentCluster {
		return clusterLogExports
	}
	return instanceLogExports
}

// newLogGroups creates the log groups RDS exports to, before the database: RDS would otherwise
// create them on first export with no retention (kept forever) and CloudWatch Logs' own key
// (RDS User Guide, "Publishing PostgreSQL logs to Amazon CloudWatch Logs"). They are named after
// the identifier, which is why the identifier is set rather than generated. The child for log
// type t is named "<name>-<t>-logs".
func newLogGroups(ctx *pulumi.Context, name string, a *PostgresArgs, identifier string, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	var groups []pulumi.Resource
	for _, logType := range logExports(a.Deployment) {
		args := &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(logGroupName(a.Deployment, identifier, logType)),
			RetentionInDays: pulumi.Int(a.LogRetentionDays),
		}
		if a.LogsKmsKeyArn != nil {
			args.KmsKeyId = a.LogsKmsKeyArn
		}
		g, err := cloudwatch.NewLogGroup(ctx, name+"-"+logType+"-logs", args, parent)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}
