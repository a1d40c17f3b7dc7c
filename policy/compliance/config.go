package compliance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Config holds the pack settings. Under the engine they are the properties of the
// "compliance-settings" entry of the --policy-pack-config file (defaults come from its schema);
// offline, LoadConfigFile reads the same file and DefaultConfig gives the defaults.
//
// A nil list or a zero number means the default; an empty, non-nil list means "none".
type Config struct {
	// RequiredTags must be present on every taggable AWS resource, from the provider's default tags
	// or the resource's own tags. Default: Project, Environment, ManagedBy, CostCenter, Owner.
	RequiredTags []string `json:"requiredTags"`
	// AllowedInstanceFamilies are the EC2 families node groups and Karpenter NodePools may use
	// ("m5" for m5.xlarge); an empty list allows every family. Default: see defaultAllowedFamilies.
	AllowedInstanceFamilies []string `json:"allowedInstanceFamilies"`
	// GPUInstanceFamilies are the families that carry GPUs: node groups and Karpenter NodePools
	// offering them must be tainted, and such NodePools need a GPU limit and WhenEmpty
	// consolidation. Default: see defaultGPUFamilies.
	GPUInstanceFamilies []string `json:"gpuInstanceFamilies"`
	// ProductionStackPattern is a regular expression; stacks whose name matches are production.
	// Default: ^prod(uction)?$.
	ProductionStackPattern string `json:"productionStackPattern"`
	// ApplicationNamespaces must each have a default-deny NetworkPolicy and a DNS allowance.
	// Default: none (the policy then has nothing to check).
	ApplicationNamespaces []string `json:"applicationNamespaces"`
	// RequiredHelmCharts must each be installed by a Helm release (runtime security and
	// monitoring). Default: falco, kube-prometheus-stack.
	RequiredHelmCharts []string `json:"requiredHelmCharts"`
	// SupportedKubernetesVersions are the EKS versions in standard support. Default: 1.34, 1.35,
	// 1.36 (EKS standard support is 14 months per minor version; 1.33 left it on 2026-07-29 per
	// the EKS version calendar as listed by endoflife.date).
	SupportedKubernetesVersions []string `json:"supportedKubernetesVersions"`
	// AllowedPublicAccessCidrs, when set, bounds the CIDRs an EKS public endpoint may list.
	// Default: none (any CIDR except an all-addresses range).
	AllowedPublicAccessCidrs []string `json:"allowedPublicAccessCidrs"`
	// RestrictedPorts must not be reachable from 0.0.0.0/0 or ::/0 (administration and database
	// ports). Default: 22, 3389, 5432, 3306, 1433, 1521, 6379, 27017, 9200.
	RestrictedPorts []int `json:"restrictedPorts"`
	// AllowedPublicIngressPorts are the ports a security group may open to 0.0.0.0/0 or ::/0 (a
	// public load balancer's 443). Default: none: the platform's load balancers get their groups
	// from the AWS Load Balancer Controller, not from the program.
	AllowedPublicIngressPorts []int `json:"allowedPublicIngressPorts"`
	// MinBackupRetentionDays is the RDS backup retention floor outside production. Default: 7.
	MinBackupRetentionDays int `json:"minBackupRetentionDays"`
	// ProductionMinBackupRetentionDays is the floor in production. Default: 30.
	ProductionMinBackupRetentionDays int `json:"productionMinBackupRetentionDays"`

	// AllowedRegions are the AWS regions where the stack may place resources and so personal data
	// (GDPR Art. 44: a transfer outside them needs a legal basis first). Default: none, and the
	// data-residency policy then has nothing to check.
	AllowedRegions []string `json:"allowedRegions"`
	// MaxLogRetentionDays bounds how long a CloudWatch log group keeps events (GDPR Art. 5(1)(e),
	// storage limitation). Default: 731, two years: twice the year PCI DSS 10.5.1 asks of audit
	// logs, and one of the retention values CloudWatch Logs accepts.
	MaxLogRetentionDays int `json:"maxLogRetentionDays"`
	// MaxBackupRetentionDays bounds how long AWS Backup keeps a recovery point (GDPR Art.
	// 5(1)(e)). Default: 731, two years, as for logs: production keeps its monthly recovery
	// points a year.
	MaxBackupRetentionDays int `json:"maxBackupRetentionDays"`

	// Exceptions exempt one resource (by name) from one policy, each with the reason a reviewer
	// reads: a third-party controller that genuinely needs a broad permission, a credential that
	// cannot rotate automatically. An exempted resource is left out of the policy's check, not
	// counted as passing, and reports list every exception with its reason. Default: none.
	Exceptions []PolicyException `json:"exceptions"`
	// IAMExceptions are exceptions limited to the IAM policies, the setting's earlier form; they
	// apply as Exceptions do. Default: none.
	IAMExceptions []IAMException `json:"iamExceptions"`

	// Levels overrides enforcement levels by policy name, "all" for every policy, as the
	// --policy-pack-config file does under the engine. Not part of the settings schema.
	Levels map[string]Level `json:"-"`
}

// IAMException is an exception from one of the IAM policies (see PolicyException).
type IAMException = PolicyException

// defaultMaxLogRetentionDays and defaultMaxBackupRetentionDays are the defaults of
// MaxLogRetentionDays and MaxBackupRetentionDays.
const (
	defaultMaxLogRetentionDays    = 731
	defaultMaxBackupRetentionDays = 731
)

// regionName matches AWS region names (us-east-1, eu-central-2, us-gov-west-1, ap-southeast-5).
var regionName = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)

var (
	defaultRequiredTags = []string{"Project", "Environment", "ManagedBy", "CostCenter", "Owner"}
	// General purpose, compute, memory and GPU families EC2 offers in 2026. Not p3: AWS retired
	// it, and the stack configuration refuses its types (internal/awslimits, retiredP3).
	defaultAllowedFamilies = []string{
		"m5", "m6i", "m6a", "m7i", "m7a", "m6g", "m7g", "c5", "c6i", "c7i", "c6g", "c7g",
		"r5", "r6i", "r7i", "r6g", "r7g", "p4d", "p5", "g5", "g6", "g6e",
	}
	// Every family with GPUs, retired ones included: this list says which node groups must be
	// tainted, not which are allowed, and a group created before a retirement still has GPUs.
	defaultGPUFamilies = []string{
		"p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "g3", "g4dn", "g4ad", "g5", "g5g", "g6", "g6e", "gr6",
	}
	defaultRequiredCharts    = []string{"falco", "kube-prometheus-stack"}
	defaultSupportedVersions = []string{"1.34", "1.35", "1.36"}
	defaultRestrictedPorts   = []int{22, 3389, 5432, 3306, 1433, 1521, 6379, 27017, 9200}
)

const defaultProductionPattern = "^prod(uction)?$"

// DefaultConfig returns the settings the pack uses when nothing is configured.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

// withDefaults fills nil lists and zero values; empty lists stay empty.
func (c Config) withDefaults() Config {
	if c.RequiredTags == nil {
		c.RequiredTags = defaultRequiredTags
	}
	if c.AllowedInstanceFamilies == nil {
		c.AllowedInstanceFamilies = defaultAllowedFamilies
	}
	if c.GPUInstanceFamilies == nil {
		c.GPUInstanceFamilies = defaultGPUFamilies
	}
	if c.ProductionStackPattern == "" {
		c.ProductionStackPattern = defaultProductionPattern
	}
	if c.ApplicationNamespaces == nil {
		c.ApplicationNamespaces = []string{}
	}
	if c.RequiredHelmCharts == nil {
		c.RequiredHelmCharts = defaultRequiredCharts
	}
	if c.SupportedKubernetesVersions == nil {
		c.SupportedKubernetesVersions = defaultSupportedVersions
	}
	if c.AllowedPublicAccessCidrs == nil {
		c.AllowedPublicAccessCidrs = []string{}
	}
	if c.RestrictedPorts == nil {
		c.RestrictedPorts = defaultRestrictedPorts
	}
	if c.AllowedPublicIngressPorts == nil {
		c.AllowedPublicIngressPorts = []int{}
	}
	if c.Exceptions == nil {
		c.Exceptions = []PolicyException{}
	}
	if c.IAMExceptions == nil {
		c.IAMExceptions = []IAMException{}
	}
	if c.AllowedRegions == nil {
		c.AllowedRegions = []string{}
	}
	if c.MaxLogRetentionDays == 0 {
		c.MaxLogRetentionDays = defaultMaxLogRetentionDays
	}
	if c.MaxBackupRetentionDays == 0 {
		c.MaxBackupRetentionDays = defaultMaxBackupRetentionDays
	}
	if c.MinBackupRetentionDays == 0 {
		c.MinBackupRetentionDays = 7
	}
	if c.ProductionMinBackupRetentionDays == 0 {
		c.ProductionMinBackupRetentionDays = 30
	}
	return c
}

// Validate returns every problem with the settings, one per line.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, err := regexp.Compile(c.ProductionStackPattern); err != nil {
		errs = append(errs, fmt.Errorf("productionStackPattern %q is not a valid regular expression: %w", c.ProductionStackPattern, err))
	}
	for _, p := range c.RestrictedPorts {
		if p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("restrictedPorts: %d is not a port number", p))
		}
	}
	for _, p := range c.AllowedPublicIngressPorts {
		switch {
		case p < 0 || p > 65535:
			errs = append(errs, fmt.Errorf("allowedPublicIngressPorts: %d is not a port number", p))
		case slices.Contains(c.RestrictedPorts, p):
			errs = append(errs, fmt.Errorf("allowedPublicIngressPorts: %d is also in restrictedPorts, which no rule may open to the internet", p))
		}
	}
	for _, cidr := range c.AllowedPublicAccessCidrs {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs = append(errs, fmt.Errorf("allowedPublicAccessCidrs: %q is not a CIDR", cidr))
		}
	}
	for _, r := range c.AllowedRegions {
		if !regionName.MatchString(r) {
			errs = append(errs, fmt.Errorf("allowedRegions: %q is not an AWS region name (such as eu-central-1)", r))
		}
	}
	if c.MaxLogRetentionDays < auditLogRetentionDays {
		errs = append(errs, fmt.Errorf("maxLogRetentionDays must be at least %d (production audit logs keep a year), got %d", auditLogRetentionDays, c.MaxLogRetentionDays))
	}
	if c.MaxBackupRetentionDays < 1 {
		errs = append(errs, fmt.Errorf("maxBackupRetentionDays must be at least 1, got %d", c.MaxBackupRetentionDays))
	}
	if c.MinBackupRetentionDays < 1 || c.MinBackupRetentionDays > 35 {
		errs = append(errs, fmt.Errorf("minBackupRetentionDays must be between 1 and 35 (the RDS limit), got %d", c.MinBackupRetentionDays))
	}
	if c.ProductionMinBackupRetentionDays < 1 || c.ProductionMinBackupRetentionDays > 35 {
		errs = append(errs, fmt.Errorf("productionMinBackupRetentionDays must be between 1 and 35 (the RDS limit), got %d", c.ProductionMinBackupRetentionDays))
	}
	errs = append(errs, validateExceptions(c.Exceptions)...)
	for i, e := range c.IAMExceptions {
		switch {
		case !slices.Contains(iamPolicyNames, e.Policy):
			errs = append(errs, fmt.Errorf("iamExceptions[%d]: policy %q is not an IAM policy (%s)", i, e.Policy, strings.Join(iamPolicyNames, ", ")))
		case strings.TrimSpace(e.Resource) == "":
			errs = append(errs, fmt.Errorf("iamExceptions[%d]: resource must name the exempted resource", i))
		case strings.TrimSpace(e.Reason) == "":
			errs = append(errs, fmt.Errorf("iamExceptions[%d] (%s, %s): reason must say why the resource needs the exception", i, e.Policy, e.Resource))
		}
	}
	for name, l := range c.Levels {
		if name != "all" && PolicyByName(name) == nil {
			errs = append(errs, fmt.Errorf("unknown policy %q", name))
		}
		if !l.valid() {
			errs = append(errs, fmt.Errorf("policy %q: enforcement level %q is not advisory, mandatory or disabled", name, l))
		}
	}
	return errors.Join(errs...)
}

// IsProduction reports whether the stack name matches productionStackPattern (false when the
// pattern does not compile; Validate reports that).
func (c Config) IsProduction(stack string) bool {
	re, err := regexp.Compile(c.withDefaults().ProductionStackPattern)
	return err == nil && re.MatchString(stack)
}

// level returns the effective enforcement level of a policy.
func (c Config) level(p *Policy) Level {
	if l, ok := c.Levels[p.Name]; ok {
		return l
	}
	if l, ok := c.Levels["all"]; ok {
		return l
	}
	return p.Level
}

// settingsFromProperties reads the settings from the properties policyx hands to the settings
// policy (JSON-decoded: numbers are float64).
func settingsFromProperties(props map[string]any) (Config, error) {
	var c Config
	if len(props) == 0 {
		return c.withDefaults(), nil
	}
	raw, err := json.Marshal(props)
	if err != nil {
		return c.withDefaults(), err
	}
	err = decodeSettings(raw, &c)
	return c.withDefaults(), err
}

// decodeSettings decodes a settings object strictly, so a misspelt key is an error rather than a
// silently ignored setting.
func decodeSettings(raw []byte, c *Config) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("%s: %w", SettingsPolicyName, err)
	}
	return nil
}

// LoadConfigFile reads a --policy-pack-config file: an object keyed by policy name (or "all")
// whose values are an enforcement level, or an object with an optional "enforcementLevel" and the
// policy's properties. The settings are the properties of "compliance-settings".
func LoadConfigFile(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(raw)
}

// ParseConfig parses the content of a --policy-pack-config file (see LoadConfigFile).
func ParseConfig(raw []byte) (Config, error) {
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return Config{}, fmt.Errorf("policy pack config: %w", err)
	}
	var c Config
	c.Levels = map[string]Level{}
	for name, v := range entries {
		var level string
		if err := json.Unmarshal(v, &level); err == nil {
			c.Levels[name] = Level(level)
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(v, &obj); err != nil {
			return Config{}, fmt.Errorf("policy pack config: %q must be an enforcement level or an object", name)
		}
		if el, ok := obj["enforcementLevel"]; ok {
			if err := json.Unmarshal(el, &level); err != nil {
				return Config{}, fmt.Errorf("policy pack config: %q: enforcementLevel must be a string", name)
			}
			c.Levels[name] = Level(level)
			delete(obj, "enforcementLevel")
		}
		if len(obj) == 0 {
			continue
		}
		if name != SettingsPolicyName {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			return Config{}, fmt.Errorf("policy pack config: %q takes no properties (got %s); settings belong under %q",
				name, strings.Join(keys, ", "), SettingsPolicyName)
		}
		settings, _ := json.Marshal(obj)
		levels := c.Levels
		if err := decodeSettings(settings, &c); err != nil {
			return Config{}, fmt.Errorf("policy pack config: %w", err)
		}
		c.Levels = levels
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("policy pack config: %w", err)
	}
	return c, nil
}

// settingsSchema is the JSON schema of the settings, declared on the settings policy so that the
// engine validates --policy-pack-config and fills the defaults.
func settingsSchema() map[string]map[string]any {
	d := DefaultConfig()
	// Defaults are []any: the schema travels as a protobuf Struct, which takes no typed slices.
	strs := func(desc string, def []string) map[string]any {
		return map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": desc, "default": anySlice(def)}
	}
	return map[string]map[string]any{
		"requiredTags":                strs("Tags every taggable AWS resource must carry (provider default tags count).", d.RequiredTags),
		"allowedInstanceFamilies":     strs("EC2 instance families node groups and Karpenter NodePools may use; empty allows all.", d.AllowedInstanceFamilies),
		"gpuInstanceFamilies":         strs("Instance families with GPUs; they must run in tainted node groups and NodePools.", d.GPUInstanceFamilies),
		"applicationNamespaces":       strs("Namespaces that need a default-deny NetworkPolicy and a DNS allowance.", d.ApplicationNamespaces),
		"requiredHelmCharts":          strs("Helm charts that must be installed (runtime security, monitoring).", d.RequiredHelmCharts),
		"supportedKubernetesVersions": strs("EKS versions in standard support.", d.SupportedKubernetesVersions),
		"allowedPublicAccessCidrs":    strs("When set, the only CIDRs an EKS public endpoint may list.", d.AllowedPublicAccessCidrs),
		"productionStackPattern": {
			"type": "string", "description": "Regular expression matching production stack names.",
			"default": d.ProductionStackPattern,
		},
		"restrictedPorts": {
			"type": "array", "items": map[string]any{"type": "integer", "minimum": 0, "maximum": 65535},
			"description": "Ports that must not be open to 0.0.0.0/0 or ::/0.", "default": anySlice(d.RestrictedPorts),
		},
		"allowedPublicIngressPorts": {
			"type": "array", "items": map[string]any{"type": "integer", "minimum": 0, "maximum": 65535},
			"description": "Ports a security group may open to 0.0.0.0/0 or ::/0 (none by default).",
			"default":     anySlice(d.AllowedPublicIngressPorts),
		},
		"exceptions": {
			"type": "array",
			"items": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"policy":   map[string]any{"type": "string"},
					"resource": map[string]any{"type": "string"},
					"reason":   map[string]any{"type": "string", "minLength": minExceptionReason},
				},
				"required":             []any{"policy", "resource", "reason"},
				"additionalProperties": false,
			},
			"description": "Resources exempted from one policy, each with the reason; left out of the check and listed in reports.",
			"default":     []any{},
		},
		"iamExceptions": {
			"type": "array",
			"items": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"policy":   map[string]any{"type": "string"},
					"resource": map[string]any{"type": "string"},
					"reason":   map[string]any{"type": "string"},
				},
				"required":             []any{"policy", "resource", "reason"},
				"additionalProperties": false,
			},
			"description": "Resources exempted from one IAM policy, each with the reason.",
			"default":     []any{},
		},
		"allowedRegions": strs("AWS regions where resources, and so personal data, may live; empty checks nothing.", d.AllowedRegions),
		"maxLogRetentionDays": {
			"type": "integer", "minimum": auditLogRetentionDays,
			"description": "Longest retention a CloudWatch log group may have (storage limitation).", "default": d.MaxLogRetentionDays,
		},
		"maxBackupRetentionDays": {
			"type": "integer", "minimum": 1,
			"description": "Longest an AWS Backup recovery point may be kept (storage limitation).", "default": d.MaxBackupRetentionDays,
		},
		"minBackupRetentionDays": {
			"type": "integer", "minimum": 1, "maximum": 35,
			"description": "RDS backup retention floor outside production.", "default": d.MinBackupRetentionDays,
		},
		"productionMinBackupRetentionDays": {
			"type": "integer", "minimum": 1, "maximum": 35,
			"description": "RDS backup retention floor in production.", "default": d.ProductionMinBackupRetentionDays,
		},
	}
}

func anySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}
