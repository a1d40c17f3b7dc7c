package monitoring

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	releaseType   = "kubernetes:helm.sh/v3:Release"
	secretType    = "kubernetes:core/v1:Secret"
	namespaceType = "kubernetes:core/v1:Namespace"
	ruleType      = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
	monitorType   = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
	componentType = "novacron:monitoring:Stack"
)

// productionArgs are the plan's production settings; everything else is left to the defaults.
func productionArgs(secret func(string) pulumi.StringInput) *StackArgs {
	return &StackArgs{
		ProbeURLs:            []string{"https://api.novacron.example/health", "https://app.novacron.example/"},
		APINamespaces:        []string{"production"},
		WebhookURL:           "https://alerts.novacron.example/hook",
		GrafanaAdminPassword: secret(placeholderGrafanaPassword),
		PagerDutyRoutingKey:  secret(placeholderRoutingKey),
		SlackWebhookURL:      secret(placeholderSlackWebhook),
		HeartbeatURL:         secret(placeholderHeartbeatURL),
	}
}

func plain(v string) pulumi.StringInput { return pulumi.String(v) }

func secretInput(v string) pulumi.StringInput {
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
}

type stackRun struct {
	eng     *mock.Engine
	outputs map[string]string
}

func runStack(t *testing.T, args *StackArgs) (*stackRun, error) {
	t.Helper()
	run := &stackRun{eng: mock.NewEngine("novacron-platform", "test", nil), outputs: map[string]string{}}
	var mu sync.Mutex
	record := func(key string) func(string) string {
		return func(v string) string {
			mu.Lock()
			defer mu.Unlock()
			run.outputs[key] = v
			return v
		}
	}
	err := run.eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		s, err := NewStack(ctx, "monitoring", args, pulumi.Providers(k8s))
		if err != nil {
			return err
		}
		s.Namespace.ApplyT(record("namespace"))
		s.AlertmanagerURL.ApplyT(record("alertmanagerUrl"))
		s.PrometheusURL.ApplyT(record("prometheusUrl"))
		s.GrafanaAdminSecretName.ApplyT(record("grafanaAdminSecretName"))
		return nil
	})
	return run, err
}

func (r *stackRun) find(t *testing.T, typ, name string) *mock.Resource {
	t.Helper()
	res := r.eng.Find(typ, name)
	require.NotNil(t, res, "%s %s not registered", typ, name)
	return res
}

func TestStackRegistersThePlansProductionValues(t *testing.T) {
	run, err := runStack(t, productionArgs(plain))
	require.NoError(t, err)

	comp := run.find(t, componentType, "monitoring")
	kps := run.find(t, releaseType, "monitoring-kube-prometheus-stack")
	bbx := run.find(t, releaseType, "monitoring-blackbox-exporter")
	ns := run.find(t, namespaceType, "monitoring-namespace")
	grafanaSecret := run.find(t, secretType, "monitoring-grafana-admin")
	amSecret := run.find(t, secretType, "monitoring-alertmanager-config")
	for _, child := range []*mock.Resource{kps, bbx, ns, grafanaSecret, amSecret} {
		assert.Equal(t, comp.URN, child.Parent, "%s is a child of the component", child.Name)
		assert.Contains(t, child.Provider, "pulumi:providers:kubernetes::k8s", "%s uses the caller's provider", child.Name)
	}
	assert.Equal(t, "monitoring", mocktest.Str(t, ns, "metadata.name"))

	// kube-prometheus-stack: pinned chart, long timeout, the plan's values.
	assert.Equal(t, "kube-prometheus-stack", mocktest.Str(t, kps, "chart"))
	assert.Equal(t, "kube-prometheus-stack", mocktest.Str(t, kps, "name"))
	assert.Equal(t, "88.5.3", mocktest.Str(t, kps, "version"))
	assert.Equal(t, DefaultChartRepository, mocktest.Str(t, kps, "repositoryOpts.repo"))
	assert.Equal(t, "monitoring", mocktest.Str(t, kps, "namespace"))
	assert.GreaterOrEqual(t, mocktest.Num(t, kps, "timeout"), 900.0, "longer than Helm's 300 s default")
	assert.Contains(t, kps.Dependencies, grafanaSecret.URN)
	assert.Contains(t, kps.Dependencies, amSecret.URN)
	assert.Contains(t, kps.Dependencies, ns.URN)

	spec := "values.prometheus.prometheusSpec."
	assert.Equal(t, "30d", mocktest.Str(t, kps, spec+"retention"))
	assert.Equal(t, "450GB", mocktest.Str(t, kps, spec+"retentionSize"))
	claim := spec + "storageSpec.volumeClaimTemplate.spec."
	assert.Equal(t, "500Gi", mocktest.Str(t, kps, claim+"resources.requests.storage"))
	assert.Equal(t, "fast-ssd", mocktest.Str(t, kps, claim+"storageClassName"))
	assert.Equal(t, []any{"ReadWriteOnce"}, mocktest.Value(t, kps, claim+"accessModes"))
	for _, sel := range []string{"serviceMonitor", "podMonitor", "probe", "rule", "scrapeConfig"} {
		assert.False(t, mocktest.Bool(t, kps, spec+sel+"SelectorNilUsesHelmValues"), sel)
	}

	assert.True(t, mocktest.Bool(t, kps, "values.grafana.persistence.enabled"))
	assert.Equal(t, "100Gi", mocktest.Str(t, kps, "values.grafana.persistence.size"))
	assert.Equal(t, "fast-ssd", mocktest.Str(t, kps, "values.grafana.persistence.storageClassName"))
	assert.Equal(t, mocktest.Str(t, grafanaSecret, "metadata.name"), mocktest.Str(t, kps, "values.grafana.admin.existingSecret"))
	assert.Equal(t, "admin-password", mocktest.Str(t, kps, "values.grafana.admin.passwordKey"))
	_, inlinePassword := kps.Input("values.grafana.adminPassword")
	assert.False(t, inlinePassword, "no inline Grafana password")

	am := "values.alertmanager.alertmanagerSpec."
	assert.True(t, mocktest.Bool(t, kps, am+"useExistingSecret"))
	assert.Equal(t, mocktest.Str(t, amSecret, "metadata.name"), mocktest.Str(t, kps, am+"configSecret"))
	_, inlineConfig := kps.Input("values.alertmanager.config")
	assert.False(t, inlineConfig, "no inline Alertmanager configuration")

	// Dashboards: the two grafana.com dashboards and our own.
	dash := mocktest.Value(t, kps, "values.grafana.dashboards.novacron").(map[string]any)
	assert.Equal(t, 15758.0, dash["kubernetes-views-namespaces"].(map[string]any)["gnetId"])
	assert.Equal(t, 7249.0, dash["kubernetes-cluster"].(map[string]any)["gnetId"])
	assert.Contains(t, dash["novacron-slo"].(map[string]any)["json"], `"uid": "novacron-slo"`)

	// Node exporters run on the tainted GPU nodes.
	tolerations := mocktest.Value(t, kps, "values.prometheus-node-exporter.tolerations")
	assert.Contains(t, tolerations, map[string]any{"key": "ml-workload", "operator": "Equal", "value": "true", "effect": "NoSchedule"})

	// Scrape jobs: the annotation job, the blackbox job with the configured URLs, the
	// control-plane jobs through the EKS API server and Karpenter.
	jobs := mocktest.Value(t, kps, spec+"additionalScrapeConfigs").([]any)
	require.Len(t, jobs, 5)
	assert.Equal(t, AnnotationScrapeJob, jobs[0].(map[string]any)["job_name"])
	assert.Equal(t, SchedulerJob, jobs[2].(map[string]any)["job_name"])
	assert.Equal(t, ControllerManagerJob, jobs[3].(map[string]any)["job_name"])
	assert.Equal(t, karpenterJob, jobs[4].(map[string]any)["job_name"])

	// The chart's control-plane scrapes are off: EKS does not expose those targets.
	for _, c := range []string{"kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"} {
		assert.False(t, mocktest.Bool(t, kps, "values."+c+".enabled"), c)
	}
	assert.False(t, mocktest.Bool(t, kps, "values.defaultRules.rules.kubeSchedulerAlerting"))
	probe := jobs[1].(map[string]any)
	assert.Equal(t, probeJobName, probe["job_name"])
	assert.Equal(t, []any{"https://api.novacron.example/health", "https://app.novacron.example/"},
		probe["static_configs"].([]any)[0].(map[string]any)["targets"])

	// Blackbox exporter: pinned chart and the http_2xx module.
	assert.Equal(t, "prometheus-blackbox-exporter", mocktest.Str(t, bbx, "chart"))
	assert.Equal(t, "11.17.2", mocktest.Str(t, bbx, "version"))
	assert.Equal(t, "http", mocktest.Str(t, bbx, "values.config.modules.http_2xx.prober"))
	assert.Equal(t, BlackboxExporterRelease, mocktest.Str(t, bbx, "values.fullnameOverride"))

	goldenValues(t, "kube-prometheus-stack.values.yaml", kps)
	goldenValues(t, "blackbox-exporter.values.yaml", bbx)

	assert.Equal(t, map[string]string{
		"namespace":              "monitoring",
		"alertmanagerUrl":        "http://kube-prometheus-stack-alertmanager.monitoring.svc:9093",
		"prometheusUrl":          "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
		"grafanaAdminSecretName": GrafanaAdminSecretName,
	}, run.outputs)
}

func goldenValues(t *testing.T, name string, r *mock.Resource) {
	t.Helper()
	out, err := sigsyaml.Marshal(mocktest.Value(t, r, "values"))
	require.NoError(t, err)
	assertGoldenYAML(t, name, out)
}

func TestCustomResourcesWaitForTheChartAndCarryTheRules(t *testing.T) {
	run, err := runStack(t, productionArgs(plain))
	require.NoError(t, err)
	kps := run.find(t, releaseType, "monitoring-kube-prometheus-stack")

	rule := run.find(t, ruleType, "monitoring-slo-rules")
	assert.Contains(t, rule.Dependencies, kps.URN, "the PrometheusRule waits for the CRDs")
	assert.Equal(t, "monitoring", mocktest.Str(t, rule, "metadata.namespace"))
	// The registered spec is a valid rule file.
	doc, err := sigsyaml.Marshal(mocktest.Value(t, rule, "spec"))
	require.NoError(t, err)
	groups, errs := rulefmt.Parse(doc, false, model.UTF8Validation, parser.NewParser(parser.Options{}), nil)
	require.Empty(t, errs)
	assert.Len(t, groups.Groups, len(PrometheusRuleGroups(defaultRuleSettings())))

	sm := run.find(t, monitorType, "monitoring-api-servicemonitor")
	assert.Contains(t, sm.Dependencies, kps.URN)
	assert.Equal(t, "novacron-api", mocktest.Str(t, sm, "spec.selector.matchLabels.app"))
	assert.Equal(t, "app", mocktest.Str(t, sm, "spec.jobLabel"))
	assert.Equal(t, []any{"production"}, mocktest.Value(t, sm, "spec.namespaceSelector.matchNames"))
	endpoint := mocktest.Value(t, sm, "spec.endpoints").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"port": "http", "path": "/metrics", "interval": "30s"}, endpoint)
}

func TestDefaultsAndOverrides(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*StackArgs)
		check  func(t *testing.T, run *stackRun)
	}{
		{
			name: "without probe URLs there is no probe job and the monitor watches every namespace",
			mutate: func(a *StackArgs) {
				a.ProbeURLs = nil
				a.APINamespaces = nil
			},
			check: func(t *testing.T, run *stackRun) {
				kps := run.find(t, releaseType, "monitoring-kube-prometheus-stack")
				jobs := mocktest.Value(t, kps, "values.prometheus.prometheusSpec.additionalScrapeConfigs").([]any)
				require.Len(t, jobs, 4)
				assert.Equal(t, AnnotationScrapeJob, jobs[0].(map[string]any)["job_name"])
				assert.Equal(t, SchedulerJob, jobs[1].(map[string]any)["job_name"])
				assert.Equal(t, karpenterJob, jobs[3].(map[string]any)["job_name"])
				sm := run.find(t, monitorType, "monitoring-api-servicemonitor")
				assert.True(t, mocktest.Bool(t, sm, "spec.namespaceSelector.any"))
			},
		},
		{
			name: "a smaller stack through args only",
			mutate: func(a *StackArgs) {
				a.Namespace = "observability"
				a.PrometheusRetention = "15d"
				a.PrometheusStorageSize = "100Gi"
				a.GrafanaStorageSize = "20Gi"
				a.StorageClassName = "gp3"
				a.KubePrometheusStackVersion = "88.6.0"
				a.ReleaseTimeoutSeconds = 900
				a.DisableCommunityDashboards = true
			},
			check: func(t *testing.T, run *stackRun) {
				kps := run.find(t, releaseType, "monitoring-kube-prometheus-stack")
				spec := "values.prometheus.prometheusSpec."
				assert.Equal(t, "observability", mocktest.Str(t, kps, "namespace"))
				assert.Equal(t, "15d", mocktest.Str(t, kps, spec+"retention"))
				assert.Equal(t, "90GB", mocktest.Str(t, kps, spec+"retentionSize"))
				assert.Equal(t, "100Gi", mocktest.Str(t, kps, spec+"storageSpec.volumeClaimTemplate.spec.resources.requests.storage"))
				assert.Equal(t, "gp3", mocktest.Str(t, kps, spec+"storageSpec.volumeClaimTemplate.spec.storageClassName"))
				assert.Equal(t, "20Gi", mocktest.Str(t, kps, "values.grafana.persistence.size"))
				assert.Equal(t, "88.6.0", mocktest.Str(t, kps, "version"))
				assert.Equal(t, 900.0, mocktest.Num(t, kps, "timeout"))
				dash := mocktest.Value(t, kps, "values.grafana.dashboards.novacron").(map[string]any)
				assert.Equal(t, []string{BusinessDashboardUID, CapacityDashboardUID, ServicesDashboardUID, SLODashboardUID}, keys(dash))
				probe := mocktest.Value(t, kps, spec+"additionalScrapeConfigs").([]any)[1].(map[string]any)
				relabels := probe["relabel_configs"].([]any)
				assert.Equal(t, "blackbox-exporter.observability.svc:9115", relabels[len(relabels)-1].(map[string]any)["replacement"])
				assert.Equal(t, "http://kube-prometheus-stack-alertmanager.observability.svc:9093", run.outputs["alertmanagerUrl"])
			},
		},
		{
			name:   "all dashboards off",
			mutate: func(a *StackArgs) { a.DisableCommunityDashboards, a.DisableSLODashboard = true, true },
			check: func(t *testing.T, run *stackRun) {
				kps := run.find(t, releaseType, "monitoring-kube-prometheus-stack")
				_, ok := kps.Input("values.grafana.dashboards")
				assert.False(t, ok)
				_, ok = kps.Input("values.grafana.dashboardProviders")
				assert.False(t, ok)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := productionArgs(plain)
			tt.mutate(args)
			run, err := runStack(t, args)
			require.NoError(t, err)
			tt.check(t, run)
		})
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stringDataEntry reads one key of a Secret's stringData; keys such as "alertmanager.yaml"
// contain dots, which Resource.Input's dotted paths cannot address.
func stringDataEntry(t *testing.T, r *mock.Resource, key string) string {
	t.Helper()
	v, ok := r.Input("stringData")
	require.True(t, ok)
	require.True(t, v.IsObject(), "stringData is %v", v)
	entry, ok := v.ObjectValue()[resource.PropertyKey(key)]
	require.True(t, ok, "stringData has no %s", key)
	for entry.IsSecret() {
		entry = entry.SecretValue().Element
	}
	require.True(t, entry.IsString())
	return entry.StringValue()
}

// plainHits lists where needle occurs in v outside any secret.
func plainHits(v resource.PropertyValue, path, needle string) []string {
	switch {
	case v.IsSecret():
		return nil
	case v.IsOutput():
		if v.OutputValue().Secret {
			return nil
		}
		return plainHits(v.OutputValue().Element, path, needle)
	case v.IsString():
		if strings.Contains(v.StringValue(), needle) {
			return []string{path}
		}
	case v.IsArray():
		var hits []string
		for i, e := range v.ArrayValue() {
			hits = append(hits, plainHits(e, path+"["+strconv.Itoa(i)+"]", needle)...)
		}
		return hits
	case v.IsObject():
		var hits []string
		for k, e := range v.ObjectValue() {
			hits = append(hits, plainHits(e, path+"."+string(k), needle)...)
		}
		return hits
	}
	return nil
}

func TestSecretsNeverLeaveKubernetesSecrets(t *testing.T) {
	for name, secret := range map[string]func(string) pulumi.StringInput{
		"caller passes plain strings":  plain,
		"caller passes secret outputs": secretInput,
	} {
		t.Run(name, func(t *testing.T) {
			run, err := runStack(t, productionArgs(secret))
			require.NoError(t, err)

			// No placeholder outside a secret, in any input of any resource.
			for _, r := range run.eng.Resources() {
				for _, p := range placeholders {
					hits := plainHits(resource.NewObjectProperty(r.Inputs), r.Type+"/"+r.Name, p)
					assert.Empty(t, hits, "secret %q in plain inputs", p)
				}
			}
			// In particular no placeholder in any Helm values, even looking inside secrets.
			for _, rel := range run.eng.ByType(releaseType) {
				dump, err := sigsyaml.Marshal(mocktest.Value(t, rel, "values"))
				require.NoError(t, err)
				for _, p := range placeholders {
					assert.NotContains(t, string(dump), p, rel.Name)
				}
			}

			// The Secrets hold them, secret-wrapped.
			grafana := run.find(t, secretType, "monitoring-grafana-admin")
			stringData := grafana.Inputs["stringData"]
			assert.True(t, stringData.ContainsSecrets(), "Grafana Secret stringData is secret")
			assert.Equal(t, placeholderGrafanaPassword, mocktest.Str(t, grafana, "stringData.admin-password"))
			assert.Equal(t, "admin", mocktest.Str(t, grafana, "stringData.admin-user"))

			am := run.find(t, secretType, "monitoring-alertmanager-config")
			assert.True(t, am.Inputs["stringData"].ContainsSecrets(), "Alertmanager Secret stringData is secret")
			doc := stringDataEntry(t, am, alertmanagerSecretKey)
			cfg := loadAlertmanagerConfig(t, doc)
			assert.Len(t, cfg.Receivers, 5)
			assert.Contains(t, doc, placeholderRoutingKey)
			assert.Contains(t, doc, placeholderSlackWebhook)
			assert.Contains(t, doc, placeholderHeartbeatURL)
		})
	}

	// And none in the golden files.
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		content, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, p := range placeholders {
			assert.NotContains(t, string(content), p, f)
		}
	}
}

func TestInvalidArgsFailBeforeAnythingIsRegistered(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*StackArgs)
		wantErr string
	}{
		{"retention", func(a *StackArgs) { a.PrometheusRetention = "30 days" },
			`monitoring "monitoring": prometheusRetention must be a Prometheus duration such as 30d, got "30 days"`},
		{"storage size", func(a *StackArgs) { a.PrometheusStorageSize = "500GB" },
			`monitoring "monitoring": prometheusStorageSize must be a volume size in Mi, Gi or Ti such as 500Gi, got "500GB"`},
		{"timeout", func(a *StackArgs) { a.ReleaseTimeoutSeconds = 60 },
			`monitoring "monitoring": releaseTimeoutSeconds must be between 300 and 3600, got 60`},
		{"probe over http", func(a *StackArgs) { a.ProbeURLs = []string{"http://api.novacron.example/health"} },
			`monitoring "monitoring": probeUrls[0] must be an absolute https URL, got "http://api.novacron.example/health"`},
		{"relative webhook", func(a *StackArgs) { a.WebhookURL = "/hook" },
			`monitoring "monitoring": webhookUrl must be an absolute http or https URL, got "/hook"`},
		{"missing secret", func(a *StackArgs) { a.PagerDutyRoutingKey = nil },
			`monitoring "monitoring": pagerDutyRoutingKey must be set (a secret)`},
		{"availability", func(a *StackArgs) { a.AvailabilityTarget = 1 },
			`monitoring "monitoring": availabilityTarget must be above 0.9 and below 1, got 1`},
		{"taint effect", func(a *StackArgs) {
			a.NodeTolerations = []Toleration{{Key: "ml-workload", Value: "true", Effect: "NoSchedul"}}
		},
			`monitoring "monitoring": nodeTolerations[0].effect must be one of [NoSchedule PreferNoSchedule NoExecute], got "NoSchedul"`},
		{"unpinned dashboard", func(a *StackArgs) { a.CommunityDashboards = []GrafanaNetDashboard{{Name: "x", GnetID: 1}} },
			`monitoring "monitoring": communityDashboards[0].revision must pin a revision (1 or more), got 0`},
		{"chart version range", func(a *StackArgs) { a.KubePrometheusStackVersion = "^88" },
			`monitoring "monitoring": kubePrometheusStackVersion must be an exact chart version such as 1.2.3, got "^88"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := productionArgs(plain)
			tt.mutate(args)
			run, err := runStack(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Empty(t, run.eng.ByType(componentType), "nothing registered")
			assert.Empty(t, run.eng.ByType(releaseType))
		})
	}

	t.Run("every problem at once, sorted by field", func(t *testing.T) {
		problems := (&StackArgs{Namespace: "Monitoring", APILatencyP95Millis: -1}).Validate()
		var fields []string
		for _, p := range problems {
			fields = append(fields, p.Field)
		}
		assert.Equal(t, []string{"apiLatencyP95Millis", "namespace"}, fields)
		assert.Empty(t, (&StackArgs{}).Validate(), "the zero value is valid")
	})
}
