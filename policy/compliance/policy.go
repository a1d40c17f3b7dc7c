package compliance

import (
	"fmt"
	"slices"
	"sort"
)

// PackName and PackVersion identify the pack to the engine; PulumiPolicy.yaml carries the same
// version.
const (
	PackName    = "novacron-compliance"
	PackVersion = "0.1.0"
)

// Level is an enforcement level, spelled as in --policy-pack-config files.
type Level string

// Enforcement levels. Mandatory violations stop `pulumi up`; advisory ones are warnings.
const (
	Advisory  Level = "advisory"
	Mandatory Level = "mandatory"
	Disabled  Level = "disabled"
)

func (l Level) valid() bool { return l == Advisory || l == Mandatory || l == Disabled }

// Severity ranks a violation for reports; it does not change enforcement.
type Severity string

// Severities, most severe first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
)

// Framework names a control framework the policies map to.
type Framework string

// The frameworks of the control mapping. Identifiers were checked against: AICPA Trust Services
// Criteria (2017, revised points of focus 2022); ISO/IEC 27001:2022 Annex A; PCI DSS v4.0; CIS
// Amazon Web Services Foundations Benchmark v3.0.0 (item numbers as listed by the
// steampipe-mod-aws-compliance cis_v300 benchmark); CIS Amazon EKS Benchmark v1.0.1 (as listed by
// ComplianceAsCode controls/cis_eks.yml); GDPR articles as numbered in Regulation (EU) 2016/679
// (EUR-Lex CELEX 32016R0679): Art. 5(1)(e) storage limitation, Art. 32 security of processing
// (encryption, point 1(a)), Art. 44 transfers to third countries.
const (
	SOC2     Framework = "SOC 2"
	ISO27001 Framework = "ISO 27001:2022"
	PCIDSS   Framework = "PCI DSS v4.0"
	CISAWS   Framework = "CIS AWS Foundations v3.0.0"
	CISEKS   Framework = "CIS Amazon EKS v1.0.1"
	GDPR     Framework = "GDPR"
)

// Frameworks lists the frameworks in report order.
var Frameworks = []Framework{SOC2, ISO27001, PCIDSS, CISAWS, CISEKS, GDPR}

// Control is one requirement of one framework.
type Control struct {
	Framework Framework `json:"framework"`
	ID        string    `json:"id"`
}

// String renders the control as "SOC 2 CC6.1".
func (c Control) String() string { return string(c.Framework) + " " + c.ID }

func soc2(ids ...string) []Control   { return controls(SOC2, ids) }
func iso(ids ...string) []Control    { return controls(ISO27001, ids) }
func pci(ids ...string) []Control    { return controls(PCIDSS, ids) }
func cisAWS(ids ...string) []Control { return controls(CISAWS, ids) }
func cisEKS(ids ...string) []Control { return controls(CISEKS, ids) }
func gdpr(ids ...string) []Control   { return controls(GDPR, ids) }

func controls(f Framework, ids []string) []Control {
	out := make([]Control, len(ids))
	for i, id := range ids {
		out[i] = Control{Framework: f, ID: id}
	}
	return out
}

func join(groups ...[]Control) []Control { return slices.Concat(groups...) }

// Policy is one check with its metadata. Exactly one of checkResource and checkStack is set.
type Policy struct {
	Name        string
	Description string
	// Area groups policies in reports and the README: settings, rds, eks, iam, network, s3, ecr, kms,
	// secretsmanager, sqs, logs, tags, kubernetes, account (the account baseline), data (residency).
	Area        string
	Level       Level
	Severity    Severity
	Remediation string
	Controls    []Control
	// Types are the type tokens the policy inspects (every type when empty).
	Types []string
	// ProductionOnly policies run only when the stack name matches productionStackPattern.
	ProductionOnly bool
	// NonProductionOnly policies run only when it does not: the advisory twin of a production
	// policy, so that one finding is reported once, at the level its stack calls for.
	NonProductionOnly bool

	// applies narrows Types further (required-tags: only taggable AWS resources).
	applies       func(*Resource) bool
	checkResource func(*run, *Resource)
	checkStack    func(*run, []*Resource)
}

// IsStack reports whether the policy looks at the whole stack rather than one resource.
func (p *Policy) IsStack() bool { return p.checkStack != nil }

// skips reports whether the policy stays out of a stack because of the stack's kind.
func (p *Policy) skips(production bool) bool {
	return p.ProductionOnly && !production || p.NonProductionOnly && production
}

// matches reports whether the policy inspects this resource.
func (p *Policy) matches(r *Resource) bool {
	if len(p.Types) > 0 && !slices.Contains(p.Types, r.Type) {
		return false
	}
	return p.applies == nil || p.applies(r)
}

// SettingsPolicyName is the policy whose configuration carries the pack settings (see doc.go).
const SettingsPolicyName = "compliance-settings"

var registry []*Policy

// register adds policies at init time; names must be unique.
func register(ps ...*Policy) {
	for _, p := range ps {
		if PolicyByName(p.Name) != nil {
			panic(fmt.Sprintf("compliance: duplicate policy %q", p.Name))
		}
		if (p.checkResource == nil) == (p.checkStack == nil) {
			panic(fmt.Sprintf("compliance: policy %q needs exactly one check", p.Name))
		}
		if p.ProductionOnly && p.NonProductionOnly {
			panic(fmt.Sprintf("compliance: policy %q cannot be for production only and outside production only", p.Name))
		}
		registry = append(registry, p)
	}
}

// Policies returns the pack in evaluation order: the settings policy first (policyx runs resource
// policies in list order, so it configures the others before they run), then by area and name.
func Policies() []*Policy {
	out := slices.Clone(registry)
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Name == SettingsPolicyName) != (out[j].Name == SettingsPolicyName) {
			return out[i].Name == SettingsPolicyName
		}
		if out[i].Area != out[j].Area {
			return areaRank(out[i].Area) < areaRank(out[j].Area)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

var areaOrder = []string{"settings", "rds", "eks", "iam", "network", "s3", "ecr", "kms", "secretsmanager", "sqs", "logs", "tags", "kubernetes", "account", "data"}

func areaRank(a string) int {
	if i := slices.Index(areaOrder, a); i >= 0 {
		return i
	}
	return len(areaOrder)
}

// PolicyByName returns the policy with this name, or nil.
func PolicyByName(name string) *Policy {
	for _, p := range registry {
		if p.Name == name {
			return p
		}
	}
	return nil
}
