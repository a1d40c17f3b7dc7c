package main

import (
	"github.com/novacron/platform/internal/deploy"
	"github.com/novacron/platform/internal/pricing"
	"github.com/novacron/platform/policy/compliance"
)

// SchemaVersion is the version of the JSON report (docs/preflight.md). It changes only when a
// field is removed or changes meaning; new fields may appear within a version.
const SchemaVersion = 1

// ToolName identifies the report's producer.
const ToolName = "novacron-preflight"

// Report is everything one preflight found; --format json writes it as is.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Tool          string `json:"tool"`
	Project       string `json:"project"`
	Stack         string `json:"stack"`
	Region        string `json:"region"`
	// SecretsNotSet are the secret keys the stack file does not set yet; the evaluation used
	// placeholders for them (as it does for every secret, which cannot be decrypted offline).
	SecretsNotSet []string `json:"secretsNotSet"`
	// ExitCode is what the command exits with: 0 clean, 1 mandatory policy violations.
	ExitCode  int               `json:"exitCode"`
	Summary   Summary           `json:"summary"`
	Inventory Inventory         `json:"inventory"`
	Policy    PolicySection     `json:"policy"`
	Cost      *pricing.Estimate `json:"cost"`
	Deploy    DeploySection     `json:"deploy"`
	// Capacity answers, per Karpenter pool, whether ten times the declared baseline fits; absent
	// for a project without pools.
	Capacity *CapacitySection `json:"capacity,omitempty"`
	Baseline *BaselineDiff    `json:"baseline,omitempty"`

	// plan answers questions the JSON does not carry (does X wait for Y), for tests and tools.
	plan *deploy.Plan
	// evidence is the per-control evidence --format compliance prints.
	evidence *compliance.Evidence
	// configRules are the AWS Config rules the project deploys (the account project's
	// conformance pack), listed in the evidence beside the policies.
	configRules []compliance.ConfigRule
	// pools is what the stack configuration declares per Karpenter pool (baseline, keys); nil
	// for a project without pools.
	pools map[string]poolConfig
	// notes say where the evaluation departed from the stack file (an encrypted value checked
	// with its default); the command prints them on stderr.
	notes []string
}

// Summary holds the headline figures.
type Summary struct {
	Resources  int `json:"resources"`
	Components int `json:"components"`
	Providers  int `json:"providers"`
	// CloudResources are the custom resources and remote components: what the engine creates.
	CloudResources      int     `json:"cloudResources"`
	MandatoryViolations int     `json:"mandatoryViolations"`
	AdvisoryViolations  int     `json:"advisoryViolations"`
	MonthlyUSD          float64 `json:"monthlyUSD"`
	UnpricedItems       int     `json:"unpricedItems"`
	CriticalPathMinutes float64 `json:"criticalPathMinutes"`
	FalseSerialisations int     `json:"falseSerialisations"`
}

// Ref names a resource.
type Ref struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
	Name string `json:"name"`
}

// Violation is one policy finding.
type Violation struct {
	Policy   string `json:"policy"`
	Level    string `json:"level"`
	Severity string `json:"severity"`
	// Resource is absent for a stack-wide finding.
	Resource    *Ref     `json:"resource,omitempty"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation,omitempty"`
	Controls    []string `json:"controls,omitempty"`
}

// FrameworkScore is the compliance score of one framework.
type FrameworkScore struct {
	Framework string `json:"framework"`
	InScope   int    `json:"inScope"`
	Checked   int    `json:"checked"`
	Passed    int    `json:"passed"`
	Failed    int    `json:"failed"`
	// Score is 100 × passed / checked, one decimal; meaningless when checked is 0.
	Score          float64  `json:"score"`
	FailedControls []string `json:"failedControls,omitempty"`
	NotChecked     []string `json:"notChecked,omitempty"`
}

// PolicySection is the verdict of the policy pack, evaluated offline with the same checks the
// engine runs.
type PolicySection struct {
	Pack        string `json:"pack"`
	PackVersion string `json:"packVersion"`
	// ConfigFile is the --policy-pack-config file used, "" for the pack's defaults.
	ConfigFile string      `json:"configFile,omitempty"`
	Production bool        `json:"production"`
	Mandatory  int         `json:"mandatory"`
	Advisory   int         `json:"advisory"`
	Pending    int         `json:"pending"`
	Violations []Violation `json:"violations"`
	// Exceptions are the resources the settings exempt from a policy, each with its reason:
	// left out of the check and of the score, and shown so that a reviewer can judge them.
	Exceptions []PolicyException `json:"exceptions"`
	Frameworks []FrameworkScore  `json:"frameworks"`
}

// PolicyException is a resource one policy did not judge because the settings exempt it.
type PolicyException struct {
	Policy string `json:"policy"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// DeploySection is the deployment critical path.
type DeploySection struct {
	TotalMinutes float64 `json:"totalMinutes"`
	// LowMinutes and HighMinutes sum the published ranges along the critical path (the typical
	// figure where a step has no range).
	LowMinutes          float64           `json:"lowMinutes"`
	HighMinutes         float64           `json:"highMinutes"`
	CriticalPath        []deploy.Step     `json:"criticalPath"`
	FalseSerialisations []deploy.Wait     `json:"falseSerialisations"`
	Durations           []deploy.Duration `json:"durations"`
	DefaultDuration     deploy.Duration   `json:"defaultDuration"`
}

func policySection(r compliance.Report, configFile string) PolicySection {
	s := PolicySection{
		Pack: compliance.PackName, PackVersion: compliance.PackVersion, ConfigFile: configFile,
		Production: r.Production, Pending: len(r.Pending),
		Violations: []Violation{}, Exceptions: []PolicyException{}, Frameworks: []FrameworkScore{},
	}
	for _, p := range r.Policies {
		for _, e := range p.Exceptions {
			s.Exceptions = append(s.Exceptions, PolicyException{
				Policy: p.Name, Type: e.Resource.Type, Name: e.Resource.Name, Reason: e.Reason,
			})
		}
	}
	for _, v := range r.Violations {
		out := Violation{
			Policy: v.Policy, Level: string(v.Level), Severity: string(v.Severity),
			Message: v.Message, Remediation: v.Remediation,
		}
		if v.URN != "" {
			out.Resource = &Ref{URN: v.URN, Type: v.Type, Name: v.Name}
		}
		for _, c := range v.Controls {
			out.Controls = append(out.Controls, c.String())
		}
		switch v.Level {
		case compliance.Mandatory:
			s.Mandatory++
		case compliance.Advisory:
			s.Advisory++
		}
		s.Violations = append(s.Violations, out)
	}
	for _, f := range r.Frameworks {
		s.Frameworks = append(s.Frameworks, FrameworkScore{
			Framework: string(f.Framework), InScope: f.InScope, Checked: f.Checked, Passed: f.Passed,
			Failed: f.Failed, Score: f.Score, FailedControls: f.FailedControls, NotChecked: f.NotChecked,
		})
	}
	return s
}

func deploySection(p *deploy.Plan) DeploySection {
	s := DeploySection{
		TotalMinutes: p.TotalMinutes, CriticalPath: p.CriticalPath,
		FalseSerialisations: p.FalseSerialisations, Durations: p.Durations,
		DefaultDuration: deploy.DefaultDuration,
	}
	if s.FalseSerialisations == nil {
		s.FalseSerialisations = []deploy.Wait{}
	}
	ranges := map[string]deploy.Duration{}
	for _, d := range p.Durations {
		ranges[d.ID] = d
	}
	for _, step := range p.CriticalPath {
		d := ranges[step.DurationID]
		low, high := step.Minutes, step.Minutes
		if d.Low > 0 {
			low = d.Low
		}
		if d.High > 0 {
			high = d.High
		}
		s.LowMinutes += low
		s.HighMinutes += high
	}
	s.LowMinutes = round2(s.LowMinutes)
	s.HighMinutes = round2(s.HighMinutes)
	return s
}

func (r *Report) summarise() {
	s := Summary{
		Resources:           len(r.Inventory.Resources),
		MandatoryViolations: r.Policy.Mandatory,
		AdvisoryViolations:  r.Policy.Advisory,
		MonthlyUSD:          r.Cost.TotalMonthlyUSD,
		UnpricedItems:       len(r.Cost.Unpriced()),
		CriticalPathMinutes: r.Deploy.TotalMinutes,
		FalseSerialisations: len(r.Deploy.FalseSerialisations),
	}
	for _, e := range r.Inventory.Resources {
		switch e.Kind {
		case KindComponent:
			s.Components++
		case KindProvider:
			s.Providers++
		default:
			s.CloudResources++
		}
	}
	r.Summary = s
	r.ExitCode = 0
	if r.Policy.Mandatory > 0 {
		r.ExitCode = 1
	}
}
