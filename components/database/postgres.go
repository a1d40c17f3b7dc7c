package database

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/kmspolicy"
)

// Port is the PostgreSQL port the security group opens and the database listens on.
const Port = 5432

// caCertIdentifier is the RSA 2048 CA valid until 2061 (RDS user guide, "Using SSL/TLS to
// encrypt a connection to a DB instance"); rds-ca-2019 expired in 2024.
const caCertIdentifier = "rds-ca-rsa2048-g1"

// Postgres is an RDS for PostgreSQL database (an instance or a Multi-AZ DB cluster) with its
// network, encryption, parameters, log groups and monitoring role.
type Postgres struct {
	pulumi.ResourceState

	// Identifier is the RDS identifier of the instance or cluster.
	Identifier pulumi.StringOutput
	// Endpoint is the writer's "address:port".
	Endpoint pulumi.StringOutput
	// Address is the writer's DNS name.
	Address pulumi.StringOutput
	// ReaderEndpoint is where read-only clients connect, "address:port": the cluster's reader
	// endpoint (spread over the two readable standbys), or the instance's own endpoint, which has
	// no readable copy.
	ReaderEndpoint pulumi.StringOutput
	// MasterSecretArn is the Secrets Manager secret RDS keeps the master credentials in.
	MasterSecretArn pulumi.StringOutput
	// SecurityGroupId is the database security group; add ingress rules to it to let more
	// clients in.
	SecurityGroupId pulumi.StringOutput
	// KmsKeyArn is the key storage, Performance Insights and the master secret are encrypted with.
	KmsKeyArn pulumi.StringOutput
}

// shared are the children both deployments use.
type shared struct {
	keyArn             pulumi.StringOutput
	subnetGroupName    pulumi.StringOutput
	securityGroupID    pulumi.StringOutput
	monitoringRoleArn  pulumi.StringPtrInput
	monitoringInterval pulumi.Int
	// deps must exist before the database: the monitoring policy (RDS checks the role when
	// monitoring is turned on) and the log groups (or RDS creates its own, without retention).
	deps []pulumi.Resource
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

	s, err := newShared(ctx, name, &a, parent, protect)
	if err != nil {
		return nil, err
	}

	maxLen := maxInstanceIdentifierLen
	if a.Deployment == DeploymentCluster {
		maxLen = maxClusterIdentifierLen
	}
	identifier := dbIdentifier(ctx.Project(), ctx.Stack(), name, maxLen)
	logGroups, err := newLogGroups(ctx, name, &a, identifier, parent)
	if err != nil {
		return nil, err
	}
	s.deps = append(s.deps, logGroups...)

	// The identifier is set, not generated, so a replacement cannot create the new database
	// before deleting the old one: RDS would refuse the second with the same identifier
	// (DBInstanceAlreadyExists / DBClusterAlreadyExistsFault). With protect on, Pulumi refuses
	// the replacement anyway; without it, the database is replaced in place of the old one.
	dbOpts := pulumi.Composite(protect, pulumi.DeleteBeforeReplace(true))
	if a.Deployment == DeploymentCluster {
		err = x.newCluster(ctx, name, identifier, &a, s, parent, dbOpts)
	} else {
		err = x.newInstance(ctx, name, identifier, &a, s, parent, dbOpts)
	}
	if err != nil {
		return nil, err
	}
	x.SecurityGroupId = s.securityGroupID
	x.KmsKeyArn = s.keyArn

	if err := ctx.RegisterResourceOutputs(x, pulumi.Map{
		"identifier":      x.Identifier,
		"endpoint":        x.Endpoint,
		"address":         x.Address,
		"readerEndpoint":  x.ReaderEndpoint,
		"masterSecretArn": x.MasterSecretArn,
		"securityGroupId": x.SecurityGroupId,
		"kmsKeyArn":       x.KmsKeyArn,
	}); err != nil {
		return nil, err
	}
	return x, nil
}

// newShared creates the key (unless brought), the subnet group, the security group and its
// rules, and the enhanced monitoring role.
func newShared(ctx *pulumi.Context, name string, a *PostgresArgs, parent pulumi.ResourceOrInvokeOption, protect pulumi.ResourceOption) (*shared, error) {
	s := &shared{}

	// Encryption key: bring your own, or one per database with rotation.
	if a.KmsKeyArn != nil {
		s.keyArn = a.KmsKeyArn.ToStringOutput()
	} else {
		key, err := kms.NewKey(ctx, name+"-kms", &kms.KeyArgs{
			Description:       pulumi.String(fmt.Sprintf("RDS PostgreSQL %s: storage, Performance Insights, master user secret", name)),
			EnableKeyRotation: pulumi.Bool(true),
			// The longest waiting period KMS allows, to leave time to notice a mistaken deletion.
			DeletionWindowInDays: pulumi.Int(30),
			// KMS's default account statement, written out: IAM policies decide who uses the key
			// (RDS through grants its caller creates), and the policy is part of the key's
			// definition.
			Policy: kmspolicy.AccountRoot(ctx, parent),
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
		s.keyArn = key.Arn
	}

	subnetGroup, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String(fmt.Sprintf("Database subnets of %s", name)),
		SubnetIds:   a.SubnetIds,
	}, parent)
	if err != nil {
		return nil, err
	}
	s.subnetGroupName = subnetGroup.Name

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
	s.securityGroupID = sg.ID().ToStringOutput()
	for i, source := range a.AllowedSecurityGroupIds {
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("%s-ingress-%d", name, i), &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           s.securityGroupID,
			ReferencedSecurityGroupId: source,
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(Port),
			ToPort:                    pulumi.Int(Port),
			Description:               pulumi.String("PostgreSQL from an allowed security group"),
		}, parent); err != nil {
			return nil, err
		}
	}

	if !a.DisableEnhancedMonitoring {
		role, attachment, err := newMonitoringRole(ctx, name, parent)
		if err != nil {
			return nil, err
		}
		s.monitoringRoleArn = role.Arn
		s.monitoringInterval = pulumi.Int(a.MonitoringIntervalSeconds)
		s.deps = append(s.deps, attachment)
	}
	return s, nil
}

// parameters are the database parameters beyond the RDS defaults; all are dynamic, so they
// apply without a reboot. Names and semantics: PostgreSQL documentation, "Error Reporting and
// Logging" and "Connections and Authentication"; rds.force_ssl: RDS user guide, "Requiring an
// SSL/TLS connection to a PostgreSQL DB instance". A Multi-AZ DB cluster takes the same
// parameters in its DB cluster parameter group, which applies to all three instances (RDS User
// Guide, "Parameter groups for Multi-AZ DB clusters").
func parameters() [][2]string {
	return [][2]string{
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
