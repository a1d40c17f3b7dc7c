package netpolicy

import (
	"encoding/json"
	"testing"

	netv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

func protocol(p corev1.Protocol) *corev1.Protocol { return &p }

func portRef(p intstr.IntOrString) *intstr.IntOrString { return &p }

func int32Ref(n int32) *int32 { return &n }

// everyField uses every field Args carries.
func everyField() networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{
		TypeMeta: k8smeta.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: k8smeta.ObjectMeta{
			Name:      "every-field",
			Namespace: "novacron",
			Labels:    map[string]string{"app.kubernetes.io/part-of": "novacron"},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: k8smeta.LabelSelector{
				MatchLabels: map[string]string{"app": "novacron-api"},
				MatchExpressions: []k8smeta.LabelSelectorRequirement{
					{Key: "novacron.io/quarantine", Operator: k8smeta.LabelSelectorOpDoesNotExist},
					{Key: "tier", Operator: k8smeta.LabelSelectorOpIn, Values: []string{"a", "b"}},
				},
			},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{
					From: []networkingv1.NetworkPolicyPeer{
						{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"10.0.5.0/24", "10.0.6.0/24"}}},
						{NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: "edge"}}},
						{PodSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{"app": "worker"}}},
						{
							NamespaceSelector: &k8smeta.LabelSelector{},
							PodSelector:       &k8smeta.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "prometheus"}},
						},
					},
					Ports: []networkingv1.NetworkPolicyPort{
						{Protocol: protocol(corev1.ProtocolTCP), Port: portRef(intstr.FromInt32(8080))},
						{Protocol: protocol(corev1.ProtocolTCP), Port: portRef(intstr.FromString("metrics"))},
						{Protocol: protocol(corev1.ProtocolTCP), Port: portRef(intstr.FromInt32(32000)), EndPort: int32Ref(32767)},
						{Port: portRef(intstr.FromInt32(9000))},
						{Protocol: protocol(corev1.ProtocolUDP)},
					},
				},
				{},
			},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{
					To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.20.0/24"}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: protocol(corev1.ProtocolSCTP), Port: portRef(intstr.FromInt32(5432))}},
				},
				{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &k8smeta.LabelSelector{}}}},
			},
		},
	}
}

// What Args produces, registered through the engine and decoded strictly into the API type, is
// the object it was given.
func TestArgsRoundTrip(t *testing.T) {
	args, err := Args(everyField())
	require.NoError(t, err)
	// Args writes a rule's missing peers and ports as empty lists, which the API reads the same
	// way: every peer, every port.
	want := everyField()
	want.Spec.Ingress[1] = networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{}, Ports: []networkingv1.NetworkPolicyPort{}}
	want.Spec.Egress[1].Ports = []networkingv1.NetworkPolicyPort{}

	eng := mock.NewEngine("novacron-platform", "test", nil)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := netv1.NewNetworkPolicy(ctx, "every-field", args)
		return err
	}))
	r := mocktest.Find(t, eng, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "every-field")
	raw, err := json.Marshal(r.Inputs.Mappable())
	require.NoError(t, err)
	var got networkingv1.NetworkPolicy
	require.NoError(t, yaml.UnmarshalStrict(raw, &got), string(raw))
	assert.Equal(t, want, got)
}

func TestArgsRefusesWhatItCannotCarry(t *testing.T) {
	// Exists takes no values: the API server refuses the requirement.
	expr := []k8smeta.LabelSelectorRequirement{{Key: "app", Operator: k8smeta.LabelSelectorOpExists, Values: []string{"x"}}}
	tests := []struct {
		name   string
		change func(p *networkingv1.NetworkPolicy)
		want   string
	}{
		{
			name:   "pod selector expression with values on Exists",
			change: func(p *networkingv1.NetworkPolicy) { p.Spec.PodSelector.MatchExpressions = expr },
			want:   "spec.podSelector: values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist",
		},
		{
			name: "ingress namespace selector expression without values on In",
			change: func(p *networkingv1.NetworkPolicy) {
				p.Spec.Ingress[0].From[1].NamespaceSelector.MatchExpressions = []k8smeta.LabelSelectorRequirement{{Key: "team", Operator: k8smeta.LabelSelectorOpIn}}
			},
			want: "spec.ingress[0].from[1].namespaceSelector: values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
		},
		{
			name: "egress pod selector expression with an unknown operator",
			change: func(p *networkingv1.NetworkPolicy) {
				p.Spec.Egress[1].To[0].PodSelector.MatchExpressions = []k8smeta.LabelSelectorRequirement{{Key: "app", Operator: "Like", Values: []string{"x"}}}
			},
			want: "spec.egress[1].to[0].podSelector: \"Like\" is not a valid label selector operator",
		},
		{
			name:   "annotations",
			change: func(p *networkingv1.NetworkPolicy) { p.Annotations = map[string]string{"team": "platform"} },
			want:   "metadata: only name, namespace and labels are supported",
		},
		{
			name:   "generate name",
			change: func(p *networkingv1.NetworkPolicy) { p.GenerateName = "every-" },
			want:   "metadata: only name, namespace and labels are supported",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := everyField()
			tt.change(&p)
			args, err := Args(p)
			require.EqualError(t, err, tt.want)
			assert.Nil(t, args)
		})
	}
}
