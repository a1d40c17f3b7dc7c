package compliance

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"github.com/novacron/platform/internal/mock"
)

func init() { policyCases = append(policyCases, dataCases...) }

func backupPlan(props map[string]any) *mock.Resource { return res(tBackupPlan, "backup", props) }

// planOK is the platform's plan in production: daily points kept 35 days, monthly ones a year.
var planOK = map[string]any{"rules": []any{
	map[string]any{"ruleName": "daily", "lifecycle": map[string]any{"deleteAfter": 35}},
	map[string]any{"ruleName": "monthly", "lifecycle": map[string]any{"deleteAfter": 365}},
}}

func inEU(c *Config) { c.AllowedRegions = []string{"eu-central-1", "eu-west-1"} }

var dataCases = []policyCase{
	// --- data-residency-allowed-regions (GDPR Art. 44)
	{policy: "data-residency-allowed-regions", kind: compliant, name: "allowed region", cfg: inEU, status: StatusPassed,
		resources: using(res(tAWSProvider, "aws", map[string]any{"region": "eu-central-1"}), rds(rdsOK))},
	{policy: "data-residency-allowed-regions", kind: compliant, name: "no regions configured checks nothing", status: StatusNotApplicable,
		resources: using(res(tAWSProvider, "aws", map[string]any{"region": "ap-south-1"}), rds(rdsOK))},
	{policy: "data-residency-allowed-regions", kind: violating, name: "region outside", cfg: inEU,
		resources: using(res(tAWSProvider, "aws", map[string]any{"region": "us-east-1"}), rds(rdsOK)),
		want:      []string{"aws: region us-east-1 of provider aws is not one of the allowed regions (eu-central-1, eu-west-1)"}},
	{policy: "data-residency-allowed-regions", kind: violating, name: "region from the environment", cfg: inEU,
		resources: using(res(tAWSProvider, "aws", map[string]any{}), rds(rdsOK)),
		want:      []string{"aws: region of provider aws is not set: resources go wherever the deployer's AWS_REGION points, not only to eu-central-1, eu-west-1"}},
	{policy: "data-residency-allowed-regions", kind: unknownIn, name: "unknown", cfg: inEU,
		resources: using(res(tAWSProvider, "aws", map[string]any{"region": unknownValue}), rds(rdsOK)),
		pending:   []string{"aws: region is not known yet"}},

	// --- logs-retention-bounded (GDPR Art. 5(1)(e))
	{policy: "logs-retention-bounded", kind: compliant, name: "a year",
		resources: []*mock.Resource{logGroup(logGroupOK)}},
	{policy: "logs-retention-bounded", kind: compliant, name: "at the bound",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 731))}},
	{policy: "logs-retention-bounded", kind: violating, name: "ten years",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 3653))},
		want:      []string{"flow-logs: retentionInDays is 3653: log events may be kept at most 731 days"}},
	{policy: "logs-retention-bounded", kind: violating, name: "configured bound",
		cfg:       func(c *Config) { c.MaxLogRetentionDays = 400 },
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 545))},
		want:      []string{"flow-logs: retentionInDays is 545: log events may be kept at most 400 days"}},
	{policy: "logs-retention-bounded", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", unknownValue))},
		pending:   []string{"flow-logs: retentionInDays is not known yet"}},
	// --- backup-retention-bounded (GDPR Art. 5(1)(e))
	{policy: "backup-retention-bounded", kind: compliant, name: "35 days and a year",
		resources: []*mock.Resource{backupPlan(planOK)}},
	{policy: "backup-retention-bounded", kind: violating, name: "kept forever and ten years in a copy",
		resources: []*mock.Resource{backupPlan(map[string]any{"rules": []any{
			map[string]any{"ruleName": "daily", "lifecycle": map[string]any{}},
			map[string]any{"ruleName": "monthly", "lifecycle": map[string]any{"deleteAfter": 365},
				"copyActions": []any{map[string]any{"lifecycle": map[string]any{"deleteAfter": 3650}}}},
		}})},
		want: []string{
			"backup: rule daily: lifecycle.deleteAfter is not set: recovery points are kept until deleted by hand",
			"backup: rule monthly copy 0: lifecycle.deleteAfter is 3650 days: recovery points may be kept at most 731 days",
		}},
	{policy: "backup-retention-bounded", kind: violating, name: "configured bound",
		cfg:       func(c *Config) { c.MaxBackupRetentionDays = 90 },
		resources: []*mock.Resource{backupPlan(planOK)},
		want:      []string{"backup: rule monthly: lifecycle.deleteAfter is 365 days: recovery points may be kept at most 90 days"}},
	{policy: "backup-retention-bounded", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{backupPlan(set(planOK, "rules", []any{
			map[string]any{"ruleName": "daily", "lifecycle": map[string]any{"deleteAfter": unknownValue}}}))},
		pending: []string{"backup: rule daily: lifecycle.deleteAfter is not known yet"}},
}

// A provider the engine passes only as a resource's reference (not among the stack's resources)
// is checked too, once, and reported on the first resource that uses it.
func TestResidencyOfReferencedProviders(t *testing.T) {
	provider := func(region string) *Provider {
		return &Provider{Type: tAWSProvider, URN: urnOf(tAWSProvider, "replica-"+region), Name: "replica-" + region,
			Props: resource.FromResourcePropertyMap(resource.NewPropertyMapFromMap(map[string]any{"region": region}))}
	}
	far := provider("us-west-2")
	rs := []*Resource{
		{Type: tRDSInstance, Name: "db", URN: urnOf(tRDSInstance, "db"), Provider: far},
		{Type: tBucket, Name: "copy", URN: urnOf(tBucket, "copy"), Provider: far},
		{Type: tBucket, Name: "home", URN: urnOf(tBucket, "home"), Provider: provider("eu-west-1")},
	}
	cfg := DefaultConfig()
	inEU(&cfg)
	rep := EvaluateResources(rs, "staging", cfg)
	assert.Equal(t, []string{"db: region us-west-2 of provider replica-us-west-2 is not one of the allowed regions (eu-central-1, eu-west-1)"},
		found(rep, "data-residency-allowed-regions"))
}
