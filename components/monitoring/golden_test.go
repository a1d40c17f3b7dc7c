package monitoring

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// assertGoldenYAML compares got with testdata/name as parsed YAML documents, so formatting
// changes do not matter and content changes show up as a diff. With -update it rewrites the file.
func assertGoldenYAML(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./components/monitoring/ -update")
	var wantDoc, gotDoc any
	require.NoError(t, yaml.Unmarshal(want, &wantDoc))
	require.NoError(t, yaml.Unmarshal(got, &gotDoc))
	assert.Equal(t, wantDoc, gotDoc, "%s differs; review and rerun with -update if intended", path)
}

// placeholder secrets the tests hand to the component and then hunt for.
const (
	placeholderGrafanaPassword = "PLACEHOLDER-grafana-admin-password-5f2c"
	placeholderRoutingKey      = "PLACEHOLDER-pagerduty-routing-key-91ab"
	placeholderSlackWebhook    = "https://hooks.slack.invalid/services/PLACEHOLDER-slack-7d3e"
	placeholderHeartbeatURL    = "https://heartbeat.invalid/ping/PLACEHOLDER-heartbeat-4b1f"
)

var placeholders = []string{placeholderGrafanaPassword, placeholderRoutingKey, placeholderSlackWebhook, placeholderHeartbeatURL}
