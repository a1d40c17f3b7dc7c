// Package telemetry is the log and trace pipeline component (novacron:telemetry:Pipelines).
//
// # What it creates
//
//   - The namespace (Pod Security: enforce "privileged", warn and audit "restricted"). The node
//     agent reads the nodes' log files through hostPath volumes, which "baseline" refuses; the
//     other three workloads meet "restricted", and the warnings show if that ever changes.
//   - NetworkPolicies (NetworkPolicies, a pure function; the component registers exactly its
//     objects): default deny, DNS, and only the connections each part of the pipeline needs.
//   - For Loki and for Tempo: an S3 bucket (storage.NewBucket: SSE-KMS with the stack's logs key,
//     public access blocked, TLS only, versioned, access-logged to AccessLogsBucket), whose
//     lifecycle expires objects ObjectExpiryMarginDays after the store's retention and
//     noncurrent versions after a day; and a role, allowed to list its bucket, read, write and
//     delete its objects, and use the logs key only through S3 of the region and only for that
//     bucket, bound to the store's service account by an EKS Pod Identity association
//     (internal/podidentity). The role trusts only the Pod Identity service, and only for
//     sessions tagged with this cluster, the pipeline's namespace and that service account.
//   - Helm release loki (grafana-community loki chart, Monolithic: one process): chunks and TSDB
//     index in its bucket, single tenant, OTLP ingest at /otlp with service.name,
//     k8s.namespace.name, k8s.pod.name and k8s.container.name as index labels and everything
//     else (trace_id, span_id) as structured metadata; its compactor enforces LogsRetentionDays.
//   - Helm release tempo (grafana-community tempo chart, single binary): blocks in its bucket,
//     OTLP gRPC in, compactor block_retention = TracesRetentionDays, no metrics generator.
//   - Helm release otel-gateway (opentelemetry-collector chart, a Deployment of two, headless
//     Service, PodDisruptionBudget): tail sampling, then Tempo (GatewayConfig).
//   - Helm release otel-agent (same chart, a DaemonSet tolerating NodeTolerations): the
//     applications' OTLP entry point through a Service with internalTrafficPolicy Local, pod and
//     node logs to Loki, spans load-balanced by trace id to the gateways (AgentConfig).
//
// Every release has a ServiceMonitor (the charts' own, labelled release=kube-prometheus-stack;
// the monitoring component's Prometheus selects all of them); the collectors serve their
// metrics on MetricsPort.
//
// # Invariants
//
//   - Arguments are validated before anything is registered; retention is 1 to 3653 days, and
//     S3 expiry always trails the store's retention, so S3 never removes what a store still reads.
//   - Logs and traces at rest are encrypted with the logs key: the buckets' default encryption is
//     SSE-KMS with it, and each store release waits for every resource of its bucket (its
//     encryption configuration above all) and for its role policy.
//   - Nothing listens outside the cluster: no hostPort, no LoadBalancer, ClusterIP Services
//     only; the chart defaults that would (the agent's hostPorts) are turned off.
//   - Collector configurations are deployed exactly as AgentConfig and GatewayConfig return them
//     (the chart's alternateConfig, no preset, no component renaming), so what the collector's own
//     parser validated (internal/otelcheck) is what runs.
//   - Every chart value path set is listed in testdata/<chart>-<version>.paths, checked against
//     the chart's values.yaml at the pinned tag; the tests fail on any other path.
//   - Values hold no secret and no role annotation: the stores authenticate to S3 with the
//     credentials the EKS Pod Identity Agent serves them (Loki 3.7.6 through aws-sdk-go-v2's
//     default chain, Tempo 2.10.8 through minio-go's, which reads the container credential
//     variables since v7.0.70). Each store release waits for its association, since only pods
//     created after it get credentials, and its NetworkPolicy admits the agent's address
//     (PodIdentityAgentCIDR, TCP 80); no other pod of the namespace may reach it.
//
// # Why Pod Identity, not IRSA
//
// The roles' trust no longer names the cluster's OIDC issuer, so a replaced cluster needs no
// trust policy edits, and the binding of role to service account is an EKS API object the
// program owns, instead of an annotation any chart upgrade could drop. The role names did not
// change: moving from IRSA updates each trust policy in place.
//
// # Why Loki and Tempo on S3, not CloudWatch Logs and X-Ray
//
// Unit prices, us-east-1:
//
//   - CloudWatch Logs: $0.50 per GB ingested, $0.03 per GB-month stored (Infracost,
//     internal/providers/terraform/aws/testdata/cloudwatch_log_group_test golden file; the
//     figures DESIGN.md §8 and internal/pricing use).
//   - X-Ray: $5.00 per million traces recorded, $0.50 per million traces retrieved or scanned,
//     after a monthly free tier of 100,000 recorded and 1,000,000 retrieved; traces are kept 30
//     days, not configurable (aws.amazon.com/xray/pricing).
//   - S3 Standard: $0.023 per GB-month; $0.005 per 1,000 PUT, COPY, POST or LIST requests;
//     $0.0004 per 1,000 GET requests (Infracost, s3_bucket_test golden file; DESIGN.md §8).
//   - KMS: $0.03 per 10,000 requests (Infracost, kms_key_test golden file); S3 Bucket Keys make
//     S3 ask KMS once per bucket key rather than once per object.
//   - EBS gp3: $0.08 per GB-month (DESIGN.md §8), for the two write-ahead-log volumes (10 GiB
//     each by default).
//
// Logs, at an assumed 20 GB a day (600 GB a month) kept 30 days: CloudWatch Logs costs
// 600 × $0.50 = $300 to ingest plus at most 600 × $0.03 = $18 to store, about $318 a month, and
// every further GB costs $0.50. Loki stores the same month in at most 600 GB of S3 (its chunks are
// gzip-compressed, typically to a fraction of that): at most $13.80, plus PUTs (chunks target
// 1.5 MB compressed, and each stream flushes at least every few hours: a few hundred thousand to
// a million PUTs, $1 to $5), GETs for queries (a million: $0.40), $0.80 of gp3, and a share of a
// node for 0.25 vCPU and 1 GiB (about $10 of an m5.xlarge at $0.192/h): about $30 a month,
// roughly a tenth, and the gap grows with volume (about $0.03 per further GB against $0.50).
//
// Traces, at an assumed 50 requests a second (130 million a month) of which tail sampling keeps
// errors, slow traces and 10% of the rest, say 12% (15.6 million traces): X-Ray costs
// (15.6 − 0.1) × $5 = $77.50 a month to record, before retrievals. Tempo stores them at about
// 10 KB a trace (155 GB written a month, 72 GB held for 14 days, before compression): at most
// $1.70 of S3, well under $1 of PUTs (Tempo writes large blocks), $0.80 of gp3, and a share of a
// node for Tempo and the two gateways (0.65 vCPU and 2 GiB requested: about $20): about $23 a
// month.
//
// Beyond price: Grafana links Loki and Tempo both ways (a log line's trace_id opens the trace, a
// span opens its logs, a latency exemplar opens its trace), which the on-call path of issue 12
// needs; retention is ours to set per stack (X-Ray's is fixed at 30 days). The cost is operations:
// Loki and Tempo run as one replica each, so an upgrade or a node drain pauses ingestion for the
// restart, which the agents' persistent export queue and the gateways' retries absorb, and each
// write-ahead log lives on a zonal EBS volume. CloudWatch Logs and X-Ray would be managed and
// highly available. At NovaCron's volume the S3-backed stores are an order of magnitude cheaper,
// and the Grafana integration decides it.
package telemetry
