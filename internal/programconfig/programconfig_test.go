package programconfig

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/validate"
)

// read runs fn with a reader of the "demo" namespace over cfg, under the mock engine.
func read(t *testing.T, cfg map[string]string, secret []string, fn func(r *Reader)) *Reader {
	t.Helper()
	var r *Reader
	require.NoError(t, mock.NewEngine("demo", "test", nil).Run(cfg, secret, func(ctx *pulumi.Context) error {
		r = NewReader(ctx, "demo")
		fn(r)
		return nil
	}))
	return r
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]string
		secret  []string
		read    func(r *Reader) any
		want    any
		problem string
	}{
		{"string", map[string]string{"demo:k": "v"}, nil, func(r *Reader) any { return r.Str("k") }, "v", ""},
		{"unset string", nil, nil, func(r *Reader) any { return r.Str("k") }, "", ""},
		{"integer", map[string]string{"demo:k": "30"}, nil, func(r *Reader) any { return r.Int("k") }, 30, ""},
		{"unset integer", nil, nil, func(r *Reader) any { return r.Int("k") }, 0, ""},
		{"bad integer", map[string]string{"demo:k": "thirty"}, nil, func(r *Reader) any { return r.Int("k") }, 0, `must be an integer, got "thirty"`},
		{"boolean", map[string]string{"demo:k": "true"}, nil, func(r *Reader) any { return r.Bool("k") }, true, ""},
		{"boolean spelled otherwise", map[string]string{"demo:k": "1"}, nil, func(r *Reader) any { return r.Bool("k") }, true, `must be true or false, got "1"`},
		{"list", map[string]string{"demo:k": `["a","b"]`}, nil, func(r *Reader) any { return r.List("k") }, []string{"a", "b"}, ""},
		{"unset list", nil, nil, func(r *Reader) any { return r.List("k") }, []string(nil), ""},
		{"bad list", map[string]string{"demo:k": "a,b"}, nil, func(r *Reader) any { return r.List("k") }, []string(nil), "must be a list of strings, got a,b"},
		{"secret", map[string]string{"demo:k": "s3cr3t"}, []string{"demo:k"}, func(r *Reader) any { return r.Secret("k") }, "s3cr3t", ""},
		{"secret in plain text", map[string]string{"demo:k": "s3cr3t"}, nil, func(r *Reader) any { return r.Secret("k") }, "s3cr3t", "pulumi config set --secret k"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			r := read(t, tc.cfg, tc.secret, func(r *Reader) { got = tc.read(r) })
			assert.Equal(t, tc.want, got)
			assert.Equal(t, []string{"k"}, r.Keys)
			if tc.problem == "" {
				assert.Empty(t, r.Problems)
				return
			}
			require.Len(t, r.Problems, 1)
			assert.Equal(t, "k", r.Problems[0].Field)
			assert.Contains(t, r.Problems[0].Message, tc.problem)
			assert.NotContains(t, r.Problems[0].Message, "s3cr3t", "a secret's value is never quoted")
		})
	}
}

func TestErr(t *testing.T) {
	assert.NoError(t, Err("dev", "demo", nil, nil))
	var problems validate.Problems
	problems.Addf("size", "must be positive")
	problems.Addf("repository", "must be owner/name")
	problems.Addf("region", "is not supported")
	err := Err("dev", "demo", problems, map[string]string{"repository": "githubRepository"})
	require.Error(t, err)
	assert.Equal(t, "dev: demo:size must be positive\n"+
		"dev: demo:githubRepository must be owner/name\n"+
		"dev: aws:region is not supported", err.Error())
}
