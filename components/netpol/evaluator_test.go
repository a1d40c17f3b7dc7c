package netpol

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// A small NetworkPolicy evaluator, following the semantics of the Kubernetes documentation
// ("Network Policies"): a pod is isolated for a direction when a policy of its namespace selects
// it with that policy type; an isolated pod accepts a connection only if some selecting policy
// has a rule whose peers and ports match; a connection needs the source's egress and the
// destination's ingress to allow it. Endpoints outside the cluster are never isolated and are
// matched only by ipBlock peers.

type endpoint struct {
	name      string
	namespace string // "" outside the cluster
	labels    map[string]string
	ip        netip.Addr
}

type cluster struct {
	policies []networkingv1.NetworkPolicy
	// namespaceLabels are extra labels per namespace; kubernetes.io/metadata.name is implied.
	namespaceLabels map[string]map[string]string
}

func (c cluster) allowed(src, dst endpoint, proto corev1.Protocol, port int) bool {
	return c.permits(src, dst, networkingv1.PolicyTypeEgress, proto, port) &&
		c.permits(dst, src, networkingv1.PolicyTypeIngress, proto, port)
}

// permits reports whether pod's policies let it talk to peer in direction dir.
func (c cluster) permits(pod, peer endpoint, dir networkingv1.PolicyType, proto corev1.Protocol, port int) bool {
	if pod.namespace == "" {
		return true
	}
	isolated := false
	for _, p := range c.policies {
		if p.Namespace != pod.namespace || !matches(p.Spec.PodSelector, pod.labels) || !hasType(p, dir) {
			continue
		}
		isolated = true
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range p.Spec.Ingress {
				if c.peersMatch(r.From, peer, p.Namespace) && portsMatch(r.Ports, proto, port) {
					return true
				}
			}
		} else {
			for _, r := range p.Spec.Egress {
				if c.peersMatch(r.To, peer, p.Namespace) && portsMatch(r.Ports, proto, port) {
					return true
				}
			}
		}
	}
	return !isolated
}

// hasType applies the API default: Ingress always, Egress when the policy has egress rules.
func hasType(p networkingv1.NetworkPolicy, dir networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return dir == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		if t == dir {
			return true
		}
	}
	return false
}

func (c cluster) peersMatch(peers []networkingv1.NetworkPolicyPeer, e endpoint, policyNamespace string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			if ipBlockMatches(p.IPBlock, e.ip) {
				return true
			}
		case e.namespace == "":
			// Selectors only ever match pods.
		case p.NamespaceSelector == nil:
			if e.namespace == policyNamespace && matches(*p.PodSelector, e.labels) {
				return true
			}
		default:
			nsLabels := map[string]string{"kubernetes.io/metadata.name": e.namespace}
			for k, v := range c.namespaceLabels[e.namespace] {
				nsLabels[k] = v
			}
			if matches(*p.NamespaceSelector, nsLabels) && (p.PodSelector == nil || matches(*p.PodSelector, e.labels)) {
				return true
			}
		}
	}
	return false
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

func portsMatch(ports []networkingv1.NetworkPolicyPort, proto corev1.Protocol, port int) bool {
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
		lo := p.Port.IntValue()
		hi := lo
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
		panic(err)
	}
	return sel.Matches(labels.Set(l))
}

// --- scenarios -------------------------------------------------------------------------------

var (
	api         = endpoint{name: "api", namespace: "novacron", labels: map[string]string{"app": "novacron-api"}, ip: netip.MustParseAddr("10.0.10.5")}
	worker      = endpoint{name: "worker", namespace: "novacron", labels: map[string]string{"app": "novacron-worker"}, ip: netip.MustParseAddr("10.0.10.6")}
	jobsAPI     = endpoint{name: "jobs-api", namespace: "novacron-jobs", labels: map[string]string{"app": "novacron-api"}, ip: netip.MustParseAddr("10.0.10.8")}
	kubeDNS     = endpoint{name: "kube-dns", namespace: "kube-system", labels: map[string]string{"k8s-app": "kube-dns"}, ip: netip.MustParseAddr("10.0.10.2")}
	metrics     = endpoint{name: "metrics-server", namespace: "kube-system", labels: map[string]string{"k8s-app": "metrics-server"}, ip: netip.MustParseAddr("10.0.10.3")}
	prom        = endpoint{name: "prometheus", namespace: "monitoring", labels: map[string]string{"app.kubernetes.io/name": "prometheus"}, ip: netip.MustParseAddr("10.0.11.7")}
	grafana     = endpoint{name: "grafana", namespace: "monitoring", labels: map[string]string{"app.kubernetes.io/name": "grafana"}, ip: netip.MustParseAddr("10.0.11.8")}
	stranger    = endpoint{name: "stranger", namespace: "default", labels: map[string]string{"app": "curl"}, ip: netip.MustParseAddr("10.0.11.9")}
	gateway     = endpoint{name: "gateway", namespace: "edge", labels: map[string]string{"app": "envoy"}, ip: netip.MustParseAddr("10.0.11.10")}
	alb         = endpoint{name: "alb", ip: netip.MustParseAddr("10.0.0.37")}
	database    = endpoint{name: "rds", ip: netip.MustParseAddr("10.0.20.15")}
	vpcHost     = endpoint{name: "vpc-host", ip: netip.MustParseAddr("10.0.12.40")}
	endpoint443 = endpoint{name: "vpc-endpoint", ip: netip.MustParseAddr("10.0.30.10")}
	internet    = endpoint{name: "internet", ip: netip.MustParseAddr("1.1.1.1")}
	otelAgent   = endpoint{name: "otel-agent", namespace: "telemetry", labels: map[string]string{"app.kubernetes.io/instance": "otel-agent"}, ip: netip.MustParseAddr("10.0.11.20")}
	otelGateway = endpoint{name: "otel-gateway", namespace: "telemetry", labels: map[string]string{"app.kubernetes.io/instance": "otel-gateway"}, ip: netip.MustParseAddr("10.0.11.21")}
	loki        = endpoint{name: "loki", namespace: "telemetry", labels: map[string]string{"app.kubernetes.io/instance": "loki"}, ip: netip.MustParseAddr("10.0.11.22")}
	fakeAgent   = endpoint{name: "fake-agent", namespace: "default", labels: map[string]string{"app.kubernetes.io/instance": "otel-agent"}, ip: netip.MustParseAddr("10.0.11.23")}
	obsAgent    = endpoint{name: "obs-agent", namespace: "observability", labels: map[string]string{"app.kubernetes.io/name": "node-agent"}, ip: netip.MustParseAddr("10.0.11.24")}
)

type flow struct {
	src, dst endpoint
	proto    corev1.Protocol
	port     int
	want     bool
}

func checkFlows(t *testing.T, c cluster, flows []flow) {
	t.Helper()
	for _, f := range flows {
		verdict := map[bool]string{true: "allowed", false: "denied"}[f.want]
		assert.Equal(t, f.want, c.allowed(f.src, f.dst, f.proto, f.port),
			"%s -> %s %s/%d should be %s", f.src.name, f.dst.name, f.proto, f.port, verdict)
	}
}

const tcp, udp = corev1.ProtocolTCP, corev1.ProtocolUDP

func TestWhoMayTalkToWhomWithALBSubnets(t *testing.T) {
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:         []string{"novacron", "novacron-jobs"},
		IngressSourceCIDRs: []string{"10.0.0.0/24", "10.0.1.0/24"},
		DatabaseCIDRs:      []string{"10.0.20.0/24", "10.0.21.0/24"},
	})
	require.NoError(t, err)
	c := cluster{policies: policies}
	checkFlows(t, c, []flow{
		// api <- ingress source on 8080 only.
		{alb, api, tcp, 8080, true},
		{alb, jobsAPI, tcp, 8080, true},
		{alb, api, tcp, 9090, false},
		{alb, worker, tcp, 8080, false},
		{internet, api, tcp, 8080, false},
		{vpcHost, api, tcp, 8080, false},
		// api -> database subnets on 5432 only, and only the api.
		{api, database, tcp, 5432, true},
		{api, database, tcp, 3306, false},
		{worker, database, tcp, 5432, false},
		// Nothing else leaves the namespace.
		{api, internet, tcp, 443, false},
		{api, vpcHost, udp, 53, false},
		{worker, internet, tcp, 80, false},
		// Every pod resolves names through kube-dns, and only DNS is allowed there.
		{api, kubeDNS, udp, 53, true},
		{api, kubeDNS, tcp, 53, true},
		{worker, kubeDNS, udp, 53, true},
		{jobsAPI, kubeDNS, udp, 53, true},
		{api, kubeDNS, tcp, 80, false},
		{api, metrics, udp, 53, false},
		// Prometheus scrapes every application pod on the metrics port, nothing more.
		{prom, api, tcp, 8080, true},
		{prom, worker, tcp, 8080, true},
		{prom, api, tcp, 5432, false},
		{grafana, api, tcp, 8080, false},
		// Any other pod, even in the same namespace, is denied.
		{stranger, api, tcp, 8080, false},
		{worker, api, tcp, 8080, false},
		{api, worker, tcp, 8080, false},
		{api, jobsAPI, tcp, 8080, false},
	})
}

func TestWhoMayTalkToWhomWithIngressNamespace(t *testing.T) {
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:                  []string{"novacron"},
		IngressSourceNamespaceLabel: "kubernetes.io/metadata.name",
		IngressSourceNamespaceValue: "edge",
		DatabaseCIDRs:               []string{"10.0.20.0/24"},
	})
	require.NoError(t, err)
	c := cluster{policies: policies}
	checkFlows(t, c, []flow{
		{gateway, api, tcp, 8080, true},
		{gateway, worker, tcp, 8080, false},
		{gateway, api, tcp, 9090, false},
		{stranger, api, tcp, 8080, false},
		{alb, api, tcp, 8080, false},
		{api, database, tcp, 5432, true},
		{api, internet, tcp, 443, false},
		{api, kubeDNS, udp, 53, true},
		{prom, api, tcp, 8080, true},
	})
}

func TestOptionalHTTPSEgress(t *testing.T) {
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:          []string{"novacron"},
		IngressSourceCIDRs:  []string{"10.0.0.0/24"},
		DatabaseCIDRs:       []string{"10.0.20.0/24"},
		APIEgressHTTPSCIDRs: []string{"10.0.30.0/24"},
	})
	require.NoError(t, err)
	checkFlows(t, cluster{policies: policies}, []flow{
		{api, endpoint443, tcp, 443, true},
		{api, endpoint443, tcp, 80, false},
		{worker, endpoint443, tcp, 443, false},
		{api, internet, tcp, 443, false},
	})
}

// The evaluator itself must be able to say yes and no: without policies everything flows, and
// a lone default deny stops everything, DNS included (DESIGN.md §7).
func TestEvaluatorBaseline(t *testing.T) {
	checkFlows(t, cluster{}, []flow{
		{api, internet, tcp, 443, true},
		{stranger, api, tcp, 8080, true},
	})
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:         []string{"novacron"},
		IngressSourceCIDRs: []string{"10.0.0.0/24"},
		DatabaseCIDRs:      []string{"10.0.20.0/24"},
	})
	require.NoError(t, err)
	var denyOnly []networkingv1.NetworkPolicy
	for _, p := range policies {
		if p.Name == PolicyDenyAll {
			denyOnly = append(denyOnly, p)
		}
	}
	require.Len(t, denyOnly, 1)
	checkFlows(t, cluster{policies: denyOnly}, []flow{
		{api, kubeDNS, udp, 53, false},
		{alb, api, tcp, 8080, false},
		{prom, stranger, tcp, 8080, true},
	})
}

// Every application pod sends OTLP to the telemetry namespace's agents, on the two OTLP ports
// only; not to the gateway, Loki or a look-alike pod elsewhere.
func TestApplicationsReachTheOTLPAgents(t *testing.T) {
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:         []string{"novacron", "novacron-jobs"},
		IngressSourceCIDRs: []string{"10.0.0.0/24"},
		DatabaseCIDRs:      []string{"10.0.20.0/24"},
	})
	require.NoError(t, err)
	checkFlows(t, cluster{policies: policies}, []flow{
		{api, otelAgent, tcp, 4317, true},
		{api, otelAgent, tcp, 4318, true},
		{worker, otelAgent, tcp, 4317, true},
		{jobsAPI, otelAgent, tcp, 4318, true},
		{api, otelAgent, udp, 4317, false},
		{api, otelAgent, tcp, 8888, false},
		{api, otelAgent, tcp, 13133, false},
		{api, otelGateway, tcp, 4317, false},
		{api, loki, tcp, 3100, false},
		{api, loki, tcp, 4318, false},
		{api, fakeAgent, tcp, 4317, false},
		{api, internet, tcp, 4317, false},
	})
}

func TestOTLPAgentsElsewhere(t *testing.T) {
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:              []string{"novacron"},
		IngressSourceCIDRs:      []string{"10.0.0.0/24"},
		DatabaseCIDRs:           []string{"10.0.20.0/24"},
		TelemetryNamespace:      "observability",
		TelemetryAgentPodLabels: map[string]string{"app.kubernetes.io/name": "node-agent"},
	})
	require.NoError(t, err)
	checkFlows(t, cluster{policies: policies}, []flow{
		{api, obsAgent, tcp, 4317, true},
		{worker, obsAgent, tcp, 4318, true},
		{api, otelAgent, tcp, 4317, false},
	})
}
