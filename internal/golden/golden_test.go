package golden

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONComparesParsedDocuments(t *testing.T) {
	dir := t.TempDir()
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	defer func() { require.NoError(t, os.Chdir(wd)) }()

	JSON(t, "doc.json", `{"b":1,"a":[true]}`, true)
	raw, err := os.ReadFile("testdata/doc.json")
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}\n", string(raw))

	JSON(t, "doc.json", `{"a":[true],  "b":1}`, false) // same document, other layout

	rec := &recorder{TB: t}
	JSON(rec, "doc.json", `{"a":[false],"b":1}`, false)
	assert.True(t, rec.failed, "a different document fails")
}

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}
