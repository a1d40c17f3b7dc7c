package metrics

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestMetrics(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	require.NoError(t, err)
	return m, reg
}

// apiMux is a small NovaCron-like API on a Go 1.22+ ServeMux.
func apiMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/vms/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "broken" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("POST /v1/vms", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	return mux
}

func serve(h http.Handler, method, target string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code
}

func TestMiddlewareLabelsByRouteTemplate(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		target    string
		wantCode  int
		wantRoute string
		wantVerb  string
	}{
		{"template replaces the id", http.MethodGet, "/v1/vms/42", 200, "/v1/vms/{id}", "get"},
		{"server error keeps the route", http.MethodGet, "/v1/vms/broken", 500, "/v1/vms/{id}", "get"},
		{"method prefix is stripped", http.MethodPost, "/v1/vms", 201, "/v1/vms", "post"},
		{"no route matched", http.MethodGet, "/does/not/exist", 404, RouteUnmatched, "get"},
		{"method not allowed", http.MethodDelete, "/v1/vms/42", 405, RouteUnmatched, "delete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestMetrics(t)
			h := m.Middleware(apiMux())
			require.Equal(t, tt.wantCode, serve(h, tt.method, tt.target))

			got := testutil.ToFloat64(m.requests.WithLabelValues(tt.wantVerb, tt.wantRoute, fmt.Sprint(tt.wantCode)))
			assert.Equal(t, 1.0, got)
			assert.Equal(t, 1, testutil.CollectAndCount(m.requests), "exactly one series")
			assert.Equal(t, uint64(1), histogramCount(t, m.duration, tt.wantVerb, tt.wantRoute))
		})
	}
}

func TestMiddlewareCardinalityIsBoundedByRoutes(t *testing.T) {
	m, _ := newTestMetrics(t)
	h := m.Middleware(apiMux())
	for i := range 500 {
		serve(h, http.MethodGet, fmt.Sprintf("/v1/vms/%d", i))
		serve(h, http.MethodGet, fmt.Sprintf("/scan/%d", i)) // 404s from a scanner
	}
	// 500 distinct VM URLs and 500 distinct unknown URLs: two series, not a thousand.
	assert.Equal(t, 2, testutil.CollectAndCount(m.requests))
	assert.Equal(t, 500.0, testutil.ToFloat64(m.requests.WithLabelValues("get", "/v1/vms/{id}", "200")))
	assert.Equal(t, 500.0, testutil.ToFloat64(m.requests.WithLabelValues("get", RouteUnmatched, "404")))
}

func TestSetRouteForOtherRouters(t *testing.T) {
	m, _ := newTestMetrics(t)
	// A router that is not a ServeMux and copies the request before its handler runs, which
	// hides anything set on the copy from the outer middleware; SetRoute still reaches it.
	router := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner := r.WithContext(r.Context())
		if strings.HasPrefix(inner.URL.Path, "/users/") {
			SetRoute(inner, "/users/:name")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.NotFound(w, inner)
	})
	h := m.Middleware(router)
	serve(h, http.MethodGet, "/users/alice")
	serve(h, http.MethodGet, "/users/bob")
	assert.Equal(t, 2.0, testutil.ToFloat64(m.requests.WithLabelValues("get", "/users/:name", "204")))
	assert.Equal(t, 1, testutil.CollectAndCount(m.requests))
}

func TestPatternPath(t *testing.T) {
	tests := map[string]string{
		"GET /v1/vms/{id}":          "/v1/vms/{id}",
		"POST\t /v1/vms":            "/v1/vms",
		"/static/":                  "/static/",
		"api.novacron.dev/v1/{$}":   "api.novacron.dev/v1/{$}",
		"GET api.novacron.dev/v1/x": "api.novacron.dev/v1/x",
	}
	for in, want := range tests {
		assert.Equal(t, want, patternPath(in), in)
	}
}

type fakePool struct{ inUse int }

func (f *fakePool) Stats() sql.DBStats {
	return sql.DBStats{InUse: f.inUse, OpenConnections: f.inUse + 2}
}

func TestTrackDBReadsPoolAtScrape(t *testing.T) {
	m, _ := newTestMetrics(t)
	main := &fakePool{inUse: 3}
	m.TrackDB("main", main)
	m.TrackDB("reporting", &fakePool{inUse: 1})

	want := `
# HELP novacron_db_connections_active Database connections currently in use, per connection pool.
# TYPE novacron_db_connections_active gauge
novacron_db_connections_active{database="main"} 3
novacron_db_connections_active{database="reporting"} 1
`
	require.NoError(t, testutil.CollectAndCompare(m.dbConns, strings.NewReader(want), DBConnectionsActive))

	main.inUse = 7 // the next scrape sees the new value without any call into the package
	want = strings.Replace(want, `"main"} 3`, `"main"} 7`, 1)
	require.NoError(t, testutil.CollectAndCompare(m.dbConns, strings.NewReader(want), DBConnectionsActive))
}

func TestQueriesJobsAndUsers(t *testing.T) {
	m, _ := newTestMetrics(t)
	m.ObserveQuery("get_vm", 30*time.Millisecond)
	m.ObserveQuery("get_vm", 300*time.Millisecond)
	done := m.TimeQuery("list_vms")
	done()
	m.JobProcessed("migrate_vm", nil)
	m.JobProcessed("migrate_vm", nil)
	m.JobProcessed("migrate_vm", errors.New("host unreachable"))
	m.SetJobQueueDepth("migrate_vm", 4)
	m.SetJobQueueDepth("snapshot_vm", 9)
	m.SetJobQueueDepth("migrate_vm", 3) // a gauge: the last value counts
	m.SetActiveUsers(12)

	assert.Equal(t, uint64(2), histogramCount(t, m.dbQuery, "get_vm"))
	assert.Equal(t, uint64(1), histogramCount(t, m.dbQuery, "list_vms"))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.jobs.WithLabelValues("migrate_vm", StatusSuccess)))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.jobs.WithLabelValues("migrate_vm", StatusFailure)))
	assert.Equal(t, 3.0, testutil.ToFloat64(m.queue.WithLabelValues("migrate_vm")))
	assert.Equal(t, 9.0, testutil.ToFloat64(m.queue.WithLabelValues("snapshot_vm")))
	assert.Equal(t, 12.0, testutil.ToFloat64(m.users))

	// 30 ms lands in the 0.05 bucket, 300 ms only from 0.5 on.
	h := histogramOf(t, m.dbQuery, "get_vm")
	cum := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		cum[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	assert.Equal(t, uint64(0), cum[0.025])
	assert.Equal(t, uint64(1), cum[0.05])
	assert.Equal(t, uint64(1), cum[0.25])
	assert.Equal(t, uint64(2), cum[0.5])
}

func TestRegistryExposesExactlyTheDocumentedNames(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.TrackDB("main", &fakePool{})
	serve(m.Middleware(apiMux()), http.MethodGet, "/v1/vms/1")
	m.ObserveQuery("get_vm", time.Millisecond)
	m.JobProcessed("migrate_vm", nil)
	m.SetJobQueueDepth("migrate_vm", 1)

	families, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	assert.ElementsMatch(t, []string{HTTPRequestsTotal, HTTPRequestDurationSeconds, DBConnectionsActive,
		DBQueryDurationSeconds, JobsProcessedTotal, JobQueueDepth, ActiveUsers}, names)

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems, "metric names and help follow the Prometheus conventions")
}

func TestNewRejectsSecondRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := New(reg)
	require.NoError(t, err)
	_, err = New(reg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "metrics: register")

	_, err = New(nil)
	require.EqualError(t, err, "metrics: nil registerer")
}

func TestBucketsContainTheObjectives(t *testing.T) {
	// The API latency objective (100 ms) must be a bucket boundary; callers get a copy.
	assert.Contains(t, HTTPDurationBuckets(), 0.1)
	b := HTTPDurationBuckets()
	b[0] = 42
	assert.NotEqual(t, 42.0, HTTPDurationBuckets()[0])
	assert.IsIncreasing(t, HTTPDurationBuckets())
	assert.IsIncreasing(t, DBQueryDurationBuckets())
}

func histogramOf(t *testing.T, vec *prometheus.HistogramVec, lvs ...string) *dto.Histogram {
	t.Helper()
	obs, err := vec.GetMetricWithLabelValues(lvs...)
	require.NoError(t, err)
	var pb dto.Metric
	require.NoError(t, obs.(prometheus.Metric).Write(&pb))
	return pb.GetHistogram()
}

func histogramCount(t *testing.T, vec *prometheus.HistogramVec, lvs ...string) uint64 {
	return histogramOf(t, vec, lvs...).GetSampleCount()
}

func TestJobQueueDepthIsAGaugeByJobType(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.SetJobQueueDepth("migrate_vm", 7)
	m.SetJobQueueDepth("migrate_vm", 2)
	want := `
# HELP novacron_job_queue_depth Background jobs waiting to run, by job type.
# TYPE novacron_job_queue_depth gauge
novacron_job_queue_depth{job_type="migrate_vm"} 2
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), JobQueueDepth))
}
