package stacks

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadRepositoryStacks(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			files := readStack(t, stack)
			cfg, err := Load(stack, files)
			require.NoError(t, err)
			assert.Equal(t, stack, cfg.Environment)
			assert.Equal(t, "us-east-1", cfg.Region)
			assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, cfg.Network.AvailabilityZones)
			assert.Equal(t, "novacron-"+stack, cfg.Cluster.ClusterName)
		})
	}
}

// TestInvalidConfig feeds one bad value at a time and expects one error that names the stack
// and the key; Run must fail before any resource is registered.
func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		edit map[string]string
		want string
	}{
		{"bad CIDR", map[string]string{"vpcCidr": "10.0.0.300/16"},
			`production: novacron-platform:vpcCidr must be an IPv4 CIDR block such as 10.0.0.0/16, got "10.0.0.300/16"`},
		{"VPC too large", map[string]string{"vpcCidr": "10.0.0.0/8"},
			`production: novacron-platform:vpcCidr must have a prefix between /16 and /20, got "10.0.0.0/8"`},
		{"one availability zone", map[string]string{"availabilityZones": `["us-east-1a"]`},
			`production: novacron-platform:availabilityZones must name between 2 and 6 zones, got 1`},
		{"seven availability zones", map[string]string{"availabilityZones": `["us-east-1a","us-east-1b","us-east-1c","us-east-1d","us-east-1e","us-east-1f","us-east-1g"]`},
			`production: novacron-platform:availabilityZones must name between 2 and 6 zones, got 7`},
		{"zone outside the region", map[string]string{"availabilityZones": `["us-east-1a","us-west-2b"]`},
			`production: novacron-platform:availabilityZones must be zones of aws:region us-east-1 (such as us-east-1a), got "us-west-2b"`},
		{"zones not a list", map[string]string{"availabilityZones": "us-east-1a"},
			`production: novacron-platform:availabilityZones must be a list of strings, got "us-east-1a"`},
		{"min above max", map[string]string{"mlMinSize": "6"},
			`production: novacron-platform:mlMaxSize (5) must not be below minSize (6)`},
		{"private endpoint nobody may reach", map[string]string{"clusterEndpointAllowedCidrs": "[]"},
			`production: novacron-platform:clusterEndpointAllowedCidrs must list the networks of the runners, bastions or VPNs that deploy`},
		{"deployer group not an id", map[string]string{"clusterEndpointAllowedSecurityGroupIds": `["runners"]`},
			`production: novacron-platform:clusterEndpointAllowedSecurityGroupIds must be security group ids`},
		{"preview role also admin", map[string]string{
			"clusterAdminRoleArns":    `["arn:aws:iam::123456789012:role/ci"]`,
			"clusterReadOnlyRoleArns": `["arn:aws:iam::123456789012:role/ci"]`,
		}, `production: novacron-platform:clusterReadOnlyRoleArns must not repeat a role already in adminRoleArns`},
		{"Kubernetes version without pinned add-ons", map[string]string{"kubernetesVersion": "1.39"},
			`production: novacron-platform:kubernetesVersion must be one with pinned add-on versions`},
		{"general pool without room in every zone", map[string]string{"generalMinSize": "1", "generalDesiredSize": "1", "generalMaxSize": "2"},
			`production: novacron-platform:generalMaxSize (2) must be at least the number of zones (3)`},
		{"desired outside min..max", map[string]string{"generalDesiredSize": "11"},
			`production: novacron-platform:generalDesiredSize (11) must be between minSize (3) and maxSize (10)`},
		{"size not a number", map[string]string{"generalMaxSize": "ten"},
			`production: novacron-platform:generalMaxSize must be a whole number, got "ten"`},
		{"unknown environment", map[string]string{"environment": "qa"},
			`production: novacron-platform:environment must be one of [staging production], got "qa"`},
		{"backup retention out of range", map[string]string{"dbBackupRetentionDays": "40"},
			`production: novacron-platform:dbBackupRetentionDays must be between 1 and 35, got 40`},
		{"flow log retention not a CloudWatch value", map[string]string{"flowLogRetentionDays": "42"},
			`production: novacron-platform:flowLogRetentionDays must be a CloudWatch Logs retention, one of [1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653], got 42`},
		{"control-plane log retention not a CloudWatch value", map[string]string{"clusterLogRetentionDays": "100"},
			`production: novacron-platform:clusterLogRetentionDays must be a CloudWatch Logs retention`},
		{"malformed backup window", map[string]string{"dbBackupWindow": "3am-4am"},
			`production: novacron-platform:dbBackupWindow`},
		{"malformed maintenance window", map[string]string{"dbMaintenanceWindow": "sunday 04:00"},
			`production: novacron-platform:dbMaintenanceWindow`},
		{"empty instance type", map[string]string{"generalInstanceType": ""},
			`production: novacron-platform:generalInstanceType must not be empty`},
		{"zero backup retention", map[string]string{"dbBackupRetentionDays": "0"},
			`production: novacron-platform:dbBackupRetentionDays must be at least 1, got 0`},
		{"not a boolean", map[string]string{"singleNatGateway": "sometimes"},
			`production: novacron-platform:singleNatGateway must be true or false, got "sometimes"`},
		{"public endpoint open to the world", map[string]string{
			"clusterEndpointPublicAccess": "true", "clusterPublicAccessCidrs": `["0.0.0.0/0"]`},
			`production: novacron-platform:clusterPublicAccessCidrs must not open the API server to the whole internet, got "0.0.0.0/0"`},
		{"public endpoint without CIDRs", map[string]string{"clusterEndpointPublicAccess": "true"},
			`production: novacron-platform:clusterPublicAccessCidrs must list the CIDRs allowed to reach the public endpoint when endpointPublicAccess is true`},
		{"Kubernetes version", map[string]string{"kubernetesVersion": "latest"},
			`production: novacron-platform:kubernetesVersion must be a Kubernetes minor version such as "1.35", got "latest"`},
		{"monitoring interval", map[string]string{"dbMonitoringIntervalSeconds": "45"},
			`production: novacron-platform:dbMonitoringIntervalSeconds`},
		{"unknown AMI type", map[string]string{"mlAmiType": "AL2023_GPU"},
			`production: novacron-platform:mlAmiType must be an EKS AMI type such as AL2023_x86_64_STANDARD`},
		{"Amazon Linux 2 AMI", map[string]string{"mlAmiType": "AL2_x86_64_GPU"},
			`production: novacron-platform:mlAmiType must be an Amazon Linux 2023 type`},
		{"GPU group with the standard AMI", map[string]string{"mlAmiType": "AL2023_x86_64_STANDARD"},
			`production: novacron-platform:mlAmiType must be an NVIDIA AMI type`},
		{"misspelt instance type", map[string]string{"generalInstanceType": "m5.xlage"},
			`production: novacron-platform:generalInstanceType must be an EC2 instance type, got "m5.xlage" (did you mean "m5.xlarge"?)`},
		{"retired GPU type", map[string]string{"mlInstanceType": "p3.2xlarge"},
			`production: novacron-platform:mlInstanceType "p3.2xlarge" is retired by AWS`},
		{"GPU type in the general group", map[string]string{"generalInstanceType": "g5.xlarge"},
			`production: novacron-platform:generalInstanceType must not be a GPU instance type in a group without GPU support`},
		{"CPU type in the GPU group", map[string]string{"mlInstanceType": "m5.2xlarge"},
			`production: novacron-platform:mlInstanceType must be an NVIDIA GPU instance type for a GPU group`},
		{"more nodes than EKS allows", map[string]string{"mlMaxSize": "451"},
			`production: novacron-platform:mlMaxSize must be at most 450, EKS's quota of nodes per managed node group, got 451`},
		{"tag value with a comma", map[string]string{"owner": "platform,data"},
			`production: novacron-platform:owner must be an AWS tag value of letters, digits, spaces and _ . : / = + - @, got "platform,data"`},
		{"tag value too long", map[string]string{"costCenter": strings.Repeat("c", 257)},
			`production: novacron-platform:costCenter must be at most 256 characters (an AWS tag value), got 257`},
		{"reserved tag prefix", map[string]string{"owner": "aws:platform"},
			`production: novacron-platform:owner must not start with "aws:"`},
		{"VPC on the Docker bridge", map[string]string{"vpcCidr": "172.17.0.0/16"},
			`production: novacron-platform:vpcCidr must not overlap 172.17.0.0/16 (the Docker bridge range EKS nodes reserve)`},
		{"public VPC range", map[string]string{"vpcCidr": "52.0.0.0/16"},
			`production: novacron-platform:vpcCidr must lie in a private range`},
		{"public endpoint open to the world in halves", map[string]string{
			"clusterEndpointPublicAccess": "true", "clusterPublicAccessCidrs": `["0.0.0.0/1","128.0.0.0/1"]`},
			`production: novacron-platform:clusterPublicAccessCidrs must not open the API server to the whole internet: together 0.0.0.0/1, 128.0.0.0/1 cover every public IPv4 address`},
		{"private range on the public endpoint", map[string]string{
			"clusterEndpointPublicAccess": "true", "clusterPublicAccessCidrs": `["192.168.10.0/24"]`},
			`production: novacron-platform:clusterPublicAccessCidrs must be public address ranges: "192.168.10.0/24" is RFC 1918 private`},
		{"autoscaler of another minor", map[string]string{"clusterAutoscalerImageTag": "v1.34.2"},
			`production: novacron-platform:clusterAutoscalerImageTag must be a v1.35.x release to match kubernetesVersion 1.35, got "v1.34.2"`},
		{"Kubernetes minor the chart's autoscaler does not match", map[string]string{"kubernetesVersion": "1.34"},
			`production: novacron-platform:clusterAutoscalerImageTag must be set to a v1.34.x release: cluster-autoscaler chart 9.59.0 installs v1.35.0`},
		{"Slack channel with capitals and a space", map[string]string{"slackChannel": "#Novacron Alerts"},
			`production: novacron-platform:slackChannel must be a Slack channel: "#" and up to 80 lowercase letters, digits, '-' or '_' (no spaces, periods or capitals), or a channel ID such as C0123456789, got "#Novacron Alerts"`},
		{"Slack channel without #", map[string]string{"slackChannel": "novacron-alerts"},
			`production: novacron-platform:slackChannel must be a Slack channel`},
		{"environment contradicts the stack", map[string]string{"environment": "staging"},
			`production: novacron-platform:environment must be "production" in stack "production", got "staging"`},
		{"Slack webhook not a URL", map[string]string{"slackWebhookUrl": "not-a-url"},
			`production: novacron-platform:slackWebhookUrl must be an https URL (the value is not shown)`},
		{"bucket name", map[string]string{"buckets": `["Artifacts"]`},
			`production: novacron-platform:buckets must be names of 3 to 32 lowercase letters, digits or '-', got "Artifacts"`},
		{"bucket named logs", map[string]string{"buckets": `["logs"]`},
			`production: novacron-platform:buckets must be unique and not "logs"`},
		{"platform namespace", map[string]string{"applicationNamespaces": `["novacron","kube-system"]`},
			`production: novacron-platform:applicationNamespaces must not include "kube-system"`},
		{"CI role not a role", map[string]string{"ciRoleArn": "arn:aws:iam::123456789012:user/ci"},
			`production: novacron-platform:ciRoleArn must be an IAM role ARN, got "arn:aws:iam::123456789012:user/ci"`},
		{"key administrator", map[string]string{"kmsKeyAdministratorArns": `["admins"]`},
			`production: novacron-platform:kmsKeyAdministratorArns must be IAM role, user or account-root ARNs, got "admins"`},
		{"backup copy vault", map[string]string{"backupCopyDestinationVaultArn": "us-west-2"},
			`production: novacron-platform:backupCopyDestinationVaultArn must be an AWS Backup vault ARN, got "us-west-2"`},
		{"backup copy in the stack's region", map[string]string{"backupCopyDestinationVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:novacron-dr"},
			`production: novacron-platform:backupCopyDestinationVaultArn must be a vault in another region than the stack's (aws:region us-east-1), got one in us-east-1`},
		{"hosted zone", map[string]string{"ingressHostedZoneId": "example.com"},
			`production: novacron-platform:ingressHostedZoneId must be a Route53 hosted zone id`},
		{"autoscaler image", map[string]string{"clusterAutoscalerImageTag": "1.35"},
			`production: novacron-platform:clusterAutoscalerImageTag must be an autoscaler release tag such as v1.35.0, got "1.35"`},
		{"autoscaler chart", map[string]string{"clusterAutoscalerVersion": "latest"},
			`production: novacron-platform:clusterAutoscalerVersion must be an exact chart version such as 1.2.3, got "latest"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, err := runWith(t, "production", tt.edit)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), `invalid configuration for stack "production"`)
			assert.Empty(t, eng.Resources(), "nothing is registered when the configuration is invalid")
		})
	}
}

func TestInvalidConfigReportsEveryProblem(t *testing.T) {
	_, err := runWith(t, "staging", map[string]string{
		"vpcCidr": "nope", "mlMaxSize": "-1", "dbBackupRetentionDays": "36",
	})
	require.Error(t, err)
	var cfgErr *Error
	require.ErrorAs(t, err, &cfgErr)
	assert.Len(t, cfgErr.Problems, 3, "%v", cfgErr.Problems)
	for _, key := range []string{"vpcCidr", "mlMaxSize", "dbBackupRetentionDays"} {
		assert.Contains(t, err.Error(), "staging: novacron-platform:"+key)
	}
}

func TestMissingRegionAndKey(t *testing.T) {
	files := readStack(t, "staging")
	delete(files.Values, "aws:region")
	delete(files.Values, Key("dbInstanceClass"))
	_, err := Load("staging", files)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "staging: aws:region is not set (add it to Pulumi.staging.yaml)")
	assert.Contains(t, err.Error(), "staging: novacron-platform:dbInstanceClass is not set")
}

func TestReadStackFilesErrors(t *testing.T) {
	_, err := ReadStackFiles("..", "qa")
	require.ErrorContains(t, err, `unknown stack "qa"`)

	dir := t.TempDir()
	project, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dir+"/Pulumi.yaml", project, 0o600))
	require.NoError(t, os.WriteFile(dir+"/Pulumi.broken.yaml", []byte("config:\n  aws:region: [\n"), 0o600))
	_, err = ReadStackFiles(dir, "broken")
	require.ErrorContains(t, err, "Pulumi.broken.yaml")

	// An empty stack file runs on Pulumi.yaml's defaults.
	require.NoError(t, os.WriteFile(dir+"/Pulumi.empty.yaml", nil, 0o600))
	files, err := ReadStackFiles(dir, "empty")
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.0/16", files.Values[Key("vpcCidr")])
	assert.Equal(t, "us-east-1", files.Values["aws:region"])
	assert.Equal(t, `["us-east-1a","us-east-1b","us-east-1c"]`, files.Values[Key("availabilityZones")])
	assert.Equal(t, []string{Key("grafanaAdminPassword"), Key("pagerdutyRoutingKey"), Key("slackWebhookUrl"), Key("heartbeatUrl")},
		files.MissingSecrets())
	_, err = Load("empty", files)
	require.ErrorContains(t, err, "empty: novacron-platform:grafanaAdminPassword is not set; run `pulumi config set --secret grafanaAdminPassword`")
	// Who may reach the private API endpoint has no default on purpose: the stack must say.
	_, err = Load("empty", files.WithSecretPlaceholders())
	require.ErrorContains(t, err, "empty: novacron-platform:clusterEndpointAllowedCidrs must list the networks of the runners")
	files.Values[Key("clusterEndpointAllowedCidrs")] = `["10.0.0.0/16"]`
	cfg, err := Load("empty", files.WithSecretPlaceholders())
	require.NoError(t, err)
	assert.Equal(t, "production", cfg.Environment, "defaults are production's figures and guards")
}

func TestSecureValuesStaySecret(t *testing.T) {
	dir := t.TempDir()
	project, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dir+"/Pulumi.yaml", project, 0o600))
	require.NoError(t, os.WriteFile(dir+"/Pulumi.s.yaml", []byte(
		"config:\n  aws:region: us-east-1\n  novacron-platform:grafanaAdminPassword:\n    secure: AAABAKx0c2VjcmV0\n"), 0o600))
	files, err := ReadStackFiles(dir, "s")
	require.NoError(t, err)
	assert.Equal(t, []string{Key("grafanaAdminPassword")}, files.SecretKeys)
	assert.Equal(t, SecretPlaceholder, files.Values[Key("grafanaAdminPassword")])
}

// TestEveryKeyDeclaredAndDocumented keeps Pulumi.yaml, the loader and the README in step.
func TestEveryKeyDeclaredAndDocumented(t *testing.T) {
	project, err := workspace.LoadProject("../Pulumi.yaml")
	require.NoError(t, err)
	var declared []string
	for key, decl := range project.Config {
		if strings.Contains(key, ":") {
			continue // another namespace's value (aws:region), not a declaration of ours
		}
		declared = append(declared, key)
		assert.NotEmpty(t, decl.Description, "%s has a description", key)
		assert.NotNil(t, decl.Type, "%s has a type", key)
		if !decl.Secret {
			assert.NotNil(t, decl.Default, "%s has a default", key)
		}
	}
	sort.Strings(declared)
	var read []string
	for _, k := range keysRead() {
		if !strings.Contains(k, ":") {
			read = append(read, k)
		}
	}
	assert.Equal(t, declared, read, "every key the program reads is declared in Pulumi.yaml, and no other")

	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, key := range declared {
		row := regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(key) + "` \\|")
		assert.Regexp(t, row, string(readme), "README documents %s in its config table", key)
	}
}
