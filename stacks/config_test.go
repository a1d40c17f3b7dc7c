package stacks

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
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
		{"floor above the ceiling", map[string]string{"generalMinNodes": "11"},
			`production: novacron-platform:generalMinNodes (11) must not exceed maxNodes (10): the pool's limits would leave the floor pending`},
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
		{"negative floor", map[string]string{"generalMinNodes": "-1"},
			`production: novacron-platform:generalMinNodes must not be negative, got -1`},
		{"GPU pool without a ceiling", map[string]string{"mlMaxNodes": "0"},
			`production: novacron-platform:mlMaxNodes must be at least 1, got 0`},
		{"size not a number", map[string]string{"generalMaxNodes": "ten"},
			`production: novacron-platform:generalMaxNodes must be a whole number, got "ten"`},
		{"capacity type", map[string]string{"generalCapacityType": "reserved"},
			`production: novacron-platform:generalCapacityType must be "on-demand" or "spot", got "reserved"`},
		{"root volume too small", map[string]string{"mlDiskSizeGb": "10"},
			`production: novacron-platform:mlDiskSizeGb must be between 20 and 16384, got 10`},
		{"AMI alias instead of a release", map[string]string{"nodeAmiRelease": "al2023@latest"},
			`production: novacron-platform:nodeAmiRelease must be an EKS AMI release version "<kubernetes patch>-<YYYYMMDD>" such as "1.35.3-20261120", got "al2023@latest"`},
		{"AMI release of another minor", map[string]string{"nodeAmiRelease": "1.34.1-20260714"},
			`production: novacron-platform:nodeAmiRelease must be a release for Kubernetes 1.35 (the cluster's kubernetesVersion), got "1.34.1-20260714"`},
		{"AMI release not a release", map[string]string{"nodeAmiRelease": "banana"},
			`production: novacron-platform:nodeAmiRelease must be an EKS AMI release version`},
		{"AMI release with an impossible date", map[string]string{"nodeAmiRelease": "1.35.6-20261340"},
			`production: novacron-platform:nodeAmiRelease has no valid build date (YYYYMMDD from 2023 on), got "1.35.6-20261340"`},
		{"Kubernetes minor the AMI release is not of", map[string]string{"kubernetesVersion": "1.34"},
			`production: novacron-platform:nodeAmiRelease must be a release for Kubernetes 1.34 (the cluster's kubernetesVersion), got "1.35.6-20260714"`},
		{"add-on version without =", map[string]string{"eksAddonVersions": `["coredns"]`},
			`production: novacron-platform:eksAddonVersions entries must be "<add-on>=<version>" such as "coredns=v1.14.3-eksbuild.3", got "coredns"`},
		{"add-on the cluster does not install", map[string]string{"eksAddonVersions": `["cluster-autoscaler=v1.35.0-eksbuild.1"]`},
			`production: novacron-platform:eksAddonVersions names an add-on the cluster does not install, "cluster-autoscaler"`},
		{"add-on version not an EKS build", map[string]string{"eksAddonVersions": `["coredns=1.14.3"]`},
			`production: novacron-platform:eksAddonVersions coredns must be an EKS add-on version such as v1.2.3-eksbuild.4, got "1.14.3"`},
		{"kube-proxy of another minor", map[string]string{"eksAddonVersions": `["kube-proxy=v1.34.6-eksbuild.13"]`},
			`production: novacron-platform:eksAddonVersions kube-proxy must be of the cluster's minor 1.35, got "v1.34.6-eksbuild.13"`},
		{"system nodes with GPUs", map[string]string{"systemInstanceType": "g5.xlarge"},
			`production: novacron-platform:systemInstanceType must be a type without GPU, got g5.xlarge`},
		{"one system node", map[string]string{"systemNodeCount": "1"},
			`production: novacron-platform:systemNodeCount must be between 2 and 10, got 1`},
		{"eleven system nodes", map[string]string{"systemNodeCount": "11"},
			`production: novacron-platform:systemNodeCount must be between 2 and 10, got 11`},
		{"maintenance window start", map[string]string{"maintenanceWindowStart": "2am"},
			`production: novacron-platform:maintenanceWindowStart must be a UTC time "HH:MM", got "2am"`},
		{"maintenance window of a whole day", map[string]string{"maintenanceWindowHours": "24"},
			`production: novacron-platform:maintenanceWindowHours must be between 1 and 23, got 24`},
		{"Karpenter chart", map[string]string{"karpenterChartVersion": "latest"},
			`production: novacron-platform:karpenterChartVersion must be an exact chart version such as 1.2.3, got "latest"`},
		{"negative baseline", map[string]string{"generalBaselineVcpus": "-1"},
			`production: novacron-platform:generalBaselineVcpus must not be negative, got -1`},
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
		{"no instance type", map[string]string{"generalInstanceTypes": "[]"},
			`production: novacron-platform:generalInstanceTypes must name at least one EC2 instance type`},
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
		{"misspelt instance type", map[string]string{"generalInstanceTypes": `["m5.xlage"]`},
			`production: novacron-platform:generalInstanceTypes must be an EC2 instance type, got "m5.xlage" (did you mean "m5.xlarge"?)`},
		{"retired GPU type", map[string]string{"mlInstanceTypes": `["p3.2xlarge"]`},
			`production: novacron-platform:mlInstanceTypes "p3.2xlarge" is retired by AWS`},
		{"GPU type in the general pool", map[string]string{"generalInstanceTypes": `["m5.xlarge","g5.xlarge"]`},
			`production: novacron-platform:generalInstanceTypes must not be GPU types in a pool without GPU, got g5.xlarge`},
		{"CPU type in the GPU pool", map[string]string{"mlInstanceTypes": `["g5.2xlarge","m5.2xlarge"]`},
			`production: novacron-platform:mlInstanceTypes must be NVIDIA GPU types for a GPU pool, got m5.2xlarge (m5 family has no GPU)`},
		{"two architectures in one pool", map[string]string{"generalInstanceTypes": `["m5.xlarge","m7g.xlarge"]`},
			`production: novacron-platform:generalInstanceTypes must share one architecture (one AMI per pool), got m5.xlarge (x86_64) and m7g.xlarge (arm64)`},
		{"instance types not a list", map[string]string{"mlInstanceTypes": "g5.2xlarge"},
			`production: novacron-platform:mlInstanceTypes must be a list of strings, got "g5.2xlarge"`},
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
		"vpcCidr": "nope", "mlMaxNodes": "-1", "dbBackupRetentionDays": "36",
	})
	require.Error(t, err)
	var cfgErr *Error
	require.ErrorAs(t, err, &cfgErr)
	assert.Len(t, cfgErr.Problems, 3, "%v", cfgErr.Problems)
	for _, key := range []string{"vpcCidr", "mlMaxNodes", "dbBackupRetentionDays"} {
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

	// The README's table says what Pulumi.yaml and Pulumi.staging.yaml say: each declared key
	// has one row, of its type and default, with staging's value when staging sets it.
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	rows := readmeConfigRows(t, string(readme))
	staging := stackFileValues(t, "../Pulumi.staging.yaml")
	var documented []string
	for key := range rows {
		documented = append(documented, key)
	}
	sort.Strings(documented)
	assert.Equal(t, declared, documented, "the README's config table has a row for every declared key, and no other")
	for _, key := range declared {
		row, ok := rows[key]
		if !ok {
			continue
		}
		decl := project.Config[key]
		wantType, wantDefault := "", "—"
		switch {
		case decl.Secret:
			wantType = "string (secret)"
		case decl.Type == nil:
		case *decl.Type == "array":
			wantType = "list of string"
		default:
			wantType = *decl.Type
		}
		if !decl.Secret {
			wantDefault = "`" + readmeValue(decl.Default) + "`"
		}
		assert.Equal(t, wantType, row.typ, "README: type of %s", key)
		assert.Equal(t, wantDefault, row.def, "README: default of %s", key)
		if v, set := staging[key]; set {
			assert.True(t, strings.HasPrefix(row.staging, "`"+readmeValue(v)+"`"),
				"README: staging column of %s is %q, Pulumi.staging.yaml sets `%s`", key, row.staging, readmeValue(v))
		} else {
			assert.Empty(t, row.staging, "README: staging column of %s, which Pulumi.staging.yaml does not set", key)
		}
		assert.NotEmpty(t, row.description, "README: description of %s", key)
	}
}

// readmeRow is a row of the README's config table: | `key` | type | default | staging | description |.
type readmeRow struct{ typ, def, staging, description string }

func readmeConfigRows(t *testing.T, readme string) map[string]readmeRow {
	t.Helper()
	rows := map[string]readmeRow{}
	line := regexp.MustCompile("(?m)^\\| `([A-Za-z0-9]+)` \\| (.*) \\|$")
	for _, m := range line.FindAllStringSubmatch(readme, -1) {
		cells := strings.Split(m[2], " | ")
		if len(cells) < 4 {
			continue // another table (the policy tables have two columns)
		}
		require.NotContains(t, rows, m[1], "README: %s has two rows", m[1])
		rows[m[1]] = readmeRow{
			typ: strings.TrimSpace(cells[0]), def: strings.TrimSpace(cells[1]), staging: strings.TrimSpace(cells[2]),
			description: strings.TrimSpace(strings.Join(cells[3:], " | ")),
		}
	}
	return rows
}

// stackFileValues returns the values a stack file sets for our keys, by short key.
func stackFileValues(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	out := map[string]any{}
	for k, v := range doc.Config {
		if short, ok := strings.CutPrefix(k, Project+":"); ok {
			out[short] = v
		}
	}
	return out
}

// readmeValue writes a config value the way the README's table does: lists as [a, b].
func readmeValue(v any) string {
	if list, ok := v.([]any); ok {
		items := make([]string, len(list))
		for i, e := range list {
			items[i] = readmeValue(e)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return fmt.Sprint(v)
}
