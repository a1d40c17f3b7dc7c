package falco

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/helmvalues"
	"github.com/novacron/platform/internal/validate"
)

// Defaults. The chart version is the falco chart current in summer 2026 (Falco 0.44.1 with
// falcosidekick 0.12.x as a dependency; DESIGN.md §8).
const (
	DefaultChartVersion         = "9.1.0"
	DefaultNamespace            = "falco"
	DefaultAlertmanagerURL      = "http://alertmanager-operated.monitoring.svc:9093"
	DefaultAlertMinimumPriority = "warning"

	chartName = "falco"
	chartRepo = "https://falcosecurity.github.io/charts"
	// releaseName is fixed so that the chart's object names (falco, falco-falcosidekick) do not
	// carry a random suffix.
	releaseName = "falco"
	// releaseTimeoutSeconds covers pulling images on every node of a freshly scaled pool.
	releaseTimeoutSeconds = 600
)

// DefaultAllowedOutboundPorts is what application containers may reach on the internet when the
// caller sets nothing: HTTPS only.
var DefaultAllowedOutboundPorts = []int{443}

// sidekickPriorities are falcosidekick's minimumpriority values.
var sidekickPriorities = []string{"emergency", "alert", "critical", "error", "warning", "notice",
	"informational", "debug"}

// FalcoArgs configures the Falco component.
type FalcoArgs struct {
	// ChartVersion pins the falcosecurity falco chart. Default: "9.1.0".
	ChartVersion string
	// Namespace is created for Falco and falcosidekick. Default: "falco".
	Namespace string
	// AlertmanagerURL is where falcosidekick posts alerts, as scheme://host:port without a path
	// (falcosidekick appends /api/v2/alerts); typically the monitoring component's
	// AlertmanagerURL output. It must not embed credentials: it ends up in plain Helm values.
	// A plain pulumi.String is validated. Default: "http://alertmanager-operated.monitoring.svc:9093",
	// the service the Prometheus Operator creates for every Alertmanager in the monitoring namespace.
	AlertmanagerURL pulumi.StringInput
	// AlertMinimumPriority is the lowest Falco priority forwarded to Alertmanager
	// (emergency, alert, critical, error, warning, notice, informational, debug).
	// Default: "warning".
	AlertMinimumPriority string
	// ApplicationNamespaces are the namespaces running NovaCron workloads; the outbound and
	// sensitive-file rules are scoped to them. Required, at least one.
	ApplicationNamespaces []string
	// AllowedOutboundPorts are the server ports application containers may reach on public
	// addresses without an alert. Default: [443].
	AllowedOutboundPorts []int
	// AllowedOutboundCIDRs are public networks application containers may reach on any port
	// without an alert. Default: none.
	AllowedOutboundCIDRs []string
	// TalonURL is the Falco Talon service that falcosidekick also posts events to (its talon
	// output), as http(s)://host:port; typically the falcotalon component's URL output. Events
	// of priority warning and above are sent (TalonMinimumPriority): the lowest priority of the
	// NovaCron rules Talon acts on. It must not embed credentials. A plain pulumi.String is
	// validated. Default: none (no response actions).
	TalonURL pulumi.StringInput
}

// TalonMinimumPriority is the lowest Falco priority falcosidekick forwards to Falco Talon: the
// lowest priority among the rules Talon acts on (the terminal-shell rule, WARNING).
const TalonMinimumPriority = "warning"

// Falco is the runtime-security component: the Falco DaemonSet with NovaCron's custom rules and
// falcosidekick forwarding alerts to Alertmanager.
type Falco struct {
	pulumi.ResourceState

	// Namespace is the namespace Falco runs in.
	Namespace pulumi.StringOutput
	// ReleaseName is the Helm release name.
	ReleaseName pulumi.StringOutput
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
var chartVersion = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

func (a *FalcoArgs) withDefaults() *FalcoArgs {
	out := *a
	if out.ChartVersion == "" {
		out.ChartVersion = DefaultChartVersion
	}
	if out.Namespace == "" {
		out.Namespace = DefaultNamespace
	}
	if out.AlertmanagerURL == nil {
		out.AlertmanagerURL = pulumi.String(DefaultAlertmanagerURL)
	}
	if out.AlertMinimumPriority == "" {
		out.AlertMinimumPriority = DefaultAlertMinimumPriority
	}
	if len(out.AllowedOutboundPorts) == 0 {
		out.AllowedOutboundPorts = slices.Clone(DefaultAllowedOutboundPorts)
	}
	return &out
}

// Validate reports every problem with the arguments (after defaults), in the component's own
// field names.
func (a *FalcoArgs) Validate() validate.Problems {
	var p validate.Problems
	if a == nil {
		p.Addf("args", "must be set")
		return p
	}
	d := a.withDefaults()
	if !chartVersion.MatchString(d.ChartVersion) {
		p.Addf("chartVersion", "must be a chart version such as 9.1.0, got %q", d.ChartVersion)
	}
	checkLabel(&p, "namespace", d.Namespace)
	// An output (another component's URL) is only known at deploy time; plain values are checked.
	if u, ok := d.AlertmanagerURL.(pulumi.String); ok {
		checkAlertmanagerURL(&p, string(u))
	}
	if u, ok := d.TalonURL.(pulumi.String); ok {
		checkTalonURL(&p, string(u))
	}
	if !slices.Contains(sidekickPriorities, d.AlertMinimumPriority) {
		p.Addf("alertMinimumPriority", "must be one of %s, got %q",
			strings.Join(sidekickPriorities, ", "), d.AlertMinimumPriority)
	}
	if len(d.ApplicationNamespaces) == 0 {
		p.Addf("applicationNamespaces", "must name at least one namespace")
	}
	for i, ns := range d.ApplicationNamespaces {
		checkLabel(&p, fmt.Sprintf("applicationNamespaces[%d]", i), ns)
	}
	for i, port := range d.AllowedOutboundPorts {
		p.IntRange(fmt.Sprintf("allowedOutboundPorts[%d]", i), port, 1, 65535)
	}
	for i, c := range d.AllowedOutboundCIDRs {
		p.CIDR(fmt.Sprintf("allowedOutboundCIDRs[%d]", i), c)
	}
	return p
}

func checkLabel(p *validate.Problems, field, v string) {
	if len(v) > 63 || !dnsLabel.MatchString(v) {
		p.Addf(field, "must be a Kubernetes namespace name (lowercase DNS label), got %q", v)
	}
}

func checkAlertmanagerURL(p *validate.Problems, v string) {
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.Addf("alertmanagerURL", "must be an http(s)://host:port URL, got %q", v)
	case u.User != nil:
		p.Addf("alertmanagerURL", "must not embed credentials (it is stored in plain Helm values)")
	case u.Path != "" && u.Path != "/":
		p.Addf("alertmanagerURL", "must not have a path (falcosidekick appends /api/v2/alerts), got %q", u.Path)
	}
}

func checkTalonURL(p *validate.Problems, v string) {
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.Addf("talonURL", "must be an http(s)://host:port URL, got %q", v)
	case u.User != nil:
		p.Addf("talonURL", "must not embed credentials (it is stored in plain Helm values)")
	}
}

// NewFalco installs Falco with the modern eBPF driver on every node, including the tainted GPU
// nodes, loads NovaCron's rules and forwards alerts through falcosidekick to Alertmanager.
// The Kubernetes provider comes from opts (pulumi.Providers).
func NewFalco(ctx *pulumi.Context, name string, args *FalcoArgs, opts ...pulumi.ResourceOption) (*Falco, error) {
	if err := args.Validate().Err("falco", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	values, err := helmValues(a)
	if err != nil {
		return nil, fmt.Errorf("falco %q: %w", name, err)
	}

	f := &Falco{}
	if err := ctx.RegisterComponentResource("novacron:security:Falco", name, f, opts...); err != nil {
		return nil, err
	}

	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(a.Namespace),
			Labels: pulumi.StringMap{
				// Falco needs privileged pods (eBPF, host /proc); say so explicitly so that a
				// cluster-wide Pod Security default does not block the DaemonSet.
				"pod-security.kubernetes.io/enforce": pulumi.String("privileged"),
				"app.kubernetes.io/part-of":          pulumi.String("novacron"),
			},
		},
	}, pulumi.Parent(f))
	if err != nil {
		return nil, err
	}

	release, err := helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
		Name:           pulumi.String(releaseName),
		Chart:          pulumi.String(chartName),
		Version:        pulumi.String(a.ChartVersion),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(chartRepo)},
		Namespace:      ns.Metadata.Name().Elem(),
		Values:         helmvalues.ToInput(values).(pulumi.Map),
		Timeout:        pulumi.Int(releaseTimeoutSeconds),
		CleanupOnFail:  pulumi.Bool(true),
	}, pulumi.Parent(f))
	if err != nil {
		return nil, err
	}

	f.Namespace = ns.Metadata.Name().Elem()
	f.ReleaseName = release.Name.Elem()
	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{
		"namespace":   f.Namespace,
		"releaseName": f.ReleaseName,
	}); err != nil {
		return nil, err
	}
	return f, nil
}

// helmValues builds the falco chart values (chart values reference: falcosecurity/charts,
// charts/falco/values.yaml and charts/falcosidekick/values.yaml). a must be defaulted.
func helmValues(a *FalcoArgs) (map[string]any, error) {
	tuning, err := tuningFile(a)
	if err != nil {
		return nil, err
	}
	sidekick := map[string]any{
		"alertmanager": map[string]any{
			"hostport": a.AlertmanagerURL,
			// Alertmanager removed the v1 API in 0.27; falcosidekick's default is still v1.
			"endpoint":        "/api/v2/alerts",
			"minimumpriority": a.AlertMinimumPriority,
		},
	}
	if a.TalonURL != nil {
		// falcosidekick chart 0.12.x (the falco chart's dependency), config.talon: a non-empty
		// address enables the output.
		sidekick["talon"] = map[string]any{
			"address":         a.TalonURL,
			"minimumpriority": TalonMinimumPriority,
			"checkcert":       true,
		}
	}
	return map[string]any{
		// modern_ebpf is built into the Falco binary (CO-RE): no driver-loader init container and
		// no kernel headers; the AL2023 node kernels have BTF.
		"driver": map[string]any{"kind": "modern_ebpf"},
		// Setting tolerations replaces the chart's list, so its two control-plane tolerations are
		// repeated; the ml-workload one lets Falco watch the GPU nodes (DESIGN.md §7), and the
		// CriticalAddonsOnly one the system nodes, where Karpenter and CoreDNS run.
		"tolerations": []any{
			map[string]any{"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"},
			map[string]any{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
			map[string]any{"effect": "NoSchedule", "key": "ml-workload", "operator": "Equal", "value": "true"},
			map[string]any{"effect": "NoSchedule", "key": "CriticalAddonsOnly", "operator": "Exists"},
		},
		// A security agent should be the last pod evicted under node pressure.
		"podPriorityClassName": "system-node-critical",
		"customRules": map[string]any{
			rulesFileKey:  RulesFile,
			tuningFileKey: tuning,
		},
		// With falcosidekick enabled the chart itself turns on Falco's JSON and HTTP output
		// towards the falcosidekick service.
		"falcosidekick": map[string]any{
			"enabled": true,
			"config":  sidekick,
		},
	}, nil
}
