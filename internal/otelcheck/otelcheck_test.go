package otelcheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/loadbalancingexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/service"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// The configurations under test: the goldens of components/telemetry, which its own test keeps
// equal to AgentConfig and GatewayConfig.
var (
	agentConfig   = filepath.Join("..", "..", "components", "telemetry", "testdata", "collector-agent.yaml")
	gatewayConfig = filepath.Join("..", "..", "components", "telemetry", "testdata", "collector-gateway.yaml")
)

const podIP = "10.0.42.7"

// podEnv is what the chart sets in every collector pod (templates/_pod.tpl): the configurations'
// ${env:...} placeholders must resolve, or the loader refuses them.
func podEnv(t *testing.T) {
	t.Setenv("MY_POD_IP", podIP)
	t.Setenv("OTEL_K8S_NODE_NAME", "ip-10-0-42-1.ec2.internal")
}

// load reads a configuration with the collector's own loader (file and env providers, strict
// decoding into each component's Config: unknown keys are errors) and validates it (each
// component's Validate and the pipelines' references).
func load(t *testing.T, path string) (*otelcol.Config, error) {
	t.Helper()
	factories, err := Factories()
	require.NoError(t, err)
	return otelcoltest.LoadConfigAndValidate(path, factories)
}

// build creates every receiver, processor and exporter of the pipelines without starting them,
// as `otelcol validate` does (otelcol.Collector.DryRun): stanza operators, OTTL statements and
// the load-balancing route are compiled there, not by Validate. The tail sampler resolves its
// policy types only when it starts (a type may come from an extension), so it is also started
// and stopped, with no host extension: an unknown type fails there.
func build(t *testing.T, cfg *otelcol.Config) error {
	t.Helper()
	factories, err := Factories()
	require.NoError(t, err)
	for id, c := range cfg.Processors {
		if id.Type() != tailsamplingprocessor.NewFactory().Type() {
			continue
		}
		set := processortest.NewNopSettings(id.Type())
		set.ID = id
		p, err := factories.Processors[id.Type()].CreateTraces(context.Background(), set, c, consumertest.NewNop())
		if err != nil {
			return err
		}
		err = p.Start(context.Background(), componenttest.NewNopHost())
		require.NoError(t, p.Shutdown(context.Background()))
		if err != nil {
			return err
		}
	}
	return service.Validate(context.Background(), service.Settings{
		BuildInfo:           component.NewDefaultBuildInfo(),
		ReceiversConfigs:    cfg.Receivers,
		ReceiversFactories:  factories.Receivers,
		ProcessorsConfigs:   cfg.Processors,
		ProcessorsFactories: factories.Processors,
		ExportersConfigs:    cfg.Exporters,
		ExportersFactories:  factories.Exporters,
		ConnectorsConfigs:   cfg.Connectors,
		ConnectorsFactories: factories.Connectors,
		TelemetryFactory:    factories.Telemetry,
	}, service.Config{Pipelines: cfg.Service.Pipelines})
}

func TestConfigurationsLoadValidateAndBuild(t *testing.T) {
	for _, path := range []string{agentConfig, gatewayConfig} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			podEnv(t)
			cfg, err := load(t, path)
			require.NoError(t, err)
			require.NoError(t, build(t, cfg))
		})
	}
}

// The configurations name components by their current type names, not by the deprecated
// aliases the factories also answer to (loadbalancing, k8sattributes, filelog, otlphttp).
func TestCanonicalComponentNames(t *testing.T) {
	factories, err := Factories()
	require.NoError(t, err)
	for _, path := range []string{agentConfig, gatewayConfig} {
		podEnv(t)
		cfg, err := load(t, path)
		require.NoError(t, err)
		check := func(kind string, ids []component.ID, canonical func(component.Type) component.Type) {
			for _, id := range ids {
				assert.Equal(t, canonical(id.Type()), id.Type(), "%s: %s %s uses a deprecated type name", filepath.Base(path), kind, id)
			}
		}
		check("receiver", keys(cfg.Receivers), func(t component.Type) component.Type { return factories.Receivers[t].Type() })
		check("processor", keys(cfg.Processors), func(t component.Type) component.Type { return factories.Processors[t].Type() })
		check("exporter", keys(cfg.Exporters), func(t component.Type) component.Type { return factories.Exporters[t].Type() })
		check("extension", keys(cfg.Extensions), func(t component.Type) component.Type { return factories.Extensions[t].Type() })
	}
}

func keys[V any](m map[component.ID]V) []component.ID {
	out := make([]component.ID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

// What the collector decoded is what the platform meant: env placeholders resolved, the
// sampling policies and the load-balancing route typed as the components read them, and the
// OTTL regular expressions intact through the loader's ${...} expansion.
func TestDecodedValues(t *testing.T) {
	podEnv(t)
	agent, err := load(t, agentConfig)
	require.NoError(t, err)
	gateway, err := load(t, gatewayConfig)
	require.NoError(t, err)

	hc, ok := agent.Extensions[component.MustNewID("health_check")].(*healthcheckextension.Config)
	require.True(t, ok)
	assert.Equal(t, podIP+":13133", hc.Config.ServerConfig.NetAddr.Endpoint)

	lb, ok := agent.Exporters[component.MustNewID("load_balancing")].(*loadbalancingexporter.Config)
	require.True(t, ok)
	// Unset, the trace exporter routes by trace id (loadbalancingexporter v0.160.0,
	// trace_exporter.go: case traceIDRoutingStr, "").
	assert.Empty(t, lb.RoutingKey)
	require.True(t, lb.Resolver.DNS.HasValue())
	assert.Equal(t, "4317", lb.Resolver.DNS.Get().Port)
	assert.True(t, strings.HasPrefix(lb.Resolver.DNS.Get().Hostname, "otel-gateway."), lb.Resolver.DNS.Get().Hostname)

	tc, ok := agent.Processors[component.MustNewIDWithName("transform", "trace_context")].(*transformprocessor.Config)
	require.True(t, ok)
	require.Len(t, tc.LogStatements, 1)
	statements := strings.Join(tc.LogStatements[0].Statements, "\n")
	assert.Contains(t, statements, `"^[0-9a-f]{32}$"`)
	assert.Contains(t, statements, `"^[0-9a-f]{16}$"`)

	ts, ok := gateway.Processors[component.MustNewID("tail_sampling")].(*tailsamplingprocessor.Config)
	require.True(t, ok)
	types := map[string]string{}
	for _, p := range ts.PolicyCfgs {
		types[p.Name] = string(p.Type)
		// Keys the policy does not know land here (for extension policies) instead of
		// failing: a misspelt latency block would leave a zero threshold.
		assert.Empty(t, p.ExtensionCfg, "policy %s has unknown keys", p.Name)
		switch p.Type {
		case "status_code":
			assert.Equal(t, []string{"ERROR"}, p.StatusCodeCfg.StatusCodes)
		case "latency":
			assert.Equal(t, int64(500), p.LatencyCfg.ThresholdMs)
		case "probabilistic":
			assert.InDelta(t, 10.0, p.ProbabilisticCfg.SamplingPercentage, 1e-9)
		}
	}
	assert.Equal(t, map[string]string{"errors": "status_code", "slow": "latency", "probabilistic": "probabilistic"}, types)

	tempo, ok := gateway.Exporters[component.MustNewIDWithName("otlp_grpc", "tempo")].(*otlpexporter.Config)
	require.True(t, ok)
	assert.True(t, tempo.ClientConfig.TLS.Insecure)
	assert.True(t, tempo.QueueConfig.HasValue(), "sending_queue is on")
	assert.True(t, tempo.RetryConfig.Enabled)

	tel, ok := agent.Service.Telemetry.(*otelconftelemetry.Config)
	require.True(t, ok)
	require.Len(t, tel.Metrics.Readers, 1)
	prom := tel.Metrics.Readers[0].Pull.Exporter.Prometheus
	require.NotNil(t, prom)
	assert.Equal(t, podIP, *prom.Host)
	assert.Equal(t, 8888, *prom.Port)
}

// A configuration the collector would refuse at start-up is refused here: misspelt keys at
// every level, values of the wrong type or out of range, and OTTL or stanza that does not
// compile. Each case edits one line of a golden and must fail with the given message.
func TestRefusesBrokenConfigurations(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		from, to string
		want     string
	}{
		{"misspelt processor key", gatewayConfig, "decision_wait:", "decision_wiat:", "decision_wiat"},
		{"misspelt exporter key", agentConfig, "    resolver:", "    resolvers:", "resolvers"},
		{"misspelt receiver key", agentConfig, "include_file_path:", "include_filepath:", "include_filepath"},
		{"misspelt telemetry key", gatewayConfig, "without_units:", "without_unit:", "without_unit"},
		{"misspelt pipeline", gatewayConfig, "receivers:\n      - otlp", "receiver:\n      - otlp", "receiver"},
		{"unknown policy type", gatewayConfig, "type: latency", "type: latnecy", "latnecy"},
		{"percent as text", gatewayConfig, "sampling_percentage: 10", "sampling_percentage: ten", "sampling_percentage"},
		{"undefined exporter", gatewayConfig, "- otlp_grpc/tempo", "- otlp_grpc/jaeger", "otlp_grpc/jaeger"},
		{"bad start_at", agentConfig, "start_at: beginning", "start_at: middle", "middle"},
		{"unknown OTTL function", agentConfig, "merge_maps(", "merge_mapz(", "merge_mapz"},
		{"unknown stanza operator", agentConfig, "type: container", "type: containr", "containr"},
		{"unknown routing key", agentConfig, "  load_balancing:\n", "  load_balancing:\n    routing_key: traceId\n", "traceId"},
		{"misspelt latency key", gatewayConfig, "threshold_ms:", "treshold_ms:", "treshold_ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			podEnv(t)
			original, err := os.ReadFile(tt.path)
			require.NoError(t, err)
			require.Contains(t, string(original), tt.from, "the golden changed: update this case")
			mutated := filepath.Join(t.TempDir(), filepath.Base(tt.path))
			require.NoError(t, os.WriteFile(mutated, []byte(strings.Replace(string(original), tt.from, tt.to, 1)), 0o600))
			cfg, err := load(t, mutated)
			if err == nil {
				err = build(t, cfg)
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			t.Log(err)
		})
	}
}

// The check itself can pass: the collector's validation of a component rejects what it must
// (guards against a loader that accepts everything, such as a telemetry factory that ignores
// its section).
func TestValidationIsLive(t *testing.T) {
	factories, err := Factories()
	require.NoError(t, err)
	cfg := factories.Processors[component.MustNewType("tail_sampling")].CreateDefaultConfig()
	require.NoError(t, confmap.Validate(cfg))
	cfg.(*tailsamplingprocessor.Config).NumShards = 1000
	require.ErrorContains(t, confmap.Validate(cfg), "num_shards")
}
