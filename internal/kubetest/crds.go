package kubetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// CRDSource is where a project publishes its CRD manifests inside its Go module.
type CRDSource struct {
	// Module and Version name the Go module, fetched through the module proxy and checked
	// against the checksum database like any dependency.
	Module, Version string
	// Dir is the folder of CRD manifests inside the module.
	Dir string
	// Groups keeps only the CRDs of these API groups. Default: all in Dir.
	Groups []string
}

// PrometheusOperatorCRDs are the CRDs kube-prometheus-stack 88.5.3 installs: its Chart.yaml
// says appVersion v0.93.1, and prometheus-operator publishes the same manifests at that tag.
var PrometheusOperatorCRDs = CRDSource{
	Module:  "github.com/prometheus-operator/prometheus-operator",
	Version: "v0.93.1",
	Dir:     "example/prometheus-operator-crd",
}

// ExternalSecretsCRDs are external-secrets' CRDs (ExternalSecret, ClusterSecretStore, ...).
// The module proxy serves external-secrets up to v1.3.2; later releases moved to a /v2 module
// path that it does not serve. The external-secrets.io/v1 API our objects use is the one that
// release serves, so its schema is the nearest one to the pinned chart's that can be checked here.
var ExternalSecretsCRDs = CRDSource{
	Module:  "github.com/external-secrets/external-secrets",
	Version: "v1.3.2",
	Dir:     "config/crds/bases",
	Groups:  []string{"external-secrets.io"},
}

// KarpenterCRDs are the CRDs of the karpenter-crd chart 1.14.1 the cluster installs (NodePool,
// NodeClaim, EC2NodeClass, with their OpenAPI schemas and CEL rules): the provider module
// carries the same manifests at the release tag in pkg/apis/crds, which the chart copies.
var KarpenterCRDs = CRDSource{
	Module:  "github.com/aws/karpenter-provider-aws",
	Version: "v1.14.1",
	Dir:     "pkg/apis/crds",
	Groups:  []string{"karpenter.sh", "karpenter.k8s.aws"},
}

// Load reads the source's CRD manifests.
func (c CRDSource) Load(ctx context.Context) ([]Object, error) {
	dir, err := moduleDir(ctx, c.Module, c.Version)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, c.Dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("kubetest: no CRD manifests in %s@%s/%s", c.Module, c.Version, c.Dir)
	}
	sort.Strings(files)
	var crds []Object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		docs, err := splitYAML(data)
		if err != nil {
			return nil, fmt.Errorf("kubetest: %s: %w", f, err)
		}
		for _, obj := range docs {
			if obj.Kind() != "CustomResourceDefinition" || !c.wants(obj) {
				continue
			}
			crds = append(crds, obj)
		}
	}
	return crds, nil
}

func (c CRDSource) wants(crd Object) bool {
	if len(c.Groups) == 0 {
		return true
	}
	spec, _ := crd["spec"].(map[string]any)
	group, _ := spec["group"].(string)
	for _, g := range c.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// InstallCRDs creates the CRDs for real (not as a dry run: custom resources need them served)
// and waits until the server serves each one.
func (s *Server) InstallCRDs(ctx context.Context, sources ...CRDSource) error {
	for _, src := range sources {
		crds, err := src.Load(ctx)
		if err != nil {
			return err
		}
		for _, crd := range crds {
			if err := s.Apply(ctx, crd, Options{}); err != nil {
				return fmt.Errorf("kubetest: install %s from %s@%s: %w", crd, src.Module, src.Version, err)
			}
		}
		for _, crd := range crds {
			if err := s.waitEstablished(ctx, crd.Name()); err != nil {
				return err
			}
		}
	}
	return nil
}

// moduleDir downloads a module (or finds it in the module cache) and returns its directory.
// It runs outside any module so that no go.mod or go.sum of the repository changes.
func moduleDir(ctx context.Context, module, version string) (string, error) {
	//nolint:gosec // G204: module and version come from this package's CRDSource values
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GO111MODULE=on", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jsonErr := json.Unmarshal(out, &info); jsonErr != nil || info.Dir == "" {
		if info.Error == "" && err != nil {
			info.Error = err.Error()
		}
		return "", fmt.Errorf("kubetest: download %s@%s: %s", module, version, info.Error)
	}
	return info.Dir, nil
}

// splitYAML decodes a multi-document YAML stream into objects, skipping empty documents.
func splitYAML(data []byte) ([]Object, error) {
	var objs []Object
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		if len(bytes.TrimSpace(doc)) == 0 || strings.TrimSpace(stripComments(string(doc))) == "" {
			continue
		}
		var obj Object
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, err
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
