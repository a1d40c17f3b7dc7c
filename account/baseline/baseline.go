package baseline

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/accessanalyzer"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cfg"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudtrail"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/guardduty"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/inspector2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/securityhub"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type token of the component.
const typeBaseline = "novacron:account:Baseline"

// configRolePolicyName is the AWS managed policy for AWS Config's recorder role (AWS Config
// Developer Guide, "Permissions for the IAM Role Assigned to AWS Config").
const configRolePolicyName = "service-role/AWS_ConfigRole"

// SecurityHubStandards are the Security Hub standards subscribed, by ARN suffix after arn:<partition>:securityhub:<region>:: (Security
// Hub API, BatchEnableStandards; the same ARNs as pulumi-aws's securityhub.StandardsSubscription
// documentation). FSBP is AWS's own best practices; CIS v3.0.0 is the benchmark the policy pack
// and the metric filters number their controls by.
var SecurityHubStandards = []struct{ Name, Path string }{
	{Name: "aws-foundational-security-best-practices", Path: "standards/aws-foundational-security-best-practices/v/1.0.0"},
	{Name: "cis-aws-foundations-benchmark", Path: "standards/cis-aws-foundations-benchmark/v/3.0.0"},
}

// GuardDutyFeatures are the detector's protection plans (GuardDuty API,
// DetectorFeatureConfiguration.Name). RUNTIME_MONITORING with EKS_ADDON_MANAGEMENT has GuardDuty
// install and update its security agent as an EKS add-on on every cluster; it replaces
// EKS_RUNTIME_MONITORING, and the API refuses both together.
var GuardDutyFeatures = []struct {
	Name       string
	Additional []string
}{
	{Name: "S3_DATA_EVENTS"},
	{Name: "EKS_AUDIT_LOGS"},
	{Name: "RDS_LOGIN_EVENTS"},
	{Name: "RUNTIME_MONITORING", Additional: []string{"EKS_ADDON_MANAGEMENT"}},
}

// Baseline is the account's audit trail, continuous compliance and threat detection.
type Baseline struct {
	pulumi.ResourceState

	TrailArn            pulumi.StringOutput
	TrailBucketName     pulumi.StringOutput
	TrailLogGroupName   pulumi.StringOutput
	ConfigBucketName    pulumi.StringOutput
	AccessLogBucketName pulumi.StringOutput
	AlertsTopicArn      pulumi.StringOutput
	GuardDutyDetectorID pulumi.StringOutput
	AccessAnalyzerArn   pulumi.StringOutput
}

// builder carries what every part of the baseline needs.
type builder struct {
	ctx     *pulumi.Context
	name    string
	a       BaselineArgs
	parent  pulumi.ResourceOption
	protect pulumi.ResourceOption
	// env resolves to the env value once the account and partition are known.
	env pulumi.AnyOutput
	b   *Baseline
	// accessLogs receives the server access logs of the other buckets.
	accessLogs *s3.BucketV2
	// trailBucket and configBucket are the sources of the access logs.
	trailBucket, configBucket *s3.BucketV2
}

// NewBaseline creates the account baseline. It validates its arguments before registering
// anything.
func NewBaseline(ctx *pulumi.Context, name string, args *BaselineArgs, opts ...pulumi.ResourceOption) (*Baseline, error) {
	if args == nil {
		args = &BaselineArgs{}
	}
	if err := args.Validate().Err("account baseline", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	b := &Baseline{}
	if err := ctx.RegisterComponentResource(typeBaseline, name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent)
	partition := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, parent)
	bld := &builder{
		ctx: ctx, name: name, a: a, parent: parent, b: b,
		protect: pulumi.Protect(!a.AllowDestroy),
		env: pulumi.All(partition.Partition(), account.AccountId()).ApplyT(func(v []any) any {
			return env{Partition: v[0].(string), Region: a.Region, AccountID: v[1].(string)}
		}).(pulumi.AnyOutput),
	}

	trailKey, err := bld.key("trail", "Encrypts the account trail's log files, its CloudWatch log group and AWS Config deliveries",
		func(e env) (string, error) { return trailKeyPolicy(e, a.TrailName, logGroupName(a.TrailName)).Render() })
	if err != nil {
		return nil, err
	}
	alertsKey, err := bld.key("alerts", "Encrypts the account's security alerts topic",
		func(e env) (string, error) { return alertsKeyPolicy(e).Render() })
	if err != nil {
		return nil, err
	}
	topic, err := bld.alerts(alertsKey)
	if err != nil {
		return nil, err
	}
	if err := bld.accessLogBucket(); err != nil {
		return nil, err
	}
	if err := bld.trail(trailKey, topic); err != nil {
		return nil, err
	}
	if err := bld.config(trailKey); err != nil {
		return nil, err
	}
	if err := bld.accessLogPolicy(bld.trailBucket, bld.configBucket); err != nil {
		return nil, err
	}
	if err := bld.detection(topic); err != nil {
		return nil, err
	}

	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{
		"trailArn":            b.TrailArn,
		"trailBucketName":     b.TrailBucketName,
		"trailLogGroupName":   b.TrailLogGroupName,
		"configBucketName":    b.ConfigBucketName,
		"accessLogBucketName": b.AccessLogBucketName,
		"alertsTopicArn":      b.AlertsTopicArn,
		"guardDutyDetectorId": b.GuardDutyDetectorID,
		"accessAnalyzerArn":   b.AccessAnalyzerArn,
	}); err != nil {
		return nil, err
	}
	return b, nil
}

func logGroupName(trailName string) string { return "/aws/cloudtrail/" + trailName }

// policy renders a document that depends on where the baseline is deployed.
func (bld *builder) policy(render func(env) (string, error)) pulumi.StringOutput {
	return bld.env.ApplyT(func(e any) (string, error) { return render(e.(env)) }).(pulumi.StringOutput)
}

// key creates a customer managed key with rotation, its own key policy and an alias.
func (bld *builder) key(purpose, description string, policy func(env) (string, error)) (*kms.Key, error) {
	name := bld.name + "-" + purpose + "-key"
	key, err := kms.NewKey(bld.ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(bld.a.KeyDeletionWindowDays),
		Policy:               bld.policy(policy),
	}, bld.parent, bld.protect)
	if err != nil {
		return nil, err
	}
	if _, err := kms.NewAlias(bld.ctx, name+"-alias", &kms.AliasArgs{
		Name:        pulumi.String("alias/" + bld.a.TrailName + "-" + purpose),
		TargetKeyId: key.KeyId,
	}, bld.parent); err != nil {
		return nil, err
	}
	return key, nil
}

// bucket creates a private bucket: ACLs off, SSE-KMS with the key and an S3 Bucket Key,
// versioning, all four public access block settings, a lifecycle that expires objects after
// retentionDays, and the policy render returns (which must deny requests without TLS).
func (bld *builder) bucket(purpose string, key *kms.Key, objectLock bool, retentionDays int,
	policy func(e env, bucketArn string) (string, error)) (*s3.BucketV2, []pulumi.Resource, error) {
	return bld.bucketLoggingTo(purpose, key, objectLock, retentionDays, policy, bld.accessLogs)
}

// bucketLoggingTo is bucket with an explicit access log destination: nil for the access log
// bucket itself, which is SSE-S3 (key nil) because S3 server access logging cannot deliver to a
// bucket whose default encryption is SSE-KMS, and which gets its policy once its sources exist.
func (bld *builder) bucketLoggingTo(purpose string, key *kms.Key, objectLock bool, retentionDays int,
	policy func(e env, bucketArn string) (string, error), logTo *s3.BucketV2) (*s3.BucketV2, []pulumi.Resource, error) {
	ctx, name := bld.ctx, bld.name+"-"+purpose
	bucketArgs := &s3.BucketV2Args{ForceDestroy: pulumi.Bool(false)}
	if objectLock {
		// Object Lock can only be enabled when the bucket is created (S3 User Guide, "Configuring
		// S3 Object Lock"): the flag is on the bucket, the retention rule below.
		bucketArgs.ObjectLockEnabled = pulumi.Bool(true)
	}
	bucket, err := s3.NewBucketV2(ctx, name, bucketArgs, bld.parent, bld.protect)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, bld.parent); err != nil {
		return nil, nil, err
	}
	rule := &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
		ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String("AES256"),
		},
	}
	if key != nil {
		rule = &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: key.Arn,
			},
			// With an S3 Bucket Key on the trail bucket, whoever creates or updates the trail
			// needs kms:Decrypt on the key (CloudTrail User Guide, "Configure AWS KMS key
			// policies for CloudTrail"): the account-root statement lets IAM grant it, and the
			// deploy role's permissions include it.
			BucketKeyEnabled: pulumi.Bool(true),
		}
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s3.BucketServerSideEncryptionConfigurationV2RuleArray{rule},
	}, bld.parent); err != nil {
		return nil, nil, err
	}
	if logTo != nil {
		// CIS AWS Foundations v3.0.0 3.4 asks for access logging on the trail bucket; the
		// policy pack asks it of every bucket.
		if _, err := s3.NewBucketLoggingV2(ctx, name+"-logging", &s3.BucketLoggingV2Args{
			Bucket:       bucket.ID(),
			TargetBucket: logTo.Bucket,
			TargetPrefix: pulumi.String(purpose + "/"),
		}, bld.parent); err != nil {
			return nil, nil, err
		}
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, bld.parent)
	if err != nil {
		return nil, nil, err
	}
	deps := []pulumi.Resource{versioning}
	if objectLock {
		lock, err := s3.NewBucketObjectLockConfigurationV2(ctx, name+"-object-lock", &s3.BucketObjectLockConfigurationV2Args{
			Bucket: bucket.ID(),
			Rule: &s3.BucketObjectLockConfigurationV2RuleArgs{
				DefaultRetention: &s3.BucketObjectLockConfigurationV2RuleDefaultRetentionArgs{
					Mode: pulumi.String(bld.a.ObjectLockMode),
					Days: pulumi.Int(bld.a.ObjectLockDays),
				},
			},
		}, bld.parent, pulumi.DependsOn([]pulumi.Resource{versioning}))
		if err != nil {
			return nil, nil, err
		}
		deps = append(deps, lock)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-after-retention"),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			// In a versioned bucket, expiry only puts a delete marker on the object; the data
			// stays as a noncurrent version until NoncurrentVersionExpiration removes it, a day
			// later (Amazon S3 User Guide, "Lifecycle configuration elements"). Object Lock
			// still keeps any version whose retention has not ended.
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(retentionDays)},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(1),
			},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
				DaysAfterInitiation: pulumi.Int(abortMultipartDays),
			},
		}, &s3.BucketLifecycleConfigurationV2RuleArgs{
			// The delete markers left once their versions are gone (S3 refuses this element
			// beside Days in one rule).
			Id:         pulumi.String("remove-expired-delete-markers"),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{ExpiredObjectDeleteMarker: pulumi.Bool(true)},
		}},
	}, bld.parent, pulumi.DependsOn(deps)); err != nil {
		return nil, nil, err
	}
	publicAccess, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, bld.parent)
	if err != nil {
		return nil, nil, err
	}
	deps = append(deps, publicAccess)
	if policy == nil {
		return bucket, deps, nil
	}
	doc := pulumi.All(bld.env, bucket.Arn).ApplyT(func(v []any) (string, error) {
		return policy(v[0].(env), v[1].(string))
	}).(pulumi.StringOutput)
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: doc,
	}, bld.parent, pulumi.DependsOn([]pulumi.Resource{publicAccess}))
	if err != nil {
		return nil, nil, err
	}
	return bucket, append(deps, bucketPolicy), nil
}

// accessLogBucket creates the destination of the other buckets' server access logs; its policy
// is set by accessLogPolicy once the sources exist.
func (bld *builder) accessLogBucket() error {
	bucket, _, err := bld.bucketLoggingTo("access-logs", nil, false, bld.a.AccessLogRetentionDays, nil, nil)
	if err != nil {
		return err
	}
	bld.accessLogs = bucket
	bld.b.AccessLogBucketName = bucket.Bucket
	return nil
}

func (bld *builder) accessLogPolicy(sources ...*s3.BucketV2) error {
	arns := pulumi.StringArray{}
	for _, s := range sources {
		arns = append(arns, s.Arn)
	}
	doc := pulumi.All(bld.env, bld.accessLogs.Arn, arns).ApplyT(func(v []any) (string, error) {
		return accessLogBucketPolicy(v[0].(env), v[1].(string), v[2].([]string)).Render()
	}).(pulumi.StringOutput)
	_, err := s3.NewBucketPolicy(bld.ctx, bld.name+"-access-logs-policy", &s3.BucketPolicyArgs{
		Bucket: bld.accessLogs.ID(),
		Policy: doc,
	}, bld.parent)
	return err
}

// alerts creates the encrypted topic that alarms and finding routes publish to, and its
// subscription to on-call.
func (bld *builder) alerts(key *kms.Key) (*sns.Topic, error) {
	ctx, name := bld.ctx, bld.name+"-alerts"
	topic, err := sns.NewTopic(ctx, name, &sns.TopicArgs{KmsMasterKeyId: key.Arn}, bld.parent)
	if err != nil {
		return nil, err
	}
	doc := pulumi.All(bld.env, topic.Arn).ApplyT(func(v []any) (string, error) {
		return alertsTopicPolicy(v[0].(env), v[1].(string)).Render()
	}).(pulumi.StringOutput)
	if _, err := sns.NewTopicPolicy(ctx, name+"-policy", &sns.TopicPolicyArgs{Arn: topic.Arn, Policy: doc}, bld.parent); err != nil {
		return nil, err
	}
	sub := &sns.TopicSubscriptionArgs{
		Topic:    topic.Arn,
		Protocol: pulumi.String(bld.a.AlertProtocol),
		Endpoint: pulumi.ToSecret(pulumi.String(string(bld.a.AlertEndpoint))).(pulumi.StringOutput),
	}
	if bld.a.AlertProtocol == "https" {
		// PagerDuty's CloudWatch integration confirms SNS subscriptions itself; without this
		// Pulumi would report the subscription as pending confirmation.
		sub.EndpointAutoConfirms = pulumi.Bool(true)
	}
	if _, err := sns.NewTopicSubscription(ctx, name+"-oncall", sub, bld.parent); err != nil {
		return nil, err
	}
	bld.b.AlertsTopicArn = topic.Arn
	return topic, nil
}

// trail creates the multi-region trail, its bucket, its log group and the CIS metric filters
// and alarms on that log group.
func (bld *builder) trail(key *kms.Key, topic *sns.Topic) error {
	ctx, a, name := bld.ctx, bld.a, bld.name+"-trail"
	bucket, bucketDeps, err := bld.bucket("trail-bucket", key, !a.DisableObjectLock, a.TrailBucketRetentionDays,
		func(e env, arn string) (string, error) { return trailBucketPolicy(e, arn, a.TrailName).Render() })
	if err != nil {
		return err
	}
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logGroupName(a.TrailName)),
		RetentionInDays: pulumi.Int(a.TrailLogRetentionDays),
		KmsKeyId:        key.Arn,
	}, bld.parent)
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-logs-role", &iam.RoleArgs{
		Description: pulumi.String("CloudTrail delivers the account trail's events to its CloudWatch log group"),
		AssumeRolePolicy: bld.policy(func(env) (string, error) {
			return cloudTrailTrust().Render()
		}),
	}, bld.parent)
	if err != nil {
		return err
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-logs-delivery", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: logGroup.Arn.ApplyT(func(arn string) (string, error) {
			return trailLogsPolicy(arn).Render()
		}).(pulumi.StringOutput),
	}, bld.parent)
	if err != nil {
		return err
	}

	selectors := cloudtrail.TrailAdvancedEventSelectorArray{
		&cloudtrail.TrailAdvancedEventSelectorArgs{
			// No readOnly selector: read and write management events.
			Name: pulumi.String("Management events"),
			FieldSelectors: cloudtrail.TrailAdvancedEventSelectorFieldSelectorArray{
				field("eventCategory", "Management"),
			},
		},
		bld.s3DataEvents(bucket),
	}
	if a.LambdaDataEvents {
		selectors = append(selectors, &cloudtrail.TrailAdvancedEventSelectorArgs{
			Name: pulumi.String("Lambda invocations"),
			FieldSelectors: cloudtrail.TrailAdvancedEventSelectorFieldSelectorArray{
				field("eventCategory", "Data"),
				field("resources.type", "AWS::Lambda::Function"),
			},
		})
	}
	trail, err := cloudtrail.NewTrail(ctx, name, &cloudtrail.TrailArgs{
		Name:                       pulumi.String(a.TrailName),
		S3BucketName:               bucket.Bucket,
		IsMultiRegionTrail:         pulumi.Bool(true),
		IncludeGlobalServiceEvents: pulumi.Bool(true),
		EnableLogFileValidation:    pulumi.Bool(true),
		EnableLogging:              pulumi.Bool(true),
		KmsKeyId:                   key.Arn,
		// CloudTrail wants the log group ARN with the log stream wildcard.
		CloudWatchLogsGroupArn: pulumi.Sprintf("%s:*", logGroup.Arn),
		CloudWatchLogsRoleArn:  role.Arn,
		AdvancedEventSelectors: selectors,
	}, bld.parent, pulumi.DependsOn(append(bucketDeps, rolePolicy)))
	if err != nil {
		return err
	}

	for _, f := range CISMetricFilters {
		filterName := fmt.Sprintf("%s-cis-%s", bld.name, f.Item)
		filter, err := cloudwatch.NewLogMetricFilter(ctx, filterName, &cloudwatch.LogMetricFilterArgs{
			Name:         pulumi.String(f.Name),
			LogGroupName: logGroup.Name,
			Pattern:      pulumi.String(f.Pattern),
			MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
				Name:      pulumi.String(f.Name),
				Namespace: pulumi.String(MetricNamespace),
				Value:     pulumi.String("1"),
			},
		}, bld.parent)
		if err != nil {
			return err
		}
		// The benchmark's alarm: the sum over five minutes reaches one. Periods without
		// matching events publish no data, which is not a breach.
		if _, err := cloudwatch.NewMetricAlarm(ctx, filterName+"-alarm", &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.Sprintf("cis-%s-%s", f.Item, f.Name),
			AlarmDescription:   pulumi.Sprintf("CIS AWS Foundations v3.0.0 %s: %s", f.Item, f.Title),
			Namespace:          pulumi.String(MetricNamespace),
			MetricName:         pulumi.String(f.Name),
			Statistic:          pulumi.String("Sum"),
			Period:             pulumi.Int(300),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(1),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       pulumi.Array{topic.Arn},
		}, bld.parent, pulumi.DependsOn([]pulumi.Resource{filter})); err != nil {
			return err
		}
	}

	bld.trailBucket = bucket
	bld.b.TrailArn = trail.Arn
	bld.b.TrailBucketName = bucket.Bucket
	bld.b.TrailLogGroupName = logGroup.Name
	return nil
}

func field(name string, equals ...string) *cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs {
	return &cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs{
		Field:  pulumi.String(name),
		Equals: pulumi.ToStringArray(equals),
	}
}

// s3DataEvents selects object-level events (reads and writes) of the configured buckets, or of
// every bucket but the trail's own: CloudTrail writing a log file would otherwise log an event
// that is itself written to a log file (CloudTrail User Guide, "Logging data events").
func (bld *builder) s3DataEvents(trailBucket *s3.BucketV2) *cloudtrail.TrailAdvancedEventSelectorArgs {
	arns := &cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs{Field: pulumi.String("resources.ARN")}
	if len(bld.a.S3DataEventBuckets) == 0 {
		arns.NotStartsWiths = pulumi.StringArray{pulumi.Sprintf("%s/", trailBucket.Arn)}
	} else {
		buckets := bld.a.S3DataEventBuckets
		arns.StartsWiths = bld.env.ApplyT(func(v any) []string {
			e := v.(env)
			out := make([]string, len(buckets))
			for i, b := range buckets {
				out[i] = fmt.Sprintf("arn:%s:s3:::%s/", e.Partition, b)
			}
			return out
		}).(pulumi.StringArrayOutput)
	}
	return &cloudtrail.TrailAdvancedEventSelectorArgs{
		Name: pulumi.String("S3 object-level events"),
		FieldSelectors: cloudtrail.TrailAdvancedEventSelectorFieldSelectorArray{
			field("eventCategory", "Data"),
			field("resources.type", "AWS::S3::Object"),
			arns,
		},
	}
}

// config creates the AWS Config recorder (every supported resource type, global ones included:
// this is the home region), its role, its bucket and delivery channel, and the conformance pack.
func (bld *builder) config(key *kms.Key) error {
	ctx, a, name := bld.ctx, bld.a, bld.name+"-config"
	// Config gets its own bucket: the trail bucket's Object Lock default retention would apply
	// to every snapshot, and its policy is the trail's alone.
	bucket, bucketDeps, err := bld.bucket("config-bucket", key, false, a.ConfigRetentionDays, func(e env, arn string) (string, error) {
		return configBucketPolicy(e, arn).Render()
	})
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description: pulumi.String("AWS Config records the account's resource configurations and delivers them to its bucket"),
		AssumeRolePolicy: bld.policy(func(e env) (string, error) {
			return configTrust(e).Render()
		}),
	}, bld.parent)
	if err != nil {
		return err
	}
	managed, err := iam.NewRolePolicyAttachment(ctx, name+"-role-managed", &iam.RolePolicyAttachmentArgs{
		Role: role.Name,
		PolicyArn: bld.policy(func(e env) (string, error) {
			return fmt.Sprintf("arn:%s:iam::aws:policy/%s", e.Partition, configRolePolicyName), nil
		}),
	}, bld.parent)
	if err != nil {
		return err
	}
	delivery, err := iam.NewRolePolicy(ctx, name+"-role-delivery", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: pulumi.All(bld.env, bucket.Arn, key.Arn).ApplyT(func(v []any) (string, error) {
			return configDeliveryPolicy(v[0].(env), v[1].(string), v[2].(string)).Render()
		}).(pulumi.StringOutput),
	}, bld.parent)
	if err != nil {
		return err
	}
	recorder, err := cfg.NewRecorder(ctx, name+"-recorder", &cfg.RecorderArgs{
		Name:    pulumi.String(a.TrailName),
		RoleArn: role.Arn,
		RecordingGroup: &cfg.RecorderRecordingGroupArgs{
			AllSupported:               pulumi.Bool(true),
			IncludeGlobalResourceTypes: pulumi.Bool(true),
		},
	}, bld.parent, pulumi.DependsOn([]pulumi.Resource{managed}))
	if err != nil {
		return err
	}
	// AWS Config refuses a delivery channel before a recorder exists, and starting the recorder
	// before the channel (AWS Config API, PutDeliveryChannel and StartConfigurationRecorder).
	channel, err := cfg.NewDeliveryChannel(ctx, name+"-delivery", &cfg.DeliveryChannelArgs{
		Name:         pulumi.String(a.TrailName),
		S3BucketName: bucket.Bucket,
		S3KmsKeyArn:  key.Arn,
		SnapshotDeliveryProperties: &cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs{
			DeliveryFrequency: pulumi.String(a.ConfigSnapshotFrequency),
		},
	}, bld.parent, pulumi.DependsOn(append(bucketDeps, recorder, delivery)))
	if err != nil {
		return err
	}
	status, err := cfg.NewRecorderStatus(ctx, name+"-recorder-status", &cfg.RecorderStatusArgs{
		Name:      recorder.Name,
		IsEnabled: pulumi.Bool(true),
	}, bld.parent, pulumi.DependsOn([]pulumi.Resource{channel}))
	if err != nil {
		return err
	}
	template, err := conformancePackTemplate(ConfigRules)
	if err != nil {
		return err
	}
	if _, err := cfg.NewConformancePack(ctx, name+"-conformance-pack", &cfg.ConformancePackArgs{
		Name:         pulumi.String("novacron-controls"),
		TemplateBody: pulumi.String(template),
	}, bld.parent, pulumi.DependsOn([]pulumi.Resource{status})); err != nil {
		return err
	}
	bld.configBucket = bucket
	bld.b.ConfigBucketName = bucket.Bucket
	return nil
}

// detection enables Security Hub with its standards, GuardDuty with its protection plans,
// Inspector and IAM Access Analyzer, and routes high-severity findings to on-call.
func (bld *builder) detection(topic *sns.Topic) error {
	ctx, a, name := bld.ctx, bld.a, bld.name
	hub, err := securityhub.NewAccount(ctx, name+"-securityhub", &securityhub.AccountArgs{
		// The default standards include CIS v1.2.0; the standards are chosen below instead.
		EnableDefaultStandards:  pulumi.Bool(false),
		AutoEnableControls:      pulumi.Bool(true),
		ControlFindingGenerator: pulumi.String("SECURITY_CONTROL"),
	}, bld.parent)
	if err != nil {
		return err
	}
	for _, s := range SecurityHubStandards {
		path := s.Path
		if _, err := securityhub.NewStandardsSubscription(ctx, name+"-securityhub-"+s.Name, &securityhub.StandardsSubscriptionArgs{
			StandardsArn: bld.policy(func(e env) (string, error) {
				return fmt.Sprintf("arn:%s:securityhub:%s::%s", e.Partition, e.Region, path), nil
			}),
		}, bld.parent, pulumi.DependsOn([]pulumi.Resource{hub})); err != nil {
			return err
		}
	}

	detector, err := guardduty.NewDetector(ctx, name+"-guardduty", &guardduty.DetectorArgs{
		Enable:                     pulumi.Bool(true),
		FindingPublishingFrequency: pulumi.String(a.FindingPublishingFrequency),
	}, bld.parent)
	if err != nil {
		return err
	}
	for _, f := range GuardDutyFeatures {
		var extra guardduty.DetectorFeatureAdditionalConfigurationArray
		for _, n := range f.Additional {
			extra = append(extra, &guardduty.DetectorFeatureAdditionalConfigurationArgs{
				Name: pulumi.String(n), Status: pulumi.String("ENABLED"),
			})
		}
		if _, err := guardduty.NewDetectorFeature(ctx, name+"-guardduty-"+f.Name, &guardduty.DetectorFeatureArgs{
			DetectorId:               detector.ID(),
			Name:                     pulumi.String(f.Name),
			Status:                   pulumi.String("ENABLED"),
			AdditionalConfigurations: extra,
		}, bld.parent); err != nil {
			return err
		}
	}

	if _, err := inspector2.NewEnabler(ctx, name+"-inspector", &inspector2.EnablerArgs{
		AccountIds:    pulumi.StringArray{bld.env.ApplyT(func(e any) string { return e.(env).AccountID }).(pulumi.StringOutput)},
		ResourceTypes: pulumi.ToStringArray(a.InspectorResourceTypes),
	}, bld.parent); err != nil {
		return err
	}
	analyzer, err := accessanalyzer.NewAnalyzer(ctx, name+"-access-analyzer", &accessanalyzer.AnalyzerArgs{
		AnalyzerName: pulumi.String(a.TrailName),
		Type:         pulumi.String("ACCOUNT"),
	}, bld.parent)
	if err != nil {
		return err
	}

	for _, r := range FindingRoutes {
		pattern, err := r.PatternJSON()
		if err != nil {
			return err
		}
		rule, err := cloudwatch.NewEventRule(ctx, name+"-"+r.Name, &cloudwatch.EventRuleArgs{
			Description:  pulumi.String(r.Description),
			EventPattern: pulumi.String(pattern),
		}, bld.parent, pulumi.DependsOn([]pulumi.Resource{hub, detector}))
		if err != nil {
			return err
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name+"-"+r.Name+"-oncall", &cloudwatch.EventTargetArgs{
			Rule: rule.Name,
			Arn:  topic.Arn,
		}, bld.parent); err != nil {
			return err
		}
	}

	bld.b.GuardDutyDetectorID = detector.ID().ToStringOutput()
	bld.b.AccessAnalyzerArn = analyzer.Arn
	return nil
}
