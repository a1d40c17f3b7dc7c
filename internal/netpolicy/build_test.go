package netpolicy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The builders produce an object that renders as the manifest a reviewer expects, and that Args
// accepts.
func TestBuilders(t *testing.T) {
	p := New("novacron", "allow-db", networkingv1.NetworkPolicySpec{
		PodSelector: k8smeta.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		Egress: []networkingv1.NetworkPolicyEgressRule{{
			To:    IPBlocks([]string{"10.0.20.0/24", "10.0.21.0/24"}),
			Ports: []networkingv1.NetworkPolicyPort{Port(corev1.ProtocolTCP, 5432), Port(corev1.ProtocolUDP, 53)},
		}},
	})
	got, err := yaml.Marshal(p)
	require.NoError(t, err)
	assert.YAMLEq(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-db
  namespace: novacron
  labels:
    app.kubernetes.io/part-of: novacron
    app.kubernetes.io/managed-by: pulumi
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 10.0.20.0/24}
        - ipBlock: {cidr: 10.0.21.0/24}
      ports:
        - {protocol: TCP, port: 5432}
        - {protocol: UDP, port: 53}
`, string(got))
	_, err = Args(p)
	require.NoError(t, err)
	assert.Empty(t, IPBlocks(nil))
}
