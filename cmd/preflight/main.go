package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Exit codes.
const (
	exitClean     = 0
	exitMandatory = 1
	exitUsage     = 2
)

// runPreflight is Run; tests replace it to check that realMain survives a panic.
var runPreflight = Run

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain runs the command and returns its exit code. It never panics: anything unexpected is
// reported on one line with exit code 2.
func realMain(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "preflight: internal error: %s\n", oneLine(fmt.Sprint(r)))
			code = exitUsage
		}
	}()

	fs := flag.NewFlagSet("preflight", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts Options
	var format string
	fs.StringVar(&opts.Stack, "stack", "", "stack to evaluate: reads Pulumi.<stack>.yaml (required)")
	fs.StringVar(&format, "format", FormatText, "output format: "+strings.Join(Formats, ", "))
	fs.StringVar(&opts.Baseline, "baseline", "", "earlier --format json report of the same stack to compare with")
	fs.StringVar(&opts.Dir, "dir", ".", "project directory holding Pulumi.yaml")
	fs.StringVar(&opts.PolicyConfig, "policy-config", "",
		"policy pack settings (--policy-pack-config file); default policy/config.<stack>.json when present")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: preflight --stack NAME [--format %s] [--baseline FILE] [--dir DIR] [--policy-config FILE]\n\n",
			strings.Join(Formats, "|"))
		fmt.Fprintf(stderr, "Evaluates a stack offline: resources, policy verdict, monthly cost, deployment critical path.\n"+
			"Exit codes: 0 clean, 1 mandatory policy violations, 2 bad usage or configuration.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitClean
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "preflight: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if !slices.Contains(Formats, format) {
		fmt.Fprintf(stderr, "preflight: --format %q is not one of %s\n", format, strings.Join(Formats, ", "))
		return exitUsage
	}
	opts.Progress = stderr

	rep, err := runPreflight(opts)
	var cerr *ConfigError
	switch {
	case rep != nil:
		writeNotes(stderr, rep.notes)
	case errors.As(err, &cerr):
		writeNotes(stderr, cerr.Notes)
	}
	if err != nil {
		fmt.Fprintf(stderr, "preflight: %s\n", err)
		return exitUsage
	}
	if err := Write(stdout, rep, format); err != nil {
		fmt.Fprintf(stderr, "preflight: writing the report: %s\n", oneLine(err.Error()))
		return exitUsage
	}
	if rep.ExitCode == exitMandatory {
		fmt.Fprintf(stderr, "preflight: stack %s has %s\n", rep.Stack,
			plural(rep.Policy.Mandatory, "mandatory policy violation", "mandatory policy violations"))
	}
	return rep.ExitCode
}

// writeNotes prints where the evaluation departed from the stack file, one line each.
func writeNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "preflight: note: %s\n", oneLine(n))
	}
}
