// Command policy serves the NovaCron compliance pack to the Pulumi engine:
//
//	pulumi preview --policy-pack policy --policy-pack-config policy/config.production.json
//
// The engine builds it with `go build` in this directory on each run; the policies themselves live
// in package compliance so that tests and the preflight tool run the same code offline.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/novacron/platform/policy/compliance"
)

func main() {
	if err := policyx.Main(compliance.NewPack); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
