package monitoring

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/novacron/platform/internal/validate"
	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Chart facts used as defaults. Versions: the current releases in the public chart
// repositories (DESIGN.md §8, summer 2026); pin them in stack config to upgrade deliberately.
const (
	DefaultChartRepository            = "https://prometheus-community.github.io/helm-charts"
	DefaultKubePrometheusStackVersion = "88.5.3"
	DefaultBlackboxExporterVersion    = "11.17.2"
	// DefaultRunbookBaseURL serves docs/runbooks of this repository; every alert NovaCron
	// defines links to <base>/<AlertName>.md.
	DefaultRunbookBaseURL = "https://github.com/novacron/platform/blob/main/docs/runbooks"
	// DefaultKarpenterNamespace is where components/karpenter installs the controller.
	DefaultKarpenterNamespace = "kube-system"
)

// GrafanaNetDashboard is a dashboard Grafana downloads from grafana.com at start-up.
type GrafanaNetDashboard struct {
	// Name is the file name Grafana provisions the dashboard under (a DNS label).
	Name string
	// GnetID is the dashboard's grafana.com id.
	GnetID int
	// Revision pins the dashboard revision (the chart downloads revision 1 when none is given).
	Revision int
}

// Toleration lets node-level exporters run on a tainted node pool.
type Toleration struct {
	Key    string
	Value  string
	Effect string
}

// StackArgs configures the monitoring stack. Zero values mean the documented default.
type StackArgs struct {
	// Namespace is created for the stack and holds every object of it. Default: "monitoring".
	Namespace string
	// ChartRepository serves both charts. Default: DefaultChartRepository.
	ChartRepository string
	// KubePrometheusStackVersion pins the kube-prometheus-stack chart. Default: "88.5.3".
	KubePrometheusStackVersion string
	// BlackboxExporterVersion pins the prometheus-blackbox-exporter chart. Default: "11.17.2".
	BlackboxExporterVersion string
	// ReleaseTimeoutSeconds bounds each Kubernetes operation of a Helm release; the
	// kube-prometheus-stack install waits for a 500Gi volume to bind and often exceeds Helm's
	// 300 s (DESIGN.md §8). Between 300 and 3600. Default: 1200.
	ReleaseTimeoutSeconds int
	// DisableCRDUpgradeJob turns off the chart's pre-upgrade job that applies the Prometheus
	// Operator CRDs server-side; without it, Helm installs the CRDs once and never upgrades them.
	// Default: false.
	DisableCRDUpgradeJob bool

	// PrometheusRetention is how long Prometheus keeps samples (Prometheus duration). Default: "30d".
	PrometheusRetention string
	// PrometheusStorageSize is the Prometheus volume (Mi, Gi or Ti); retention by size is set to
	// 90% of it so the TSDB never fills the volume. Default: "500Gi".
	PrometheusStorageSize string
	// StorageClassName is used by the Prometheus, Alertmanager and Grafana volumes
	// (ReadWriteOnce). Default: "fast-ssd".
	StorageClassName string
	// GrafanaStorageSize is Grafana's volume. Default: "100Gi".
	GrafanaStorageSize string
	// AlertmanagerStorageSize keeps silences and the notification log across restarts.
	// Default: "10Gi".
	AlertmanagerStorageSize string

	// ProbeURLs are the HTTPS endpoints the blackbox exporter probes with its http_2xx module
	// (the API health URL and the web app). Default: none (the probe job is left out).
	ProbeURLs []string
	// NodeTolerations are added to the node exporter so it also runs on tainted pools.
	// Default: [{ml-workload, true, NoSchedule}].
	NodeTolerations []Toleration
	// DisableControlPlaneMetrics leaves out the scrape of the scheduler and controller-manager
	// metrics that EKS 1.28 and later serve through the API server (jobs kube-scheduler and
	// kube-controller-manager) and the RBAC rule Prometheus needs to read them. The chart's own
	// control-plane scrapes are off either way: EKS does not expose those targets.
	// Default: false.
	DisableControlPlaneMetrics bool

	// APIServiceName is the Kubernetes Service (label app=<name>) of the API; the ServiceMonitor
	// selects it and the SLO rules use it as job label. Default: "novacron-api".
	APIServiceName string
	// APINamespaces limits the ServiceMonitor to these namespaces. Default: every namespace.
	APINamespaces []string
	// APIMetricsPort is the name of the Service port serving /metrics. Default: "http".
	APIMetricsPort string
	// APIMetricsPath is the path of the API's metrics. Default: "/metrics".
	APIMetricsPath string

	// AvailabilityTarget is the API availability objective, above 0.9 and below 1. Default: 0.999.
	AvailabilityTarget float64
	// APILatencyP95Millis is the API p95 latency objective in milliseconds. Default: 100.
	APILatencyP95Millis int
	// DBQueryLatencyP95Millis is the database query p95 latency objective in milliseconds.
	// Default: 250.
	DBQueryLatencyP95Millis int
	// JobFailureRatio is the highest tolerated share of failed jobs over 15 minutes, above 0 and
	// below 1. Default: 0.05.
	JobFailureRatio float64

	// GrafanaAdminUser is the Grafana administrator's login. Default: "admin".
	GrafanaAdminUser string
	// GrafanaAdminPassword is the Grafana administrator's password (secret). Required.
	GrafanaAdminPassword pulumi.StringInput
	// DisableCommunityDashboards leaves out the grafana.com dashboards (Grafana downloads them at
	// start-up, which needs egress to grafana.com). Default: false.
	DisableCommunityDashboards bool
	// CommunityDashboards are the grafana.com dashboards to provision.
	// Default: gnet 15758 revision 46 and gnet 7249 revision 1.
	CommunityDashboards []GrafanaNetDashboard
	// DisableSLODashboard leaves out NovaCron's own dashboards (SLO, services, business,
	// capacity). Default: false.
	DisableSLODashboard bool

	// PagerDutyRoutingKey is the PagerDuty Events API v2 routing key for critical alerts
	// (secret). Required.
	PagerDutyRoutingKey pulumi.StringInput
	// SlackWebhookURL is the Slack incoming webhook for warnings (secret). Required.
	SlackWebhookURL pulumi.StringInput
	// SlackChannel receives the warnings: "#" and a Slack channel name (up to 80 lowercase
	// letters, digits, '-' or '_'), or a channel ID such as C0123456789. Default:
	// "#novacron-alerts".
	SlackChannel string
	// WebhookURL receives every alert that is neither critical nor warning (http or https).
	// When empty, those alerts are kept in Alertmanager but delivered nowhere. Default: "".
	WebhookURL string

	// HeartbeatURL is the dead-man's switch: Alertmanager sends the always-firing Watchdog
	// alert there every HeartbeatInterval, and the service behind it pages when the pings stop
	// (secret, https). Required.
	HeartbeatURL pulumi.StringInput
	// HeartbeatInterval is how often the Watchdog heartbeat is re-sent (Alertmanager duration,
	// 1m to 1h). The heartbeat service's own grace period must be longer. Default: "1m".
	HeartbeatInterval string
	// WarningEscalationAfter is how long a warning may keep firing before a critical
	// NovaCronWarningEscalated alert pages for it (Prometheus duration, 15m to 7d).
	// Default: "2h".
	WarningEscalationAfter string
	// CapacityForecastHorizon is how far ahead the capacity alerts look: a volume, disk or node
	// pool predicted to fill within it alerts (Prometheus duration, 1h to 30d). Default: "3d".
	CapacityForecastHorizon string
	// RunbookBaseURL is where docs/runbooks of this repository are served (https); each alert
	// NovaCron defines carries runbook_url <base>/<AlertName>.md. Default: DefaultRunbookBaseURL.
	RunbookBaseURL string

	// TelemetryNamespace holds the log and trace pipelines (components/telemetry); their
	// self-monitoring alerts select it. Default: "" (no pipeline alerts).
	TelemetryNamespace string
	// FalcoTalonNamespace is where Falco Talon runs (components/falcotalon), scraped through its
	// chart's ServiceMonitor; NovaCronFalcoTalonDown watches it. Default: "" (Talon is not
	// deployed: no alert).
	FalcoTalonNamespace string
	// KarpenterNamespace is where the Karpenter controller's Service "karpenter" serves its
	// metrics (port http-metrics); the karpenter scrape job, the Karpenter alerts and the
	// capacity dashboard's Karpenter panels read it. Default: "kube-system" (components/karpenter
	// installs the controller there).
	KarpenterNamespace string
	// DisableKarpenterMetrics leaves out the Karpenter scrape job, its alerts and panels, for a
	// cluster whose nodes Karpenter does not provision. The pool capacity alert then measures
	// every pool against its nodes' allocatable. Default: false.
	DisableKarpenterMetrics bool
	// LokiURL is the in-cluster query URL of Loki, provisioned as Grafana's logs data source.
	// Default: "" (no logs data source).
	LokiURL string
	// TempoURL is the in-cluster query URL of Tempo, provisioned as Grafana's traces data
	// source. Default: "" (no traces data source).
	TempoURL string
}

func (a *StackArgs) withDefaults() StackArgs {
	d := *a
	setDefault(&d.Namespace, "monitoring")
	setDefault(&d.ChartRepository, DefaultChartRepository)
	setDefault(&d.KubePrometheusStackVersion, DefaultKubePrometheusStackVersion)
	setDefault(&d.BlackboxExporterVersion, DefaultBlackboxExporterVersion)
	setDefault(&d.ReleaseTimeoutSeconds, 1200)
	setDefault(&d.PrometheusRetention, "30d")
	setDefault(&d.PrometheusStorageSize, "500Gi")
	setDefault(&d.StorageClassName, "fast-ssd")
	setDefault(&d.GrafanaStorageSize, "100Gi")
	setDefault(&d.AlertmanagerStorageSize, "10Gi")
	if d.NodeTolerations == nil {
		d.NodeTolerations = []Toleration{{Key: "ml-workload", Value: "true", Effect: "NoSchedule"}}
	}
	setDefault(&d.APIServiceName, "novacron-api")
	setDefault(&d.APIMetricsPort, "http")
	setDefault(&d.APIMetricsPath, "/metrics")
	setDefault(&d.AvailabilityTarget, 0.999)
	setDefault(&d.APILatencyP95Millis, 100)
	setDefault(&d.DBQueryLatencyP95Millis, 250)
	setDefault(&d.JobFailureRatio, 0.05)
	setDefault(&d.GrafanaAdminUser, "admin")
	if d.CommunityDashboards == nil {
		d.CommunityDashboards = []GrafanaNetDashboard{
			// "Kubernetes / Views / Namespaces" (dotdc/grafana-dashboards-kubernetes).
			{Name: "kubernetes-views-namespaces", GnetID: 15758, Revision: 46},
			// "Kubernetes Cluster (Prometheus)".
			{Name: "kubernetes-cluster", GnetID: 7249, Revision: 1},
		}
	}
	setDefault(&d.SlackChannel, "#novacron-alerts")
	setDefault(&d.HeartbeatInterval, "1m")
	setDefault(&d.WarningEscalationAfter, "2h")
	setDefault(&d.CapacityForecastHorizon, "3d")
	setDefault(&d.RunbookBaseURL, DefaultRunbookBaseURL)
	setDefault(&d.KarpenterNamespace, DefaultKarpenterNamespace)
	return d
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

var (
	dnsLabel      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsSubdomain  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	chartVersion  = regexp.MustCompile(`^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
	promDuration  = regexp.MustCompile(`^([0-9]+(y|w|d|h|m|s|ms))+$`)
	volumeSize    = regexp.MustCompile(`^([1-9][0-9]*)(Mi|Gi|Ti)$`)
	taintEffects  = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
	taintKeyRegex = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
)

// Validate checks the plain arguments and returns every problem, named after the argument. It
// never reads an input; NewStack also requires the three secret inputs to be set.
func (a *StackArgs) Validate() validate.Problems {
	var p validate.Problems
	d := a.withDefaults()

	if !dnsLabel.MatchString(d.Namespace) {
		p.Addf("namespace", "must be a DNS label (lower case, digits, '-'), got %q", d.Namespace)
	}
	if u, err := url.Parse(d.ChartRepository); err != nil || u.Scheme != "https" || u.Host == "" {
		p.Addf("chartRepository", "must be an https URL, got %q", d.ChartRepository)
	}
	for field, v := range map[string]string{
		"kubePrometheusStackVersion": d.KubePrometheusStackVersion,
		"blackboxExporterVersion":    d.BlackboxExporterVersion,
	} {
		if !chartVersion.MatchString(v) {
			p.Addf(field, "must be an exact chart version such as 1.2.3, got %q", v)
		}
	}
	p.IntRange("releaseTimeoutSeconds", d.ReleaseTimeoutSeconds, 300, 3600)
	if !promDuration.MatchString(d.PrometheusRetention) {
		p.Addf("prometheusRetention", "must be a Prometheus duration such as 30d, got %q", d.PrometheusRetention)
	}
	for field, v := range map[string]string{
		"prometheusStorageSize":   d.PrometheusStorageSize,
		"grafanaStorageSize":      d.GrafanaStorageSize,
		"alertmanagerStorageSize": d.AlertmanagerStorageSize,
	} {
		if !volumeSize.MatchString(v) {
			p.Addf(field, "must be a volume size in Mi, Gi or Ti such as 500Gi, got %q", v)
		}
	}
	if !dnsSubdomain.MatchString(d.StorageClassName) {
		p.Addf("storageClassName", "must be a DNS subdomain, got %q", d.StorageClassName)
	}
	for i, raw := range d.ProbeURLs {
		if u, err := url.Parse(raw); err != nil || u.Scheme != "https" || u.Host == "" {
			p.Addf("probeUrls["+strconv.Itoa(i)+"]", "must be an absolute https URL, got %q", raw)
		}
	}
	for i, t := range d.NodeTolerations {
		field := "nodeTolerations[" + strconv.Itoa(i) + "]"
		if !taintKeyRegex.MatchString(t.Key) {
			p.Addf(field+".key", "must be a taint key such as ml-workload, got %q", t.Key)
		}
		if !slices.Contains(taintEffects, t.Effect) {
			p.Addf(field+".effect", "must be one of %v, got %q", taintEffects, t.Effect)
		}
	}
	if !dnsLabel.MatchString(d.APIServiceName) {
		p.Addf("apiServiceName", "must be a DNS label, got %q", d.APIServiceName)
	}
	for i, ns := range d.APINamespaces {
		if !dnsLabel.MatchString(ns) {
			p.Addf("apiNamespaces["+strconv.Itoa(i)+"]", "must be a DNS label, got %q", ns)
		}
	}
	if strings.TrimSpace(d.APIMetricsPort) == "" || strings.ContainsAny(d.APIMetricsPort, " /") {
		p.Addf("apiMetricsPort", "must be a Service port name, got %q", d.APIMetricsPort)
	}
	if !strings.HasPrefix(d.APIMetricsPath, "/") {
		p.Addf("apiMetricsPath", "must start with '/', got %q", d.APIMetricsPath)
	}
	if d.AvailabilityTarget <= 0.9 || d.AvailabilityTarget >= 1 {
		p.Addf("availabilityTarget", "must be above 0.9 and below 1, got %v", d.AvailabilityTarget)
	}
	p.IntRange("apiLatencyP95Millis", d.APILatencyP95Millis, 1, 60000)
	p.IntRange("dbQueryLatencyP95Millis", d.DBQueryLatencyP95Millis, 1, 60000)
	if d.JobFailureRatio <= 0 || d.JobFailureRatio >= 1 {
		p.Addf("jobFailureRatio", "must be above 0 and below 1, got %v", d.JobFailureRatio)
	}
	p.NotEmpty("grafanaAdminUser", d.GrafanaAdminUser)
	if !d.DisableCommunityDashboards {
		for i, db := range d.CommunityDashboards {
			field := "communityDashboards[" + strconv.Itoa(i) + "]"
			if !dnsLabel.MatchString(db.Name) {
				p.Addf(field+".name", "must be a DNS label, got %q", db.Name)
			}
			if db.GnetID <= 0 {
				p.Addf(field+".gnetId", "must be a grafana.com dashboard id, got %d", db.GnetID)
			}
			if db.Revision <= 0 {
				p.Addf(field+".revision", "must pin a revision (1 or more), got %d", db.Revision)
			}
		}
	}
	checkSlackChannel(&p, "slackChannel", d.SlackChannel)
	if d.WebhookURL != "" {
		if err := checkURL(d.WebhookURL, "http", "https"); err != nil {
			p.Addf("webhookUrl", "%s, got %q", err.Error(), d.WebhookURL)
		}
	}
	checkDuration(&p, "heartbeatInterval", d.HeartbeatInterval, time.Minute, time.Hour)
	checkDuration(&p, "warningEscalationAfter", d.WarningEscalationAfter, 15*time.Minute, 7*24*time.Hour)
	checkDuration(&p, "capacityForecastHorizon", d.CapacityForecastHorizon, time.Hour, 30*24*time.Hour)
	if err := checkURL(d.RunbookBaseURL, "https"); err != nil {
		p.Addf("runbookBaseUrl", "%s, got %q", err.Error(), d.RunbookBaseURL)
	}
	if d.TelemetryNamespace != "" && !dnsLabel.MatchString(d.TelemetryNamespace) {
		p.Addf("telemetryNamespace", "must be a DNS label, got %q", d.TelemetryNamespace)
	}
	if d.FalcoTalonNamespace != "" && !dnsLabel.MatchString(d.FalcoTalonNamespace) {
		p.Addf("falcoTalonNamespace", "must be a DNS label, got %q", d.FalcoTalonNamespace)
	}
	if !dnsLabel.MatchString(d.KarpenterNamespace) {
		p.Addf("karpenterNamespace", "must be a DNS label, got %q", d.KarpenterNamespace)
	}
	for field, v := range map[string]string{"lokiUrl": d.LokiURL, "tempoUrl": d.TempoURL} {
		if v != "" {
			if err := checkURL(v, "http", "https"); err != nil {
				p.Addf(field, "%s, got %q", err.Error(), v)
			}
		}
	}
	sortProblems(p)
	return p
}

// checkDuration requires a Prometheus duration between lowest and highest.
func checkDuration(p *validate.Problems, field, v string, lowest, highest time.Duration) {
	d, err := model.ParseDuration(v)
	if err != nil || time.Duration(d) < lowest || time.Duration(d) > highest {
		p.Addf(field, "must be a duration between %s and %s such as %s, got %q",
			model.Duration(lowest), model.Duration(highest), model.Duration(lowest), v)
	}
}

// missingSecrets reports the secret inputs that are not set. It is separate from Validate,
// which looks at plain values only (the stack loader reads secrets itself).
func (a *StackArgs) missingSecrets() validate.Problems {
	var p validate.Problems
	for field, in := range map[string]pulumi.StringInput{
		"grafanaAdminPassword": a.GrafanaAdminPassword,
		"pagerDutyRoutingKey":  a.PagerDutyRoutingKey,
		"slackWebhookUrl":      a.SlackWebhookURL,
		"heartbeatUrl":         a.HeartbeatURL,
	} {
		if in == nil {
			p.Addf(field, "must be set (a secret)")
		}
	}
	sortProblems(p)
	return p
}

// sortProblems orders problems by field: some checks iterate over maps, and the rendered error
// must be stable.
func sortProblems(p validate.Problems) {
	slices.SortStableFunc(p, func(x, y validate.Problem) int { return strings.Compare(x.Field, y.Field) })
}

// ruleSettings derives the rule objectives from defaulted arguments.
func (a *StackArgs) ruleSettings() RuleSettings {
	karpenterNamespace := a.KarpenterNamespace
	if a.DisableKarpenterMetrics {
		karpenterNamespace = ""
	}
	return RuleSettings{
		APIJob:             a.APIServiceName,
		AvailabilityTarget: a.AvailabilityTarget,
		APILatencyP95:      time.Duration(a.APILatencyP95Millis) * time.Millisecond,
		DBQueryLatencyP95:  time.Duration(a.DBQueryLatencyP95Millis) * time.Millisecond,
		JobFailureRatio:    a.JobFailureRatio,
		ProbeJob:           probeJobName,
		RunbookBaseURL:     a.RunbookBaseURL,
		// Validate has checked both durations.
		WarningEscalationAfter:  parsedDuration(a.WarningEscalationAfter),
		CapacityForecastHorizon: parsedDuration(a.CapacityForecastHorizon),
		TelemetryNamespace:      a.TelemetryNamespace,
		FalcoTalonNamespace:     a.FalcoTalonNamespace,
		KarpenterNamespace:      karpenterNamespace,
	}
}

// parsedDuration reads a Prometheus duration that Validate has accepted.
func parsedDuration(v string) time.Duration {
	d, _ := model.ParseDuration(v)
	return time.Duration(d)
}
