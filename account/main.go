// Command account is the Pulumi program of the account baseline: the audit trail, AWS Config,
// Security Hub, GuardDuty, Inspector, IAM Access Analyzer and the CIS alarms of one AWS account.
// See account/README.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/account/baseline"
)

func main() {
	pulumi.Run(baseline.Program)
}
