package registry

import (
	"encoding/json"
	"flag"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/novacron/platform/internal/golden"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	nodeRole = "arn:aws:iam::123456789012:role/novacron-nodes"
	ciRole   = "arn:aws:iam::123456789012:role/novacron-ci"
	dataKey  = "arn:aws:kms:us-east-1:123456789012:key/data"
)

var planServices = []string{"api", "web", "worker", "ml-service"}

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
}

type run struct {
	eng  *mock.Engine
	urls map[string]string
}

func construct(t *testing.T, args *RepositoriesArgs) (*run, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", func(a pulumi.MockResourceArgs, out resource.PropertyMap) {
		if a.TypeToken == "aws:ecr/repository:Repository" {
			out["repositoryUrl"] = resource.NewStringProperty(
				mock.AccountID + ".dkr.ecr." + mock.Region + ".amazonaws.com/" + a.Inputs["name"].StringValue())
		}
	})
	r := &run{eng: eng}
	var mu sync.Mutex
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		repos, err := NewRepositories(ctx, "services", args)
		if err != nil {
			return err
		}
		repos.RepositoryUrls.ApplyT(func(m map[string]string) error {
			mu.Lock()
			defer mu.Unlock()
			r.urls = m
			return nil
		})
		return nil
	})
	return r, err
}

func TestDefaults(t *testing.T) {
	r, err := construct(t, &RepositoriesArgs{
		Services:    planServices,
		KmsKeyArn:   pulumi.String(dataKey),
		NodeRoleArn: pulumi.String(nodeRole),
	})
	require.NoError(t, err)

	comp := r.eng.Find("novacron:registry:Repositories", "services")
	require.NotNil(t, comp)

	repos := r.eng.ByType("aws:ecr/repository:Repository")
	require.Len(t, repos, len(planServices))
	for _, svc := range planServices {
		// Registrations are asynchronous, so look each up by name rather than by position.
		repo := r.eng.Find("aws:ecr/repository:Repository", "services-"+svc)
		require.NotNil(t, repo, "no repository for %s", svc)
		assert.Equal(t, comp.URN, repo.Parent)
		assert.Equal(t, svc, mocktest.Str(t, repo, "name"))
		assert.Equal(t, "IMMUTABLE", mocktest.Str(t, repo, "imageTagMutability"))
		scan, ok := repo.Input("imageScanningConfiguration.scanOnPush")
		require.True(t, ok)
		assert.True(t, scan.BoolValue())
		enc, ok := repo.Input("encryptionConfigurations")
		require.True(t, ok)
		require.Len(t, enc.ArrayValue(), 1)
		assert.Equal(t, "KMS", enc.ArrayValue()[0].ObjectValue()["encryptionType"].StringValue())
		assert.Equal(t, dataKey, enc.ArrayValue()[0].ObjectValue()["kmsKey"].StringValue())
		assert.False(t, repo.Protect)
		_, tagged := repo.Input("tags")
		assert.False(t, tagged, "common tags come from the provider's default tags")

		lc := r.eng.Find("aws:ecr/lifecyclePolicy:LifecyclePolicy", "services-"+svc+"-lifecycle")
		require.NotNil(t, lc)
		assert.Equal(t, comp.URN, lc.Parent)
		assert.Equal(t, svc, mocktest.Str(t, lc, "repository"))
		assertGoldenJSON(t, "lifecycle-default.json", mocktest.Str(t, lc, "policy"))

		pol := r.eng.Find("aws:ecr/repositoryPolicy:RepositoryPolicy", "services-"+svc+"-policy")
		require.NotNil(t, pol)
		assert.Equal(t, comp.URN, pol.Parent)
		assertGoldenJSON(t, "repository-policy-pull.json", mocktest.Str(t, pol, "policy"))
	}
	assert.Empty(t, r.eng.ByType("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"),
		"basic scanning needs no registry-wide configuration")
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-service", r.urls["ml-service"])
	assert.Len(t, r.urls, len(planServices))
}

func TestOverrides(t *testing.T) {
	r, err := construct(t, &RepositoriesArgs{
		Services:           []string{"api", "worker"},
		NamePrefix:         "novacron/staging/",
		KeepTaggedImages:   10,
		UntaggedExpiryDays: 3,
		KmsKeyArn:          pulumi.String(dataKey),
		NodeRoleArn:        pulumi.String(nodeRole),
		CiRoleArn:          pulumi.String(ciRole),
		EnhancedScanning:   true,
		Protect:            true,
	})
	require.NoError(t, err)

	repos := r.eng.ByType("aws:ecr/repository:Repository")
	require.Len(t, repos, 2)
	for svc, want := range map[string]string{"api": "novacron/staging/api", "worker": "novacron/staging/worker"} {
		repo := r.eng.Find("aws:ecr/repository:Repository", "services-"+svc)
		require.NotNil(t, repo)
		assert.Equal(t, want, mocktest.Str(t, repo, "name"))
		assert.True(t, repo.Protect)
		scan, ok := repo.Input("imageScanningConfiguration.scanOnPush")
		require.True(t, ok)
		assert.True(t, scan.BoolValue(), "scan on push stays on, for when the registry is on basic scanning")
	}
	lc := r.eng.Find("aws:ecr/lifecyclePolicy:LifecyclePolicy", "services-api-lifecycle")
	require.NotNil(t, lc)
	assertGoldenJSON(t, "lifecycle-override.json", mocktest.Str(t, lc, "policy"))
	pol := r.eng.Find("aws:ecr/repositoryPolicy:RepositoryPolicy", "services-worker-policy")
	require.NotNil(t, pol)
	assertGoldenJSON(t, "repository-policy-pull-push.json", mocktest.Str(t, pol, "policy"))

	scans := r.eng.ByType("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")
	require.Len(t, scans, 1)
	assert.Equal(t, "ENHANCED", mocktest.Str(t, scans[0], "scanType"))
	rules, ok := scans[0].Input("rules")
	require.True(t, ok)
	require.Len(t, rules.ArrayValue(), 1)
	rule := rules.ArrayValue()[0].ObjectValue()
	assert.Equal(t, "CONTINUOUS_SCAN", rule["scanFrequency"].StringValue())
	var filters []string
	for _, f := range rule["repositoryFilters"].ArrayValue() {
		assert.Equal(t, "WILDCARD", f.ObjectValue()["filterType"].StringValue())
		filters = append(filters, f.ObjectValue()["filter"].StringValue())
	}
	assert.Equal(t, []string{"novacron/*"}, filters, "one filter on the platform's namespace, not this stack's names")
	// The singleton configuration must keep every stack's repositories scanned, whichever stack
	// owns it, and leave repositories outside the platform alone.
	for _, repo := range []string{"novacron/staging/api", "novacron/production/api", "novacron/production/ml-service", "novacron/api"} {
		assert.True(t, matchesScanFilter(filters[0], repo), repo)
	}
	for _, repo := range []string{"other-team/api", "api", "novacron-legacy"} {
		assert.False(t, matchesScanFilter(filters[0], repo), repo)
	}
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/novacron/staging/api", r.urls["api"])
}

// matchesScanFilter applies an ECR scanning filter as the Amazon ECR User Guide describes it
// (image-scanning-filters): without a wildcard a filter matches every name that contains it;
// with one, "*" stands for zero or more characters and the whole name must match.
func matchesScanFilter(filter, repo string) bool {
	if !strings.Contains(filter, "*") {
		return strings.Contains(repo, filter)
	}
	parts := strings.Split(filter, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(repo)
}

func TestMatchesScanFilterFollowsTheUserGuide(t *testing.T) {
	// The guide's table: filters down, repository names across.
	names := []string{"prod", "repo-prod", "prod-repo", "repo-prod-repo", "prodrepo"}
	for filter, want := range map[string][]bool{
		"prod":      {true, true, true, true, true},
		"*prod":     {true, true, false, false, false},
		"prod*":     {true, false, true, false, true},
		"*prod*":    {true, true, true, true, true},
		"prod*repo": {false, false, true, false, true},
	} {
		for i, n := range names {
			assert.Equal(t, want[i], matchesScanFilter(filter, n), "%s on %s", filter, n)
		}
	}
}

func TestScanningFilter(t *testing.T) {
	for prefix, want := range map[string]string{
		"novacron/":            "novacron/*",
		"novacron/staging/":    "novacron/*",
		"novacron/production/": "novacron/*",
		"team.a/novacron/":     "team.a/*",
		"":                     "",
		"novacron-":            "",
		"/novacron/":           "",
	} {
		assert.Equal(t, want, scanningFilter(prefix), "prefix %q", prefix)
	}
}

// A stack-scoped prefix, as the stacks use so that staging and production can share an account,
// is a valid repository namespace.
func TestStackScopedPrefix(t *testing.T) {
	r, err := construct(t, &RepositoriesArgs{
		Services:    planServices,
		NamePrefix:  "novacron/staging/",
		KmsKeyArn:   pulumi.String(dataKey),
		NodeRoleArn: pulumi.String(nodeRole),
	})
	require.NoError(t, err)
	for _, svc := range planServices {
		repo := r.eng.Find("aws:ecr/repository:Repository", "services-"+svc)
		require.NotNil(t, repo)
		assert.Equal(t, "novacron/staging/"+svc, mocktest.Str(t, repo, "name"))
		assert.Equal(t, "novacron/staging/"+svc, mocktest.Str(t, r.eng.Find("aws:ecr/lifecyclePolicy:LifecyclePolicy", "services-"+svc+"-lifecycle"), "repository"))
	}
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/novacron/staging/ml-service", r.urls["ml-service"])
}

// TestLifecycleRuleSemantics checks the rendered lifecycle rules against what ECR requires, so a
// golden file regenerated by mistake cannot hide a broken policy.
func TestLifecycleRuleSemantics(t *testing.T) {
	raw, err := lifecyclePolicyDocument(7, 2)
	require.NoError(t, err)
	var doc lifecyclePolicy
	require.NoError(t, json.Unmarshal([]byte(raw), &doc))
	require.Len(t, doc.Rules, 2)
	priorities := map[int]bool{}
	for _, rule := range doc.Rules {
		assert.False(t, priorities[rule.RulePriority], "rulePriority must be unique")
		priorities[rule.RulePriority] = true
		assert.Equal(t, "expire", rule.Action.Type)
		switch rule.Selection.TagStatus {
		case "untagged":
			assert.Empty(t, rule.Selection.TagPatternList, "untagged rules must not list tags")
			assert.Equal(t, "sinceImagePushed", rule.Selection.CountType)
			assert.Equal(t, "days", rule.Selection.CountUnit)
			assert.Equal(t, 2, rule.Selection.CountNumber)
		case "tagged":
			assert.NotEmpty(t, rule.Selection.TagPatternList, "tagged rules need a tag pattern")
			assert.Equal(t, "imageCountMoreThan", rule.Selection.CountType)
			assert.Empty(t, rule.Selection.CountUnit)
			assert.Equal(t, 7, rule.Selection.CountNumber)
		default:
			t.Errorf("unexpected tagStatus %q", rule.Selection.TagStatus)
		}
	}
}

// TestForceDelete checks that a disposable stack's repositories go with their images, and that
// nothing else ever deletes images with a repository.
func TestForceDelete(t *testing.T) {
	for _, force := range []bool{false, true} {
		r, err := construct(t, &RepositoriesArgs{
			Services:    planServices,
			KmsKeyArn:   pulumi.String(dataKey),
			NodeRoleArn: pulumi.String(nodeRole),
			ForceDelete: force,
		})
		require.NoError(t, err)
		repos := r.eng.ByType("aws:ecr/repository:Repository")
		require.Len(t, repos, len(planServices))
		for _, repo := range repos {
			v, ok := repo.Input("forceDelete")
			assert.Equal(t, force, ok && v.BoolValue(), "%s: forceDelete %t", repo.Name, force)
		}
	}
}

func TestInvalidArgs(t *testing.T) {
	valid := func() *RepositoriesArgs {
		return &RepositoriesArgs{
			Services:    []string{"api"},
			KmsKeyArn:   pulumi.String(dataKey),
			NodeRoleArn: pulumi.String(nodeRole),
		}
	}
	tests := []struct {
		name   string
		mutate func(a *RepositoriesArgs)
		want   string
	}{
		{"no services", func(a *RepositoriesArgs) { a.Services = nil },
			`registry "services": services must list at least one service`},
		{"duplicate service", func(a *RepositoriesArgs) { a.Services = []string{"api", "web", "api"} },
			`registry "services": services[2] must be unique, got "api" twice`},
		{"uppercase service", func(a *RepositoriesArgs) { a.Services = []string{"Api"} },
			`registry "services": services[0] must give a valid ECR repository name (lowercase letters, digits, and . _ - / between them), got "Api"`},
		{"bad prefix", func(a *RepositoriesArgs) { a.NamePrefix = "novacron//" },
			`registry "services": services[0] must give a valid ECR repository name (lowercase letters, digits, and . _ - / between them), got "novacron//api"`},
		{"enhanced scanning without a namespace", func(a *RepositoriesArgs) { a.EnhancedScanning = true; a.NamePrefix = "novacron-" },
			`registry "services": namePrefix must start with a namespace such as "novacron/" when enhancedScanning is on ` +
				`(the registry-wide scanning rule covers "<namespace>/*"), got "novacron-"`},
		{"enhanced scanning without a prefix", func(a *RepositoriesArgs) { a.EnhancedScanning = true },
			`registry "services": namePrefix must start with a namespace such as "novacron/" when enhancedScanning is on`},
		{"empty service", func(a *RepositoriesArgs) { a.Services = []string{""} },
			`registry "services": services[0] must not be empty`},
		{"negative keep", func(a *RepositoriesArgs) { a.KeepTaggedImages = -1 },
			`registry "services": keepTaggedImages must be between 1 and 10000, got -1`},
		{"untagged too long", func(a *RepositoriesArgs) { a.UntaggedExpiryDays = 4000 },
			`registry "services": untaggedExpiryDays must be between 1 and 3650, got 4000`},
		{"no key", func(a *RepositoriesArgs) { a.KmsKeyArn = nil },
			`registry "services": kmsKeyArn must be set: repositories are encrypted with a customer-managed KMS key`},
		{"no node role", func(a *RepositoriesArgs) { a.NodeRoleArn = nil },
			`registry "services": nodeRoleArn must be set: the cluster's nodes pull through the repository policy`},
		{"force delete of protected repositories", func(a *RepositoriesArgs) { a.Protect = true; a.ForceDelete = true },
			`registry "services": forceDelete must not be set with protect: a protected repository is never deleted by the program`},
		{"several at once", func(a *RepositoriesArgs) { a.KeepTaggedImages = -2; a.NodeRoleArn = nil },
			"registry \"services\": keepTaggedImages must be between 1 and 10000, got -2\n" +
				`registry "services": nodeRoleArn must be set: the cluster's nodes pull through the repository policy`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := valid()
			tt.mutate(args)
			r, err := construct(t, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, r.eng.Resources(), "nothing may be registered when the arguments are invalid")
		})
	}
}
