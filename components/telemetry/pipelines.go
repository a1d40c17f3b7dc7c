package telemetry

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	netv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/components/storage"
	"github.com/novacron/platform/internal/helmvalues"
	"github.com/novacron/platform/internal/netpolicy"
	"github.com/novacron/platform/internal/podidentity"
)

// releaseTimeoutSeconds covers pulling images on every node of a freshly scaled pool and binding
// the stores' volumes.
const releaseTimeoutSeconds = 600

// Pipelines is the log and trace pipeline component.
type Pipelines struct {
	pulumi.ResourceState

	// Namespace holds the pipelines.
	Namespace pulumi.StringOutput
	// LokiURL is Loki's in-cluster query URL (Grafana's logs data source).
	LokiURL pulumi.StringOutput
	// TempoURL is Tempo's in-cluster query URL (Grafana's traces data source).
	TempoURL pulumi.StringOutput
	// OtlpGrpcEndpoint is where applications send OTLP over gRPC (http://host:port of the agent
	// Service).
	OtlpGrpcEndpoint pulumi.StringOutput
	// OtlpHttpEndpoint is where applications send OTLP over HTTP (http://host:port of the
	// agent Service).
	OtlpHttpEndpoint pulumi.StringOutput
	// LokiBucketName and TempoBucketName are the stores' buckets.
	LokiBucketName  pulumi.StringOutput
	TempoBucketName pulumi.StringOutput
	// LokiRoleArn and TempoRoleArn are the stores' Pod Identity roles.
	LokiRoleArn  pulumi.StringOutput
	TempoRoleArn pulumi.StringOutput
}

// store is one of Loki and Tempo with the AWS resources it needs.
type store struct {
	bucket *storage.Bucket
	role   *podidentity.Role
	policy *iam.RolePolicy
}

// NewPipelines creates the namespace, the NetworkPolicies, the Loki and Tempo buckets, their Pod
// Identity roles and associations, and the four Helm releases (Loki, Tempo, the collector agent and gateway). AWS
// resources use the AWS provider and the in-cluster ones the Kubernetes provider passed in opts
// (pulumi.Providers).
func NewPipelines(ctx *pulumi.Context, name string, args *PipelinesArgs, opts ...pulumi.ResourceOption) (*Pipelines, error) {
	if err := args.Validate().Err("telemetry", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	// The collector settings derive from validated arguments; their own check is a safety net.
	if err := a.collectorSettings().Validate().Err("telemetry", name); err != nil {
		return nil, err
	}
	policies, err := NetworkPolicies(a)
	if err != nil {
		return nil, err
	}
	policyArgsList := make([]*netv1.NetworkPolicyArgs, len(policies))
	for i, p := range policies {
		if policyArgsList[i], err = netpolicy.Args(p); err != nil {
			return nil, fmt.Errorf("telemetry %q: networkPolicy %s: %w", name, p.Name, err)
		}
	}
	agent, gateway := agentValues(a), gatewayValues(a)
	for _, c := range []struct {
		release string
		values  map[string]any
	}{{AgentName, agent}, {GatewayName, gateway}} {
		// An empty alternateConfig makes the chart fall back to its default configuration.
		if cfg, _ := c.values["alternateConfig"].(map[string]any); len(cfg) == 0 {
			return nil, fmt.Errorf("telemetry %q: the %s collector configuration is empty", name, c.release)
		}
	}

	t := &Pipelines{}
	if err := ctx.RegisterComponentResource("novacron:telemetry:Pipelines", name, t, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(t)

	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(a.Namespace),
			Labels: pulumi.StringMap{
				// The agent mounts host directories (the node's log files), which Pod Security
				// "baseline" refuses; the namespace enforces "privileged" so the agent can run,
				// and warns and audits against "restricted", which Loki, Tempo and the gateway
				// meet, so that any drift there shows.
				"pod-security.kubernetes.io/enforce": pulumi.String("privileged"),
				"pod-security.kubernetes.io/warn":    pulumi.String("restricted"),
				"pod-security.kubernetes.io/audit":   pulumi.String("restricted"),
				"app.kubernetes.io/part-of":          pulumi.String("novacron"),
			},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()

	// Policies first: nothing of the pipeline runs unconfined even for a moment.
	afterNamespace := pulumi.DependsOn([]pulumi.Resource{ns})
	var netpols []pulumi.Resource
	for i, p := range policies {
		np, err := netv1.NewNetworkPolicy(ctx, name+"-"+p.Name, policyArgsList[i], parent, afterNamespace)
		if err != nil {
			return nil, err
		}
		netpols = append(netpols, np)
	}

	loki, err := newStore(ctx, t, name+"-loki", a, lokiServiceAccount, a.LogsRetentionDays)
	if err != nil {
		return nil, err
	}
	tempo, err := newStore(ctx, t, name+"-tempo", a, tempoServiceAccount, a.TracesRetentionDays)
	if err != nil {
		return nil, err
	}

	release := func(suffix, releaseName, chart, repo, version string, values map[string]any,
		deps []pulumi.Resource) (*helmv3.Release, error) {
		deps = append(append(deps, netpols...), a.WaitFor...)
		return helmv3.NewRelease(ctx, name+"-"+suffix, &helmv3.ReleaseArgs{
			Name:           pulumi.String(releaseName),
			Chart:          pulumi.String(chart),
			Version:        pulumi.String(version),
			RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(repo)},
			Namespace:      nsName,
			Values:         helmvalues.ToInput(values).(pulumi.Map),
			Timeout:        pulumi.Int(releaseTimeoutSeconds),
			CleanupOnFail:  pulumi.Bool(true),
		}, parent, pulumi.DependsOn(deps))
	}

	lokiRelease, err := release("loki-release", LokiName, lokiChart, a.LokiChartRepository, a.LokiChartVersion,
		lokiValues(a, loki.bucket.BucketName), loki.dependencies())
	if err != nil {
		return nil, err
	}
	tempoConf := tempo.bucket.BucketName.ApplyT(func(bucket string) (string, error) {
		return tempoConfigYAML(a, bucket)
	}).(pulumi.StringOutput)
	tempoRelease, err := release("tempo-release", TempoName, tempoChart, a.TempoChartRepository, a.TempoChartVersion,
		tempoValues(a, tempoConf), tempo.dependencies())
	if err != nil {
		return nil, err
	}
	// The gateway exports to Tempo and the agents to Loki and the gateway: each waits for what
	// it sends to, so that a first install does not start with export errors.
	gatewayRelease, err := release("otel-gateway-release", GatewayName, collectorChart, a.CollectorChartRepository,
		a.CollectorChartVersion, gateway, []pulumi.Resource{tempoRelease})
	if err != nil {
		return nil, err
	}
	if _, err := release("otel-agent-release", AgentName, collectorChart, a.CollectorChartRepository,
		a.CollectorChartVersion, agent, []pulumi.Resource{lokiRelease, gatewayRelease}); err != nil {
		return nil, err
	}

	t.Namespace = nsName
	t.LokiURL = pulumi.String(LokiURL(a.Namespace)).ToStringOutput()
	t.TempoURL = pulumi.String(TempoURL(a.Namespace)).ToStringOutput()
	t.OtlpGrpcEndpoint = pulumi.String(OtlpGrpcEndpoint(a.Namespace)).ToStringOutput()
	t.OtlpHttpEndpoint = pulumi.String(OtlpHTTPEndpoint(a.Namespace)).ToStringOutput()
	t.LokiBucketName = loki.bucket.BucketName
	t.TempoBucketName = tempo.bucket.BucketName
	t.LokiRoleArn = loki.role.Role.Arn
	t.TempoRoleArn = tempo.role.Role.Arn
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{
		"namespace":        t.Namespace,
		"lokiUrl":          t.LokiURL,
		"tempoUrl":         t.TempoURL,
		"otlpGrpcEndpoint": t.OtlpGrpcEndpoint,
		"otlpHttpEndpoint": t.OtlpHttpEndpoint,
		"lokiBucketName":   t.LokiBucketName,
		"tempoBucketName":  t.TempoBucketName,
		"lokiRoleArn":      t.LokiRoleArn,
		"tempoRoleArn":     t.TempoRoleArn,
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// newStore creates a store's bucket, and its role with the policy for that bucket and the logs
// key, associated through EKS Pod Identity with the store's service account. Loki 3.7.6
// (aws-sdk-go-v2 default chain, pkg/storage/chunk/client/aws/s3_storage_client.go) and Tempo
// 2.10.8 (minio-go v7.1.0, whose IAM provider reads AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, grafana/tempo#3899) both use the credentials the
// Pod Identity webhook points their pods at.
func newStore(ctx *pulumi.Context, t *Pipelines, name string, a *PipelinesArgs,
	serviceAccount string, retentionDays int) (*store, error) {
	parent := pulumi.Parent(t)
	bucket, err := storage.NewBucket(ctx, name, &storage.BucketArgs{
		KmsKeyArn:        a.LogsKmsKeyArn,
		AccessLogsBucket: a.AccessLogsBucket,
		// The stores read their newest data most; nothing lives long enough for Standard-IA
		// (30-day minimum) to pay off at the default retentions.
		DisableTransitions: true,
		ExpireAfterDays:    retentionDays + ObjectExpiryMarginDays,
		// Objects the stores delete become noncurrent versions: keep them one day, not the
		// default 90, or deleted logs would stay stored (and billed) for months.
		NoncurrentVersionExpiryDays: 1,
		ForceDestroy:                a.ForceDestroy,
	}, parent)
	if err != nil {
		return nil, err
	}
	// The role keeps its name, so the move from IRSA updates its trust policy in place; the
	// inline policy is created here, under the name it has always had, rather than by NewRole.
	role, err := podidentity.NewRole(ctx, name, podidentity.Binding{
		ClusterName:      a.ClusterName,
		ClusterNameValue: a.ClusterNameValue,
		Namespace:        a.Namespace,
		ServiceAccount:   serviceAccount,
	}, nil, nil, parent)
	if err != nil {
		return nil, err
	}
	document := pulumi.All(bucket.BucketArn, a.LogsKmsKeyArn).ApplyT(func(v []any) (string, error) {
		return storeAccess{BucketArn: v[0].(string), KeyArn: v[1].(string), Region: a.Region}.document()
	}).(pulumi.StringOutput)
	policy, err := iam.NewRolePolicy(ctx, name+"-s3", &iam.RolePolicyArgs{
		Role:   role.Role.Name,
		Policy: document,
	}, parent)
	if err != nil {
		return nil, err
	}
	return &store{bucket: bucket, role: role, policy: policy}, nil
}

// dependencies are what a store's release waits for: its role policy and Pod Identity
// association (the webhook gives credentials only to pods created after the association
// exists), and every resource of its bucket, the encryption configuration above all, so that no
// object is ever written under S3's default key instead of the logs key. The bucket's resources
// are listed one by one: pulumi.DependsOn on the component would only cover the children
// attached to it when the release registers, and children attach asynchronously (sdk v3.274.1
// go/pulumi/context.go, getOpts; rpc.go, addDependency).
func (s *store) dependencies() []pulumi.Resource {
	deps := append([]pulumi.Resource{s.policy}, s.role.Ready...)
	return append(deps, s.bucket.Resources...)
}

func millis(n int) time.Duration { return time.Duration(n) * time.Millisecond }
