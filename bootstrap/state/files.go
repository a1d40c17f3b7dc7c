package state

import (
	"fmt"

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
	files, err := configtext.ReadProjectFiles(dir, stack, Project, func(k configtext.StackKey) (bool, error) {
		if k.Value.Secure() {
			return false, fmt.Errorf("%s: %s is encrypted and cannot be read offline", k.File, k.Key)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &StackConfig{Values: files.Values, FromStackFile: files.FromStackFile}, nil
}
