package state

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/kmspolicy"
	"github.com/novacron/platform/internal/validate"
)

// Defaults of BackendArgs.
const (
	DefaultKeyAliasPrefix           = "novacron-pulumi"
	DefaultKeyDeletionWindowDays    = 30
	DefaultNoncurrentVersionDays    = 90
	DefaultNoncurrentVersionsToKeep = 20
	DefaultAccessLogRetentionDays   = 365
	// abortMultipartDays cleans up parts of uploads that never completed; state files are small,
	// so anything left after a week is debris.
	abortMultipartDays = 7
	// logNoncurrentDays keeps overwritten or deleted log objects for a month before they go.
	logNoncurrentDays = 30
)

// BackendArgs configures the Pulumi state backend: one S3 bucket for stack state and one KMS key
// for the secrets provider.
type BackendArgs struct {
	// Region is the AWS region the bucket and keys are created in. It is written into LoginURL
	// and SecretsProvider so the CLI addresses the right regional endpoints. Required; there is
	// no default.
	Region string
	// BucketName is the state bucket's name. S3 bucket names are global, so by default Pulumi
	// names the bucket "<name>-bucket-<random suffix>". Default: "" (auto-named).
	BucketName string
	// KeyAliasPrefix names the KMS aliases: alias/<prefix>-state for the bucket's encryption key
	// and alias/<prefix>-secrets for the secrets provider. Aliases are unique per account and
	// region. Default: "novacron-pulumi".
	KeyAliasPrefix string
	// KeyDeletionWindowDays is the waiting period (7 to 30 days) before a scheduled deletion of
	// either key takes effect: losing the secrets key makes every stack secret unreadable.
	// Default: 30.
	KeyDeletionWindowDays int
	// NoncurrentVersionDays is how long a superseded version of a state object is kept before S3
	// expires it. Versions are what a state rollback restores from. Default: 90.
	NoncurrentVersionDays int
	// NoncurrentVersionsToKeep is how many of the newest superseded versions of each object are
	// kept whatever their age (1 to 100, the S3 limit). Default: 20.
	NoncurrentVersionsToKeep int
	// AccessLogBucket is an existing bucket (for example an organisation's log archive) that
	// receives the state bucket's S3 server access logs under "<state bucket>/". Default: ""
	// (a dedicated log bucket is created).
	AccessLogBucket string
	// AccessLogRetentionDays is how long the dedicated log bucket keeps access logs; ignored
	// when AccessLogBucket is set. Default: 365.
	AccessLogRetentionDays int
}

// withDefaults returns a copy with every zero field replaced by its default.
func (a *BackendArgs) withDefaults() BackendArgs {
	d := *a
	if d.KeyAliasPrefix == "" {
		d.KeyAliasPrefix = DefaultKeyAliasPrefix
	}
	if d.KeyDeletionWindowDays == 0 {
		d.KeyDeletionWindowDays = DefaultKeyDeletionWindowDays
	}
	if d.NoncurrentVersionDays == 0 {
		d.NoncurrentVersionDays = DefaultNoncurrentVersionDays
	}
	if d.NoncurrentVersionsToKeep == 0 {
		d.NoncurrentVersionsToKeep = DefaultNoncurrentVersionsToKeep
	}
	if d.AccessLogRetentionDays == 0 {
		d.AccessLogRetentionDays = DefaultAccessLogRetentionDays
	}
	return d
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// bucketPattern is the S3 general purpose bucket naming rule (AWS S3 User Guide, "General
	// purpose bucket naming rules"); dots are left out because they break TLS for
	// virtual-hosted-style requests.
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	aliasPattern  = regexp.MustCompile(`^[a-zA-Z0-9/_-]+$`)
)

// Validate reports every invalid field, defaults applied. It reads plain values only.
func (a *BackendArgs) Validate() validate.Problems {
	d := a.withDefaults()
	var p validate.Problems
	switch {
	case strings.TrimSpace(d.Region) == "":
		p.Addf("region", "must not be empty")
	case !regionPattern.MatchString(d.Region):
		p.Addf("region", "must be an AWS region such as eu-west-1, got %q", d.Region)
	}
	checkBucketName(&p, "bucketName", d.BucketName)
	checkBucketName(&p, "accessLogBucket", d.AccessLogBucket)
	switch {
	case !aliasPattern.MatchString(d.KeyAliasPrefix):
		p.Addf("keyAliasPrefix", "must contain only letters, digits, '/', '_' and '-', got %q", d.KeyAliasPrefix)
	case strings.HasPrefix(d.KeyAliasPrefix, "alias/"):
		p.Addf("keyAliasPrefix", "must not start with \"alias/\" (it is added), got %q", d.KeyAliasPrefix)
	case strings.HasPrefix(strings.ToLower(d.KeyAliasPrefix), "aws"):
		p.Addf("keyAliasPrefix", "must not start with \"aws\" (reserved for AWS managed keys), got %q", d.KeyAliasPrefix)
	case len(d.KeyAliasPrefix) > 200:
		p.Addf("keyAliasPrefix", "must be at most 200 characters, got %d", len(d.KeyAliasPrefix))
	}
	// KMS accepts a pending window of 7 to 30 days (AWS KMS API, ScheduleKeyDeletion).
	p.IntRange("keyDeletionWindowDays", d.KeyDeletionWindowDays, 7, 30)
	p.IntRange("noncurrentVersionDays", d.NoncurrentVersionDays, 1, 3650)
	// NewerNoncurrentVersions accepts at most 100 (AWS S3 API, NoncurrentVersionExpiration).
	p.IntRange("noncurrentVersionsToKeep", d.NoncurrentVersionsToKeep, 1, 100)
	p.IntRange("accessLogRetentionDays", d.AccessLogRetentionDays, 1, 3650)
	return p
}

func checkBucketName(p *validate.Problems, field, name string) {
	if name == "" {
		return
	}
	switch {
	case !bucketPattern.MatchString(name):
		p.Addf(field, "must be 3 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit, got %q", name)
	case strings.Contains(name, "--"):
		// Reserved for S3 suffixes such as --ol-s3 and --x-s3.
		p.Addf(field, "must not contain \"--\", got %q", name)
	case strings.HasPrefix(name, "xn--"), strings.HasPrefix(name, "sthree-"):
		p.Addf(field, "must not start with a reserved prefix (xn--, sthree-), got %q", name)
	}
}

// Backend is the self-managed Pulumi state backend.
type Backend struct {
	pulumi.ResourceState

	// BucketName is the state bucket's name.
	BucketName pulumi.StringOutput
	// BucketArn is the state bucket's ARN.
	BucketArn pulumi.StringOutput
	// StateKeyArn is the ARN of the KMS key that encrypts state objects at rest.
	StateKeyArn pulumi.StringOutput
	// SecretsKeyArn is the ARN of the KMS key behind the secrets provider.
	SecretsKeyArn pulumi.StringOutput
	// AccessLogBucketName is the bucket that receives the state bucket's access logs.
	AccessLogBucketName pulumi.StringOutput
	// LoginURL is the argument of `pulumi login`: s3://<bucket>?region=<region>&awssdk=v2.
	LoginURL pulumi.StringOutput
	// SecretsProvider is the argument of `pulumi stack init --secrets-provider`:
	// awskms://alias/<prefix>-secrets?region=<region>.
	SecretsProvider pulumi.StringOutput
}

// NewBackend creates the state bucket, its encryption key, the secrets provider key and the
// access log destination.
func NewBackend(ctx *pulumi.Context, name string, args *BackendArgs, opts ...pulumi.ResourceOption) (*Backend, error) {
	if args == nil {
		args = &BackendArgs{}
	}
	if err := args.Validate().Err("backend", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()

	b := &Backend{}
	if err := ctx.RegisterComponentResource("novacron:state:Backend", name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)
	// Losing the bucket loses every stack's state; losing a key makes state or secrets
	// unreadable. `pulumi destroy` must be a deliberate two-step operation for them.
	protect := pulumi.Protect(true)

	stateKey, err := newKey(ctx, name+"-bucket-key", "Encrypts Pulumi state objects in the state bucket (SSE-KMS).",
		"alias/"+a.KeyAliasPrefix+"-state", a.KeyDeletionWindowDays, parent, protect)
	if err != nil {
		return nil, err
	}
	secretsKey, err := newKey(ctx, name+"-secrets-key", "Pulumi secrets provider: encrypts the data keys of stack secrets.",
		"alias/"+a.KeyAliasPrefix+"-secrets", a.KeyDeletionWindowDays, parent, protect)
	if err != nil {
		return nil, err
	}

	bucketArgs := &s3.BucketV2Args{ForceDestroy: pulumi.Bool(false)}
	if a.BucketName != "" {
		bucketArgs.Bucket = pulumi.String(a.BucketName)
	}
	bucket, err := s3.NewBucketV2(ctx, name+"-bucket", bucketArgs, parent, protect)
	if err != nil {
		return nil, err
	}
	versioning, err := hardenBucket(ctx, name+"-bucket", bucket, parent, bucketEncryption{
		algorithm: "aws:kms", keyArn: stateKey.key.Arn,
	})
	if err != nil {
		return nil, err
	}
	_, err = s3.NewBucketLifecycleConfigurationV2(ctx, name+"-bucket-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.Bucket,
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("expire-noncurrent-versions"),
				Status: pulumi.String("Enabled"),
				// An empty prefix filter applies the rule to every object; provider v6 warns
				// when neither filter nor prefix is set.
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays:          pulumi.Int(a.NoncurrentVersionDays),
					NewerNoncurrentVersions: pulumi.Int(a.NoncurrentVersionsToKeep),
				},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
					DaysAfterInitiation: pulumi.Int(abortMultipartDays),
				},
			},
		},
		// S3 rejects noncurrent-version rules racing a versioning change.
	}, parent, pulumi.DependsOn([]pulumi.Resource{versioning}))
	if err != nil {
		return nil, err
	}
	policyJSON := pulumi.All(bucket.Arn, stateKey.key.Arn).ApplyT(func(v []any) (string, error) {
		return stateBucketPolicy(v[0].(string), v[1].(string)).Render()
	}).(pulumi.StringOutput)
	publicAccess, err := s3.NewBucketPublicAccessBlock(ctx, name+"-bucket-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketPolicy(ctx, name+"-bucket-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policyJSON,
	}, parent, pulumi.DependsOn([]pulumi.Resource{publicAccess})); err != nil {
		return nil, err
	}

	logBucketName, err := accessLogs(ctx, name, a, bucket, parent)
	if err != nil {
		return nil, err
	}

	b.BucketName = bucket.Bucket
	b.BucketArn = bucket.Arn
	b.StateKeyArn = stateKey.key.Arn
	b.SecretsKeyArn = secretsKey.key.Arn
	b.AccessLogBucketName = logBucketName
	// Login URL format for S3 backends with an explicit region and the v2 AWS SDK:
	// pulumi docs, "State and backends" (AWS S3).
	b.LoginURL = pulumi.Sprintf("s3://%s?region=%s&awssdk=v2", bucket.Bucket, a.Region)
	// awskms://<key id or alias>?region=<region>: pulumi docs, `pulumi stack init`.
	b.SecretsProvider = pulumi.Sprintf("awskms://%s?region=%s", secretsKey.alias.Name, a.Region)

	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{
		"bucketName":          b.BucketName,
		"bucketArn":           b.BucketArn,
		"stateKeyArn":         b.StateKeyArn,
		"secretsKeyArn":       b.SecretsKeyArn,
		"accessLogBucketName": b.AccessLogBucketName,
		"loginUrl":            b.LoginURL,
		"secretsProvider":     b.SecretsProvider,
	}); err != nil {
		return nil, err
	}
	return b, nil
}

// accessLogs turns on S3 server access logging for the state bucket, into args.AccessLogBucket
// or a dedicated bucket, and returns the destination's name.
func accessLogs(ctx *pulumi.Context, name string, a BackendArgs, bucket *s3.BucketV2,
	parent pulumi.ResourceOrInvokeOption,
) (pulumi.StringOutput, error) {
	var target pulumi.StringOutput
	var deps []pulumi.Resource
	if a.AccessLogBucket != "" {
		target = pulumi.String(a.AccessLogBucket).ToStringOutput()
	} else {
		caller, err := aws.GetCallerIdentity(ctx, nil, parent)
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("backend %q: looking up the account id: %w", name, err)
		}
		logs, err := s3.NewBucketV2(ctx, name+"-logs", &s3.BucketV2Args{ForceDestroy: pulumi.Bool(false)}, parent)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		// S3 log delivery writes with SSE-S3; a KMS default would also need a key policy
		// grant for the logging service, for logs that hold no secrets.
		versioning, err := hardenBucket(ctx, name+"-logs", logs, parent, bucketEncryption{algorithm: "AES256"})
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-logs-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
			Bucket: logs.Bucket,
			Rules: s3.BucketLifecycleConfigurationV2RuleArray{
				&s3.BucketLifecycleConfigurationV2RuleArgs{
					Id:         pulumi.String("expire-access-logs"),
					Status:     pulumi.String("Enabled"),
					Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
					Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.AccessLogRetentionDays)},
					NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
						NoncurrentDays: pulumi.Int(logNoncurrentDays),
					},
					AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
						DaysAfterInitiation: pulumi.Int(abortMultipartDays),
					},
				},
			},
		}, parent, pulumi.DependsOn([]pulumi.Resource{versioning})); err != nil {
			return pulumi.StringOutput{}, err
		}
		publicAccess, err := s3.NewBucketPublicAccessBlock(ctx, name+"-logs-public-access", &s3.BucketPublicAccessBlockArgs{
			Bucket:                logs.ID(),
			BlockPublicAcls:       pulumi.Bool(true),
			BlockPublicPolicy:     pulumi.Bool(true),
			IgnorePublicAcls:      pulumi.Bool(true),
			RestrictPublicBuckets: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		policyJSON := pulumi.All(logs.Arn, bucket.Arn, bucket.Bucket).ApplyT(func(v []any) (string, error) {
			return logBucketPolicy(v[0].(string), v[1].(string), v[2].(string), caller.AccountId).Render()
		}).(pulumi.StringOutput)
		policy, err := s3.NewBucketPolicy(ctx, name+"-logs-policy", &s3.BucketPolicyArgs{
			Bucket: logs.ID(),
			Policy: policyJSON,
		}, parent, pulumi.DependsOn([]pulumi.Resource{publicAccess}))
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		target = logs.Bucket
		// Logging is switched on only once the log bucket accepts deliveries.
		deps = []pulumi.Resource{policy}
	}
	if _, err := s3.NewBucketLoggingV2(ctx, name+"-bucket-logging", &s3.BucketLoggingV2Args{
		Bucket:       bucket.ID(),
		TargetBucket: target,
		TargetPrefix: pulumi.Sprintf("%s/", bucket.Bucket),
	}, parent, pulumi.DependsOn(deps)); err != nil {
		return pulumi.StringOutput{}, err
	}
	return target, nil
}

type kmsKey struct {
	key   *kms.Key
	alias *kms.Alias
}

// newKey creates a symmetric KMS key with yearly automatic rotation and its alias. The key policy
// is the account statement of the AWS default policy, written out (the account delegates use
// through IAM policies), so access is granted by the roles' own policies.
func newKey(ctx *pulumi.Context, name, description, alias string, deletionWindowDays int,
	parent, protect pulumi.ResourceOption,
) (kmsKey, error) {
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(deletionWindowDays),
		Policy:               kmspolicy.AccountRoot(ctx),
	}, parent, protect)
	if err != nil {
		return kmsKey{}, err
	}
	// The secrets provider URL names the alias, so the alias is as vital as the key.
	al, err := kms.NewAlias(ctx, name+"-alias", &kms.AliasArgs{
		Name:        pulumi.String(alias),
		TargetKeyId: key.KeyId,
	}, parent, protect)
	if err != nil {
		return kmsKey{}, err
	}
	return kmsKey{key: key, alias: al}, nil
}

type bucketEncryption struct {
	algorithm string
	keyArn    pulumi.StringInput
}

// hardenBucket applies what every bucket here gets: ACLs disabled (bucket owner enforced),
// default encryption, and versioning. It returns the versioning resource, which lifecycle rules
// must wait for.
func hardenBucket(ctx *pulumi.Context, name string, bucket *s3.BucketV2, parent pulumi.ResourceOption,
	enc bucketEncryption,
) (*s3.BucketVersioningV2, error) {
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return nil, err
	}
	byDefault := &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
		SseAlgorithm: pulumi.String(enc.algorithm),
	}
	rule := &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{ApplyServerSideEncryptionByDefault: byDefault}
	if enc.keyArn != nil {
		byDefault.KmsMasterKeyId = enc.keyArn
		// An S3 Bucket Key cuts KMS requests (and their cost) by reusing a bucket-level data key
		// (AWS S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys").
		rule.BucketKeyEnabled = pulumi.Bool(true)
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption",
		&s3.BucketServerSideEncryptionConfigurationV2Args{
			Bucket: bucket.ID(),
			Rules:  s3.BucketServerSideEncryptionConfigurationV2RuleArray{rule},
		}, parent); err != nil {
		return nil, err
	}
	return s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket: bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{
			Status: pulumi.String("Enabled"),
		},
	}, parent)
}
