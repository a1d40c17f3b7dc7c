package main

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/novacron/platform/account/baseline"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/policy/compliance"
)

// accountPolicyConfig is the settings file of every account stack, at the repository root's
// policy/: the account stacks are named after AWS accounts, not after platform stacks, and share
// one set of settings.
const accountPolicyConfig = "config.account.json"

// runAccount evaluates a stack of the account baseline project (account/): CloudTrail, AWS
// Config, GuardDuty, Security Hub, Inspector, Access Analyzer and the CIS alarms run under the
// mock engine and go through the same report as a platform stack. The evidence lists the AWS
// Config rules of its conformance pack beside the policies.
func runAccount(opts Options) (*Report, error) {
	cfg, err := baseline.ReadStackConfig(opts.Dir, opts.Stack)
	if err != nil {
		return nil, &ConfigError{Stack: opts.Stack, Problems: []string{err.Error()}}
	}
	var notes []string
	if !cfg.FromStackFile {
		notes = append(notes, fmt.Sprintf("%s does not exist: evaluated with the values Pulumi.yaml declares",
			filepath.Join(opts.Dir, "Pulumi."+opts.Stack+".yaml")))
	}
	for _, k := range cfg.Placeholders {
		notes = append(notes, fmt.Sprintf("%s is secret: evaluated with a placeholder", k))
	}
	region := cfg.Values["aws:region"]
	if region == "" {
		region = mock.Region
		notes = append(notes, fmt.Sprintf("aws:region is not set: evaluated in %s", region))
	}
	if opts.PolicyConfig == "" {
		if path := filepath.Join(opts.Dir, "..", "policy", accountPolicyConfig); fileExists(path) {
			opts.PolicyConfig = path
		}
	}
	policyCfg, policyFile, err := policyConfig(opts)
	if err != nil {
		return nil, err
	}
	var before *Report
	if opts.Baseline != "" {
		if before, err = readBaseline(opts.Baseline); err != nil {
			return nil, err
		}
		if before.Stack != opts.Stack || before.Project != baseline.Project {
			return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is a report of %s stack %q, not %s stack %q",
				opts.Baseline, before.Project, before.Stack, baseline.Project, opts.Stack)}
		}
	}

	eng := mock.NewEngine(baseline.Project, opts.Stack, nil)
	if err := eng.Run(cfg.Values, cfg.SecretKeys, baseline.Program); err != nil {
		return nil, &ConfigError{Stack: opts.Stack, Problems: []string{err.Error()}, Notes: notes}
	}
	records := eng.Resources()
	sort.Slice(records, func(i, j int) bool { return records[i].URN < records[j].URN })
	explicit := map[string][]string{}
	for _, r := range records {
		explicit[r.URN] = r.ExplicitDependencies
		if explicit[r.URN] == nil {
			explicit[r.URN] = []string{}
		}
	}

	rules, err := accountConfigRules()
	if err != nil {
		return nil, err
	}
	rep := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          ToolName,
		Project:       baseline.Project,
		Stack:         opts.Stack,
		Region:        region,
		SecretsNotSet: []string{},
		notes:         notes,
		configRules:   rules,
	}
	// As for the bootstrap: resources registered without a provider get the default one, with
	// the stack's aws:defaultTags and aws:region, as under the engine.
	verdict := compliance.Evaluate(compliance.WithDefaultProviders(records, cfg.Values), opts.Stack, policyCfg)
	return rep.complete(opts, records, explicit, region, verdict, policyFile, before)
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
