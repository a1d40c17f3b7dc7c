package monitoring

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/novacron/platform/internal/mock/mocktest"
	"github.com/novacron/platform/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	testLokiURL  = "http://loki.telemetry.svc:3100"
	testTempoURL = "http://tempo.telemetry.svc:3200"
)

// grafanaValues renders the chart values for args and returns their grafana section.
func grafanaValues(t *testing.T, a *StackArgs) map[string]any {
	t.Helper()
	d := a.withDefaults()
	return kubePrometheusStackValues(&d, "{}")["grafana"].(map[string]any)
}

// decodeValuesStrictly re-encodes v and decodes it into out, refusing keys out does not declare.
func decodeValuesStrictly(t *testing.T, v, out any) {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(out))
}

// provisionedDataSources decodes grafana.additionalDataSources strictly, by type.
func provisionedDataSources(t *testing.T, grafana map[string]any) (*lokiDataSource, *tempoDataSource) {
	t.Helper()
	var loki *lokiDataSource
	var tempo *tempoDataSource
	list, _ := grafana["additionalDataSources"].([]any)
	for _, entry := range list {
		switch typ := entry.(map[string]any)["type"]; typ {
		case "loki":
			loki = &lokiDataSource{}
			decodeValuesStrictly(t, entry, loki)
		case "tempo":
			tempo = &tempoDataSource{}
			decodeValuesStrictly(t, entry, tempo)
		default:
			t.Fatalf("unexpected data source type %v", typ)
		}
	}
	return loki, tempo
}

func exemplarDestinationOf(t *testing.T, grafana map[string]any) *exemplarDestination {
	t.Helper()
	v, ok := grafana["sidecar"].(map[string]any)["datasources"].(map[string]any)["exemplarTraceIdDestinations"]
	if !ok {
		return nil
	}
	var out exemplarDestination
	decodeValuesStrictly(t, v, &out)
	return &out
}

// unescapeProvisioning is what Grafana reads from a provisioning value: "$$" is a literal "$".
// It fails on a lone "$", which Grafana would expand as an environment variable.
func unescapeProvisioning(t *testing.T, s string) string {
	t.Helper()
	assert.NotContains(t, strings.ReplaceAll(s, "$$", ""), "$", "unescaped $ in %q", s)
	return strings.ReplaceAll(s, "$$", "$")
}

func TestDataSourcesLinkMetricsLogsAndTraces(t *testing.T) {
	grafana := grafanaValues(t, &StackArgs{LokiURL: testLokiURL, TempoURL: testTempoURL})
	loki, tempo := provisionedDataSources(t, grafana)
	require.NotNil(t, loki)
	require.NotNil(t, tempo)

	// Fixed uids: the dashboards and the links below name them.
	assert.Equal(t, grafanaDataSource{Name: "Loki", Type: "loki", UID: "loki", URL: testLokiURL, Access: "proxy", OrgID: 1, Version: 1},
		loki.grafanaDataSource)
	assert.Equal(t, grafanaDataSource{Name: "Tempo", Type: "tempo", UID: "tempo", URL: testTempoURL, Access: "proxy", OrgID: 1, Version: 1},
		tempo.grafanaDataSource)

	// Exemplar → trace: the label the metrics package puts the trace id in.
	assert.Equal(t, &exemplarDestination{DatasourceUID: tempo.UID, TraceIDLabelName: "trace_id", URLDisplayLabel: "View trace"},
		exemplarDestinationOf(t, grafana))
	assert.Equal(t, "trace_id", metrics.ExemplarTraceID)

	// Log line → trace, from structured metadata and from a JSON body.
	require.Len(t, loki.JSONData.DerivedFields, 2)
	traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, f := range loki.JSONData.DerivedFields {
		assert.Equal(t, tempo.UID, f.DatasourceUID, f.Name)
		assert.Equal(t, "${__value.raw}", unescapeProvisioning(t, f.URL), "%s: the trace id is the Tempo query", f.Name)
		switch f.MatcherType {
		case "label":
			assert.Equal(t, "trace_id", f.MatcherRegex, "Loki's structured metadata field of an OTLP record's trace id")
		case "regex":
			re := regexp.MustCompile(f.MatcherRegex)
			for _, line := range []string{
				`{"level":"error","msg":"charge failed","trace_id":"` + traceID + `","span_id":"00f067aa0ba902b7"}`,
				`{"traceId": "` + traceID + `"}`,
			} {
				m := re.FindStringSubmatch(line)
				require.Len(t, m, 2, line)
				assert.Equal(t, traceID, m[1], line)
			}
			assert.Nil(t, re.FindStringSubmatch(`{"trace_id":"not-a-trace"}`))
		default:
			t.Errorf("derived field %s: matcher type %q", f.Name, f.MatcherType)
		}
	}

	// Span → logs of its trace, by service and namespace.
	logs := tempo.JSONData.TracesToLogsV2
	require.NotNil(t, logs)
	assert.Equal(t, loki.UID, logs.DatasourceUID)
	assert.True(t, logs.FilterByTraceID)
	assert.False(t, logs.CustomQuery, "Grafana builds the query from the tags and the trace id")
	for _, tag := range logs.Tags {
		assert.Contains(t, lokiLabels, tag.Value, "span attribute %s maps to a label Loki indexes", tag.Key)
		assert.Equal(t, strings.ReplaceAll(tag.Key, ".", "_"), tag.Value, "Loki's name for the OTLP attribute")
	}
	assert.Len(t, logs.Tags, 2)

	// Span → its service's metrics, and the service graph.
	toMetrics := tempo.JSONData.TracesToMetrics
	require.NotNil(t, toMetrics)
	assert.Equal(t, grafanaDatasourceUID, toMetrics.DatasourceUID)
	assert.Equal(t, []tagMapping{{Key: "service.name", Value: "job"}}, toMetrics.Tags)
	require.Len(t, toMetrics.Queries, 3)
	own := novacronSeries()
	for _, q := range toMetrics.Queries {
		expr := unescapeProvisioning(t, q.Query)
		require.Contains(t, expr, tracesToMetricsTagsVar, q.Name)
		// Grafana replaces $__tags with the span's mapped tags as matchers.
		names, _ := seriesIn(t, strings.ReplaceAll(expr, tracesToMetricsTagsVar, `job="novacron-api"`))
		for _, n := range names {
			assert.True(t, own[n], "%s reads %s", q.Name, n)
		}
	}
	assert.Equal(t, &datasourceLink{DatasourceUID: grafanaDatasourceUID}, tempo.JSONData.ServiceMap)
	assert.True(t, tempo.JSONData.NodeGraph.Enabled)
}

func TestDataSourcesFollowTheConfiguredStores(t *testing.T) {
	for _, tt := range []struct {
		name               string
		args               StackArgs
		loki, tempo, links bool
	}{
		{"no stores", StackArgs{}, false, false, false},
		{"logs only", StackArgs{LokiURL: testLokiURL}, true, false, false},
		{"traces only", StackArgs{TempoURL: testTempoURL}, false, true, false},
		{"both", StackArgs{LokiURL: testLokiURL, TempoURL: testTempoURL}, true, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			grafana := grafanaValues(t, &tt.args)
			loki, tempo := provisionedDataSources(t, grafana)
			assert.Equal(t, tt.loki, loki != nil)
			assert.Equal(t, tt.tempo, tempo != nil)
			_, listed := grafana["additionalDataSources"]
			assert.Equal(t, tt.loki || tt.tempo, listed, "no empty list")
			assert.Equal(t, tt.tempo, exemplarDestinationOf(t, grafanaOrEmptySidecar(grafana)) != nil,
				"exemplars link to traces only when Grafana has them")
			if loki != nil {
				assert.Equal(t, tt.links, len(loki.JSONData.DerivedFields) > 0, "log lines link to traces")
			}
			if tempo != nil {
				assert.Equal(t, tt.links, tempo.JSONData.TracesToLogsV2 != nil, "spans link to logs")
				assert.NotNil(t, tempo.JSONData.TracesToMetrics, "spans always link to metrics")
			}
		})
	}
}

func grafanaOrEmptySidecar(grafana map[string]any) map[string]any {
	if _, ok := grafana["sidecar"]; ok {
		return grafana
	}
	return map[string]any{"sidecar": map[string]any{"datasources": map[string]any{}}}
}

// The chart passes additionalDataSources through Helm's tpl, and Grafana expands environment
// variables in provisioning values: neither may find anything to expand.
func TestDataSourceValuesSurviveTplAndGrafanaExpansion(t *testing.T) {
	grafana := grafanaValues(t, &StackArgs{LokiURL: testLokiURL, TempoURL: testTempoURL})
	raw, err := json.Marshal(grafana["additionalDataSources"])
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "{{")
	var walk func(v any)
	strs := 0
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			strs++
			unescapeProvisioning(t, x)
		}
	}
	walk(grafana["additionalDataSources"])
	assert.Greater(t, strs, 20)
}

func TestPrometheusStoresExemplarsAndKubeStateMetricsExportsThePool(t *testing.T) {
	d := (&StackArgs{}).withDefaults()
	values := kubePrometheusStackValues(&d, "{}")
	spec := values["prometheus"].(map[string]any)["prometheusSpec"].(map[string]any)
	assert.Equal(t, []any{"exemplar-storage"}, spec["enableFeatures"])
	assert.Equal(t, map[string]any{"maxSize": 100000}, spec["exemplars"])
	assert.Equal(t, []any{"nodes=[karpenter.sh/nodepool,eks.amazonaws.com/nodegroup,workload]"},
		values["kube-state-metrics"].(map[string]any)["metricLabelsAllowlist"],
		"kube_node_labels carries the pool labels, which the capacity rules and dashboard group by")
	// kube-state-metrics turns every character outside [a-zA-Z0-9_] of a label name into "_".
	assert.Equal(t, "label_karpenter_sh_nodepool", ksmKarpenterPoolLabel)
	assert.Equal(t, "label_eks_amazonaws_com_nodegroup", ksmManagedGroupLabel)
}

// Through the component: the release registered for a stack with both stores carries the data
// sources; the golden file shows them whole.
func TestStackProvisionsTheDataSources(t *testing.T) {
	args := productionArgs(plain)
	args.LokiURL, args.TempoURL = testLokiURL, testTempoURL
	run, err := runStack(t, args)
	require.NoError(t, err)
	kps := run.find(t, releaseType, "monitoring-kube-prometheus-stack")
	list := mocktest.Value(t, kps, "values.grafana.additionalDataSources").([]any)
	require.Len(t, list, 2)
	assert.Equal(t, "tempo", mocktest.Str(t, kps, "values.grafana.sidecar.datasources.exemplarTraceIdDestinations.datasourceUid"))
	dashboards := mocktest.Value(t, kps, "values.grafana.dashboards.novacron").(map[string]any)
	for _, uid := range []string{SLODashboardUID, ServicesDashboardUID, BusinessDashboardUID, CapacityDashboardUID} {
		assert.Contains(t, dashboards, uid)
	}
	services := dashboards[ServicesDashboardUID].(map[string]any)["json"].(string)
	assert.Contains(t, services, `"uid": "loki"`, "with logs, the services dashboard has its logs panel")

	out, err := sigsyaml.Marshal(map[string]any{
		"additionalDataSources": list,
		"sidecar":               mocktest.Value(t, kps, "values.grafana.sidecar"),
	})
	require.NoError(t, err)
	assertGoldenYAML(t, "grafana-datasources.yaml", out)
}
