// Package falco is the runtime-security component (novacron:security:Falco).
//
// It creates a namespace (labelled for privileged pods, which Falco needs) and one helm/v3
// Release of the falcosecurity falco chart, pinned by ChartVersion, with:
//
//   - the modern_ebpf driver (built into Falco, no kernel module or headers on the nodes);
//   - the chart's control-plane tolerations plus ml-workload=true:NoSchedule, so the DaemonSet
//     also runs on the GPU nodes (Falco's defaults do not tolerate custom taints);
//   - NovaCron's four rules (crypto mining, unexpected outbound connection, sensitive file read,
//     terminal shell in an application container) from rules.yaml, loaded through the chart's customRules value, plus a small rendered file
//     that replaces the items of the rules' per-stack lists (application namespaces, allowed
//     outbound ports and networks);
//   - falcosidekick enabled and posting to Alertmanager's v2 API at AlertmanagerURL and, when
//     TalonURL is set, to Falco Talon (components/falcotalon), which acts on the crypto-mining
//     and terminal-shell rules.
//
// Invariants: rules.yaml defines only novacron_* macros and lists, so it never redefines a
// default; every condition references only names defined in it or in Falco's default ruleset
// (checked by the tests with a condition parser); the values contain no secret (the Alertmanager
// and Talon URLs may not embed credentials). The Kubernetes provider comes from the caller
// through pulumi.Providers and reaches the children through pulumi.Parent.
package falco
