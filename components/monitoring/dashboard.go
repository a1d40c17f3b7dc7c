package monitoring

import (
	"encoding/json"
	"fmt"

	"github.com/novacron/platform/metrics"
)

// grafanaDatasourceUID is the uid kube-prometheus-stack gives its Prometheus datasource
// (grafana.sidecar.datasources.uid in the chart's values.yaml).
const grafanaDatasourceUID = "prometheus"

// SLODashboardUID is the uid of the NovaCron SLO dashboard in Grafana.
const SLODashboardUID = "novacron-slo"

type dashboardPanel struct {
	ID         int              `json:"id"`
	Type       string           `json:"type"`
	Title      string           `json:"title"`
	GridPos    map[string]int   `json:"gridPos"`
	Datasource map[string]any   `json:"datasource"`
	Targets    []dashboardQuery `json:"targets"`
	FieldCfg   map[string]any   `json:"fieldConfig"`
}

type dashboardQuery struct {
	RefID        string         `json:"refId"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	Datasource   map[string]any `json:"datasource"`
}

// SLODashboardJSON renders the NovaCron SLO dashboard: availability and error budget against the
// objective, burn rates, API and database p95 latency, job failures, connections and users. Its
// queries use the same metric names and recording rules as PrometheusRuleGroups.
func SLODashboardJSON(s RuleSettings) (string, error) {
	ds := map[string]any{"type": "prometheus", "uid": grafanaDatasourceUID}
	job := fmt.Sprintf(`job=%q`, s.APIJob)
	budget := errorBudget(s.AvailabilityTarget)
	errors30d := fmt.Sprintf("sum(increase(%s{%s,%s=~%q}[30d])) / sum(increase(%s{%s}[30d]))",
		metrics.HTTPRequestsTotal, job, metrics.LabelCode, serverErrorCodeRegex, metrics.HTTPRequestsTotal, job)

	type spec struct {
		kind, title, unit string
		threshold         float64
		exprs             []string
	}
	specs := []spec{
		{"stat", "Availability (30d)", "percentunit", s.AvailabilityTarget,
			[]string{"1 - (" + errors30d + ")"}},
		{"stat", "Error budget remaining (30d)", "percentunit", 0,
			[]string{"1 - ((" + errors30d + ") / " + budget + ")"}},
		{"timeseries", "Error budget burn rate", "none", 1,
			[]string{
				errorRatioRecord("1h") + "{" + job + "} / " + budget,
				errorRatioRecord("6h") + "{" + job + "} / " + budget,
				errorRatioRecord("3d") + "{" + job + "} / " + budget,
			}},
		{"timeseries", "API p95 latency", "s", s.APILatencyP95.Seconds(),
			[]string{apiLatencyP95Record + "{" + job + "}"}},
		{"timeseries", "Database query p95 latency", "s", s.DBQueryLatencyP95.Seconds(),
			[]string{dbLatencyP95Record}},
		{"timeseries", "Job failure ratio (15m)", "percentunit", s.JobFailureRatio,
			[]string{jobFailureRecord}},
		{"timeseries", "Database connections in use", "none", 0,
			[]string{"sum by (job, " + metrics.LabelDatabase + ") (" + metrics.DBConnectionsActive + ")"}},
		{"timeseries", "Active users", "none", 0,
			[]string{"sum by (job) (" + metrics.ActiveUsers + ")"}},
	}

	panels := make([]dashboardPanel, len(specs))
	for i, sp := range specs {
		width := 12
		if sp.kind == "stat" {
			width = 6
		}
		steps := []map[string]any{{"color": "green", "value": nil}}
		if sp.threshold > 0 {
			steps = append(steps, map[string]any{"color": "red", "value": sp.threshold})
		}
		if sp.title == "Availability (30d)" {
			// Below the objective is bad, so the colours are the other way round.
			steps = []map[string]any{{"color": "red", "value": nil}, {"color": "green", "value": sp.threshold}}
		}
		p := dashboardPanel{
			ID:         i + 1,
			Type:       sp.kind,
			Title:      sp.title,
			GridPos:    map[string]int{"h": 8, "w": width, "x": (i * width) % 24, "y": i / 2 * 8},
			Datasource: ds,
			FieldCfg: map[string]any{"defaults": map[string]any{
				"unit":       sp.unit,
				"thresholds": map[string]any{"mode": "absolute", "steps": steps},
			}, "overrides": []any{}},
		}
		for j, e := range sp.exprs {
			// "__auto" lets Grafana name series from their labels without a "{{label}}" template,
			// which keeps the dashboard free of template braces.
			p.Targets = append(p.Targets, dashboardQuery{
				RefID: string(rune('A' + j)), Expr: e, LegendFormat: "__auto", Datasource: ds,
			})
		}
		panels[i] = p
	}

	dashboard := map[string]any{
		"uid":           SLODashboardUID,
		"title":         "NovaCron / SLOs",
		"tags":          []string{"novacron", "slo"},
		"timezone":      "utc",
		"schemaVersion": 39,
		"editable":      false,
		"refresh":       "1m",
		"time":          map[string]string{"from": "now-24h", "to": "now"},
		"description": "Objectives: " + percent(s.AvailabilityTarget) + " availability, p95 latency < " +
			s.APILatencyP95.String() + ".",
		"panels": panels,
	}
	out, err := json.MarshalIndent(dashboard, "", "  ")
	if err != nil {
		return "", fmt.Errorf("slo dashboard: %w", err)
	}
	return string(out), nil
}
