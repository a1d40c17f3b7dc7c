package falcotalon

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Falco rules Talon acts on (components/falco/rules.yaml), with the priority each is emitted at.
// The tests check both against that file.
const (
	MinerFalcoRule     = "NovaCron crypto mining activity"
	MinerFalcoPriority = "Critical"
	ShellFalcoRule     = "NovaCron terminal shell in application container"
	ShellFalcoPriority = "Warning"
)

// Names in the Talon rules file, and Talon's actionners (category:name).
const (
	actionTerminate        = "NovaCron terminate pod"
	actionLabel            = "NovaCron label pod as quarantined"
	actionIsolate          = "NovaCron isolate pod egress"
	ruleTerminateMiner     = "NovaCron terminate crypto miner"
	ruleQuarantineShell    = "NovaCron quarantine pod with a terminal shell"
	actionnerTerminate     = "kubernetes:terminate"
	actionnerLabel         = "kubernetes:label"
	actionnerNetworkPolicy = "kubernetes:networkpolicy"
)

// QuarantineLabel is the label Talon puts on a pod in which a terminal shell was opened; its value
// names the reason. Investigators (and NetworkPolicies that want to exclude such pods) select on it.
const (
	QuarantineLabel      = "novacron.io/quarantine"
	QuarantineLabelValue = "terminal-shell"
)

// Talon's rule file format (Falco Talon 0.3.0, docs.falco-talon.org "Rules"; the YAML keys are
// those of internal/rules/rules.go at tag v0.3.0 of falcosecurity/falco-talon). The file is one
// sequence mixing action definitions ("action") and rules ("rule"); a rule lists actions by name
// and inherits their actionner and parameters.
type talonAction struct {
	Action      string         `yaml:"action"`
	Description string         `yaml:"description,omitempty"`
	Actionner   string         `yaml:"actionner,omitempty"`
	Parameters  map[string]any `yaml:"parameters,omitempty"`
}

type talonMatch struct {
	Rules []string `yaml:"rules"`
	// Priority is a Falco priority with an optional comparator (">=Critical").
	Priority string `yaml:"priority"`
	// OutputFields: the entries are alternatives; within one entry, comma-separated key=value
	// conditions must all hold.
	OutputFields []string `yaml:"output_fields"`
}

type talonRule struct {
	Rule        string        `yaml:"rule"`
	Description string        `yaml:"description"`
	DryRun      string        `yaml:"dry_run,omitempty"`
	Match       talonMatch    `yaml:"match"`
	Actions     []talonAction `yaml:"actions"`
}

// rulesFile renders Talon's rules for the defaulted, validated arguments. It goes into the chart's
// config.rulesOverride, which the chart appends to its own rules.yaml (two unused action
// definitions, "Terminate Pod" and "Label Pod as Suspicious"), so every name here is NovaCron's.
func rulesFile(a *TalonArgs) (string, error) {
	// k8s.ns.name is in the output of both Falco rules, so it is one of the event's output
	// fields; one alternative per namespace restricts every action to the application namespaces.
	inNamespaces := make([]string, len(a.ApplicationNamespaces))
	for i, ns := range a.ApplicationNamespaces {
		inNamespaces[i] = "k8s.ns.name=" + ns
	}
	dryRun := ""
	if a.DryRun {
		dryRun = "true"
	}
	actions := []any{
		talonAction{
			Action:      actionTerminate,
			Description: "Delete the pod with a short grace period; its controller starts a clean one.",
			Actionner:   actionnerTerminate,
			Parameters: map[string]any{
				"grace_period_seconds": a.TerminateGracePeriodSeconds,
				// A DaemonSet pod comes straight back on the same node; that case is for a person.
				"ignore_daemonsets": true,
			},
		},
		talonAction{
			Action:      actionLabel,
			Description: "Mark the pod for investigation.",
			Actionner:   actionnerLabel,
			Parameters: map[string]any{
				"level":  "pod",
				"labels": map[string]any{QuarantineLabel: QuarantineLabelValue},
			},
		},
		talonAction{
			Action: actionIsolate,
			// Without allow_cidr or allow_namespaces the policy allows no egress at all.
			Description: "Create a NetworkPolicy that denies all egress to the pod's workload.",
			Actionner:   actionnerNetworkPolicy,
		},
	}
	rules := []any{
		talonRule{
			Rule:        ruleTerminateMiner,
			Description: "A crypto miner runs in an application pod: stop it.",
			DryRun:      dryRun,
			Match: talonMatch{
				Rules:        []string{MinerFalcoRule},
				Priority:     ">=" + MinerFalcoPriority,
				OutputFields: inNamespaces,
			},
			Actions: []talonAction{{Action: actionTerminate}},
		},
		talonRule{
			Rule:        ruleQuarantineShell,
			Description: "Someone opened a terminal shell in an application pod: label it and cut its egress, keep it for forensics.",
			DryRun:      dryRun,
			Match: talonMatch{
				Rules:        []string{ShellFalcoRule},
				Priority:     ">=" + ShellFalcoPriority,
				OutputFields: inNamespaces,
			},
			Actions: []talonAction{{Action: actionLabel}, {Action: actionIsolate}},
		},
	}
	out, err := yaml.Marshal(append(actions, rules...))
	if err != nil {
		return "", fmt.Errorf("rendering the Talon rules: %w", err)
	}
	header := "# NovaCron's Falco Talon rules, rendered by the falcotalon component from its arguments;\n" +
		"# do not edit by hand.\n"
	return header + string(out), nil
}
