package monitoring

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Grafana data source uids. They are fixed so that dashboards, data links and the data
// sources' links to each other agree on every install: "prometheus" is the uid
// kube-prometheus-stack gives its Prometheus data source (grafana.sidecar.datasources.uid in the
// chart's values.yaml at 88.5.3); "loki" and "tempo" are the data sources datasources.go
// provisions.
const (
	grafanaDatasourceUID = "prometheus"
	lokiDatasourceUID    = "loki"
	tempoDatasourceUID   = "tempo"
)

// Dashboard uids: Grafana serves each at /d/<uid>, so runbooks and alerts can link to them.
const (
	// SLODashboardUID is the uid of the NovaCron SLO dashboard in Grafana.
	SLODashboardUID = "novacron-slo"
	// ServicesDashboardUID is the technical KPI dashboard: traffic, errors, latency and
	// saturation per service.
	ServicesDashboardUID = "novacron-services"
	// BusinessDashboardUID is the business KPI dashboard: jobs, failures, queue depth, users.
	BusinessDashboardUID = "novacron-business"
	// CapacityDashboardUID is the capacity planning dashboard: node, pod and volume utilisation
	// per node pool with forecasts.
	CapacityDashboardUID = "novacron-capacity"
)

// dashboardSchemaVersion is the dashboard JSON schema version the dashboards are written in:
// the latest Grafana knows (LATEST_VERSION in grafana/grafana
// apps/dashboard/pkg/migration/schemaversion), so it runs no migration on them, and what
// grafana-foundation-sdk v0.0.22, the schema the tests decode against, writes.
const dashboardSchemaVersion = 42

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

var (
	prometheusDS = datasourceRef{Type: "prometheus", UID: grafanaDatasourceUID}
	lokiDS       = datasourceRef{Type: "loki", UID: lokiDatasourceUID}
	tempoDS      = datasourceRef{Type: "tempo", UID: tempoDatasourceUID}
)

// The types below are the part of Grafana's dashboard JSON model the NovaCron dashboards use.
// Field names and required fields follow the dashboard schema as grafana-foundation-sdk
// v0.0.22 generates it (dashboard/types_gen.go and the panel packages); the tests decode every
// rendered dashboard strictly with that SDK.

type dashboardDoc struct {
	UID           string          `json:"uid"`
	Title         string          `json:"title"`
	Description   string          `json:"description,omitempty"`
	Tags          []string        `json:"tags"`
	Timezone      string          `json:"timezone"`
	Editable      bool            `json:"editable"`
	GraphTooltip  int             `json:"graphTooltip"`
	Refresh       string          `json:"refresh"`
	SchemaVersion int             `json:"schemaVersion"`
	Time          timeRange       `json:"time"`
	Templating    variableList    `json:"templating"`
	Annotations   annotationList  `json:"annotations"`
	Links         []dashboardLink `json:"links,omitempty"`
	Panels        []panel         `json:"panels"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type variableList struct {
	List []variable `json:"list"`
}

type annotationList struct {
	List []any `json:"list"`
}

// variable is a query variable over the Prometheus data source.
type variable struct {
	Type       string        `json:"type"`
	Name       string        `json:"name"`
	Label      string        `json:"label"`
	Datasource datasourceRef `json:"datasource"`
	Query      string        `json:"query"`
	Definition string        `json:"definition"`
	// Refresh 2 reloads the options whenever the time range changes, so a new pod or job type
	// shows up without reloading the dashboard.
	Refresh    int  `json:"refresh"`
	Sort       int  `json:"sort"`
	Multi      bool `json:"multi"`
	IncludeAll bool `json:"includeAll"`
}

// labelValuesVariable offers the values labelName takes on the series selector matches.
func labelValuesVariable(name, label, selector, labelName string, multi bool) variable {
	q := "label_values(" + selector + ", " + labelName + ")"
	return variable{
		Type: "query", Name: name, Label: label, Datasource: prometheusDS, Query: q, Definition: q,
		Refresh: 2, Sort: 1, Multi: multi, IncludeAll: multi,
	}
}

// dashboardLink is both a dashboard's link and a panel's or field's link: the schema gives all
// three the same shape and requires every one of these fields.
type dashboardLink struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"`
	Icon        string   `json:"icon"`
	Tooltip     string   `json:"tooltip"`
	URL         string   `json:"url,omitempty"`
	Tags        []string `json:"tags"`
	AsDropdown  bool     `json:"asDropdown"`
	TargetBlank bool     `json:"targetBlank"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
}

// urlLink opens url (which carries its own time range) in a new tab.
func urlLink(title, url string) dashboardLink {
	return dashboardLink{Title: title, Type: "link", Icon: "external link", Tooltip: title, URL: url, Tags: []string{}, TargetBlank: true}
}

// novacronDashboardsLink lists the other NovaCron dashboards, keeping time range and variables.
func novacronDashboardsLink() dashboardLink {
	return dashboardLink{
		Title: "NovaCron", Type: "dashboards", Icon: "external link", Tooltip: "Other NovaCron dashboards",
		Tags: []string{"novacron"}, AsDropdown: true, IncludeVars: true, KeepTime: true,
	}
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// panel is a visualisation or, with Type "row", a row header.
type panel struct {
	ID          int               `json:"id"`
	Type        string            `json:"type"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	GridPos     gridPos           `json:"gridPos"`
	Datasource  *datasourceRef    `json:"datasource,omitempty"`
	Targets     []target          `json:"targets,omitempty"`
	FieldConfig *fieldConfigBlock `json:"fieldConfig,omitempty"`
	Options     map[string]any    `json:"options,omitempty"`
	Links       []dashboardLink   `json:"links,omitempty"`
	// Collapsed and Panels belong to rows; an expanded row lists no panels of its own.
	Collapsed *bool    `json:"collapsed,omitempty"`
	Panels    *[]panel `json:"panels,omitempty"`
}

// target is one query. Prometheus queries use Expr (and Exemplar), Loki queries Expr, Tempo
// queries Query.
type target struct {
	RefID        string        `json:"refId"`
	Datasource   datasourceRef `json:"datasource"`
	Expr         string        `json:"expr,omitempty"`
	LegendFormat string        `json:"legendFormat,omitempty"`
	Exemplar     bool          `json:"exemplar,omitempty"`
	Instant      bool          `json:"instant,omitempty"`
	Range        bool          `json:"range,omitempty"`
	QueryType    string        `json:"queryType,omitempty"`
	Query        string        `json:"query,omitempty"`
	Limit        int           `json:"limit,omitempty"`
	TableType    string        `json:"tableType,omitempty"`
	Filters      *[]any        `json:"filters,omitempty"`
}

type fieldConfigBlock struct {
	Defaults  fieldDefaults   `json:"defaults"`
	Overrides []fieldOverride `json:"overrides"`
}

type fieldDefaults struct {
	Unit       string          `json:"unit,omitempty"`
	Min        *float64        `json:"min,omitempty"`
	Thresholds thresholds      `json:"thresholds"`
	Custom     map[string]any  `json:"custom,omitempty"`
	Links      []dashboardLink `json:"links,omitempty"`
}

type thresholds struct {
	Mode  string          `json:"mode"`
	Steps []thresholdStep `json:"steps"`
}

// thresholdStep's Value is nil for the base step, which Grafana stores as null.
type thresholdStep struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

type fieldOverride struct {
	Matcher    map[string]any   `json:"matcher"`
	Properties []map[string]any `json:"properties"`
}

// step is a threshold from value up, in color.
type step struct {
	value float64
	color string
}

// steps builds threshold steps above a base colour. Steps that are not finite positive
// numbers are left out, so the JSON never holds NaN (which encoding/json refuses).
func steps(base string, above ...step) thresholds {
	out := []thresholdStep{{Color: base}}
	for _, s := range above {
		if math.IsNaN(s.value) || math.IsInf(s.value, 0) {
			continue
		}
		v := s.value
		out = append(out, thresholdStep{Color: s.color, Value: &v})
	}
	return thresholds{Mode: "absolute", Steps: out}
}

// viz is what a panel constructor needs besides its queries.
type viz struct {
	title, description, unit string
	thresholds               thresholds
	// thresholdLine draws the thresholds as lines on a time series.
	thresholdLine bool
	// min pins the y-axis at 0 for ratios and sizes.
	minZero bool
	// forecastRefs are the queries drawn dashed: forecasts, not measurements. forecastName
	// names their series (Grafana substitutes ${__field.labels.<label>}).
	forecastRefs []string
	forecastName string
	links        []dashboardLink
	dataLinks    []dashboardLink
}

func (v viz) fieldConfig(custom map[string]any) *fieldConfigBlock {
	d := fieldDefaults{Unit: v.unit, Thresholds: v.thresholds, Custom: custom, Links: v.dataLinks}
	if len(d.Thresholds.Steps) == 0 {
		d.Thresholds = steps("green")
	}
	if v.minZero {
		zero := 0.0
		d.Min = &zero
	}
	fc := &fieldConfigBlock{Defaults: d, Overrides: []fieldOverride{}}
	for _, ref := range v.forecastRefs {
		props := []map[string]any{{
			"id":    "custom.lineStyle",
			"value": map[string]any{"fill": "dash", "dash": []int{10, 10}},
		}}
		if v.forecastName != "" {
			props = append(props, map[string]any{"id": "displayName", "value": v.forecastName})
		}
		fc.Overrides = append(fc.Overrides, fieldOverride{
			Matcher:    map[string]any{"id": "byFrameRefID", "options": ref},
			Properties: props,
		})
	}
	return fc
}

// timeseriesPanel draws queries over time.
func timeseriesPanel(v viz, targets ...target) panel {
	mode := "off"
	if v.thresholdLine {
		mode = "line"
	}
	custom := map[string]any{
		"drawStyle":         "line",
		"lineWidth":         1,
		"fillOpacity":       10,
		"showPoints":        "never",
		"spanNulls":         false,
		"thresholdsStyle":   map[string]any{"mode": mode},
		"axisPlacement":     "auto",
		"axisCenteredZero":  false,
		"axisBorderShow":    false,
		"gradientMode":      "none",
		"lineInterpolation": "linear",
		"barAlignment":      0,
		"stacking":          map[string]any{"mode": "none", "group": "A"},
		"hideFrom":          map[string]any{"legend": false, "tooltip": false, "viz": false},
		"scaleDistribution": map[string]any{"type": "linear"},
	}
	return panel{
		Type: "timeseries", Title: v.title, Description: v.description, Datasource: datasourceOf(targets),
		Targets: targets, FieldConfig: v.fieldConfig(custom), Links: v.links,
		Options: map[string]any{
			"legend":  map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": true, "calcs": []string{}},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
		},
	}
}

// statPanel shows the last value of its queries.
func statPanel(v viz, targets ...target) panel {
	return panel{
		Type: "stat", Title: v.title, Description: v.description, Datasource: datasourceOf(targets),
		Targets: targets, FieldConfig: v.fieldConfig(nil), Links: v.links,
		Options: map[string]any{
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"orientation":   "auto",
			"textMode":      "auto",
			"colorMode":     "value",
			"graphMode":     "area",
			"justifyMode":   "auto",
			"wideLayout":    true,
			// Comparing with the start of the range says little for 30-day ratios.
			"showPercentChange":      false,
			"percentChangeColorMode": "standard",
		},
	}
}

// logsPanel lists the log lines of a Loki query.
func logsPanel(v viz, targets ...target) panel {
	return panel{
		Type: "logs", Title: v.title, Description: v.description, Datasource: datasourceOf(targets),
		Targets: targets, Links: v.links,
		Options: map[string]any{
			"showTime":           true,
			"showLabels":         false,
			"showCommonLabels":   false,
			"wrapLogMessage":     true,
			"prettifyLogMessage": false,
			"enableLogDetails":   true,
			"dedupStrategy":      "none",
			"sortOrder":          "Descending",
			// A pod's surrounding lines are one click away in Explore.
			"showLogContextToggle": false,
		},
	}
}

// tablePanel lists rows, here the traces of a Tempo search.
func tablePanel(v viz, targets ...target) panel {
	return panel{
		Type: "table", Title: v.title, Description: v.description, Datasource: datasourceOf(targets),
		Targets: targets, FieldConfig: v.fieldConfig(map[string]any{"align": "auto", "inspect": false}), Links: v.links,
		Options: map[string]any{"showHeader": true, "cellHeight": "sm", "frameIndex": 0},
	}
}

func datasourceOf(targets []target) *datasourceRef {
	if len(targets) == 0 {
		return nil
	}
	ds := targets[0].Datasource
	return &ds
}

// promQuery is a Prometheus range query. "__auto" names series after their labels without a
// "{{label}}" template, which keeps the dashboards free of template braces.
func promQuery(expr string) target {
	return target{Datasource: prometheusDS, Expr: expr, LegendFormat: "__auto", Range: true}
}

// legend names the series of a query that returns one series (or many alike) with a fixed text.
func (t target) legend(text string) target {
	t.LegendFormat = text
	return t
}

// withExemplars asks Prometheus for the exemplars of the histogram behind the query; the data
// source turns their trace_id into a link to the trace.
func (t target) withExemplars() target {
	t.Exemplar = true
	return t
}

// instant makes a stat query evaluate once, at the end of the range.
func (t target) instant() target {
	t.Instant, t.Range = true, false
	return t
}

func lokiQuery(expr string) target {
	return target{Datasource: lokiDS, Expr: expr, QueryType: "range"}
}

// tempoSearch runs a TraceQL search and lists the matching traces.
func tempoSearch(traceQL string, limit int) target {
	return target{Datasource: tempoDS, QueryType: "traceql", Query: traceQL, Limit: limit, TableType: "traces", Filters: &[]any{}}
}

// board lays panels out left to right, top to bottom, on Grafana's 24-column grid.
type board struct {
	doc     dashboardDoc
	x, y, h int
}

func newBoard(uid, title, description string, tags ...string) *board {
	return &board{doc: dashboardDoc{
		UID:           uid,
		Title:         title,
		Description:   description,
		Tags:          append([]string{"novacron"}, tags...),
		Timezone:      "utc",
		Editable:      false,
		GraphTooltip:  1,
		Refresh:       "1m",
		SchemaVersion: dashboardSchemaVersion,
		Time:          timeRange{From: "now-6h", To: "now"},
		Templating:    variableList{List: []variable{}},
		Annotations:   annotationList{List: []any{}},
		Links:         []dashboardLink{novacronDashboardsLink()},
		Panels:        []panel{},
	}}
}

// row starts a new row with a header.
func (b *board) row(title string) {
	b.newline()
	collapsed := false
	b.place(panel{Type: "row", Title: title, Collapsed: &collapsed, Panels: &[]panel{}}, 24, 1)
	b.newline()
}

// add places p, width columns wide and height rows high, after the previous panel.
func (b *board) add(p panel, width, height int) {
	if b.x+width > 24 {
		b.newline()
	}
	b.place(p, width, height)
}

func (b *board) place(p panel, width, height int) {
	p.ID = len(b.doc.Panels) + 1
	p.GridPos = gridPos{H: height, W: width, X: b.x, Y: b.y}
	for i := range p.Targets {
		p.Targets[i].RefID = string(rune('A' + i))
	}
	b.doc.Panels = append(b.doc.Panels, p)
	b.x += width
	b.h = max(b.h, height)
}

func (b *board) newline() {
	if b.x > 0 {
		b.y += b.h
	}
	b.x, b.h = 0, 0
}

// json renders the dashboard. encoding/json fails only on what JSON cannot hold (NaN and
// infinities, channels, functions, cycles); the model holds strings, integers, booleans and
// finite numbers (steps drops non-finite thresholds), so a failure is a bug in this file.
func (b *board) json() string {
	out, err := json.MarshalIndent(b.doc, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("monitoring: dashboard %s: %v", b.doc.UID, err))
	}
	return string(out)
}

// placeholder matches Grafana's ${...} variables, which must reach Grafana unencoded so that it
// can substitute them when the link is followed.
var placeholder = regexp.MustCompile(`\$\{[^}]+\}`)

// exploreURL opens Grafana Explore on one query over the dashboard's time range. The panes
// parameter is Explore's URL state since Grafana 10 (schemaVersion=1): a JSON object of panes,
// each with the data source uid, its queries and a range.
func exploreURL(ds datasourceRef, query map[string]any) string {
	query["refId"] = "A"
	query["datasource"] = ds
	panes := map[string]any{"novacron": map[string]any{
		"datasource": ds.UID,
		"queries":    []any{query},
		"range":      map[string]any{"from": "${__from}", "to": "${__to}"},
	}}
	// Without HTML escaping, so that a TraceQL ">" reads as %3E rather than an escaped \u003e.
	var raw strings.Builder
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(panes); err != nil {
		// Only strings, numbers and maps of them go in; encoding/json cannot fail on them.
		panic(fmt.Sprintf("monitoring: explore link: %v", err))
	}
	return "/explore?orgId=1&schemaVersion=1&panes=" + escapeKeepingPlaceholders(strings.TrimSpace(raw.String()))
}

// escapeKeepingPlaceholders percent-encodes s for a query parameter but leaves ${...} as is.
func escapeKeepingPlaceholders(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range placeholder.FindAllStringIndex(s, -1) {
		b.WriteString(queryEscape(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(queryEscape(s[last:]))
	return b.String()
}

// queryEscape escapes spaces as %20 rather than +, which every URL parser reads as a space.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// lokiExploreURL opens the logs a LogQL query selects.
func lokiExploreURL(logQL string) string {
	return exploreURL(lokiDS, map[string]any{"expr": logQL, "queryType": "range"})
}

// tempoExploreURL opens the traces a TraceQL search finds.
func tempoExploreURL(traceQL string) string {
	return exploreURL(tempoDS, map[string]any{"query": traceQL, "queryType": "traceql", "limit": 20, "tableType": "traces"})
}

// leValue is how Prometheus 3 stores a bucket boundary in the le label: normalised to a float,
// so 1 is "1.0" and 0.1 stays "0.1" (Prometheus 3.0 migration guide, "le and quantile label
// values"; OpenMetrics exposition writes them so too).
func leValue(seconds float64) string {
	if seconds == math.Trunc(seconds) {
		return strconv.FormatFloat(seconds, 'f', 1, 64)
	}
	return strconv.FormatFloat(seconds, 'f', -1, 64)
}
