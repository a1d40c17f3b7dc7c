package monitoring

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/novacron/platform/metrics"
	"github.com/prometheus/common/model"
)

// RuleGroup is one Prometheus rule group, in the shape of a rule file and of a PrometheusRule's
// spec.groups entry.
type RuleGroup struct {
	Name  string `yaml:"name" json:"name"`
	Rules []Rule `yaml:"rules" json:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
type Rule struct {
	Record      string            `yaml:"record,omitempty" json:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty" json:"alert,omitempty"`
	Expr        string            `yaml:"expr" json:"expr"`
	For         string            `yaml:"for,omitempty" json:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
}

// RuleSettings are the objectives the generated rules enforce.
type RuleSettings struct {
	// APIJob is the Prometheus job label of the API's series (the ServiceMonitor's job).
	APIJob string
	// AvailabilityTarget is the API availability objective, for example 0.999.
	AvailabilityTarget float64
	// APILatencyP95 is the API p95 latency objective.
	APILatencyP95 time.Duration
	// DBQueryLatencyP95 is the database query p95 latency objective.
	DBQueryLatencyP95 time.Duration
	// JobFailureRatio is the highest tolerated share of failed background jobs.
	JobFailureRatio float64
	// ProbeJob is the job label of the blackbox probes.
	ProbeJob string
	// RunbookBaseURL serves docs/runbooks; every alert links to <base>/<AlertName>.md.
	RunbookBaseURL string
	// WarningEscalationAfter is how long a warning fires before AlertWarningEscalated pages.
	WarningEscalationAfter time.Duration
	// CapacityForecastHorizon is how far ahead the capacity alerts extrapolate.
	CapacityForecastHorizon time.Duration
	// TelemetryNamespace holds the log and trace pipelines; "" leaves their alerts out.
	TelemetryNamespace string
	// FalcoTalonNamespace is where Falco Talon runs; "" leaves its alert out.
	FalcoTalonNamespace string
	// KarpenterNamespace is where the karpenter scrape job finds the controller; "" leaves the
	// Karpenter alerts out and measures every node pool against its allocatable.
	KarpenterNamespace string
}

// Alert names: part of the contract with on-call runbooks and silences.
const (
	AlertErrorBudgetFastBurn = "NovaCronAPIErrorBudgetFastBurn"
	AlertErrorBudgetSlowBurn = "NovaCronAPIErrorBudgetSlowBurn"
	AlertAPILatencyHigh      = "NovaCronAPILatencyP95High"
	AlertDBQueryLatencyHigh  = "NovaCronDatabaseQueryLatencyP95High"
	AlertJobFailureRatio     = "NovaCronJobFailureRatioHigh"
	AlertEndpointDown        = "NovaCronEndpointDown"

	// AlertWarningEscalated pages for a warning that has fired longer than
	// RuleSettings.WarningEscalationAfter; label escalated_alertname names the warning.
	AlertWarningEscalated = "NovaCronWarningEscalated"

	AlertVolumeFillingUp         = "NovaCronPersistentVolumeFillingUp"
	AlertNodeFilesystemFillingUp = "NovaCronNodeFilesystemFillingUp"
	AlertNodePoolRequestsFilling = "NovaCronNodePoolRequestsFillingUp"

	AlertTelemetryTargetDown        = "NovaCronTelemetryTargetDown"
	AlertTelemetryExportFailing     = "NovaCronTelemetryExportFailing"
	AlertTelemetryRecordsDropped    = "NovaCronTelemetryRecordsDropped"
	AlertTelemetryExporterQueueFull = "NovaCronTelemetryExporterQueueNearlyFull"
	AlertLokiRequestErrors          = "NovaCronLokiRequestErrors"
	AlertLokiDiscardingLogs         = "NovaCronLokiDiscardingLogs"
	AlertTempoRequestErrors         = "NovaCronTempoRequestErrors"
	AlertTempoDiscardingSpans       = "NovaCronTempoDiscardingSpans"

	AlertGatekeeperViolations = "NovaCronGatekeeperViolations"

	AlertFalcoTalonDown = "NovaCronFalcoTalonDown"

	AlertKarpenterDown                    = "NovaCronKarpenterDown"
	AlertKarpenterNodePoolNearLimit       = "NovaCronKarpenterNodePoolNearLimit"
	AlertKarpenterNodeLaunchesFailing     = "NovaCronKarpenterNodeLaunchesFailing"
	AlertKarpenterInterruptionQueueErrors = "NovaCronKarpenterInterruptionQueueErrors"
)

// EscalatedAlertnameLabel carries the name of the warning NovaCronWarningEscalated pages for.
const EscalatedAlertnameLabel = "escalated_alertname"

// Severities, the label the Alertmanager routes on.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// burnRateTier is one multiwindow, multi-burn-rate condition. The figures are those of The Site
// Reliability Workbook, chapter 5 "Alerting on SLOs" (multiwindow, multi-burn-rate alerts) for a
// 30-day 99.9% objective: 14.4x over 1h (2% of the budget) and 6x over 6h (5%) page, with short
// windows of 1/12 of the long ones; 1x over 3d (10%) opens a ticket. The 3x over 1d/2h ticket
// tier between them is the one the kubernetes-mixin uses in its KubeAPIErrorBudgetBurn alerts,
// which kube-prometheus-stack ships.
type burnRateTier struct {
	long, short string
	factor      float64
}

var (
	pageTiers   = []burnRateTier{{"1h", "5m", 14.4}, {"6h", "30m", 6}}
	ticketTiers = []burnRateTier{{"1d", "2h", 3}, {"3d", "6h", 1}}
)

// errorRatioWindows are the windows the burn-rate alerts read, each a recording rule.
var errorRatioWindows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// Recording rule names, level:metric:operations as the Prometheus naming guide recommends.
func errorRatioRecord(window string) string {
	return "job:" + strings.TrimSuffix(metrics.HTTPRequestsTotal, "_total") + ":error_ratio_rate" + window
}

var (
	apiLatencyP95Record  = "job:" + metrics.HTTPRequestDurationSeconds + ":p95_rate5m"
	dbLatencyP95Record   = "job:" + metrics.DBQueryDurationSeconds + ":p95_rate5m"
	jobFailureRecord     = metrics.LabelJobType + ":" + strings.TrimSuffix(metrics.JobsProcessedTotal, "_total") + ":failure_ratio_rate15m"
	probeSuccessMetric   = "probe_success"
	serverErrorCodeRegex = "5.."
)

// PrometheusRuleGroups returns NovaCron's recording and alerting rules, built from the metric
// and label names of the metrics package.
func PrometheusRuleGroups(s RuleSettings) []RuleGroup {
	job := fmt.Sprintf(`job=%q`, s.APIJob)
	budget := errorBudget(s.AvailabilityTarget)

	var availability []Rule
	for _, w := range errorRatioWindows {
		availability = append(availability, Rule{
			Record: errorRatioRecord(w),
			Expr: fmt.Sprintf("sum by (job) (rate(%s{%s,%s=~%q}[%s]))\n/\nsum by (job) (rate(%s{%s}[%s]))",
				metrics.HTTPRequestsTotal, job, metrics.LabelCode, serverErrorCodeRegex, w,
				metrics.HTTPRequestsTotal, job, w),
		})
	}
	target := percent(s.AvailabilityTarget)
	availability = append(availability,
		Rule{
			Alert: AlertErrorBudgetFastBurn,
			Expr:  burnRateExpr(pageTiers, job, budget),
			For:   "2m",
			Labels: map[string]string{
				"severity": SeverityCritical,
				"slo":      "api-availability",
			},
			Annotations: map[string]string{
				"summary": "The API is burning its " + target + " availability error budget fast.",
				"description": "At this rate the 30-day error budget of " + s.APIJob +
					" is gone within days (14.4x over 1h or 6x over 6h, confirmed by the short window).",
			},
		},
		Rule{
			Alert: AlertErrorBudgetSlowBurn,
			Expr:  burnRateExpr(ticketTiers, job, budget),
			For:   "15m",
			Labels: map[string]string{
				"severity": SeverityWarning,
				"slo":      "api-availability",
			},
			Annotations: map[string]string{
				"summary": "The API is steadily burning its " + target + " availability error budget.",
				"description": "The error rate of " + s.APIJob +
					" exhausts the 30-day budget before the month ends (3x over 1d or 1x over 3d).",
			},
		},
	)

	latency := []Rule{
		{
			Record: apiLatencyP95Record,
			Expr: fmt.Sprintf("histogram_quantile(0.95, sum by (job, le) (rate(%s_bucket{%s,%s!=%q}[5m])))",
				metrics.HTTPRequestDurationSeconds, job, metrics.LabelRoute, metrics.RouteUnmatched),
		},
		{
			Alert:  AlertAPILatencyHigh,
			Expr:   fmt.Sprintf("%s{%s} > %s", apiLatencyP95Record, job, seconds(s.APILatencyP95)),
			For:    "10m",
			Labels: map[string]string{"severity": SeverityWarning, "slo": "api-latency"},
			Annotations: map[string]string{
				"summary":     "API p95 latency is above " + s.APILatencyP95.String() + ".",
				"description": "p95 latency of " + s.APIJob + " is {{ $value | humanizeDuration }}.",
			},
		},
		{
			Record: dbLatencyP95Record,
			Expr: fmt.Sprintf("histogram_quantile(0.95, sum by (job, le) (rate(%s_bucket[5m])))",
				metrics.DBQueryDurationSeconds),
		},
		{
			Alert:  AlertDBQueryLatencyHigh,
			Expr:   fmt.Sprintf("%s > %s", dbLatencyP95Record, seconds(s.DBQueryLatencyP95)),
			For:    "10m",
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary":     "Database query p95 latency is above " + s.DBQueryLatencyP95.String() + ".",
				"description": "p95 query latency of {{ $labels.job }} is {{ $value | humanizeDuration }}.",
			},
		},
	}

	jobs := []Rule{
		{
			Record: jobFailureRecord,
			Expr: fmt.Sprintf("sum by (job, %[2]s) (rate(%[1]s{%[3]s=%[4]q}[15m]))\n/\nsum by (job, %[2]s) (rate(%[1]s[15m]))",
				metrics.JobsProcessedTotal, metrics.LabelJobType, metrics.LabelStatus, metrics.StatusFailure),
		},
		{
			Alert:  AlertJobFailureRatio,
			Expr:   fmt.Sprintf("%s > %s", jobFailureRecord, strconv.FormatFloat(s.JobFailureRatio, 'f', -1, 64)),
			For:    "15m",
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary": "Background job failures are above " + percent(s.JobFailureRatio) + ".",
				"description": "{{ $value | humanizePercentage }} of {{ $labels." + metrics.LabelJobType +
					" }} jobs in {{ $labels.job }} failed over 15 minutes.",
			},
		},
	}

	probes := []Rule{{
		Alert:  AlertEndpointDown,
		Expr:   fmt.Sprintf("%s{job=%q} == 0", probeSuccessMetric, s.ProbeJob),
		For:    "5m",
		Labels: map[string]string{"severity": SeverityCritical},
		Annotations: map[string]string{
			"summary":     "{{ $labels.instance }} fails its HTTPS probe.",
			"description": "The blackbox exporter's http_2xx probe of {{ $labels.instance }} has failed for 5 minutes.",
		},
	}}

	groups := []RuleGroup{
		{Name: "novacron-api-availability", Rules: availability},
		{Name: "novacron-latency", Rules: latency},
		{Name: "novacron-jobs", Rules: jobs},
		{Name: "novacron-probes", Rules: probes},
		{Name: "novacron-capacity", Rules: capacityRules(s)},
	}
	if s.TelemetryNamespace != "" {
		groups = append(groups, RuleGroup{Name: "novacron-telemetry-pipeline", Rules: pipelineRules(s.TelemetryNamespace)})
	}
	groups = append(groups, RuleGroup{Name: "novacron-admission-policies", Rules: admissionRules()})
	if s.FalcoTalonNamespace != "" {
		groups = append(groups, RuleGroup{Name: "novacron-runtime-response", Rules: responseRules(s.FalcoTalonNamespace)})
	}
	if s.KarpenterNamespace != "" {
		groups = append(groups, RuleGroup{Name: "novacron-karpenter", Rules: karpenterRules(s.KarpenterNamespace)})
	}
	// Last, so that it reads the ALERTS series the other groups wrote in the same round.
	groups = append(groups, RuleGroup{Name: "novacron-escalation", Rules: []Rule{escalationRule(s.WarningEscalationAfter)}})
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				r.Annotations["runbook_url"] = RunbookURL(s.RunbookBaseURL, r.Alert)
			}
		}
	}
	return groups
}

// RunbookURL is where the runbook of alert is served: docs/runbooks/<alert>.md under base.
func RunbookURL(base, alert string) string {
	return strings.TrimSuffix(base, "/") + "/" + alert + ".md"
}

// burnRateExpr ORs the tiers; each tier needs both its long and its short window above the
// factor, so the alert starts fast and stops soon after the errors do.
func burnRateExpr(tiers []burnRateTier, job, budget string) string {
	parts := make([]string, len(tiers))
	for i, t := range tiers {
		threshold := fmt.Sprintf("(%s * %s)", strconv.FormatFloat(t.factor, 'f', -1, 64), budget)
		parts[i] = fmt.Sprintf("(\n  %s{%s} > %s\nand\n  %s{%s} > %s\n)",
			errorRatioRecord(t.long), job, threshold, errorRatioRecord(t.short), job, threshold)
	}
	return strings.Join(parts, "\nor\n")
}

// errorBudget formats 1 - target without binary noise (1 - 0.999 is 0.0010000000000000009).
func errorBudget(target float64) string {
	return strconv.FormatFloat(math.Round((1-target)*1e9)/1e9, 'f', -1, 64)
}

// percent formats a ratio as a percentage without binary noise (0.999 is "99.9%").
func percent(ratio float64) string {
	return strconv.FormatFloat(math.Round(ratio*100*1e6)/1e6, 'f', -1, 64) + "%"
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// escalationRule pages for every warning that has been firing for after. It reads the ALERTS
// series Prometheus writes for each active alert (Prometheus docs, "Alerting rules": inspecting
// alerts during runtime), so it escalates the chart's warnings as well as ours. A warning whose
// critical counterpart (the same name and labels but severity) already fires is left out: that
// one pages already. A critical alert about another object (another volume, another pod) does
// not hide it. The original name moves to escalated_alertname (the rule's own name
// replaces alertname) and every other label stays, so the page says what it is about.
func escalationRule(after time.Duration) Rule {
	return Rule{
		Alert: AlertWarningEscalated,
		Expr: fmt.Sprintf("label_replace(\n"+
			"  max without (alertstate, severity) (ALERTS{alertstate=\"firing\",severity=%q,alertname!=%q})\n"+
			"  unless ignoring (alertstate, severity)\n"+
			"  ALERTS{alertstate=\"firing\",severity=%q},\n"+
			"  %q, \"$1\", \"alertname\", \"(.+)\"\n)",
			SeverityWarning, AlertWarningEscalated, SeverityCritical, EscalatedAlertnameLabel),
		For:    model.Duration(after).String(),
		Labels: map[string]string{"severity": SeverityCritical},
		Annotations: map[string]string{
			"summary": "Warning {{ $labels." + EscalatedAlertnameLabel + " }} has fired for more than " +
				model.Duration(after).String() + ".",
			"description": "Nobody has resolved the warning {{ $labels." + EscalatedAlertnameLabel +
				" }} within " + model.Duration(after).String() + ", so it now pages. Its labels are on this alert.",
		},
	}
}

// Capacity guards: an extrapolation alone is noisy (a volume that is mostly empty but briefly
// filling), so the capacity alerts also need the resource to be well used already.
const (
	// capacityFreeBelow: volumes and file systems alert only with less than this share free.
	// Between the kubernetes-mixin's KubePersistentVolumeFillingUp (15%) and the node-mixin's
	// NodeFilesystemSpaceFillingUp warning (40%), which kube-prometheus-stack also ships.
	capacityFreeBelow = "0.25"
	// requestsAbove: node pools alert only with requests above this share of their ceiling, the
	// plan's 80% utilisation target.
	requestsAbove = "0.8"
	// capacityLookback is the trend window for disks and volumes, as in both mixins.
	capacityLookback = "6h"
	// requestsLookback is a day, so that the daily rise and fall of replicas does not read as
	// growth.
	requestsLookback = "1d"
	// diskFSTypes are the file systems of the nodes' disks; the chart's node exporter already
	// leaves out the pseudo file systems (kube-prometheus-stack 88.5.3, prometheus-node-exporter
	// extraArgs), tmpfs stays and is not a disk.
	diskFSTypes = "ext[234]|xfs|btrfs"
)

// Node pools. A node belongs to the Karpenter NodePool in its karpenter.sh/nodepool label, or
// else to the EKS managed node group in its eks.amazonaws.com/nodegroup label (the system
// group); kube-state-metrics exports both on kube_node_labels, as label_<name> with every
// character outside [a-zA-Z0-9_] turned into "_", once its metricLabelsAllowlist names them
// (kubeStateMetricsValues). The pool's name lands in label nodepool, the label Karpenter's own
// metrics carry (sigs.k8s.io/karpenter pkg/metrics/constants.go, NodePoolLabel), so the two
// join without relabelling.
const (
	nodePoolLabel         = "nodepool"
	ksmKarpenterPoolLabel = "label_karpenter_sh_nodepool"
	ksmManagedGroupLabel  = "label_eks_amazonaws_com_nodegroup"
)

// Recording rules of the node-pool capacity alert: each node's pool; requests of the pods that
// hold room on a node (Pending with a node assigned, or Running, as the kubernetes-mixin counts
// them) and the nodes' allocatable, summed per pool and resource; and, for Karpenter pools, the
// pool's limit (resource_type renamed to kube-state-metrics' resource). Metrics and labels:
// kube-state-metrics v2.20.0 (the chart's 8.4.0), docs/metrics/workload/pod-metrics.md and
// cluster/node-metrics.md.
var (
	nodePoolRecord        = "node_" + nodePoolLabel + ":kube_node_labels:max"
	poolRequestsRecord    = nodePoolLabel + "_resource:kube_pod_container_resource_requests:sum"
	poolAllocatableRecord = nodePoolLabel + "_resource:kube_node_status_allocatable:sum"
	poolLimitRecord       = nodePoolLabel + "_resource:" + karpenterPoolLimit + ":max"
)

func capacityRules(s RuleSettings) []Rule {
	horizon := seconds(s.CapacityForecastHorizon)
	within := model.Duration(s.CapacityForecastHorizon).String()
	fs := fmt.Sprintf("fstype=~%q", diskFSTypes)
	poolOf := fmt.Sprintf("on (node) group_left (%s) %s", nodePoolLabel, nodePoolRecord)
	rules := []Rule{
		{
			Alert: AlertVolumeFillingUp,
			Expr: fmt.Sprintf("(\n  kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < %s\nand\n"+
				"  predict_linear(kubelet_volume_stats_available_bytes[%s], %s) < 0\n)",
				capacityFreeBelow, capacityLookback, horizon),
			For:    "1h",
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary": "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} fills up within " + within + ".",
				"description": "PersistentVolumeClaim {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has " +
					"{{ $value | humanizePercentage }} free and, at the rate of the last " + capacityLookback + ", is full within " + within + ".",
			},
		},
		{
			Alert: AlertNodeFilesystemFillingUp,
			Expr: fmt.Sprintf("(\n  node_filesystem_avail_bytes{%[1]s} / node_filesystem_size_bytes{%[1]s} < %[2]s\nand\n"+
				"  predict_linear(node_filesystem_avail_bytes{%[1]s}[%[3]s], %[4]s) < 0\nand\n"+
				"  node_filesystem_readonly{%[1]s} == 0\n)",
				fs, capacityFreeBelow, capacityLookback, horizon),
			For:    "1h",
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary": "File system {{ $labels.mountpoint }} on {{ $labels.instance }} fills up within " + within + ".",
				"description": "{{ $labels.device }} mounted at {{ $labels.mountpoint }} on node exporter {{ $labels.instance }} has " +
					"{{ $value | humanizePercentage }} free and, at the rate of the last " + capacityLookback + ", is full within " + within + ".",
			},
		},
		{
			// A Karpenter node also carries eks.amazonaws.com/nodegroup only if someone set it by
			// hand; the Karpenter label wins.
			Record: nodePoolRecord,
			Expr: fmt.Sprintf("max by (node, %[1]s) (\n"+
				"  label_replace(kube_node_labels{%[2]s!=\"\"}, %[1]q, \"$1\", %[2]q, \"(.+)\")\n"+
				"  or\n"+
				"  label_replace(kube_node_labels{%[2]s=\"\", %[3]s!=\"\"}, %[1]q, \"$1\", %[3]q, \"(.+)\")\n)",
				nodePoolLabel, ksmKarpenterPoolLabel, ksmManagedGroupLabel),
		},
		{
			Record: poolRequestsRecord,
			Expr: fmt.Sprintf("sum by (%s, resource) (\n"+
				"  kube_pod_container_resource_requests{resource=~\"cpu|memory\"}\n"+
				"  * on (namespace, pod) group_left () max by (namespace, pod) (kube_pod_status_phase{phase=~\"Pending|Running\"} == 1)\n"+
				"  * %s\n)", nodePoolLabel, poolOf),
		},
		{
			Record: poolAllocatableRecord,
			Expr: fmt.Sprintf("sum by (%s, resource) (\n  kube_node_status_allocatable{resource=~\"cpu|memory\"}\n  * %s\n)",
				nodePoolLabel, poolOf),
		},
	}
	// The ceiling a pool's requests can grow to: a Karpenter pool's limit, past which Karpenter
	// launches no node for it; a fixed node group's allocatable, which does not grow at all.
	// Karpenter reports cpu in cores and memory in bytes (pkg/controllers/metrics/nodepool at
	// sigs.k8s.io/karpenter v1.14.1), the units of kube-state-metrics' core and byte.
	ceiling := poolAllocatableRecord
	ceilingText := "its nodes' allocatable"
	if s.KarpenterNamespace != "" {
		rules = append(rules, Rule{
			Record: poolLimitRecord,
			Expr: fmt.Sprintf("max by (%[1]s, resource) (\n"+
				"  label_replace(%[2]s{%[3]s, resource_type=~\"cpu|memory\"}, \"resource\", \"$1\", \"resource_type\", \"(.+)\")\n)",
				nodePoolLabel, karpenterPoolLimit, karpenterSelector(s.KarpenterNamespace)),
		})
		ceiling = "(" + poolLimitRecord + " or " + poolAllocatableRecord + ")"
		ceilingText = "its Karpenter limit (a fixed node group: its nodes' allocatable)"
	}
	return append(rules, Rule{
		Alert: AlertNodePoolRequestsFilling,
		Expr: fmt.Sprintf("(\n  %[1]s / %[2]s > %[3]s\nand\n  predict_linear(%[1]s[%[4]s], %[5]s) > %[2]s\n)",
			poolRequestsRecord, ceiling, requestsAbove, requestsLookback, horizon),
		For:    "1h",
		Labels: map[string]string{"severity": SeverityWarning},
		Annotations: map[string]string{
			"summary": "Node pool {{ $labels." + nodePoolLabel + " }}: {{ $labels.resource }} requests reach the pool's ceiling within " + within + ".",
			"description": "Pods on node pool {{ $labels." + nodePoolLabel + " }} request {{ $value | humanizePercentage }} of " +
				ceilingText + " in {{ $labels.resource }}; at the growth of the last " + requestsLookback +
				" they exceed it within " + within + ", and new pods then stay Pending.",
		},
	})
}

// otelcolCounter selects an OpenTelemetry Collector internal counter in namespace. The
// collector names them without a suffix (exporterhelper and receiverhelper documentation.md);
// its Prometheus exporter appends _total unless without_type_suffix is set, which the collector
// sets by default since v0.152.0 (open-telemetry/opentelemetry-collector#15027) but a pipeline
// may unset, so both spellings match.
func otelcolCounter(name, namespace string) string {
	return fmt.Sprintf("{__name__=~\"%s(_total)?\",namespace=%q}", name, namespace)
}

// pipelineRules are the log and trace pipelines' alerts on their own failure. Collector
// metric names: open-telemetry/opentelemetry-collector exporter/exporterhelper,
// receiver/receiverhelper documentation.md. Loki and Tempo record every HTTP and gRPC request in
// <name>_request_duration_seconds with a status_code label that is the HTTP code, or "error"
// for a failed gRPC call (grafana/dskit middleware); the Loki and Tempo mixins alert on its 5xx
// share. loki_discarded_samples_total (Loki docs, "Enforce rate limits and push request
// validation") and tempo_discarded_spans_total (Tempo docs, "Find and fix discarded spans")
// count what was received and thrown away, with the cause in label reason.
func pipelineRules(namespace string) []Rule {
	ns := fmt.Sprintf("namespace=%q", namespace)
	signals := []struct{ name, items string }{{"traces", "spans"}, {"logs", "log_records"}}
	perSignal := func(expr func(items string) string) string {
		parts := make([]string, len(signals))
		for i, sg := range signals {
			parts[i] = fmt.Sprintf("label_replace(\n  %s,\n  \"signal\", %q, \"\", \"\"\n)", expr(sg.items), sg.name)
		}
		return strings.Join(parts, "\nor\n")
	}
	rate := func(name string) string { return fmt.Sprintf("rate(%s[5m])", otelcolCounter(name, namespace)) }
	byExporter := "sum by (namespace, job, exporter) "
	requestErrors := func(metric string) string {
		return fmt.Sprintf("sum by (namespace, job, route) (rate(%[1]s{%[2]s,status_code=~\"5..|error\"}[5m]))\n/\n"+
			"sum by (namespace, job, route) (rate(%[1]s{%[2]s}[5m]))\n> 0.05", metric, ns)
	}
	warning := map[string]string{"severity": SeverityWarning}
	return []Rule{
		{
			Alert: AlertTelemetryTargetDown,
			Expr: fmt.Sprintf("up{%[1]s} == 0\nor\n"+
				"(kube_daemonset_status_desired_number_scheduled{%[1]s} - kube_daemonset_status_number_available{%[1]s}) > 0", ns),
			For:    "15m",
			Labels: warning,
			Annotations: map[string]string{
				"summary": "A part of the log and trace pipeline in " + namespace + " is down.",
				"description": "{{ with $labels.daemonset }}{{ $value }} pod(s) of DaemonSet {{ . }} are not available" +
					"{{ else }}Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}{{ end }}: " +
					"logs or traces from there are not collected.",
			},
		},
		{
			Alert: AlertTelemetryExportFailing,
			Expr: perSignal(func(items string) string {
				failed := byExporter + "(" + rate("otelcol_exporter_send_failed_"+items) + ")"
				return fmt.Sprintf("%[1]s\n  / (%[2]s(%[3]s) + %[1]s)\n  > 0", failed, byExporter, rate("otelcol_exporter_sent_"+items))
			}),
			For:    "10m",
			Labels: warning,
			Annotations: map[string]string{
				"summary": "Collector {{ $labels.job }} fails to export {{ $labels.signal }}.",
				"description": "Exporter {{ $labels.exporter }} of {{ $labels.job }} failed to send " +
					"{{ $value | humanizePercentage }} of its {{ $labels.signal }} over 5 minutes, after retries: they are lost.",
			},
		},
		{
			Alert: AlertTelemetryRecordsDropped,
			Expr: perSignal(func(items string) string {
				return "sum by (namespace, job, receiver) (" + rate("otelcol_receiver_refused_"+items) + ") > 0"
			}) + "\nor\n" + perSignal(func(items string) string {
				return byExporter + "(" + rate("otelcol_exporter_enqueue_failed_"+items) + ") > 0"
			}),
			For:    "10m",
			Labels: warning,
			Annotations: map[string]string{
				"summary": "Collector {{ $labels.job }} drops {{ $labels.signal }}.",
				"description": "{{ with $labels.receiver }}Receiver {{ . }} refuses{{ else }}Exporter {{ $labels.exporter }} " +
					"cannot queue{{ end }} {{ $value | humanize }} {{ $labels.signal }} records a second in {{ $labels.job }}.",
			},
		},
		{
			Alert:  AlertTelemetryExporterQueueFull,
			Expr:   fmt.Sprintf("otelcol_exporter_queue_size{%[1]s} / otelcol_exporter_queue_capacity{%[1]s} > 0.8", ns),
			For:    "10m",
			Labels: warning,
			Annotations: map[string]string{
				"summary": "The sending queue of {{ $labels.exporter }} in {{ $labels.pod }} is nearly full.",
				"description": "Exporter {{ $labels.exporter }} ({{ $labels.data_type }}) of {{ $labels.pod }} holds " +
					"{{ $value | humanizePercentage }} of its queue capacity: once full, new data is dropped.",
			},
		},
		{
			Alert:  AlertLokiRequestErrors,
			Expr:   requestErrors("loki_request_duration_seconds_count"),
			For:    "15m",
			Labels: warning,
			Annotations: map[string]string{
				"summary":     "Loki fails {{ $value | humanizePercentage }} of {{ $labels.route }} requests.",
				"description": "{{ $labels.job }} answers {{ $value | humanizePercentage }} of {{ $labels.route }} requests with a server error.",
			},
		},
		{
			Alert:  AlertLokiDiscardingLogs,
			Expr:   fmt.Sprintf("sum by (namespace, job, reason) (rate(loki_discarded_samples_total{%s}[5m])) > 0", ns),
			For:    "15m",
			Labels: warning,
			Annotations: map[string]string{
				"summary":     "Loki discards log lines ({{ $labels.reason }}).",
				"description": "{{ $labels.job }} throws away {{ $value | humanize }} log lines a second for reason {{ $labels.reason }}.",
			},
		},
		{
			Alert:  AlertTempoRequestErrors,
			Expr:   requestErrors("tempo_request_duration_seconds_count"),
			For:    "15m",
			Labels: warning,
			Annotations: map[string]string{
				"summary":     "Tempo fails {{ $value | humanizePercentage }} of {{ $labels.route }} requests.",
				"description": "{{ $labels.job }} answers {{ $value | humanizePercentage }} of {{ $labels.route }} requests with a server error.",
			},
		},
		{
			Alert:  AlertTempoDiscardingSpans,
			Expr:   fmt.Sprintf("sum by (namespace, job, reason) (rate(tempo_discarded_spans_total{%s}[5m])) > 0", ns),
			For:    "15m",
			Labels: warning,
			Annotations: map[string]string{
				"summary":     "Tempo discards spans ({{ $labels.reason }}).",
				"description": "{{ $labels.job }} throws away {{ $value | humanize }} spans a second for reason {{ $labels.reason }}.",
			},
		},
	}
}

// admissionRules alert on objects that break an enforced admission policy. Gatekeeper's audit
// re-checks every object each audit interval and sets gatekeeper_violations, one gauge per
// enforcement_action (deny, dryrun, warn), to the number of violations it found
// (open-policy-agent/gatekeeper v3.23.1: pkg/audit/stats_reporter.go, metric "violations" in
// the exporter's "gatekeeper" namespace; website/docs/metrics.md). Only deny counts: an object
// that breaks a deny constraint exists although the webhook should have refused it (it predates
// the constraint, or came in while it was not enforced). The dryrun and warn constraints of the
// platform's namespaces report the charts' known exceptions and would never clear.
func admissionRules() []Rule {
	return []Rule{{
		Alert:  AlertGatekeeperViolations,
		Expr:   "max by (enforcement_action) (gatekeeper_violations{enforcement_action=\"deny\"}) > 0",
		For:    "15m",
		Labels: map[string]string{"severity": SeverityWarning},
		Annotations: map[string]string{
			"summary": "Objects in the application namespaces break an enforced admission policy.",
			"description": "Gatekeeper's audit has found {{ $value }} violation(s) of deny constraints for 15 minutes: " +
				"objects exist that the admission webhook would refuse today.",
		},
	}}
}

// falcoTalonJob is the job label of Talon's series. The falco-talon chart's ServiceMonitor
// (falcosecurity/charts, tag falco-talon-0.4.1, templates/servicemonitor.yaml) sets jobLabel to
// the release name, a label its Service does not carry, so the Prometheus Operator falls back to
// the Service's name (ServiceMonitorSpec.jobLabel, Prometheus Operator API reference): the
// chart's name, falco-talon.
const falcoTalonJob = "falco-talon"

// responseRules watch Falco Talon, which acts on Falco's detections: while it is down, a
// detection is still reported but nothing responds to it.
func responseRules(namespace string) []Rule {
	sel := fmt.Sprintf("namespace=%q, job=%q", namespace, falcoTalonJob)
	return []Rule{{
		Alert: AlertFalcoTalonDown,
		// absent() covers every replica gone, or the ServiceMonitor no longer scraped.
		Expr:   fmt.Sprintf("up{%[1]s} == 0\nor\nabsent(up{%[1]s})", sel),
		For:    "15m",
		Labels: map[string]string{"severity": SeverityWarning},
		Annotations: map[string]string{
			"summary": "Falco Talon in " + namespace + " is down: Falco's detections get no automated response.",
			"description": "{{ with $labels.instance }}Prometheus cannot scrape Talon at {{ . }}" +
				"{{ else }}No Talon target in " + namespace + " has been scraped{{ end }} for 15 minutes.",
		},
	}}
}

// Karpenter's controller: the Service the chart names after the release (components/karpenter
// installs release "karpenter"), its metrics port http-metrics (aws/karpenter-provider-aws
// v1.14.1, charts/karpenter/templates/service.yaml; controller.metrics.port 8080 in values.yaml)
// and the job label of the karpenter scrape job (values.go).
const (
	karpenterJob         = "karpenter"
	karpenterService     = "karpenter"
	karpenterMetricsPort = "http-metrics"
)

// Karpenter's metrics, as its source names them at v1.14.1 (the provider pins
// sigs.k8s.io/karpenter v1.14.1-0.20260819221709-6e7eab7a0f48). Namespace "karpenter" and the
// subsystems nodepools, nodeclaims, nodes, pods are pkg/metrics/constants.go and metrics.go of
// sigs.k8s.io/karpenter; the provider's own are under pkg/controllers of
// aws/karpenter-provider-aws. website/content/en/docs/reference/metrics.md lists them all.
const (
	// Gauges per nodepool and resource_type (cpu in cores, memory in bytes, the resource name
	// lower-cased with "-" as "_"): what the pool's nodes provide, and spec.limits.
	// pkg/controllers/metrics/nodepool/controller.go.
	karpenterPoolUsage = "karpenter_nodepools_usage"
	karpenterPoolLimit = "karpenter_nodepools_limit"
	// Counters per nodepool: NodeClaims created (label reason), and disrupted (label reason:
	// launch_timeout, registration_timeout from pkg/controllers/nodeclaim/lifecycle/liveness.go;
	// insufficient_capacity, nodeclass_not_ready from lifecycle/launch.go; underutilized, empty,
	// drifted from disruption/queue.go; expired, unhealthy, garbage_collected). pkg/metrics/metrics.go.
	karpenterNodeClaimsCreated   = "karpenter_nodeclaims_created_total"
	karpenterNodeClaimsDisrupted = "karpenter_nodeclaims_disrupted_total"
	// One gauge per node with the node's well-known labels (nodepool, capacity_type, zone, ...),
	// node_name and managed. pkg/controllers/metrics/node/controller.go.
	karpenterNodeLifetime = "karpenter_nodes_current_lifetime_seconds"
	// Pods the provisioner found no node for, per controller.
	// pkg/controllers/provisioning/scheduling/metrics.go.
	karpenterUnschedulablePods = "karpenter_scheduler_unschedulable_pods_count"
	// Interruption messages taken from the SQS queue, per message_type.
	// aws/karpenter-provider-aws pkg/controllers/interruption/metrics.go.
	karpenterInterruptionMessages = "karpenter_interruption_received_messages_total"
	// controller-runtime's failed reconciles per controller (sigs.k8s.io/controller-runtime
	// v0.23.1, pkg/internal/controller/metrics/metrics.go), initialised to 0 when the controller
	// starts. The interruption controller is registered as "interruption".
	controllerReconcileErrors = "controller_runtime_reconcile_errors_total"
)

// karpenterLaunchFailureReasons are the disruption reasons of NodeClaims that never became
// nodes: the instance was not launched within 5 minutes, did not register within 15
// (liveness.go), or its EC2NodeClass is not ready (launch.go). insufficient_capacity is left
// out: Karpenter answers it by trying the next offering (another zone or type, on-demand for a
// Spot pool), so it is routine on Spot; the capacity dashboard shows it.
const karpenterLaunchFailureReasons = "launch_timeout|registration_timeout|nodeclass_not_ready"

// karpenterPoolLimitAboveValue: a pool whose nodes provide more than this share of its limit
// cannot take many more pods; at the limit Karpenter launches nothing more for it. The alert and
// the dashboard's threshold line use it.
const karpenterPoolLimitAboveValue = 0.9

var karpenterPoolLimitAbove = strconv.FormatFloat(karpenterPoolLimitAboveValue, 'f', -1, 64)

func karpenterSelector(namespace string) string {
	return fmt.Sprintf("job=%q, namespace=%q", karpenterJob, namespace)
}

// karpenterRules watch the node provisioner. Both replicas are scraped but only the leader runs
// the controllers that write these series, so the gauges are read with max and the counters
// summed over pods.
func karpenterRules(namespace string) []Rule {
	sel := karpenterSelector(namespace)
	warning := map[string]string{"severity": SeverityWarning}
	return []Rule{
		{
			Alert: AlertKarpenterDown,
			// Pending pods get no node, Spot interruptions and rebalance notices go unhandled and
			// nothing replaces an unhealthy node while no replica runs: that pages.
			Expr:   fmt.Sprintf("absent(up{%s} == 1)", sel),
			For:    "5m",
			Labels: map[string]string{"severity": SeverityCritical},
			Annotations: map[string]string{
				"summary": "Karpenter in " + namespace + " is down: no node is launched, replaced or drained ahead of an interruption.",
				"description": "For 5 minutes Prometheus has not scraped any Karpenter replica (Service " + karpenterService +
					", port " + karpenterMetricsPort + ", in " + namespace + "). Pods that need a new node stay Pending.",
			},
		},
		{
			Alert: AlertKarpenterNodePoolNearLimit,
			Expr: fmt.Sprintf("max by (%[1]s, resource_type) (%[2]s{%[4]s})\n/\n"+
				"max by (%[1]s, resource_type) (%[3]s{%[4]s} > 0)\n> %[5]s",
				nodePoolLabel, karpenterPoolUsage, karpenterPoolLimit, sel, karpenterPoolLimitAbove),
			For:    "15m",
			Labels: warning,
			Annotations: map[string]string{
				"summary": "Node pool {{ $labels.nodepool }} has used {{ $value | humanizePercentage }} of its {{ $labels.resource_type }} limit.",
				"description": "The nodes of Karpenter pool {{ $labels.nodepool }} provide {{ $value | humanizePercentage }} of the pool's " +
					"{{ $labels.resource_type }} limit: at the limit Karpenter launches no further node for it and new pods stay Pending. " +
					"Raise the pool's maximum ({{ $labels.nodepool }}MaxNodes in the stack configuration).",
			},
		},
		{
			Alert: AlertKarpenterNodeLaunchesFailing,
			// Two failures within the hour: one is a fluke, a broken launch path repeats (every
			// 5 minutes for a launch timeout). A reason seen for the first time since Karpenter
			// started creates its series at 1, which increase() cannot see, so a third failure may
			// be needed then. No "for": the window is the debounce, and the alert clears an hour
			// after the last failure.
			Expr: fmt.Sprintf("sum by (%s) (increase(%s{%s, reason=~%q}[1h])) >= 2",
				nodePoolLabel, karpenterNodeClaimsDisrupted, sel, karpenterLaunchFailureReasons),
			Labels: warning,
			Annotations: map[string]string{
				"summary": "Karpenter fails to bring up nodes for pool {{ $labels.nodepool }}.",
				"description": "{{ $value | humanize }} NodeClaims of pool {{ $labels.nodepool }} were given up within the hour: " +
					"the instance did not launch within 5 minutes, its node did not register within 15, or the EC2NodeClass is not ready. " +
					"Pods waiting for those nodes stay Pending.",
			},
		},
		{
			Alert: AlertKarpenterInterruptionQueueErrors,
			// The interruption controller polls the SQS queue in a loop and fails its reconcile
			// when it cannot receive or delete messages. controller-runtime retries a failing
			// reconcile with back-off up to 1000 s (client-go v0.35.3,
			// workqueue.DefaultTypedControllerRateLimiter), so a lasting failure still fails at
			// least three times an hour.
			Expr: fmt.Sprintf("sum by (namespace, job) (increase(%s{%s, controller=\"interruption\"}[1h])) >= 3",
				controllerReconcileErrors, sel),
			For:    "15m",
			Labels: warning,
			Annotations: map[string]string{
				"summary": "Karpenter cannot read its interruption queue.",
				"description": "Karpenter's interruption controller failed {{ $value | humanize }} times within the hour to receive or " +
					"delete messages of its SQS queue: Spot interruption warnings, rebalance recommendations and scheduled " +
					"maintenance reach no one, so those nodes are not drained ahead of time.",
			},
		},
	}
}
