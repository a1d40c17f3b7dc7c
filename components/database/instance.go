package database

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newInstance creates the parameter group and the DB instance (Deployment "instance").
func (x *Postgres) newInstance(ctx *pulumi.Context, name, identifier string, a *PostgresArgs, s *shared,
	parent, dbOpts pulumi.ResourceOption) error {
	params := make(rds.ParameterGroupParameterArray, 0, len(parameters()))
	for _, p := range parameters() {
		params = append(params, rds.ParameterGroupParameterArgs{Name: pulumi.String(p[0]), Value: pulumi.String(p[1])})
	}
	pg, err := rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Family:      pulumi.String(parameterFamily(a.EngineVersion)),
		Description: pulumi.String(fmt.Sprintf("PostgreSQL %s: TLS only, connection and slow query logging", name)),
		Parameters:  params,
	}, parent)
	if err != nil {
		return err
	}

	args := &rds.InstanceArgs{
		// Set, not generated: the log groups are named after it and exist first. Changing it
		// renames the instance in place (terraform-provider-aws #31232); its endpoint changes.
		Identifier:    pulumi.String(identifier),
		Engine:        pulumi.String("postgres"),
		EngineVersion: pulumi.String(a.EngineVersion),
		// Changing EngineVersion to a new major is then the only step of a major upgrade.
		AllowMajorVersionUpgrade: pulumi.Bool(true),
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		InstanceClass:            pulumi.String(a.InstanceClass),
		MultiAz:                  pulumi.Bool(!a.SingleAz),

		StorageType:         pulumi.String(a.StorageType),
		AllocatedStorage:    pulumi.Int(a.AllocatedStorageGb),
		MaxAllocatedStorage: pulumi.Int(a.MaxAllocatedStorageGb),
		StorageEncrypted:    pulumi.Bool(true),
		KmsKeyId:            s.keyArn,

		DbName:   pulumi.String(a.DatabaseName),
		Username: pulumi.String(a.MasterUsername),
		// RDS generates the password into Secrets Manager, encrypted with our key, and rotates it.
		// This is also why the instance can have no read replica (see ReadReplicaCount).
		ManageMasterUserPassword:         pulumi.Bool(true),
		MasterUserSecretKmsKeyId:         s.keyArn,
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),

		DbSubnetGroupName:   s.subnetGroupName,
		VpcSecurityGroupIds: pulumi.StringArray{s.securityGroupID},
		PubliclyAccessible:  pulumi.Bool(false),
		Port:                pulumi.Int(Port),
		ParameterGroupName:  pg.Name,
		CaCertIdentifier:    pulumi.String(caCertIdentifier),

		BackupRetentionPeriod: pulumi.Int(a.BackupRetentionDays),
		BackupWindow:          pulumi.String(a.BackupWindow),
		MaintenanceWindow:     pulumi.String(a.MaintenanceWindow),
		CopyTagsToSnapshot:    pulumi.Bool(true),
		DeletionProtection:    pulumi.Bool(!a.AllowDestroy),
		SkipFinalSnapshot:     pulumi.Bool(a.AllowDestroy),
		// Keep automated backups after deletion unless the environment is disposable.
		DeleteAutomatedBackups: pulumi.Bool(a.AllowDestroy),

		EnabledCloudwatchLogsExports:       pulumi.ToStringArray(instanceLogExports),
		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        s.keyArn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(a.PerformanceInsightsRetentionDays),
		MonitoringInterval:                 s.monitoringInterval,
		MonitoringRoleArn:                  s.monitoringRoleArn,

		// AWS Backup plans select resources by this tag.
		Tags: pulumi.StringMap{"backup": pulumi.String("true")},
	}
	if a.Iops > 0 {
		args.Iops = pulumi.Int(a.Iops)
	}
	if !a.AllowDestroy {
		args.FinalSnapshotIdentifier = pulumi.String(finalSnapshotID(ctx.Project(), ctx.Stack(), name))
	}
	db, err := rds.NewInstance(ctx, name, args, parent, dbOpts, pulumi.DependsOn(s.deps))
	if err != nil {
		return err
	}

	x.Identifier = db.Identifier
	x.Endpoint = db.Endpoint
	x.Address = db.Address
	x.ReaderEndpoint = db.Endpoint
	x.MasterSecretArn = db.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	return nil
}
