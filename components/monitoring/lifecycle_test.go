package monitoring

import (
	"context"
	"fmt"
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

	out := make([]map[string]bool, minutes+1)
	var evalErr error
	for m := 0; m <= minutes; m++ {
		ts := time.Unix(0, 0).UTC().Add(time.Duration(m) * time.Minute)
		firing := map[string]bool{}
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
								firing[ar.Name()] = true
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
	return map[string]alertScenario{
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
	}
}

// scrapedJobs are the job labels of every series this stack's own scrapes produce: the
// ServiceMonitor (its job is the Service's app label) and the plain jobs.
func scrapedJobs(d StackArgs) map[string]bool {
	jobs := map[string]bool{d.APIServiceName: true}
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
	d := (&StackArgs{}).withDefaults()
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
