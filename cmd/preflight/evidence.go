package main

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/novacron/platform/policy/compliance"
)

// FormatCompliance is the auditor's view: per framework and control, what covers it, what was
// checked and the result.
const FormatCompliance = "compliance"

// writeCompliance renders the evidence as Markdown: one table per framework, one row per control,
// then the resources each policy checked (kept apart, as the tagging and KMS policies check most
// of the stack and would swamp the control table).
func writeCompliance(w io.Writer, r *Report) error {
	p := &printer{w: w}
	ev := r.evidence
	if ev == nil {
		built := compliance.BuildEvidence(compliance.Report{}, nil)
		ev = &built
	}
	settings := "the pack's default settings"
	if r.Policy.ConfigFile != "" {
		settings = "settings `" + r.Policy.ConfigFile + "`"
	}
	production := "no"
	if r.Policy.Production {
		production = "yes"
	}
	p.f("# Compliance evidence: %s, stack %s\n\n", r.Project, r.Stack)
	p.f("Policy pack `%s` %s with %s; production stack: %s. Evaluated offline over the resources the program declares "+
		"(preflight), with the checks `pulumi preview` runs. AWS Config rules judge the deployed account and carry no result here.\n\n",
		r.Policy.Pack, r.Policy.PackVersion, settings, production)
	p.f("Results: **pass**, a mapped policy passed and none failed; **fail**, a mapped policy failed; **exception**, nothing failed " +
		"and the settings exempt a resource (reason given); **not checked**, nothing in this stack for the policies to judge.\n")

	used := map[string]bool{}
	for _, f := range ev.Frameworks {
		score := "n/a"
		if f.Checked > 0 {
			score = strconv.FormatFloat(f.Score, 'f', 1, 64) + "%"
		}
		p.f("\n## %s\n\nScore %s: %d of %d checked controls passed, %d in scope.\n\n", f.Framework, score, f.Passed, f.Checked, f.InScope)
		p.f("| Control | Result | Policies | AWS Config rules | Findings, exceptions, reason |\n|---|---|---|---|---|\n")
		for _, c := range f.Controls {
			var pols, notes []string
			for _, pe := range c.Policies {
				used[pe.Name] = true
				pols = append(pols, "`"+pe.Name+"` "+string(pe.Status)+" ("+checkedCount(pe)+")")
				for _, v := range pe.Violations {
					notes = append(notes, "`"+pe.Name+"`: "+v)
				}
				for _, e := range pe.Exceptions {
					notes = append(notes, "exempt "+e.Resource.Name+" from `"+pe.Name+"`: "+e.Reason)
				}
			}
			if c.Reason != "" {
				notes = append(notes, c.Reason)
			}
			var rules []string
			for _, rule := range c.ConfigRules {
				rules = append(rules, "`"+rule.Name+"` ("+rule.Identifier+")")
			}
			p.f("| %s | %s | %s | %s | %s |\n", cell(c.ID), c.Result, cell(orDash(strings.Join(pols, "; "))),
				cell(orDash(strings.Join(rules, ", "))), cell(orDash(strings.Join(notes, "; "))))
		}
	}

	p.f("\n## Resources checked\n\nThe number after each policy above counts these.\n\n| Policy | Resources |\n|---|---|\n")
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	slices.Sort(names)
	checked := map[string][]compliance.Ref{}
	for _, f := range ev.Frameworks {
		for _, c := range f.Controls {
			for _, pe := range c.Policies {
				checked[pe.Name] = pe.Resources
			}
		}
	}
	for _, n := range names {
		text := refsText(checked[n])
		if text == "" {
			text = "the whole stack, or nothing in it"
		}
		p.f("| `%s` | %s |\n", n, cell(text))
	}
	return p.err
}

// checkedCount is the number of resources a policy checked; "stack" for a stack policy that
// judges the whole stack rather than resources of given types.
func checkedCount(pe compliance.PolicyEvidence) string {
	if len(pe.Resources) == 0 && (pe.Status == compliance.StatusPassed || pe.Status == compliance.StatusFailed) {
		return "stack"
	}
	return strconv.Itoa(len(pe.Resources))
}

// refsText groups resources by short type: "Role: a, b; Key: c".
func refsText(refs []compliance.Ref) string {
	var order []string
	by := map[string][]string{}
	for _, r := range refs {
		t := shortType(r.Type)
		if _, ok := by[t]; !ok {
			order = append(order, t)
		}
		by[t] = append(by[t], r.Name)
	}
	parts := make([]string, 0, len(order))
	for _, t := range order {
		parts = append(parts, t+": "+strings.Join(by[t], ", "))
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
