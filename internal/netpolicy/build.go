package netpolicy

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// New returns the NetworkPolicy name in namespace with spec, carrying the type meta (so that
// the object renders as a manifest) and the labels every NovaCron policy has.
func New(namespace, name string, spec networkingv1.NetworkPolicySpec) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{
		TypeMeta: k8smeta.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: k8smeta.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels: map[string]string{
				"app.kubernetes.io/part-of":    "novacron",
				"app.kubernetes.io/managed-by": "pulumi",
			},
		},
		Spec: spec,
	}
}

// Port is one numbered port of proto.
func Port(proto corev1.Protocol, n int) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(int32(n))
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

// IPBlocks returns one ipBlock peer per CIDR block, without exceptions.
func IPBlocks(cidrs []string) []networkingv1.NetworkPolicyPeer {
	out := make([]networkingv1.NetworkPolicyPeer, len(cidrs))
	for i, c := range cidrs {
		out[i] = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}}
	}
	return out
}
