package pricing

import (
	"math"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/novacron/platform/internal/mock"
)

// lookup returns the value at a dotted path ("scalingConfig.desiredSize",
// "blockDeviceMappings.0.ebs.volumeSize"), looking through secrets and known outputs. The cost
// model reads sizes and classes only; nothing read here is ever printed as a value.
func lookup(pm resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	v := resource.NewObjectProperty(pm)
	for _, part := range strings.Split(path, ".") {
		var ok bool
		if v, ok = mock.Child(plain(v), part); !ok {
			return resource.PropertyValue{}, false
		}
	}
	v = plain(v)
	if v.IsNull() || v.IsComputed() {
		return resource.PropertyValue{}, false
	}
	return v, true
}

// plain looks through secret wrappers and known output values.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

func str(pm resource.PropertyMap, path string) string {
	v, ok := lookup(pm, path)
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// num reads a number; numbers given as strings (the AWS provider takes some sizes as strings)
// count too.
func num(pm resource.PropertyMap, path string) (float64, bool) {
	v, ok := lookup(pm, path)
	if !ok {
		return 0, false
	}
	switch {
	case v.IsNumber():
		f := v.NumberValue()
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	case v.IsString():
		f, err := strconv.ParseFloat(strings.TrimSpace(v.StringValue()), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

func boolean(pm resource.PropertyMap, path string) bool {
	v, ok := lookup(pm, path)
	if !ok {
		return false
	}
	switch {
	case v.IsBool():
		return v.BoolValue()
	case v.IsString():
		b, _ := strconv.ParseBool(v.StringValue())
		return b
	}
	return false
}

func strs(pm resource.PropertyMap, path string) []string {
	v, ok := lookup(pm, path)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = plain(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// gibibytes parses a Kubernetes quantity ("500Gi", "1Ti", "512Mi", "100G") into GiB, the unit
// EBS provisions and bills (AWS prices per "GB-month" of provisioned GiB).
func gibibytes(q string) (float64, bool) {
	q = strings.TrimSpace(q)
	units := []struct {
		suffix string
		factor float64
	}{
		{"Ki", 1.0 / (1024 * 1024)}, {"Mi", 1.0 / 1024}, {"Gi", 1}, {"Ti", 1024},
		{"k", 1e3 / (1 << 30)}, {"M", 1e6 / (1 << 30)}, {"G", 1e9 / (1 << 30)}, {"T", 1e12 / (1 << 30)},
	}
	for _, u := range units {
		if n, ok := strings.CutSuffix(q, u.suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil || !(f >= 0) || math.IsInf(f*u.factor, 0) {
				return 0, false // NaN, Inf and 1e400 are no sizes
			}
			return f * u.factor, true
		}
	}
	return 0, false
}
