package compliance

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/novacron/platform/internal/mock"
)

// DefaultProviderName is the name given to the default providers WithDefaultProviders adds.
const DefaultProviderName = "default"

// WithDefaultProviders returns the records with the default providers the Pulumi engine would
// add. A custom resource registered without a provider (the bootstrap program registers all of
// its resources that way) gets the package's default provider, configured from the stack's
// "<package>:" config keys; under the engine the policies then see, for example, aws:defaultTags
// on the provider. The mock engine records no default provider, so without this the offline
// evaluation would judge those resources as if the provider set nothing. Records that name a
// provider are returned unchanged; the input records are never modified.
func WithDefaultProviders(records []*mock.Resource, config map[string]string) []*mock.Resource {
	out := make([]*mock.Resource, 0, len(records))
	providers := map[string]*mock.Resource{}
	for _, r := range records {
		pkg, _, _ := strings.Cut(r.Type, ":")
		if !r.Custom || r.Provider != "" || pkg == "pulumi" || r.URN == "" {
			out = append(out, r)
			continue
		}
		p := providers[pkg]
		if p == nil {
			p = defaultProvider(r.URN, pkg, config)
			providers[pkg] = p
		}
		c := *r
		c.Provider = p.URN + "::" + DefaultProviderName + "-id"
		out = append(out, &c)
	}
	pkgs := make([]string, 0, len(providers))
	for pkg := range providers {
		pkgs = append(pkgs, pkg)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		out = append(out, providers[pkg])
	}
	return out
}

// defaultProvider builds the provider record for pkg, with the URN prefix ("urn:pulumi:<stack>::
// <project>::") of a resource of the same run. The engine hands a default provider its config
// values as text, as here.
func defaultProvider(urn, pkg string, config map[string]string) *mock.Resource {
	prefix := urn
	if parts := strings.SplitN(urn, "::", 3); len(parts) == 3 {
		prefix = parts[0] + "::" + parts[1] + "::"
	}
	typ := "pulumi:providers:" + pkg
	inputs := resource.PropertyMap{}
	for key, value := range config {
		if name, ok := strings.CutPrefix(key, pkg+":"); ok {
			inputs[resource.PropertyKey(name)] = resource.NewStringProperty(value)
		}
	}
	return &mock.Resource{
		Type: typ, Name: DefaultProviderName, URN: prefix + typ + "::" + DefaultProviderName,
		Custom: true, Inputs: inputs,
	}
}
