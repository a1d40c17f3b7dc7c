package compliance

import (
	"slices"
	"strings"
)

// ConfigRule is an AWS Config rule the account baseline deploys, with the controls it covers. The
// account project exports its table; the rules run in the account, after deployment, so the
// evidence lists them beside the policies without a result of their own.
type ConfigRule struct {
	// Name is the rule's name in the account.
	Name string `json:"name"`
	// Identifier is the managed rule's source identifier (for example CLOUD_TRAIL_ENABLED).
	Identifier string    `json:"identifier"`
	Controls   []Control `json:"controls"`
}

// ControlResult is the outcome of one control in the evidence.
type ControlResult string

// Control outcomes, from the outcomes of the policies mapped to the control.
const (
	ControlPass       ControlResult = "pass"
	ControlFail       ControlResult = "fail"
	ControlException  ControlResult = "exception"   // nothing failed, and the settings exempt some resources
	ControlNotChecked ControlResult = "not checked" // no mapped policy had anything to judge yet
)

// PolicyEvidence is what one policy found for a control.
type PolicyEvidence struct {
	Name       string       `json:"name"`
	Level      Level        `json:"level"`
	Status     PolicyStatus `json:"status"`
	Resources  []Ref        `json:"resources,omitempty"`
	Violations []string     `json:"violations,omitempty"`
	Exceptions []Exception  `json:"exceptions,omitempty"`
}

// ControlEvidence is one control: what covers it, what was checked and the result.
type ControlEvidence struct {
	ID     string        `json:"id"`
	Result ControlResult `json:"result"`
	// Reason says why a control is not checked.
	Reason      string           `json:"reason,omitempty"`
	Policies    []PolicyEvidence `json:"policies"`
	ConfigRules []ConfigRule     `json:"configRules,omitempty"`
}

// FrameworkEvidence is the evidence for one framework, with the score of the report.
type FrameworkEvidence struct {
	FrameworkResult
	Controls []ControlEvidence `json:"controls"`
}

// Evidence is what an auditor reads: per framework and control, the policies and AWS Config rules
// that cover it, the resources checked and the result.
type Evidence struct {
	Stack      string              `json:"stack"`
	Production bool                `json:"production"`
	Frameworks []FrameworkEvidence `json:"frameworks"`
}

// BuildEvidence folds a report (and the account's AWS Config rules, when the stack deploys them)
// into per-control evidence. A control fails when a mapped policy failed; otherwise it is an
// exception when the settings exempt a resource from a mapped policy (each listed with its
// reason; the score counts it as passed only if a mapped policy also passed on other resources),
// passes when a mapped policy passed, and is not checked otherwise. Controls that only Config
// rules cover are not checked: the rules judge the live account, not the program.
func BuildEvidence(rep Report, rules []ConfigRule) Evidence {
	ev := Evidence{Stack: rep.Stack, Production: rep.Production}
	results := map[string]PolicyResult{}
	for _, r := range rep.Policies {
		results[r.Name] = r
	}
	violations := map[string][]string{}
	for _, v := range rep.Violations {
		where := "stack"
		if v.URN != "" {
			where = v.Name
		}
		violations[v.Policy] = append(violations[v.Policy], where+": "+v.Message)
	}
	for _, fr := range rep.Frameworks {
		byID := map[string]*ControlEvidence{}
		var ids []string
		get := func(id string) *ControlEvidence {
			if ce := byID[id]; ce != nil {
				return ce
			}
			ce := &ControlEvidence{ID: id, Policies: []PolicyEvidence{}}
			byID[id] = ce
			ids = append(ids, id)
			return ce
		}
		for _, p := range Policies() {
			res, ok := results[p.Name]
			if !ok || res.Status == StatusDisabled {
				continue
			}
			for _, ctl := range p.Controls {
				if ctl.Framework != fr.Framework {
					continue
				}
				ce := get(ctl.ID)
				ce.Policies = append(ce.Policies, PolicyEvidence{
					Name: p.Name, Level: res.Level, Status: res.Status, Resources: res.Resources,
					Violations: violations[p.Name], Exceptions: dedupe(res.Exceptions),
				})
			}
		}
		for _, rule := range rules {
			for _, ctl := range rule.Controls {
				if ctl.Framework == fr.Framework {
					ce := get(ctl.ID)
					ce.ConfigRules = append(ce.ConfigRules, rule)
				}
			}
		}
		slices.SortFunc(ids, compareControlIDs)
		fe := FrameworkEvidence{FrameworkResult: fr, Controls: make([]ControlEvidence, 0, len(ids))}
		for _, id := range ids {
			ce := byID[id]
			ce.Result, ce.Reason = controlResult(ce)
			fe.Controls = append(fe.Controls, *ce)
		}
		ev.Frameworks = append(ev.Frameworks, fe)
	}
	return ev
}

func controlResult(ce *ControlEvidence) (ControlResult, string) {
	var passed, failed, pending, excepted bool
	for _, p := range ce.Policies {
		switch p.Status {
		case StatusFailed:
			failed = true
		case StatusPassed:
			passed = true
		case StatusPending:
			pending = true
		}
		excepted = excepted || len(p.Exceptions) > 0
	}
	switch {
	case failed:
		return ControlFail, ""
	case excepted:
		return ControlException, ""
	case passed:
		return ControlPass, ""
	case pending:
		return ControlNotChecked, "a value its policies read is not known until deployment"
	case len(ce.Policies) == 0:
		return ControlNotChecked, "covered by AWS Config rules only, which judge the deployed account"
	default:
		return ControlNotChecked, "nothing in this stack for its policies to check"
	}
}

func dedupe(es []Exception) []Exception {
	var out []Exception
	seen := map[string]bool{}
	for _, e := range es {
		k := e.Resource.Type + "\x00" + e.Resource.Name + "\x00" + e.Reason
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// ControlsOf parses control strings as Control.String renders them ("SOC 2 CC6.1"), for tables
// kept outside the pack (the account project's Config rules). ok is false for an unknown
// framework.
func ControlsOf(s ...string) (out []Control, ok bool) {
	for _, c := range s {
		found := false
		for _, f := range Frameworks {
			if id, cut := strings.CutPrefix(c, string(f)+" "); cut && id != "" {
				out = append(out, Control{Framework: f, ID: id})
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}
