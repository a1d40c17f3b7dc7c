package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Transport returns base traced for calls to other services: each request gets a client span,
// child of the span in the request's context, and carries that span's W3C trace context
// (traceparent, tracestate) and the context's baggage to the server. A nil base is
// http.DefaultTransport.
//
// The span covers one attempt (a redirect or a retry made by http.Client is a new span) and ends
// when the response headers have arrived, not when the body has been read.
func (m *Metrics) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, tracing: m.tracing}
}

type transport struct {
	base    http.RoundTripper
	tracing tracing
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	method, attrs := t.tracing.methodAttributes(r.Method)
	ctx, span := t.tracing.tracer.Start(r.Context(), method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(attrs, clientAttributes(r)...)...))
	defer span.End()

	// A RoundTripper must not change the caller's request; the copy carries the headers.
	out := r.Clone(ctx)
	if out.Header == nil {
		out.Header = http.Header{}
	}
	t.tracing.propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))

	resp, err := t.base.RoundTrip(out)
	if err != nil {
		// A url.Error repeats the URL, query values included; the span keeps the cause only.
		cause := err
		if ue := (*url.Error)(nil); errors.As(err, &ue) && ue.Err != nil {
			cause = ue.Err
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(transportErrorType(cause)))
		span.SetStatus(codes.Error, cause.Error())
		return resp, err
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
	if v := protocolVersion(resp.ProtoMajor, resp.ProtoMinor); v != "" {
		span.SetAttributes(semconv.NetworkProtocolVersion(v))
	}
	// Client spans are errors on 4xx as well (semantic conventions, HTTP spans, Status).
	if resp.StatusCode >= 400 || resp.StatusCode < 100 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(resp.StatusCode)))
		span.SetStatus(codes.Error, "")
	}
	return resp, nil
}

// clientAttributes are the request attributes of a client span.
func clientAttributes(r *http.Request) []attribute.KeyValue {
	hostport := r.Host // the Host header, when the caller overrides it
	if hostport == "" {
		hostport = r.URL.Host
	}
	host, port := hostPort(hostport, r.URL.Scheme)
	attrs := []attribute.KeyValue{semconv.ServerAddress(host), semconv.URLFull(redactURL(r.URL))}
	if port > 0 {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	return attrs
}

// redactURL is u without credentials and query values (semantic conventions, url.full).
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.UserPassword("REDACTED", "REDACTED")
	}
	if c.RawQuery != "" {
		c.RawQuery = redactQuery(c.RawQuery)
	}
	return c.String()
}

// transportErrorType is a low-cardinality error.type for a request that got no response.
func transportErrorType(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return semconv.ErrorType(err).Value.AsString()
}
