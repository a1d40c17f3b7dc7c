package compliance

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/novacron/platform/internal/mock"
)

// Violation is one finding, as the engine would report it.
type Violation struct {
	Policy string `json:"policy"`
	Area   string `json:"area"`
	// URN, Type and Name identify the resource; all three are empty for a stack-wide finding
	// (a missing Helm chart, a namespace the stack does not create).
	URN         string    `json:"urn,omitempty"`
	Type        string    `json:"type,omitempty"`
	Name        string    `json:"name,omitempty"`
	Message     string    `json:"message"`
	Level       Level     `json:"level"`
	Severity    Severity  `json:"severity"`
	Remediation string    `json:"remediation"`
	Controls    []Control `json:"controls,omitempty"`
}

// EngineMessage is the message the engine shows: policyx prefixes the policy description.
func (v Violation) EngineMessage() string {
	if p := PolicyByName(v.Policy); p != nil {
		return p.Description + "\n" + v.Message
	}
	return v.Message
}

// Pending is a check that cannot run yet because a value is unknown until another resource
// exists (during preview). The engine path drops these; the offline report keeps them.
type Pending struct {
	Policy  string `json:"policy"`
	URN     string `json:"urn,omitempty"`
	Type    string `json:"type,omitempty"`
	Name    string `json:"name,omitempty"`
	Message string `json:"message"`
}

// PolicyStatus is the outcome of one policy over the stack.
type PolicyStatus string

// Policy outcomes.
const (
	StatusPassed        PolicyStatus = "passed"
	StatusFailed        PolicyStatus = "failed"
	StatusPending       PolicyStatus = "pending"        // something could not be checked yet, nothing failed
	StatusNotApplicable PolicyStatus = "not-applicable" // nothing in the stack to check
	StatusDisabled      PolicyStatus = "disabled"
)

// PolicyResult summarises one policy.
type PolicyResult struct {
	Name       string       `json:"name"`
	Level      Level        `json:"level"`
	Status     PolicyStatus `json:"status"`
	Checked    int          `json:"checked"` // resources (or, for stack policies, 1) it looked at
	Violations int          `json:"violations"`
	// Resources are the resources it looked at (for a stack policy, those of its types).
	Resources []Ref `json:"resources,omitempty"`
	// Exceptions are the resources the settings exempt from it, each with the reason.
	Exceptions []Exception `json:"exceptions,omitempty"`
}

// Ref names a resource in the evidence.
type Ref struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// Exception is a resource a policy did not judge because the settings exempt it.
type Exception struct {
	Resource Ref    `json:"resource"`
	Reason   string `json:"reason"`
}

// FrameworkResult is the per-framework part of the compliance report.
//
// A control is in scope when an enabled policy maps to it. It is checked when at least one of its
// policies passed or failed on this stack, failed when at least one of them failed (at any
// enforcement level), and passed when checked and not failed. Score is 100 × Passed / Checked,
// rounded to one decimal; it is 0 and meaningless when Checked is 0. Controls whose policies had
// nothing to look at, or could not check yet, are listed in NotChecked and do not count.
type FrameworkResult struct {
	Framework      Framework `json:"framework"`
	InScope        int       `json:"inScope"`
	Checked        int       `json:"checked"`
	Passed         int       `json:"passed"`
	Failed         int       `json:"failed"`
	Score          float64   `json:"score"`
	FailedControls []string  `json:"failedControls,omitempty"`
	NotChecked     []string  `json:"notChecked,omitempty"`
}

// Report is the result of evaluating the pack over one stack.
type Report struct {
	Stack      string            `json:"stack"`
	Production bool              `json:"production"`
	Violations []Violation       `json:"violations"`
	Pending    []Pending         `json:"pending,omitempty"`
	Policies   []PolicyResult    `json:"policies"`
	Frameworks []FrameworkResult `json:"frameworks"`
}

// Mandatory returns the violations that would stop `pulumi up`.
func (r Report) Mandatory() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Level == Mandatory {
			out = append(out, v)
		}
	}
	return out
}

// MandatoryErr is nil when no mandatory violation was found, and otherwise lists them.
func (r Report) MandatoryErr() error {
	m := r.Mandatory()
	if len(m) == 0 {
		return nil
	}
	lines := make([]string, 0, len(m))
	for _, v := range m {
		lines = append(lines, v.String())
	}
	return fmt.Errorf("stack %q: %d mandatory policy violation(s):\n%s", r.Stack, len(m), strings.Join(lines, "\n"))
}

// String renders the violation on one line: level, severity, policy, resource, message.
func (v Violation) String() string {
	where := "stack"
	if v.URN != "" {
		where = v.Type + " " + v.Name
	}
	return fmt.Sprintf("[%s/%s] %s (%s): %s", v.Level, v.Severity, v.Policy, where, v.Message)
}

// Evaluate runs every enabled policy over the resources a mock engine recorded, as the engine
// would for the stack named stack, and builds the compliance report. cfg is usually
// DefaultConfig() or the result of LoadConfigFile; nil lists and zero numbers in it mean the
// defaults.
func Evaluate(records []*mock.Resource, stack string, cfg Config) Report {
	return EvaluateResources(FromMock(records), stack, cfg)
}

// CheckMandatory loads a --policy-pack-config file, evaluates the recorded resources of a stack
// and returns an error listing every mandatory violation (nil when there is none). It is the
// one-line check for stack tests:
//
//	require.NoError(t, compliance.CheckMandatory(eng.Resources(), "production", "../policy/config.production.json"))
func CheckMandatory(records []*mock.Resource, stack, configFile string) error {
	cfg, err := LoadConfigFile(configFile)
	if err != nil {
		return err
	}
	return Evaluate(records, stack, cfg).MandatoryErr()
}

// EvaluateResources is Evaluate over resources already in the policy view.
func EvaluateResources(rs []*Resource, stack string, cfg Config) Report {
	settingsErr := cfg.Validate()
	if settingsErr != nil {
		// As under the engine: invalid settings are reported and the defaults used.
		cfg = Config{Levels: cfg.Levels}
	}
	cfg = cfg.withDefaults()
	rep := Report{Stack: stack, Production: cfg.IsProduction(stack), Violations: []Violation{}}
	reported := false

	for _, p := range Policies() {
		res := PolicyResult{Name: p.Name, Level: cfg.level(p)}
		if res.Level == Disabled {
			res.Status = StatusDisabled
			rep.Policies = append(rep.Policies, res)
			continue
		}
		var pendingURNs []string
		pendingStack := false
		c := &run{
			cfg: cfg, stack: stack, production: rep.Production,
			settingsErr: settingsErr,
			firstSettingsReport: func() bool {
				first := !reported
				reported = true
				return first
			},
			violate: func(r *Resource, msg string) {
				v := Violation{
					Policy: p.Name, Area: p.Area, Message: msg, Level: res.Level,
					Severity: p.Severity, Remediation: p.Remediation, Controls: p.Controls,
				}
				if r != nil {
					v.URN, v.Type, v.Name = r.URN, r.Type, r.Name
				}
				rep.Violations = append(rep.Violations, v)
				res.Violations++
			},
			pend: func(r *Resource, msg string) {
				pe := Pending{Policy: p.Name, Message: msg}
				if r != nil {
					pe.URN, pe.Type, pe.Name = r.URN, r.Type, r.Name
					pendingURNs = append(pendingURNs, r.URN)
				} else {
					pendingStack = true
				}
				rep.Pending = append(rep.Pending, pe)
			},
			exempt: func(r *Resource, reason string) {
				res.Exceptions = append(res.Exceptions, Exception{Resource: Ref{Type: r.Type, Name: r.Name}, Reason: reason})
			},
		}
		// The settings' exceptions take resources out before the policy sees them: they count
		// neither as passed nor as failed (exceptions.go).
		rs := rs
		if !p.skips(rep.Production) {
			rs = exemptResources(cfg, p, rs, c.exempted)
		}
		switch {
		case p.skips(rep.Production):
			c.notApplicable = true
		case p.IsStack():
			p.checkStack(c, rs)
			if len(p.Types) == 0 {
				res.Checked = 1
			} else {
				for _, r := range rs {
					if p.matches(r) {
						res.Checked = 1
						res.Resources = append(res.Resources, Ref{Type: r.Type, Name: r.Name})
					}
				}
			}
		default:
			for _, r := range rs {
				if p.matches(r) {
					res.Checked++
					res.Resources = append(res.Resources, Ref{Type: r.Type, Name: r.Name})
					p.checkResource(c, r)
				}
			}
		}
		switch {
		case res.Violations > 0:
			res.Status = StatusFailed
		case c.notApplicable || res.Checked == 0:
			res.Status = StatusNotApplicable
			res.Checked = 0
			res.Resources = nil
		case pendingStack || len(pendingURNs) > 0:
			res.Status = StatusPending
		default:
			res.Status = StatusPassed
		}
		rep.Policies = append(rep.Policies, res)
	}
	rep.Frameworks = score(rep.Policies)
	return rep
}

// score folds policy outcomes into per-framework control outcomes (see FrameworkResult).
func score(results []PolicyResult) []FrameworkResult {
	type state struct{ checked, failed bool }
	out := make([]FrameworkResult, 0, len(Frameworks))
	for _, f := range Frameworks {
		states := map[string]*state{}
		var order []string
		for _, res := range results {
			if res.Status == StatusDisabled {
				continue
			}
			for _, ctl := range PolicyByName(res.Name).Controls {
				if ctl.Framework != f {
					continue
				}
				s, ok := states[ctl.ID]
				if !ok {
					s = &state{}
					states[ctl.ID] = s
					order = append(order, ctl.ID)
				}
				switch res.Status {
				case StatusPassed:
					s.checked = true
				case StatusFailed:
					s.checked, s.failed = true, true
				}
			}
		}
		slices.SortFunc(order, compareControlIDs)
		fr := FrameworkResult{Framework: f, InScope: len(order)}
		for _, id := range order {
			s := states[id]
			switch {
			case s.failed:
				fr.Checked++
				fr.Failed++
				fr.FailedControls = append(fr.FailedControls, id)
			case s.checked:
				fr.Checked++
				fr.Passed++
			default:
				fr.NotChecked = append(fr.NotChecked, id)
			}
		}
		if fr.Checked > 0 {
			fr.Score = math.Round(1000*float64(fr.Passed)/float64(fr.Checked)) / 10
		}
		out = append(out, fr)
	}
	return out
}

// compareControlIDs orders "A.8.9" before "A.8.13" and "CC6.1" before "CC6.6".
func compareControlIDs(a, b string) int {
	pa, pb := splitID(a), splitID(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		var na, nb int
		_, ea := fmt.Sscanf(pa[i], "%d", &na)
		_, eb := fmt.Sscanf(pb[i], "%d", &nb)
		if ea == nil && eb == nil && na != nb {
			return na - nb
		}
		return strings.Compare(pa[i], pb[i])
	}
	return len(pa) - len(pb)
}

func splitID(id string) []string {
	return strings.FieldsFunc(id, func(r rune) bool { return r == '.' })
}

// Summary renders the report as text for logs and the preflight tool.
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s (production: %t): %d violation(s), %d mandatory, %d check(s) pending\n",
		r.Stack, r.Production, len(r.Violations), len(r.Mandatory()), len(r.Pending))
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	for _, f := range r.Frameworks {
		score := "n/a"
		if f.Checked > 0 {
			score = fmt.Sprintf("%.1f%%", f.Score)
		}
		fmt.Fprintf(&b, "  %-28s in scope %2d  checked %2d  passed %2d  failed %2d  score %s\n",
			f.Framework, f.InScope, f.Checked, f.Passed, f.Failed, score)
	}
	return b.String()
}
