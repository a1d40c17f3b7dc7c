package compliance

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

const exceptionReason = "a third-party credential that no rotation function can renew"

func exceptionPolicyResult(t *testing.T, rep Report, name string) PolicyResult {
	t.Helper()
	for _, p := range rep.Policies {
		if p.Name == name {
			return p
		}
	}
	require.Failf(t, "no result", "policy %s is not in the report", name)
	return PolicyResult{}
}

// An exempted resource is left out of its policy: the policy does not fail on it, does not count
// it as checked, and the report carries the reason. A policy left with nothing to check is not
// applicable, so its controls are not scored rather than scored as passed.
func TestExceptionsLeaveResourcesOut(t *testing.T) {
	secret := func(name string) *mock.Resource {
		return res(tSecret, name, map[string]any{"kmsKeyId": keyArn, "description": name})
	}
	// No other policy maps to ISO 27001 A.5.17, which makes the scoring visible.
	tests := []struct {
		name       string
		exceptions []PolicyException
		status     PolicyStatus
		violations []string
		exempted   []string
		a517       string // "failed", "passed" or "not checked"
	}{
		{"no exception", nil, StatusFailed, []string{"app-a", "app-b"}, nil, "failed"},
		{"one of two exempted", []PolicyException{{Policy: "secretsmanager-rotation", Resource: "app-a", Reason: exceptionReason}},
			StatusFailed, []string{"app-b"}, []string{"app-a"}, "failed"},
		{"both exempted", []PolicyException{
			{Policy: "secretsmanager-rotation", Resource: "app-a", Reason: exceptionReason},
			{Policy: "secretsmanager-rotation", Resource: "app-b", Reason: exceptionReason},
		}, StatusNotApplicable, nil, []string{"app-a", "app-b"}, "not checked"},
		{"an exception for another policy changes nothing", []PolicyException{
			{Policy: "secretsmanager-cmk", Resource: "app-a", Reason: exceptionReason},
		}, StatusFailed, []string{"app-a", "app-b"}, nil, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Exceptions = tt.exceptions
			rep := Evaluate([]*mock.Resource{secret("app-a"), secret("app-b")}, "staging", cfg)

			pr := exceptionPolicyResult(t, rep, "secretsmanager-rotation")
			assert.Equal(t, tt.status, pr.Status)
			var violations []string
			for _, v := range rep.Violations {
				if v.Policy == "secretsmanager-rotation" {
					violations = append(violations, v.Name)
				}
			}
			assert.Equal(t, tt.violations, violations)
			var exempted []string
			for _, e := range pr.Exceptions {
				assert.Equal(t, exceptionReason, e.Reason)
				assert.Equal(t, tSecret, e.Resource.Type)
				exempted = append(exempted, e.Resource.Name)
			}
			assert.Equal(t, tt.exempted, exempted)

			iso := frameworkResult(t, rep, ISO27001)
			switch tt.a517 {
			case "failed":
				assert.Contains(t, iso.FailedControls, "A.5.17")
			case "not checked":
				assert.NotContains(t, iso.FailedControls, "A.5.17")
				assert.Contains(t, iso.NotChecked, "A.5.17")
			}
		})
	}
}

// iamExceptions, the earlier IAM-only form, still exempts, the same way.
func TestIAMExceptionsStillApply(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*"}]}`
	rs := []*mock.Resource{res(tIAMPolicy, "deploy", map[string]any{"policy": doc})}
	cfg := DefaultConfig()
	var iam []IAMException
	for _, v := range Evaluate(rs, "staging", cfg).Violations {
		if slices.Contains(iamPolicyNames, v.Policy) {
			iam = append(iam, IAMException{Policy: v.Policy, Resource: v.Name, Reason: exceptionReason})
		}
	}
	require.NotEmpty(t, iam, "the fixture must violate an IAM policy without the exceptions")

	cfg.IAMExceptions = iam
	rep := Evaluate(rs, "staging", cfg)
	for _, v := range rep.Violations {
		assert.NotContains(t, iamPolicyNames, v.Policy, "%s", v)
	}
	assert.Len(t, exceptionPolicyResult(t, rep, iamNoUnconstrainedWrites).Exceptions, 1)
}

func TestExceptionsValidation(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"compliance-settings": {"exceptions": [
		{"policy": "secretsmanager-rotation", "resource": "secrets-api/config", "reason": "` + exceptionReason + `"}]}}`))
	require.NoError(t, err)
	assert.Equal(t, []PolicyException{{Policy: "secretsmanager-rotation", Resource: "secrets-api/config", Reason: exceptionReason}}, cfg.Exceptions)

	ok := `{"policy": "secretsmanager-rotation", "resource": "x", "reason": "` + exceptionReason + `"}`
	for _, tt := range []struct{ raw, msg string }{
		{`{"policy": "no-such-policy", "resource": "x", "reason": "` + exceptionReason + `"}`,
			`exceptions[0]: policy "no-such-policy" is not a policy of the pack`},
		{`{"policy": "compliance-settings", "resource": "x", "reason": "` + exceptionReason + `"}`,
			`exceptions[0]: policy "compliance-settings" checks no resource type`},
		{`{"policy": "secretsmanager-rotation", "resource": " ", "reason": "` + exceptionReason + `"}`,
			"exceptions[0] (secretsmanager-rotation): resource must name the exempted resource"},
		{`{"policy": "secretsmanager-rotation", "resource": "x", "reason": "manual"}`,
			"exceptions[0] (secretsmanager-rotation, x): reason must say, in at least 20 characters, why"},
		{ok + `, ` + ok, "exceptions[1]: x is exempted from secretsmanager-rotation twice"},
		{`{"policy": "secretsmanager-rotation", "resource": "x", "reason": "` + exceptionReason + `", "until": "2027"}`,
			`unknown field "until"`},
	} {
		_, err := ParseConfig([]byte(`{"compliance-settings": {"exceptions": [` + tt.raw + `]}}`))
		assert.ErrorContains(t, err, tt.msg, tt.raw)
	}
}
