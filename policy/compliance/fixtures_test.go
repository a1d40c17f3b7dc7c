package compliance

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/novacron/platform/internal/mock"
)

// Fixtures are built as mock.Resource values, the shape the recording mock engine produces.

const fixtureProject = "novacron-platform"

// unknownValue is a computed value, as inputs wired from not-yet-created resources are during preview.
var unknownValue = resource.MakeComputed(resource.NewProperty(""))

// unknownOutput is the other shape of an unknown value: an output value without a known element.
var unknownOutput = resource.NewProperty(resource.Output{Known: false})

// del removes a key in set.
type deleted struct{}

var del = deleted{}

func secret(s string) resource.PropertyValue { return resource.MakeSecret(resource.NewProperty(s)) }

func urnOf(typ, name string) string {
	return "urn:pulumi:test::" + fixtureProject + "::" + typ + "::" + name
}

// res builds a recorded custom resource.
func res(typ, name string, props map[string]any) *mock.Resource {
	return &mock.Resource{
		Type: typ, Name: name, URN: urnOf(typ, name), Custom: true,
		Inputs: resource.NewPropertyMapFromMap(props),
	}
}

// component builds a recorded remote component (pulumi-eks).
func component(typ, name string, props map[string]any) *mock.Resource {
	r := res(typ, name, props)
	r.Custom, r.Remote = false, true
	return r
}

// dependsOn records that r waited for the given resources (as the mock records property
// dependencies).
func dependsOn(r *mock.Resource, on ...*mock.Resource) *mock.Resource {
	for _, o := range on {
		r.Dependencies = append(r.Dependencies, o.URN)
	}
	return r
}

// using sets the provider reference of each resource, as the engine formats it.
func using(p *mock.Resource, rs ...*mock.Resource) []*mock.Resource {
	for _, r := range rs {
		r.Provider = p.URN + "::" + p.Name + "-id"
	}
	return append([]*mock.Resource{p}, rs...)
}

var allTags = map[string]any{
	"Project": "novacron", "Environment": "staging", "ManagedBy": "pulumi",
	"CostCenter": "platform", "Owner": "platform-team",
}

func awsProvider(tags map[string]any) *mock.Resource {
	props := map[string]any{"region": "us-east-1"}
	if tags != nil {
		props["defaultTags"] = map[string]any{"tags": tags}
	}
	return res(tAWSProvider, "aws", props)
}

// set returns a deep copy of base with dotted-path overrides; the value del removes the key.
func set(base map[string]any, kv ...any) map[string]any {
	if len(kv)%2 != 0 {
		panic("set: odd number of arguments")
	}
	out := deepCopy(base).(map[string]any)
	for i := 0; i < len(kv); i += 2 {
		parts := strings.Split(kv[i].(string), ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		last := parts[len(parts)-1]
		if _, isDel := kv[i+1].(deleted); isDel {
			delete(m, last)
		} else {
			m[last] = kv[i+1]
		}
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// found lists the violations of one policy as "name: message" ("stack: message" when stack-wide).
func found(rep Report, policy string) []string {
	out := []string{}
	for _, v := range rep.Violations {
		if v.Policy == policy {
			out = append(out, label(v.Name)+": "+v.Message)
		}
	}
	return out
}

// pendingOf lists the checks of one policy that could not run yet, as "name: message".
func pendingOf(rep Report, policy string) []string {
	out := []string{}
	for _, p := range rep.Pending {
		if p.Policy == policy {
			out = append(out, label(p.Name)+": "+p.Message)
		}
	}
	return out
}

func label(name string) string {
	if name == "" {
		return "stack"
	}
	return name
}

func statusOf(rep Report, policy string) PolicyStatus {
	for _, p := range rep.Policies {
		if p.Name == policy {
			return p.Status
		}
	}
	panic(fmt.Sprintf("no policy %q in report", policy))
}

// Base property sets of compliant resources.

const keyArn = "arn:aws:kms:us-east-1:123456789012:key/0000"

var (
	rdsOK = map[string]any{
		"engine": "postgres", "engineVersion": "16.4", "instanceClass": "db.r6g.xlarge",
		"storageEncrypted": true, "kmsKeyId": keyArn, "publiclyAccessible": false, "multiAz": true,
		"backupRetentionPeriod": 30, "deletionProtection": true, "iamDatabaseAuthenticationEnabled": true,
		"parameterGroupName": "main-pg", "performanceInsightsEnabled": true,
		"performanceInsightsKmsKeyId": keyArn, "autoMinorVersionUpgrade": true,
		"monitoringInterval": 60, "enabledCloudwatchLogsExports": []any{"postgresql", "upgrade"}, "copyTagsToSnapshot": true,
	}
	pgOK = map[string]any{
		"family": "postgres16",
		"parameters": []any{map[string]any{"name": "rds.force_ssl", "value": "1"},
			map[string]any{"name": "log_statement", "value": "ddl"}, map[string]any{"name": "log_min_duration_statement", "value": "1000"}},
	}
	allLogTypes  = []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}
	eksClusterOK = map[string]any{
		"version": "1.35", "endpointPrivateAccess": true, "endpointPublicAccess": true,
		"publicAccessCidrs": []any{"203.0.113.0/24"}, "enabledClusterLogTypes": allLogTypes,
		"encryptionConfigKeyArn": keyArn, "authenticationMode": "API", "skipDefaultNodeGroup": true,
		"useDefaultVpcCni": true,
	}
	awsClusterOK = map[string]any{
		"version": "1.35",
		"vpcConfig": map[string]any{
			"endpointPublicAccess": false, "endpointPrivateAccess": true,
			"subnetIds": []any{"subnet-a", "subnet-b"},
		},
		"encryptionConfig":       map[string]any{"resources": []any{"secrets"}, "provider": map[string]any{"keyArn": keyArn}},
		"enabledClusterLogTypes": allLogTypes,
	}
	launchTemplateOK = map[string]any{
		"metadataOptions": map[string]any{"httpTokens": "required", "httpPutResponseHopLimit": 1},
		"blockDeviceMappings": []any{map[string]any{
			"deviceName": "/dev/xvda",
			"ebs":        map[string]any{"encrypted": "true", "volumeSize": 100, "volumeType": "gp3"},
		}},
	}
	// The system node group, the cluster's only managed node group since Karpenter runs the
	// general and GPU pools: fixed size, tainted for critical add-ons.
	systemNodeGroupOK = map[string]any{
		"instanceTypes":  []any{"m5.large"},
		"scalingConfig":  map[string]any{"minSize": 2, "desiredSize": 2, "maxSize": 2},
		"labels":         map[string]any{"workload": "system"},
		"taints":         []any{map[string]any{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}},
		"amiType":        "AL2023_x86_64_STANDARD",
		"releaseVersion": "1.35.6-20260714",
		"launchTemplate": map[string]any{"id": "lt-system", "version": "1"},
	}
	// A GPU managed node group. The platform's GPU pool is a Karpenter NodePool now, but a stack
	// may still declare one and the node group policies judge it.
	gpuNodeGroupOK = map[string]any{
		"instanceTypes":  []any{"g5.2xlarge"},
		"scalingConfig":  map[string]any{"minSize": 0, "desiredSize": 2, "maxSize": 5},
		"labels":         map[string]any{"workload": "ml"},
		"taints":         []any{map[string]any{"key": "ml-workload", "value": "true", "effect": "NO_SCHEDULE"}},
		"amiType":        "AL2023_x86_64_NVIDIA",
		"launchTemplate": map[string]any{"id": "lt-ml", "version": "1"},
	}
	tlsOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny",` +
		`"Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::artifacts","arn:aws:s3:::artifacts/*"],` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
)

// bucketWith returns a bucket and the configuration resources the S3 policies look for, each
// linked to the bucket through a dependency (the mock answers bucket.ID() with a made-up id).
func bucketWith(name string, sse, pab, versioning, policy map[string]any) []*mock.Resource {
	b := res(tBucket, name, map[string]any{})
	out := []*mock.Resource{b}
	add := func(typ, suffix string, props map[string]any) {
		if props == nil {
			return
		}
		props = set(props, "bucket", name+"-id")
		out = append(out, dependsOn(res(typ, name+"-"+suffix, props), b))
	}
	add(tBucketEncryption, "sse", sse)
	add(tBucketAccessBlock, "pab", pab)
	add(tBucketVersioning, "versioning", versioning)
	add(tBucketPolicy, "policy", policy)
	return out
}

var (
	sseOK = map[string]any{"rules": []any{map[string]any{
		"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": keyArn},
		"bucketKeyEnabled":                   true,
	}}}
	pabOK = map[string]any{
		"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true,
	}
	versioningOK   = map[string]any{"versioningConfiguration": map[string]any{"status": "Enabled"}}
	bucketPolicyOK = map[string]any{"policy": tlsOnlyPolicy}
)

func namespace(name string) *mock.Resource {
	return res(tNamespace, name, map[string]any{"metadata": map[string]any{"name": name}})
}

func networkPolicy(name, ns string, spec map[string]any) *mock.Resource {
	return res(tNetworkPolicy, name, map[string]any{
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     spec,
	})
}

var (
	defaultDenySpec = map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"}}
	allowDNSSpec    = map[string]any{
		"podSelector": map[string]any{},
		"policyTypes": []any{"Egress"},
		"egress": []any{map[string]any{
			"to": []any{map[string]any{"namespaceSelector": map[string]any{
				"matchLabels": map[string]any{"kubernetes.io/metadata.name": "kube-system"},
			}}},
			"ports": []any{
				map[string]any{"port": 53, "protocol": "UDP"},
				map[string]any{"port": 53, "protocol": "TCP"},
			},
		}},
	}
)

func release(name, chart, version string, values map[string]any) *mock.Resource {
	props := map[string]any{"chart": chart, "values": values,
		"repositoryOpts": map[string]any{"repo": "https://charts.example.org"}}
	if version != "" {
		props["version"] = version
	}
	return res(tHelmRelease, name, props)
}
