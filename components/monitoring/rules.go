package monitoring

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/novacron/platform/metrics"
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
}

// Alert names: part of the contract with on-call runbooks and silences.
const (
	AlertErrorBudgetFastBurn = "NovaCronAPIErrorBudgetFastBurn"
	AlertErrorBudgetSlowBurn = "NovaCronAPIErrorBudgetSlowBurn"
	AlertAPILatencyHigh      = "NovaCronAPILatencyP95High"
	AlertDBQueryLatencyHigh  = "NovaCronDatabaseQueryLatencyP95High"
	AlertJobFailureRatio     = "NovaCronJobFailureRatioHigh"
	AlertEndpointDown        = "NovaCronEndpointDown"
)

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

	return []RuleGroup{
		{Name: "novacron-api-availability", Rules: availability},
		{Name: "novacron-latency", Rules: latency},
		{Name: "novacron-jobs", Rules: jobs},
		{Name: "novacron-probes", Rules: probes},
	}
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
