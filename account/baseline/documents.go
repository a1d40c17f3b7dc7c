package baseline

import (
	"fmt"

	"github.com/novacron/platform/internal/iamdoc"
)

// env is what the documents need to know about where they are deployed.
type env struct {
	Partition string
	Region    string
	AccountID string
}

func (e env) root() string { return fmt.Sprintf("arn:%s:iam::%s:root", e.Partition, e.AccountID) }

// trailArn is the ARN CloudTrail gives a trail of this name in the home region; it is known before
// the trail exists, so the key and bucket policies can name it (aws:SourceArn).
func (e env) trailArn(name string) string {
	return fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/%s", e.Partition, e.Region, e.AccountID, name)
}

func (e env) logGroupArn(name string) string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", e.Partition, e.Region, e.AccountID, name)
}

func accountRootStatement(e env) iamdoc.Statement {
	// The statement of KMS's default key policy: IAM policies in the account decide who else
	// uses the key (AWS KMS Developer Guide, "Default key policy").
	return iamdoc.Statement{
		Sid:       "EnableIamPoliciesForAccount",
		Effect:    "Allow",
		Principal: map[string]any{"AWS": e.root()},
		Action:    "kms:*",
		Resource:  "*",
	}
}

// trailKeyPolicy lets CloudTrail encrypt this trail's log files and CloudWatch Logs encrypt the
// trail's log group. The CloudTrail statements follow the AWS CloudTrail User Guide, "Configure
// AWS KMS key policies for CloudTrail": GenerateDataKey* only for this trail (aws:SourceArn) and
// only with this account's trail encryption context; DescribeKey for the same trail. The logs
// statement follows the CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using
// AWS KMS": the regional logs principal, limited to the one log group by its encryption context.
// Reading the logs (kms:Decrypt) goes through IAM in the account, as the root statement allows.
func trailKeyPolicy(e env, trailName, logGroupName string) iamdoc.Document {
	trail := e.trailArn(trailName)
	return iamdoc.New(
		accountRootStatement(e),
		iamdoc.Statement{
			Sid:       "AllowCloudTrailToEncryptLogs",
			Effect:    "Allow",
			Principal: iamdoc.Service("cloudtrail.amazonaws.com"),
			Action:    "kms:GenerateDataKey*",
			Resource:  "*",
			Condition: iamdoc.Conditions{
				"StringEquals": {"aws:SourceArn": trail},
				"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": fmt.Sprintf(
					"arn:%s:cloudtrail:*:%s:trail/*", e.Partition, e.AccountID)},
			},
		},
		iamdoc.Statement{
			Sid:       "AllowCloudTrailToDescribeKey",
			Effect:    "Allow",
			Principal: iamdoc.Service("cloudtrail.amazonaws.com"),
			Action:    "kms:DescribeKey",
			Resource:  "*",
			Condition: iamdoc.Conditions{"StringEquals": {"aws:SourceArn": trail}},
		},
		iamdoc.Statement{
			Sid:       "AllowCloudWatchLogsForTheTrailLogGroup",
			Effect:    "Allow",
			Principal: iamdoc.Service(fmt.Sprintf("logs.%s.amazonaws.com", e.Region)),
			Action:    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			Resource:  "*",
			Condition: iamdoc.Conditions{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": e.logGroupArn(logGroupName)}},
		},
	)
}

// alertsKeyPolicy lets CloudWatch alarms and EventBridge rules publish to the KMS-encrypted
// alerts topic: both services need kms:GenerateDataKey* and kms:Decrypt on the topic's key (Amazon
// SNS Developer Guide, "Enable compatibility between event sources from AWS services and
// encrypted topics"). Who may publish is decided by the topic policy, which is scoped to this
// account's alarms and rules; the key statement carries no condition because the services call
// KMS on the topic's behalf.
func alertsKeyPolicy(e env) iamdoc.Document {
	return iamdoc.New(
		accountRootStatement(e),
		iamdoc.Statement{
			Sid:       "AllowAlarmsAndEventRulesToPublish",
			Effect:    "Allow",
			Principal: iamdoc.Service("cloudwatch.amazonaws.com", "events.amazonaws.com"),
			Action:    []string{"kms:Decrypt", "kms:GenerateDataKey*"},
			Resource:  "*",
		},
	)
}

// trailBucketPolicy admits CloudTrail for this trail only (aws:SourceArn), writing under
// AWSLogs/<account>/ with the bucket owner's full control, as the AWS CloudTrail User Guide's
// "Amazon S3 bucket policy for CloudTrail" requires; everything else must use TLS 1.2+.
func trailBucketPolicy(e env, bucketArn, trailName string) iamdoc.Document {
	trail := e.trailArn(trailName)
	return iamdoc.New(
		iamdoc.DenyInsecureTransport(bucketArn),
		iamdoc.DenyOldTLS(bucketArn),
		iamdoc.Statement{
			Sid:       "AWSCloudTrailAclCheck",
			Effect:    "Allow",
			Principal: iamdoc.Service("cloudtrail.amazonaws.com"),
			Action:    "s3:GetBucketAcl",
			Resource:  bucketArn,
			Condition: iamdoc.Conditions{"StringEquals": {"aws:SourceArn": trail}},
		},
		iamdoc.Statement{
			Sid:       "AWSCloudTrailWrite",
			Effect:    "Allow",
			Principal: iamdoc.Service("cloudtrail.amazonaws.com"),
			Action:    "s3:PutObject",
			Resource:  fmt.Sprintf("%s/AWSLogs/%s/*", bucketArn, e.AccountID),
			Condition: iamdoc.Conditions{"StringEquals": {
				"aws:SourceArn": trail,
				"s3:x-amz-acl":  "bucket-owner-full-control",
			}},
		},
	)
}

// configBucketPolicy admits AWS Config from this account only (aws:SourceAccount), with the three
// statements of the AWS Config Developer Guide, "Permissions for the Amazon S3 Bucket for the AWS
// Config Delivery Channel"; everything else must use TLS 1.2+.
func configBucketPolicy(e env, bucketArn string) iamdoc.Document {
	account := iamdoc.Conditions{"StringEquals": {"aws:SourceAccount": e.AccountID}}
	return iamdoc.New(
		iamdoc.DenyInsecureTransport(bucketArn),
		iamdoc.DenyOldTLS(bucketArn),
		iamdoc.Statement{
			Sid: "AWSConfigBucketPermissionsCheck", Effect: "Allow", Principal: iamdoc.Service("config.amazonaws.com"),
			Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: account,
		},
		iamdoc.Statement{
			Sid: "AWSConfigBucketExistenceCheck", Effect: "Allow", Principal: iamdoc.Service("config.amazonaws.com"),
			Action: "s3:ListBucket", Resource: bucketArn, Condition: account,
		},
		iamdoc.Statement{
			Sid: "AWSConfigBucketDelivery", Effect: "Allow", Principal: iamdoc.Service("config.amazonaws.com"),
			Action:   "s3:PutObject",
			Resource: fmt.Sprintf("%s/AWSLogs/%s/Config/*", bucketArn, e.AccountID),
			Condition: iamdoc.Conditions{"StringEquals": {
				"aws:SourceAccount": e.AccountID,
				"s3:x-amz-acl":      "bucket-owner-full-control",
			}},
		},
	)
}

// accessLogBucketPolicy admits S3 server access log delivery from the baseline's buckets only
// (S3 User Guide, "Permissions for log delivery": the logging.s3.amazonaws.com principal with
// aws:SourceArn and aws:SourceAccount), each under its own prefix; everything else must use TLS.
func accessLogBucketPolicy(e env, logBucketArn string, sourceBucketArns []string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.DenyInsecureTransport(logBucketArn),
		iamdoc.DenyOldTLS(logBucketArn),
		iamdoc.Statement{
			Sid:       "AllowServerAccessLogDelivery",
			Effect:    "Allow",
			Principal: iamdoc.Service("logging.s3.amazonaws.com"),
			Action:    "s3:PutObject",
			Resource:  logBucketArn + "/*",
			Condition: iamdoc.Conditions{
				"ArnLike":      {"aws:SourceArn": sourceBucketArns},
				"StringEquals": {"aws:SourceAccount": e.AccountID},
			},
		},
	)
}

// alertsTopicPolicy lets only this account's CloudWatch alarms and EventBridge rules publish.
func alertsTopicPolicy(e env, topicArn string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.Statement{
			Sid:       "AllowAccountAlarms",
			Effect:    "Allow",
			Principal: iamdoc.Service("cloudwatch.amazonaws.com"),
			Action:    "sns:Publish",
			Resource:  topicArn,
			Condition: iamdoc.Conditions{"ArnLike": {"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:*", e.Partition, e.Region, e.AccountID)}},
		},
		iamdoc.Statement{
			Sid:       "AllowAccountEventRules",
			Effect:    "Allow",
			Principal: iamdoc.Service("events.amazonaws.com"),
			Action:    "sns:Publish",
			Resource:  topicArn,
			Condition: iamdoc.Conditions{"ArnLike": {"aws:SourceArn": fmt.Sprintf("arn:%s:events:%s:%s:rule/*", e.Partition, e.Region, e.AccountID)}},
		},
	)
}

// configTrust lets AWS Config assume its role for this account only, the trust policy of the AWS
// Config Developer Guide ("Permissions for the IAM Role Assigned to AWS Config": the
// AWS:SourceAccount condition guards against the confused deputy).
func configTrust(e env) iamdoc.Document {
	return iamdoc.New(iamdoc.Statement{
		Effect:    "Allow",
		Principal: iamdoc.Service("config.amazonaws.com"),
		Action:    "sts:AssumeRole",
		Condition: iamdoc.Conditions{"StringEquals": {"aws:SourceAccount": e.AccountID}},
	})
}

// cloudTrailTrust lets CloudTrail assume the role that writes to the trail's log group. It
// carries no condition: the CloudTrail User Guide's role for CloudWatch Logs delivery has none and
// does not say CloudTrail sends source context when it assumes the role, and a condition it does
// not satisfy would silently stop delivery. The role can only write to the one log group.
func cloudTrailTrust() iamdoc.Document {
	return iamdoc.New(iamdoc.Statement{
		Effect:    "Allow",
		Principal: iamdoc.Service("cloudtrail.amazonaws.com"),
		Action:    "sts:AssumeRole",
	})
}

// trailLogsPolicy lets CloudTrail's delivery role write to the trail's log group and nothing
// else (AWS CloudTrail User Guide, "Sending events to CloudWatch Logs": CreateLogStream and
// PutLogEvents on the group's streams).
func trailLogsPolicy(logGroupArn string) iamdoc.Document {
	return iamdoc.New(iamdoc.Statement{
		Sid:      "DeliverTrailEvents",
		Effect:   "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: logGroupArn + ":log-stream:*",
	})
}

// configDeliveryPolicy lets the AWS Config role deliver to its bucket, encrypted with the
// baseline key; the managed AWS_ConfigRole policy covers reading resource configurations only.
func configDeliveryPolicy(e env, bucketArn, keyArn string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.Statement{
			Sid:      "CheckBucket",
			Effect:   "Allow",
			Action:   []string{"s3:GetBucketAcl", "s3:ListBucket"},
			Resource: bucketArn,
		},
		iamdoc.Statement{
			Sid:       "DeliverConfiguration",
			Effect:    "Allow",
			Action:    "s3:PutObject",
			Resource:  fmt.Sprintf("%s/AWSLogs/%s/Config/*", bucketArn, e.AccountID),
			Condition: iamdoc.Conditions{"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
		},
		iamdoc.Statement{
			Sid:      "EncryptDeliveries",
			Effect:   "Allow",
			Action:   []string{"kms:Decrypt", "kms:GenerateDataKey"},
			Resource: keyArn,
		},
	)
}
