package telemetry

import (
	"fmt"
	"maps"

	"sigs.k8s.io/yaml"
)

// Chart and object facts the values rely on. Each value path used below is listed in
// testdata/<chart>-<version>.paths, checked against the chart's values.yaml at the pinned tag.
const (
	lokiChart      = "loki"
	tempoChart     = "tempo"
	collectorChart = "opentelemetry-collector"

	// Service accounts of the stores, named explicitly so that the Pod Identity associations
	// and the roles' trust policies can name them (the charts would derive the same names from
	// fullnameOverride). They carry no role annotation: the association names them instead.
	lokiServiceAccount  = LokiName
	tempoServiceAccount = TempoName

	// monitorReleaseLabel: the monitoring component makes Prometheus select every
	// ServiceMonitor (serviceMonitorSelectorNilUsesHelmValues false); the label also satisfies
	// kube-prometheus-stack's default selector, release=<its release name>.
	monitorReleaseLabel = "kube-prometheus-stack"

	// lokiSchemaFrom is the first day of Loki's only schema period. Never edit a period that is
	// in use: add a new one starting on a future day (Loki docs, "Schema config").
	lokiSchemaFrom = "2024-04-01"
	lokiDataDir    = "/var/loki"

	// tempoDataDir is the Tempo chart's volume mount (templates/statefulset.yaml mounts the
	// persistent volume at /var/tempo).
	tempoDataDir = "/var/tempo"

	// podLogDir is where the kubelet writes container logs on every node (CRI log layout); the
	// agent reads it through a read-only hostPath volume.
	podLogDir = "/var/log/pods"
)

// monitorLabels label the charts' ServiceMonitors.
func monitorLabels() map[string]any {
	return map[string]any{"release": monitorReleaseLabel}
}

// lokiIndexLabels are the OTLP resource attributes Loki turns into index labels (stream
// labels, with dots as underscores: k8s_namespace_name, ...). Everything else a record carries,
// trace_id and span_id included, becomes structured metadata, searchable with
// `| trace_id="..."` without multiplying streams. Loki 3.7.6's default list has 18 attributes
// (pkg/loghttp/push/otlp_config.go); this narrower one keeps the stream count to pods ×
// containers.
var lokiIndexLabels = []string{"service.name", "k8s.namespace.name", "k8s.pod.name", "k8s.container.name"}

// lokiValues renders the loki chart's values. bucket may be an output. a must be defaulted.
func lokiValues(a *PipelinesArgs, bucket any) map[string]any {
	retention := fmt.Sprintf("%dh", a.LogsRetentionDays*24)
	return map[string]any{
		// The Service is then "loki" on LokiHTTPPort (templates/monolithic/service.yaml names it
		// after loki.fullname).
		"fullnameOverride": LokiName,
		// One process runs every Loki target; tens of GB a day fit it (the chart's own guidance
		// for Monolithic in values.yaml).
		"deploymentMode": "Monolithic",
		"singleBinary": map[string]any{
			"replicas": 1,
			"persistence": map[string]any{
				"enabled":      true,
				"storageClass": a.StorageClassName,
				"size":         a.VolumeSize,
			},
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "250m", "memory": "1Gi"},
				"limits":   map[string]any{"memory": "2Gi"},
			},
		},
		// The chart refuses Monolithic replicas beside these (templates/validate.yaml), whose
		// defaults are 3.
		"write":   map[string]any{"replicas": 0},
		"read":    map[string]any{"replicas": 0},
		"backend": map[string]any{"replicas": 0},
		// The nginx gateway adds a hop and a Deployment for routing that one process does not
		// need, and auth that is off (single tenant, cluster-internal).
		"gateway": map[string]any{"enabled": false},
		// The memcached caches request 8 GiB and more by default; at this volume queries read
		// S3 directly and Loki's in-process caches suffice.
		"chunksCache":  map[string]any{"enabled": false},
		"resultsCache": map[string]any{"enabled": false},
		// The canary is one more DaemonSet on every node writing synthetic logs; the pipeline's
		// own metrics and alerts watch ingestion instead. The Helm test needs the canary.
		"lokiCanary": map[string]any{"enabled": false},
		"test":       map[string]any{"enabled": false},
		// The rules sidecar watches ConfigMaps and Secrets, through a ClusterRole that reads
		// every Secret of the cluster (templates/backend/clusterrole.yaml); without it and with
		// namespaced RBAC, the chart creates no role at all: Loki needs no Kubernetes API.
		"sidecar": map[string]any{"rules": map[string]any{"enabled": false}},
		"rbac":    map[string]any{"namespaced": true},
		// No log-based alerting rules: alerts are Prometheus rules. Without a ruler section Loki
		// falls back to the common S3 storage for its (empty) rule store
		// (pkg/loki/config_wrapper.go).
		"ruler": map[string]any{"enabled": false},
		"serviceAccount": map[string]any{
			"create": true,
			"name":   lokiServiceAccount,
		},
		"monitoring": map[string]any{"serviceMonitor": map[string]any{
			"enabled": true,
			"labels":  monitorLabels(),
		}},
		"loki": map[string]any{
			// One tenant, reached only inside the cluster through the NetworkPolicies.
			"auth_enabled": false,
			"commonConfig": map[string]any{"replication_factor": 1},
			"storage": map[string]any{
				"type":        "s3",
				"bucketNames": map[string]any{"chunks": bucket},
				// The bucket encrypts with the logs key by default (SSE-KMS); credentials come
				// from the Pod Identity role through the AWS SDK's default chain (no keys here).
				"s3": map[string]any{"region": a.Region},
			},
			"schemaConfig": map[string]any{"configs": []any{map[string]any{
				"from":         lokiSchemaFrom,
				"store":        "tsdb",
				"object_store": "s3",
				"schema":       "v13",
				"index":        map[string]any{"prefix": "index_", "period": "24h"},
			}}},
			"limits_config": map[string]any{
				// Structured metadata (trace_id, span_id) needs schema v13 with TSDB.
				"allow_structured_metadata": true,
				"retention_period":          retention,
			},
			// OTLP arrives at /otlp/v1/logs; these attributes become the index labels.
			"distributor": map[string]any{"otlp_config": map[string]any{
				"default_resource_attributes_as_index_labels": toAnySlice(lokiIndexLabels),
			}},
			// The compactor applies retention_period and processes deletes from the store.
			"compactor": map[string]any{
				"working_directory":    lokiDataDir + "/compactor",
				"retention_enabled":    true,
				"delete_request_store": "s3",
			},
			// No usage reports to Grafana Labs; egress is closed to them anyway.
			"analytics": map[string]any{"reporting_enabled": false},
		},
	}
}

// tempoConfig is Tempo's whole configuration file (the chart's `config` value): the chart's
// template renders receivers from tempo.receivers, whose defaults include four Jaeger receivers
// that a values override cannot remove (Helm merges maps, and helm/v3 Releases drop null
// values, pulumi/pulumi-kubernetes#3811), so the file is written here instead. Keys are those
// of Tempo 2.10.8 (cmd/tempo/app/config.go, tempodb/config.go, tempodb/backend/s3/config.go).
func tempoConfig(a *PipelinesArgs, bucket string) map[string]any {
	return map[string]any{
		"multitenancy_enabled": false,
		"usage_report":         map[string]any{"reporting_enabled": false},
		"memberlist":           map[string]any{"cluster_label": TempoName + "." + a.Namespace},
		"server":               map[string]any{"http_listen_port": TempoQueryPort},
		// Only OTLP over gRPC, from the gateway.
		"distributor": map[string]any{"receivers": map[string]any{"otlp": map[string]any{
			"protocols": map[string]any{"grpc": map[string]any{
				"endpoint":              fmt.Sprintf("0.0.0.0:%d", OTLPGRPCPort),
				"max_recv_msg_size_mib": MaxRecvMsgSizeMiB,
			}},
		}}},
		"compactor": map[string]any{"compaction": map[string]any{
			"block_retention": fmt.Sprintf("%dh", a.TracesRetentionDays*24),
		}},
		"storage": map[string]any{"trace": map[string]any{
			"backend": "s3",
			// Credentials: the Pod Identity role, through minio-go's credential chain (no
			// access or secret key here); the bucket encrypts with the logs key by default
			// (SSE-KMS).
			"s3": map[string]any{
				"bucket":   bucket,
				"endpoint": fmt.Sprintf("s3.%s.amazonaws.com", a.Region),
				"region":   a.Region,
			},
			"wal": map[string]any{"path": tempoDataDir + "/wal"},
		}},
		// The chart mounts its overrides ConfigMap at /conf (templates/configmap-tempo.yaml).
		"overrides": map[string]any{
			"defaults":                   map[string]any{},
			"per_tenant_override_config": "/conf/overrides.yaml",
		},
	}
}

// tempoConfigYAML renders tempoConfig as the text the chart's `config` value holds. The chart
// passes it through tpl, so it must not contain template delimiters; YAML of these values
// cannot.
func tempoConfigYAML(a *PipelinesArgs, bucket string) (string, error) {
	b, err := yaml.Marshal(tempoConfig(a, bucket))
	return string(b), err
}

// tempoValues renders the tempo chart's values. config (tempoConfigYAML) may be an output. a
// must be defaulted.
func tempoValues(a *PipelinesArgs, config any) map[string]any {
	// tempo.receivers only shapes the Service's ports now (templates/_ports.tpl renders a port
	// for each receiver endpoint that is not empty): empty endpoints leave the Jaeger and OTLP
	// HTTP ports out. The template always adds Zipkin and the legacy OTLP ports; nothing listens
	// there, and the NetworkPolicy admits only OTLP gRPC and the query port.
	off := map[string]any{"endpoint": ""}
	return map[string]any{
		"fullnameOverride": TempoName,
		"replicas":         1,
		"config":           config,
		"tempo": map[string]any{
			"receivers": map[string]any{
				"jaeger": map[string]any{"protocols": map[string]any{
					"grpc": off, "thrift_binary": off, "thrift_compact": off, "thrift_http": off,
				}},
				"otlp": map[string]any{"protocols": map[string]any{
					"grpc": map[string]any{"endpoint": fmt.Sprintf("0.0.0.0:%d", OTLPGRPCPort)},
					"http": off,
				}},
			},
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "250m", "memory": "1Gi"},
				"limits":   map[string]any{"memory": "2Gi"},
			},
			"securityContext": restrictedContainer(),
		},
		// The chart's pod security context runs as 10001 and non-root; RuntimeDefault seccomp
		// completes what Pod Security "restricted" asks of the pod.
		"securityContext": map[string]any{
			"runAsUser":      10001,
			"runAsGroup":     10001,
			"fsGroup":        10001,
			"runAsNonRoot":   true,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		// The WAL, and the blocks being built before they are flushed to S3.
		"persistence": map[string]any{
			"enabled":          true,
			"storageClassName": a.StorageClassName,
			"size":             a.VolumeSize,
		},
		"serviceAccount": map[string]any{
			"create": true,
			"name":   tempoServiceAccount,
		},
		"serviceMonitor": map[string]any{
			"enabled":          true,
			"additionalLabels": monitorLabels(),
		},
	}
}

// restrictedContainer is a container security context that Pod Security "restricted" accepts.
func restrictedContainer() map[string]any {
	return map[string]any{
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem":   true,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
		"seccompProfile":           map[string]any{"type": "RuntimeDefault"},
	}
}

// collectorPorts turns on the ports a collector listens on and turns off the chart's Jaeger and
// Zipkin defaults. hostPort 0 keeps the agent's OTLP ports off the node's address: the chart
// sets hostPorts for a DaemonSet (templates/_config.tpl, podPortsConfig) that would expose OTLP
// to the whole VPC; applications reach the agent through its Service.
func collectorPorts(otlpHTTP bool) map[string]any {
	ports := map[string]any{
		"otlp":      map[string]any{"enabled": true, "hostPort": 0},
		"otlp-http": map[string]any{"enabled": otlpHTTP, "hostPort": 0},
		"metrics":   map[string]any{"enabled": true},
	}
	for _, p := range []string{"jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"} {
		ports[p] = map[string]any{"enabled": false}
	}
	return ports
}

// collectorCommon are the values both collector releases share.
func collectorCommon(name string, config map[string]any) map[string]any {
	return map[string]any{
		"fullnameOverride": name,
		"image": map[string]any{
			"repository": collectorImageRepository,
			"tag":        collectorImageTag,
		},
		// alternateConfig is used as it is, not merged with the chart's default `config`
		// (receivers jaeger, zipkin and prometheus, a debug exporter, three pipelines): a values
		// override could only remove those with null values, which helm/v3 Releases drop
		// (pulumi/pulumi-kubernetes#3811, #3178 for this chart). No preset is enabled, so
		// nothing is injected into it (templates/_config.tpl).
		"alternateConfig": config,
		// Otherwise the chart renames filelog and k8sattributes in the configuration
		// (templates/_config.tpl, rewriteDeprecatedComponentNames); the configuration must be
		// deployed exactly as the collector's own parser validated it.
		"rewriteDeprecatedComponentNames": false,
		"serviceMonitor": map[string]any{
			"enabled":     true,
			"extraLabels": monitorLabels(),
		},
	}
}

// agentValues renders the agent release (DaemonSet). a must be defaulted.
func agentValues(a *PipelinesArgs) map[string]any {
	v := collectorCommon(AgentName, AgentConfig(a.collectorSettings()))
	tolerations := make([]any, 0, len(a.NodeTolerations))
	for _, t := range a.NodeTolerations {
		tol := map[string]any{"key": t.Key, "effect": t.Effect, "operator": "Exists"}
		if t.Value != "" {
			tol["operator"] = "Equal"
			tol["value"] = t.Value
		}
		tolerations = append(tolerations, tol)
	}
	maps.Copy(v, map[string]any{
		"mode":  "daemonset",
		"ports": collectorPorts(true),
		// The applications' entry point. Local keeps a pod's telemetry on its own node's agent
		// (also the chart's default for a DaemonSet Service).
		"service": map[string]any{"enabled": true, "internalTrafficPolicy": "Local"},
		// k8s_attributes watches pods and namespaces, and replicasets for the deployment name.
		"clusterRole": map[string]any{"create": true, "rules": agentRBACRules()},
		"tolerations": tolerations,
		// A log agent must be the last pod evicted from a full node.
		"priorityClassName": "system-node-critical",
		// Container log files are root's (0640 on the node): the agent runs as root, with no
		// capability and a read-only root filesystem. Pod Security "restricted" refuses root and
		// "baseline" refuses hostPath volumes; the namespace enforces "privileged" for this pod.
		"podSecurityContext": map[string]any{
			"runAsUser":      0,
			"runAsGroup":     0,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"readOnlyRootFilesystem":   true,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
		},
		"extraVolumes":      agentVolumes(),
		"extraVolumeMounts": agentVolumeMounts(),
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "256Mi"},
			"limits":   map[string]any{"memory": "512Mi"},
		},
	})
	return v
}

// agentRBACRules are the agent's cluster-wide read permissions: what the k8s_attributes
// processor reads for the metadata it extracts (its README's RBAC section). The load-balancing
// exporter finds the gateways through DNS and needs none.
func agentRBACRules() []any {
	rule := func(group string, resources ...string) map[string]any {
		return map[string]any{
			"apiGroups": []any{group},
			"resources": toAnySlice(resources),
			"verbs":     []any{"get", "list", "watch"},
		}
	}
	return []any{
		rule("", "pods", "namespaces"),
		rule("apps", "replicasets"),
	}
}

// agentVolumes are the node directories the agent reads, read-only (pod logs, and
// AgentNodeLogDirs: the journal with the node's own journalctl), and the one it writes,
// AgentCheckpointDir (read positions and the persistent export queue), which outlives the pod.
func agentVolumes() []any {
	vols := []any{
		map[string]any{"name": "varlogpods", "hostPath": map[string]any{"path": podLogDir, "type": "Directory"}},
		map[string]any{"name": "checkpoints", "hostPath": map[string]any{"path": AgentCheckpointDir, "type": "DirectoryOrCreate"}},
	}
	// No type check on these: /lib64 is a symbolic link on AL2023.
	for i, dir := range AgentNodeLogDirs {
		vols = append(vols, map[string]any{
			"name":     fmt.Sprintf("node-%d", i),
			"hostPath": map[string]any{"path": dir},
		})
	}
	return vols
}

func agentVolumeMounts() []any {
	mounts := []any{
		map[string]any{"name": "varlogpods", "mountPath": podLogDir, "readOnly": true},
		map[string]any{"name": "checkpoints", "mountPath": AgentCheckpointDir},
	}
	for i, dir := range AgentNodeLogDirs {
		mounts = append(mounts, map[string]any{
			"name": fmt.Sprintf("node-%d", i), "mountPath": dir, "readOnly": true,
		})
	}
	return mounts
}

// gatewayValues renders the gateway release (Deployment). a must be defaulted.
func gatewayValues(a *PipelinesArgs) map[string]any {
	v := collectorCommon(GatewayName, GatewayConfig(a.collectorSettings()))
	maps.Copy(v, map[string]any{
		"mode": "deployment",
		// Two replicas: tail sampling keeps running through a node drain or a rollout.
		"replicaCount": GatewayReplicas,
		"ports":        collectorPorts(false),
		// Headless: the agents' load-balancing exporter resolves every gateway pod and sends
		// all spans of a trace to the same one, which tail sampling needs.
		"service":             map[string]any{"clusterIP": "None"},
		"podDisruptionBudget": map[string]any{"enabled": true, "minAvailable": 1},
		"topologySpreadConstraints": []any{map[string]any{
			"maxSkew":           1,
			"topologyKey":       "kubernetes.io/hostname",
			"whenUnsatisfiable": "ScheduleAnyway",
			"labelSelector":     map[string]any{"matchLabels": map[string]any{InstanceLabel: GatewayName}},
		}},
		// The image's user (10001); everything Pod Security "restricted" asks.
		"podSecurityContext": map[string]any{
			"runAsNonRoot":   true,
			"runAsUser":      10001,
			"runAsGroup":     10001,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"securityContext": restrictedContainer(),
		// The gateway does not talk to the Kubernetes API: no token in its pods.
		"serviceAccount": map[string]any{"automountServiceAccountToken": false},
		// Tail sampling holds every trace for the decision wait: memory is its budget.
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "200m", "memory": "512Mi"},
			"limits":   map[string]any{"memory": "1Gi"},
		},
	})
	return v
}

// GatewayReplicas is the number of gateway pods.
const GatewayReplicas = 2

func toAnySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
