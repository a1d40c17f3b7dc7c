package state

import (
	"flag"
	"testing"
	"time"

	"github.com/novacron/platform/internal/golden"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const project = "novacron-bootstrap"

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
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
