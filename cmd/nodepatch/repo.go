package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Keys of the project namespace the tool reads and writes.
const (
	keyKubernetesVersion = "kubernetesVersion"
	keyNodeAMIRelease    = "nodeAmiRelease"
	keyAddonVersions     = "eksAddonVersions"
)

// builtinPinsDir holds the program's own add-on pins per Kubernetes minor (var addonVersions),
// which apply to every add-on a stack does not pin in eksAddonVersions.
const builtinPinsDir = "components/cluster"

// Stack is what the tool knows of one stack in one checkout.
type Stack struct {
	Name string
	File *StackFile
	// Path is the stack file on disk.
	Path string
	// KubernetesVersion is the stack's minor: its stack file's value, else Pulumi.yaml's default.
	KubernetesVersion string
	// AMI is the stack's nodeAmiRelease, else Pulumi.yaml's default; nil when neither is set.
	AMI *AMIRelease
	// AMIDefault says AMI is Pulumi.yaml's default, the stack file does not set it.
	AMIDefault bool
	// Addons are the stack's eksAddonVersions overrides, by add-on name.
	Addons map[string]AddonVersion
	// AddonShape is how eksAddonVersions is written: Pulumi.yaml's declared type (array: a list
	// of "<add-on>=<version>", object: a map), else the stack file's own, else a map.
	AddonShape Shape
}

// project is the part of Pulumi.yaml the tool reads.
type project struct {
	Name   string               `yaml:"name"`
	Config map[string]yaml.Node `yaml:"config"`
}

// declared is a config key's declared type and string default in Pulumi.yaml.
func (p project) declared(key string) (typ, def string) {
	node, ok := p.Config[key]
	if !ok {
		return "", ""
	}
	var d struct {
		Type    string    `yaml:"type"`
		Default yaml.Node `yaml:"default"`
	}
	if node.Kind != yaml.MappingNode || node.Decode(&d) != nil {
		return "", ""
	}
	if d.Default.Kind == yaml.ScalarNode {
		def = d.Default.Value
	}
	return d.Type, def
}

// LoadStack reads Pulumi.yaml and Pulumi.<stack>.yaml from dir and checks the pins.
func LoadStack(dir, stack string) (*Stack, error) {
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	var p project
	if err := yaml.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	if p.Name == "" {
		return nil, fmt.Errorf("reading Pulumi.yaml: no project name")
	}
	name := "Pulumi." + stack + ".yaml"
	path := filepath.Join(dir, name)
	f, err := LoadStackFile(path, name, p.Name)
	if err != nil {
		return nil, err
	}
	s := &Stack{Name: stack, File: f, Path: path, Addons: map[string]AddonVersion{}}

	kv, ok, err := f.String(keyKubernetesVersion)
	if err != nil {
		return nil, err
	}
	where := name + ": " + f.key(keyKubernetesVersion)
	if !ok {
		if _, declared := p.Config[keyKubernetesVersion]; !declared {
			return nil, fmt.Errorf("reading Pulumi.yaml: config key %s is not declared", keyKubernetesVersion)
		}
		if _, kv = p.declared(keyKubernetesVersion); kv == "" {
			return nil, fmt.Errorf("reading Pulumi.yaml: config key %s has no string default", keyKubernetesVersion)
		}
		where = "Pulumi.yaml: " + keyKubernetesVersion + " default"
	}
	if !kubernetesMinorPattern.MatchString(kv) {
		return nil, fmt.Errorf("%s: %q is not a Kubernetes minor version such as 1.35", where, kv)
	}
	s.KubernetesVersion = kv

	raw, ok, err := f.String(keyNodeAMIRelease)
	if err != nil {
		return nil, err
	}
	where = name + ": " + f.key(keyNodeAMIRelease)
	if !ok {
		if _, raw = p.declared(keyNodeAMIRelease); raw != "" {
			ok, s.AMIDefault = true, true
			where = "Pulumi.yaml: " + keyNodeAMIRelease + " default"
		}
	}
	if ok {
		r, err := ParseAMIRelease(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if r.Minor != kv {
			return nil, fmt.Errorf("%s %s is a Kubernetes %s release, but the stack runs kubernetesVersion %s", where, raw, r.Minor, kv)
		}
		s.AMI = &r
	}

	// The program's built-in table (components/cluster) is eksAddonVersions' default; a default
	// in Pulumi.yaml is not read.
	pins, shape, present, err := f.Pins(keyAddonVersions)
	if err != nil {
		return nil, err
	}
	typ, _ := p.declared(keyAddonVersions)
	switch {
	case typ == "array":
		s.AddonShape = ShapeList
	case typ == "object":
		s.AddonShape = ShapeMap
	case present:
		s.AddonShape = shape
	}
	if present && shape != s.AddonShape {
		return nil, fmt.Errorf("%s: %s must be %s, as Pulumi.yaml declares it", name, f.key(keyAddonVersions), s.AddonShape)
	}
	for _, addon := range sortedKeys(pins) {
		at := name + ": " + f.key(keyAddonVersions) + "." + addon
		if !slices.Contains(addonNames, addon) {
			return nil, fmt.Errorf("%s: unknown add-on; expected one of %s", at, strings.Join(addonNames, ", "))
		}
		v, err := ParseAddonVersion(pins[addon])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		if err := checkAddonForMinor(addon, v, kv); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		s.Addons[addon] = v
	}
	return s, nil
}

// checkAddonForMinor refuses a kube-proxy of another minor than the cluster's: kube-proxy
// must not be newer than the API server, and EKS builds one kube-proxy line per minor
// (Kubernetes version skew policy; EKS User Guide, "kube-proxy versions").
func checkAddonForMinor(addon string, v AddonVersion, minor string) error {
	if addon != "kube-proxy" {
		return nil
	}
	if got := fmt.Sprintf("%d.%d", v.Major, v.Minor); got != minor {
		return fmt.Errorf("kube-proxy %s is for Kubernetes %s, the cluster runs %s", v.Raw, got, minor)
	}
	return nil
}

// AddonPinStrings is the stack's eksAddonVersions as strings.
func (s *Stack) AddonPinStrings() map[string]string {
	out := map[string]string{}
	for n, v := range s.Addons {
		out[n] = v.Raw
	}
	return out
}

// LoadBuiltinPins reads the program's built-in add-on pins for minor from the Go source of
// components/cluster (the map literal `var addonVersions = map[string]AddonVersions{...}`),
// without building the package, which would link the provider SDKs. Struct fields map to add-on
// names by spelling (VpcCni is vpc-cni, EbsCsiDriver is aws-ebs-csi-driver); fields that name
// no known add-on are left out. A minor without a row yields no pins.
func LoadBuiltinPins(dir, minor string) (map[string]AddonVersion, error) {
	pkgDir := filepath.Join(dir, builtinPinsDir)
	entries, err := os.ReadDir(pkgDir)
	if err != nil {
		return nil, fmt.Errorf("built-in add-on pins: %w", err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(pkgDir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("built-in add-on pins: %w", err)
		}
		table := findAddonTable(file)
		if table == nil {
			continue
		}
		where := filepath.ToSlash(filepath.Join(builtinPinsDir, name)) + ": addonVersions"
		rows, err := readAddonTable(table, where)
		if err != nil {
			return nil, err
		}
		return rows[minor], nil
	}
	return nil, fmt.Errorf("built-in add-on pins: no `var addonVersions = map[string]...{...}` in %s", builtinPinsDir)
}

func findAddonTable(file *ast.File) *ast.CompositeLit {
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, n := range vs.Names {
				if n.Name != "addonVersions" || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.CompositeLit); ok {
					return lit
				}
			}
		}
	}
	return nil
}

func readAddonTable(table *ast.CompositeLit, where string) (map[string]map[string]AddonVersion, error) {
	rows := map[string]map[string]AddonVersion{}
	for _, elt := range table.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: expected \"<minor>\": {...} entries", where)
		}
		minor, err := stringLit(kv.Key)
		if err != nil {
			return nil, fmt.Errorf("%s: row key: %w", where, err)
		}
		row, ok := kv.Value.(*ast.CompositeLit)
		if !ok {
			return nil, fmt.Errorf("%s[%q]: expected a struct literal", where, minor)
		}
		pins := map[string]AddonVersion{}
		for _, f := range row.Elts {
			fkv, ok := f.(*ast.KeyValueExpr)
			if !ok {
				return nil, fmt.Errorf("%s[%q]: expected Field: \"version\" entries", where, minor)
			}
			field, ok := fkv.Key.(*ast.Ident)
			if !ok {
				return nil, fmt.Errorf("%s[%q]: expected field names", where, minor)
			}
			addon := addonForField(field.Name)
			if addon == "" {
				continue
			}
			s, err := stringLit(fkv.Value)
			if err != nil {
				return nil, fmt.Errorf("%s[%q].%s: %w", where, minor, field.Name, err)
			}
			v, err := ParseAddonVersion(s)
			if err != nil {
				return nil, fmt.Errorf("%s[%q].%s: %w", where, minor, field.Name, err)
			}
			pins[addon] = v
		}
		rows[minor] = pins
	}
	return rows, nil
}

func stringLit(e ast.Expr) (string, error) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", fmt.Errorf("expected a string literal")
	}
	return strconv.Unquote(b.Value)
}

// addonForField maps a Go field name to an add-on name: equal letters, ignoring case, dashes
// and the aws-/eks- prefix (EbsCsiDriver and aws-ebs-csi-driver).
func addonForField(field string) string {
	f := strings.ToLower(field)
	for _, a := range addonNames {
		bare := strings.ReplaceAll(a, "-", "")
		if f == bare || f == strings.TrimPrefix(bare, "aws") || f == strings.TrimPrefix(bare, "eks") {
			return a
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
