// Package helmvalues turns Helm values written as plain Go maps into Pulumi inputs, so that a
// component can build its values as an ordinary document (easy to golden-test) and still place
// outputs (a role ARN, a service URL) inside it.
package helmvalues

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// ToInput converts maps, slices and scalars recursively; pulumi inputs found inside are kept as
// they are, and any other value is passed through as pulumi.Any.
func ToInput(v any) pulumi.Input {
	switch t := v.(type) {
	case pulumi.Input:
		return t
	case map[string]any:
		m := pulumi.Map{}
		for k, e := range t {
			m[k] = ToInput(e)
		}
		return m
	case []any:
		arr := make(pulumi.Array, len(t))
		for i, e := range t {
			arr[i] = ToInput(e)
		}
		return arr
	case string:
		return pulumi.String(t)
	case bool:
		return pulumi.Bool(t)
	case int:
		return pulumi.Int(t)
	case float64:
		return pulumi.Float64(t)
	}
	return pulumi.Any(v)
}
