package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/novacron/platform/bootstrap/state"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/policy/compliance"
)

// projectName reads the name of the Pulumi project in dir, "" when dir holds no readable
// Pulumi.yaml (the platform path then reports the problem with its own message).
func projectName(dir string) string {
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return ""
	}
	return proj.Name.String()
}

// runBootstrap evaluates a stack of the bootstrap project (bootstrap/): the state backend and
// the CI roles run under the mock engine and go through the same report as a platform stack.
// A bootstrap stack file is created per account (docs/delivery.md), so without one the
// evaluation uses Pulumi.yaml's declared values, as `pulumi stack init` would, and says so. The
// policy settings default to policy/config.<stack>.json at the repository root, beside the
// platform stacks' files.
func runBootstrap(opts Options) (*Report, error) {
	cfg, err := state.ReadStackConfig(opts.Dir, opts.Stack)
	if err != nil {
		return nil, &ConfigError{Stack: opts.Stack, Problems: []string{err.Error()}}
	}
	var notes []string
	if !cfg.FromStackFile {
		notes = append(notes, fmt.Sprintf("%s does not exist: evaluated with the values Pulumi.yaml declares",
			filepath.Join(opts.Dir, "Pulumi."+opts.Stack+".yaml")))
	}
	region := cfg.Values["aws:region"]
	if region == "" {
		region = mock.Region
		notes = append(notes, fmt.Sprintf("aws:region is not set: evaluated in %s", region))
	}
	if opts.PolicyConfig == "" {
		// The pack's files live in the repository root's policy/, one level above bootstrap/.
		if path := filepath.Join(opts.Dir, "..", "policy", "config."+opts.Stack+".json"); fileExists(path) {
			opts.PolicyConfig = path
		}
	}
	policyCfg, policyFile, err := policyConfig(opts)
	if err != nil {
		return nil, err
	}
	var baseline *Report
	if opts.Baseline != "" {
		if baseline, err = readBaseline(opts.Baseline); err != nil {
			return nil, err
		}
		if baseline.Stack != opts.Stack || baseline.Project != state.Project {
			return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is a report of %s stack %q, not %s stack %q",
				opts.Baseline, baseline.Project, baseline.Stack, state.Project, opts.Stack)}
		}
	}

	eng := mock.NewEngine(state.Project, opts.Stack, nil)
	if err := eng.Run(cfg.Values, nil, state.Program); err != nil {
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

	rep := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          ToolName,
		Project:       state.Project,
		Stack:         opts.Stack,
		Region:        region,
		SecretsNotSet: []string{},
		notes:         notes,
	}
	// The bootstrap registers everything with the default AWS provider; the pack sees it, with
	// its aws:defaultTags, as it does under the engine.
	verdict := compliance.Evaluate(compliance.WithDefaultProviders(records, cfg.Values), opts.Stack, policyCfg)
	return rep.complete(opts, records, explicit, region, verdict, policyFile, baseline)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
