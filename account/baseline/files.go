package baseline

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/novacron/platform/internal/configtext"
)

// SecretPlaceholders stand in for secret values that cannot be read offline (encrypted in the
// stack file, or not set yet): values of the right shape, so the program's checks pass and an
// evaluation shows what the stack creates. They stay marked secret.
var SecretPlaceholders = map[string]string{
	"alertEndpoint": "https://secret-placeholder.invalid/",
}

// StackConfig is an account stack's configuration as the CLI hands it to the program, read
// without the CLI (for offline evaluation by preflight).
type StackConfig struct {
	// Values maps full keys ("novacron-account:trailName", "aws:defaultTags") to the text the
	// CLI passes: strings as they are, other values as JSON.
	Values map[string]string
	// SecretKeys are the full keys whose values are secret; pass them to the engine with the
	// values so the program sees them as the CLI would.
	SecretKeys []string
	// Placeholders are the secret keys whose values are SecretPlaceholders: encrypted in the
	// stack file or not set at all.
	Placeholders []string
	// FromStackFile says whether Pulumi.<stack>.yaml exists; without it the values are
	// Pulumi.yaml's declarations, as for a stack just created with `pulumi stack init`.
	FromStackFile bool
}

// ReadStackConfig reads dir/Pulumi.yaml (which must be the account project) and, when it exists,
// dir/Pulumi.<stack>.yaml. Secret values cannot be decrypted offline: each secret key, set or
// not, gets its placeholder and is listed in Placeholders.
func ReadStackConfig(dir, stack string) (*StackConfig, error) {
	files, err := configtext.ReadProjectFiles(dir, stack, Project, func(k configtext.StackKey) (bool, error) {
		if k.Own && !k.Declared {
			// The CLI passes it, but the program never reads it: a typo or a key from another
			// project.
			return false, fmt.Errorf("%s: %s is not declared in Pulumi.yaml, so the program would never read it", k.File, k.Key)
		}
		if !k.Value.Secure() {
			return false, nil
		}
		if _, ok := SecretPlaceholders[strings.TrimPrefix(k.Key, Project+":")]; !ok {
			return false, fmt.Errorf("%s: %s is encrypted, and it is not a secret key of the project (%v)", k.File, k.Key, SecretKeys)
		}
		return true, nil // the placeholder below
	})
	if err != nil {
		return nil, err
	}
	out := &StackConfig{Values: files.Values, FromStackFile: files.FromStackFile}
	for _, k := range SecretKeys {
		full := Project + ":" + k
		if _, plain := out.Values[full]; plain {
			// A secret written in plain text stays plain, so the program refuses it and says so.
			continue
		}
		out.Values[full] = SecretPlaceholders[k]
		out.SecretKeys = append(out.SecretKeys, full)
		out.Placeholders = append(out.Placeholders, full)
	}
	sort.Strings(out.SecretKeys)
	sort.Strings(out.Placeholders)
	return out, nil
}

// IsPlaceholder reports whether a key's value is a stand-in for a secret.
func (s *StackConfig) IsPlaceholder(key string) bool { return slices.Contains(s.Placeholders, key) }
