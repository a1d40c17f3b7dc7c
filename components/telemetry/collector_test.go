package telemetry

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/novacron/platform/internal/validate"
)

// goldenSettings render testdata/collector-*.yaml (rewritten with the package's -update flag), which internal/otelcheck parses with the
// collector's own configuration loader.
var goldenSettings = CollectorSettings{
	Namespace:          "telemetry",
	Environment:        "production",
	SlowTraceThreshold: 500 * time.Millisecond,
	SamplePercent:      10,
}

// The goldens are exactly what AgentConfig and GatewayConfig produce; compared as parsed
// documents, so key order and layout do not matter.
func TestCollectorGoldens(t *testing.T) {
	for _, tt := range []struct {
		file   string
		config map[string]any
	}{
		{"collector-agent.yaml", AgentConfig(goldenSettings)},
		{"collector-gateway.yaml", GatewayConfig(goldenSettings)},
	} {
		t.Run(tt.file, func(t *testing.T) {
			rendered, err := yaml.Marshal(tt.config)
			require.NoError(t, err)
			path := filepath.Join("testdata", tt.file)
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o750))
				require.NoError(t, os.WriteFile(path, rendered, 0o600))
			}
			golden, err := os.ReadFile(path)
			require.NoError(t, err, "golden file %s is missing: run the test with -update", path)
			var want, got any
			require.NoError(t, yaml.Unmarshal(golden, &want))
			require.NoError(t, yaml.Unmarshal(rendered, &got))
			assert.Equal(t, want, got, "%s differs from the rendered configuration (review, then run the test with -update)", path)
		})
	}
}

// doc is a rendered configuration read back the way the collector reads it: from YAML.
type doc map[string]any

func render(t *testing.T, cfg map[string]any) doc {
	t.Helper()
	b, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	var d doc
	require.NoError(t, yaml.Unmarshal(b, &d))
	return d
}

// at walks a dotted path of map keys (component ids contain '/', never '.').
func (d doc) at(t *testing.T, path string) any {
	t.Helper()
	var cur any = map[string]any(d)
	for key := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		require.True(t, ok, "%s: %q is not a map", path, key)
		cur, ok = m[key]
		require.True(t, ok, "%s: no key %q", path, key)
	}
	return cur
}

func (d doc) str(t *testing.T, path string) string {
	t.Helper()
	s, ok := d.at(t, path).(string)
	require.True(t, ok, "%s is not a string", path)
	return s
}

func (d doc) list(t *testing.T, path string) []string {
	t.Helper()
	raw, ok := d.at(t, path).([]any)
	require.True(t, ok, "%s is not a list", path)
	out := make([]string, len(raw))
	for i, v := range raw {
		out[i], ok = v.(string)
		require.True(t, ok, "%s[%d] is not a string", path, i)
	}
	return out
}

func TestAgentPipelines(t *testing.T) {
	d := render(t, AgentConfig(goldenSettings))

	// Pod logs: files and OTLP, Kubernetes metadata, trace context lifted from JSON bodies,
	// then Loki's OTLP endpoint.
	assert.Equal(t, []string{"file_log", "otlp"}, d.list(t, "service.pipelines.logs.receivers"))
	assert.Equal(t, []string{"memory_limiter", "k8s_attributes", "transform/trace_context", "transform/environment", "batch"},
		d.list(t, "service.pipelines.logs.processors"))
	assert.Equal(t, []string{"otlp_http/loki"}, d.list(t, "service.pipelines.logs.exporters"))
	assert.Equal(t, "http://loki.telemetry.svc:3100/otlp", d.str(t, "exporters.otlp_http/loki.endpoint"))
	assert.Equal(t, "file_storage", d.str(t, "exporters.otlp_http/loki.sending_queue.storage"))

	// Node logs: the kubelet's and containerd's journal and the kernel's, to the same Loki.
	assert.Equal(t, []string{"journald/units", "journald/kernel"}, d.list(t, "service.pipelines.logs/node.receivers"))
	assert.Equal(t, []string{"otlp_http/loki"}, d.list(t, "service.pipelines.logs/node.exporters"))
	assert.Equal(t, []string{"kubelet", "containerd"}, d.list(t, "receivers.journald/units.units"))
	assert.Equal(t, true, d.at(t, "receivers.journald/kernel.dmesg"))
	for _, id := range []string{"journald/units", "journald/kernel"} {
		assert.Equal(t, "/usr/bin/journalctl", d.str(t, "receivers."+id+".journalctl_path"))
		assert.Equal(t, "/var/log/journal", d.str(t, "receivers."+id+".directory"))
		assert.Equal(t, "file_storage", d.str(t, "receivers."+id+".storage"), "%s keeps its cursor", id)
	}
	// The agent's mounts serve what the receivers read.
	assert.Contains(t, AgentNodeLogDirs, d.str(t, "receivers.journald/units.directory"))
	journalctl := d.str(t, "receivers.journald/units.journalctl_path")
	assert.True(t, slices.ContainsFunc(AgentNodeLogDirs, func(dir string) bool { return strings.HasPrefix(journalctl, dir+"/") }),
		"%s is under a mounted node directory", journalctl)

	// Container logs: every pod's files with the CRI (containerd) parser, checkpoints on the node.
	assert.Equal(t, []string{"/var/log/pods/*/*/*.log"}, d.list(t, "receivers.file_log.include"))
	assert.Equal(t, []string{"/var/log/pods/telemetry_otel-agent-*/*/*.log"}, d.list(t, "receivers.file_log.exclude"))
	assert.Equal(t, "file_storage", d.str(t, "receivers.file_log.storage"))
	assert.Equal(t, AgentCheckpointDir, d.str(t, "extensions.file_storage.directory"))
	ops := d.at(t, "receivers.file_log.operators").([]any)
	require.Len(t, ops, 1)
	assert.Equal(t, "container", ops[0].(map[string]any)["type"])
	assert.Equal(t, "containerd", ops[0].(map[string]any)["format"])

	// Kubernetes metadata, including the app label as service.name.
	assert.Equal(t, "OTEL_K8S_NODE_NAME", d.str(t, "processors.k8s_attributes.filter.node_from_env_var"))
	meta := d.list(t, "processors.k8s_attributes.extract.metadata")
	for _, attr := range []string{"k8s.namespace.name", "k8s.pod.name", "k8s.container.name", "k8s.node.name", "k8s.deployment.name"} {
		assert.Contains(t, meta, attr)
	}
	assert.Equal(t, []any{map[string]any{"tag_name": "service.name", "key": "app", "from": "pod"}},
		d.at(t, "processors.k8s_attributes.extract.labels"))

	// Traces: OTLP in, routed by trace id to the gateway's headless Service.
	assert.Equal(t, []string{"otlp"}, d.list(t, "service.pipelines.traces.receivers"))
	assert.Equal(t, []string{"load_balancing"}, d.list(t, "service.pipelines.traces.exporters"))
	// Spans route by trace id, the exporter's default (otelcheck reads it back through the
	// exporter's own config type).
	assert.NotContains(t, d.at(t, "exporters.load_balancing"), "routing_key")
	assert.Equal(t, "otel-gateway.telemetry.svc.cluster.local", d.str(t, "exporters.load_balancing.resolver.dns.hostname"))
	assert.Equal(t, "4317", d.str(t, "exporters.load_balancing.resolver.dns.port"))
	assert.Equal(t, true, d.at(t, "exporters.load_balancing.protocol.otlp.tls.insecure"))

	assert.Equal(t, []string{"health_check", "file_storage"}, d.list(t, "service.extensions"))
}

func TestGatewayPipeline(t *testing.T) {
	d := render(t, GatewayConfig(goldenSettings))
	assert.Equal(t, []string{"traces"}, collectorKeys(d.at(t, "service.pipelines").(map[string]any)))
	assert.Equal(t, []string{"otlp"}, d.list(t, "service.pipelines.traces.receivers"))
	assert.Equal(t, []string{"memory_limiter", "tail_sampling", "batch"}, d.list(t, "service.pipelines.traces.processors"))
	assert.Equal(t, []string{"otlp_grpc/tempo"}, d.list(t, "service.pipelines.traces.exporters"))
	assert.Equal(t, "tempo.telemetry.svc:4317", d.str(t, "exporters.otlp_grpc/tempo.endpoint"))
	assert.Equal(t, true, d.at(t, "exporters.otlp_grpc/tempo.tls.insecure"))
	assert.Equal(t, true, d.at(t, "exporters.otlp_grpc/tempo.sending_queue.enabled"))
	assert.Equal(t, true, d.at(t, "exporters.otlp_grpc/tempo.retry_on_failure.enabled"))
	assert.Equal(t, "10s", d.str(t, "processors.tail_sampling.decision_wait"))
	assert.EqualValues(t, numTraces, d.at(t, "processors.tail_sampling.num_traces"))
	assert.Greater(t, decisionCacheSize, numTraces, "decisions outlive the traces held")
	assert.Equal(t, []string{"health_check"}, d.list(t, "service.extensions"))
}

// Each pipeline refuses data under memory pressure first and batches last; every component
// defined is used, and every component used is defined.
func TestEveryComponentIsWired(t *testing.T) {
	for name, cfg := range map[string]map[string]any{
		"agent":   AgentConfig(goldenSettings),
		"gateway": GatewayConfig(goldenSettings),
	} {
		t.Run(name, func(t *testing.T) {
			d := render(t, cfg)
			used := map[string]map[string]bool{"receivers": {}, "processors": {}, "exporters": {}}
			for pipeline := range d.at(t, "service.pipelines").(map[string]any) {
				processors := d.list(t, "service.pipelines."+pipeline+".processors")
				require.NotEmpty(t, processors)
				assert.Equal(t, "memory_limiter", processors[0], pipeline)
				assert.Equal(t, "batch", processors[len(processors)-1], pipeline)
				for kind := range used {
					for _, id := range d.list(t, "service.pipelines."+pipeline+"."+kind) {
						used[kind][id] = true
					}
				}
			}
			for kind, ids := range used {
				defined := collectorKeys(d.at(t, kind).(map[string]any))
				assert.Equal(t, defined, collectorKeys(ids), "%s defined and used", kind)
			}
			assert.ElementsMatch(t, collectorKeys(d.at(t, "extensions").(map[string]any)), d.list(t, "service.extensions"))
		})
	}
}

// Nothing listens on every interface: receivers, health check and metrics bind the pod IP.
func TestListenersBindThePodIP(t *testing.T) {
	for name, cfg := range map[string]map[string]any{
		"agent":   AgentConfig(goldenSettings),
		"gateway": GatewayConfig(goldenSettings),
	} {
		t.Run(name, func(t *testing.T) {
			d := render(t, cfg)
			assert.Equal(t, "${env:MY_POD_IP}:4317", d.str(t, "receivers.otlp.protocols.grpc.endpoint"))
			assert.Equal(t, "${env:MY_POD_IP}:4318", d.str(t, "receivers.otlp.protocols.http.endpoint"))
			// A full batch of spans fits one gRPC message (the default limit is 4 MiB).
			assert.EqualValues(t, MaxRecvMsgSizeMiB, d.at(t, "receivers.otlp.protocols.grpc.max_recv_msg_size_mib"))
			assert.Equal(t, "${env:MY_POD_IP}:13133", d.str(t, "extensions.health_check.endpoint"))
			reader := d.at(t, "service.telemetry.metrics.readers").([]any)
			require.Len(t, reader, 1)
			prom := doc(reader[0].(map[string]any))
			assert.Equal(t, "${env:MY_POD_IP}", prom.str(t, "pull.exporter.prometheus.host"))
			assert.EqualValues(t, MetricsPort, prom.at(t, "pull.exporter.prometheus.port"))

			b, err := yaml.Marshal(cfg)
			require.NoError(t, err)
			assert.NotRegexp(t, regexp.MustCompile(`0\.0\.0\.0|localhost|127\.0\.0\.1|\[::\]`), string(b))
		})
	}
}

func TestSamplingPoliciesFollowSettings(t *testing.T) {
	tests := []struct {
		threshold   time.Duration
		percent     float64
		thresholdMs int64
	}{
		{500 * time.Millisecond, 10, 500},
		{1500 * time.Millisecond, 0, 1500},
		{2 * time.Second, 12.5, 2000},
		{time.Millisecond, 100, 1},
	}
	for _, tt := range tests {
		s := goldenSettings
		s.SlowTraceThreshold, s.SamplePercent = tt.threshold, tt.percent
		t.Run(s.SlowTraceThreshold.String(), func(t *testing.T) {
			require.Empty(t, s.Validate())
			d := render(t, GatewayConfig(s))
			policies := d.at(t, "processors.tail_sampling.policies").([]any)
			byName := map[string]doc{}
			for _, p := range policies {
				pd := doc(p.(map[string]any))
				byName[pd.str(t, "name")] = pd
			}
			require.Equal(t, []string{PolicyErrors, PolicyProbability, PolicySlow}, collectorKeys(byName))
			assert.Equal(t, "status_code", byName[PolicyErrors].str(t, "type"))
			assert.Equal(t, []string{"ERROR"}, byName[PolicyErrors].list(t, "status_code.status_codes"))
			assert.Equal(t, "latency", byName[PolicySlow].str(t, "type"))
			assert.EqualValues(t, tt.thresholdMs, byName[PolicySlow].at(t, "latency.threshold_ms"))
			assert.Equal(t, "probabilistic", byName[PolicyProbability].str(t, "type"))
			assert.EqualValues(t, tt.percent, byName[PolicyProbability].at(t, "probabilistic.sampling_percentage"))
		})
	}
}

func TestEnvironmentOnEveryRecord(t *testing.T) {
	s := goldenSettings
	s.Environment = "staging"
	d := render(t, AgentConfig(s))
	want := `set(resource.attributes["deployment.environment.name"], "staging")`
	assert.Equal(t, []string{want}, d.list(t, "processors.transform/environment.log_statements"))
	assert.Equal(t, []string{want}, d.list(t, "processors.transform/environment.trace_statements"))
	for _, pipeline := range []string{"logs", "logs/node", "traces"} {
		assert.Contains(t, d.list(t, "service.pipelines."+pipeline+".processors"), "transform/environment", pipeline)
	}
}

func TestCollectorSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*CollectorSettings)
		want validate.Problems
	}{
		{name: "golden", edit: func(*CollectorSettings) {}},
		{name: "all traces", edit: func(s *CollectorSettings) { s.SamplePercent = 100 }},
		{name: "only errors and slow traces", edit: func(s *CollectorSettings) { s.SamplePercent = 0 }},
		{name: "percent above 100", edit: func(s *CollectorSettings) { s.SamplePercent = 100.5 },
			want: validate.Problems{{Field: "samplePercent", Message: "must be between 0 and 100, got 100.5"}}},
		{name: "negative percent", edit: func(s *CollectorSettings) { s.SamplePercent = -1 },
			want: validate.Problems{{Field: "samplePercent", Message: "must be between 0 and 100, got -1"}}},
		{name: "NaN percent", edit: func(s *CollectorSettings) { s.SamplePercent = math.NaN() },
			want: validate.Problems{{Field: "samplePercent", Message: "must be between 0 and 100, got NaN"}}},
		{name: "zero threshold", edit: func(s *CollectorSettings) { s.SlowTraceThreshold = 0 },
			want: validate.Problems{{Field: "slowTraceThreshold", Message: "must be at least 1ms, got 0s"}}},
		{name: "negative threshold", edit: func(s *CollectorSettings) { s.SlowTraceThreshold = -time.Second },
			want: validate.Problems{{Field: "slowTraceThreshold", Message: "must be at least 1ms, got -1s"}}},
		{name: "threshold below a millisecond", edit: func(s *CollectorSettings) { s.SlowTraceThreshold = 500 * time.Microsecond },
			want: validate.Problems{{Field: "slowTraceThreshold", Message: "must be at least 1ms, got 500µs"}}},
		{name: "threshold at the decision wait", edit: func(s *CollectorSettings) { s.SlowTraceThreshold = 10 * time.Second },
			want: validate.Problems{{Field: "slowTraceThreshold", Message: "must be below the tail sampler's decision wait (10s), got 10s"}}},
		{name: "bad names", edit: func(s *CollectorSettings) { s.Namespace, s.Environment = "Telemetry", `prod"` },
			want: validate.Problems{
				{Field: "namespace", Message: `must be a DNS label (lower case letters, digits, '-'), got "Telemetry"`},
				{Field: "environment", Message: `must be a DNS label (lower case letters, digits, '-'), got "prod\""`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goldenSettings
			tt.edit(&s)
			assert.Equal(t, tt.want, s.Validate())
		})
	}
}

// The image, the goldens' parser (internal/otelcheck) and this package name one release.
func TestOneCollectorRelease(t *testing.T) {
	assert.Equal(t, CollectorVersion, collectorImageTag)
	gomod, err := os.ReadFile(filepath.Join("..", "..", "internal", "otelcheck", "go.mod"))
	require.NoError(t, err)
	modules := regexp.MustCompile(`(?m)^\s*(go\.opentelemetry\.io/collector/\S+|github\.com/open-telemetry/opentelemetry-collector-contrib/\S+) (v\S+)`).
		FindAllStringSubmatch(string(gomod), -1)
	require.NotEmpty(t, modules)
	stable := regexp.MustCompile(`^v1\.`) // the core's stable modules (pdata, component, ...) version on their own line
	var versions []string
	for _, m := range modules {
		if !stable.MatchString(m[2]) {
			versions = append(versions, m[2])
		}
	}
	slices.Sort(versions)
	assert.Equal(t, []string{"v" + CollectorVersion}, slices.Compact(versions), "internal/otelcheck/go.mod pins other collector releases")
}

// An unset ${env:...} resolves to "" without an error (the collector only logs a warning), so
// every placeholder must be one the chart sets in each collector pod (templates/_pod.tpl).
func TestEnvPlaceholdersAreSetByTheChart(t *testing.T) {
	chartEnv := []string{"MY_POD_IP", nodeNameEnv}
	placeholder := regexp.MustCompile(`\$\{(?:env:)?([^}]*)\}`)
	for name, cfg := range map[string]map[string]any{
		"agent":   AgentConfig(goldenSettings),
		"gateway": GatewayConfig(goldenSettings),
	} {
		b, err := yaml.Marshal(cfg)
		require.NoError(t, err)
		found := placeholder.FindAllStringSubmatch(string(b), -1)
		require.NotEmpty(t, found, name)
		for _, m := range found {
			assert.Contains(t, chartEnv, m[1], "%s: ${%s} is not set by the chart", name, m[1])
		}
	}
}

func collectorKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
