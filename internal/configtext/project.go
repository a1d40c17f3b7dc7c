package configtext

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// ProjectFiles is a project's configuration read from Pulumi.yaml and Pulumi.<stack>.yaml, as
// the CLI would hand it to the program. The platform reads its own files with the stricter
// stacks.ReadStackFiles; this reader serves the smaller projects (bootstrap, account).
type ProjectFiles struct {
	// Values maps full keys ("novacron-account:trailName", "aws:defaultTags") to the text the
	// CLI passes: Pulumi.yaml's declared values, overlaid with the stack file's plain values.
	Values map[string]string
	// FromStackFile says whether Pulumi.<stack>.yaml exists; without it the values are
	// Pulumi.yaml's declarations, as for a stack just created with `pulumi stack init`.
	FromStackFile bool
}

// StackKey is one key of a stack file, handed to the project's check before its value is read.
type StackKey struct {
	// File is the stack file's path, for messages.
	File string
	// Key is the full key ("novacron-account:trailName").
	Key string
	// Own says whether the key is in the project's namespace; Declared, whether Pulumi.yaml
	// declares it there.
	Own, Declared bool
	Value         config.Value
}

// StackCheck judges a stack file's key: an error refuses the file, skip leaves the key out of
// the values (an encrypted value the project stands in for itself).
type StackCheck func(k StackKey) (skip bool, err error)

// ReadProjectFiles reads dir/Pulumi.yaml, which must be the named project, and, when it exists,
// dir/Pulumi.<stack>.yaml. check sees every key of the stack file first; an encrypted value it
// does not skip is read blinded, which is no value at all, so a check should refuse or skip one.
func ReadProjectFiles(dir, stack, project string, check StackCheck) (*ProjectFiles, error) {
	path := filepath.Join(dir, "Pulumi.yaml")
	proj, err := workspace.LoadProject(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if proj.Name.String() != project {
		return nil, fmt.Errorf("%s: project is %q, want %q", path, proj.Name, project)
	}
	out := &ProjectFiles{Values: map[string]string{}}
	for key, decl := range proj.Config {
		value := decl.Default
		if value == nil {
			value = decl.Value
		}
		if value == nil {
			continue
		}
		full := key
		if !strings.Contains(key, ":") {
			full = project + ":" + key
		}
		text, err := Text(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, full, err)
		}
		out.Values[full] = text
	}

	stackPath := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(stackPath); errors.Is(err, os.ErrNotExist) {
		return out, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading %s: %w", stackPath, err)
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: "never"})
	ps, err := workspace.LoadProjectStack(sink, proj, stackPath)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", stackPath, err)
	}
	out.FromStackFile = true
	for key, value := range ps.Config {
		full := key.String()
		k := StackKey{File: stackPath, Key: full, Value: value}
		if name, own := strings.CutPrefix(full, project+":"); own {
			_, k.Declared = proj.Config[name]
			k.Own = true
		}
		skip, err := check(k)
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		text, err := value.Value(config.NewBlindingDecrypter())
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", stackPath, full, err)
		}
		out.Values[full] = text
	}
	return out, nil
}
