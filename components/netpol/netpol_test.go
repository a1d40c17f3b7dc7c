package netpol

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func goldenArgs() *NetworkPoliciesArgs {
	return &NetworkPoliciesArgs{
		Namespaces:         []string{"novacron"},
		IngressSourceCIDRs: []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"},
		DatabaseCIDRs:      []string{"10.0.20.0/24", "10.0.21.0/24", "10.0.22.0/24"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		args *NetworkPoliciesArgs
		want validate.Problems
	}{
		{name: "cidr source", args: goldenArgs()},
		{name: "namespace source", args: &NetworkPoliciesArgs{
			Namespaces: []string{"novacron"}, DatabaseCIDRs: []string{"10.0.20.0/24"},
			IngressSourceNamespaceLabel: "kubernetes.io/metadata.name", IngressSourceNamespaceValue: "edge",
		}},
		{name: "nil", want: validate.Problems{{Field: "args", Message: "must be set"}}},
		{name: "empty", args: &NetworkPoliciesArgs{}, want: validate.Problems{
			{Field: "namespaces", Message: "must name at least one namespace"},
			{Field: "ingressSource", Message: "must be set: ingressSourceNamespaceLabel/Value (in-cluster proxy) or ingressSourceCIDRs (the ALB's subnets)"},
			{Field: "databaseCIDRs", Message: "must list the database subnets' CIDR blocks"},
		}},
		{name: "both sources", args: &NetworkPoliciesArgs{
			Namespaces: []string{"novacron"}, DatabaseCIDRs: []string{"10.0.20.0/24"},
			IngressSourceNamespaceLabel: "team", IngressSourceNamespaceValue: "edge",
			IngressSourceCIDRs: []string{"10.0.0.0/24"},
		}, want: validate.Problems{
			{Field: "ingressSource", Message: "set either ingressSourceNamespaceLabel/Value or ingressSourceCIDRs, not both"},
		}},
		{name: "bad values", args: &NetworkPoliciesArgs{
			Namespaces:                  []string{"novacron", "Novacron", "novacron"},
			MetricsPort:                 70000,
			DatabaseCIDRs:               []string{"10.0.20.0/33"},
			IngressSourceNamespaceLabel: "team",
		}, want: validate.Problems{
			{Field: "namespaces[1]", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "Novacron"`},
			{Field: "namespaces[2]", Message: `repeats "novacron"`},
			{Field: "metricsPort", Message: "must be between 1 and 65535, got 70000"},
			{Field: "ingressSourceNamespaceValue", Message: "must not be empty"},
			{Field: "databaseCIDRs[0]", Message: `must be an IPv4 CIDR block such as 10.0.0.0/16, got "10.0.20.0/33"`},
		}},
		{name: "bad telemetry agents", args: &NetworkPoliciesArgs{
			Namespaces: []string{"novacron"}, DatabaseCIDRs: []string{"10.0.20.0/24"},
			IngressSourceCIDRs:      []string{"10.0.0.0/24"},
			TelemetryNamespace:      "Telemetry",
			TelemetryAgentPodLabels: map[string]string{"app.kubernetes.io/instance": "otel agent"},
		}, want: validate.Problems{
			{Field: "telemetryNamespace", Message: `must be a Kubernetes namespace name (lowercase DNS label), got "Telemetry"`},
			{Field: "telemetryAgentPodLabels.app.kubernetes.io/instance", Message: `must be a label value (63 characters of [A-Za-z0-9-_.]), got "otel agent"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.args.Validate())
		})
	}
}

func TestPoliciesPerNamespace(t *testing.T) {
	a := goldenArgs()
	a.Namespaces = []string{"novacron", "novacron-jobs"}
	policies, err := Policies(a)
	require.NoError(t, err)
	byNamespace := map[string][]string{}
	for _, p := range policies {
		byNamespace[p.Namespace] = append(byNamespace[p.Namespace], p.Name)
	}
	want := []string{PolicyDenyAll, PolicyDNSEgress, PolicyAPIIngress, PolicyDatabase, PolicyPrometheus, PolicyOTLPEgress}
	assert.Equal(t, map[string][]string{"novacron": want, "novacron-jobs": want}, byNamespace)

	_, err = Policies(&NetworkPoliciesArgs{})
	require.Error(t, err)
}

// The policies serialise as Kubernetes manifests and decode back, strictly, into the API types;
// the golden file is the reviewable rendering.
func TestPoliciesGolden(t *testing.T) {
	policies, err := Policies(goldenArgs())
	require.NoError(t, err)
	var docs [][]byte
	for _, p := range policies {
		b, err := yaml.Marshal(p)
		require.NoError(t, err)
		docs = append(docs, b)
	}
	rendered := bytes.Join(docs, []byte("---\n"))
	path := filepath.Join("testdata", "policies.golden.yaml")
	if *update {
		require.NoError(t, os.WriteFile(path, rendered, 0o644))
	}
	golden, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")

	decoded := decodeManifests(t, golden)
	assert.Equal(t, policies, decoded, "golden file differs from Policies(); rerun with -update and review the diff")
	assert.Equal(t, policies, decodeManifests(t, rendered), "policies do not round-trip through YAML")
}

func decodeManifests(t *testing.T, b []byte) []networkingv1.NetworkPolicy {
	t.Helper()
	var out []networkingv1.NetworkPolicy
	for _, doc := range bytes.Split(b, []byte("---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var p networkingv1.NetworkPolicy
		require.NoError(t, yaml.UnmarshalStrict(doc, &p))
		require.Equal(t, "networking.k8s.io/v1", p.APIVersion)
		require.Equal(t, "NetworkPolicy", p.Kind)
		out = append(out, p)
	}
	return out
}

// What the component registers is exactly what Policies returns: each recorded NetworkPolicy
// decodes into the same API object.
func TestComponentRegistersPolicies(t *testing.T) {
	a := goldenArgs()
	a.APIEgressHTTPSCIDRs = []string{"10.0.30.0/24"}
	want, err := Policies(a)
	require.NoError(t, err)

	eng := mock.NewEngine("novacron-platform", "test", nil)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		_, err = NewNetworkPolicies(ctx, "netpol", a, pulumi.Providers(k8s))
		return err
	}))

	comp := eng.Find("novacron:security:NetworkPolicies", "netpol")
	require.NotNil(t, comp)
	recorded := eng.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
	require.Len(t, recorded, len(want))
	var got []networkingv1.NetworkPolicy
	for _, r := range recorded {
		assert.Equal(t, comp.URN, r.Parent, r.Name)
		assert.Contains(t, r.Provider, "pulumi:providers:kubernetes::k8s", r.Name)
		b, err := json.Marshal(r.Inputs.Mappable())
		require.NoError(t, err)
		var p networkingv1.NetworkPolicy
		require.NoError(t, yaml.UnmarshalStrict(b, &p), string(b))
		assert.Equal(t, "netpol-"+p.Namespace+"-"+p.Name, r.Name)
		got = append(got, p)
	}
	// Registrations reach the engine concurrently, so their order is not the program's.
	byKey := func(a, b networkingv1.NetworkPolicy) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	}
	slices.SortFunc(want, byKey)
	slices.SortFunc(got, byKey)
	assert.Equal(t, want, got)
}

func TestComponentCreatesNamespacesFirst(t *testing.T) {
	a := goldenArgs()
	a.CreateNamespaces = true
	eng := mock.NewEngine("novacron-platform", "test", nil)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewNetworkPolicies(ctx, "netpol", a)
		return err
	}))
	namespaces := eng.ByType("kubernetes:core/v1:Namespace")
	require.Len(t, namespaces, len(a.Namespaces))
	urns := map[string]string{}
	for _, ns := range namespaces {
		name, _ := ns.Input("metadata.name")
		level, _ := ns.Input("metadata.labels.pod-security.kubernetes.io/enforce")
		assert.Equal(t, "baseline", level.StringValue())
		urns[name.StringValue()] = ns.URN
	}
	for _, p := range eng.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy") {
		ns, _ := p.Input("metadata.namespace")
		assert.Contains(t, p.Dependencies, urns[ns.StringValue()], "%s waits for its namespace", p.Name)
	}
}

func TestComponentRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewNetworkPolicies(ctx, "netpol", &NetworkPoliciesArgs{Namespaces: []string{"novacron"}})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `networkPolicies "netpol": databaseCIDRs must list the database subnets' CIDR blocks`)
	assert.Empty(t, eng.Resources())
}
