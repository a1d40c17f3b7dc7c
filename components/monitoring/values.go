package monitoring

import (
	"fmt"
	"strconv"
)

// In-cluster names the stack fixes so that other components can address its services.
const (
	// KubePrometheusStackRelease is the Helm release name; the chart names its objects after it
	// (kube-prometheus-stack-alertmanager, kube-prometheus-stack-prometheus, ...).
	KubePrometheusStackRelease = "kube-prometheus-stack"
	// BlackboxExporterRelease is the Helm release name of the blackbox exporter, also its
	// fullnameOverride, so its Service is blackbox-exporter.<namespace>.svc:9115.
	BlackboxExporterRelease = "blackbox-exporter"
	// GrafanaAdminSecretName holds admin-user and admin-password for Grafana.
	GrafanaAdminSecretName = "grafana-admin-credentials"
	// AlertmanagerConfigSecretName holds alertmanager.yaml for the Alertmanager.
	AlertmanagerConfigSecretName = "alertmanager-novacron-config"
	// AnnotationScrapeJob scrapes Services annotated prometheus.io/scrape: "true".
	AnnotationScrapeJob = "kubernetes-service-endpoints"

	probeJobName          = "blackbox-http"
	probeModule           = "http_2xx"
	blackboxPort          = 9115
	alertmanagerPort      = 9093
	prometheusPort        = 9090
	grafanaAdminUserKey   = "admin-user"
	grafanaAdminPassKey   = "admin-password"
	alertmanagerSecretKey = "alertmanager.yaml"
	dashboardProvider     = "novacron"
	// grafanaDatasourceName is the name kube-prometheus-stack gives its Prometheus datasource
	// (grafana.sidecar.datasources.name); the chart substitutes it into downloaded dashboards.
	grafanaDatasourceName = "Prometheus"
	// exemplarStorageSize is how many exemplars Prometheus keeps in memory, all series
	// together: Prometheus's own default, about 100 bytes each (Prometheus feature flags,
	// "Exemplars storage"), so some 10 MB.
	exemplarStorageSize = 100000
)

// kubePrometheusStackValues renders the chart values. They name the Secrets that hold the
// credentials and never contain a credential. Value names were checked against the chart's
// values.yaml and the grafana and prometheus-node-exporter subcharts (see doc.go).
func kubePrometheusStackValues(d *StackArgs, sloDashboard string) map[string]any {
	rwo := []any{"ReadWriteOnce"}
	claim := func(size string) map[string]any {
		return map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
			"storageClassName": d.StorageClassName,
			"accessModes":      rwo,
			"resources":        map[string]any{"requests": map[string]any{"storage": size}},
		}}}
	}

	grafana := map[string]any{
		"admin": map[string]any{
			"existingSecret": GrafanaAdminSecretName,
			"userKey":        grafanaAdminUserKey,
			"passwordKey":    grafanaAdminPassKey,
		},
		"persistence": map[string]any{
			"enabled":          true,
			"type":             "pvc",
			"storageClassName": d.StorageClassName,
			"accessModes":      rwo,
			"size":             d.GrafanaStorageSize,
		},
		// A ReadWriteOnce volume cannot be attached to the new pod of a rolling update while
		// the old pod holds it: replace the pod instead.
		"deploymentStrategy": map[string]any{"type": "Recreate"},
	}
	if dashboards := grafanaDashboards(d, sloDashboard); len(dashboards) > 0 {
		grafana["dashboardProviders"] = map[string]any{"dashboardproviders.yaml": map[string]any{
			"apiVersion": 1,
			"providers": []any{map[string]any{
				"name":            dashboardProvider,
				"orgId":           1,
				"folder":          "NovaCron",
				"type":            "file",
				"disableDeletion": true,
				"editable":        false,
				"options":         map[string]any{"path": "/var/lib/grafana/dashboards/" + dashboardProvider},
			}},
		}}
		grafana["dashboards"] = map[string]any{dashboardProvider: dashboards}
	}
	grafanaDataSourceValues(d, grafana)

	// The annotation-driven job discovers targets through EndpointSlices. The chart's
	// Prometheus ClusterRole grants them at 88.5.3; the rule stays so that an older pinned
	// chart works too.
	clusterRules := []any{map[string]any{
		"apiGroups": []any{"discovery.k8s.io"},
		"resources": []any{"endpointslices"},
		"verbs":     []any{"get", "list", "watch"},
	}}
	if !d.DisableControlPlaneMetrics {
		clusterRules = append(clusterRules, eksControlPlaneRBACRule())
	}

	values := map[string]any{
		// Helm installs CRDs on first install only; the chart's hook job re-applies them
		// server-side before every upgrade so a chart upgrade brings its operator's CRDs along.
		"crds": map[string]any{"upgradeJob": map[string]any{"enabled": !d.DisableCRDUpgradeJob}},
		"alertmanager": map[string]any{"alertmanagerSpec": map[string]any{
			// The configuration, with its secrets, is the Secret this component creates; the
			// chart's own configuration Secret is not rendered.
			"useExistingSecret": true,
			"configSecret":      AlertmanagerConfigSecretName,
			"storage":           claim(d.AlertmanagerStorageSize),
		}},
		"grafana": grafana,
		"prometheus": map[string]any{
			"additionalRulesForClusterRole": clusterRules,
			"prometheusSpec": map[string]any{
				"retention":     d.PrometheusRetention,
				"retentionSize": retentionSize(d.PrometheusStorageSize),
				"storageSpec":   claim(d.PrometheusStorageSize),
				// Select monitors, probes and rules of every namespace, not only those labelled
				// with this Helm release.
				"serviceMonitorSelectorNilUsesHelmValues": false,
				"podMonitorSelectorNilUsesHelmValues":     false,
				"probeSelectorNilUsesHelmValues":          false,
				"ruleSelectorNilUsesHelmValues":           false,
				"scrapeConfigSelectorNilUsesHelmValues":   false,
				"additionalScrapeConfigs":                 additionalScrapeConfigs(d),
				// Keep the exemplars (trace ids) the NovaCron services attach to their latency
				// histograms, so a latency panel links to the traces behind it. Prometheus 3 still
				// stores them only with this feature flag; the chart passes enableFeatures and
				// exemplars to the Prometheus resource (values.yaml and
				// templates/prometheus/prometheus.yaml at 88.5.3).
				"enableFeatures": []any{"exemplar-storage"},
				"exemplars":      map[string]any{"maxSize": exemplarStorageSize},
			},
		},
		"kube-state-metrics": kubeStateMetricsValues(),
		"prometheus-node-exporter": map[string]any{
			"tolerations": nodeExporterTolerations(d.NodeTolerations),
			// The node exporter's Service carries prometheus.io/scrape: "true" by default; the
			// chart's ServiceMonitor already scrapes it, so keep the annotation job off it.
			"service": map[string]any{"annotations": map[string]any{"prometheus.io/scrape": "false"}},
		},
	}
	eksControlPlaneValues(values)
	return values
}

// grafanaDashboards lists the dashboards of the NovaCron provider.
func grafanaDashboards(d *StackArgs, sloDashboard string) map[string]any {
	out := map[string]any{}
	if !d.DisableCommunityDashboards {
		for _, db := range d.CommunityDashboards {
			out[db.Name] = map[string]any{
				"gnetId":     db.GnetID,
				"revision":   db.Revision,
				"datasource": grafanaDatasourceName,
			}
		}
	}
	if !d.DisableSLODashboard {
		for uid, doc := range NovaCronDashboards(d.dashboardSettings()) {
			out[uid] = map[string]any{"json": doc}
		}
		out[SLODashboardUID] = map[string]any{"json": sloDashboard}
	}
	return out
}

// kubeStateMetricsValues let kube-state-metrics export the node labels that name a node's pool,
// karpenter.sh/nodepool (Karpenter's nodes) and eks.amazonaws.com/nodegroup (the managed system
// group), as label_karpenter_sh_nodepool and label_eks_amazonaws_com_nodegroup on
// kube_node_labels (--metric-labels-allowlist, rendered from metricLabelsAllowlist by the
// kube-state-metrics chart 8.4.0): the capacity dashboard and the node-pool capacity rules group
// by them (nodePoolRecord). workload stays for ad-hoc queries by the platform's own label.
func kubeStateMetricsValues() map[string]any {
	return map[string]any{"metricLabelsAllowlist": []any{
		"nodes=[karpenter.sh/nodepool,eks.amazonaws.com/nodegroup,workload]",
	}}
}

// nodeExporterTolerations keeps the chart's default (tolerate every NoSchedule taint) and adds
// the configured taints explicitly: a list value replaces the chart's list, and the explicit
// entries keep the GPU nodes covered should the chart's default ever narrow.
func nodeExporterTolerations(ts []Toleration) []any {
	out := []any{map[string]any{"operator": "Exists", "effect": "NoSchedule"}}
	for _, t := range ts {
		tol := map[string]any{"key": t.Key, "effect": t.Effect, "operator": "Exists"}
		if t.Value != "" {
			tol["operator"] = "Equal"
			tol["value"] = t.Value
		}
		out = append(out, tol)
	}
	return out
}

// additionalScrapeConfigs are the plain Prometheus scrape jobs appended to the ones the
// operator generates.
func additionalScrapeConfigs(d *StackArgs) []any {
	jobs := []any{map[string]any{
		"job_name":              AnnotationScrapeJob,
		"kubernetes_sd_configs": []any{map[string]any{"role": "endpointslice"}},
		"relabel_configs": []any{
			relabelRule("keep", []string{"__meta_kubernetes_service_annotation_prometheus_io_scrape"}, "true", "", ""),
			// The API has its own ServiceMonitor; scraping it twice would double its series.
			relabelRule("drop", []string{"__meta_kubernetes_service_label_app"}, d.APIServiceName, "", ""),
			relabelRule("replace", []string{"__meta_kubernetes_service_annotation_prometheus_io_scheme"}, "(https?)", "__scheme__", "$1"),
			relabelRule("replace", []string{"__meta_kubernetes_service_annotation_prometheus_io_path"}, "(.+)", "__metrics_path__", "$1"),
			relabelRule("replace", []string{"__address__", "__meta_kubernetes_service_annotation_prometheus_io_port"},
				`(.+?)(?::\d+)?;(\d+)`, "__address__", "$1:$2"),
			map[string]any{"action": "labelmap", "regex": "__meta_kubernetes_service_label_(.+)"},
			relabelRule("replace", []string{"__meta_kubernetes_namespace"}, "(.*)", "namespace", "$1"),
			relabelRule("replace", []string{"__meta_kubernetes_service_name"}, "(.*)", "service", "$1"),
			relabelRule("replace", []string{"__meta_kubernetes_pod_name"}, "(.*)", "pod", "$1"),
		},
	}}
	if len(d.ProbeURLs) > 0 {
		targets := make([]any, len(d.ProbeURLs))
		for i, u := range d.ProbeURLs {
			targets[i] = u
		}
		jobs = append(jobs, map[string]any{
			"job_name":       probeJobName,
			"metrics_path":   "/probe",
			"params":         map[string]any{"module": []any{probeModule}},
			"static_configs": []any{map[string]any{"targets": targets}},
			"relabel_configs": []any{
				relabelRule("replace", []string{"__address__"}, "(.*)", "__param_target", "$1"),
				relabelRule("replace", []string{"__param_target"}, "(.*)", "instance", "$1"),
				map[string]any{"target_label": "__address__", "replacement": blackboxAddress(d.Namespace)},
			},
		})
	}
	if !d.DisableControlPlaneMetrics {
		jobs = append(jobs, eksControlPlaneScrapeJobs()...)
	}
	if !d.DisableKarpenterMetrics {
		jobs = append(jobs, karpenterScrapeJob(d.KarpenterNamespace))
	}
	return jobs
}

// karpenterScrapeJob scrapes every Karpenter replica through the endpoints of its Service. The
// chart's own ServiceMonitor (serviceMonitor.enabled) would need the Prometheus Operator CRDs,
// which arrive with this stack, after Karpenter; a plain job has no such order. Prometheus
// reaches the pods: neither kube-system nor this namespace has a NetworkPolicy of the platform,
// kube-prometheus-stack's prometheus.networkPolicy is off by default and not set here (a test
// keeps it so), and the node security group admits all traffic between nodes
// (components/cluster).
func karpenterScrapeJob(namespace string) map[string]any {
	return map[string]any{
		"job_name": karpenterJob,
		"kubernetes_sd_configs": []any{map[string]any{
			"role":       "endpointslice",
			"namespaces": map[string]any{"names": []any{namespace}},
		}},
		"relabel_configs": []any{
			relabelRule("keep", []string{"__meta_kubernetes_service_name"}, karpenterService, "", ""),
			relabelRule("keep", []string{"__meta_kubernetes_endpointslice_port_name"}, karpenterMetricsPort, "", ""),
			relabelRule("replace", []string{"__meta_kubernetes_namespace"}, "(.*)", "namespace", "$1"),
			relabelRule("replace", []string{"__meta_kubernetes_service_name"}, "(.*)", "service", "$1"),
			relabelRule("replace", []string{"__meta_kubernetes_pod_name"}, "(.*)", "pod", "$1"),
		},
	}
}

func relabelRule(action string, sources []string, regex, target, replacement string) map[string]any {
	src := make([]any, len(sources))
	for i, s := range sources {
		src[i] = s
	}
	r := map[string]any{"action": action, "source_labels": src, "regex": regex}
	if target != "" {
		r["target_label"] = target
		r["replacement"] = replacement
	}
	return r
}

func blackboxAddress(namespace string) string {
	return fmt.Sprintf("%s.%s.svc:%d", BlackboxExporterRelease, namespace, blackboxPort)
}

// blackboxExporterValues configures the exporter with the http_2xx module the probe job uses.
func blackboxExporterValues() map[string]any {
	return map[string]any{
		"fullnameOverride": BlackboxExporterRelease,
		"config": map[string]any{"modules": map[string]any{probeModule: map[string]any{
			"prober":  "http",
			"timeout": "5s",
			"http": map[string]any{
				"valid_http_versions":   []any{"HTTP/1.1", "HTTP/2.0"},
				"follow_redirects":      true,
				"fail_if_not_ssl":       true,
				"preferred_ip_protocol": "ip4",
			},
		}}},
	}
}

// retentionSize is 90% of the volume in Prometheus's size units, which are powers of two
// (Prometheus storage docs: "1KB is 1024B"), so Gi maps onto GB.
func retentionSize(volume string) string {
	m := volumeSize.FindStringSubmatch(volume)
	if m == nil {
		return ""
	}
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "Mi":
		return strconv.Itoa(n*9/10) + "MB"
	case "Ti":
		return strconv.Itoa(n*1024*9/10) + "GB"
	default:
		return strconv.Itoa(n*9/10) + "GB"
	}
}
