package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/policy/compliance"
	"github.com/novacron/platform/stacks"
)

// The cluster policies skip an eks:index:Cluster without properties (the shape the real engine
// shows, see policy/README.md). Under the mock engine the program's component keeps its inputs,
// so the offline report of the real stacks must still check, and pass, those controls on it.
func TestEKSClusterPoliciesCheckTheRealStacks(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			cfg, err := stacks.ReadStackFiles(repo, stack)
			require.NoError(t, err)
			records, _, err := evaluate(cfg.WithSecretPlaceholders())
			require.NoError(t, err)
			policyCfg, _, err := policyConfig(Options{Dir: repo, Stack: stack})
			require.NoError(t, err)

			var withInputs int
			for _, r := range records {
				if r.Type == "eks:index:Cluster" && len(r.Inputs) > 0 {
					withInputs++
				}
			}
			require.Equal(t, 1, withInputs, "the program's pulumi-eks cluster, with its inputs")

			rep := compliance.Evaluate(records, stack, policyCfg)
			for _, name := range []string{"eks-endpoint-access", "eks-secrets-encryption", "eks-control-plane-logging", "eks-supported-version"} {
				var res *compliance.PolicyResult
				for i := range rep.Policies {
					if rep.Policies[i].Name == name {
						res = &rep.Policies[i]
					}
				}
				require.NotNil(t, res, name)
				assert.Equal(t, compliance.StatusPassed, res.Status, name)
				assert.Equal(t, 1, res.Checked, "%s checks the cluster component", name)
			}
		})
	}
}
