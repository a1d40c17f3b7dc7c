package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/novacron/platform/internal/deploy"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/pricing"
	"github.com/novacron/platform/policy/compliance"
	"github.com/novacron/platform/stacks"
)

// Options configure one preflight.
type Options struct {
	// Dir is the project directory holding Pulumi.yaml and Pulumi.<stack>.yaml. Default: ".".
	Dir string
	// Stack names the stack file to read. Required.
	Stack string
	// PolicyConfig is a --policy-pack-config file. Default: <Dir>/policy/config.<stack>.json
	// when it exists, else the pack's defaults.
	PolicyConfig string
	// Baseline is an earlier JSON report to compare with. Default: none.
	Baseline string
	// Progress receives one line if the evaluation takes longer than ProgressAfter. Default: none.
	Progress io.Writer
	// ProgressAfter is how long to wait before the progress line. Default: 1 s.
	ProgressAfter time.Duration
}

// UsageError is a problem with the command line or the files it names (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ConfigError is a problem with the stack's configuration (exit code 2). Each problem names the
// stack and the key.
type ConfigError struct {
	Stack    string
	Problems []string
	// Notes say where the evaluation departed from the stack file (encrypted values checked
	// with their defaults); they name keys, never values.
	Notes []string
}

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("stack %q: %s", e.Stack, e.Problems[0])
	}
	return fmt.Sprintf("stack %q has %d configuration problems:\n  %s", e.Stack, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

var stackName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Run evaluates a stack offline: it reads the stack files, runs the real program under the
// recording mock engine, and builds the report (inventory, policy verdict, monthly cost,
// deployment critical path). It needs no credentials, no Pulumi CLI and no network.
func Run(opts Options) (*Report, error) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if opts.ProgressAfter == 0 {
		opts.ProgressAfter = time.Second
	}
	if opts.Stack == "" {
		return nil, &UsageError{Msg: "--stack is required (a stack with a Pulumi.<stack>.yaml file, such as staging or production)"}
	}
	if !stackName.MatchString(opts.Stack) {
		return nil, &UsageError{Msg: fmt.Sprintf("--stack %q is not a stack name (letters, digits, '-', '_', '.')", opts.Stack)}
	}

	if opts.Progress != nil {
		timer := time.AfterFunc(opts.ProgressAfter, func() {
			fmt.Fprintf(opts.Progress, "preflight: evaluating stack %s offline (the program runs under the mock engine)...\n", opts.Stack)
		})
		defer timer.Stop()
	}

	// Every Pulumi project of the repository goes through preflight: the platform (the default),
	// the bootstrap program (--dir bootstrap) and the account baseline (--dir account).
	if p := projects[projectName(opts.Dir)]; p != nil {
		return p.run(opts)
	}

	cfg, err := stacks.ReadStackFiles(opts.Dir, opts.Stack)
	if err != nil {
		return nil, &ConfigError{Stack: opts.Stack, Problems: []string{err.Error()}}
	}
	// Secrets are set per stack with `pulumi config set --secret`; a fresh clone has none. They
	// are never readable offline anyway, so missing ones become placeholders too, and the
	// report lists them.
	missingSecrets := cfg.MissingSecrets()
	cfg = cfg.WithSecretPlaceholders()
	loaded, err := stacks.Load(opts.Stack, cfg)
	if err != nil {
		var cerr *stacks.Error
		if errors.As(err, &cerr) {
			return nil, &ConfigError{Stack: opts.Stack, Problems: cerr.Problems, Notes: cfg.Notes}
		}
		return nil, &ConfigError{Stack: opts.Stack, Problems: []string{err.Error()}, Notes: cfg.Notes}
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
		if baseline.Stack != opts.Stack {
			return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is a report of stack %q, not %q", opts.Baseline, baseline.Stack, opts.Stack)}
		}
		if err := checkKubernetesVersionMove(opts.Stack, opts.Baseline, baseline, loaded.Cluster.KubernetesVersion); err != nil {
			return nil, err
		}
	}

	records, explicit, err := evaluate(cfg)
	if err != nil {
		return nil, err
	}
	region := cfg.Values["aws:region"]

	rep := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          ToolName,
		Project:       stacks.Project,
		Stack:         opts.Stack,
		Region:        region,
		SecretsNotSet: missingSecrets,
		notes:         cfg.Notes,
		pools:         poolConfigs(loaded),
	}
	if rep.SecretsNotSet == nil {
		rep.SecretsNotSet = []string{}
	}
	return rep.complete(opts, records, explicit, region, compliance.Evaluate(records, opts.Stack, policyCfg), policyFile, baseline)
}

// complete fills the report's four sections from the evaluated records, and the comparison with
// a baseline when there is one; every project's preflight ends here.
func (rep *Report) complete(opts Options, records []*mock.Resource, explicit map[string][]string, region string,
	verdict compliance.Report, policyFile string, baseline *Report) (*Report, error) {
	rep.Inventory = inventory(records)
	rep.Policy = policySection(verdict, policyFile)
	ev := compliance.BuildEvidence(verdict, rep.configRules)
	rep.evidence = &ev
	rep.Cost = pricing.CalculateWith(region, records, pricing.Options{Baselines: baselinesOf(rep.pools)})
	rep.Capacity = capacitySection(rep.Cost.Pools, rep.pools)
	plan, err := deploy.Analyze(deployNodes(records, explicit))
	if err != nil {
		return nil, fmt.Errorf("stack %s: deployment graph: %w", opts.Stack, err)
	}
	rep.Deploy = deploySection(plan)
	rep.plan = plan
	rep.summarise()
	if baseline != nil {
		rep.Baseline = compare(opts.Baseline, baseline, rep)
	}
	return rep, nil
}

// policyConfig loads the pack settings: the file named by --policy-config, else the stack's file
// in policy/, else the pack's defaults.
func policyConfig(opts Options) (compliance.Config, string, error) {
	path, explicit := opts.PolicyConfig, opts.PolicyConfig != ""
	if !explicit {
		path = filepath.Join(opts.Dir, "policy", "config."+opts.Stack+".json")
		if _, err := os.Stat(path); err != nil {
			return compliance.DefaultConfig(), "", nil
		}
	}
	c, err := compliance.LoadConfigFile(path)
	if err != nil {
		return compliance.Config{}, "", &UsageError{Msg: fmt.Sprintf("policy config %s: %v", path, err)}
	}
	if rel, err := filepath.Rel(opts.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		path = filepath.ToSlash(rel)
	}
	return c, path, nil
}

// evaluate runs the program under the mock engine. Besides the engine's records it keeps, per
// resource, the dependencies that came only from dependsOn: the register request carries every
// dependency and, separately, those of each input property.
func evaluate(cfg *stacks.StackConfig) ([]*mock.Resource, map[string][]string, error) {
	eng := mock.NewEngine(stacks.Project, cfg.Stack, nil)
	if err := eng.Run(cfg.Values, cfg.SecretKeys, stacks.Run); err != nil {
		return nil, nil, fmt.Errorf("stack %s: the program failed under the offline engine: %w", cfg.Stack, err)
	}
	records := eng.Resources()
	sort.Slice(records, func(i, j int) bool { return records[i].URN < records[j].URN })
	explicit := map[string][]string{}
	for _, r := range records {
		if r.ExplicitDependencies != nil {
			explicit[r.URN] = r.ExplicitDependencies
		} else {
			explicit[r.URN] = []string{}
		}
	}
	return records, explicit, nil
}

// deployNodes turns the records into the deployment graph.
func deployNodes(records []*mock.Resource, explicit map[string][]string) []deploy.Node {
	nodes := make([]deploy.Node, 0, len(records))
	for _, r := range records {
		n := deploy.Node{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent,
			Component:            !r.Custom && !r.Remote,
			Provider:             r.ProviderURN(),
			Dependencies:         r.Dependencies,
			ExplicitDependencies: explicit[r.URN],
		}
		if !n.Component {
			n.Duration = deploy.ForResource(r.Type, r.Name, chartOf(r))
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func chartOf(r *mock.Resource) string {
	if v, ok := r.Input("chart"); ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}
