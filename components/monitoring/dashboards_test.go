package monitoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	sdkdashboard "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/novacron/platform/metrics"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func init() {
	// Registers the SDK's panel and query types, so that strict decoding checks each panel's
	// options and field config and each query against its plugin's schema.
	plugins.RegisterDefaultPlugins()
}

// dashboardSettingsFor returns the default settings with the logs and traces data sources on or
// off.
func dashboardSettingsFor(logs, traces bool) DashboardSettings {
	d := (&StackArgs{}).withDefaults()
	s := d.dashboardSettings()
	s.Logs, s.Traces = logs, traces
	return s
}

// decoded is the view of a rendered dashboard the tests walk.
type decoded struct {
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name       string        `json:"name"`
			Query      string        `json:"query"`
			Datasource datasourceRef `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Links  []dashboardLink `json:"links"`
	Panels []decodedPanel  `json:"panels"`
}

type decodedPanel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	GridPos     gridPos         `json:"gridPos"`
	Datasource  *datasourceRef  `json:"datasource"`
	Targets     []target        `json:"targets"`
	Links       []dashboardLink `json:"links"`
	FieldConfig *struct {
		Defaults struct {
			Thresholds thresholds      `json:"thresholds"`
			Custom     map[string]any  `json:"custom"`
			Links      []dashboardLink `json:"links"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

func decodeDashboards(t *testing.T, s DashboardSettings) map[string]decoded {
	t.Helper()
	out := map[string]decoded{}
	for uid, doc := range NovaCronDashboards(s) {
		var d decoded
		require.NoError(t, json.Unmarshal([]byte(doc), &d), uid)
		require.Equal(t, uid, d.UID)
		out[uid] = d
	}
	return out
}

func TestFourDashboardsWithTheirUIDs(t *testing.T) {
	docs := NovaCronDashboards(dashboardSettingsFor(true, true))
	uids := make([]string, 0, len(docs))
	for uid, doc := range docs {
		uids = append(uids, uid)
		assert.NotContains(t, doc, "{{", "%s: no template braces, legends name series with __auto or fixed text", uid)
	}
	sort.Strings(uids)
	assert.Equal(t, []string{BusinessDashboardUID, CapacityDashboardUID, ServicesDashboardUID, SLODashboardUID}, uids)

	slo, err := SLODashboardJSON(dashboardSettingsFor(true, true).Rules)
	require.NoError(t, err)
	assert.JSONEq(t, docs[SLODashboardUID], slo, "the chart gets the same SLO dashboard either way")
}

// Every dashboard decodes strictly into grafana-foundation-sdk's Dashboard: unknown fields,
// missing required fields and wrongly typed values at any depth (panel options, field config,
// queries of each data source type) are errors.
func TestDashboardsDecodeStrictlyWithTheGrafanaSDK(t *testing.T) {
	for _, s := range []DashboardSettings{dashboardSettingsFor(true, true), dashboardSettingsFor(false, false)} {
		for uid, doc := range NovaCronDashboards(s) {
			t.Run(fmt.Sprintf("%s logs=%v traces=%v", uid, s.Logs, s.Traces), func(t *testing.T) {
				d, err := decodeStrictly([]byte(doc))
				require.NoError(t, err)
				require.NotNil(t, d.Uid)
				assert.Equal(t, uid, *d.Uid)
				assert.EqualValues(t, dashboardSchemaVersion, d.SchemaVersion)
				assert.NotEmpty(t, d.Panels)
			})
		}
	}
}

// classicDashboard is the SDK's dashboard type for the JSON model Grafana provisions from files.
// The SDK marks it deprecated in favour of dashboardv2, the schema of Grafana's newer dashboard
// API, which file provisioning does not read.
type classicDashboard = sdkdashboard.Dashboard //nolint:staticcheck // SA1019: see above; file provisioning reads this schema.

// decodeStrictly decodes a dashboard with the SDK's strict decoder. That decoder returns its
// error list even when it is empty (a nil cog.BuildErrors in an error interface, which is not
// nil), so an empty list is success.
func decodeStrictly(raw []byte) (classicDashboard, error) {
	var d classicDashboard
	err := d.UnmarshalJSONStrict(raw)
	var list cog.BuildErrors
	if errors.As(err, &list) && len(list) == 0 {
		return d, nil
	}
	return d, err
}

// The strict decoder is what makes the test above able to fail, at every depth. encoding/json's
// DisallowUnknownFields stops at the panels: PanelOrRowPanel has its own UnmarshalJSON, which
// decodes a panel, its options and its queries leniently.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	doc := NovaCronDashboards(dashboardSettingsFor(true, true))[ServicesDashboardUID]
	for _, tt := range []struct {
		name          string
		mutate        func(map[string]any)
		stdlibNotices bool
	}{
		{"dashboard field", func(m map[string]any) { m["refreshEvery"] = "1m" }, true},
		{"link field", func(m map[string]any) { m["links"].([]any)[0].(map[string]any)["href"] = "/" }, true},
		{"panel field", func(m map[string]any) { panelAt(m, 1)["colour"] = "red" }, false},
		{"panel option", func(m map[string]any) { panelAt(m, 1)["options"].(map[string]any)["legendMode"] = "table" }, false},
		{"query field", func(m map[string]any) { firstTarget(panelAt(m, 1))["expression"] = "up" }, false},
		{"missing required option", func(m map[string]any) { delete(panelAt(m, 1)["options"].(map[string]any), "tooltip") }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(doc), &m))
			tt.mutate(m)
			raw, err := json.Marshal(m)
			require.NoError(t, err)
			_, err = decodeStrictly(raw)
			assert.Error(t, err)

			stdlib := json.NewDecoder(bytes.NewReader(raw))
			stdlib.DisallowUnknownFields()
			assert.Equal(t, tt.stdlibNotices, stdlib.Decode(&classicDashboard{}) != nil)
		})
	}
}

func panelAt(m map[string]any, i int) map[string]any { return m["panels"].([]any)[i].(map[string]any) }

func firstTarget(p map[string]any) map[string]any { return p["targets"].([]any)[0].(map[string]any) }

// Grafana's variables, replaced by values of the right kind before the queries are parsed.
var grafanaVariable = regexp.MustCompile(`\$\{([\w.]+)(?::\w+)?\}|\$(\w+)`)

func substituteVariables(q string) string {
	return grafanaVariable.ReplaceAllStringFunc(q, func(v string) string {
		m := grafanaVariable.FindStringSubmatch(v)
		name := m[1] + m[2]
		if i := strings.LastIndex(name, "."); i >= 0 {
			name = name[i+1:]
		}
		switch name {
		case "__rate_interval", "__interval", "__range":
			return "5m"
		case "__from", "__to":
			return "1700000000000"
		}
		return "value-of-" + strings.TrimPrefix(name, "__")
	})
}

// labelValuesQuery splits a label_values(selector, label) variable query.
var labelValuesQuery = regexp.MustCompile(`^label_values\((.+), (\w+)\)$`)

// knownSeries are the series the dashboards may read besides the metrics package's and the
// recording rules of PrometheusRuleGroups, with their source.
var knownSeries = map[string]string{
	"up": "Prometheus, one per target",
	// kube-prometheus-stack 88.5.3 default recording rules (templates/prometheus/rules-1.14).
	"node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m": "k8s.rules.container_cpu_usage_seconds_total",
	"node_namespace_pod_container:container_memory_working_set_bytes":           "k8s.rules.container_memory_working_set_bytes",
	"node_namespace_pod:kube_pod_info:":                                         "node.rules",
	"instance:node_cpu_utilisation:rate5m":                                      "node-exporter.rules",
	"instance:node_memory_utilisation:ratio":                                    "node-exporter.rules",
	// kube-state-metrics v2.20.0, docs/metrics/cluster/node-metrics.md and workload/pod-metrics.md.
	"kube_node_labels":                     "kube-state-metrics node metrics",
	"kube_node_status_allocatable":         "kube-state-metrics node metrics",
	"kube_pod_info":                        "kube-state-metrics pod metrics",
	"kube_pod_status_phase":                "kube-state-metrics pod metrics",
	"kube_pod_container_resource_requests": "kube-state-metrics pod metrics",
	"kube_pod_container_resource_limits":   "kube-state-metrics pod metrics",
	// The kubelet's volume statistics, as the chart's kubernetes-storage alerts read them.
	"kubelet_volume_stats_used_bytes":      "kubelet",
	"kubelet_volume_stats_available_bytes": "kubelet",
	"kubelet_volume_stats_capacity_bytes":  "kubelet",
	// node-exporter's filesystem collector, as the chart's node-exporter alerts read it.
	"node_filesystem_avail_bytes": "node-exporter",
	"node_filesystem_size_bytes":  "node-exporter",
	// Karpenter v1.14.1 (rules.go names the source file of each).
	karpenterPoolUsage:            "Karpenter nodepool metrics",
	karpenterPoolLimit:            "Karpenter nodepool metrics",
	karpenterNodeClaimsCreated:    "Karpenter nodeclaim metrics",
	karpenterNodeClaimsDisrupted:  "Karpenter nodeclaim metrics",
	karpenterNodeLifetime:         "Karpenter node metrics",
	karpenterUnschedulablePods:    "Karpenter scheduler metrics",
	karpenterInterruptionMessages: "Karpenter interruption metrics",
}

// novacronSeries are the series of the metrics package, histograms with their _bucket and
// _count.
func novacronSeries() map[string]bool {
	out := map[string]bool{}
	for _, m := range []string{metrics.HTTPRequestsTotal, metrics.DBConnectionsActive, metrics.JobsProcessedTotal,
		metrics.JobQueueDepth, metrics.ActiveUsers} {
		out[m] = true
	}
	for _, h := range []string{metrics.HTTPRequestDurationSeconds, metrics.DBQueryDurationSeconds} {
		out[h+"_bucket"], out[h+"_count"], out[h+"_sum"] = true, true, true
	}
	return out
}

func recordedSeries(s RuleSettings) map[string]bool {
	out := map[string]bool{}
	for _, g := range PrometheusRuleGroups(s) {
		for _, r := range g.Rules {
			if r.Record != "" {
				out[r.Record] = true
			}
		}
	}
	return out
}

// seriesIn parses a PromQL expression (after substituting Grafana's variables) and returns the
// metric names it selects and the functions it calls.
func seriesIn(t *testing.T, expr string) (names, funcs []string) {
	t.Helper()
	parsed, err := parser.NewParser(parser.Options{}).ParseExpr(substituteVariables(expr))
	require.NoError(t, err, expr)
	parser.Inspect(parsed, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			names = append(names, n.Name)
		case *parser.Call:
			funcs = append(funcs, n.Func.Name)
		}
		return nil
	})
	return names, funcs
}

// promQueries lists every PromQL query of a dashboard, by where it is: panels' targets and
// variables' selectors.
func promQueries(t *testing.T, d decoded) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range d.Templating.List {
		require.Equal(t, grafanaDatasourceUID, v.Datasource.UID, v.Name)
		m := labelValuesQuery.FindStringSubmatch(v.Query)
		require.NotNil(t, m, "variable %s: %s", v.Name, v.Query)
		out["variable "+v.Name] = m[1]
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Datasource.Type == "prometheus" {
				out[p.Title+" "+tg.RefID] = tg.Expr
			}
		}
	}
	return out
}

func TestDashboardQueriesParseAndReadOnlySeriesThatExist(t *testing.T) {
	s := dashboardSettingsFor(true, true)
	own, recorded := novacronSeries(), recordedSeries(s.Rules)
	for uid, d := range decodeDashboards(t, s) {
		queries := promQueries(t, d)
		require.NotEmpty(t, queries, uid)
		for where, q := range queries {
			names, _ := seriesIn(t, q)
			require.NotEmpty(t, names, "%s %s reads no series", uid, where)
			for _, n := range names {
				ok := own[n] || recorded[n]
				if uid != BusinessDashboardUID {
					_, external := knownSeries[n]
					ok = ok || external
				}
				assert.True(t, ok, "%s %s reads unknown series %q", uid, where, n)
			}
		}
	}
}

// A query that reads a series nobody writes fails the test above.
func TestUnknownSeriesAreCaught(t *testing.T) {
	names, _ := seriesIn(t, `sum(rate(novacron_http_request_total{job="$service"}[$__rate_interval]))`)
	assert.False(t, novacronSeries()[names[0]])
	_, known := knownSeries[names[0]]
	assert.False(t, known)
}

// provisionedUIDs are the data sources Grafana has with the given settings.
func provisionedUIDs(s DashboardSettings) map[string]string {
	out := map[string]string{grafanaDatasourceUID: "prometheus"}
	if s.Logs {
		out[lokiDatasourceUID] = "loki"
	}
	if s.Traces {
		out[tempoDatasourceUID] = "tempo"
	}
	return out
}

func TestEveryPanelQueriesAProvisionedDataSource(t *testing.T) {
	for _, s := range []DashboardSettings{dashboardSettingsFor(true, true), dashboardSettingsFor(true, false),
		dashboardSettingsFor(false, true), dashboardSettingsFor(false, false)} {
		provisioned := provisionedUIDs(s)
		for uid, d := range decodeDashboards(t, s) {
			for _, p := range d.Panels {
				if p.Type == "row" {
					continue
				}
				require.NotNil(t, p.Datasource, "%s %s", uid, p.Title)
				assert.Equal(t, provisioned[p.Datasource.UID], p.Datasource.Type, "%s %s: data source %v", uid, p.Title, p.Datasource)
				require.NotEmpty(t, p.Targets, "%s %s", uid, p.Title)
				for _, tg := range p.Targets {
					assert.Equal(t, *p.Datasource, tg.Datasource, "%s %s %s", uid, p.Title, tg.RefID)
				}
			}
			for where, u := range linkURLs(d) {
				if ds, ok := exploreDatasource(t, u); ok {
					assert.Contains(t, provisioned, ds, "%s %s links to %s", uid, where, ds)
				}
			}
		}
	}
}

// linkURLs lists the URLs of a dashboard's, its panels' and its fields' links.
func linkURLs(d decoded) map[string]string {
	out := map[string]string{}
	for _, l := range d.Links {
		if l.URL != "" {
			out["dashboard link "+l.Title] = l.URL
		}
	}
	for _, p := range d.Panels {
		for _, l := range p.Links {
			out[p.Title+" link "+l.Title] = l.URL
		}
		if p.FieldConfig != nil {
			for _, l := range p.FieldConfig.Defaults.Links {
				out[p.Title+" data link "+l.Title] = l.URL
			}
		}
	}
	return out
}

// explorePane is one pane of Explore's URL state.
type explorePane struct {
	Datasource string `json:"datasource"`
	Queries    []struct {
		RefID      string        `json:"refId"`
		Datasource datasourceRef `json:"datasource"`
		Expr       string        `json:"expr"`
		Query      string        `json:"query"`
		QueryType  string        `json:"queryType"`
		Limit      int           `json:"limit"`
		TableType  string        `json:"tableType"`
	} `json:"queries"`
	Range struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"range"`
}

// exploreDatasource decodes an Explore link, as Grafana would after substituting its variables,
// and returns the data source it opens.
func exploreDatasource(t *testing.T, link string) (string, bool) {
	t.Helper()
	if !strings.HasPrefix(link, "/explore?") {
		return "", false
	}
	q, err := url.ParseQuery(strings.TrimPrefix(substituteVariables(link), "/explore?"))
	require.NoError(t, err, link)
	assert.Equal(t, "1", q.Get("schemaVersion"))
	dec := json.NewDecoder(strings.NewReader(q.Get("panes")))
	dec.DisallowUnknownFields()
	var panes map[string]explorePane
	require.NoError(t, dec.Decode(&panes), link)
	require.Len(t, panes, 1)
	for _, p := range panes {
		require.Len(t, p.Queries, 1)
		assert.Equal(t, p.Datasource, p.Queries[0].Datasource.UID)
		assert.Equal(t, "1700000000000", p.Range.From, "the link keeps the dashboard's time range")
		return p.Datasource, true
	}
	return "", false
}

// lokiLabels are the labels Loki indexes the pipeline's logs by: the resource attributes
// service.name, k8s.namespace.name, k8s.pod.name and k8s.container.name
// (components/telemetry lokiIndexLabels), dots as underscores.
var lokiLabels = []string{"service_name", "k8s_namespace_name", "k8s_pod_name", "k8s_container_name"}

// streamSelectorLabels parses the stream selector of a LogQL query, which has the syntax of a
// PromQL series selector without a metric name.
func streamSelectorLabels(t *testing.T, logQL string) []string {
	t.Helper()
	logQL = substituteVariables(logQL)
	end := strings.Index(logQL, "}")
	require.Positive(t, end, logQL)
	matchers, err := parser.NewParser(parser.Options{}).ParseMetricSelector(logQL[:end+1])
	require.NoError(t, err, logQL)
	var names []string
	for _, m := range matchers {
		require.NotEqual(t, model.MetricNameLabel, m.Name)
		names = append(names, m.Name)
	}
	return names
}

func TestLogLinksAndPanelsSelectLokiLabelsThatExist(t *testing.T) {
	var seen int
	for uid, d := range decodeDashboards(t, dashboardSettingsFor(true, true)) {
		var logQL []string
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if tg.Datasource.UID == lokiDatasourceUID {
					logQL = append(logQL, tg.Expr)
				}
			}
		}
		for _, u := range linkURLs(d) {
			if ds, ok := exploreDatasource(t, u); ok && ds == lokiDatasourceUID {
				q, err := url.ParseQuery(strings.TrimPrefix(u, "/explore?"))
				require.NoError(t, err)
				var panes map[string]explorePane
				require.NoError(t, json.Unmarshal([]byte(q.Get("panes")), &panes))
				for _, p := range panes {
					logQL = append(logQL, p.Queries[0].Expr)
				}
			}
		}
		for _, q := range logQL {
			seen++
			for _, l := range streamSelectorLabels(t, q) {
				assert.Contains(t, lokiLabels, l, "%s: %s", uid, q)
			}
		}
	}
	assert.GreaterOrEqual(t, seen, 3, "the services dashboard's logs panel and link, and the pod log links")
}

func TestPodLogLinksHaveTheLabelsTheyUse(t *testing.T) {
	for uid, d := range decodeDashboards(t, dashboardSettingsFor(true, true)) {
		for _, p := range d.Panels {
			if p.FieldConfig == nil {
				continue
			}
			for _, l := range p.FieldConfig.Defaults.Links {
				for _, m := range regexp.MustCompile(`__field\.labels\.(\w+)`).FindAllStringSubmatch(l.URL, -1) {
					for _, tg := range p.Targets {
						assert.Regexp(t, `by \([^)]*\b`+m[1]+`\b`, tg.Expr, "%s %s: the series carry %s", uid, p.Title, m[1])
					}
				}
			}
		}
	}
}

func TestPanelIDsAreUniqueAndPanelsDoNotOverlap(t *testing.T) {
	for uid, d := range decodeDashboards(t, dashboardSettingsFor(true, true)) {
		ids := map[int]string{}
		for i, p := range d.Panels {
			require.NotContains(t, ids, p.ID, "%s: %s and %s share id %d", uid, ids[p.ID], p.Title, p.ID)
			ids[p.ID] = p.Title
			g := p.GridPos
			assert.LessOrEqual(t, g.X+g.W, 24, "%s %s", uid, p.Title)
			assert.Positive(t, g.W*g.H, "%s %s", uid, p.Title)
			for _, o := range d.Panels[:i] {
				h := o.GridPos
				overlap := g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H
				assert.False(t, overlap, "%s: %s overlaps %s", uid, p.Title, o.Title)
			}
		}
	}
}

func panelNamed(t *testing.T, d decoded, title string) decodedPanel {
	t.Helper()
	for _, p := range d.Panels {
		if p.Title == title {
			return p
		}
	}
	require.Failf(t, "no panel", "%s has no panel %q", d.UID, title)
	return decodedPanel{}
}

func TestServicesDashboard(t *testing.T) {
	s := dashboardSettingsFor(true, true)
	d := decodeDashboards(t, s)[ServicesDashboardUID]

	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	assert.Equal(t, []string{"service", "namespace", "pod"}, vars)

	latency := panelNamed(t, d, "Request latency")
	var exemplars []string
	for _, tg := range latency.Targets {
		names, funcs := seriesIn(t, tg.Expr)
		assert.Equal(t, []string{metrics.HTTPRequestDurationSeconds + "_bucket"}, names)
		assert.Contains(t, funcs, "histogram_quantile")
		if tg.Exemplar {
			exemplars = append(exemplars, tg.LegendFormat)
		}
	}
	assert.Equal(t, []string{"p50", "p95", "p99"}, []string{latency.Targets[0].LegendFormat, latency.Targets[1].LegendFormat, latency.Targets[2].LegendFormat})
	assert.Equal(t, []string{"p95"}, exemplars, "exemplars on one quantile, so each shows once")
	require.Len(t, latency.Links, 1)
	assert.Contains(t, latency.Links[0].URL, "duration%20%3E%20100ms", "slow traces are those above the objective")

	for _, title := range []string{"CPU used / limit per pod", "Memory working set / limit per pod"} {
		p := panelNamed(t, d, title)
		assert.Equal(t, 0.8, *p.FieldConfig.Defaults.Thresholds.Steps[1].Value)
		require.Len(t, p.FieldConfig.Defaults.Links, 1, "a pod's series opens its logs")
	}
	assert.Equal(t, "logs", panelNamed(t, d, "Error log lines").Type)
	assert.Equal(t, "table", panelNamed(t, d, "Failed and slow traces").Type)

	without := decodeDashboards(t, dashboardSettingsFor(false, false))[ServicesDashboardUID]
	for _, p := range without.Panels {
		assert.Empty(t, p.Links, p.Title)
		if p.FieldConfig != nil {
			assert.Empty(t, p.FieldConfig.Defaults.Links, p.Title)
		}
		assert.NotEqual(t, "Logs and traces", p.Title)
	}
	assert.Len(t, without.Links, 1, "only the NovaCron dashboards link")
}

func TestBusinessDashboardReadsOnlyTheMetricsPackage(t *testing.T) {
	s := dashboardSettingsFor(true, true)
	d := decodeDashboards(t, s)[BusinessDashboardUID]
	read := map[string]bool{}
	for _, q := range promQueries(t, d) {
		names, _ := seriesIn(t, q)
		for _, n := range names {
			read[n] = true
		}
	}
	for _, want := range []string{metrics.JobsProcessedTotal, metrics.JobQueueDepth, metrics.ActiveUsers, jobFailureRecord} {
		assert.True(t, read[want], "reads %s", want)
	}
	failure := panelNamed(t, d, "Failure ratio")
	assert.Equal(t, s.Rules.JobFailureRatio, *failure.FieldConfig.Defaults.Thresholds.Steps[1].Value)
	assert.Contains(t, failure.Targets[0].Expr, `status="failure"`)
}

func TestSLODashboardShowsBudgetsAndBurnRatesOfBothObjectives(t *testing.T) {
	s := dashboardSettingsFor(false, false)
	d := decodeDashboards(t, s)[SLODashboardUID]
	for _, title := range []string{
		"Availability (30d)", "Availability error budget remaining (30d)", "Availability burn rate",
		"Requests within 100ms (30d)", "Latency error budget remaining (30d)", "Latency burn rate",
	} {
		p := panelNamed(t, d, title)
		require.NotEmpty(t, p.Targets, title)
		for _, tg := range p.Targets {
			names, _ := seriesIn(t, tg.Expr)
			assert.NotEmpty(t, names, title)
			if strings.Contains(title, "30d") {
				assert.Contains(t, tg.Expr, "[30d]", title)
				assert.True(t, tg.Instant, title)
			}
		}
	}
	// The latency SLI counts requests under the objective's bucket boundary, as Prometheus 3
	// stores it.
	assert.Contains(t, panelNamed(t, d, "Requests within 100ms (30d)").Targets[0].Expr, `le="0.1"`)
	// Burn-rate panels mark the alerts' factors.
	var factors []float64
	for _, st := range panelNamed(t, d, "Latency burn rate").FieldConfig.Defaults.Thresholds.Steps[1:] {
		factors = append(factors, *st.Value)
	}
	assert.Equal(t, []float64{1, 3, 6, 14.4}, factors)
	assert.Equal(t, "line", panelNamed(t, d, "Availability burn rate").FieldConfig.Defaults.Custom["thresholdsStyle"].(map[string]any)["mode"])
}

func TestLatencyBucket(t *testing.T) {
	for objective, want := range map[time.Duration]float64{
		100 * time.Millisecond: 0.1, 300 * time.Millisecond: 0.5, time.Second: 1, time.Minute: 10,
	} {
		assert.Equal(t, want, latencyBucket(objective), objective.String())
	}
	assert.Equal(t, "0.1", leValue(0.1))
	assert.Equal(t, "1.0", leValue(1))
	assert.Equal(t, "10.0", leValue(10))
}

func TestCapacityDashboardForecastsAgainstTheTarget(t *testing.T) {
	s := dashboardSettingsFor(true, true)
	s.ForecastHorizon = 7 * 24 * time.Hour
	d := decodeDashboards(t, s)[CapacityDashboardUID]
	var forecasts int
	for _, p := range d.Panels {
		if p.Type != "timeseries" || p.FieldConfig == nil || len(p.Targets) != 2 {
			continue
		}
		forecasts++
		_, actual := seriesIn(t, p.Targets[0].Expr)
		_, forecast := seriesIn(t, p.Targets[1].Expr)
		assert.NotContains(t, actual, "predict_linear", p.Title)
		assert.Contains(t, forecast, "predict_linear", p.Title)
		assert.Contains(t, p.Targets[1].Expr, ", 604800)", "%s forecasts the configured horizon", p.Title)

		th := p.FieldConfig.Defaults.Thresholds
		require.Len(t, th.Steps, 2, p.Title)
		assert.Equal(t, capacityUtilisationTarget, *th.Steps[1].Value, p.Title)
		assert.Equal(t, "line", p.FieldConfig.Defaults.Custom["thresholdsStyle"].(map[string]any)["mode"], p.Title)
	}
	assert.Equal(t, 7, forecasts, "node CPU and memory; CPU, memory and pod requests; volumes; disks")
	assert.Equal(t, 0.8, capacityUtilisationTarget)

	var pools int
	for _, q := range promQueries(t, d) {
		if strings.Contains(q, `nodepool=~"$pool"`) || q == nodePoolRecord {
			pools++
		}
	}
	assert.GreaterOrEqual(t, pools, 13, "queries filter by the pool variable")
}

// The Karpenter panels read Karpenter's namespace and go with DisableKarpenterMetrics, and the
// requests panels then measure against allocatable only.
func TestCapacityDashboardKarpenterPanels(t *testing.T) {
	titles := func(s DashboardSettings) (map[string]bool, map[string]string) {
		out, queries := map[string]bool{}, promQueries(t, decodeDashboards(t, s)[CapacityDashboardUID])
		for _, p := range decodeDashboards(t, s)[CapacityDashboardUID].Panels {
			out[p.Title] = true
		}
		return out, queries
	}
	s := dashboardSettingsFor(true, true)
	s.Rules.KarpenterNamespace = "karpenter"
	on, queries := titles(s)
	for _, title := range []string{"Karpenter", "Provisioned / limit by pool", "Karpenter nodes by capacity type",
		"Pods Karpenter cannot place", "Nodes launched per hour", "Node disruptions per hour by reason", "Interruption messages per hour"} {
		assert.True(t, on[title], title)
	}
	readsKarpenter := func(q string) (raw, limits bool) {
		names, _ := seriesIn(t, q)
		for _, n := range names {
			raw = raw || strings.HasPrefix(n, "karpenter_")
			limits = limits || n == poolLimitRecord
		}
		return raw, limits
	}
	var raw, limits int
	for where, q := range queries {
		r, l := readsKarpenter(q)
		if r {
			raw++
			assert.Contains(t, q, `job="karpenter", namespace="karpenter"`, where)
		}
		if l {
			limits++
		}
	}
	assert.Equal(t, 6, raw, "one query per Karpenter panel")
	assert.Equal(t, 4, limits, "the requests panels measure against the limits, actual and forecast")

	s.Rules.KarpenterNamespace = ""
	off, queries := titles(s)
	assert.False(t, off["Karpenter"])
	assert.False(t, off["Provisioned / limit by pool"])
	for where, q := range queries {
		r, l := readsKarpenter(q)
		assert.False(t, r || l, where)
	}
}

// The chart provisions the dashboards from one ConfigMap per provider, and a ConfigMap holds at
// most 1 MiB (Kubernetes documentation, ConfigMaps).
func TestDashboardsFitTheirConfigMap(t *testing.T) {
	d := (&StackArgs{LokiURL: "http://loki.telemetry.svc:3100", TempoURL: "http://tempo.telemetry.svc:3200"}).withDefaults()
	slo, err := SLODashboardJSON(d.ruleSettings())
	require.NoError(t, err)
	dashboards := grafanaDashboards(&d, slo)
	var size int
	var own []string
	for name, v := range dashboards {
		if doc, ok := v.(map[string]any)["json"].(string); ok {
			size += len(doc)
			own = append(own, name)
		}
	}
	slices.Sort(own)
	assert.Equal(t, []string{BusinessDashboardUID, CapacityDashboardUID, ServicesDashboardUID, SLODashboardUID}, own)
	assert.Less(t, size, 1<<20/2, "half the ConfigMap limit at most, leaving room to grow")

	d.DisableSLODashboard = true
	for name := range grafanaDashboards(&d, slo) {
		assert.NotContains(t, own, name, "DisableSLODashboard leaves out every NovaCron dashboard")
	}
}

func TestDashboardGoldens(t *testing.T) {
	for uid, doc := range NovaCronDashboards(dashboardSettingsFor(true, true)) {
		assertGoldenYAML(t, "dashboard-"+uid+".json", []byte(doc))
	}
}
