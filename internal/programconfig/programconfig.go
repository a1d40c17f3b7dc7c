// Package programconfig reads a Pulumi program's typed configuration from its project's config
// namespace, for the projects beside the platform (bootstrap, account): every problem is
// collected rather than the first returned, and the keys read are recorded so tests can hold
// them against Pulumi.yaml.
package programconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Reader reads typed values from one config namespace. An unset key reads as the zero value,
// which the components take as their default.
type Reader struct {
	ctx       *pulumi.Context
	namespace string
	// Problems are the values that do not parse, by key.
	Problems validate.Problems
	// Keys are the keys read, in order.
	Keys []string
}

// NewReader reads the keys of namespace (the project's name) from ctx.
func NewReader(ctx *pulumi.Context, namespace string) *Reader {
	return &Reader{ctx: ctx, namespace: namespace}
}

// Str reads a key as the CLI passes it.
func (r *Reader) Str(key string) string {
	r.Keys = append(r.Keys, key)
	// Context.GetConfig rather than the pulumi/config package, which would pull in a module
	// this repository does not require.
	v, _ := r.ctx.GetConfig(r.namespace + ":" + key)
	return v
}

// Int reads an integer key.
func (r *Reader) Int(key string) int {
	raw := r.Str(key)
	if raw == "" {
		return 0
	}
	v, err := strconv.Atoi(raw)
	if err != nil {
		r.Problems.Addf(key, "must be an integer, got %q", raw)
	}
	return v
}

// Bool reads a boolean key, spelled true or false as YAML writes it.
func (r *Reader) Bool(key string) bool {
	raw := r.Str(key)
	if raw == "" {
		return false
	}
	v, err := strconv.ParseBool(raw)
	if err != nil || (raw != "true" && raw != "false") {
		r.Problems.Addf(key, "must be true or false, got %q", raw)
	}
	return v
}

// List reads a list of strings, which the CLI passes as JSON.
func (r *Reader) List(key string) []string {
	raw := r.Str(key)
	if raw == "" {
		return nil
	}
	var v []string
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		r.Problems.Addf(key, "must be a list of strings, got %s", raw)
	}
	return v
}

// Secret reads a key that must be stored encrypted; its value is never quoted.
func (r *Reader) Secret(key string) string {
	raw := r.Str(key)
	if raw != "" && !r.ctx.IsConfigSecret(r.namespace+":"+key) {
		r.Problems.Addf(key, "must be set with `pulumi config set --secret %s`, not in plain text (value not shown)", key)
	}
	return raw
}

// Err renders problems as "<stack>: <namespace>:<key> <message>", one per line; nil without
// problems. A problem's field is its config key, or is renamed to one by keys (a component's
// field name that differs from the key); the region is the AWS provider's, aws:region.
func Err(stack, namespace string, problems validate.Problems, keys map[string]string) error {
	if len(problems) == 0 {
		return nil
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		key := namespace + ":" + p.Field
		if k, ok := keys[p.Field]; ok {
			key = namespace + ":" + k
		}
		if p.Field == "region" {
			key = "aws:region"
		}
		lines[i] = fmt.Sprintf("%s: %s %s", stack, key, p.Message)
	}
	return errors.New(strings.Join(lines, "\n"))
}
