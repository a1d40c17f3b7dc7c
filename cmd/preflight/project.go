package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/policy/compliance"
)

// project describes a Pulumi project of the repository other than the platform (the bootstrap,
// the account baseline): each has its own program and stack files, but goes through the same
// evaluation and report as a platform stack.
type project struct {
	// name is the project's name in its Pulumi.yaml; preflight picks the project by it.
	name string
	// program is the project's Pulumi program, run under the mock engine.
	program pulumi.RunFunc
	// readStack reads the project's Pulumi.yaml and Pulumi.<stack>.yaml from dir.
	readStack func(dir, stack string) (*projectConfig, error)
	// policyConfig names the file under the repository root's policy/ that holds the stack's
	// policy settings when --policy-pack-config is not given; it is used only when it exists.
	policyConfig func(stack string) string
	// configRules, when set, lists the AWS Config rules the project deploys, for the evidence.
	configRules func() ([]compliance.ConfigRule, error)
}

// projectConfig is a stack's configuration as a project's reader returns it.
type projectConfig struct {
	// Values maps full keys to the text the CLI passes to the program.
	Values map[string]string
	// SecretKeys are the full keys whose values the program sees as secret.
	SecretKeys []string
	// Placeholders are the secret keys evaluated with a stand-in value.
	Placeholders []string
	// FromStackFile says whether Pulumi.<stack>.yaml exists.
	FromStackFile bool
}

// projects are the secondary projects, by the name their Pulumi.yaml gives.
var projects = map[string]*project{
	bootstrapProject.name: bootstrapProject,
	accountProject.name:   accountProject,
}

// projectName reads the name of the Pulumi project in dir, "" when dir holds no readable
// Pulumi.yaml (the platform path then reports the problem with its own message).
func projectName(dir string) string {
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return ""
	}
	return proj.Name.String()
}

// run evaluates a stack of the project: its program runs under the mock engine and goes through
// the same report as a platform stack. A stack file of these projects is created per account
// (docs/delivery.md), so without one the evaluation uses Pulumi.yaml's declared values, as
// `pulumi stack init` would, and says so.
func (p *project) run(opts Options) (*Report, error) {
	cfg, err := p.readStack(opts.Dir, opts.Stack)
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
		// The pack's files live in the repository root's policy/, one level above the project.
		if path := filepath.Join(opts.Dir, "..", "policy", p.policyConfig(opts.Stack)); fileExists(path) {
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
		if before.Stack != opts.Stack || before.Project != p.name {
			return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is a report of %s stack %q, not %s stack %q",
				opts.Baseline, before.Project, before.Stack, p.name, opts.Stack)}
		}
	}

	eng := mock.NewEngine(p.name, opts.Stack, nil)
	if err := eng.Run(cfg.Values, cfg.SecretKeys, p.program); err != nil {
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

	var rules []compliance.ConfigRule
	if p.configRules != nil {
		if rules, err = p.configRules(); err != nil {
			return nil, err
		}
	}
	rep := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          ToolName,
		Project:       p.name,
		Stack:         opts.Stack,
		Region:        region,
		SecretsNotSet: []string{},
		notes:         notes,
		configRules:   rules,
	}
	// These projects register their resources with the default AWS provider; the pack sees it,
	// with the stack's aws:defaultTags and aws:region, as it does under the engine.
	verdict := compliance.Evaluate(compliance.WithDefaultProviders(records, cfg.Values), opts.Stack, policyCfg)
	return rep.complete(opts, records, explicit, region, verdict, policyFile, before)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
