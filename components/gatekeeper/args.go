package gatekeeper

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Defaults. The chart is open-policy-agent/gatekeeper 3.23.1 (appVersion v3.23.1), the
// newest 3.x release the module proxy serves (charts/gatekeeper/Chart.yaml in the
// github.com/open-policy-agent/gatekeeper/v3 module at v3.23.1).
const (
	DefaultChartVersion      = "3.23.1"
	DefaultNamespace         = "gatekeeper-system"
	DefaultWebhookReplicas   = 3
	DefaultAuditInterval     = 60
	DefaultFailurePolicy     = "Fail"
	DefaultPlatformAction    = "dryrun"
	DefaultLoadBalancerClass = "service.k8s.aws/nlb"
	DefaultGPUNodeLabelKey   = "workload"
	DefaultGPUNodeLabelValue = "ml"
	DefaultGPUTaintKey       = "ml-workload"
	DefaultGPUTaintValue     = "true"
	DefaultGPUTaintEffect    = "NoSchedule"
	DefaultGPUResource       = "nvidia.com/gpu"
)

// DefaultPlatformNamespaces are the platform's own namespaces, whose charts need host paths,
// privileged agents and public images: their constraints only record violations.
var DefaultPlatformNamespaces = []string{"monitoring", "telemetry", "falco", "external-secrets"}

// DefaultRequiredLabels every application pod carries.
var DefaultRequiredLabels = []string{"app", "app.kubernetes.io/part-of"}

// DefaultRequiredRequests and DefaultRequiredLimits: requests let the scheduler place pods and
// Karpenter size the nodes it launches for them; a memory limit bounds what one container can
// take from its neighbours. CPU is not limited by default: a CPU limit throttles a container
// under its CFS quota even on an idle node, and CPU requests already share CPU in proportion
// under contention.
var (
	DefaultRequiredRequests = []string{"cpu", "memory"}
	DefaultRequiredLimits   = []string{"memory"}
)

// DefaultLoadBalancerTypeAnnotationValues are the values of
// service.beta.kubernetes.io/aws-load-balancer-type with which the AWS Load Balancer
// Controller reconciles a Service that has no loadBalancerClass (LBC docs, guide/service/nlb:
// "external" hands the Service to the controller).
var DefaultLoadBalancerTypeAnnotationValues = []string{"external"}

// alwaysExempt is never under Gatekeeper: the cluster's own add-ons must start even when
// Gatekeeper cannot answer.
const alwaysExempt = "kube-system"

// GatekeeperArgs configures the admission-policy component.
type GatekeeperArgs struct {
	// ChartVersion pins the open-policy-agent gatekeeper chart. Default: "3.23.1".
	ChartVersion string
	// Namespace is created for Gatekeeper; it is exempt from its own policies.
	// Default: "gatekeeper-system".
	Namespace string
	// ApplicationNamespaces run NovaCron's workloads; their constraints deny. Required, at least
	// one.
	ApplicationNamespaces []string
	// PlatformNamespaces run the platform's charts; their constraints use
	// PlatformEnforcementAction. Default: DefaultPlatformNamespaces.
	PlatformNamespaces []string
	// PlatformEnforcementAction is what the platform namespaces' constraints do: "dryrun"
	// (audit only) or "warn" (admit with a warning). Default: "dryrun".
	PlatformEnforcementAction string
	// ImageRegistries are the registries images may come from: a registry host
	// ("<account>.dkr.ecr.<region>.amazonaws.com") or a repository prefix under one, without a
	// scheme. Required, at least one.
	ImageRegistries []string
	// AllowImagesWithoutDigest admits images pinned by tag only. Default: false (a digest is
	// required).
	AllowImagesWithoutDigest bool
	// RequiredLabels every pod carries. Default: ["app", "app.kubernetes.io/part-of"].
	RequiredLabels []string
	// RequiredRequests are the resource requests every container declares.
	// Default: ["cpu", "memory"].
	RequiredRequests []string
	// RequiredLimits are the resource limits every container declares. Default: ["memory"].
	RequiredLimits []string
	// LoadBalancerClass is the AWS Load Balancer Controller's Service class.
	// Default: "service.k8s.aws/nlb".
	LoadBalancerClass string
	// GPUNodeLabelKey and GPUNodeLabelValue are the GPU pool's node label.
	// Default: "workload" and "ml".
	GPUNodeLabelKey, GPUNodeLabelValue string
	// GPUTaintKey, GPUTaintValue and GPUTaintEffect are the GPU pool's taint.
	// Default: "ml-workload", "true", "NoSchedule".
	GPUTaintKey, GPUTaintValue, GPUTaintEffect string
	// GPUResource is the extended resource a GPU pod requests. Default: "nvidia.com/gpu".
	GPUResource string
	// WebhookReplicas runs the admission webhook this many times, spread over zones, with a
	// PodDisruptionBudget keeping all but one. At least 2. Default: 3.
	WebhookReplicas int
	// AuditIntervalSeconds is how often the audit re-checks every existing object and
	// refreshes gatekeeper_violations. Default: 60.
	AuditIntervalSeconds int
	// FailurePolicy is the validating webhook's: "Fail" refuses requests Gatekeeper cannot
	// judge (the policies cannot be bypassed by making Gatekeeper unavailable); "Ignore" admits
	// them. kube-system and Gatekeeper's namespace are exempt either way. Default: "Fail".
	FailurePolicy string
	// WaitFor are resources the PodMonitor waits for: the kube-prometheus-stack release, whose
	// CRDs it needs. Default: none.
	WaitFor []pulumi.Resource
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	chartVersion = regexp.MustCompile(`^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
	// registryRef is a registry host with an optional port and repository path.
	registryRef = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?(/[a-z0-9]+([._/-][a-z0-9]+)*)?/?$`)
	// labelKey is a Kubernetes label key: an optional DNS-subdomain prefix and a name.
	labelKey     = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValue   = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
	resourceName = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$`)
)

var (
	enforcementActions = []string{"dryrun", "warn"}
	failurePolicies    = []string{"Fail", "Ignore"}
	taintEffects       = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
)

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func listOrDefault(v, d []string) []string {
	if len(v) == 0 {
		return slices.Clone(d)
	}
	return v
}

func (a *GatekeeperArgs) withDefaults() *GatekeeperArgs {
	out := *a
	out.ChartVersion = orDefault(out.ChartVersion, DefaultChartVersion)
	out.Namespace = orDefault(out.Namespace, DefaultNamespace)
	out.PlatformNamespaces = listOrDefault(out.PlatformNamespaces, DefaultPlatformNamespaces)
	out.PlatformEnforcementAction = orDefault(out.PlatformEnforcementAction, DefaultPlatformAction)
	out.RequiredLabels = listOrDefault(out.RequiredLabels, DefaultRequiredLabels)
	out.RequiredRequests = listOrDefault(out.RequiredRequests, DefaultRequiredRequests)
	out.RequiredLimits = listOrDefault(out.RequiredLimits, DefaultRequiredLimits)
	out.LoadBalancerClass = orDefault(out.LoadBalancerClass, DefaultLoadBalancerClass)
	out.GPUNodeLabelKey = orDefault(out.GPUNodeLabelKey, DefaultGPUNodeLabelKey)
	out.GPUNodeLabelValue = orDefault(out.GPUNodeLabelValue, DefaultGPUNodeLabelValue)
	out.GPUTaintKey = orDefault(out.GPUTaintKey, DefaultGPUTaintKey)
	out.GPUTaintValue = orDefault(out.GPUTaintValue, DefaultGPUTaintValue)
	out.GPUTaintEffect = orDefault(out.GPUTaintEffect, DefaultGPUTaintEffect)
	out.GPUResource = orDefault(out.GPUResource, DefaultGPUResource)
	if out.WebhookReplicas == 0 {
		out.WebhookReplicas = DefaultWebhookReplicas
	}
	if out.AuditIntervalSeconds == 0 {
		out.AuditIntervalSeconds = DefaultAuditInterval
	}
	out.FailurePolicy = orDefault(out.FailurePolicy, DefaultFailurePolicy)
	return &out
}

// Validate reports every problem with the arguments (after defaults), in the component's own
// field names.
func (a *GatekeeperArgs) Validate() validate.Problems {
	var p validate.Problems
	if a == nil {
		p.Addf("args", "must be set")
		return p
	}
	d := a.withDefaults()
	if !chartVersion.MatchString(d.ChartVersion) {
		p.Addf("chartVersion", "must be a chart version such as 3.23.1, got %q", d.ChartVersion)
	}
	checkNamespace(&p, "namespace", d.Namespace)
	if d.Namespace == alwaysExempt {
		p.Addf("namespace", "must not be %s", alwaysExempt)
	}
	if len(d.ApplicationNamespaces) == 0 {
		p.Addf("applicationNamespaces", "must name at least one namespace")
	}
	seen := map[string]string{}
	for _, list := range []struct {
		field string
		names []string
	}{{"applicationNamespaces", d.ApplicationNamespaces}, {"platformNamespaces", d.PlatformNamespaces}} {
		for i, ns := range list.names {
			field := fmt.Sprintf("%s[%d]", list.field, i)
			checkNamespace(&p, field, ns)
			switch {
			case ns == alwaysExempt || ns == d.Namespace:
				p.Addf(field, "%s is exempt from Gatekeeper and cannot have constraints", ns)
			case seen[ns] != "":
				p.Addf(field, "%s is already listed in %s", ns, seen[ns])
			}
			seen[ns] = list.field
		}
	}
	if !slices.Contains(enforcementActions, d.PlatformEnforcementAction) {
		p.Addf("platformEnforcementAction", "must be one of %s, got %q", strings.Join(enforcementActions, ", "), d.PlatformEnforcementAction)
	}
	if len(d.ImageRegistries) == 0 {
		p.Addf("imageRegistries", "must name at least one registry")
	}
	for i, r := range d.ImageRegistries {
		if !registryRef.MatchString(r) || !strings.Contains(strings.SplitN(r, "/", 2)[0], ".") {
			p.Addf(fmt.Sprintf("imageRegistries[%d]", i), "must be a registry host or repository prefix without a scheme, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com, got %q", r)
		}
	}
	if len(d.RequiredLabels) == 0 {
		p.Addf("requiredLabels", "must name at least one label")
	}
	for i, l := range d.RequiredLabels {
		if !labelKey.MatchString(l) {
			p.Addf(fmt.Sprintf("requiredLabels[%d]", i), "must be a label key, got %q", l)
		}
	}
	for _, list := range []struct {
		field string
		names []string
	}{{"requiredRequests", d.RequiredRequests}, {"requiredLimits", d.RequiredLimits}} {
		for i, r := range list.names {
			if !resourceName.MatchString(r) {
				p.Addf(fmt.Sprintf("%s[%d]", list.field, i), "must be a resource name such as cpu or memory, got %q", r)
			}
		}
	}
	if !resourceName.MatchString(d.LoadBalancerClass) || !strings.Contains(d.LoadBalancerClass, "/") {
		p.Addf("loadBalancerClass", "must be a domain-prefixed class such as service.k8s.aws/nlb, got %q", d.LoadBalancerClass)
	}
	for _, f := range [][2]string{{"gpuNodeLabelKey", d.GPUNodeLabelKey}, {"gpuTaintKey", d.GPUTaintKey}} {
		if !labelKey.MatchString(f[1]) {
			p.Addf(f[0], "must be a label key, got %q", f[1])
		}
	}
	for _, f := range [][2]string{{"gpuNodeLabelValue", d.GPUNodeLabelValue}, {"gpuTaintValue", d.GPUTaintValue}} {
		if !labelValue.MatchString(f[1]) {
			p.Addf(f[0], "must be a label value, got %q", f[1])
		}
	}
	if !slices.Contains(taintEffects, d.GPUTaintEffect) {
		p.Addf("gpuTaintEffect", "must be one of %s, got %q", strings.Join(taintEffects, ", "), d.GPUTaintEffect)
	}
	if !resourceName.MatchString(d.GPUResource) || !strings.Contains(d.GPUResource, "/") {
		p.Addf("gpuResource", "must be an extended resource name such as nvidia.com/gpu, got %q", d.GPUResource)
	}
	if d.WebhookReplicas < 2 {
		p.Addf("webhookReplicas", "must be at least 2 (the PodDisruptionBudget keeps all but one), got %d", d.WebhookReplicas)
	}
	p.IntRange("auditIntervalSeconds", d.AuditIntervalSeconds, 10, 3600)
	if !slices.Contains(failurePolicies, d.FailurePolicy) {
		p.Addf("failurePolicy", "must be one of %s, got %q", strings.Join(failurePolicies, ", "), d.FailurePolicy)
	}
	return p
}

func checkNamespace(p *validate.Problems, field, v string) {
	if !dnsLabel.MatchString(v) {
		p.Addf(field, "must be a Kubernetes namespace name (lowercase DNS label), got %q", v)
	}
}
