package monitoring

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/novacron/platform/metrics"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/util/teststorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func defaultRuleSettings() RuleSettings {
	d := (&StackArgs{}).withDefaults()
	return d.ruleSettings()
}

// fullRuleSettings turns every optional rule group on: the pipeline alerts need a telemetry
// namespace, the Talon alert Talon's namespace.
func fullRuleSettings() RuleSettings {
	d := (&StackArgs{TelemetryNamespace: "telemetry", FalcoTalonNamespace: "falco-talon"}).withDefaults()
	return d.ruleSettings()
}

// novacronAlerts are the alerts PrometheusRuleGroups defines with every group on.
var novacronAlerts = []string{
	AlertErrorBudgetFastBurn, AlertErrorBudgetSlowBurn, AlertAPILatencyHigh, AlertDBQueryLatencyHigh,
	AlertJobFailureRatio, AlertEndpointDown,
	AlertVolumeFillingUp, AlertNodeFilesystemFillingUp, AlertNodePoolRequestsFilling,
	AlertTelemetryTargetDown, AlertTelemetryExportFailing, AlertTelemetryRecordsDropped, AlertTelemetryExporterQueueFull,
	AlertLokiRequestErrors, AlertLokiDiscardingLogs, AlertTempoRequestErrors, AlertTempoDiscardingSpans,
	AlertGatekeeperViolations,
	AlertFalcoTalonDown,
	AlertKarpenterDown, AlertKarpenterNodePoolNearLimit, AlertKarpenterNodeLaunchesFailing, AlertKarpenterInterruptionQueueErrors,
	AlertWarningEscalated,
}

func alertNames(groups []RuleGroup) []string {
	var names []string
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				names = append(names, r.Alert)
			}
		}
	}
	return names
}

func rulesYAML(t *testing.T, s RuleSettings) []byte {
	t.Helper()
	out, err := yaml.Marshal(map[string]any{"groups": PrometheusRuleGroups(s)})
	require.NoError(t, err)
	return out
}

func TestRulesParseWithRulefmt(t *testing.T) {
	content := rulesYAML(t, fullRuleSettings())
	for _, scheme := range []model.ValidationScheme{model.UTF8Validation, model.LegacyValidation} {
		// rulefmt also parses every annotation and label template.
		groups, errs := rulefmt.Parse(content, false, scheme, parser.NewParser(parser.Options{}), nil)
		require.Empty(t, errs, "rulefmt (%s)", scheme)
		require.Len(t, groups.Groups, 10)
		var alerts []string
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					alerts = append(alerts, r.Alert)
				}
			}
		}
		assert.ElementsMatch(t, novacronAlerts, alerts)
	}
	assertGoldenYAML(t, "prometheus-rules.yaml", content)

	// Without a telemetry or Talon namespace their groups are left out, and nothing else changes.
	// Karpenter is watched unless turned off.
	groups := PrometheusRuleGroups(defaultRuleSettings())
	assert.Len(t, groups, 8)
	assert.NotContains(t, alertNames(groups), AlertTelemetryTargetDown)
	assert.NotContains(t, alertNames(groups), AlertFalcoTalonDown)
	assert.Contains(t, alertNames(groups), AlertKarpenterDown)
	assert.Contains(t, alertNames(groups), AlertWarningEscalated)
	assert.Equal(t, "novacron-escalation", groups[len(groups)-1].Name, "the escalation reads what the others wrote")

	d := (&StackArgs{DisableKarpenterMetrics: true}).withDefaults()
	groups = PrometheusRuleGroups(d.ruleSettings())
	assert.Len(t, groups, 7)
	for _, a := range []string{AlertKarpenterDown, AlertKarpenterNodePoolNearLimit, AlertKarpenterNodeLaunchesFailing, AlertKarpenterInterruptionQueueErrors} {
		assert.NotContains(t, alertNames(groups), a)
	}
	p := parser.NewParser(parser.Options{})
	for _, g := range groups {
		for _, r := range g.Rules {
			expr, err := p.ParseExpr(r.Expr)
			require.NoError(t, err)
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok {
					assert.NotContains(t, []string{karpenterPoolUsage, karpenterPoolLimit, poolLimitRecord}, vs.Name,
						"%s%s reads Karpenter's series with Karpenter off", r.Record, r.Alert)
					for _, m := range vs.LabelMatchers {
						assert.False(t, m.Name == "job" && m.Value == karpenterJob, "%s%s", r.Record, r.Alert)
					}
				}
				return nil
			})
		}
	}
}

// upstreamMetrics are the series the rules read that other software exports, with the source
// the name was checked against.
var upstreamMetrics = map[string]string{
	probeSuccessMetric:                               "blackbox exporter",
	"ALERTS":                                         "Prometheus, alerting rules (written by the rule manager)",
	"up":                                             "Prometheus, jobs and instances",
	"kubelet_volume_stats_available_bytes":           "kubelet volume stats (kubernetes-mixin KubePersistentVolumeFillingUp)",
	"kubelet_volume_stats_capacity_bytes":            "kubelet volume stats (kubernetes-mixin KubePersistentVolumeFillingUp)",
	"node_filesystem_avail_bytes":                    "node exporter filesystem collector (node-mixin)",
	"node_filesystem_size_bytes":                     "node exporter filesystem collector (node-mixin)",
	"node_filesystem_readonly":                       "node exporter filesystem collector (node-mixin)",
	"kube_pod_container_resource_requests":           "kube-state-metrics v2.20.0 pod-metrics.md",
	"kube_pod_status_phase":                          "kube-state-metrics v2.20.0 pod-metrics.md",
	"kube_node_labels":                               "kube-state-metrics v2.20.0 node-metrics.md",
	"kube_node_status_allocatable":                   "kube-state-metrics v2.20.0 node-metrics.md",
	"kube_daemonset_status_desired_number_scheduled": "kube-state-metrics v2.20.0 daemonset-metrics.md",
	"kube_daemonset_status_number_available":         "kube-state-metrics v2.20.0 daemonset-metrics.md",
	"otelcol_exporter_sent_spans":                    "collector exporterhelper documentation.md",
	"otelcol_exporter_sent_log_records":              "collector exporterhelper documentation.md",
	"otelcol_exporter_send_failed_spans":             "collector exporterhelper documentation.md",
	"otelcol_exporter_send_failed_log_records":       "collector exporterhelper documentation.md",
	"otelcol_exporter_enqueue_failed_spans":          "collector exporterhelper documentation.md",
	"otelcol_exporter_enqueue_failed_log_records":    "collector exporterhelper documentation.md",
	"otelcol_exporter_queue_size":                    "collector exporterhelper documentation.md",
	"otelcol_exporter_queue_capacity":                "collector exporterhelper documentation.md",
	"otelcol_receiver_refused_spans":                 "collector receiverhelper documentation.md",
	"otelcol_receiver_refused_log_records":           "collector receiverhelper documentation.md",
	"loki_request_duration_seconds_count":            "Loki (dskit instrumentation), loki-mixin LokiRequestErrors",
	"loki_discarded_samples_total":                   "Loki pkg/util/validation, docs on rate limits",
	"tempo_request_duration_seconds_count":           "Tempo (dskit instrumentation), tempo-mixin TempoRequestErrors",
	"tempo_discarded_spans_total":                    "Tempo docs, discarded spans",
	"gatekeeper_violations":                          "Gatekeeper v3.23.1 pkg/audit/stats_reporter.go, website/docs/metrics.md",
	// sigs.k8s.io/karpenter at the commit aws/karpenter-provider-aws v1.14.1 pins, and that
	// provider; website/content/en/docs/reference/metrics.md at v1.14.1 lists each.
	karpenterPoolUsage:           "sigs.k8s.io/karpenter pkg/controllers/metrics/nodepool/controller.go",
	karpenterPoolLimit:           "sigs.k8s.io/karpenter pkg/controllers/metrics/nodepool/controller.go",
	karpenterNodeClaimsDisrupted: "sigs.k8s.io/karpenter pkg/metrics/metrics.go",
	controllerReconcileErrors:    "sigs.k8s.io/controller-runtime v0.23.1 pkg/internal/controller/metrics/metrics.go",
}

// selectedName is the metric a selector reads: its name, or the name its __name__ regex
// matches with an optional _total suffix (otelcolCounter).
func selectedName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchRegexp {
			return strings.TrimSuffix(m.Value, "(_total)?")
		}
	}
	return ""
}

func TestRuleExpressionsParseAndUseOnlyKnownNames(t *testing.T) {
	groups := PrometheusRuleGroups(fullRuleSettings())
	known := map[string]bool{
		metrics.HTTPRequestsTotal:                      true,
		metrics.HTTPRequestDurationSeconds + "_bucket": true,
		metrics.DBQueryDurationSeconds + "_bucket":     true,
		metrics.JobsProcessedTotal:                     true,
	}
	for name := range upstreamMetrics {
		known[name] = true
	}
	recorded := map[string]bool{}
	p := parser.NewParser(parser.Options{})
	for _, g := range groups {
		for _, r := range g.Rules {
			expr, err := p.ParseExpr(r.Expr)
			require.NoError(t, err, "%s/%s%s", g.Name, r.Record, r.Alert)
			if r.Alert != "" {
				assert.Contains(t, []string{SeverityCritical, SeverityWarning}, r.Labels["severity"], r.Alert)
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok {
					// Recording rules come before their users in the same evaluation order.
					name := selectedName(vs)
					assert.True(t, known[name] || recorded[name],
						"%s reads %q, which is neither a metrics constant, a checked upstream metric nor an earlier recording rule",
						r.Alert+r.Record, name)
				}
				return nil
			})
			if r.Record != "" {
				recorded[r.Record] = true
			}
		}
	}
	assert.Len(t, recorded, len(errorRatioWindows)+7)
}

func TestEveryAlertCarriesItsRunbookURL(t *testing.T) {
	s := fullRuleSettings()
	s.RunbookBaseURL = "https://runbooks.novacron.invalid/ops/"
	for _, g := range PrometheusRuleGroups(s) {
		for _, r := range g.Rules {
			if r.Alert == "" {
				assert.Empty(t, r.Annotations, "recording rule %s", r.Record)
				continue
			}
			assert.Equal(t, "https://runbooks.novacron.invalid/ops/"+r.Alert+".md", r.Annotations["runbook_url"])
			assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
			assert.NotEmpty(t, r.Annotations["description"], r.Alert)
		}
	}
	assert.Equal(t, DefaultRunbookBaseURL+"/"+AlertEndpointDown+".md", RunbookURL(defaultRuleSettings().RunbookBaseURL, AlertEndpointDown))
}

func TestEscalationAndForecastFollowSettings(t *testing.T) {
	byName := func(s RuleSettings) map[string]Rule {
		out := map[string]Rule{}
		for _, g := range PrometheusRuleGroups(s) {
			for _, r := range g.Rules {
				out[r.Alert+r.Record] = r
			}
		}
		return out
	}
	d := byName(defaultRuleSettings())
	esc := d[AlertWarningEscalated]
	assert.Equal(t, "2h", esc.For)
	assert.Equal(t, SeverityCritical, esc.Labels["severity"])
	assert.Contains(t, esc.Expr, `ALERTS{alertstate="firing",severity="warning",alertname!="NovaCronWarningEscalated"}`)
	assert.Contains(t, d[AlertVolumeFillingUp].Expr, "[6h], 259200)")
	assert.Contains(t, d[AlertNodeFilesystemFillingUp].Expr, "[6h], 259200)")
	assert.Contains(t, d[AlertNodePoolRequestsFilling].Expr, "[1d], 259200)")
	assert.Contains(t, d[AlertVolumeFillingUp].Annotations["summary"], "within 3d")

	s := defaultRuleSettings()
	s.WarningEscalationAfter = 45 * time.Minute
	s.CapacityForecastHorizon = 7 * 24 * time.Hour
	o := byName(s)
	assert.Equal(t, "45m", o[AlertWarningEscalated].For)
	assert.Contains(t, o[AlertWarningEscalated].Annotations["summary"], "more than 45m")
	assert.Contains(t, o[AlertNodePoolRequestsFilling].Expr, "[1d], 604800)")
	assert.Contains(t, o[AlertNodeFilesystemFillingUp].Annotations["summary"], "within 1w")

	// The pipeline alerts select the configured namespace only.
	s.TelemetryNamespace = "observability"
	for _, g := range PrometheusRuleGroups(s) {
		if g.Name != "novacron-telemetry-pipeline" {
			continue
		}
		for _, r := range g.Rules {
			assert.Contains(t, r.Expr, `namespace="observability"`, r.Alert)
			assert.NotContains(t, r.Expr, `namespace="telemetry"`, r.Alert)
		}
	}

	// The Talon alert selects Talon's namespace, and a bad one is refused.
	s.FalcoTalonNamespace = "talon"
	assert.Contains(t, byName(s)[AlertFalcoTalonDown].Expr, `up{namespace="talon", job="falco-talon"} == 0`)
	assert.Equal(t, "falcoTalonNamespace", (&StackArgs{FalcoTalonNamespace: "Falco_Talon"}).Validate()[0].Field)

	// The Karpenter alerts and the pool limits select Karpenter's namespace, and a bad one is
	// refused.
	s.KarpenterNamespace = "karpenter"
	k := byName(s)
	for _, name := range []string{AlertKarpenterDown, AlertKarpenterNodePoolNearLimit, AlertKarpenterNodeLaunchesFailing,
		AlertKarpenterInterruptionQueueErrors, poolLimitRecord} {
		assert.Contains(t, k[name].Expr, `job="karpenter", namespace="karpenter"`, name)
		assert.NotContains(t, k[name].Expr, `namespace="kube-system"`, name)
	}
	assert.Equal(t, "karpenterNamespace", (&StackArgs{KarpenterNamespace: "Kube_System"}).Validate()[0].Field)

	// With Karpenter, a pool's ceiling is its limit where it has one; without, its allocatable.
	assert.Contains(t, k[AlertNodePoolRequestsFilling].Expr, "/ ("+poolLimitRecord+" or "+poolAllocatableRecord+") > 0.8")
	s.KarpenterNamespace = ""
	assert.Contains(t, byName(s)[AlertNodePoolRequestsFilling].Expr, "/ "+poolAllocatableRecord+" > 0.8")
	assert.NotContains(t, byName(s), poolLimitRecord)
}

func TestRuleThresholdsFollowSettings(t *testing.T) {
	s := defaultRuleSettings()
	s.AvailabilityTarget = 0.995
	s.APILatencyP95 = 250 * time.Millisecond
	s.JobFailureRatio = 0.1
	byName := map[string]Rule{}
	for _, g := range PrometheusRuleGroups(s) {
		for _, r := range g.Rules {
			byName[r.Alert] = r
		}
	}
	assert.Contains(t, byName[AlertErrorBudgetFastBurn].Expr, "> (14.4 * 0.005)")
	assert.Contains(t, byName[AlertErrorBudgetSlowBurn].Expr, "> (1 * 0.005)")
	assert.Contains(t, byName[AlertAPILatencyHigh].Expr, "> 0.25")
	assert.Contains(t, byName[AlertJobFailureRatio].Expr, "> 0.1")
	assert.Equal(t, "The API is burning its 99.5% availability error budget fast.", byName[AlertErrorBudgetFastBurn].Annotations["summary"])
}

// ruleEvaluator evaluates rule groups the way Prometheus's rule manager does, over synthetic
// series loaded with promqltest: every step it evaluates each group in order, appends the
// results of recording rules to storage and tracks how long each alert has been pending.
type ruleEvaluator struct {
	t       *testing.T
	storage *teststorage.TestStorage
	engine  *promql.Engine
	groups  []RuleGroup
}

func newRuleEvaluator(t *testing.T, load string, groups []RuleGroup) *ruleEvaluator {
	return &ruleEvaluator{
		t:       t,
		storage: promqltest.LoadedStorage(t, load),
		engine:  promqltest.NewTestEngine(t, false, 0, 10_000_000),
		groups:  groups,
	}
}

func (e *ruleEvaluator) query(expr string, ts time.Time) promql.Vector {
	e.t.Helper()
	q, err := e.engine.NewInstantQuery(context.Background(), e.storage, nil, expr, ts)
	require.NoError(e.t, err, expr)
	defer q.Close()
	res := q.Exec(context.Background())
	require.NoError(e.t, res.Err, expr)
	v, err := res.Vector()
	require.NoError(e.t, err, expr)
	return v
}

// run evaluates from..to (minutes since the start of the load) every minute and returns, for
// each minute, the firing alerts as "name{severity}" strings.
func (e *ruleEvaluator) run(from, to int) map[int][]string {
	firing := map[int][]string{}
	activeSince := map[string]time.Time{}
	for m := from; m <= to; m++ {
		ts := time.Unix(0, 0).UTC().Add(time.Duration(m) * time.Minute)
		for _, g := range e.groups {
			for _, r := range g.Rules {
				vec := e.query(r.Expr, ts)
				if r.Record != "" {
					app := e.storage.Appender(context.Background())
					for _, s := range vec {
						lbls := labels.NewBuilder(s.Metric).Set(model.MetricNameLabel, r.Record).Labels()
						_, err := app.Append(0, lbls, ts.UnixMilli(), s.F)
						require.NoError(e.t, err)
					}
					require.NoError(e.t, app.Commit())
					continue
				}
				hold := time.Duration(0)
				if r.For != "" {
					d, err := model.ParseDuration(r.For)
					require.NoError(e.t, err)
					hold = time.Duration(d)
				}
				present := map[string]bool{}
				for _, s := range vec {
					key := r.Alert + s.Metric.String()
					present[key] = true
					if _, ok := activeSince[key]; !ok {
						activeSince[key] = ts
					}
					if ts.Sub(activeSince[key]) >= hold {
						firing[m] = append(firing[m], r.Alert+"{"+r.Labels["severity"]+"}")
					}
				}
				for key := range activeSince {
					if strings.HasPrefix(key, r.Alert+"{") && !present[key] {
						delete(activeSince, key)
					}
				}
			}
		}
		sort.Strings(firing[m])
		firing[m] = slices.Compact(firing[m])
	}
	return firing
}

// series renders one promqltest load line.
func series(name string, lbls map[string]string, values string) string {
	keys := make([]string, 0, len(lbls))
	for k := range lbls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, lbls[k])
	}
	return fmt.Sprintf("  %s{%s} %s\n", name, strings.Join(parts, ","), values)
}

func apiRequests(code, values string) string {
	return series(metrics.HTTPRequestsTotal, map[string]string{
		"job": "novacron-api", metrics.LabelMethod: "get", metrics.LabelRoute: "/v1/vms/{id}", metrics.LabelCode: code,
	}, values)
}

// histogramSeries renders cumulative bucket counters for a histogram that receives perMinute
// observations a minute for minutes minutes, each observation taking observed seconds.
func histogramSeries(name string, lbls map[string]string, buckets []float64, perMinute int, observed float64, minutes int) string {
	var b strings.Builder
	for _, le := range append(buckets, -1) {
		l := map[string]string{}
		for k, v := range lbls {
			l[k] = v
		}
		l["le"] = "+Inf"
		if le >= 0 {
			l["le"] = fmt.Sprint(le)
		}
		inc := 0
		if le < 0 || observed <= le {
			inc = perMinute
		}
		b.WriteString(series(name+"_bucket", l, fmt.Sprintf("0+%dx%d", inc, minutes)))
	}
	return b.String()
}

func firedAny(firing map[int][]string, alert string) (int, bool) {
	minutes := make([]int, 0, len(firing))
	for m := range firing {
		minutes = append(minutes, m)
	}
	sort.Ints(minutes)
	for _, m := range minutes {
		for _, a := range firing[m] {
			if strings.HasPrefix(a, alert+"{") {
				return m, true
			}
		}
	}
	return 0, false
}

func TestBurnRateAlertsOnSyntheticTraffic(t *testing.T) {
	groups := PrometheusRuleGroups(defaultRuleSettings())
	tests := []struct {
		name      string
		load      string
		from, to  int
		wantFast  bool
		wantSlow  bool
		fastAfter int // the fast burn must fire no earlier than this minute
		fastBy    int // ... and no later than this one
	}{
		{
			// 100 requests/s with 0.05% errors: half the budget, nothing fires.
			name: "healthy traffic stays quiet",
			load: "load 1m\n" + apiRequests("200", "0+6000x300") + apiRequests("500", "0+3x300"),
			from: 120, to: 300,
		},
		{
			// Healthy for 3h, then half of all requests fail.
			name: "outage pages within minutes",
			load: "load 1m\n" + apiRequests("200", "0+6000x240") + apiRequests("500", "0+3x180 6540+6000x59"),
			from: 150, to: 240, wantFast: true, fastAfter: 181, fastBy: 190,
			// A full outage also burns the slow windows well past 3x; the ticket fires too.
			wantSlow: true,
		},
		{
			// 0.5% errors for 7h: five times the budget, a ticket but no page.
			name: "steady slow burn opens a ticket only",
			load: "load 1m\n" + apiRequests("200", "0+6000x420") + apiRequests("500", "0+30x420"),
			from: 360, to: 420, wantSlow: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			firing := newRuleEvaluator(t, tt.load, groups).run(tt.from, tt.to)
			at, fast := firedAny(firing, AlertErrorBudgetFastBurn)
			assert.Equal(t, tt.wantFast, fast, "fast burn (first at minute %d)", at)
			if tt.wantFast {
				assert.GreaterOrEqual(t, at, tt.fastAfter, "paged before the outage began")
				assert.LessOrEqual(t, at, tt.fastBy, "paged too late")
				assert.Contains(t, firing[tt.to], AlertErrorBudgetFastBurn+"{critical}")
			}
			_, slow := firedAny(firing, AlertErrorBudgetSlowBurn)
			assert.Equal(t, tt.wantSlow, slow, "slow burn")
			if tt.wantSlow {
				assert.Contains(t, firing[tt.to], AlertErrorBudgetSlowBurn+"{warning}")
			}
		})
	}
}

func TestLatencyJobAndProbeAlertsOnSyntheticData(t *testing.T) {
	groups := PrometheusRuleGroups(defaultRuleSettings())
	apiLabels := map[string]string{"job": "novacron-api", metrics.LabelMethod: "get", metrics.LabelRoute: "/v1/vms/{id}"}
	dbLabels := map[string]string{"job": "novacron-api", metrics.LabelOperation: "get_vm"}
	jobs := func(ok, failed int) string {
		l := map[string]string{"job": "novacron-worker", metrics.LabelJobType: "migrate_vm"}
		l[metrics.LabelStatus] = metrics.StatusSuccess
		out := series(metrics.JobsProcessedTotal, l, fmt.Sprintf("0+%dx60", ok))
		l[metrics.LabelStatus] = metrics.StatusFailure
		return out + series(metrics.JobsProcessedTotal, l, fmt.Sprintf("0+%dx60", failed))
	}
	tests := []struct {
		name  string
		load  string
		alert string
		want  bool
	}{
		{"API answering in 50 ms", histogramSeries(metrics.HTTPRequestDurationSeconds, apiLabels, metrics.HTTPDurationBuckets(), 600, 0.05, 60), AlertAPILatencyHigh, false},
		{"API answering in 300 ms", histogramSeries(metrics.HTTPRequestDurationSeconds, apiLabels, metrics.HTTPDurationBuckets(), 600, 0.3, 60), AlertAPILatencyHigh, true},
		{"queries in 20 ms", histogramSeries(metrics.DBQueryDurationSeconds, dbLabels, metrics.DBQueryDurationBuckets(), 600, 0.02, 60), AlertDBQueryLatencyHigh, false},
		{"queries in 800 ms", histogramSeries(metrics.DBQueryDurationSeconds, dbLabels, metrics.DBQueryDurationBuckets(), 600, 0.8, 60), AlertDBQueryLatencyHigh, true},
		{"1% of jobs fail", jobs(99, 1), AlertJobFailureRatio, false},
		{"10% of jobs fail", jobs(90, 10), AlertJobFailureRatio, true},
		{"endpoint up", series(probeSuccessMetric, map[string]string{"job": probeJobName, "instance": "https://api.novacron.invalid/health"}, "1x60"), AlertEndpointDown, false},
		{"endpoint down", series(probeSuccessMetric, map[string]string{"job": probeJobName, "instance": "https://api.novacron.invalid/health"}, "0x60"), AlertEndpointDown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Karpenter is up: its absence would page too.
			firing := newRuleEvaluator(t, "load 1m\n"+tt.load+karpenterUp("1x60"), groups).run(20, 60)
			_, fired := firedAny(firing, tt.alert)
			assert.Equal(t, tt.want, fired)
			if tt.want {
				assert.Len(t, firing[60], 1, "only %s fires: %v", tt.alert, firing[60])
			}
		})
	}
}
