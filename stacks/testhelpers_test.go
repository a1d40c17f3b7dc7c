package stacks

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// runStack runs the real program for a stack of the repository under the mock engine.
func runStack(t *testing.T, stack string) *mock.Engine {
	t.Helper()
	cfg, err := ReadStackFiles("..", stack)
	require.NoError(t, err)
	eng := mock.NewEngine(Project, stack, nil)
	require.NoError(t, eng.Run(cfg.Values, cfg.SecretKeys, Run))
	return eng
}

// runWith runs the program with the repository's stack config changed by edit.
func runWith(t *testing.T, stack string, edit map[string]string) (*mock.Engine, error) {
	t.Helper()
	cfg, err := ReadStackFiles("..", stack)
	require.NoError(t, err)
	for k, v := range edit {
		cfg.Values[Key(k)] = v
	}
	eng := mock.NewEngine(Project, stack, nil)
	return eng, eng.Run(cfg.Values, cfg.SecretKeys, func(ctx *pulumi.Context) error { return Run(ctx) })
}
