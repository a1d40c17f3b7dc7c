package baseline

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/programconfig"
	"github.com/novacron/platform/internal/validate"
)

// Project is the account program's Pulumi project name (account/Pulumi.yaml).
const Project = "novacron-account"

// SecretKeys are the keys that must be set with `pulumi config set --secret`.
var SecretKeys = []string{"alertEndpoint"}

// LoadConfig reads an account stack's configuration into the component's arguments, all but
// Region, which comes from the provider. Type errors are collected; the returned keys are the
// ones read, in order. It is what Program runs first, exported for offline tools.
func LoadConfig(ctx *pulumi.Context) (BaselineArgs, []string, validate.Problems) {
	r := programconfig.NewReader(ctx, Project)
	c := BaselineArgs{
		TrailName:                  r.Str("trailName"),
		TrailLogRetentionDays:      r.Int("trailLogRetentionDays"),
		TrailBucketRetentionDays:   r.Int("trailBucketRetentionDays"),
		DisableObjectLock:          r.Bool("disableObjectLock"),
		ObjectLockMode:             r.Str("objectLockMode"),
		ObjectLockDays:             r.Int("objectLockDays"),
		S3DataEventBuckets:         r.List("s3DataEventBuckets"),
		LambdaDataEvents:           r.Bool("lambdaDataEvents"),
		KeyDeletionWindowDays:      r.Int("keyDeletionWindowDays"),
		ConfigSnapshotFrequency:    r.Str("configSnapshotFrequency"),
		ConfigRetentionDays:        r.Int("configRetentionDays"),
		AccessLogRetentionDays:     r.Int("accessLogRetentionDays"),
		FindingPublishingFrequency: r.Str("findingPublishingFrequency"),
		InspectorResourceTypes:     r.List("inspectorResourceTypes"),
		AlertProtocol:              r.Str("alertProtocol"),
		AlertEndpoint:              SecretString(r.Secret("alertEndpoint")),
		AllowDestroy:               r.Bool("allowDestroy"),
	}
	return c, r.Keys, r.Problems
}

// Program is the account Pulumi program: the baseline of one account in its home region. It
// validates all configuration before registering anything.
func Program(ctx *pulumi.Context) error {
	cfg, _, problems := LoadConfig(ctx)
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: looking up the AWS region (set aws:region): %w", ctx.Stack(), err)
	}
	args := &cfg
	args.Region = region.Name
	problems = append(problems, args.Validate()...)
	if err := programconfig.Err(ctx.Stack(), Project, problems, nil); err != nil {
		return err
	}

	b, err := NewBaseline(ctx, "novacron-account", args)
	if err != nil {
		return err
	}
	ctx.Export("trailArn", b.TrailArn)
	ctx.Export("trailBucketName", b.TrailBucketName)
	ctx.Export("trailLogGroupName", b.TrailLogGroupName)
	ctx.Export("configBucketName", b.ConfigBucketName)
	ctx.Export("accessLogBucketName", b.AccessLogBucketName)
	ctx.Export("alertsTopicArn", b.AlertsTopicArn)
	ctx.Export("guardDutyDetectorId", b.GuardDutyDetectorID)
	ctx.Export("accessAnalyzerArn", b.AccessAnalyzerArn)
	return nil
}
