package state

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const project = "novacron-bootstrap"

// assertGoldenJSON compares a rendered JSON document with testdata/<file> as parsed values, so
// that key order and whitespace do not matter. With -update it rewrites the file first.
func assertGoldenJSON(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		var v any
		require.NoError(t, json.Unmarshal([]byte(got), &v), "rendered document is not JSON")
		pretty, err := json.MarshalIndent(v, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(pretty, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: go test ./bootstrap/state -run . -update")
	assert.JSONEq(t, string(want), got, "differs from %s (go test ./bootstrap/state -run . -update)", path)
}

func num(t *testing.T, r *mock.Resource, path string) int {
	t.Helper()
	v := mocktest.Input(t, r, path)
	require.True(t, v.IsNumber(), "%s %q input %q is %v, not a number", r.Type, r.Name, path, v)
	return int(v.NumberValue())
}

// capture resolves a string output during the run and hands it over afterwards.
type capture chan string

func captureOf(out pulumi.StringOutput) capture {
	c := make(capture, 1)
	out.ApplyT(func(s string) string {
		c <- s
		return s
	})
	return c
}

func (c capture) get(t *testing.T) string {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("output never resolved")
		return ""
	}
}
