package ingress

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/helmvalues"
	"github.com/novacron/platform/internal/podidentity"
	"github.com/novacron/platform/internal/validate"
)

// ControllerPolicy is the IAM policy of the controller's role. It is our own document, grouped by
// purpose, covering the API calls that the AWS Load Balancer Controller v2.13+/v3 makes (the
// project publishes the reference list as docs/install/iam_policy.json in
// kubernetes-sigs/aws-load-balancer-controller). Mutations are limited to resources carrying the
// controller's elbv2.k8s.aws/cluster tag wherever the controller tags what it creates. WAF Classic
// (waf-regional) is left out: AWS ended its support, and the chart value enableWaf is turned off.
// ARNs use the aws partition.
//
//go:embed iam_policy.json
var ControllerPolicy string

// Defaults. The chart version is the eks-charts aws-load-balancer-controller chart current in
// summer 2026 (DESIGN.md §8).
const (
	DefaultChartVersion = "3.5.0"
	DefaultReplicaCount = 2

	chartName = "aws-load-balancer-controller"
	chartRepo = "https://aws.github.io/eks-charts"
	// The controller runs as this service account; the Pod Identity association and the role's
	// trust policy name exactly it.
	Namespace      = "kube-system"
	ServiceAccount = "aws-load-balancer-controller"
	releaseName    = "aws-load-balancer-controller"
	// Validation records get a short TTL so that a re-issued certificate validates quickly.
	validationRecordTTL   = 60
	releaseTimeoutSeconds = 600
)

// LoadBalancerControllerArgs configures the ingress component.
type LoadBalancerControllerArgs struct {
	// ClusterName is the EKS cluster's name, as the cluster's output: the controller tags what it
	// creates with it, and the Pod Identity association waits for the cluster. Required.
	ClusterName pulumi.StringInput
	// ClusterNameValue is the same name as a plain string; the role's trust policy pins it.
	// Required.
	ClusterNameValue string
	// Region is the AWS region of the cluster, so the controller need not ask the instance
	// metadata service (IMDSv2 with a hop limit of 1 hides it from pods). Required.
	Region string
	// VpcId is the cluster's VPC, for the same reason. Required.
	VpcId pulumi.StringInput
	// ChartVersion pins the eks-charts aws-load-balancer-controller chart. Default: "3.5.0".
	ChartVersion string
	// ReplicaCount is the number of controller pods (leader election keeps one active; the
	// second keeps the admission webhook available). Default: 2.
	ReplicaCount int
	// CertificateDomain, when set, requests a public ACM certificate for this name, validated by
	// DNS records in HostedZoneId, for the ALB's HTTPS listener. Default: "" (no certificate).
	CertificateDomain string
	// CertificateAlternativeNames are extra names on the certificate (for example the wildcard
	// of CertificateDomain). Default: none.
	CertificateAlternativeNames []string
	// HostedZoneId is the Route53 public hosted zone holding the validation records. Required when
	// CertificateDomain is set.
	HostedZoneId pulumi.StringInput
}

// LoadBalancerController is the AWS Load Balancer Controller with its Pod Identity role and, optionally,
// an ACM certificate.
type LoadBalancerController struct {
	pulumi.ResourceState

	// RoleArn is the controller's IAM role.
	RoleArn pulumi.StringOutput
	// CertificateArn is the validated certificate's ARN, or "" when no domain was given.
	CertificateArn pulumi.StringOutput
	// ReleaseName is the Helm release name.
	ReleaseName pulumi.StringOutput
}

var (
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	chartVersionRe = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	domainRe       = regexp.MustCompile(`^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z][-a-z0-9]*[a-z0-9]$`)
	// EKS cluster names: 1 to 100 letters, digits, '-' or '_', starting with a letter or digit
	// (Amazon EKS API Reference, CreateCluster, name).
	clusterNameRe = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
)

func (a *LoadBalancerControllerArgs) withDefaults() *LoadBalancerControllerArgs {
	out := *a
	if out.ChartVersion == "" {
		out.ChartVersion = DefaultChartVersion
	}
	if out.ReplicaCount == 0 {
		out.ReplicaCount = DefaultReplicaCount
	}
	return &out
}

// Validate reports every problem with the arguments (after defaults). Inputs are only checked
// for presence.
func (a *LoadBalancerControllerArgs) Validate() validate.Problems {
	var p validate.Problems
	if a == nil {
		p.Addf("args", "must be set")
		return p
	}
	d := a.withDefaults()
	for _, in := range []struct {
		field string
		set   bool
	}{
		{"clusterName", d.ClusterName != nil},
		{"vpcId", d.VpcId != nil},
	} {
		if !in.set {
			p.Addf(in.field, "must be set")
		}
	}
	if !clusterNameRe.MatchString(d.ClusterNameValue) {
		p.Addf("clusterNameValue", "must be an EKS cluster name (the role's trust policy pins it), got %q", d.ClusterNameValue)
	}
	if !regionRe.MatchString(d.Region) {
		p.Addf("region", "must be an AWS region such as us-east-1, got %q", d.Region)
	}
	if !chartVersionRe.MatchString(d.ChartVersion) {
		p.Addf("chartVersion", "must be a chart version such as 3.5.0, got %q", d.ChartVersion)
	}
	p.IntRange("replicaCount", d.ReplicaCount, 1, 10)

	if d.CertificateDomain == "" {
		if len(d.CertificateAlternativeNames) > 0 {
			p.Addf("certificateAlternativeNames", "need certificateDomain")
		}
		return p
	}
	for i, n := range append([]string{d.CertificateDomain}, d.CertificateAlternativeNames...) {
		field := "certificateDomain"
		if i > 0 {
			field = fmt.Sprintf("certificateAlternativeNames[%d]", i-1)
		}
		if len(n) > 253 || !domainRe.MatchString(n) {
			p.Addf(field, "must be a lowercase DNS name (optionally *.-prefixed), got %q", n)
		}
	}
	if d.HostedZoneId == nil {
		p.Addf("hostedZoneId", "must be set when certificateDomain is set")
	}
	return p
}

// NewLoadBalancerController creates the controller's IAM role (assumable only through EKS Pod
// Identity, for sessions of kube-system:aws-load-balancer-controller in this cluster), its
// policy, the Pod Identity association, the Helm release, and, when CertificateDomain is set, a
// DNS-validated ACM certificate. AWS resources use the AWS provider and the release the
// Kubernetes provider passed in opts.
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if err := args.Validate().Err("ingress", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()

	c := &LoadBalancerController{}
	if err := ctx.RegisterComponentResource("novacron:ingress:LoadBalancerController", name, c, opts...); err != nil {
		return nil, err
	}

	// The role keeps the name it had under IRSA, so an upgrade updates its trust policy in place
	// and the policy attachment stays. The controller (aws-sdk-go-v2, Pod Identity supported
	// since v2.7.0; installation guide of v3.5.0, "Option B: Recommended, Pod Identity") reads
	// the credentials the EKS Pod Identity webhook points its pods at.
	role, err := podidentity.NewRole(ctx, name+"-role", podidentity.Binding{
		ClusterName:      a.ClusterName,
		ClusterNameValue: a.ClusterNameValue,
		Namespace:        Namespace,
		ServiceAccount:   ServiceAccount,
	}, nil, nil, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	policy, err := iam.NewPolicy(ctx, name+"-policy", &iam.PolicyArgs{
		Description: pulumi.String("Permissions of the AWS Load Balancer Controller"),
		Policy:      pulumi.String(ControllerPolicy),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-policy-attachment", &iam.RolePolicyAttachmentArgs{
		Role:      role.Role.Name,
		PolicyArn: policy.Arn,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	// A pod only gets credentials if the association exists when it is created (the webhook
	// injects them at admission), and the controller needs its permissions from the start.
	ready := append([]pulumi.Resource{attachment}, role.Ready...)
	release, err := helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
		Name:           pulumi.String(releaseName),
		Chart:          pulumi.String(chartName),
		Version:        pulumi.String(a.ChartVersion),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(chartRepo)},
		Namespace:      pulumi.String(Namespace),
		Values:         helmvalues.ToInput(helmValues(a)).(pulumi.Map),
		Timeout:        pulumi.Int(releaseTimeoutSeconds),
		CleanupOnFail:  pulumi.Bool(true),
	}, pulumi.Parent(c), pulumi.DependsOn(ready))
	if err != nil {
		return nil, err
	}

	c.RoleArn = role.Role.Arn
	c.ReleaseName = release.Name.Elem()
	c.CertificateArn = pulumi.String("").ToStringOutput()
	if a.CertificateDomain != "" {
		if c.CertificateArn, err = certificate(ctx, name, a, c); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"roleArn":        c.RoleArn,
		"certificateArn": c.CertificateArn,
		"releaseName":    c.ReleaseName,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// helmValues builds the chart values (value names from the chart's values.yaml in aws/eks-charts).
func helmValues(a *LoadBalancerControllerArgs) map[string]any {
	return map[string]any{
		"clusterName": a.ClusterName,
		// Region and VPC are given because the controller would otherwise ask the instance
		// metadata service, which the nodes' hop limit of 1 keeps from pods.
		"region":       a.Region,
		"vpcId":        a.VpcId,
		"replicaCount": a.ReplicaCount,
		// No role annotation: the Pod Identity association names this service account.
		"serviceAccount": map[string]any{
			"create": true,
			"name":   ServiceAccount,
		},
		// Keeps one controller (and its admission webhook) up through node drains.
		"podDisruptionBudget": map[string]any{"maxUnavailable": 1},
		// WAF Classic is retired; the IAM policy grants no waf-regional action.
		"enableWaf": false,
		// The chart's mutating webhook for Services (mservice.elbv2.k8s.aws, failurePolicy Fail,
		// rendered only when this value is true, its default; templates/webhook.yaml in
		// aws/eks-charts) intercepts every Service create. While the controller's pods start it
		// has no endpoints, so other releases creating Services fail with "no endpoints
		// available for service aws-load-balancer-webhook-service"
		// (kubernetes-sigs/aws-load-balancer-controller#4140, aws/eks-charts#1058). It only
		// defaults spec.loadBalancerClass of type LoadBalancer Services to the controller's NLB;
		// the platform exposes traffic through Ingresses (ALB), so it is turned off.
		"enableServiceMutatorWebhook": false,
	}
}

// certificate requests the ACM certificate and validates it through Route53. It returns the ARN
// of the validated certificate, so listeners that use it wait for validation.
func certificate(ctx *pulumi.Context, name string, a *LoadBalancerControllerArgs, parent pulumi.Resource) (pulumi.StringOutput, error) {
	certArgs := &acm.CertificateArgs{
		DomainName:       pulumi.String(a.CertificateDomain),
		ValidationMethod: pulumi.String("DNS"),
		Options: &acm.CertificateOptionsArgs{
			CertificateTransparencyLoggingPreference: pulumi.String("ENABLED"),
		},
	}
	// Left unset when empty: AWS reports the domain itself as an alternative name, and an
	// explicit empty list would show as a diff on every run.
	if len(a.CertificateAlternativeNames) > 0 {
		certArgs.SubjectAlternativeNames = pulumi.ToStringArray(a.CertificateAlternativeNames)
	}
	cert, err := acm.NewCertificate(ctx, name+"-cert", certArgs, pulumi.Parent(parent))
	if err != nil {
		return pulumi.StringOutput{}, err
	}

	var fqdns pulumi.StringArray
	for _, domain := range validationDomains(a) {
		option := func(field func(acm.CertificateDomainValidationOption) *string) pulumi.StringOutput {
			return cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (string, error) {
				for _, o := range opts {
					if o.DomainName != nil && strings.TrimPrefix(*o.DomainName, "*.") == domain && field(o) != nil {
						return *field(o), nil
					}
				}
				return "", fmt.Errorf("ingress %q: ACM returned no DNS validation option for %s", name, domain)
			}).(pulumi.StringOutput)
		}
		record, err := route53.NewRecord(ctx, name+"-cert-validation-"+domain, &route53.RecordArgs{
			ZoneId:  a.HostedZoneId,
			Name:    option(func(o acm.CertificateDomainValidationOption) *string { return o.ResourceRecordName }),
			Type:    option(func(o acm.CertificateDomainValidationOption) *string { return o.ResourceRecordType }),
			Records: pulumi.StringArray{option(func(o acm.CertificateDomainValidationOption) *string { return o.ResourceRecordValue })},
			Ttl:     pulumi.Int(validationRecordTTL),
			// ACM gives identical certificates of one account the same validation CNAME
			// (dflook/cloudformation-dns-certificate#7), so the record can exist already: a
			// replaced certificate is created before the old one is deleted, and another stack
			// or a hand-made certificate may have validated the name. Without overwrite the
			// create then fails on the existing record (hashicorp/terraform-provider-aws#7918);
			// terraform-aws-modules/acm overwrites by default.
			AllowOverwrite: pulumi.Bool(true),
		}, pulumi.Parent(parent))
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		fqdns = append(fqdns, record.Fqdn)
	}
	validation, err := acm.NewCertificateValidation(ctx, name+"-cert-validation", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: fqdns,
	}, pulumi.Parent(parent))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return validation.CertificateArn, nil
}

// validationDomains lists the names needing a validation record. ACM gives a wildcard and its
// base name the same record, so they share one.
func validationDomains(a *LoadBalancerControllerArgs) []string {
	var out []string
	for _, n := range append([]string{a.CertificateDomain}, a.CertificateAlternativeNames...) {
		base := strings.TrimPrefix(n, "*.")
		if !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	return out
}
