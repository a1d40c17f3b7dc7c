package compliance

import "github.com/novacron/platform/internal/mock"

func logGroup(props map[string]any) *mock.Resource { return res(tLogGroup, "flow-logs", props) }

var logGroupOK = map[string]any{"name": "/novacron/production/vpc/network/flow-logs", "retentionInDays": 365, "kmsKeyId": keyArn}

func init() { policyCases = append(policyCases, logsCases...) }

var logsCases = []policyCase{
	// --- logs-encrypted-with-cmk (Checkov CKV_AWS_158)
	{policy: "logs-encrypted-with-cmk", kind: compliant, name: "customer managed key",
		resources: []*mock.Resource{logGroup(logGroupOK)}},
	{policy: "logs-encrypted-with-cmk", kind: violating, name: "no key",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "kmsKeyId", del))},
		want:      []string{"flow-logs: kmsKeyId is not set: the log group is encrypted with CloudWatch Logs' own key, not a customer managed key"}},
	{policy: "logs-encrypted-with-cmk", kind: unknownIn, name: "key not created yet",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "kmsKeyId", unknownValue))},
		pending:   []string{"flow-logs: kmsKeyId is not known yet"}},

	// --- logs-retention-set (Checkov CKV_AWS_66)
	{policy: "logs-retention-set", kind: compliant, name: "30 days",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 30))}},
	{policy: "logs-retention-set", kind: violating, name: "unset",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", del))},
		want:      []string{"flow-logs: retentionInDays is not set: the log group keeps its events forever"}},
	{policy: "logs-retention-set", kind: violating, name: "0 never expires",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 0))},
		want:      []string{"flow-logs: retentionInDays is 0: the log group keeps its events forever"}},
	{policy: "logs-retention-set", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", unknownValue))},
		pending:   []string{"flow-logs: retentionInDays is not known yet"}},

	// --- logs-retention-one-year-production (Checkov CKV_AWS_338, PCI DSS 10.5.1)
	{policy: "logs-retention-one-year-production", kind: compliant, name: "365 days in production", stack: "production",
		resources: []*mock.Resource{logGroup(logGroupOK)}},
	{policy: "logs-retention-one-year-production", kind: compliant, name: "never expires is long enough here", stack: "production",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 0))}},
	{policy: "logs-retention-one-year-production", kind: compliant, name: "30 days in staging", status: StatusNotApplicable,
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 30))}},
	{policy: "logs-retention-one-year-production", kind: violating, name: "90 days in production", stack: "production",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", 90))},
		want:      []string{`flow-logs: retentionInDays is 90 in production stack "production": audit logs must be kept at least 365 days (PCI DSS 10.5.1, 12 months)`}},
	{policy: "logs-retention-one-year-production", kind: unknownIn, name: "unknown", stack: "production",
		resources: []*mock.Resource{logGroup(set(logGroupOK, "retentionInDays", unknownValue))},
		pending:   []string{"flow-logs: retentionInDays is not known yet"}},
}
