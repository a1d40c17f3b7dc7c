package telemetry

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Chart facts used as defaults: the newest release of each chart in its public repository in
// August 2026, read from the chart sources at the release tags (loki-18.11.0 and tempo-2.2.4 in
// grafana-community/helm-charts, opentelemetry-collector-0.170.0 in
// open-telemetry/opentelemetry-helm-charts). Grafana moved the OSS Loki and Tempo charts to
// grafana-community/helm-charts in 2026 (the README of each chart in grafana/helm-charts says
// so); the single-binary tempo chart is maintained there, not deprecated.
const (
	DefaultLokiChartRepository      = "https://grafana-community.github.io/helm-charts"
	DefaultLokiChartVersion         = "18.11.0" // Loki 3.7.6
	DefaultTempoChartRepository     = "https://grafana-community.github.io/helm-charts"
	DefaultTempoChartVersion        = "2.2.4" // Tempo 2.10.8
	DefaultCollectorChartRepository = "https://open-telemetry.github.io/opentelemetry-helm-charts"
	DefaultCollectorChartVersion    = "0.170.0"

	DefaultNamespace                = "telemetry"
	DefaultMonitoringNamespace      = "monitoring"
	DefaultLogsRetentionDays        = 30
	DefaultTracesRetentionDays      = 14
	DefaultSlowTraceThresholdMillis = 100 // the seed's p95 latency objective
	DefaultTraceSamplePercent       = 10.0
	DefaultStorageClassName         = "fast-ssd"
	DefaultVolumeSize               = "10Gi"

	// MaxRetentionDays is ten years, the longest retention the stack offers for any log store
	// (CloudWatch Logs' longest fixed retention is 3653 days as well, DESIGN.md §9).
	MaxRetentionDays = 3653
	// ObjectExpiryMarginDays is how long after the store's own retention S3 expires an object
	// anyway. The stores delete what they no longer need themselves (Loki's compactor, Tempo's
	// compactor); the bucket lifecycle is the backstop for what they miss, and must never remove
	// an object the store still reads, so it trails retention by a week (a compactor that was
	// down for days catches up before S3 acts).
	ObjectExpiryMarginDays = 7
)

// Toleration lets the node agent run on a tainted node pool.
type Toleration struct {
	Key    string
	Value  string
	Effect string
}

// DefaultNodeTolerations is the GPU pool's taint (DESIGN.md §1): the agent collects logs from the
// ml nodes too.
var DefaultNodeTolerations = []Toleration{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}}

// DefaultGrafanaPodLabels select the Grafana pods (the grafana chart's
// app.kubernetes.io/name=grafana) in MonitoringNamespace.
var DefaultGrafanaPodLabels = map[string]string{"app.kubernetes.io/name": "grafana"}

// DefaultPrometheusPodLabels select the Prometheus server pods: the Prometheus Operator labels
// every Prometheus pod app.kubernetes.io/name=prometheus.
var DefaultPrometheusPodLabels = map[string]string{"app.kubernetes.io/name": "prometheus"}

// DefaultHTTPSEgressCIDRs is where Loki, Tempo and the agents may open HTTPS connections: S3
// answers on public addresses (also behind an S3 gateway endpoint), and the API server on the
// control plane's addresses in the VPC.
var DefaultHTTPSEgressCIDRs = []string{"0.0.0.0/0"}

// PipelinesArgs configures the log and trace pipelines. Zero values mean the documented default.
type PipelinesArgs struct {
	// Namespace is created for the pipelines and holds all of them. Default: "telemetry".
	Namespace string
	// Environment is the stack name, recorded on every log record and span
	// (deployment.environment.name). Required, a DNS label.
	Environment string
	// Region is the AWS region of the buckets: Loki and Tempo address S3 there, and the key may
	// only be used through S3 of this region (kms:ViaService). Required.
	Region string

	// LokiChartRepository serves the loki chart. Default: DefaultLokiChartRepository.
	LokiChartRepository string
	// LokiChartVersion pins the loki chart. Default: "18.11.0".
	LokiChartVersion string
	// TempoChartRepository serves the tempo chart. Default: DefaultTempoChartRepository.
	TempoChartRepository string
	// TempoChartVersion pins the tempo chart (single binary). Default: "2.2.4".
	TempoChartVersion string
	// CollectorChartRepository serves the opentelemetry-collector chart.
	// Default: DefaultCollectorChartRepository.
	CollectorChartRepository string
	// CollectorChartVersion pins the opentelemetry-collector chart, used for both the agent and
	// the gateway. Default: "0.170.0".
	CollectorChartVersion string

	// LogsKmsKeyArn is the stack's logs KMS key; it encrypts both buckets (SSE-KMS), so logs and
	// traces at rest are under it. Required.
	LogsKmsKeyArn pulumi.StringInput
	// ClusterName is the EKS cluster's name, as the cluster's output: the Pod Identity
	// associations of Loki and Tempo wait for the cluster. Required.
	ClusterName pulumi.StringInput
	// ClusterNameValue is the same name as a plain string; the stores' role trust policies pin
	// it. Required.
	ClusterNameValue string
	// AccessLogsBucket receives the S3 server access logs of both buckets, like every other
	// bucket of the stack. Required.
	AccessLogsBucket pulumi.StringInput

	// LogsRetentionDays is how long Loki keeps logs (its compactor deletes older chunks);
	// S3 expires objects ObjectExpiryMarginDays later. Between 1 and 3653. Default: 30.
	LogsRetentionDays int
	// TracesRetentionDays is how long Tempo keeps traces (compactor block_retention); S3 expires
	// objects ObjectExpiryMarginDays later. Between 1 and 3653. Default: 14.
	TracesRetentionDays int
	// SlowTraceThresholdMillis: the gateway keeps every trace at least this long. Between 1 and
	// 9999, below the tail sampler's decision wait (10 s). Default: 100.
	SlowTraceThresholdMillis int
	// TraceSamplePercent of the other traces (fast, without error) is kept. Above 0, at most
	// 100. Default: 10.
	TraceSamplePercent float64

	// NodeTolerations let the agent DaemonSet run on tainted nodes.
	// Default: [ml-workload=true:NoSchedule].
	NodeTolerations []Toleration
	// StorageClassName provisions the write-ahead-log volumes of Loki and Tempo.
	// Default: "fast-ssd".
	StorageClassName string
	// VolumeSize is the size of each of those volumes (Mi, Gi or Ti). Default: "10Gi".
	VolumeSize string
	// ForceDestroy lets a destroy delete the buckets with their objects. Disposable stacks only.
	// Default: false.
	ForceDestroy bool

	// MonitoringNamespace is where Grafana and Prometheus run; the NetworkPolicies admit them.
	// Default: "monitoring".
	MonitoringNamespace string
	// GrafanaPodLabels select Grafana's pods in MonitoringNamespace.
	// Default: {"app.kubernetes.io/name": "grafana"}.
	GrafanaPodLabels map[string]string
	// PrometheusPodLabels select Prometheus's pods in MonitoringNamespace.
	// Default: {"app.kubernetes.io/name": "prometheus"}.
	PrometheusPodLabels map[string]string
	// HTTPSEgressCIDRs are the networks Loki, Tempo and the agents may reach on 443 (S3, the API
	// server). Narrow them to the S3 prefixes and the VPC where those are known.
	// Default: ["0.0.0.0/0"].
	HTTPSEgressCIDRs []string

	// WaitFor are resources the Helm releases wait for: the kube-prometheus-stack release, whose
	// CRDs the charts' ServiceMonitors need. A component may be passed: it stands for the
	// children attached to it when the releases register, which for a component built earlier
	// in the program is all of them. Default: none.
	WaitFor []pulumi.Resource
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	chartVersion = regexp.MustCompile(`^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$`)
	volumeSize   = regexp.MustCompile(`^([1-9][0-9]*)(Mi|Gi|Ti)$`)
	// EKS cluster names: 1 to 100 letters, digits, '-' or '_', starting with a letter or digit
	// (Amazon EKS API Reference, CreateCluster, name).
	clusterNameRe = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	kmsKeyArn     = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
	labelKeyRe    = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelValueRe  = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
	taintEffects  = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
)

func (a *PipelinesArgs) withDefaults() *PipelinesArgs {
	d := *a
	setDefault(&d.Namespace, DefaultNamespace)
	setDefault(&d.LokiChartRepository, DefaultLokiChartRepository)
	setDefault(&d.LokiChartVersion, DefaultLokiChartVersion)
	setDefault(&d.TempoChartRepository, DefaultTempoChartRepository)
	setDefault(&d.TempoChartVersion, DefaultTempoChartVersion)
	setDefault(&d.CollectorChartRepository, DefaultCollectorChartRepository)
	setDefault(&d.CollectorChartVersion, DefaultCollectorChartVersion)
	setDefault(&d.LogsRetentionDays, DefaultLogsRetentionDays)
	setDefault(&d.TracesRetentionDays, DefaultTracesRetentionDays)
	setDefault(&d.SlowTraceThresholdMillis, DefaultSlowTraceThresholdMillis)
	setDefault(&d.TraceSamplePercent, DefaultTraceSamplePercent)
	setDefault(&d.StorageClassName, DefaultStorageClassName)
	setDefault(&d.VolumeSize, DefaultVolumeSize)
	setDefault(&d.MonitoringNamespace, DefaultMonitoringNamespace)
	if d.NodeTolerations == nil {
		d.NodeTolerations = slices.Clone(DefaultNodeTolerations)
	}
	if len(d.GrafanaPodLabels) == 0 {
		d.GrafanaPodLabels = maps.Clone(DefaultGrafanaPodLabels)
	}
	if len(d.PrometheusPodLabels) == 0 {
		d.PrometheusPodLabels = maps.Clone(DefaultPrometheusPodLabels)
	}
	if len(d.HTTPSEgressCIDRs) == 0 {
		d.HTTPSEgressCIDRs = slices.Clone(DefaultHTTPSEgressCIDRs)
	}
	return &d
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate reports every problem with the arguments (after defaults), in the component's own
// field names. It reads no output: inputs that are outputs are only checked for presence.
func (a *PipelinesArgs) Validate() validate.Problems {
	var p validate.Problems
	if a == nil {
		p.Addf("args", "must be set")
		return p
	}
	d := a.withDefaults()

	checkDNSLabel(&p, "namespace", d.Namespace)
	checkDNSLabel(&p, "monitoringNamespace", d.MonitoringNamespace)
	if d.Environment == "" {
		p.Addf("environment", "must be set to the stack name")
	} else {
		checkDNSLabel(&p, "environment", d.Environment)
	}
	if !regionRe.MatchString(d.Region) {
		p.Addf("region", "must be an AWS region such as us-east-1, got %q", d.Region)
	}

	for _, c := range []struct{ field, v string }{
		{"lokiChartRepository", d.LokiChartRepository},
		{"tempoChartRepository", d.TempoChartRepository},
		{"collectorChartRepository", d.CollectorChartRepository},
	} {
		if u, err := url.Parse(c.v); err != nil || u.Scheme != "https" || u.Host == "" {
			p.Addf(c.field, "must be an https URL, got %q", c.v)
		}
	}
	for _, c := range []struct{ field, v string }{
		{"lokiChartVersion", d.LokiChartVersion},
		{"tempoChartVersion", d.TempoChartVersion},
		{"collectorChartVersion", d.CollectorChartVersion},
	} {
		if !chartVersion.MatchString(c.v) {
			p.Addf(c.field, "must be an exact chart version such as 1.2.3, got %q", c.v)
		}
	}

	switch k := d.LogsKmsKeyArn.(type) {
	case nil:
		p.Addf("logsKmsKeyArn", "must be set: the logs key encrypts the log and trace buckets")
	case pulumi.String:
		if !kmsKeyArn.MatchString(string(k)) {
			p.Addf("logsKmsKeyArn", "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got %q", string(k))
		}
	}
	if d.ClusterName == nil {
		p.Addf("clusterName", "must be set: Loki and Tempo reach S3 through Pod Identity associations of the cluster")
	}
	if !clusterNameRe.MatchString(d.ClusterNameValue) {
		p.Addf("clusterNameValue", "must be an EKS cluster name (the stores' role trust policies pin it), got %q", d.ClusterNameValue)
	}
	if d.AccessLogsBucket == nil {
		p.Addf("accessLogsBucket", "must be set: every bucket of the stack logs its access")
	}

	p.IntRange("logsRetentionDays", d.LogsRetentionDays, 1, MaxRetentionDays)
	p.IntRange("tracesRetentionDays", d.TracesRetentionDays, 1, MaxRetentionDays)
	// A root span ending after the tail sampler's decision wait is judged without it.
	if maxMillis := int(decisionWait/time.Millisecond) - 1; d.SlowTraceThresholdMillis < 1 || d.SlowTraceThresholdMillis > maxMillis {
		p.Addf("slowTraceThresholdMillis", "must be between 1 and %d (below the tail sampler's %s decision wait), got %d",
			maxMillis, decisionWait, d.SlowTraceThresholdMillis)
	}
	if d.TraceSamplePercent <= 0 || d.TraceSamplePercent > 100 {
		p.Addf("traceSamplePercent", "must be above 0 and at most 100, got %v", d.TraceSamplePercent)
	}

	for i, t := range d.NodeTolerations {
		field := fmt.Sprintf("nodeTolerations[%d]", i)
		if !labelKeyRe.MatchString(t.Key) {
			p.Addf(field+".key", "must be a taint key such as ml-workload, got %q", t.Key)
		}
		if !labelValueRe.MatchString(t.Value) {
			p.Addf(field+".value", "must be a taint value (63 characters of [A-Za-z0-9-_.]), got %q", t.Value)
		}
		if !slices.Contains(taintEffects, t.Effect) {
			p.Addf(field+".effect", "must be one of %s, got %q", strings.Join(taintEffects, ", "), t.Effect)
		}
	}
	if len(d.StorageClassName) > 253 || !dnsSubdomain.MatchString(d.StorageClassName) {
		p.Addf("storageClassName", "must be a DNS subdomain, got %q", d.StorageClassName)
	}
	if !volumeSize.MatchString(d.VolumeSize) {
		p.Addf("volumeSize", "must be a volume size in Mi, Gi or Ti such as 10Gi, got %q", d.VolumeSize)
	}
	checkLabels(&p, "grafanaPodLabels", d.GrafanaPodLabels)
	checkLabels(&p, "prometheusPodLabels", d.PrometheusPodLabels)
	for i, c := range d.HTTPSEgressCIDRs {
		p.CIDR(fmt.Sprintf("httpsEgressCIDRs[%d]", i), c)
	}
	return p
}

func checkDNSLabel(p *validate.Problems, field, v string) {
	if !dnsLabel.MatchString(v) {
		p.Addf(field, "must be a DNS label (lower case letters, digits, '-'), got %q", v)
	}
}

func checkLabels(p *validate.Problems, field string, l map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if len(k) > 316 || !labelKeyRe.MatchString(k) {
			p.Addf(field, "key %q is not a label key", k)
		}
		if !labelValueRe.MatchString(l[k]) {
			p.Addf(field+"."+k, "must be a label value (63 characters of [A-Za-z0-9-_.]), got %q", l[k])
		}
	}
}

// collectorSettings are the inputs of AgentConfig and GatewayConfig. a must be defaulted.
func (a *PipelinesArgs) collectorSettings() CollectorSettings {
	return CollectorSettings{
		Namespace:          a.Namespace,
		Environment:        a.Environment,
		SlowTraceThreshold: millis(a.SlowTraceThresholdMillis),
		SamplePercent:      a.TraceSamplePercent,
	}
}
