package monitoring

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stack is the in-cluster monitoring stack: kube-prometheus-stack, the blackbox exporter,
// NovaCron's rules, ServiceMonitor and dashboards.
type Stack struct {
	pulumi.ResourceState

	// Namespace is the namespace holding the stack.
	Namespace pulumi.StringOutput
	// AlertmanagerURL is the in-cluster URL of the Alertmanager API (for falcosidekick and
	// other alert sources).
	AlertmanagerURL pulumi.StringOutput
	// PrometheusURL is the in-cluster URL of the Prometheus API.
	PrometheusURL pulumi.StringOutput
	// GrafanaAdminSecretName is the Secret holding Grafana's admin credentials.
	GrafanaAdminSecretName pulumi.StringOutput
	// KubePrometheusStack is the chart release that installs the Prometheus Operator CRDs:
	// components whose charts create ServiceMonitors or PrometheusRules wait for it.
	KubePrometheusStack *helmv3.Release
}

// NewStack creates the monitoring stack. The Kubernetes provider comes from the caller through
// pulumi.Providers in opts; every child inherits it.
func NewStack(ctx *pulumi.Context, name string, args *StackArgs, opts ...pulumi.ResourceOption) (*Stack, error) {
	if args == nil {
		args = &StackArgs{}
	}
	problems := append(args.Validate(), args.missingSecrets()...)
	if err := problems.Err("monitoring", name); err != nil {
		return nil, err
	}
	d := args.withDefaults()
	rules := d.ruleSettings()
	sloDashboard, err := SLODashboardJSON(rules)
	if err != nil {
		return nil, err
	}

	s := &Stack{}
	if err := ctx.RegisterComponentResource("novacron:monitoring:Stack", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)

	ns, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		// node-exporter needs host namespaces, so the namespace cannot carry a restricted Pod
		// Security level; it keeps the cluster default.
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(d.Namespace)},
	}, parent)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()

	grafanaSecret, err := corev1.NewSecret(ctx, name+"-grafana-admin", &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(GrafanaAdminSecretName), Namespace: nsName},
		Type:     pulumi.String("Opaque"),
		// Marked secret here whatever the caller passed, so the password never lands in the
		// state in clear.
		StringData: pulumi.ToSecret(pulumi.StringMap{
			grafanaAdminUserKey: pulumi.String(d.GrafanaAdminUser),
			grafanaAdminPassKey: d.GrafanaAdminPassword,
		}.ToStringMapOutput()).(pulumi.StringMapOutput),
	}, parent)
	if err != nil {
		return nil, err
	}

	amConfig := pulumi.All(d.PagerDutyRoutingKey, d.SlackWebhookURL, d.HeartbeatURL).ApplyT(
		func(vs []any) (map[string]string, error) {
			doc, err := AlertmanagerConfig(AlertmanagerSettings{
				PagerDutyRoutingKey: vs[0].(string),
				SlackWebhookURL:     vs[1].(string),
				SlackChannel:        d.SlackChannel,
				WebhookURL:          d.WebhookURL,
				HeartbeatURL:        vs[2].(string),
				HeartbeatInterval:   d.HeartbeatInterval,
			})
			if err != nil {
				return nil, err
			}
			return map[string]string{alertmanagerSecretKey: doc}, nil
		}).(pulumi.StringMapOutput)
	amSecret, err := corev1.NewSecret(ctx, name+"-alertmanager-config", &corev1.SecretArgs{
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(AlertmanagerConfigSecretName), Namespace: nsName},
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.ToSecret(amConfig).(pulumi.StringMapOutput),
	}, parent)
	if err != nil {
		return nil, err
	}

	repo := &helmv3.RepositoryOptsArgs{Repo: pulumi.String(d.ChartRepository)}
	timeout := pulumi.Int(d.ReleaseTimeoutSeconds)

	kps, err := helmv3.NewRelease(ctx, name+"-kube-prometheus-stack", &helmv3.ReleaseArgs{
		Name:           pulumi.String(KubePrometheusStackRelease),
		Chart:          pulumi.String("kube-prometheus-stack"),
		Version:        pulumi.String(d.KubePrometheusStackVersion),
		RepositoryOpts: repo,
		Namespace:      nsName,
		Values:         pulumi.ToMap(kubePrometheusStackValues(&d, sloDashboard)),
		Timeout:        timeout,
		MaxHistory:     pulumi.Int(10),
	}, parent,
		// Grafana and the Alertmanager start with the Secrets they name.
		pulumi.DependsOn([]pulumi.Resource{grafanaSecret, amSecret}))
	if err != nil {
		return nil, err
	}

	if _, err := helmv3.NewRelease(ctx, name+"-blackbox-exporter", &helmv3.ReleaseArgs{
		Name:           pulumi.String(BlackboxExporterRelease),
		Chart:          pulumi.String("prometheus-blackbox-exporter"),
		Version:        pulumi.String(d.BlackboxExporterVersion),
		RepositoryOpts: repo,
		Namespace:      nsName,
		Values:         pulumi.ToMap(blackboxExporterValues()),
		Timeout:        timeout,
		MaxHistory:     pulumi.Int(10),
	}, parent); err != nil {
		return nil, err
	}

	// The Prometheus Operator CRDs come with the kube-prometheus-stack release, so the custom
	// resources wait for it. pulumi-kubernetes 4.32.0 reads a release's CRDs during preview
	// (pulumi-kubernetes#3176, fixed by #4417), so a first preview resolves these kinds too.
	afterCRDs := pulumi.DependsOn([]pulumi.Resource{kps})

	groups, err := toUntyped(PrometheusRuleGroups(rules))
	if err != nil {
		return nil, err
	}
	if _, err := apiextensions.NewCustomResource(ctx, name+"-slo-rules", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("PrometheusRule"),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String("novacron-slo"),
			Namespace: nsName,
			Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("novacron")},
		},
		OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{"groups": groups}},
	}, parent, afterCRDs); err != nil {
		return nil, err
	}

	namespaceSelector := map[string]any{"any": true}
	if len(d.APINamespaces) > 0 {
		names := make([]any, len(d.APINamespaces))
		for i, n := range d.APINamespaces {
			names[i] = n
		}
		namespaceSelector = map[string]any{"matchNames": names}
	}
	if _, err := apiextensions.NewCustomResource(ctx, name+"-api-servicemonitor", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("ServiceMonitor"),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(d.APIServiceName),
			Namespace: nsName,
			Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("novacron")},
		},
		OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{
			// The job label comes from the Service's app label, so the SLO rules' job matcher
			// holds whatever the Service itself is called.
			"jobLabel":          "app",
			"selector":          map[string]any{"matchLabels": map[string]any{"app": d.APIServiceName}},
			"namespaceSelector": namespaceSelector,
			"endpoints": []any{map[string]any{
				"port":     d.APIMetricsPort,
				"path":     d.APIMetricsPath,
				"interval": "30s",
			}},
		}},
	}, parent, afterCRDs); err != nil {
		return nil, err
	}

	s.Namespace = nsName
	s.KubePrometheusStack = kps
	s.AlertmanagerURL = pulumi.Sprintf("http://%s-alertmanager.%s.svc:%d", KubePrometheusStackRelease, nsName, alertmanagerPort)
	s.PrometheusURL = pulumi.Sprintf("http://%s-prometheus.%s.svc:%d", KubePrometheusStackRelease, nsName, prometheusPort)
	s.GrafanaAdminSecretName = grafanaSecret.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"namespace":              s.Namespace,
		"alertmanagerUrl":        s.AlertmanagerURL,
		"prometheusUrl":          s.PrometheusURL,
		"grafanaAdminSecretName": s.GrafanaAdminSecretName,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// toUntyped turns typed documents into the maps and slices the Kubernetes provider serialises.
func toUntyped(v any) ([]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	var out []any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return out, nil
}
