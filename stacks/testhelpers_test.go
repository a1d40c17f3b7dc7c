package stacks

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// testSecrets stand in for the values users set with `pulumi config set --secret`; they are
// distinctive so that a test can search every recorded input for a leak.
var testSecrets = map[string]string{
	"grafanaAdminPassword": "grafana-password-5f1e0c",
	"pagerdutyRoutingKey":  "pagerduty-routing-key-8a2d41",
	"slackWebhookUrl":      "https://hooks.slack.com/services/T000/B000/slack-secret-93c7b2",
	"heartbeatUrl":         "https://heartbeat.example/ping/heartbeat-secret-61c0a4",
}

// readStack reads a stack of the repository and sets its secrets as `pulumi config set
// --secret` would.
func readStack(t *testing.T, stack string) *StackConfig {
	t.Helper()
	cfg, err := ReadStackFiles("..", stack)
	require.NoError(t, err)
	for k, v := range testSecrets {
		cfg.Values[Key(k)] = v
		cfg.SecretKeys = append(cfg.SecretKeys, Key(k))
	}
	return cfg
}

// runStack runs the real program for a stack of the repository under the mock engine.
func runStack(t *testing.T, stack string) *mock.Engine {
	t.Helper()
	cfg := readStack(t, stack)
	eng := mock.NewEngine(Project, stack, nil)
	require.NoError(t, eng.Run(cfg.Values, cfg.SecretKeys, Run))
	return eng
}

// runWith runs the program with the repository's stack config changed by edit.
func runWith(t *testing.T, stack string, edit map[string]string) (*mock.Engine, error) {
	t.Helper()
	cfg := readStack(t, stack)
	for k, v := range edit {
		cfg.Values[Key(k)] = v
	}
	eng := mock.NewEngine(Project, stack, nil)
	return eng, eng.Run(cfg.Values, cfg.SecretKeys, func(ctx *pulumi.Context) error { return Run(ctx) })
}

// waitsFor reports whether the engine creates r only after target: through a dependency or a
// provider, transitively (a resource cannot be created before its provider is configured).
func waitsFor(eng *mock.Engine, r *mock.Resource, target string) bool {
	seen := map[string]bool{}
	queue := []*mock.Resource{r}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		next := append([]string{}, cur.Dependencies...)
		if p := cur.ProviderURN(); p != "" {
			next = append(next, p)
		}
		for _, urn := range next {
			if urn == target {
				return true
			}
			if dep := eng.ByURN(urn); dep != nil && !seen[urn] {
				seen[urn] = true
				queue = append(queue, dep)
			}
		}
	}
	return false
}
