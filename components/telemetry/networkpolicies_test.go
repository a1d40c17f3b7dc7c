package telemetry

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/novacron/platform/internal/mock/mocktest"
	"github.com/novacron/platform/internal/netpolicy"
)

// Who may talk to whom, judged by the shared evaluator (netpolicy.Allowed) on the objects
// NetworkPolicies returns. Endpoints without a namespace are outside the cluster.

const tcp, udp = corev1.ProtocolTCP, corev1.ProtocolUDP

func pod(name, ns string, l map[string]string, ip string) netpolicy.Endpoint {
	return netpolicy.Endpoint{Name: name, Namespace: ns, Labels: l, IP: netip.MustParseAddr(ip)}
}

func instance(release string) map[string]string { return map[string]string{InstanceLabel: release} }

var (
	agent      = pod("otel-agent", "telemetry", instance(AgentName), "10.0.10.10")
	gatewayPod = pod("otel-gateway", "telemetry", instance(GatewayName), "10.0.10.11")
	lokiPod    = pod("loki", "telemetry", instance(LokiName), "10.0.10.12")
	tempoPod   = pod("tempo", "telemetry", instance(TempoName), "10.0.10.13")
	api        = pod("api", "novacron", map[string]string{"app": "novacron-api"}, "10.0.11.5")
	grafana    = pod("grafana", "monitoring", map[string]string{"app.kubernetes.io/name": "grafana"}, "10.0.12.5")
	prometheus = pod("prometheus", "monitoring", map[string]string{"app.kubernetes.io/name": "prometheus"}, "10.0.12.6")
	otherMon   = pod("alertmanager", "monitoring", map[string]string{"app.kubernetes.io/name": "alertmanager"}, "10.0.12.7")
	fakeGraf   = pod("impostor", "novacron", map[string]string{"app.kubernetes.io/name": "grafana"}, "10.0.11.9")
	kubeDNS    = pod("kube-dns", "kube-system", map[string]string{"k8s-app": "kube-dns"}, "10.0.13.2")
	stranger   = pod("stranger", "telemetry", map[string]string{"app": "debug"}, "10.0.10.99")
	s3         = netpolicy.Endpoint{Name: "s3", IP: netip.MustParseAddr("52.216.1.10")}
	apiServer  = netpolicy.Endpoint{Name: "api-server", IP: netip.MustParseAddr("10.0.1.20")}
	// The EKS Pod Identity Agent, on the node's link-local address.
	podIDAgent = netpolicy.Endpoint{Name: "eks-pod-identity-agent", IP: netip.MustParseAddr("169.254.170.23")}
	imds       = netpolicy.Endpoint{Name: "instance-metadata", IP: netip.MustParseAddr("169.254.169.254")}
)

type flow struct {
	src, dst netpolicy.Endpoint
	proto    corev1.Protocol
	port     int
	want     bool
}

func checkFlows(t *testing.T, policies []networkingv1.NetworkPolicy, flows []flow) {
	t.Helper()
	for _, f := range flows {
		verdict := map[bool]string{true: "allowed", false: "denied"}[f.want]
		assert.Equal(t, f.want, netpolicy.Allowed(policies, f.src, f.dst, f.proto, f.port),
			"%s -> %s %s/%d should be %s", f.src.Name, f.dst.Name, f.proto, f.port, verdict)
	}
}

func TestWhoMayTalkToWhom(t *testing.T) {
	policies, err := NetworkPolicies(baseArgs())
	require.NoError(t, err)
	checkFlows(t, policies, []flow{
		// Applications send OTLP to their node's agent, from any namespace, and nowhere else.
		{api, agent, tcp, OTLPGRPCPort, true},
		{api, agent, tcp, OTLPHTTPPort, true},
		{prometheus, agent, tcp, OTLPGRPCPort, true},
		{api, agent, tcp, 8080, false},
		{api, gatewayPod, tcp, OTLPGRPCPort, false},
		{api, tempoPod, tcp, OTLPGRPCPort, false},
		{api, lokiPod, tcp, LokiHTTPPort, false},
		{s3, agent, tcp, OTLPGRPCPort, false},
		// Agents: spans to the gateway, logs to Loki, the API server on 443.
		{agent, gatewayPod, tcp, OTLPGRPCPort, true},
		{agent, gatewayPod, tcp, OTLPHTTPPort, false},
		{agent, lokiPod, tcp, LokiHTTPPort, true},
		{agent, lokiPod, tcp, LokiGRPCPort, false},
		{agent, tempoPod, tcp, OTLPGRPCPort, false},
		{agent, apiServer, tcp, 443, true},
		{agent, apiServer, tcp, 6443, false},
		// Gateway: only to Tempo's OTLP port; not to the internet.
		{gatewayPod, tempoPod, tcp, OTLPGRPCPort, true},
		{gatewayPod, tempoPod, tcp, TempoQueryPort, false},
		{gatewayPod, lokiPod, tcp, LokiHTTPPort, false},
		{gatewayPod, s3, tcp, 443, false},
		{stranger, gatewayPod, tcp, OTLPGRPCPort, false},
		// Loki and Tempo fetch their credentials from the node's Pod Identity Agent on 80, and
		// nobody else of the namespace may; the instance metadata service stays shut.
		{lokiPod, podIDAgent, tcp, 80, true},
		{tempoPod, podIDAgent, tcp, 80, true},
		{lokiPod, podIDAgent, tcp, 2703, false},
		{agent, podIDAgent, tcp, 80, false},
		{gatewayPod, podIDAgent, tcp, 80, false},
		{stranger, podIDAgent, tcp, 80, false},
		{lokiPod, imds, tcp, 80, false},
		{tempoPod, imds, tcp, 80, false},
		// Loki and Tempo reach S3 on 443 only.
		{lokiPod, s3, tcp, 443, true},
		{tempoPod, s3, tcp, 443, true},
		{lokiPod, s3, tcp, 80, false},
		{tempoPod, agent, tcp, OTLPGRPCPort, false},
		// Loki talks to itself (compactor gRPC, memberlist).
		{lokiPod, lokiPod, tcp, LokiGRPCPort, true},
		{lokiPod, lokiPod, tcp, LokiMemberlistPort, true},
		// Grafana queries Loki and Tempo; nobody else of the monitoring namespace may, and a pod
		// with Grafana's label elsewhere may not.
		{grafana, lokiPod, tcp, LokiHTTPPort, true},
		{grafana, tempoPod, tcp, TempoQueryPort, true},
		{grafana, tempoPod, tcp, OTLPGRPCPort, false},
		{otherMon, lokiPod, tcp, LokiHTTPPort, false},
		{fakeGraf, lokiPod, tcp, LokiHTTPPort, false},
		{fakeGraf, tempoPod, tcp, TempoQueryPort, false},
		// Prometheus scrapes every metrics port.
		{prometheus, agent, tcp, MetricsPort, true},
		{prometheus, gatewayPod, tcp, MetricsPort, true},
		{prometheus, lokiPod, tcp, LokiHTTPPort, true},
		{prometheus, tempoPod, tcp, TempoQueryPort, true},
		{grafana, agent, tcp, MetricsPort, false},
		// Every pod resolves names; only DNS goes to kube-dns.
		{agent, kubeDNS, udp, 53, true},
		{gatewayPod, kubeDNS, tcp, 53, true},
		{lokiPod, kubeDNS, udp, 53, true},
		{tempoPod, kubeDNS, udp, 53, true},
		{stranger, kubeDNS, udp, 53, true},
		{agent, kubeDNS, tcp, 80, false},
		// Anything else in the namespace is shut in.
		{stranger, s3, tcp, 443, false},
		{stranger, lokiPod, tcp, LokiHTTPPort, false},
		{agent, stranger, tcp, 8080, false},
	})
}

func TestHTTPSEgressFollowsArgs(t *testing.T) {
	a := baseArgs()
	a.HTTPSEgressCIDRs = []string{"10.0.0.0/16"}
	policies, err := NetworkPolicies(a)
	require.NoError(t, err)
	checkFlows(t, policies, []flow{
		{agent, apiServer, tcp, 443, true},
		{lokiPod, apiServer, tcp, 443, true},
		{lokiPod, s3, tcp, 443, false},
		{tempoPod, s3, tcp, 443, false},
	})
}

func TestMonitoringNamespaceFollowsArgs(t *testing.T) {
	a := baseArgs()
	a.MonitoringNamespace = "observability"
	policies, err := NetworkPolicies(a)
	require.NoError(t, err)
	moved := grafana
	moved.Namespace = "observability"
	checkFlows(t, policies, []flow{
		{moved, lokiPod, tcp, LokiHTTPPort, true},
		{grafana, lokiPod, tcp, LokiHTTPPort, false},
	})
}

// The evaluator itself says yes and no: without policies everything flows; a lone default deny
// stops everything, DNS included.
func TestEvaluatorBaseline(t *testing.T) {
	checkFlows(t, nil, []flow{
		{stranger, s3, tcp, 443, true},
		{api, lokiPod, tcp, LokiHTTPPort, true},
	})
	policies, err := NetworkPolicies(baseArgs())
	require.NoError(t, err)
	require.Equal(t, PolicyDenyAll, policies[0].Name)
	checkFlows(t, policies[:1], []flow{
		{agent, kubeDNS, udp, 53, false},
		{api, agent, tcp, OTLPGRPCPort, false},
		{api, kubeDNS, udp, 53, true},
	})
}

// The component registers exactly the objects NetworkPolicies returns, in the namespace it
// creates.
func TestRegisteredPoliciesAreThePureOnes(t *testing.T) {
	eng := run(t, baseArgs())
	policies, err := NetworkPolicies(baseArgs())
	require.NoError(t, err)
	for _, want := range policies {
		r := mocktest.Find(t, eng, typNetpol, "telemetry-"+want.Name)
		raw, err := json.Marshal(r.Inputs.Mappable())
		require.NoError(t, err)
		var got networkingv1.NetworkPolicy
		require.NoError(t, yaml.UnmarshalStrict(raw, &got), want.Name)
		assert.Equal(t, want.ObjectMeta, got.ObjectMeta, want.Name)
		assert.Equal(t, want.Spec, got.Spec, want.Name)
	}
}

func TestNetworkPoliciesGolden(t *testing.T) {
	policies, err := NetworkPolicies(baseArgs())
	require.NoError(t, err)
	b, err := json.Marshal(policies)
	require.NoError(t, err)
	goldenJSON(t, "networkpolicies.golden.json", string(b))
}
