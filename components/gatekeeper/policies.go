package gatekeeper

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

// regoFiles are the templates' Rego sources, one file and one package per template. They use
// Rego v1 syntax: Gatekeeper 3.19 and later accept it under
// targets[].code[].source with version "v1" (Gatekeeper docs, constrainttemplates.md, "Enable
// OPA Rego v1 syntax in ConstraintTemplates"), and the OPA Go module the tests evaluate them
// with parses v1 by default.
//
//go:embed rego/*.rego
var regoFiles embed.FS

// Gatekeeper's constants (open-policy-agent/gatekeeper v3.23.1 and frameworks/constraint):
// the admission target every template names, and the group and version its Constraints are
// served under.
const (
	admissionTarget   = "admission.k8s.gatekeeper.sh"
	templateAPI       = "templates.gatekeeper.sh/v1"
	constraintGroup   = "constraints.gatekeeper.sh"
	constraintAPI     = constraintGroup + "/v1beta1"
	enforcementDeny   = "deny"
	suffixApplication = "applications"
	suffixPlatform    = "platform"
)

// Policy is one ConstraintTemplate: its Constraint kind, its Rego and the parameters the
// Constraints pass it.
type Policy struct {
	// Kind is the Constraint kind the template creates; the template's name is its lower case.
	Kind string
	// Description says what the policy refuses.
	Description string
	// File is the Rego source under rego/.
	File string
	// Matches are the API groups and kinds the Constraints select.
	Matches []Match
	// Schema is the OpenAPI v3 schema of the parameters (nil: none).
	Schema map[string]any
	// Parameters are the values the Constraints pass (nil: none).
	Parameters map[string]any
}

// Match is one entry of a Constraint's spec.match.kinds.
type Match struct {
	APIGroups, Kinds []string
}

var pods = []Match{{APIGroups: []string{""}, Kinds: []string{"Pod"}}}

func stringList() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Policies returns the platform's admission policies for the (defaulted) arguments, in a
// stable order.
func (a *GatekeeperArgs) policies() []Policy {
	registries := make([]string, len(a.ImageRegistries))
	for i, r := range a.ImageRegistries {
		registries[i] = strings.TrimSuffix(r, "/")
	}
	return []Policy{
		{
			Kind:        "NovaCronNoPrivileged",
			Description: "No privileged containers and no host PID, IPC or network namespace.",
			File:        "noprivileged.rego",
			Matches:     pods,
		},
		{
			Kind:        "NovaCronAllowedImages",
			Description: "Images only from the stack's registries, pinned by digest.",
			File:        "allowedimages.rego",
			Matches:     pods,
			Schema: map[string]any{"type": "object", "properties": map[string]any{
				"registries":    stringList(),
				"requireDigest": map[string]any{"type": "boolean"},
			}},
			Parameters: map[string]any{"registries": toAny(registries), "requireDigest": !a.AllowImagesWithoutDigest},
		},
		{
			Kind:        "NovaCronNoLatestImage",
			Description: "No :latest tag and no untagged image.",
			File:        "nolatest.rego",
			Matches:     pods,
		},
		{
			Kind:        "NovaCronRequiredResources",
			Description: "Every container declares its resource requests and limits.",
			File:        "requiredresources.rego",
			Matches:     pods,
			Schema: map[string]any{"type": "object", "properties": map[string]any{
				"requests": stringList(), "limits": stringList(),
			}},
			Parameters: map[string]any{"requests": toAny(a.RequiredRequests), "limits": toAny(a.RequiredLimits)},
		},
		{
			Kind:        "NovaCronRequiredLabels",
			Description: "Pods carry the required labels.",
			File:        "requiredlabels.rego",
			Matches:     pods,
			Schema:      map[string]any{"type": "object", "properties": map[string]any{"labels": stringList()}},
			Parameters:  map[string]any{"labels": toAny(a.RequiredLabels)},
		},
		{
			Kind:        "NovaCronNoHostPath",
			Description: "No hostPath volumes.",
			File:        "nohostpath.rego",
			Matches:     pods,
		},
		{
			Kind:        "NovaCronLoadBalancer",
			Description: "LoadBalancer Services only through the AWS Load Balancer Controller.",
			File:        "loadbalancer.rego",
			Matches:     []Match{{APIGroups: []string{""}, Kinds: []string{"Service"}}},
			Schema: map[string]any{"type": "object", "properties": map[string]any{
				"loadBalancerClass":    map[string]any{"type": "string"},
				"typeAnnotationValues": stringList(),
			}},
			Parameters: map[string]any{
				"loadBalancerClass":    a.LoadBalancerClass,
				"typeAnnotationValues": toAny(DefaultLoadBalancerTypeAnnotationValues),
			},
		},
		{
			Kind:        "NovaCronGPUPool",
			Description: "The GPU pool only for pods that tolerate its taint and request a GPU.",
			File:        "gpupool.rego",
			Matches:     pods,
			Schema: map[string]any{"type": "object", "properties": map[string]any{
				"nodeLabelKey": map[string]any{"type": "string"}, "nodeLabelValue": map[string]any{"type": "string"},
				"taintKey": map[string]any{"type": "string"}, "taintValue": map[string]any{"type": "string"},
				"taintEffect": map[string]any{"type": "string"}, "gpuResource": map[string]any{"type": "string"},
			}},
			Parameters: map[string]any{
				"nodeLabelKey": a.GPUNodeLabelKey, "nodeLabelValue": a.GPUNodeLabelValue,
				"taintKey": a.GPUTaintKey, "taintValue": a.GPUTaintValue, "taintEffect": a.GPUTaintEffect,
				"gpuResource": a.GPUResource,
			},
		},
	}
}

// Rego returns the Rego source of a policy.
func (p Policy) Rego() (string, error) {
	src, err := regoFiles.ReadFile("rego/" + p.File)
	if err != nil {
		return "", fmt.Errorf("policy %s: %w", p.Kind, err)
	}
	return string(src), nil
}

// TemplateName is the ConstraintTemplate's name: Gatekeeper requires the lower-cased kind.
func (p Policy) TemplateName() string { return strings.ToLower(p.Kind) }

// Template renders the ConstraintTemplate's spec.
func (p Policy) Template() (map[string]any, error) {
	rego, err := p.Rego()
	if err != nil {
		return nil, err
	}
	crdSpec := map[string]any{"names": map[string]any{"kind": p.Kind}}
	if p.Schema != nil {
		crdSpec["validation"] = map[string]any{"openAPIV3Schema": p.Schema}
	}
	return map[string]any{
		"crd": map[string]any{"spec": crdSpec},
		"targets": []any{map[string]any{
			"target": admissionTarget,
			"code": []any{map[string]any{
				"engine": "Rego",
				"source": map[string]any{"version": "v1", "rego": rego},
			}},
		}},
	}, nil
}

// ConstraintName names a policy's Constraint for one scope ("applications" or "platform").
func (p Policy) ConstraintName(scope string) string {
	return p.TemplateName() + "-" + scope
}

// ConstraintSpec renders the spec of a policy's Constraint over namespaces.
func (p Policy) ConstraintSpec(action string, namespaces []string) map[string]any {
	kinds := make([]any, len(p.Matches))
	for i, m := range p.Matches {
		kinds[i] = map[string]any{"apiGroups": toAny(m.APIGroups), "kinds": toAny(m.Kinds)}
	}
	spec := map[string]any{
		"enforcementAction": action,
		"match":             map[string]any{"kinds": kinds, "namespaces": toAny(slices.Sorted(slices.Values(namespaces)))},
	}
	if p.Parameters != nil {
		spec["parameters"] = p.Parameters
	}
	return spec
}
