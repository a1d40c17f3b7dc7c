package state

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/policy/compliance"
)

// bootstrapPolicyConfig is the pack's configuration for the bootstrap stack, beside the platform
// stacks' files.
const bootstrapPolicyConfig = "../../policy/config.bootstrap.json"

// TestBootstrapPassesThePolicyPack runs the bootstrap program as the CLI would run it (Pulumi.yaml's
// declared values, aws:defaultTags included) under the mock engine and evaluates the policy pack
// over what it registers: the state backend alone, and with the CI roles.
func TestBootstrapPassesThePolicyPack(t *testing.T) {
	declared, err := ReadStackConfig("..", "bootstrap")
	require.NoError(t, err)
	require.False(t, declared.FromStackFile, "no bootstrap stack file is committed; the test uses the declared values")
	cfg, err := compliance.LoadConfigFile(bootstrapPolicyConfig)
	require.NoError(t, err)

	tests := []struct {
		name  string
		extra map[string]string
		roles int
	}{
		{name: "backend only"},
		{name: "with CI roles", extra: map[string]string{Project + ":githubRepository": testRepo}, roles: 2},
		{name: "with CI roles and an existing OIDC provider", extra: map[string]string{
			Project + ":githubRepository":      testRepo,
			Project + ":githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
		}, roles: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]string{}
			for k, v := range declared.Values {
				values[k] = v
			}
			for k, v := range tt.extra {
				values[k] = v
			}
			eng := mock.NewEngine(Project, "bootstrap", nil)
			require.NoError(t, eng.Run(values, nil, Program))
			require.Len(t, eng.ByType(typeRole), tt.roles)

			rep := compliance.Evaluate(compliance.WithDefaultProviders(eng.Resources(), values), "bootstrap", cfg)
			for _, v := range rep.Violations {
				t.Log(v.String())
			}
			require.NoError(t, rep.MandatoryErr())
			checked := 0
			for _, p := range rep.Policies {
				checked += p.Checked
			}
			assert.NotZero(t, checked, "the pack must have judged the bootstrap's resources")
			// The policies that matter here ran and passed, rather than finding nothing to judge.
			status := map[string]compliance.PolicyStatus{}
			for _, p := range rep.Policies {
				status[p.Name] = p.Status
			}
			judged := []string{"required-tags", "s3-encryption", "s3-public-access-block", "s3-tls-only", "kms-key-rotation", "kms-explicit-key-policy"}
			if tt.roles > 0 {
				judged = append(judged, "iam-trust-restricted-principals", "iam-oidc-trust-pinned", "iam-no-admin-actions")
			}
			for _, name := range judged {
				assert.Equal(t, compliance.StatusPassed, status[name], name)
			}
		})
	}
}

// TestBootstrapPolicyFailsOnAWeakenedBackend proves the evaluation above can fail: the same
// program with the required tags stripped from the provider's default tags breaks the pack.
func TestBootstrapPolicyFailsOnAWeakenedBackend(t *testing.T) {
	declared, err := ReadStackConfig("..", "bootstrap")
	require.NoError(t, err)
	cfg, err := compliance.LoadConfigFile(bootstrapPolicyConfig)
	require.NoError(t, err)
	values := map[string]string{}
	for k, v := range declared.Values {
		values[k] = v
	}
	values["aws:defaultTags"] = `{"tags":{"Project":"novacron"}}`
	eng := mock.NewEngine(Project, "bootstrap", nil)
	require.NoError(t, eng.Run(values, nil, Program))
	rep := compliance.Evaluate(compliance.WithDefaultProviders(eng.Resources(), values), "bootstrap", cfg)
	assert.Error(t, rep.MandatoryErr())
}

func TestReadStackConfig(t *testing.T) {
	t.Run("declared values", func(t *testing.T) {
		got, err := ReadStackConfig("..", "bootstrap")
		require.NoError(t, err)
		assert.Equal(t, "novacron-pulumi", got.Values[Project+":keyAliasPrefix"])
		assert.Equal(t, "30", got.Values[Project+":keyDeletionWindowDays"])
		assert.JSONEq(t, `["staging","production"]`, got.Values[Project+":deployEnvironments"])
		assert.Contains(t, got.Values["aws:defaultTags"], `"ManagedBy":"pulumi"`)
	})
	t.Run("stack file overrides", func(t *testing.T) {
		dir := t.TempDir()
		yaml, err := os.ReadFile("../Pulumi.yaml")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), yaml, 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.acct.yaml"),
			[]byte("config:\n  aws:region: eu-west-1\n  novacron-bootstrap:githubRepository: acme/platform\n"), 0o600))
		got, err := ReadStackConfig(dir, "acct")
		require.NoError(t, err)
		assert.True(t, got.FromStackFile)
		assert.Equal(t, "acme/platform", got.Values[Project+":githubRepository"])
		assert.Equal(t, "eu-west-1", got.Values["aws:region"])
	})
	t.Run("encrypted value", func(t *testing.T) {
		dir := t.TempDir()
		yaml, err := os.ReadFile("../Pulumi.yaml")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), yaml, 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.acct.yaml"),
			[]byte("config:\n  novacron-bootstrap:bucketName:\n    secure: AAABAA==\n"), 0o600))
		_, err = ReadStackConfig(dir, "acct")
		require.ErrorContains(t, err, "novacron-bootstrap:bucketName is encrypted")
	})
	t.Run("another project", func(t *testing.T) {
		_, err := ReadStackConfig("../..", "staging")
		require.ErrorContains(t, err, `project is "novacron-platform", want "novacron-bootstrap"`)
	})
}
