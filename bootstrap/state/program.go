package state

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/programconfig"
	"github.com/novacron/platform/internal/validate"
)

// stackConfig is the bootstrap stack's configuration (keys declared in bootstrap/Pulumi.yaml).
// Zero values mean the component defaults.
type stackConfig struct {
	BucketName               string
	KeyAliasPrefix           string
	KeyDeletionWindowDays    int
	NoncurrentVersionDays    int
	NoncurrentVersionsToKeep int
	AccessLogBucket          string
	AccessLogRetentionDays   int
	// GithubRepository ("owner/name") turns on the CI roles; empty leaves them out.
	GithubRepository      string
	GithubOidcProviderArn string
	DeployEnvironments    []string
	PreviewBranches       []string
	DeployPolicyArns      []string
	PreviewPolicyArns     []string
	DeploySessionSeconds  int
}

// configKeys maps the components' field names to config keys where they differ.
var configKeys = map[string]string{
	"repository":      "githubRepository",
	"oidcProviderArn": "githubOidcProviderArn",
}

// loadConfig reads the bootstrap configuration. Type errors are collected; the returned keys are
// the ones read, in order.
func loadConfig(ctx *pulumi.Context) (stackConfig, []string, validate.Problems) {
	r := programconfig.NewReader(ctx, ctx.Project())
	c := stackConfig{
		BucketName:               r.Str("bucketName"),
		KeyAliasPrefix:           r.Str("keyAliasPrefix"),
		KeyDeletionWindowDays:    r.Int("keyDeletionWindowDays"),
		NoncurrentVersionDays:    r.Int("noncurrentVersionDays"),
		NoncurrentVersionsToKeep: r.Int("noncurrentVersionsToKeep"),
		AccessLogBucket:          r.Str("accessLogBucket"),
		AccessLogRetentionDays:   r.Int("accessLogRetentionDays"),
		GithubRepository:         r.Str("githubRepository"),
		GithubOidcProviderArn:    r.Str("githubOidcProviderArn"),
		DeployEnvironments:       r.List("deployEnvironments"),
		PreviewBranches:          r.List("previewBranches"),
		DeployPolicyArns:         r.List("deployPolicyArns"),
		PreviewPolicyArns:        r.List("previewPolicyArns"),
		DeploySessionSeconds:     r.Int("deploySessionSeconds"),
	}
	return c, r.Keys, r.Problems
}

func (c stackConfig) backendArgs(region string) *BackendArgs {
	return &BackendArgs{
		Region:                   region,
		BucketName:               c.BucketName,
		KeyAliasPrefix:           c.KeyAliasPrefix,
		KeyDeletionWindowDays:    c.KeyDeletionWindowDays,
		NoncurrentVersionDays:    c.NoncurrentVersionDays,
		NoncurrentVersionsToKeep: c.NoncurrentVersionsToKeep,
		AccessLogBucket:          c.AccessLogBucket,
		AccessLogRetentionDays:   c.AccessLogRetentionDays,
	}
}

func (c stackConfig) ciArgs(bucketArn, stateKeyArn, secretsKeyArn pulumi.StringInput) *CiRolesArgs {
	return &CiRolesArgs{
		Repository:           c.GithubRepository,
		OidcProviderArn:      c.GithubOidcProviderArn,
		DeployEnvironments:   c.DeployEnvironments,
		PreviewBranches:      c.PreviewBranches,
		DeployPolicyArns:     c.DeployPolicyArns,
		PreviewPolicyArns:    c.PreviewPolicyArns,
		DeploySessionSeconds: c.DeploySessionSeconds,
		StateBucketArn:       bucketArn,
		StateKeyArn:          stateKeyArn,
		SecretsKeyArn:        secretsKeyArn,
	}
}

// Program is the bootstrap Pulumi program: the state backend and, when a GitHub repository is
// configured, the CI roles. It validates all configuration before registering anything.
func Program(ctx *pulumi.Context) error {
	cfg, _, problems := loadConfig(ctx)
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: looking up the AWS region (set aws:region): %w", ctx.Stack(), err)
	}
	problems = append(problems, cfg.backendArgs(region.Name).Validate()...)
	if cfg.GithubRepository != "" {
		// The backend's ARNs are only wired below; placeholders let the configuration be checked
		// before anything is registered.
		pending := pulumi.String("pending")
		problems = append(problems, cfg.ciArgs(pending, pending, pending).Validate()...)
	}
	if err := programconfig.Err(ctx.Stack(), ctx.Project(), problems, configKeys); err != nil {
		return err
	}

	backend, err := NewBackend(ctx, "novacron-state", cfg.backendArgs(region.Name))
	if err != nil {
		return err
	}
	ctx.Export("loginUrl", backend.LoginURL)
	ctx.Export("secretsProvider", backend.SecretsProvider)
	ctx.Export("stateBucketName", backend.BucketName)
	ctx.Export("stateKeyArn", backend.StateKeyArn)
	ctx.Export("secretsKeyArn", backend.SecretsKeyArn)
	ctx.Export("accessLogBucketName", backend.AccessLogBucketName)

	if cfg.GithubRepository == "" {
		return nil
	}
	ci, err := NewCiRoles(ctx, "github-ci", cfg.ciArgs(backend.BucketArn, backend.StateKeyArn, backend.SecretsKeyArn))
	if err != nil {
		return err
	}
	ctx.Export("githubOidcProviderArn", ci.OidcProviderArn)
	ctx.Export("ciDeployRoleArn", ci.DeployRoleArn)
	ctx.Export("ciPreviewRoleArn", ci.PreviewRoleArn)
	return nil
}
