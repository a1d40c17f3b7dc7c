package stacks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/kubetest"
)

// TestStacksAgainstAPIServer sends every Kubernetes object each stack registers to a real
// kube-apiserver (see internal/kubetest): server-side apply with strict field validation, as a
// dry run, with the CRDs of the charts the stacks install served, and every pod template created
// as a Pod so that Pod Security admission judges it. It fails listing each object the server
// refuses, with the server's message. Skipped with -short.
func TestStacksAgainstAPIServer(t *testing.T) {
	srv := kubetest.Start(t)
	ctx := context.Background()
	// The CRDs of the charts the stacks install, at the versions those charts ship.
	require.NoError(t, srv.InstallCRDs(ctx, kubetest.PrometheusOperatorCRDs, kubetest.ExternalSecretsCRDs, kubetest.GatekeeperCRDs,
		kubetest.KarpenterCRDs))

	for _, stack := range Environments {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			objs, err := kubetest.Objects(eng.Resources())
			require.NoError(t, err)

			kinds := map[string]int{}
			pods := 0
			for _, o := range objs {
				kinds[o.Object.Kind()]++
				if kubetest.PodFromTemplate(o.Object) != nil {
					pods++
				}
			}
			// Objects errs on any kubernetes resource it cannot send, so this is every object
			// the program registers; the floor only guards against an empty run.
			assert.Positive(t, kinds["Namespace"])
			assert.Positive(t, kinds["NetworkPolicy"])
			// Karpenter's pools and node classes, judged by the CRDs' schemas and CEL rules,
			// and the general pool's floor: its Deployment's pod template goes through Pod
			// Security and the Priority admission plugin, which resolves the floor's
			// PriorityClass (the harness stores it first).
			assert.Equal(t, 2, kinds["NodePool"])
			assert.Equal(t, 2, kinds["EC2NodeClass"])
			assert.Equal(t, 1, kinds["PriorityClass"])
			assert.Equal(t, 1, kinds["Deployment"], "the general pool's floor")

			for _, f := range srv.ApplyAll(ctx, objs) {
				t.Errorf("refused: %s", f)
			}
			summary := make([]string, 0, len(kinds))
			for k, n := range kinds {
				summary = append(summary, fmt.Sprintf("%s=%d", k, n))
			}
			sort.Strings(summary)
			// Pod Security judges the pod templates the program writes itself; the charts'
			// pods are rendered by Helm in the cluster and are not among these objects.
			t.Logf("%s: %d objects sent (%s), %d pod templates judged by Pod Security",
				stack, len(objs), strings.Join(summary, ", "), pods)
		})
	}
}
