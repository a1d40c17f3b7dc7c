package state

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

const (
	typeRole         = "aws:iam/role:Role"
	typeRolePolicy   = "aws:iam/rolePolicy:RolePolicy"
	typeAttachment   = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeOidcProvider = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
	typeCiRoles      = "novacron:state:CiRoles"
	ciName           = "gh"
	testRepo         = "novacron/platform"
	mockBucketArn    = "arn:aws:s3:::novacron-state-abc"
	mockKeyArn       = "arn:aws:kms:eu-west-1:111122223333:key/state"
	mockSecretsArn   = "arn:aws:kms:eu-west-1:111122223333:key/secrets"
	existingProvider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
)

func ciArgs(mut func(*CiRolesArgs)) *CiRolesArgs {
	a := &CiRolesArgs{
		Repository:     testRepo,
		StateBucketArn: pulumi.String(mockBucketArn),
		StateKeyArn:    pulumi.String(mockKeyArn),
		SecretsKeyArn:  pulumi.String(mockSecretsArn),
	}
	if mut != nil {
		mut(a)
	}
	return a
}

func TestCiRolesArgsValidate(t *testing.T) {
	tests := []struct {
		name  string
		mut   func(*CiRolesArgs)
		field string // "" means valid
		msg   string
	}{
		{name: "defaults"},
		{name: "existing provider and custom lists", mut: func(a *CiRolesArgs) {
			a.OidcProviderArn = existingProvider
			a.DeployEnvironments = []string{"prod-eu"}
			a.PreviewBranches = []string{"main", "release/1.x"}
			a.DeployPolicyArns = []string{"arn:aws:iam::111122223333:policy/platform/NovacronDeploy"}
			a.DeploySessionSeconds = 43200
		}},
		{name: "missing repository", mut: func(a *CiRolesArgs) { a.Repository = "" }, field: "repository", msg: "must not be empty"},
		{name: "repository without owner", mut: func(a *CiRolesArgs) { a.Repository = "platform" },
			field: "repository", msg: `must be "owner/name", got "platform"`},
		{name: "repository wildcard", mut: func(a *CiRolesArgs) { a.Repository = "novacron/*" }, field: "repository", msg: "owner/name"},
		{name: "foreign provider", mut: func(a *CiRolesArgs) {
			a.OidcProviderArn = "arn:aws:iam::111122223333:oidc-provider/gitlab.com"
		}, field: "oidcProviderArn", msg: "token.actions.githubusercontent.com"},
		{name: "environment wildcard", mut: func(a *CiRolesArgs) { a.DeployEnvironments = []string{"prod*"} },
			field: "deployEnvironments", msg: `got "prod*"`},
		{name: "duplicate environment", mut: func(a *CiRolesArgs) { a.DeployEnvironments = []string{"staging", "staging"} },
			field: "deployEnvironments", msg: `must not repeat "staging"`},
		{name: "branch with space", mut: func(a *CiRolesArgs) { a.PreviewBranches = []string{"my branch"} },
			field: "previewBranches", msg: "without spaces or wildcards"},
		{name: "not a policy arn", mut: func(a *CiRolesArgs) { a.DeployPolicyArns = []string{"AdministratorAccess"} },
			field: "deployPolicyArns", msg: `got "AdministratorAccess"`},
		{name: "policies sharing a name", mut: func(a *CiRolesArgs) {
			a.PreviewPolicyArns = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111122223333:policy/ReadOnlyAccess"}
		}, field: "previewPolicyArns", msg: `two policies named "ReadOnlyAccess"`},
		{name: "session too short", mut: func(a *CiRolesArgs) { a.DeploySessionSeconds = 900 },
			field: "deploySessionSeconds", msg: "must be between 3600 and 43200, got 900"},
		{name: "missing bucket", mut: func(a *CiRolesArgs) { a.StateBucketArn = nil }, field: "stateBucketArn", msg: "must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := ciArgs(tt.mut).Validate()
			if tt.field == "" {
				assert.Empty(t, problems)
				return
			}
			require.Len(t, problems, 1, "%v", problems)
			assert.Equal(t, tt.field, problems[0].Field)
			assert.Contains(t, problems[0].Message, tt.msg)
		})
	}
}

func runCiRoles(t *testing.T, args *CiRolesArgs) (*mock.Engine, map[string]string) {
	t.Helper()
	eng := mock.NewEngine(project, "test", nil)
	var caps map[string]capture
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		c, err := NewCiRoles(ctx, ciName, args)
		if err != nil {
			return err
		}
		caps = map[string]capture{
			"oidcProviderArn": captureOf(c.OidcProviderArn),
			"deployRoleArn":   captureOf(c.DeployRoleArn),
			"previewRoleArn":  captureOf(c.PreviewRoleArn),
		}
		return nil
	}))
	out := map[string]string{}
	for k, c := range caps {
		out[k] = c.get(t)
	}
	return eng, out
}

// trustOf parses a role's trust policy into the parts the tests check.
func trustOf(t *testing.T, role *mock.Resource) (federated string, subjects []string, audience string) {
	t.Helper()
	var doc struct {
		Statement []struct {
			Effect    string
			Action    []string
			Principal struct{ Federated string }
			Condition map[string]map[string]json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, role, "assumeRolePolicy")), &doc))
	require.Len(t, doc.Statement, 1)
	s := doc.Statement[0]
	assert.Equal(t, "Allow", s.Effect)
	assert.Equal(t, []string{"sts:AssumeRoleWithWebIdentity"}, s.Action)
	require.Len(t, s.Condition, 1, "only exact matches (StringEquals) are allowed in the trust policy")
	eq := s.Condition["StringEquals"]
	require.NoError(t, json.Unmarshal(eq[githubIssuer+":sub"], &subjects))
	require.NoError(t, json.Unmarshal(eq[githubIssuer+":aud"], &audience))
	return s.Principal.Federated, subjects, audience
}

func TestNewCiRolesDefaults(t *testing.T) {
	eng, out := runCiRoles(t, ciArgs(nil))
	component := mocktest.Find(t, eng, typeCiRoles, ciName)
	for _, r := range eng.Resources() {
		if r.URN != component.URN {
			assert.Equal(t, component.URN, r.Parent, "%s %q", r.Type, r.Name)
			assert.True(t, strings.HasPrefix(r.Name, ciName+"-"), "%s %q", r.Type, r.Name)
		}
	}

	provider := mocktest.Find(t, eng, typeOidcProvider, "gh-github-oidc")
	assert.Equal(t, "https://token.actions.githubusercontent.com", mocktest.Str(t, provider, "url"))
	clients := mocktest.Input(t, provider, "clientIdLists").ArrayValue()
	require.Len(t, clients, 1)
	assert.Equal(t, "sts.amazonaws.com", clients[0].StringValue())
	// The roles must trust the provider created here, whatever ARN the engine gave it.
	providerArn := out["oidcProviderArn"]
	require.NotEmpty(t, providerArn)
	assert.Equal(t, "arn:aws:iam:us-east-1:123456789012:gh-deploy", out["deployRoleArn"])
	assert.Equal(t, "arn:aws:iam:us-east-1:123456789012:gh-preview", out["previewRoleArn"])

	tests := []struct {
		role       string
		subjects   []string
		maxSession int
		attached   string
		golden     map[string]string // inline policy resource name -> golden file
	}{
		{
			role:       "gh-deploy",
			subjects:   []string{"repo:novacron/platform:environment:staging", "repo:novacron/platform:environment:production"},
			maxSession: 7200,
			attached:   "arn:aws:iam::aws:policy/PowerUserAccess",
			golden:     map[string]string{"gh-deploy-state": "deploy-state-policy.json", "gh-deploy-iam": "deploy-iam-policy.json"},
		},
		{
			role:       "gh-preview",
			subjects:   []string{"repo:novacron/platform:pull_request", "repo:novacron/platform:ref:refs/heads/main"},
			maxSession: 3600,
			attached:   "arn:aws:iam::aws:policy/ReadOnlyAccess",
			golden:     map[string]string{"gh-preview-state": "preview-state-policy.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			role := mocktest.Find(t, eng, typeRole, tt.role)
			federated, subjects, audience := trustOf(t, role)
			assert.Equal(t, providerArn, federated)
			assert.Equal(t, tt.subjects, subjects)
			assert.Equal(t, "sts.amazonaws.com", audience)
			assertGoldenJSON(t, tt.role+"-trust-policy.json", mocktest.Str(t, role, "assumeRolePolicy"))
			assert.Equal(t, tt.maxSession, num(t, role, "maxSessionDuration"))

			attachment := mocktest.Find(t, eng, typeAttachment, tt.role+"-"+tt.attached[strings.LastIndex(tt.attached, "/")+1:])
			assert.Equal(t, tt.attached, mocktest.Str(t, attachment, "policyArn"))
			assert.Equal(t, tt.role, mocktest.Str(t, attachment, "role"))

			for name, file := range tt.golden {
				pol := mocktest.Find(t, eng, typeRolePolicy, name)
				assert.Equal(t, tt.role, mocktest.Str(t, pol, "role"))
				assertGoldenJSON(t, file, mocktest.Str(t, pol, "policy"))
			}
		})
	}
}

// TestPreviewRoleCannotWrite guards the read-only promise independently of the golden file.
func TestPreviewRoleCannotWrite(t *testing.T) {
	doc, err := previewStatePolicy(mockBucketArn, mockKeyArn, mockSecretsArn).Render()
	require.NoError(t, err)
	var parsed struct{ Statement []struct{ Action []string } }
	require.NoError(t, json.Unmarshal([]byte(doc), &parsed))
	for _, s := range parsed.Statement {
		for _, action := range s.Action {
			verb := action[strings.Index(action, ":")+1:]
			assert.Regexp(t, `^(Get|List|Describe|Decrypt)`, verb, "preview role must not hold %s", action)
		}
	}
}

// TestDeployRoleGuards checks that the deploy role cannot tamper with the backend or itself.
func TestDeployRoleGuards(t *testing.T) {
	doc, err := deployStatePolicy(mockBucketArn, mockKeyArn, mockSecretsArn, "arn:aws:iam::111122223333:role/deploy").Render()
	require.NoError(t, err)
	var parsed struct {
		Statement []struct {
			Sid, Effect string
			Action      []string
			Resource    []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &parsed))
	denied := map[string][]string{}
	for _, s := range parsed.Statement {
		if s.Effect == "Deny" {
			for _, a := range s.Action {
				denied[a] = append(denied[a], s.Resource...)
			}
		}
	}
	assert.Contains(t, denied["s3:DeleteObjectVersion"], mockBucketArn+"/*", "state history must survive the deploy role")
	assert.Contains(t, denied["s3:PutBucketPolicy"], mockBucketArn)
	assert.ElementsMatch(t, []string{mockKeyArn, mockSecretsArn}, denied["kms:ScheduleKeyDeletion"])
	assert.Equal(t, []string{"arn:aws:iam::111122223333:role/deploy"}, denied["iam:UpdateAssumeRolePolicy"])
	assert.Equal(t, []string{"arn:aws:iam::111122223333:role/deploy"}, denied["iam:DeleteRolePolicy"])
}

func TestNewCiRolesExistingProviderAndCustomSubjects(t *testing.T) {
	eng, out := runCiRoles(t, ciArgs(func(a *CiRolesArgs) {
		a.OidcProviderArn = existingProvider
		a.DeployEnvironments = []string{"production"}
		a.PreviewBranches = []string{"refs/heads/develop", "main"}
		a.DeployPolicyArns = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
		a.DeploySessionSeconds = 10800
	}))
	assert.Empty(t, eng.ByType(typeOidcProvider), "an existing provider must not be created again")
	assert.Equal(t, existingProvider, out["oidcProviderArn"])

	federated, subjects, _ := trustOf(t, mocktest.Find(t, eng, typeRole, "gh-deploy"))
	assert.Equal(t, existingProvider, federated)
	assert.Equal(t, []string{"repo:novacron/platform:environment:production"}, subjects)
	assert.Equal(t, 10800, num(t, mocktest.Find(t, eng, typeRole, "gh-deploy"), "maxSessionDuration"))
	assert.NotNil(t, eng.Find(typeAttachment, "gh-deploy-AdministratorAccess"))
	assert.Nil(t, eng.Find(typeAttachment, "gh-deploy-PowerUserAccess"), "a custom list replaces the default")

	_, subjects, _ = trustOf(t, mocktest.Find(t, eng, typeRole, "gh-preview"))
	assert.Equal(t, []string{
		"repo:novacron/platform:pull_request",
		"repo:novacron/platform:ref:refs/heads/develop",
		"repo:novacron/platform:ref:refs/heads/main",
	}, subjects)
}

func TestNewCiRolesRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine(project, "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewCiRoles(ctx, "gh", ciArgs(func(a *CiRolesArgs) { a.Repository = "nope" }))
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ciRoles "gh": repository must be "owner/name", got "nope"`)
	assert.Empty(t, eng.Resources())
}
