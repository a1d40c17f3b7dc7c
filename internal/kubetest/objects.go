package kubetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/novacron/platform/internal/mock"
)

// Recorded is a Kubernetes object the program registers, with the Pulumi resource behind it.
type Recorded struct {
	Object Object
	// Resource is the Pulumi resource name, for messages.
	Resource string
}

// Objects returns the Kubernetes objects among the engine's registrations: every resource of
// the kubernetes provider, each of which must carry apiVersion and kind, except Helm releases
// and the YAML and Kustomize groupings, which are not objects themselves. A kubernetes resource
// that is neither is an error, so that no object is silently left unchecked. Names the program
// leaves to Pulumi's autonaming get a stable stand-in of the same shape,
// "<resource name>-<8 characters>".
func Objects(resources []*mock.Resource) ([]Recorded, error) {
	var out []Recorded
	var errs []error
	for _, r := range resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || notAnObject(r.Type) {
			continue
		}
		value, err := plain(resource.NewObjectProperty(r.Inputs))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", r.Type, r.Name, err))
			continue
		}
		obj, _ := value.(map[string]any)
		apiVersion, _ := obj["apiVersion"].(string)
		kind, _ := obj["kind"].(string)
		if apiVersion == "" || kind == "" {
			errs = append(errs, fmt.Errorf("%s %q: no apiVersion and kind among its inputs", r.Type, r.Name))
			continue
		}
		md, _ := obj["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
			obj["metadata"] = md
		}
		if name, _ := md["name"].(string); name == "" {
			sum := sha256.Sum256([]byte(r.URN))
			md["name"] = r.Name + "-" + hex.EncodeToString(sum[:4])
		}
		out = append(out, Recorded{Object: obj, Resource: r.Name})
	}
	return out, errors.Join(errs...)
}

// notAnObject reports the kubernetes provider's types that group or render objects rather
// than being one.
func notAnObject(typ string) bool {
	for _, prefix := range []string{"kubernetes:helm.sh/", "kubernetes:yaml", "kubernetes:kustomize"} {
		if strings.HasPrefix(typ, prefix) {
			return true
		}
	}
	return false
}

// plain turns an engine property value into what encoding/json would decode from the object's
// JSON form. Secrets are unwrapped: the objects only ever go to the test's own server. A value
// the engine left unknown is an error, since the server could not judge it.
func plain(v resource.PropertyValue) (any, error) {
	switch {
	case v.IsNull():
		return nil, nil
	case v.IsBool():
		return v.BoolValue(), nil
	case v.IsNumber():
		return v.NumberValue(), nil
	case v.IsString():
		return v.StringValue(), nil
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsOutput():
		if !v.OutputValue().Known {
			return nil, errors.New("a value is unknown")
		}
		return plain(v.OutputValue().Element)
	case v.IsComputed():
		return nil, errors.New("a value is unknown")
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			p, err := plain(e)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			p, err := plain(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[string(k)] = p
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %s value has no JSON form", v.TypeString())
}

// Failure is an object the server refused.
type Failure struct {
	Recorded
	// Step says what was sent: "apply" or "pod from template".
	Step string
	Err  error
}

func (f Failure) String() string {
	return fmt.Sprintf("%s (resource %q, %s): %v", f.Object, f.Resource, f.Step, f.Err)
}

// ApplyAll sends every object the way `pulumi up` would order them, and returns each one the
// server refuses. CRDs and Namespaces are stored (custom resources need their CRD served, and
// Pod Security reads a namespace's labels); everything else is a dry run. Objects of a
// namespaced kind without a namespace go to "default", as pulumi-kubernetes does with a
// provider that names none. A ConstraintTemplate, once accepted, gets the Constraint CRD
// Gatekeeper would create for it (ConstraintCRD), before any other custom resource is sent.
// Every pod template (Deployments, DaemonSets, Jobs, ...) is also sent as a Pod, dry run, so
// that Pod Security admission judges it at its namespace's level.
func (s *Server) ApplyAll(ctx context.Context, objs []Recorded) []Failure {
	var failures []Failure
	// Stored for real, not as a dry run: what later objects are judged against. Admission
	// resolves a pod's priorityClassName, so a PriorityClass must exist before its pods.
	stored := func(o Object) bool {
		return o.Kind() == "Namespace" || o.Kind() == "CustomResourceDefinition" ||
			o.Kind() == "PriorityClass" && o.APIVersion() == "scheduling.k8s.io/v1"
	}
	ordered := append([]Recorded(nil), objs...)
	sort.SliceStable(ordered, func(i, j int) bool {
		return rank(ordered[i].Object) < rank(ordered[j].Object)
	})
	for _, rec := range ordered {
		obj := rec.Object
		if err := s.defaultNamespace(ctx, obj); err != nil {
			failures = append(failures, Failure{Recorded: rec, Step: "apply", Err: err})
			continue
		}
		if err := s.Apply(ctx, obj, Options{DryRun: !stored(obj)}); err != nil {
			failures = append(failures, Failure{Recorded: rec, Step: "apply", Err: err})
			continue
		}
		if obj.Kind() == "CustomResourceDefinition" {
			if err := s.waitEstablished(ctx, obj.Name()); err != nil {
				failures = append(failures, Failure{Recorded: rec, Step: "apply", Err: err})
			}
		}
		// Gatekeeper creates a CRD for every ConstraintTemplate it accepts; the harness does
		// the same, so that the template's Constraints are judged by their real schema.
		if isConstraintTemplate(obj) {
			if err := s.installConstraintCRD(ctx, obj); err != nil {
				failures = append(failures, Failure{Recorded: rec, Step: "constraint CRD", Err: err})
			}
		}
		if pod := PodFromTemplate(obj); pod != nil {
			if err := s.Create(ctx, pod, Options{DryRun: true}); err != nil {
				failures = append(failures, Failure{Recorded: rec, Step: "pod from template", Err: err})
			}
		}
	}
	return failures
}

func rank(o Object) int {
	switch {
	case o.Kind() == "CustomResourceDefinition":
		return 0
	case o.Kind() == "Namespace", o.Kind() == "PriorityClass":
		return 1
	case isConstraintTemplate(o):
		return 2
	}
	return 3
}

func (s *Server) installConstraintCRD(ctx context.Context, template Object) error {
	crd, err := ConstraintCRD(ctx, template)
	if err != nil {
		return err
	}
	if err := s.Apply(ctx, crd, Options{}); err != nil {
		return err
	}
	return s.waitEstablished(ctx, crd.Name())
}

func (s *Server) defaultNamespace(ctx context.Context, obj Object) error {
	if obj.Namespace() != "" {
		return nil
	}
	res, err := s.resourceFor(ctx, obj.APIVersion(), obj.Kind())
	if err != nil {
		return err
	}
	if res.Namespaced {
		obj["metadata"].(map[string]any)["namespace"] = "default"
	}
	return nil
}

// workloadAPIs are the API versions of the built-in kinds that carry pod templates.
var workloadAPIs = map[string]bool{"v1": true, "apps/v1": true, "batch/v1": true}

// PodFromTemplate returns the Pod a workload's controller would create, or nil for an object
// without a pod template. CronJobs nest theirs one level deeper.
func PodFromTemplate(obj Object) Object {
	// Only the built-in workloads' templates are pod templates; a custom resource's
	// spec.template (a Karpenter NodePool's is a NodeClaim's) is not.
	if !workloadAPIs[obj.APIVersion()] {
		return nil
	}
	spec, _ := obj["spec"].(map[string]any)
	if jt, ok := spec["jobTemplate"].(map[string]any); ok && obj.Kind() == "CronJob" {
		spec, _ = jt["spec"].(map[string]any)
	}
	tmpl, _ := spec["template"].(map[string]any)
	podSpec, _ := tmpl["spec"].(map[string]any)
	if podSpec == nil || obj.Kind() == "PodTemplate" {
		return nil
	}
	md := map[string]any{"name": obj.Name() + "-template", "namespace": obj.Namespace()}
	if tmd, ok := tmpl["metadata"].(map[string]any); ok {
		for _, k := range []string{"labels", "annotations"} {
			if v, ok := tmd[k]; ok {
				md[k] = v
			}
		}
	}
	return Object{"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": podSpec}
}
