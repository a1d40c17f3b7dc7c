package falco

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const releaseType = "kubernetes:helm.sh/v3:Release"

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		args *FalcoArgs
		want validate.Problems
	}{
		{name: "minimal", args: &FalcoArgs{ApplicationNamespaces: []string{"novacron"}}},
		{name: "nil", args: nil, want: validate.Problems{{Field: "args", Message: "must be set"}}},
		{
			name: "every field wrong",
			args: &FalcoArgs{
				ChartVersion:          "latest",
				Namespace:             "Falco_NS",
				AlertmanagerURL:       pulumi.String("alertmanager:9093"),
				AlertMinimumPriority:  "WARN",
				ApplicationNamespaces: []string{"novacron", "bad ns"},
				AllowedOutboundPorts:  []int{443, 70000},
				AllowedOutboundCIDRs:  []string{"10.0.0.1/16"},
			},
			want: validate.Problems{
				{Field: "chartVersion", Message: `must be a chart version such as 9.1.0, got "latest"`},
				{Field: "namespace", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "Falco_NS"`},
				{Field: "alertmanagerURL", Message: `must be an http(s)://host:port URL, got "alertmanager:9093"`},
				{Field: "alertMinimumPriority", Message: `must be one of emergency, alert, critical, error, warning, notice, informational, debug, got "WARN"`},
				{Field: "applicationNamespaces[1]", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "bad ns"`},
				{Field: "allowedOutboundPorts[1]", Message: "must be between 1 and 65535, got 70000"},
				{Field: "allowedOutboundCIDRs[0]", Message: `must be a network address (10.0.0.0/16), got "10.0.0.1/16"`},
			},
		},
		{
			name: "no namespaces",
			args: &FalcoArgs{},
			want: validate.Problems{{Field: "applicationNamespaces", Message: "must name at least one namespace"}},
		},
		{
			name: "credentials in URL",
			args: &FalcoArgs{ApplicationNamespaces: []string{"novacron"}, AlertmanagerURL: pulumi.String("https://user:pw@am.example.com")},
			want: validate.Problems{{Field: "alertmanagerURL", Message: "must not embed credentials (it is stored in plain Helm values)"}},
		},
		{
			name: "talon URL without scheme",
			args: &FalcoArgs{ApplicationNamespaces: []string{"novacron"}, TalonURL: pulumi.String("falco-talon:2803")},
			want: validate.Problems{{Field: "talonURL", Message: `must be an http(s)://host:port URL, got "falco-talon:2803"`}},
		},
		{
			name: "credentials in talon URL",
			args: &FalcoArgs{ApplicationNamespaces: []string{"novacron"}, TalonURL: pulumi.String("http://u:p@falco-talon:2803")},
			want: validate.Problems{{Field: "talonURL", Message: "must not embed credentials (it is stored in plain Helm values)"}},
		},
		{
			name: "URL with path",
			args: &FalcoArgs{ApplicationNamespaces: []string{"novacron"}, AlertmanagerURL: pulumi.String("http://am:9093/api/v2/alerts")},
			want: validate.Problems{{Field: "alertmanagerURL", Message: `must not have a path (falcosidekick appends /api/v2/alerts), got "/api/v2/alerts"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.args.Validate())
		})
	}
}

func TestNewFalcoRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewFalco(ctx, "falco", &FalcoArgs{AlertMinimumPriority: "loud"})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `falco "falco": alertMinimumPriority must be one of`)
	assert.Contains(t, err.Error(), `falco "falco": applicationNamespaces must name at least one namespace`)
	assert.Empty(t, eng.Resources(), "nothing may be registered when arguments are invalid")
}

// run builds the component under the recording mock with a Kubernetes provider passed the way the
// stack passes it.
func run(t *testing.T, args *FalcoArgs) *mock.Engine {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		_, err = NewFalco(ctx, "falco", args, pulumi.Providers(k8s))
		return err
	}))
	return eng
}

// values returns the release's recorded Helm values as plain Go data, decoded the way Helm reads
// them (through YAML).
func values(t *testing.T, eng *mock.Engine) map[string]any {
	t.Helper()
	rel := eng.Find(releaseType, "falco-release")
	require.NotNil(t, rel)
	v, ok := rel.Input("values")
	require.True(t, ok)
	require.False(t, v.ContainsSecrets(), "Falco values carry no secret")
	b, err := yaml.Marshal(v.Mappable())
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, yaml.Unmarshal(b, &out))
	return out
}

func TestRelease(t *testing.T) {
	eng := run(t, &FalcoArgs{
		ApplicationNamespaces: []string{"novacron"},
		// As the monitoring component hands it over: an output, not validated here.
		AlertmanagerURL: pulumi.Sprintf("http://%s-alertmanager.%s.svc:%d", "kube-prometheus-stack", "monitoring", 9093),
	})

	comp := eng.Find("novacron:security:Falco", "falco")
	require.NotNil(t, comp)
	ns := eng.Find("kubernetes:core/v1:Namespace", "falco-ns")
	require.NotNil(t, ns)
	rel := eng.Find(releaseType, "falco-release")
	require.NotNil(t, rel)
	for _, r := range []*mock.Resource{ns, rel} {
		assert.Equal(t, comp.URN, r.Parent, r.Name)
		assert.Contains(t, r.Provider, "pulumi:providers:kubernetes::k8s", "%s must use the cluster's provider", r.Name)
	}

	for path, want := range map[string]any{
		"chart":               "falco",
		"version":             DefaultChartVersion,
		"name":                "falco",
		"namespace":           "falco",
		"repositoryOpts.repo": "https://falcosecurity.github.io/charts",
	} {
		got, ok := rel.Input(path)
		require.True(t, ok, path)
		assert.Equal(t, want, got.V, path)
	}
	labels, ok := ns.Input("metadata.labels")
	require.True(t, ok)
	assert.Equal(t, "privileged", labels.ObjectValue()["pod-security.kubernetes.io/enforce"].V)

	v := values(t, eng)
	assert.Equal(t, "modern_ebpf", dig(t, v, "driver", "kind"))
	assert.Equal(t, "system-node-critical", v["podPriorityClassName"])

	tolerations, _ := v["tolerations"].([]any)
	assert.Contains(t, tolerations, map[string]any{"key": "ml-workload", "operator": "Equal", "value": "true", "effect": "NoSchedule"})
	assert.Contains(t, tolerations, map[string]any{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
	assert.Contains(t, tolerations, map[string]any{"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"})

	assert.Equal(t, RulesFile, dig(t, v, "customRules", "novacron-rules.yaml"))
	tuning, _ := dig(t, v, "customRules", "novacron-tuning.yaml").(string)
	assert.Contains(t, tuning, "novacron_app_namespaces")

	assert.Equal(t, true, dig(t, v, "falcosidekick", "enabled"))
	assert.Equal(t, "http://kube-prometheus-stack-alertmanager.monitoring.svc:9093", dig(t, v, "falcosidekick", "config", "alertmanager", "hostport"))
	assert.Equal(t, "/api/v2/alerts", dig(t, v, "falcosidekick", "config", "alertmanager", "endpoint"))
	assert.Equal(t, "warning", dig(t, v, "falcosidekick", "config", "alertmanager", "minimumpriority"))
}

// With TalonURL set, falcosidekick also posts to Falco Talon (falcosidekick chart 0.12.x,
// config.talon); without it the talon output stays off (empty address).
func TestTalonOutput(t *testing.T) {
	v := values(t, run(t, &FalcoArgs{
		ApplicationNamespaces: []string{"novacron"},
		// As the falcotalon component hands it over: an output.
		TalonURL: pulumi.Sprintf("http://falco-talon.%s.svc:%d", "falco-talon", 2803),
	}))
	assert.Equal(t, map[string]any{
		"address":         "http://falco-talon.falco-talon.svc:2803",
		"minimumpriority": "warning",
		"checkcert":       true,
	}, dig(t, v, "falcosidekick", "config", "talon"))
	// The Alertmanager output is unchanged by it.
	assert.Equal(t, "/api/v2/alerts", dig(t, v, "falcosidekick", "config", "alertmanager", "endpoint"))

	off := values(t, run(t, &FalcoArgs{ApplicationNamespaces: []string{"novacron"}}))
	assert.NotContains(t, dig(t, off, "falcosidekick", "config"), "talon")
}

// Talon acts on NovaCron rules of priority warning and above: falcosidekick must forward every
// one of them.
func TestTalonMinimumPriorityCoversTheRules(t *testing.T) {
	rank := func(p string) int {
		return len(sidekickPriorities) - slices.Index(sidekickPriorities, strings.ToLower(p))
	}
	require.Positive(t, slices.Index(sidekickPriorities, TalonMinimumPriority)+1)
	for _, e := range parseRulesFile(t, RulesFile) {
		if e.kind != "rule" {
			continue
		}
		prio, _ := e.raw["priority"].(string)
		assert.GreaterOrEqual(t, rank(prio), rank(TalonMinimumPriority), "rule %q (%s) would not reach Talon", e.name, prio)
	}
}

// The rendered values are a reviewable document: a change to them shows up as a diff here.
func TestValuesGolden(t *testing.T) {
	eng := run(t, &FalcoArgs{
		ApplicationNamespaces: []string{"novacron"},
		AllowedOutboundCIDRs:  []string{"52.94.0.0/16"},
	})
	got := values(t, eng)
	path := filepath.Join("testdata", "values.golden.yaml")
	if *update {
		b, err := yaml.Marshal(got)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")
	var want map[string]any
	require.NoError(t, yaml.Unmarshal(b, &want))
	assert.Equal(t, want, got)
}

func TestTuningFollowsArgs(t *testing.T) {
	v := values(t, run(t, &FalcoArgs{
		ApplicationNamespaces: []string{"novacron-staging"},
		AllowedOutboundPorts:  []int{443, 8443},
	}))
	tuning, _ := dig(t, v, "customRules", "novacron-tuning.yaml").(string)
	lists := map[string][]any{}
	for _, e := range parseRulesFile(t, tuning) {
		lists[e.name], _ = e.raw["items"].([]any)
	}
	assert.Equal(t, []any{"novacron-staging"}, lists["novacron_app_namespaces"])
	assert.Equal(t, []any{443, 8443}, lists["novacron_allowed_outbound_ports"])
	assert.Empty(t, lists["novacron_allowed_outbound_networks"])
}

func dig(t *testing.T, m map[string]any, path ...string) any {
	t.Helper()
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		require.True(t, ok, "%s: not a map at %q", strings.Join(path, "."), p)
		cur, ok = mm[p]
		require.True(t, ok, "%s: missing %q", strings.Join(path, "."), p)
	}
	return cur
}
