package baseline

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Project is the account program's Pulumi project name (account/Pulumi.yaml).
const Project = "novacron-account"

// SecretKeys are the keys that must be set with `pulumi config set --secret`.
var SecretKeys = []string{"alertEndpoint"}

// Config is an account stack's typed configuration (keys declared in account/Pulumi.yaml).
// Zero values mean the component defaults.
type Config struct {
	TrailName                  string
	TrailLogRetentionDays      int
	TrailBucketRetentionDays   int
	DisableObjectLock          bool
	ObjectLockMode             string
	ObjectLockDays             int
	S3DataEventBuckets         []string
	LambdaDataEvents           bool
	KeyDeletionWindowDays      int
	ConfigSnapshotFrequency    string
	ConfigRetentionDays        int
	AccessLogRetentionDays     int
	FindingPublishingFrequency string
	InspectorResourceTypes     []string
	AlertProtocol              string
	AlertEndpoint              SecretString
	AllowDestroy               bool
}

// reader reads typed values from the project's config namespace, collecting every problem and
// recording which keys were read (a test checks them against Pulumi.yaml).
type reader struct {
	ctx      *pulumi.Context
	problems validate.Problems
	keys     []string
}

func (r *reader) raw(key string) string {
	r.keys = append(r.keys, key)
	// Context.GetConfig rather than the pulumi/config package, as the bootstrap program does.
	v, _ := r.ctx.GetConfig(Project + ":" + key)
	return v
}

func (r *reader) str(key string) string { return r.raw(key) }

func (r *reader) integer(key string) int {
	raw := r.raw(key)
	if raw == "" {
		return 0
	}
	v, err := strconv.Atoi(raw)
	if err != nil {
		r.problems.Addf(key, "must be an integer, got %q", raw)
	}
	return v
}

func (r *reader) boolean(key string) bool {
	raw := r.raw(key)
	if raw == "" {
		return false
	}
	v, err := strconv.ParseBool(raw)
	if err != nil || (raw != "true" && raw != "false") {
		r.problems.Addf(key, "must be true or false, got %q", raw)
	}
	return v
}

func (r *reader) list(key string) []string {
	raw := r.raw(key)
	if raw == "" {
		return nil
	}
	var v []string
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		r.problems.Addf(key, "must be a list of strings, got %s", raw)
	}
	return v
}

// secret reads a key that must be stored encrypted; its value is never quoted.
func (r *reader) secret(key string) SecretString {
	raw := r.raw(key)
	if raw != "" && !r.ctx.IsConfigSecret(Project+":"+key) {
		r.problems.Addf(key, "must be set with `pulumi config set --secret %s`, not in plain text (value not shown)", key)
	}
	return SecretString(raw)
}

// LoadConfig reads an account stack's configuration. Type errors are collected; the returned
// keys are the ones read, in order. It is what Program runs first, exported for offline tools.
func LoadConfig(ctx *pulumi.Context) (Config, []string, validate.Problems) {
	r := &reader{ctx: ctx}
	c := Config{
		TrailName:                  r.str("trailName"),
		TrailLogRetentionDays:      r.integer("trailLogRetentionDays"),
		TrailBucketRetentionDays:   r.integer("trailBucketRetentionDays"),
		DisableObjectLock:          r.boolean("disableObjectLock"),
		ObjectLockMode:             r.str("objectLockMode"),
		ObjectLockDays:             r.integer("objectLockDays"),
		S3DataEventBuckets:         r.list("s3DataEventBuckets"),
		LambdaDataEvents:           r.boolean("lambdaDataEvents"),
		KeyDeletionWindowDays:      r.integer("keyDeletionWindowDays"),
		ConfigSnapshotFrequency:    r.str("configSnapshotFrequency"),
		ConfigRetentionDays:        r.integer("configRetentionDays"),
		AccessLogRetentionDays:     r.integer("accessLogRetentionDays"),
		FindingPublishingFrequency: r.str("findingPublishingFrequency"),
		InspectorResourceTypes:     r.list("inspectorResourceTypes"),
		AlertProtocol:              r.str("alertProtocol"),
		AlertEndpoint:              r.secret("alertEndpoint"),
		AllowDestroy:               r.boolean("allowDestroy"),
	}
	return c, r.keys, r.problems
}

// Args turns the configuration into the component's arguments for a home region.
func (c Config) Args(region string) *BaselineArgs {
	return &BaselineArgs{
		Region:                     region,
		TrailName:                  c.TrailName,
		TrailLogRetentionDays:      c.TrailLogRetentionDays,
		TrailBucketRetentionDays:   c.TrailBucketRetentionDays,
		DisableObjectLock:          c.DisableObjectLock,
		ObjectLockMode:             c.ObjectLockMode,
		ObjectLockDays:             c.ObjectLockDays,
		S3DataEventBuckets:         c.S3DataEventBuckets,
		LambdaDataEvents:           c.LambdaDataEvents,
		KeyDeletionWindowDays:      c.KeyDeletionWindowDays,
		ConfigSnapshotFrequency:    c.ConfigSnapshotFrequency,
		ConfigRetentionDays:        c.ConfigRetentionDays,
		AccessLogRetentionDays:     c.AccessLogRetentionDays,
		FindingPublishingFrequency: c.FindingPublishingFrequency,
		InspectorResourceTypes:     c.InspectorResourceTypes,
		AlertProtocol:              c.AlertProtocol,
		AlertEndpoint:              c.AlertEndpoint,
		AllowDestroy:               c.AllowDestroy,
	}
}

// configError renders problems as "<stack>: novacron-account:<key> <message>", one per line. The
// component's fields are named as the config keys; the region is the AWS provider's, aws:region.
func configError(stack string, problems validate.Problems) error {
	if len(problems) == 0 {
		return nil
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		key := Project + ":" + p.Field
		if p.Field == "region" {
			key = "aws:region"
		}
		lines[i] = fmt.Sprintf("%s: %s %s", stack, key, p.Message)
	}
	return errors.New(strings.Join(lines, "\n"))
}

// Program is the account Pulumi program: the baseline of one account in its home region. It
// validates all configuration before registering anything.
func Program(ctx *pulumi.Context) error {
	cfg, _, problems := LoadConfig(ctx)
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: looking up the AWS region (set aws:region): %w", ctx.Stack(), err)
	}
	args := cfg.Args(region.Name)
	problems = append(problems, args.Validate()...)
	if err := configError(ctx.Stack(), problems); err != nil {
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
