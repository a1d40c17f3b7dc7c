// Package gatekeeper is the admission-policy component (novacron:security:Gatekeeper).
//
// It creates a namespace, one helm/v3 Release of the open-policy-agent gatekeeper chart pinned
// by ChartVersion, Gatekeeper's Config, a PodMonitor, and for every policy a ConstraintTemplate
// (Rego v1, embedded from rego/) with two Constraints:
//
//   - "<template>-applications" in the application namespaces, enforcementAction deny;
//   - "<template>-platform" in the platform's own namespaces (monitoring, telemetry, falco,
//     external-secrets), enforcementAction dryrun (or warn): their charts need host paths,
//     privileged agents and public images, so violations there are recorded by the audit but
//     admitted.
//
// The policies: no privileged container or host namespace; images only from the stack's
// registries and by digest; no :latest or untagged image; resource requests and limits; required
// labels; no hostPath volume; LoadBalancer Services only through the AWS Load Balancer
// Controller; the GPU pool only for pods that tolerate its taint and request a GPU.
//
// Deployment: the webhook runs WebhookReplicas times spread over zones with a
// PodDisruptionBudget that keeps all but one, and fails closed (FailurePolicy "Fail") so that
// making Gatekeeper unavailable does not bypass it. kube-system and Gatekeeper's namespace are
// exempt from the webhook (admission.gatekeeper.sh/ignore) and from every process (Config), so
// the cluster's add-ons and Gatekeeper itself can always start. The audit re-checks every
// object each AuditIntervalSeconds and exports gatekeeper_violations{enforcement_action}; the
// PodMonitor (release=kube-prometheus-stack) has Prometheus scrape it, and the monitoring
// component's NovaCronGatekeeperViolations alert fires on deny-scope violations.
//
// Ordering on the first `pulumi up`: the templates wait for the release (whose pods must answer
// before anything is admitted), and each carries pulumi.com/waitFor on status.created, so it is
// ready only once Gatekeeper has created its Constraint CRD; each Constraint depends on its
// template. Without the wait, pulumi-kubernetes retries a Constraint of a kind not yet served
// for only about 31 s.
//
// Invariants: every Rego rule has allowed and denied cases run through the OPA Go module
// (rego_test.go); the Gatekeeper and CrossGuard image-tag rules agree on a shared table of pod
// specs; every value path is in the pinned chart's values.yaml.
package gatekeeper
