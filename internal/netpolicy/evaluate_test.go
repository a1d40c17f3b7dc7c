package netpolicy

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const tcp, udp = corev1.ProtocolTCP, corev1.ProtocolUDP

var (
	ingress, egress = networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress

	api = Endpoint{Name: "api", Namespace: "app", Labels: map[string]string{"app": "api"},
		IP: netip.MustParseAddr("10.0.10.5"), Ports: map[string]int{"http": 8080, "metrics": 9090}}
	worker = Endpoint{Name: "worker", Namespace: "app", Labels: map[string]string{"app": "worker"},
		IP: netip.MustParseAddr("10.0.10.6")}
	otherAPI = Endpoint{Name: "other-api", Namespace: "other", Labels: map[string]string{"app": "api"},
		IP: netip.MustParseAddr("10.0.11.5")}
	prom = Endpoint{Name: "prometheus", Namespace: "monitoring", NamespaceLabels: map[string]string{"team": "sre"},
		Labels: map[string]string{"app": "prometheus"}, IP: netip.MustParseAddr("10.0.12.5")}
	grafana = Endpoint{Name: "grafana", Namespace: "monitoring", NamespaceLabels: map[string]string{"team": "sre"},
		Labels: map[string]string{"app": "grafana"}, IP: netip.MustParseAddr("10.0.12.6")}
	// impostor's namespace claims another name through a label it may not set.
	impostor = Endpoint{Name: "impostor", Namespace: "sandbox", NamespaceLabels: map[string]string{NamespaceNameLabel: "monitoring"},
		Labels: map[string]string{"app": "prometheus"}, IP: netip.MustParseAddr("10.0.13.5")}
	database = Endpoint{Name: "rds", IP: netip.MustParseAddr("10.0.20.15")}
	reserved = Endpoint{Name: "reserved", IP: netip.MustParseAddr("10.0.20.200")}
	internet = Endpoint{Name: "internet", IP: netip.MustParseAddr("1.1.1.1")}
	noIP     = Endpoint{Name: "no-ip", Namespace: "app", Labels: map[string]string{"app": "batch"}}
)

func pol(ns string, selected map[string]string, spec networkingv1.NetworkPolicySpec) networkingv1.NetworkPolicy {
	spec.PodSelector = k8smeta.LabelSelector{MatchLabels: selected}
	return networkingv1.NetworkPolicy{ObjectMeta: k8smeta.ObjectMeta{Name: "p", Namespace: ns}, Spec: spec}
}

func types(t ...networkingv1.PolicyType) []networkingv1.PolicyType { return t }

func sel(l map[string]string) *k8smeta.LabelSelector { return &k8smeta.LabelSelector{MatchLabels: l} }

func tcpPort(n int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Port: &p}
}

func in(from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) []networkingv1.NetworkPolicyIngressRule {
	return []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: ports}}
}

func out(to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) []networkingv1.NetworkPolicyEgressRule {
	return []networkingv1.NetworkPolicyEgressRule{{To: to, Ports: ports}}
}

var (
	denyAll    = pol("app", nil, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress, egress)})
	apiFromAll = pol("app", map[string]string{"app": "api"}, networkingv1.NetworkPolicySpec{
		PolicyTypes: types(ingress), Ingress: in(nil),
	})
	appEgressToAPI = pol("app", nil, networkingv1.NetworkPolicySpec{
		PolicyTypes: types(egress), Egress: out([]networkingv1.NetworkPolicyPeer{{PodSelector: sel(map[string]string{"app": "api"})}}, tcpPort(8080)),
	})
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		name     string
		policies []networkingv1.NetworkPolicy
		src, dst Endpoint
		proto    corev1.Protocol
		port     int
		want     bool
	}{
		// Isolation.
		{"no policies, anything flows", nil, worker, api, tcp, 8080, true},
		{"default deny stops pods", []networkingv1.NetworkPolicy{denyAll}, worker, api, tcp, 8080, false},
		{"default deny stops egress to the outside", []networkingv1.NetworkPolicy{denyAll}, api, internet, tcp, 443, false},
		{"default deny stops ingress from the outside", []networkingv1.NetworkPolicy{denyAll}, internet, api, tcp, 8080, false},
		{"a policy of another namespace does not isolate", []networkingv1.NetworkPolicy{denyAll}, otherAPI, prom, tcp, 9090, true},
		{"a policy selecting other pods does not isolate", []networkingv1.NetworkPolicy{
			pol("app", map[string]string{"app": "worker"}, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress)}),
		}, worker, api, tcp, 8080, true},
		{"ingress isolation leaves egress free", []networkingv1.NetworkPolicy{
			pol("app", nil, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress)}),
		}, api, internet, tcp, 443, true},
		{"egress isolation leaves ingress free", []networkingv1.NetworkPolicy{
			pol("app", nil, networkingv1.NetworkPolicySpec{PolicyTypes: types(egress)}),
		}, internet, api, tcp, 8080, true},
		{"no policy types means ingress", []networkingv1.NetworkPolicy{pol("app", nil, networkingv1.NetworkPolicySpec{})},
			internet, api, tcp, 8080, false},
		{"no policy types and no egress rules leave egress free", []networkingv1.NetworkPolicy{pol("app", nil, networkingv1.NetworkPolicySpec{})},
			api, internet, tcp, 443, true},
		{"no policy types with egress rules isolate egress", []networkingv1.NetworkPolicy{
			pol("app", nil, networkingv1.NetworkPolicySpec{Egress: out(nil, tcpPort(53))}),
		}, api, internet, tcp, 443, false},
		{"policies add up", []networkingv1.NetworkPolicy{denyAll, apiFromAll, appEgressToAPI}, worker, api, tcp, 8080, true},
		// Both ends must agree.
		{"egress allowed but ingress denied", []networkingv1.NetworkPolicy{
			appEgressToAPI, pol("app", map[string]string{"app": "api"}, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress)}),
		}, worker, api, tcp, 8080, false},
		{"ingress allowed but egress denied", []networkingv1.NetworkPolicy{
			apiFromAll, pol("app", map[string]string{"app": "worker"}, networkingv1.NetworkPolicySpec{PolicyTypes: types(egress)}),
		}, worker, api, tcp, 8080, false},
		// Peers.
		{"no peers match everyone", []networkingv1.NetworkPolicy{apiFromAll}, internet, api, tcp, 1234, true},
		{"podSelector alone stays in the policy's namespace", []networkingv1.NetworkPolicy{appEgressToAPI}, worker, otherAPI, tcp, 8080, false},
		{"podSelector alone matches the namespace's pods", []networkingv1.NetworkPolicy{appEgressToAPI}, worker, api, tcp, 8080, true},
		{"selectors never match the outside", []networkingv1.NetworkPolicy{
			pol("app", nil, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress), Ingress: in([]networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: &k8smeta.LabelSelector{}},
			})}),
		}, internet, api, tcp, 8080, false},
		{"empty namespaceSelector matches every namespace", []networkingv1.NetworkPolicy{
			pol("app", nil, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress), Ingress: in([]networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: &k8smeta.LabelSelector{}},
			})}),
		}, otherAPI, api, tcp, 8080, true},
		{"namespace by name", []networkingv1.NetworkPolicy{fromMonitoring(nil)}, grafana, api, tcp, 8080, true},
		{"namespace by name, other namespace", []networkingv1.NetworkPolicy{fromMonitoring(nil)}, otherAPI, api, tcp, 8080, false},
		{"the name label cannot be borrowed", []networkingv1.NetworkPolicy{fromMonitoring(nil)}, impostor, api, tcp, 8080, false},
		{"namespace by another label", []networkingv1.NetworkPolicy{
			pol("app", nil, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress), Ingress: in([]networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: sel(map[string]string{"team": "sre"})},
			})}),
		}, grafana, api, tcp, 8080, true},
		{"namespace and pod selectors both match", []networkingv1.NetworkPolicy{fromMonitoring(map[string]string{"app": "prometheus"})},
			prom, api, tcp, 8080, true},
		{"namespace matches, pod does not", []networkingv1.NetworkPolicy{fromMonitoring(map[string]string{"app": "prometheus"})},
			grafana, api, tcp, 8080, false},
		{"pod matches, namespace does not", []networkingv1.NetworkPolicy{fromMonitoring(map[string]string{"app": "prometheus"})},
			impostor, api, tcp, 8080, false},
		{"ipBlock matches the outside", []networkingv1.NetworkPolicy{toDatabase(nil)}, api, database, tcp, 5432, true},
		{"ipBlock misses other addresses", []networkingv1.NetworkPolicy{toDatabase(nil)}, api, internet, tcp, 5432, false},
		{"ipBlock except carves out", []networkingv1.NetworkPolicy{toDatabase([]string{"10.0.20.128/25"})}, api, reserved, tcp, 5432, false},
		{"ipBlock except leaves the rest", []networkingv1.NetworkPolicy{toDatabase([]string{"10.0.20.128/25"})}, api, database, tcp, 5432, true},
		{"ipBlock needs an address", []networkingv1.NetworkPolicy{
			pol("app", map[string]string{"app": "api"}, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress), Ingress: in([]networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
			})}),
		}, noIP, api, tcp, 8080, false},
		// Ports.
		{"no ports match every port and protocol", []networkingv1.NetworkPolicy{apiFromAll}, worker, api, udp, 53, true},
		{"a port without protocol is TCP", []networkingv1.NetworkPolicy{appEgressToAPI}, worker, api, udp, 8080, false},
		{"another port", []networkingv1.NetworkPolicy{appEgressToAPI}, worker, api, tcp, 8081, false},
		{"protocol without port matches every port", []networkingv1.NetworkPolicy{apiPorts(networkingv1.NetworkPolicyPort{Protocol: protocol(udp)})},
			worker, api, udp, 5353, true},
		{"protocol without port, other protocol", []networkingv1.NetworkPolicy{apiPorts(networkingv1.NetworkPolicyPort{Protocol: protocol(udp)})},
			worker, api, tcp, 5353, false},
		{"endPort: first", []networkingv1.NetworkPolicy{apiPorts(portRange(32000, 32767))}, worker, api, tcp, 32000, true},
		{"endPort: last", []networkingv1.NetworkPolicy{apiPorts(portRange(32000, 32767))}, worker, api, tcp, 32767, true},
		{"endPort: below", []networkingv1.NetworkPolicy{apiPorts(portRange(32000, 32767))}, worker, api, tcp, 31999, false},
		{"endPort: above", []networkingv1.NetworkPolicy{apiPorts(portRange(32000, 32767))}, worker, api, tcp, 32768, false},
		{"named port on the destination", []networkingv1.NetworkPolicy{apiPorts(namedPort("metrics"))}, worker, api, tcp, 9090, true},
		{"named port, other number", []networkingv1.NetworkPolicy{apiPorts(namedPort("metrics"))}, worker, api, tcp, 8080, false},
		{"named port the destination lacks", []networkingv1.NetworkPolicy{apiPorts(namedPort("grpc"))}, worker, api, tcp, 9090, false},
		{"egress named port is the destination's", []networkingv1.NetworkPolicy{
			pol("app", map[string]string{"app": "worker"}, networkingv1.NetworkPolicySpec{
				PolicyTypes: types(egress), Egress: out(nil, namedPort("http")),
			}),
		}, worker, api, tcp, 8080, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Allowed(tt.policies, tt.src, tt.dst, tt.proto, tt.port))
		})
	}
}

func TestAllowedPanicsOnMalformedPolicies(t *testing.T) {
	badCIDR := toDatabase(nil)
	badCIDR.Spec.Egress[0].To[0].IPBlock.CIDR = "10.0.20.0/33"
	assert.Panics(t, func() { Allowed([]networkingv1.NetworkPolicy{badCIDR}, api, database, tcp, 5432) })

	badSelector := pol("app", map[string]string{"app": "not a value"}, networkingv1.NetworkPolicySpec{PolicyTypes: types(ingress)})
	assert.Panics(t, func() { Allowed([]networkingv1.NetworkPolicy{badSelector}, worker, api, tcp, 8080) })
}

func fromMonitoring(pods map[string]string) networkingv1.NetworkPolicy {
	peer := networkingv1.NetworkPolicyPeer{NamespaceSelector: sel(map[string]string{NamespaceNameLabel: "monitoring"})}
	if pods != nil {
		peer.PodSelector = sel(pods)
	}
	return pol("app", nil, networkingv1.NetworkPolicySpec{
		PolicyTypes: types(ingress), Ingress: in([]networkingv1.NetworkPolicyPeer{peer}),
	})
}

func toDatabase(except []string) networkingv1.NetworkPolicy {
	return pol("app", map[string]string{"app": "api"}, networkingv1.NetworkPolicySpec{
		PolicyTypes: types(egress),
		Egress:      out([]networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.20.0/24", Except: except}}}, tcpPort(5432)),
	})
}

func apiPorts(ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicy {
	return pol("app", map[string]string{"app": "api"}, networkingv1.NetworkPolicySpec{
		PolicyTypes: types(ingress), Ingress: in(nil, ports...),
	})
}

func portRange(lo, hi int32) networkingv1.NetworkPolicyPort {
	p := tcpPort(lo)
	p.EndPort = &hi
	return p
}

func namedPort(name string) networkingv1.NetworkPolicyPort {
	p := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Port: &p}
}
