package stacks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/novacron/platform/components/cluster"
	"github.com/novacron/platform/components/database"
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

	Network  network.VpcArgs
	Cluster  cluster.ClusterArgs
	Database database.PostgresArgs
	Services Services
	Secrets  Secrets
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
}

// SecretKeys are the keys that must be set with `pulumi config set --secret`.
var SecretKeys = []string{"grafanaAdminPassword", "pagerdutyRoutingKey", "slackWebhookUrl"}

// Load reads and validates the configuration of a stack. Every problem is reported, each naming
// the stack and the key; nothing is half-loaded: on error the Config is nil.
func Load(stack string, src Source) (*Config, error) {
	r := &reader{stack: stack, get: src.Get}
	cfg := &Config{Stack: stack}

	cfg.Environment = r.str("environment")
	switch {
	case cfg.Environment != "" && !slices.Contains(Environments, cfg.Environment):
		r.fail("environment", "must be one of %v, got %q", Environments, cfg.Environment)
	case slices.Contains(Environments, stack) && cfg.Environment != stack:
		// A stack named after an environment is that environment: its tags must not say otherwise.
		r.fail("environment", "must be %q in stack %q, got %q", stack, stack, cfg.Environment)
	}
	if region, ok := src.Get("aws:region"); ok && strings.TrimSpace(region) != "" {
		cfg.Region = region
	} else {
		r.fail("aws:region", "is not set (add it to Pulumi.%s.yaml)", stack)
	}
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
	}

	cfg.Cluster = cluster.ClusterArgs{
		ClusterName:                     "novacron-" + stack,
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
		NodeGroups: []cluster.NodeGroupArgs{
			// One group per zone: Prometheus, Alertmanager and Grafana keep zonal EBS volumes
			// on these nodes (components/cluster doc.go, "Zones").
			perZone(r.nodeGroup("general", nil, false)),
			// The taint keeps everything that does not ask for a GPU off the expensive nodes.
			r.nodeGroup("ml", []cluster.Taint{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}}, true),
		},
		NvidiaDevicePluginVersion: r.str("nvidiaDevicePluginVersion"),
		ClusterAutoscalerVersion:  r.str("clusterAutoscalerVersion"),
		ClusterAutoscalerImageTag: r.optionalStr("clusterAutoscalerImageTag"),
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

// clusterKey maps cluster.ClusterArgs fields ("nodeGroups.ml.maxSize") to config keys ("mlMaxSize").
func clusterKey(field string) string {
	if rest, ok := strings.CutPrefix(field, "nodeGroups."); ok {
		if group, f, ok := strings.Cut(rest, "."); ok {
			switch f {
			case "instanceTypes":
				f = "instanceType"
			case "perZone":
				// A zonal group's zones (and the group names derived from them) come from here.
				return "availabilityZones"
			}
			return group + upperFirst(f)
		}
	}
	switch field {
	case "region":
		return "aws:region"
	case "kubernetesVersion", "nvidiaDevicePluginVersion":
		return field
	case "publicAccessCidrs", "adminRoleArns", "readOnlyRoleArns", "logRetentionDays", "endpointPublicAccess",
		"endpointAllowedCidrs", "endpointAllowedSecurityGroupIds":
		return "cluster" + upperFirst(field)
	}
	return field
}

// perZone splits a node group into one group per availability zone.
func perZone(ng cluster.NodeGroupArgs) cluster.NodeGroupArgs {
	ng.PerZone = true
	return ng
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
	get      func(key string) (string, bool)
	problems []string
	// failed holds the keys already reported, so that a value that did not parse is not
	// reported again by a component rule.
	failed map[string]bool
}

func (r *reader) fail(key, format string, args ...any) {
	if r.failed == nil {
		r.failed = map[string]bool{}
	}
	r.failed[key] = true
	full := key
	if !strings.Contains(key, ":") {
		full = Key(key)
	}
	r.problems = append(r.problems, fmt.Sprintf("%s: %s %s", r.stack, full, fmt.Sprintf(format, args...)))
}

func (r *reader) raw(key string) (string, bool) {
	v, ok := r.get(Key(key))
	if !ok {
		r.fail(key, "is not set; Pulumi.yaml declares its default (Pulumi CLI 3.44 or later applies it)")
	}
	return v, ok
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
	}
}

func isHTTPSURL(v string) bool {
	u, err := url.Parse(strings.TrimSpace(v))
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// positive reads a whole number that must be at least 1; for these keys a 0 would otherwise
// mean "the component's default" rather than the 0 the stack file says.
func (r *reader) positive(key string) int {
	n := r.integer(key)
	if _, ok := r.get(Key(key)); ok && n < 1 {
		r.fail(key, "must be at least 1, got %d", n)
	}
	return n
}

func (r *reader) integer(key string) int {
	v, ok := r.raw(key)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, "must be a whole number, got %q", v)
	}
	return n
}

func (r *reader) boolean(key string) bool {
	v, ok := r.raw(key)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, "must be true or false, got %q", v)
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
	}
	return list
}

func (r *reader) nodeGroup(name string, taints []cluster.Taint, gpu bool) cluster.NodeGroupArgs {
	return cluster.NodeGroupArgs{
		Name:          name,
		InstanceTypes: []string{r.str(name + "InstanceType")},
		AmiType:       r.str(name + "AmiType"),
		MinSize:       r.integer(name + "MinSize"),
		DesiredSize:   r.integer(name + "DesiredSize"),
		MaxSize:       r.positive(name + "MaxSize"),
		DiskSizeGb:    r.positive(name + "DiskSizeGb"),
		Labels:        map[string]string{"workload": name},
		Taints:        taints,
		Gpu:           gpu,
	}
}

// component reports a component's problems under the config keys they come from.
func (r *reader) component(problems validate.Problems, keyFor func(field string) string) {
	reported := map[string]bool{}
	for key := range r.failed {
		reported[key] = true
	}
	for _, p := range problems {
		if key := keyFor(p.Field); !reported[key] {
			r.fail(key, "%s", p.Message)
		}
	}
}

// keysRead lists the keys Load reads, for the tests that keep Pulumi.yaml and the README honest.
func keysRead() []string {
	rec := recordingSource{}
	_, _ = Load("keys", rec)
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
