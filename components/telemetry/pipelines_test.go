package telemetry

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
	"github.com/novacron/platform/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	typComponent  = "novacron:telemetry:Pipelines"
	typRelease    = "kubernetes:helm.sh/v3:Release"
	typNamespace  = "kubernetes:core/v1:Namespace"
	typNetpol     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	typBucketComp = "novacron:storage:Bucket"
	typBucket     = "aws:s3/bucketV2:BucketV2"
	typLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	typEncryption = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typLogging    = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	typRole       = "aws:iam/role:Role"
	typRolePolicy = "aws:iam/rolePolicy:RolePolicy"

	typAssociation = "aws:eks/podIdentityAssociation:PodIdentityAssociation"

	logsKeyArn  = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-logs"
	clusterName = "novacron-production"
)

func baseArgs() *PipelinesArgs {
	return &PipelinesArgs{
		Environment:      "production",
		Region:           "us-east-1",
		LogsKmsKeyArn:    pulumi.String(logsKeyArn),
		ClusterName:      pulumi.String(clusterName),
		ClusterNameValue: clusterName,
		AccessLogsBucket: pulumi.String("novacron-production-logs"),
	}
}

// bucketArns gives buckets the ARN S3 gives them (arn:aws:s3:::<name>), which the mock's
// generic ARN does not.
func bucketArns(a pulumi.MockResourceArgs, out resource.PropertyMap) {
	if a.TypeToken == typBucket {
		out["arn"] = resource.NewStringProperty("arn:aws:s3:::" + out["bucket"].StringValue())
	}
}

// run builds the component under the recording mock with the providers passed the way the stack
// passes them.
func run(t *testing.T, args *PipelinesArgs) *mock.Engine {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", bucketArns)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		awsProvider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		_, err = NewPipelines(ctx, "telemetry", args, pulumi.Providers(awsProvider, k8s))
		return err
	}))
	return eng
}

// releaseValues returns a release's recorded Helm values as plain Go data, decoded the way Helm
// reads them (through YAML).
func releaseValues(t *testing.T, eng *mock.Engine, name string) map[string]any {
	t.Helper()
	rel := mocktest.Find(t, eng, typRelease, name)
	v := mocktest.Input(t, rel, "values")
	require.False(t, v.ContainsSecrets(), "%s values carry no secret", name)
	b, err := yaml.Marshal(v.Mappable())
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, yaml.Unmarshal(b, &out))
	return out
}

func TestValidate(t *testing.T) {
	bad := baseArgs()
	bad.Namespace = "Telemetry"
	bad.Environment = "prod_1"
	bad.Region = "useast1"
	bad.LokiChartVersion = "latest"
	bad.TempoChartRepository = "http://charts.example.com"
	bad.LogsKmsKeyArn = pulumi.String("alias/logs")
	bad.LogsRetentionDays = 4000
	bad.TracesRetentionDays = -1
	bad.SlowTraceThresholdMillis = 90000
	bad.TraceSamplePercent = 120
	bad.NodeTolerations = []Toleration{{Key: "ml workload", Value: "true", Effect: "Never"}}
	bad.StorageClassName = "Fast_SSD"
	bad.VolumeSize = "10G"
	bad.GrafanaPodLabels = map[string]string{"app.kubernetes.io/name": "graf ana"}
	bad.HTTPSEgressCIDRs = []string{"10.0.0.1/16"}
	bad.ClusterNameValue = "novacron production"

	missing := &PipelinesArgs{Region: "us-east-1"}

	tests := []struct {
		name string
		args *PipelinesArgs
		want validate.Problems
	}{
		{name: "minimal", args: baseArgs()},
		{name: "nil", args: nil, want: validate.Problems{{Field: "args", Message: "must be set"}}},
		{name: "outputs are not read", args: func() *PipelinesArgs {
			a := baseArgs()
			a.LogsKmsKeyArn = pulumi.String(logsKeyArn).ToStringOutput()
			return a
		}()},
		{
			name: "required inputs missing",
			args: missing,
			want: validate.Problems{
				{Field: "environment", Message: "must be set to the stack name"},
				{Field: "logsKmsKeyArn", Message: "must be set: the logs key encrypts the log and trace buckets"},
				{Field: "clusterName", Message: "must be set: Loki and Tempo reach S3 through Pod Identity associations of the cluster"},
				{Field: "clusterNameValue", Message: `must be an EKS cluster name (the stores' role trust policies pin it), got ""`},
				{Field: "accessLogsBucket", Message: "must be set: every bucket of the stack logs its access"},
			},
		},
		{
			name: "every field wrong",
			args: bad,
			want: validate.Problems{
				{Field: "namespace", Message: `must be a DNS label (lower case letters, digits, '-'), got "Telemetry"`},
				{Field: "environment", Message: `must be a DNS label (lower case letters, digits, '-'), got "prod_1"`},
				{Field: "region", Message: `must be an AWS region such as us-east-1, got "useast1"`},
				{Field: "tempoChartRepository", Message: `must be an https URL, got "http://charts.example.com"`},
				{Field: "lokiChartVersion", Message: `must be an exact chart version such as 1.2.3, got "latest"`},
				{Field: "logsKmsKeyArn", Message: `must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "alias/logs"`},
				{Field: "clusterNameValue", Message: `must be an EKS cluster name (the stores' role trust policies pin it), got "novacron production"`},
				{Field: "logsRetentionDays", Message: "must be between 1 and 3653, got 4000"},
				{Field: "tracesRetentionDays", Message: "must be between 1 and 3653, got -1"},
				{Field: "slowTraceThresholdMillis", Message: "must be between 1 and 9999 (below the tail sampler's 10s decision wait), got 90000"},
				{Field: "traceSamplePercent", Message: "must be above 0 and at most 100, got 120"},
				{Field: "nodeTolerations[0].key", Message: `must be a taint key such as ml-workload, got "ml workload"`},
				{Field: "nodeTolerations[0].effect", Message: `must be one of NoSchedule, PreferNoSchedule, NoExecute, got "Never"`},
				{Field: "storageClassName", Message: `must be a DNS subdomain, got "Fast_SSD"`},
				{Field: "volumeSize", Message: `must be a volume size in Mi, Gi or Ti such as 10Gi, got "10G"`},
				{Field: "grafanaPodLabels.app.kubernetes.io/name", Message: `must be a label value (63 characters of [A-Za-z0-9-_.]), got "graf ana"`},
				{Field: "httpsEgressCIDRs[0]", Message: `must be a network address (10.0.0.0/16), got "10.0.0.1/16"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.args.Validate())
		})
	}
}

func TestRetentionBounds(t *testing.T) {
	for _, tt := range []struct {
		days int
		ok   bool
	}{{0, true}, {1, true}, {3653, true}, {3654, false}, {-5, false}} {
		a := baseArgs()
		a.LogsRetentionDays = tt.days
		a.TracesRetentionDays = tt.days
		fields := []string{}
		for _, p := range a.Validate() {
			fields = append(fields, p.Field)
		}
		if tt.ok {
			assert.Empty(t, fields, "%d days", tt.days)
		} else {
			assert.Equal(t, []string{"logsRetentionDays", "tracesRetentionDays"}, fields, "%d days", tt.days)
		}
	}
}

func TestNewPipelinesRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	a := baseArgs()
	a.TraceSamplePercent = -3
	a.ClusterName = nil
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewPipelines(ctx, "telemetry", a)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `telemetry "telemetry": clusterName must be set`)
	assert.Contains(t, err.Error(), `telemetry "telemetry": traceSamplePercent must be above 0 and at most 100, got -3`)
	assert.Empty(t, eng.Resources(), "nothing may be registered when arguments are invalid")
}

func TestChildren(t *testing.T) {
	eng := run(t, baseArgs())
	comp := mocktest.Find(t, eng, typComponent, "telemetry")

	direct := map[string][]string{
		typNamespace:   {"telemetry-ns"},
		typBucketComp:  {"telemetry-loki", "telemetry-tempo"},
		typRole:        {"telemetry-loki", "telemetry-tempo"},
		typRolePolicy:  {"telemetry-loki-s3", "telemetry-tempo-s3"},
		typAssociation: {"telemetry-loki", "telemetry-tempo"},
		typRelease: {"telemetry-loki-release", "telemetry-tempo-release",
			"telemetry-otel-agent-release", "telemetry-otel-gateway-release"},
		typNetpol: {"telemetry-deny-all-default", "telemetry-allow-dns-egress", "telemetry-allow-otel-agent",
			"telemetry-allow-otel-gateway", "telemetry-allow-loki", "telemetry-allow-tempo"},
	}
	for typ, names := range direct {
		var got []string
		for _, r := range eng.ByType(typ) {
			got = append(got, r.Name)
			assert.Equal(t, comp.URN, r.Parent, "%s %s is a child of the component", typ, r.Name)
		}
		assert.ElementsMatch(t, names, got, typ)
	}

	for _, r := range eng.Resources() {
		switch {
		case strings.HasPrefix(r.Type, "kubernetes:") && r.Custom:
			assert.Contains(t, r.Provider, "pulumi:providers:kubernetes::k8s", "%s uses the cluster's provider", r.Name)
		case strings.HasPrefix(r.Type, "aws:"):
			assert.Contains(t, r.Provider, "pulumi:providers:aws::aws", "%s uses the stack's AWS provider", r.Name)
		}
	}

	releases := map[string][3]string{ // release name, chart, version
		"telemetry-loki-release":         {LokiName, "loki", DefaultLokiChartVersion},
		"telemetry-tempo-release":        {TempoName, "tempo", DefaultTempoChartVersion},
		"telemetry-otel-agent-release":   {AgentName, "opentelemetry-collector", DefaultCollectorChartVersion},
		"telemetry-otel-gateway-release": {GatewayName, "opentelemetry-collector", DefaultCollectorChartVersion},
	}
	for res, want := range releases {
		rel := mocktest.Find(t, eng, typRelease, res)
		assert.Equal(t, want[0], mocktest.Str(t, rel, "name"), res)
		assert.Equal(t, want[1], mocktest.Str(t, rel, "chart"), res)
		assert.Equal(t, want[2], mocktest.Str(t, rel, "version"), res)
		assert.Equal(t, "telemetry", mocktest.Str(t, rel, "namespace"), res)
		assert.True(t, strings.HasPrefix(mocktest.Str(t, rel, "repositoryOpts.repo"), "https://"), res)
	}
}

// Buckets, roles and their policies exist before the store releases, the policies before every
// release, and each collector waits for what it exports to.
func TestDependencies(t *testing.T) {
	eng := run(t, baseArgs())
	urn := func(typ, name string) string { return mocktest.Find(t, eng, typ, name).URN }
	deps := func(name string) []string { return mocktest.Find(t, eng, typRelease, name).Dependencies }

	var netpols []string
	for _, r := range eng.ByType(typNetpol) {
		netpols = append(netpols, r.URN)
		assert.Contains(t, r.Dependencies, urn(typNamespace, "telemetry-ns"), "%s waits for the namespace", r.Name)
	}
	for _, store := range []string{"loki", "tempo"} {
		d := deps("telemetry-" + store + "-release")
		// Every resource of the bucket, the encryption configuration above all.
		bucketComp := urn(typBucketComp, "telemetry-"+store)
		var children int
		for _, r := range eng.Resources() {
			if r.Parent == bucketComp {
				children++
				assert.Contains(t, d, r.URN, "%s waits for %s", store, r.Name)
			}
		}
		assert.GreaterOrEqual(t, children, 8, store)
		assert.Contains(t, d, urn(typEncryption, "telemetry-"+store+"-encryption"), store)
		// The role through its association, which waits for it.
		assert.Contains(t, mocktest.Find(t, eng, typAssociation, "telemetry-"+store).Dependencies, urn(typRole, "telemetry-"+store), store)
		assert.Contains(t, d, urn(typRolePolicy, "telemetry-"+store+"-s3"), store)
		assert.Contains(t, d, urn(typAssociation, "telemetry-"+store), "%s: pods created before the association get no credentials", store)
		assert.Contains(t, d, urn(typNamespace, "telemetry-ns"), store)
	}
	for _, rel := range []string{"loki", "tempo", "otel-agent", "otel-gateway"} {
		d := deps("telemetry-" + rel + "-release")
		for _, np := range netpols {
			assert.Contains(t, d, np, rel)
		}
	}
	assert.Contains(t, deps("telemetry-otel-gateway-release"), urn(typRelease, "telemetry-tempo-release"))
	assert.Contains(t, deps("telemetry-otel-agent-release"), urn(typRelease, "telemetry-loki-release"))
	assert.Contains(t, deps("telemetry-otel-agent-release"), urn(typRelease, "telemetry-otel-gateway-release"))
}

func TestWaitFor(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", bucketArns)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		a := baseArgs()
		a.WaitFor = []pulumi.Resource{k8s}
		_, err = NewPipelines(ctx, "telemetry", a)
		return err
	}))
	k8sURN := mocktest.Find(t, eng, "pulumi:providers:kubernetes", "k8s").URN
	for _, r := range eng.ByType(typRelease) {
		assert.Contains(t, r.Dependencies, k8sURN, r.Name)
	}
}

func TestNamespacePodSecurity(t *testing.T) {
	eng := run(t, baseArgs())
	ns := mocktest.Find(t, eng, typNamespace, "telemetry-ns")
	assert.Equal(t, "telemetry", mocktest.Str(t, ns, "metadata.name"))
	labels := mocktest.Value(t, ns, "metadata.labels").(map[string]any)
	assert.Equal(t, "privileged", labels["pod-security.kubernetes.io/enforce"], "hostPath volumes need privileged")
	assert.Equal(t, "restricted", labels["pod-security.kubernetes.io/warn"])
	assert.Equal(t, "restricted", labels["pod-security.kubernetes.io/audit"])
}

// Each store's bucket is encrypted with the logs key, logs its access, and expires objects a
// margin after the store's own retention.
func TestBuckets(t *testing.T) {
	a := baseArgs()
	a.LogsRetentionDays = 45
	a.TracesRetentionDays = 7
	eng := run(t, a)
	for store, days := range map[string]int{"loki": 45, "tempo": 7} {
		name := "telemetry-" + store
		encRules := mocktest.Value(t, mocktest.Find(t, eng, typEncryption, name+"-encryption"), "rules").([]any)
		require.Len(t, encRules, 1)
		sse := encRules[0].(map[string]any)["applyServerSideEncryptionByDefault"].(map[string]any)
		assert.Equal(t, "aws:kms", sse["sseAlgorithm"], store)
		assert.Equal(t, logsKeyArn, sse["kmsMasterKeyId"], store)

		logging := mocktest.Find(t, eng, typLogging, name+"-logging")
		assert.Equal(t, "novacron-production-logs", mocktest.Str(t, logging, "targetBucket"), store)

		rules := mocktest.Value(t, mocktest.Find(t, eng, typLifecycle, name+"-lifecycle"), "rules").([]any)
		require.Len(t, rules, 1)
		rule := rules[0].(map[string]any)
		assert.Equal(t, float64(days+ObjectExpiryMarginDays), rule["expiration"].(map[string]any)["days"], store)
		assert.Greater(t, rule["expiration"].(map[string]any)["days"], float64(days), "S3 never expires what %s still keeps", store)
		assert.Equal(t, float64(1), rule["noncurrentVersionExpiration"].(map[string]any)["noncurrentDays"], store)
		assert.Nil(t, rule["transitions"], "%s: no transitions", store)

		bucket := mocktest.Find(t, eng, typBucket, name)
		_, forced := bucket.Input("forceDestroy")
		assert.False(t, forced, "%s: forceDestroy only when asked", store)
	}
}

func TestForceDestroy(t *testing.T) {
	a := baseArgs()
	a.ForceDestroy = true
	eng := run(t, a)
	for _, store := range []string{"loki", "tempo"} {
		assert.True(t, mocktest.Bool(t, mocktest.Find(t, eng, typBucket, "telemetry-"+store), "forceDestroy"), store)
	}
}

// The roles can be assumed only through EKS Pod Identity, for sessions of exactly the stores'
// service accounts in this cluster, and allow their own bucket and the logs key through S3,
// nothing else.
func TestRoles(t *testing.T) {
	eng := run(t, baseArgs())
	for _, store := range []string{"loki", "tempo"} {
		role := mocktest.Find(t, eng, typRole, "telemetry-"+store)
		var trust struct {
			Statement []struct {
				Effect    string
				Principal map[string]any
				Action    []string
				Condition map[string]map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, role, "assumeRolePolicy")), &trust))
		require.Len(t, trust.Statement, 1)
		st := trust.Statement[0]
		assert.Equal(t, "Allow", st.Effect)
		assert.Equal(t, map[string]any{"Service": "pods.eks.amazonaws.com"}, st.Principal, store)
		assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:TagSession"}, st.Action, store)
		assert.Equal(t, map[string]map[string]string{"StringEquals": {
			"aws:RequestTag/eks-cluster-name":           clusterName,
			"aws:RequestTag/kubernetes-namespace":       "telemetry",
			"aws:RequestTag/kubernetes-service-account": store,
		}}, st.Condition, store)

		// The association binds the role to the service account the store's chart creates, in
		// the namespace its release installs into.
		assoc := mocktest.Find(t, eng, typAssociation, "telemetry-"+store)
		rel := mocktest.Find(t, eng, typRelease, "telemetry-"+store+"-release")
		values := releaseValues(t, eng, "telemetry-"+store+"-release")
		assert.Equal(t, clusterName, mocktest.Str(t, assoc, "clusterName"), store)
		assert.Equal(t, mocktest.Str(t, rel, "namespace"), mocktest.Str(t, assoc, "namespace"), store)
		assert.Equal(t, dig(t, values, "serviceAccount", "name"), mocktest.Str(t, assoc, "serviceAccount"), store)
		assert.Equal(t, true, dig(t, values, "serviceAccount", "create"), store)
		assert.Equal(t, "arn:aws:iam:us-east-1:123456789012:telemetry-"+store, mocktest.Str(t, assoc, "roleArn"), store)

		policy := mocktest.Find(t, eng, typRolePolicy, "telemetry-"+store+"-s3")
		// The mock names an auto-named bucket after its resource.
		bucket := "arn:aws:s3:::telemetry-" + store
		var doc struct {
			Statement []struct {
				Action    []string
				Resource  any
				Condition map[string]map[string]any
			}
		}
		require.NoError(t, json.Unmarshal([]byte(mocktest.Str(t, policy, "policy")), &doc))
		require.Len(t, doc.Statement, 3)
		assert.Equal(t, bucket, doc.Statement[0].Resource)
		assert.Equal(t, bucket+"/*", doc.Statement[1].Resource)
		assert.Equal(t, logsKeyArn, doc.Statement[2].Resource)
		assert.Equal(t, "s3.us-east-1.amazonaws.com", doc.Statement[2].Condition["StringEquals"]["kms:ViaService"])
		assert.Equal(t, []any{bucket, bucket + "/*"}, doc.Statement[2].Condition["StringLike"]["kms:EncryptionContext:aws:s3:arn"])
		for _, s := range doc.Statement {
			assert.NotEqual(t, "*", s.Resource, "no statement on every resource")
			for _, act := range s.Action {
				assert.NotContains(t, act, "*", "actions are named one by one")
			}
		}
	}
}

func TestStorePolicyDocumentGolden(t *testing.T) {
	doc, err := storeAccess{BucketArn: "arn:aws:s3:::telemetry-loki-abc", KeyArn: logsKeyArn, Region: "eu-west-1"}.document()
	require.NoError(t, err)
	goldenJSON(t, "store-policy.golden.json", doc)
}

func TestOutputsResolve(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", bucketArns)
	got := map[string]string{}
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		p, err := NewPipelines(ctx, "telemetry", baseArgs())
		if err != nil {
			return err
		}
		for name, out := range map[string]pulumi.StringOutput{
			"namespace": p.Namespace, "loki": p.LokiURL, "tempo": p.TempoURL,
			"grpc": p.OtlpGrpcEndpoint, "http": p.OtlpHttpEndpoint,
			"lokiBucket": p.LokiBucketName, "tempoBucket": p.TempoBucketName,
			"lokiRole": p.LokiRoleArn, "tempoRole": p.TempoRoleArn,
		} {
			out.ApplyT(func(v string) string {
				got[name] = v
				return v
			})
		}
		return nil
	}))
	assert.Equal(t, "telemetry", got["namespace"])
	assert.Equal(t, "http://loki.telemetry.svc:3100", got["loki"])
	assert.Equal(t, "http://tempo.telemetry.svc:3200", got["tempo"])
	assert.Equal(t, "http://otel-agent.telemetry.svc:4317", got["grpc"])
	assert.Equal(t, "http://otel-agent.telemetry.svc:4318", got["http"])
	assert.Equal(t, "telemetry-loki", got["lokiBucket"])
	assert.Equal(t, "telemetry-tempo", got["tempoBucket"])
	assert.Contains(t, got["lokiRole"], "telemetry-loki")
	assert.Contains(t, got["tempoRole"], "telemetry-tempo")
}

// The slow-trace threshold must stay below the gateway's decision wait, or slow traces would be
// judged before their root span ends.
func TestSlowThresholdBelowDecisionWait(t *testing.T) {
	for millis, ok := range map[int]bool{1: true, 100: true, 9999: true, 10000: false, 60000: false, -1: false} {
		a := baseArgs()
		a.SlowTraceThresholdMillis = millis
		p := a.Validate()
		if ok {
			assert.Empty(t, p, "%d ms", millis)
			assert.Empty(t, a.withDefaults().collectorSettings().Validate(), "%d ms", millis)
			continue
		}
		require.Len(t, p, 1, "%d ms", millis)
		assert.Equal(t, "slowTraceThresholdMillis", p[0].Field)
	}
}
