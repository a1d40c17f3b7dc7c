package telemetry

import (
	"fmt"
	"maps"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	netv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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

// namespaceNameLabel is set by Kubernetes on every namespace to its name and cannot be changed.
const namespaceNameLabel = "kubernetes.io/metadata.name"

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
//     HTTPSEgressCIDRs (S3, STS);
//   - Tempo: OTLP from the gateway; 3200 from Grafana and Prometheus; HTTPS to HTTPSEgressCIDRs;
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
			NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: a.MonitoringNamespace}},
			PodSelector:       &k8smeta.LabelSelector{MatchLabels: maps.Clone(labels)},
		}
	}
	grafana, prometheus := monitoring(a.GrafanaPodLabels), monitoring(a.PrometheusPodLabels)
	everyNamespace := networkingv1.NetworkPolicyPeer{NamespaceSelector: &k8smeta.LabelSelector{}}
	https := networkingv1.NetworkPolicyEgressRule{To: ipBlocks(a.HTTPSEgressCIDRs), Ports: tcpPorts(HTTPSPort)}

	return []networkingv1.NetworkPolicy{
		policy(ns, PolicyDenyAll, networkingv1.NetworkPolicySpec{
			PodSelector: k8smeta.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
		}),
		policy(ns, PolicyDNSEgress, networkingv1.NetworkPolicySpec{
			PodSelector: k8smeta.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{egress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &k8smeta.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: "kube-system"}},
					PodSelector:       &k8smeta.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{port(udp, 53), port(tcp, 53)},
			}},
		}),
		policy(ns, PolicyAgent, networkingv1.NetworkPolicySpec{
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
		policy(ns, PolicyGateway, networkingv1.NetworkPolicySpec{
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
		policy(ns, PolicyLoki, networkingv1.NetworkPolicySpec{
			PodSelector: *pods(LokiName),
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{local(AgentName), grafana, prometheus}, Ports: tcpPorts(LokiHTTPPort)},
				{From: []networkingv1.NetworkPolicyPeer{local(LokiName)}, Ports: tcpPorts(LokiHTTPPort, LokiGRPCPort, LokiMemberlistPort)},
			},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{local(LokiName)}, Ports: tcpPorts(LokiHTTPPort, LokiGRPCPort, LokiMemberlistPort)},
				https,
			},
		}),
		policy(ns, PolicyTempo, networkingv1.NetworkPolicySpec{
			PodSelector: *pods(TempoName),
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{local(GatewayName)}, Ports: tcpPorts(OTLPGRPCPort)},
				{From: []networkingv1.NetworkPolicyPeer{grafana, prometheus}, Ports: tcpPorts(TempoQueryPort)},
			},
			Egress: []networkingv1.NetworkPolicyEgressRule{https},
		}),
	}, nil
}

func policy(ns, name string, spec networkingv1.NetworkPolicySpec) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{
		TypeMeta: k8smeta.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: k8smeta.ObjectMeta{
			Name:      name,
			Namespace: ns,
			Labels: map[string]string{
				"app.kubernetes.io/part-of":    "novacron",
				"app.kubernetes.io/managed-by": "pulumi",
			},
		},
		Spec: spec,
	}
}

func port(proto corev1.Protocol, n int) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(int32(n))
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func tcpPorts(ns ...int) []networkingv1.NetworkPolicyPort {
	out := make([]networkingv1.NetworkPolicyPort, len(ns))
	for i, n := range ns {
		out[i] = port(corev1.ProtocolTCP, n)
	}
	return out
}

func ipBlocks(cidrs []string) []networkingv1.NetworkPolicyPeer {
	out := make([]networkingv1.NetworkPolicyPeer, len(cidrs))
	for i, c := range cidrs {
		out[i] = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}}
	}
	return out
}

// policyArgs converts one API object into pulumi-kubernetes arguments. It covers the fields
// NetworkPolicies uses and refuses the others rather than dropping them.
func policyArgs(p networkingv1.NetworkPolicy) (*netv1.NetworkPolicyArgs, error) {
	podSelector, err := selectorArgs(p.Spec.PodSelector)
	if err != nil {
		return nil, err
	}
	spec := &netv1.NetworkPolicySpecArgs{PodSelector: podSelector}
	types := pulumi.StringArray{}
	for _, t := range p.Spec.PolicyTypes {
		types = append(types, pulumi.String(string(t)))
	}
	spec.PolicyTypes = types
	if len(p.Spec.Ingress) > 0 {
		rules := netv1.NetworkPolicyIngressRuleArray{}
		for _, r := range p.Spec.Ingress {
			from, err := peerArgs(r.From)
			if err != nil {
				return nil, err
			}
			rules = append(rules, netv1.NetworkPolicyIngressRuleArgs{From: from, Ports: portArgs(r.Ports)})
		}
		spec.Ingress = rules
	}
	if len(p.Spec.Egress) > 0 {
		rules := netv1.NetworkPolicyEgressRuleArray{}
		for _, r := range p.Spec.Egress {
			to, err := peerArgs(r.To)
			if err != nil {
				return nil, err
			}
			rules = append(rules, netv1.NetworkPolicyEgressRuleArgs{To: to, Ports: portArgs(r.Ports)})
		}
		spec.Egress = rules
	}
	return &netv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(p.Name),
			Namespace: pulumi.String(p.Namespace),
			Labels:    pulumi.ToStringMap(p.Labels),
		},
		Spec: spec,
	}, nil
}

func selectorArgs(s k8smeta.LabelSelector) (metav1.LabelSelectorArgs, error) {
	if len(s.MatchExpressions) > 0 {
		return metav1.LabelSelectorArgs{}, fmt.Errorf("matchExpressions are not supported")
	}
	out := metav1.LabelSelectorArgs{}
	if len(s.MatchLabels) > 0 {
		out.MatchLabels = pulumi.ToStringMap(s.MatchLabels)
	}
	return out, nil
}

func peerArgs(in []networkingv1.NetworkPolicyPeer) (netv1.NetworkPolicyPeerArray, error) {
	out := netv1.NetworkPolicyPeerArray{}
	for _, p := range in {
		peer := netv1.NetworkPolicyPeerArgs{}
		if p.IPBlock != nil {
			if len(p.IPBlock.Except) > 0 {
				return nil, fmt.Errorf("ipBlock.except is not supported")
			}
			peer.IpBlock = netv1.IPBlockArgs{Cidr: pulumi.String(p.IPBlock.CIDR)}
		}
		if p.NamespaceSelector != nil {
			s, err := selectorArgs(*p.NamespaceSelector)
			if err != nil {
				return nil, err
			}
			peer.NamespaceSelector = s
		}
		if p.PodSelector != nil {
			s, err := selectorArgs(*p.PodSelector)
			if err != nil {
				return nil, err
			}
			peer.PodSelector = s
		}
		out = append(out, peer)
	}
	return out, nil
}

func portArgs(in []networkingv1.NetworkPolicyPort) netv1.NetworkPolicyPortArray {
	out := netv1.NetworkPolicyPortArray{}
	for _, p := range in {
		arg := netv1.NetworkPolicyPortArgs{}
		if p.Protocol != nil {
			arg.Protocol = pulumi.String(string(*p.Protocol))
		}
		if p.Port != nil {
			arg.Port = pulumi.Int(int(p.Port.IntVal))
		}
		out = append(out, arg)
	}
	return out
}
