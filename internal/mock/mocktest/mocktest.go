// Package mocktest holds the assertions tests use to read what the mock engine recorded: find a
// registration, read one of its inputs by dotted path as a typed value, failing the test with
// the resource and path named when it is missing or of another type.
package mocktest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// Find returns the registration of type typ named name.
func Find(t testing.TB, eng *mock.Engine, typ, name string) *mock.Resource {
	t.Helper()
	r := eng.Find(typ, name)
	require.NotNil(t, r, "%s %s is registered", typ, name)
	return r
}

// Input returns the input at path (see mock.Resource.Input), secrets unwrapped.
func Input(t testing.TB, r *mock.Resource, path string) resource.PropertyValue {
	t.Helper()
	v, ok := r.Input(path)
	require.True(t, ok, "%s %s has input %s", r.Type, r.Name, path)
	return v
}

// Str returns a string input.
func Str(t testing.TB, r *mock.Resource, path string) string {
	t.Helper()
	v := Input(t, r, path)
	require.True(t, v.IsString(), "%s.%s is a string, got %v", r.Name, path, v)
	return v.StringValue()
}

// Num returns a number input.
func Num(t testing.TB, r *mock.Resource, path string) float64 {
	t.Helper()
	v := Input(t, r, path)
	require.True(t, v.IsNumber(), "%s.%s is a number, got %v", r.Name, path, v)
	return v.NumberValue()
}

// Bool returns a boolean input.
func Bool(t testing.TB, r *mock.Resource, path string) bool {
	t.Helper()
	v := Input(t, r, path)
	require.True(t, v.IsBool(), "%s.%s is a bool, got %v", r.Name, path, v)
	return v.BoolValue()
}

// Strs returns a list-of-strings input.
func Strs(t testing.TB, r *mock.Resource, path string) []string {
	t.Helper()
	v := Input(t, r, path)
	require.True(t, v.IsArray(), "%s.%s is a list, got %v", r.Name, path, v)
	out := []string{}
	for i, e := range v.ArrayValue() {
		for e.IsSecret() {
			e = e.SecretValue().Element
		}
		require.True(t, e.IsString(), "%s.%s[%d] is a string, got %v", r.Name, path, i, e)
		out = append(out, e.StringValue())
	}
	return out
}

// Value returns an input as plain Go values (maps, slices, strings, float64, bool).
func Value(t testing.TB, r *mock.Resource, path string) any {
	t.Helper()
	return Input(t, r, path).Mappable()
}
