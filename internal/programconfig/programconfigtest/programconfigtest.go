// Package programconfigtest holds what the tests of the bootstrap and account programs use to
// hold a program's config reader against its Pulumi.yaml: the keys it declares, its declared
// defaults as the CLI would pass them, and what the program reads from a configuration.
package programconfigtest

import (
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/configtext"
	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/validate"
)

// LoadProject reads a Pulumi.yaml with the CLI's own loader, which also validates it, and
// requires it to be the named project.
func LoadProject(t testing.TB, path, name string) *workspace.Project {
	t.Helper()
	proj, err := workspace.LoadProject(path)
	require.NoError(t, err)
	require.Equal(t, name, proj.Name.String())
	return proj
}

// ownKeys maps the project's own config keys, without the project prefix, to the key as
// Pulumi.yaml writes it; provider settings such as aws:defaultTags are left out.
func ownKeys(proj *workspace.Project) map[string]string {
	prefix := proj.Name.String() + ":"
	out := map[string]string{}
	for key := range proj.Config {
		if strings.Contains(key, ":") && !strings.HasPrefix(key, prefix) {
			continue
		}
		out[strings.TrimPrefix(key, prefix)] = key
	}
	return out
}

// Keys returns the project's own config keys (without the project prefix), sorted.
func Keys(proj *workspace.Project) []string {
	var keys []string
	for key := range ownKeys(proj) {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// Defaults renders the project's declared defaults the way the CLI hands config to a program,
// by full key; keys without a default (secrets) are left unset.
func Defaults(t testing.TB, proj *workspace.Project) map[string]string {
	t.Helper()
	out := map[string]string{}
	for key, written := range ownKeys(proj) {
		def := proj.Config[written].Default
		if def == nil {
			continue
		}
		text, err := configtext.Text(def)
		require.NoError(t, err)
		out[proj.Name.String()+":"+key] = text
	}
	return out
}

// Read runs load over cfg under the mock engine, as the program would run it in a stack of
// project, and returns what it read and the keys it read; a problem fails the test.
func Read[C any](t testing.TB, project string, cfg map[string]string,
	load func(*pulumi.Context) (C, []string, validate.Problems),
) (C, []string) {
	t.Helper()
	var got C
	var keys []string
	require.NoError(t, mock.NewEngine(project, "test", nil).Run(cfg, nil, func(ctx *pulumi.Context) error {
		var problems validate.Problems
		got, keys, problems = load(ctx)
		return problems.Err("config", ctx.Stack())
	}))
	return got, keys
}
