// Command novacron-platform is the Pulumi program that builds the NovaCron platform for the
// selected stack.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/stacks"
)

func main() {
	pulumi.Run(stacks.Run)
}
