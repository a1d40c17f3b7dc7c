package state

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/novacron/platform/internal/configtext"
)

// Project is the bootstrap program's Pulumi project name (bootstrap/Pulumi.yaml).
const Project = "novacron-bootstrap"

// StackConfig is a bootstrap stack's configuration as the CLI hands it to the program, read
// without the CLI (for offline evaluation).
type StackConfig struct {
	// Values maps full keys ("novacron-bootstrap:bucketName", "aws:defaultTags") to the text the
	// CLI passes: strings as they are, other values as JSON.
	Values map[string]string
	// FromStackFile says whether Pulumi.<stack>.yaml exists; without it the values are
	// Pulumi.yaml's declarations, as for a stack just created with `pulumi stack init`.
	FromStackFile bool
}

// ReadStackConfig reads dir/Pulumi.yaml (which must be the bootstrap project) and, when it exists,
// dir/Pulumi.<stack>.yaml. The bootstrap declares no secret keys; an encrypted value in the stack
// file is an error, since it cannot be read offline.
func ReadStackConfig(dir, stack string) (*StackConfig, error) {
	path := filepath.Join(dir, "Pulumi.yaml")
	proj, err := workspace.LoadProject(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if proj.Name.String() != Project {
		return nil, fmt.Errorf("%s: project is %q, want %q", path, proj.Name, Project)
	}
	out := &StackConfig{Values: map[string]string{}}
	for key, decl := range proj.Config {
		value := decl.Default
		if value == nil {
			value = decl.Value
		}
		if value == nil {
			continue
		}
		full := key
		if !hasNamespace(key) {
			full = Project + ":" + key
		}
		text, err := configtext.Text(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, full, err)
		}
		out.Values[full] = text
	}

	stackPath := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(stackPath); errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: "never"})
	ps, err := workspace.LoadProjectStack(sink, proj, stackPath)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", stackPath, err)
	}
	out.FromStackFile = true
	for key, value := range ps.Config {
		if value.Secure() {
			return nil, fmt.Errorf("%s: %s is encrypted and cannot be read offline", stackPath, key)
		}
		text, err := value.Value(config.NewBlindingDecrypter())
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", stackPath, key, err)
		}
		out.Values[key.String()] = text
	}
	return out, nil
}

func hasNamespace(key string) bool {
	for _, c := range key {
		if c == ':' {
			return true
		}
	}
	return false
}
