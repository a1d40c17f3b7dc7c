package telemetry

import "fmt"

// Release names double as the charts' fullnameOverride, so Service names are fixed and known
// before deploy: the monitoring component's data sources and the collectors' exporters use them.
const (
	LokiName    = "loki"
	TempoName   = "tempo"
	AgentName   = "otel-agent"
	GatewayName = "otel-gateway"
)

// Ports of the pipeline's Services.
const (
	// LokiHTTPPort serves Loki's query API and its OTLP ingest path (/otlp).
	LokiHTTPPort = 3100
	// TempoQueryPort serves Tempo's query API (Grafana's traces data source).
	TempoQueryPort = 3200
	// OTLPGRPCPort and OTLPHTTPPort are the standard OTLP ports, on the agents (the entry point
	// for applications), the gateway and Tempo's distributor.
	OTLPGRPCPort = 4317
	OTLPHTTPPort = 4318
)

// ServiceHost is the in-cluster DNS name of a Service of the pipeline.
func ServiceHost(name, namespace string) string {
	return fmt.Sprintf("%s.%s.svc", name, namespace)
}

// LokiURL is the base URL Grafana queries logs at.
func LokiURL(namespace string) string {
	return fmt.Sprintf("http://%s:%d", ServiceHost(LokiName, namespace), LokiHTTPPort)
}

// TempoURL is the base URL Grafana queries traces at.
func TempoURL(namespace string) string {
	return fmt.Sprintf("http://%s:%d", ServiceHost(TempoName, namespace), TempoQueryPort)
}

// More ports of the pipeline's pods.
const (
	// MetricsPort is where both collectors serve their own metrics (the collector's internal
	// telemetry, Prometheus pull exporter); Prometheus scrapes it.
	MetricsPort = 8888
	// LokiGRPCPort and LokiMemberlistPort are Loki's internal ports (the loki chart's
	// loki.server.grpc_listen_port and memberlist bind_port defaults): the single binary reaches
	// its own compactor and ring through them.
	LokiGRPCPort       = 9095
	LokiMemberlistPort = 7946
	// HTTPSPort is S3 and the Kubernetes API server.
	HTTPSPort = 443
)

// The EKS Pod Identity Agent serves credentials on a link-local address of every node, over
// plain HTTP on port 80: the webhook sets AWS_CONTAINER_CREDENTIALS_FULL_URI to
// http://169.254.170.23/v1/credentials (EKS User Guide, "Set up the Amazon EKS Pod Identity
// Agent" and "Grant Pods access to AWS resources"). A pod's egress policy must admit it, or the
// SDK's credential request times out.
const (
	PodIdentityAgentCIDR = "169.254.170.23/32"
	PodIdentityAgentPort = 80
)

// InstanceLabel is the pod label every one of the four charts sets to the Helm release name
// (their selectorLabels helpers): the NetworkPolicies select the pipeline's pods by it.
const InstanceLabel = "app.kubernetes.io/instance"

// OtlpGrpcEndpoint is where applications send OTLP over gRPC, in the form
// OTEL_EXPORTER_OTLP_ENDPOINT takes (the http scheme tells the SDKs to connect without TLS): the
// agent Service, whose internalTrafficPolicy Local keeps each pod's telemetry on its own node.
func OtlpGrpcEndpoint(namespace string) string {
	return fmt.Sprintf("http://%s:%d", ServiceHost(AgentName, namespace), OTLPGRPCPort)
}

// OtlpHTTPEndpoint is where applications send OTLP over HTTP (the SDKs' OTEL_EXPORTER_OTLP_ENDPOINT
// form: scheme, host and port; the SDK appends /v1/traces, /v1/logs).
func OtlpHTTPEndpoint(namespace string) string {
	return fmt.Sprintf("http://%s:%d", ServiceHost(AgentName, namespace), OTLPHTTPPort)
}
