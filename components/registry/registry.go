package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Defaults for RepositoriesArgs.
const (
	DefaultKeepTaggedImages   = 30
	DefaultUntaggedExpiryDays = 14
)

// repositoryNamePattern is the repository name grammar of the ECR CreateRepository API
// (Amazon ECR API Reference, CreateRepository, repositoryName): lowercase components separated
// by ".", "_" or "-", optionally grouped into namespaces with "/".
var repositoryNamePattern = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// RepositoriesArgs configures the service repositories.
type RepositoriesArgs struct {
	// Services are the services that get a repository each (for example api, web, worker,
	// ml-service). Required, at least one, unique.
	Services []string
	// NamePrefix is put before every service to form the repository name, for example
	// "novacron/" gives "novacron/api". Default: "" (repositories are named after the services).
	NamePrefix string
	// KeepTaggedImages is how many tagged images each repository keeps; older ones expire.
	// Default: 30.
	KeepTaggedImages int
	// UntaggedExpiryDays is how many days after push an untagged image expires. Default: 14.
	UntaggedExpiryDays int
	// KmsKeyArn is the customer-managed KMS key that encrypts the repositories. Required: ECR's
	// AES256 default is not accepted.
	KmsKeyArn pulumi.StringInput
	// NodeRoleArn is the IAM role of the cluster's nodes, allowed to pull. Required.
	NodeRoleArn pulumi.StringInput
	// CiRoleArn is the IAM role of continuous integration, allowed to push. Default: none (no one
	// may push through the repository policy).
	CiRoleArn pulumi.StringInput
	// EnhancedScanning switches the registry to Amazon Inspector continuous scanning for every
	// repository under NamePrefix's first path segment (filter "<segment>/*", so the
	// repositories of all stacks sharing the account are covered) instead of basic scan on push.
	// Needs a NamePrefix that starts with a namespace, such as "novacron/" or
	// "novacron/production/". Registry-wide: turn it on in one stack per account and region.
	// Default: false.
	EnhancedScanning bool
	// Protect marks the repositories protected, so that deleting them needs an explicit
	// unprotect. Default: false.
	Protect bool
	// ForceDelete deletes a repository together with its images, so that a disposable stack can
	// be destroyed and created again: ECR refuses to delete a repository that still holds images
	// unless forced (Amazon ECR API Reference, DeleteRepository, force). Not with Protect.
	// Default: false.
	ForceDelete bool
}

// Repositories is the set of service repositories.
type Repositories struct {
	pulumi.ResourceState

	// RepositoryUrls maps each service to its repository URL (registry host/name).
	RepositoryUrls pulumi.StringMapOutput
	// RepositoryArns maps each service to its repository ARN.
	RepositoryArns pulumi.StringMapOutput
}

// Validate reports every problem with the arguments; fields are named as in config.
func (a *RepositoriesArgs) Validate() validate.Problems {
	var p validate.Problems
	if len(a.Services) == 0 {
		p.Addf("services", "must list at least one service")
	}
	seen := map[string]bool{}
	for i, svc := range a.Services {
		field := fmt.Sprintf("services[%d]", i)
		full := a.NamePrefix + svc
		switch {
		case svc == "":
			p.Addf(field, "must not be empty")
		case seen[svc]:
			p.Addf(field, "must be unique, got %q twice", svc)
		case len(full) < 2 || len(full) > 256:
			p.Addf(field, "must give a repository name of 2 to 256 characters, got %q (%d)", full, len(full))
		case !repositoryNamePattern.MatchString(full):
			p.Addf(field, "must give a valid ECR repository name (lowercase letters, digits, and . _ - / between them), got %q", full)
		}
		seen[svc] = true
	}
	if a.EnhancedScanning && scanningFilter(a.NamePrefix) == "" {
		p.Addf("namePrefix", "must start with a namespace such as \"novacron/\" when enhancedScanning is on "+
			"(the registry-wide scanning rule covers \"<namespace>/*\"), got %q", a.NamePrefix)
	}
	d := a.withDefaults()
	p.IntRange("keepTaggedImages", d.KeepTaggedImages, 1, 10000)
	p.IntRange("untaggedExpiryDays", d.UntaggedExpiryDays, 1, 3650)
	if a.KmsKeyArn == nil {
		p.Addf("kmsKeyArn", "must be set: repositories are encrypted with a customer-managed KMS key")
	}
	if a.NodeRoleArn == nil {
		p.Addf("nodeRoleArn", "must be set: the cluster's nodes pull through the repository policy")
	}
	if a.ForceDelete && a.Protect {
		p.Addf("forceDelete", "must not be set with protect: a protected repository is never deleted by the program")
	}
	return p
}

func (a RepositoriesArgs) withDefaults() RepositoriesArgs {
	if a.KeepTaggedImages == 0 {
		a.KeepTaggedImages = DefaultKeepTaggedImages
	}
	if a.UntaggedExpiryDays == 0 {
		a.UntaggedExpiryDays = DefaultUntaggedExpiryDays
	}
	return a
}

// NewRepositories creates one repository per service with its lifecycle and repository policies.
func NewRepositories(ctx *pulumi.Context, name string, args *RepositoriesArgs, opts ...pulumi.ResourceOption) (*Repositories, error) {
	if args == nil {
		args = &RepositoriesArgs{}
	}
	if err := args.Validate().Err("registry", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()

	lifecycle, err := lifecyclePolicyDocument(a.KeepTaggedImages, a.UntaggedExpiryDays)
	if err != nil {
		return nil, err
	}

	r := &Repositories{}
	if err := ctx.RegisterComponentResource("novacron:registry:Repositories", name, r, opts...); err != nil {
		return nil, err
	}

	policy := repositoryPolicy(a.NodeRoleArn, a.CiRoleArn)
	urls, arns := pulumi.StringMap{}, pulumi.StringMap{}
	for _, svc := range a.Services {
		child := name + "-" + svc
		repoName := a.NamePrefix + svc

		repoOpts := []pulumi.ResourceOption{pulumi.Parent(r)}
		if a.Protect {
			repoOpts = append(repoOpts, pulumi.Protect(true))
		}
		repoArgs := &ecr.RepositoryArgs{
			Name:               pulumi.String(repoName),
			ImageTagMutability: pulumi.String("IMMUTABLE"),
			ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
				ScanOnPush: pulumi.Bool(true),
			},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
				&ecr.RepositoryEncryptionConfigurationArgs{
					EncryptionType: pulumi.String("KMS"),
					KmsKey:         a.KmsKeyArn,
				},
			},
		}
		if a.ForceDelete {
			repoArgs.ForceDelete = pulumi.Bool(true)
		}
		repo, err := ecr.NewRepository(ctx, child, repoArgs, repoOpts...)
		if err != nil {
			return nil, err
		}
		if _, err := ecr.NewLifecyclePolicy(ctx, child+"-lifecycle", &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(lifecycle),
		}, pulumi.Parent(r)); err != nil {
			return nil, err
		}
		if _, err := ecr.NewRepositoryPolicy(ctx, child+"-policy", &ecr.RepositoryPolicyArgs{
			Repository: repo.Name,
			Policy:     policy,
		}, pulumi.Parent(r)); err != nil {
			return nil, err
		}
		urls[svc] = repo.RepositoryUrl
		arns[svc] = repo.Arn
	}

	if a.EnhancedScanning {
		// The scanning configuration is one per account and region, and under ENHANCED a
		// repository that matches no filter is not scanned at all ("Any repositories not
		// matching an enhanced scanning filter will have scanning disabled", Amazon ECR User
		// Guide, image-scanning-filters). Naming only this stack's repositories would switch
		// scanning off for every other stack in the account, so the rule covers the platform's
		// namespace: "novacron/*" matches novacron/staging/api and novacron/production/api alike
		// (a wildcard stands for zero or more characters, "/" included). Repositories outside
		// the namespace keep no scanning, and Inspector bills only for ours.
		if _, err := ecr.NewRegistryScanningConfiguration(ctx, name+"-scanning", &ecr.RegistryScanningConfigurationArgs{
			ScanType: pulumi.String("ENHANCED"),
			Rules: ecr.RegistryScanningConfigurationRuleArray{
				&ecr.RegistryScanningConfigurationRuleArgs{
					ScanFrequency: pulumi.String("CONTINUOUS_SCAN"),
					RepositoryFilters: ecr.RegistryScanningConfigurationRuleRepositoryFilterArray{
						&ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs{
							Filter:     pulumi.String(scanningFilter(a.NamePrefix)),
							FilterType: pulumi.String("WILDCARD"),
						},
					},
				},
			},
		}, pulumi.Parent(r)); err != nil {
			return nil, err
		}
	}

	r.RepositoryUrls = urls.ToStringMapOutput()
	r.RepositoryArns = arns.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"repositoryUrls": r.RepositoryUrls,
		"repositoryArns": r.RepositoryArns,
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// scanningFilter is the enhanced scanning filter that covers every repository of the platform:
// the first path segment of prefix followed by "/*" ("novacron/staging/" gives "novacron/*").
// It is "" when prefix has no namespace, so there is no root common to all stacks.
func scanningFilter(prefix string) string {
	root, _, ok := strings.Cut(prefix, "/")
	if !ok || root == "" {
		return ""
	}
	return root + "/*"
}

// repositoryPolicy renders the repository policy once the role ARNs are known.
func repositoryPolicy(nodeRoleArn, ciRoleArn pulumi.StringInput) pulumi.StringOutput {
	if ciRoleArn == nil {
		return nodeRoleArn.ToStringOutput().ApplyT(func(node string) (string, error) {
			return repositoryPolicyDocument(node, "")
		}).(pulumi.StringOutput)
	}
	return pulumi.All(nodeRoleArn, ciRoleArn).ApplyT(func(v []any) (string, error) {
		return repositoryPolicyDocument(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
}
