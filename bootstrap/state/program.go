package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

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

// reader reads typed values from the project's config namespace, collecting every problem and
// recording which keys were read (a test checks them against Pulumi.yaml).
type reader struct {
	ctx      *pulumi.Context
	problems validate.Problems
	keys     []string
}

func (r *reader) str(key string) string {
	r.keys = append(r.keys, key)
	// Context.GetConfig rather than the pulumi/config package, which would pull in a module
	// this repository does not require.
	v, _ := r.ctx.GetConfig(r.ctx.Project() + ":" + key)
	return v
}

func (r *reader) integer(key string) int {
	raw := r.str(key)
	if raw == "" {
		return 0
	}
	v, err := strconv.Atoi(raw)
	if err != nil {
		r.problems.Addf(key, "must be an integer, got %q", raw)
	}
	return v
}

func (r *reader) list(key string) []string {
	raw := r.str(key)
	if raw == "" {
		return nil
	}
	var v []string
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		r.problems.Addf(key, "must be a list of strings, got %s", raw)
	}
	return v
}

// loadConfig reads the bootstrap configuration. Type errors are collected; the returned keys are
// the ones read, in order.
func loadConfig(ctx *pulumi.Context) (stackConfig, []string, validate.Problems) {
	r := &reader{ctx: ctx}
	c := stackConfig{
		BucketName:               r.str("bucketName"),
		KeyAliasPrefix:           r.str("keyAliasPrefix"),
		KeyDeletionWindowDays:    r.integer("keyDeletionWindowDays"),
		NoncurrentVersionDays:    r.integer("noncurrentVersionDays"),
		NoncurrentVersionsToKeep: r.integer("noncurrentVersionsToKeep"),
		AccessLogBucket:          r.str("accessLogBucket"),
		AccessLogRetentionDays:   r.integer("accessLogRetentionDays"),
		GithubRepository:         r.str("githubRepository"),
		GithubOidcProviderArn:    r.str("githubOidcProviderArn"),
		DeployEnvironments:       r.list("deployEnvironments"),
		PreviewBranches:          r.list("previewBranches"),
		DeployPolicyArns:         r.list("deployPolicyArns"),
		PreviewPolicyArns:        r.list("previewPolicyArns"),
		DeploySessionSeconds:     r.integer("deploySessionSeconds"),
	}
	return c, r.keys, r.problems
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

// configError renders problems as "<stack>: <project>:<key> <message>", one per line, mapping
// component fields to config keys. The region is the AWS provider's, so it keeps aws:region.
func configError(ctx *pulumi.Context, problems validate.Problems) error {
	if len(problems) == 0 {
		return nil
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		key := ctx.Project() + ":" + p.Field
		if k, ok := configKeys[p.Field]; ok {
			key = ctx.Project() + ":" + k
		}
		if p.Field == "region" {
			key = "aws:region"
		}
		lines[i] = fmt.Sprintf("%s: %s %s", ctx.Stack(), key, p.Message)
	}
	return errors.New(strings.Join(lines, "\n"))
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
	if err := configError(ctx, problems); err != nil {
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
