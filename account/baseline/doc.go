// Package baseline is the logic of the account program (account/main.go): the security baseline
// of one AWS account, in its home region. It is a Pulumi project of its own because everything
// it creates is an account or region singleton, and staging and production may share an account:
// two platform stacks cannot both own them (one AWS Config recorder, one GuardDuty detector, one
// Security Hub per region; one trail is enough for every region of the account).
//
// Baseline (novacron:account:Baseline) creates:
//   - a multi-region CloudTrail trail: management events (read and write), S3 object-level events
//     of every bucket but its own (or of the buckets named), Lambda invocations optionally,
//     log file validation, encryption with a key of its own, and delivery to a CloudWatch log
//     group encrypted with the same key (the metric filters read it);
//   - the trail bucket: S3 Object Lock (default retention GOVERNANCE or COMPLIANCE, enabled at
//     creation), versioning, SSE-KMS, all four public access block settings, ACLs off, a policy
//     that admits only this trail (aws:SourceArn) and only TLS 1.2+, a lifecycle that expires
//     log files after their retention, and server access logging;
//   - AWS Config: a recorder of every supported resource type, global ones included (IAM is
//     recorded in the home region only), its role (the AWS managed AWS_ConfigRole policy plus
//     delivery to its bucket), a delivery channel to a bucket of its own (no Object Lock: the
//     trail bucket's default retention would apply to every snapshot), the recorder started,
//     and the novacron-controls conformance pack generated from ConfigRules, each AWS managed
//     rule mapped to the SOC 2 / ISO 27001:2022 / PCI DSS v4.0 / CIS control ids the policy
//     pack uses;
//   - an access log bucket (SSE-S3, which S3 server access logging requires) for both buckets;
//   - Security Hub CSPM with the AWS Foundational Security Best Practices v1.0.0 and CIS AWS
//     Foundations Benchmark v3.0.0 standards (not the default standards, which include CIS
//     v1.2.0), consolidated control findings;
//   - GuardDuty with S3 protection, EKS audit log monitoring, RDS login activity monitoring and
//     Runtime Monitoring whose EKS agent GuardDuty manages as an add-on, publishing updates every
//     15 minutes;
//   - Amazon Inspector for ECR images (EC2 and Lambda optional) and an IAM Access Analyzer for
//     the account;
//   - the CIS AWS Foundations v3.0.0 monitoring controls 4.1 to 4.15: a metric filter on the
//     trail's log group and an alarm for each;
//   - an SNS topic encrypted with a key of its own, which only this account's alarms and
//     EventBridge rules may publish to, subscribed to on-call (an HTTPS integration or e-mail,
//     the endpoint a secret), and EventBridge rules that route GuardDuty findings of severity 7
//     or more and new, active Security Hub findings labelled HIGH or CRITICAL to it.
//
// ConfigRules, CISMetricFilters and FindingRoutes are exported so that reports can show which
// Config rule, alarm or route gives evidence for a control.
//
// Invariants: buckets and keys are protected unless allowDestroy is set; every service principal
// admitted by a key, bucket or topic policy is limited to this trail, this account or this log
// group; the alert endpoint stays a Pulumi secret and is never quoted in an error; nothing is
// registered when an argument is invalid.
//
// What a mock cannot see: Object Lock cannot be turned on for an existing bucket (changing
// disableObjectLock replaces the trail bucket, and a COMPLIANCE-mode bucket cannot be emptied
// until its retention ends); AWS Config refuses a second recorder in a region and Security Hub a
// second enablement, so an account where they already exist must import them
// (`pulumi import`) or drop them first.
package baseline
