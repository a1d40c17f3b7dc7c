package monitoring

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"testing"

	"github.com/prometheus/common/promslog"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
	rbacv1 "k8s.io/api/rbac/v1"
)

// chartRuleGroup is one of kube-prometheus-stack 88.5.3's default rule groups: its key under
// defaultRules.rules, that key's default in the chart's values.yaml (a key the template reads
// but values.yaml does not set is off), and the component switch the template also requires
// (templates/prometheus/rules-1.14/*.yaml at the tag kube-prometheus-stack-88.5.3).
type chartRuleGroup struct {
	key  string
	on   bool
	gate string
}

var chartRuleGroups = []chartRuleGroup{
	{"alertmanager", true, ""},
	{"configReloaders", true, ""},
	{"etcd", true, "kubeEtcd"},
	{"general", true, ""},
	{"k8sContainerCpuLimits", false, ""},
	{"k8sContainerCpuRequests", false, ""},
	{"k8sContainerCpuUsageSecondsTotal", true, ""},
	{"k8sContainerMemoryCache", true, ""},
	{"k8sContainerMemoryLimits", false, ""},
	{"k8sContainerMemoryRequests", false, ""},
	{"k8sContainerMemoryRss", true, ""},
	{"k8sContainerMemorySwap", true, ""},
	{"k8sContainerMemoryWorkingSetBytes", true, ""},
	{"k8sContainerResource", true, ""},
	{"k8sPodOwner", true, ""},
	{"kubeApiserverAvailability", true, "kubeApiServer"},
	{"kubeApiserverBurnrate", true, "kubeApiServer"},
	{"kubeApiserverHistogram", true, "kubeApiServer"},
	{"kubeApiserverSlos", true, "kubeApiServer"},
	{"kubeControllerManager", true, "kubeControllerManager"},
	{"kubelet", true, "kubelet"},
	{"kubeProxy", true, "kubeProxy"},
	{"kubePrometheusGeneral", true, ""},
	{"kubePrometheusNodeRecording", true, ""},
	{"kubernetesApps", true, ""},
	{"kubernetesResources", true, ""},
	{"kubernetesStorage", true, ""},
	{"kubernetesSystem", true, ""},
	{"kubeSchedulerAlerting", true, "kubeScheduler"},
	{"kubeSchedulerRecording", true, "kubeScheduler"},
	{"kubeStateMetrics", true, ""},
	{"network", true, ""},
	{"node", true, ""},
	{"nodeExporterAlerting", true, ""},
	{"nodeExporterRecording", true, ""},
	{"prometheus", true, ""},
	{"prometheusOperator", true, ""},
	{"windows", true, "windowsMonitoring"},
}

// chartComponents are the chart's component switches that gate rule groups, with their defaults
// in values.yaml at 88.5.3.
var chartComponents = map[string]bool{
	"kubeApiServer":         true,
	"kubelet":               true,
	"kubeControllerManager": true,
	"kubeScheduler":         true,
	"kubeEtcd":              true,
	"kubeProxy":             true,
	"windowsMonitoring":     false,
}

// boolAt reads values[a][b]...[z] as a bool, with def when a level is missing.
func boolAt(values map[string]any, def bool, path ...string) bool {
	var cur any = values
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return def
		}
		if cur, ok = m[p]; !ok {
			return def
		}
	}
	b, ok := cur.(bool)
	if !ok {
		return def
	}
	return b
}

// renderedRuleGroups evaluates the chart's rule-group conditions against our values.
func renderedRuleGroups(values map[string]any) (on, off []string) {
	create := boolAt(values, true, "defaultRules", "create")
	for _, g := range chartRuleGroups {
		enabled := create && boolAt(values, g.on, "defaultRules", "rules", g.key)
		if g.gate != "" {
			enabled = enabled && boolAt(values, chartComponents[g.gate], g.gate, "enabled")
		}
		if enabled {
			on = append(on, g.key)
		} else {
			off = append(off, g.key)
		}
	}
	return on, off
}

func TestChartDefaultRuleGroupsOnEKS(t *testing.T) {
	d := (&StackArgs{}).withDefaults()
	values := kubePrometheusStackValues(&d, "{}")

	// Every key we set is one the chart reads: Helm ignores a misspelt key silently.
	known := map[string]bool{}
	for _, g := range chartRuleGroups {
		known[g.key] = true
	}
	defaultRules, _ := values["defaultRules"].(map[string]any)
	rules, _ := defaultRules["rules"].(map[string]any)
	require.NotEmpty(t, rules, "defaultRules.rules is set")
	for k := range rules {
		assert.True(t, known[k], "defaultRules.rules.%s is not a rule group of the chart", k)
	}
	for _, c := range unscrapeableComponents {
		_, ok := chartComponents[c]
		assert.True(t, ok, "%s is not a component switch of the chart", c)
		assert.False(t, boolAt(values, true, c, "enabled"), "%s is scraped", c)
	}

	on, off := renderedRuleGroups(values)
	for _, g := range []string{"etcd", "kubeControllerManager", "kubeProxy", "kubeSchedulerAlerting", "kubeSchedulerRecording"} {
		assert.Contains(t, off, g, "the %s rules target what EKS does not let Prometheus scrape", g)
	}
	assert.Equal(t, []string{
		"alertmanager", "configReloaders", "general",
		"k8sContainerCpuUsageSecondsTotal", "k8sContainerMemoryCache", "k8sContainerMemoryRss",
		"k8sContainerMemorySwap", "k8sContainerMemoryWorkingSetBytes", "k8sContainerResource", "k8sPodOwner",
		"kubeApiserverAvailability", "kubeApiserverBurnrate", "kubeApiserverHistogram", "kubeApiserverSlos",
		"kubelet", "kubePrometheusGeneral", "kubePrometheusNodeRecording",
		"kubernetesApps", "kubernetesResources", "kubernetesStorage", "kubernetesSystem",
		"kubeStateMetrics", "network", "node", "nodeExporterAlerting", "nodeExporterRecording",
		"prometheus", "prometheusOperator",
	}, on, "the chart's rule groups left on")

	// The chart's defaults alone, for contrast: the groups this component turns off are on.
	defOn, _ := renderedRuleGroups(map[string]any{})
	for _, g := range disabledDefaultRuleGroups {
		assert.Contains(t, defOn, g)
	}
}

// loadScrapeConfigs loads the generated jobs with static targets as Prometheus itself loads its
// configuration file: strictly (an unknown field is an error) and with every job validated. The
// annotation job's Kubernetes discovery would pull client-go into this test binary; its
// relabelling is validated in scrape_test.go.
func loadScrapeConfigs(t *testing.T, d StackArgs) map[string]*promconfig.ScrapeConfig {
	t.Helper()
	var static []any
	for _, j := range additionalScrapeConfigs(&d) {
		if _, sd := j.(map[string]any)["kubernetes_sd_configs"]; !sd {
			static = append(static, j)
		}
	}
	raw, err := yaml.Marshal(map[string]any{"scrape_configs": static})
	require.NoError(t, err)
	cfg, err := promconfig.Load(string(raw), promslog.NewNopLogger())
	require.NoError(t, err, "Prometheus refuses the scrape configuration:\n%s", raw)
	out := map[string]*promconfig.ScrapeConfig{}
	for _, sc := range cfg.ScrapeConfigs {
		out[sc.JobName] = sc
	}
	return out
}

func clusterRoleRules(t *testing.T, values map[string]any) []rbacv1.PolicyRule {
	t.Helper()
	raw, err := json.Marshal(values["prometheus"].(map[string]any)["additionalRulesForClusterRole"])
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rules []rbacv1.PolicyRule
	require.NoError(t, dec.Decode(&rules))
	return rules
}

// allows reports whether rules grant verb on group/resource/subresource, the way RBAC matches
// a resource request ("resource/subresource" names a subresource).
func allows(rules []rbacv1.PolicyRule, verb, group, res, sub string) bool {
	name := res
	if sub != "" {
		name += "/" + sub
	}
	for _, r := range rules {
		if (slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*")) &&
			(slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, name) || slices.Contains(r.Resources, "*")) {
			return true
		}
	}
	return false
}

func TestEKSControlPlaneScrape(t *testing.T) {
	d := (&StackArgs{ProbeURLs: []string{"https://api.novacron.example/health"}}).withDefaults()
	jobs := loadScrapeConfigs(t, d)
	names := make([]string, 0, len(jobs))
	for n := range jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	assert.Equal(t, []string{probeJobName, ControllerManagerJob, SchedulerJob}, names)

	for job, path := range map[string]string{
		SchedulerJob:         "/apis/metrics.eks.amazonaws.com/v1/ksh/container/metrics",
		ControllerManagerJob: "/apis/metrics.eks.amazonaws.com/v1/kcm/container/metrics",
	} {
		sc := jobs[job]
		assert.Equal(t, "https", sc.Scheme, job)
		assert.Equal(t, path, sc.MetricsPath, job)
		require.Len(t, sc.ServiceDiscoveryConfigs, 1, job)
		assert.Equal(t, "/var/run/secrets/kubernetes.io/serviceaccount/token", sc.HTTPClientConfig.Authorization.CredentialsFile, job)
		assert.Equal(t, "Bearer", sc.HTTPClientConfig.Authorization.Type, job)
		assert.Equal(t, "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", sc.HTTPClientConfig.TLSConfig.CAFile, job)
		assert.False(t, sc.HTTPClientConfig.TLSConfig.InsecureSkipVerify, job)
		assert.Equal(t, promconfig.PrometheusText0_0_4, sc.ScrapeFallbackProtocol, job)
	}

	// The API server maps /apis/<group>/v1/ksh/container/metrics to resource ksh, name
	// container, subresource metrics: Prometheus's ClusterRole must grant get on it.
	values := kubePrometheusStackValues(&d, "{}")
	rules := clusterRoleRules(t, values)
	assert.True(t, allows(rules, "get", "metrics.eks.amazonaws.com", "ksh", "metrics"))
	assert.True(t, allows(rules, "get", "metrics.eks.amazonaws.com", "kcm", "metrics"))
	assert.False(t, allows(rules, "list", "metrics.eks.amazonaws.com", "ksh", "metrics"), "read only")
	assert.True(t, allows(rules, "list", "discovery.k8s.io", "endpointslices", ""))

	t.Run("switched off", func(t *testing.T) {
		off := d
		off.DisableControlPlaneMetrics = true
		jobs := loadScrapeConfigs(t, off)
		assert.NotContains(t, jobs, SchedulerJob)
		assert.NotContains(t, jobs, ControllerManagerJob)
		rules := clusterRoleRules(t, kubePrometheusStackValues(&off, "{}"))
		assert.False(t, allows(rules, "get", "metrics.eks.amazonaws.com", "ksh", "metrics"))
		// The chart's own control-plane scrapes stay off whatever this switch says.
		on, _ := renderedRuleGroups(kubePrometheusStackValues(&off, "{}"))
		assert.NotContains(t, on, "kubeSchedulerAlerting")
	})
}
