package database

import (
	"flag"
	"testing"

	"github.com/novacron/platform/internal/golden"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
	"github.com/novacron/platform/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	instanceType   = "aws:rds/instance:Instance"
	clusterType    = "aws:rds/cluster:Cluster"
	clusterPGType  = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
	logGroupType   = "aws:cloudwatch/logGroup:LogGroup"
	keyType        = "aws:kms/key:Key"
	aliasType      = "aws:kms/alias:Alias"
	sgType         = "aws:ec2/securityGroup:SecurityGroup"
	ingressType    = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	subnetsType    = "aws:rds/subnetGroup:SubnetGroup"
	paramsType     = "aws:rds/parameterGroup:ParameterGroup"
	roleType       = "aws:iam/role:Role"
	attachmentType = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	componentType  = "novacron:database:Postgres"
)

// logsKeyArn stands in for the platform's logs key.
const logsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/logs"

// outputs are the component's outputs once resolved.
type outputs struct {
	Identifier, Endpoint, Address, ReaderEndpoint, MasterSecretArn, SecurityGroupID, KmsKeyArn string
}

// baseArgs are the required inputs, as the stack wires them from the network and the cluster.
func baseArgs() *PostgresArgs {
	return &PostgresArgs{
		VpcId:                   pulumi.String("vpc-0123"),
		SubnetIds:               pulumi.ToStringArray([]string{"subnet-db-a", "subnet-db-b", "subnet-db-c"}),
		AllowedSecurityGroupIds: pulumi.StringArray{pulumi.String("sg-eks-nodes")},
		LogsKmsKeyArn:           pulumi.String(logsKeyArn),
	}
}

// clusterArgs are the production shape: a Multi-AZ DB cluster on the nearest class to the plan's.
func clusterArgs() *PostgresArgs {
	a := baseArgs()
	a.Deployment = DeploymentCluster
	a.InstanceClass = "db.r6gd.xlarge"
	a.EngineVersion = "17.9"
	return a
}

// run constructs one component named "main" under the mock engine.
func run(t *testing.T, args *PostgresArgs) (*mock.Engine, outputs, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	var got outputs
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		db, err := NewPostgres(ctx, "main", args)
		if err != nil {
			return err
		}
		pulumi.All(db.Identifier, db.Endpoint, db.Address, db.ReaderEndpoint, db.MasterSecretArn, db.SecurityGroupId, db.KmsKeyArn).
			ApplyT(func(vs []any) error {
				got = outputs{
					Identifier: vs[0].(string), Endpoint: vs[1].(string), Address: vs[2].(string), ReaderEndpoint: vs[3].(string),
					MasterSecretArn: vs[4].(string), SecurityGroupID: vs[5].(string), KmsKeyArn: vs[6].(string),
				}
				return nil
			})
		return nil
	})
	return eng, got, err
}

func mustRun(t *testing.T, args *PostgresArgs) (*mock.Engine, outputs) {
	t.Helper()
	eng, out, err := run(t, args)
	require.NoError(t, err)
	return eng, out
}

func has(r *mock.Resource, path string) bool {
	_, ok := r.Input(path)
	return ok
}

// parameterMap returns a parameter group's parameters by name.
func parameterMap(t *testing.T, r *mock.Resource) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range mocktest.Input(t, r, "parameters").ArrayValue() {
		obj := p.ObjectValue()
		out[obj["name"].StringValue()] = obj["value"].StringValue()
	}
	return out
}

func TestDefaults(t *testing.T) {
	eng, out := mustRun(t, baseArgs())

	comp := mocktest.Find(t, eng, componentType, "main")
	for _, r := range eng.Resources() {
		if r != comp {
			assert.Equal(t, comp.URN, r.Parent, "%s %s must be a child of the component", r.Type, r.Name)
		}
	}

	// Key and alias.
	key := mocktest.Find(t, eng, keyType, "main-kms")
	assert.True(t, mocktest.Bool(t, key, "enableKeyRotation"))
	assert.Equal(t, 30.0, mocktest.Num(t, key, "deletionWindowInDays"))
	assert.True(t, key.Protect, "the key must be protected")
	keyArn := "arn:aws:kms:us-east-1:123456789012:main-kms"
	alias := mocktest.Find(t, eng, aliasType, "main-kms-alias")
	assert.Equal(t, "alias/novacron-platform/test/main", mocktest.Str(t, alias, "name"))
	assert.Equal(t, "main-kms-key-id", mocktest.Str(t, alias, "targetKeyId"))

	// Network.
	subnets := mocktest.Find(t, eng, subnetsType, "main-subnets")
	assert.Equal(t, []string{"subnet-db-a", "subnet-db-b", "subnet-db-c"}, mocktest.Strs(t, subnets, "subnetIds"))
	sg := mocktest.Find(t, eng, sgType, "main-sg")
	assert.Equal(t, "vpc-0123", mocktest.Str(t, sg, "vpcId"))
	assert.False(t, has(sg, "ingress"), "no inline ingress rules")
	assert.False(t, has(sg, "egress"), "no inline egress rules")
	rules := eng.ByType(ingressType)
	require.Len(t, rules, 1)
	rule := rules[0]
	assert.Equal(t, "main-ingress-0", rule.Name)
	assert.Equal(t, "main-sg-id", mocktest.Str(t, rule, "securityGroupId"))
	assert.Equal(t, "sg-eks-nodes", mocktest.Str(t, rule, "referencedSecurityGroupId"))
	assert.Equal(t, "tcp", mocktest.Str(t, rule, "ipProtocol"))
	assert.Equal(t, 5432.0, mocktest.Num(t, rule, "fromPort"))
	assert.Equal(t, 5432.0, mocktest.Num(t, rule, "toPort"))
	assert.False(t, has(rule, "cidrIpv4") || has(rule, "cidrIpv6") || has(rule, "prefixListId"), "only security groups may be sources")

	// Parameters.
	params := mocktest.Find(t, eng, paramsType, "main-params")
	assert.Equal(t, "postgres17", mocktest.Str(t, params, "family"))
	pm := parameterMap(t, params)
	assert.Equal(t, "1", pm["rds.force_ssl"])
	assert.Equal(t, "TLSv1.2", pm["ssl_min_protocol_version"])
	assert.Equal(t, "1", pm["log_connections"])
	assert.Equal(t, "1000", pm["log_min_duration_statement"])
	assert.Equal(t, "ddl", pm["log_statement"])

	// Monitoring role.
	role := mocktest.Find(t, eng, roleType, "main-monitoring")
	assertGoldenJSON(t, "monitoring-trust-policy.json", mocktest.Str(t, role, "assumeRolePolicy"))
	attachment := mocktest.Find(t, eng, attachmentType, "main-monitoring-policy")
	assert.Equal(t, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", mocktest.Str(t, attachment, "policyArn"))
	assert.Equal(t, "main-monitoring", mocktest.Str(t, attachment, "role"))

	// Log groups, created before the instance with our retention and key: RDS would otherwise
	// create them itself, kept forever and without our key.
	db := mocktest.Find(t, eng, instanceType, "main")
	groups := eng.ByType(logGroupType)
	require.Len(t, groups, 2)
	for _, logType := range []string{"postgresql", "upgrade"} {
		g := mocktest.Find(t, eng, logGroupType, "main-"+logType+"-logs")
		assert.Equal(t, "/aws/rds/instance/novacron-platform-test-main/"+logType, mocktest.Str(t, g, "name"))
		assert.Equal(t, 90.0, mocktest.Num(t, g, "retentionInDays"))
		assert.Equal(t, logsKeyArn, mocktest.Str(t, g, "kmsKeyId"))
		assert.Contains(t, db.Dependencies, g.URN, "the instance must wait for log group %s", logType)
	}

	// The instance.
	assert.True(t, db.Protect, "the instance must be protected")
	assert.Contains(t, db.Dependencies, attachment.URN, "the instance must wait for the monitoring policy")
	for path, want := range map[string]string{
		"identifier":                  "novacron-platform-test-main",
		"engine":                      "postgres",
		"engineVersion":               "17",
		"instanceClass":               "db.r6g.xlarge",
		"storageType":                 "gp3",
		"kmsKeyId":                    keyArn,
		"masterUserSecretKmsKeyId":    keyArn,
		"performanceInsightsKmsKeyId": keyArn,
		"dbName":                      "novacron",
		"username":                    "novacron_admin",
		"dbSubnetGroupName":           "main-subnets",
		"parameterGroupName":          "main-params",
		"caCertIdentifier":            "rds-ca-rsa2048-g1",
		"backupWindow":                "03:00-04:00",
		"maintenanceWindow":           "sun:04:00-sun:05:00",
		"monitoringRoleArn":           "arn:aws:iam:us-east-1:123456789012:main-monitoring",
		"finalSnapshotIdentifier":     "novacron-platform-test-main-final",
		"tags.backup":                 "true",
	} {
		assert.Equal(t, want, mocktest.Str(t, db, path), path)
	}
	for path, want := range map[string]float64{
		"allocatedStorage":                   1000,
		"maxAllocatedStorage":                2000,
		"backupRetentionPeriod":              30,
		"monitoringInterval":                 60,
		"performanceInsightsRetentionPeriod": 7,
		"port":                               5432,
	} {
		assert.Equal(t, want, mocktest.Num(t, db, path), path)
	}
	for path, want := range map[string]bool{
		"multiAz":                          true,
		"storageEncrypted":                 true,
		"manageMasterUserPassword":         true,
		"iamDatabaseAuthenticationEnabled": true,
		"publiclyAccessible":               false,
		"performanceInsightsEnabled":       true,
		"autoMinorVersionUpgrade":          true,
		"copyTagsToSnapshot":               true,
		"deletionProtection":               true,
		"skipFinalSnapshot":                false,
		"deleteAutomatedBackups":           false,
	} {
		assert.Equal(t, want, mocktest.Bool(t, db, path), path)
	}
	assert.Equal(t, []string{"main-sg-id"}, mocktest.Strs(t, db, "vpcSecurityGroupIds"))
	assert.Equal(t, []string{"postgresql", "upgrade"}, mocktest.Strs(t, db, "enabledCloudwatchLogsExports"))
	assert.Len(t, db.Inputs["tags"].ObjectValue(), 1, "only the functional backup tag; the rest come from default tags")
	assert.False(t, has(db, "iops"), "gp3 below 400 GiB or at its baseline: no IOPS")
	assert.Len(t, eng.ByType(instanceType), 1, "one instance, no read replica")
	assert.Empty(t, eng.ByType(clusterType))

	// Outputs: an instance has no readable copy, so readers use the writer's endpoint.
	assert.Equal(t, outputs{
		Identifier:      "novacron-platform-test-main",
		Endpoint:        "main.c0ffee.us-east-1.rds.amazonaws.com:5432",
		Address:         "main.c0ffee.us-east-1.rds.amazonaws.com",
		ReaderEndpoint:  "main.c0ffee.us-east-1.rds.amazonaws.com:5432",
		MasterSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!main",
		SecurityGroupID: "main-sg-id",
		KmsKeyArn:       keyArn,
	}, out)
}

// TestCluster is the production shape: a Multi-AZ DB cluster whose two readable standbys replace
// the read replica RDS refuses for a managed master password.
func TestCluster(t *testing.T) {
	eng, out := mustRun(t, clusterArgs())
	keyArn := "arn:aws:kms:us-east-1:123456789012:main-kms"

	assert.Empty(t, eng.ByType(instanceType), "no DB instance is created for a cluster")
	assert.Empty(t, eng.ByType(paramsType), "a cluster takes a DB cluster parameter group")
	c := mocktest.Find(t, eng, clusterType, "main")
	assert.True(t, c.Protect, "the cluster must be protected")

	cpg := mocktest.Find(t, eng, clusterPGType, "main-params")
	assert.Equal(t, "postgres17", mocktest.Str(t, cpg, "family"))
	pm := parameterMap(t, cpg)
	assert.Equal(t, "1", pm["rds.force_ssl"])
	assert.Equal(t, "TLSv1.2", pm["ssl_min_protocol_version"])

	// One log group, the only type the cluster exports, before the cluster.
	groups := eng.ByType(logGroupType)
	require.Len(t, groups, 1)
	g := mocktest.Find(t, eng, logGroupType, "main-postgresql-logs")
	assert.Equal(t, "/aws/rds/cluster/novacron-platform-test-main/postgresql", mocktest.Str(t, g, "name"))
	assert.Equal(t, logsKeyArn, mocktest.Str(t, g, "kmsKeyId"))
	assert.Contains(t, c.Dependencies, g.URN)
	attachment := mocktest.Find(t, eng, attachmentType, "main-monitoring-policy")
	assert.Contains(t, c.Dependencies, attachment.URN)

	for path, want := range map[string]string{
		"clusterIdentifier":           "novacron-platform-test-main",
		"engine":                      "postgres",
		"engineVersion":               "17.9",
		"dbClusterInstanceClass":      "db.r6gd.xlarge",
		"storageType":                 "gp3",
		"kmsKeyId":                    keyArn,
		"masterUserSecretKmsKeyId":    keyArn,
		"performanceInsightsKmsKeyId": keyArn,
		"databaseName":                "novacron",
		"masterUsername":              "novacron_admin",
		"dbSubnetGroupName":           "main-subnets",
		"dbClusterParameterGroupName": "main-params",
		"caCertificateIdentifier":     "rds-ca-rsa2048-g1",
		"preferredBackupWindow":       "03:00-04:00",
		"preferredMaintenanceWindow":  "sun:04:00-sun:05:00",
		"monitoringRoleArn":           "arn:aws:iam:us-east-1:123456789012:main-monitoring",
		"finalSnapshotIdentifier":     "novacron-platform-test-main-final",
		"tags.backup":                 "true",
	} {
		assert.Equal(t, want, mocktest.Str(t, c, path), path)
	}
	for path, want := range map[string]float64{
		"allocatedStorage":                   1000,
		"iops":                               12000, // the gp3 baseline from 400 GiB, which a cluster must state
		"backupRetentionPeriod":              30,
		"monitoringInterval":                 60,
		"performanceInsightsRetentionPeriod": 7,
		"port":                               5432,
	} {
		assert.Equal(t, want, mocktest.Num(t, c, path), path)
	}
	for path, want := range map[string]bool{
		"storageEncrypted":                 true,
		"manageMasterUserPassword":         true,
		"iamDatabaseAuthenticationEnabled": true,
		"performanceInsightsEnabled":       true,
		"copyTagsToSnapshot":               true,
		"deletionProtection":               true,
		"skipFinalSnapshot":                false,
		"allowMajorVersionUpgrade":         true,
	} {
		assert.Equal(t, want, mocktest.Bool(t, c, path), path)
	}
	assert.Equal(t, []string{"postgresql"}, mocktest.Strs(t, c, "enabledCloudwatchLogsExports"))
	assert.Equal(t, []string{"main-sg-id"}, mocktest.Strs(t, c, "vpcSecurityGroupIds"))
	// RDS refuses storage autoscaling on a Multi-AZ DB cluster.
	assert.False(t, has(c, "maxAllocatedStorage"))

	assert.Equal(t, outputs{
		Identifier:      "novacron-platform-test-main",
		Endpoint:        "main.cluster-c0ffee.us-east-1.rds.amazonaws.com:5432",
		Address:         "main.cluster-c0ffee.us-east-1.rds.amazonaws.com",
		ReaderEndpoint:  "main.cluster-ro-c0ffee.us-east-1.rds.amazonaws.com:5432",
		MasterSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-main",
		SecurityGroupID: "main-sg-id",
		KmsKeyArn:       keyArn,
	}, out)
}

// TestNoReplicaOfManagedPassword holds the RDS rule the old design broke: a read replica of an
// instance whose master password Secrets Manager manages is refused (RDS User Guide,
// "Limitations for Secrets Manager integration with Amazon RDS"). Asking for one is an error
// before anything is registered, and no configuration produces one.
func TestNoReplicaOfManagedPassword(t *testing.T) {
	args := baseArgs()
	args.ReadReplicaCount = 1
	eng, _, err := run(t, args)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `database "main": readReplicaCount must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages`)
	assert.Empty(t, eng.Resources())

	for _, a := range []*PostgresArgs{baseArgs(), clusterArgs()} {
		eng, _ := mustRun(t, a)
		for _, r := range eng.ByType(instanceType) {
			assert.False(t, has(r, "replicateSourceDb"), "%s is a read replica", r.Name)
		}
	}
}

// TestNoPasswordAnywhere proves the master password never passes through the program: RDS
// generates it, and no resource carries a password input.
func TestNoPasswordAnywhere(t *testing.T) {
	for _, args := range []*PostgresArgs{baseArgs(), clusterArgs()} {
		eng, _ := mustRun(t, args)
		require.NotEmpty(t, eng.Resources())
		for _, r := range eng.Resources() {
			for _, k := range []resource.PropertyKey{"password", "passwordWo", "masterPassword", "masterPasswordWo"} {
				_, ok := r.Inputs[k]
				assert.False(t, ok, "%s %s has input %s", r.Type, r.Name, k)
			}
		}
	}
}

func TestOverrides(t *testing.T) {
	tests := []struct {
		name  string
		args  func(a *PostgresArgs)
		check func(t *testing.T, eng *mock.Engine, out outputs)
	}{
		{
			name: "single AZ",
			args: func(a *PostgresArgs) { a.SingleAz = true },
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				assert.False(t, mocktest.Bool(t, mocktest.Find(t, eng, instanceType, "main"), "multiAz"))
			},
		},
		{
			name: "allow destroy",
			args: func(a *PostgresArgs) { a.AllowDestroy = true },
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				db := mocktest.Find(t, eng, instanceType, "main")
				assert.False(t, db.Protect, "instance not protected")
				// Its identifier is fixed: a replacement must delete the old one first.
				assert.True(t, db.DeleteBeforeReplace, "instance deleted before it is replaced")
				assert.False(t, mocktest.Find(t, eng, keyType, "main-kms").Protect, "key not protected")
				assert.False(t, mocktest.Bool(t, db, "deletionProtection"))
				assert.True(t, mocktest.Bool(t, db, "skipFinalSnapshot"))
				assert.True(t, mocktest.Bool(t, db, "deleteAutomatedBackups"))
				assert.False(t, has(db, "finalSnapshotIdentifier"))
			},
		},
		{
			name: "bring your own key",
			args: func(a *PostgresArgs) { a.KmsKeyArn = pulumi.String("arn:aws:kms:us-east-1:123456789012:key/byo") },
			check: func(t *testing.T, eng *mock.Engine, out outputs) {
				assert.Empty(t, eng.ByType(keyType), "no key created")
				assert.Empty(t, eng.ByType(aliasType), "no alias created")
				db := mocktest.Find(t, eng, instanceType, "main")
				for _, path := range []string{"kmsKeyId", "masterUserSecretKmsKeyId", "performanceInsightsKmsKeyId"} {
					assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:key/byo", mocktest.Str(t, db, path), path)
				}
				assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:key/byo", out.KmsKeyArn)
			},
		},
		{
			name: "enhanced monitoring disabled",
			args: func(a *PostgresArgs) { a.DisableEnhancedMonitoring = true },
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				assert.Empty(t, eng.ByType(roleType), "no monitoring role")
				assert.Empty(t, eng.ByType(attachmentType), "no policy attachment")
				db := mocktest.Find(t, eng, instanceType, "main")
				assert.Equal(t, 0.0, mocktest.Num(t, db, "monitoringInterval"))
				assert.False(t, has(db, "monitoringRoleArn"))
			},
		},
		{
			name: "disposable cluster",
			args: func(a *PostgresArgs) { asCluster(a); a.AllowDestroy = true },
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				c := mocktest.Find(t, eng, clusterType, "main")
				assert.False(t, c.Protect, "cluster not protected")
				assert.True(t, c.DeleteBeforeReplace, "cluster deleted before it is replaced")
				assert.False(t, mocktest.Bool(t, c, "deletionProtection"))
				assert.True(t, mocktest.Bool(t, c, "skipFinalSnapshot"))
				assert.False(t, has(c, "finalSnapshotIdentifier"))
			},
		},
		{
			name: "cluster on io2",
			args: func(a *PostgresArgs) {
				asCluster(a)
				a.StorageType = StorageIO2
				a.AllocatedStorageGb = 200
				a.Iops = 5000
			},
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				c := mocktest.Find(t, eng, clusterType, "main")
				assert.Equal(t, "io2", mocktest.Str(t, c, "storageType"))
				assert.Equal(t, 200.0, mocktest.Num(t, c, "allocatedStorage"))
				assert.Equal(t, 5000.0, mocktest.Num(t, c, "iops"))
			},
		},
		{
			name: "io1 storage with provisioned IOPS",
			args: func(a *PostgresArgs) { a.StorageType = StorageIO1; a.Iops = 3000 },
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				db := mocktest.Find(t, eng, instanceType, "main")
				assert.Equal(t, "io1", mocktest.Str(t, db, "storageType"))
				assert.Equal(t, 3000.0, mocktest.Num(t, db, "iops"))
			},
		},
		{
			name: "gp3 IOPS above the baseline from 400 GiB",
			args: func(a *PostgresArgs) { a.Iops = 16000 },
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				assert.Equal(t, 16000.0, mocktest.Num(t, mocktest.Find(t, eng, instanceType, "main"), "iops"))
			},
		},
		{
			name: "log groups without a customer managed key, opted out",
			args: func(a *PostgresArgs) {
				a.LogsKmsKeyArn = nil
				a.AllowLogsWithoutKmsKey = true
				a.LogRetentionDays = 30
			},
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				for _, g := range eng.ByType(logGroupType) {
					assert.False(t, has(g, "kmsKeyId"), g.Name)
					assert.Equal(t, 30.0, mocktest.Num(t, g, "retentionInDays"), g.Name)
				}
			},
		},
		{
			name: "minor version, windows and sizes",
			args: func(a *PostgresArgs) {
				a.EngineVersion = "16.4"
				a.InstanceClass = "db.t4g.medium"
				a.AllocatedStorageGb = 100
				a.MaxAllocatedStorageGb = 110
				a.BackupRetentionDays = 7
				a.BackupWindow = "22:30-23:30"
				a.MaintenanceWindow = "Sat:23:30-Sun:00:30"
				a.MonitoringIntervalSeconds = 15
				a.PerformanceInsightsRetentionDays = 731
				a.DatabaseName = "app"
				a.MasterUsername = "app_owner"
			},
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				assert.Equal(t, "postgres16", mocktest.Str(t, mocktest.Find(t, eng, paramsType, "main-params"), "family"))
				db := mocktest.Find(t, eng, instanceType, "main")
				assert.Equal(t, "16.4", mocktest.Str(t, db, "engineVersion"))
				assert.Equal(t, "db.t4g.medium", mocktest.Str(t, db, "instanceClass"))
				assert.Equal(t, 100.0, mocktest.Num(t, db, "allocatedStorage"))
				assert.Equal(t, 110.0, mocktest.Num(t, db, "maxAllocatedStorage"))
				assert.Equal(t, 7.0, mocktest.Num(t, db, "backupRetentionPeriod"))
				assert.Equal(t, "22:30-23:30", mocktest.Str(t, db, "backupWindow"))
				assert.Equal(t, "sat:23:30-sun:00:30", mocktest.Str(t, db, "maintenanceWindow"), "stored lowercase")
				assert.Equal(t, 15.0, mocktest.Num(t, db, "monitoringInterval"))
				assert.Equal(t, 731.0, mocktest.Num(t, db, "performanceInsightsRetentionPeriod"))
				assert.Equal(t, "app", mocktest.Str(t, db, "dbName"))
				assert.Equal(t, "app_owner", mocktest.Str(t, db, "username"))
			},
		},
		{
			name: "two allowed security groups",
			args: func(a *PostgresArgs) {
				a.AllowedSecurityGroupIds = pulumi.StringArray{pulumi.String("sg-nodes"), pulumi.String("sg-bastion")}
			},
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				require.Len(t, eng.ByType(ingressType), 2)
				assert.Equal(t, "sg-nodes", mocktest.Str(t, mocktest.Find(t, eng, ingressType, "main-ingress-0"), "referencedSecurityGroupId"))
				assert.Equal(t, "sg-bastion", mocktest.Str(t, mocktest.Find(t, eng, ingressType, "main-ingress-1"), "referencedSecurityGroupId"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := baseArgs()
			tt.args(args)
			eng, out := mustRun(t, args)
			tt.check(t, eng, out)
		})
	}
}

func TestInvalidArgs(t *testing.T) {
	tests := []struct {
		name string
		// component is the component name; "main" when empty.
		component string
		args      func(a *PostgresArgs)
		want      string
	}{
		{"retention too long", "", func(a *PostgresArgs) { a.BackupRetentionDays = 40 },
			`database "main": backupRetentionDays must be between 1 and 35, got 40`},
		{"retention negative", "", func(a *PostgresArgs) { a.BackupRetentionDays = -1 },
			`database "main": backupRetentionDays must be between 1 and 35, got -1`},
		{"monitoring interval", "", func(a *PostgresArgs) { a.MonitoringIntervalSeconds = 7 },
			`database "main": monitoringIntervalSeconds must be one of [1 5 10 15 30 60], got 7`},
		{"monitoring interval with monitoring disabled", "", func(a *PostgresArgs) {
			a.DisableEnhancedMonitoring = true
			a.MonitoringIntervalSeconds = 30
		}, `database "main": monitoringIntervalSeconds must be unset when disableEnhancedMonitoring is true, got 30`},
		{"performance insights retention", "", func(a *PostgresArgs) { a.PerformanceInsightsRetentionDays = 40 },
			`database "main": performanceInsightsRetentionDays must be 7, 731 or a multiple of 31 below 731, got 40`},
		{"performance insights retention 744", "", func(a *PostgresArgs) { a.PerformanceInsightsRetentionDays = 744 },
			`database "main": performanceInsightsRetentionDays must be 7, 731 or a multiple of 31 below 731, got 744`},
		{"read replica of a managed-password instance", "", func(a *PostgresArgs) { a.ReadReplicaCount = 1 },
			`database "main": readReplicaCount must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages; use deployment "cluster" for two readable standbys, got 1`},
		{"read replica of a cluster", "", func(a *PostgresArgs) { asCluster(a); a.ReadReplicaCount = 2 },
			`database "main": readReplicaCount must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages; use deployment "cluster" for two readable standbys, got 2`},
		{"unknown deployment", "", func(a *PostgresArgs) { a.Deployment = "aurora" },
			`database "main": deployment must be one of [instance cluster], got "aurora"`},
		{"storage too small", "", func(a *PostgresArgs) { a.AllocatedStorageGb = 10 },
			`database "main": allocatedStorageGb must be between 20 and 65536 for gp3 storage, got 10`},
		{"io1 below its minimum size", "", func(a *PostgresArgs) { a.StorageType = StorageIO1; a.AllocatedStorageGb = 50; a.Iops = 1000 },
			`database "main": allocatedStorageGb must be between 100 and 65536 for io1 storage, got 50`},
		{"unknown storage type", "", func(a *PostgresArgs) { a.StorageType = "gp2" },
			`database "main": storageType must be one of [gp3 io1 io2], got "gp2"`},
		{"io1 without IOPS", "", func(a *PostgresArgs) { a.StorageType = StorageIO1 },
			`database "main": iops must be set for io1 storage (1000 to 256000 IOPS), got 0`},
		{"io1 IOPS below half an IOPS per GiB of the autoscaling ceiling", "", func(a *PostgresArgs) {
			a.StorageType = StorageIO1
			a.MaxAllocatedStorageGb = 4000
			a.Iops = 1000
		}, `database "main": iops must be between 0.5 and 50 IOPS per GiB of storage (4000 GiB), got 1000`},
		{"io1 IOPS above 50 per GiB", "", func(a *PostgresArgs) {
			a.StorageType = StorageIO1
			a.AllocatedStorageGb = 100
			a.MaxAllocatedStorageGb = 200
			a.Iops = 6000
		}, `database "main": iops must be between 0.5 and 50 IOPS per GiB of storage (100 GiB), got 6000`},
		{"io1 IOPS above the small-volume ceiling", "", func(a *PostgresArgs) {
			a.StorageType = StorageIO1
			a.AllocatedStorageGb = 399
			a.Iops = 19951
		}, `database "main": iops must be between 1000 and 19950 for io1 storage of 399 GiB, got 19951`},
		{"gp3 IOPS below 400 GiB", "", func(a *PostgresArgs) { a.AllocatedStorageGb = 100; a.Iops = 3000 },
			`database "main": iops must be 0 for gp3 storage below 400 GiB (3,000 IOPS baseline, not provisionable), got 3000`},
		{"gp3 IOPS below the striped baseline", "", func(a *PostgresArgs) { a.Iops = 3000 },
			`database "main": iops must be between 12000 and 64000 for gp3 storage of 1000 GiB, got 3000`},
		{"negative IOPS", "", func(a *PostgresArgs) { a.Iops = -1 },
			`database "main": iops must be 0 (the storage type's baseline) or a positive number of IOPS, got -1`},
		{"log retention not a CloudWatch value", "", func(a *PostgresArgs) { a.LogRetentionDays = 100 },
			`database "main": logRetentionDays must be a CloudWatch Logs retention, one of [1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653], got 100`},
		{"no logs key", "", func(a *PostgresArgs) { a.LogsKmsKeyArn = nil },
			`database "main": logsKmsKeyArn must be set (the key of the database's CloudWatch log groups), or allowLogsWithoutKmsKey set to opt out`},
		{"cluster on the plan's class", "", func(a *PostgresArgs) { asCluster(a); a.InstanceClass = "db.r6g.xlarge" },
			`database "main": instanceClass must be a class a Multi-AZ DB cluster runs on (families db.c6gd, db.m5d, db.m6gd, db.m6id, db.m6idn, db.m8gd, db.r5d, db.r6gd, db.r6id, db.r6idn, db.r8gd, db.x2iedn), got "db.r6g.xlarge"`},
		{"cluster medium outside c6gd", "", func(a *PostgresArgs) { asCluster(a); a.InstanceClass = "db.m6gd.medium" },
			`database "main": instanceClass must be a large or larger size for a Multi-AZ DB cluster (medium only for db.c6gd), got "db.m6gd.medium"`},
		{"cluster on a major version only", "", func(a *PostgresArgs) { asCluster(a); a.EngineVersion = "17" },
			`database "main": engineVersion must be an exact major.minor version such as "17.9" for a Multi-AZ DB cluster, got "17"`},
		{"cluster on PostgreSQL 12", "", func(a *PostgresArgs) { asCluster(a); a.EngineVersion = "12.22" },
			`database "main": engineVersion must be PostgreSQL 13 or later for a Multi-AZ DB cluster, got "12.22"`},
		{"cluster on 13.5", "", func(a *PostgresArgs) { asCluster(a); a.EngineVersion = "13.5" },
			`database "main": engineVersion must be 13.4, 13.7 or later, or 14.5 or later, for a Multi-AZ DB cluster, got "13.5"`},
		{"cluster on 14.4", "", func(a *PostgresArgs) { asCluster(a); a.EngineVersion = "14.4" },
			`database "main": engineVersion must be 13.4, 13.7 or later, or 14.5 or later, for a Multi-AZ DB cluster, got "14.4"`},
		{"single-AZ cluster", "", func(a *PostgresArgs) { asCluster(a); a.SingleAz = true },
			`database "main": singleAz must be false for a Multi-AZ DB cluster, which always runs a writer and two readers in three zones`},
		{"cluster with storage autoscaling", "", func(a *PostgresArgs) { asCluster(a); a.MaxAllocatedStorageGb = 2000 },
			`database "main": maxAllocatedStorageGb must be unset (0) for a Multi-AZ DB cluster, which has no storage autoscaling (scale storage by raising allocatedStorageGb), got 2000`},
		{"cluster on small gp3", "", func(a *PostgresArgs) { asCluster(a); a.AllocatedStorageGb = 100 },
			`database "main": allocatedStorageGb must be at least 400 GiB for gp3 storage in a Multi-AZ DB cluster, which needs provisioned IOPS (RDS provisions gp3 IOPS from 400 GiB on), got 100`},
		{"cluster IOPS above 50 per GiB", "", func(a *PostgresArgs) { asCluster(a); a.AllocatedStorageGb = 400; a.Iops = 24000 },
			`database "main": iops must be between 0.5 and 50 IOPS per GiB of storage (400 GiB), got 24000`},
		{"autoscaling ceiling below 110%", "", func(a *PostgresArgs) { a.MaxAllocatedStorageGb = 1050 },
			`database "main": maxAllocatedStorageGb must be between 1100 (allocatedStorageGb + 10%) and 65536, got 1050`},
		{"autoscaling ceiling below allocated", "", func(a *PostgresArgs) { a.AllocatedStorageGb = 500; a.MaxAllocatedStorageGb = 400 },
			`database "main": maxAllocatedStorageGb must be between 550 (allocatedStorageGb + 10%) and 65536, got 400`},
		{"backup window format", "", func(a *PostgresArgs) { a.BackupWindow = "3:00-4:00" },
			`database "main": backupWindow must be "hh24:mi-hh24:mi" in UTC such as "03:00-04:00", got "3:00-4:00"`},
		{"backup window blank", "", func(a *PostgresArgs) { a.BackupWindow = " " },
			`database "main": backupWindow must be "hh24:mi-hh24:mi" in UTC such as "03:00-04:00", got " "`},
		{"backup window too short", "", func(a *PostgresArgs) { a.BackupWindow = "03:00-03:15" },
			`database "main": backupWindow must be at least 30 minutes long, got 15 minutes ("03:00-03:15")`},
		{"maintenance window format", "", func(a *PostgresArgs) { a.MaintenanceWindow = "sunday:04:00-sunday:05:00" },
			`database "main": maintenanceWindow must be "ddd:hh24:mi-ddd:hh24:mi" in UTC such as "sun:04:00-sun:05:00", got "sunday:04:00-sunday:05:00"`},
		{"maintenance window too short", "", func(a *PostgresArgs) { a.MaintenanceWindow = "Tue:10:00-Tue:10:20" },
			`database "main": maintenanceWindow must be at least 30 minutes long, got 20 minutes ("tue:10:00-tue:10:20")`},
		{"windows overlap", "", func(a *PostgresArgs) { a.BackupWindow = "04:30-05:30" },
			`database "main": maintenanceWindow must not overlap backupWindow "04:30-05:30" (RDS rejects overlapping windows), got "sun:04:00-sun:05:00"`},
		{"windows overlap across midnight", "", func(a *PostgresArgs) {
			a.BackupWindow = "23:45-00:30"
			a.MaintenanceWindow = "Mon:00:00-Mon:01:00"
		}, `database "main": maintenanceWindow must not overlap backupWindow "23:45-00:30" (RDS rejects overlapping windows), got "mon:00:00-mon:01:00"`},
		{"windows overlap across the end of the week", "", func(a *PostgresArgs) {
			a.BackupWindow = "00:00-00:30"
			a.MaintenanceWindow = "sun:23:30-mon:00:30"
		}, `database "main": maintenanceWindow must not overlap backupWindow "00:00-00:30" (RDS rejects overlapping windows), got "sun:23:30-mon:00:30"`},
		{"engine version format", "", func(a *PostgresArgs) { a.EngineVersion = "latest" },
			`database "main": engineVersion must be a PostgreSQL major version such as "17" or major.minor such as "17.4", got "latest"`},
		{"engine version too old", "", func(a *PostgresArgs) { a.EngineVersion = "9.6" },
			`database "main": engineVersion must be PostgreSQL 10 or later, got "9.6"`},
		{"instance class", "", func(a *PostgresArgs) { a.InstanceClass = "r6g.xlarge" },
			`database "main": instanceClass must be an RDS instance class such as "db.r6g.xlarge", got "r6g.xlarge"`},
		{"reserved username", "", func(a *PostgresArgs) { a.MasterUsername = "postgres" },
			`database "main": masterUsername must not be a reserved or well-known name, got "postgres"`},
		{"reserved username any case", "", func(a *PostgresArgs) { a.MasterUsername = "Admin" },
			`database "main": masterUsername must not be a reserved or well-known name, got "Admin"`},
		{"reserved username prefix", "", func(a *PostgresArgs) { a.MasterUsername = "pg_owner" },
			`database "main": masterUsername must not start with the reserved prefix "pg_", got "pg_owner"`},
		{"username format", "", func(a *PostgresArgs) { a.MasterUsername = "novacron-admin" },
			`database "main": masterUsername must start with a letter and hold 1 to 16 letters, digits or underscores, got "novacron-admin"`},
		{"username too long", "", func(a *PostgresArgs) { a.MasterUsername = "novacron_administrator" },
			`database "main": masterUsername must start with a letter and hold 1 to 16 letters, digits or underscores, got "novacron_administrator"`},
		{"database name format", "", func(a *PostgresArgs) { a.DatabaseName = "1novacron" },
			`database "main": databaseName must start with a letter and hold 1 to 63 letters, digits or underscores, got "1novacron"`},
		{"database name exists", "", func(a *PostgresArgs) { a.DatabaseName = "template1" },
			`database "main": databaseName must not be "template1", which exists on every RDS for PostgreSQL instance`},
		{"missing vpc", "", func(a *PostgresArgs) { a.VpcId = nil },
			`database "main": vpcId must be set`},
		{"missing subnets", "", func(a *PostgresArgs) { a.SubnetIds = nil },
			`database "main": subnetIds must be set (database subnets in at least two availability zones)`},
		{"no allowed security group", "", func(a *PostgresArgs) { a.AllowedSecurityGroupIds = nil },
			`database "main": allowedSecurityGroupIds must list at least one security group, got none`},
		{"nil allowed security group", "", func(a *PostgresArgs) {
			a.AllowedSecurityGroupIds = pulumi.StringArray{pulumi.String("sg-1"), nil}
		}, `database "main": allowedSecurityGroupIds[1] must be set`},
		{"component name", "Main_DB", func(a *PostgresArgs) {},
			`database "Main_DB": name must be at most 40 lowercase letters, digits and single hyphens, starting with a letter, got "Main_DB"`},
		{"every problem at once", "", func(a *PostgresArgs) {
			a.VpcId = nil
			a.ReadReplicaCount = 9
			a.MasterUsername = "root"
		}, `database "main": vpcId must be set` + "\n" +
			`database "main": readReplicaCount must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages; use deployment "cluster" for two readable standbys, got 9` + "\n" +
			`database "main": masterUsername must not be a reserved or well-known name, got "root"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := baseArgs()
			tt.args(args)
			name := tt.component
			if name == "" {
				name = "main"
			}
			eng := mock.NewEngine("novacron-platform", "test", nil)
			var ctorErr error
			runErr := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
				_, ctorErr = NewPostgres(ctx, name, args)
				return ctorErr
			})
			require.Error(t, runErr, "the program must fail")
			assert.EqualError(t, ctorErr, tt.want)
			assert.Empty(t, eng.Resources(), "nothing may be registered for invalid arguments")
		})
	}
}

// TestValidateConfigOnly is the stack loader's view: Validate runs on config values alone
// (no inputs) and reports fields, not rendered errors.
func TestValidateConfigOnly(t *testing.T) {
	assert.Empty(t, (&PostgresArgs{}).Validate(), "the defaults are valid and inputs are not Validate's business")
	assert.Empty(t, (&PostgresArgs{Deployment: DeploymentCluster, InstanceClass: "db.r6gd.xlarge", EngineVersion: "17.9"}).Validate(),
		"the production shape is valid")
	assert.Equal(t, validate.Problems{
		{Field: "maxAllocatedStorageGb", Message: "must be between 1100 (allocatedStorageGb + 10%) and 65536, got 1000"},
		{Field: "readReplicaCount", Message: `must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages; use deployment "cluster" for two readable standbys, got 9`},
	}, (&PostgresArgs{MaxAllocatedStorageGb: 1000, ReadReplicaCount: 9}).Validate())
}

// TestClusterClasses walks the Multi-AZ DB cluster class rules over classes RDS offers and
// refuses.
func TestClusterClasses(t *testing.T) {
	for class, ok := range map[string]bool{
		"db.r6gd.xlarge": true, "db.r6gd.large": true, "db.m6gd.16xlarge": true, "db.c6gd.medium": true,
		"db.r8gd.2xlarge": true, "db.x2iedn.xlarge": true, "db.r5d.large": true,
		"db.r6g.xlarge": false, "db.r7g.large": false, "db.t4g.medium": false, "db.m6gd.medium": false,
		"db.r6gd.small": false,
	} {
		args := &PostgresArgs{Deployment: DeploymentCluster, InstanceClass: class, EngineVersion: "17.9"}
		assert.Equal(t, ok, len(args.Validate()) == 0, "%s: %v", class, args.Validate())
	}
}

func TestWindowOverlap(t *testing.T) {
	tests := []struct {
		backup, maintenance string
		overlap             bool
	}{
		{"03:00-04:00", "sun:04:00-sun:05:00", false}, // touching only
		{"03:00-04:00", "sun:02:00-sun:03:00", false},
		{"03:00-04:01", "sun:04:00-sun:05:00", true},
		{"03:00-04:00", "wed:03:59-wed:04:30", true},
		{"23:30-00:30", "tue:00:00-tue:00:30", true}, // backup crosses midnight
		{"23:30-00:30", "tue:00:30-tue:01:30", false},
		{"01:00-02:00", "sun:23:30-mon:00:30", false}, // maintenance crosses the end of the week
		{"00:00-00:30", "sun:23:30-mon:00:30", true},
		{"10:00-11:00", "mon:09:00-tue:09:00", true}, // 24-hour maintenance covers a daily window
	}
	for _, tt := range tests {
		t.Run(tt.backup+" "+tt.maintenance, func(t *testing.T) {
			var p validate.Problems
			b, okB := parseBackupWindow(&p, tt.backup)
			m, okM := parseMaintenanceWindow(&p, tt.maintenance)
			require.True(t, okB && okM, "%v", p)
			assert.Equal(t, tt.overlap, b.overlapsWeekly(m))
		})
	}
}

func TestNames(t *testing.T) {
	assert.Equal(t, "novacron-platform-production-postgres", dbIdentifier("novacron-platform", "production", "postgres", maxClusterIdentifierLen))
	assert.Equal(t, "db-1proj-stage-main", dbIdentifier("1proj", "stage", "main", maxInstanceIdentifierLen))
	long := dbIdentifier("novacron-platform", "organisation-wide-production-eu-west", "postgres", maxClusterIdentifierLen)
	assert.Len(t, long, maxClusterIdentifierLen)
	assert.Regexp(t, `^novacron-platform-organisation-wide-product-[0-9a-f]{8}$`, long, "cut, with a hash of the full name")
	assert.NotEqual(t, long, dbIdentifier("novacron-platform", "organisation-wide-production-eu-east", "postgres", maxClusterIdentifierLen))
	assert.Equal(t, "/aws/rds/instance/db-1/postgresql", logGroupName(DeploymentInstance, "db-1", "postgresql"))
	assert.Equal(t, "/aws/rds/cluster/db-1/postgresql", logGroupName(DeploymentCluster, "db-1", "postgresql"))
	assert.Equal(t, "alias/novacron-platform/production/main", kmsAliasName("novacron-platform", "production", "main"))
	assert.Equal(t, "alias/novacron-platform/org-prod-1/main", kmsAliasName("novacron-platform", "org.prod 1", "main"))
	assert.Equal(t, "novacron-platform-production-main-final", finalSnapshotID("novacron-platform", "production", "main"))
	assert.Equal(t, "novacron-platform-eu-prod-main-final", finalSnapshotID("novacron-platform", "EU..prod", "main"))
	assert.Equal(t, "db-1proj-stage-main-final", finalSnapshotID("1proj", "stage", "main"))
	assert.Equal(t, "postgres17", parameterFamily("17"))
	assert.Equal(t, "postgres16", parameterFamily("16.4"))
}

// asCluster turns base arguments into the production cluster shape.
func asCluster(a *PostgresArgs) {
	a.Deployment = DeploymentCluster
	a.InstanceClass = "db.r6gd.xlarge"
	a.EngineVersion = "17.9"
}

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
}
