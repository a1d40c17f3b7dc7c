// Package metrics is the Prometheus and OpenTelemetry instrumentation that NovaCron services
// import: an HTTP middleware that counts, times and traces every request, a traced HTTP client
// transport, and the application collectors the platform's alerts and dashboards are built on.
//
// The metric and label names are exported constants. The monitoring component
// (components/monitoring) generates its PrometheusRules and the SLO dashboard from these same
// constants, so a rename here changes the alerts with it and cannot silently orphan them.
//
// # Metrics
//
//	novacron_http_requests_total{method, route, code}          counter
//	novacron_http_request_duration_seconds{method, route}      histogram (HTTPDurationBuckets)
//	novacron_db_connections_active{database}                   gauge, read from sql.DBStats at scrape
//	novacron_db_query_duration_seconds{operation}              histogram (DBQueryDurationBuckets)
//	novacron_jobs_processed_total{job_type, status}            counter, status is success|failure
//	novacron_job_queue_depth{job_type}                         gauge, jobs waiting (SetJobQueueDepth)
//	novacron_active_users                                      gauge
//
// # Bounded cardinality
//
// The HTTP metrics are labelled by route template ("/v1/vms/{id}"), never by the raw URL path,
// so the number of series is the number of routes, not the number of distinct URLs. The
// middleware finds the template in this order:
//
//  1. a template set with SetRoute during the request (for routers other than http.ServeMux:
//     call SetRoute from a small middleware inside the router, where its pattern is known);
//  2. http.Request.Pattern, which http.ServeMux (Go 1.22+) sets on the request it dispatches,
//     with the method prefix removed ("GET /v1/vms/{id}" becomes "/v1/vms/{id}");
//  3. RouteUnmatched ("unmatched") when neither is available: requests that matched no route
//     (404, 405) and requests whose router is unknown all share that one series.
//
// Wrap the ServeMux directly (metrics.Middleware(mux)): ServeMux sets Pattern on the request
// value it receives, so a middleware in between that replaces the request (r.WithContext) hides
// the pattern; use SetRoute in that case. The method label comes from promhttp, which reports
// the standard methods in lower case and every other method as "unknown"; the code label is the
// numeric status. The "route" label is deliberately not called "endpoint": the Prometheus
// Operator already sets an "endpoint" target label on every ServiceMonitor scrape.
//
// Values passed as operation (ObserveQuery), job type (JobProcessed) and database name
// (TrackDB) become label values: use a fixed, small set of names, never user input or SQL text.
//
// # Tracing
//
// Middleware also traces each request, following the stable HTTP semantic conventions of
// OpenTelemetry (semconv v1.43.0, the newest the otel v1.47.0 module ships; "Semantic conventions
// for HTTP spans", open-telemetry/semantic-conventions docs/http/http-spans.md):
//
//   - Trace context comes from the request's W3C headers (traceparent, tracestate) and W3C
//     baggage; the span continues that trace with the caller's span as remote parent, or starts a
//     new one. WithPropagator replaces the propagators; the global propagator is not used,
//     because its default propagates nothing.
//   - One span of kind SERVER per request, instrumentation scope TracerName. Its name is
//     "{method} {route}" with the route template found as for the route label; when no template
//     is known it is "{method}" alone and http.route is absent (the conventions forbid the raw
//     path and a placeholder). The span starts as "{method}" and is renamed when the handler
//     returns, since the router only then knows the route. A method outside the known list is
//     reported as http.request.method="_OTHER" with http.request.method_original, and named
//     "HTTP"; KnownMethodsEnv (OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS, comma-separated) replaces
//     the default list (RFC 9110 methods and PATCH).
//   - Attributes: http.request.method, url.path, url.scheme, server.address, server.port,
//     url.query, network.protocol.version and user_agent.original at start; http.route,
//     http.response.status_code and error.type at the end. Scheme and host come from Forwarded,
//     then X-Forwarded-Proto/-Host, then the connection and Host header, since the services sit
//     behind the ingress. Query values are replaced by REDACTED (keys kept): they can carry
//     tokens, and traces are readable by everyone with Grafana access. Client addresses, headers
//     and bodies are not recorded.
//   - Status Error on 5xx, with error.type set to the status code ("503"); 4xx stays unset (the
//     client's mistake). A panicking handler ends its span with error.type "panic".
//   - The handler's request context carries the span and the baggage: spans it starts from
//     r.Context() are children of the server span, and calls made through Transport carry the
//     trace on.
//
// Transport(base) is the client half for calls between services: a span of kind CLIENT per
// attempt (named "{method}"; url.full with credentials and query values redacted,
// server.address, server.port, http.response.status_code), ended when the response headers
// arrive, and traceparent, tracestate and baggage injected into a copy of the outgoing request.
// Client spans are errors on 4xx and 5xx (error.type is the code), and on a failed round trip
// (error.type "timeout", "canceled" or the Go error type).
//
// # Exemplars
//
// When the server span is sampled, both novacron_http_requests_total and the bucket of
// novacron_http_request_duration_seconds the request fell in carry an exemplar whose one label is
// trace_id (ExemplarTraceID: the 32 hex digits of the trace id), the OpenMetrics convention and
// the label the Grafana Prometheus data source's exemplar link (exemplarTraceIdDestinations) is
// given to open the trace. An unsampled span gives no exemplar: its trace is never stored. Each
// series keeps its latest exemplar.
//
// Exemplars are only exposed in the OpenMetrics format: serve the registry with Handler, which
// negotiates OpenMetrics (promhttp.HandlerOpts.EnableOpenMetrics), not promhttp.Handler, which
// never does. Prometheus stores them only with --enable-feature=exemplar-storage (set in the
// monitoring chart's Prometheus values). The collector tail-samples: it keeps every trace with an
// error or above the slow threshold and a share of the rest, so an exemplar of a fast, successful
// request can name a trace that was not kept; those of slow and failed requests always resolve.
//
// # Exporting spans
//
// This package configures no exporter and no sampler: the application builds the SDK
// TracerProvider (go.opentelemetry.io/otel/sdk/trace with a batching OTLP exporter such as
// otlptracegrpc) and passes it with WithTracerProvider; without that option New uses the global
// provider (otel.GetTracerProvider). The contract with the platform is the SDK's standard
// environment, set on the service's pods:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT         http://otel-agent.telemetry.svc:4317 (OTLP/gRPC)
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the same for traces only; wins over the above
//	OTEL_SERVICE_NAME                   service.name, which Tempo and the dashboards group by
//	OTEL_RESOURCE_ATTRIBUTES            more resource attributes (key=value,...)
//	OTEL_TRACES_SAMPLER                 leave unset: the SDK default, parentbased_always_on
//
// The endpoint is the node agent of the trace pipeline (components/telemetry: AgentName in the
// telemetry namespace, OTLPGRPCPort 4317; OTLPHTTPPort 4318 serves otlptracehttp, which appends
// /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT but takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is).
// An "http" scheme makes both exporters connect without TLS (otel-go v1.47.0,
// internal/otlpconfig/envconfig.go). Sampling is the collector's job: a service that
// head-samples would drop errors before the collector could keep them.
//
// # Usage
//
//	exporter, err := otlptracegrpc.New(ctx) // reads OTEL_EXPORTER_OTLP_ENDPOINT
//	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
//	defer tp.Shutdown(ctx)
//	m, err := metrics.New(prometheus.DefaultRegisterer, metrics.WithTracerProvider(tp))
//	api := http.NewServeMux()
//	api.HandleFunc("GET /v1/vms/{id}", getVM)
//	m.TrackDB("main", db) // *sql.DB
//	root := http.NewServeMux()
//	root.Handle("GET /metrics", metrics.Handler(prometheus.DefaultGatherer)) // not traced
//	root.Handle("/", m.Middleware(api))
//	http.ListenAndServe(":8080", root)
//	client := &http.Client{Transport: m.Transport(nil)} // calls to other services
package metrics
