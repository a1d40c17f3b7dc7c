package monitoring

// What kube-prometheus-stack scrapes by default and EKS does not let it, and what EKS serves
// instead. Chart keys checked against kube-prometheus-stack 88.5.3: values.yaml, the exporters
// under templates/exporters/ and the rule templates under templates/prometheus/rules-1.14/, each
// of which renders only when defaultRules.rules.<key> is true and, for the control-plane groups,
// when the component's <component>.enabled is true.

// Job names of the control-plane scrapes. They are the kubernetes-mixin's job names, so queries
// and dashboards written for the mixin find the series.
const (
	SchedulerJob         = "kube-scheduler"
	ControllerManagerJob = "kube-controller-manager"
)

// eksMetricsAPIGroup is the API group through which the EKS API server serves the scheduler's
// (ksh) and the controller manager's (kcm) metrics, on EKS 1.28 and later (Amazon EKS User
// Guide, "Fetch control plane raw metrics in Prometheus format"; CloudWatch User Guide,
// "Integrate Amazon EKS").
const eksMetricsAPIGroup = "metrics.eks.amazonaws.com"

// eksMetricsComponents maps each job to its path segment under
// /apis/metrics.eks.amazonaws.com/v1/<segment>/container/metrics.
var eksMetricsComponents = []struct{ job, segment string }{
	{SchedulerJob, "ksh"},
	{ControllerManagerJob, "kcm"},
}

// serviceAccountDir is where Kubernetes mounts a pod's service account token and the cluster
// CA; the chart has them mounted into Prometheus (prometheus.serviceAccount.
// automountServiceAccountToken and prometheus.prometheusSpec.automountServiceAccountToken
// default to true).
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// unscrapeableComponents are the chart's control-plane components that cannot be scraped on
// EKS: AWS runs the controller manager, the scheduler and etcd out of the cluster's reach, and
// kube-proxy binds its metrics to 127.0.0.1:10249 (aws/containers-roadmap#657). Left enabled,
// each gets a Service and a ServiceMonitor with no reachable target, and the chart's absent()-
// based KubeControllerManagerDown and KubeSchedulerDown (critical) and KubeProxyDown fire 15
// minutes after the first deploy and never clear. Turning a component off also removes its
// rule groups and its Grafana dashboard.
var unscrapeableComponents = []string{"kubeControllerManager", "kubeEtcd", "kubeProxy", "kubeScheduler"}

// disabledDefaultRuleGroups are the chart's defaultRules.rules keys of those components. The
// component switches already keep the groups out; turning the groups off too keeps the alerts
// away should anyone re-enable a component's scrape through the chart's own values.
var disabledDefaultRuleGroups = []string{
	"etcd",
	"kubeControllerManager",
	"kubeProxy",
	"kubeSchedulerAlerting",
	"kubeSchedulerRecording",
}

// eksControlPlaneValues are the chart values that switch off the unscrapeable components and
// their rule groups.
func eksControlPlaneValues(values map[string]any) {
	for _, c := range unscrapeableComponents {
		values[c] = map[string]any{"enabled": false}
	}
	groups := map[string]any{}
	for _, g := range disabledDefaultRuleGroups {
		groups[g] = false
	}
	values["defaultRules"] = map[string]any{"rules": groups}
}

// eksControlPlaneScrapeJobs read the scheduler's and the controller manager's metrics from the
// EKS API server, the way the Amazon Managed Service for Prometheus User Guide's sample scraper
// configuration does ("Using an AWS managed collector", jobs ksh-metrics and kcm-metrics), with
// one target: the API server's in-cluster Service rather than every API server endpoint, so
// each series exists once. They are plain Prometheus jobs, passed to the chart in
// prometheus.prometheusSpec.additionalScrapeConfigs.
func eksControlPlaneScrapeJobs() []any {
	jobs := make([]any, 0, len(eksMetricsComponents))
	for _, c := range eksMetricsComponents {
		jobs = append(jobs, map[string]any{
			"job_name":       c.job,
			"scheme":         "https",
			"metrics_path":   "/apis/" + eksMetricsAPIGroup + "/v1/" + c.segment + "/container/metrics",
			"static_configs": []any{map[string]any{"targets": []any{"kubernetes.default.svc:443"}}},
			"authorization":  map[string]any{"credentials_file": serviceAccountDir + "/token"},
			"tls_config":     map[string]any{"ca_file": serviceAccountDir + "/ca.crt"},
			// Prometheus 3 refuses a response without a valid Content-Type unless told which
			// format to assume (Prometheus configuration, fallback_scrape_protocol); the
			// components serve the classic text format.
			"fallback_scrape_protocol": "PrometheusText0.0.4",
		})
	}
	return jobs
}

// eksControlPlaneRBACRule lets Prometheus's service account read those metrics: the API server
// maps /apis/metrics.eks.amazonaws.com/v1/ksh/container/metrics to resource "ksh", name
// "container", subresource "metrics", so the rule names ksh/metrics and kcm/metrics with verb
// get (the access policy in the Amazon Managed Service for Prometheus User Guide, "Configuring
// your Amazon EKS cluster").
func eksControlPlaneRBACRule() map[string]any {
	resources := make([]any, 0, len(eksMetricsComponents))
	for _, c := range eksMetricsComponents {
		resources = append(resources, c.segment+"/metrics")
	}
	return map[string]any{
		"apiGroups": []any{eksMetricsAPIGroup},
		"resources": resources,
		"verbs":     []any{"get"},
	}
}
