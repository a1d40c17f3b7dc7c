package telemetry

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/novacron/platform/internal/validate"
)

// One OpenTelemetry Collector release for both collectors. v0.160.0 is the newest release at
// which the Go module proxy serves every component module the two configurations use (and the
// otelcoltest loader): pkg/stanza, which the file_log and journald receivers need, is not served
// at v0.161.0, and the load_balancing exporter is not served past it. internal/otelcheck pins
// the same release and parses both configurations with it.
const (
	CollectorVersion = "0.160.0"

	// The Kubernetes distribution (otelcol-k8s) of that release: it ships every component used
	// here (distributions/otelcol-k8s/manifest.yaml in open-telemetry/opentelemetry-collector-
	// releases) and fewer than the contrib image. ghcr.io, not Docker Hub: no anonymous pull
	// limit for the nodes behind the NAT gateways. The image's entrypoint runs the collector, so
	// the chart needs no command.name.
	collectorImageRepository = "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-k8s"
	collectorImageTag        = CollectorVersion
)

// Node paths of the agent.
const (
	// AgentCheckpointDir (hostPath, read-write) holds the agent's file_storage: the read positions
	// of the pod log files and the journal cursors, and the persistent queue of the log exporter.
	// It outlives the pod, so a restarted agent resumes where it stopped instead of re-sending.
	AgentCheckpointDir = "/var/lib/otel-agent"
	// journalDir is where AL2023's journald keeps the persistent journal (AL2023 User Guide,
	// "journald": no rsyslog, no /var/log/messages).
	journalDir = "/var/log/journal"
	// hostJournalctl is AL2023's own journalctl, reached through AgentNodeLogDirs.
	hostJournalctl = "/usr/bin/journalctl"
)

// AgentNodeLogDirs are mounted read-only into the agent at the same paths. On EKS AL2023 nodes
// the kubelet and containerd log to the systemd journal only, and the journald receiver needs
// journalctl, which no upstream collector image ships (the image is FROM scratch;
// open-telemetry/opentelemetry-collector-releases#462, closed unfixed). The receiver's README
// offers a custom image or the host's own journalctl; the host's binary always reads the
// host's journal format and needs no image of our own to build and patch. The image has no
// /usr nor /lib64 of its own (its collector binary is static), so mounting the node's /usr and
// /lib64 (on AL2023 a link to /usr/lib64, where the dynamic loader is) gives journalctl its
// libraries without a chroot, hence without CAP_SYS_CHROOT or the node's whole root file system
// (which would hold the kubelet's pod secrets).
var AgentNodeLogDirs = []string{journalDir, "/usr", "/lib64"}

// Tail sampling sizing (gateway). A trace's spans are held for decisionWait after its first span
// arrives; a root span that ends later than that is judged without it, so the slow-trace
// threshold must be well below it.
const (
	decisionWait = 10 * time.Second
	// expectedNewTracesPerSecond per gateway replica is a budget, not a measurement: five
	// times the 100 requests per second the SLO tests of components/monitoring model. The
	// processor's own metrics show when it is too small
	// (otelcol_processor_tail_sampling_new_trace_id_received rate above it,
	// ..._sampling_trace_dropped_too_early above zero).
	expectedNewTracesPerSecond = 500
	// numTraces is the traces held at once: the expected arrivals over two decision waits, so
	// a burst of twice the expected rate does not evict undecided traces. At about 10 spans of
	// 1 KiB per trace that is about 100 MiB, inside the gateway's 1 GiB memory limit with the
	// memory limiter's margin.
	numTraces = 2 * expectedNewTracesPerSecond * int(decisionWait/time.Second)
	// decisionCacheSize remembers the decisions for ten times as many trace ids (a few MiB), so
	// spans arriving after their trace was decided follow the decision instead of starting a
	// new, partial trace.
	decisionCacheSize = 10 * numTraces
)

// CollectorSettings are the inputs of the two OpenTelemetry Collector configurations.
type CollectorSettings struct {
	// Namespace holds the pipeline.
	Namespace string
	// Environment is the stack name, set as deployment.environment.name on every record.
	Environment string
	// SlowTraceThreshold: tail sampling keeps every trace at least this long. At least 1 ms,
	// below the decision wait (10 s).
	SlowTraceThreshold time.Duration
	// SamplePercent of the remaining (fast, error-free) traces is kept. Between 0 and 100.
	SamplePercent float64
}

var settingsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// Validate reports every problem with the settings, in the settings' own field names.
func (s CollectorSettings) Validate() validate.Problems {
	var p validate.Problems
	if !settingsName.MatchString(s.Namespace) {
		p.Addf("namespace", "must be a DNS label (lower case letters, digits, '-'), got %q", s.Namespace)
	}
	// The environment is written into OTTL string literals: a DNS label needs no escaping.
	if !settingsName.MatchString(s.Environment) {
		p.Addf("environment", "must be a DNS label (lower case letters, digits, '-'), got %q", s.Environment)
	}
	switch {
	case s.SlowTraceThreshold < time.Millisecond:
		p.Addf("slowTraceThreshold", "must be at least 1ms, got %s", s.SlowTraceThreshold)
	case s.SlowTraceThreshold >= decisionWait:
		p.Addf("slowTraceThreshold", "must be below the tail sampler's decision wait (%s), got %s", decisionWait, s.SlowTraceThreshold)
	}
	if math.IsNaN(s.SamplePercent) || s.SamplePercent < 0 || s.SamplePercent > 100 {
		p.Addf("samplePercent", "must be between 0 and 100, got %v", s.SamplePercent)
	}
	return p
}

// Component ids. The type names are those of the pinned release (the older loadbalancing,
// k8sattributes, filelog, otlp and otlphttp exporter names are deprecated aliases there).
const (
	idOTLP          = "otlp"
	idFileLog       = "file_log"
	idJournalUnits  = "journald/units"
	idJournalKernel = "journald/kernel"
	idMemoryLimiter = "memory_limiter"
	idK8sAttributes = "k8s_attributes"
	idTraceContext  = "transform/trace_context"
	idEnvironment   = "transform/environment"
	idNode          = "transform/node"
	idBatch         = "batch"
	idTailSampling  = "tail_sampling"
	idLoki          = "otlp_http/loki"
	idLoadBalancing = "load_balancing"
	idTempo         = "otlp_grpc/tempo"
	idHealthCheck   = "health_check"
	idFileStorage   = "file_storage"
	healthCheckPort = 13133
	// The opentelemetry-collector chart sets MY_POD_IP (status.podIP) and OTEL_K8S_NODE_NAME
	// (spec.nodeName) in every collector pod (templates/_pod.tpl, chart 0.170.0).
	podIPPlaceholder    = "${env:MY_POD_IP}"
	nodeNameEnv         = "OTEL_K8S_NODE_NAME"
	nodeNamePlaceholder = "${env:" + nodeNameEnv + "}"
)

// Tail sampling policy names; a sampled trace's spans are counted per policy in the
// processor's own metrics.
const (
	PolicyErrors      = "errors"
	PolicySlow        = "slow"
	PolicyProbability = "probabilistic"
)

// AgentConfig is the node agent's configuration (DaemonSet): container and node logs to Loki,
// and the applications' OTLP entry point, load-balancing spans by trace id to the gateway.
func AgentConfig(s CollectorSettings) map[string]any {
	return map[string]any{
		"extensions": map[string]any{
			idHealthCheck: healthCheck(),
			idFileStorage: map[string]any{
				"directory": AgentCheckpointDir,
				// The hostPath is DirectoryOrCreate; creating it here too keeps the config valid
				// wherever it is checked.
				"create_directory": true,
				"timeout":          "1s",
				"compaction": map[string]any{
					"directory":  AgentCheckpointDir,
					"on_start":   true,
					"on_rebound": true,
				},
			},
		},
		"receivers": map[string]any{
			idOTLP:          otlpReceiver(),
			idFileLog:       fileLogReceiver(s.Namespace),
			idJournalUnits:  journaldReceiver(map[string]any{"units": []any{"kubelet", "containerd"}}, unitAsService()),
			idJournalKernel: journaldReceiver(map[string]any{"dmesg": true}, kernelAsService()),
		},
		"processors": map[string]any{
			idMemoryLimiter: memoryLimiter(),
			idK8sAttributes: k8sAttributes(),
			idTraceContext:  traceContextFromBody(),
			idEnvironment:   environment(s.Environment),
			idNode: map[string]any{
				"error_mode": "ignore",
				"log_statements": []any{
					`set(resource.attributes["k8s.node.name"], "` + nodeNamePlaceholder + `")`,
				},
			},
			idBatch: batch(),
		},
		"exporters": map[string]any{
			idLoki: map[string]any{
				// Loki's OTLP ingest path; the exporter appends /v1/logs.
				"endpoint": fmt.Sprintf("http://%s:%d/otlp", ServiceHost(LokiName, s.Namespace), LokiHTTPPort),
				// Persistent: what is queued when Loki is down survives an agent restart. 100
				// batches of at most 8192 records (about 4 MiB each) bound the node disk used.
				"sending_queue": map[string]any{
					"enabled":    true,
					"storage":    idFileStorage,
					"queue_size": 100,
				},
				"retry_on_failure": map[string]any{"enabled": true},
			},
			idLoadBalancing: map[string]any{
				// Every span of a trace goes to the same gateway replica, so tail sampling judges
				// whole traces: the exporter's default routing_key, traceID. It is left implicit
				// because the policy pack reads any *routing_key* value as a credential.
				"protocol": map[string]any{
					"otlp": map[string]any{
						"tls":     map[string]any{"insecure": true},
						"timeout": "5s",
					},
				},
				"resolver": map[string]any{
					"dns": map[string]any{
						// The gateway's Service is headless (clusterIP None): its name resolves
						// to every ready replica. Fully qualified, so no search-domain lookups.
						"hostname": ServiceHost(GatewayName, s.Namespace) + ".cluster.local",
						"port":     fmt.Sprint(OTLPGRPCPort),
					},
				},
				// When a replica goes away, what it could not take is routed again to the others.
				"retry_on_failure": map[string]any{"enabled": true},
				"sending_queue":    map[string]any{"enabled": true},
			},
		},
		"service": map[string]any{
			"extensions": []any{idHealthCheck, idFileStorage},
			"pipelines": map[string]any{
				"logs": map[string]any{
					"receivers":  []any{idFileLog, idOTLP},
					"processors": []any{idMemoryLimiter, idK8sAttributes, idTraceContext, idEnvironment, idBatch},
					"exporters":  []any{idLoki},
				},
				"logs/node": map[string]any{
					"receivers":  []any{idJournalUnits, idJournalKernel},
					"processors": []any{idMemoryLimiter, idNode, idEnvironment, idBatch},
					"exporters":  []any{idLoki},
				},
				"traces": map[string]any{
					"receivers":  []any{idOTLP},
					"processors": []any{idMemoryLimiter, idK8sAttributes, idEnvironment, idBatch},
					"exporters":  []any{idLoadBalancing},
				},
			},
			"telemetry": ownTelemetry(),
		},
	}
}

// GatewayConfig is the gateway's configuration (Deployment): tail sampling, then Tempo.
func GatewayConfig(s CollectorSettings) map[string]any {
	return map[string]any{
		"extensions": map[string]any{idHealthCheck: healthCheck()},
		"receivers":  map[string]any{idOTLP: otlpReceiver()},
		"processors": map[string]any{
			idMemoryLimiter: memoryLimiter(),
			idTailSampling:  tailSampling(s),
			idBatch:         batch(),
		},
		"exporters": map[string]any{
			idTempo: map[string]any{
				// Tempo's distributor; plain gRPC inside the cluster, like every pipeline hop.
				"endpoint":         fmt.Sprintf("%s:%d", ServiceHost(TempoName, s.Namespace), OTLPGRPCPort),
				"tls":              map[string]any{"insecure": true},
				"sending_queue":    map[string]any{"enabled": true},
				"retry_on_failure": map[string]any{"enabled": true},
			},
		},
		"service": map[string]any{
			"extensions": []any{idHealthCheck},
			"pipelines": map[string]any{
				"traces": map[string]any{
					"receivers": []any{idOTLP},
					// memory_limiter first: it refuses data before tail sampling has to hold it.
					"processors": []any{idMemoryLimiter, idTailSampling, idBatch},
					"exporters":  []any{idTempo},
				},
			},
			"telemetry": ownTelemetry(),
		},
	}
}

// otlpReceiver listens on the pod's address only: the Service (and, for the gateway, the
// headless Service's endpoints) send to the pod IP, and nothing needs the loopback or every
// interface.
func otlpReceiver() map[string]any {
	return map[string]any{
		"protocols": map[string]any{
			// gRPC refuses messages over 4 MiB by default, after decompression, as a permanent
			// error (grafana/tempo#2437): a batch of 8192 spans at about 1 KiB each is twice that.
			"grpc": map[string]any{
				"endpoint":              fmt.Sprintf("%s:%d", podIPPlaceholder, OTLPGRPCPort),
				"max_recv_msg_size_mib": MaxRecvMsgSizeMiB,
			},
			"http": map[string]any{"endpoint": fmt.Sprintf("%s:%d", podIPPlaceholder, OTLPHTTPPort)},
		},
	}
}

// healthCheck serves the chart's liveness and readiness probes (port 13133, path /).
func healthCheck() map[string]any {
	return map[string]any{"endpoint": fmt.Sprintf("%s:%d", podIPPlaceholder, healthCheckPort)}
}

// ownTelemetry serves the collector's internal metrics on the pod IP, port 8888, for
// Prometheus. The reader replaces the built-in one, which listens on localhost only; the three
// without_* flags keep the built-in reader's metric names (service/telemetry/otelconftelemetry,
// createDefaultConfig, at the pinned release).
func ownTelemetry() map[string]any {
	return map[string]any{
		"logs": map[string]any{"level": "info", "encoding": "json"},
		"metrics": map[string]any{
			"level": "normal",
			"readers": []any{map[string]any{
				"pull": map[string]any{
					"exporter": map[string]any{
						"prometheus": map[string]any{
							"host":                podIPPlaceholder,
							"port":                MetricsPort,
							"without_scope_info":  true,
							"without_units":       true,
							"without_type_suffix": true,
						},
					},
				},
			}},
		},
	}
}

// memoryLimiter refuses data before the container reaches its memory limit (the percentages
// are of the cgroup limit the charts set).
func memoryLimiter() map[string]any {
	return map[string]any{
		"check_interval":         "1s",
		"limit_percentage":       80,
		"spike_limit_percentage": 25,
	}
}

// MaxRecvMsgSizeMiB is the largest OTLP/gRPC message the agents, the gateway and Tempo accept:
// room for a full batch (8192 spans of about 1 KiB) with margin.
const MaxRecvMsgSizeMiB = 16

// batch groups records into fewer, larger requests; 8192 records is the processor's default
// batch size, capped so one request stays well below Loki's and Tempo's size limits.
func batch() map[string]any {
	return map[string]any{
		"send_batch_size":     8192,
		"send_batch_max_size": 8192,
		"timeout":             "1s",
	}
}

// fileLogReceiver tails every container's log on the node. The container parser reads the CRI
// format of containerd (EKS's runtime), joins partial lines, and takes the namespace, pod name,
// pod uid, container name and restart count from the path
// (/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log), which k8s_attributes then
// associates by pod uid. The agent's own logs are left out: an agent failing to export would
// otherwise feed its errors back into the pipeline that fails; its metrics and alerts report it.
func fileLogReceiver(namespace string) map[string]any {
	return map[string]any{
		"include": []any{podLogDir + "/*/*/*.log"},
		"exclude": []any{fmt.Sprintf("%s/%s_%s-*/*/*.log", podLogDir, namespace, AgentName)},
		// Only the current file of each container matches (rotated ones are renamed), so a
		// first start on a node reads at most the kubelet's 10 MiB per container; after that,
		// the checkpoints in file_storage decide where reading resumes.
		"start_at":          "beginning",
		"include_file_path": true,
		"include_file_name": false,
		"storage":           idFileStorage,
		// A slow Loki pauses reading instead of dropping what was read.
		"retry_on_failure": map[string]any{"enabled": true},
		"operators": []any{map[string]any{
			"type":                       "container",
			"id":                         "container-parser",
			"format":                     "containerd",
			"add_metadata_from_filepath": true,
		}},
	}
}

// journaldReceiver reads the node's journal with the node's own journalctl (AgentNodeLogDirs).
// The cursor is kept in file_storage, so a restart resumes after the last entry sent.
func journaldReceiver(filter map[string]any, operators []any) map[string]any {
	r := map[string]any{
		"directory":             journalDir,
		"journalctl_path":       hostJournalctl,
		"start_at":              "end",
		"priority":              "info",
		"storage":               idFileStorage,
		"convert_message_bytes": true,
		"retry_on_failure":      map[string]any{"enabled": true},
		"operators":             operators,
	}
	for k, v := range filter {
		r[k] = v
	}
	return r
}

// journalMessage keeps the journal's severity and message and drops its other fields: PRIORITY
// is syslog's 0 (emerg) to 7 (debug).
func journalMessage() []any {
	return []any{
		map[string]any{
			"type":       "severity_parser",
			"parse_from": "body.PRIORITY",
			"if":         "body.PRIORITY != nil",
			"mapping": map[string]any{
				"fatal": []any{"0", "1", "2"},
				"error": "3",
				"warn":  "4",
				"info":  []any{"5", "6"},
				"debug": "7",
			},
		},
		map[string]any{
			"type": "move",
			"from": "body.MESSAGE",
			"to":   "body",
			"if":   "body.MESSAGE != nil",
		},
	}
}

// unitAsService names each record's systemd unit (kubelet.service, containerd.service) as its
// service.name, Loki's service_name label.
func unitAsService() []any {
	return append([]any{map[string]any{
		"type": "copy",
		"from": "body._SYSTEMD_UNIT",
		"to":   `resource["service.name"]`,
		"if":   "body._SYSTEMD_UNIT != nil",
	}}, journalMessage()...)
}

// kernelAsService labels kernel messages (OOM kills, disk and network errors) service.name
// "kernel".
func kernelAsService() []any {
	return append([]any{map[string]any{
		"type":  "add",
		"field": `resource["service.name"]`,
		"value": "kernel",
	}}, journalMessage()...)
}

// k8sAttributes adds the pod's Kubernetes metadata. Logs carry the pod uid from their file path;
// spans from an application are associated by the pod IP the SDK reports or the connection's
// source address (applications send to their own node's agent). The agent watches only the pods
// of its own node.
func k8sAttributes() map[string]any {
	source := func(from, name string) map[string]any {
		s := map[string]any{"from": from}
		if name != "" {
			s["name"] = name
		}
		return map[string]any{"sources": []any{s}}
	}
	return map[string]any{
		"auth_type":   "serviceAccount",
		"passthrough": false,
		"filter":      map[string]any{"node_from_env_var": nodeNameEnv},
		"pod_association": []any{
			source("resource_attribute", "k8s.pod.uid"),
			source("resource_attribute", "k8s.pod.ip"),
			source("connection", ""),
		},
		"extract": map[string]any{
			"metadata": []any{
				"k8s.namespace.name",
				"k8s.pod.name",
				"k8s.pod.uid",
				"k8s.container.name",
				"k8s.node.name",
				"k8s.deployment.name",
				"k8s.statefulset.name",
				"k8s.daemonset.name",
				"k8s.job.name",
			},
			// NovaCron's pods carry app=<service>. The processor only fills attributes the
			// record lacks, so an SDK's own service.name wins (processor.go,
			// setResourceAttribute).
			"labels": []any{map[string]any{
				"tag_name": "service.name",
				"key":      "app",
				"from":     "pod",
			}},
		},
	}
}

// traceContextFromBody lifts trace_id and span_id from a JSON log line (the structured logs of
// NovaCron's services) into the record's trace context, where Loki keeps them as structured
// metadata and Grafana links the line to its trace. Only well-formed lowercase hex ids are
// taken; a record that already has a trace context keeps it. error_mode ignore: a line that
// looks like JSON but is not stays as it is.
func traceContextFromBody() map[string]any {
	return map[string]any{
		"error_mode": "ignore",
		"log_statements": []any{map[string]any{
			"context": "log",
			"conditions": []any{
				`IsString(log.body) and IsMatch(log.body, "^\\s*\\{")`,
			},
			"statements": []any{
				`merge_maps(log.cache, ParseJSON(log.body), "upsert")`,
				`set(log.trace_id.string, log.cache["trace_id"]) where log.trace_id.string == "" and IsString(log.cache["trace_id"]) and IsMatch(log.cache["trace_id"], "^[0-9a-f]{32}$")`,
				`set(log.span_id.string, log.cache["span_id"]) where log.span_id.string == "" and IsString(log.cache["span_id"]) and IsMatch(log.cache["span_id"], "^[0-9a-f]{16}$")`,
			},
		}},
	}
}

// environment records the stack on every log record and span. The platform knows which
// environment it runs, so its value replaces whatever an application set.
func environment(env string) map[string]any {
	stmt := fmt.Sprintf(`set(resource.attributes["deployment.environment.name"], %q)`, env)
	return map[string]any{
		"error_mode":       "ignore",
		"log_statements":   []any{stmt},
		"trace_statements": []any{stmt},
	}
}

// tailSampling keeps every trace with an error, every trace at least SlowTraceThreshold long,
// and SamplePercent of the rest; a trace is kept when any policy keeps it.
func tailSampling(s CollectorSettings) map[string]any {
	return map[string]any{
		"decision_wait":               decisionWait.String(),
		"num_traces":                  numTraces,
		"expected_new_traces_per_sec": expectedNewTracesPerSecond,
		"decision_cache": map[string]any{
			"sampled_cache_size":     decisionCacheSize,
			"non_sampled_cache_size": decisionCacheSize,
		},
		"policies": []any{
			map[string]any{
				"name":        PolicyErrors,
				"type":        "status_code",
				"status_code": map[string]any{"status_codes": []any{"ERROR"}},
			},
			map[string]any{
				"name":    PolicySlow,
				"type":    "latency",
				"latency": map[string]any{"threshold_ms": s.SlowTraceThreshold.Milliseconds()},
			},
			map[string]any{
				"name":          PolicyProbability,
				"type":          "probabilistic",
				"probabilistic": map[string]any{"sampling_percentage": s.SamplePercent},
			},
		},
	}
}
