package compliance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// A compliant account baseline: the fixtures of the account policies change one part of it.

var (
	trailOK = map[string]any{
		"s3BucketName": "trail-logs", "isMultiRegionTrail": true, "includeGlobalServiceEvents": true,
		"enableLogFileValidation": true, "kmsKeyId": keyArn,
		"cloudWatchLogsGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/novacron/cloudtrail:*",
		"cloudWatchLogsRoleArn":  "arn:aws:iam::123456789012:role/cloudtrail-logs",
	}
	recorderOK = map[string]any{
		"roleArn":        "arn:aws:iam::123456789012:role/config",
		"recordingGroup": map[string]any{"allSupported": true, "includeGlobalResourceTypes": true},
	}
	objectLockOK = map[string]any{
		"bucket": "trail-logs",
		"rule":   map[string]any{"defaultRetention": map[string]any{"mode": "COMPLIANCE", "days": 365}},
	}
	runtimeFeatureOK = map[string]any{
		"detectorId": "det", "name": "RUNTIME_MONITORING", "status": "ENABLED",
		"additionalConfigurations": []any{map[string]any{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}},
	}
)

// cisPatterns are filter patterns in the benchmark's shape, one per CIS 4.x control.
var cisPatterns = map[string]string{
	"4.1":  `{($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")}`,
	"4.2":  `{($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes")}`,
	"4.3":  `{$.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent"}`,
	"4.4":  `{($.eventName=DeleteGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)}`,
	"4.5":  `{($.eventName = CreateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StopLogging)}`,
	"4.6":  `{($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication")}`,
	"4.7":  `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}`,
	"4.8":  `{($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketPolicy) || ($.eventName = DeleteBucketPolicy))}`,
	"4.9":  `{($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=PutDeliveryChannel))}`,
	"4.10": `{($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = DeleteSecurityGroup)}`,
	"4.11": `{($.eventName = CreateNetworkAcl) || ($.eventName = ReplaceNetworkAclAssociation)}`,
	"4.12": `{($.eventName = CreateCustomerGateway) || ($.eventName = AttachInternetGateway)}`,
	"4.13": `{($.eventName = CreateRoute) || ($.eventName = ReplaceRouteTableAssociation)}`,
	"4.14": `{($.eventName = CreateVpc) || ($.eventName = DeleteVpcPeeringConnection)}`,
	"4.15": `{($.eventSource = organizations.amazonaws.com) && ($.eventName = CreateAccount)}`,
}

// cisAlarms returns a metric filter and an alarm for each CIS control, skipping those in skip and
// leaving without an alarm action those in silent.
func cisAlarms(skip, silent []string) []*mock.Resource {
	var out []*mock.Resource
	for _, m := range cisMonitoring {
		if containsString(skip, m.id) {
			continue
		}
		metric := "cis-" + strings.ReplaceAll(m.id, ".", "-")
		out = append(out, res(tLogMetricFilter, metric, map[string]any{
			"logGroupName": "/novacron/cloudtrail", "pattern": cisPatterns[m.id],
			"metricTransformation": map[string]any{"name": metric, "namespace": "CISBenchmark", "value": "1"},
		}))
		actions := []any{"arn:aws:sns:us-east-1:123456789012:security"}
		if containsString(silent, m.id) {
			actions = []any{}
		}
		out = append(out, res(tMetricAlarm, metric+"-alarm", map[string]any{
			"metricName": metric, "namespace": "CISBenchmark", "alarmActions": actions,
		}))
	}
	return out
}

func containsString(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// baseline returns the account baseline's resources with overrides by resource name (nil drops
// the resource).
func baseline(over map[string]map[string]any) []*mock.Resource {
	parts := []struct {
		typ, name string
		props     map[string]any
	}{
		{tBucket, "trail-logs", map[string]any{"objectLockEnabled": true}},
		{tBucketObjectLock, "trail-logs-lock", objectLockOK},
		{tTrail, "trail", trailOK},
		{tConfigRecorder, "recorder", recorderOK},
		{tConfigDelivery, "delivery", map[string]any{"s3BucketName": "config-history"}},
		{tConfigRecorderStatus, "recorder-status", map[string]any{"name": "recorder", "isEnabled": true}},
		{tGuardDutyDetector, "detector", map[string]any{"enable": true, "findingPublishingFrequency": "FIFTEEN_MINUTES"}},
		{tGuardDutyFeature, "eks-audit", map[string]any{"detectorId": "det", "name": "EKS_AUDIT_LOGS", "status": "ENABLED"}},
		{tGuardDutyFeature, "rds", map[string]any{"detectorId": "det", "name": "RDS_LOGIN_EVENTS", "status": "ENABLED"}},
		{tGuardDutyFeature, "s3", map[string]any{"detectorId": "det", "name": "S3_DATA_EVENTS", "status": "ENABLED"}},
		{tGuardDutyFeature, "runtime", runtimeFeatureOK},
		{tSecurityHubAccount, "hub", map[string]any{}},
		{tSecurityHubStandard, "fsbp", map[string]any{"standardsArn": "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"}},
		{tSecurityHubStandard, "cis", map[string]any{"standardsArn": "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0"}},
		{tAccessAnalyzer, "analyzer", map[string]any{"analyzerName": "account", "type": "ACCOUNT"}},
	}
	var out []*mock.Resource
	for _, p := range parts {
		props := p.props
		if o, ok := over[p.name]; ok {
			if o == nil {
				continue
			}
			props = o
		}
		out = append(out, res(p.typ, p.name, props))
	}
	return append(out, cisAlarms(nil, nil)...)
}

func trail(props map[string]any) *mock.Resource { return res(tTrail, "trail", props) }

func init() {
	policyCases = append(policyCases, accountCases...)
	// Each account policy is not applicable where the stack is no account baseline.
	for _, name := range []string{"cloudtrail-multi-region", "config-recorder-all-resources", "guardduty-detector-protections",
		"securityhub-standards-enabled", "accessanalyzer-enabled", "cloudwatch-cis-monitoring-alarms"} {
		policyCases = append(policyCases, policyCase{policy: name, kind: compliant, name: "platform stack has no baseline",
			status: StatusNotApplicable, resources: []*mock.Resource{rds(rdsOK)}})
	}
	// One case per CIS control: dropping its filter fails exactly that control.
	for _, m := range cisMonitoring {
		rs := baseline(nil)
		rs = rs[:len(rs)-2*len(cisMonitoring)]
		rs = append(rs, cisAlarms([]string{m.id}, nil)...)
		policyCases = append(policyCases, policyCase{policy: "cloudwatch-cis-monitoring-alarms", kind: violating,
			name: "no filter for " + m.id, resources: rs,
			want: []string{fmt.Sprintf("stack: no metric filter for CIS %s (%s)", m.id, m.what)}})
	}
}

var accountCases = []policyCase{
	// --- cloudtrail-multi-region (CIS AWS 3.1)
	{policy: "cloudtrail-multi-region", kind: compliant, name: "complete baseline", status: StatusPassed,
		resources: baseline(nil)},
	{policy: "cloudtrail-multi-region", kind: violating, name: "no trail",
		resources: baseline(map[string]map[string]any{"trail": nil}),
		want:      []string{"stack: the account baseline has no CloudTrail trail: API activity is not recorded"}},
	{policy: "cloudtrail-multi-region", kind: violating, name: "single region without global events",
		resources: baseline(map[string]map[string]any{"trail": set(trailOK, "isMultiRegionTrail", del, "includeGlobalServiceEvents", false)}),
		want: []string{
			"trail: isMultiRegionTrail is not true: API calls in other regions are not recorded",
			"trail: includeGlobalServiceEvents is false: IAM and STS calls are not recorded",
		}},
	{policy: "cloudtrail-multi-region", kind: violating, name: "logging stopped",
		resources: baseline(map[string]map[string]any{"trail": set(trailOK, "enableLogging", false)}),
		want:      []string{"trail: enableLogging is false: the trail records nothing"}},
	{policy: "cloudtrail-multi-region", kind: unknownIn, name: "unknown",
		resources: baseline(map[string]map[string]any{"trail": set(trailOK, "isMultiRegionTrail", unknownValue)}),
		pending:   []string{"trail: isMultiRegionTrail is not known yet"}},

	// --- cloudtrail-log-file-validation (CIS AWS 3.2)
	{policy: "cloudtrail-log-file-validation", kind: compliant, name: "enabled",
		resources: []*mock.Resource{trail(trailOK)}},
	{policy: "cloudtrail-log-file-validation", kind: violating, name: "unset",
		resources: []*mock.Resource{trail(set(trailOK, "enableLogFileValidation", del))},
		want:      []string{"trail: enableLogFileValidation is not true: nobody can prove the log files were not altered"}},
	{policy: "cloudtrail-log-file-validation", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{trail(set(trailOK, "enableLogFileValidation", unknownValue))},
		pending:   []string{"trail: enableLogFileValidation is not known yet"}},

	// --- cloudtrail-encrypted-with-cmk (CIS AWS 3.5)
	{policy: "cloudtrail-encrypted-with-cmk", kind: compliant, name: "customer managed key",
		resources: []*mock.Resource{trail(trailOK)}},
	{policy: "cloudtrail-encrypted-with-cmk", kind: violating, name: "no key",
		resources: []*mock.Resource{trail(set(trailOK, "kmsKeyId", del))},
		want:      []string{"trail: kmsKeyId is not set: log files are encrypted with S3's own key, readable by anyone with s3:GetObject"}},
	{policy: "cloudtrail-encrypted-with-cmk", kind: unknownIn, name: "key not created yet",
		resources: []*mock.Resource{trail(set(trailOK, "kmsKeyId", unknownValue))},
		pending:   []string{"trail: kmsKeyId is not known yet"}},

	// --- cloudtrail-cloudwatch-logs
	{policy: "cloudtrail-cloudwatch-logs", kind: compliant, name: "group and role",
		resources: []*mock.Resource{trail(trailOK)}},
	{policy: "cloudtrail-cloudwatch-logs", kind: violating, name: "no group",
		resources: []*mock.Resource{trail(set(trailOK, "cloudWatchLogsGroupArn", del))},
		want:      []string{"trail: cloudWatchLogsGroupArn is not set: no metric filter or alarm sees the trail's events"}},
	{policy: "cloudtrail-cloudwatch-logs", kind: violating, name: "no role",
		resources: []*mock.Resource{trail(set(trailOK, "cloudWatchLogsRoleArn", del))},
		want:      []string{"trail: cloudWatchLogsRoleArn is not set: CloudTrail cannot write to the log group"}},
	{policy: "cloudtrail-cloudwatch-logs", kind: unknownIn, name: "group not created yet",
		resources: []*mock.Resource{trail(set(trailOK, "cloudWatchLogsGroupArn", unknownValue))},
		pending:   []string{"trail: cloudWatchLogsGroupArn is not known yet"}},

	// --- cloudtrail-bucket-object-lock-production
	{policy: "cloudtrail-bucket-object-lock-production", kind: compliant, name: "locked with retention", stack: "production",
		status: StatusPassed, resources: baseline(nil)},
	{policy: "cloudtrail-bucket-object-lock-production", kind: compliant, name: "staging needs no lock", status: StatusNotApplicable,
		resources: baseline(map[string]map[string]any{"trail-logs": {}, "trail-logs-lock": nil})},
	{policy: "cloudtrail-bucket-object-lock-production", kind: violating, name: "no object lock", stack: "production",
		resources: baseline(map[string]map[string]any{"trail-logs": {}, "trail-logs-lock": nil}),
		want:      []string{"trail: bucket trail-logs has no Object Lock (objectLockEnabled is not true): log files can be deleted"}},
	{policy: "cloudtrail-bucket-object-lock-production", kind: violating, name: "lock without default retention", stack: "production",
		resources: baseline(map[string]map[string]any{"trail-logs-lock": nil}),
		want:      []string{"trail: bucket trail-logs has Object Lock but no default retention (no BucketObjectLockConfigurationV2): new log files are not locked"}},
	{policy: "cloudtrail-bucket-object-lock-production", kind: violating, name: "retention without a period", stack: "production",
		resources: baseline(map[string]map[string]any{"trail-logs-lock": set(objectLockOK, "rule.defaultRetention.days", del)}),
		want:      []string{"trail: bucket trail-logs's Object Lock default retention sets neither days nor years"}},
	{policy: "cloudtrail-bucket-object-lock-production", kind: violating, name: "bucket elsewhere", stack: "production",
		resources: []*mock.Resource{trail(set(trailOK, "s3BucketName", "shared-audit-logs"))},
		want:      []string{"trail: the trail's bucket is not declared in this stack: its Object Lock cannot be checked"}},
	{policy: "cloudtrail-bucket-object-lock-production", kind: unknownIn, name: "bucket not known", stack: "production",
		resources: []*mock.Resource{trail(set(trailOK, "s3BucketName", unknownValue))},
		pending:   []string{"trail: s3BucketName is not known yet"}},

	// --- config-recorder-all-resources (CIS AWS 3.3)
	{policy: "config-recorder-all-resources", kind: compliant, name: "all types, global included", status: StatusPassed,
		resources: baseline(nil)},
	{policy: "config-recorder-all-resources", kind: violating, name: "no recorder",
		resources: baseline(map[string]map[string]any{"recorder": nil}),
		want:      []string{"stack: the account baseline has no AWS Config recorder: configuration changes are not recorded"}},
	{policy: "config-recorder-all-resources", kind: violating, name: "regional types only",
		resources: baseline(map[string]map[string]any{"recorder": set(recorderOK, "recordingGroup.includeGlobalResourceTypes", del)}),
		want:      []string{"recorder: recordingGroup.includeGlobalResourceTypes is not true: IAM users, roles and policies are not recorded"}},
	{policy: "config-recorder-all-resources", kind: violating, name: "listed types, stopped, no channel",
		resources: baseline(map[string]map[string]any{
			"recorder":        set(recorderOK, "recordingGroup.allSupported", false),
			"recorder-status": {"name": "recorder", "isEnabled": false},
			"delivery":        nil,
		}),
		want: []string{
			"recorder: recordingGroup.allSupported is false: only the listed resource types are recorded",
			"stack: the account baseline has no AWS Config delivery channel: the recorder cannot deliver its history",
			"recorder-status: isEnabled is not true: the recorder is stopped",
		}},
	{policy: "config-recorder-all-resources", kind: unknownIn, name: "unknown",
		resources: baseline(map[string]map[string]any{"recorder": set(recorderOK, "recordingGroup.includeGlobalResourceTypes", unknownValue)}),
		pending:   []string{"recorder: recordingGroup.includeGlobalResourceTypes is not known yet"}},

	// --- guardduty-detector-protections
	{policy: "guardduty-detector-protections", kind: compliant, name: "all protections", status: StatusPassed,
		resources: baseline(nil)},
	{policy: "guardduty-detector-protections", kind: violating, name: "no detector",
		resources: baseline(map[string]map[string]any{"detector": nil}),
		want:      []string{"stack: the account baseline has no GuardDuty detector: threats in the account are not detected"}},
	{policy: "guardduty-detector-protections", kind: violating, name: "suspended, S3 off, RDS missing",
		resources: baseline(map[string]map[string]any{
			"detector": {"enable": false, "findingPublishingFrequency": "ONE_HOUR"}, "rds": nil,
			"s3": {"detectorId": "det", "name": "S3_DATA_EVENTS", "status": "DISABLED"},
		}),
		want: []string{
			"detector: enable is false: the detector is suspended",
			"stack: GuardDuty feature RDS_LOGIN_EVENTS is not enabled",
			"stack: GuardDuty feature S3_DATA_EVENTS is not enabled",
		}},
	{policy: "guardduty-detector-protections", kind: violating, name: "findings every six hours",
		resources: baseline(map[string]map[string]any{"detector": {"enable": true, "findingPublishingFrequency": "SIX_HOURS"}}),
		want:      []string{"detector: findingPublishingFrequency is SIX_HOURS: updated findings must be published at least hourly"}},
	{policy: "guardduty-detector-protections", kind: violating, name: "publishing frequency left to the default",
		resources: baseline(map[string]map[string]any{"detector": {}}),
		want:      []string{"detector: findingPublishingFrequency is not set: updated findings are published every six hours"}},
	{policy: "guardduty-detector-protections", kind: violating, name: "runtime monitoring without the managed agent",
		resources: baseline(map[string]map[string]any{"runtime": set(runtimeFeatureOK, "additionalConfigurations", []any{})}),
		want:      []string{"stack: GuardDuty Runtime Monitoring does not manage its EKS agent (additionalConfigurations EKS_ADDON_MANAGEMENT is not ENABLED)"}},
	{policy: "guardduty-detector-protections", kind: violating, name: "no runtime monitoring",
		resources: baseline(map[string]map[string]any{"runtime": nil, "eks-audit": nil}),
		want: []string{
			"stack: GuardDuty feature EKS_AUDIT_LOGS is not enabled",
			"stack: GuardDuty feature RUNTIME_MONITORING is not enabled",
		}},
	{policy: "guardduty-detector-protections", kind: compliant, name: "EKS-only runtime monitoring counts", status: StatusPassed,
		resources: baseline(map[string]map[string]any{"runtime": set(runtimeFeatureOK, "name", "EKS_RUNTIME_MONITORING")})},
	{policy: "guardduty-detector-protections", kind: unknownIn, name: "status unknown",
		resources: baseline(map[string]map[string]any{"s3": {"detectorId": "det", "name": "S3_DATA_EVENTS", "status": unknownValue}}),
		pending:   []string{"s3: status is not known yet"}},

	// --- securityhub-standards-enabled (CIS AWS 4.16)
	{policy: "securityhub-standards-enabled", kind: compliant, name: "both standards", status: StatusPassed,
		resources: baseline(nil)},
	{policy: "securityhub-standards-enabled", kind: violating, name: "no hub, no CIS",
		resources: baseline(map[string]map[string]any{"hub": nil, "cis": nil}),
		want: []string{
			"stack: the account baseline does not enable Security Hub (no securityhub.Account)",
			"stack: Security Hub is not subscribed to the CIS AWS Foundations Benchmark standard",
		}},
	{policy: "securityhub-standards-enabled", kind: violating, name: "no FSBP",
		resources: baseline(map[string]map[string]any{"fsbp": nil}),
		want:      []string{"stack: Security Hub is not subscribed to the AWS Foundational Security Best Practices standard"}},
	{policy: "securityhub-standards-enabled", kind: unknownIn, name: "ARN unknown",
		resources: baseline(map[string]map[string]any{"cis": {"standardsArn": unknownValue}}),
		pending:   []string{"cis: standardsArn is not known yet"}},

	// --- accessanalyzer-enabled (CIS AWS 1.20)
	{policy: "accessanalyzer-enabled", kind: compliant, name: "account analyzer", status: StatusPassed,
		resources: baseline(nil)},
	{policy: "accessanalyzer-enabled", kind: violating, name: "none",
		resources: baseline(map[string]map[string]any{"analyzer": nil}),
		want:      []string{"stack: the account baseline has no IAM Access Analyzer: resources shared outside the account go unnoticed"}},
	{policy: "accessanalyzer-enabled", kind: violating, name: "unused access only",
		resources: baseline(map[string]map[string]any{"analyzer": {"analyzerName": "unused", "type": "ACCOUNT_UNUSED_ACCESS"}}),
		want:      []string{"analyzer: type is ACCOUNT_UNUSED_ACCESS: only ACCOUNT or ORGANIZATION analyzers report external access"}},
	{policy: "accessanalyzer-enabled", kind: unknownIn, name: "type unknown",
		resources: baseline(map[string]map[string]any{"analyzer": {"analyzerName": "account", "type": unknownValue}}),
		pending:   []string{"analyzer: type is not known yet"}},

	// --- cloudwatch-cis-monitoring-alarms (CIS AWS 4.1 to 4.15)
	{policy: "cloudwatch-cis-monitoring-alarms", kind: compliant, name: "every control alarmed", status: StatusPassed,
		resources: baseline(nil)},
	{policy: "cloudwatch-cis-monitoring-alarms", kind: violating, name: "alarms without actions",
		resources: append(baseline(nil)[:15], cisAlarms(nil, []string{"4.3", "4.15"})...),
		want:      []string{"stack: no alarm with an action on the metric filter for CIS 4.3 (use of the root user), 4.15 (AWS Organizations changes)"}},
	{policy: "cloudwatch-cis-monitoring-alarms", kind: unknownIn, name: "pattern unknown",
		resources: append(baseline(nil), res(tLogMetricFilter, "later", map[string]any{"pattern": unknownValue})),
		pending:   []string{"later: pattern is not known yet"}},
}

// A complete baseline passes every account policy in production, and its controls are all
// checked.
func TestCompliantAccountBaseline(t *testing.T) {
	cfg, err := LoadConfigFile("../config.production.json")
	require.NoError(t, err)
	rep := Evaluate(using(awsProvider(allTags), baseline(nil)...), "production", cfg)
	for _, p := range rep.Policies {
		if PolicyByName(p.Name).Area == "account" {
			assert.Equal(t, StatusPassed, p.Status, p.Name)
		}
	}
	assert.Empty(t, found(rep, "cloudwatch-cis-monitoring-alarms"))
	for _, f := range rep.Frameworks {
		for _, id := range accountOnlyControls(f.Framework) {
			assert.NotContains(t, f.NotChecked, id, "%s %s", f.Framework, id)
			assert.NotContains(t, f.FailedControls, id, "%s %s", f.Framework, id)
		}
	}
}
