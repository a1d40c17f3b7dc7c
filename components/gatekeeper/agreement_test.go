package gatekeeper

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/policy/compliance"
)

// sharedRules pairs each CrossGuard policy that judges pod specs with the Gatekeeper template
// that enforces the same rule in the cluster. The CrossGuard pack has no privileged,
// host-namespace, hostPath or resource rule for workloads (policy/compliance/policies_k8s.go);
// the image tag is the one both check.
var sharedRules = map[string]string{
	"k8s-no-latest-images": "NovaCronNoLatestImage",
}

// Every CrossGuard policy over workloads has its Gatekeeper counterpart listed above, so that a
// new one cannot be added without this agreement test covering it.
func TestEveryCrossGuardWorkloadRuleHasAGatekeeperTwin(t *testing.T) {
	var workload []string
	for _, p := range compliance.Policies() {
		if slices.Contains(p.Types, "kubernetes:apps/v1:Deployment") {
			workload = append(workload, p.Name)
		}
	}
	require.NotEmpty(t, workload)
	for _, name := range workload {
		kind, ok := sharedRules[name]
		if assert.True(t, ok, "CrossGuard policy %s judges workloads but has no Gatekeeper twin in sharedRules", name) {
			policyByKind(t, kind)
		}
	}
}

// One table of pod specs through both engines: the CrossGuard pack sees them as a Deployment's
// pod template (what the program registers), Gatekeeper as the Pod the Deployment creates.
func TestCrossGuardAndGatekeeperAgree(t *testing.T) {
	const digest = testDigest
	table := []struct {
		name       string
		containers []any
		init       []any
		denied     bool
	}{
		{name: "tag", containers: images("ecr.example.com/api:1.4.2")},
		{name: "digest", containers: images("ecr.example.com/api" + digest)},
		{name: "latest with digest", containers: images("ecr.example.com/api:latest" + digest)},
		{name: "registry port and tag", containers: images("registry.local:5000/api:2")},
		{name: "latest", containers: images("ecr.example.com/api:latest"), denied: true},
		{name: "untagged", containers: images("nginx"), denied: true},
		{name: "untagged behind a registry port", containers: images("registry.local:5000/api"), denied: true},
		{name: "second container latest", containers: images("ecr.example.com/api:1", "ecr.example.com/sidecar:latest"), denied: true},
		{name: "init container untagged", containers: images("ecr.example.com/api:1"), init: images("busybox"), denied: true},
		{name: "tag named like latest", containers: images("ecr.example.com/api:latest-2026")},
	}
	for rule, kind := range sharedRules {
		gk := policyByKind(t, kind)
		for i, tt := range table {
			t.Run(rule+"/"+tt.name, func(t *testing.T) {
				podSpec := map[string]any{"containers": tt.containers}
				if tt.init != nil {
					podSpec["initContainers"] = tt.init
				}
				pod := map[string]any{"apiVersion": "v1", "kind": "Pod",
					"metadata": map[string]any{"name": "api", "namespace": "novacron"}, "spec": podSpec}
				gatekeeperDenies := len(violations(t, gk, pod)) > 0

				deployment := &mock.Resource{
					Type: "kubernetes:apps/v1:Deployment", Name: "api", Custom: true,
					URN: "urn:pulumi:test::novacron-platform::kubernetes:apps/v1:Deployment::api-" + string(rune('a'+i)),
					Inputs: resource.NewPropertyMapFromMap(map[string]any{
						"apiVersion": "apps/v1", "kind": "Deployment",
						"metadata": map[string]any{"name": "api", "namespace": "novacron"},
						"spec":     map[string]any{"template": map[string]any{"spec": podSpec}},
					}),
				}
				report := compliance.Evaluate([]*mock.Resource{deployment}, "staging", compliance.DefaultConfig())
				crossGuardDenies := slices.ContainsFunc(report.Violations, func(v compliance.Violation) bool {
					return v.Policy == rule && v.URN == deployment.URN
				})

				assert.Equal(t, tt.denied, gatekeeperDenies, "Gatekeeper")
				assert.Equal(t, tt.denied, crossGuardDenies, "CrossGuard")
			})
		}
	}
}

func images(refs ...string) []any {
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = map[string]any{"name": "c" + string(rune('0'+i)), "image": r}
	}
	return out
}
