// Package netpol is the NetworkPolicies component (novacron:security:NetworkPolicies).
//
// For each application namespace it creates six networking.k8s.io/v1 NetworkPolicies (a seventh
// when APIEgressHTTPSCIDRs is set):
//
//   - deny-all-default: every pod, ingress and egress, no rule;
//   - allow-dns-egress: every pod to kube-dns (k8s-app=kube-dns in kube-system) on 53/UDP and
//     53/TCP; without it the default deny breaks name resolution;
//   - allow-api-ingress: pods labelled app=novacron-api accept the API port from the ingress
//     source, either a namespace selector (an in-cluster proxy) or CIDR blocks. With the AWS Load
//     Balancer Controller in IP target mode the ALB connects to pod IPs from its own addresses in
//     its subnets, so the CIDRs are the ALB's subnets; no selector can match a load balancer.
//     (In instance mode traffic arrives through a NodePort from node addresses instead.)
//   - allow-api-database-egress: API pods to the database subnets' CIDRs on 5432. RDS is outside
//     the cluster, so only addresses can describe it; the network component derives these CIDRs
//     from stack config, so they are plain values known before deploy.
//   - allow-prometheus-scrape: Prometheus pods of the monitoring namespace to every pod on the
//     metrics port (by default the API port, which the monitoring component's ServiceMonitor
//     scrapes);
//   - allow-otlp-egress: every pod to the OpenTelemetry agents of the telemetry namespace on
//     4317 and 4318 (OTLP gRPC and HTTP), the applications' traces and OTLP logs;
//   - allow-api-https-egress (optional): API pods to the given CIDRs on 443 (VPC endpoints).
//
// Every allow policy but DNS and the Prometheus scrape selects only pods without the QuarantineLabel
// (novacron.io/quarantine): Falco Talon sets it on a pod in which a terminal shell was opened,
// and the default deny then isolates that pod. NetworkPolicies only add permissions, so a
// quarantine policy of its own could not take away what these policies grant.
//
// Policies builds these as k8s.io/api objects in a pure function; the component registers
// exactly those objects through pulumi-kubernetes, and the tests evaluate them.
//
// Enforcement: EKS only enforces NetworkPolicies when the VPC CNI's network policy agent is
// enabled (vpc-cni addon configuration enableNetworkPolicy: "true", set by the cluster component)
// or another enforcing CNI runs. Otherwise every policy here is silently a no-op (DESIGN.md §7).
//
// The namespaces must exist before the policies are created. The Kubernetes provider comes from
// the caller through pulumi.Providers and reaches the children through pulumi.Parent.
package netpol
