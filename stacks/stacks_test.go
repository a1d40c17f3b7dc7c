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

// decodeSpec reads a custom resource's spec into out, through JSON, so that a test asserts on
// the document the API server receives.
func decodeSpec(t *testing.T, r *mock.Resource, out any) {
	t.Helper()
	raw, err := json.Marshal(mocktest.Value(t, r, "spec"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, out), "%s %s", r.Type, r.Name)
}

// nodePoolSpec is the part of a karpenter.sh/v1 NodePool the stacks decide.
type nodePoolSpec struct {
	Template struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			NodeClassRef struct{ Group, Kind, Name string } `json:"nodeClassRef"`
			Requirements []struct {
				Key      string   `json:"key"`
				Operator string   `json:"operator"`
				Values   []string `json:"values"`
			} `json:"requirements"`
			Taints []taint `json:"taints"`
		} `json:"spec"`
	} `json:"template"`
	Disruption struct {
		ConsolidationPolicy string `json:"consolidationPolicy"`
	} `json:"disruption"`
	Limits map[string]string `json:"limits"`
}

func (s nodePoolSpec) requirement(key string) []string {
	for _, r := range s.Template.Spec.Requirements {
		if r.Key == key && r.Operator == "In" {
			return r.Values
		}
	}
	return nil
}

// ec2NodeClassSpec is the part of a karpenter.k8s.aws/v1 EC2NodeClass the stacks decide.
type ec2NodeClassSpec struct {
	Role             string `json:"role"`
	AmiSelectorTerms []struct {
		Alias string `json:"alias"`
	} `json:"amiSelectorTerms"`
	MetadataOptions struct {
		HTTPTokens              string  `json:"httpTokens"`
		HTTPPutResponseHopLimit float64 `json:"httpPutResponseHopLimit"`
	} `json:"metadataOptions"`
	BlockDeviceMappings []struct {
		RootVolume bool `json:"rootVolume"`
		Ebs        struct {
			VolumeSize string `json:"volumeSize"`
			VolumeType string `json:"volumeType"`
			Encrypted  bool   `json:"encrypted"`
		} `json:"ebs"`
	} `json:"blockDeviceMappings"`
	Tags map[string]string `json:"tags"`
}

// pool is what a stack asks of one Karpenter pool.
type pool struct {
	instanceTypes, capacityTypes []string
	floor                        int // replicas of the floor Deployment; 0: none
	limits                       map[string]string
	disk                         string
	labels                       map[string]string
	taints                       []taint
	consolidation                string
}

// TestNodes checks each stack's nodes: a fixed, tainted system node group for the cluster's own
// controllers, and the general and ml Karpenter pools with their floors and limits. The limits
// are maxNodes of the pool's type: m5.xlarge 4 vCPUs 16 GiB, m5.large 2 vCPUs 8 GiB, g5.2xlarge
// 8 vCPUs 32 GiB 1 GPU, g5.xlarge 4 vCPUs 16 GiB 1 GPU (internal/awslimits).
func TestNodes(t *testing.T) {
	mlTaint := []taint{{"ml-workload", "true", "NoSchedule"}}
	tests := []struct {
		stack       string
		costCenter  string
		general, ml pool
	}{
		{"production", "novacron-production",
			pool{[]string{"m5.xlarge"}, []string{"on-demand"}, 3,
				map[string]string{"cpu": "40", "memory": "163840Mi"}, "100Gi",
				map[string]string{"workload": "general"}, nil, "WhenEmptyOrUnderutilized"},
			pool{[]string{"g5.2xlarge"}, []string{"on-demand"}, 0,
				map[string]string{"cpu": "40", "memory": "163840Mi", "nvidia.com/gpu": "5"}, "200Gi",
				map[string]string{"workload": "ml"}, mlTaint, "WhenEmpty"}},
		// Staging's general pool prefers Spot and falls back to on-demand.
		{"staging", "novacron-staging",
			pool{[]string{"m5.large"}, []string{"spot", "on-demand"}, 2,
				map[string]string{"cpu": "8", "memory": "32768Mi"}, "100Gi",
				map[string]string{"workload": "general"}, nil, "WhenEmptyOrUnderutilized"},
			pool{[]string{"g5.xlarge"}, []string{"on-demand"}, 0,
				map[string]string{"cpu": "8", "memory": "32768Mi", "nvidia.com/gpu": "2"}, "200Gi",
				map[string]string{"workload": "ml"}, mlTaint, "WhenEmpty"}},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			eng := runStack(t, tt.stack)

			// The system node group: two m5.large, fixed, tainted for the critical add-ons, on
			// the pinned AMI release.
			groups := eng.ByType(nodeGroupType)
			require.Len(t, groups, 1, "the system node group is the only managed node group")
			ng := mocktest.Find(t, eng, nodeGroupType, "cluster-system")
			assert.Equal(t, []string{"m5.large"}, mocktest.Strs(t, ng, "instanceTypes"))
			assert.Equal(t, "AL2023_x86_64_STANDARD", mocktest.Str(t, ng, "amiType"))
			assert.Equal(t, "ON_DEMAND", mocktest.Str(t, ng, "capacityType"))
			assert.Equal(t, "1.35", mocktest.Str(t, ng, "version"), "the kubelet follows the control plane")
			assert.Equal(t, "1.35.6-20260714", mocktest.Str(t, ng, "releaseVersion"))
			assert.Equal(t, []float64{2, 2, 2}, []float64{
				mocktest.Num(t, ng, "scalingConfig.minSize"), mocktest.Num(t, ng, "scalingConfig.desiredSize"),
				mocktest.Num(t, ng, "scalingConfig.maxSize"),
			}, "a fixed size: nothing resizes the system group")
			assert.Equal(t, "system", mocktest.Str(t, ng, "labels.workload"))
			assert.Equal(t, []taint{{"CriticalAddonsOnly", "true", "NO_SCHEDULE"}}, taints(t, ng))
			_, hasSSH := ng.Input("remoteAccess")
			assert.False(t, hasSSH, "no SSH access to nodes")
			lt := mocktest.Find(t, eng, "aws:ec2/launchTemplate:LaunchTemplate", "cluster-system")
			assert.Contains(t, ng.Dependencies, lt.URN)
			assert.Equal(t, "required", mocktest.Str(t, lt, "metadataOptions.httpTokens"), "IMDSv2 only")
			assert.Equal(t, 1.0, mocktest.Num(t, lt, "metadataOptions.httpPutResponseHopLimit"), "pods cannot reach the node role")
			mappings := mocktest.Input(t, lt, "blockDeviceMappings").ArrayValue()
			require.Len(t, mappings, 1)
			ebs := mappings[0].ObjectValue()["ebs"].ObjectValue()
			assert.Equal(t, "true", ebs["encrypted"].StringValue())
			assert.Equal(t, "gp3", ebs["volumeType"].StringValue())
			assert.Empty(t, eng.ByType("aws:autoscaling/tag:Tag"), "no cluster-autoscaler tags")

			// The Karpenter pools.
			assert.Len(t, eng.ByType("kubernetes:karpenter.sh/v1:NodePool"), 2)
			assert.Len(t, eng.ByType("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"), 2)
			for name, want := range map[string]pool{"general": tt.general, "ml": tt.ml} {
				np := mocktest.Find(t, eng, "kubernetes:karpenter.sh/v1:NodePool", "cluster-karpenter-nodepool-"+name)
				var spec nodePoolSpec
				decodeSpec(t, np, &spec)
				assert.Equal(t, want.instanceTypes, spec.requirement("node.kubernetes.io/instance-type"), name)
				assert.Equal(t, want.capacityTypes, spec.requirement("karpenter.sh/capacity-type"), name)
				assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, spec.requirement("topology.kubernetes.io/zone"), name)
				assert.Equal(t, want.labels, spec.Template.Metadata.Labels, name)
				assert.Equal(t, want.taints, spec.Template.Spec.Taints, name)
				assert.Equal(t, want.consolidation, spec.Disruption.ConsolidationPolicy, name)
				assert.Equal(t, want.limits, spec.Limits, "%s: maxNodes of its type", name)
				assert.Equal(t, "EC2NodeClass", spec.Template.Spec.NodeClassRef.Kind)
				assert.Equal(t, name, spec.Template.Spec.NodeClassRef.Name)

				nc := mocktest.Find(t, eng, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "cluster-karpenter-ec2nodeclass-"+name)
				var class ec2NodeClassSpec
				decodeSpec(t, nc, &class)
				assert.Equal(t, "novacron-"+tt.stack+"-karpenter-node", class.Role)
				require.Len(t, class.AmiSelectorTerms, 1)
				assert.Equal(t, "al2023@v20260714", class.AmiSelectorTerms[0].Alias, "%s: the pinned release, never latest", name)
				assert.Equal(t, "required", class.MetadataOptions.HTTPTokens)
				assert.Equal(t, 1.0, class.MetadataOptions.HTTPPutResponseHopLimit)
				require.Len(t, class.BlockDeviceMappings, 1)
				root := class.BlockDeviceMappings[0]
				assert.True(t, root.RootVolume && root.Ebs.Encrypted, "%s: encrypted root volume", name)
				assert.Equal(t, "gp3", root.Ebs.VolumeType)
				assert.Equal(t, want.disk, root.Ebs.VolumeSize, name)
				assert.Equal(t, tt.costCenter, class.Tags["CostCenter"], "%s: the provider's default tags do not reach Karpenter's instances", name)
				assert.Equal(t, tt.stack, class.Tags["Environment"])

				floor := eng.Find("kubernetes:apps/v1:Deployment", "cluster-karpenter-deployment-capacity-floor-"+name)
				if want.floor == 0 {
					assert.Nil(t, floor, "%s has no floor", name)
					continue
				}
				require.NotNil(t, floor, "%s has a floor", name)
				assert.Equal(t, float64(want.floor), mocktest.Num(t, floor, "spec.replicas"), name)
				assert.Equal(t, "capacity-floor", mocktest.Str(t, floor, "spec.template.spec.priorityClassName"))
				assert.Equal(t, name, mocktest.Str(t, floor, "spec.template.spec.nodeSelector.karpenter.sh/nodepool"))
			}
			pc := mocktest.Find(t, eng, "kubernetes:scheduling.k8s.io/v1:PriorityClass", "cluster-karpenter-priorityclass-capacity-floor")
			assert.Negative(t, mocktest.Num(t, pc, "value"), "below every real pod")
			assert.Equal(t, "Never", mocktest.Str(t, pc, "preemptionPolicy"))

			// Karpenter launches into the private subnets, which carry the discovery tag.
			tagged := 0
			for _, sn := range eng.ByType("aws:ec2/subnet:Subnet") {
				if v, ok := sn.Input("tags.karpenter.sh/discovery"); ok {
					tagged++
					assert.Equal(t, "novacron-"+tt.stack, v.StringValue(), sn.Name)
					assert.Contains(t, sn.Name, "private", "only private subnets are discovered")
				}
			}
			assert.Equal(t, 3, tagged, "one private subnet per zone")

			// Nothing of cluster-autoscaler is left.
			for _, r := range eng.Resources() {
				assert.NotContains(t, strings.ToLower(r.Name), "autoscaler", "%s %s", r.Type, r.Name)
			}
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
	// The add-ons that call AWS get their roles through EKS Pod Identity, not IRSA.
	for addon, sa := range map[string]string{"vpc-cni": "aws-node", "aws-ebs-csi-driver": "ebs-csi-controller-sa"} {
		a := mocktest.Find(t, eng, "aws:eks/addon:Addon", "cluster-"+addon)
		_, irsa := a.Input("serviceAccountRoleArn")
		assert.False(t, irsa, "%s uses Pod Identity", addon)
		assoc := mocktest.Input(t, a, "podIdentityAssociations").ArrayValue()
		require.Len(t, assoc, 1, addon)
		assert.Equal(t, sa, assoc[0].ObjectValue()["serviceAccount"].StringValue(), addon)
	}
	var addons []string
	for _, a := range eng.ByType("aws:eks/addon:Addon") {
		addons = append(addons, mocktest.Str(t, a, "addonName"))
		assert.NotEmpty(t, mocktest.Str(t, a, "addonVersion"), "%s is pinned", a.Name)
	}
	assert.ElementsMatch(t, []string{"eks-pod-identity-agent", "vpc-cni", "kube-proxy", "coredns", "metrics-server", "aws-ebs-csi-driver"}, addons)

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
