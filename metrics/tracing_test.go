package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// W3C Trace Context's own example ids.
const (
	remoteTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	remoteSpanID  = "00f067aa0ba902b7"
)

func traceparent(flags string) string {
	return "00-" + remoteTraceID + "-" + remoteSpanID + "-" + flags
}

type traced struct {
	m   *Metrics
	reg *prometheus.Registry
	exp *tracetest.InMemoryExporter
	tp  *sdktrace.TracerProvider
}

// newTraced builds Metrics on a fresh registry and an SDK provider whose spans land in an
// in-memory exporter as they end.
func newTraced(t *testing.T, sampler sdktrace.Sampler) traced {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sampler))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	reg := prometheus.NewRegistry()
	m, err := New(reg, WithTracerProvider(tp))
	require.NoError(t, err)
	return traced{m: m, reg: reg, exp: exp, tp: tp}
}

func (tr traced) span(t *testing.T, kind trace.SpanKind) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range tr.exp.GetSpans() {
		if s.SpanKind == kind {
			found = append(found, s)
		}
	}
	require.Len(t, found, 1, "one %s span", kind)
	return found[0]
}

func attrs(s tracetest.SpanStub) map[string]any {
	out := map[string]any{}
	for _, kv := range s.Attributes {
		out[string(kv.Key)] = kv.Value.AsInterface()
	}
	return out
}

func assertNoSecret(t *testing.T, attrs map[string]any, secret string) {
	t.Helper()
	for k, v := range attrs {
		if s, ok := v.(string); ok {
			assert.NotContains(t, s, secret, k)
		}
	}
}

func TestServerSpanFollowsHTTPSemanticConventions(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		target     string
		header     map[string]string
		wantName   string
		wantStatus codes.Code
		want       map[string]any
		absent     []string
	}{
		{
			name: "route template names the span", method: http.MethodGet,
			target: "http://api.novacron.dev/v1/vms/42", wantName: "GET /v1/vms/{id}",
			want: map[string]any{
				"http.request.method": "GET", "http.route": "/v1/vms/{id}",
				"http.response.status_code": int64(200), "url.path": "/v1/vms/42",
				"url.scheme": "http", "server.address": "api.novacron.dev", "server.port": int64(80),
				"network.protocol.version": "1.1",
			},
			absent: []string{"error.type", "url.query", "http.request.method_original"},
		},
		{
			name: "server error is an error", method: http.MethodGet, target: "/v1/vms/broken",
			wantName: "GET /v1/vms/{id}", wantStatus: codes.Error,
			want: map[string]any{"http.response.status_code": int64(500), "error.type": "500"},
		},
		{
			name: "no route: method only, no http.route, 404 is not an error", method: http.MethodGet,
			target: "/scan/wp-admin", wantName: "GET",
			want:   map[string]any{"http.response.status_code": int64(404), "url.path": "/scan/wp-admin"},
			absent: []string{"http.route", "error.type"},
		},
		{
			name: "method not allowed", method: http.MethodDelete, target: "/v1/vms/42", wantName: "DELETE",
			want:   map[string]any{"http.request.method": "DELETE", "http.response.status_code": int64(405)},
			absent: []string{"http.route", "error.type"},
		},
		{
			name: "created", method: http.MethodPost, target: "/v1/vms", wantName: "POST /v1/vms",
			want: map[string]any{"http.request.method": "POST", "http.response.status_code": int64(201)},
		},
		{
			name: "unknown method is _OTHER and the span is HTTP", method: "PURGE", target: "/v1/vms/42",
			wantName: "HTTP",
			want:     map[string]any{"http.request.method": "_OTHER", "http.request.method_original": "PURGE"},
		},
		{
			name: "proxy headers give scheme and host; query values are redacted", method: http.MethodGet,
			target:   "/v1/vms/42?token=s3cret&verbose",
			header:   map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.novacron.dev"},
			wantName: "GET /v1/vms/{id}",
			want: map[string]any{
				"url.scheme": "https", "server.address": "api.novacron.dev", "server.port": int64(443),
				"url.query": "token=REDACTED&verbose", "url.path": "/v1/vms/42",
			},
		},
		{
			name: "Forwarded wins over X-Forwarded-*", method: http.MethodGet, target: "/v1/vms/42",
			header: map[string]string{
				"Forwarded":        `for=192.0.2.60;proto=https;host="novacron.dev:8443", for=10.0.0.1`,
				"X-Forwarded-Host": "other.example",
			},
			wantName: "GET /v1/vms/{id}",
			want:     map[string]any{"url.scheme": "https", "server.address": "novacron.dev", "server.port": int64(8443)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTraced(t, sdktrace.AlwaysSample())
			req := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			tr.m.Middleware(apiMux()).ServeHTTP(httptest.NewRecorder(), req)

			s := tr.span(t, trace.SpanKindServer)
			assert.Equal(t, tt.wantName, s.Name)
			assert.Equal(t, tt.wantStatus, s.Status.Code)
			assert.Empty(t, s.Status.Description, "the status code says it all")
			assert.Equal(t, TracerName, s.InstrumentationScope.Name)
			assert.Equal(t, semconv.SchemaURL, s.InstrumentationScope.SchemaURL)
			assert.False(t, s.Parent.IsValid(), "no incoming trace context: a root span")
			got := attrs(s)
			for k, v := range tt.want {
				assert.Equal(t, v, got[k], k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, got, k)
			}
			assertNoSecret(t, got, "s3cret")
		})
	}
}

func TestServerSpanNamedBySetRoute(t *testing.T) {
	tr := newTraced(t, sdktrace.AlwaysSample())
	router := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.WithContext(r.Context()), "/users/:name")
		w.WriteHeader(http.StatusNoContent)
	})
	serve(tr.m.Middleware(router), http.MethodGet, "/users/alice")
	s := tr.span(t, trace.SpanKindServer)
	assert.Equal(t, "GET /users/:name", s.Name)
	assert.Equal(t, "/users/:name", attrs(s)["http.route"])
}

func TestServerSpanContinuesTheIncomingTrace(t *testing.T) {
	tr := newTraced(t, sdktrace.ParentBased(sdktrace.AlwaysSample()))
	var tenant string
	var handlerSpan trace.SpanContext
	h := tr.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant = baggage.FromContext(r.Context()).Member("tenant").Value()
		// A handler's own span is a child of the server span.
		_, child := tr.tp.Tracer("test").Start(r.Context(), "load vm")
		handlerSpan = child.SpanContext()
		child.End()
		w.WriteHeader(http.StatusOK)
	}))
	req := httptest.NewRequest(http.MethodGet, "/v1/vms/42", nil)
	req.Header.Set("traceparent", traceparent("01"))
	req.Header.Set("tracestate", "novacron=edge")
	req.Header.Set("baggage", "tenant=acme")
	h.ServeHTTP(httptest.NewRecorder(), req)

	server := tr.span(t, trace.SpanKindServer)
	assert.Equal(t, remoteTraceID, server.SpanContext.TraceID().String())
	assert.Equal(t, remoteSpanID, server.Parent.SpanID().String())
	assert.True(t, server.Parent.IsRemote())
	assert.Equal(t, "edge", server.SpanContext.TraceState().Get("novacron"))
	assert.Equal(t, "acme", tenant, "baggage reaches the handler")

	child := tr.span(t, trace.SpanKindInternal)
	assert.Equal(t, handlerSpan.SpanID(), child.SpanContext.SpanID())
	assert.Equal(t, server.SpanContext.SpanID(), child.Parent.SpanID())
	assert.Equal(t, remoteTraceID, child.SpanContext.TraceID().String())
}

func TestServerSpanEndsWhenTheHandlerPanics(t *testing.T) {
	tr := newTraced(t, sdktrace.AlwaysSample())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	assert.PanicsWithValue(t, "boom", func() { serve(tr.m.Middleware(mux), http.MethodGet, "/v1/panic") })

	s := tr.span(t, trace.SpanKindServer)
	assert.Equal(t, "GET /v1/panic", s.Name)
	assert.Equal(t, codes.Error, s.Status.Code)
	assert.Equal(t, "panic", attrs(s)["error.type"])
}

func TestMiddlewareKeepsTheWriterInterfaces(t *testing.T) {
	tr := newTraced(t, sdktrace.AlwaysSample())
	var flushable bool
	h := tr.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, flushable = w.(http.Flusher) // server-sent events depend on it
		_, _ = w.Write([]byte("data"))
	}))
	rec := httptest.NewRecorder() // a Flusher
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/events", nil))
	assert.True(t, flushable)
	assert.Equal(t, int64(200), attrs(tr.span(t, trace.SpanKindServer))["http.response.status_code"])
}

func TestKnownMethodsFromEnvironment(t *testing.T) {
	t.Setenv(KnownMethodsEnv, "GET, PURGE")
	tr := newTraced(t, sdktrace.AlwaysSample())
	h := tr.m.Middleware(http.NotFoundHandler())
	serve(h, "PURGE", "/cache")
	serve(h, http.MethodPost, "/cache")
	byMethod := map[string]tracetest.SpanStub{}
	for _, s := range tr.exp.GetSpans() {
		byMethod[s.Name] = s
	}
	require.Contains(t, byMethod, "PURGE")
	assert.NotContains(t, attrs(byMethod["PURGE"]), "http.request.method_original")
	require.Contains(t, byMethod, "HTTP", "POST is not in the override list")
	assert.Equal(t, "POST", attrs(byMethod["HTTP"])["http.request.method_original"])
}

func TestTransportPropagatesTheTrace(t *testing.T) {
	tr := newTraced(t, sdktrace.AlwaysSample())
	var gotParent, gotBaggage string
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotParent, gotBaggage = r.Header.Get("traceparent"), r.Header.Get("baggage")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer downstream.Close()
	client := &http.Client{Transport: tr.m.Transport(nil)}

	var outgoing *http.Request
	upstream := tr.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		outgoing, err = http.NewRequestWithContext(r.Context(), http.MethodPost,
			downstream.URL+"/v1/hosts?key=s3cret", nil)
		require.NoError(t, err)
		resp, err := client.Do(outgoing)
		require.NoError(t, err)
		_ = resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	}))
	req := httptest.NewRequest(http.MethodGet, "/v1/vms/42", nil)
	req.Header.Set("baggage", "tenant=acme")
	upstream.ServeHTTP(httptest.NewRecorder(), req)

	server := tr.span(t, trace.SpanKindServer)
	clientSpan := tr.span(t, trace.SpanKindClient)
	assert.Equal(t, server.SpanContext.SpanID(), clientSpan.Parent.SpanID(), "client span is the server span's child")
	assert.Equal(t, "00-"+server.SpanContext.TraceID().String()+"-"+clientSpan.SpanContext.SpanID().String()+"-01",
		gotParent, "the downstream service continues the trace under the client span")
	assert.Equal(t, "tenant=acme", gotBaggage)
	assert.Empty(t, outgoing.Header.Get("traceparent"), "the caller's request is not modified")

	assert.Equal(t, "POST", clientSpan.Name)
	assert.Equal(t, codes.Unset, clientSpan.Status.Code)
	got := attrs(clientSpan)
	assert.Equal(t, "POST", got["http.request.method"])
	assert.Equal(t, "127.0.0.1", got["server.address"])
	assert.Positive(t, got["server.port"])
	assert.Equal(t, downstream.URL+"/v1/hosts?key=REDACTED", got["url.full"])
	assert.Equal(t, int64(http.StatusAccepted), got["http.response.status_code"])
	assert.NotContains(t, got, "error.type")
}

func TestTransportSpanStatus(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		closed     bool
		wantStatus codes.Code
		wantError  string
	}{
		{name: "success", code: http.StatusOK, wantStatus: codes.Unset},
		{name: "not found is an error on the client", code: http.StatusNotFound, wantStatus: codes.Error, wantError: "404"},
		{name: "server error", code: http.StatusServiceUnavailable, wantStatus: codes.Error, wantError: "503"},
		{name: "no response", closed: true, wantStatus: codes.Error, wantError: "*net.OpError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTraced(t, sdktrace.AlwaysSample())
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.code)
			}))
			target := strings.Replace(srv.URL, "http://", "http://svc:pa55word@", 1) + "/x"
			if tt.closed {
				srv.Close()
			} else {
				defer srv.Close()
			}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
			require.NoError(t, err)
			resp, err := tr.m.Transport(nil).RoundTrip(req)
			if tt.closed {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				_ = resp.Body.Close()
			}

			s := tr.span(t, trace.SpanKindClient)
			assert.Equal(t, tt.wantStatus, s.Status.Code)
			got := attrs(s)
			if tt.wantError == "" {
				assert.NotContains(t, got, "error.type")
			} else {
				assert.Equal(t, tt.wantError, got["error.type"])
			}
			assert.Contains(t, got["url.full"], "//REDACTED:REDACTED@127.0.0.1:")
			assertNoSecret(t, got, "pa55word")
			assert.NotContains(t, s.Status.Description, "pa55word")
		})
	}
}

type seriesExemplar struct {
	metric  string
	traceID string
}

// scrapeExemplars scrapes Handler like Prometheus does (OpenMetrics negotiated) and reads the
// exposition with Prometheus's own parser, returning every exemplar it carries.
func scrapeExemplars(t *testing.T, reg prometheus.Gatherer) []seriesExemplar {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	Handler(reg).ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	contentType := rec.Header().Get("Content-Type")
	require.True(t, strings.HasPrefix(contentType, "application/openmetrics-text"), contentType)

	p, err := textparse.New(rec.Body.Bytes(), contentType, labels.NewSymbolTable(), textparse.ParserOptions{})
	require.NoError(t, err)
	var out []seriesExemplar
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if entry != textparse.EntrySeries {
			continue
		}
		var lset labels.Labels
		p.Labels(&lset)
		var e exemplar.Exemplar
		for p.Exemplar(&e) {
			out = append(out, seriesExemplar{metric: lset.Get(model.MetricNameLabel), traceID: e.Labels.Get(ExemplarTraceID)})
			e = exemplar.Exemplar{}
		}
	}
}

func TestExemplarsLinkTheHTTPMetricsToSampledTraces(t *testing.T) {
	tests := []struct {
		name        string
		sampler     sdktrace.Sampler
		traceparent string
		wantTraceID string // "" means the span's own trace; "-" means no exemplar at all
	}{
		{name: "sampled root span", sampler: sdktrace.AlwaysSample()},
		{name: "sampled remote parent", sampler: sdktrace.ParentBased(sdktrace.NeverSample()),
			traceparent: traceparent("01"), wantTraceID: remoteTraceID},
		{name: "not sampled", sampler: sdktrace.NeverSample(), wantTraceID: "-"},
		{name: "remote parent not sampled", sampler: sdktrace.ParentBased(sdktrace.AlwaysSample()),
			traceparent: traceparent("00"), wantTraceID: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTraced(t, tt.sampler)
			req := httptest.NewRequest(http.MethodGet, "/v1/vms/42", nil)
			if tt.traceparent != "" {
				req.Header.Set("traceparent", tt.traceparent)
			}
			tr.m.Middleware(apiMux()).ServeHTTP(httptest.NewRecorder(), req)

			got := scrapeExemplars(t, tr.reg)
			if tt.wantTraceID == "-" {
				assert.Empty(t, got, "an unsampled trace is never stored: no exemplar may point at it")
				return
			}
			want := tt.wantTraceID
			if want == "" {
				want = tr.span(t, trace.SpanKindServer).SpanContext.TraceID().String()
			}
			// One observation: the counter's sample and the one bucket it fell in carry it.
			assert.ElementsMatch(t, []seriesExemplar{
				{metric: HTTPRequestsTotal, traceID: want},
				{metric: HTTPRequestDurationSeconds + "_bucket", traceID: want},
			}, got)
		})
	}
}

func TestNewRejectsNilTracingOptions(t *testing.T) {
	_, err := New(prometheus.NewRegistry(), WithTracerProvider(nil))
	require.EqualError(t, err, "metrics: WithTracerProvider: nil tracer provider")
	_, err = New(prometheus.NewRegistry(), WithPropagator(nil))
	require.EqualError(t, err, "metrics: WithPropagator: nil propagator")
}

func TestHostPort(t *testing.T) {
	tests := []struct {
		in, scheme string
		host       string
		port       int
	}{
		{"api.novacron.dev", "https", "api.novacron.dev", 443},
		{"api.novacron.dev", "http", "api.novacron.dev", 80},
		{"api.novacron.dev:8080", "http", "api.novacron.dev", 8080},
		{"[2001:db8::1]:8443", "https", "2001:db8::1", 8443},
		{"[2001:db8::1]", "http", "2001:db8::1", 80},
		{"api.novacron.dev:99999", "http", "api.novacron.dev", 0},
	}
	for _, tt := range tests {
		host, port := hostPort(tt.in, tt.scheme)
		assert.Equal(t, tt.host, host, tt.in)
		assert.Equal(t, tt.port, port, tt.in)
	}
}

// The layout the package documentation recommends: the API mux behind the middleware, /metrics
// beside it so that scrapes are neither traced nor counted.
func TestDocumentedLayout(t *testing.T) {
	tr := newTraced(t, sdktrace.AlwaysSample())
	root := http.NewServeMux()
	root.Handle("GET /metrics", Handler(tr.reg))
	root.Handle("/", tr.m.Middleware(apiMux()))

	require.Equal(t, http.StatusOK, serve(root, http.MethodGet, "/v1/vms/42"))
	require.Equal(t, http.StatusNotFound, serve(root, http.MethodGet, "/nothing"))
	require.Equal(t, http.StatusOK, serve(root, http.MethodGet, "/metrics"))

	var names []string
	for _, s := range tr.exp.GetSpans() {
		names = append(names, s.Name)
	}
	// The outer mux's "/" pattern does not leak into the unmatched request's route.
	assert.ElementsMatch(t, []string{"GET /v1/vms/{id}", "GET"}, names)
	assert.Equal(t, 1.0, testutil.ToFloat64(tr.m.requests.WithLabelValues("get", "/v1/vms/{id}", "200")))
	assert.Equal(t, 1.0, testutil.ToFloat64(tr.m.requests.WithLabelValues("get", RouteUnmatched, "404")))
	assert.Equal(t, 2, testutil.CollectAndCount(tr.m.requests), "no series for /metrics")
}
