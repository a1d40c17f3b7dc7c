package baseline

import (
	"flag"
	"testing"

	"github.com/novacron/platform/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testEnv is where the golden documents are rendered: the mock engine's account and region.
var testEnv = env{Partition: "aws", Region: "us-east-1", AccountID: "123456789012"}

// testEndpoint is an alert endpoint of the right shape; it must never appear in plain inputs.
const testEndpoint = "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
}
