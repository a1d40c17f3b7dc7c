package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/novacron/platform/components/cluster"
	"github.com/novacron/platform/components/database"
	"github.com/novacron/platform/components/karpenter"
	"github.com/novacron/platform/components/network"
	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/validate"
)

// Project is the Pulumi project name; every key of ours lives in its namespace.
const Project = "novacron-platform"

// Environments are the environments this program knows how to build.
var Environments = []string{"staging", "production"}

// Config is the whole typed configuration of one stack. The component Args hold the plain values
// read from config; the composition wires their inputs (VPC ids, subnets, keys).
type Config struct {
	Stack       string
	Environment string
	Region      string
	// Tags go on every AWS resource through the provider's default tags.
	Tags map[string]string

	// ProtectData guards data against deletion: RDS deletion protection and final snapshot,
	// and Pulumi protect on databases, buckets, repositories and their keys.
	ProtectData bool

	Network network.VpcArgs
	Cluster cluster.ClusterArgs
	// Baseline is the services' declared steady load, for preflight's capacity check.
	Baseline Baseline
	Database database.PostgresArgs
	Services Services
	Secrets  Secrets
}

// Baseline is the NovaCron services' declared steady resource requests per pool.
type Baseline struct {
	GeneralVcpus, GeneralMemoryGib, MlGpus int
}

// Source looks up config values by full key ("novacron-platform:vpcCidr", "aws:region").
type Source interface {
	Get(key string) (string, bool)
	// IsSecret reports whether the stack stores the key encrypted (`pulumi config set --secret`).
	IsSecret(key string) bool
}

// SecretString holds a secret config value. It prints as [secret], so a stray Printf or a
// test failure cannot leak it; Deploy wraps it as a Pulumi secret output.
type SecretString string

// String hides the value from fmt's %s and %v.
func (SecretString) String() string { return SecretPlaceholder }

// GoString hides the value from fmt's %#v.
func (SecretString) GoString() string { return SecretPlaceholder }

// Secrets are the secret config values the platform needs.
type Secrets struct {
	GrafanaAdminPassword SecretString
	PagerDutyRoutingKey  SecretString
	SlackWebhookURL      SecretString
	HeartbeatURL         SecretString
}

// SecretKeys are the keys that must be set with `pulumi config set --secret`.
var SecretKeys = []string{"grafanaAdminPassword", "pagerdutyRoutingKey", "slackWebhookUrl", "heartbeatUrl"}

// Load reads and validates the configuration of a stack. Every problem is reported, each naming
// the stack and the key; nothing is half-loaded: on error the Config is nil.
func Load(stack string, src Source) (*Config, error) {
	r := newReader(stack, src)
	cfg := &Config{Stack: stack}

	cfg.Environment = r.str("environment")
	switch {
	case cfg.Environment != "" && !slices.Contains(Environments, cfg.Environment):
		r.fail("environment", "must be one of %v, got %q", Environments, cfg.Environment)
	case slices.Contains(Environments, stack) && cfg.Environment != stack:
		// A stack named after an environment is that environment: its tags must not say otherwise.
		r.fail("environment", "must be %q in stack %q, got %q", stack, stack, cfg.Environment)
	}
	cfg.Region = r.region()
	owner, costCenter := r.str("owner"), r.str("costCenter")
	cfg.Tags = map[string]string{
		"Project":     "novacron",
		"Environment": cfg.Environment,
		"ManagedBy":   "pulumi",
		"Owner":       owner,
		"CostCenter":  costCenter,
	}
	r.checkTags(cfg.Tags)
	zones := r.strings("availabilityZones")
	cfg.ProtectData = r.boolean("protectData")

	cfg.Network = network.VpcArgs{
		Region:               cfg.Region,
		AvailabilityZones:    zones,
		CidrBlock:            r.str("vpcCidr"),
		SingleNatGateway:     r.boolean("singleNatGateway"),
		FlowLogRetentionDays: r.positive("flowLogRetentionDays"),
		// Karpenter launches nodes into the subnets carrying the cluster's discovery tag.
		PrivateSubnetTags: map[string]string{karpenter.DiscoveryTag: "novacron-" + stack},
	}

	cfg.Cluster = cluster.ClusterArgs{
		ClusterName: "novacron-" + stack,
		// The nodes may send anything inside their own VPC, and only HTTPS beyond it.
		VpcCidr:                         cfg.Network.CidrBlock,
		Region:                          cfg.Region,
		AvailabilityZones:               zones,
		KubernetesVersion:               r.str("kubernetesVersion"),
		EndpointPublicAccess:            r.boolean("clusterEndpointPublicAccess"),
		PublicAccessCidrs:               r.strings("clusterPublicAccessCidrs"),
		EndpointAllowedCidrs:            r.strings("clusterEndpointAllowedCidrs"),
		EndpointAllowedSecurityGroupIds: r.strings("clusterEndpointAllowedSecurityGroupIds"),
		AdminRoleArns:                   r.strings("clusterAdminRoleArns"),
		ReadOnlyRoleArns:                r.strings("clusterReadOnlyRoleArns"),
		LogRetentionDays:                r.positive("clusterLogRetentionDays"),
		SystemInstanceType:              r.str("systemInstanceType"),
		SystemNodeCount:                 r.positive("systemNodeCount"),
		NodeAmiRelease:                  r.str("nodeAmiRelease"),
		MaintenanceWindowStart:          r.str("maintenanceWindowStart"),
		MaintenanceWindowHours:          r.positive("maintenanceWindowHours"),
		KarpenterChartVersion:           r.str("karpenterChartVersion"),
		AddonVersions:                   r.addonVersions("eksAddonVersions"),
		NodePools: []karpenter.NodePoolArgs{
			{
				Name:          "general",
				InstanceTypes: r.strings("generalInstanceTypes"),
				CapacityType:  r.str("generalCapacityType"),
				MinNodes:      r.integer("generalMinNodes"),
				MaxNodes:      r.positive("generalMaxNodes"),
				DiskSizeGb:    r.positive("generalDiskSizeGb"),
				Labels:        map[string]string{"workload": "general"},
			},
			{
				// The taint keeps everything that does not ask for a GPU off the expensive
				// nodes; consolidation only of empty nodes, so a training job is never moved.
				Name:          "ml",
				InstanceTypes: r.strings("mlInstanceTypes"),
				MaxNodes:      r.positive("mlMaxNodes"),
				DiskSizeGb:    r.positive("mlDiskSizeGb"),
				Labels:        map[string]string{"workload": "ml"},
				Taints:        []karpenter.Taint{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}},
				Gpu:           true,
				Consolidation: karpenter.WhenEmpty,
			},
		},
		NodeTags:                  cfg.Tags,
		NvidiaDevicePluginVersion: r.str("nvidiaDevicePluginVersion"),
	}

	cfg.Baseline = Baseline{
		GeneralVcpus:     r.integer("generalBaselineVcpus"),
		GeneralMemoryGib: r.integer("generalBaselineMemoryGib"),
		MlGpus:           r.integer("mlBaselineGpus"),
	}
	for _, b := range []struct {
		key string
		v   int
	}{{"generalBaselineVcpus", cfg.Baseline.GeneralVcpus}, {"generalBaselineMemoryGib", cfg.Baseline.GeneralMemoryGib}, {"mlBaselineGpus", cfg.Baseline.MlGpus}} {
		if b.v < 0 {
			r.fail(b.key, "must not be negative, got %d", b.v)
		}
	}

	monitoring := r.integer("dbMonitoringIntervalSeconds")
	cfg.Database = database.PostgresArgs{
		Deployment:                       r.str("dbDeployment"),
		EngineVersion:                    r.str("dbEngineVersion"),
		InstanceClass:                    r.str("dbInstanceClass"),
		StorageType:                      r.str("dbStorageType"),
		AllocatedStorageGb:               r.positive("dbAllocatedStorageGb"),
		MaxAllocatedStorageGb:            r.integer("dbMaxAllocatedStorageGb"),
		Iops:                             r.integer("dbIops"),
		SingleAz:                         !r.boolean("dbMultiAz"),
		BackupRetentionDays:              r.positive("dbBackupRetentionDays"),
		BackupWindow:                     r.str("dbBackupWindow"),
		MaintenanceWindow:                r.str("dbMaintenanceWindow"),
		MonitoringIntervalSeconds:        monitoring,
		DisableEnhancedMonitoring:        monitoring == 0,
		PerformanceInsightsRetentionDays: r.positive("dbPerformanceInsightsRetentionDays"),
		LogRetentionDays:                 r.positive("dbLogRetentionDays"),
		ReadReplicaCount:                 r.integer("dbReadReplicaCount"),
		DatabaseName:                     r.str("dbName"),
		MasterUsername:                   r.str("dbUsername"),
		AllowDestroy:                     !cfg.ProtectData,
	}
	if monitoring == 0 {
		// RDS's own convention: an interval of 0 turns enhanced monitoring off.
		cfg.Database.MonitoringIntervalSeconds = 0
	}
	// A Multi-AZ DB cluster places its three instances in three zones: its DB subnet group must
	// cover at least three (RDS User Guide, "Creating a Multi-AZ DB cluster", prerequisites). The
	// database subnets are one per zone of availabilityZones.
	if cfg.Database.Deployment == database.DeploymentCluster && len(zones) < 3 {
		r.fail("dbDeployment", "%q needs database subnets in at least three zones, got %d in availabilityZones",
			database.DeploymentCluster, len(zones))
	}

	cfg.Services = r.services(cfg)
	cfg.Secrets = r.secrets(src)

	// The components' own rules, reported under config keys; a key whose value did not even
	// parse is reported once, by the reader.
	r.component(cfg.Network.Validate(), networkKey)
	r.component(cfg.Cluster.Validate(), clusterKey)
	r.component(cfg.Database.Validate(), databaseKey)
	r.validateServices(cfg.Services)
	if len(r.problems) > 0 {
		return nil, &Error{Stack: stack, Problems: r.problems}
	}
	return cfg, nil
}

// Error lists every configuration problem of a stack.
type Error struct {
	Stack    string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid configuration for stack %q:\n  %s", e.Stack, strings.Join(e.Problems, "\n  "))
}

// Key returns the full config key for one of ours.
func Key(name string) string { return Project + ":" + name }

// networkKey maps network.VpcArgs fields to config keys.
func networkKey(field string) string {
	switch field {
	case "region":
		return "aws:region"
	case "cidrBlock":
		return "vpcCidr"
	}
	return field
}

// clusterKey maps cluster.ClusterArgs fields ("nodePools.ml.maxNodes") to config keys ("mlMaxNodes").
func clusterKey(field string) string {
	if rest, ok := strings.CutPrefix(field, "nodePools."); ok {
		if pool, f, ok := strings.Cut(rest, "."); ok {
			return pool + upperFirst(f)
		}
	}
	switch field {
	case "region":
		return "aws:region"
	case "addonVersions":
		return "eksAddonVersions"
	case "nodeTags":
		return "costCenter"
	case "kubernetesVersion", "nvidiaDevicePluginVersion":
		return field
	case "publicAccessCidrs", "adminRoleArns", "readOnlyRoleArns", "logRetentionDays", "endpointPublicAccess",
		"endpointAllowedCidrs", "endpointAllowedSecurityGroupIds":
		return "cluster" + upperFirst(field)
	}
	return field
}

// databaseKey maps database.PostgresArgs fields to config keys.
func databaseKey(field string) string {
	switch field {
	case "singleAz":
		return "dbMultiAz"
	case "databaseName":
		return "dbName"
	case "masterUsername":
		return "dbUsername"
	case "allowDestroy":
		return "protectData"
	case "disableEnhancedMonitoring":
		return "dbMonitoringIntervalSeconds"
	}
	return "db" + upperFirst(field)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reader parses config values, collecting a problem per bad key instead of stopping.
type reader struct {
	stack    string
	src      Source
	get      func(key string) (string, bool)
	problems []string
	// failed holds the keys already reported, so that a value that did not parse is not
	// reported again by a component rule.
	failed map[string]bool
	// settled holds the keys whose stack-file entry was refused (wrong type, misplaced): that
	// is their one message, and the default stands in for the value.
	settled map[string]bool
	// file is the source's stack-file side when ReadStackFiles read it, else nil.
	file checkedFile
	// regionValue is aws:region's value, for naming the key in the problems it causes.
	regionValue string
}

// checkedFile is implemented by sources ReadStackFiles built: what the stack file check found,
// the defaults of Pulumi.yaml, and which values are defaults standing in for encrypted ones.
type checkedFile interface {
	fileProblems() []fileProblem
	declaredDefault(key string) (string, bool)
	substitution(key string) string
}

func newReader(stack string, src Source) *reader {
	r := &reader{stack: stack, src: src, get: src.Get, failed: map[string]bool{}, settled: map[string]bool{}}
	if f, ok := src.(checkedFile); ok {
		r.file = f
		for _, p := range f.fileProblems() {
			r.report(p.Subject, p.Message)
			r.settled[shortKey(p.Subject)] = true
		}
	}
	return r
}

// shortKey is the reader's name for a key: ours without the namespace, others in full.
func shortKey(key string) string { return strings.TrimPrefix(key, Project+":") }

// fullKey is the name a message uses: every key with its namespace.
func fullKey(key string) string {
	if strings.Contains(key, ":") || strings.HasSuffix(key, ".yaml") {
		return key
	}
	return Key(key)
}

func (r *reader) fail(key, format string, args ...any) {
	if r.settled[key] {
		return // the stack file check has said what is wrong with this key
	}
	r.report(key, fmt.Sprintf(format, args...))
}

// report records one problem about subject (a key, or a stack file). The message never shows
// a secret value, and values longer than a line are shortened.
func (r *reader) report(subject, msg string) {
	short := shortKey(subject)
	r.failed[short] = true
	reason := ""
	if r.file != nil {
		reason = r.file.substitution(fullKey(short))
	}
	if reason == "" && r.src != nil && r.src.IsSecret(fullKey(short)) {
		if v, ok := r.get(fullKey(short)); ok {
			msg = scrubSecret(msg, v)
		}
	}
	msg = shortenQuoted(msg)
	if reason == "encrypted" {
		msg += " (the stack file's value is encrypted and cannot be read offline: this is Pulumi.yaml's default)"
	}
	r.problems = append(r.problems, fmt.Sprintf("%s: %s %s", r.stack, shortenText(fullKey(short)), msg))
}

func (r *reader) raw(key string) (string, bool) {
	v, ok := r.get(Key(key))
	if !ok {
		r.fail(key, "is not set; Pulumi.yaml declares its default (Pulumi CLI 3.44 or later applies it)")
	}
	return v, ok
}

// fallback is the text that stands in for a value that could not be read: Pulumi.yaml's
// default when the source knows it, so that the rules that combine keys (minSize against
// maxSize) do not report a second, wrong problem about a value nobody wrote.
func (r *reader) fallback(key string) (string, bool) {
	if r.file == nil {
		return "", false
	}
	return r.file.declaredDefault(Key(key))
}

// awsRegionPattern is the shape of an AWS region code (us-east-1, us-gov-west-1, eu-isoe-west-1).
var awsRegionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

// awsRegions are the regions the AWS provider package lists (pulumi-aws v6.83.4,
// sdk/go/aws/pulumiEnums.go, Region), for suggestions; a well-formed region outside the list
// is accepted, since AWS opens regions after the package is released.
var awsRegions = []string{
	"af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2", "cn-north-1", "cn-northwest-1",
	"us-gov-east-1", "us-gov-west-1", "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "eu-isoe-west-1",
}

// region reads aws:region, on which the zones, ARNs and prices of the stack depend.
func (r *reader) region() string {
	region, ok := r.get("aws:region")
	region = strings.TrimSpace(region)
	switch {
	case !ok || region == "":
		r.fail("aws:region", "is not set (add it to Pulumi.%s.yaml)", r.stack)
	case !awsRegionPattern.MatchString(region):
		hint := ""
		if m := suggest(region, awsRegions); m != "" {
			hint = "; did you mean " + m + "?"
		}
		r.fail("aws:region", "must be an AWS region code such as us-east-1, got %q%s", region, hint)
	default:
		r.regionValue = region
	}
	return region
}

// str reads a string; every string key of ours must have a value, since an empty one would
// silently fall back to a component default instead of what the stack file seems to say.
func (r *reader) str(key string) string {
	v, ok := r.raw(key)
	if ok && strings.TrimSpace(v) == "" {
		r.fail(key, "must not be empty")
	}
	return v
}

// secrets reads the secret keys, which must be set and stored encrypted.
func (r *reader) secrets(src Source) Secrets {
	value := func(key string) SecretString {
		v, ok := src.Get(Key(key))
		switch {
		case !ok || strings.TrimSpace(v) == "":
			r.fail(key, "is not set; run `pulumi config set --secret %s` (the value is prompted for)", key)
		case !src.IsSecret(Key(key)):
			r.fail(key, "is stored in plain text in the stack file; remove it and run `pulumi config set --secret %s`", key)
		case strings.HasSuffix(key, "Url") && !isHTTPSURL(v):
			// Checked here, not inside the apply that builds the Alertmanager configuration, so
			// that nothing is registered; the value itself is never printed.
			r.fail(key, "must be an https URL (the value is not shown)")
		}
		return SecretString(v)
	}
	return Secrets{
		GrafanaAdminPassword: value("grafanaAdminPassword"),
		PagerDutyRoutingKey:  value("pagerdutyRoutingKey"),
		SlackWebhookURL:      value("slackWebhookUrl"),
		HeartbeatURL:         value("heartbeatUrl"),
	}
}

func isHTTPSURL(v string) bool {
	u, err := url.Parse(strings.TrimSpace(v))
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// positive reads a whole number that must be at least 1; for these keys a 0 would otherwise
// mean "the component's default" rather than the 0 the stack file says.
func (r *reader) positive(key string) int {
	n, ok := r.wholeNumber(key)
	if ok && n < 1 {
		r.fail(key, "must be at least 1, got %d", n)
	}
	return n
}

func (r *reader) integer(key string) int {
	n, _ := r.wholeNumber(key)
	return n
}

// maxWholeNumber bounds every whole number of the configuration. The AWS APIs take counts,
// sizes and periods as Smithy integers, 32-bit signed (Smithy 2.0 specification, "Simple
// types"), so nothing larger is a value AWS accepts; and the product of two such numbers (a
// node count by a disk size, months by days) cannot overflow the 64-bit arithmetic of costs
// and durations. The components hold each key to the service's own, smaller, limit.
const maxWholeNumber = math.MaxInt32

// wholeNumber reads a whole number; ok is false when the value was not one, and then the
// default (or 0) stands in.
func (r *reader) wholeNumber(key string) (n int, ok bool) {
	v, set := r.raw(key)
	if !set || r.settled[key] {
		return r.fallbackInt(key), false
	}
	text := strings.TrimSpace(v)
	i, err := strconv.ParseInt(text, 10, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		r.fail(key, "must be a whole number, got %q", v)
	case err != nil && strings.HasPrefix(text, "-"), err == nil && i < math.MinInt32:
		r.fail(key, "must be at least %d (the AWS APIs take 32-bit whole numbers), got %s", math.MinInt32, text)
	case err != nil, i > maxWholeNumber:
		r.fail(key, "must be at most %d (the AWS APIs take 32-bit whole numbers), got %s", maxWholeNumber, text)
	default:
		return int(i), true
	}
	return r.fallbackInt(key), false
}

func (r *reader) fallbackInt(key string) int {
	if d, ok := r.fallback(key); ok {
		if i, err := strconv.Atoi(d); err == nil {
			return i
		}
	}
	return 0
}

func (r *reader) boolean(key string) bool {
	v, ok := r.raw(key)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, "must be true or false, got %q", v)
		if d, ok := r.fallback(key); ok {
			b, _ = strconv.ParseBool(d)
		}
	}
	return b
}

// strings reads a list, which the Pulumi CLI hands over as a JSON array.
func (r *reader) strings(key string) []string {
	v, ok := r.raw(key)
	if !ok {
		return nil
	}
	var list []string
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		r.fail(key, "must be a list of strings, got %q", v)
		if d, ok := r.fallback(key); ok {
			list = nil
			_ = json.Unmarshal([]byte(d), &list)
		}
	}
	return list
}

// addonVersions reads a list of "<add-on>=<version>" entries into a map; the cluster checks the
// names and versions.
func (r *reader) addonVersions(key string) map[string]string {
	out := map[string]string{}
	for _, entry := range r.strings(key) {
		name, version, ok := strings.Cut(entry, "=")
		if !ok || name == "" || version == "" {
			r.fail(key, "entries must be \"<add-on>=<version>\" such as \"coredns=v1.14.3-eksbuild.3\", got %q", entry)
			continue
		}
		if _, dup := out[name]; dup {
			r.fail(key, "names %s twice", name)
		}
		out[name] = version
	}
	return out
}

// tagKeys are the config keys the default tags' values come from; the other tags are constants.
var tagKeys = map[string]string{"Environment": "environment", "Owner": "owner", "CostCenter": "costCenter"}

// checkTags holds the default tags to AWS's tag rules (length, characters, the reserved "aws:"
// prefix; sources in awslimits): the provider puts them on every resource, so one bad value
// fails every create of the update.
func (r *reader) checkTags(tags map[string]string) {
	var p validate.Problems
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field, ok := tagKeys[k]
		if !ok {
			field = "tag " + k
		}
		awslimits.CheckTag(&p, field, k, tags[k])
	}
	r.component(p, func(field string) string { return field })
}

// component reports a component's problems under the config keys they come from.
func (r *reader) component(problems validate.Problems, keyFor func(field string) string) {
	reported := map[string]bool{}
	for key := range r.failed {
		reported[key] = true
	}
	for _, p := range problems {
		key := keyFor(p.Field)
		if reported[key] {
			continue
		}
		msg := p.Message
		if key != "aws:region" && r.regionValue == "" && r.failed["aws:region"] {
			// With the region missing or malformed, rules that compare a key with it (zones of
			// the region, a copy to another region) would blame the key for the region's fault.
			if region, _ := r.get("aws:region"); strings.TrimSpace(region) == "" || strings.Contains(msg, strings.TrimSpace(region)) {
				continue
			}
		}
		if key != "aws:region" && r.regionValue != "" {
			msg = nameRegion(msg, r.regionValue)
		}
		r.fail(key, "%s", msg)
	}
}

// quoted matches a Go-quoted string in a message: how the rules quote the values they got.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// nameRegion makes a problem that involves the region name aws:region beside the key it is
// reported under: a zone outside the region may be the zone's fault or the region's. Only the
// message's own words change, never a quoted value.
func nameRegion(msg, region string) string {
	if strings.Contains(msg, "aws:region") {
		return msg
	}
	standalone := regexp.MustCompile(`(^|[^a-z0-9-])(?:region )?` + regexp.QuoteMeta(region) + `($|[^a-z0-9-])`)
	bounds := append(quoted.FindAllStringIndex(msg, -1), []int{len(msg), len(msg)})
	from := 0
	for _, q := range bounds {
		part := msg[from:q[0]]
		if loc := standalone.FindStringSubmatchIndex(part); loc != nil {
			at, end := from+loc[3], from+loc[4]
			return msg[:at] + "aws:region " + region + msg[end:]
		}
		from = q[1]
	}
	if !strings.Contains(msg, region) {
		return msg
	}
	return msg + "; aws:region is " + region
}

// maxValueRunes is how much of a value a message shows; a stack file value can be a page long.
const maxValueRunes = 60

// shortenText cuts text longer than maxValueRunes, marking the cut with an ellipsis.
func shortenText(s string) string {
	if r := []rune(s); len(r) > maxValueRunes {
		return string(r[:maxValueRunes-1]) + "…"
	}
	return s
}

// shortenQuoted shortens every quoted value of a message.
func shortenQuoted(msg string) string {
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		v, err := strconv.Unquote(q)
		if err != nil || len([]rune(v)) <= maxValueRunes {
			return q
		}
		return strconv.Quote(shortenText(v))
	})
}

// scrubSecret replaces a secret value, and each item of a secret list, wherever a message
// shows it: quoted, or as a word of its own.
func scrubSecret(msg, value string) string {
	values := []string{value}
	var list []string
	if json.Unmarshal([]byte(value), &list) == nil {
		values = append(values, list...)
	}
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, strconv.Quote(v), SecretPlaceholder)
		msg = replaceWord(msg, v, SecretPlaceholder)
	}
	return msg
}

// replaceWord replaces each occurrence of word in s that is not part of a longer word.
func replaceWord(s, word, with string) string {
	isWordByte := func(i int) bool {
		if i < 0 || i >= len(s) {
			return false
		}
		c := s[i]
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], word)
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		at := i + j
		end := at + len(word)
		b.WriteString(s[i:at])
		if !isWordByte(at-1) && !isWordByte(end) {
			b.WriteString(with)
		} else {
			b.WriteString(word)
		}
		i = end
	}
	return b.String()
}

// keysRead lists the keys Load reads, for the tests that keep Pulumi.yaml and the README honest.
func keysRead() []string {
	rec := recordingSource{}
	_, _ = Load("keys", rec)
	seen := map[string]bool(rec)
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// recordingSource answers nothing and remembers every key asked for.
type recordingSource map[string]bool

func (r recordingSource) Get(key string) (string, bool) {
	r[strings.TrimPrefix(key, Project+":")] = true
	return "", false
}

func (r recordingSource) IsSecret(string) bool { return false }
