package compliance

import (
	"fmt"
	"slices"
	"strings"
)

// The account baseline (account/): CloudTrail, AWS Config, GuardDuty, Security Hub, IAM Access
// Analyzer and the CIS monitoring alarms, each a singleton per account and region. Input names
// are pulumi-aws v6's (sdk/go/aws/cloudtrail, cfg, guardduty, securityhub, accessanalyzer,
// cloudwatch at v6.83.4).
const (
	tTrail                = "aws:cloudtrail/trail:Trail"
	tConfigRecorder       = "aws:cfg/recorder:Recorder"
	tConfigRecorderStatus = "aws:cfg/recorderStatus:RecorderStatus"
	tConfigDelivery       = "aws:cfg/deliveryChannel:DeliveryChannel"
	tGuardDutyDetector    = "aws:guardduty/detector:Detector"
	tGuardDutyFeature     = "aws:guardduty/detectorFeature:DetectorFeature"
	tSecurityHubAccount   = "aws:securityhub/account:Account"
	tSecurityHubStandard  = "aws:securityhub/standardsSubscription:StandardsSubscription"
	tAccessAnalyzer       = "aws:accessanalyzer/analyzer:Analyzer"
	tLogMetricFilter      = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	tMetricAlarm          = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tBucketObjectLock     = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
)

// baselineTypes mark a stack as an account baseline: the account-level policies check that such a
// stack is complete, and have nothing to look at in the platform stacks, which declare none.
var baselineTypes = []string{
	tTrail, tConfigRecorder, tGuardDutyDetector, tSecurityHubAccount, tAccessAnalyzer,
}

// guardDutyFeatures are the detector features issue 15 asks for, by their GuardDuty API names
// (DetectorFeatureConfiguration): EKS audit logs, RDS login events and S3 data events. Runtime
// monitoring is checked apart, because either of two names enables it.
var guardDutyFeatures = []string{"EKS_AUDIT_LOGS", "RDS_LOGIN_EVENTS", "S3_DATA_EVENTS"}

// Security Hub standards, by the path their ARN carries (Security Hub User Guide, "Standards
// reference": arn:aws:securityhub:<region>::standards/aws-foundational-security-best-practices/v/1.0.0,
// .../standards/cis-aws-foundations-benchmark/v/3.0.0, and the older ruleset/... form of CIS 1.2.0).
var securityHubStandards = []struct{ name, path string }{
	{"AWS Foundational Security Best Practices", "aws-foundational-security-best-practices/"},
	{"CIS AWS Foundations Benchmark", "cis-aws-foundations-benchmark/"},
}

// cisMonitoring are the metric filters of CIS AWS Foundations v3.0.0 section 4 (4.1 to 4.15),
// each recognised by event names its filter pattern must mention (the patterns in the benchmark,
// as the steampipe-mod-aws-compliance cis_v300 queries match them). 4.16 (Security Hub) is a
// service, checked by securityhub-standards-enabled.
var cisMonitoring = []struct {
	id, what string
	tokens   []string
}{
	{"4.1", "unauthorized API calls", []string{"UnauthorizedOperation", "AccessDenied"}},
	{"4.2", "console sign-in without MFA", []string{"ConsoleLogin", "MFAUsed"}},
	{"4.3", "use of the root user", []string{`"Root"`, "AwsServiceEvent"}},
	{"4.4", "IAM policy changes", []string{"PutRolePolicy", "DeletePolicyVersion", "AttachRolePolicy"}},
	{"4.5", "CloudTrail configuration changes", []string{"StopLogging", "DeleteTrail"}},
	{"4.6", "console authentication failures", []string{"ConsoleLogin", "Failed authentication"}},
	{"4.7", "disabling or scheduled deletion of KMS keys", []string{"DisableKey", "ScheduleKeyDeletion"}},
	{"4.8", "S3 bucket policy changes", []string{"PutBucketPolicy", "DeleteBucketPolicy"}},
	{"4.9", "AWS Config configuration changes", []string{"StopConfigurationRecorder", "PutDeliveryChannel"}},
	{"4.10", "security group changes", []string{"AuthorizeSecurityGroupIngress", "DeleteSecurityGroup"}},
	{"4.11", "network ACL changes", []string{"CreateNetworkAcl", "ReplaceNetworkAclAssociation"}},
	{"4.12", "network gateway changes", []string{"CreateCustomerGateway", "AttachInternetGateway"}},
	{"4.13", "route table changes", []string{"CreateRoute", "ReplaceRouteTableAssociation"}},
	{"4.14", "VPC changes", []string{"CreateVpc", "DeleteVpcPeeringConnection"}},
	{"4.15", "AWS Organizations changes", []string{"organizations.amazonaws.com", "CreateAccount"}},
}

// notBaseline marks a stack policy not applicable when the stack declares no baseline resource:
// policyx hands stack policies every resource, whatever their Types say.
func notBaseline(c *run, rs []*Resource) bool {
	for _, r := range rs {
		if slices.Contains(baselineTypes, r.Type) {
			return false
		}
	}
	c.notApplicable = true
	return true
}

func cisMonitoringIDs() []string {
	ids := make([]string, len(cisMonitoring))
	for i, m := range cisMonitoring {
		ids[i] = m.id
	}
	return ids
}

func init() {
	register(
		&Policy{
			Name:        "cloudtrail-multi-region",
			Area:        "account",
			Description: "The account baseline has a logging, multi-region CloudTrail trail that includes global service events.",
			Level:       Mandatory,
			Severity:    High,
			// A single-region trail misses API calls made in every other region, which is where an
			// intruder works unseen (CloudTrail User Guide, "Receiving CloudTrail log files from
			// multiple Regions").
			Remediation: "Set isMultiRegionTrail and includeGlobalServiceEvents to true (enableLogging defaults to true) on the account trail.",
			Controls:    join(soc2("CC7.2"), iso("A.8.15"), pci("10.2.1"), cisAWS("3.1")),
			Types:       baselineTypes,
			checkStack: func(c *run, rs []*Resource) {
				if notBaseline(c, rs) {
					return
				}
				trails := ofType(rs, tTrail)
				if len(trails) == 0 {
					c.violation(nil, "the account baseline has no CloudTrail trail: API activity is not recorded")
					return
				}
				pending := false
				for _, t := range trails {
					multi, ok1 := c.boolField(t, "isMultiRegionTrail", false)
					global, ok2 := c.boolField(t, "includeGlobalServiceEvents", true)
					logging, ok3 := c.boolField(t, "enableLogging", true)
					switch {
					case !ok1 || !ok2 || !ok3:
						pending = true
					case multi && global && logging:
						return
					}
				}
				if pending {
					return
				}
				for _, t := range trails {
					if multi, _ := asBool(t.get("isMultiRegionTrail")); !multi {
						c.violation(t, "isMultiRegionTrail is not true: API calls in other regions are not recorded")
					}
					if global, st := asBool(t.get("includeGlobalServiceEvents")); st == present && !global {
						c.violation(t, "includeGlobalServiceEvents is false: IAM and STS calls are not recorded")
					}
					if logging, st := asBool(t.get("enableLogging")); st == present && !logging {
						c.violation(t, "enableLogging is false: the trail records nothing")
					}
				}
			},
		},
		&Policy{
			Name:        "cloudtrail-log-file-validation",
			Area:        "account",
			Description: "CloudTrail trails write signed digest files (log file validation).",
			Level:       Mandatory,
			Severity:    Medium,
			// Digest files let an auditor prove that a log file was not changed or deleted after
			// delivery (CloudTrail User Guide, "Validating CloudTrail log file integrity").
			Remediation: "Set enableLogFileValidation to true.",
			Controls:    join(soc2("CC7.2"), iso("A.8.15"), pci("10.3.4"), cisAWS("3.2")),
			Types:       []string{tTrail},
			checkResource: func(c *run, r *Resource) {
				if on, ok := c.boolField(r, "enableLogFileValidation", false); ok && !on {
					c.violation(r, "enableLogFileValidation is not true: nobody can prove the log files were not altered")
				}
			},
		},
		&Policy{
			Name:        "cloudtrail-encrypted-with-cmk",
			Area:        "account",
			Description: "CloudTrail trails encrypt their log files with a customer managed KMS key.",
			Level:       Mandatory,
			Severity:    Medium,
			// Without kmsKeyId the files get S3-managed encryption, and s3:GetObject alone reads them;
			// SSE-KMS also requires kms:Decrypt on the trail's key (CIS AWS 3.5).
			Remediation: "Set kmsKeyId to a customer managed key whose policy lets cloudtrail.amazonaws.com encrypt for this trail.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("10.3.1"), cisAWS("3.5"), gdpr("Art. 32")),
			Types:       []string{tTrail},
			checkResource: func(c *run, r *Resource) {
				if _, set, ok := c.stringField(r, "kmsKeyId"); ok && !set {
					c.violation(r, "kmsKeyId is not set: log files are encrypted with S3's own key, readable by anyone with s3:GetObject")
				}
			},
		},
		&Policy{
			Name:        "cloudtrail-cloudwatch-logs",
			Area:        "account",
			Description: "CloudTrail trails deliver to a CloudWatch Logs group, where the CIS metric filters read them.",
			Level:       Mandatory,
			Severity:    Medium,
			// Metric filters and alarms only see events that reach CloudWatch Logs; the trail needs
			// the group ARN and a role CloudTrail assumes to write to it (CloudTrail API
			// Reference, CreateTrail: CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn).
			Remediation: "Set cloudWatchLogsGroupArn (\"<group arn>:*\") and cloudWatchLogsRoleArn.",
			Controls:    join(soc2("CC7.2"), iso("A.8.16"), pci("10.4.1")),
			Types:       []string{tTrail},
			checkResource: func(c *run, r *Resource) {
				_, group, ok1 := c.stringField(r, "cloudWatchLogsGroupArn")
				_, role, ok2 := c.stringField(r, "cloudWatchLogsRoleArn")
				switch {
				case !ok1 || !ok2:
				case !group:
					c.violation(r, "cloudWatchLogsGroupArn is not set: no metric filter or alarm sees the trail's events")
				case !role:
					c.violation(r, "cloudWatchLogsRoleArn is not set: CloudTrail cannot write to the log group")
				}
			},
		},
		&Policy{
			Name:        "cloudtrail-bucket-object-lock-production",
			Area:        "account",
			Description: "In production, the trail's bucket has S3 Object Lock with a default retention, so log files cannot be deleted or overwritten.",
			Level:       Mandatory,
			Severity:    High,
			// Object Lock is WORM storage: a retained version cannot be deleted or overwritten until
			// its retention ends, in compliance mode not even by the root user (S3 User Guide,
			// "Locking objects with Object Lock"). It can only be turned on for a bucket at creation
			// or later through PutObjectLockConfiguration.
			Remediation: "Create the trail bucket with objectLockEnabled and a BucketObjectLockConfigurationV2 whose rule.defaultRetention sets a mode and days or years.",
			Controls:    join(soc2("CC7.2"), iso("A.8.15"), pci("10.3.3")),
			Types:       []string{tTrail},
			// WORM retention is asked where the audit history is relied on; a staging account's
			// trail may be emptied.
			ProductionOnly: true,
			checkStack: func(c *run, rs []*Resource) {
				buckets := ofType(rs, tBucket)
				locks := ofType(rs, tBucketObjectLock)
				for _, t := range ofType(rs, tTrail) {
					bs, known := linked(t, "s3BucketName", buckets, "bucket")
					switch {
					case !known:
						c.cannotCheck(t, "s3BucketName is not known yet")
						continue
					case len(bs) == 0:
						c.violation(t, "the trail's bucket is not declared in this stack: its Object Lock cannot be checked")
						continue
					}
					for _, b := range bs {
						checkObjectLock(c, t, b, locks)
					}
				}
			},
		},
		&Policy{
			Name:        "config-recorder-all-resources",
			Area:        "account",
			Description: "The account baseline records every supported resource type, global ones included, with AWS Config, and delivers the history.",
			Level:       Mandatory,
			Severity:    High,
			// recordingGroup.allSupported defaults to true, includeGlobalResourceTypes to false
			// (pulumi-aws cfg.RecorderRecordingGroup); without the global types IAM changes leave no
			// configuration history. A recorder records nothing until its status is enabled and
			// delivers nothing without a delivery channel (AWS Config Developer Guide).
			Remediation: "Declare a cfg.Recorder with recordingGroup {allSupported: true, includeGlobalResourceTypes: true}, a cfg.DeliveryChannel and a cfg.RecorderStatus with isEnabled true.",
			Controls:    join(soc2("CC7.1"), iso("A.8.9"), cisAWS("3.3")),
			Types:       baselineTypes,
			checkStack: func(c *run, rs []*Resource) {
				if notBaseline(c, rs) {
					return
				}
				recs := ofType(rs, tConfigRecorder)
				if len(recs) == 0 {
					c.violation(nil, "the account baseline has no AWS Config recorder: configuration changes are not recorded")
					return
				}
				for _, r := range recs {
					if all, ok := c.boolField(r, "recordingGroup.allSupported", true); ok && !all {
						c.violation(r, "recordingGroup.allSupported is false: only the listed resource types are recorded")
					}
					if global, ok := c.boolField(r, "recordingGroup.includeGlobalResourceTypes", false); ok && !global {
						c.violation(r, "recordingGroup.includeGlobalResourceTypes is not true: IAM users, roles and policies are not recorded")
					}
				}
				if len(ofType(rs, tConfigDelivery)) == 0 {
					c.violation(nil, "the account baseline has no AWS Config delivery channel: the recorder cannot deliver its history")
				}
				statuses := ofType(rs, tConfigRecorderStatus)
				if len(statuses) == 0 {
					c.violation(nil, "the account baseline has no AWS Config recorder status: the recorder is created stopped")
				}
				for _, s := range statuses {
					if on, ok := c.boolField(s, "isEnabled", false); ok && !on {
						c.violation(s, "isEnabled is not true: the recorder is stopped")
					}
				}
			},
		},
		&Policy{
			Name:        "guardduty-detector-protections",
			Area:        "account",
			Description: "The account baseline enables GuardDuty, publishing findings at least hourly, with EKS audit logs, Runtime Monitoring through the managed agent, RDS and S3 protection.",
			Level:       Mandatory,
			Severity:    High,
			// Each protection plan is a detector feature that is off until enabled
			// (GuardDuty API Reference, DetectorFeatureConfiguration); Runtime Monitoring deploys
			// its agent on EKS only with the EKS_ADDON_MANAGEMENT additional configuration.
			Remediation: "Declare a guardduty.Detector (enable true, findingPublishingFrequency FIFTEEN_MINUTES or ONE_HOUR) and a guardduty.DetectorFeature with status ENABLED for EKS_AUDIT_LOGS, RDS_LOGIN_EVENTS, S3_DATA_EVENTS and RUNTIME_MONITORING (additionalConfigurations EKS_ADDON_MANAGEMENT ENABLED).",
			Controls:    join(soc2("CC7.2"), iso("A.8.16"), pci("11.5.1")),
			Types:       baselineTypes,
			checkStack:  checkGuardDuty,
		},
		&Policy{
			Name:        "securityhub-standards-enabled",
			Area:        "account",
			Description: "The account baseline enables Security Hub with the AWS Foundational Security Best Practices and CIS AWS Foundations standards.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Declare a securityhub.Account and a securityhub.StandardsSubscription for each of the two standards (their ARNs are in the Security Hub User Guide's standards reference).",
			Controls:    join(soc2("CC7.1"), iso("A.5.36"), cisAWS("4.16")),
			Types:       baselineTypes,
			checkStack: func(c *run, rs []*Resource) {
				if notBaseline(c, rs) {
					return
				}
				if len(ofType(rs, tSecurityHubAccount)) == 0 {
					c.violation(nil, "the account baseline does not enable Security Hub (no securityhub.Account)")
				}
				var arns []string
				for _, s := range ofType(rs, tSecurityHubStandard) {
					arn, set, ok := c.stringField(s, "standardsArn")
					if !ok {
						return
					}
					if set {
						arns = append(arns, arn)
					}
				}
				for _, std := range securityHubStandards {
					if !slices.ContainsFunc(arns, func(a string) bool { return strings.Contains(a, std.path) }) {
						c.violation(nil, "Security Hub is not subscribed to the %s standard", std.name)
					}
				}
			},
		},
		&Policy{
			Name:        "accessanalyzer-enabled",
			Area:        "account",
			Description: "The account baseline has an IAM Access Analyzer, which reports resources shared outside the account.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Declare an accessanalyzer.Analyzer of type ACCOUNT (or ORGANIZATION in the management account).",
			Controls:    join(soc2("CC6.3"), iso("A.5.15"), cisAWS("1.20")),
			Types:       baselineTypes,
			checkStack: func(c *run, rs []*Resource) {
				if notBaseline(c, rs) {
					return
				}
				as := ofType(rs, tAccessAnalyzer)
				if len(as) == 0 {
					c.violation(nil, "the account baseline has no IAM Access Analyzer: resources shared outside the account go unnoticed")
				}
				for _, a := range as {
					// ACCOUNT and ORGANIZATION report external access; the *_UNUSED_ACCESS types
					// report unused permissions only (IAM Access Analyzer API Reference, CreateAnalyzer).
					if typ, set, ok := c.stringField(a, "type"); ok && set && typ != "ACCOUNT" && typ != "ORGANIZATION" {
						c.violation(a, "type is %s: only ACCOUNT or ORGANIZATION analyzers report external access", typ)
					}
				}
			},
		},
		&Policy{
			Name:        "cloudwatch-cis-monitoring-alarms",
			Area:        "account",
			Description: "The account baseline has a metric filter on the trail's log group and an alarm with an action for each CIS monitoring control (4.1 to 4.15).",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "For each listed control, declare a cloudwatch.LogMetricFilter on the trail's log group with the benchmark's pattern and a cloudwatch.MetricAlarm on its metric with an alarm action.",
			Controls:    join(soc2("CC7.2"), iso("A.8.16"), pci("10.4.1"), cisAWS(cisMonitoringIDs()...)),
			Types:       baselineTypes,
			checkStack:  checkCISAlarms,
		},
	)
}

// checkObjectLock checks that bucket b of trail t has Object Lock on, with a default retention.
func checkObjectLock(c *run, t, b *Resource, locks []*Resource) {
	on, ok := c.boolField(b, "objectLockEnabled", false)
	if !ok {
		return
	}
	if !on {
		c.violation(t, "bucket %s has no Object Lock (objectLockEnabled is not true): log files can be deleted", b.Name)
		return
	}
	for _, l := range locks {
		targets, known := linked(l, "bucket", []*Resource{b}, "bucket")
		if !known {
			c.cannotCheck(t, "the bucket of an Object Lock configuration is not known yet")
			return
		}
		if len(targets) == 0 {
			continue
		}
		mode, _, ok1 := c.stringField(l, "rule.defaultRetention.mode")
		days, dset, ok2 := c.numberField(l, "rule.defaultRetention.days")
		years, yset, ok3 := c.numberField(l, "rule.defaultRetention.years")
		switch {
		case !ok1 || !ok2 || !ok3:
		case mode != "GOVERNANCE" && mode != "COMPLIANCE":
			c.violation(t, "bucket %s's Object Lock has no default retention mode: new log files are not locked", b.Name)
		case !(dset && days > 0) && !(yset && years > 0):
			c.violation(t, "bucket %s's Object Lock default retention sets neither days nor years", b.Name)
		}
		return
	}
	c.violation(t, "bucket %s has Object Lock but no default retention (no BucketObjectLockConfigurationV2): new log files are not locked", b.Name)
}

func checkGuardDuty(c *run, rs []*Resource) {
	if notBaseline(c, rs) {
		return
	}
	detectors := ofType(rs, tGuardDutyDetector)
	if len(detectors) == 0 {
		c.violation(nil, "the account baseline has no GuardDuty detector: threats in the account are not detected")
		return
	}
	for _, d := range detectors {
		if on, ok := c.boolField(d, "enable", true); ok && !on {
			c.violation(d, "enable is false: the detector is suspended")
		}
		// Updates to an active finding are published every six hours unless the detector says
		// otherwise (GuardDuty API Reference, CreateDetector: FindingPublishingFrequency); the
		// on-call route then hears of an ongoing attack hours late (Checkov CKV2_AWS_80).
		freq, set, ok := c.stringField(d, "findingPublishingFrequency")
		switch {
		case !ok:
		case !set:
			c.violation(d, "findingPublishingFrequency is not set: updated findings are published every six hours")
		case freq != "FIFTEEN_MINUTES" && freq != "ONE_HOUR":
			c.violation(d, "findingPublishingFrequency is %s: updated findings must be published at least hourly", freq)
		}
	}
	enabled := map[string]bool{}
	agent := false
	for _, f := range ofType(rs, tGuardDutyFeature) {
		name, _, ok1 := c.stringField(f, "name")
		status, _, ok2 := c.stringField(f, "status")
		if !ok1 || !ok2 {
			return
		}
		if status != "ENABLED" {
			continue
		}
		enabled[name] = true
		if name == "RUNTIME_MONITORING" || name == "EKS_RUNTIME_MONITORING" {
			extra, _, ok := c.listField(f, "additionalConfigurations")
			if !ok {
				return
			}
			for _, e := range extra {
				n, _ := asString(at(e, "name"))
				s, st := asString(at(e, "status"))
				if st == unknown {
					c.cannotCheck(f, "additionalConfigurations status is not known yet")
					return
				}
				if n == "EKS_ADDON_MANAGEMENT" && s == "ENABLED" {
					agent = true
				}
			}
		}
	}
	for _, name := range guardDutyFeatures {
		if !enabled[name] {
			c.violation(nil, "GuardDuty feature %s is not enabled", name)
		}
	}
	switch {
	case !enabled["RUNTIME_MONITORING"] && !enabled["EKS_RUNTIME_MONITORING"]:
		c.violation(nil, "GuardDuty feature RUNTIME_MONITORING is not enabled")
	case !agent:
		c.violation(nil, "GuardDuty Runtime Monitoring does not manage its EKS agent (additionalConfigurations EKS_ADDON_MANAGEMENT is not ENABLED)")
	}
}

// checkCISAlarms looks, for each CIS 4.x control, for a metric filter whose pattern names the
// control's events and an alarm with an action on the filter's metric.
func checkCISAlarms(c *run, rs []*Resource) {
	if notBaseline(c, rs) {
		return
	}
	type metric struct{ name, namespace string }
	alarmed := map[metric]bool{}
	for _, a := range ofType(rs, tMetricAlarm) {
		name, _, ok1 := c.stringField(a, "metricName")
		ns, _, ok2 := c.stringField(a, "namespace")
		actions, _, ok3 := c.stringsField(a, "alarmActions")
		if !ok1 || !ok2 || !ok3 {
			return
		}
		if len(actions) > 0 {
			alarmed[metric{name, ns}] = true
		}
	}
	type filter struct {
		pattern string
		m       metric
	}
	var filters []filter
	for _, f := range ofType(rs, tLogMetricFilter) {
		pattern, _, ok1 := c.stringField(f, "pattern")
		name, _, ok2 := c.stringField(f, "metricTransformation.name")
		ns, _, ok3 := c.stringField(f, "metricTransformation.namespace")
		if !ok1 || !ok2 || !ok3 {
			return
		}
		filters = append(filters, filter{pattern, metric{name, ns}})
	}
	var missing, silent []string
	for _, m := range cisMonitoring {
		found, alarm := false, false
		for _, f := range filters {
			if !containsAll(f.pattern, m.tokens) {
				continue
			}
			found = true
			alarm = alarm || alarmed[f.m]
		}
		switch {
		case !found:
			missing = append(missing, fmt.Sprintf("%s (%s)", m.id, m.what))
		case !alarm:
			silent = append(silent, fmt.Sprintf("%s (%s)", m.id, m.what))
		}
	}
	if len(missing) > 0 {
		c.violation(nil, "no metric filter for CIS %s", strings.Join(missing, ", "))
	}
	if len(silent) > 0 {
		c.violation(nil, "no alarm with an action on the metric filter for CIS %s", strings.Join(silent, ", "))
	}
}

func containsAll(s string, tokens []string) bool {
	for _, t := range tokens {
		if !strings.Contains(s, t) {
			return false
		}
	}
	return true
}
