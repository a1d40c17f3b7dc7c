package falcotalon

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/internal/chartpaths"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	releaseType     = "kubernetes:helm.sh/v3:Release"
	roleType        = "kubernetes:rbac.authorization.k8s.io/v1:Role"
	roleBindingType = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
	secretType      = "kubernetes:core/v1:Secret"
	// A webhook URL shaped like Slack's, used to check that it never leaks.
	testWebhook = "https://hooks.slack.com/services/T000/B000/talon-test-secret"
)

func baseArgs() *TalonArgs {
	return &TalonArgs{ApplicationNamespaces: []string{"novacron", "novacron-jobs"}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		args *TalonArgs
		want validate.Problems
	}{
		{name: "minimal", args: &TalonArgs{ApplicationNamespaces: []string{"novacron"}}},
		{name: "nil", args: nil, want: validate.Problems{{Field: "args", Message: "must be set"}}},
		{
			name: "no namespaces",
			args: &TalonArgs{},
			want: validate.Problems{{Field: "applicationNamespaces", Message: "must name at least one namespace"}},
		},
		{
			name: "every field wrong",
			args: &TalonArgs{
				ChartVersion:                "latest",
				Namespace:                   "Talon",
				ApplicationNamespaces:       []string{"novacron", "kube-system", "bad ns", "novacron", "monitoring"},
				ProtectedNamespaces:         []string{"kube-system", "Monitoring"},
				SlackWebhookURL:             pulumi.String("http://hooks.example.com/x"),
				TerminateGracePeriodSeconds: 301,
				Replicas:                    9,
			},
			want: validate.Problems{
				{Field: "chartVersion", Message: `must be a chart version such as 0.4.1, got "latest"`},
				{Field: "namespace", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "Talon"`},
				{Field: "protectedNamespaces[1]", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "Monitoring"`},
				{Field: "applicationNamespaces[1]", Message: `must not be a protected namespace (Kubernetes' or the platform's own), got "kube-system"`},
				{Field: "applicationNamespaces[2]", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "bad ns"`},
				{Field: "applicationNamespaces[3]", Message: `must not repeat a namespace, got "novacron"`},
				{Field: "slackWebhookURL", Message: "must be an https URL (value not shown: it is a secret)"},
				{Field: "terminateGracePeriodSeconds", Message: "must be between 1 and 300, got 301"},
				{Field: "replicas", Message: "must be between 1 and 5, got 9"},
			},
		},
		{
			name: "default protected namespaces",
			args: &TalonArgs{ApplicationNamespaces: []string{"falco", "default", "falco-talon"}},
			want: validate.Problems{
				{Field: "applicationNamespaces[0]", Message: `must not be a protected namespace (Kubernetes' or the platform's own), got "falco"`},
				{Field: "applicationNamespaces[1]", Message: `must not be a protected namespace (Kubernetes' or the platform's own), got "default"`},
				{Field: "applicationNamespaces[2]", Message: `must not be a protected namespace (Kubernetes' or the platform's own), got "falco-talon"`},
			},
		},
		{
			name: "own namespace is always protected",
			args: &TalonArgs{Namespace: "responder", ProtectedNamespaces: []string{"kube-system"}, ApplicationNamespaces: []string{"responder"}},
			want: validate.Problems{{Field: "applicationNamespaces[0]", Message: `must not be a protected namespace (Kubernetes' or the platform's own), got "responder"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.args.Validate())
		})
	}
}

func TestNewTalonRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewTalon(ctx, "talon", &TalonArgs{ApplicationNamespaces: []string{"kube-system"}, SlackWebhookURL: pulumi.String("ftp://" + testWebhook[8:])})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `falcotalon "talon": applicationNamespaces[0] must not be a protected namespace`)
	assert.Contains(t, err.Error(), `falcotalon "talon": slackWebhookURL must be an https URL`)
	assert.NotContains(t, err.Error(), "talon-test-secret", "the webhook is a secret")
	assert.Empty(t, eng.Resources(), "nothing may be registered when arguments are invalid")
}

// run builds the component under the recording mock with a Kubernetes provider passed the way the
// stack passes it, and returns the engine and the component's URL output.
func run(t *testing.T, args *TalonArgs) (*mock.Engine, string) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	urls := make(chan string, 1)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		tal, err := NewTalon(ctx, "talon", args, pulumi.Providers(k8s))
		if err != nil {
			return err
		}
		tal.URL.ApplyT(func(u string) string { urls <- u; return u })
		return nil
	}))
	return eng, <-urls
}

// values returns the release's recorded Helm values as plain Go data, decoded the way Helm reads
// them (through YAML).
func values(t *testing.T, eng *mock.Engine) map[string]any {
	t.Helper()
	rel := eng.Find(releaseType, "talon-release")
	require.NotNil(t, rel)
	v, ok := rel.Input("values")
	require.True(t, ok)
	require.False(t, v.ContainsSecrets(), "Talon values carry no secret")
	b, err := yaml.Marshal(v.Mappable())
	require.NoError(t, err)
	require.NotContains(t, string(b), "talon-test-secret", "the webhook URL must not reach the Helm values")
	var out map[string]any
	require.NoError(t, yaml.Unmarshal(b, &out))
	return out
}

func TestRelease(t *testing.T) {
	eng, url := run(t, baseArgs())
	assert.Equal(t, "http://falco-talon.falco-talon.svc:2803", url)

	comp := eng.Find("novacron:security:FalcoTalon", "talon")
	require.NotNil(t, comp)
	rel := eng.Find(releaseType, "talon-release")
	require.NotNil(t, rel)
	ns := eng.Find("kubernetes:core/v1:Namespace", "talon-ns")
	require.NotNil(t, ns)
	for _, r := range eng.Resources() {
		if r == comp || r.Type == "pulumi:providers:kubernetes" {
			continue
		}
		assert.Equal(t, comp.URN, r.Parent, r.Name)
		assert.Contains(t, r.Provider, "pulumi:providers:kubernetes::k8s", "%s must use the cluster's provider", r.Name)
	}
	for path, want := range map[string]any{
		"chart":               "falco-talon",
		"version":             DefaultChartVersion,
		"name":                "falco-talon",
		"namespace":           "falco-talon",
		"repositoryOpts.repo": "https://falcosecurity.github.io/charts",
	} {
		got, ok := rel.Input(path)
		require.True(t, ok, path)
		assert.Equal(t, want, got.V, path)
	}
	labels, ok := ns.Input("metadata.labels")
	require.True(t, ok)
	assert.Equal(t, "baseline", labels.ObjectValue()["pod-security.kubernetes.io/enforce"].V)

	v := values(t, eng)
	assert.Equal(t, 2, v["replicaCount"])
	assert.Equal(t, []any{"k8sevents"}, dig(t, v, "config", "defaultNotifiers"), "no Slack notifier without a webhook")
	assert.Contains(t, v["extraEnv"], map[string]any{"name": "NAMESPACE", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.namespace"}}},
		"the lease must live in Talon's namespace, not Talon's default (falco)")
	assert.Empty(t, eng.ByType(secretType), "no Secret without a webhook")
	// The release waits for its permissions.
	for _, b := range eng.ByType(roleBindingType) {
		assert.Contains(t, rel.Dependencies, b.URN, b.Name)
	}
}

// The chart's ClusterRole keeps one rule (reading Namespaces); every verb list the chart has is
// set explicitly, so a default grant cannot slip through.
func TestClusterRoleIsNarrowed(t *testing.T) {
	v := values(t, first(run(t, baseArgs())))
	exact, _ := readPaths(t, pathsFile)
	rbac, ok := v["rbac"].(map[string]any)
	require.True(t, ok)
	var chartLists []string
	for _, p := range exact {
		if k, ok := strings.CutPrefix(p, "rbac."); ok {
			chartLists = append(chartLists, k)
		}
	}
	require.Len(t, chartLists, 20, "the chart's values.yaml has 20 rbac verb lists")
	for _, k := range chartLists {
		require.Contains(t, rbac, k, "rbac.%s is not set: the chart's default grant would apply", k)
		if k == "namespaces" {
			assert.Equal(t, []any{"get"}, rbac[k])
			continue
		}
		assert.Empty(t, rbac[k], "rbac.%s must be empty: granted as a namespaced Role if needed", k)
	}
}

// Talon's permissions are Roles in the application namespaces only, with exactly the verbs its
// actions and notifier need; the lease Role lives in Talon's own namespace.
func TestRolesAreLeastPrivilege(t *testing.T) {
	eng, _ := run(t, baseArgs())
	type grant struct{ ns, group, resource, verbs string }
	var got []grant
	namespaces := map[string]bool{}
	for _, r := range eng.ByType(roleType) {
		ns, ok := r.Input("metadata.namespace")
		require.True(t, ok, r.Name)
		namespaces[ns.StringValue()] = true
		rules, ok := r.Input("rules")
		require.True(t, ok)
		for _, rule := range rules.ArrayValue() {
			m := rule.ObjectValue()
			var verbs []string
			for _, v := range m["verbs"].ArrayValue() {
				verbs = append(verbs, v.StringValue())
			}
			sort.Strings(verbs)
			for _, res := range m["resources"].ArrayValue() {
				got = append(got, grant{ns.StringValue(), m["apiGroups"].ArrayValue()[0].StringValue(), res.StringValue(), strings.Join(verbs, ",")})
			}
		}
	}
	assert.Equal(t, map[string]bool{"novacron": true, "novacron-jobs": true, "falco-talon": true}, namespaces)
	var want []grant
	for _, ns := range []string{"novacron", "novacron-jobs"} {
		want = append(want,
			grant{ns, "", "pods", "delete,get,list,patch,update"},
			grant{ns, "apps", "replicasets", "get"},
			grant{ns, "apps", "deployments", "get"},
			grant{ns, "apps", "statefulsets", "get"},
			grant{ns, "apps", "daemonsets", "get"},
			grant{ns, "networking.k8s.io", "networkpolicies", "create,get,patch,update"},
			grant{ns, "", "events", "create,get,patch,update"},
		)
	}
	want = append(want, grant{"falco-talon", "coordination.k8s.io", "leases", "create,get,patch,update,watch"})
	assert.ElementsMatch(t, want, got)

	// Each Role is bound to the chart's ServiceAccount, in Talon's namespace, and nothing else.
	bindings := eng.ByType(roleBindingType)
	require.Len(t, bindings, 3)
	for _, b := range bindings {
		subjects, ok := b.Input("subjects")
		require.True(t, ok)
		require.Len(t, subjects.ArrayValue(), 1)
		s := subjects.ArrayValue()[0].ObjectValue()
		assert.Equal(t, "ServiceAccount", s["kind"].StringValue())
		assert.Equal(t, "falco-talon", s["name"].StringValue())
		assert.Equal(t, "falco-talon", s["namespace"].StringValue())
		kind, _ := b.Input("roleRef.kind")
		assert.Equal(t, "Role", kind.StringValue(), "never a ClusterRole")
	}
}

// The Slack webhook lives in a Secret (as a Pulumi secret) and reaches Talon as an environment
// variable that references it; Slack becomes a default notifier.
func TestSlackWebhookStaysSecret(t *testing.T) {
	args := baseArgs()
	args.SlackWebhookURL = pulumi.ToSecret(pulumi.String(testWebhook)).(pulumi.StringOutput)
	eng, _ := run(t, args)

	secrets := eng.ByType(secretType)
	require.Len(t, secrets, 1)
	s := secrets[0]
	ns, _ := s.Input("metadata.namespace")
	assert.Equal(t, "falco-talon", ns.StringValue())
	data, ok := s.Inputs["stringData"]
	require.True(t, ok)
	require.True(t, data.ContainsSecrets(), "the webhook must stay a Pulumi secret")
	url, ok := s.Input("stringData.slack-webhook-url")
	require.True(t, ok)
	assert.Equal(t, testWebhook, url.StringValue())

	v := values(t, eng) // fails if the webhook reached the values
	assert.Equal(t, []any{"k8sevents", "slack"}, dig(t, v, "config", "defaultNotifiers"))
	assert.Contains(t, v["extraEnv"], map[string]any{"name": "NOTIFIERS_SLACK_WEBHOOK_URL", "valueFrom": map[string]any{
		"secretKeyRef": map[string]any{"name": "falco-talon-notifiers", "key": "slack-webhook-url"},
	}})
	assert.NotContains(t, dig(t, v, "config"), "notifiers", "the chart's notifiers.slack.webhookUrl is left empty")
	rel := eng.Find(releaseType, "talon-release")
	assert.Contains(t, rel.Dependencies, s.URN, "the release waits for the Secret")

	// A plain string is wrapped as a secret too.
	args.SlackWebhookURL = pulumi.String(testWebhook)
	eng, _ = run(t, args)
	data = eng.ByType(secretType)[0].Inputs["stringData"]
	assert.True(t, data.ContainsSecrets())
}

// Talon's metrics are scraped through the chart's ServiceMonitor, whose CRD the release waits for.
func TestServiceMonitorWaitsForItsCRD(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		monitoring, err := kubernetes.NewProvider(ctx, "stand-in-for-monitoring", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args := baseArgs()
		args.WaitFor = []pulumi.Resource{monitoring}
		_, err = NewTalon(ctx, "talon", args, pulumi.Providers(k8s))
		return err
	}))
	assert.Equal(t, map[string]any{"enabled": true}, values(t, eng)["serviceMonitor"])
	rel := eng.Find(releaseType, "talon-release")
	require.NotNil(t, rel)
	assert.Contains(t, rel.Dependencies, eng.Find("pulumi:providers:kubernetes", "stand-in-for-monitoring").URN)
}

// The rendered values are a reviewable document: a change to them shows up as a diff here (the
// rules have their own golden file and stand in here by name).
func TestValuesGolden(t *testing.T) {
	args := baseArgs()
	args.SlackWebhookURL = pulumi.String(testWebhook)
	v := values(t, first(run(t, args)))
	config := v["config"].(map[string]any)
	rules, _ := config["rulesOverride"].(string)
	config["rulesOverride"] = "<testdata/rules.golden.yaml>"
	goldenYAML(t, "values.golden.yaml", v)

	var doc any
	require.NoError(t, yaml.Unmarshal([]byte(rules), &doc))
	goldenYAML(t, "rules.golden.yaml", doc)
}

const pathsFile = "falco-talon-" + DefaultChartVersion + ".paths"

// Every value path the component sets exists in the pinned chart's values.yaml (listed in
// testdata/falco-talon-<version>.paths, checked against values.yaml at the chart's release tag).
func TestValuePathsAreInTheChart(t *testing.T) {
	args := baseArgs()
	args.SlackWebhookURL = pulumi.String(testWebhook)
	exact, freeForm := readPaths(t, pathsFile)
	for _, leaf := range chartpaths.Unlisted(values(t, first(run(t, args))), exact, freeForm) {
		assert.Fail(t, "value path not in the chart", "the release sets %s, which %s does not list", leaf, pathsFile)
	}
}

// The check above must be able to fail.
func TestValuePathCheckCatchesTypos(t *testing.T) {
	exact, freeForm := readPaths(t, pathsFile)
	v := values(t, first(run(t, baseArgs())))
	require.Empty(t, chartpaths.Unlisted(v, exact, freeForm))
	v["replicas"] = 2
	v["rbac"].(map[string]any)["pod"] = []any{}
	v["config"].(map[string]any)["rules_override"] = ""
	assert.ElementsMatch(t, []string{"replicas", "rbac.pod", "config.rules_override"}, chartpaths.Unlisted(v, exact, freeForm))
}

func first(eng *mock.Engine, _ string) *mock.Engine { return eng }

func readPaths(t *testing.T, name string) (exact, freeForm []string) {
	t.Helper()
	exact, freeForm, err := chartpaths.Read(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NotEmpty(t, exact, name)
	return exact, freeForm
}

func goldenYAML(t *testing.T, name string, got any) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		b, err := yaml.Marshal(got)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	var want any
	require.NoError(t, yaml.Unmarshal(b, &want))
	assert.Equal(t, want, got, "document differs from %s (review, then run the test with -update)", path)
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
