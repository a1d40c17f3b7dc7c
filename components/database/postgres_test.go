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

// outputs are the component's outputs once resolved.
type outputs struct {
	Endpoint, Address, MasterSecretArn, SecurityGroupID, KmsKeyArn string
	ReplicaEndpoints                                               []string
}

// baseArgs are the required inputs, as the stack wires them from the network and the cluster.
func baseArgs() *PostgresArgs {
	return &PostgresArgs{
		VpcId:                   pulumi.String("vpc-0123"),
		SubnetIds:               pulumi.ToStringArray([]string{"subnet-db-a", "subnet-db-b", "subnet-db-c"}),
		AllowedSecurityGroupIds: pulumi.StringArray{pulumi.String("sg-eks-nodes")},
	}
}

// autonamedIdentifier stands in for the identifier the AWS provider generates for an instance
// whose identifier is not set (a random suffix), so the test can tell it from the name.
func autonamedIdentifier(args pulumi.MockResourceArgs, out resource.PropertyMap) {
	if args.TypeToken == instanceType {
		out["identifier"] = resource.NewStringProperty(args.Name + "-a1b2c3d")
	}
}

// run constructs one component named "main" under the mock engine.
func run(t *testing.T, args *PostgresArgs) (*mock.Engine, outputs, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", autonamedIdentifier)
	var got outputs
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		db, err := NewPostgres(ctx, "main", args)
		if err != nil {
			return err
		}
		pulumi.All(db.Endpoint, db.Address, db.MasterSecretArn, db.SecurityGroupId, db.KmsKeyArn, db.ReplicaEndpoints).
			ApplyT(func(vs []any) error {
				got = outputs{
					Endpoint: vs[0].(string), Address: vs[1].(string), MasterSecretArn: vs[2].(string),
					SecurityGroupID: vs[3].(string), KmsKeyArn: vs[4].(string), ReplicaEndpoints: vs[5].([]string),
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

	// Primary instance.
	db := mocktest.Find(t, eng, instanceType, "main")
	assert.True(t, db.Protect, "the instance must be protected")
	assert.Contains(t, db.Dependencies, attachment.URN, "the instance must wait for the monitoring policy")
	for path, want := range map[string]string{
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
	assert.Empty(t, eng.ByType(instanceType)[1:], "no read replica by default")

	// Outputs.
	assert.Equal(t, outputs{
		Endpoint:         "main.c0ffee.us-east-1.rds.amazonaws.com:5432",
		Address:          "main.c0ffee.us-east-1.rds.amazonaws.com",
		MasterSecretArn:  "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!main",
		SecurityGroupID:  "main-sg-id",
		KmsKeyArn:        keyArn,
		ReplicaEndpoints: []string{},
	}, out)
}

// TestNoPasswordAnywhere proves the master password never passes through the program: RDS
// generates it, and no resource carries a password input.
func TestNoPasswordAnywhere(t *testing.T) {
	eng, _ := mustRun(t, &PostgresArgs{
		VpcId: pulumi.String("vpc-0123"), SubnetIds: pulumi.ToStringArray([]string{"a", "b"}),
		AllowedSecurityGroupIds: pulumi.StringArray{pulumi.String("sg-1")}, ReadReplicaCount: 1,
	})
	require.NotEmpty(t, eng.Resources())
	for _, r := range eng.Resources() {
		for _, k := range []resource.PropertyKey{"password", "passwordWo", "masterPassword"} {
			_, ok := r.Inputs[k]
			assert.False(t, ok, "%s %s has input %s", r.Type, r.Name, k)
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
			name: "two read replicas",
			args: func(a *PostgresArgs) { a.ReadReplicaCount = 2 },
			check: func(t *testing.T, eng *mock.Engine, out outputs) {
				primary := mocktest.Find(t, eng, instanceType, "main")
				require.Len(t, eng.ByType(instanceType), 3)
				for _, n := range []string{"main-replica-1", "main-replica-2"} {
					r := mocktest.Find(t, eng, instanceType, n)
					assert.Equal(t, "main-a1b2c3d", mocktest.Str(t, r, "replicateSourceDb"), n)
					assert.Contains(t, r.Dependencies, primary.URN, n)
					assert.Equal(t, "db.r6g.xlarge", mocktest.Str(t, r, "instanceClass"), n)
					assert.True(t, mocktest.Bool(t, r, "storageEncrypted"), n)
					assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:main-kms", mocktest.Str(t, r, "kmsKeyId"), n)
					assert.True(t, mocktest.Bool(t, r, "performanceInsightsEnabled"), n)
					assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:main-kms", mocktest.Str(t, r, "performanceInsightsKmsKeyId"), n)
					assert.Equal(t, 60.0, mocktest.Num(t, r, "monitoringInterval"), n)
					assert.Equal(t, "arn:aws:iam:us-east-1:123456789012:main-monitoring", mocktest.Str(t, r, "monitoringRoleArn"), n)
					assert.False(t, mocktest.Bool(t, r, "publiclyAccessible"), n)
					assert.Equal(t, "main-params", mocktest.Str(t, r, "parameterGroupName"), n)
					assert.Equal(t, []string{"main-sg-id"}, mocktest.Strs(t, r, "vpcSecurityGroupIds"), n)
					assert.True(t, mocktest.Bool(t, r, "deletionProtection"), n)
					// Inherited from the source; RDS rejects them on a replica.
					for _, forbidden := range []string{"username", "dbName", "manageMasterUserPassword", "dbSubnetGroupName", "finalSnapshotIdentifier"} {
						assert.False(t, has(r, forbidden), "%s must not set %s", n, forbidden)
					}
				}
				assert.Equal(t, []string{
					"main-replica-1.c0ffee.us-east-1.rds.amazonaws.com:5432",
					"main-replica-2.c0ffee.us-east-1.rds.amazonaws.com:5432",
				}, out.ReplicaEndpoints)
			},
		},
		{
			name: "enhanced monitoring disabled",
			args: func(a *PostgresArgs) { a.DisableEnhancedMonitoring = true; a.ReadReplicaCount = 1 },
			check: func(t *testing.T, eng *mock.Engine, _ outputs) {
				assert.Empty(t, eng.ByType(roleType), "no monitoring role")
				assert.Empty(t, eng.ByType(attachmentType), "no policy attachment")
				for _, r := range eng.ByType(instanceType) {
					assert.Equal(t, 0.0, mocktest.Num(t, r, "monitoringInterval"), r.Name)
					assert.False(t, has(r, "monitoringRoleArn"), r.Name)
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
		{"too many replicas", "", func(a *PostgresArgs) { a.ReadReplicaCount = 6 },
			`database "main": readReplicaCount must be between 0 and 5, got 6`},
		{"storage too small", "", func(a *PostgresArgs) { a.AllocatedStorageGb = 10 },
			`database "main": allocatedStorageGb must be between 20 and 65536, got 10`},
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
			`database "main": readReplicaCount must be between 0 and 5, got 9` + "\n" +
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
	assert.Equal(t, validate.Problems{
		{Field: "maxAllocatedStorageGb", Message: "must be between 1100 (allocatedStorageGb + 10%) and 65536, got 1000"},
		{Field: "readReplicaCount", Message: "must be between 0 and 5, got 9"},
	}, (&PostgresArgs{MaxAllocatedStorageGb: 1000, ReadReplicaCount: 9}).Validate())
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
	assert.Equal(t, "alias/novacron-platform/production/main", kmsAliasName("novacron-platform", "production", "main"))
	assert.Equal(t, "alias/novacron-platform/org-prod-1/main", kmsAliasName("novacron-platform", "org.prod 1", "main"))
	assert.Equal(t, "novacron-platform-production-main-final", finalSnapshotID("novacron-platform", "production", "main"))
	assert.Equal(t, "novacron-platform-eu-prod-main-final", finalSnapshotID("novacron-platform", "EU..prod", "main"))
	assert.Equal(t, "db-1proj-stage-main-final", finalSnapshotID("1proj", "stage", "main"))
	assert.Equal(t, "postgres17", parameterFamily("17"))
	assert.Equal(t, "postgres16", parameterFamily("16.4"))
}

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
}
