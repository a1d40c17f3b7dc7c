package kubetest

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

func TestObjectsFromRecords(t *testing.T) {
	records := []*mock.Resource{
		{Type: "kubernetes:core/v1:Namespace", Name: "apps", URN: "urn:a", Custom: true,
			Inputs: resource.NewPropertyMapFromMap(map[string]any{
				"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "apps"},
			})},
		// Autonamed, with a secret inside: the name is stood in for, the secret unwrapped.
		{Type: "kubernetes:core/v1:Secret", Name: "grafana-admin", URN: "urn:b", Custom: true,
			Inputs: resource.PropertyMap{
				"apiVersion": resource.NewStringProperty("v1"),
				"kind":       resource.NewStringProperty("Secret"),
				"metadata":   resource.NewObjectProperty(resource.PropertyMap{"namespace": resource.NewStringProperty("monitoring")}),
				"stringData": resource.NewObjectProperty(resource.PropertyMap{
					"password": resource.MakeSecret(resource.NewStringProperty("s3cret")),
				}),
			}},
		// A Helm release has no apiVersion/kind inputs; the provider is not an object either.
		{Type: "kubernetes:helm.sh/v3:Release", Name: "falco", URN: "urn:c", Custom: true,
			Inputs: resource.NewPropertyMapFromMap(map[string]any{"chart": "falco"})},
		{Type: "pulumi:providers:kubernetes", Name: "k8s", URN: "urn:d", Custom: true},
		{Type: "novacron:netpol:NetworkPolicies", Name: "netpol", URN: "urn:e"},
	}
	objs, err := Objects(records)
	require.NoError(t, err)
	require.Len(t, objs, 2)
	assert.Equal(t, "Namespace apps", objs[0].Object.String())
	secret := objs[1]
	assert.Equal(t, "grafana-admin", secret.Resource)
	assert.Regexp(t, `^grafana-admin-[0-9a-f]{8}$`, secret.Object.Name())
	assert.Equal(t, "s3cret", secret.Object["stringData"].(map[string]any)["password"])

	bare := []*mock.Resource{{Type: "kubernetes:core/v1:ConfigMap", Name: "bare", Custom: true,
		Inputs: resource.NewPropertyMapFromMap(map[string]any{"data": map[string]any{"a": "b"}})}}
	_, err = Objects(bare)
	require.Error(t, err, "a kubernetes resource without apiVersion and kind must not be skipped silently")
	assert.Contains(t, err.Error(), `"bare"`)

	unknown := []*mock.Resource{{Type: "kubernetes:core/v1:ConfigMap", Name: "cm", Custom: true,
		Inputs: resource.PropertyMap{
			"apiVersion": resource.NewStringProperty("v1"), "kind": resource.NewStringProperty("ConfigMap"),
			"data": resource.MakeComputed(resource.NewStringProperty("")),
		}}}
	_, err = Objects(unknown)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"cm"`)
}

func TestPodFromTemplate(t *testing.T) {
	deploy := Object{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "api", "namespace": "apps"},
		"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "api"}},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "api", "image": "api:1"}}},
		}}}
	pod := PodFromTemplate(deploy)
	require.NotNil(t, pod)
	assert.Equal(t, "Pod apps/api-template", pod.String())
	assert.Equal(t, map[string]any{"app": "api"}, pod["metadata"].(map[string]any)["labels"])

	cron := Object{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": map[string]any{"name": "job", "namespace": "apps"},
		"spec": map[string]any{"jobTemplate": map[string]any{"spec": deploy["spec"]}}}
	require.NotNil(t, PodFromTemplate(cron))
	assert.Nil(t, PodFromTemplate(Object{"kind": "ConfigMap", "metadata": map[string]any{"name": "x"}}))
	// A custom resource's spec.template is not a pod template, whatever it holds.
	nodePool := Object{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": map[string]any{"name": "general"},
		"spec": deploy["spec"]}
	assert.Nil(t, PodFromTemplate(nodePool))
}

// TestServerJudgesObjects shows that the server refuses what the mock engine accepts: a
// misspelt field in a custom resource, a wrong enum value in a built-in type, and a privileged
// pod in a namespace that enforces the restricted Pod Security level. Each has a valid twin
// that passes, so the refusals come from the mistakes.
func TestServerJudgesObjects(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	require.NoError(t, s.InstallCRDs(ctx, PrometheusOperatorCRDs, ExternalSecretsCRDs))

	restricted := Object{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{
		"name": "locked", "labels": map[string]any{"pod-security.kubernetes.io/enforce": "restricted"}}}
	netpol := func(policyType string) Object {
		return Object{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
			"metadata": map[string]any{"name": "deny-" + strings.ToLower(policyType), "namespace": "locked"},
			"spec":     map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{policyType}}}
	}
	rule := func(field string) Object {
		return Object{"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
			"metadata": map[string]any{"name": "rule-" + field, "namespace": "locked"},
			"spec": map[string]any{"groups": []any{map[string]any{"name": "g", "rules": []any{
				map[string]any{"alert": "Up", field: "up == 0"}}}}}}
	}
	deployment := func(ns string, privileged bool) Object {
		container := map[string]any{"name": "app", "image": "app:1"}
		if privileged {
			container["securityContext"] = map[string]any{"privileged": true}
		} else {
			container["securityContext"] = map[string]any{
				"allowPrivilegeEscalation": false, "runAsNonRoot": true,
				"capabilities":   map[string]any{"drop": []any{"ALL"}},
				"seccompProfile": map[string]any{"type": "RuntimeDefault"},
			}
		}
		return Object{"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "app-" + map[bool]string{true: "privileged", false: "restricted"}[privileged], "namespace": ns},
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"app": "app"}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"app": "app"}},
					"spec":     map[string]any{"containers": []any{container}},
				}}}
	}
	externalSecret := func(field string) Object {
		return Object{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
			"metadata": map[string]any{"name": "es-" + strings.ToLower(field), "namespace": "locked"},
			"spec": map[string]any{
				"secretStoreRef": map[string]any{"kind": "ClusterSecretStore", "name": "aws"},
				field:            map[string]any{"name": "app-config"},
				"dataFrom":       []any{map[string]any{"extract": map[string]any{"key": "novacron/app"}}},
			}}
	}

	objs := []Recorded{
		{Object: restricted, Resource: "locked"},
		{Object: netpol("Ingress"), Resource: "good-netpol"},
		{Object: netpol("Ingres"), Resource: "bad-netpol"},
		{Object: rule("expr"), Resource: "good-rule"},
		{Object: rule("expresion"), Resource: "bad-rule"},
		{Object: externalSecret("target"), Resource: "good-es"},
		{Object: externalSecret("targetx"), Resource: "bad-es"},
		{Object: deployment("locked", false), Resource: "good-deployment"},
		{Object: deployment("locked", true), Resource: "bad-deployment"},
		{Object: deployment("default", true), Resource: "privileged-elsewhere"},
	}
	failures := s.ApplyAll(ctx, objs)
	refused := map[string]string{}
	for _, f := range failures {
		refused[f.Resource] = f.Step + ": " + f.Err.Error()
	}
	assert.Len(t, refused, 4, "refusals: %v", refused)
	assert.Contains(t, refused["bad-netpol"], `Unsupported value: "Ingres"`)
	// Server-side apply refuses a field the schema lacks before strict validation would.
	assert.Contains(t, refused["bad-rule"], `rules[0].expresion: field not declared in schema`)
	assert.Contains(t, refused["bad-es"], `.spec.targetx: field not declared in schema`)
	assert.Contains(t, refused["bad-deployment"], "pod from template")
	assert.Contains(t, refused["bad-deployment"], `violates PodSecurity "restricted:latest"`)
}
