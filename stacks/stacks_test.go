package stacks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

const (
	nodeGroupType  = "aws:eks/nodeGroup:NodeGroup"
	rdsType        = "aws:rds/instance:Instance"
	rdsClusterType = "aws:rds/cluster:Cluster"
)

type taint struct{ Key, Value, Effect string }

func taints(t *testing.T, r *mock.Resource) []taint {
	t.Helper()
	v, ok := r.Input("taints")
	if !ok {
		return nil
	}
	var out []taint
	for _, e := range v.ArrayValue() {
		o := e.ObjectValue()
		out = append(out, taint{o["key"].StringValue(), o["value"].StringValue(), o["effect"].StringValue()})
	}
	return out
}

type pool struct {
	instanceType, amiType     string
	minSize, desired, maxSize float64
	taints                    []taint
}

func TestNodeGroups(t *testing.T) {
	mlTaint := []taint{{"ml-workload", "true", "NO_SCHEDULE"}}
	tests := []struct {
		stack       string
		general, ml pool
	}{
		{"production",
			pool{"m5.xlarge", "AL2023_x86_64_STANDARD", 3, 5, 10, nil},
			pool{"g5.2xlarge", "AL2023_x86_64_NVIDIA", 0, 2, 5, mlTaint}},
		{"staging",
			pool{"m5.large", "AL2023_x86_64_STANDARD", 2, 2, 4, nil},
			pool{"g5.xlarge", "AL2023_x86_64_NVIDIA", 0, 0, 2, mlTaint}},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			eng := runStack(t, tt.stack)
			// The general pool is one group per zone (its pods keep zonal EBS volumes); the GPU
			// pool one group across the zones.
			zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
			require.Len(t, eng.ByType(nodeGroupType), len(zones)+1)
			groups := map[string][]string{"ml": {"cluster-ml"}}
			for _, z := range zones {
				groups["general"] = append(groups["general"], "cluster-general-"+z)
			}
			for name, want := range map[string]pool{"general": tt.general, "ml": tt.ml} {
				lt := mocktest.Find(t, eng, "aws:ec2/launchTemplate:LaunchTemplate", "cluster-"+name)
				assert.Equal(t, "required", mocktest.Str(t, lt, "metadataOptions.httpTokens"), "IMDSv2 only")
				mappings, _ := lt.Input("blockDeviceMappings")
				require.Len(t, mappings.ArrayValue(), 1)
				ebs := mappings.ArrayValue()[0].ObjectValue()["ebs"].ObjectValue()
				assert.Equal(t, "true", ebs["encrypted"].StringValue())

				var minSize, desired, maxSize float64
				for _, groupName := range groups[name] {
					ng := mocktest.Find(t, eng, nodeGroupType, groupName)
					assert.Equal(t, []string{want.instanceType}, mocktest.Strs(t, ng, "instanceTypes"), groupName)
					assert.Equal(t, want.amiType, mocktest.Str(t, ng, "amiType"), groupName)
					assert.Equal(t, "1.35", mocktest.Str(t, ng, "version"), "%s follows the control plane", groupName)
					minSize += mocktest.Num(t, ng, "scalingConfig.minSize")
					desired += mocktest.Num(t, ng, "scalingConfig.desiredSize")
					maxSize += mocktest.Num(t, ng, "scalingConfig.maxSize")
					assert.Positive(t, mocktest.Num(t, ng, "scalingConfig.maxSize"), "%s has room for a node", groupName)
					assert.Equal(t, name, mocktest.Str(t, ng, "labels.workload"), groupName)
					assert.Equal(t, want.taints, taints(t, ng), groupName)
					assert.Contains(t, ng.IgnoreChanges, "scalingConfig.desiredSize", "the autoscaler owns desiredSize")
					assert.Contains(t, ng.Dependencies, lt.URN)
					_, hasSSH := ng.Input("remoteAccess")
					assert.False(t, hasSSH, "no SSH access to nodes")
				}
				assert.Equal(t, []float64{want.minSize, want.desired, want.maxSize}, []float64{minSize, desired, maxSize},
					"%s: the zone groups add up to the configured sizes", name)
			}

			// Scaling the GPU pool up from zero needs its label and taint on the Auto Scaling group.
			tags := map[string]string{}
			for _, r := range eng.ByType("aws:autoscaling/tag:Tag") {
				if mocktest.Str(t, r, "autoscalingGroupName") == "eks-cluster-ml-asg" {
					tags[mocktest.Str(t, r, "tag.key")] = mocktest.Str(t, r, "tag.value")
				}
			}
			assert.Equal(t, "ml", tags["k8s.io/cluster-autoscaler/node-template/label/workload"])
			assert.Equal(t, "true:NoSchedule", tags["k8s.io/cluster-autoscaler/node-template/taint/ml-workload"])
		})
	}
}

// TestDatabase checks each stack's database. Production is a Multi-AZ DB cluster: its two
// readable standbys replace the read replica RDS refuses for an instance whose master password
// Secrets Manager manages, which production asked for before.
func TestDatabase(t *testing.T) {
	tests := []struct {
		stack, typ, class, classPath string
		storage, retention, logDays  float64
		logs                         []string
		protected                    bool
	}{
		// Production keeps its database logs a year (PCI DSS 10.5.1); staging a month.
		{"production", rdsClusterType, "db.r6gd.xlarge", "dbClusterInstanceClass", 1000, 30, 365,
			[]string{"/aws/rds/cluster/novacron-platform-production-postgres/postgresql"}, true},
		{"staging", rdsType, "db.r6g.large", "instanceClass", 100, 7, 30,
			[]string{
				"/aws/rds/instance/novacron-platform-staging-postgres/postgresql",
				"/aws/rds/instance/novacron-platform-staging-postgres/upgrade",
			}, false},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			eng := runStack(t, tt.stack)
			db := mocktest.Find(t, eng, tt.typ, "postgres")
			assert.Equal(t, tt.class, mocktest.Str(t, db, tt.classPath))
			assert.Equal(t, "gp3", mocktest.Str(t, db, "storageType"))
			assert.Equal(t, tt.storage, mocktest.Num(t, db, "allocatedStorage"))
			assert.Equal(t, tt.retention, mocktest.Num(t, db, "backupRetentionPeriod"))
			assert.Equal(t, 60.0, mocktest.Num(t, db, "monitoringInterval"))
			assert.True(t, mocktest.Bool(t, db, "performanceInsightsEnabled"))
			assert.True(t, mocktest.Bool(t, db, "storageEncrypted"))
			assert.True(t, mocktest.Bool(t, db, "manageMasterUserPassword"), "RDS owns the password")
			assert.True(t, mocktest.Bool(t, db, "iamDatabaseAuthenticationEnabled"))

			assert.Equal(t, tt.protected, db.Protect, "protect")
			assert.Equal(t, tt.protected, mocktest.Bool(t, db, "deletionProtection"), "deletion protection")
			key := mocktest.Find(t, eng, "aws:kms/key:Key", "postgres-kms")
			assert.Equal(t, tt.protected, key.Protect, "the database key is protected with the data")
			assert.Contains(t, mocktest.Str(t, key, "policy"), `"AWS":"arn:aws:iam::`, "the key's policy is its own, not KMS's default")

			// No stack may ask RDS for what it refuses: a read replica of an instance whose
			// master password Secrets Manager manages.
			for _, r := range eng.ByType(rdsType) {
				_, replica := r.Input("replicateSourceDb")
				assert.False(t, replica, "%s is a read replica of a managed-password instance", r.Name)
			}

			// The log groups RDS writes to exist first, with the stack's retention and the
			// platform's logs key.
			var names []string
			for _, g := range eng.ByType("aws:cloudwatch/logGroup:LogGroup") {
				name := mocktest.Str(t, g, "name")
				if !strings.HasPrefix(name, "/aws/rds/") {
					continue
				}
				names = append(names, name)
				assert.Equal(t, tt.logDays, mocktest.Num(t, g, "retentionInDays"), name)
				assert.NotEmpty(t, mocktest.Str(t, g, "kmsKeyId"), "%s is encrypted with the logs key", name)
				assert.Contains(t, db.Dependencies, g.URN, "the database waits for %s", name)
			}
			assert.ElementsMatch(t, tt.logs, names)

			if tt.typ == rdsClusterType {
				assert.Empty(t, eng.ByType(rdsType), "no DB instance besides the cluster")
				assert.Equal(t, "17.9", mocktest.Str(t, db, "engineVersion"))
				assert.Equal(t, 12000.0, mocktest.Num(t, db, "iops"))
				assert.Equal(t, "03:00-04:00", mocktest.Str(t, db, "preferredBackupWindow"))
				assert.Equal(t, "sun:04:00-sun:05:00", mocktest.Str(t, db, "preferredMaintenanceWindow"))
			} else {
				assert.Len(t, eng.ByType(rdsType), 1, "one instance")
				assert.True(t, mocktest.Bool(t, db, "multiAz"))
				assert.False(t, mocktest.Bool(t, db, "publiclyAccessible"))
				assert.Equal(t, "03:00-04:00", mocktest.Str(t, db, "backupWindow"))
				assert.Equal(t, "sun:04:00-sun:05:00", mocktest.Str(t, db, "maintenanceWindow"))
			}

			// Port 5432 is open to the cluster's nodes only.
			rules := 0
			nodes := mocktest.Find(t, eng, "aws:ec2/securityGroup:SecurityGroup", "cluster-nodes")
			for _, r := range eng.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
				if v, ok := r.Input("fromPort"); ok && v.IsNumber() && v.NumberValue() == 5432 {
					rules++
					_, hasCidr := r.Input("cidrIpv4")
					assert.False(t, hasCidr, "no CIDR may reach the database")
					assert.Contains(t, r.Dependencies, nodes.URN)
				}
			}
			assert.Equal(t, 1, rules)
		})
	}
}

func TestNetwork(t *testing.T) {
	for stack, nats := range map[string]int{"production": 3, "staging": 1} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			assert.Len(t, eng.ByType("aws:ec2/natGateway:NatGateway"), nats)
			assert.Len(t, eng.ByType("aws:ec2/subnet:Subnet"), 9)
			vpc := mocktest.Find(t, eng, "aws:ec2/vpc:Vpc", "network")
			flows := eng.ByType("aws:ec2/flowLog:FlowLog")
			require.Len(t, flows, 1)
			assert.Contains(t, flows[0].Dependencies, vpc.URN)
			assert.Equal(t, "ALL", mocktest.Str(t, flows[0], "trafficType"))
		})
	}
}

func TestCluster(t *testing.T) {
	eng := runStack(t, "production")
	c := mocktest.Find(t, eng, "eks:index:Cluster", "cluster")
	assert.Equal(t, "novacron-production", mocktest.Str(t, c, "name"))
	assert.Equal(t, "1.35", mocktest.Str(t, c, "version"))
	assert.True(t, mocktest.Bool(t, c, "endpointPrivateAccess"))
	assert.False(t, mocktest.Bool(t, c, "endpointPublicAccess"))
	assert.ElementsMatch(t, []string{"api", "audit", "authenticator", "controllerManager", "scheduler"},
		mocktest.Strs(t, c, "enabledClusterLogTypes"))
	assert.Equal(t, "API", mocktest.Str(t, c, "authenticationMode"))
	assert.True(t, mocktest.Bool(t, c, "skipDefaultNodeGroup"))
	assert.NotEmpty(t, mocktest.Str(t, c, "encryptionConfigKeyArn"))
	key := mocktest.Find(t, eng, "aws:kms/key:Key", "cluster-secrets")
	assert.True(t, mocktest.Bool(t, key, "enableKeyRotation"))

	cni := mocktest.Find(t, eng, "aws:eks/addon:Addon", "cluster-vpc-cni")
	var cniConfig map[string]string
	require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, cni, "configurationValues")), &cniConfig))
	assert.Equal(t, "true", cniConfig["enableNetworkPolicy"], "NetworkPolicies are enforced")
	assert.NotEmpty(t, mocktest.Str(t, cni, "serviceAccountRoleArn"))
	ebs := mocktest.Find(t, eng, "aws:eks/addon:Addon", "cluster-aws-ebs-csi-driver")
	assert.NotEmpty(t, mocktest.Str(t, ebs, "serviceAccountRoleArn"))

	sc := mocktest.Find(t, eng, "kubernetes:storage.k8s.io/v1:StorageClass", "cluster-fast-ssd")
	assert.Equal(t, "fast-ssd", mocktest.Str(t, sc, "metadata.name"))
	assert.Equal(t, "gp3", mocktest.Str(t, sc, "parameters.type"))
	assert.Equal(t, "true", mocktest.Str(t, sc, "parameters.encrypted"))
	system := mocktest.Find(t, eng, "pulumi:providers:kubernetes", "cluster-k8s-system")
	assert.Contains(t, sc.Provider, system.URN, "the storage class is created through the cluster's provider")

	plugin := mocktest.Find(t, eng, "kubernetes:helm.sh/v3:Release", "cluster-ml-nvidia-device-plugin")
	tol, _ := plugin.Input("values.tolerations")
	found := false
	for _, e := range tol.ArrayValue() {
		o := e.ObjectValue()
		if o["key"].StringValue() == "ml-workload" && o["effect"].StringValue() == "NoSchedule" {
			found = true
		}
	}
	assert.True(t, found, "the device plugin tolerates the ml-workload taint")
}

func TestDefaultTags(t *testing.T) {
	eng := runStack(t, "staging")
	p := mocktest.Find(t, eng, "pulumi:providers:aws", "aws")
	assert.Equal(t, "us-east-1", mocktest.Str(t, p, "region"))
	v, ok := p.Input("defaultTags")
	require.True(t, ok)
	// Provider inputs arrive JSON-encoded for nested objects.
	tags := map[string]string{}
	if v.IsString() {
		var dt struct{ Tags map[string]string }
		require.NoError(t, json.Unmarshal([]byte(v.StringValue()), &dt))
		tags = dt.Tags
	} else {
		for k, e := range v.ObjectValue()["tags"].ObjectValue() {
			tags[string(k)] = e.StringValue()
		}
	}
	assert.Equal(t, map[string]string{
		"Project": "novacron", "Environment": "staging", "ManagedBy": "pulumi",
		"Owner": "platform-team", "CostCenter": "novacron-staging",
	}, tags)

	// Every AWS resource goes through that provider.
	for _, r := range eng.Resources() {
		if r.Custom && len(r.Type) > 4 && r.Type[:4] == "aws:" {
			assert.Contains(t, r.Provider, p.URN, "%s %s uses the tagged provider", r.Type, r.Name)
		}
	}
}

func TestKubeconfigIsSecret(t *testing.T) {
	cfg := readStack(t, "production")
	eng := mock.NewEngine(Project, "production", nil)
	var kubeconfig internals.UnsafeAwaitOutputResult
	require.NoError(t, eng.Run(cfg.Values, cfg.SecretKeys, func(ctx *pulumi.Context) error {
		c, err := Load(ctx.Stack(), cfg)
		if err != nil {
			return err
		}
		p, err := Deploy(ctx, c)
		if err != nil {
			return err
		}
		kubeconfig, err = internals.UnsafeAwaitOutput(ctx.Context(), p.Cluster.Kubeconfig)
		return err
	}))
	assert.True(t, kubeconfig.Secret, "the kubeconfig output is secret")
	assert.Contains(t, kubeconfig.Value, "novacron-production")
}
