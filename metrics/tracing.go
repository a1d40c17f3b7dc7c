package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/felixge/httpsnoop"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// TracerName is the instrumentation scope of the spans this package starts.
const TracerName = "github.com/novacron/platform/metrics"

// ExemplarTraceID is the exemplar label holding the trace id (32 lower-case hex digits), the
// name Grafana's Prometheus data source reads for its exemplar links to the trace store.
const ExemplarTraceID = "trace_id"

// KnownMethodsEnv overrides the list of HTTP methods the spans report as they are; any other
// method is reported as "_OTHER" (semantic conventions, HTTP spans: http.request.method).
const KnownMethodsEnv = "OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS"

// Option configures the tracing half of Metrics.
type Option func(*tracingConfig)

type tracingConfig struct {
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
}

// WithTracerProvider sets the provider of the server and client spans. Default: the global
// provider (otel.GetTracerProvider), which starts no recording spans until the application
// sets one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *tracingConfig) { c.provider = tp }
}

// WithPropagator sets how trace context is read from requests and written to outgoing ones.
// Default: W3C Trace Context (traceparent, tracestate) and W3C Baggage, whatever the global
// propagator is (the global default propagates nothing).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *tracingConfig) { c.propagator = p }
}

// tracing is what the middleware and the transport share.
type tracing struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	methods    map[string]bool
}

func newTracing(opts []Option) (tracing, error) {
	c := tracingConfig{
		provider:   otel.GetTracerProvider(),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	for _, o := range opts {
		o(&c)
	}
	if c.provider == nil {
		return tracing{}, errors.New("metrics: WithTracerProvider: nil tracer provider")
	}
	if c.propagator == nil {
		return tracing{}, errors.New("metrics: WithPropagator: nil propagator")
	}
	return tracing{
		tracer:     c.provider.Tracer(TracerName, trace.WithSchemaURL(semconv.SchemaURL)),
		propagator: c.propagator,
		methods:    knownMethods(os.Getenv(KnownMethodsEnv)),
	}, nil
}

// knownMethods parses the KnownMethodsEnv list; empty means the methods of RFC 9110 and PATCH,
// the default of the HTTP semantic conventions.
func knownMethods(list string) map[string]bool {
	known := map[string]bool{}
	for m := range strings.SplitSeq(list, ",") {
		if m = strings.TrimSpace(m); m != "" {
			known[m] = true
		}
	}
	if len(known) == 0 {
		for _, m := range []string{http.MethodConnect, http.MethodDelete, http.MethodGet,
			http.MethodHead, http.MethodOptions, http.MethodPatch, http.MethodPost,
			http.MethodPut, http.MethodTrace} {
			known[m] = true
		}
	}
	return known
}

// methodAttributes returns the span name's method part and the method attributes. Methods are
// case-sensitive: "get" is not GET.
func (t tracing) methodAttributes(method string) (string, []attribute.KeyValue) {
	if method == "" {
		method = http.MethodGet // net/http's meaning of an empty client method
	}
	if t.methods[method] {
		return method, []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(method)}
	}
	return "HTTP", []attribute.KeyValue{semconv.HTTPRequestMethodOther, semconv.HTTPRequestMethodOriginal(method)}
}

// serveTraced serves r with next inside a server span. r already carries the route holder.
func (m *Metrics) serveTraced(next http.Handler, w http.ResponseWriter, r *http.Request) {
	t := m.tracing
	ctx := t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	method, attrs := t.methodAttributes(r.Method)
	// The route is known only once the router has run, so the span starts with the method as
	// its name and is renamed at the end; samplers see the attributes the conventions want at
	// creation time (method, scheme, path, server address).
	ctx, span := t.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(append(attrs, serverAttributes(r)...)...))
	r = r.WithContext(ctx)

	finished := false
	defer func() {
		if !finished { // next panicked; net/http or an outer handler recovers, the span ends here
			nameByRoute(span, method, r)
			span.SetAttributes(semconv.ErrorTypeKey.String("panic"))
			span.SetStatus(codes.Error, "handler panicked")
			span.End()
		}
	}()
	code := httpsnoop.CaptureMetricsFn(w, func(w http.ResponseWriter) { next.ServeHTTP(w, r) }).Code
	finished = true

	nameByRoute(span, method, r)
	span.SetAttributes(semconv.HTTPResponseStatusCode(code))
	// Server spans are errors on 5xx only: a 4xx is the client's mistake (semantic conventions,
	// HTTP spans, Status).
	if code >= 500 || code < 100 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// nameByRoute names the span "{method} {route}" and sets http.route when the route template is
// known. Without one the name stays "{method}": the conventions forbid the raw path, and
// http.route must then be absent rather than a placeholder.
func nameByRoute(span trace.Span, method string, r *http.Request) {
	if route, ok := routeTemplate(r); ok {
		span.SetName(method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
}

// serverAttributes are the request attributes of a server span.
func serverAttributes(r *http.Request) []attribute.KeyValue {
	scheme := requestScheme(r)
	attrs := []attribute.KeyValue{semconv.URLPath(r.URL.Path), semconv.URLScheme(scheme)}
	if host, port := hostPort(requestHost(r), scheme); host != "" {
		attrs = append(attrs, semconv.ServerAddress(host))
		if port > 0 {
			attrs = append(attrs, semconv.ServerPort(port))
		}
	}
	if r.URL.RawQuery != "" {
		attrs = append(attrs, semconv.URLQuery(redactQuery(r.URL.RawQuery)))
	}
	if v := protocolVersion(r.ProtoMajor, r.ProtoMinor); v != "" {
		attrs = append(attrs, semconv.NetworkProtocolVersion(v))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	return attrs
}

// requestScheme is the scheme of the original client request: behind the ingress the
// connection is plain HTTP, so the proxy's headers come first (semantic conventions, url.scheme).
func requestScheme(r *http.Request) string {
	if p := forwardedParam(r.Header.Get("Forwarded"), "proto"); p != "" {
		return strings.ToLower(p)
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p != "" {
		return strings.ToLower(p)
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// requestHost is the host the client asked for: Forwarded host, X-Forwarded-Host, then Host
// (which net/http fills from :authority on HTTP/2) - the order of the semantic conventions.
func requestHost(r *http.Request) string {
	if h := forwardedParam(r.Header.Get("Forwarded"), "host"); h != "" {
		return h
	}
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
		return h
	}
	return r.Host
}

// forwardedParam returns a parameter of the first element of an RFC 7239 Forwarded header.
func forwardedParam(header, name string) string {
	first, _, _ := strings.Cut(header, ",")
	for pair := range strings.SplitSeq(first, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(k, name) {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func firstValue(header string) string {
	first, _, _ := strings.Cut(header, ",")
	return strings.TrimSpace(first)
}

// hostPort splits a Host-style value; without a port it is the scheme's default.
func hostPort(hostport, scheme string) (string, int) {
	host, portText, err := net.SplitHostPort(hostport)
	if err != nil { // no port
		host = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
		switch scheme {
		case "https":
			return host, 443
		case "http":
			return host, 80
		}
		return host, 0
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return host, 0
	}
	return host, port
}

// redactQuery keeps the keys of a query and replaces every value with REDACTED. The
// conventions ask for at least the signature keys of S3, Azure and GCS; query values of
// NovaCron's APIs can carry tokens too, and traces are readable by everyone with Grafana access.
func redactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

func protocolVersion(major, minor int) string {
	switch {
	case major == 1:
		return "1." + strconv.Itoa(minor)
	case major >= 2:
		return strconv.Itoa(major)
	}
	return ""
}

// exemplarLabels is the exemplar of the HTTP metrics: the trace id of the server span, only
// when the span is sampled here. An unsampled trace is never exported, so its id would surely be
// a dead link; a sampled one may still be dropped by the collector's tail sampling, which keeps
// every error and slow trace but only a share of the rest.
func exemplarLabels(ctx context.Context) prometheus.Labels {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() || !sc.IsSampled() {
		return nil
	}
	return prometheus.Labels{ExemplarTraceID: sc.TraceID().String()}
}
