package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, time.Now, os.Stdout, os.Stderr))
}

// amiFlag collects --latest-ami <minor>=<release>.
type amiFlag map[string]AMIRelease

func (f amiFlag) String() string { return "" }

func (f amiFlag) Set(s string) error {
	minor, rel, ok := strings.Cut(s, "=")
	if !ok || !kubernetesMinorPattern.MatchString(minor) {
		return fmt.Errorf("%q: expected <kubernetes minor>=<release>, e.g. 1.35=1.35.4-20261201", s)
	}
	r, err := ParseAMIRelease(rel)
	if err != nil {
		return err
	}
	if r.Minor != minor {
		return fmt.Errorf("%q: release %s is for Kubernetes %s, not %s", s, rel, r.Minor, minor)
	}
	if _, dup := f[minor]; dup {
		return fmt.Errorf("%q: a second release for Kubernetes %s", s, minor)
	}
	f[minor] = r
	return nil
}

// addonFlag collects --latest-addon <minor>/<add-on>=<version>.
type addonFlag map[string]map[string]AddonVersion

func (f addonFlag) String() string { return "" }

func (f addonFlag) Set(s string) error {
	target, ver, ok := strings.Cut(s, "=")
	minor, name, ok2 := strings.Cut(target, "/")
	if !ok || !ok2 || !kubernetesMinorPattern.MatchString(minor) {
		return fmt.Errorf("%q: expected <kubernetes minor>/<add-on>=<version>, e.g. 1.35/coredns=v1.14.4-eksbuild.1", s)
	}
	if !slices.Contains(addonNames, name) {
		return fmt.Errorf("%q: unknown add-on %q; expected one of %s", s, name, strings.Join(addonNames, ", "))
	}
	v, err := ParseAddonVersion(ver)
	if err != nil {
		return err
	}
	if err := checkAddonForMinor(name, v, minor); err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	if f[minor] == nil {
		f[minor] = map[string]AddonVersion{}
	}
	if _, dup := f[minor][name]; dup {
		return fmt.Errorf("%q: a second version of %s for Kubernetes %s", s, name, minor)
	}
	f[minor][name] = v
	return nil
}

// run is the command; it returns the exit code: 0 for a plan (propose, wait or nothing to do),
// 2 for bad input.
func run(args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("nodepatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "repository checkout holding Pulumi.yaml and the stack file to edit")
	stagingDir := fs.String("staging-dir", "", "checkout of the branch that deploys staging (develop), read for staging's pins when planning production; default --dir")
	stack := fs.String("stack", "", "stack to plan: staging or production")
	latestAMI := amiFlag{}
	fs.Var(latestAMI, "latest-ami", "recommended AMI release per Kubernetes minor, <minor>=<release> (repeatable), e.g. 1.35=1.35.4-20261201")
	latestAddons := addonFlag{}
	fs.Var(latestAddons, "latest-addon", "default add-on version per Kubernetes minor, <minor>/<add-on>=<version> (repeatable), e.g. 1.35/coredns=v1.14.4-eksbuild.1")
	soak := fs.Duration("soak", 72*time.Hour, "how long staging must run the pins before production is proposed them")
	nowFlag := fs.String("now", "", "current time, RFC 3339 (default: now)")
	since := fs.String("staging-since", "", "when staging adopted its current pins, RFC 3339 (production)")
	healthy := fs.Bool("staging-healthy", false, "staging's latest deploy since --staging-since succeeded (production)")
	printMinor := fs.Bool("print-minor", false, "print the stack's kubernetesVersion and exit")
	dryRun := fs.Bool("dry-run", false, "print the plan without writing the stack file or $GITHUB_OUTPUT")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "nodepatch: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *stack != "staging" && *stack != "production" {
		return fail(fmt.Errorf("--stack must be staging or production, got %q", *stack))
	}
	if *soak <= 0 {
		return fail(fmt.Errorf("--soak must be positive, got %s", *soak))
	}
	in := Inputs{Now: now().UTC(), Soak: *soak, LatestAMI: latestAMI, LatestAddons: latestAddons, StagingHealthy: *healthy}
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fail(fmt.Errorf("--now: %w", err))
		}
		in.Now = t.UTC()
	}
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			return fail(fmt.Errorf("--staging-since: %w", err))
		}
		in.StagingSince = &t
	}
	if *stagingDir == "" {
		*stagingDir = *dir
	}

	s, err := LoadStack(*dir, *stack)
	if err != nil {
		return fail(err)
	}
	if *printMinor {
		fmt.Fprintln(stdout, s.KubernetesVersion)
		return 0
	}

	var p Plan
	if *stack == "staging" {
		builtin, err := LoadBuiltinPins(*dir, s.KubernetesVersion)
		if err != nil {
			return fail(err)
		}
		p, err = PlanStaging(s, builtin, in)
		if err != nil {
			return fail(err)
		}
	} else {
		staging, err := LoadStack(*stagingDir, "staging")
		if err != nil {
			if *stagingDir != *dir {
				err = fmt.Errorf("--staging-dir %s: %w", *stagingDir, err)
			}
			return fail(err)
		}
		p, err = PlanProduction(s, staging, in)
		if err != nil {
			return fail(err)
		}
	}

	var title, body string
	switch p.Action {
	case ActionPropose:
		if err := Apply(s, p); err != nil {
			return fail(err)
		}
		ami, err := ParseAMIRelease(p.AMI)
		if err != nil {
			return fail(err)
		}
		title, body = Title(p), Body(p, ami)
		fmt.Fprintf(stdout, "%s\n\n%s", title, body)
	case ActionWait:
		fmt.Fprintf(stdout, "waiting: %s\n", p.Reason)
	default:
		fmt.Fprintf(stdout, "nothing to do: %s\n", p.Reason)
	}
	if *dryRun {
		return 0
	}
	if p.Action == ActionPropose {
		if err := s.File.Save(s.Path); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "nodepatch: wrote %s\n", filepath.Join(*dir, s.File.Name))
	}
	if out := getenv("GITHUB_OUTPUT"); out != "" {
		if err := appendOutputs(out, p, title, body); err != nil {
			return fail(err)
		}
	}
	return 0
}

// appendOutputs adds action, reason, title and body to the step's outputs file.
func appendOutputs(path string, p Plan, title, body string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("$GITHUB_OUTPUT: %w", err)
	}
	werr := writeOutputs(f, p, title, body)
	if err := f.Close(); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("$GITHUB_OUTPUT: %w", werr)
	}
	return nil
}

// writeOutputs writes name=value lines, and the multi-line body between a random delimiter
// that the body cannot contain (GitHub Actions, "Workflow commands": multiline strings).
func writeOutputs(w io.Writer, p Plan, title, body string) error {
	delim := ""
	for delim == "" || strings.Contains(body, delim) {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		delim = "NODEPATCH_" + hex.EncodeToString(b)
	}
	_, err := fmt.Fprintf(w, "action=%s\nreason=%s\ntitle=%s\nbody<<%s\n%s\n%s\n",
		p.Action, oneLine(p.Reason), oneLine(title), delim, strings.TrimSuffix(body, "\n"), delim)
	return err
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
