package monitoring

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/novacron/platform/metrics"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/rules"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// firingByMinute evaluates rule groups the way `promtool test rules` does: the groups are loaded
// from a rule file by Prometheus's rule manager and evaluated every minute over the series of
// load (promqltest notation, one sample a minute from minute 0); it returns, for each minute
// up to minutes, the alerts in state firing.
func firingByMinute(t *testing.T, groups []RuleGroup, load string, minutes int) ([]map[string]bool, error) {
	t.Helper()
	byMinute, err := firingAlertsByMinute(t, groups, load, minutes)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]bool, len(byMinute))
	for m, alerts := range byMinute {
		out[m] = map[string]bool{}
		for name := range alerts {
			out[m][name] = true
		}
	}
	return out, nil
}

// firingAlertsByMinute is firingByMinute with the label sets of each firing alert. The rule
// manager also writes the ALERTS series, so rules that read it see what a real Prometheus sees.
func firingAlertsByMinute(t *testing.T, groups []RuleGroup, load string, minutes int) ([]map[string][]labels.Labels, error) {
	t.Helper()
	content, err := yaml.Marshal(map[string]any{"groups": groups})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "rules.yaml")
	require.NoError(t, os.WriteFile(file, content, 0o600))

	suite, err := promqltest.NewLazyLoader("load 1m\n"+load, promqltest.LazyLoaderOpts{
		EnableAtModifier: true, EnableNegativeOffset: true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = suite.Close() })

	m := rules.NewManager(&rules.ManagerOptions{
		QueryFunc:    rules.EngineQueryFunc(suite.QueryEngine(), suite.Storage()),
		AppendableV2: suite.Storage(),
		Queryable:    suite.Storage(),
		Context:      context.Background(),
		NotifyFunc:   func(context.Context, string, ...*rules.Alert) {},
		Logger:       promslog.NewNopLogger(),
	})
	loaded, errs := m.LoadGroups(time.Minute, labels.EmptyLabels(), "", nil, false, file)
	if len(errs) > 0 {
		return nil, fmt.Errorf("load rules: %v", errs)
	}
	// The rule manager keys groups by file and name; evaluate them in the file's order so that
	// recording rules are written before the alerts that read them.
	var ordered []*rules.Group
	for _, g := range groups {
		for _, lg := range loaded {
			if lg.Name() == g.Name {
				ordered = append(ordered, lg)
			}
		}
	}
	for _, g := range ordered {
		for _, r := range g.Rules() {
			if ar, ok := r.(*rules.AlertingRule); ok {
				ar.SetRestored(true)
			}
		}
	}

	out := make([]map[string][]labels.Labels, minutes+1)
	var evalErr error
	for m := 0; m <= minutes; m++ {
		ts := time.Unix(0, 0).UTC().Add(time.Duration(m) * time.Minute)
		firing := map[string][]labels.Labels{}
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				evalErr = err
				return
			}
			for _, g := range ordered {
				g.Eval(suite.Context(), ts)
				for _, r := range g.Rules() {
					if r.LastError() != nil && evalErr == nil {
						evalErr = fmt.Errorf("%s at minute %d: %w", r.Name(), m, r.LastError())
					}
					if ar, ok := r.(*rules.AlertingRule); ok {
						for _, a := range ar.ActiveAlerts() {
							if a.State == rules.StateFiring {
								firing[ar.Name()] = append(firing[ar.Name()], a.Labels)
							}
						}
					}
				}
			}
		})
		if evalErr != nil {
			return nil, evalErr
		}
		out[m] = firing
	}
	return out, nil
}

// alertScenario drives one alert through a condition that holds, then stops holding.
type alertScenario struct {
	load string
	// firesBy is the minute by which the alert must fire.
	firesBy int
	// stopsAt is the minute the condition stops holding; clearsBy the minute by which the alert
	// must have stopped firing, and stay quiet until the end of the run.
	stopsAt, clearsBy int
}

// lifecycleProblem says what is wrong with an alert's run, or "" when it fired in time and
// then cleared for good.
func lifecycleProblem(firing []map[string]bool, alert string, sc alertScenario) string {
	first := -1
	for m := 0; m <= sc.firesBy && m < len(firing); m++ {
		if firing[m][alert] {
			first = m
			break
		}
	}
	if first < 0 {
		return fmt.Sprintf("%s never fired by minute %d", alert, sc.firesBy)
	}
	for m := sc.clearsBy; m < len(firing); m++ {
		if firing[m][alert] {
			return fmt.Sprintf("%s still fires at minute %d, %d minutes after its condition stopped holding: it cannot clear",
				alert, m, m-sc.stopsAt)
		}
	}
	return ""
}

// counter renders a counter's samples, one a minute, that grows by each phase's increment for
// that phase's minutes.
func counter(phases ...[2]int) string {
	v := 0
	vals := []string{"0"}
	for _, p := range phases {
		for range p[0] {
			v += p[1]
			vals = append(vals, strconv.Itoa(v))
		}
	}
	return strings.Join(vals, " ")
}

// histogramPhases renders the bucket counters of a histogram observing perMinute observations a
// minute, each lasting the phase's seconds, phase after phase.
func histogramPhases(name string, lbls map[string]string, buckets []float64, perMinute int, phases ...struct {
	minutes int
	seconds float64
},
) string {
	var b strings.Builder
	for _, le := range append(slices.Clone(buckets), -1) {
		l := map[string]string{"le": "+Inf"}
		for k, v := range lbls {
			l[k] = v
		}
		if le >= 0 {
			l["le"] = strconv.FormatFloat(le, 'g', -1, 64)
		}
		var ps [][2]int
		for _, p := range phases {
			inc := 0
			if le < 0 || p.seconds <= le {
				inc = perMinute
			}
			ps = append(ps, [2]int{p.minutes, inc})
		}
		b.WriteString(series(name+"_bucket", l, counter(ps...)))
	}
	return b.String()
}

type phase = struct {
	minutes int
	seconds float64
}

// alertScenarios has one scenario per alert NovaCron defines; a new alert without one fails
// TestEveryAlertFiresAndClears.
func alertScenarios() map[string]alertScenario {
	api := func(code string, phases ...[2]int) string {
		return series(metrics.HTTPRequestsTotal, map[string]string{
			"job": "novacron-api", metrics.LabelMethod: "get", metrics.LabelRoute: "/v1/vms/{id}", metrics.LabelCode: code,
		}, counter(phases...))
	}
	apiLabels := map[string]string{"job": "novacron-api", metrics.LabelMethod: "get", metrics.LabelRoute: "/v1/vms/{id}"}
	dbLabels := map[string]string{"job": "novacron-api", metrics.LabelOperation: "get_vm"}
	jobs := func(phases ...[2]int) string {
		l := map[string]string{"job": "novacron-worker", metrics.LabelJobType: "migrate_vm", metrics.LabelStatus: metrics.StatusSuccess}
		out := series(metrics.JobsProcessedTotal, l, counter([2]int{90, 90}))
		l[metrics.LabelStatus] = metrics.StatusFailure
		return out + series(metrics.JobsProcessedTotal, l, counter(phases...))
	}
	probe := func(values string) string {
		return series(probeSuccessMetric, map[string]string{"job": probeJobName, "instance": "https://api.novacron.invalid/health"}, values)
	}
	scenarios := map[string]alertScenario{
		// 100 requests/s; healthy for 3h, half of them fail for 1h, healthy again. The fast
		// burn pages within minutes and stops once the 5m and 30m windows are clean again.
		AlertErrorBudgetFastBurn: {
			load:    api("200", [2]int{300, 6000}) + api("500", [2]int{180, 3}, [2]int{60, 6000}, [2]int{60, 0}),
			firesBy: 190, stopsAt: 240, clearsBy: 275,
		},
		// 0.5% errors (five times the budget) for 7h, then none: the 6h short window is the last
		// to fall below 1x, about 5h after the errors stop.
		AlertErrorBudgetSlowBurn: {
			load:    api("200", [2]int{780, 6000}) + api("500", [2]int{420, 30}, [2]int{360, 0}),
			firesBy: 60, stopsAt: 420, clearsBy: 720,
		},
		AlertAPILatencyHigh: {
			load: histogramPhases(metrics.HTTPRequestDurationSeconds, apiLabels, metrics.HTTPDurationBuckets(), 600,
				phase{40, 0.3}, phase{40, 0.05}),
			firesBy: 20, stopsAt: 40, clearsBy: 50,
		},
		AlertDBQueryLatencyHigh: {
			load: histogramPhases(metrics.DBQueryDurationSeconds, dbLabels, metrics.DBQueryDurationBuckets(), 600,
				phase{40, 0.8}, phase{40, 0.02}),
			firesBy: 20, stopsAt: 40, clearsBy: 50,
		},
		// 10% of jobs fail for 45 minutes, then 1%.
		AlertJobFailureRatio: {
			load:    jobs([2]int{45, 10}, [2]int{45, 1}),
			firesBy: 35, stopsAt: 45, clearsBy: 65,
		},
		AlertEndpointDown: {
			load:    probe("0x20 1x20"),
			firesBy: 6, stopsAt: 20, clearsBy: 21,
		},
		// A warning (the pipeline's target down, 15m) fires at minute 15 and resolves at 151;
		// 2h after it fired, the escalation pages, and it stops with the warning.
		AlertWarningEscalated: {
			// Talon is up throughout: its absence would be a warning that never resolves.
			load:    agentUp("0x150 1x60") + talonUp("1x210"),
			firesBy: 136, stopsAt: 151, clearsBy: 152,
		},
	}
	for name, sc := range capacityScenarios() {
		scenarios[name] = sc
	}
	for name, sc := range pipelineScenarios() {
		scenarios[name] = sc
	}
	for name, sc := range karpenterScenarios() {
		scenarios[name] = sc
	}
	// Three deny violations from minute 11 to 41, fixed at 42; the platform namespaces' dryrun
	// violations stay throughout and must not keep the alert firing.
	gk := func(action, values string) string {
		return series("gatekeeper_violations", map[string]string{
			"enforcement_action": action, "job": "gatekeeper-system/gatekeeper", "namespace": "gatekeeper-system", "pod": "gatekeeper-audit-0",
		}, values)
	}
	// Talon's replica fails its scrape from minute 10 to 40 (TestFalcoTalonDownWithoutATarget
	// covers no target at all).
	scenarios[AlertFalcoTalonDown] = alertScenario{
		load:    talonUp("1x10 0x30 1x40"),
		firesBy: 26, stopsAt: 42, clearsBy: 43,
	}
	scenarios[AlertGatekeeperViolations] = alertScenario{
		load:    gk("deny", "0x10 3x30 0x40") + gk("dryrun", "12x80"),
		firesBy: 27, stopsAt: 42, clearsBy: 43,
	}
	return scenarios
}

// gauge renders a gauge's samples, one a minute, from start, changing by each phase's step
// every minute for that phase's minutes.
func gauge(start float64, phases ...struct {
	minutes int
	step    float64
},
) string {
	v := start
	vals := []string{strconv.FormatFloat(v, 'f', -1, 64)}
	for _, p := range phases {
		for range p.minutes {
			v += p.step
			vals = append(vals, strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64))
		}
	}
	return strings.Join(vals, " ")
}

type gaugeStep = struct {
	minutes int
	step    float64
}

// agentUp is the scrape health of one collector agent in the telemetry namespace.
func agentUp(values string) string {
	return series("up", map[string]string{"namespace": "telemetry", "job": "otel-agent", "instance": "10.0.1.5:8888"}, values)
}

// karpenterTarget are the labels the karpenter scrape job gives the series of one replica.
func karpenterTarget(pod string, extra map[string]string) map[string]string {
	l := map[string]string{"job": karpenterJob, "namespace": "kube-system", "service": karpenterService,
		"pod": pod, "instance": "10.0.1.9:8080"}
	if pod != "karpenter-7d9f-a" {
		l["instance"] = "10.0.2.9:8080"
	}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// karpenterUp is the scrape health of one Karpenter replica.
func karpenterUp(values string) string {
	return series("up", karpenterTarget("karpenter-7d9f-a", nil), values)
}

// karpenterSeries is a series of the leading Karpenter replica.
func karpenterSeries(name string, lbls map[string]string, values string) string {
	return series(name, karpenterTarget("karpenter-7d9f-a", lbls), values)
}

// karpenterScenarios break the node provisioner for a while, with the series Karpenter writes.
func karpenterScenarios() map[string]alertScenario {
	cpu := map[string]string{"nodepool": "general", "resource_type": "cpu"}
	memory := map[string]string{"nodepool": "general", "resource_type": "memory"}
	// A launch timeout every 5 minutes from minute 10 to 40; the series appears with the first.
	failures := "_x10"
	for m, v := 10, 1; m <= 120; m++ {
		if m > 10 && m <= 40 && m%5 == 0 {
			v++
		}
		failures += " " + strconv.Itoa(v)
	}
	return map[string]alertScenario{
		// Both replicas fail their scrape from minute 11 to 41.
		AlertKarpenterDown: {
			load: karpenterUp("1x10 0x30 1x40") +
				series("up", karpenterTarget("karpenter-7d9f-b", nil), "1x10 0x30 1x40"),
			firesBy: 16, stopsAt: 42, clearsBy: 43,
		},
		// Ten m5.xlarge of a ten-node limit from minute 11 to 41 (100%), nine otherwise (90%:
		// not above). Memory stays below: the node's capacity is under the catalogue's 16 GiB.
		AlertKarpenterNodePoolNearLimit: {
			load: karpenterSeries(karpenterPoolUsage, cpu, "36x10 40x30 36x40") +
				karpenterSeries(karpenterPoolLimit, cpu, "40x80") +
				karpenterSeries(karpenterPoolUsage, memory, "150000000000x80") +
				karpenterSeries(karpenterPoolLimit, memory, "171798691840x80"),
			firesBy: 26, stopsAt: 42, clearsBy: 43,
		},
		// Once only one failure remains within the hour (minute 95), the alert clears.
		AlertKarpenterNodeLaunchesFailing: {
			load: karpenterSeries(karpenterNodeClaimsDisrupted,
				map[string]string{"nodepool": "general", "reason": "launch_timeout", "capacity_type": "on-demand"}, failures),
			firesBy: 21, stopsAt: 40, clearsBy: 96,
		},
		// The queue is unreadable from minute 10 to 40, a failed poll a minute; the counter is
		// there from the start, at 0.
		AlertKarpenterInterruptionQueueErrors: {
			load: karpenterSeries(controllerReconcileErrors, map[string]string{"controller": "interruption"},
				counter([2]int{10, 0}, [2]int{30, 1}, [2]int{80, 0})),
			firesBy: 29, stopsAt: 40, clearsBy: 98,
		},
	}
}

// talonUp is the scrape health of Falco Talon's replica, with the labels its ServiceMonitor yields.
func talonUp(values string) string {
	return series("up", map[string]string{"namespace": "falco-talon", "job": falcoTalonJob, "instance": "10.0.1.7:2803"}, values)
}

// capacityScenarios fill a volume, a disk and a node pool, then stop. The figures were worked
// out with the same least-squares fit predict_linear does: with a 6h trend window the forecast
// stops saying "full within 3d" about 5h after the filling stops, with the node pools' 1d window
// about 20h after.
func capacityScenarios() map[string]alertScenario {
	// 1000 bytes: a quarter free at minute 160, filling at 0.5 a minute (full in 7h), then flat
	// at 205 from minute 250.
	filling := gauge(300, gaugeStep{60, 0}, gaugeStep{190, -0.5}, gaugeStep{700, 0})
	pvc := map[string]string{"namespace": "monitoring", "persistentvolumeclaim": "prometheus-db", "node": "ip-10-0-1-1"}
	disk := map[string]string{"instance": "10.0.1.1:9100", "device": "/dev/nvme0n1p1", "mountpoint": "/", "fstype": "xfs"}

	pool := func(name string, lbls map[string]string, values string) string {
		l := map[string]string{"node": "ip-10-0-1-1"}
		for k, v := range lbls {
			l[k] = v
		}
		return series(name, l, values)
	}
	// Two nodes of the fixed-size system node group, 50 cores allocatable each: its ceiling is its
	// allocatable. Requests sit at 70 cores, grow by 0.05 a minute for 5h (to 85, the group would
	// be full in a day at that pace), then stay.
	group := map[string]string{"label_eks_amazonaws_com_nodegroup": "cluster-system-2026", "label_workload": "system"}
	nodes := pool("kube_node_labels", group, "1x2000") +
		series("kube_node_labels", map[string]string{"node": "ip-10-0-2-1",
			"label_eks_amazonaws_com_nodegroup": "cluster-system-2026", "label_workload": "system"}, "1x2000") +
		pool("kube_node_status_allocatable", map[string]string{"resource": "cpu", "unit": "core"}, "50x2000") +
		series("kube_node_status_allocatable", map[string]string{"node": "ip-10-0-2-1", "resource": "cpu", "unit": "core"}, "50x2000")
	pod := map[string]string{"namespace": "novacron", "pod": "api-1"}
	requests := pool("kube_pod_container_resource_requests",
		map[string]string{"namespace": "novacron", "pod": "api-1", "container": "api", "resource": "cpu", "unit": "core"},
		gauge(70, gaugeStep{60, 0}, gaugeStep{300, 0.05}, gaugeStep{1640, 0})) +
		series("kube_pod_status_phase", map[string]string{"namespace": pod["namespace"], "pod": pod["pod"], "phase": "Running"}, "1x2000")

	return map[string]alertScenario{
		AlertVolumeFillingUp: {
			load: series("kubelet_volume_stats_available_bytes", pvc, filling) +
				series("kubelet_volume_stats_capacity_bytes", pvc, "1000x950"),
			firesBy: 225, stopsAt: 250, clearsBy: 545,
		},
		AlertNodeFilesystemFillingUp: {
			load: series("node_filesystem_avail_bytes", disk, filling) +
				series("node_filesystem_size_bytes", disk, "1000x950") +
				series("node_filesystem_readonly", disk, "0x950"),
			firesBy: 225, stopsAt: 250, clearsBy: 545,
		},
		AlertNodePoolRequestsFilling: {
			load:    nodes + requests,
			firesBy: 325, stopsAt: 360, clearsBy: 1585,
		},
	}
}

// pipelineScenarios break each part of the log and trace pipeline for a while. The collector's
// counters appear with and without the _total suffix, as otelcolCounter allows.
func pipelineScenarios() map[string]alertScenario {
	tel := func(name string, lbls map[string]string, values string) string {
		l := map[string]string{"namespace": "telemetry"}
		for k, v := range lbls {
			l[k] = v
		}
		return series(name, l, values)
	}
	gateway := map[string]string{"job": "otel-gateway", "pod": "otel-gateway-0", "exporter": "otlp/tempo"}
	agent := map[string]string{"job": "otel-agent", "pod": "otel-agent-x1", "receiver": "filelog", "transport": ""}
	lokiOK := map[string]string{"job": "telemetry/loki", "route": "otlp_v1_logs", "status_code": "204"}
	lokiErr := map[string]string{"job": "telemetry/loki", "route": "otlp_v1_logs", "status_code": "500"}
	tempoOK := map[string]string{"job": "telemetry/tempo", "route": "/tempopb.Pusher/PushBytesV2", "status_code": "success"}
	tempoErr := map[string]string{"job": "telemetry/tempo", "route": "/tempopb.Pusher/PushBytesV2", "status_code": "error"}
	queue := map[string]string{"job": "otel-agent", "pod": "otel-agent-x1", "exporter": "otlphttp/loki", "data_type": "logs"}
	// Broken from minute 10 to 40: a counter that grows by 20 a minute, then stands still.
	broken := counter([2]int{10, 0}, [2]int{30, 20}, [2]int{40, 0})
	steady := counter([2]int{80, 100})

	return map[string]alertScenario{
		AlertTelemetryTargetDown: {
			load:    agentUp("1x10 0x30 1x40"),
			firesBy: 26, stopsAt: 42, clearsBy: 43,
		},
		AlertTelemetryExportFailing: {
			load: tel("otelcol_exporter_sent_spans", gateway, steady) +
				tel("otelcol_exporter_send_failed_spans", gateway, broken),
			firesBy: 22, stopsAt: 40, clearsBy: 46,
		},
		AlertTelemetryRecordsDropped: {
			load:    tel("otelcol_receiver_refused_log_records_total", agent, broken),
			firesBy: 22, stopsAt: 40, clearsBy: 46,
		},
		AlertTelemetryExporterQueueFull: {
			load: tel("otelcol_exporter_queue_size", queue, "100x10 900x30 100x40") +
				tel("otelcol_exporter_queue_capacity", queue, "1000x80"),
			firesBy: 21, stopsAt: 41, clearsBy: 42,
		},
		AlertLokiRequestErrors: {
			load:    tel("loki_request_duration_seconds_count", lokiOK, steady) + tel("loki_request_duration_seconds_count", lokiErr, broken),
			firesBy: 27, stopsAt: 40, clearsBy: 46,
		},
		AlertLokiDiscardingLogs: {
			load:    tel("loki_discarded_samples_total", map[string]string{"job": "telemetry/loki", "reason": "rate_limited", "tenant": "fake"}, broken),
			firesBy: 27, stopsAt: 40, clearsBy: 46,
		},
		AlertTempoRequestErrors: {
			load:    tel("tempo_request_duration_seconds_count", tempoOK, steady) + tel("tempo_request_duration_seconds_count", tempoErr, broken),
			firesBy: 27, stopsAt: 40, clearsBy: 46,
		},
		AlertTempoDiscardingSpans: {
			load:    tel("tempo_discarded_spans_total", map[string]string{"job": "telemetry/tempo", "reason": "trace_too_large", "tenant": "single-tenant"}, broken),
			firesBy: 27, stopsAt: 40, clearsBy: 46,
		},
	}
}

// scrapedJobs are the job labels of every series this stack's own scrapes produce: the
// ServiceMonitor (its job is the Service's app label) and the plain jobs, and Talon's
// ServiceMonitor when the stack is told Talon is deployed.
func scrapedJobs(d StackArgs) map[string]bool {
	jobs := map[string]bool{d.APIServiceName: true}
	if d.FalcoTalonNamespace != "" {
		jobs[falcoTalonJob] = true
	}
	for _, j := range additionalScrapeConfigs(&d) {
		jobs[j.(map[string]any)["job_name"].(string)] = true
	}
	return jobs
}

// alertProblems are the static reasons an alert could fire forever: an expression that reads
// no series is a constant (it fires always or never), and absent() over a job nothing scrapes
// holds forever, since the series it waits for never appears.
func alertProblems(r Rule, scraped map[string]bool) []string {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
	if err != nil {
		return []string{r.Alert + ": " + err.Error()}
	}
	var problems []string
	selectors := 0
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			selectors++
		case *parser.Call:
			if n.Func.Name != "absent" && n.Func.Name != "absent_over_time" {
				return nil
			}
			job := ""
			parser.Inspect(n.Args[0], func(inner parser.Node, _ []parser.Node) error {
				if vs, ok := inner.(*parser.VectorSelector); ok {
					for _, m := range vs.LabelMatchers {
						if m.Name == "job" && m.Type == labels.MatchEqual {
							job = m.Value
						}
					}
				}
				return nil
			})
			if !scraped[job] {
				problems = append(problems, fmt.Sprintf("%s: %s() waits for job %q, which this stack does not scrape: it can never clear",
					r.Alert, n.Func.Name, job))
			}
		}
		return nil
	})
	if selectors == 0 {
		problems = append(problems, r.Alert+": reads no series, a constant: it fires forever or never")
	}
	return problems
}

func TestEveryAlertFiresAndClears(t *testing.T) {
	d := (&StackArgs{TelemetryNamespace: "telemetry", FalcoTalonNamespace: "falco-talon"}).withDefaults()
	groups := PrometheusRuleGroups(d.ruleSettings())
	scenarios := alertScenarios()
	scraped := scrapedJobs(d)

	var alerts []string
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts = append(alerts, r.Alert)
			assert.Empty(t, alertProblems(r, scraped))
		}
	}
	for _, alert := range alerts {
		t.Run(alert, func(t *testing.T) {
			sc, ok := scenarios[alert]
			require.True(t, ok, "%s has no scenario proving that it fires and clears", alert)
			firing, err := firingByMinute(t, groups, sc.load, sc.clearsBy+30)
			require.NoError(t, err)
			assert.Empty(t, lifecycleProblem(firing, alert, sc))
		})
	}
	assert.Len(t, scenarios, len(alerts), "a scenario for an alert that no longer exists")
}

// The checks above can fail: the kinds of alert that page forever on EKS are caught.
func TestAlertsThatCannotClearAreCaught(t *testing.T) {
	d := (&StackArgs{DisableControlPlaneMetrics: true}).withDefaults()
	scraped := scrapedJobs(d)
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{"the chart's KubeSchedulerDown without a scheduler scrape",
			Rule{Alert: "KubeSchedulerDown", Expr: `absent(up{job="kube-scheduler"} == 1)`, For: "15m"},
			`absent() waits for job "kube-scheduler", which this stack does not scrape`},
		{"an etcd absence",
			Rule{Alert: "EtcdGone", Expr: `absent_over_time(up{job="kube-etcd"}[5m])`},
			`absent_over_time() waits for job "kube-etcd"`},
		{"absent() without a job", Rule{Alert: "NoJob", Expr: `absent(up)`}, `waits for job ""`},
		{"a constant", Rule{Alert: "Always", Expr: `vector(1)`}, "a constant"},
		{"a comparison of constants", Rule{Alert: "Never", Expr: `vector(1) > 2`}, "a constant"},
		{"our probe alert is fine", Rule{Alert: AlertEndpointDown, Expr: `probe_success{job="blackbox-http"} == 0`}, ""},
		{"absent() over a scraped job is fine", Rule{Alert: "APIGone", Expr: `absent(up{job="novacron-api"} == 1)`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(alertProblems(tt.rule, scraped), "; ")
			if tt.want == "" {
				assert.Empty(t, got)
			} else {
				assert.Contains(t, got, tt.want)
			}
		})
	}
	assert.Empty(t, alertProblems(Rule{Alert: "KubeSchedulerDown", Expr: `absent(up{job="kube-scheduler"} == 1)`},
		scrapedJobs((&StackArgs{}).withDefaults())), "scraped through the EKS API server by default")

	t.Run("an alert whose series never comes back never clears", func(t *testing.T) {
		groups := []RuleGroup{{Name: "eks", Rules: []Rule{{
			Alert: "KubeSchedulerDown", Expr: `absent(up{job="kube-scheduler"} == 1)`, For: "15m",
			Labels: map[string]string{"severity": SeverityCritical},
		}}}}
		sc := alertScenario{load: series("up", map[string]string{"job": "kubelet"}, "1x60"), firesBy: 20, stopsAt: 20, clearsBy: 40}
		firing, err := firingByMinute(t, groups, sc.load, 60)
		require.NoError(t, err)
		assert.Contains(t, lifecycleProblem(firing, "KubeSchedulerDown", sc), "it cannot clear")

		// Once the target is scraped, the same rule clears.
		sc.load = series("up", map[string]string{"job": "kube-scheduler"}, "_x20 1x40")
		firing, err = firingByMinute(t, groups, sc.load, 60)
		require.NoError(t, err)
		assert.Empty(t, lifecycleProblem(firing, "KubeSchedulerDown", sc))
	})
	t.Run("an alert that never fires is reported too", func(t *testing.T) {
		groups := []RuleGroup{{Name: "x", Rules: []Rule{{Alert: "Never", Expr: `up{job="x"} > 2`}}}}
		sc := alertScenario{load: series("up", map[string]string{"job": "x"}, "1x30"), firesBy: 10, stopsAt: 10, clearsBy: 20}
		firing, err := firingByMinute(t, groups, sc.load, 30)
		require.NoError(t, err)
		assert.Contains(t, lifecycleProblem(firing, "Never", sc), "never fired")
	})
}

// No Talon target is scraped for 30 minutes (every replica gone, or the ServiceMonitor not
// picked up), then one is: the alert fires on the absence and clears with the target.
func TestFalcoTalonDownWithoutATarget(t *testing.T) {
	d := (&StackArgs{FalcoTalonNamespace: "falco-talon"}).withDefaults()
	groups := PrometheusRuleGroups(d.ruleSettings())
	sc := alertScenario{load: talonUp("_x30 1x40"), firesBy: 16, stopsAt: 30, clearsBy: 31}
	firing, err := firingByMinute(t, groups, sc.load, 70)
	require.NoError(t, err)
	assert.Empty(t, lifecycleProblem(firing, AlertFalcoTalonDown, sc))
	assert.False(t, firing[14][AlertFalcoTalonDown], "not before its 15m")
}

// firstFiring is the first minute alert fires, or -1.
func firstFiring(firing []map[string]bool, alert string) int {
	for m, f := range firing {
		if f[alert] {
			return m
		}
	}
	return -1
}

func TestWarningsEscalateAfterTheConfiguredTime(t *testing.T) {
	for _, after := range []string{"2h", "30m"} {
		t.Run(after, func(t *testing.T) {
			d := (&StackArgs{TelemetryNamespace: "telemetry", WarningEscalationAfter: after}).withDefaults()
			groups := PrometheusRuleGroups(d.ruleSettings())
			wait := int(parsedDuration(after) / time.Minute)

			// The agent is down from the start until minute 200.
			byMinute, err := firingAlertsByMinute(t, groups, agentUp("0x200 1x30"), 230)
			require.NoError(t, err)
			firing := make([]map[string]bool, len(byMinute))
			for m, alerts := range byMinute {
				firing[m] = map[string]bool{}
				for name := range alerts {
					firing[m][name] = true
				}
			}

			warned := firstFiring(firing, AlertTelemetryTargetDown)
			require.Equal(t, 15, warned, "the warning fires after its own 15m")
			escalated := firstFiring(firing, AlertWarningEscalated)
			assert.Equal(t, warned+wait, escalated, "escalates exactly %s after the warning fired, not before", after)

			// The page names the warning and keeps its identifying labels.
			require.Len(t, byMinute[escalated][AlertWarningEscalated], 1)
			page := byMinute[escalated][AlertWarningEscalated][0]
			assert.Equal(t, map[string]string{
				"alertname":             AlertWarningEscalated,
				EscalatedAlertnameLabel: AlertTelemetryTargetDown,
				"severity":              SeverityCritical,
				"namespace":             "telemetry",
				"job":                   "otel-agent",
				"instance":              "10.0.1.5:8888",
			}, page.Map())

			// The agent is back at minute 201: warning and escalation stop in the same minute.
			assert.True(t, firing[200][AlertWarningEscalated])
			assert.False(t, firing[201][AlertTelemetryTargetDown])
			assert.False(t, firing[201][AlertWarningEscalated], "the escalation outlives its warning")
			for m := 201; m < len(firing); m++ {
				assert.False(t, firing[m][AlertWarningEscalated], "minute %d", m)
			}
		})
	}

	// A warning whose namesake critical alert fires already pages through that one; escalating
	// it would page twice for one problem.
	escalation := PrometheusRuleGroups(defaultRuleSettings())
	escalation = escalation[len(escalation)-1:]
	both := func(withCritical bool) []RuleGroup {
		rules := []Rule{{Alert: "DiskFull", Expr: `up{job="x"} == 0`, Labels: map[string]string{"severity": SeverityWarning}}}
		if withCritical {
			rules = append(rules, Rule{Alert: "DiskFull", Expr: `up{job="x"} == 0`, For: "10m", Labels: map[string]string{"severity": SeverityCritical}})
		}
		return append([]RuleGroup{{Name: "chart", Rules: rules}}, escalation...)
	}
	load := series("up", map[string]string{"job": "x"}, "0x200")
	firing, err := firingByMinute(t, both(true), load, 200)
	require.NoError(t, err)
	assert.Equal(t, -1, firstFiring(firing, AlertWarningEscalated), "escalated a warning that pages already")
	// Without the critical one, the same warning escalates: the check above can fail.
	firing, err = firingByMinute(t, both(false), load, 200)
	require.NoError(t, err)
	assert.Equal(t, 120, firstFiring(firing, AlertWarningEscalated))

	// A critical alert of the same name about another object (another volume, another target)
	// does not hide this one's escalation.
	other := append([]RuleGroup{{Name: "chart", Rules: []Rule{
		{Alert: "DiskFull", Expr: `up{job="x"} == 0`, Labels: map[string]string{"severity": SeverityWarning}},
		{Alert: "DiskFull", Expr: `up{job="y"} == 0`, For: "10m", Labels: map[string]string{"severity": SeverityCritical}},
	}}}, escalation...)
	byMinute, err := firingAlertsByMinute(t, other, load+series("up", map[string]string{"job": "y"}, "0x200"), 200)
	require.NoError(t, err)
	escalatedJobs := map[string]bool{}
	for _, a := range byMinute[150][AlertWarningEscalated] {
		escalatedJobs[a.Get("job")] = true
	}
	assert.Equal(t, map[string]bool{"x": true}, escalatedJobs, "x's warning escalates; y pages already")
}

func TestCapacityAlertsStayQuietWithoutACause(t *testing.T) {
	groups := PrometheusRuleGroups(defaultRuleSettings())
	disk := func(fstype, avail, readonly string) string {
		l := map[string]string{"instance": "10.0.1.1:9100", "device": "/dev/nvme0n1p1", "mountpoint": "/", "fstype": fstype}
		return series("node_filesystem_avail_bytes", l, avail) + series("node_filesystem_size_bytes", l, "1000x600") +
			series("node_filesystem_readonly", l, readonly)
	}
	volume := func(avail string) string {
		l := map[string]string{"namespace": "monitoring", "persistentvolumeclaim": "prometheus-db"}
		return series("kubelet_volume_stats_available_bytes", l, avail) + series("kubelet_volume_stats_capacity_bytes", l, "1000x600")
	}
	// One node with 100 bytes of allocatable memory, of a fixed node group or of a Karpenter pool
	// whose limit is 120.
	node := func(poolLabel, requests string) string {
		return series("kube_node_labels", map[string]string{"node": "n1", poolLabel: "general"}, "1x600") +
			series("kube_node_status_allocatable", map[string]string{"node": "n1", "resource": "memory"}, "100x600") +
			series("kube_pod_container_resource_requests", map[string]string{"node": "n1", "namespace": "novacron", "pod": "p", "resource": "memory"}, requests) +
			series("kube_pod_status_phase", map[string]string{"namespace": "novacron", "pod": "p", "phase": "Running"}, "1x600")
	}
	pool := func(requests string) string { return node(ksmManagedGroupLabel, requests) }
	karpenterPool := func(requests string) string {
		return node(ksmKarpenterPoolLabel, requests) +
			karpenterSeries(karpenterPoolLimit, map[string]string{"nodepool": "general", "resource_type": "memory"}, "120x600")
	}
	// Full within 7h from a fifth free: what the alerts are for.
	fillingFast := gauge(200, gaugeStep{600, -0.5})
	tests := []struct {
		name  string
		load  string
		alert string
		want  bool
	}{
		{"a disk filling fast", disk("xfs", fillingFast, "0x600"), AlertNodeFilesystemFillingUp, true},
		{"a full but steady disk", disk("xfs", "100x600", "0x600"), AlertNodeFilesystemFillingUp, false},
		{"a tmpfs filling fast", disk("tmpfs", fillingFast, "0x600"), AlertNodeFilesystemFillingUp, false},
		{"a read-only disk", disk("xfs", fillingFast, "1x600"), AlertNodeFilesystemFillingUp, false},
		{"a mostly empty disk filling", disk("xfs", gauge(800, gaugeStep{600, -0.5}), "0x600"), AlertNodeFilesystemFillingUp, false},
		{"a volume filling fast", volume(fillingFast), AlertVolumeFillingUp, true},
		// A fifth free, losing 0.03 a minute: full in about 4.6 days, beyond the 3d horizon.
		{"a volume filling slowly", volume(gauge(200, gaugeStep{600, -0.03})), AlertVolumeFillingUp, false},
		{"a pool with requests growing past allocatable", pool(gauge(85, gaugeStep{600, 0.02})), AlertNodePoolRequestsFilling, true},
		{"a pool at 70% with requests growing", pool(gauge(60, gaugeStep{600, 0.02})), AlertNodePoolRequestsFilling, false},
		{"a busy but steady pool", pool("95x600"), AlertNodePoolRequestsFilling, false},
		// Growing past its nodes but below 80% of its limit: Karpenter adds nodes, nothing to do.
		{"a Karpenter pool growing past its nodes", karpenterPool(gauge(85, gaugeStep{600, 0.02})), AlertNodePoolRequestsFilling, false},
		// Above 80% of its limit and growing past it within 3 days.
		{"a Karpenter pool growing past its limit", karpenterPool(gauge(97, gaugeStep{600, 0.005})), AlertNodePoolRequestsFilling, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			firing, err := firingByMinute(t, groups, tt.load, 400)
			require.NoError(t, err)
			assert.Equal(t, tt.want, firstFiring(firing, tt.alert) >= 0)
		})
	}

	// The horizon is a setting: the slowly filling volume alerts with a week's horizon.
	d := (&StackArgs{CapacityForecastHorizon: "7d"}).withDefaults()
	firing, err := firingByMinute(t, PrometheusRuleGroups(d.ruleSettings()), volume(gauge(200, gaugeStep{600, -0.03})), 400)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, firstFiring(firing, AlertVolumeFillingUp), 0)
}

// No Karpenter target is scraped for 30 minutes (the release gone, or the Service renamed),
// then one is: the alert fires on the absence and clears with the target.
func TestKarpenterDownWithoutATarget(t *testing.T) {
	groups := PrometheusRuleGroups(defaultRuleSettings())
	sc := alertScenario{load: karpenterUp("_x30 1x40"), firesBy: 6, stopsAt: 30, clearsBy: 31}
	firing, err := firingByMinute(t, groups, sc.load, 70)
	require.NoError(t, err)
	assert.Empty(t, lifecycleProblem(firing, AlertKarpenterDown, sc))
	assert.False(t, firing[4][AlertKarpenterDown], "not before its 5m")
}

func TestKarpenterAlertsStayQuietWithoutACause(t *testing.T) {
	groups := PrometheusRuleGroups(defaultRuleSettings())
	pool := func(resource, usage, limit string) string {
		l := map[string]string{"nodepool": "general", "resource_type": resource}
		out := karpenterSeries(karpenterPoolUsage, l, usage)
		if limit != "" {
			out += karpenterSeries(karpenterPoolLimit, l, limit)
		}
		return out
	}
	disrupted := func(reason, values string) string {
		return karpenterSeries(karpenterNodeClaimsDisrupted,
			map[string]string{"nodepool": "general", "reason": reason, "capacity_type": "spot"}, values)
	}
	errors := func(controller, values string) string {
		return karpenterSeries(controllerReconcileErrors, map[string]string{"controller": controller}, values)
	}
	steady := karpenterUp("1x120")
	tests := []struct {
		name  string
		load  string
		alert string
		want  bool
	}{
		{"one replica of two down", karpenterUp("1x120") + series("up", karpenterTarget("karpenter-7d9f-b", nil), "0x120"),
			AlertKarpenterDown, false},
		{"Karpenter up", "", AlertKarpenterDown, false},
		{"a pool at 90% of its limit", pool("cpu", "36x120", "40x120"), AlertKarpenterNodePoolNearLimit, false},
		{"a pool at its limit", pool("cpu", "40x120", "40x120"), AlertKarpenterNodePoolNearLimit, true},
		{"usage of a resource without a limit", pool("pods", "580x120", ""), AlertKarpenterNodePoolNearLimit, false},
		{"a limit of zero (a pool switched off)", pool("cpu", "0x120", "0x120"), AlertKarpenterNodePoolNearLimit, false},
		{"one launch timeout", disrupted("launch_timeout", "0x30 1x90"), AlertKarpenterNodeLaunchesFailing, false},
		{"launch timeouts every 5 minutes", disrupted("launch_timeout", "0x30 1x5 2x5 3x5 4x75"), AlertKarpenterNodeLaunchesFailing, true},
		{"consolidation at work", disrupted("underutilized", "0+1x120"), AlertKarpenterNodeLaunchesFailing, false},
		{"Spot capacity retried elsewhere", disrupted("insufficient_capacity", "0+1x120"), AlertKarpenterNodeLaunchesFailing, false},
		{"two failed polls of the queue", errors("interruption", "0x30 2x90"), AlertKarpenterInterruptionQueueErrors, false},
		{"another controller failing", errors("nodeclaim.lifecycle", "0+1x120"), AlertKarpenterInterruptionQueueErrors, false},
		{"the queue failing with back-off", errors("interruption", "0x30 1 2 3 4 5 6x10 7x17 8x17 9x17 10x17"), AlertKarpenterInterruptionQueueErrors, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			load := tt.load
			if tt.alert != AlertKarpenterDown || load == "" {
				load += steady
			}
			firing, err := firingByMinute(t, groups, load, 120)
			require.NoError(t, err)
			assert.Equal(t, tt.want, firstFiring(firing, tt.alert) >= 0)
		})
	}
}
