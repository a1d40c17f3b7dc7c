package main

import (
	"fmt"

	"github.com/novacron/platform/account/baseline"
	"github.com/novacron/platform/policy/compliance"
)

// accountPolicyConfig is the settings file of every account stack, at the repository root's
// policy/: the account stacks are named after AWS accounts, not after platform stacks, and share
// one set of settings.
const accountPolicyConfig = "config.account.json"

// accountProject is the account baseline project (account/): CloudTrail, AWS Config, GuardDuty,
// Security Hub, Inspector, Access Analyzer and the CIS alarms. Its secret keys are evaluated with
// placeholders, and the evidence lists the AWS Config rules of its conformance pack beside the
// policies.
var accountProject = &project{
	name:    baseline.Project,
	program: baseline.Program,
	readStack: func(dir, stack string) (*projectConfig, error) {
		cfg, err := baseline.ReadStackConfig(dir, stack)
		if err != nil {
			return nil, err
		}
		return &projectConfig{Values: cfg.Values, SecretKeys: cfg.SecretKeys, Placeholders: cfg.Placeholders,
			FromStackFile: cfg.FromStackFile}, nil
	},
	policyConfig: func(string) string { return accountPolicyConfig },
	configRules:  accountConfigRules,
}

// accountConfigRules converts the conformance pack's table into the pack's terms; its
// frameworks are spelled as the pack spells them, and a control that does not parse is a bug in
// the table.
func accountConfigRules() ([]compliance.ConfigRule, error) {
	out := make([]compliance.ConfigRule, 0, len(baseline.ConfigRules))
	for _, r := range baseline.ConfigRules {
		ids := make([]string, len(r.Controls))
		for i, c := range r.Controls {
			ids[i] = c.String()
		}
		controls, ok := compliance.ControlsOf(ids...)
		if !ok {
			return nil, fmt.Errorf("account config rule %s: a control is not in a framework of the policy pack (%v)", r.Name, ids)
		}
		out = append(out, compliance.ConfigRule{Name: r.Name, Identifier: r.Identifier, Controls: controls})
	}
	return out, nil
}
