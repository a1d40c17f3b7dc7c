package stacks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/components/falcotalon"
	"github.com/novacron/platform/components/netpol"
	"github.com/novacron/platform/internal/mock/mocktest"
)

// TestIncidentResponse: both stacks run Falco Talon in the application namespaces, falcosidekick
// posts to it, and the label Talon quarantines a pod with is the one the NetworkPolicies leave
// out of their allow rules, so the quarantine isolates.
func TestIncidentResponse(t *testing.T) {
	assert.Equal(t, netpol.DefaultQuarantineLabel, falcotalon.QuarantineLabel)
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			talon := mocktest.Find(t, eng, "novacron:security:FalcoTalon", "falco-talon")
			namespace := mocktest.Find(t, eng, "kubernetes:core/v1:Namespace", "network-policies-novacron")
			var release string
			for _, r := range eng.ByType("kubernetes:helm.sh/v3:Release") {
				if mocktest.Str(t, r, "chart") == "falco-talon" {
					release = r.URN
					assert.Equal(t, "falco-talon", mocktest.Str(t, r, "namespace"))
				}
			}
			require.NotEmpty(t, release, "the falco-talon chart is installed")
			// A dependency on a component is a dependency on its children.
			assert.Contains(t, talon.Dependencies, namespace.URN, "Talon waits for the namespaces it acts in")

			falco := mocktest.Find(t, eng, "kubernetes:helm.sh/v3:Release", "falco-release")
			assert.Equal(t, "http://falco-talon.falco-talon.svc:2803", mocktest.Str(t, falco, "values.falcosidekick.config.talon.address"))
		})
	}
}
