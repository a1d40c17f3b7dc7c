package monitoring

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/novacron/platform/metrics"
)

// Grafana's data sources for logs and traces, and the links between them and Prometheus:
//
//   - an exemplar on a Prometheus latency series opens its trace in Tempo;
//   - a trace id in a Loki log line (structured metadata trace_id, or "trace_id" in a JSON
//     body) opens the trace in Tempo;
//   - a span in Tempo opens the log lines of its trace in Loki, and its service's request
//     rate, error ratio and latency in Prometheus.
//
// Prometheus is kube-prometheus-stack's own data source (uid "prometheus"); its exemplar link
// is a chart value (grafana.sidecar.datasources.exemplarTraceIdDestinations, rendered by
// templates/grafana/configmaps-datasources.yaml at 88.5.3 as jsonData.exemplarTraceIdDestinations
// with datasourceUid, name and urlDisplayLabel). Loki and Tempo go into
// grafana.additionalDataSources, which the chart appends to the same provisioning file.

// grafanaDataSource is the part of a data source entry of a Grafana provisioning file that this
// component sets (Grafana documentation, "Provision Grafana", data sources: name, type, uid,
// url, access, orgId, isDefault, editable, version, jsonData). The chart passes each entry
// through Helm's tpl, and Grafana expands $VAR and ${VAR} from its environment in the values of
// the file ("$$" is a literal "$"), so the strings hold neither "{{" nor a lone "$".
type grafanaDataSource struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	UID       string `json:"uid"`
	URL       string `json:"url"`
	Access    string `json:"access"`
	OrgID     int    `json:"orgId"`
	IsDefault bool   `json:"isDefault"`
	Editable  bool   `json:"editable"`
	Version   int    `json:"version"`
}

type lokiDataSource struct {
	grafanaDataSource
	JSONData lokiJSONData `json:"jsonData"`
}

// lokiJSONData is the Loki plugin's jsonData (LokiOptions in grafana/grafana
// public/app/plugins/datasource/loki/types.ts).
type lokiJSONData struct {
	DerivedFields []derivedField `json:"derivedFields,omitempty"`
}

// derivedField turns a value of a log line into a link (DerivedFieldConfig, same file): with
// MatcherType "label", MatcherRegex names a label or structured metadata field; with "regex",
// its one capture group is the value. URL is the query the internal link runs on DatasourceUID.
type derivedField struct {
	Name            string `json:"name"`
	MatcherType     string `json:"matcherType"`
	MatcherRegex    string `json:"matcherRegex"`
	DatasourceUID   string `json:"datasourceUid"`
	URL             string `json:"url"`
	URLDisplayLabel string `json:"urlDisplayLabel"`
}

type tempoDataSource struct {
	grafanaDataSource
	JSONData tempoJSONData `json:"jsonData"`
}

// tempoJSONData is the Tempo plugin's jsonData (Grafana documentation, "Provision the Tempo data
// source"; TraceToLogsOptionsV2 and TraceToMetricsOptions in grafana/grafana
// packages/grafana-o11y-ds-frontend/src/TraceToLogs and TraceToMetrics).
type tempoJSONData struct {
	TracesToLogsV2  *tracesToLogs    `json:"tracesToLogsV2,omitempty"`
	TracesToMetrics *tracesToMetrics `json:"tracesToMetrics,omitempty"`
	ServiceMap      *datasourceLink  `json:"serviceMap,omitempty"`
	NodeGraph       nodeGraph        `json:"nodeGraph"`
}

// tracesToLogs builds the logs query of a span from its tags. With FilterByTraceID, Grafana
// keeps the lines that contain the trace id or carry it as trace_id (createSpanLink.tsx,
// getQueryForLoki).
type tracesToLogs struct {
	DatasourceUID      string       `json:"datasourceUid"`
	Tags               []tagMapping `json:"tags"`
	SpanStartTimeShift string       `json:"spanStartTimeShift"`
	SpanEndTimeShift   string       `json:"spanEndTimeShift"`
	FilterByTraceID    bool         `json:"filterByTraceID"`
	FilterBySpanID     bool         `json:"filterBySpanID"`
	CustomQuery        bool         `json:"customQuery"`
}

type tracesToMetrics struct {
	DatasourceUID      string       `json:"datasourceUid"`
	Tags               []tagMapping `json:"tags"`
	SpanStartTimeShift string       `json:"spanStartTimeShift"`
	SpanEndTimeShift   string       `json:"spanEndTimeShift"`
	Queries            []namedQuery `json:"queries"`
}

// tagMapping renames span attribute Key to label Value in the generated query.
type tagMapping struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type namedQuery struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

type datasourceLink struct {
	DatasourceUID string `json:"datasourceUid"`
}

type nodeGraph struct {
	Enabled bool `json:"enabled"`
}

// exemplarDestination is the chart's grafana.sidecar.datasources.exemplarTraceIdDestinations.
type exemplarDestination struct {
	DatasourceUID    string `json:"datasourceUid"`
	TraceIDLabelName string `json:"traceIdLabelName"`
	URLDisplayLabel  string `json:"urlDisplayLabel"`
}

// tracesToMetricsTagsVar is what Grafana replaces with the span's mapped tags as label matchers
// (job="<service.name>") in a trace-to-metrics query.
const tracesToMetricsTagsVar = "$__tags"

// escapeProvisioning doubles every "$" so that Grafana's provisioning keeps it literally
// instead of expanding an environment variable.
func escapeProvisioning(s string) string {
	return strings.ReplaceAll(s, "$", "$$")
}

func provisioned(name, typ, uid, url string) grafanaDataSource {
	return grafanaDataSource{Name: name, Type: typ, UID: uid, URL: url, Access: "proxy", OrgID: 1, Version: 1}
}

// lokiDataSourceFor is the logs data source at url; with traces, a trace id in a line links to
// Tempo.
func lokiDataSourceFor(url string, traces bool) lokiDataSource {
	ds := lokiDataSource{grafanaDataSource: provisioned("Loki", "loki", lokiDatasourceUID, url)}
	if traces {
		// The internal link's URL is the Tempo query: the trace id itself.
		query := escapeProvisioning("${__value.raw}")
		ds.JSONData.DerivedFields = []derivedField{
			{
				// OTLP log records carry their trace id, which Loki stores as structured metadata
				// trace_id (Loki documentation, OTLP ingestion: LogRecord fields other than the
				// body become structured metadata).
				Name: "TraceID", MatcherType: "label", MatcherRegex: metrics.ExemplarTraceID,
				DatasourceUID: tempoDatasourceUID, URL: query, URLDisplayLabel: "View trace",
			},
			{
				// Container logs written as JSON with a trace_id field (32 hex digits, W3C Trace
				// Context).
				Name: "TraceIDInLine", MatcherType: "regex", MatcherRegex: `"trace_?[iI][dD]"\s*:\s*"([0-9a-fA-F]{32})"`,
				DatasourceUID: tempoDatasourceUID, URL: query, URLDisplayLabel: "View trace",
			},
		}
	}
	return ds
}

// tempoDataSourceFor is the traces data source at url. A span links to its service's metrics
// and service graph in Prometheus and, with logs, to its trace's log lines in Loki, found by the
// span's service and namespace (Loki's service_name and k8s_namespace_name index labels; the
// collectors set service.name from the pod's app label, which is also the Prometheus job).
func tempoDataSourceFor(url string, logs bool) tempoDataSource {
	ds := tempoDataSource{grafanaDataSource: provisioned("Tempo", "tempo", tempoDatasourceUID, url)}
	tags := tracesToMetricsTagsVar
	api := func(metric, extra string) string {
		return fmt.Sprintf("%s{%s%s}", metric, extra, tags)
	}
	ds.JSONData.TracesToMetrics = &tracesToMetrics{
		DatasourceUID:      grafanaDatasourceUID,
		Tags:               []tagMapping{{Key: "service.name", Value: "job"}},
		SpanStartTimeShift: "-5m",
		SpanEndTimeShift:   "5m",
		Queries: []namedQuery{
			{Name: "Request rate", Query: fmt.Sprintf("sum(rate(%s[5m]))", api(metrics.HTTPRequestsTotal, ""))},
			{Name: "Server error ratio", Query: fmt.Sprintf("sum(rate(%s[5m])) / sum(rate(%s[5m]))",
				api(metrics.HTTPRequestsTotal, fmt.Sprintf("%s=~%q,", metrics.LabelCode, serverErrorCodeRegex)),
				api(metrics.HTTPRequestsTotal, ""))},
			{Name: "p95 latency", Query: fmt.Sprintf("histogram_quantile(0.95, sum by (le) (rate(%s[5m])))",
				api(metrics.HTTPRequestDurationSeconds+"_bucket", ""))},
		},
	}
	for i, q := range ds.JSONData.TracesToMetrics.Queries {
		ds.JSONData.TracesToMetrics.Queries[i].Query = escapeProvisioning(q.Query)
	}
	if logs {
		ds.JSONData.TracesToLogsV2 = &tracesToLogs{
			DatasourceUID: lokiDatasourceUID,
			Tags: []tagMapping{
				{Key: "service.name", Value: lokiServiceLabel},
				{Key: "k8s.namespace.name", Value: lokiNamespaceLabel},
			},
			// A request's log lines can be written a little before its span starts and after
			// it ends (buffered writers, clock skew between nodes).
			SpanStartTimeShift: "-5m",
			SpanEndTimeShift:   "5m",
			FilterByTraceID:    true,
		}
	}
	// The service graph reads the traces_service_graph_* series of Tempo's metrics generator.
	ds.JSONData.ServiceMap = &datasourceLink{DatasourceUID: grafanaDatasourceUID}
	ds.JSONData.NodeGraph = nodeGraph{Enabled: true}
	return ds
}

// grafanaDataSourceValues adds the logs and traces data sources, and the exemplar link from
// Prometheus to traces, to the Grafana values of kube-prometheus-stack.
func grafanaDataSourceValues(d *StackArgs, grafana map[string]any) {
	var extra []any
	if d.LokiURL != "" {
		extra = append(extra, plainValue(lokiDataSourceFor(d.LokiURL, d.TempoURL != "")))
	}
	if d.TempoURL != "" {
		extra = append(extra, plainValue(tempoDataSourceFor(d.TempoURL, d.LokiURL != "")))
		grafana["sidecar"] = map[string]any{"datasources": map[string]any{
			"exemplarTraceIdDestinations": plainValue(exemplarDestination{
				DatasourceUID:    tempoDatasourceUID,
				TraceIDLabelName: metrics.ExemplarTraceID,
				URLDisplayLabel:  "View trace",
			}),
		}}
	}
	if len(extra) > 0 {
		grafana["additionalDataSources"] = extra
	}
}

// plainValue turns a typed value into the maps, slices and scalars Helm values are made of. The
// data source types hold strings, booleans and integers only, which encoding/json always
// encodes and decodes, so a failure is a bug in this file.
func plainValue(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("monitoring: data source values: %v", err))
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(fmt.Sprintf("monitoring: data source values: %v", err))
	}
	return out
}
