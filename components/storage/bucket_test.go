package storage

import (
	"encoding/json"
	"flag"
	"testing"

	"github.com/novacron/platform/internal/golden"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const dataKey = "arn:aws:kms:us-east-1:123456789012:key/data"

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
}

// bucketArns gives buckets the ARN shape S3 uses (arn:aws:s3:::name), which the mock's generic
// ARN does not have.
func bucketArns(a pulumi.MockResourceArgs, out resource.PropertyMap) {
	if a.TypeToken == "aws:s3/bucketV2:BucketV2" {
		out["arn"] = resource.NewStringProperty("arn:aws:s3:::" + out["bucket"].StringValue())
	}
}

func construct(t *testing.T, name string, args *BucketArgs) (*mock.Engine, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", bucketArns)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewBucket(ctx, name, args)
		return err
	})
	return eng, err
}

const (
	typBucket     = "aws:s3/bucketV2:BucketV2"
	typOwnership  = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	typPublic     = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typEncryption = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typVersioning = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	typPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	typLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	typLogging    = "aws:s3/bucketLoggingV2:BucketLoggingV2"
)

// lifecycle returns the single lifecycle rule as a plain map.
func lifecycle(t *testing.T, eng *mock.Engine, name string) map[string]any {
	t.Helper()
	lc := mocktest.Find(t, eng, typLifecycle, name+"-lifecycle")
	rules := mocktest.Input(t, lc, "rules").ArrayValue()
	require.Len(t, rules, 1)
	return rules[0].ObjectValue().Mappable()
}

func TestDefaults(t *testing.T) {
	eng, err := construct(t, "artifacts", &BucketArgs{KmsKeyArn: pulumi.String(dataKey)})
	require.NoError(t, err)

	comp := mocktest.Find(t, eng, "novacron:storage:Bucket", "artifacts")
	bucket := mocktest.Find(t, eng, typBucket, "artifacts")
	assert.Equal(t, comp.URN, bucket.Parent)
	assert.False(t, bucket.Protect)
	_, named := bucket.Input("bucket")
	assert.False(t, named, "the bucket is auto-named by default")
	_, tagged := bucket.Input("tags")
	assert.False(t, tagged, "no backup tag unless asked; common tags come from the provider")

	for _, typ := range []string{typOwnership, typPublic, typEncryption, typVersioning, typPolicy, typLifecycle} {
		found := false
		for _, r := range eng.ByType(typ) {
			found = true
			assert.Equal(t, comp.URN, r.Parent, "%s must be a child of the component", typ)
			assert.Equal(t, "artifacts-id", mocktest.Input(t, r, "bucket").StringValue(), "%s must target the bucket", typ)
		}
		assert.True(t, found, "missing %s", typ)
	}
	assert.Empty(t, eng.ByType(typLogging))

	assert.Equal(t, "BucketOwnerEnforced", mocktest.Input(t, mocktest.Find(t, eng, typOwnership, "artifacts-ownership"), "rule.objectOwnership").StringValue())

	pab := mocktest.Find(t, eng, typPublic, "artifacts-public-access")
	for _, setting := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.True(t, mocktest.Input(t, pab, setting).BoolValue(), setting)
	}

	sse := mocktest.Input(t, mocktest.Find(t, eng, typEncryption, "artifacts-encryption"), "rules").ArrayValue()
	require.Len(t, sse, 1)
	assert.Equal(t, map[string]any{
		"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": dataKey},
		"bucketKeyEnabled":                   true,
	}, sse[0].ObjectValue().Mappable())

	assert.Equal(t, "Enabled", mocktest.Input(t, mocktest.Find(t, eng, typVersioning, "artifacts-versioning"), "versioningConfiguration.status").StringValue())

	policy := mocktest.Find(t, eng, typPolicy, "artifacts-policy")
	assert.Contains(t, policy.Dependencies, pab.URN, "the policy waits for the public access block")
	assertGoldenJSON(t, "bucket-policy-default.json", mocktest.Input(t, policy, "policy").StringValue())

	lc := mocktest.Find(t, eng, typLifecycle, "artifacts-lifecycle")
	assert.Contains(t, lc.Dependencies, mocktest.Find(t, eng, typVersioning, "artifacts-versioning").URN)
	assert.Equal(t, map[string]any{
		"id":     "novacron-default",
		"status": "Enabled",
		"filter": map[string]any{"prefix": ""},
		"transitions": []any{
			map[string]any{"days": float64(30), "storageClass": "STANDARD_IA"},
			map[string]any{"days": float64(90), "storageClass": "GLACIER"},
		},
		"expiration":                     map[string]any{"expiredObjectDeleteMarker": true},
		"noncurrentVersionExpiration":    map[string]any{"noncurrentDays": float64(90)},
		"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": float64(7)},
	}, lifecycle(t, eng, "artifacts"))
}

func TestOverrides(t *testing.T) {
	eng, err := construct(t, "backups", &BucketArgs{
		BucketName:                  "novacron-production-backups",
		KmsKeyArn:                   pulumi.String(dataKey),
		AccessLogsBucket:            pulumi.String("novacron-production-logs"),
		StandardIaAfterDays:         60,
		GlacierAfterDays:            180,
		ExpireAfterDays:             730,
		NoncurrentVersionExpiryDays: 30,
		AbortIncompleteUploadDays:   2,
		Backup:                      true,
		Protect:                     true,
	})
	require.NoError(t, err)

	bucket := mocktest.Find(t, eng, typBucket, "backups")
	assert.True(t, bucket.Protect)
	assert.Equal(t, "novacron-production-backups", mocktest.Input(t, bucket, "bucket").StringValue())
	assert.Equal(t, map[string]any{"backup": "true"}, mocktest.Input(t, bucket, "tags").ObjectValue().Mappable())
	for _, r := range eng.Resources() {
		if r.Type != typBucket {
			assert.False(t, r.Protect, "only the bucket itself is protected, not %s", r.Type)
		}
	}

	logging := mocktest.Find(t, eng, typLogging, "backups-logging")
	assert.Equal(t, "novacron-production-logs", mocktest.Input(t, logging, "targetBucket").StringValue())
	assert.Equal(t, "backups/", mocktest.Input(t, logging, "targetPrefix").StringValue())
	_, grants := logging.Input("targetGrants")
	assert.False(t, grants, "target grants do not work with BucketOwnerEnforced")

	rule := lifecycle(t, eng, "backups")
	assert.Equal(t, []any{
		map[string]any{"days": float64(60), "storageClass": "STANDARD_IA"},
		map[string]any{"days": float64(180), "storageClass": "GLACIER"},
	}, rule["transitions"])
	assert.Equal(t, map[string]any{"days": float64(730)}, rule["expiration"])
	assert.Equal(t, map[string]any{"noncurrentDays": float64(30)}, rule["noncurrentVersionExpiration"])
	assert.Equal(t, map[string]any{"daysAfterInitiation": float64(2)}, rule["abortIncompleteMultipartUpload"])
	assertGoldenJSON(t, "bucket-policy-default-named.json", mocktest.Input(t, mocktest.Find(t, eng, typPolicy, "backups-policy"), "policy").StringValue())
}

func TestAccessLogTarget(t *testing.T) {
	eng, err := construct(t, "logs", &BucketArgs{
		AccessLogsTarget:         true,
		DisableGlacierTransition: true,
		ExpireAfterDays:          365,
	})
	require.NoError(t, err)

	sse := mocktest.Input(t, mocktest.Find(t, eng, typEncryption, "logs-encryption"), "rules").ArrayValue()
	require.Len(t, sse, 1)
	assert.Equal(t, map[string]any{
		"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
	}, sse[0].ObjectValue().Mappable(), "S3 server access log targets support SSE-S3 only")

	assertGoldenJSON(t, "bucket-policy-access-log-target.json", mocktest.Input(t, mocktest.Find(t, eng, typPolicy, "logs-policy"), "policy").StringValue())

	rule := lifecycle(t, eng, "logs")
	assert.Equal(t, []any{map[string]any{"days": float64(30), "storageClass": "STANDARD_IA"}}, rule["transitions"])
	assert.Equal(t, map[string]any{"days": float64(365)}, rule["expiration"])
	assert.Empty(t, eng.ByType(typLogging))
}

func TestShortLivedBucketWithoutTransitions(t *testing.T) {
	eng, err := construct(t, "scratch", &BucketArgs{
		KmsKeyArn:          pulumi.String(dataKey),
		DisableTransitions: true,
		ExpireAfterDays:    14,
	})
	require.NoError(t, err)
	rule := lifecycle(t, eng, "scratch")
	_, has := rule["transitions"]
	assert.False(t, has)
	assert.Equal(t, map[string]any{"days": float64(14)}, rule["expiration"])
}

// TestPolicySemantics checks the rendered bucket policies for what they must mean, independently
// of the golden files.
func TestPolicySemantics(t *testing.T) {
	for _, account := range []string{"", "123456789012"} {
		raw, err := bucketPolicyDocument("arn:aws:s3:::b", account)
		require.NoError(t, err)
		var doc policyDocument
		require.NoError(t, json.Unmarshal([]byte(raw), &doc))
		deny := doc.Statement[0]
		assert.Equal(t, "Deny", deny.Effect)
		assert.Equal(t, "*", deny.Principal)
		assert.Equal(t, "s3:*", deny.Action)
		assert.ElementsMatch(t, []any{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, deny.Resource)
		assert.Equal(t, map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}}, deny.Condition)
		if account == "" {
			assert.Len(t, doc.Statement, 1, "only a log target admits the logging service")
			continue
		}
		require.Len(t, doc.Statement, 2)
		allow := doc.Statement[1]
		assert.Equal(t, "Allow", allow.Effect)
		assert.Equal(t, map[string]any{"Service": "logging.s3.amazonaws.com"}, allow.Principal)
		assert.Equal(t, "s3:PutObject", allow.Action)
		assert.Equal(t, map[string]map[string]any{"StringEquals": {"aws:SourceAccount": account}}, allow.Condition)
	}
}

// TestForceDestroy checks that a disposable bucket can be deleted with its objects and versions,
// and that a bucket is never emptied on deletion unless asked.
func TestForceDestroy(t *testing.T) {
	for _, force := range []bool{false, true} {
		eng, err := construct(t, "artifacts", &BucketArgs{KmsKeyArn: pulumi.String(dataKey), ForceDestroy: force})
		require.NoError(t, err)
		v, ok := mocktest.Find(t, eng, typBucket, "artifacts").Input("forceDestroy")
		assert.Equal(t, force, ok && v.BoolValue(), "forceDestroy %t", force)
	}
}

func TestInvalidArgs(t *testing.T) {
	tests := []struct {
		name string
		args BucketArgs
		want string
	}{
		{"no key", BucketArgs{},
			`bucket "b": kmsKeyArn must be set: buckets are encrypted with SSE-KMS and a customer-managed key`},
		{"key on log target", BucketArgs{AccessLogsTarget: true, KmsKeyArn: pulumi.String(dataKey)},
			`bucket "b": kmsKeyArn must be empty for an access log target: S3 supports only SSE-S3 on a server access log target bucket`},
		{"log target logging", BucketArgs{AccessLogsTarget: true, AccessLogsBucket: pulumi.String("other")},
			`bucket "b": accessLogsBucket must be empty for an access log target: a log bucket does not log its own access`},
		{"bad name", BucketArgs{KmsKeyArn: pulumi.String(dataKey), BucketName: "NovaCron_Logs"},
			`bucket "b": bucketName must be 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit, got "NovaCron_Logs"`},
		{"standard-ia too early", BucketArgs{KmsKeyArn: pulumi.String(dataKey), StandardIaAfterDays: 10},
			`bucket "b": standardIaAfterDays must be between 30 and 36500 (S3 keeps objects 30 days in Standard before Standard-IA), got 10`},
		{"glacier too soon after standard-ia", BucketArgs{KmsKeyArn: pulumi.String(dataKey), StandardIaAfterDays: 60, GlacierAfterDays: 75},
			`bucket "b": glacierAfterDays must be between 90 and 36500 (at least 30 days after standardIaAfterDays), got 75`},
		{"expiry before glacier", BucketArgs{KmsKeyArn: pulumi.String(dataKey), ExpireAfterDays: 60},
			`bucket "b": expireAfterDays must be between 91 and 36500 (after the last transition, on day 90), got 60`},
		{"expiry before standard-ia", BucketArgs{KmsKeyArn: pulumi.String(dataKey), DisableGlacierTransition: true, ExpireAfterDays: 30},
			`bucket "b": expireAfterDays must be between 31 and 36500 (after the last transition, on day 30), got 30`},
		{"negative expiry", BucketArgs{KmsKeyArn: pulumi.String(dataKey), DisableTransitions: true, ExpireAfterDays: -5},
			`bucket "b": expireAfterDays must be between 1 and 36500 (after the last transition, on day 0), got -5`},
		{"noncurrent negative", BucketArgs{KmsKeyArn: pulumi.String(dataKey), NoncurrentVersionExpiryDays: -1},
			`bucket "b": noncurrentVersionExpiryDays must be between 1 and 36500, got -1`},
		{"abort too long", BucketArgs{KmsKeyArn: pulumi.String(dataKey), AbortIncompleteUploadDays: 400},
			`bucket "b": abortIncompleteUploadDays must be between 1 and 365, got 400`},
		{"force destroy of a protected bucket", BucketArgs{KmsKeyArn: pulumi.String(dataKey), Protect: true, ForceDestroy: true},
			`bucket "b": forceDestroy must not be set with protect: a protected bucket is never deleted by the program`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			problems := args.Validate()
			require.Len(t, problems, 1, "%v", problems)
			eng, err := construct(t, "b", &args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, eng.Resources(), "nothing may be registered when the arguments are invalid")
		})
	}
}
