package baseline

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/validate"
)

// Defaults of BaselineArgs.
const (
	DefaultTrailName = "novacron-account"
	// DefaultTrailLogRetentionDays keeps a year of events searchable in CloudWatch Logs: PCI DSS
	// v4.0 10.5.1 asks for twelve months of audit history, three of them immediately available.
	DefaultTrailLogRetentionDays = 365
	// DefaultTrailBucketRetentionDays keeps the signed log files in S3 for seven years, the
	// usual horizon of audit evidence; they are cheap there.
	DefaultTrailBucketRetentionDays = 2557
	DefaultObjectLockMode           = "GOVERNANCE"
	DefaultObjectLockDays           = 365
	DefaultKeyDeletionWindowDays    = 30
	DefaultConfigSnapshotFrequency  = "TwentyFour_Hours"
	DefaultConfigRetentionDays      = 2557
	DefaultAccessLogRetentionDays   = 365
	// DefaultFindingPublishingFrequency is GuardDuty's shortest: updates to an active finding
	// reach EventBridge (and on-call) within 15 minutes instead of the default six hours.
	DefaultFindingPublishingFrequency = "FIFTEEN_MINUTES"
	DefaultAlertProtocol              = "https"
	// abortMultipartDays cleans up uploads that never completed.
	abortMultipartDays = 7
	// maxObjectLockDays bounds a retention at 100 years: S3 refuses zero and anything that is
	// not a whole number of days (S3 API, DefaultRetention), and a longer lock is a typo.
	maxObjectLockDays = 36500
)

// DefaultInspectorResourceTypes scans the platform's ECR images; EC2 scanning is an opt-in.
var DefaultInspectorResourceTypes = []string{"ECR"}

// Values AWS accepts, each from the API reference of its service.
var (
	// ObjectLockModes: S3 API, DefaultRetention.Mode.
	ObjectLockModes = []string{"GOVERNANCE", "COMPLIANCE"}
	// ConfigSnapshotFrequencies: AWS Config API, ConfigSnapshotDeliveryProperties.
	ConfigSnapshotFrequencies = []string{"One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"}
	// FindingPublishingFrequencies: GuardDuty API, CreateDetector.
	FindingPublishingFrequencies = []string{"FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"}
	// InspectorResourceTypes: Inspector2 API, Enable.resourceTypes.
	InspectorResourceTypes = []string{"EC2", "ECR", "LAMBDA", "LAMBDA_CODE"}
	// AlertProtocols are the subscription protocols offered: an HTTPS endpoint (PagerDuty's
	// CloudWatch integration, whose URL embeds the integration key) or an e-mail address.
	AlertProtocols = []string{"https", "email"}
)

// SecretString holds a secret value. It prints as [secret], so an error or a test failure cannot
// leak it; the component hands it to Pulumi as a secret output.
type SecretString string

// String hides the value from fmt's %s and %v.
func (SecretString) String() string { return "[secret]" }

// GoString hides the value from fmt's %#v.
func (SecretString) GoString() string { return "[secret]" }

// BaselineArgs configures the account baseline of one AWS account, in its home region.
type BaselineArgs struct {
	// Region is the home region: the multi-region trail, its log group and the CIS alarms live
	// here, and AWS Config records global resources (IAM) here only. Required.
	Region string
	// TrailName names the multi-region trail; the log group is /aws/cloudtrail/<TrailName>.
	// Default: "novacron-account".
	TrailName string
	// TrailLogRetentionDays is how long the trail's CloudWatch log group keeps events (a
	// CloudWatch Logs retention value). Default: 365.
	TrailLogRetentionDays int
	// TrailBucketRetentionDays is how long the trail bucket keeps log files before they expire;
	// at least ObjectLockDays. Default: 2557 (seven years).
	TrailBucketRetentionDays int
	// DisableObjectLock creates the trail bucket without S3 Object Lock. Object Lock can only be
	// turned on when a bucket is created, so changing this replaces the bucket. Default: false
	// (locked).
	DisableObjectLock bool
	// ObjectLockMode is the default retention mode of trail log files: GOVERNANCE (principals
	// with s3:BypassGovernanceRetention may still delete) or COMPLIANCE (nobody, not even the
	// root user, until the period ends). Default: "GOVERNANCE".
	ObjectLockMode string
	// ObjectLockDays is the default retention period of each log file. Default: 365.
	ObjectLockDays int
	// S3DataEventBuckets limits S3 object-level data events to these buckets (names). Empty logs
	// object-level events of every bucket in the account except the trail bucket itself, whose
	// own writes would otherwise log themselves. Default: [] (every bucket).
	S3DataEventBuckets []string
	// LambdaDataEvents also logs Lambda invocations. Default: false.
	LambdaDataEvents bool
	// KeyDeletionWindowDays is the waiting period (7 to 30 days) before a scheduled deletion of
	// either KMS key takes effect; losing the trail key makes the logs unreadable. Default: 30.
	KeyDeletionWindowDays int
	// ConfigSnapshotFrequency is how often AWS Config delivers a configuration snapshot.
	// Default: "TwentyFour_Hours".
	ConfigSnapshotFrequency string
	// ConfigRetentionDays is how long the Config bucket keeps history and snapshots.
	// Default: 2557.
	ConfigRetentionDays int
	// AccessLogRetentionDays is how long the access log bucket keeps the other buckets' S3
	// server access logs. Default: 365.
	AccessLogRetentionDays int
	// FindingPublishingFrequency is how often GuardDuty publishes updates of active findings.
	// Default: "FIFTEEN_MINUTES".
	FindingPublishingFrequency string
	// InspectorResourceTypes are what Amazon Inspector scans. Default: ["ECR"].
	InspectorResourceTypes []string
	// AlertProtocol is the alerts topic's subscription protocol: "https" or "email".
	// Default: "https".
	AlertProtocol string
	// AlertEndpoint is where alarms and high-severity findings go: the on-call HTTPS endpoint
	// (a PagerDuty CloudWatch integration URL, which embeds its key) or an e-mail address.
	// Required; it stays a secret.
	AlertEndpoint SecretString
	// AllowDestroy lifts Pulumi's protect from the buckets and keys, for disposable accounts.
	// Default: false (protected).
	AllowDestroy bool
}

// withDefaults returns a copy with every zero field replaced by its default.
func (a *BaselineArgs) withDefaults() BaselineArgs {
	d := *a
	if d.TrailName == "" {
		d.TrailName = DefaultTrailName
	}
	if d.TrailLogRetentionDays == 0 {
		d.TrailLogRetentionDays = DefaultTrailLogRetentionDays
	}
	if d.TrailBucketRetentionDays == 0 {
		d.TrailBucketRetentionDays = DefaultTrailBucketRetentionDays
	}
	if d.ObjectLockMode == "" {
		d.ObjectLockMode = DefaultObjectLockMode
	}
	if d.ObjectLockDays == 0 {
		d.ObjectLockDays = DefaultObjectLockDays
	}
	if d.KeyDeletionWindowDays == 0 {
		d.KeyDeletionWindowDays = DefaultKeyDeletionWindowDays
	}
	if d.ConfigSnapshotFrequency == "" {
		d.ConfigSnapshotFrequency = DefaultConfigSnapshotFrequency
	}
	if d.ConfigRetentionDays == 0 {
		d.ConfigRetentionDays = DefaultConfigRetentionDays
	}
	if d.AccessLogRetentionDays == 0 {
		d.AccessLogRetentionDays = DefaultAccessLogRetentionDays
	}
	if d.FindingPublishingFrequency == "" {
		d.FindingPublishingFrequency = DefaultFindingPublishingFrequency
	}
	if d.InspectorResourceTypes == nil {
		d.InspectorResourceTypes = slices.Clone(DefaultInspectorResourceTypes)
	}
	if d.AlertProtocol == "" {
		d.AlertProtocol = DefaultAlertProtocol
	}
	return d
}

// trailNamePattern is CloudTrail's rule for trail names (CloudTrail API, CreateTrail.Name): 3 to
// 128 ASCII letters, digits, '.', '_' or '-', starting and ending with a letter or digit; the
// rule against adjacent separators is checked separately.
var trailNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)

// bucketNamePattern is S3's rule for general purpose bucket names (S3 User Guide, "Bucket naming
// rules"): 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter
// or digit.
var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// Validate checks the arguments after defaults are applied and returns every problem, each
// naming the field in the component's own vocabulary.
func (a *BaselineArgs) Validate() validate.Problems {
	d := a.withDefaults()
	var p validate.Problems
	p.NotEmpty("region", d.Region)

	if !trailNamePattern.MatchString(d.TrailName) || strings.Contains(d.TrailName, "..") ||
		regexp.MustCompile(`[._-]{2}`).MatchString(d.TrailName) {
		p.Addf("trailName", "must be 3-128 letters, digits, '.', '_' or '-', start and end with a letter or digit, and have no adjacent separators (CloudTrail's rule), got %q", d.TrailName)
	}
	awslimits.CheckLogRetention(&p, "trailLogRetentionDays", d.TrailLogRetentionDays)
	if d.TrailBucketRetentionDays < 1 {
		p.Addf("trailBucketRetentionDays", "must be at least 1, got %d", d.TrailBucketRetentionDays)
	}
	if !d.DisableObjectLock {
		if !slices.Contains(ObjectLockModes, d.ObjectLockMode) {
			p.Addf("objectLockMode", "must be one of %v, got %q", ObjectLockModes, d.ObjectLockMode)
		}
		p.IntRange("objectLockDays", d.ObjectLockDays, 1, maxObjectLockDays)
		// A lifecycle expiration cannot remove a locked version before its retention ends; a
		// shorter bucket retention would be a promise S3 does not keep.
		if d.TrailBucketRetentionDays < d.ObjectLockDays {
			p.Addf("trailBucketRetentionDays", "must be at least objectLockDays (%d), got %d", d.ObjectLockDays, d.TrailBucketRetentionDays)
		}
	}
	for _, b := range d.S3DataEventBuckets {
		if !bucketNamePattern.MatchString(b) || strings.Contains(b, "..") {
			p.Addf("s3DataEventBuckets", "entries must be S3 bucket names (3-63 lowercase letters, digits, '.' and '-'), got %q", b)
		}
	}
	p.IntRange("keyDeletionWindowDays", d.KeyDeletionWindowDays, 7, 30)
	if !slices.Contains(ConfigSnapshotFrequencies, d.ConfigSnapshotFrequency) {
		p.Addf("configSnapshotFrequency", "must be one of %v, got %q", ConfigSnapshotFrequencies, d.ConfigSnapshotFrequency)
	}
	if d.ConfigRetentionDays < 1 {
		p.Addf("configRetentionDays", "must be at least 1, got %d", d.ConfigRetentionDays)
	}
	if d.AccessLogRetentionDays < 1 {
		p.Addf("accessLogRetentionDays", "must be at least 1, got %d", d.AccessLogRetentionDays)
	}
	if !slices.Contains(FindingPublishingFrequencies, d.FindingPublishingFrequency) {
		p.Addf("findingPublishingFrequency", "must be one of %v, got %q", FindingPublishingFrequencies, d.FindingPublishingFrequency)
	}
	if len(d.InspectorResourceTypes) == 0 {
		p.Addf("inspectorResourceTypes", "must name at least one of %v (Inspector needs one)", InspectorResourceTypes)
	}
	for _, t := range d.InspectorResourceTypes {
		if !slices.Contains(InspectorResourceTypes, t) {
			p.Addf("inspectorResourceTypes", "entries must be one of %v, got %q", InspectorResourceTypes, t)
		}
	}
	if !slices.Contains(AlertProtocols, d.AlertProtocol) {
		p.Addf("alertProtocol", "must be one of %v, got %q", AlertProtocols, d.AlertProtocol)
	}
	checkEndpoint(&p, d.AlertProtocol, string(d.AlertEndpoint))
	return p
}

// checkEndpoint validates the alert endpoint for its protocol without ever quoting it: it is a
// secret.
func checkEndpoint(p *validate.Problems, protocol, endpoint string) {
	switch {
	case strings.TrimSpace(endpoint) == "":
		p.Addf("alertEndpoint", "must be set with `pulumi config set --secret alertEndpoint`: alarms and high-severity findings page on-call through it")
	case protocol == "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			p.Addf("alertEndpoint", "must be an https:// URL for protocol https (value not shown: it is a secret)")
		}
	case protocol == "email":
		if !strings.Contains(endpoint, "@") || strings.ContainsAny(endpoint, " \t\n") {
			p.Addf("alertEndpoint", "must be an e-mail address for protocol email (value not shown: it is a secret)")
		}
	}
}
