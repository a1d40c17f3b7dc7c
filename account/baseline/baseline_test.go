package baseline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

// Type tokens as the engine sees them (pulumi-aws v6.83.4).
const (
	typeKey             = "aws:kms/key:Key"
	typeBucket          = "aws:s3/bucketV2:BucketV2"
	typeObjectLock      = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
	typeBucketPolicy    = "aws:s3/bucketPolicy:BucketPolicy"
	typeTrail           = "aws:cloudtrail/trail:Trail"
	typeLogGroup        = "aws:cloudwatch/logGroup:LogGroup"
	typeMetricFilter    = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	typeMetricAlarm     = "aws:cloudwatch/metricAlarm:MetricAlarm"
	typeEventRule       = "aws:cloudwatch/eventRule:EventRule"
	typeEventTarget     = "aws:cloudwatch/eventTarget:EventTarget"
	typeRecorder        = "aws:cfg/recorder:Recorder"
	typeDeliveryChannel = "aws:cfg/deliveryChannel:DeliveryChannel"
	typeRecorderStatus  = "aws:cfg/recorderStatus:RecorderStatus"
	typeConformancePack = "aws:cfg/conformancePack:ConformancePack"
	typeHubAccount      = "aws:securityhub/account:Account"
	typeHubStandard     = "aws:securityhub/standardsSubscription:StandardsSubscription"
	typeDetector        = "aws:guardduty/detector:Detector"
	typeDetectorFeature = "aws:guardduty/detectorFeature:DetectorFeature"
	typeInspector       = "aws:inspector2/enabler:Enabler"
	typeAnalyzer        = "aws:accessanalyzer/analyzer:Analyzer"
	typeTopic           = "aws:sns/topic:Topic"
	typeSubscription    = "aws:sns/topicSubscription:TopicSubscription"
	typeRolePolicyAtt   = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
)

const baselineName = "novacron-account"

// run runs the program with the given overrides and the test endpoint (secret).
func run(t *testing.T, overrides map[string]string) *mock.Engine {
	t.Helper()
	cfg, secret := withEndpoint(overrides)
	eng := mock.NewEngine(Project, "shared", nil)
	require.NoError(t, eng.Run(cfg, secret, Program))
	return eng
}

func find(t *testing.T, eng *mock.Engine, typ, suffix string) *mock.Resource {
	t.Helper()
	return mocktest.Find(t, eng, typ, baselineName+"-"+suffix)
}

func TestTrail(t *testing.T) {
	eng := run(t, nil)
	trail := find(t, eng, typeTrail, "trail")
	assert.Equal(t, DefaultTrailName, mocktest.Str(t, trail, "name"))
	assert.True(t, mocktest.Bool(t, trail, "isMultiRegionTrail"))
	assert.True(t, mocktest.Bool(t, trail, "includeGlobalServiceEvents"))
	assert.True(t, mocktest.Bool(t, trail, "enableLogFileValidation"))
	assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:novacron-account-trail-key", mocktest.Str(t, trail, "kmsKeyId"))
	assert.Equal(t, "arn:aws:cloudwatch:us-east-1:123456789012:novacron-account-trail-logs:*", mocktest.Str(t, trail, "cloudWatchLogsGroupArn"),
		"CloudTrail needs the log stream wildcard")
	assert.Equal(t, "novacron-account-trail-bucket", mocktest.Str(t, trail, "s3BucketName"))

	// Management events, read and write (no readOnly selector), and S3 object-level events of
	// every bucket but the trail's own.
	var selectors []struct {
		Name           string
		FieldSelectors []struct {
			Field          string
			Equals         []string
			NotStartsWiths []string
			StartsWiths    []string
		}
	}
	b, err := json.Marshal(mocktest.Value(t, trail, "advancedEventSelectors"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &selectors))
	require.Len(t, selectors, 2)
	mgmt := selectors[0].FieldSelectors
	require.Len(t, mgmt, 1)
	assert.Equal(t, "eventCategory", mgmt[0].Field)
	assert.Equal(t, []string{"Management"}, mgmt[0].Equals)
	data := selectors[1].FieldSelectors
	require.Len(t, data, 3)
	assert.Equal(t, []string{"Data"}, data[0].Equals)
	assert.Equal(t, []string{"AWS::S3::Object"}, data[1].Equals)
	assert.Equal(t, "resources.ARN", data[2].Field)
	assert.Equal(t, []string{"arn:aws:s3:us-east-1:123456789012:novacron-account-trail-bucket/"}, data[2].NotStartsWiths)
	for _, s := range selectors {
		for _, f := range s.FieldSelectors {
			assert.NotEqual(t, "readOnly", f.Field, "read and write events are both recorded")
		}
	}

	logs := find(t, eng, typeLogGroup, "trail-logs")
	assert.Equal(t, "/aws/cloudtrail/novacron-account", mocktest.Str(t, logs, "name"))
	assert.Equal(t, 365.0, mocktest.Num(t, logs, "retentionInDays"))
	assert.NotEmpty(t, mocktest.Str(t, logs, "kmsKeyId"))
}

func TestTrailDataEventOptions(t *testing.T) {
	eng := run(t, map[string]string{
		Project + ":s3DataEventBuckets": `["novacron-production-data","novacron-staging-data"]`,
		Project + ":lambdaDataEvents":   "true",
	})
	trail := find(t, eng, typeTrail, "trail")
	sel := mocktest.Value(t, trail, "advancedEventSelectors").([]any)
	require.Len(t, sel, 3)
	arns := sel[1].(map[string]any)["fieldSelectors"].([]any)[2].(map[string]any)
	assert.Equal(t, []any{"arn:aws:s3:::novacron-production-data/", "arn:aws:s3:::novacron-staging-data/"}, arns["startsWiths"])
	lambda := sel[2].(map[string]any)["fieldSelectors"].([]any)[1].(map[string]any)
	assert.Equal(t, []any{"AWS::Lambda::Function"}, lambda["equals"])
}

func TestTrailBucket(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		lock      bool
	}{
		{name: "object lock by default", lock: true},
		{name: "object lock opted out", overrides: map[string]string{Project + ":disableObjectLock": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := run(t, tt.overrides)
			bucket := find(t, eng, typeBucket, "trail-bucket")
			assert.True(t, bucket.Protect)
			assert.False(t, mocktest.Bool(t, bucket, "forceDestroy"))
			locked, _ := bucket.Input("objectLockEnabled")
			assert.Equal(t, tt.lock, locked.IsBool() && locked.BoolValue())
			lock := eng.Find(typeObjectLock, baselineName+"-trail-bucket-object-lock")
			if !tt.lock {
				assert.Nil(t, lock)
				return
			}
			require.NotNil(t, lock)
			assert.Equal(t, "GOVERNANCE", mocktest.Str(t, lock, "rule.defaultRetention.mode"))
			assert.Equal(t, 365.0, mocktest.Num(t, lock, "rule.defaultRetention.days"))
			// The retention rule needs versioning first.
			versioning := find(t, eng, "aws:s3/bucketVersioningV2:BucketVersioningV2", "trail-bucket-versioning")
			assert.Contains(t, lock.Dependencies, versioning.URN)
		})
	}
}

func TestBucketsAreHardened(t *testing.T) {
	eng := run(t, nil)
	for _, purpose := range []string{"trail-bucket", "config-bucket", "access-logs"} {
		pab := find(t, eng, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", purpose+"-public-access")
		for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			assert.True(t, mocktest.Bool(t, pab, f), "%s %s", purpose, f)
		}
		enc := find(t, eng, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", purpose+"-encryption")
		if purpose != "access-logs" {
			rule := mocktest.Value(t, enc, "rules").([]any)[0].(map[string]any)
			assert.Equal(t, "aws:kms", rule["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"], purpose)
			assert.Equal(t, true, rule["bucketKeyEnabled"], purpose)
		}
		ver := find(t, eng, "aws:s3/bucketVersioningV2:BucketVersioningV2", purpose+"-versioning")
		assert.Equal(t, "Enabled", mocktest.Str(t, ver, "versioningConfiguration.status"))
		policy := find(t, eng, typeBucketPolicy, purpose+"-policy")
		assert.Contains(t, mocktest.Str(t, policy, "policy"), `"aws:SecureTransport":"false"`)
		// Kept as long as configured, not twice as long: in a versioned bucket the expired
		// object's data is a noncurrent version, removed a day later, then its delete marker.
		rules := mocktest.Value(t, find(t, eng, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", purpose+"-lifecycle"), "rules").([]any)
		require.Len(t, rules, 2, purpose)
		assert.EqualValues(t, 1, rules[0].(map[string]any)["noncurrentVersionExpiration"].(map[string]any)["noncurrentDays"], purpose)
		assert.Equal(t, true, rules[1].(map[string]any)["expiration"].(map[string]any)["expiredObjectDeleteMarker"], purpose)
	}
	for _, source := range []string{"trail-bucket", "config-bucket"} {
		logging := find(t, eng, "aws:s3/bucketLoggingV2:BucketLoggingV2", source+"-logging")
		assert.Equal(t, "novacron-account-access-logs", mocktest.Str(t, logging, "targetBucket"))
		assert.Equal(t, source+"/", mocktest.Str(t, logging, "targetPrefix"))
	}
	// S3 server access logging cannot deliver to an SSE-KMS bucket.
	logEnc := find(t, eng, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "access-logs-encryption")
	assert.Equal(t, "AES256", mocktest.Value(t, logEnc, "rules").([]any)[0].(map[string]any)["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"])
	assert.Nil(t, eng.Find("aws:s3/bucketLoggingV2:BucketLoggingV2", baselineName+"-access-logs-logging"), "the destination does not log to itself")
	logPolicy := mocktest.Str(t, find(t, eng, typeBucketPolicy, "access-logs-policy"), "policy")
	assert.Contains(t, logPolicy, `"aws:SourceArn":["arn:aws:s3:us-east-1:123456789012:novacron-account-trail-bucket","arn:aws:s3:us-east-1:123456789012:novacron-account-config-bucket"]`)

	policy := mocktest.Str(t, find(t, eng, typeBucketPolicy, "trail-bucket-policy"), "policy")
	assert.Contains(t, policy, `"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:123456789012:trail/novacron-account"`)
}

func TestKeys(t *testing.T) {
	eng := run(t, nil)
	keys := eng.ByType(typeKey)
	require.Len(t, keys, 2)
	for _, k := range keys {
		assert.True(t, mocktest.Bool(t, k, "enableKeyRotation"), k.Name)
		assert.Equal(t, 30.0, mocktest.Num(t, k, "deletionWindowInDays"), k.Name)
		assert.True(t, k.Protect, k.Name)
		assert.NotEmpty(t, mocktest.Str(t, k, "description"), k.Name)
	}
	trailKey := mocktest.Str(t, find(t, eng, typeKey, "trail-key"), "policy")
	want, err := trailKeyPolicy(testEnv, DefaultTrailName, logGroupName(DefaultTrailName)).Render()
	require.NoError(t, err)
	assert.JSONEq(t, want, trailKey)

	unprotected := run(t, map[string]string{Project + ":allowDestroy": "true"})
	for _, k := range unprotected.ByType(typeKey) {
		assert.False(t, k.Protect)
	}
}

func TestConfigRecorder(t *testing.T) {
	eng := run(t, nil)
	rec := find(t, eng, typeRecorder, "config-recorder")
	assert.True(t, mocktest.Bool(t, rec, "recordingGroup.allSupported"))
	assert.True(t, mocktest.Bool(t, rec, "recordingGroup.includeGlobalResourceTypes"), "the home region records IAM")
	role := find(t, eng, typeRolePolicyAtt, "config-role-managed")
	assert.Equal(t, "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole", mocktest.Str(t, role, "policyArn"))

	channel := find(t, eng, typeDeliveryChannel, "config-delivery")
	assert.Equal(t, "novacron-account-config-bucket", mocktest.Str(t, channel, "s3BucketName"))
	assert.Equal(t, DefaultConfigSnapshotFrequency, mocktest.Str(t, channel, "snapshotDeliveryProperties.deliveryFrequency"))
	assert.Contains(t, channel.Dependencies, rec.URN, "the channel needs the recorder")

	status := find(t, eng, typeRecorderStatus, "config-recorder-status")
	assert.True(t, mocktest.Bool(t, status, "isEnabled"))
	assert.Contains(t, status.Dependencies, channel.URN, "the recorder starts after its channel exists")

	pack := find(t, eng, typeConformancePack, "config-conformance-pack")
	body, err := conformancePackTemplate(ConfigRules)
	require.NoError(t, err)
	assert.Equal(t, body, mocktest.Str(t, pack, "templateBody"))
	assert.Contains(t, pack.Dependencies, status.URN)
}

func TestDetectionServices(t *testing.T) {
	eng := run(t, nil)
	hub := find(t, eng, typeHubAccount, "securityhub")
	assert.False(t, mocktest.Bool(t, hub, "enableDefaultStandards"), "no CIS v1.2.0 behind our back")
	var standards []string
	for _, s := range eng.ByType(typeHubStandard) {
		standards = append(standards, mocktest.Str(t, s, "standardsArn"))
		assert.Contains(t, s.Dependencies, hub.URN)
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
		"arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0",
	}, standards)

	detector := find(t, eng, typeDetector, "guardduty")
	assert.True(t, mocktest.Bool(t, detector, "enable"))
	assert.Equal(t, "FIFTEEN_MINUTES", mocktest.Str(t, detector, "findingPublishingFrequency"))
	features := map[string]*mock.Resource{}
	for _, f := range eng.ByType(typeDetectorFeature) {
		features[mocktest.Str(t, f, "name")] = f
		assert.Equal(t, "ENABLED", mocktest.Str(t, f, "status"))
		assert.Equal(t, "novacron-account-guardduty-id", mocktest.Str(t, f, "detectorId"))
	}
	assert.ElementsMatch(t, []string{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"}, keysOf(features))
	assert.NotContains(t, features, "EKS_RUNTIME_MONITORING", "GuardDuty refuses it beside RUNTIME_MONITORING")
	runtime := features["RUNTIME_MONITORING"]
	assert.Equal(t, []any{map[string]any{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}},
		mocktest.Value(t, runtime, "additionalConfigurations"))
	for name, f := range features {
		if name != "RUNTIME_MONITORING" {
			_, extra := f.Input("additionalConfigurations")
			assert.False(t, extra, name)
		}
	}

	inspector := find(t, eng, typeInspector, "inspector")
	assert.Equal(t, []string{"ECR"}, mocktest.Strs(t, inspector, "resourceTypes"))
	assert.Equal(t, []string{mock.AccountID}, mocktest.Strs(t, inspector, "accountIds"))
	analyzer := find(t, eng, typeAnalyzer, "access-analyzer")
	assert.Equal(t, "ACCOUNT", mocktest.Str(t, analyzer, "type"))
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestAlarmsAndRoutesPageOnCall(t *testing.T) {
	eng := run(t, nil)
	topic := find(t, eng, typeTopic, "alerts")
	topicArn := "arn:aws:sns:us-east-1:123456789012:novacron-account-alerts"
	assert.NotEmpty(t, mocktest.Str(t, topic, "kmsMasterKeyId"), "the topic is encrypted")

	filters := eng.ByType(typeMetricFilter)
	alarms := eng.ByType(typeMetricAlarm)
	require.Len(t, filters, len(CISMetricFilters))
	require.Len(t, alarms, len(CISMetricFilters))
	for i, f := range CISMetricFilters {
		filter := find(t, eng, typeMetricFilter, "cis-"+f.Item)
		assert.Equal(t, f.Pattern, mocktest.Str(t, filter, "pattern"))
		assert.Equal(t, "/aws/cloudtrail/novacron-account", mocktest.Str(t, filter, "logGroupName"))
		assert.Equal(t, f.Name, mocktest.Str(t, filter, "metricTransformation.name"))
		alarm := find(t, eng, typeMetricAlarm, "cis-"+f.Item+"-alarm")
		assert.Equal(t, f.Name, mocktest.Str(t, alarm, "metricName"), i)
		assert.Equal(t, MetricNamespace, mocktest.Str(t, alarm, "namespace"))
		assert.Equal(t, []string{topicArn}, mocktest.Strs(t, alarm, "alarmActions"))
		assert.Equal(t, 1.0, mocktest.Num(t, alarm, "threshold"))
		assert.Equal(t, "notBreaching", mocktest.Str(t, alarm, "treatMissingData"))
	}

	rules := eng.ByType(typeEventRule)
	require.Len(t, rules, len(FindingRoutes))
	for _, r := range FindingRoutes {
		rule := find(t, eng, typeEventRule, r.Name)
		want, err := r.PatternJSON()
		require.NoError(t, err)
		assert.JSONEq(t, want, mocktest.Str(t, rule, "eventPattern"))
		target := find(t, eng, typeEventTarget, r.Name+"-oncall")
		assert.Equal(t, topicArn, mocktest.Str(t, target, "arn"))
	}
}

func TestAlertEndpointStaysSecret(t *testing.T) {
	eng := run(t, nil)
	sub := find(t, eng, typeSubscription, "alerts-oncall")
	raw := sub.Inputs[resource.PropertyKey("endpoint")]
	require.True(t, raw.IsSecret(), "the endpoint is registered as a secret")
	assert.Equal(t, testEndpoint, mocktest.Str(t, sub, "endpoint"))
	assert.Equal(t, "https", mocktest.Str(t, sub, "protocol"))
	assert.True(t, mocktest.Bool(t, sub, "endpointAutoConfirms"))
	// Nowhere else, not even inside another input.
	for _, r := range eng.Resources() {
		if r == sub {
			continue
		}
		b, err := json.Marshal(r.Inputs.Mappable())
		require.NoError(t, err)
		assert.False(t, strings.Contains(string(b), "0123456789abcdef0123456789abcdef"), "%s %s carries the endpoint", r.Type, r.Name)
	}
}

func TestComponentValidatesBeforeRegistering(t *testing.T) {
	args := &BaselineArgs{Region: "us-east-1", AlertEndpoint: "https://example.com/x", ObjectLockDays: -1}
	err := args.Validate().Err("account baseline", "main")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `account baseline "main": objectLockDays must be between 1 and 36500, got -1`)
	// With Object Lock off its settings do not matter.
	args.DisableObjectLock = true
	assert.Empty(t, args.Validate())
	assert.NotEmpty(t, (&BaselineArgs{AlertEndpoint: "https://example.com/x"}).Validate(), "the region is required")
}
