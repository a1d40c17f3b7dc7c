package compliance

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/novacron/platform/internal/mock"
)

// Resource is a resource as a policy sees it: type token, URN name, properties and the links the
// engine reports. Under the engine, resource policies get inputs and stack policies get outputs;
// offline both get the inputs the mock recorded (the mock echoes inputs as outputs).
type Resource struct {
	Type  string
	Name  string
	URN   string
	Props property.Map
	// Provider is the provider resource this resource uses, nil when none is known (offline, a
	// resource registered without an explicit provider).
	Provider *Provider
	Parent   string
	// Dependencies are URNs this resource depends on. Offline they include the property
	// dependencies (the mock merges them); under the engine they come with stack policies only.
	Dependencies []string
	// PropertyDependencies maps a property to the URNs its value came from (engine, stack
	// policies only).
	PropertyDependencies map[string][]string
}

// Provider is the provider resource of a Resource with its inputs.
type Provider struct {
	Type  string
	URN   string
	Name  string
	Props property.Map
}

// FromMock converts the recorded registrations of a mock engine run into the policy view,
// resolving each provider reference ("<urn>::<id>") to the recorded provider resource.
func FromMock(records []*mock.Resource) []*Resource {
	byURN := make(map[string]*mock.Resource, len(records))
	for _, r := range records {
		byURN[r.URN] = r
	}
	out := make([]*Resource, 0, len(records))
	for _, r := range records {
		res := &Resource{
			Type:         r.Type,
			Name:         r.Name,
			URN:          r.URN,
			Props:        resource.FromResourcePropertyMap(r.Inputs),
			Parent:       r.Parent,
			Dependencies: r.Dependencies,
		}
		if ref := r.Provider; ref != "" {
			urn := ref
			if i := strings.LastIndex(ref, "::"); i > 0 {
				urn = ref[:i]
			}
			if p := byURN[urn]; p != nil {
				res.Provider = &Provider{
					Type: p.Type, URN: p.URN, Name: p.Name,
					Props: resource.FromResourcePropertyMap(p.Inputs),
				}
			}
		}
		out = append(out, res)
	}
	return out
}

// fromAnalyzer converts what policyx hands to a policy.
func fromAnalyzer(r policyx.AnalyzerResource) *Resource {
	res := &Resource{
		Type:                 r.Type,
		Name:                 r.Name,
		URN:                  r.URN,
		Props:                r.Properties,
		Parent:               r.Parent,
		Dependencies:         r.Dependencies,
		PropertyDependencies: r.PropertyDependencies,
	}
	if r.Provider.Type != "" || r.Provider.URN != "" {
		res.Provider = &Provider{
			Type: r.Provider.Type, URN: r.Provider.URN, Name: r.Provider.Name,
			Props: r.Provider.Properties,
		}
	}
	return res
}

// get returns the property at a dotted path. A computed value met on the way is returned as is;
// a missing key (or a non-object on the way) gives a null value. A one-element array on the way is
// looked through, because some provider shapes nest a single block in a list.
func (r *Resource) get(path string) property.Value {
	return at(property.New(r.Props), path)
}

func at(v property.Value, path string) property.Value {
	for part := range strings.SplitSeq(path, ".") {
		if v.IsComputed() {
			return v
		}
		if v.IsArray() && v.AsArray().Len() == 1 {
			v = v.AsArray().Get(0)
		}
		if !v.IsMap() {
			return property.Value{}
		}
		v = v.AsMap().Get(part)
	}
	return v
}

// status is the outcome of reading a property.
type status uint8

const (
	absent    status = iota // not set (or null)
	unknown                 // computed: not known until the resource it comes from exists
	present                 // set, with the expected type
	wrongType               // set, with another type
)

// kind names a value's type for messages, never its content.
func kind(v property.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case v.IsComputed():
		return "unknown"
	case v.IsBool():
		return "boolean"
	case v.IsNumber():
		return "number"
	case v.IsString():
		return "string"
	case v.IsArray():
		return "list"
	case v.IsMap():
		return "object"
	default:
		return "value"
	}
}

// asBool reads a boolean. The strings "true" and "false" count too: the AWS provider takes some
// booleans as strings (launch template ebs.encrypted, RDS parameters).
func asBool(v property.Value) (bool, status) {
	switch {
	case v.IsNull():
		return false, absent
	case v.IsComputed():
		return false, unknown
	case v.IsBool():
		return v.AsBool(), present
	case v.IsString():
		switch strings.ToLower(v.AsString()) {
		case "true":
			return true, present
		case "false":
			return false, present
		}
	}
	return false, wrongType
}

func asString(v property.Value) (string, status) {
	switch {
	case v.IsNull():
		return "", absent
	case v.IsComputed():
		return "", unknown
	case v.IsString():
		if v.AsString() == "" {
			return "", absent
		}
		return v.AsString(), present
	}
	return "", wrongType
}

func asNumber(v property.Value) (float64, status) {
	switch {
	case v.IsNull():
		return 0, absent
	case v.IsComputed():
		return 0, unknown
	case v.IsNumber():
		return v.AsNumber(), present
	}
	return 0, wrongType
}

// asStrings reads a list of strings; any computed element makes the whole list unknown.
func asStrings(v property.Value) ([]string, status) {
	switch {
	case v.IsNull():
		return nil, absent
	case v.IsComputed():
		return nil, unknown
	case !v.IsArray():
		return nil, wrongType
	}
	out := make([]string, 0, v.AsArray().Len())
	for _, e := range v.AsArray().All {
		switch {
		case e.IsComputed():
			return nil, unknown
		case e.IsString():
			out = append(out, e.AsString())
		default:
			return nil, wrongType
		}
	}
	return out, present
}

// asList reads a list of values (absent when null).
func asList(v property.Value) ([]property.Value, status) {
	switch {
	case v.IsNull():
		return nil, absent
	case v.IsComputed():
		return nil, unknown
	case !v.IsArray():
		return nil, wrongType
	}
	return v.AsArray().AsSlice(), present
}
