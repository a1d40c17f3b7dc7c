// Package monitoring provides the novacron:monitoring:Stack component: NovaCron's in-cluster
// metrics, alerting and dashboards.
//
// # What it creates
//
// Children of the component, all through the Kubernetes provider the caller passes with
// pulumi.Providers:
//
//   - the namespace (Args.Namespace, "monitoring");
//   - Secret grafana-admin-credentials (admin-user, admin-password) built from the
//     GrafanaAdminPassword secret input;
//   - Secret alertmanager-novacron-config (alertmanager.yaml) rendered by AlertmanagerConfig
//     inside an apply from the PagerDuty routing key and the Slack webhook URL;
//   - the kube-prometheus-stack Helm release (helm.sh/v3 Release, chart version pinned), named
//     "kube-prometheus-stack": Prometheus Operator and its CRDs, Prometheus, Alertmanager,
//     Grafana, kube-state-metrics and the node exporter;
//   - the prometheus-blackbox-exporter Helm release, Service blackbox-exporter:9115, with the
//     http_2xx module;
//   - PrometheusRule novacron-slo (PrometheusRuleGroups) and ServiceMonitor novacron-api, as
//     monitoring.coreos.com/v1 custom resources that wait for the release installing their CRDs.
//     A test decodes both strictly (unknown and duplicate fields are errors) into the Prometheus
//     Operator's Go types at v0.93.1, the operator kube-prometheus-stack 88.5.3 ships.
//
// # Invariants
//
//   - Secrets stay secret end to end: the Secrets' stringData is marked secret whatever the
//     caller passes, the Alertmanager configuration exists only inside an apply, and the Helm
//     values only name the two Secrets (grafana.admin.existingSecret,
//     alertmanager.alertmanagerSpec.useExistingSecret/configSecret). No credential is ever in a
//     Helm value, a plain input or a log line; errors about them never quote them.
//   - Rules, the SLO dashboard and the ServiceMonitor are built from the metric and label
//     constants of package metrics, so the application and its alerts cannot drift apart.
//   - Prometheus selects ServiceMonitors, PodMonitors, Probes, ScrapeConfigs and rules in every
//     namespace (the *SelectorNilUsesHelmValues values are false).
//   - The stateful parts keep their data on ReadWriteOnce volumes of Args.StorageClassName:
//     Prometheus (retention by time, and by size at 90% of the volume), Alertmanager, Grafana.
//   - Node exporters tolerate the configured taints (ml-workload=true:NoSchedule by default) on
//     top of the chart's own NoSchedule toleration.
//   - Helm releases wait up to Args.ReleaseTimeoutSeconds (1200 s) per operation: a 500Gi volume
//     has to bind before Prometheus is ready, and Helm's default of 300 s is often too short for
//     kube-prometheus-stack (DESIGN.md §8).
//
// # Alerts
//
// Availability of the API (job = Args.APIServiceName) against Args.AvailabilityTarget (99.9%),
// as multiwindow, multi-burn-rate alerts (The Site Reliability Workbook, ch. 5 "Alerting on
// SLOs"): 14.4x over 1h/5m or 6x over 6h/30m page (severity critical); 3x over 1d/2h or 1x over
// 3d/6h open a ticket (severity warning). Also: API p95 latency above 100 ms, database query
// p95 above 250 ms, job failure ratio above 5% (warnings), and a failing HTTPS probe
// (critical).
//
// Capacity: a PersistentVolume or a node filesystem more than 75% full whose 6-hour trend
// reaches zero free space within Args.CapacityForecastHorizon (3d), and a node pool whose CPU or
// memory requests are above 80% of its ceiling and whose 1-day trend exceeds it within the
// horizon (warnings, predict_linear). A node's pool is its karpenter.sh/nodepool label, else its
// eks.amazonaws.com/nodegroup label (the fixed system group), exported by kube-state-metrics and
// recorded as label nodepool; a Karpenter pool's ceiling is its limit
// (karpenter_nodepools_limit), a fixed group's its nodes' allocatable.
//
// Karpenter (components/karpenter), unless Args.DisableKarpenterMetrics: no replica scraped for
// 5 minutes (NovaCronKarpenterDown, critical); a pool's nodes above 90% of its limit for 15
// minutes (NovaCronKarpenterNodePoolNearLimit); two or more NodeClaims of a pool given up within
// the hour for launch_timeout, registration_timeout or nodeclass_not_ready
// (NovaCronKarpenterNodeLaunchesFailing); the interruption controller failing to read its SQS
// queue at least three times within the hour for 15 minutes
// (NovaCronKarpenterInterruptionQueueErrors). Metric names are Karpenter v1.14.1's (rules.go
// names each source file).
//
// The pipelines of components/telemetry, when Args.TelemetryNamespace is set: a collector, Loki
// or Tempo target down, export failures, refused or dropped records, an exporter queue above 80%,
// Loki or Tempo answering with server errors or discarding data.
//
// Falco Talon (components/falcotalon), when Args.FalcoTalonNamespace is set: its scrape target
// down or absent for 15 minutes (NovaCronFalcoTalonDown, warning).
//
// Escalation: NovaCronWarningEscalated (critical) fires for any warning that has kept firing for
// Args.WarningEscalationAfter (2h), read from Prometheus's own ALERTS series, unless its
// critical counterpart (same name and labels) already fires; it carries the warning's labels
// and its name as escalated_alertname.
//
// Every alert NovaCron defines carries runbook_url <Args.RunbookBaseURL>/<AlertName>.md, a page
// of docs/runbooks in this repository (meaning, how to confirm, mitigate, escalate); a test fails
// when an alert has no page or a page no alert.
//
// Alertmanager groups by alertname (30s / 5m / 4h) and routes critical to PagerDuty, warning to
// Slack, everything else to the webhook receiver. The chart's always-firing Watchdog goes to the
// heartbeat receiver, Args.HeartbeatURL (a secret), every Args.HeartbeatInterval (1m): the
// dead-man's-switch service behind it pages when the pings stop, so a dead Prometheus,
// Alertmanager or network path is heard. InfoInhibitor goes to a null receiver.
//
// Every alert NovaCron defines is proven, in a test that evaluates the rules with Prometheus's
// rule manager over synthetic series, to fire when its condition holds and to clear once it
// stops; an alert that reads no series, or waits with absent() for a job nothing scrapes, fails
// that test.
//
// # Grafana
//
// Data sources, provisioned as code with fixed uids: the chart's Prometheus (uid prometheus),
// whose exemplars (label trace_id, written by package metrics) open the trace in Tempo;
// Loki (uid loki, Args.LokiURL), whose trace_id structured metadata and "trace_id" in JSON log
// lines become links to Tempo; Tempo (uid tempo, Args.TempoURL), whose spans open their logs in
// Loki (by trace id, service and namespace) and their service's metrics in Prometheus. Loki and
// Tempo are provisioned only when their URL is set. Prometheus stores exemplars
// (enableFeatures exemplar-storage).
//
// Dashboards as code, built from the metric names of package metrics and the recording rules
// here, every query parsed with the PromQL parser and every dashboard decoded strictly with
// grafana-foundation-sdk in the tests: NovaCron services (uid novacron-services: rate, errors,
// p50/p95/p99 latency with exemplars, CPU and memory against limits, database, links to logs and
// traces), NovaCron business (novacron-business: jobs run and failed by type, queue depth,
// active users), NovaCron SLO (novacron-slo: 30-day error budget left and burn rates per
// objective) and NovaCron capacity (novacron-capacity: node, pod-request and volume utilisation
// per node pool, with predict_linear forecasts over Args.CapacityForecastHorizon and the 80%
// utilisation target; with Karpenter, each pool's nodes against its limit, nodes by capacity
// type, launches, disruptions by reason, unplaceable pods and interruption messages).
// kube-state-metrics exports the node labels karpenter.sh/nodepool, eks.amazonaws.com/nodegroup
// and workload for the pool panels.
//
// # On EKS
//
// AWS runs the controller manager, the scheduler and etcd outside the cluster's reach, and
// kube-proxy binds its metrics to 127.0.0.1:10249 (aws/containers-roadmap#657). The chart's
// scrapes of these four (kubeControllerManager, kubeScheduler, kubeEtcd, kubeProxy) are off, and
// so are their rule groups (defaultRules.rules etcd, kubeControllerManager, kubeProxy,
// kubeSchedulerAlerting, kubeSchedulerRecording) and dashboards: left on, the absent()-based
// KubeControllerManagerDown and KubeSchedulerDown (critical) fire 15 minutes after the first
// deploy and never clear, and KubeProxyInstanceUnreachable and TargetDown for kube-proxy keep
// posting to Slack. Every other default rule group of the chart stays on; the Kubernetes API
// server, the kubelets, CoreDNS, kube-state-metrics and the node exporters are scrapeable on EKS.
//
// What EKS does expose (1.28 and later) is read instead: the scheduler's and the controller
// manager's metrics, through the API server under /apis/metrics.eks.amazonaws.com/v1/ksh and
// .../kcm (jobs kube-scheduler and kube-controller-manager, in
// prometheus.prometheusSpec.additionalScrapeConfigs), with a ClusterRole rule granting get on
// ksh/metrics and kcm/metrics (prometheus.additionalRulesForClusterRole). No alert depends on
// them; if EKS stops serving them, the chart's TargetDown warns. Args.DisableControlPlaneMetrics
// leaves both out.
//
// # Scrape jobs
//
// Besides the operator's ServiceMonitors, Prometheus runs these plain jobs:
// kubernetes-service-endpoints scrapes Services annotated prometheus.io/scrape: "true",
// honouring prometheus.io/path, prometheus.io/port and prometheus.io/scheme (EndpointSlice
// discovery; the component grants Prometheus read access to EndpointSlices), and skips the
// API, which its ServiceMonitor already scrapes; blackbox-http probes Args.ProbeURLs through the
// exporter's http_2xx module, which fails on plain HTTP; kube-scheduler and
// kube-controller-manager read the EKS control-plane metrics (above); karpenter scrapes the
// endpoints of Service karpenter, port http-metrics, in Args.KarpenterNamespace (kube-system).
// The Karpenter chart's own ServiceMonitor stays off: its CRD arrives with this stack, after
// Karpenter. No NetworkPolicy stands in the way: the platform has none in kube-system or in
// this namespace, and the chart's prometheus.networkPolicy is left off (a test checks it).
//
// # Operating notes
//
//   - Grafana downloads the grafana.com dashboards (15758, 7249) at start-up: the cluster needs
//     egress to grafana.com, or set DisableCommunityDashboards.
//   - Helm installs CRDs on first install only; the chart's CRD upgrade job (crds.upgradeJob,
//     marked preview by the chart) re-applies them before each upgrade. Set
//     DisableCRDUpgradeJob to manage CRDs yourself.
//   - The pulumi-kubernetes provider (4.32.0) resolves the PrometheusRule and ServiceMonitor
//     kinds during the first preview from the release's chart (pulumi-kubernetes#3176).
//
// Chart value names used here were checked against the charts' values.yaml files
// (prometheus-community/helm-charts kube-prometheus-stack, prometheus-node-exporter,
// prometheus-blackbox-exporter; grafana-community/helm-charts grafana) and their templates
// for the Alertmanager Secret and the Grafana admin Secret.
package monitoring
