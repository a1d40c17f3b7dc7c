package database

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newCluster creates the DB cluster parameter group and the Multi-AZ DB cluster (Deployment
// "cluster"): engine "postgres" with a DB cluster instance class, which RDS builds as a writer
// and two readable standbys in three zones (CreateDBCluster).
func (x *Postgres) newCluster(ctx *pulumi.Context, name, identifier string, a *PostgresArgs, s *shared,
	parent, dbOpts pulumi.ResourceOption) error {
	params := make(rds.ClusterParameterGroupParameterArray, 0, len(parameters()))
	for _, p := range parameters() {
		params = append(params, rds.ClusterParameterGroupParameterArgs{Name: pulumi.String(p[0]), Value: pulumi.String(p[1])})
	}
	cpg, err := rds.NewClusterParameterGroup(ctx, name+"-params", &rds.ClusterParameterGroupArgs{
		Family:      pulumi.String(parameterFamily(a.EngineVersion)),
		Description: pulumi.String(fmt.Sprintf("PostgreSQL %s: TLS only, connection and slow query logging", name)),
		Parameters:  params,
	}, parent)
	if err != nil {
		return err
	}

	args := &rds.ClusterArgs{
		// Set, not generated: the log group is named after it and exists first. At most 52
		// characters for a Multi-AZ DB cluster (CreateDBCluster, DBClusterIdentifier).
		ClusterIdentifier: pulumi.String(identifier),
		Engine:            pulumi.String("postgres"),
		// An exact version (Validate). RDS applies minor upgrades in the maintenance window by
		// default (CreateDBCluster, AutoMinorVersionUpgrade, which pulumi-aws 6.83.4 cannot set);
		// then raise EngineVersion to the running minor, or the next update asks for a downgrade.
		EngineVersion:            pulumi.String(a.EngineVersion),
		AllowMajorVersionUpgrade: pulumi.Bool(true),
		// Makes this a Multi-AZ DB cluster rather than an Aurora one.
		DbClusterInstanceClass: pulumi.String(a.InstanceClass),

		// Storage type, size and IOPS are per instance; all three are required for a Multi-AZ DB
		// cluster (CreateDBCluster), and a change of storage type replaces the cluster
		// (pulumi-aws rds.Cluster, storageType: "Forces new for Multi-AZ DB clusters").
		StorageType:      pulumi.String(a.StorageType),
		AllocatedStorage: pulumi.Int(a.AllocatedStorageGb),
		Iops:             pulumi.Int(a.Iops),
		StorageEncrypted: pulumi.Bool(true),
		KmsKeyId:         s.keyArn,

		DatabaseName:   pulumi.String(a.DatabaseName),
		MasterUsername: pulumi.String(a.MasterUsername),
		// Multi-AZ DB clusters support Secrets Manager management of the master password; the
		// readable standbys are part of the cluster, not read replicas of it.
		ManageMasterUserPassword:         pulumi.Bool(true),
		MasterUserSecretKmsKeyId:         s.keyArn,
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),

		// pulumi-aws 6.83.4 has no publiclyAccessible on rds.Cluster
		// (terraform-provider-aws#43107). RDS makes a cluster private when a DB subnet group
		// other than "default" is named (CreateDBCluster, PubliclyAccessible), and the database
		// subnets have no route to the internet gateway anyway.
		DbSubnetGroupName:           s.subnetGroupName,
		VpcSecurityGroupIds:         pulumi.StringArray{s.securityGroupID},
		Port:                        pulumi.Int(Port),
		DbClusterParameterGroupName: cpg.Name,
		CaCertificateIdentifier:     pulumi.String(caCertIdentifier),

		BackupRetentionPeriod:      pulumi.Int(a.BackupRetentionDays),
		PreferredBackupWindow:      pulumi.String(a.BackupWindow),
		PreferredMaintenanceWindow: pulumi.String(a.MaintenanceWindow),
		CopyTagsToSnapshot:         pulumi.Bool(true),
		DeletionProtection:         pulumi.Bool(!a.AllowDestroy),
		SkipFinalSnapshot:          pulumi.Bool(a.AllowDestroy),
		// A deleted Multi-AZ DB cluster cannot be restored to a point in time (RDS User Guide,
		// "Limitations of Multi-AZ DB clusters"), so its automated backups go with it; the final
		// snapshot is what survives.
		DeleteAutomatedBackups: pulumi.Bool(true),

		EnabledCloudwatchLogsExports:       pulumi.ToStringArray(clusterLogExports),
		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        s.keyArn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(a.PerformanceInsightsRetentionDays),
		MonitoringInterval:                 s.monitoringInterval,
		MonitoringRoleArn:                  s.monitoringRoleArn,

		// AWS Backup plans select resources by this tag.
		Tags: pulumi.StringMap{"backup": pulumi.String("true")},
	}
	if !a.AllowDestroy {
		args.FinalSnapshotIdentifier = pulumi.String(finalSnapshotID(ctx.Project(), ctx.Stack(), name))
	}
	c, err := rds.NewCluster(ctx, name, args, parent, dbOpts, pulumi.DependsOn(s.deps))
	if err != nil {
		return err
	}

	x.Identifier = c.ClusterIdentifier
	x.Address = c.Endpoint
	x.Endpoint = pulumi.Sprintf("%s:%d", c.Endpoint, Port)
	x.ReaderEndpoint = pulumi.Sprintf("%s:%d", c.ReaderEndpoint, Port)
	x.MasterSecretArn = c.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	return nil
}
