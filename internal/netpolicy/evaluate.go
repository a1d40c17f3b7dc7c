package netpolicy

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NamespaceNameLabel is set by Kubernetes (1.21+) on every namespace to the namespace's name
// and cannot be changed by users, which makes it a safe namespace selector.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// Endpoint is one end of a connection: a pod, or an address outside the cluster.
type Endpoint struct {
	// Name names the endpoint in test messages only.
	Name string
	// Namespace is the pod's namespace; empty for an address outside the cluster, which no
	// policy isolates and only ipBlock peers match.
	Namespace string
	// NamespaceLabels are the namespace's labels besides kubernetes.io/metadata.name, which is
	// always the namespace's name.
	NamespaceLabels map[string]string
	// Labels are the pod's labels.
	Labels map[string]string
	// IP is the address ipBlock peers are matched against.
	IP netip.Addr
	// Ports are the pod's named container ports (name to number), for policy ports given by
	// name; a named port matches nothing on a pod without it.
	Ports map[string]int
}

// Allowed reports whether policies let src open a connection to dst on proto and port. Each
// direction is judged separately: a pod is isolated for egress (ingress) when a policy of its
// namespace selects it with that policy type, and an isolated pod allows a connection only if
// one of its selecting policies has a rule whose peers and ports match; a pod no policy isolates
// is unrestricted in that direction. The connection needs src's egress and dst's ingress.
//
// Peers: an ipBlock matches by address (minus its except blocks); a podSelector alone matches
// pods of the policy's namespace; a namespaceSelector matches pods of the namespaces it selects,
// and with a podSelector only those of its pods that both select. An empty selector matches
// everything; no peers match every source or destination, no ports every port. A port without
// protocol means TCP; endPort makes it a range; a named port is looked up on dst.
//
// Allowed panics on a policy the API server would reject (a malformed CIDR or selector): it is
// meant for tests, where that is a bug to show.
func Allowed(policies []networkingv1.NetworkPolicy, src, dst Endpoint, proto corev1.Protocol, port int) bool {
	return permits(policies, src, src, dst, networkingv1.PolicyTypeEgress, proto, port) &&
		permits(policies, dst, src, dst, networkingv1.PolicyTypeIngress, proto, port)
}

// permits reports whether the policies of pod (src for egress, dst for ingress) let the
// connection from src to dst through in direction dir.
func permits(policies []networkingv1.NetworkPolicy, pod, src, dst Endpoint, dir networkingv1.PolicyType, proto corev1.Protocol, port int) bool {
	if pod.Namespace == "" {
		return true
	}
	peer := dst
	if dir == networkingv1.PolicyTypeIngress {
		peer = src
	}
	isolated := false
	for _, p := range policies {
		if p.Namespace != pod.Namespace || !matches(p.Spec.PodSelector, pod.Labels) || !hasType(p, dir) {
			continue
		}
		isolated = true
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range p.Spec.Ingress {
				if peersMatch(r.From, peer, p.Namespace) && portsMatch(r.Ports, dst, proto, port) {
					return true
				}
			}
			continue
		}
		for _, r := range p.Spec.Egress {
			if peersMatch(r.To, peer, p.Namespace) && portsMatch(r.Ports, dst, proto, port) {
				return true
			}
		}
	}
	return !isolated
}

// hasType applies the API's default for empty policyTypes: Ingress always, Egress when the
// policy has egress rules.
func hasType(p networkingv1.NetworkPolicy, dir networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return dir == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	return slices.Contains(p.Spec.PolicyTypes, dir)
}

func peersMatch(peers []networkingv1.NetworkPolicyPeer, e Endpoint, policyNamespace string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			if ipBlockMatches(p.IPBlock, e.IP) {
				return true
			}
		case e.Namespace == "":
			// Selectors only ever match pods.
		case p.NamespaceSelector == nil:
			if p.PodSelector != nil && e.Namespace == policyNamespace && matches(*p.PodSelector, e.Labels) {
				return true
			}
		default:
			if matches(*p.NamespaceSelector, namespaceLabels(e)) && (p.PodSelector == nil || matches(*p.PodSelector, e.Labels)) {
				return true
			}
		}
	}
	return false
}

func namespaceLabels(e Endpoint) map[string]string {
	l := maps.Clone(e.NamespaceLabels)
	if l == nil {
		l = map[string]string{}
	}
	l[NamespaceNameLabel] = e.Namespace
	return l
}

func ipBlockMatches(b *networkingv1.IPBlock, ip netip.Addr) bool {
	if !ip.IsValid() || !netip.MustParsePrefix(b.CIDR).Contains(ip) {
		return false
	}
	for _, ex := range b.Except {
		if netip.MustParsePrefix(ex).Contains(ip) {
			return false
		}
	}
	return true
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, dst Endpoint, proto corev1.Protocol, port int) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		want := corev1.ProtocolTCP
		if p.Protocol != nil {
			want = *p.Protocol
		}
		if want != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == intstr.String {
			if n, ok := dst.Ports[p.Port.StrVal]; ok && n == port {
				return true
			}
			continue
		}
		lo, hi := int(p.Port.IntVal), int(p.Port.IntVal)
		if p.EndPort != nil {
			hi = int(*p.EndPort)
		}
		if port >= lo && port <= hi {
			return true
		}
	}
	return false
}

func matches(s k8smeta.LabelSelector, l map[string]string) bool {
	sel, err := k8smeta.LabelSelectorAsSelector(&s)
	if err != nil {
		panic(fmt.Sprintf("netpolicy: invalid selector: %v", err))
	}
	return sel.Matches(labels.Set(l))
}
