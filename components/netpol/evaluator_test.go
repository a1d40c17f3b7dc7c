package netpol

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/novacron/platform/internal/netpolicy"
)

// Who may talk to whom, judged by the shared evaluator (netpolicy.Allowed) on the objects
// Policies returns. Endpoints without a namespace are outside the cluster.
var (
	api         = netpolicy.Endpoint{Name: "api", Namespace: "novacron", Labels: map[string]string{"app": "novacron-api"}, IP: netip.MustParseAddr("10.0.10.5")}
	worker      = netpolicy.Endpoint{Name: "worker", Namespace: "novacron", Labels: map[string]string{"app": "novacron-worker"}, IP: netip.MustParseAddr("10.0.10.6")}
	jobsAPI     = netpolicy.Endpoint{Name: "jobs-api", Namespace: "novacron-jobs", Labels: map[string]string{"app": "novacron-api"}, IP: netip.MustParseAddr("10.0.10.8")}
	kubeDNS     = netpolicy.Endpoint{Name: "kube-dns", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: netip.MustParseAddr("10.0.10.2")}
	metrics     = netpolicy.Endpoint{Name: "metrics-server", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "metrics-server"}, IP: netip.MustParseAddr("10.0.10.3")}
	prom        = netpolicy.Endpoint{Name: "prometheus", Namespace: "monitoring", Labels: map[string]string{"app.kubernetes.io/name": "prometheus"}, IP: netip.MustParseAddr("10.0.11.7")}
	grafana     = netpolicy.Endpoint{Name: "grafana", Namespace: "monitoring", Labels: map[string]string{"app.kubernetes.io/name": "grafana"}, IP: netip.MustParseAddr("10.0.11.8")}
	stranger    = netpolicy.Endpoint{Name: "stranger", Namespace: "default", Labels: map[string]string{"app": "curl"}, IP: netip.MustParseAddr("10.0.11.9")}
	gateway     = netpolicy.Endpoint{Name: "gateway", Namespace: "edge", Labels: map[string]string{"app": "envoy"}, IP: netip.MustParseAddr("10.0.11.10")}
	alb         = netpolicy.Endpoint{Name: "alb", IP: netip.MustParseAddr("10.0.0.37")}
	database    = netpolicy.Endpoint{Name: "rds", IP: netip.MustParseAddr("10.0.20.15")}
	vpcHost     = netpolicy.Endpoint{Name: "vpc-host", IP: netip.MustParseAddr("10.0.12.40")}
	endpoint443 = netpolicy.Endpoint{Name: "vpc-endpoint", IP: netip.MustParseAddr("10.0.30.10")}
	internet    = netpolicy.Endpoint{Name: "internet", IP: netip.MustParseAddr("1.1.1.1")}
	otelAgent   = netpolicy.Endpoint{Name: "otel-agent", Namespace: "telemetry", Labels: map[string]string{"app.kubernetes.io/instance": "otel-agent"}, IP: netip.MustParseAddr("10.0.11.20")}
	otelGateway = netpolicy.Endpoint{Name: "otel-gateway", Namespace: "telemetry", Labels: map[string]string{"app.kubernetes.io/instance": "otel-gateway"}, IP: netip.MustParseAddr("10.0.11.21")}
	loki        = netpolicy.Endpoint{Name: "loki", Namespace: "telemetry", Labels: map[string]string{"app.kubernetes.io/instance": "loki"}, IP: netip.MustParseAddr("10.0.11.22")}
	fakeAgent   = netpolicy.Endpoint{Name: "fake-agent", Namespace: "default", Labels: map[string]string{"app.kubernetes.io/instance": "otel-agent"}, IP: netip.MustParseAddr("10.0.11.23")}
	obsAgent    = netpolicy.Endpoint{Name: "obs-agent", Namespace: "observability", Labels: map[string]string{"app.kubernetes.io/name": "node-agent"}, IP: netip.MustParseAddr("10.0.11.24")}
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

const tcp, udp = corev1.ProtocolTCP, corev1.ProtocolUDP

func TestWhoMayTalkToWhomWithALBSubnets(t *testing.T) {
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:         []string{"novacron", "novacron-jobs"},
		IngressSourceCIDRs: []string{"10.0.0.0/24", "10.0.1.0/24"},
		DatabaseCIDRs:      []string{"10.0.20.0/24", "10.0.21.0/24"},
	})
	require.NoError(t, err)
	checkFlows(t, policies, []flow{
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
	checkFlows(t, policies, []flow{
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
	checkFlows(t, policies, []flow{
		{api, endpoint443, tcp, 443, true},
		{api, endpoint443, tcp, 80, false},
		{worker, endpoint443, tcp, 443, false},
		{api, internet, tcp, 443, false},
	})
}

// The evaluator itself must be able to say yes and no: without policies everything flows, and
// a lone default deny stops everything, DNS included (DESIGN.md §7).
func TestEvaluatorBaseline(t *testing.T) {
	checkFlows(t, nil, []flow{
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
	checkFlows(t, denyOnly, []flow{
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
	checkFlows(t, policies, []flow{
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
	checkFlows(t, policies, []flow{
		{api, obsAgent, tcp, 4317, true},
		{worker, obsAgent, tcp, 4318, true},
		{api, otelAgent, tcp, 4317, false},
	})
}

// A pod Falco Talon has quarantined (components/falcotalon labels it) is left out of every allow
// policy but DNS and the Prometheus scrape: the namespace's default deny then isolates it, whatever Talon's
// own policy says. The same pod without the label keeps its flows, so the cases can fail.
func TestQuarantinedPodsAreIsolated(t *testing.T) {
	policies, err := Policies(&NetworkPoliciesArgs{
		Namespaces:          []string{"novacron"},
		IngressSourceCIDRs:  []string{"10.0.0.0/24"},
		DatabaseCIDRs:       []string{"10.0.20.0/24"},
		APIEgressHTTPSCIDRs: []string{"10.0.30.0/24"},
	})
	require.NoError(t, err)
	quarantined := func(e netpolicy.Endpoint) netpolicy.Endpoint {
		l := map[string]string{DefaultQuarantineLabel: "terminal-shell"}
		for k, v := range e.Labels {
			l[k] = v
		}
		e.Labels, e.Name = l, e.Name+" (quarantined)"
		return e
	}
	qAPI, qWorker := quarantined(api), quarantined(worker)
	checkFlows(t, policies, []flow{
		// Names still resolve (the policy pack requires DNS for every pod); nothing they
		// resolve to is reachable.
		{qAPI, kubeDNS, udp, 53, true},
		{api, database, tcp, 5432, true},
		{qAPI, database, tcp, 5432, false},
		{api, endpoint443, tcp, 443, true},
		{qAPI, endpoint443, tcp, 443, false},
		{worker, otelAgent, tcp, 4317, true},
		{qWorker, otelAgent, tcp, 4317, false},
		{alb, api, tcp, 8080, true},
		{alb, qAPI, tcp, 8080, false},
		// Still scraped: its metrics show what it does while isolated.
		{prom, qAPI, tcp, 8080, true},
	})
}
