package falco

import (
	_ "embed"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// RulesFile is NovaCron's custom rules document (three rules with their macros and lists),
// loaded as is. It is kept as a plain YAML file so that security reviewers read the real thing.
//
//go:embed rules.yaml
var RulesFile string

// Keys of the chart's customRules map. Falco reads a rules.d directory in lexical order, so the
// tuning file, which overrides lists of the rules file, must sort after it.
const (
	rulesFileKey  = "novacron-rules.yaml"
	tuningFileKey = "novacron-tuning.yaml"
)

// tuningList is one Falco list whose items replace those of the list of the same name defined
// earlier (Falco's override syntax, https://falco.org/docs/concepts/rules/overriding/).
type tuningList struct {
	List     string            `yaml:"list"`
	Items    []any             `yaml:"items,flow"`
	Override map[string]string `yaml:"override"`
}

// tuningFile renders the per-stack values of the lists that rules.yaml marks "tuned per stack".
// Arguments must already be validated and defaulted.
func tuningFile(a *FalcoArgs) (string, error) {
	namespaces := make([]any, len(a.ApplicationNamespaces))
	for i, ns := range a.ApplicationNamespaces {
		namespaces[i] = ns
	}
	ports := make([]any, len(a.AllowedOutboundPorts))
	for i, p := range a.AllowedOutboundPorts {
		ports[i] = p
	}
	// CIDR items are quoted inside the item, as the default ruleset does for rfc_1918_addresses,
	// so the filter parser reads each as one literal.
	networks := make([]any, len(a.AllowedOutboundCIDRs))
	for i, c := range a.AllowedOutboundCIDRs {
		networks[i] = strconv.Quote(c)
	}
	replace := map[string]string{"items": "replace"}
	doc := []tuningList{
		{List: "novacron_app_namespaces", Items: namespaces, Override: replace},
		{List: "novacron_allowed_outbound_ports", Items: ports, Override: replace},
		{List: "novacron_allowed_outbound_networks", Items: networks, Override: replace},
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("rendering %s: %w", tuningFileKey, err)
	}
	header := "# Per-stack values for the lists of " + rulesFileKey + " marked \"tuned per stack\".\n" +
		"# Rendered by the NovaCron Falco component from its arguments; do not edit by hand.\n"
	return header + string(out), nil
}
