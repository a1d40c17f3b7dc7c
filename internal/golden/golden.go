// Package golden compares rendered documents with the golden files under a package's testdata/,
// as parsed documents so that key order and whitespace do not matter, and rewrites them when a
// test runs with -update (make golden), so that every change shows up as a reviewable diff.
package golden

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// JSON compares the JSON document got with testdata/<name>; with update it rewrites the file
// (indented) first.
func JSON(t testing.TB, name, got string, update bool) {
	t.Helper()
	var gotDoc any
	require.NoError(t, json.Unmarshal([]byte(got), &gotDoc), "rendered document is not JSON: %s", got)
	path := filepath.Join("testdata", name)
	if update {
		b, err := json.MarshalIndent(gotDoc, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll("testdata", 0o750))
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o600))
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "golden file %s is missing: run the test with -update", path)
	var want any
	require.NoError(t, json.Unmarshal(raw, &want), "golden file %s is not JSON", path)
	assert.Equal(t, want, gotDoc, "document differs from %s (review, then run the test with -update)", path)
}
