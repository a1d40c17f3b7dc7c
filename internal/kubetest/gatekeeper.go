package kubetest

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// GatekeeperCRDs are the CRDs of the gatekeeper chart 3.23.1 that NovaCron's objects use
// (ConstraintTemplate, Config): the chart installs charts/gatekeeper/crds, which the module
// github.com/open-policy-agent/gatekeeper/v3 carries at the release tag.
var GatekeeperCRDs = CRDSource{
	Module:  "github.com/open-policy-agent/gatekeeper/v3",
	Version: "v3.23.1",
	Dir:     "charts/gatekeeper/crds",
	Groups:  []string{"templates.gatekeeper.sh", "config.gatekeeper.sh"},
}

// Gatekeeper's constants for the CRDs it generates (frameworks/constraint, pkg/apis/constraints
// and pkg/client/crds at the version Gatekeeper v3.23.1 requires).
const (
	constraintGroup       = "constraints.gatekeeper.sh"
	constraintTemplateAPI = "templates.gatekeeper.sh/"
	// matchSchemaFile holds, as a Go string constant, the CRD whose embeddedMatch property is
	// the schema of every Constraint's spec.match (pkg/target/match_schema.go reads it).
	matchSchemaFile  = "pkg/target/matchcrd_constant.go"
	matchSchemaConst = "matchYAML"
)

// isConstraintTemplate reports whether obj is a Gatekeeper ConstraintTemplate.
func isConstraintTemplate(obj Object) bool {
	return obj.Kind() == "ConstraintTemplate" && strings.HasPrefix(obj.APIVersion(), constraintTemplateAPI)
}

// ConstraintCRD returns the CRD Gatekeeper creates for a ConstraintTemplate, built the way
// frameworks/constraint's crds.CreateSchema and crds.CreateCRD build it: group
// constraints.gatekeeper.sh, cluster-scoped, served as v1beta1 (stored) and v1alpha1, kind from
// the template, spec.parameters from the template's schema, spec.match from Gatekeeper's own
// match schema (read from the module of GatekeeperCRDs), spec.enforcementAction defaulting to
// deny, and a free-form status.
func ConstraintCRD(ctx context.Context, template Object) (Object, error) {
	spec, _ := template["spec"].(map[string]any)
	crdSpec, _ := at(spec, "crd", "spec").(map[string]any)
	names, _ := crdSpec["names"].(map[string]any)
	kind, _ := names["kind"].(string)
	if kind == "" {
		return nil, fmt.Errorf("kubetest: ConstraintTemplate %s names no kind (spec.crd.spec.names.kind)", template.Name())
	}
	match, err := gatekeeperMatchSchema(ctx)
	if err != nil {
		return nil, err
	}
	props := map[string]any{
		"match":             match,
		"enforcementAction": map[string]any{"type": "string", "default": "deny"},
		"scopedEnforcementActions": map[string]any{"type": "array", "items": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"action": map[string]any{"type": "string"},
				"enforcementPoints": map[string]any{"type": "array", "items": map[string]any{
					"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}},
				}},
			},
		}},
	}
	if params, ok := at(crdSpec, "validation", "openAPIV3Schema").(map[string]any); ok {
		props["parameters"] = params
	}
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"metadata": map[string]any{"type": "object", "properties": map[string]any{
				"name": map[string]any{"type": "string", "maxLength": 63},
			}},
			"spec":   map[string]any{"type": "object", "properties": props},
			"status": map[string]any{"x-kubernetes-preserve-unknown-fields": true},
		},
	}
	version := func(name string, storage bool) map[string]any {
		return map[string]any{
			"name": name, "served": true, "storage": storage,
			"schema":       map[string]any{"openAPIV3Schema": schema},
			"subresources": map[string]any{"status": map[string]any{}},
			"additionalPrinterColumns": []any{
				map[string]any{"name": "enforcement-action", "type": "string", "jsonPath": ".spec.enforcementAction", "description": "Type of enforcement action"},
				map[string]any{"name": "total-violations", "type": "integer", "jsonPath": ".status.totalViolations", "description": "Total number of violations"},
			},
		}
	}
	plural := strings.ToLower(kind)
	shortNames, _ := names["shortNames"].([]any)
	crdNames := map[string]any{
		"kind": kind, "listKind": kind + "List", "plural": plural, "singular": plural,
		"categories": []any{"constraint", "constraints"},
	}
	if len(shortNames) > 0 {
		crdNames["shortNames"] = shortNames
	}
	labels := map[string]any{"gatekeeper.sh/constraint": "yes"}
	if md, ok := template["metadata"].(map[string]any); ok {
		if l, ok := md["labels"].(map[string]any); ok {
			for k, v := range l {
				labels[k] = v
			}
		}
	}
	return Object{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": plural + "." + constraintGroup, "labels": labels},
		"spec": map[string]any{
			"group":    constraintGroup,
			"scope":    "Cluster",
			"names":    crdNames,
			"versions": []any{version("v1beta1", true), version("v1alpha1", false)},
		},
	}, nil
}

// gatekeeperMatchSchema reads the schema of a Constraint's spec.match from the pinned
// Gatekeeper module.
func gatekeeperMatchSchema(ctx context.Context) (map[string]any, error) {
	dir, err := moduleDir(ctx, GatekeeperCRDs.Module, GatekeeperCRDs.Version)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(filepath.Join(dir, matchSchemaFile))
	if err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	text, err := stringConstant(src, matchSchemaConst)
	if err != nil {
		return nil, fmt.Errorf("kubetest: %s@%s/%s: %w", GatekeeperCRDs.Module, GatekeeperCRDs.Version, matchSchemaFile, err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal([]byte(text), &crd); err != nil {
		return nil, fmt.Errorf("kubetest: %s: %w", matchSchemaFile, err)
	}
	versions, _ := at(crd, "spec", "versions").([]any)
	if len(versions) != 1 {
		return nil, fmt.Errorf("kubetest: %s: want one version, got %d", matchSchemaFile, len(versions))
	}
	v0, _ := versions[0].(map[string]any)
	match, ok := at(v0, "schema", "openAPIV3Schema", "properties", "embeddedMatch").(map[string]any)
	if !ok || at(match, "properties", "kinds") == nil {
		return nil, fmt.Errorf("kubetest: %s: no embeddedMatch schema with kinds", matchSchemaFile)
	}
	return match, nil
}

// stringConstant evaluates a Go source file's string constant, which may be a concatenation
// of literals (a raw string cannot hold a backquote, so the generator splices them in).
func stringConstant(src []byte, name string) (string, error) {
	file, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		return "", err
	}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if id.Name == name && i < len(vs.Values) {
					return concatLiterals(vs.Values[i])
				}
			}
		}
	}
	return "", fmt.Errorf("no constant %s", name)
}

func concatLiterals(e ast.Expr) (string, error) {
	switch n := e.(type) {
	case *ast.BasicLit:
		if n.Kind == token.STRING {
			return strconv.Unquote(n.Value)
		}
	case *ast.ParenExpr:
		return concatLiterals(n.X)
	case *ast.BinaryExpr:
		if n.Op == token.ADD {
			l, err := concatLiterals(n.X)
			if err != nil {
				return "", err
			}
			r, err := concatLiterals(n.Y)
			return l + r, err
		}
	}
	return "", fmt.Errorf("not a concatenation of string literals")
}

// at walks nested maps by key; nil when a step is missing.
func at(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
