package state

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Defaults of CiRolesArgs.
var (
	DefaultDeployEnvironments = []string{"staging", "production"}
	DefaultPreviewBranches    = []string{"main"}
	DefaultDeployPolicyArns   = []string{"arn:aws:iam::aws:policy/PowerUserAccess"}
	DefaultPreviewPolicyArns  = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
)

// DefaultDeploySessionSeconds covers a first production deploy: EKS control plane 10-15 min,
// Multi-AZ RDS 15-35 min and Helm releases of several minutes each exceed the one-hour default
// of an assumed role.
const DefaultDeploySessionSeconds = 7200

// CiRolesArgs configures the IAM roles GitHub Actions assumes through OIDC: a deploy role for
// `pulumi up` and a read-only preview role for pull requests and drift checks.
type CiRolesArgs struct {
	// Repository is the GitHub repository, "owner/name", whose workflows may assume the roles.
	// Required; there is no default.
	Repository string
	// OidcProviderArn is an existing IAM OIDC provider for GitHub Actions in this account (an
	// account holds one per issuer URL). Default: "" (the provider is created).
	OidcProviderArn string
	// DeployEnvironments are the GitHub environments whose jobs may assume the deploy role; give
	// each required reviewers and deployment branches in GitHub. Default: ["staging", "production"].
	DeployEnvironments []string
	// PreviewBranches are the branches whose jobs, besides pull requests, may assume the preview
	// role; scheduled drift checks run on the default branch. Default: ["main"].
	PreviewBranches []string
	// DeployPolicyArns are managed policies attached to the deploy role for the platform's
	// resources (IAM is added by an inline policy). Default: ["arn:aws:iam::aws:policy/PowerUserAccess"].
	DeployPolicyArns []string
	// PreviewPolicyArns are managed policies attached to the preview role.
	// Default: ["arn:aws:iam::aws:policy/ReadOnlyAccess"].
	PreviewPolicyArns []string
	// DeploySessionSeconds is the deploy role's maximum session (3600 to 43200 seconds): the
	// credentials of a `pulumi up` must outlive the whole update. Default: 7200.
	DeploySessionSeconds int
	// StateBucketArn is the ARN of the state bucket. Required.
	StateBucketArn pulumi.StringInput
	// StateKeyArn is the ARN of the state bucket's KMS key. Required.
	StateKeyArn pulumi.StringInput
	// SecretsKeyArn is the ARN of the secrets provider's KMS key. Required.
	SecretsKeyArn pulumi.StringInput
}

func (a *CiRolesArgs) withDefaults() CiRolesArgs {
	d := *a
	if len(d.DeployEnvironments) == 0 {
		d.DeployEnvironments = DefaultDeployEnvironments
	}
	if len(d.PreviewBranches) == 0 {
		d.PreviewBranches = DefaultPreviewBranches
	}
	if len(d.DeployPolicyArns) == 0 {
		d.DeployPolicyArns = DefaultDeployPolicyArns
	}
	if len(d.PreviewPolicyArns) == 0 {
		d.PreviewPolicyArns = DefaultPreviewPolicyArns
	}
	if d.DeploySessionSeconds == 0 {
		d.DeploySessionSeconds = DefaultDeploySessionSeconds
	}
	return d
}

var (
	// GitHub owner and repository names: letters, digits, '-', '_' and '.'.
	repositoryPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	// Environment and branch names end up in exact-match trust conditions: no wildcards, no
	// separators that would change the subject's shape.
	subjectPartPattern = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
	managedPolicyArn   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[A-Za-z0-9+=,.@_/-]+$`)
	githubProviderArn  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/` + regexp.QuoteMeta(githubIssuer) + `$`)
)

// Validate reports every invalid field, defaults applied. It reads plain values only; the ARN
// inputs are only checked for presence.
func (a *CiRolesArgs) Validate() validate.Problems {
	d := a.withDefaults()
	var p validate.Problems
	switch {
	case strings.TrimSpace(d.Repository) == "":
		p.Addf("repository", "must not be empty")
	case !repositoryPattern.MatchString(d.Repository):
		p.Addf("repository", "must be \"owner/name\", got %q", d.Repository)
	}
	if d.OidcProviderArn != "" && !githubProviderArn.MatchString(d.OidcProviderArn) {
		p.Addf("oidcProviderArn", "must be the ARN of the %s OIDC provider, got %q", githubIssuer, d.OidcProviderArn)
	}
	checkSubjectParts(&p, "deployEnvironments", d.DeployEnvironments)
	checkSubjectParts(&p, "previewBranches", d.PreviewBranches)
	checkPolicyArns(&p, "deployPolicyArns", d.DeployPolicyArns)
	checkPolicyArns(&p, "previewPolicyArns", d.PreviewPolicyArns)
	// IAM accepts a maximum session duration of 1 to 12 hours (AWS IAM API, CreateRole).
	p.IntRange("deploySessionSeconds", d.DeploySessionSeconds, 3600, 43200)
	if d.StateBucketArn == nil {
		p.Addf("stateBucketArn", "must be set")
	}
	if d.StateKeyArn == nil {
		p.Addf("stateKeyArn", "must be set")
	}
	if d.SecretsKeyArn == nil {
		p.Addf("secretsKeyArn", "must be set")
	}
	return p
}

func checkSubjectParts(p *validate.Problems, field string, values []string) {
	seen := map[string]bool{}
	for _, v := range values {
		switch {
		case !subjectPartPattern.MatchString(v):
			p.Addf(field, "entries must be names without spaces or wildcards, got %q", v)
		case seen[v]:
			p.Addf(field, "must not repeat %q", v)
		}
		seen[v] = true
	}
}

func checkPolicyArns(p *validate.Problems, field string, arns []string) {
	seen := map[string]bool{}
	for _, arn := range arns {
		switch {
		case !managedPolicyArn.MatchString(arn):
			p.Addf(field, "entries must be IAM policy ARNs such as arn:aws:iam::aws:policy/ReadOnlyAccess, got %q", arn)
		case seen[path.Base(arn)]:
			// The policy name names the attachment resource, so two ARNs must not share it.
			p.Addf(field, "must not hold two policies named %q", path.Base(arn))
		}
		seen[path.Base(arn)] = true
	}
}

// CiRoles are the IAM roles GitHub Actions workflows of one repository assume through OIDC.
type CiRoles struct {
	pulumi.ResourceState

	// OidcProviderArn is the ARN of the GitHub Actions OIDC provider the roles trust.
	OidcProviderArn pulumi.StringOutput
	// DeployRoleArn is the role of `pulumi up` jobs (GitHub environments only). Inside the
	// cluster it needs cluster-admin: list it in the platform stacks' clusterAdminRoleArns.
	DeployRoleArn pulumi.StringOutput
	// PreviewRoleArn is the read-only role of preview, preflight and drift jobs. Its IAM
	// policies (ReadOnlyAccess) cover eks:DescribeCluster, and `aws eks get-token` needs none;
	// to read Kubernetes objects it needs an access entry: list it in the platform stacks'
	// clusterReadOnlyRoleArns (AmazonEKSAdminViewPolicy).
	PreviewRoleArn pulumi.StringOutput
}

// NewCiRoles creates (optionally) the GitHub OIDC provider, the deploy role and the preview role.
func NewCiRoles(ctx *pulumi.Context, name string, args *CiRolesArgs, opts ...pulumi.ResourceOption) (*CiRoles, error) {
	if args == nil {
		args = &CiRolesArgs{}
	}
	if err := args.Validate().Err("ciRoles", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()

	c := &CiRoles{}
	if err := ctx.RegisterComponentResource("novacron:state:CiRoles", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	providerArn := pulumi.String(a.OidcProviderArn).ToStringOutput()
	if a.OidcProviderArn == "" {
		// No thumbprint: IAM validates GitHub's issuer against its library of trusted root CAs
		// and ignores thumbprints for it (AWS IAM User Guide, "Create an OpenID Connect (OIDC)
		// identity provider in IAM"); thumbprintLists is optional in provider v6.
		provider, err := iam.NewOpenIdConnectProvider(ctx, name+"-github-oidc", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String("https://" + githubIssuer),
			ClientIdLists: pulumi.StringArray{pulumi.String(stsAudience)},
		}, parent)
		if err != nil {
			return nil, err
		}
		providerArn = provider.Arn
	}

	deploy, err := newGithubRole(ctx, name+"-deploy", githubRoleSpec{
		description:     "Runs `pulumi up` from GitHub Actions environments of " + a.Repository + ".",
		providerArn:     providerArn,
		subjects:        deploySubjects(a.Repository, a.DeployEnvironments),
		maxSession:      a.DeploySessionSeconds,
		managedPolicies: a.DeployPolicyArns,
	}, parent)
	if err != nil {
		return nil, err
	}
	deployState := pulumi.All(a.StateBucketArn, a.StateKeyArn, a.SecretsKeyArn, deploy.Arn).ApplyT(
		func(v []any) (string, error) {
			return deployStatePolicy(v[0].(string), v[1].(string), v[2].(string), v[3].(string)).Render()
		}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-deploy-state", &iam.RolePolicyArgs{
		Role:   deploy.Name,
		Policy: deployState,
	}, parent); err != nil {
		return nil, err
	}
	iamJSON, err := deployIamPolicy().Render()
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-deploy-iam", &iam.RolePolicyArgs{
		Role:   deploy.Name,
		Policy: pulumi.String(iamJSON),
	}, parent); err != nil {
		return nil, err
	}

	preview, err := newGithubRole(ctx, name+"-preview", githubRoleSpec{
		description:     "Runs `pulumi preview` and drift checks from GitHub Actions of " + a.Repository + " (read-only).",
		providerArn:     providerArn,
		subjects:        previewSubjects(a.Repository, a.PreviewBranches),
		maxSession:      3600,
		managedPolicies: a.PreviewPolicyArns,
	}, parent)
	if err != nil {
		return nil, err
	}
	previewState := pulumi.All(a.StateBucketArn, a.StateKeyArn, a.SecretsKeyArn).ApplyT(func(v []any) (string, error) {
		return previewStatePolicy(v[0].(string), v[1].(string), v[2].(string)).Render()
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-preview-state", &iam.RolePolicyArgs{
		Role:   preview.Name,
		Policy: previewState,
	}, parent); err != nil {
		return nil, err
	}

	c.OidcProviderArn = providerArn
	c.DeployRoleArn = deploy.Arn
	c.PreviewRoleArn = preview.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"oidcProviderArn": c.OidcProviderArn,
		"deployRoleArn":   c.DeployRoleArn,
		"previewRoleArn":  c.PreviewRoleArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

type githubRoleSpec struct {
	description     string
	providerArn     pulumi.StringOutput
	subjects        []string
	maxSession      int
	managedPolicies []string
}

// newGithubRole creates a role trusted by the GitHub OIDC provider for the given subjects and
// attaches managed policies, one attachment per policy named after the policy.
func newGithubRole(ctx *pulumi.Context, name string, spec githubRoleSpec, parent pulumi.ResourceOption) (*iam.Role, error) {
	subjects := slices.Clone(spec.subjects)
	trust := spec.providerArn.ApplyT(func(arn string) (string, error) {
		return githubTrustPolicy(arn, subjects).Render()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:        pulumi.String(spec.description),
		AssumeRolePolicy:   trust,
		MaxSessionDuration: pulumi.Int(spec.maxSession),
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, arn := range spec.managedPolicies {
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-"+path.Base(arn), &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(arn),
		}, parent); err != nil {
			return nil, err
		}
	}
	return role, nil
}
