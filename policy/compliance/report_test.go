package compliance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

func frameworkResult(t *testing.T, rep Report, f Framework) FrameworkResult {
	t.Helper()
	for _, r := range rep.Frameworks {
		if r.Framework == f {
			return r
		}
	}
	t.Fatalf("no result for %s", f)
	return FrameworkResult{}
}

// One unencrypted database in production, tagged through the provider: the RDS and tag policies
// are checked, everything else has nothing to look at.
func TestScore(t *testing.T) {
	rs := using(awsProvider(allTags), res(tRDSInstance, "db", set(rdsOK, "storageEncrypted", false)), res(tRDSParameterGroup, "main-pg", pgOK))
	cfg := DefaultConfig()
	cfg.RequiredHelmCharts = []string{} // no Kubernetes in this stack
	rep := Evaluate(rs, "production", cfg)

	soc := frameworkResult(t, rep, SOC2)
	assert.Equal(t, FrameworkResult{
		Framework: SOC2, InScope: 9, Checked: 6, Passed: 5, Failed: 1, Score: 83.3,
		FailedControls: []string{"CC6.1"}, NotChecked: []string{"A1.1", "CC6.3", "CC8.1"},
	}, soc)

	iso := frameworkResult(t, rep, ISO27001)
	assert.Equal(t, 11, iso.Checked)
	assert.Equal(t, 10, iso.Passed)
	assert.Equal(t, []string{"A.8.24"}, iso.FailedControls)
	assert.Equal(t, 90.9, iso.Score)

	eks := frameworkResult(t, rep, CISEKS)
	assert.Equal(t, 0, eks.Checked, "no EKS resource: nothing checked, score not meaningful")
	assert.Equal(t, eks.InScope, len(eks.NotChecked))

	assert.Equal(t, StatusFailed, statusOf(rep, "rds-storage-encrypted"))
	assert.Equal(t, StatusPassed, statusOf(rep, "rds-tls-enforced"))
	assert.Equal(t, StatusNotApplicable, statusOf(rep, "eks-endpoint-access"))

	// The same stack as staging: the production-only policies drop out of the checked controls.
	staging := Evaluate(rs, "staging", cfg)
	assert.Equal(t, StatusNotApplicable, statusOf(staging, "rds-multi-az-production"))
	assert.NotContains(t, frameworkResult(t, staging, ISO27001).FailedControls, "A.8.14")
	assert.Contains(t, frameworkResult(t, staging, ISO27001).NotChecked, "A.8.14")
}

func TestPendingChecksDoNotCount(t *testing.T) {
	rs := []*mock.Resource{res(tKMSKey, "key", map[string]any{"enableKeyRotation": unknownValue})}
	rep := Evaluate(rs, "staging", DefaultConfig())
	assert.Equal(t, StatusPending, statusOf(rep, "kms-key-rotation"))
	assert.Contains(t, frameworkResult(t, rep, CISAWS).NotChecked, "3.6")
	assert.Empty(t, found(rep, "kms-key-rotation"))
}

func TestEnforcementLevelOverrides(t *testing.T) {
	rs := []*mock.Resource{res(tRDSInstance, "db", set(rdsOK, "publiclyAccessible", true))}

	cfg := DefaultConfig()
	cfg.Levels = map[string]Level{"all": Advisory}
	rep := Evaluate(rs, "staging", cfg)
	require.NotEmpty(t, rep.Violations)
	for _, v := range rep.Violations {
		assert.Equal(t, Advisory, v.Level)
	}
	assert.NoError(t, rep.MandatoryErr())

	cfg.Levels = map[string]Level{"rds-not-publicly-accessible": Disabled}
	rep = Evaluate(rs, "staging", cfg)
	assert.Empty(t, found(rep, "rds-not-publicly-accessible"))
	assert.Equal(t, StatusDisabled, statusOf(rep, "rds-not-publicly-accessible"))
	// 2.3.3 is mapped by that policy only: disabling it takes the control out of scope.
	cis := frameworkResult(t, rep, CISAWS)
	assert.NotContains(t, cis.NotChecked, "2.3.3")
	assert.NotContains(t, cis.FailedControls, "2.3.3")

	cfg.Levels = nil
	rep = Evaluate(rs, "staging", cfg)
	err := rep.MandatoryErr()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `[mandatory/critical] rds-not-publicly-accessible (aws:rds/instance:Instance db): publiclyAccessible is true`)
}

func TestSummaryAndEngineMessage(t *testing.T) {
	rep := Evaluate([]*mock.Resource{res(tECRRepository, "app", map[string]any{"imageTagMutability": "IMMUTABLE"})}, "staging", DefaultConfig())
	v := rep.Violations[slicesIndex(rep.Violations, "ecr-scan-on-push")]
	assert.Equal(t, "ECR repositories scan images for vulnerabilities on push.\n"+
		"imageScanningConfiguration.scanOnPush is not true: pushed images are not scanned for vulnerabilities", v.EngineMessage())
	s := rep.Summary()
	assert.Contains(t, s, "stack staging (production: false)")
	assert.Contains(t, s, "[mandatory/high] ecr-scan-on-push (aws:ecr/repository:Repository app)")
	assert.True(t, strings.Contains(s, "CIS Amazon EKS v1.0.1") && strings.Contains(s, "score n/a"))
}

func slicesIndex(vs []Violation, policy string) int {
	for i, v := range vs {
		if v.Policy == policy {
			return i
		}
	}
	return -1
}

func TestPoliciesMetadata(t *testing.T) {
	ps := Policies()
	require.Equal(t, SettingsPolicyName, ps[0].Name, "policyx runs resource policies in order: settings first")
	names := map[string]bool{}
	for _, p := range ps {
		assert.False(t, names[p.Name], "duplicate %s", p.Name)
		names[p.Name] = true
		assert.NotEmpty(t, p.Description, p.Name)
		assert.NotEmpty(t, p.Remediation, p.Name)
		assert.Contains(t, []Level{Mandatory, Advisory}, p.Level, p.Name)
		assert.Contains(t, []Severity{Critical, High, Medium, Low}, p.Severity, p.Name)
		if p.Name != SettingsPolicyName {
			assert.NotEmpty(t, p.Controls, "%s maps to no control", p.Name)
		}
		for _, c := range p.Controls {
			assert.Contains(t, Frameworks, c.Framework)
		}
	}
}
