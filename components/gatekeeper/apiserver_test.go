package gatekeeper

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/kubetest"
)

// Every object the component registers is accepted by a real API server with the pinned
// chart's CRDs: the templates by the ConstraintTemplate schema, each Constraint by the CRD
// Gatekeeper generates from its template, the Config and the PodMonitor by theirs.
func TestAPIServerAcceptsEveryObject(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kube-apiserver")
	}
	objs, err := kubetest.Objects(run(t, baseArgs()).Resources())
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Object.Kind()]++
	}
	assert.Equal(t, 8, kinds["ConstraintTemplate"])
	assert.Equal(t, 2, kinds["NovaCronGPUPool"])

	srv := kubetest.Start(t)
	ctx := context.Background()
	require.NoError(t, srv.InstallCRDs(ctx, kubetest.PrometheusOperatorCRDs, kubetest.GatekeeperCRDs))
	for _, f := range srv.ApplyAll(ctx, objs) {
		assert.Fail(t, "refused", f.String())
	}

	// The check can fail: a Constraint with a parameter of the wrong type is refused.
	for i, o := range objs {
		if o.Object.Kind() == "NovaCronRequiredLabels" {
			bad := kubetest.Object{}
			for k, v := range o.Object {
				bad[k] = v
			}
			bad["spec"] = map[string]any{"parameters": map[string]any{"labels": "app"}}
			objs[i].Object = bad
		}
	}
	failures := srv.ApplyAll(ctx, objs)
	require.Len(t, failures, 2)
	assert.Contains(t, failures[0].Err.Error(), "spec.parameters.labels")
}
