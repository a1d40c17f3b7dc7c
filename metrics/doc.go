// Package metrics is the Prometheus instrumentation that NovaCron services import: an HTTP
// middleware and the application collectors the platform's alerts and dashboards are built on.
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
// # Usage
//
//	m, err := metrics.New(prometheus.DefaultRegisterer)
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /v1/vms/{id}", getVM)
//	mux.Handle("GET /metrics", promhttp.Handler())
//	m.TrackDB("main", db) // *sql.DB
//	http.ListenAndServe(":8080", m.Middleware(mux))
package metrics
