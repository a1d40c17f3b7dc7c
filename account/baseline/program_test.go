package baseline

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/programconfig/programconfigtest"
)

// readConfig reads cfg with the program's config reader, as a stack would.
func readConfig(t *testing.T, cfg map[string]string) (BaselineArgs, []string) {
	t.Helper()
	return programconfigtest.Read(t, Project, cfg, LoadConfig)
}

// withEndpoint adds the secret alert endpoint to a configuration.
func withEndpoint(cfg map[string]string) (map[string]string, []string) {
	out := map[string]string{Project + ":alertEndpoint": testEndpoint}
	for k, v := range cfg {
		out[k] = v
	}
	return out, []string{Project + ":alertEndpoint"}
}

func TestPulumiYamlDeclaresEveryKeyTheProgramReads(t *testing.T) {
	proj := programconfigtest.LoadProject(t, "../Pulumi.yaml", Project)
	_, read := readConfig(t, nil)
	sort.Strings(read)
	assert.Equal(t, programconfigtest.Keys(proj), read)
	for _, key := range programconfigtest.Keys(proj) {
		decl := proj.Config[key]
		assert.NotNil(t, decl.Type, "%s: type", key)
		assert.NotEmpty(t, decl.Description, "%s: description", key)
		if decl.Secret {
			assert.Contains(t, SecretKeys, key)
			assert.Nil(t, decl.Default, "%s: a secret has no default", key)
			continue
		}
		assert.NotNil(t, decl.Default, "%s: default", key)
	}
}

// TestPulumiYamlDefaultsMatchTheComponent proves that a stack with no overrides builds exactly
// what the component builds with zero values, so the two lists of defaults cannot drift apart.
func TestPulumiYamlDefaultsMatchTheComponent(t *testing.T) {
	proj := programconfigtest.LoadProject(t, "../Pulumi.yaml", Project)
	fromYaml, _ := readConfig(t, programconfigtest.Defaults(t, proj))
	fromZero, _ := readConfig(t, nil)
	fromYaml.Region, fromZero.Region = "us-east-1", "us-east-1"
	yamlArgs, zeroArgs := fromYaml.withDefaults(), fromZero.withDefaults()
	// An empty list and no list mean the same: every bucket.
	assert.Empty(t, yamlArgs.S3DataEventBuckets)
	yamlArgs.S3DataEventBuckets, zeroArgs.S3DataEventBuckets = nil, nil
	assert.Equal(t, zeroArgs, yamlArgs)
	assert.Equal(t, DefaultObjectLockDays, fromYaml.ObjectLockDays, "declared defaults are values, not zeros")
	assert.Equal(t, DefaultInspectorResourceTypes, fromYaml.InspectorResourceTypes)
}

func TestProgramReportsEveryConfigProblemBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine(Project, "shared", nil)
	err := eng.Run(map[string]string{
		Project + ":trailName":                  "-bad--name",
		Project + ":trailLogRetentionDays":      "100",
		Project + ":objectLockMode":             "STRICT",
		Project + ":objectLockDays":             "400",
		Project + ":trailBucketRetentionDays":   "90",
		Project + ":keyDeletionWindowDays":      "three",
		Project + ":findingPublishingFrequency": "HOURLY",
		Project + ":inspectorResourceTypes":     `["ECR","EKS"]`,
		Project + ":s3DataEventBuckets":         `["My_Bucket"]`,
		Project + ":lambdaDataEvents":           "yes",
		Project + ":alertEndpoint":              testEndpoint, // plain: refused
	}, nil, Program)
	require.Error(t, err)
	for _, want := range []string{
		`shared: novacron-account:trailName must be 3-128 letters`,
		`shared: novacron-account:trailLogRetentionDays must be a CloudWatch Logs retention`,
		`shared: novacron-account:objectLockMode must be one of [GOVERNANCE COMPLIANCE], got "STRICT"`,
		`shared: novacron-account:trailBucketRetentionDays must be at least objectLockDays (400), got 90`,
		`shared: novacron-account:keyDeletionWindowDays must be an integer, got "three"`,
		`shared: novacron-account:findingPublishingFrequency must be one of [FIFTEEN_MINUTES ONE_HOUR SIX_HOURS], got "HOURLY"`,
		`shared: novacron-account:inspectorResourceTypes entries must be one of [EC2 ECR LAMBDA LAMBDA_CODE], got "EKS"`,
		`shared: novacron-account:s3DataEventBuckets entries must be S3 bucket names`,
		`shared: novacron-account:lambdaDataEvents must be true or false, got "yes"`,
		"shared: novacron-account:alertEndpoint must be set with `pulumi config set --secret alertEndpoint`, not in plain text",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), testEndpoint, "a secret is never quoted")
	assert.Empty(t, eng.Resources(), "nothing may be registered when the configuration is invalid")
}

func TestProgramNeedsTheAlertEndpoint(t *testing.T) {
	tests := []struct {
		name     string
		protocol string
		endpoint string
		want     string
	}{
		{"unset", "", "", "shared: novacron-account:alertEndpoint must be set with `pulumi config set --secret alertEndpoint`"},
		{"http for https", "https", "http://events.example.com/enqueue?key=s3cr3t", "shared: novacron-account:alertEndpoint must be an https:// URL for protocol https"},
		{"not an address", "email", "oncall-s3cr3t", "shared: novacron-account:alertEndpoint must be an e-mail address for protocol email"},
		{"unknown protocol", "sms", "+15550100", `shared: novacron-account:alertProtocol must be one of [https email], got "sms"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]string{Project + ":alertProtocol": tt.protocol}
			var secret []string
			if tt.endpoint != "" {
				cfg[Project+":alertEndpoint"] = tt.endpoint
				secret = []string{Project + ":alertEndpoint"}
			}
			eng := mock.NewEngine(Project, "shared", nil)
			err := eng.Run(cfg, secret, Program)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.endpoint != "" && tt.protocol != "sms" {
				assert.NotContains(t, err.Error(), tt.endpoint)
			}
			assert.Empty(t, eng.Resources())
		})
	}
}

func TestReadStackConfig(t *testing.T) {
	t.Run("the committed stack", func(t *testing.T) {
		got, err := ReadStackConfig("..", "shared")
		require.NoError(t, err)
		assert.True(t, got.FromStackFile)
		assert.Equal(t, "us-east-1", got.Values["aws:region"])
		assert.Equal(t, "COMPLIANCE", got.Values[Project+":objectLockMode"])
		assert.Equal(t, "365", got.Values[Project+":trailLogRetentionDays"])
		assert.Contains(t, got.Values["aws:defaultTags"], `"Environment":"shared"`)
		assert.Equal(t, []string{Project + ":alertEndpoint"}, got.Placeholders)
		assert.Equal(t, []string{Project + ":alertEndpoint"}, got.SecretKeys)
	})
	write := func(t *testing.T, stack string) string {
		dir := t.TempDir()
		yaml, err := os.ReadFile("../Pulumi.yaml")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), yaml, 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.acct.yaml"), []byte(stack), 0o600))
		return dir
	}
	t.Run("an encrypted endpoint becomes a placeholder", func(t *testing.T) {
		got, err := ReadStackConfig(write(t, "config:\n  novacron-account:alertEndpoint:\n    secure: AAABAA==\n"), "acct")
		require.NoError(t, err)
		assert.Equal(t, SecretPlaceholders["alertEndpoint"], got.Values[Project+":alertEndpoint"])
		assert.True(t, got.IsPlaceholder(Project+":alertEndpoint"))
	})
	t.Run("a plain endpoint stays plain, so the program refuses it", func(t *testing.T) {
		dir := write(t, "config:\n  novacron-account:alertEndpoint: "+testEndpoint+"\n")
		got, err := ReadStackConfig(dir, "acct")
		require.NoError(t, err)
		assert.Empty(t, got.SecretKeys)
		err = mock.NewEngine(Project, "acct", nil).Run(got.Values, got.SecretKeys, Program)
		require.ErrorContains(t, err, "not in plain text")
	})
	t.Run("an undeclared key", func(t *testing.T) {
		_, err := ReadStackConfig(write(t, "config:\n  novacron-account:objectLockDay: 30\n"), "acct")
		require.ErrorContains(t, err, "novacron-account:objectLockDay is not declared in Pulumi.yaml")
	})
	t.Run("another encrypted key", func(t *testing.T) {
		_, err := ReadStackConfig(write(t, "config:\n  novacron-account:trailName:\n    secure: AAABAA==\n"), "acct")
		require.ErrorContains(t, err, "novacron-account:trailName is encrypted")
	})
	t.Run("another project", func(t *testing.T) {
		_, err := ReadStackConfig("../..", "staging")
		require.ErrorContains(t, err, `project is "novacron-platform", want "novacron-account"`)
	})
}

// TestCommittedStackRuns runs the program as preflight would: the committed stack file with the
// placeholder endpoint.
func TestCommittedStackRuns(t *testing.T) {
	cfg, err := ReadStackConfig("..", "shared")
	require.NoError(t, err)
	eng := mock.NewEngine(Project, "shared", nil)
	require.NoError(t, eng.Run(cfg.Values, cfg.SecretKeys, Program))
	lock := eng.Find(typeObjectLock, "novacron-account-trail-bucket-object-lock")
	require.NotNil(t, lock)
	v, ok := lock.Input("rule.defaultRetention.mode")
	require.True(t, ok)
	assert.Equal(t, "COMPLIANCE", v.StringValue())
}
