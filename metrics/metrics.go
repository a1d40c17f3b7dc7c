package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names. The monitoring component builds its rules and dashboards from these constants.
const (
	HTTPRequestsTotal          = "novacron_http_requests_total"
	HTTPRequestDurationSeconds = "novacron_http_request_duration_seconds"
	DBConnectionsActive        = "novacron_db_connections_active"
	DBQueryDurationSeconds     = "novacron_db_query_duration_seconds"
	JobsProcessedTotal         = "novacron_jobs_processed_total"
	JobQueueDepth              = "novacron_job_queue_depth"
	ActiveUsers                = "novacron_active_users"
)

// Label names. LabelMethod and LabelCode are the names promhttp requires for its method and
// status-code partitions.
const (
	LabelMethod    = "method"
	LabelRoute     = "route"
	LabelCode      = "code"
	LabelDatabase  = "database"
	LabelOperation = "operation"
	// LabelJobType is not "job": Prometheus already uses "job" for the scrape job.
	LabelJobType = "job_type"
	LabelStatus  = "status"
)

// Label values with a fixed meaning.
const (
	// RouteUnmatched is the route label of requests whose route template is unknown.
	RouteUnmatched = "unmatched"
	// StatusSuccess and StatusFailure are the values of LabelStatus on JobsProcessedTotal.
	StatusSuccess = "success"
	StatusFailure = "failure"
)

// HTTPDurationBuckets returns the bucket boundaries (seconds) of HTTPRequestDurationSeconds.
// They include 0.1 so that the 100 ms latency objective is a bucket boundary, not an
// interpolation.
func HTTPDurationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// DBQueryDurationBuckets returns the bucket boundaries (seconds) of DBQueryDurationSeconds.
func DBQueryDurationBuckets() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}
}

// Metrics holds the NovaCron collectors of one registry.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	dbConns  *dbConnections
	dbQuery  *prometheus.HistogramVec
	jobs     *prometheus.CounterVec
	queue    *prometheus.GaugeVec
	users    prometheus.Gauge
	handler  func(http.Handler) http.Handler
	tracing  tracing
}

// New creates the collectors and registers them with reg. It fails when reg already holds
// collectors of the same names (for example when New is called twice on one registry). The
// options configure the tracing half (see WithTracerProvider and WithPropagator).
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: nil registerer")
	}
	tr, err := newTracing(opts)
	if err != nil {
		return nil, err
	}
	m := &Metrics{
		tracing: tr,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: HTTPRequestsTotal,
			Help: "HTTP requests served, by method, route template and status code.",
		}, []string{LabelMethod, LabelRoute, LabelCode}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    HTTPRequestDurationSeconds,
			Help:    "Time to serve an HTTP request, by method and route template.",
			Buckets: HTTPDurationBuckets(),
		}, []string{LabelMethod, LabelRoute}),
		dbConns: &dbConnections{
			desc: prometheus.NewDesc(DBConnectionsActive,
				"Database connections currently in use, per connection pool.",
				[]string{LabelDatabase}, nil),
			pools: map[string]DBStatser{},
		},
		dbQuery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    DBQueryDurationSeconds,
			Help:    "Time to run a database query, by operation name.",
			Buckets: DBQueryDurationBuckets(),
		}, []string{LabelOperation}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: JobsProcessedTotal,
			Help: "Background jobs processed, by job type and outcome (success or failure).",
		}, []string{LabelJobType, LabelStatus}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: JobQueueDepth,
			Help: "Background jobs waiting to run, by job type.",
		}, []string{LabelJobType}),
		users: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: ActiveUsers,
			Help: "Users active at the time of the scrape, as the service defines activity.",
		}),
	}
	collectors := []prometheus.Collector{m.requests, m.duration, m.dbConns, m.dbQuery, m.jobs, m.queue, m.users}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}

	// promhttp's instrumentation keeps http.Flusher, http.Hijacker and friends working through
	// its response writer wrapper; the route label is resolved after the handler returns, when
	// ServeMux has set Request.Pattern. The exemplar is read from the context the tracing half
	// put the server span in.
	route := promhttp.WithLabelFromRequest(LabelRoute, routeOf)
	exemplar := promhttp.WithExemplarFromContext(exemplarLabels)
	m.handler = func(next http.Handler) http.Handler {
		counted := promhttp.InstrumentHandlerCounter(m.requests, next, route, exemplar)
		return promhttp.InstrumentHandlerDuration(m.duration, counted, route, exemplar)
	}
	return m, nil
}

// Middleware returns next instrumented with the HTTP request counter and duration histogram,
// and traced: a server span per request, W3C trace context taken from the request headers, and
// the span's trace id attached as an exemplar to both metrics. See the package documentation
// for how the route label is found and what the span records.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	instrumented := m.handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The holder travels in the context, which survives request copies made further down
		// the chain, so SetRoute works from any depth.
		ctx := context.WithValue(r.Context(), routeKey{}, &routeHolder{})
		m.serveTraced(instrumented, w, r.WithContext(ctx))
	})
}

// Handler serves the metrics of g for Prometheus to scrape, in the OpenMetrics format when the
// scraper asks for it: exemplars exist only in that format (and in protobuf), not in the classic
// text format. A nil g serves prometheus.DefaultGatherer.
func Handler(g prometheus.Gatherer) http.Handler {
	if g == nil {
		g = prometheus.DefaultGatherer
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// SetRoute records the route template of the request being served, for routers that do not set
// http.Request.Pattern. It has no effect outside Middleware. Call it before the handler returns.
func SetRoute(r *http.Request, route string) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		h.mu.Lock()
		h.route = route
		h.mu.Unlock()
	}
}

type routeKey struct{}

type routeHolder struct {
	mu    sync.Mutex
	route string
}

// routeOf returns the route label for a served request.
func routeOf(r *http.Request) string {
	if route, ok := routeTemplate(r); ok {
		return route
	}
	return RouteUnmatched
}

// routeTemplate returns the route template of a served request, if it is known.
func routeTemplate(r *http.Request) (string, bool) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		h.mu.Lock()
		route := h.route
		h.mu.Unlock()
		if route != "" {
			return route, true
		}
	}
	// For CONNECT, ServeMux may report the raw request path as the pattern of its redirect,
	// which would make the label unbounded.
	if r.Pattern != "" && r.Method != http.MethodConnect {
		return patternPath(r.Pattern), true
	}
	return "", false
}

// patternPath removes the method from a ServeMux pattern ("[METHOD ][HOST]/[PATH]"): the
// method already has its own label.
func patternPath(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		return strings.TrimLeft(pattern[i:], " \t")
	}
	return pattern
}

// DBStatser is what TrackDB reads at scrape time; *sql.DB implements it.
type DBStatser interface {
	Stats() sql.DBStats
}

// TrackDB reports the connections in use of db as DBConnectionsActive{database=name}, read at
// each scrape. Tracking the same name again replaces the previous pool.
func (m *Metrics) TrackDB(name string, db DBStatser) {
	m.dbConns.mu.Lock()
	defer m.dbConns.mu.Unlock()
	m.dbConns.pools[name] = db
}

// ObserveQuery records the duration of one database query of the named operation.
func (m *Metrics) ObserveQuery(operation string, d time.Duration) {
	m.dbQuery.WithLabelValues(operation).Observe(d.Seconds())
}

// TimeQuery starts timing a query of the named operation; call the returned function when the
// query has finished.
func (m *Metrics) TimeQuery(operation string) func() {
	start := time.Now()
	return func() { m.ObserveQuery(operation, time.Since(start)) }
}

// JobProcessed counts one processed job of jobType: a failure when err is not nil.
func (m *Metrics) JobProcessed(jobType string, err error) {
	status := StatusSuccess
	if err != nil {
		status = StatusFailure
	}
	m.jobs.WithLabelValues(jobType, status).Inc()
}

// SetJobQueueDepth sets the number of jobs of jobType waiting to run.
func (m *Metrics) SetJobQueueDepth(jobType string, n int) {
	m.queue.WithLabelValues(jobType).Set(float64(n))
}

// SetActiveUsers sets the number of active users.
func (m *Metrics) SetActiveUsers(n int) {
	m.users.Set(float64(n))
}

// dbConnections is a collector that asks each tracked pool for its statistics at scrape time,
// so the value is never stale.
type dbConnections struct {
	desc  *prometheus.Desc
	mu    sync.Mutex
	pools map[string]DBStatser
}

func (c *dbConnections) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *dbConnections) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	names := make([]string, 0, len(c.pools))
	for name := range c.pools {
		names = append(names, name)
	}
	pools := make([]DBStatser, len(names))
	slices.Sort(names)
	for i, name := range names {
		pools[i] = c.pools[name]
	}
	c.mu.Unlock()
	for i, name := range names {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue,
			float64(pools[i].Stats().InUse), name)
	}
}
