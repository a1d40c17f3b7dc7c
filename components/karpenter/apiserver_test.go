package karpenter

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/kubetest"
)

// TestManifestsAgainstAPIServer sends the pools' objects to a real kube-apiserver serving the
// CRDs of the pinned karpenter-crd chart, with their OpenAPI schemas and CEL rules, and shows
// that the same server refuses doctored copies: so the acceptance comes from the schema, not
// from a server that judges nothing. Skipped with -short.
func TestManifestsAgainstAPIServer(t *testing.T) {
	srv := kubetest.Start(t)
	ctx := context.Background()
	require.NoError(t, srv.InstallCRDs(ctx, kubetest.KarpenterCRDs))

	for name, args := range map[string]Args{"production": prodArgs(), "spot": spotArgs()} {
		docs, err := Manifests(args, "novacron-production-karpenter-node")
		require.NoError(t, err)
		for _, doc := range docs {
			obj := kubetest.Object(doc)
			if obj.Kind() == "PriorityClass" {
				// Stored for real: the floor's pods name it.
				assert.NoError(t, srv.Apply(ctx, obj, kubetest.Options{}), "%s: %s", name, obj)
				continue
			}
			assert.NoError(t, srv.Apply(ctx, obj, kubetest.Options{DryRun: true}), "%s: %s", name, obj)
		}
	}

	docs, err := Manifests(prodArgs(), "novacron-production-karpenter-node")
	require.NoError(t, err)
	var pool, class map[string]any
	for _, doc := range docs {
		switch doc["kind"] {
		case "NodePool":
			pool = doc
		case "EC2NodeClass":
			class = doc
		}
	}
	doctored := []struct {
		name   string
		base   map[string]any
		mutate func(spec map[string]any)
	}{
		{"unknown consolidation policy", pool, func(s map[string]any) {
			s["disruption"].(map[string]any)["consolidationPolicy"] = "WhenIdle"
		}},
		{"budget over 100%", pool, func(s map[string]any) {
			s["disruption"].(map[string]any)["budgets"] = []any{map[string]any{"nodes": "150%"}}
		}},
		{"budget schedule without duration", pool, func(s map[string]any) {
			s["disruption"].(map[string]any)["budgets"] = []any{map[string]any{"nodes": "0", "schedule": "0 6 * * *"}}
		}},
		{"IMDSv1 allowed", class, func(s map[string]any) {
			s["metadataOptions"].(map[string]any)["httpTokens"] = "sometimes"
		}},
		{"alias with another term", class, func(s map[string]any) {
			s["amiSelectorTerms"] = append(s["amiSelectorTerms"].([]any), map[string]any{"id": "ami-0123456789abcdef0"})
		}},
		{"misspelt field", class, func(s map[string]any) { s["rol"] = s["role"] }},
	}
	for _, d := range doctored {
		t.Run(d.name, func(t *testing.T) {
			obj := deepCopy(t, d.base)
			d.mutate(obj["spec"].(map[string]any))
			err := srv.Apply(ctx, kubetest.Object(obj), kubetest.Options{DryRun: true})
			require.Error(t, err)
			t.Log(err)
		})
	}
}

func deepCopy(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
