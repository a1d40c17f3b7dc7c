package gatekeeper

import (
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/chartpaths"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/validate"
)

const (
	releaseType    = "kubernetes:helm.sh/v3:Release"
	templateType   = "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate"
	constraintPath = "kubernetes:" + constraintAPI + ":"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		args *GatekeeperArgs
		want validate.Problems
	}{
		{name: "minimal", args: baseArgs()},
		{name: "nil", args: nil, want: validate.Problems{{Field: "args", Message: "must be set"}}},
		{
			name: "nothing set",
			args: &GatekeeperArgs{},
			want: validate.Problems{
				{Field: "applicationNamespaces", Message: "must name at least one namespace"},
				{Field: "imageRegistries", Message: "must name at least one registry"},
			},
		},
		{
			name: "every field wrong",
			args: &GatekeeperArgs{
				ChartVersion:              "3.x",
				Namespace:                 "kube-system",
				ApplicationNamespaces:     []string{"novacron", "kube-system"},
				PlatformNamespaces:        []string{"novacron", "Bad"},
				PlatformEnforcementAction: "deny",
				ImageRegistries:           []string{"https://ecr.example.com", "localhost"},
				RequiredLabels:            []string{"app", "bad label"},
				RequiredRequests:          []string{"CPU"},
				RequiredLimits:            []string{"memory!"},
				LoadBalancerClass:         "nlb",
				GPUNodeLabelKey:           "-workload",
				GPUNodeLabelValue:         "ml pool",
				GPUTaintKey:               "ml workload",
				GPUTaintValue:             "-x",
				GPUTaintEffect:            "NoRun",
				GPUResource:               "gpu",
				WebhookReplicas:           1,
				AuditIntervalSeconds:      5,
				FailurePolicy:             "Open",
			},
			want: validate.Problems{
				{Field: "chartVersion", Message: `must be a chart version such as 3.23.1, got "3.x"`},
				{Field: "namespace", Message: "must not be kube-system"},
				{Field: "applicationNamespaces[1]", Message: "kube-system is exempt from Gatekeeper and cannot have constraints"},
				{Field: "platformNamespaces[0]", Message: "novacron is already listed in applicationNamespaces"},
				{Field: "platformNamespaces[1]", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "Bad"`},
				{Field: "platformEnforcementAction", Message: `must be one of dryrun, warn, got "deny"`},
				{Field: "imageRegistries[0]", Message: `must be a registry host or repository prefix without a scheme, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com, got "https://ecr.example.com"`},
				{Field: "imageRegistries[1]", Message: `must be a registry host or repository prefix without a scheme, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com, got "localhost"`},
				{Field: "requiredLabels[1]", Message: `must be a label key, got "bad label"`},
				{Field: "requiredRequests[0]", Message: `must be a resource name such as cpu or memory, got "CPU"`},
				{Field: "requiredLimits[0]", Message: `must be a resource name such as cpu or memory, got "memory!"`},
				{Field: "loadBalancerClass", Message: `must be a domain-prefixed class such as service.k8s.aws/nlb, got "nlb"`},
				{Field: "gpuNodeLabelKey", Message: `must be a label key, got "-workload"`},
				{Field: "gpuTaintKey", Message: `must be a label key, got "ml workload"`},
				{Field: "gpuNodeLabelValue", Message: `must be a label value, got "ml pool"`},
				{Field: "gpuTaintValue", Message: `must be a label value, got "-x"`},
				{Field: "gpuTaintEffect", Message: `must be one of NoSchedule, PreferNoSchedule, NoExecute, got "NoRun"`},
				{Field: "gpuResource", Message: `must be an extended resource name such as nvidia.com/gpu, got "gpu"`},
				{Field: "webhookReplicas", Message: "must be at least 2 (the PodDisruptionBudget keeps all but one), got 1"},
				{Field: "auditIntervalSeconds", Message: "must be between 10 and 3600, got 5"},
				{Field: "failurePolicy", Message: `must be one of Fail, Ignore, got "Open"`},
			},
		},
		{
			name: "own namespace as an application namespace",
			args: &GatekeeperArgs{ApplicationNamespaces: []string{"gatekeeper-system"}, ImageRegistries: []string{testRegistry}},
			want: validate.Problems{{Field: "applicationNamespaces[0]", Message: "gatekeeper-system is exempt from Gatekeeper and cannot have constraints"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.args.Validate())
		})
	}
}

func TestNewGatekeeperRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewGatekeeper(ctx, "gatekeeper", &GatekeeperArgs{ImageRegistries: []string{testRegistry}})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `gatekeeper "gatekeeper": applicationNamespaces must name at least one namespace`)
	assert.Empty(t, eng.Resources())
}

func run(t *testing.T, args *GatekeeperArgs, opts ...pulumi.ResourceOption) *mock.Engine {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = NewGatekeeper(ctx, "gatekeeper", args, append(opts, pulumi.Providers(k8s))...)
		return err
	}))
	return eng
}

func input(t *testing.T, r *mock.Resource, path string) any {
	t.Helper()
	v, ok := r.Input(path)
	require.True(t, ok, "%s has no input %s", r.Name, path)
	if v.IsObject() {
		return v.ObjectValue().Mappable()
	}
	return v.Mappable()
}

func TestReleaseValues(t *testing.T) {
	eng := run(t, baseArgs())
	release := eng.Find(releaseType, "gatekeeper-release")
	require.NotNil(t, release)
	assert.Equal(t, "gatekeeper", input(t, release, "chart"))
	assert.Equal(t, DefaultChartVersion, input(t, release, "version"))
	assert.Equal(t, "gatekeeper-system", input(t, release, "namespace"))
	values := input(t, release, "values").(map[string]any)
	assert.EqualValues(t, 3, values["replicas"])
	assert.EqualValues(t, 2, values["pdb"].(map[string]any)["controllerManager"].(map[string]any)["minAvailable"])
	assert.EqualValues(t, 60, values["auditInterval"])
	assert.Equal(t, "Fail", values["validatingWebhookFailurePolicy"])
	// Failing closed is safe only for what the constraints judge: never Leases, Nodes or Events.
	var webhookResources []any
	for _, r := range values["validatingWebhookCustomRules"].([]any) {
		webhookResources = append(webhookResources, r.(map[string]any)["resources"].([]any)...)
	}
	assert.Equal(t, []any{"pods", "pods/ephemeralcontainers", "services", "*"}, webhookResources)
	assert.Equal(t, []any{"templates.gatekeeper.sh", "constraints.gatekeeper.sh"},
		values["validatingWebhookCustomRules"].([]any)[1].(map[string]any)["apiGroups"])
	cm := values["controllerManager"].(map[string]any)
	assert.Equal(t, []any{"kube-system"}, cm["exemptNamespaces"])
	assert.Equal(t, []any{"kube-system"}, values["postInstall"].(map[string]any)["labelNamespace"].(map[string]any)["extraNamespaces"])

	a := baseArgs()
	a.WebhookReplicas, a.FailurePolicy, a.AuditIntervalSeconds = 5, "Ignore", 300
	values = input(t, run(t, a).Find(releaseType, "gatekeeper-release"), "values").(map[string]any)
	assert.EqualValues(t, 5, values["replicas"])
	assert.EqualValues(t, 4, values["pdb"].(map[string]any)["controllerManager"].(map[string]any)["minAvailable"])
	assert.Equal(t, "Ignore", values["validatingWebhookFailurePolicy"])
	assert.EqualValues(t, 300, values["auditInterval"])
}

// Every value path the component sets exists in the pinned chart's values.yaml: the paths are
// listed in testdata/gatekeeper-<version>.paths (checked against values.yaml at the chart's
// release tag), and every leaf of the rendered values must be one of them or lie below a
// listed free-form key ("key.*").
func TestValuePathsAreInTheChart(t *testing.T) {
	name := "gatekeeper-" + DefaultChartVersion + ".paths"
	exact, freeForm, err := chartpaths.Read(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NotEmpty(t, exact, name)
	values := input(t, run(t, baseArgs()).Find(releaseType, "gatekeeper-release"), "values").(map[string]any)
	assert.Empty(t, chartpaths.Unlisted(values, exact, freeForm))

	// The check can fail: a misspelt key and an unknown one are reported, and nothing else.
	values["auditIntervall"] = 60
	values["pdb"].(map[string]any)["controllerManager"].(map[string]any)["maxUnavailable"] = 1
	assert.ElementsMatch(t, []string{"auditIntervall", "pdb.controllerManager.maxUnavailable"}, chartpaths.Unlisted(values, exact, freeForm))
}

func TestTemplatesAndConstraints(t *testing.T) {
	a := baseArgs()
	a.ApplicationNamespaces = []string{"novacron", "novacron-jobs"}
	eng := run(t, a)
	release := eng.Find(releaseType, "gatekeeper-release")
	require.NotNil(t, release)

	policies := a.withDefaults().policies()
	templates := eng.ByType(templateType)
	require.Len(t, templates, len(policies))
	for _, p := range policies {
		t.Run(p.Kind, func(t *testing.T) {
			tmpl := eng.Find(templateType, "gatekeeper-"+p.TemplateName())
			require.NotNil(t, tmpl)
			assert.Equal(t, p.TemplateName(), input(t, tmpl, "metadata.name"))
			annotations := input(t, tmpl, "metadata.annotations").(map[string]any)
			assert.Equal(t, "jsonpath={.status.created}=true", annotations["pulumi.com/waitFor"])
			assert.Equal(t, "300", annotations["pulumi.com/timeoutSeconds"])
			assert.Contains(t, tmpl.Dependencies, release.URN, "a template must wait for Gatekeeper to run")
			spec := input(t, tmpl, "spec").(map[string]any)
			assert.Equal(t, p.Kind, spec["crd"].(map[string]any)["spec"].(map[string]any)["names"].(map[string]any)["kind"])
			code := spec["targets"].([]any)[0].(map[string]any)["code"].([]any)[0].(map[string]any)
			src, err := p.Rego()
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"version": "v1", "rego": src}, code["source"])

			for scope, want := range map[string]struct {
				action     string
				namespaces []any
			}{
				"applications": {"deny", []any{"novacron", "novacron-jobs"}},
				"platform":     {"dryrun", []any{"external-secrets", "falco", "monitoring", "telemetry"}},
			} {
				c := eng.Find(constraintPath+p.Kind, "gatekeeper-"+p.TemplateName()+"-"+scope)
				require.NotNil(t, c, scope)
				assert.Contains(t, c.Dependencies, tmpl.URN, "a Constraint must wait for its template's CRD")
				cs := input(t, c, "spec").(map[string]any)
				assert.Equal(t, want.action, cs["enforcementAction"], scope)
				assert.Equal(t, want.namespaces, cs["match"].(map[string]any)["namespaces"], scope)
			}
		})
	}
	assert.Len(t, eng.Resources(), 1+1+1+1+1+1+3*len(policies), "provider, component, namespace, release, config, podmonitor, templates and constraints")
}

func TestPodMonitorIsSelectedAndWaitsForItsCRD(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		monitoring, err := kubernetes.NewProvider(ctx, "stand-in-for-monitoring", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		a := baseArgs()
		a.WaitFor = []pulumi.Resource{monitoring}
		_, err = NewGatekeeper(ctx, "gatekeeper", a, pulumi.Providers(k8s))
		return err
	}))
	pm := eng.Find("kubernetes:monitoring.coreos.com/v1:PodMonitor", "gatekeeper-podmonitor")
	require.NotNil(t, pm)
	assert.Equal(t, "kube-prometheus-stack", input(t, pm, "metadata.labels").(map[string]any)["release"])
	spec := input(t, pm, "spec").(map[string]any)
	assert.Equal(t, map[string]any{"gatekeeper.sh/system": "yes"}, spec["selector"].(map[string]any)["matchLabels"])
	assert.Equal(t, "metrics", spec["podMetricsEndpoints"].([]any)[0].(map[string]any)["port"])
	assert.Contains(t, pm.Dependencies, eng.Find("pulumi:providers:kubernetes", "stand-in-for-monitoring").URN)

	cfg := eng.Find("kubernetes:config.gatekeeper.sh/v1alpha1:Config", "gatekeeper-config")
	require.NotNil(t, cfg)
	assert.Equal(t, "config", input(t, cfg, "metadata.name"), "Gatekeeper reads only the Config named config")
	assert.Equal(t, []any{map[string]any{"excludedNamespaces": []any{"kube-system", "gatekeeper-system"}, "processes": []any{"*"}}},
		input(t, cfg, "spec").(map[string]any)["match"])
}
