package gatekeeper

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testRegistry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	testDigest   = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	goodImage    = testRegistry + "/novacron/api:1.4.2" + testDigest
)

func baseArgs() *GatekeeperArgs {
	return &GatekeeperArgs{
		ApplicationNamespaces: []string{"novacron"},
		ImageRegistries:       []string{testRegistry},
	}
}

func policyByKind(t *testing.T, kind string) Policy {
	t.Helper()
	for _, p := range baseArgs().withDefaults().policies() {
		if p.Kind == kind {
			return p
		}
	}
	require.FailNow(t, "no policy "+kind)
	return Policy{}
}

var readsData = regexp.MustCompile(`(^|[^A-Za-z0-9_.])data\.`)

var packageLine = regexp.MustCompile(`(?m)^package ([a-z0-9_.]+)$`)

// violations evaluates a policy's Rego over object the way Gatekeeper calls it: the object
// under input.review.object (with the review's kind) and the Constraint's parameters under
// input.parameters; it returns the messages of data.<package>.violation, sorted.
func violations(t *testing.T, p Policy, object map[string]any) []string {
	t.Helper()
	src, err := p.Rego()
	require.NoError(t, err)
	pkg := packageLine.FindStringSubmatch(src)
	require.NotNil(t, pkg, "%s has no package line", p.File)
	// A JSON round trip gives the values the types Gatekeeper's input has (numbers, lists).
	raw, err := json.Marshal(map[string]any{
		"review": map[string]any{
			"kind":      map[string]any{"group": "", "version": "v1", "kind": object["kind"]},
			"object":    object,
			"operation": "CREATE",
		},
		"parameters": p.Parameters,
	})
	require.NoError(t, err)
	var input any
	require.NoError(t, json.Unmarshal(raw, &input))
	rs, err := rego.New(
		rego.Query("data."+pkg[1]+".violation"),
		rego.Module(p.File, src),
		rego.Input(input),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	).Eval(context.Background())
	require.NoError(t, err)
	require.Len(t, rs, 1, "%s: violation must always be defined (a set, maybe empty)", p.Kind)
	var msgs []string
	for _, v := range rs[0].Expressions[0].Value.([]any) {
		msgs = append(msgs, v.(map[string]any)["msg"].(string))
	}
	slices.Sort(msgs)
	return msgs
}

// goodPod complies with every pod policy.
func goodPod() map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "api-0", "namespace": "novacron", "labels": map[string]any{
			"app": "api", "app.kubernetes.io/part-of": "novacron",
		}},
		"spec": map[string]any{
			"containers": []any{map[string]any{
				"name": "api", "image": goodImage,
				"resources": map[string]any{
					"requests": map[string]any{"cpu": "250m", "memory": "256Mi"},
					"limits":   map[string]any{"memory": "256Mi"},
				},
				"securityContext": map[string]any{"privileged": false},
			}},
		},
	}
}

func spec(pod map[string]any) map[string]any { return pod["spec"].(map[string]any) }

func container(pod map[string]any) map[string]any {
	return spec(pod)["containers"].([]any)[0].(map[string]any)
}

func withPod(change func(pod map[string]any)) map[string]any {
	pod := goodPod()
	change(pod)
	return pod
}

func gpuPod(change func(s, c map[string]any)) map[string]any {
	return withPod(func(pod map[string]any) {
		s := spec(pod)
		s["nodeSelector"] = map[string]any{"workload": "ml"}
		s["tolerations"] = []any{map[string]any{"key": "ml-workload", "operator": "Equal", "value": "true", "effect": "NoSchedule"}}
		c := container(pod)
		c["resources"].(map[string]any)["limits"].(map[string]any)["nvidia.com/gpu"] = "1"
		change(s, c)
	})
}

func service(change func(svc map[string]any)) map[string]any {
	svc := map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "api", "namespace": "novacron"},
		"spec": map[string]any{
			"type": "LoadBalancer", "loadBalancerClass": "service.k8s.aws/nlb",
			"ports": []any{map[string]any{"port": 443}},
		},
	}
	change(svc)
	return svc
}

func TestRegoRules(t *testing.T) {
	type tc struct {
		kind, name string
		object     map[string]any
		want       []string // nil: allowed
	}
	noop := func(map[string]any) {}
	tests := []tc{
		// NovaCronNoPrivileged
		{"NovaCronNoPrivileged", "unprivileged pod", goodPod(), nil},
		{"NovaCronNoPrivileged", "privileged container", withPod(func(p map[string]any) {
			container(p)["securityContext"] = map[string]any{"privileged": true}
		}), []string{"container api is privileged"}},
		{"NovaCronNoPrivileged", "privileged init container", withPod(func(p map[string]any) {
			spec(p)["initContainers"] = []any{map[string]any{"name": "setup", "image": goodImage, "securityContext": map[string]any{"privileged": true}}}
		}), []string{"container setup is privileged"}},
		{"NovaCronNoPrivileged", "host namespaces", withPod(func(p map[string]any) {
			spec(p)["hostPID"] = true
			spec(p)["hostIPC"] = true
			spec(p)["hostNetwork"] = true
		}), []string{
			"the pod shares a host namespace: hostIPC is true",
			"the pod shares a host namespace: hostNetwork is true",
			"the pod shares a host namespace: hostPID is true",
		}},
		{"NovaCronNoPrivileged", "host namespaces explicitly off", withPod(func(p map[string]any) {
			spec(p)["hostNetwork"] = false
		}), nil},

		// NovaCronAllowedImages
		{"NovaCronAllowedImages", "ECR image by digest", goodPod(), nil},
		{"NovaCronAllowedImages", "public image", withPod(func(p map[string]any) {
			container(p)["image"] = "docker.io/library/nginx:1.27" + testDigest
		}), []string{"container api image docker.io/library/nginx:1.27" + testDigest + " is not from an allowed registry (" + testRegistry + ")"}},
		{"NovaCronAllowedImages", "look-alike registry host", withPod(func(p map[string]any) {
			container(p)["image"] = testRegistry + ".evil.example/api" + testDigest
		}), []string{"container api image " + testRegistry + ".evil.example/api" + testDigest + " is not from an allowed registry (" + testRegistry + ")"}},
		{"NovaCronAllowedImages", "tag without digest", withPod(func(p map[string]any) {
			container(p)["image"] = testRegistry + "/novacron/api:1.4.2"
		}), []string{"container api image " + testRegistry + "/novacron/api:1.4.2 is not pinned by digest (@sha256:...)"}},
		{"NovaCronAllowedImages", "ephemeral debug container from elsewhere", withPod(func(p map[string]any) {
			spec(p)["ephemeralContainers"] = []any{map[string]any{"name": "debug", "image": "busybox" + testDigest}}
		}), []string{"container debug image busybox" + testDigest + " is not from an allowed registry (" + testRegistry + ")"}},

		// NovaCronNoLatestImage
		{"NovaCronNoLatestImage", "tag and digest", goodPod(), nil},
		{"NovaCronNoLatestImage", "digest only", withPod(func(p map[string]any) { container(p)["image"] = testRegistry + "/api" + testDigest }), nil},
		{"NovaCronNoLatestImage", "registry port is not a tag", withPod(func(p map[string]any) { container(p)["image"] = "registry.local:5000/api:2.0" }), nil},
		{"NovaCronNoLatestImage", "latest", withPod(func(p map[string]any) { container(p)["image"] = testRegistry + "/api:latest" }),
			[]string{"container api image " + testRegistry + "/api:latest uses the :latest tag"}},
		{"NovaCronNoLatestImage", "untagged behind a registry port", withPod(func(p map[string]any) { container(p)["image"] = "registry.local:5000/api" }),
			[]string{"container api image registry.local:5000/api has no tag, which means :latest"}},

		// NovaCronRequiredResources
		{"NovaCronRequiredResources", "requests and memory limit", goodPod(), nil},
		{"NovaCronRequiredResources", "no resources", withPod(func(p map[string]any) { delete(container(p), "resources") }),
			[]string{"container api has no cpu request", "container api has no memory limit", "container api has no memory request"}},
		{"NovaCronRequiredResources", "init container without limit", withPod(func(p map[string]any) {
			spec(p)["initContainers"] = []any{map[string]any{"name": "migrate", "image": goodImage, "resources": map[string]any{
				"requests": map[string]any{"cpu": "100m", "memory": "64Mi"},
			}}}
		}), []string{"container migrate has no memory limit"}},

		// NovaCronRequiredLabels
		{"NovaCronRequiredLabels", "both labels", goodPod(), nil},
		{"NovaCronRequiredLabels", "no labels", withPod(func(p map[string]any) { delete(p["metadata"].(map[string]any), "labels") }),
			[]string{"the pod has no app label", "the pod has no app.kubernetes.io/part-of label"}},
		{"NovaCronRequiredLabels", "empty value", withPod(func(p map[string]any) {
			p["metadata"].(map[string]any)["labels"].(map[string]any)["app"] = ""
		}), []string{"the pod has no app label"}},

		// NovaCronNoHostPath
		{"NovaCronNoHostPath", "emptyDir", withPod(func(p map[string]any) {
			spec(p)["volumes"] = []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}
		}), nil},
		{"NovaCronNoHostPath", "hostPath", withPod(func(p map[string]any) {
			spec(p)["volumes"] = []any{map[string]any{"name": "docker", "hostPath": map[string]any{"path": "/var/run/docker.sock"}}}
		}), []string{"volume docker mounts the node's /var/run/docker.sock"}},

		// NovaCronLoadBalancer
		{"NovaCronLoadBalancer", "controller's class", service(noop), nil},
		{"NovaCronLoadBalancer", "controller's annotation", service(func(s map[string]any) {
			delete(s["spec"].(map[string]any), "loadBalancerClass")
			s["metadata"].(map[string]any)["annotations"] = map[string]any{"service.beta.kubernetes.io/aws-load-balancer-type": "external"}
		}), nil},
		{"NovaCronLoadBalancer", "ClusterIP", service(func(s map[string]any) {
			s["spec"] = map[string]any{"type": "ClusterIP", "ports": []any{map[string]any{"port": 443}}}
		}), nil},
		{"NovaCronLoadBalancer", "in-tree (no class)", service(func(s map[string]any) { delete(s["spec"].(map[string]any), "loadBalancerClass") }),
			[]string{"a LoadBalancer Service must set loadBalancerClass service.k8s.aws/nlb or annotation service.beta.kubernetes.io/aws-load-balancer-type: external"}},
		{"NovaCronLoadBalancer", "in-tree nlb annotation", service(func(s map[string]any) {
			delete(s["spec"].(map[string]any), "loadBalancerClass")
			s["metadata"].(map[string]any)["annotations"] = map[string]any{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
		}), []string{"a LoadBalancer Service must set loadBalancerClass service.k8s.aws/nlb or annotation service.beta.kubernetes.io/aws-load-balancer-type: external"}},
		{"NovaCronLoadBalancer", "another class", service(func(s map[string]any) { s["spec"].(map[string]any)["loadBalancerClass"] = "example.com/lb" }),
			[]string{"a LoadBalancer Service must set loadBalancerClass service.k8s.aws/nlb or annotation service.beta.kubernetes.io/aws-load-balancer-type: external"}},

		// NovaCronGPUPool
		{"NovaCronGPUPool", "ordinary pod", goodPod(), nil},
		{"NovaCronGPUPool", "GPU pod on the pool", gpuPod(func(_, _ map[string]any) {}), nil},
		{"NovaCronGPUPool", "GPU pod by node affinity, Exists toleration, numeric request", gpuPod(func(s, c map[string]any) {
			delete(s, "nodeSelector")
			s["affinity"] = map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
				"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "workload", "operator": "In", "values": []any{"ml"}}}}},
			}}}
			s["tolerations"] = []any{map[string]any{"key": "ml-workload", "operator": "Exists"}}
			c["resources"].(map[string]any)["limits"].(map[string]any)["nvidia.com/gpu"] = 2
		}), nil},
		{"NovaCronGPUPool", "selects the pool without toleration", gpuPod(func(s, _ map[string]any) { delete(s, "tolerations") }),
			[]string{"the pod selects the GPU pool (workload=ml) but does not tolerate its taint ml-workload=true:NoSchedule"}},
		{"NovaCronGPUPool", "selects the pool without a GPU", gpuPod(func(_, c map[string]any) {
			delete(c["resources"].(map[string]any)["limits"].(map[string]any), "nvidia.com/gpu")
		}), []string{"the pod selects the GPU pool (workload=ml) but requests no nvidia.com/gpu"}},
		{"NovaCronGPUPool", "toleration with the wrong value", gpuPod(func(s, _ map[string]any) {
			s["tolerations"] = []any{map[string]any{"key": "ml-workload", "value": "false", "effect": "NoSchedule"}}
		}), []string{"the pod selects the GPU pool (workload=ml) but does not tolerate its taint ml-workload=true:NoSchedule"}},
		{"NovaCronGPUPool", "tolerates the taint without a GPU", withPod(func(p map[string]any) {
			spec(p)["tolerations"] = []any{map[string]any{"key": "ml-workload", "operator": "Equal", "value": "true", "effect": "NoSchedule"}}
		}), []string{"the pod tolerates the GPU taint ml-workload=true:NoSchedule but requests no nvidia.com/gpu"}},
		{"NovaCronGPUPool", "tolerates everything without a GPU", withPod(func(p map[string]any) {
			spec(p)["tolerations"] = []any{map[string]any{"operator": "Exists"}}
		}), []string{"the pod tolerates the GPU taint ml-workload=true:NoSchedule but requests no nvidia.com/gpu"}},
		{"NovaCronGPUPool", "tolerates another taint", withPod(func(p map[string]any) {
			spec(p)["tolerations"] = []any{map[string]any{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}}
		}), nil},
	}
	covered := map[string][2]bool{}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, violations(t, policyByKind(t, tt.kind), tt.object))
		})
		c := covered[tt.kind]
		c[min(len(tt.want), 1)] = true
		covered[tt.kind] = c
	}
	for _, p := range baseArgs().withDefaults().policies() {
		assert.Equal(t, [2]bool{true, true}, covered[p.Kind], "%s needs an allowed and a denied case", p.Kind)
	}
}

// A compliant application pod passes every pod policy at once: the policies do not contradict
// each other.
func TestCompliantPodPassesEveryPolicy(t *testing.T) {
	for _, p := range baseArgs().withDefaults().policies() {
		if p.Matches[0].Kinds[0] != "Pod" {
			continue
		}
		assert.Empty(t, violations(t, p, goodPod()), p.Kind)
		assert.Empty(t, violations(t, p, gpuPod(func(_, _ map[string]any) {})), p.Kind)
	}
}

// The parameters follow the arguments: a digest is optional only when asked for.
func TestParametersFollowArgs(t *testing.T) {
	a := baseArgs()
	a.AllowImagesWithoutDigest = true
	a.ImageRegistries = []string{testRegistry + "/novacron/"}
	var images Policy
	for _, p := range a.withDefaults().policies() {
		if p.Kind == "NovaCronAllowedImages" {
			images = p
		}
	}
	tagged := withPod(func(p map[string]any) { container(p)["image"] = testRegistry + "/novacron/api:1.4.2" })
	assert.Empty(t, violations(t, images, tagged))
	other := withPod(func(p map[string]any) { container(p)["image"] = testRegistry + "/other/api:1.4.2" })
	assert.Equal(t, []string{"container api image " + testRegistry + "/other/api:1.4.2 is not from an allowed registry (" + testRegistry + "/novacron)"},
		violations(t, images, other))
}

// Every template is Rego v1 that defines violation and reads nothing but input: Gatekeeper
// gives a template no data except data.inventory, which these do not use.
func TestRegoModulesAreSelfContained(t *testing.T) {
	for _, p := range baseArgs().withDefaults().policies() {
		src, err := p.Rego()
		require.NoError(t, err)
		mod, err := ast.ParseModuleWithOpts(p.File, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		require.NoError(t, err, p.File)
		assert.Equal(t, "data."+p.TemplateName(), mod.Package.Path.String(), "%s: package must be the template's name", p.File)
		names := map[string]bool{}
		for _, r := range mod.Rules {
			names[r.Head.Name.String()] = true
		}
		assert.True(t, names["violation"], "%s defines no violation rule", p.File)
		assert.False(t, readsData.MatchString(src), "%s reads data", p.File)
		assert.False(t, strings.Contains(src, "http.send"), "%s calls http.send, which Gatekeeper disables", p.File)
	}
}
