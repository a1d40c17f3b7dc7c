package compliance

import (
	"fmt"
	"strings"
)

// PolicyException exempts the resource named Resource (its Pulumi name) from the policy named
// Policy, for the stated Reason. The exempted resource is left out of the policy's check: it
// counts neither as passed nor as failed, so a policy whose every resource is exempted has
// nothing to check and its controls are not scored. Reports list each exception with its
// reason, for a reviewer to judge.
type PolicyException struct {
	Policy   string `json:"policy"`
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

// minExceptionReason is the shortest reason accepted: a reviewer needs a sentence, not a word.
const minExceptionReason = 20

// exceptionFor returns the reason the settings give for exempting r from the policy, from
// exceptions or (for the IAM policies) iamExceptions.
func (c Config) exceptionFor(policy string, r *Resource) (string, bool) {
	for _, list := range [][]PolicyException{c.Exceptions, c.IAMExceptions} {
		for _, e := range list {
			if e.Policy == policy && e.Resource == r.Name {
				return e.Reason, true
			}
		}
	}
	return "", false
}

// exemptResources returns rs without the resources of the policy's types that the settings
// exempt from it, calling exempted for each one left out.
func exemptResources(cfg Config, p *Policy, rs []*Resource, exempted func(*Resource, string)) []*Resource {
	if len(cfg.Exceptions)+len(cfg.IAMExceptions) == 0 {
		return rs
	}
	out := make([]*Resource, 0, len(rs))
	for _, r := range rs {
		if p.matches(r) {
			if reason, ok := cfg.exceptionFor(p.Name, r); ok {
				exempted(r, reason)
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// validateExceptions checks the exceptions list: a known policy that judges resources (not the
// settings policy, not a stack-wide one without resource types), a resource name, a reason, and
// no entry twice.
func validateExceptions(list []PolicyException) []error {
	var errs []error
	seen := map[[2]string]bool{}
	for i, e := range list {
		p := PolicyByName(e.Policy)
		switch {
		case p == nil:
			errs = append(errs, fmt.Errorf("exceptions[%d]: policy %q is not a policy of the pack", i, e.Policy))
		case p.Name == SettingsPolicyName || len(p.Types) == 0:
			errs = append(errs, fmt.Errorf("exceptions[%d]: policy %q checks no resource type, so no resource can be exempted from it", i, e.Policy))
		case strings.TrimSpace(e.Resource) == "":
			errs = append(errs, fmt.Errorf("exceptions[%d] (%s): resource must name the exempted resource", i, e.Policy))
		case len(strings.TrimSpace(e.Reason)) < minExceptionReason:
			errs = append(errs, fmt.Errorf("exceptions[%d] (%s, %s): reason must say, in at least %d characters, why the resource needs the exception and what stands in for the control",
				i, e.Policy, e.Resource, minExceptionReason))
		case seen[[2]string{e.Policy, e.Resource}]:
			errs = append(errs, fmt.Errorf("exceptions[%d]: %s is exempted from %s twice", i, e.Resource, e.Policy))
		}
		seen[[2]string{e.Policy, e.Resource}] = true
	}
	return errs
}
