// Package falcotalon is the automated incident-response component (novacron:security:FalcoTalon).
//
// It creates a namespace and one helm/v3 Release of the falcosecurity falco-talon chart, pinned
// by ChartVersion (0.4.1, Falco Talon 0.3.0). falcosidekick (components/falco, TalonURL = this
// component's URL) posts Falco's events to Talon, which acts on two NovaCron Falco rules:
//
//   - "NovaCron crypto mining activity" (CRITICAL): kubernetes:terminate deletes the pod with a
//     grace period (TerminateGracePeriodSeconds), DaemonSet pods excepted;
//   - "NovaCron terminal shell in application container" (WARNING): kubernetes:label marks the
//     pod novacron.io/quarantine=terminal-shell, then kubernetes:networkpolicy creates a
//     NetworkPolicy that allows its workload no egress; the pod is kept for forensics.
//     NetworkPolicies are additive: the policy cuts only egress that no other policy allows.
//     Where a namespace already denies by default and allows some egress (components/netpol),
//     the pod is cut off only from what the allowing policies leave out; they can select on
//     QuarantineLabel to leave quarantined pods out.
//
// Every action is reported as a Kubernetes Event and, when SlackWebhookURL is set, to Slack. The
// Falco events themselves still page through Alertmanager (critical to PagerDuty).
//
// Talon's metrics (/metrics on its http port) are scraped through the chart's ServiceMonitor, so
// the release waits for the Prometheus Operator CRDs (WaitFor); components/monitoring alerts with
// NovaCronFalcoTalonDown when no replica can be scraped (StackArgs.FalcoTalonNamespace).
//
// The chart is installed on its own rather than through the falco chart's responseActions
// dependency, which floats (falco-talon 0.3.*) and cannot be pinned.
//
// Invariants:
//   - Talon acts only in ApplicationNamespaces, twice over: each Talon rule matches only events
//     whose k8s.ns.name is one of them, and its Kubernetes permissions there are Roles (pods,
//     their controllers, NetworkPolicies, Events). The chart's ClusterRole keeps only reading
//     Namespaces; its cluster-wide defaults (deleting pods, deployments, secrets, roles, node
//     changes, pod exec) are switched off. Protected namespaces (kube-system, the platform's)
//     are rejected as application namespaces.
//   - The Slack webhook is a secret: it lives in a Kubernetes Secret and reaches Talon as the
//     NOTIFIERS_SLACK_WEBHOOK_URL environment variable; the Helm values never hold it.
//   - Each rule name Talon matches exists in components/falco/rules.yaml with the priority the
//     Talon rule requires.
//
// Testing: Talon's Go module (github.com/falcosecurity/falco-talon) is not served by the module
// proxy, so the tests cannot load the rules with Talon's own parser. They decode the rendered
// rules strictly (unknown keys are errors) into structs mirroring Talon 0.3.0's rule schema and
// each actionner's parameters, apply the checks Talon makes when it loads rules, and evaluate
// Falco events with a matcher that follows Talon's documented matching (rule names, priority
// comparator, output fields): a miner event matches the terminate rule, a shell event the
// label-and-isolate rule, and the same events from kube-system match nothing.
package falcotalon
