package compliance

import "github.com/novacron/platform/internal/mock"

func init() { policyCases = append(policyCases, dataCases...) }

func inEU(c *Config) { c.AllowedRegions = []string{"eu-central-1", "eu-west-1"} }

var dataCases = []policyCase{
	// --- data-residency-allowed-regions (GDPR Art. 44)
	{policy: "data-residency-allowed-regions", kind: compliant, name: "allowed region", cfg: inEU, status: StatusPassed,
		resources: using(res(tAWSProvider, "aws", map[string]any{"region": "eu-central-1"}), rds(rdsOK))},
	{policy: "data-residency-allowed-regions", kind: compliant, name: "no regions configured checks nothing", status: StatusNotApplicable,
		resources: using(res(tAWSProvider, "aws", map[string]any{"region": "ap-south-1"}), rds(rdsOK))},
	{policy: "data-residency-allowed-regions", kind: violating, name: "region outside", cfg: inEU,
		resources: using(res(tAWSProvider, "aws", map[string]any{"region": "us-east-1"}), rds(rdsOK)),
		want:      []string{"aws: region us-east-1 is not one of the allowed regions (eu-central-1, eu-west-1)"}},
	{policy: "data-residency-allowed-regions", kind: violating, name: "region from the environment", cfg: inEU,
		resources: using(res(tAWSProvider, "aws", map[string]any{}), rds(rdsOK)),
		want:      []string{"aws: region is not set: resources go wherever the deployer's AWS_REGION points, not only to eu-central-1, eu-west-1"}},
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
}
