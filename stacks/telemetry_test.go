package stacks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

// TestTelemetryPipelines: both stacks register the log and trace pipelines with their stack's
// retention, the logs key encrypts both stores, Grafana gets the stores as data sources, and
// every application namespace may send OTLP to the agents.
func TestTelemetryPipelines(t *testing.T) {
	tests := []struct {
		stack               string
		lokiRetention       string
		tempoRetentionHours string
		bucketExpiryDays    float64
	}{
		{"production", "720h", "336h", 37},
		{"staging", "168h", "72h", 14},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			eng := runStack(t, tt.stack)
			mocktest.Find(t, eng, "novacron:telemetry:Pipelines", "telemetry")

			releases := map[string]*mock.Resource{}
			for _, r := range eng.ByType("kubernetes:helm.sh/v3:Release") {
				releases[mocktest.Str(t, r, "name")] = r
			}
			for _, name := range []string{"loki", "tempo", "otel-agent", "otel-gateway"} {
				require.Contains(t, releases, name)
				assert.Equal(t, "telemetry", mocktest.Str(t, releases[name], "namespace"), name)
			}
			assert.Equal(t, tt.lokiRetention, mocktest.Str(t, releases["loki"], "values.loki.limits_config.retention_period"))
			assert.Contains(t, mocktest.Str(t, releases["tempo"], "values.config"), "block_retention: "+tt.tempoRetentionHours)
			assert.Equal(t, "daemonset", mocktest.Str(t, releases["otel-agent"], "values.mode"))

			// The stores' buckets are SSE-KMS with the logs key, and expire a week after the
			// retention of the store that writes them.
			logsKey := "arn:aws:kms:" + mock.Region + ":" + mock.AccountID + ":secrets-logs"
			stores := 0
			for _, enc := range eng.ByType("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2") {
				if !strings.HasPrefix(enc.Name, "telemetry-") {
					continue
				}
				stores++
				byDefault := firstRule(t, enc)["applyServerSideEncryptionByDefault"].(map[string]any)
				assert.Equal(t, logsKey, byDefault["kmsMasterKeyId"], enc.Name)
				assert.Equal(t, "aws:kms", byDefault["sseAlgorithm"], enc.Name)
			}
			assert.Equal(t, 2, stores, "Loki's and Tempo's buckets")
			lokiLifecycle := mocktest.Find(t, eng, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "telemetry-loki-lifecycle")
			assert.Equal(t, tt.bucketExpiryDays, firstRule(t, lokiLifecycle)["expiration"].(map[string]any)["days"])

			// Grafana reads the stores; the pipelines alert on themselves.
			kps := releases["kube-prometheus-stack"]
			require.NotNil(t, kps)
			sources := mocktest.Value(t, kps, "values.grafana.additionalDataSources").([]any)
			urls := map[string]string{}
			for _, s := range sources {
				ds := s.(map[string]any)
				urls[ds["type"].(string)] = ds["url"].(string)
			}
			assert.Equal(t, "http://loki.telemetry.svc:3100", urls["loki"])
			assert.Equal(t, "http://tempo.telemetry.svc:3200", urls["tempo"])

			// Each application namespace (default deny) lets its pods reach the agents.
			namespaces := map[string]bool{}
			for _, np := range eng.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy") {
				if mocktest.Str(t, np, "metadata.name") == "allow-otlp-egress" {
					namespaces[mocktest.Str(t, np, "metadata.namespace")] = true
				}
			}
			cfg, err := Load(tt.stack, readStack(t, tt.stack))
			require.NoError(t, err)
			want := map[string]bool{}
			for _, ns := range cfg.Services.NetworkPolicies.Namespaces {
				want[ns] = true
			}
			require.NotEmpty(t, want)
			assert.Equal(t, want, namespaces)
		})
	}
}

// firstRule returns the first entry of a resource's rules input.
func firstRule(t *testing.T, r *mock.Resource) map[string]any {
	t.Helper()
	rules, ok := mocktest.Value(t, r, "rules").([]any)
	require.True(t, ok && len(rules) > 0, "%s has rules", r.Name)
	return rules[0].(map[string]any)
}
