package mocktest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"github.com/novacron/platform/internal/mock"
)

func TestReaders(t *testing.T) {
	r := &mockResource
	assert.Equal(t, "gp3", Str(t, r, "storageType"))
	assert.Equal(t, 30.0, Num(t, r, "backupRetentionPeriod"))
	assert.True(t, Bool(t, r, "multiAz"))
	assert.Equal(t, []string{"postgresql", "upgrade"}, Strs(t, r, "logs"))
	assert.Equal(t, map[string]any{"backup": "true"}, Value(t, r, "tags"))
	assert.Equal(t, "true", Str(t, r, "tags.backup"))
}

func TestReadersFailOnMissingOrMistyped(t *testing.T) {
	for name, read := range map[string]func(tb testing.TB){
		"missing":    func(tb testing.TB) { Str(tb, &mockResource, "nope") },
		"not string": func(tb testing.TB) { Str(tb, &mockResource, "multiAz") },
		"not number": func(tb testing.TB) { Num(tb, &mockResource, "storageType") },
		"not bool":   func(tb testing.TB) { Bool(tb, &mockResource, "storageType") },
		"not list":   func(tb testing.TB) { Strs(tb, &mockResource, "storageType") },
	} {
		rec := &recorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			read(rec)
		}()
		assert.True(t, rec.failed, name)
	}
}

// recorder notes a failure instead of failing the enclosing test; FailNow stops the reader.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true; panic("stop") }
func (r *recorder) Helper()               {}

var mockResource = mock.Resource{Type: "aws:rds/instance:Instance", Name: "postgres", Inputs: resource.NewPropertyMapFromMap(map[string]any{
	"storageType":           "gp3",
	"backupRetentionPeriod": 30,
	"multiAz":               true,
	"logs":                  []any{"postgresql", "upgrade"},
	"tags":                  map[string]any{"backup": "true"},
})}
