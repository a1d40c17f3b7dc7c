package state

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

const (
	typeBucket      = "aws:s3/bucketV2:BucketV2"
	typeKey         = "aws:kms/key:Key"
	typeAlias       = "aws:kms/alias:Alias"
	typePAB         = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeOwnership   = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	typeVersioning  = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	typeEncryption  = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typeLifecycle   = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	typeBucketPol   = "aws:s3/bucketPolicy:BucketPolicy"
	typeLogging     = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	typeBackend     = "novacron:state:Backend"
	testRegion      = "eu-west-1"
	backendName     = "tf"
	mockStateKeyArn = "arn:aws:kms:us-east-1:123456789012:tf-bucket-key"
)

func TestBackendArgsValidate(t *testing.T) {
	tests := []struct {
		name  string
		args  BackendArgs
		field string // "" means valid
		msg   string
	}{
		{name: "defaults", args: BackendArgs{Region: "eu-west-1"}},
		{name: "gov region", args: BackendArgs{Region: "us-gov-west-1"}},
		{name: "all set", args: BackendArgs{
			Region: "ap-southeast-2", BucketName: "acme-pulumi-state", KeyAliasPrefix: "acme/pulumi",
			KeyDeletionWindowDays: 7, NoncurrentVersionDays: 30, NoncurrentVersionsToKeep: 100,
			AccessLogBucket: "acme-logs", AccessLogRetentionDays: 3650,
		}},
		{name: "missing region", args: BackendArgs{}, field: "region", msg: "must not be empty"},
		{name: "bad region", args: BackendArgs{Region: "Europe"}, field: "region", msg: `got "Europe"`},
		{name: "uppercase bucket", args: BackendArgs{Region: testRegion, BucketName: "Acme-State"},
			field: "bucketName", msg: `got "Acme-State"`},
		{name: "short bucket", args: BackendArgs{Region: testRegion, BucketName: "ab"}, field: "bucketName", msg: "3 to 63"},
		{name: "dotted bucket", args: BackendArgs{Region: testRegion, BucketName: "acme.state"}, field: "bucketName", msg: "got"},
		{name: "reserved bucket prefix", args: BackendArgs{Region: testRegion, BucketName: "xn--state"},
			field: "bucketName", msg: `"--"`},
		{name: "sthree bucket", args: BackendArgs{Region: testRegion, BucketName: "sthree-state"},
			field: "bucketName", msg: "reserved prefix"},
		{name: "bad log bucket", args: BackendArgs{Region: testRegion, AccessLogBucket: "Logs_Bucket"},
			field: "accessLogBucket", msg: `got "Logs_Bucket"`},
		{name: "alias with prefix", args: BackendArgs{Region: testRegion, KeyAliasPrefix: "alias/acme"},
			field: "keyAliasPrefix", msg: `must not start with "alias/"`},
		{name: "aws alias", args: BackendArgs{Region: testRegion, KeyAliasPrefix: "aws-state"},
			field: "keyAliasPrefix", msg: "reserved for AWS managed keys"},
		{name: "alias characters", args: BackendArgs{Region: testRegion, KeyAliasPrefix: "acme state"},
			field: "keyAliasPrefix", msg: "only letters"},
		{name: "deletion window too short", args: BackendArgs{Region: testRegion, KeyDeletionWindowDays: 3},
			field: "keyDeletionWindowDays", msg: "must be between 7 and 30, got 3"},
		{name: "deletion window too long", args: BackendArgs{Region: testRegion, KeyDeletionWindowDays: 31},
			field: "keyDeletionWindowDays", msg: "must be between 7 and 30, got 31"},
		{name: "negative noncurrent days", args: BackendArgs{Region: testRegion, NoncurrentVersionDays: -1},
			field: "noncurrentVersionDays", msg: "got -1"},
		{name: "too many versions", args: BackendArgs{Region: testRegion, NoncurrentVersionsToKeep: 101},
			field: "noncurrentVersionsToKeep", msg: "must be between 1 and 100, got 101"},
		{name: "log retention", args: BackendArgs{Region: testRegion, AccessLogRetentionDays: 4000},
			field: "accessLogRetentionDays", msg: "got 4000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := tt.args.Validate()
			if tt.field == "" {
				assert.Empty(t, problems)
				return
			}
			require.Len(t, problems, 1, "%v", problems)
			assert.Equal(t, tt.field, problems[0].Field)
			assert.Contains(t, problems[0].Message, tt.msg)
		})
	}
}

func TestNewBackendRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine(project, "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewBackend(ctx, "main", &BackendArgs{Region: testRegion, KeyDeletionWindowDays: 40, NoncurrentVersionsToKeep: -2})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `backend "main": keyDeletionWindowDays must be between 7 and 30, got 40`)
	assert.Contains(t, err.Error(), `backend "main": noncurrentVersionsToKeep must be between 1 and 100, got -2`)
	assert.Empty(t, eng.Resources(), "nothing may be registered when the arguments are invalid")
}

// runBackend runs NewBackend under the mock engine and returns the engine and resolved outputs.
func runBackend(t *testing.T, args *BackendArgs) (*mock.Engine, map[string]string) {
	t.Helper()
	eng := mock.NewEngine(project, "test", nil)
	var caps map[string]capture
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		b, err := NewBackend(ctx, backendName, args)
		if err != nil {
			return err
		}
		caps = map[string]capture{
			"bucketName":      captureOf(b.BucketName),
			"bucketArn":       captureOf(b.BucketArn),
			"stateKeyArn":     captureOf(b.StateKeyArn),
			"secretsKeyArn":   captureOf(b.SecretsKeyArn),
			"accessLogBucket": captureOf(b.AccessLogBucketName),
			"loginUrl":        captureOf(b.LoginURL),
			"secretsProvider": captureOf(b.SecretsProvider),
		}
		return nil
	})
	require.NoError(t, err)
	out := map[string]string{}
	for k, c := range caps {
		out[k] = c.get(t)
	}
	return eng, out
}

func TestNewBackendDefaults(t *testing.T) {
	eng, out := runBackend(t, &BackendArgs{Region: testRegion})
	component := mocktest.Find(t, eng, typeBackend, backendName)

	t.Run("every child belongs to the component and is named after it", func(t *testing.T) {
		children := 0
		for _, r := range eng.Resources() {
			if r.URN == component.URN {
				continue
			}
			children++
			assert.Equal(t, component.URN, r.Parent, "%s %q", r.Type, r.Name)
			assert.True(t, strings.HasPrefix(r.Name, backendName+"-"), "%s %q", r.Type, r.Name)
		}
		// 2 keys and 2 aliases; the state bucket with ownership, encryption, versioning,
		// lifecycle, public access block, policy and logging; the log bucket with the same
		// minus logging.
		assert.Equal(t, 19, children)
	})

	t.Run("keys rotate, are protected and aliased", func(t *testing.T) {
		for _, k := range []struct{ key, alias string }{
			{"tf-bucket-key", "alias/novacron-pulumi-state"},
			{"tf-secrets-key", "alias/novacron-pulumi-secrets"},
		} {
			key := mocktest.Find(t, eng, typeKey, k.key)
			assert.True(t, mocktest.Bool(t, key, "enableKeyRotation"), k.key)
			assert.Equal(t, 30, num(t, key, "deletionWindowInDays"), k.key)
			assert.True(t, key.Protect, "%s must be protected", k.key)
			alias := mocktest.Find(t, eng, typeAlias, k.key+"-alias")
			assert.Equal(t, k.alias, mocktest.Str(t, alias, "name"))
			assert.True(t, alias.Protect, "%s alias must be protected", k.key)
		}
	})

	t.Run("state bucket is protected and auto-named", func(t *testing.T) {
		bucket := mocktest.Find(t, eng, typeBucket, "tf-bucket")
		assert.True(t, bucket.Protect)
		assert.False(t, mocktest.Bool(t, bucket, "forceDestroy"))
		_, named := bucket.Input("bucket")
		assert.False(t, named, "the default bucket name is left to auto-naming")
	})

	t.Run("both buckets block public access, enforce ownership and version objects", func(t *testing.T) {
		for _, prefix := range []string{"tf-bucket", "tf-logs"} {
			pab := mocktest.Find(t, eng, typePAB, prefix+"-public-access")
			for _, flag := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				assert.True(t, mocktest.Bool(t, pab, flag), "%s %s", prefix, flag)
			}
			own := mocktest.Find(t, eng, typeOwnership, prefix+"-ownership")
			assert.Equal(t, "BucketOwnerEnforced", mocktest.Str(t, own, "rule.objectOwnership"))
			ver := mocktest.Find(t, eng, typeVersioning, prefix+"-versioning")
			assert.Equal(t, "Enabled", mocktest.Str(t, ver, "versioningConfiguration.status"))
		}
	})

	t.Run("state objects are encrypted with the state key and a bucket key", func(t *testing.T) {
		enc := mocktest.Find(t, eng, typeEncryption, "tf-bucket-encryption")
		rules := mocktest.Input(t, enc, "rules").ArrayValue()
		require.Len(t, rules, 1)
		rule := rules[0].ObjectValue()
		byDefault := rule["applyServerSideEncryptionByDefault"].ObjectValue()
		assert.Equal(t, "aws:kms", byDefault["sseAlgorithm"].StringValue())
		assert.Equal(t, mockStateKeyArn, byDefault["kmsMasterKeyId"].StringValue())
		assert.True(t, rule["bucketKeyEnabled"].BoolValue())

		logs := mocktest.Find(t, eng, typeEncryption, "tf-logs-encryption")
		logRule := mocktest.Input(t, logs, "rules").ArrayValue()[0].ObjectValue()
		assert.Equal(t, "AES256", logRule["applyServerSideEncryptionByDefault"].ObjectValue()["sseAlgorithm"].StringValue())
	})

	t.Run("noncurrent versions expire after the defaults, once versioning is on", func(t *testing.T) {
		lc := mocktest.Find(t, eng, typeLifecycle, "tf-bucket-lifecycle")
		rules := mocktest.Input(t, lc, "rules").ArrayValue()
		require.Len(t, rules, 1)
		rule := rules[0].ObjectValue()
		assert.Equal(t, "Enabled", rule["status"].StringValue())
		nve := rule["noncurrentVersionExpiration"].ObjectValue()
		assert.Equal(t, float64(90), nve["noncurrentDays"].NumberValue())
		assert.Equal(t, float64(20), nve["newerNoncurrentVersions"].NumberValue())
		assert.Equal(t, float64(7), rule["abortIncompleteMultipartUpload"].ObjectValue()["daysAfterInitiation"].NumberValue())
		_, expiresCurrent := rule["expiration"]
		assert.False(t, expiresCurrent, "current state objects must never expire")
		assert.Contains(t, lc.Dependencies, mocktest.Find(t, eng, typeVersioning, "tf-bucket-versioning").URN)

		logs := mocktest.Find(t, eng, typeLifecycle, "tf-logs-lifecycle")
		logRule := mocktest.Input(t, logs, "rules").ArrayValue()[0].ObjectValue()
		assert.Equal(t, float64(365), logRule["expiration"].ObjectValue()["days"].NumberValue())
	})

	t.Run("bucket policies", func(t *testing.T) {
		pol := mocktest.Find(t, eng, typeBucketPol, "tf-bucket-policy")
		assertGoldenJSON(t, "state-bucket-policy.json", mocktest.Str(t, pol, "policy"))
		assert.Contains(t, pol.Dependencies, mocktest.Find(t, eng, typePAB, "tf-bucket-public-access").URN)

		logPol := mocktest.Find(t, eng, typeBucketPol, "tf-logs-policy")
		assertGoldenJSON(t, "log-bucket-policy.json", mocktest.Str(t, logPol, "policy"))
	})

	t.Run("access logs go to the dedicated bucket under the state bucket's name", func(t *testing.T) {
		logging := mocktest.Find(t, eng, typeLogging, "tf-bucket-logging")
		assert.Equal(t, "tf-logs", mocktest.Str(t, logging, "targetBucket"))
		assert.Equal(t, "tf-bucket/", mocktest.Str(t, logging, "targetPrefix"))
		assert.Contains(t, logging.Dependencies, mocktest.Find(t, eng, typeBucketPol, "tf-logs-policy").URN)
	})

	t.Run("outputs", func(t *testing.T) {
		assert.Equal(t, "s3://tf-bucket?region=eu-west-1&awssdk=v2", out["loginUrl"])
		assert.Equal(t, "awskms://alias/novacron-pulumi-secrets?region=eu-west-1", out["secretsProvider"])
		assert.Equal(t, "tf-bucket", out["bucketName"])
		assert.Equal(t, mockStateKeyArn, out["stateKeyArn"])
		assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:tf-secrets-key", out["secretsKeyArn"])
		assert.Equal(t, "tf-logs", out["accessLogBucket"])
	})
}

func TestNewBackendOptions(t *testing.T) {
	eng, out := runBackend(t, &BackendArgs{
		Region:                   "us-west-2",
		BucketName:               "acme-pulumi-state",
		KeyAliasPrefix:           "acme",
		KeyDeletionWindowDays:    14,
		NoncurrentVersionDays:    400,
		NoncurrentVersionsToKeep: 50,
		AccessLogBucket:          "acme-log-archive",
	})

	bucket := mocktest.Find(t, eng, typeBucket, "tf-bucket")
	assert.Equal(t, "acme-pulumi-state", mocktest.Str(t, bucket, "bucket"))
	assert.Nil(t, eng.Find(typeBucket, "tf-logs"), "no log bucket when an existing one is given")
	assert.Len(t, eng.ByType(typeBucketPol), 1)

	logging := mocktest.Find(t, eng, typeLogging, "tf-bucket-logging")
	assert.Equal(t, "acme-log-archive", mocktest.Str(t, logging, "targetBucket"))
	assert.Equal(t, "acme-pulumi-state/", mocktest.Str(t, logging, "targetPrefix"))

	for _, k := range []string{"tf-bucket-key", "tf-secrets-key"} {
		assert.Equal(t, 14, num(t, mocktest.Find(t, eng, typeKey, k), "deletionWindowInDays"))
	}
	nve := mocktest.Input(t, mocktest.Find(t, eng, typeLifecycle, "tf-bucket-lifecycle"), "rules").ArrayValue()[0].
		ObjectValue()["noncurrentVersionExpiration"].ObjectValue()
	assert.Equal(t, float64(400), nve["noncurrentDays"].NumberValue())
	assert.Equal(t, float64(50), nve["newerNoncurrentVersions"].NumberValue())

	assert.Equal(t, "s3://acme-pulumi-state?region=us-west-2&awssdk=v2", out["loginUrl"])
	assert.Equal(t, "awskms://alias/acme-secrets?region=us-west-2", out["secretsProvider"])
	assert.Equal(t, "acme-log-archive", out["accessLogBucket"])
}

// TestStateBucketPolicyShape checks the rendered policy's logic directly, independent of the
// golden file: TLS enforced on bucket and objects, and the encryption denials only apply to
// requests that carry the header.
func TestStateBucketPolicyShape(t *testing.T) {
	doc, err := stateBucketPolicy("arn:aws:s3:::b", "arn:aws:kms:eu-west-1:111122223333:key/k").Render()
	require.NoError(t, err)
	var parsed struct {
		Statement []struct {
			Sid       string
			Effect    string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &parsed))
	bySid := map[string]int{}
	for i, s := range parsed.Statement {
		bySid[s.Sid] = i
		assert.Equal(t, "Deny", s.Effect, s.Sid)
	}
	tls := parsed.Statement[bySid["DenyInsecureTransport"]]
	assert.Equal(t, []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, tls.Resource)
	assert.Equal(t, "false", tls.Condition["Bool"]["aws:SecureTransport"])
	for _, sid := range []string{"DenyOtherEncryption", "DenyOtherKmsKey"} {
		s := parsed.Statement[bySid[sid]]
		require.Len(t, s.Condition["Null"], 1, sid)
		for k, v := range s.Condition["Null"] {
			assert.Equal(t, "false", v, sid)
			assert.Contains(t, s.Condition["StringNotEquals"], k, "%s: Null and StringNotEquals must test the same header", sid)
		}
	}
	assert.Equal(t, "arn:aws:kms:eu-west-1:111122223333:key/k",
		parsed.Statement[bySid["DenyOtherKmsKey"]].Condition["StringNotEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"])
}
