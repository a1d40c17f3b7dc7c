// Command bootstrap is the Pulumi program that creates the state backend (S3 bucket, KMS keys)
// and the GitHub Actions roles of the novacron-platform project. See docs/delivery.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/bootstrap/state"
)

func main() {
	pulumi.Run(state.Program)
}
