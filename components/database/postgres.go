package database

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Port is the PostgreSQL port the security group opens and the instance listens on.
const Port = 5432

// caCertIdentifier is the RSA 2048 CA valid until 2061 (RDS user guide, "Using SSL/TLS to
// encrypt a connection to a DB instance"); rds-ca-2019 expired in 2024.
const caCertIdentifier = "rds-ca-rsa2048-g1"

// logExports are the RDS for PostgreSQL log types CloudWatch Logs can receive (CreateDBInstance,
// EnableCloudwatchLogsExports).
var logExports = []string{"postgresql", "upgrade"}

// Postgres is an RDS for PostgreSQL instance with its network, encryption, parameters,
// monitoring role and read replicas.
type Postgres struct {
	pulumi.ResourceState

	// Endpoint is the primary's "address:port".
	Endpoint pulumi.StringOutput
	// Address is the primary's DNS name.
	Address pulumi.StringOutput
	// MasterSecretArn is the Secrets Manager secret RDS keeps the master credentials in.
	MasterSecretArn pulumi.StringOutput
	// SecurityGroupId is the database security group; add ingress rules to it to let more
	// clients in.
	SecurityGroupId pulumi.StringOutput
	// KmsKeyArn is the key storage, Performance Insights and the master secret are encrypted with.
	KmsKeyArn pulumi.StringOutput
	// ReplicaEndpoints are the read replicas' "address:port", in replica order.
	ReplicaEndpoints pulumi.StringArrayOutput
}

// NewPostgres validates args, then creates the database and its supporting resources as
// children of one novacron:database:Postgres component.
func NewPostgres(ctx *pulumi.Context, name string, args *PostgresArgs, opts ...pulumi.ResourceOption) (*Postgres, error) {
	if args == nil {
		args = &PostgresArgs{}
	}
	problems := append(args.validateInputs(name), args.Validate()...)
	if err := problems.Err("database", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()

	x := &Postgres{}
	if err := ctx.RegisterComponentResource("novacron:database:Postgres", name, x, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(x)
	protect := pulumi.Protect(!a.AllowDestroy)

	// Encryption key: bring your own, or one per database with rotation.
	var keyArn pulumi.StringOutput
	if a.KmsKeyArn != nil {
		keyArn = a.KmsKeyArn.ToStringOutput()
	} else {
		key, err := kms.NewKey(ctx, name+"-kms", &kms.KeyArgs{
			Description:       pulumi.String(fmt.Sprintf("RDS PostgreSQL %s: storage, Performance Insights, master user secret", name)),
			EnableKeyRotation: pulumi.Bool(true),
			// The longest waiting period KMS allows, to leave time to notice a mistaken deletion.
			DeletionWindowInDays: pulumi.Int(30),
		}, parent, protect)
		if err != nil {
			return nil, err
		}
		if _, err := kms.NewAlias(ctx, name+"-kms-alias", &kms.AliasArgs{
			Name:        pulumi.String(kmsAliasName(ctx.Project(), ctx.Stack(), name)),
			TargetKeyId: key.KeyId,
		}, parent); err != nil {
			return nil, err
		}
		keyArn = key.Arn
	}

	subnetGroup, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String(fmt.Sprintf("Database subnets of %s", name)),
		SubnetIds:   a.SubnetIds,
	}, parent)
	if err != nil {
		return nil, err
	}

	// No inline rules: the rules are separate resources so that other components can add their
	// own without fighting over the group. The AWS provider removes the default allow-all egress
	// rule when it creates a group; the database needs none (security groups are stateful).
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.String(fmt.Sprintf("PostgreSQL %s: %d/tcp from allowed security groups only", name, Port)),
		VpcId:       a.VpcId,
	}, parent)
	if err != nil {
		return nil, err
	}
	for i, source := range a.AllowedSecurityGroupIds {
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("%s-ingress-%d", name, i), &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           sg.ID().ToStringOutput(),
			ReferencedSecurityGroupId: source,
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(Port),
			ToPort:                    pulumi.Int(Port),
			Description:               pulumi.String("PostgreSQL from an allowed security group"),
		}, parent); err != nil {
			return nil, err
		}
	}

	params, err := rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Family:      pulumi.String(parameterFamily(a.EngineVersion)),
		Description: pulumi.String(fmt.Sprintf("PostgreSQL %s: TLS only, connection and slow query logging", name)),
		Parameters:  parameters(),
	}, parent)
	if err != nil {
		return nil, err
	}

	var monitoringRoleArn pulumi.StringPtrInput
	var instanceDeps []pulumi.Resource
	if !a.DisableEnhancedMonitoring {
		role, attachment, err := newMonitoringRole(ctx, name, parent)
		if err != nil {
			return nil, err
		}
		monitoringRoleArn = role.Arn
		// RDS checks the role's permissions when monitoring is turned on: wait for the policy.
		instanceDeps = append(instanceDeps, attachment)
	}
	monitoringInterval := pulumi.Int(0)
	if !a.DisableEnhancedMonitoring {
		monitoringInterval = pulumi.Int(a.MonitoringIntervalSeconds)
	}

	primaryArgs := &rds.InstanceArgs{
		Engine:        pulumi.String("postgres"),
		EngineVersion: pulumi.String(a.EngineVersion),
		// Changing EngineVersion to a new major is then the only step of a major upgrade.
		AllowMajorVersionUpgrade: pulumi.Bool(true),
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		InstanceClass:            pulumi.String(a.InstanceClass),
		MultiAz:                  pulumi.Bool(!a.SingleAz),

		StorageType:         pulumi.String("gp3"),
		AllocatedStorage:    pulumi.Int(a.AllocatedStorageGb),
		MaxAllocatedStorage: pulumi.Int(a.MaxAllocatedStorageGb),
		StorageEncrypted:    pulumi.Bool(true),
		KmsKeyId:            keyArn,

		DbName:   pulumi.String(a.DatabaseName),
		Username: pulumi.String(a.MasterUsername),
		// RDS generates the password into Secrets Manager, encrypted with our key, and rotates it.
		ManageMasterUserPassword:         pulumi.Bool(true),
		MasterUserSecretKmsKeyId:         keyArn,
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),

		DbSubnetGroupName:   subnetGroup.Name,
		VpcSecurityGroupIds: pulumi.StringArray{sg.ID()},
		PubliclyAccessible:  pulumi.Bool(false),
		Port:                pulumi.Int(Port),
		ParameterGroupName:  params.Name,
		CaCertIdentifier:    pulumi.String(caCertIdentifier),

		BackupRetentionPeriod: pulumi.Int(a.BackupRetentionDays),
		BackupWindow:          pulumi.String(a.BackupWindow),
		MaintenanceWindow:     pulumi.String(a.MaintenanceWindow),
		CopyTagsToSnapshot:    pulumi.Bool(true),
		DeletionProtection:    pulumi.Bool(!a.AllowDestroy),
		SkipFinalSnapshot:     pulumi.Bool(a.AllowDestroy),
		// Keep automated backups after deletion unless the environment is disposable.
		DeleteAutomatedBackups: pulumi.Bool(a.AllowDestroy),

		EnabledCloudwatchLogsExports:       pulumi.ToStringArray(logExports),
		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        keyArn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(a.PerformanceInsightsRetentionDays),
		MonitoringInterval:                 monitoringInterval,
		MonitoringRoleArn:                  monitoringRoleArn,

		// AWS Backup plans select resources by this tag.
		Tags: pulumi.StringMap{"backup": pulumi.String("true")},
	}
	if !a.AllowDestroy {
		primaryArgs.FinalSnapshotIdentifier = pulumi.String(finalSnapshotID(ctx.Project(), ctx.Stack(), name))
	}
	primary, err := rds.NewInstance(ctx, name, primaryArgs, parent, protect, pulumi.DependsOn(instanceDeps))
	if err != nil {
		return nil, err
	}

	replicaEndpoints := make([]pulumi.StringOutput, 0, a.ReadReplicaCount)
	for i := 1; i <= a.ReadReplicaCount; i++ {
		replica, err := rds.NewInstance(ctx, fmt.Sprintf("%s-replica-%d", name, i), &rds.InstanceArgs{
			// Same region: the source is named by identifier, and the replica inherits engine,
			// version, subnet group, database and master user from it.
			ReplicateSourceDb:       primary.Identifier,
			InstanceClass:           pulumi.String(a.InstanceClass),
			AutoMinorVersionUpgrade: pulumi.Bool(true),

			StorageType:         pulumi.String("gp3"),
			MaxAllocatedStorage: pulumi.Int(a.MaxAllocatedStorageGb),
			StorageEncrypted:    pulumi.Bool(true),
			KmsKeyId:            keyArn,

			IamDatabaseAuthenticationEnabled: pulumi.Bool(true),
			VpcSecurityGroupIds:              pulumi.StringArray{sg.ID()},
			PubliclyAccessible:               pulumi.Bool(false),
			Port:                             pulumi.Int(Port),
			ParameterGroupName:               params.Name,
			CaCertIdentifier:                 pulumi.String(caCertIdentifier),

			MaintenanceWindow:  pulumi.String(a.MaintenanceWindow),
			CopyTagsToSnapshot: pulumi.Bool(true),
			DeletionProtection: pulumi.Bool(!a.AllowDestroy),
			// RDS takes no final snapshot of a read replica.
			SkipFinalSnapshot: pulumi.Bool(true),

			EnabledCloudwatchLogsExports:       pulumi.ToStringArray(logExports),
			PerformanceInsightsEnabled:         pulumi.Bool(true),
			PerformanceInsightsKmsKeyId:        keyArn,
			PerformanceInsightsRetentionPeriod: pulumi.Int(a.PerformanceInsightsRetentionDays),
			MonitoringInterval:                 monitoringInterval,
			MonitoringRoleArn:                  monitoringRoleArn,
		}, parent, pulumi.DependsOn(instanceDeps))
		if err != nil {
			return nil, err
		}
		replicaEndpoints = append(replicaEndpoints, replica.Endpoint)
	}

	x.Endpoint = primary.Endpoint
	x.Address = primary.Address
	x.MasterSecretArn = primary.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	x.SecurityGroupId = sg.ID().ToStringOutput()
	x.KmsKeyArn = keyArn
	x.ReplicaEndpoints = pulumi.ToStringArrayOutput(replicaEndpoints)

	if err := ctx.RegisterResourceOutputs(x, pulumi.Map{
		"endpoint":         x.Endpoint,
		"address":          x.Address,
		"masterSecretArn":  x.MasterSecretArn,
		"securityGroupId":  x.SecurityGroupId,
		"kmsKeyArn":        x.KmsKeyArn,
		"replicaEndpoints": x.ReplicaEndpoints,
	}); err != nil {
		return nil, err
	}
	return x, nil
}

// parameters are the instance parameters beyond the RDS defaults; all are dynamic, so they
// apply without a reboot. Names and semantics: PostgreSQL documentation, "Error Reporting and
// Logging" and "Connections and Authentication"; rds.force_ssl: RDS user guide, "Requiring an
// SSL/TLS connection to a PostgreSQL DB instance".
func parameters() rds.ParameterGroupParameterArray {
	values := []struct{ name, value string }{
		// Refuse connections without TLS, and TLS older than 1.2.
		{"rds.force_ssl", "1"},
		{"ssl_min_protocol_version", "TLSv1.2"},
		// Who connected, from where, for how long: the audit trail of access.
		{"log_connections", "1"},
		{"log_disconnections", "1"},
		// Schema changes are rare and worth a record; data statements are not logged.
		{"log_statement", "ddl"},
		// Statements slower than one second, in milliseconds.
		{"log_min_duration_statement", "1000"},
		// Lock waits longer than deadlock_timeout, the usual cause of sudden latency.
		{"log_lock_waits", "1"},
	}
	out := make(rds.ParameterGroupParameterArray, len(values))
	for i, v := range values {
		out[i] = rds.ParameterGroupParameterArgs{Name: pulumi.String(v.name), Value: pulumi.String(v.value)}
	}
	return out
}

// newMonitoringRole creates the role RDS enhanced monitoring assumes to write OS metrics to
// CloudWatch Logs, with the AWS managed AmazonRDSEnhancedMonitoringRole policy (RDS user guide,
// "Setting up and enabling Enhanced Monitoring"). The trust is limited to this account
// (aws:SourceAccount) against the confused deputy problem, as the same guide recommends.
func newMonitoringRole(ctx *pulumi.Context, name string, parent pulumi.ResourceOrInvokeOption) (*iam.Role, *iam.RolePolicyAttachment, error) {
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent)
	partition := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, parent)

	trust := account.AccountId().ApplyT(func(accountID string) (string, error) {
		return monitoringTrustPolicy(accountID)
	}).(pulumi.StringOutput)

	role, err := iam.NewRole(ctx, name+"-monitoring", &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("RDS enhanced monitoring of %s", name)),
		AssumeRolePolicy: trust,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-monitoring-policy", &iam.RolePolicyAttachmentArgs{
		Role: role.Name,
		PolicyArn: partition.Partition().ApplyT(func(p string) string {
			return "arn:" + p + ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return role, attachment, nil
}

// monitoringTrustPolicy lets the RDS monitoring service of one account assume the role.
func monitoringTrustPolicy(accountID string) (string, error) {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "monitoring.rds.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": accountID},
			},
		}},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

var (
	nonAliasChars    = regexp.MustCompile(`[^A-Za-z0-9/_-]+`)
	nonSnapshotChars = regexp.MustCompile(`[^a-z0-9]+`)
)

// kmsAliasName is unique per project, stack and component, so two stacks in one account do not
// collide. KMS allows letters, digits, "/", "_" and "-" after "alias/".
func kmsAliasName(project, stack, name string) string {
	return "alias/" + nonAliasChars.ReplaceAllString(project+"/"+stack+"/"+name, "-")
}

// finalSnapshotID names the snapshot RDS takes when the instance is deleted. It must start with
// a letter and hold only letters, digits and single hyphens. It is fixed, so a second deletion of
// a recreated instance needs the first snapshot renamed or removed first.
func finalSnapshotID(project, stack, name string) string {
	id := strings.Trim(nonSnapshotChars.ReplaceAllString(strings.ToLower(project+"-"+stack+"-"+name), "-"), "-")
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "db-" + id
	}
	return id + "-final"
}
