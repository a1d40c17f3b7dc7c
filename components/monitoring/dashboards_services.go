package monitoring

import (
	"fmt"
	"strconv"

	"github.com/novacron/platform/metrics"
)

// Labels Loki indexes OTLP logs by: the OTLP resource attributes k8s.namespace.name,
// k8s.pod.name and service.name, with the dots turned into underscores (Loki documentation,
// "Ingesting logs to Loki using OpenTelemetry Collector": default index labels, "Dots (.) are
// converted to underscores").
const (
	lokiNamespaceLabel = "k8s_namespace_name"
	lokiPodLabel       = "k8s_pod_name"
	lokiServiceLabel   = "service_name"
)

// Series of the Kubernetes exporters the dashboards read, besides NovaCron's own. The recorded
// ones come from kube-prometheus-stack 88.5.3's default rules (templates/prometheus/rules-1.14:
// k8s.rules.container_cpu_usage_seconds_total, k8s.rules.container_memory_working_set_bytes,
// node.rules, node-exporter.rules), which stay on (eks_test.go lists the groups); each carries
// the node of its pod. The raw ones are kube-state-metrics 2.20.0's (docs/metrics, the version
// chart 8.4.0 ships), the kubelet's volume statistics and node-exporter 1.12.1's filesystem
// collector, as the chart's own kubernetes-storage and node-exporter alerts read them.
const (
	podCPURecord         = "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m"
	podMemoryRecord      = "node_namespace_pod_container:container_memory_working_set_bytes"
	podNodeRecord        = "node_namespace_pod:kube_pod_info:"
	nodeCPURecord        = "instance:node_cpu_utilisation:rate5m"
	nodeMemoryRecord     = "instance:node_memory_utilisation:ratio"
	ksmNodeLabels        = "kube_node_labels"
	ksmNodeAllocatable   = "kube_node_status_allocatable"
	ksmContainerRequests = "kube_pod_container_resource_requests"
	ksmContainerLimits   = "kube_pod_container_resource_limits"
	ksmPodPhase          = "kube_pod_status_phase"
	ksmPodInfo           = "kube_pod_info"
	volumeUsed           = "kubelet_volume_stats_used_bytes"
	volumeAvailable      = "kubelet_volume_stats_available_bytes"
	volumeCapacity       = "kubelet_volume_stats_capacity_bytes"
	fsAvailable          = "node_filesystem_avail_bytes"
	fsSize               = "node_filesystem_size_bytes"
)

// podLogsLink opens the logs of the pod behind a series (its namespace and pod labels).
func podLogsLink() dashboardLink {
	return urlLink("Logs of ${__field.labels.pod}", lokiExploreURL(
		fmt.Sprintf(`{%s="${__field.labels.namespace}", %s="${__field.labels.pod}"}`, lokiNamespaceLabel, lokiPodLabel)))
}

// traceSearchLink opens Tempo's search for a TraceQL query.
func traceSearchLink(title, traceQL string) dashboardLink {
	return urlLink(title, tempoExploreURL(traceQL))
}

// servicesBoard is the technical KPI dashboard of one service (the job variable): traffic,
// errors and latency from the metrics package's HTTP series, the latency panel with exemplars
// that open the trace behind a slow request; saturation of its pods against their limits; its
// database pool; and, when Grafana has them, its error logs and its failed or slow traces.
func servicesBoard(s DashboardSettings) *board {
	r := s.Rules
	b := newBoard(ServicesDashboardUID, "NovaCron / Services",
		"Traffic, errors, latency and saturation of one NovaCron service. Latency points with a dot are exemplars: open one to see its trace.",
		"services")
	up := `up{job="$service"}`
	b.doc.Templating.List = []variable{
		labelValuesVariable("service", "Service", metrics.HTTPRequestsTotal, "job", false),
		labelValuesVariable("namespace", "Namespace", up, "namespace", false),
		labelValuesVariable("pod", "Pod", `up{job="$service", namespace="$namespace"}`, "pod", true),
	}
	if s.Logs {
		b.doc.Links = append(b.doc.Links, urlLink("Logs of $service",
			lokiExploreURL(fmt.Sprintf(`{%s="${namespace}", %s=~"${pod:regex}"}`, lokiNamespaceLabel, lokiPodLabel))))
	}
	if s.Traces {
		b.doc.Links = append(b.doc.Links, traceSearchLink("Traces of $service", `{resource.service.name="${service}"}`))
	}
	traceLinks := func(title, traceQL string) []dashboardLink {
		if !s.Traces {
			return nil
		}
		return []dashboardLink{traceSearchLink(title, traceQL)}
	}
	podLinks := func() []dashboardLink {
		if !s.Logs {
			return nil
		}
		return []dashboardLink{podLogsLink()}
	}

	job := `job="$service"`
	apiSel := fmt.Sprintf("%s,%s!=%q", job, metrics.LabelRoute, metrics.RouteUnmatched)
	rate := func(metric, selector string) string {
		return fmt.Sprintf("rate(%s{%s}[$__rate_interval])", metric, selector)
	}

	b.row("Traffic and errors")
	b.add(timeseriesPanel(viz{title: "Requests per second by route", unit: "reqps", minZero: true,
		links: traceLinks("Traces of $service", `{resource.service.name="${service}"}`)},
		promQuery(fmt.Sprintf("sum by (%s) (%s)", metrics.LabelRoute, rate(metrics.HTTPRequestsTotal, job)))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Server error ratio (5xx)", unit: "percentunit", minZero: true, thresholdLine: true,
		description: "The line is the error budget of the availability objective (" + percent(r.AvailabilityTarget) + ").",
		thresholds:  steps("green", step{1 - r.AvailabilityTarget, "red"}),
		links:       traceLinks("Failed traces of $service", `{resource.service.name="${service}" && status=error}`)},
		promQuery(fmt.Sprintf("sum(%s) / sum(%s)",
			rate(metrics.HTTPRequestsTotal, fmt.Sprintf("%s,%s=~%q", job, metrics.LabelCode, serverErrorCodeRegex)),
			rate(metrics.HTTPRequestsTotal, job))).legend("5xx ratio")), 8, 8)
	b.add(timeseriesPanel(viz{title: "Responses by status code", unit: "reqps", minZero: true},
		promQuery(fmt.Sprintf("sum by (%s) (%s)", metrics.LabelCode, rate(metrics.HTTPRequestsTotal, job)))), 8, 8)

	b.row("Latency")
	quantile := func(q float64, by string) string {
		return fmt.Sprintf("histogram_quantile(%s, sum by (%s) (%s))",
			strconv.FormatFloat(q, 'f', -1, 64), by, rate(metrics.HTTPRequestDurationSeconds+"_bucket", apiSel))
	}
	slow := fmt.Sprintf(`{resource.service.name="${service}" && duration > %s}`, r.APILatencyP95)
	b.add(timeseriesPanel(viz{title: "Request latency", unit: "s", minZero: true, thresholdLine: true,
		description: "p50, p95 and p99 of requests to matched routes. Dots are exemplars: requests with their trace id.",
		thresholds:  steps("green", step{r.APILatencyP95.Seconds(), "red"}),
		links:       traceLinks("Slow traces of $service", slow)},
		promQuery(quantile(0.5, "le")).legend("p50"),
		promQuery(quantile(0.95, "le")).legend("p95").withExemplars(),
		promQuery(quantile(0.99, "le")).legend("p99")), 12, 8)
	b.add(timeseriesPanel(viz{title: "p95 latency by route", unit: "s", minZero: true},
		promQuery(quantile(0.95, "le, "+metrics.LabelRoute))), 12, 8)

	b.row("Saturation")
	pods := `namespace="$namespace", pod=~"$pod"`
	perPod := func(numerator, resource string) string {
		return fmt.Sprintf(`sum by (namespace, pod) (%s{%s}) / sum by (namespace, pod) (%s{%s, resource=%q})`,
			numerator, pods, ksmContainerLimits, pods, resource)
	}
	saturation := steps("green", step{capacityUtilisationTarget, "red"})
	b.add(timeseriesPanel(viz{title: "CPU used / limit per pod", unit: "percentunit", minZero: true, thresholdLine: true,
		thresholds: saturation, dataLinks: podLinks()},
		promQuery(perPod(podCPURecord, "cpu"))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Memory working set / limit per pod", unit: "percentunit", minZero: true, thresholdLine: true,
		thresholds: saturation, dataLinks: podLinks()},
		promQuery(perPod(podMemoryRecord, "memory"))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Database connections in use", unit: "none", minZero: true},
		promQuery(fmt.Sprintf("sum by (%s) (%s{%s})", metrics.LabelDatabase, metrics.DBConnectionsActive, job))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Database query p95 latency by operation", unit: "s", minZero: true, thresholdLine: true,
		thresholds: steps("green", step{r.DBQueryLatencyP95.Seconds(), "red"})},
		promQuery(fmt.Sprintf("histogram_quantile(0.95, sum by (le, %s) (%s))",
			metrics.LabelOperation, rate(metrics.DBQueryDurationSeconds+"_bucket", job)))), 24, 8)

	if s.Logs || s.Traces {
		b.row("Logs and traces")
	}
	if s.Logs {
		b.add(logsPanel(viz{title: "Error log lines",
			description: "Lines of the service's pods that mention an error. Open a line for its trace."},
			lokiQuery(fmt.Sprintf(`{%s="$namespace", %s=~"$pod"} |~ "(?i)(error|panic|fatal)"`, lokiNamespaceLabel, lokiPodLabel))), 12, 10)
	}
	if s.Traces {
		b.add(tablePanel(viz{title: "Failed and slow traces",
			description: "Traces of the service with an error or slower than the latency objective."},
			tempoSearch(fmt.Sprintf(`{resource.service.name="$service" && (status=error || duration > %s)}`, r.APILatencyP95), 20)), 12, 10)
	}
	return b
}
