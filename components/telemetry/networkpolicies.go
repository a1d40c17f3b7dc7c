package telemetry

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/novacron/platform/internal/netpolicy"
)

// NetworkPolicy names in the pipeline's namespace. deny-all-default and allow-dns-egress are
// the names components/netpol gives the same two policies in the application namespaces.
const (
	PolicyDenyAll   = "deny-all-default"
	PolicyDNSEgress = "allow-dns-egress"
	PolicyAgent     = "allow-otel-agent"
	PolicyGateway   = "allow-otel-gateway"
	PolicyLoki      = "allow-loki"
	PolicyTempo     = "allow-tempo"
)

// NetworkPolicies returns the pipeline namespace's NetworkPolicies as Kubernetes API objects.
// It is pure: the component registers exactly these, and the tests evaluate them. Every
// connection not listed is refused:
//
//   - all pods: DNS to kube-dns;
//   - agents: OTLP (4317, 4318) from every namespace; to the gateway (4317), to Loki (3100),
//     HTTPS to HTTPSEgressCIDRs (the API server, for pod metadata and the gateway's endpoints);
//   - gateway: OTLP from the agents; to Tempo (4317);
//   - Loki: 3100 from the agents, Grafana and Prometheus; its own gRPC and memberlist ports from
//     itself (the single binary reaches its compactor and ring through its Services); HTTPS to
//     HTTPSEgressCIDRs (S3); the node's Pod Identity Agent for its credentials;
//   - Tempo: OTLP from the gateway; 3200 from Grafana and Prometheus; HTTPS to HTTPSEgressCIDRs;
//     the node's Pod Identity Agent;
//   - Prometheus: the collectors' metrics port (8888).
func NetworkPolicies(args *PipelinesArgs) ([]networkingv1.NetworkPolicy, error) {
	if err := args.Validate().Err("telemetry", "NetworkPolicies"); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	ns := a.Namespace
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	ingress, egress := networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress

	pods := func(release string) *k8smeta.LabelSelector {
		return &k8smeta.LabelSelector{MatchLabels: map[string]string{InstanceLabel: release}}
	}
	local := func(release string) networkingv1.NetworkPolicyPeer {
		return networkingv1.NetworkPolicyPeer{PodSelector: pods(release)}
	}
	monitoring := func(labels map[string]string) networkingv1.NetworkPolicyPeer {
		return networkingv1.NetworkPolicyPeer{
			NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{netpolicy.NamespaceNameLabel: a.MonitoringNamespace}},
			PodSelector:       &k8smeta.LabelSelector{MatchLabels: maps.Clone(labels)},
		}
	}
	grafana, prometheus := monitoring(a.GrafanaPodLabels), monitoring(a.PrometheusPodLabels)
	everyNamespace := networkingv1.NetworkPolicyPeer{NamespaceSelector: &k8smeta.LabelSelector{}}
	https := networkingv1.NetworkPolicyEgressRule{To: netpolicy.IPBlocks(a.HTTPSEgressCIDRs), Ports: tcpPorts(HTTPSPort)}
	// Only the stores hold AWS credentials; the VPC CNI's network policy agent filters traffic
	// to the link-local agent like any other egress.
	podIdentityAgent := networkingv1.NetworkPolicyEgressRule{
		To: netpolicy.IPBlocks([]string{PodIdentityAgentCIDR}), Ports: tcpPorts(PodIdentityAgentPort),
	}

	return []networkingv1.NetworkPolicy{
		netpolicy.New(ns, PolicyDenyAll, networkingv1.NetworkPolicySpec{
			PodSelector: k8smeta.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
		}),
		netpolicy.New(ns, PolicyDNSEgress, networkingv1.NetworkPolicySpec{
			PodSelector: k8smeta.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{egress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{netpolicy.NamespaceNameLabel: "kube-system"}},
					PodSelector:       &k8smeta.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{netpolicy.Port(udp, 53), netpolicy.Port(tcp, 53)},
			}},
		}),
		netpolicy.New(ns, PolicyAgent, networkingv1.NetworkPolicySpec{
			PodSelector: *pods(AgentName),
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{everyNamespace}, Ports: tcpPorts(OTLPGRPCPort, OTLPHTTPPort)},
				{From: []networkingv1.NetworkPolicyPeer{prometheus}, Ports: tcpPorts(MetricsPort)},
			},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{local(GatewayName)}, Ports: tcpPorts(OTLPGRPCPort)},
				{To: []networkingv1.NetworkPolicyPeer{local(LokiName)}, Ports: tcpPorts(LokiHTTPPort)},
				https,
			},
		}),
		netpolicy.New(ns, PolicyGateway, networkingv1.NetworkPolicySpec{
			PodSelector: *pods(GatewayName),
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{local(AgentName)}, Ports: tcpPorts(OTLPGRPCPort)},
				{From: []networkingv1.NetworkPolicyPeer{prometheus}, Ports: tcpPorts(MetricsPort)},
			},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{local(TempoName)}, Ports: tcpPorts(OTLPGRPCPort)},
			},
		}),
		netpolicy.New(ns, PolicyLoki, networkingv1.NetworkPolicySpec{
			PodSelector: *pods(LokiName),
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{local(AgentName), grafana, prometheus}, Ports: tcpPorts(LokiHTTPPort)},
				{From: []networkingv1.NetworkPolicyPeer{local(LokiName)}, Ports: tcpPorts(LokiHTTPPort, LokiGRPCPort, LokiMemberlistPort)},
			},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{local(LokiName)}, Ports: tcpPorts(LokiHTTPPort, LokiGRPCPort, LokiMemberlistPort)},
				https,
				podIdentityAgent,
			},
		}),
		netpolicy.New(ns, PolicyTempo, networkingv1.NetworkPolicySpec{
			PodSelector: *pods(TempoName),
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{local(GatewayName)}, Ports: tcpPorts(OTLPGRPCPort)},
				{From: []networkingv1.NetworkPolicyPeer{grafana, prometheus}, Ports: tcpPorts(TempoQueryPort)},
			},
			Egress: []networkingv1.NetworkPolicyEgressRule{https, podIdentityAgent},
		}),
	}, nil
}

func tcpPorts(ns ...int) []networkingv1.NetworkPolicyPort {
	out := make([]networkingv1.NetworkPolicyPort, len(ns))
	for i, n := range ns {
		out[i] = netpolicy.Port(corev1.ProtocolTCP, n)
	}
	return out
}
