package monitoring

import (
	"encoding/json"
	"testing"

	"github.com/novacron/platform/components/karpenter"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

type scrapeJob struct {
	JobName       string              `yaml:"job_name"`
	MetricsPath   string              `yaml:"metrics_path"`
	Params        map[string][]string `yaml:"params"`
	SDConfigs     []kubernetesSD      `yaml:"kubernetes_sd_configs"`
	StaticConfigs []struct {
		Targets []string `yaml:"targets"`
	} `yaml:"static_configs"`
	RelabelConfigs []*relabel.Config `yaml:"relabel_configs"`
}

// kubernetesSD is a kubernetes_sd_configs entry (Prometheus configuration,
// <kubernetes_sd_config>): the role and the namespaces it watches.
type kubernetesSD struct {
	Role       string `yaml:"role"`
	Namespaces struct {
		Names []string `yaml:"names"`
	} `yaml:"namespaces"`
}

// scrapeJobs decodes the generated jobs with Prometheus's own relabel configuration type and
// validates every rule the way Prometheus does when it loads its configuration.
func scrapeJobs(t *testing.T, d StackArgs) map[string]scrapeJob {
	t.Helper()
	raw, err := yaml.Marshal(additionalScrapeConfigs(&d))
	require.NoError(t, err)
	var jobs []scrapeJob
	require.NoError(t, yaml.Unmarshal(raw, &jobs))
	out := map[string]scrapeJob{}
	for _, j := range jobs {
		for _, rc := range j.RelabelConfigs {
			require.NoError(t, rc.Validate(model.UTF8Validation), "%s: %+v", j.JobName, rc)
		}
		out[j.JobName] = j
	}
	return out
}

// relabelTarget applies a job's relabelling to discovered labels the way Prometheus does for a
// target: __scheme__ and __metrics_path__ start from the job's defaults.
func relabelTarget(job scrapeJob, discovered map[string]string) (map[string]string, bool) {
	path := job.MetricsPath
	if path == "" {
		path = "/metrics"
	}
	base := map[string]string{"__scheme__": "http", "__metrics_path__": path, "job": job.JobName}
	for k, v := range discovered {
		base[k] = v
	}
	b := labels.NewBuilder(labels.FromMap(base))
	if !relabel.ProcessBuilder(b, job.RelabelConfigs...) {
		return nil, false
	}
	return b.Labels().Map(), true
}

func TestAnnotationScrapeJob(t *testing.T) {
	d := (&StackArgs{ProbeURLs: []string{"https://api.novacron.example/health"}}).withDefaults()
	job := scrapeJobs(t, d)[AnnotationScrapeJob]
	require.Len(t, job.SDConfigs, 1)
	assert.Equal(t, "endpointslice", job.SDConfigs[0].Role)
	assert.Empty(t, job.SDConfigs[0].Namespaces.Names, "every namespace")

	endpoint := func(extra map[string]string) map[string]string {
		l := map[string]string{
			"__address__":                         "10.1.2.3:8080",
			"__meta_kubernetes_namespace":         "production",
			"__meta_kubernetes_service_name":      "billing",
			"__meta_kubernetes_pod_name":          "billing-7c9d",
			"__meta_kubernetes_service_label_app": "billing",
		}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	const scrape = "__meta_kubernetes_service_annotation_prometheus_io_scrape"
	tests := []struct {
		name    string
		labels  map[string]string
		keep    bool
		address string
		path    string
		scheme  string
	}{
		{"not annotated", endpoint(nil), false, "", "", ""},
		{"annotated false", endpoint(map[string]string{scrape: "false"}), false, "", "", ""},
		{"annotated, defaults", endpoint(map[string]string{scrape: "true"}), true, "10.1.2.3:8080", "/metrics", "http"},
		{"path annotation honoured", endpoint(map[string]string{
			scrape: "true", "__meta_kubernetes_service_annotation_prometheus_io_path": "/internal/metrics",
		}), true, "10.1.2.3:8080", "/internal/metrics", "http"},
		{"port and scheme annotations", endpoint(map[string]string{
			scrape: "true",
			"__meta_kubernetes_service_annotation_prometheus_io_port":   "9102",
			"__meta_kubernetes_service_annotation_prometheus_io_scheme": "https",
		}), true, "10.1.2.3:9102", "/metrics", "https"},
		{"the API is left to its ServiceMonitor", endpoint(map[string]string{
			scrape: "true", "__meta_kubernetes_service_label_app": "novacron-api",
		}), false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, keep := relabelTarget(job, tt.labels)
			require.Equal(t, tt.keep, keep)
			if !keep {
				return
			}
			assert.Equal(t, tt.address, got["__address__"])
			assert.Equal(t, tt.path, got["__metrics_path__"])
			assert.Equal(t, tt.scheme, got["__scheme__"])
			assert.Equal(t, "production", got["namespace"])
			assert.Equal(t, "billing", got["service"])
			assert.Equal(t, "billing-7c9d", got["pod"])
			assert.Equal(t, "billing", got["app"], "Service labels are copied")
		})
	}
}

func TestBlackboxProbeJob(t *testing.T) {
	d := (&StackArgs{ProbeURLs: []string{"https://api.novacron.example/health", "https://app.novacron.example/"}}).withDefaults()
	job := scrapeJobs(t, d)[probeJobName]
	assert.Equal(t, "/probe", job.MetricsPath)
	assert.Equal(t, map[string][]string{"module": {probeModule}}, job.Params)
	require.Len(t, job.StaticConfigs, 1)
	assert.Equal(t, d.ProbeURLs, job.StaticConfigs[0].Targets)

	for _, target := range d.ProbeURLs {
		got, keep := relabelTarget(job, map[string]string{"__address__": target})
		require.True(t, keep)
		assert.Equal(t, target, got["__param_target"], "the exporter probes the URL")
		assert.Equal(t, target, got["instance"], "series are named after the URL")
		assert.Equal(t, "blackbox-exporter.monitoring.svc:9115", got["__address__"], "Prometheus asks the exporter")
	}

	// The exporter's module of that name exists and insists on TLS.
	module := blackboxExporterValues()["config"].(map[string]any)["modules"].(map[string]any)[probeModule].(map[string]any)
	assert.Equal(t, "http", module["prober"])
	assert.Equal(t, true, module["http"].(map[string]any)["fail_if_not_ssl"])

	// Without URLs there is no probe job at all.
	_, ok := scrapeJobs(t, (&StackArgs{}).withDefaults())[probeJobName]
	assert.False(t, ok)
}

func TestNodeExporterToleratesTheGPUTaint(t *testing.T) {
	d := (&StackArgs{}).withDefaults()
	raw, err := json.Marshal(nodeExporterTolerations(d.NodeTolerations))
	require.NoError(t, err)
	var tolerations []corev1.Toleration
	require.NoError(t, json.Unmarshal(raw, &tolerations))

	tolerates := func(taint corev1.Taint) bool {
		for i := range tolerations {
			if tolerations[i].ToleratesTaint(klog.Background(), &taint, false) {
				return true
			}
		}
		return false
	}
	assert.True(t, tolerates(corev1.Taint{Key: "ml-workload", Value: "true", Effect: corev1.TaintEffectNoSchedule}))
	assert.True(t, tolerates(corev1.Taint{Key: "dedicated", Value: "x", Effect: corev1.TaintEffectNoSchedule}), "chart default kept")
	assert.False(t, tolerates(corev1.Taint{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute}))
}

func TestRetentionSize(t *testing.T) {
	for in, want := range map[string]string{"500Gi": "450GB", "100Gi": "90GB", "2Ti": "1843GB", "512Mi": "460MB", "bad": ""} {
		assert.Equal(t, want, retentionSize(in), in)
	}
}

func TestKarpenterScrapeJob(t *testing.T) {
	// The namespace components/karpenter installs the controller in.
	assert.Equal(t, karpenter.Namespace, DefaultKarpenterNamespace)

	d := (&StackArgs{}).withDefaults()
	job := scrapeJobs(t, d)[karpenterJob]
	require.Len(t, job.SDConfigs, 1)
	assert.Equal(t, "endpointslice", job.SDConfigs[0].Role)
	assert.Equal(t, []string{"kube-system"}, job.SDConfigs[0].Namespaces.Names, "discovery watches Karpenter's namespace only")

	endpoint := func(service, port string) map[string]string {
		return map[string]string{
			"__address__":                               "10.0.1.9:8080",
			"__meta_kubernetes_namespace":               "kube-system",
			"__meta_kubernetes_service_name":            service,
			"__meta_kubernetes_endpointslice_port_name": port,
			"__meta_kubernetes_pod_name":                "karpenter-7d9f-a",
		}
	}
	got, keep := relabelTarget(job, endpoint("karpenter", "http-metrics"))
	require.True(t, keep)
	assert.Equal(t, "10.0.1.9:8080", got["__address__"])
	assert.Equal(t, "/metrics", got["__metrics_path__"])
	assert.Equal(t, "http", got["__scheme__"])
	assert.Equal(t, karpenterJob, got["job"])
	assert.Equal(t, "kube-system", got["namespace"], "the alerts select job and namespace")
	assert.Equal(t, "karpenter-7d9f-a", got["pod"])
	for _, other := range []map[string]string{endpoint("kube-dns", "metrics"), endpoint("karpenter", "http"), endpoint("karpenter-webhook", "http-metrics")} {
		_, keep := relabelTarget(job, other)
		assert.False(t, keep, "%v", other)
	}

	job = scrapeJobs(t, (&StackArgs{KarpenterNamespace: "karpenter"}).withDefaults())[karpenterJob]
	assert.Equal(t, []string{"karpenter"}, job.SDConfigs[0].Namespaces.Names)

	_, ok := scrapeJobs(t, (&StackArgs{DisableKarpenterMetrics: true}).withDefaults())[karpenterJob]
	assert.False(t, ok, "DisableKarpenterMetrics leaves the job out")
}

// Prometheus reaches the Karpenter pods in kube-system only as long as no NetworkPolicy selects
// Prometheus: the chart renders one from prometheus.networkPolicy, which is off by default
// (kube-prometheus-stack values.yaml) and must stay unset here, or allow the Karpenter port.
func TestPrometheusHasNoEgressPolicy(t *testing.T) {
	d := (&StackArgs{}).withDefaults()
	prometheus := kubePrometheusStackValues(&d, "{}")["prometheus"].(map[string]any)
	assert.NotContains(t, prometheus, "networkPolicy")
}
