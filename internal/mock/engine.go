package mock

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AccountID and Region are what the engine answers for the caller identity and region lookups.
const (
	AccountID = "123456789012"
	Region    = "us-east-1"
)

// Resource is one registration as the engine saw it: the same view the policy pack and the
// preflight tool get.
type Resource struct {
	Type   string
	Name   string
	URN    string
	Custom bool
	// Inputs are the properties the program registered, secrets still wrapped as secrets.
	Inputs resource.PropertyMap
	// Parent is the URN of the parent resource ("" for children of the stack).
	Parent string
	// Dependencies are the URNs this resource waits for: explicit DependsOn and the resources
	// whose outputs flow into its inputs.
	Dependencies []string
	// PropertyDependencies are, per input, the URNs whose outputs flow into it.
	PropertyDependencies map[string][]string
	// ExplicitDependencies are the dependencies no input accounts for: pulumi.DependsOn edges
	// (a DependsOn on a resource an input also references is indistinguishable and not listed).
	ExplicitDependencies []string
	Provider             string
	Protect              bool
	IgnoreChanges        []string
	RetainOnDelete       bool
	DeleteBeforeReplace  bool
	// Remote is true for multi-language components (pulumi-eks Cluster): the engine builds their
	// children out of process, so nothing below them is visible here.
	Remote bool
}

// Input returns the input at a dotted path ("scalingConfig.minSize", "tags.Name"), unwrapping
// secrets, and whether it was present. Keys that contain dots themselves
// ("tags.kubernetes.io/role/elb") are matched too: the longest key that exists wins.
func (r *Resource) Input(path string) (resource.PropertyValue, bool) {
	v := resource.NewObjectProperty(r.Inputs)
	parts := strings.Split(path, ".")
	for len(parts) > 0 {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.PropertyValue{}, false
		}
		obj := v.ObjectValue()
		found := false
		for n := len(parts); n > 0; n-- {
			if next, ok := obj[resource.PropertyKey(strings.Join(parts[:n], "."))]; ok {
				v, parts, found = next, parts[n:], true
				break
			}
		}
		if !found {
			return resource.PropertyValue{}, false
		}
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v, true
}

// ProviderURN returns the URN of the provider that manages the resource, or "" for the default
// provider. The registration names it as "<urn>::<id>".
func (r *Resource) ProviderURN() string {
	if i := strings.LastIndex(r.Provider, "::"); i > 0 {
		return r.Provider[:i]
	}
	return r.Provider
}

// OutputsFunc lets a test or tool add to the outputs the engine returns for a registration.
type OutputsFunc func(args pulumi.MockResourceArgs, outputs resource.PropertyMap)

// Engine is a pulumi.MockResourceMonitor that records every registration and answers with
// plausible outputs, so the program runs to completion without a cloud.
type Engine struct {
	mu        sync.Mutex
	project   string
	stack     string
	resources []*Resource
	byURN     map[string]*Resource
	extra     OutputsFunc
}

// NewEngine returns an engine for one project and stack. extra may be nil.
func NewEngine(project, stack string, extra OutputsFunc) *Engine {
	return &Engine{project: project, stack: stack, byURN: map[string]*Resource{}, extra: extra}
}

// NewResource implements pulumi.MockResourceMonitor.
func (e *Engine) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rec := &Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Provider = rpc.GetProvider()
		rec.Protect = rpc.GetProtect()
		rec.IgnoreChanges = rpc.GetIgnoreChanges()
		rec.RetainOnDelete = rpc.GetRetainOnDelete()
		rec.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		rec.Remote = rpc.GetRemote()
		fromInputs := map[string]bool{}
		rec.PropertyDependencies = map[string][]string{}
		deps := slices.Clone(rpc.GetDependencies())
		for prop, pd := range rpc.GetPropertyDependencies() {
			urns := slices.Clone(pd.GetUrns())
			sort.Strings(urns)
			rec.PropertyDependencies[prop] = urns
			for _, u := range urns {
				fromInputs[u] = true
			}
			deps = append(deps, urns...)
		}
		sort.Strings(deps)
		rec.Dependencies = slices.Compact(deps)
		for _, d := range rec.Dependencies {
			if !fromInputs[d] {
				rec.ExplicitDependencies = append(rec.ExplicitDependencies, d)
			}
		}
	}
	rec.URN = e.urn(rec.Parent, rec.Type, rec.Name)

	id := args.Name + "-id"
	if args.ID != "" {
		id = args.ID
	}
	outputs := defaultOutputs(args, id)
	if e.extra != nil {
		e.extra(args, outputs)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.byURN[rec.URN]; dup {
		return "", nil, fmt.Errorf("duplicate resource URN %s", rec.URN)
	}
	e.resources = append(e.resources, rec)
	e.byURN[rec.URN] = rec
	return id, outputs, nil
}

// urn mirrors the SDK's mock URN scheme so that Parent and Dependencies resolve to records.
func (e *Engine) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(e.stack), tokens.PackageName(e.project), parentType,
		tokens.Type(typ), name))
}

// Call implements pulumi.MockResourceMonitor for the data sources the program uses.
func (e *Engine) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": AccountID,
			"arn":       "arn:aws:iam::" + AccountID + ":user/preflight",
			"userId":    "AIDAPREFLIGHT",
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"partition": "aws", "dnsSuffix": "amazonaws.com",
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": Region}), nil
	case "aws:eks/getCluster:getCluster":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": name,
			"identities": []any{map[string]any{"oidcs": []any{map[string]any{
				"issuer": "https://oidc.eks." + Region + ".amazonaws.com/id/" + strings.ToUpper(name),
			}}}},
		}), nil
	}
	return nil, fmt.Errorf("mock engine: no answer for data source %s", args.Token)
}

// Resources returns every registration in the order the program made them.
func (e *Engine) Resources() []*Resource {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.resources)
}

// ByType returns the registrations of one type token, in registration order.
func (e *Engine) ByType(typ string) []*Resource {
	var out []*Resource
	for _, r := range e.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the registration with this type token and name, or nil.
func (e *Engine) Find(typ, name string) *Resource {
	for _, r := range e.Resources() {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	return nil
}

// ByURN returns the registration with this URN, or nil.
func (e *Engine) ByURN(urn string) *Resource {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.byURN[urn]
}

// Run runs program under the engine with the given stack config (full keys, "project:key")
// and the keys among them that are secret.
func (e *Engine) Run(config map[string]string, secretKeys []string, program pulumi.RunFunc) error {
	return pulumi.RunErr(program, pulumi.WithMocks(e.project, e.stack, e), func(info *pulumi.RunInfo) {
		info.Config = config
		info.ConfigSecretKeys = secretKeys
	})
}

// Child steps one level into a property value: an object's key, or a list's index written as a
// number ("blockDeviceMappings.0"). It does not look through secrets or outputs; callers decide.
func Child(v resource.PropertyValue, key string) (resource.PropertyValue, bool) {
	switch {
	case v.IsObject():
		next, ok := v.ObjectValue()[resource.PropertyKey(key)]
		return next, ok
	case v.IsArray():
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(v.ArrayValue()) {
			return resource.PropertyValue{}, false
		}
		return v.ArrayValue()[i], true
	}
	return resource.PropertyValue{}, false
}
