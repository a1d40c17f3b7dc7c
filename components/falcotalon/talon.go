package falcotalon

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/helmvalues"
)

const (
	// responderRoleName is the Role granted in every application namespace.
	responderRoleName = "falco-talon-responder"
	// leaseRoleName is the Role for the leader-election lease in Talon's namespace.
	leaseRoleName = "falco-talon-lease"
	// slackSecretName holds the Slack webhook URL in Talon's namespace.
	slackSecretName = "falco-talon-notifiers"
	// releaseTimeoutSeconds covers pulling the image and two replicas becoming ready.
	releaseTimeoutSeconds = 300
)

// Talon is the automated-response component: Falco Talon, receiving Falco events from
// falcosidekick and acting on NovaCron's rules in the application namespaces.
type Talon struct {
	pulumi.ResourceState

	// Namespace is the namespace Talon runs in.
	Namespace pulumi.StringOutput
	// ReleaseName is the Helm release name.
	ReleaseName pulumi.StringOutput
	// URL is Talon's in-cluster address for falcosidekick (the falco component's TalonURL).
	URL pulumi.StringOutput
}

// responderRules are what Talon's actions need in an application namespace, from the Permissions
// each declares (falcosecurity/falco-talon v0.3.0): kubernetes:terminate (pods get, list, delete;
// replicasets get), kubernetes:label (pods get, list, update, patch), kubernetes:networkpolicy
// (pods get, list; the workload controllers get; networkpolicies get, create, update, patch) and
// the k8sevents notifier (events get, create, update, patch).
func responderRules() rbacv1.PolicyRuleArray {
	rule := func(group string, resources []string, verbs ...string) rbacv1.PolicyRuleArgs {
		return rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.StringArray{pulumi.String(group)},
			Resources: pulumi.ToStringArray(resources),
			Verbs:     pulumi.ToStringArray(verbs),
		}
	}
	return rbacv1.PolicyRuleArray{
		rule("", []string{"pods"}, "get", "list", "update", "patch", "delete"),
		rule("apps", []string{"replicasets", "deployments", "statefulsets", "daemonsets"}, "get"),
		rule("networking.k8s.io", []string{"networkpolicies"}, "get", "create", "update", "patch"),
		rule("", []string{"events"}, "get", "create", "update", "patch"),
	}
}

// NewTalon installs Falco Talon with NovaCron's response rules. The Kubernetes provider comes
// from opts (pulumi.Providers). The application namespaces must exist first: pass
// pulumi.DependsOn on whatever creates them.
func NewTalon(ctx *pulumi.Context, name string, args *TalonArgs, opts ...pulumi.ResourceOption) (*Talon, error) {
	if err := args.Validate().Err("falcotalon", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	rules, err := rulesFile(a)
	if err != nil {
		return nil, fmt.Errorf("falcotalon %q: %w", name, err)
	}

	t := &Talon{}
	if err := ctx.RegisterComponentResource("novacron:security:FalcoTalon", name, t, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(t)

	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(a.Namespace),
			Labels: pulumi.StringMap{
				// The chart sets no container securityContext (runAsUser only), which rules out
				// restricted; Talon needs nothing above baseline.
				"pod-security.kubernetes.io/enforce": pulumi.String("baseline"),
				"app.kubernetes.io/part-of":          pulumi.String("novacron"),
			},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()
	subject := rbacv1.SubjectArray{rbacv1.SubjectArgs{
		Kind:      pulumi.String("ServiceAccount"),
		Name:      pulumi.String(serviceAccountName),
		Namespace: nsName,
	}}

	// The secret reaches Talon only through this Secret and an environment variable that names it.
	slackSecret := ""
	var deps []pulumi.Resource
	if a.SlackWebhookURL != nil {
		s, err := corev1.NewSecret(ctx, name+"-notifiers", &corev1.SecretArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(slackSecretName), Namespace: nsName},
			Type:     pulumi.String("Opaque"),
			StringData: pulumi.StringMap{
				slackSecretKey: pulumi.ToSecret(a.SlackWebhookURL).(pulumi.StringOutput),
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		slackSecret = slackSecretName
		deps = append(deps, s)
	}

	leaseRole, err := rbacv1.NewRole(ctx, name+"-lease-role", &rbacv1.RoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(leaseRoleName), Namespace: nsName},
		Rules: rbacv1.PolicyRuleArray{rbacv1.PolicyRuleArgs{
			// The chart's rbac.leases verbs, held to Talon's own namespace.
			ApiGroups: pulumi.StringArray{pulumi.String("coordination.k8s.io")},
			Resources: pulumi.StringArray{pulumi.String("leases")},
			Verbs:     pulumi.ToStringArray([]string{"get", "update", "patch", "watch", "create"}),
		}},
	}, parent)
	if err != nil {
		return nil, err
	}
	leaseBinding, err := rbacv1.NewRoleBinding(ctx, name+"-lease-binding", &rbacv1.RoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(leaseRoleName), Namespace: nsName},
		RoleRef: rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("Role"),
			Name:     leaseRole.Metadata.Name().Elem(),
		},
		Subjects: subject,
	}, parent)
	if err != nil {
		return nil, err
	}
	deps = append(deps, leaseBinding)

	for _, app := range a.ApplicationNamespaces {
		role, err := rbacv1.NewRole(ctx, name+"-responder-"+app, &rbacv1.RoleArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(responderRoleName), Namespace: pulumi.String(app)},
			Rules:    responderRules(),
		}, parent)
		if err != nil {
			return nil, err
		}
		binding, err := rbacv1.NewRoleBinding(ctx, name+"-responder-"+app, &rbacv1.RoleBindingArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(responderRoleName), Namespace: pulumi.String(app)},
			RoleRef: rbacv1.RoleRefArgs{
				ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
				Kind:     pulumi.String("Role"),
				Name:     role.Metadata.Name().Elem(),
			},
			Subjects: subject,
		}, parent)
		if err != nil {
			return nil, err
		}
		deps = append(deps, binding)
	}

	// The chart's ServiceMonitor needs the Prometheus Operator CRDs.
	deps = append(deps, a.WaitFor...)
	release, err := helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
		Name:           pulumi.String(releaseName),
		Chart:          pulumi.String(chartName),
		Version:        pulumi.String(a.ChartVersion),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(chartRepo)},
		Namespace:      nsName,
		Values:         helmvalues.ToInput(helmValues(a, rules, slackSecret)).(pulumi.Map),
		Timeout:        pulumi.Int(releaseTimeoutSeconds),
		CleanupOnFail:  pulumi.Bool(true),
	}, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}

	t.Namespace = nsName
	t.ReleaseName = release.Name.Elem()
	t.URL = pulumi.Sprintf("http://%s.%s.svc:%d", serviceName, nsName, servicePort)
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{
		"namespace":   t.Namespace,
		"releaseName": t.ReleaseName,
		"url":         t.URL,
	}); err != nil {
		return nil, err
	}
	return t, nil
}
