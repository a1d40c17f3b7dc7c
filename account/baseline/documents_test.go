package baseline

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/iamdoc"
)

const (
	testTrailBucketArn  = "arn:aws:s3:::novacron-account-trail-bucket"
	testConfigBucketArn = "arn:aws:s3:::novacron-account-config-bucket"
	testTopicArn        = "arn:aws:sns:us-east-1:123456789012:novacron-account-alerts"
	testKeyArn          = "arn:aws:kms:us-east-1:123456789012:key/trail"
)

func TestPolicyDocumentsGolden(t *testing.T) {
	docs := map[string]iamdoc.Document{
		"trail-key-policy.json":        trailKeyPolicy(testEnv, DefaultTrailName, logGroupName(DefaultTrailName)),
		"alerts-key-policy.json":       alertsKeyPolicy(testEnv),
		"trail-bucket-policy.json":     trailBucketPolicy(testEnv, testTrailBucketArn, DefaultTrailName),
		"config-bucket-policy.json":    configBucketPolicy(testEnv, testConfigBucketArn),
		"alerts-topic-policy.json":     alertsTopicPolicy(testEnv, testTopicArn),
		"trail-logs-policy.json":       trailLogsPolicy(testEnv.logGroupArn(logGroupName(DefaultTrailName))),
		"config-delivery-policy.json":  configDeliveryPolicy(testEnv, testConfigBucketArn, testKeyArn),
		"config-trust-policy.json":     configTrust(testEnv),
		"trail-logs-trust-policy.json": cloudTrailTrust(),
		"access-log-bucket-policy.json": accessLogBucketPolicy(testEnv, "arn:aws:s3:::novacron-account-access-logs",
			[]string{testTrailBucketArn, testConfigBucketArn}),
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			got, err := doc.Render()
			require.NoError(t, err)
			assertGoldenJSON(t, name, got)
		})
	}
}

// TestServiceStatementsAreScoped: every statement that admits an AWS service names what it may
// act for (a source ARN, a source account or an encryption context), except the alerts key's,
// which the topic policy scopes instead.
func TestServiceStatementsAreScoped(t *testing.T) {
	docs := map[string]iamdoc.Document{
		"trail key":     trailKeyPolicy(testEnv, DefaultTrailName, logGroupName(DefaultTrailName)),
		"trail bucket":  trailBucketPolicy(testEnv, testTrailBucketArn, DefaultTrailName),
		"config bucket": configBucketPolicy(testEnv, testConfigBucketArn),
		"alerts topic":  alertsTopicPolicy(testEnv, testTopicArn),
		"access logs":   accessLogBucketPolicy(testEnv, "arn:aws:s3:::logs", []string{testTrailBucketArn}),
	}
	for name, doc := range docs {
		for _, s := range doc.Statement {
			p, ok := s.Principal.(map[string]any)
			if !ok || p["Service"] == nil {
				continue
			}
			assert.NotEmpty(t, s.Condition, "%s: statement %s admits a service without a condition", name, s.Sid)
		}
	}
}

func TestTrailStatementsNameThisTrail(t *testing.T) {
	const trail = "arn:aws:cloudtrail:us-east-1:123456789012:trail/novacron-account"
	for _, doc := range []iamdoc.Document{
		trailKeyPolicy(testEnv, DefaultTrailName, logGroupName(DefaultTrailName)),
		trailBucketPolicy(testEnv, testTrailBucketArn, DefaultTrailName),
	} {
		for _, s := range doc.Statement {
			if p, ok := s.Principal.(map[string]any); ok && p["Service"] == "cloudtrail.amazonaws.com" {
				assert.Equal(t, trail, s.Condition["StringEquals"]["aws:SourceArn"], s.Sid)
			}
		}
	}
	// CloudTrail writes only under AWSLogs/<account>/, with the owner's full control.
	doc := trailBucketPolicy(testEnv, testTrailBucketArn, DefaultTrailName)
	write := doc.Statement[3]
	require.Equal(t, "AWSCloudTrailWrite", write.Sid)
	assert.Equal(t, testTrailBucketArn+"/AWSLogs/123456789012/*", write.Resource)
	assert.Equal(t, "bucket-owner-full-control", write.Condition["StringEquals"]["s3:x-amz-acl"])
}

func TestBucketPoliciesDenyPlainHTTP(t *testing.T) {
	for name, doc := range map[string]iamdoc.Document{
		"trail":  trailBucketPolicy(testEnv, testTrailBucketArn, DefaultTrailName),
		"config": configBucketPolicy(testEnv, testConfigBucketArn),
	} {
		raw, err := doc.Render()
		require.NoError(t, err)
		var parsed struct{ Statement []map[string]any }
		require.NoError(t, json.Unmarshal([]byte(raw), &parsed))
		deny := parsed.Statement[0]
		assert.Equal(t, "Deny", deny["Effect"], name)
		assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}, deny["Condition"], name)
		assert.True(t, strings.HasSuffix(deny["Resource"].([]any)[1].(string), "/*"), name)
	}
}
