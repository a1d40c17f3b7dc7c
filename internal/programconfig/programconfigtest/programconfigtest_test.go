package programconfigtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/programconfig"
	"github.com/novacron/platform/internal/validate"
)

const testProject = `name: demo
runtime: go
config:
  aws:defaultTags:
    value:
      tags:
        Team: platform
  size:
    type: integer
    default: 3
  zones:
    type: array
    items:
      type: string
    default: [a, b]
  demo:name:
    type: string
    default: web
  token:
    type: string
    secret: true
`

func TestProjectKeysAndDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Pulumi.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testProject), 0o600))
	proj := LoadProject(t, path, "demo")

	assert.Equal(t, []string{"name", "size", "token", "zones"}, Keys(proj))
	assert.Equal(t, map[string]string{"demo:size": "3", "demo:zones": `["a","b"]`, "demo:name": "web"}, Defaults(t, proj))
}

func TestRead(t *testing.T) {
	load := func(ctx *pulumi.Context) (int, []string, validate.Problems) {
		r := programconfig.NewReader(ctx, "demo")
		return r.Int("size"), r.Keys, r.Problems
	}
	got, keys := Read(t, "demo", map[string]string{"demo:size": "5"}, load)
	assert.Equal(t, 5, got)
	assert.Equal(t, []string{"size"}, keys)
}
