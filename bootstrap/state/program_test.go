package state

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
	"github.com/novacron/platform/internal/programconfig/programconfigtest"
)

// readConfig reads cfg with the program's config reader, as a stack would.
func readConfig(t *testing.T, cfg map[string]string) (stackConfig, []string) {
	t.Helper()
	return programconfigtest.Read(t, project, cfg, loadConfig)
}

func TestPulumiYamlDeclaresEveryKeyTheProgramReads(t *testing.T) {
	proj := programconfigtest.LoadProject(t, "../Pulumi.yaml", project)
	_, read := readConfig(t, nil)
	sort.Strings(read)
	assert.Equal(t, programconfigtest.Keys(proj), read)
	for _, key := range programconfigtest.Keys(proj) {
		decl := proj.Config[key]
		assert.NotNil(t, decl.Type, "%s: type", key)
		assert.NotEmpty(t, decl.Description, "%s: description", key)
		assert.NotNil(t, decl.Default, "%s: default", key)
	}
}

// TestPulumiYamlDefaultsMatchTheComponents proves that a stack with no overrides (the CLI passes
// the declared defaults) builds exactly what the components build when left at their zero
// values, so the two lists of defaults cannot drift apart.
func TestPulumiYamlDefaultsMatchTheComponents(t *testing.T) {
	proj := programconfigtest.LoadProject(t, "../Pulumi.yaml", project)
	fromYaml, _ := readConfig(t, programconfigtest.Defaults(t, proj))
	fromZero, _ := readConfig(t, nil)

	assert.Equal(t, fromZero.backendArgs(testRegion).withDefaults(), fromYaml.backendArgs(testRegion).withDefaults())
	assert.Equal(t, fromZero.ciArgs(nil, nil, nil).withDefaults(), fromYaml.ciArgs(nil, nil, nil).withDefaults())
	// And the declared defaults are the values, not zero values the components would replace.
	assert.Equal(t, DefaultKeyDeletionWindowDays, fromYaml.KeyDeletionWindowDays)
	assert.Equal(t, DefaultDeployEnvironments, fromYaml.DeployEnvironments)
}

func TestProgramReportsEveryConfigProblemBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine(project, "bootstrap", nil)
	err := eng.Run(map[string]string{
		project + ":keyDeletionWindowDays":  "3",
		project + ":noncurrentVersionDays":  "ninety",
		project + ":githubRepository":       "platform",
		project + ":deployEnvironments":     `["prod*"]`,
		project + ":previewBranches":        "main",
		project + ":deploySessionSeconds":   "60",
		project + ":accessLogRetentionDays": "365",
	}, nil, Program)
	require.Error(t, err)
	for _, want := range []string{
		"bootstrap: novacron-bootstrap:keyDeletionWindowDays must be between 7 and 30, got 3",
		`bootstrap: novacron-bootstrap:noncurrentVersionDays must be an integer, got "ninety"`,
		`bootstrap: novacron-bootstrap:githubRepository must be "owner/name", got "platform"`,
		`bootstrap: novacron-bootstrap:deployEnvironments entries must be names without spaces or wildcards, got "prod*"`,
		"bootstrap: novacron-bootstrap:previewBranches must be a list of strings, got main",
		"bootstrap: novacron-bootstrap:deploySessionSeconds must be between 3600 and 43200, got 60",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "accessLogRetentionDays")
	assert.Empty(t, eng.Resources(), "nothing may be registered when the configuration is invalid")
}

func TestProgram(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		roles  int
	}{
		{name: "backend only", config: nil, roles: 0},
		{name: "with CI roles", config: map[string]string{project + ":githubRepository": testRepo}, roles: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := mock.NewEngine(project, "bootstrap", nil)
			require.NoError(t, eng.Run(tt.config, nil, Program))
			mocktest.Find(t, eng, typeBackend, "novacron-state")
			assert.Len(t, eng.ByType(typeBucket), 2)
			assert.Len(t, eng.ByType(typeRole), tt.roles)
			if tt.roles == 0 {
				assert.Empty(t, eng.ByType(typeCiRoles))
				assert.Empty(t, eng.ByType(typeOidcProvider))
				return
			}
			// The CI roles use the backend created in the same run.
			pol := mocktest.Find(t, eng, typeRolePolicy, "github-ci-preview-state")
			var doc struct{ Statement []struct{ Resource []string } }
			require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, pol, "policy")), &doc))
			assert.Equal(t, []string{"arn:aws:s3:us-east-1:123456789012:novacron-state-bucket"}, doc.Statement[0].Resource)
			assert.Contains(t, doc.Statement[2].Resource, "arn:aws:kms:us-east-1:123456789012:novacron-state-secrets-key")
		})
	}
}
