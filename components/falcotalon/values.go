package falcotalon

// Names fixed by the chart (falco-talon 0.4.1: templates/_helpers.tpl names every object after
// the chart, "falco-talon", unless nameOverride is set; templates/services.yaml, port 2803).
const (
	chartName   = "falco-talon"
	chartRepo   = "https://falcosecurity.github.io/charts"
	releaseName = "falco-talon"
	// serviceAccountName is the chart's ServiceAccount (templates/rbac.yaml), bound to the Roles
	// the component grants in the application namespaces.
	serviceAccountName = "falco-talon"
	serviceName        = "falco-talon"
	servicePort        = 2803
	// slackSecretKey is the key of the webhook URL in the component's Secret.
	slackSecretKey = "slack-webhook-url"
	// slackWebhookEnv overrides notifiers.slack.webhook_url of Talon's configuration file: Talon
	// reads its configuration through viper with AutomaticEnv and "." replaced by "_"
	// (configuration/configuration.go, falcosecurity/falco-talon v0.3.0).
	slackWebhookEnv = "NOTIFIERS_SLACK_WEBHOOK_URL"
	// leaseNamespaceEnv is where Talon keeps its leader-election lease; without it Talon uses
	// "falco" (internal/kubernetes/client/client.go, GetLeaseHolder, v0.3.0), another namespace.
	leaseNamespaceEnv = "NAMESPACE"
)

// chartRBAC are the verb lists of the ClusterRole the chart creates (values.yaml rbac.*). The chart
// grants cluster-wide deletes of pods, deployments, secrets, roles and more by default; the
// component keeps only what cannot be namespaced (reading a Namespace, which the k8sevents
// notifier does to place its Event) and grants the rest as Roles in the application namespaces
// (rbac.go). An empty list drops the rule: the template guards each with `if`.
var chartRBAC = map[string][]any{
	"namespaces":              {"get"},
	"pods":                    {},
	"podsEphemeralcontainers": {},
	"nodes":                   {},
	"podsLog":                 {},
	"podsExec":                {},
	"podsEviction":            {},
	"events":                  {},
	"daemonsets":              {},
	"deployments":             {},
	"replicasets":             {},
	"statefulsets":            {},
	"networkpolicies":         {},
	"caliconetworkpolicies":   {},
	"ciliumnetworkpolicies":   {},
	"roles":                   {},
	"clusterroles":            {},
	"configmaps":              {},
	"secrets":                 {},
	"leases":                  {},
}

// helmValues builds the falco-talon chart values (falcosecurity/charts, tag falco-talon-0.4.1,
// charts/falco-talon/values.yaml). a must be defaulted; slackSecret is the name of the Secret
// holding the Slack webhook, or "" when there is none.
func helmValues(a *TalonArgs, rules, slackSecret string) map[string]any {
	rbac := map[string]any{}
	for k, v := range chartRBAC {
		rbac[k] = v
	}
	env := []any{
		// The chart's default extraEnv, repeated because setting the list replaces it.
		map[string]any{"name": "LOG_LEVEL", "value": "warning"},
		map[string]any{"name": leaseNamespaceEnv, "valueFrom": map[string]any{
			"fieldRef": map[string]any{"fieldPath": "metadata.namespace"},
		}},
	}
	// Talon writes every action as a Kubernetes Event on the pod's namespace; Slack when set.
	notifiers := []any{"k8sevents"}
	if slackSecret != "" {
		env = append(env, map[string]any{"name": slackWebhookEnv, "valueFrom": map[string]any{
			"secretKeyRef": map[string]any{"name": slackSecret, "key": slackSecretKey},
		}})
		notifiers = append(notifiers, "slack")
	}
	return map[string]any{
		"replicaCount": a.Replicas,
		// The chart's default is Always: every restart would depend on the registry.
		"image":    map[string]any{"pullPolicy": "IfNotPresent"},
		"extraEnv": env,
		// The chart's commented suggestion (values.yaml, resources), as requests and a memory limit.
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "128Mi"},
			"limits":   map[string]any{"memory": "128Mi"},
		},
		"rbac": rbac,
		// Talon always serves Prometheus metrics on its http port at /metrics (cmd/server.go,
		// falcosecurity/falco-talon v0.3.0); the chart's ServiceMonitor (templates/servicemonitor.yaml)
		// scrapes it. kube-prometheus-stack selects every ServiceMonitor, so no label is needed.
		"serviceMonitor": map[string]any{"enabled": true},
		"config": map[string]any{
			"defaultNotifiers": notifiers,
			"rulesOverride":    rules,
		},
	}
}
