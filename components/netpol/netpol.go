package netpol

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	k8scorev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	netv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/novacron/platform/internal/netpolicy"
	"github.com/novacron/platform/internal/validate"
)

// Defaults.
const (
	DefaultAPIAppLabel         = "novacron-api"
	DefaultAPIPort             = 8080
	DefaultDatabasePort        = 5432
	DefaultMonitoringNamespace = "monitoring"
	DefaultMetricsPort         = 8080
	// DefaultTelemetryNamespace is the telemetry component's default namespace.
	DefaultTelemetryNamespace = "telemetry"
)

// The OTLP ports of the OpenTelemetry agents: gRPC and HTTP.
const (
	OTLPGRPCPort = 4317
	OTLPHTTPPort = 4318
)

// DefaultTelemetryAgentPodLabels select the OpenTelemetry agent pods: the
// opentelemetry-collector chart labels its pods app.kubernetes.io/instance=<release>
// (templates/_helpers.tpl, selectorLabels), and the telemetry component names the agent's
// release otel-agent.
var DefaultTelemetryAgentPodLabels = map[string]string{"app.kubernetes.io/instance": "otel-agent"}

// DefaultQuarantineLabel is the pod label that takes a pod out of every allow policy but DNS and
// the Prometheus scrape: Falco Talon sets it on a pod in which a terminal shell was opened
// (components/falcotalon), and its own deny-all policy is then all that applies to the pod.
const DefaultQuarantineLabel = "novacron.io/quarantine"

// DefaultPrometheusPodLabels select the Prometheus server pods: the Prometheus Operator (which
// kube-prometheus-stack runs) labels every Prometheus pod app.kubernetes.io/name=prometheus.
var DefaultPrometheusPodLabels = map[string]string{"app.kubernetes.io/name": "prometheus"}

// Policy names, per namespace. deny-all-default is the plan's name for the default deny.
const (
	PolicyDenyAll        = "deny-all-default"
	PolicyDNSEgress      = "allow-dns-egress"
	PolicyAPIIngress     = "allow-api-ingress"
	PolicyDatabase       = "allow-api-database-egress"
	PolicyPrometheus     = "allow-prometheus-scrape"
	PolicyAPIHTTPSEgress = "allow-api-https-egress"
	PolicyOTLPEgress     = "allow-otlp-egress"
)

// NetworkPoliciesArgs configures the NetworkPolicies component.
type NetworkPoliciesArgs struct {
	// CreateNamespaces creates each namespace in Namespaces before its policies, with the Pod
	// Security Standards "baseline" level enforced and "restricted" warned. Leave it false when
	// the namespaces are managed elsewhere. Default: false.
	CreateNamespaces bool
	// Namespaces are the application namespaces to lock down; they must already exist. Required,
	// at least one.
	Namespaces []string
	// APIAppLabel is the value of the app label on the NovaCron API pods. Default: "novacron-api".
	APIAppLabel string
	// APIPort is the API pods' container port that receives user traffic. Default: 8080.
	APIPort int
	// IngressSourceNamespaceLabel and IngressSourceNamespaceValue select the namespace whose pods
	// may reach the API port, for an in-cluster proxy or gateway. Set both, or use
	// IngressSourceCIDRs instead. Default: unset.
	IngressSourceNamespaceLabel string
	// IngressSourceNamespaceValue is the label value for IngressSourceNamespaceLabel. Default: unset.
	IngressSourceNamespaceValue string
	// IngressSourceCIDRs are the networks whose addresses may reach the API port. With the AWS
	// Load Balancer Controller in IP target mode the ALB sends traffic straight to pod IPs from
	// its own addresses in the subnets it is placed in (the client address travels in
	// X-Forwarded-For), so these are the ALB's subnet CIDRs; no pod or namespace selector can
	// match a load balancer. Exactly one of this and the namespace pair must be set. Default: unset.
	IngressSourceCIDRs []string
	// DatabaseCIDRs are the database subnets' CIDR blocks. RDS lives outside the cluster, so
	// egress to it can only be expressed by address; the network component derives these
	// blocks from stack config, so they are plain values known before deploy. Required.
	DatabaseCIDRs []string
	// DatabasePort is the PostgreSQL port. Default: 5432.
	DatabasePort int
	// MonitoringNamespace is where Prometheus runs. Default: "monitoring".
	MonitoringNamespace string
	// PrometheusPodLabels select the Prometheus pods in MonitoringNamespace.
	// Default: {"app.kubernetes.io/name": "prometheus"}.
	PrometheusPodLabels map[string]string
	// MetricsPort is the container port application pods serve /metrics on. The default matches
	// the monitoring component, whose ServiceMonitor scrapes the API Service's "http" port. A
	// separate port keeps /metrics out of the load balancer's reach at the network level; with a
	// shared port only the Ingress path rules keep it private. Default: 8080.
	MetricsPort int
	// APIEgressHTTPSCIDRs are networks the API pods may reach on 443, for example the subnets of
	// interface VPC endpoints (STS for IRSA, Secrets Manager). Default: none (no HTTPS egress).
	APIEgressHTTPSCIDRs []string
	// TelemetryNamespace is where the OpenTelemetry agents run (the telemetry component); every
	// pod of an application namespace may send them OTLP on 4317 and 4318. Default: "telemetry".
	TelemetryNamespace string
	// TelemetryAgentPodLabels select the agent pods in TelemetryNamespace.
	// Default: {"app.kubernetes.io/instance": "otel-agent"}.
	TelemetryAgentPodLabels map[string]string
	// QuarantineLabel: a pod carrying this label key (any value) is left out of every allow
	// policy but DNS and the Prometheus scrape, so that the default deny isolates it. NetworkPolicies
	// only add permissions: without this, a quarantine policy could not take away what the
	// allow policies grant. Default: "novacron.io/quarantine".
	QuarantineLabel string
}

// NetworkPolicies is the component that locks down the application namespaces.
type NetworkPolicies struct {
	pulumi.ResourceState

	// PolicyNames lists the policies created, as namespace/name.
	PolicyNames pulumi.StringArrayOutput
	// Resources are the namespaces and policies created, for pulumi.DependsOn: a dependency on
	// the component itself stands for whichever children the SDK has attached when the
	// dependent registers (pulumi/pulumi#7833), which varies from run to run.
	Resources []pulumi.Resource
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	labelKeyRe   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelValueRe = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
)

func (a *NetworkPoliciesArgs) withDefaults() *NetworkPoliciesArgs {
	out := *a
	if out.APIAppLabel == "" {
		out.APIAppLabel = DefaultAPIAppLabel
	}
	if out.APIPort == 0 {
		out.APIPort = DefaultAPIPort
	}
	if out.DatabasePort == 0 {
		out.DatabasePort = DefaultDatabasePort
	}
	if out.MonitoringNamespace == "" {
		out.MonitoringNamespace = DefaultMonitoringNamespace
	}
	if len(out.PrometheusPodLabels) == 0 {
		out.PrometheusPodLabels = maps.Clone(DefaultPrometheusPodLabels)
	}
	if out.MetricsPort == 0 {
		out.MetricsPort = DefaultMetricsPort
	}
	if out.TelemetryNamespace == "" {
		out.TelemetryNamespace = DefaultTelemetryNamespace
	}
	if len(out.TelemetryAgentPodLabels) == 0 {
		out.TelemetryAgentPodLabels = maps.Clone(DefaultTelemetryAgentPodLabels)
	}
	if out.QuarantineLabel == "" {
		out.QuarantineLabel = DefaultQuarantineLabel
	}
	return &out
}

// Validate reports every problem with the arguments (after defaults).
func (a *NetworkPoliciesArgs) Validate() validate.Problems {
	var p validate.Problems
	if a == nil {
		p.Addf("args", "must be set")
		return p
	}
	d := a.withDefaults()
	if len(d.Namespaces) == 0 {
		p.Addf("namespaces", "must name at least one namespace")
	}
	for i, ns := range d.Namespaces {
		checkNamespace(&p, fmt.Sprintf("namespaces[%d]", i), ns)
		if slices.Index(d.Namespaces, ns) != i {
			p.Addf(fmt.Sprintf("namespaces[%d]", i), "repeats %q", ns)
		}
	}
	checkLabelValue(&p, "apiAppLabel", d.APIAppLabel)
	p.IntRange("apiPort", d.APIPort, 1, 65535)
	p.IntRange("databasePort", d.DatabasePort, 1, 65535)
	p.IntRange("metricsPort", d.MetricsPort, 1, 65535)

	byNamespace := d.IngressSourceNamespaceLabel != "" || d.IngressSourceNamespaceValue != ""
	byCIDR := len(d.IngressSourceCIDRs) > 0
	switch {
	case byNamespace && byCIDR:
		p.Addf("ingressSource", "set either ingressSourceNamespaceLabel/Value or ingressSourceCIDRs, not both")
	case !byNamespace && !byCIDR:
		p.Addf("ingressSource", "must be set: ingressSourceNamespaceLabel/Value (in-cluster proxy) or ingressSourceCIDRs (the ALB's subnets)")
	case byNamespace:
		if !labelKeyRe.MatchString(d.IngressSourceNamespaceLabel) || len(d.IngressSourceNamespaceLabel) > 316 {
			p.Addf("ingressSourceNamespaceLabel", "must be a label key, got %q", d.IngressSourceNamespaceLabel)
		}
		if d.IngressSourceNamespaceValue == "" {
			p.Addf("ingressSourceNamespaceValue", "must not be empty")
		} else {
			checkLabelValue(&p, "ingressSourceNamespaceValue", d.IngressSourceNamespaceValue)
		}
	}
	for i, c := range d.IngressSourceCIDRs {
		p.CIDR(fmt.Sprintf("ingressSourceCIDRs[%d]", i), c)
	}

	if len(d.DatabaseCIDRs) == 0 {
		p.Addf("databaseCIDRs", "must list the database subnets' CIDR blocks")
	}
	for i, c := range d.DatabaseCIDRs {
		p.CIDR(fmt.Sprintf("databaseCIDRs[%d]", i), c)
	}
	checkNamespace(&p, "monitoringNamespace", d.MonitoringNamespace)
	for _, k := range slices.Sorted(maps.Keys(d.PrometheusPodLabels)) {
		if !labelKeyRe.MatchString(k) {
			p.Addf("prometheusPodLabels", "key %q is not a label key", k)
		}
		checkLabelValue(&p, "prometheusPodLabels."+k, d.PrometheusPodLabels[k])
	}
	for i, c := range d.APIEgressHTTPSCIDRs {
		p.CIDR(fmt.Sprintf("apiEgressHTTPSCIDRs[%d]", i), c)
	}
	checkNamespace(&p, "telemetryNamespace", d.TelemetryNamespace)
	for _, k := range slices.Sorted(maps.Keys(d.TelemetryAgentPodLabels)) {
		if !labelKeyRe.MatchString(k) {
			p.Addf("telemetryAgentPodLabels", "key %q is not a label key", k)
		}
		checkLabelValue(&p, "telemetryAgentPodLabels."+k, d.TelemetryAgentPodLabels[k])
	}
	if len(d.QuarantineLabel) > 316 || !labelKeyRe.MatchString(d.QuarantineLabel) {
		p.Addf("quarantineLabel", "must be a label key such as novacron.io/quarantine, got %q", d.QuarantineLabel)
	}
	return p
}

func checkNamespace(p *validate.Problems, field, v string) {
	if len(v) > 63 || !dnsLabel.MatchString(v) {
		p.Addf(field, "must be a Kubernetes namespace name (lowercase DNS label), got %q", v)
	}
}

func checkLabelValue(p *validate.Problems, field, v string) {
	if len(v) > 63 || !labelValueRe.MatchString(v) {
		p.Addf(field, "must be a label value (63 characters of [A-Za-z0-9-_.]), got %q", v)
	}
}

// Policies returns the NetworkPolicies for every namespace in args, as Kubernetes API objects.
// It is pure: the component registers exactly these objects, and the tests evaluate them.
func Policies(args *NetworkPoliciesArgs) ([]networkingv1.NetworkPolicy, error) {
	if err := args.Validate().Err("networkPolicies", "Policies"); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	var out []networkingv1.NetworkPolicy
	for _, ns := range a.Namespaces {
		out = append(out, namespacePolicies(a, ns)...)
	}
	return out, nil
}

func namespacePolicies(a *NetworkPoliciesArgs, ns string) []networkingv1.NetworkPolicy {
	all := k8smeta.LabelSelector{}
	// Allow policies select only pods that are not quarantined.
	notQuarantined := []k8smeta.LabelSelectorRequirement{{Key: a.QuarantineLabel, Operator: k8smeta.LabelSelectorOpDoesNotExist}}
	allowed := k8smeta.LabelSelector{MatchExpressions: notQuarantined}
	api := k8smeta.LabelSelector{MatchLabels: map[string]string{"app": a.APIAppLabel}, MatchExpressions: notQuarantined}
	ingress := networkingv1.PolicyTypeIngress
	egress := networkingv1.PolicyTypeEgress

	var ingressSource []networkingv1.NetworkPolicyPeer
	if len(a.IngressSourceCIDRs) > 0 {
		ingressSource = netpolicy.IPBlocks(a.IngressSourceCIDRs)
	} else {
		ingressSource = []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{
				a.IngressSourceNamespaceLabel: a.IngressSourceNamespaceValue,
			}},
		}}
	}

	policies := []networkingv1.NetworkPolicy{
		// Selecting every pod for both directions with no rule denies everything that another
		// policy does not allow.
		netpolicy.New(ns, PolicyDenyAll, networkingv1.NetworkPolicySpec{
			PodSelector: all,
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
		}),
		// Without this the default deny also blocks name resolution for every pod.
		// Every pod, quarantined ones included: the policy pack requires name resolution for
		// all pods of a default-deny namespace, and a quarantined pod can resolve names but
		// reach nothing it resolves.
		netpolicy.New(ns, PolicyDNSEgress, networkingv1.NetworkPolicySpec{
			PodSelector: all,
			PolicyTypes: []networkingv1.PolicyType{egress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{netpolicy.NamespaceNameLabel: "kube-system"}},
					PodSelector:       &k8smeta.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{netpolicy.Port(corev1.ProtocolUDP, 53), netpolicy.Port(corev1.ProtocolTCP, 53)},
			}},
		}),
		netpolicy.New(ns, PolicyAPIIngress, networkingv1.NetworkPolicySpec{
			PodSelector: api,
			PolicyTypes: []networkingv1.PolicyType{ingress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  ingressSource,
				Ports: []networkingv1.NetworkPolicyPort{netpolicy.Port(corev1.ProtocolTCP, a.APIPort)},
			}},
		}),
		netpolicy.New(ns, PolicyDatabase, networkingv1.NetworkPolicySpec{
			PodSelector: api,
			PolicyTypes: []networkingv1.PolicyType{egress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    netpolicy.IPBlocks(a.DatabaseCIDRs),
				Ports: []networkingv1.NetworkPolicyPort{netpolicy.Port(corev1.ProtocolTCP, a.DatabasePort)},
			}},
		}),
		netpolicy.New(ns, PolicyPrometheus, networkingv1.NetworkPolicySpec{
			PodSelector: all,
			PolicyTypes: []networkingv1.PolicyType{ingress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{netpolicy.NamespaceNameLabel: a.MonitoringNamespace}},
					PodSelector:       &k8smeta.LabelSelector{MatchLabels: maps.Clone(a.PrometheusPodLabels)},
				}},
				Ports: []networkingv1.NetworkPolicyPort{netpolicy.Port(corev1.ProtocolTCP, a.MetricsPort)},
			}},
		}),
		// Applications send traces (and OTLP logs) to the agents; the agent Service's
		// internalTrafficPolicy Local makes that the agent on the pod's own node, addressed by
		// its pod IP, which is what the selectors match.
		netpolicy.New(ns, PolicyOTLPEgress, networkingv1.NetworkPolicySpec{
			PodSelector: allowed,
			PolicyTypes: []networkingv1.PolicyType{egress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{netpolicy.NamespaceNameLabel: a.TelemetryNamespace}},
					PodSelector:       &k8smeta.LabelSelector{MatchLabels: maps.Clone(a.TelemetryAgentPodLabels)},
				}},
				Ports: []networkingv1.NetworkPolicyPort{netpolicy.Port(corev1.ProtocolTCP, OTLPGRPCPort), netpolicy.Port(corev1.ProtocolTCP, OTLPHTTPPort)},
			}},
		}),
	}
	if len(a.APIEgressHTTPSCIDRs) > 0 {
		policies = append(policies, netpolicy.New(ns, PolicyAPIHTTPSEgress, networkingv1.NetworkPolicySpec{
			PodSelector: api,
			PolicyTypes: []networkingv1.PolicyType{egress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    netpolicy.IPBlocks(a.APIEgressHTTPSCIDRs),
				Ports: []networkingv1.NetworkPolicyPort{netpolicy.Port(corev1.ProtocolTCP, 443)},
			}},
		}))
	}
	return policies
}

// NewNetworkPolicies registers the policies of Policies(args) with the Kubernetes provider passed
// in opts (pulumi.Providers).
func NewNetworkPolicies(ctx *pulumi.Context, name string, args *NetworkPoliciesArgs, opts ...pulumi.ResourceOption) (*NetworkPolicies, error) {
	if err := args.Validate().Err("networkPolicies", name); err != nil {
		return nil, err
	}
	policies, err := Policies(args)
	if err != nil {
		return nil, err
	}
	argsList := make([]*netv1.NetworkPolicyArgs, len(policies))
	for i, p := range policies {
		if argsList[i], err = netpolicy.Args(p); err != nil {
			return nil, fmt.Errorf("networkPolicies %q: networkPolicy %s/%s: %w", name, p.Namespace, p.Name, err)
		}
	}

	c := &NetworkPolicies{}
	if err := ctx.RegisterComponentResource("novacron:security:NetworkPolicies", name, c, opts...); err != nil {
		return nil, err
	}
	namespaces := map[string]pulumi.ResourceOption{}
	if args.CreateNamespaces {
		for _, ns := range args.Namespaces {
			created, err := k8scorev1.NewNamespace(ctx, name+"-"+ns, &k8scorev1.NamespaceArgs{
				Metadata: metav1.ObjectMetaArgs{
					Name: pulumi.String(ns),
					Labels: pulumi.StringMap{
						"pod-security.kubernetes.io/enforce": pulumi.String("baseline"),
						"pod-security.kubernetes.io/warn":    pulumi.String("restricted"),
					},
				},
			}, pulumi.Parent(c))
			if err != nil {
				return nil, err
			}
			c.Resources = append(c.Resources, created)
			namespaces[ns] = pulumi.DependsOn([]pulumi.Resource{created})
		}
	}
	names := make([]string, len(policies))
	for i, p := range policies {
		opts := []pulumi.ResourceOption{pulumi.Parent(c)}
		if dep, ok := namespaces[p.Namespace]; ok {
			opts = append(opts, dep)
		}
		created, err := netv1.NewNetworkPolicy(ctx, fmt.Sprintf("%s-%s-%s", name, p.Namespace, p.Name), argsList[i], opts...)
		if err != nil {
			return nil, err
		}
		c.Resources = append(c.Resources, created)
		names[i] = p.Namespace + "/" + p.Name
	}
	c.PolicyNames = pulumi.ToStringArray(names).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"policyNames": c.PolicyNames}); err != nil {
		return nil, err
	}
	return c, nil
}
