package falcotalon

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Defaults. The chart version is the newest falco-talon chart (falcosecurity/charts, tag
// falco-talon-0.4.1, June 2026), which deploys Falco Talon 0.3.0 (its appVersion).
const (
	DefaultChartVersion                = "0.4.1"
	DefaultNamespace                   = "falco-talon"
	DefaultReplicas                    = 2
	DefaultTerminateGracePeriodSeconds = 10
)

// DefaultProtectedNamespaces are Kubernetes' own namespaces and the platform's: Talon never acts
// there, whatever a rule says (no rule matches them and no Role is granted in them).
var DefaultProtectedNamespaces = []string{
	"default", "kube-system", "kube-public", "kube-node-lease",
	"monitoring", "falco", "falco-talon", "external-secrets", "telemetry", "gatekeeper-system",
}

// TalonArgs configures the Falco Talon component.
type TalonArgs struct {
	// ChartVersion pins the falcosecurity falco-talon chart. The value paths the component sets
	// are checked against this version's values.yaml (testdata/falco-talon-<version>.paths).
	// Default: "0.4.1".
	ChartVersion string
	// Namespace is created for Talon. Default: "falco-talon".
	Namespace string
	// ApplicationNamespaces are the only namespaces Talon acts in: its rules match events from
	// them only, and its Kubernetes permissions are Roles in them. Required, at least one; none
	// may be protected.
	ApplicationNamespaces []string
	// ProtectedNamespaces may never be application namespaces; Namespace is always protected.
	// Default: DefaultProtectedNamespaces.
	ProtectedNamespaces []string
	// SlackWebhookURL is the Slack incoming webhook Talon reports its actions to. It is a
	// secret: it is stored only in a Kubernetes Secret and reaches Talon as an environment
	// variable. A plain pulumi.String is checked to be an https URL. Default: none (Talon reports
	// as Kubernetes Events only).
	SlackWebhookURL pulumi.StringInput
	// TerminateGracePeriodSeconds is the grace period of the pod a crypto miner runs in when
	// Talon terminates it, between 1 and 300. Default: 10.
	TerminateGracePeriodSeconds int
	// Replicas is the number of Talon pods; a lease elects the one that acts, so an event is
	// handled once. Between 1 and 5. Default: 2.
	Replicas int
	// DryRun makes every Talon rule log and notify what it would do without doing it (a first
	// rollout). Default: false.
	DryRun bool
	// WaitFor are resources the Helm release waits for: the kube-prometheus-stack release, whose
	// CRDs the chart's ServiceMonitor needs. Default: none.
	WaitFor []pulumi.Resource
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	chartVersion = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
)

func (a *TalonArgs) withDefaults() *TalonArgs {
	out := *a
	if out.ChartVersion == "" {
		out.ChartVersion = DefaultChartVersion
	}
	if out.Namespace == "" {
		out.Namespace = DefaultNamespace
	}
	if len(out.ProtectedNamespaces) == 0 {
		out.ProtectedNamespaces = slices.Clone(DefaultProtectedNamespaces)
	}
	if out.TerminateGracePeriodSeconds == 0 {
		out.TerminateGracePeriodSeconds = DefaultTerminateGracePeriodSeconds
	}
	if out.Replicas == 0 {
		out.Replicas = DefaultReplicas
	}
	return &out
}

// Validate reports every problem with the arguments (after defaults), in the component's own
// field names.
func (a *TalonArgs) Validate() validate.Problems {
	var p validate.Problems
	if a == nil {
		p.Addf("args", "must be set")
		return p
	}
	d := a.withDefaults()
	if !chartVersion.MatchString(d.ChartVersion) {
		p.Addf("chartVersion", "must be a chart version such as 0.4.1, got %q", d.ChartVersion)
	}
	checkLabel(&p, "namespace", d.Namespace)
	for i, ns := range d.ProtectedNamespaces {
		checkLabel(&p, fmt.Sprintf("protectedNamespaces[%d]", i), ns)
	}
	if len(d.ApplicationNamespaces) == 0 {
		p.Addf("applicationNamespaces", "must name at least one namespace")
	}
	for i, ns := range d.ApplicationNamespaces {
		field := fmt.Sprintf("applicationNamespaces[%d]", i)
		switch {
		case len(ns) > 63 || !dnsLabel.MatchString(ns):
			checkLabel(&p, field, ns)
		case ns == d.Namespace || slices.Contains(d.ProtectedNamespaces, ns):
			p.Addf(field, "must not be a protected namespace (Kubernetes' or the platform's own), got %q", ns)
		case slices.Contains(d.ApplicationNamespaces[:i], ns):
			p.Addf(field, "must not repeat a namespace, got %q", ns)
		}
	}
	// The value is never echoed: it is a secret.
	if u, ok := d.SlackWebhookURL.(pulumi.String); ok {
		if v, err := url.Parse(string(u)); err != nil || v.Scheme != "https" || v.Host == "" {
			p.Addf("slackWebhookURL", "must be an https URL (value not shown: it is a secret)")
		}
	}
	p.IntRange("terminateGracePeriodSeconds", d.TerminateGracePeriodSeconds, 1, 300)
	p.IntRange("replicas", d.Replicas, 1, 5)
	return p
}

func checkLabel(p *validate.Problems, field, v string) {
	if len(v) > 63 || !dnsLabel.MatchString(v) {
		p.Addf(field, "must be a Kubernetes namespace name (lowercase DNS label), got %q", v)
	}
}
