package baseline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/policy/compliance"
)

// policyConfig holds the pack's settings for the stacks outside the platform (the required tags
// of every AWS resource), shared with the bootstrap project.
const policyConfig = "../../policy/config.bootstrap.json"

// TestAccountPassesThePolicyPack runs the committed stack as the CLI would (Pulumi.yaml's declared
// values, aws:defaultTags included, the secret endpoint as a placeholder) under the mock engine
// and evaluates the policy pack over what it registers, with production's rules (the account holds
// production).
func TestAccountPassesThePolicyPack(t *testing.T) {
	stack, err := ReadStackConfig("..", "shared")
	require.NoError(t, err)
	cfg, err := compliance.LoadConfigFile(policyConfig)
	require.NoError(t, err)
	eng := mock.NewEngine(Project, "production", nil)
	require.NoError(t, eng.Run(stack.Values, stack.SecretKeys, Program))

	rep := compliance.Evaluate(compliance.WithDefaultProviders(eng.Resources(), stack.Values), "production", cfg)
	for _, v := range rep.Violations {
		t.Log(v.String())
	}
	require.NoError(t, rep.MandatoryErr())
	assert.Empty(t, rep.Violations, "no advisory violations either")
	status := map[string]compliance.PolicyStatus{}
	for _, p := range rep.Policies {
		status[p.Name] = p.Status
	}
	for _, name := range []string{"required-tags", "s3-encryption", "s3-public-access-block", "s3-tls-only",
		"s3-versioning", "kms-key-rotation", "kms-explicit-key-policy", "logs-encrypted-with-cmk",
		"logs-retention-one-year-production"} {
		assert.Equal(t, compliance.StatusPassed, status[name], name)
	}
}

// TestAccountPolicyFailsWithoutTags proves the evaluation above can fail.
func TestAccountPolicyFailsWithoutTags(t *testing.T) {
	stack, err := ReadStackConfig("..", "shared")
	require.NoError(t, err)
	cfg, err := compliance.LoadConfigFile(policyConfig)
	require.NoError(t, err)
	stack.Values["aws:defaultTags"] = `{"tags":{"Project":"novacron"}}`
	eng := mock.NewEngine(Project, "production", nil)
	require.NoError(t, eng.Run(stack.Values, stack.SecretKeys, Program))
	rep := compliance.Evaluate(compliance.WithDefaultProviders(eng.Resources(), stack.Values), "production", cfg)
	assert.Error(t, rep.MandatoryErr())
}
