package monitoring

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/novacron/platform/internal/mock"
	// v0.93.1 is the Prometheus Operator that kube-prometheus-stack 88.5.3 ships (its
	// Chart.yaml appVersion), so these types are the CRDs the chart installs.
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// strictDecoder decodes objects the way the API server's strict field validation does:
// unknown and duplicate fields are errors, and field names are case-sensitive.
func strictDecoder(t *testing.T) (runtime.Decoder, *runtime.Scheme) {
	t.Helper()
	scheme := runtime.NewScheme()
	require.NoError(t, monitoringv1.AddToScheme(scheme))
	return serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, scheme, scheme,
		serializerjson.SerializerOptions{Strict: true}), scheme
}

// The CRDs' patterns for the operator's duration types (kubebuilder markers on Duration,
// NonEmptyDuration and GoDuration in pkg/apis/monitoring/v1/types.go): the API server refuses a
// value that does not match, which a Go decode does not check.
var (
	crdDuration   = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)
	crdGoDuration = regexp.MustCompile(`^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)
)

// durationProblems walks a typed object and reports every duration field whose value the CRD's
// pattern refuses.
func durationProblems(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return durationProblems(v.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() {
				out = append(out, durationProblems(v.Field(i), path+"."+f.Name)...)
			}
		}
		return out
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, durationProblems(v.Index(i), path+"["+strconv.Itoa(i)+"]")...)
		}
		return out
	case reflect.String:
		s := v.String()
		switch v.Type() {
		case reflect.TypeFor[monitoringv1.Duration]():
			if !crdDuration.MatchString(s) {
				return []string{path + " " + s}
			}
		case reflect.TypeFor[monitoringv1.NonEmptyDuration]():
			if s == "" || !crdDuration.MatchString(s) {
				return []string{path + " " + s}
			}
		case reflect.TypeFor[monitoringv1.GoDuration]():
			if !crdGoDuration.MatchString(s) {
				return []string{path + " " + s}
			}
		}
	}
	return nil
}

// decodeStrict decodes one registered custom resource into its upstream type and returns it.
func decodeStrict(dec runtime.Decoder, doc []byte) (runtime.Object, error) {
	obj, _, err := dec.Decode(doc, nil, nil)
	return obj, err
}

// customResources are the registered Kubernetes objects that are neither built-in kinds nor Helm
// releases: the custom resources the component creates.
func customResources(eng *mock.Engine) []*mock.Resource {
	var out []*mock.Resource
	for _, r := range eng.Resources() {
		rest, ok := strings.CutPrefix(r.Type, "kubernetes:")
		if !ok || strings.HasPrefix(rest, "core/") || strings.HasPrefix(rest, "helm.sh/") || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		out = append(out, r)
	}
	return out
}

func TestCustomResourcesDecodeStrictlyIntoTheOperatorTypes(t *testing.T) {
	dec, _ := strictDecoder(t)
	for name, mutate := range map[string]func(*StackArgs){
		"production":                        func(*StackArgs) {},
		"every namespace, no control plane": func(a *StackArgs) { a.APINamespaces, a.DisableControlPlaneMetrics = nil, true },
	} {
		t.Run(name, func(t *testing.T) {
			args := productionArgs(plain)
			mutate(args)
			run, err := runStack(t, args)
			require.NoError(t, err)

			kinds := map[string]int{}
			for _, r := range customResources(run.eng) {
				doc, err := json.Marshal(resource.NewObjectProperty(r.Inputs).Mappable())
				require.NoError(t, err)
				obj, err := decodeStrict(dec, doc)
				require.NoError(t, err, "%s %s does not decode strictly into its monitoring.coreos.com type", r.Type, r.Name)
				assert.Empty(t, durationProblems(reflect.ValueOf(obj), r.Name), "durations the CRD refuses")
				kinds[obj.GetObjectKind().GroupVersionKind().Kind]++

				switch o := obj.(type) {
				case *monitoringv1.PrometheusRule:
					assert.Len(t, o.Spec.Groups, len(PrometheusRuleGroups(defaultRuleSettings())))
					for _, g := range o.Spec.Groups {
						for _, rule := range g.Rules {
							assert.NotEmpty(t, rule.Expr.String(), "%s/%s%s", g.Name, rule.Alert, rule.Record)
						}
					}
				case *monitoringv1.ServiceMonitor:
					require.Len(t, o.Spec.Endpoints, 1)
					assert.Equal(t, "http", o.Spec.Endpoints[0].Port)
					assert.Equal(t, monitoringv1.Duration("30s"), o.Spec.Endpoints[0].Interval)
				}
			}
			assert.Equal(t, map[string]int{"PrometheusRule": 1, "ServiceMonitor": 1}, kinds,
				"every custom resource of the component is decoded, and only the ones expected")
		})
	}
}

// The decoder is the strict one: these are the mistakes it exists to catch.
func TestStrictDecodingRefusesWhatTheAPIServerWould(t *testing.T) {
	dec, _ := strictDecoder(t)
	monitor := func(spec string) []byte {
		return []byte(`{"apiVersion":"monitoring.coreos.com/v1","kind":"ServiceMonitor",` +
			`"metadata":{"name":"x","namespace":"monitoring"},"spec":` + spec + `}`)
	}
	tests := []struct {
		name      string
		doc       []byte
		decodeErr string
		duration  bool
	}{
		{"valid", monitor(`{"selector":{},"endpoints":[{"port":"http","interval":"30s"}]}`), "", false},
		{"misspelt field", monitor(`{"selector":{},"endpoints":[{"port":"http","intervall":"30s"}]}`), `unknown field "spec.endpoints[0].intervall"`, false},
		{"field in the wrong case", monitor(`{"selector":{},"JobLabel":"app","endpoints":[]}`), `unknown field "spec.JobLabel"`, false},
		{"field at the wrong level", monitor(`{"selector":{},"endpoints":[],"interval":"30s"}`), `unknown field "spec.interval"`, false},
		{"duplicate field", monitor(`{"selector":{},"jobLabel":"a","jobLabel":"b","endpoints":[]}`), `duplicate field "spec.jobLabel"`, false},
		{"unknown kind", []byte(`{"apiVersion":"monitoring.coreos.com/v1","kind":"ServiceMonitors","metadata":{"name":"x"}}`), "no kind", false},
		{"duration the CRD refuses", monitor(`{"selector":{},"endpoints":[{"port":"http","interval":"30 s"}]}`), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := decodeStrict(dec, tt.doc)
			if tt.decodeErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.decodeErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.duration, len(durationProblems(reflect.ValueOf(obj), "obj")) > 0)
		})
	}
}
