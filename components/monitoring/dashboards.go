package monitoring

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/novacron/platform/metrics"
	"github.com/prometheus/common/model"
)

// DashboardSettings are what the NovaCron dashboards are built from.
type DashboardSettings struct {
	// Rules are the objectives; the SLO and services dashboards draw them as thresholds.
	Rules RuleSettings
	// Logs and Traces say whether Grafana has the Loki and the Tempo data source; panels and
	// links that query them are left out otherwise.
	Logs, Traces bool
	// ForecastHorizon is how far ahead the capacity dashboard's forecasts look.
	ForecastHorizon time.Duration
}

// capacityUtilisationTarget is the utilisation the plan asks node pools, pods and volumes to run
// at ("80%+ utilisation"): the capacity dashboard draws it as a threshold line, and a forecast
// crossing it is the signal to add capacity.
const capacityUtilisationTarget = 0.8

// defaultForecastHorizon backs ForecastHorizon when it is unset.
const defaultForecastHorizon = 3 * 24 * time.Hour

// dashboardSettings derives the dashboard settings from defaulted, validated arguments.
func (a *StackArgs) dashboardSettings() DashboardSettings {
	horizon := defaultForecastHorizon
	if h, err := model.ParseDuration(a.CapacityForecastHorizon); err == nil && h > 0 {
		horizon = time.Duration(h)
	}
	return DashboardSettings{
		Rules:           a.ruleSettings(),
		Logs:            a.LokiURL != "",
		Traces:          a.TempoURL != "",
		ForecastHorizon: horizon,
	}
}

// NovaCronDashboards renders every NovaCron dashboard, keyed by uid, which is also the file
// name Grafana provisions it under.
func NovaCronDashboards(s DashboardSettings) map[string]string {
	out := map[string]string{}
	for _, b := range []*board{sloBoard(s.Rules), servicesBoard(s), businessBoard(s), capacityBoard(s)} {
		out[b.doc.UID] = b.json()
	}
	return out
}

// SLODashboardJSON renders the NovaCron SLO dashboard (see sloBoard).
func SLODashboardJSON(s RuleSettings) (string, error) {
	return sloBoard(s).json(), nil
}

// latencyObjectiveQuantile is the share of requests the latency objective covers: "p95 below
// the objective" means 95% of requests are faster, so 5% may be slower. That 5% is the latency
// error budget.
const latencyObjectiveQuantile = 0.95

// latencyBucket is the histogram bucket boundary the latency SLI counts requests under: the
// objective itself when it is a bucket boundary of metrics.HTTPDurationBuckets (100 ms is),
// otherwise the next boundary above it, since a histogram cannot count below a boundary it
// lacks.
func latencyBucket(objective time.Duration) float64 {
	buckets := slices.Sorted(slices.Values(metrics.HTTPDurationBuckets()))
	for _, b := range buckets {
		if b >= objective.Seconds() {
			return b
		}
	}
	return buckets[len(buckets)-1]
}

// sloBoard is the NovaCron SLO dashboard: for each objective of the API (availability and
// latency) the budget left over 30 days and the burn rates the alerts watch; then the
// dependencies behind them. Its queries use the metric names and recording rules of
// PrometheusRuleGroups.
func sloBoard(s RuleSettings) *board {
	job := fmt.Sprintf(`job=%q`, s.APIJob)
	budget := errorBudget(s.AvailabilityTarget)
	b := newBoard(SLODashboardUID, "NovaCron / SLOs",
		"Objectives: "+percent(s.AvailabilityTarget)+" availability, p95 latency < "+s.APILatencyP95.String()+
			", over 30 days. Budget remaining below 0 means the objective is missed.", "slo")
	b.doc.Time = timeRange{From: "now-24h", To: "now"}

	// Burn-rate thresholds are the alerts' factors, in ascending order as Grafana reads them:
	// orange above the ticket tiers, red above the paging ones.
	var factors []step
	for _, t := range ticketTiers {
		factors = append(factors, step{t.factor, "orange"})
	}
	for _, t := range pageTiers {
		factors = append(factors, step{t.factor, "red"})
	}
	slices.SortFunc(factors, func(a, b step) int { return cmp.Compare(a.value, b.value) })
	burnSteps := steps("green", factors...)
	burnWindows := []string{"1h", "6h", "3d"}

	errors30d := fmt.Sprintf("sum(increase(%s{%s,%s=~%q}[30d])) / sum(increase(%s{%s}[30d]))",
		metrics.HTTPRequestsTotal, job, metrics.LabelCode, serverErrorCodeRegex, metrics.HTTPRequestsTotal, job)
	b.row("Availability: " + percent(s.AvailabilityTarget) + " of requests without a server error")
	b.add(statPanel(viz{title: "Availability (30d)", unit: "percentunit",
		// Below the objective is bad, so the colours run the other way.
		thresholds: steps("red", step{s.AvailabilityTarget, "green"})},
		promQuery("1 - ("+errors30d+")").instant()), 6, 8)
	b.add(statPanel(viz{title: "Availability error budget remaining (30d)", unit: "percentunit",
		thresholds: steps("red", step{0, "orange"}, step{0.25, "green"})},
		promQuery("1 - (("+errors30d+") / "+budget+")").instant()), 6, 8)
	burn := make([]target, len(burnWindows))
	for i, w := range burnWindows {
		burn[i] = promQuery(errorRatioRecord(w) + "{" + job + "} / " + budget).legend(w)
	}
	b.add(timeseriesPanel(viz{title: "Availability burn rate", unit: "none", thresholds: burnSteps, thresholdLine: true, minZero: true,
		description: "Error ratio over the window divided by the error budget; 1 spends the budget in exactly 30 days."},
		burn...), 12, 8)

	le := latencyBucket(s.APILatencyP95)
	latencyBudget := strconv.FormatFloat(1-latencyObjectiveQuantile, 'f', -1, 64)
	apiSel := fmt.Sprintf("%s,%s!=%q", job, metrics.LabelRoute, metrics.RouteUnmatched)
	within := func(window string) string {
		return fmt.Sprintf("sum(rate(%s_bucket{%s,le=%q}[%s])) / sum(rate(%s_count{%s}[%s]))",
			metrics.HTTPRequestDurationSeconds, apiSel, leValue(le), window, metrics.HTTPRequestDurationSeconds, apiSel, window)
	}
	b.row(fmt.Sprintf("Latency: %s of requests within %s", percent(latencyObjectiveQuantile), s.APILatencyP95))
	b.add(statPanel(viz{title: "Requests within " + s.APILatencyP95.String() + " (30d)", unit: "percentunit",
		description: "Share of requests to matched routes answered within " + strconv.FormatFloat(le, 'f', -1, 64) + " s (a bucket boundary of the latency histogram).",
		thresholds:  steps("red", step{latencyObjectiveQuantile, "green"})},
		promQuery(within("30d")).instant()), 6, 8)
	b.add(statPanel(viz{title: "Latency error budget remaining (30d)", unit: "percentunit",
		thresholds: steps("red", step{0, "orange"}, step{0.25, "green"})},
		promQuery("1 - ((1 - ("+within("30d")+")) / "+latencyBudget+")").instant()), 6, 8)
	latencyBurn := make([]target, len(burnWindows))
	for i, w := range burnWindows {
		latencyBurn[i] = promQuery("(1 - (" + within(w) + ")) / " + latencyBudget).legend(w)
	}
	b.add(timeseriesPanel(viz{title: "Latency burn rate", unit: "none", thresholds: burnSteps, thresholdLine: true, minZero: true,
		description: "Share of slow requests over the window divided by the latency budget (" + percent(1-latencyObjectiveQuantile) + ")."},
		latencyBurn...), 12, 8)
	b.add(timeseriesPanel(viz{title: "API p95 latency", unit: "s", minZero: true, thresholdLine: true,
		thresholds: steps("green", step{s.APILatencyP95.Seconds(), "red"})},
		promQuery(apiLatencyP95Record+"{"+job+"}").legend("p95")), 24, 8)

	b.row("Dependencies")
	b.add(timeseriesPanel(viz{title: "Database query p95 latency", unit: "s", minZero: true, thresholdLine: true,
		thresholds: steps("green", step{s.DBQueryLatencyP95.Seconds(), "red"})},
		promQuery(dbLatencyP95Record)), 12, 8)
	b.add(timeseriesPanel(viz{title: "Job failure ratio (15m)", unit: "percentunit", minZero: true, thresholdLine: true,
		thresholds: steps("green", step{s.JobFailureRatio, "red"})},
		promQuery(jobFailureRecord)), 12, 8)
	b.add(timeseriesPanel(viz{title: "Database connections in use", unit: "none", minZero: true},
		promQuery("sum by (job, "+metrics.LabelDatabase+") ("+metrics.DBConnectionsActive+")")), 12, 8)
	b.add(timeseriesPanel(viz{title: "Active users", unit: "none", minZero: true},
		promQuery("sum by (job) ("+metrics.ActiveUsers+")")), 12, 8)
	return b
}
