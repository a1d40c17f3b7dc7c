package gatekeeper

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/helmvalues"
)

const (
	chartName = "gatekeeper"
	chartRepo = "https://open-policy-agent.github.io/gatekeeper/charts"
	// releaseName is fixed so that the chart's objects keep their documented names
	// (gatekeeper-controller-manager, gatekeeper-audit).
	releaseName           = "gatekeeper"
	releaseTimeoutSeconds = 600

	// monitorReleaseLabel makes kube-prometheus-stack select the PodMonitor: the monitoring
	// component sets podMonitorSelectorNilUsesHelmValues false, and the label also satisfies
	// the chart's default selector, release=<its release name>.
	monitorReleaseLabel = "kube-prometheus-stack"
	// metricsPort is the name of the metrics port of both Gatekeeper Deployments
	// (templates/gatekeeper-audit-deployment.yaml and -controller-manager-deployment.yaml).
	metricsPort = "metrics"

	// waitForCreated makes pulumi-kubernetes wait until Gatekeeper has processed the template
	// and created its Constraint CRD (ConstraintTemplate status.created; the provider's
	// pulumi.com/waitFor annotation, provider/pkg/metadata/annotations.go in v4.32.0). Without
	// it, the provider retries a Constraint whose kind is not served yet only 5 times over
	// about 31 s (provider/pkg/await/await.go: SleepingRetry, 1 s doubling, on NoMatch
	// errors), and the first `pulumi up` fails when Gatekeeper is slower than that.
	waitForAnnotation = "pulumi.com/waitFor"
	waitForCreated    = "jsonpath={.status.created}=true"
	timeoutAnnotation = "pulumi.com/timeoutSeconds"
	templateTimeout   = 300
)

// Gatekeeper is the admission-policy component: OPA Gatekeeper with NovaCron's
// ConstraintTemplates and their Constraints per namespace.
type Gatekeeper struct {
	pulumi.ResourceState

	// Namespace is the namespace Gatekeeper runs in.
	Namespace pulumi.StringOutput
	// ReleaseName is the Helm release name.
	ReleaseName pulumi.StringOutput
}

// NewGatekeeper installs Gatekeeper and registers the platform's admission policies. The
// Kubernetes provider comes from opts (pulumi.Providers).
func NewGatekeeper(ctx *pulumi.Context, name string, args *GatekeeperArgs, opts ...pulumi.ResourceOption) (*Gatekeeper, error) {
	if err := args.Validate().Err("gatekeeper", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	policies := a.policies()
	templates := make([]map[string]any, len(policies))
	for i, p := range policies {
		t, err := p.Template()
		if err != nil {
			return nil, fmt.Errorf("gatekeeper %q: %w", name, err)
		}
		templates[i] = t
	}

	g := &Gatekeeper{}
	if err := ctx.RegisterComponentResource("novacron:security:Gatekeeper", name, g, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(g)

	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.String(a.Namespace),
			Labels: pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("novacron")},
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	release, err := helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
		Name:           pulumi.String(releaseName),
		Chart:          pulumi.String(chartName),
		Version:        pulumi.String(a.ChartVersion),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(chartRepo)},
		Namespace:      ns.Metadata.Name().Elem(),
		Values:         helmvalues.ToInput(helmValues(a)).(pulumi.Map),
		Timeout:        pulumi.Int(releaseTimeoutSeconds),
		CleanupOnFail:  pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	afterRelease := pulumi.DependsOn([]pulumi.Resource{release})

	// Namespaces excluded from every Gatekeeper process, the audit included (the webhook
	// exemption alone leaves them audited: Gatekeeper docs, exempt-namespaces.md). The
	// resource must be called "config" in Gatekeeper's namespace.
	if _, err := apiextensions.NewCustomResource(ctx, name+"-config", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("config.gatekeeper.sh/v1alpha1"),
		Kind:       pulumi.String("Config"),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String("config"),
			Namespace: ns.Metadata.Name().Elem(),
		},
		OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{
			"match": []any{map[string]any{
				"excludedNamespaces": []any{alwaysExempt, a.Namespace},
				"processes":          []any{"*"},
			}},
		}},
	}, parent, afterRelease); err != nil {
		return nil, err
	}

	if _, err := apiextensions.NewCustomResource(ctx, name+"-podmonitor", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("PodMonitor"),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(releaseName),
			Namespace: ns.Metadata.Name().Elem(),
			Labels: pulumi.StringMap{
				"release":                   pulumi.String(monitorReleaseLabel),
				"app.kubernetes.io/part-of": pulumi.String("novacron"),
			},
		},
		OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{
			// Both Deployments carry this label; only the audit pod exports gatekeeper_violations.
			"selector":            map[string]any{"matchLabels": map[string]any{"gatekeeper.sh/system": "yes"}},
			"podMetricsEndpoints": []any{map[string]any{"port": metricsPort, "interval": "30s"}},
		}},
	}, parent, pulumi.DependsOn(a.WaitFor)); err != nil {
		return nil, err
	}

	for i, p := range policies {
		tmpl, err := apiextensions.NewCustomResource(ctx, name+"-"+p.TemplateName(), &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(templateAPI),
			Kind:       pulumi.String("ConstraintTemplate"),
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String(p.TemplateName()),
				Annotations: pulumi.StringMap{
					waitForAnnotation: pulumi.String(waitForCreated),
					timeoutAnnotation: pulumi.String(strconv.Itoa(templateTimeout)),
					"description":     pulumi.String(p.Description),
				},
			},
			OtherFields: kubernetes.UntypedArgs{"spec": templates[i]},
		}, parent, afterRelease)
		if err != nil {
			return nil, err
		}
		scopes := []struct {
			suffix, action string
			namespaces     []string
		}{
			{suffixApplication, enforcementDeny, a.ApplicationNamespaces},
			{suffixPlatform, a.PlatformEnforcementAction, a.PlatformNamespaces},
		}
		for _, s := range scopes {
			if _, err := apiextensions.NewCustomResource(ctx, name+"-"+p.ConstraintName(s.suffix), &apiextensions.CustomResourceArgs{
				ApiVersion:  pulumi.String(constraintAPI),
				Kind:        pulumi.String(p.Kind),
				Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(p.ConstraintName(s.suffix))},
				OtherFields: kubernetes.UntypedArgs{"spec": p.ConstraintSpec(s.action, s.namespaces)},
			}, parent, pulumi.DependsOn([]pulumi.Resource{tmpl})); err != nil {
				return nil, err
			}
		}
	}

	g.Namespace = ns.Metadata.Name().Elem()
	g.ReleaseName = release.Name.Elem()
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{
		"namespace":   g.Namespace,
		"releaseName": g.ReleaseName,
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// webhookRules are the validating webhook's rules: Pods (and the ephemeral containers added
// to them) and Services, the kinds the constraints match, and Gatekeeper's own policy objects.
func webhookRules() []any {
	rule := func(groups, versions, resources []any) map[string]any {
		return map[string]any{
			"apiGroups":   groups,
			"apiVersions": versions,
			"operations":  []any{"CREATE", "UPDATE"},
			"resources":   resources,
		}
	}
	return []any{
		rule([]any{""}, []any{"v1"}, []any{"pods", "pods/ephemeralcontainers", "services"}),
		rule([]any{"templates.gatekeeper.sh", "constraints.gatekeeper.sh"}, []any{"*"}, []any{"*"}),
	}
}

// helmValues builds the gatekeeper chart values (open-policy-agent/gatekeeper v3.23.1,
// charts/gatekeeper/values.yaml; every path is listed in testdata/gatekeeper-3.23.1.paths).
// a must be defaulted.
func helmValues(a *GatekeeperArgs) map[string]any {
	return map[string]any{
		"replicas":                       a.WebhookReplicas,
		"auditInterval":                  a.AuditIntervalSeconds,
		"validatingWebhookFailurePolicy": a.FailurePolicy,
		// Only what the constraints judge goes through the webhook. The chart's default rule
		// sends every resource of every group, and with failurePolicy Fail an unreachable
		// Gatekeeper would then refuse the kubelets' Lease renewals, Node updates and Events
		// too, and take the nodes down with it (Gatekeeper docs, "Failing closed": admission
		// deadlock). Its own templates and constraints stay validated at admission.
		"validatingWebhookCustomRules": webhookRules(),
		// The Prometheus exporter is what the PodMonitor scrapes (the chart's default too).
		"metricsBackends": []any{"prometheus"},
		// Denials in the webhook's log reach Loki: who was refused, and by which constraint.
		"logDenies": true,
		// NovaCron uses no mutation policies; the mutating webhook would be one more thing in
		// every request's path.
		"disableMutation": true,
		"controllerManager": map[string]any{
			// --exempt-namespace lets the namespace carry admission.gatekeeper.sh/ignore, which
			// the webhook configuration's namespaceSelector skips (the chart exempts its own
			// namespace itself).
			"exemptNamespaces": []any{alwaysExempt},
			"topologySpreadConstraints": []any{map[string]any{
				"maxSkew":           1,
				"topologyKey":       "topology.kubernetes.io/zone",
				"whenUnsatisfiable": "ScheduleAnyway",
				"labelSelector": map[string]any{"matchLabels": map[string]any{
					"control-plane": "controller-manager", "gatekeeper.sh/operation": "webhook",
				}},
			}},
		},
		// The chart's post-install job labels these namespaces admission.gatekeeper.sh/ignore.
		"postInstall": map[string]any{"labelNamespace": map[string]any{"extraNamespaces": []any{alwaysExempt}}},
		"pdb":         map[string]any{"controllerManager": map[string]any{"minAvailable": a.WebhookReplicas - 1}},
	}
}
