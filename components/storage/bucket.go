package storage

import (
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Defaults for BucketArgs.
const (
	DefaultStandardIaAfterDays         = 30
	DefaultGlacierAfterDays            = 90
	DefaultNoncurrentVersionExpiryDays = 90
	DefaultAbortIncompleteUploadDays   = 7
)

// BackupTagKey and BackupTagValue form the functional tag that puts a bucket into the AWS Backup
// selection (components/backup selects resources by the same pair).
const (
	BackupTagKey   = "backup"
	BackupTagValue = "true"
)

// S3 lifecycle minimums. Source: Amazon S3 User Guide, "Transitioning objects using Amazon S3
// Lifecycle", constraints: objects stay at least 30 days in S3 Standard before Standard-IA, and a
// rule may not move objects to Glacier less than 30 days after it moved them to Standard-IA.
const (
	minStandardIaDays    = 30
	minDaysInStandardIa  = 30
	maxLifecycleDays     = 36500
	maxAbortUploadDays   = 365
	minNoncurrentExpDays = 1
)

// bucketNamePattern is the general purpose bucket naming rule (Amazon S3 User Guide, "Bucket
// naming rules"): 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit.
var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// BucketArgs configures one bucket.
type BucketArgs struct {
	// BucketName is the bucket's global name. Default: "" (auto-named from the component name
	// with a random suffix, which avoids collisions between stacks and accounts).
	BucketName string
	// KmsKeyArn is the customer-managed KMS key for SSE-KMS. Required, except for an access log
	// target, which must leave it empty (S3 supports only SSE-S3 there).
	KmsKeyArn pulumi.StringInput
	// AccessLogsTarget makes this the bucket that receives S3 server access logs: SSE-S3
	// encryption and a policy statement for the S3 logging service principal. Default: false.
	AccessLogsTarget bool
	// AccessLogsBucket is the name of the bucket that receives this bucket's server access logs.
	// Default: none (no access logging).
	AccessLogsBucket pulumi.StringInput
	// AccessLogsPrefix is the key prefix of this bucket's logs in the target bucket.
	// Default: "<component name>/".
	AccessLogsPrefix string
	// StandardIaAfterDays is when current objects move to S3 Standard-IA; at least 30.
	// Default: 30.
	StandardIaAfterDays int
	// GlacierAfterDays is when current objects move to S3 Glacier Flexible Retrieval; at least
	// 30 days after StandardIaAfterDays. Default: 90.
	GlacierAfterDays int
	// DisableGlacierTransition keeps objects in Standard-IA instead of archiving them (for data
	// that must stay readable without a restore). Default: false.
	DisableGlacierTransition bool
	// DisableTransitions keeps objects in S3 Standard (for short-lived data that expires before
	// a transition would pay off). Default: false.
	DisableTransitions bool
	// ExpireAfterDays deletes current objects this many days after creation (in a versioned
	// bucket they become noncurrent first). Must come after the last transition.
	// Default: 0 (current objects never expire).
	ExpireAfterDays int
	// NoncurrentVersionExpiryDays is how long overwritten or deleted versions are kept.
	// Default: 90.
	NoncurrentVersionExpiryDays int
	// AbortIncompleteUploadDays is when parts of unfinished multipart uploads are removed.
	// Default: 7.
	AbortIncompleteUploadDays int
	// Backup tags the bucket backup=true so that the AWS Backup plan protects it. Default: false.
	Backup bool
	// Protect marks the bucket protected, so that deleting it needs an explicit unprotect.
	// Default: false.
	Protect bool
	// ForceDestroy deletes every object and object version when the bucket is deleted, so that
	// a disposable stack can be destroyed and created again: S3 deletes only empty buckets
	// (Amazon S3 API Reference, DeleteBucket). Not with Protect. Default: false.
	ForceDestroy bool
}

// Bucket is one S3 bucket with its configuration resources.
type Bucket struct {
	pulumi.ResourceState

	// BucketName is the bucket's name.
	BucketName pulumi.StringOutput
	// BucketArn is the bucket's ARN.
	BucketArn pulumi.StringOutput
	// Resources are the bucket and every configuration resource of it, for a dependent that
	// must wait for all of them (pulumi.DependsOn on the component itself only covers the
	// children already attached to it, which happens asynchronously).
	Resources []pulumi.Resource
}

// Validate reports every problem with the arguments; fields are named as in config.
func (a *BucketArgs) Validate() validate.Problems {
	var p validate.Problems
	d := a.withDefaults()
	if a.BucketName != "" && !bucketNamePattern.MatchString(a.BucketName) {
		p.Addf("bucketName", "must be 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit, got %q", a.BucketName)
	}
	switch {
	case a.AccessLogsTarget && a.KmsKeyArn != nil:
		p.Addf("kmsKeyArn", "must be empty for an access log target: S3 supports only SSE-S3 on a server access log target bucket")
	case !a.AccessLogsTarget && a.KmsKeyArn == nil:
		p.Addf("kmsKeyArn", "must be set: buckets are encrypted with SSE-KMS and a customer-managed key")
	}
	if a.AccessLogsTarget && a.AccessLogsBucket != nil {
		p.Addf("accessLogsBucket", "must be empty for an access log target: a log bucket does not log its own access")
	}

	last := 0 // day of the last transition, for the expiry check
	if !d.DisableTransitions {
		if d.StandardIaAfterDays < minStandardIaDays || d.StandardIaAfterDays > maxLifecycleDays {
			p.Addf("standardIaAfterDays", "must be between %d and %d (S3 keeps objects %d days in Standard before Standard-IA), got %d",
				minStandardIaDays, maxLifecycleDays, minStandardIaDays, d.StandardIaAfterDays)
		}
		last = d.StandardIaAfterDays
		if !d.DisableGlacierTransition {
			if lo := d.StandardIaAfterDays + minDaysInStandardIa; d.GlacierAfterDays < lo || d.GlacierAfterDays > maxLifecycleDays {
				p.Addf("glacierAfterDays", "must be between %d and %d (at least %d days after standardIaAfterDays), got %d",
					lo, maxLifecycleDays, minDaysInStandardIa, d.GlacierAfterDays)
			}
			last = d.GlacierAfterDays
		}
	}
	if a.ExpireAfterDays != 0 {
		if lo := max(last+1, 1); a.ExpireAfterDays < lo || a.ExpireAfterDays > maxLifecycleDays {
			p.Addf("expireAfterDays", "must be between %d and %d (after the last transition, on day %d), got %d",
				lo, maxLifecycleDays, last, a.ExpireAfterDays)
		}
	}
	if a.ForceDestroy && a.Protect {
		p.Addf("forceDestroy", "must not be set with protect: a protected bucket is never deleted by the program")
	}
	p.IntRange("noncurrentVersionExpiryDays", d.NoncurrentVersionExpiryDays, minNoncurrentExpDays, maxLifecycleDays)
	p.IntRange("abortIncompleteUploadDays", d.AbortIncompleteUploadDays, 1, maxAbortUploadDays)
	return p
}

func (a BucketArgs) withDefaults() BucketArgs {
	if a.StandardIaAfterDays == 0 {
		a.StandardIaAfterDays = DefaultStandardIaAfterDays
	}
	if a.GlacierAfterDays == 0 {
		a.GlacierAfterDays = DefaultGlacierAfterDays
	}
	if a.NoncurrentVersionExpiryDays == 0 {
		a.NoncurrentVersionExpiryDays = DefaultNoncurrentVersionExpiryDays
	}
	if a.AbortIncompleteUploadDays == 0 {
		a.AbortIncompleteUploadDays = DefaultAbortIncompleteUploadDays
	}
	return a
}

// NewBucket creates the bucket and its configuration resources.
func NewBucket(ctx *pulumi.Context, name string, args *BucketArgs, opts ...pulumi.ResourceOption) (*Bucket, error) {
	if args == nil {
		args = &BucketArgs{}
	}
	if err := args.Validate().Err("bucket", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	if a.AccessLogsPrefix == "" {
		a.AccessLogsPrefix = name + "/"
	}

	b := &Bucket{}
	if err := ctx.RegisterComponentResource("novacron:storage:Bucket", name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)

	bucketArgs := &s3.BucketV2Args{}
	if a.BucketName != "" {
		bucketArgs.Bucket = pulumi.String(a.BucketName)
	}
	if a.Backup {
		bucketArgs.Tags = pulumi.StringMap{BackupTagKey: pulumi.String(BackupTagValue)}
	}
	if a.ForceDestroy {
		bucketArgs.ForceDestroy = pulumi.Bool(true)
	}
	bucketOpts := []pulumi.ResourceOption{parent}
	if a.Protect {
		bucketOpts = append(bucketOpts, pulumi.Protect(true))
	}
	bucket, err := s3.NewBucketV2(ctx, name, bucketArgs, bucketOpts...)
	if err != nil {
		return nil, err
	}

	b.Resources = append(b.Resources, bucket)
	ownership, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule: &s3.BucketOwnershipControlsRuleArgs{
			ObjectOwnership: pulumi.String("BucketOwnerEnforced"),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	b.Resources = append(b.Resources, ownership)

	publicAccess, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	b.Resources = append(b.Resources, publicAccess)

	sse := &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
		ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm:   pulumi.String("aws:kms"),
			KmsMasterKeyId: a.KmsKeyArn,
		},
		BucketKeyEnabled: pulumi.Bool(true),
	}
	if a.AccessLogsTarget {
		sse = &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}
	}
	encryption, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s3.BucketServerSideEncryptionConfigurationV2RuleArray{sse},
	}, parent)
	if err != nil {
		return nil, err
	}
	b.Resources = append(b.Resources, encryption)

	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket: bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{
			Status: pulumi.String("Enabled"),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	b.Resources = append(b.Resources, versioning)

	accountID := ""
	if a.AccessLogsTarget {
		caller, err := aws.GetCallerIdentity(ctx, nil, parent)
		if err != nil {
			return nil, err
		}
		accountID = caller.AccountId
	}
	policy := bucket.Arn.ApplyT(func(arn string) (string, error) {
		return bucketPolicyDocument(arn, accountID)
	}).(pulumi.StringOutput)
	// After the public access block: S3 evaluates a new policy against the block settings.
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policy,
	}, parent, pulumi.DependsOn([]pulumi.Resource{publicAccess}))
	if err != nil {
		return nil, err
	}
	b.Resources = append(b.Resources, bucketPolicy)

	// After versioning: noncurrent-version rules only apply to a versioned bucket.
	lifecycle, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s3.BucketLifecycleConfigurationV2RuleArray{lifecycleRule(a)},
	}, parent, pulumi.DependsOn([]pulumi.Resource{versioning}))
	if err != nil {
		return nil, err
	}
	b.Resources = append(b.Resources, lifecycle)

	if a.AccessLogsBucket != nil {
		logging, err := s3.NewBucketLoggingV2(ctx, name+"-logging", &s3.BucketLoggingV2Args{
			Bucket:       bucket.ID(),
			TargetBucket: a.AccessLogsBucket,
			TargetPrefix: pulumi.String(a.AccessLogsPrefix),
		}, parent)
		if err != nil {
			return nil, err
		}
		b.Resources = append(b.Resources, logging)
	}

	b.BucketName = bucket.Bucket
	b.BucketArn = bucket.Arn
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{
		"bucketName": b.BucketName,
		"bucketArn":  b.BucketArn,
	}); err != nil {
		return nil, err
	}
	return b, nil
}

// lifecycleRule is the single rule that covers the whole bucket (an empty prefix filter).
func lifecycleRule(a BucketArgs) *s3.BucketLifecycleConfigurationV2RuleArgs {
	rule := &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:     pulumi.String("novacron-default"),
		Status: pulumi.String("Enabled"),
		Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
		NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
			NoncurrentDays: pulumi.Int(a.NoncurrentVersionExpiryDays),
		},
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
			DaysAfterInitiation: pulumi.Int(a.AbortIncompleteUploadDays),
		},
	}
	if !a.DisableTransitions {
		transitions := s3.BucketLifecycleConfigurationV2RuleTransitionArray{
			&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{
				Days:         pulumi.Int(a.StandardIaAfterDays),
				StorageClass: pulumi.String("STANDARD_IA"),
			},
		}
		if !a.DisableGlacierTransition {
			transitions = append(transitions, &s3.BucketLifecycleConfigurationV2RuleTransitionArgs{
				Days:         pulumi.Int(a.GlacierAfterDays),
				StorageClass: pulumi.String("GLACIER"),
			})
		}
		rule.Transitions = transitions
	}
	if a.ExpireAfterDays > 0 {
		rule.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
			Days: pulumi.Int(a.ExpireAfterDays),
		}
	} else {
		// Without an expiry, delete markers whose versions have all expired would pile up;
		// S3 does not accept this flag together with Days.
		rule.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
			ExpiredObjectDeleteMarker: pulumi.Bool(true),
		}
	}
	return rule
}
