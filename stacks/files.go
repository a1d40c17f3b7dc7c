package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// SecretPlaceholder stands in for a `secure:` value, which cannot be decrypted without the
// stack's secrets provider. It stays marked secret, so it never reaches plain output.
const SecretPlaceholder = "[secret]"

// secretURLPlaceholder stands in for a secret URL, which the components check is a URL.
const secretURLPlaceholder = "https://secret-placeholder.invalid/"

// placeholderFor returns the stand-in for an undecryptable or unset secret key.
func placeholderFor(key string) string {
	if strings.HasSuffix(key, "Url") {
		return secretURLPlaceholder
	}
	return SecretPlaceholder
}

// StackConfig is a stack's configuration as the Pulumi CLI would hand it to the program:
// Pulumi.yaml's defaults overlaid with Pulumi.<stack>.yaml's values.
type StackConfig struct {
	Stack string
	// Values are keyed by full key ("novacron-platform:vpcCidr", "aws:region").
	Values map[string]string
	// SecretKeys are the keys whose values are `secure:` in the stack file (placeholders here).
	SecretKeys []string
}

// Get implements Source.
func (s *StackConfig) Get(key string) (string, bool) {
	v, ok := s.Values[key]
	return v, ok
}

// IsSecret implements Source.
func (s *StackConfig) IsSecret(key string) bool {
	return slices.Contains(s.SecretKeys, key)
}

// MissingSecrets lists the secret keys of the platform the stack file does not set.
func (s *StackConfig) MissingSecrets() []string {
	var missing []string
	for _, k := range SecretKeys {
		if _, ok := s.Values[Key(k)]; !ok {
			missing = append(missing, Key(k))
		}
	}
	return missing
}

// WithSecretPlaceholders returns a copy in which every missing secret is a placeholder, so an
// offline evaluation can run before the secrets are set. The program itself never does this.
func (s *StackConfig) WithSecretPlaceholders() *StackConfig {
	out := &StackConfig{Stack: s.Stack, Values: maps.Clone(s.Values), SecretKeys: slices.Clone(s.SecretKeys)}
	for _, k := range s.MissingSecrets() {
		out.Values[k] = placeholderFor(k)
		out.SecretKeys = append(out.SecretKeys, k)
	}
	sort.Strings(out.SecretKeys)
	return out
}

// ReadStackFiles reads Pulumi.yaml and Pulumi.<stack>.yaml from dir with the Pulumi SDK's own
// loaders, so the files are parsed exactly as the CLI parses them.
func ReadStackFiles(dir, stack string) (*StackConfig, error) {
	project, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, "Pulumi.yaml"), err)
	}
	if string(project.Name) != Project {
		return nil, fmt.Errorf("%s: project is %q, want %q", filepath.Join(dir, "Pulumi.yaml"), project.Name, Project)
	}
	out := &StackConfig{Stack: stack, Values: map[string]string{}}
	for key, decl := range project.Config {
		full := key
		if !hasNamespace(key) {
			full = Key(key)
		}
		value := decl.Default
		if value == nil {
			value = decl.Value
		}
		if value == nil {
			continue
		}
		text, err := configText(value)
		if err != nil {
			return nil, fmt.Errorf("default of %s in Pulumi.yaml: %w", full, err)
		}
		out.Values[full] = text
	}

	path := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("unknown stack %q: %s does not exist", stack, path)
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: "never"})
	ps, err := workspace.LoadProjectStack(sink, project, path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	for key, value := range ps.Config {
		full := key.String()
		if value.Secure() {
			out.Values[full] = placeholderFor(full)
			out.SecretKeys = append(out.SecretKeys, full)
			continue
		}
		text, err := value.Value(config.NewBlindingDecrypter())
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, full, err)
		}
		out.Values[full] = text
	}
	sort.Strings(out.SecretKeys)
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

// configText renders a YAML value the way the CLI passes it to a program: strings as they are,
// numbers and booleans as text, lists and maps as JSON.
func configText(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case int:
		return strconv.Itoa(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	default:
		b, err := json.Marshal(t)
		return string(b), err
	}
}
