package kubetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func labelTemplate(kind string) Object {
	return Object{"apiVersion": "templates.gatekeeper.sh/v1", "kind": "ConstraintTemplate",
		"metadata": map[string]any{"name": "novacronlabels"},
		"spec": map[string]any{
			"crd": map[string]any{"spec": map[string]any{
				"names": map[string]any{"kind": kind},
				"validation": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "properties": map[string]any{
					"labels": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
				}}},
			}},
			"targets": []any{map[string]any{
				"target": "admission.k8s.gatekeeper.sh",
				"code": []any{map[string]any{"engine": "Rego", "source": map[string]any{
					"version": "v1", "rego": "package novacronlabels\n\nviolation contains {\"msg\": \"x\"} if false\n",
				}}},
			}},
		}}
}

func TestConstraintCRDIsBuiltLikeGatekeepers(t *testing.T) {
	crd, err := ConstraintCRD(context.Background(), labelTemplate("NovaCronLabels"))
	require.NoError(t, err)
	assert.Equal(t, "novacronlabels.constraints.gatekeeper.sh", crd.Name())
	spec := crd["spec"].(map[string]any)
	assert.Equal(t, "Cluster", spec["scope"])
	assert.Equal(t, "NovaCronLabels", at(spec, "names", "kind"))
	versions := spec["versions"].([]any)
	require.Len(t, versions, 2)
	assert.Equal(t, "v1beta1", versions[0].(map[string]any)["name"])
	assert.Equal(t, true, versions[0].(map[string]any)["storage"])
	props := at(versions[0], "schema", "openAPIV3Schema", "properties", "spec", "properties").(map[string]any)
	assert.Equal(t, "array", at(props, "parameters", "properties", "labels", "type"))
	assert.NotNil(t, at(props, "match", "properties", "namespaces"), "match schema from Gatekeeper's module")
	assert.Equal(t, "deny", at(props, "enforcementAction", "default"))

	_, err = ConstraintCRD(context.Background(), Object{"kind": "ConstraintTemplate", "metadata": map[string]any{"name": "x"}})
	require.Error(t, err)
}

// Constraints are judged by the CRD generated from their template: a misspelt match field and a
// parameter of the wrong type are refused, and a Constraint whose template is missing fails
// rather than being skipped.
func TestServerJudgesConstraints(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	require.NoError(t, s.InstallCRDs(ctx, GatekeeperCRDs))

	constraint := func(name string, spec map[string]any) Object {
		return Object{"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "NovaCronLabels",
			"metadata": map[string]any{"name": name}, "spec": spec}
	}
	match := map[string]any{"kinds": []any{map[string]any{"apiGroups": []any{""}, "kinds": []any{"Pod"}}}, "namespaces": []any{"apps"}}
	objs := []Recorded{
		// Listed first: ApplyAll must still send the template (and its CRD) before it.
		{Object: constraint("good", map[string]any{"enforcementAction": "deny", "match": match,
			"parameters": map[string]any{"labels": []any{"app"}}}), Resource: "good"},
		{Object: constraint("bad-match", map[string]any{"match": map[string]any{"namespace": []any{"apps"}}}), Resource: "bad-match"},
		{Object: constraint("bad-parameters", map[string]any{"match": match, "parameters": map[string]any{"labels": "app"}}), Resource: "bad-parameters"},
		{Object: Object{"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "NovaCronUnknown",
			"metadata": map[string]any{"name": "orphan"}, "spec": map[string]any{}}, Resource: "orphan"},
		{Object: labelTemplate("NovaCronLabels"), Resource: "template"},
		{Object: Object{"apiVersion": "config.gatekeeper.sh/v1alpha1", "kind": "Config",
			"metadata": map[string]any{"name": "config", "namespace": "default"},
			"spec":     map[string]any{"match": []any{map[string]any{"excludedNamespaces": []any{"kube-system"}, "processes": []any{"*"}}}}},
			Resource: "config"},
	}
	refused := map[string]string{}
	for _, f := range s.ApplyAll(ctx, objs) {
		refused[f.Resource] = f.Step + ": " + f.Err.Error()
	}
	assert.Len(t, refused, 3, "refusals: %v", refused)
	assert.Contains(t, refused["bad-match"], "spec.match.namespace: field not declared in schema")
	assert.Contains(t, refused["bad-parameters"], "spec.parameters.labels")
	assert.Contains(t, refused["orphan"], "NovaCronUnknown")
}
