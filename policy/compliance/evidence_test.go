package compliance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

func controlOf(t *testing.T, ev Evidence, f Framework, id string) ControlEvidence {
	t.Helper()
	for _, fe := range ev.Frameworks {
		if fe.Framework != f {
			continue
		}
		for _, c := range fe.Controls {
			if c.ID == id {
				return c
			}
		}
	}
	t.Fatalf("no evidence for %s %s", f, id)
	return ControlEvidence{}
}

func policyIn(t *testing.T, c ControlEvidence, name string) PolicyEvidence {
	t.Helper()
	for _, p := range c.Policies {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("control %s does not list policy %s", c.ID, name)
	return PolicyEvidence{}
}

// One unencrypted trail in production, a log group kept ten years, an exempted IAM policy and a
// Config rule for a control no policy covers here.
func TestBuildEvidence(t *testing.T) {
	rs := using(awsProvider(allTags),
		trail(set(trailOK, "kmsKeyId", del)),
		logGroup(set(logGroupOK, "retentionInDays", 3653)),
		res(tIAMPolicy, "ingress-policy", map[string]any{"policy": controllerPolicyDoc()}),
	)
	cfg := DefaultConfig()
	cfg.RequiredHelmCharts = []string{}
	cfg.Exceptions = []PolicyException{{Policy: "iam-no-unconstrained-writes", Resource: "ingress-policy",
		Reason: "the load balancer controller's documented policy"}}
	rules := []ConfigRule{
		{Name: "cloudtrail-enabled", Identifier: "CLOUD_TRAIL_ENABLED", Controls: join(cisAWS("3.1"))},
		{Name: "guardduty-enabled-centralized", Identifier: "GUARDDUTY_ENABLED_CENTRALIZED", Controls: join(soc2("CC9.9"))},
	}
	ev := BuildEvidence(Evaluate(rs, "production", cfg), rules)
	require.Len(t, ev.Frameworks, len(Frameworks))
	assert.True(t, ev.Production)

	// A failed policy fails the control and brings its finding.
	c := controlOf(t, ev, CISAWS, "3.5")
	assert.Equal(t, ControlFail, c.Result)
	p := policyIn(t, c, "cloudtrail-encrypted-with-cmk")
	assert.Equal(t, StatusFailed, p.Status)
	assert.Equal(t, []Ref{{Type: tTrail, Name: "trail"}}, p.Resources)
	assert.Equal(t, []string{"trail: kmsKeyId is not set: log files are encrypted with S3's own key, readable by anyone with s3:GetObject"}, p.Violations)

	// GDPR: the retention bound fails Art. 5(1)(e); the trail fails Art. 32.
	assert.Equal(t, ControlFail, controlOf(t, ev, GDPR, "Art. 5(1)(e)").Result)
	assert.Equal(t, ControlFail, controlOf(t, ev, GDPR, "Art. 32").Result)

	// Passing policies pass their control.
	c = controlOf(t, ev, CISAWS, "3.2")
	assert.Equal(t, ControlPass, c.Result)
	assert.Empty(t, c.Reason)

	// An exempted resource makes the control an exception, with the reason.
	c = controlOf(t, ev, ISO27001, "A.8.2")
	assert.Equal(t, ControlException, c.Result)
	p = policyIn(t, c, "iam-no-unconstrained-writes")
	assert.Equal(t, []Exception{{Resource: Ref{Type: tIAMPolicy, Name: "ingress-policy"}, Reason: "the load balancer controller's documented policy"}},
		p.Exceptions)

	// A trail makes the stack an account baseline: 3.1 passes, with its Config rule beside the
	// policy, and the missing recorder fails 3.3.
	c = controlOf(t, ev, CISAWS, "3.1")
	assert.Equal(t, ControlPass, c.Result)
	require.Len(t, c.ConfigRules, 1)
	assert.Equal(t, "cloudtrail-enabled", c.ConfigRules[0].Name)
	c = controlOf(t, ev, CISAWS, "3.3")
	assert.Equal(t, ControlFail, c.Result)
	assert.Contains(t, policyIn(t, c, "config-recorder-all-resources").Violations,
		"stack: the account baseline has no AWS Config recorder: configuration changes are not recorded")

	// Nothing to check: no EKS cluster in this stack.
	c = controlOf(t, ev, CISEKS, "5.4.1")
	assert.Equal(t, ControlNotChecked, c.Result)
	assert.Equal(t, "nothing in this stack for its policies to check", c.Reason)
	assert.Empty(t, c.ConfigRules)

	// A control only a Config rule covers is listed, not checked, and says why.
	c = controlOf(t, ev, SOC2, "CC9.9")
	assert.Equal(t, ControlNotChecked, c.Result)
	assert.Empty(t, c.Policies)
	assert.Equal(t, "covered by AWS Config rules only, which judge the deployed account", c.Reason)
}

// A value unknown until deployment leaves the control not checked, and says so.
func TestBuildEvidencePending(t *testing.T) {
	rep := Evaluate([]*mock.Resource{trail(set(trailOK, "enableLogFileValidation", unknownValue))}, "staging", DefaultConfig())
	c := controlOf(t, BuildEvidence(rep, nil), CISAWS, "3.2")
	assert.Equal(t, ControlNotChecked, c.Result)
	assert.Equal(t, "a value its policies read is not known until deployment", c.Reason)
}

func TestControlsOf(t *testing.T) {
	got, ok := ControlsOf("SOC 2 CC7.2", "CIS AWS Foundations v3.0.0 4.16", "GDPR Art. 5(1)(e)")
	require.True(t, ok)
	assert.Equal(t, []Control{{SOC2, "CC7.2"}, {CISAWS, "4.16"}, {GDPR, "Art. 5(1)(e)"}}, got)
	for _, c := range []Control{{SOC2, "CC7.2"}, {ISO27001, "A.8.15"}} {
		back, ok := ControlsOf(c.String())
		require.True(t, ok)
		assert.Equal(t, []Control{c}, back)
	}
	_, ok = ControlsOf("NIST 800-53 AU-2")
	assert.False(t, ok)
	_, ok = ControlsOf("SOC 2 ")
	assert.False(t, ok)
}
