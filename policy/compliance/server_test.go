package compliance

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/novacron/platform/internal/mock"
)

var (
	serverOnce sync.Once
	serverPort string
	serverErr  error
)

// analyzer serves the pack exactly as policy/main.go does (policyx.Main) and connects to it over
// gRPC. policyx.Main announces its port on stdout, which is captured while it starts.
func analyzer(t *testing.T) pulumirpc.AnalyzerClient {
	t.Helper()
	serverOnce.Do(func() {
		r, w, err := os.Pipe()
		if err != nil {
			serverErr = err
			return
		}
		stdout := os.Stdout
		os.Stdout = w
		go func() { _ = policyx.Main(NewPack) }()
		line, err := bufio.NewReader(r).ReadString('\n')
		os.Stdout = stdout
		serverPort, serverErr = strings.TrimSpace(line), err
	})
	require.NoError(t, serverErr)
	conn, err := grpc.NewClient("127.0.0.1:"+serverPort, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return pulumirpc.NewAnalyzerClient(conn)
}

func marshal(t *testing.T, props resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(props, plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true,
	})
	require.NoError(t, err)
	return s
}

// engineSession drives one analysis the way the engine does for `pulumi preview --policy-pack`:
// handshake, ConfigureStack, GetAnalyzerInfo, Configure, Analyze per resource, AnalyzeStack.
// It returns the diagnostics as "policy|urn|level|message".
func engineSession(t *testing.T, client pulumirpc.AnalyzerClient, stack string, cfg Config, records []*mock.Resource) []string {
	t.Helper()
	ctx := t.Context()
	dir := "."
	_, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{RootDirectory: &dir, ProgramDirectory: &dir})
	require.NoError(t, err)
	_, err = client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: stack, Project: fixtureProject, DryRun: true})
	require.NoError(t, err)

	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, PackName, info.GetName())
	assert.Equal(t, PackVersion, info.GetVersion())
	require.Len(t, info.GetPolicies(), len(Policies()))

	// The engine sends every policy its level (from the pack, overridden by the config file) and
	// its properties (schema defaults overlaid with the file's values).
	settings, err := json.Marshal(cfg)
	require.NoError(t, err)
	var settingsMap map[string]any
	require.NoError(t, json.Unmarshal(settings, &settingsMap))
	settingsStruct, err := structpb.NewStruct(settingsMap)
	require.NoError(t, err)
	pc := map[string]*pulumirpc.PolicyConfig{}
	for i, p := range info.GetPolicies() {
		ours := Policies()[i]
		require.Equal(t, ours.Name, p.GetName(), "policy order")
		assert.Equal(t, ours.Description, p.GetDescription())
		assert.Equal(t, pulumirpc.EnforcementLevel(ours.Level.policyx()), p.GetEnforcementLevel(), p.GetName())
		c := &pulumirpc.PolicyConfig{EnforcementLevel: pulumirpc.EnforcementLevel(cfg.level(ours).policyx())}
		if p.GetName() == SettingsPolicyName {
			require.NotNil(t, p.GetConfigSchema())
			assert.Contains(t, p.GetConfigSchema().GetProperties().AsMap(), "requiredTags")
			c.Properties = settingsStruct
		}
		pc[p.GetName()] = c
	}
	_, err = client.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: pc})
	require.NoError(t, err)

	byURN := map[string]*mock.Resource{}
	for _, r := range records {
		byURN[r.URN] = r
	}
	provider := func(r *mock.Resource) *pulumirpc.AnalyzerProviderResource {
		if r.Provider == "" {
			return nil
		}
		p := byURN[r.Provider[:strings.LastIndex(r.Provider, "::")]]
		return &pulumirpc.AnalyzerProviderResource{Type: p.Type, Urn: p.URN, Name: p.Name, Properties: marshal(t, p.Inputs)}
	}

	var diags []*pulumirpc.AnalyzeDiagnostic
	var stackResources []*pulumirpc.AnalyzerResource
	for _, r := range records {
		resp, err := client.Analyze(ctx, &pulumirpc.AnalyzeRequest{
			Type: r.Type, Urn: r.URN, Name: r.Name, Properties: marshal(t, r.Inputs),
			Options: &pulumirpc.AnalyzerResourceOptions{Parent: r.Parent}, Provider: provider(r),
		})
		require.NoError(t, err)
		diags = append(diags, resp.GetDiagnostics()...)
		stackResources = append(stackResources, &pulumirpc.AnalyzerResource{
			Type: r.Type, Urn: r.URN, Name: r.Name, Properties: marshal(t, r.Inputs),
			Options: &pulumirpc.AnalyzerResourceOptions{Parent: r.Parent}, Provider: provider(r),
			Parent: r.Parent, Dependencies: r.Dependencies,
		})
	}
	resp, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: stackResources})
	require.NoError(t, err)
	diags = append(diags, resp.GetDiagnostics()...)

	out := []string{}
	for _, d := range diags {
		assert.Equal(t, PackName, d.GetPolicyPackName())
		out = append(out, d.GetPolicyName()+"|"+d.GetUrn()+"|"+d.GetEnforcementLevel().String()+"|"+d.GetMessage())
	}
	return out
}

func offline(rep Report) []string {
	out := []string{}
	for _, v := range rep.Violations {
		out = append(out, v.Policy+"|"+v.URN+"|"+pulumirpc.EnforcementLevel(v.Level.policyx()).String()+"|"+v.EngineMessage())
	}
	return out
}

// The gRPC path (policyx server, property marshalling, provider references, unknowns, secrets)
// reports exactly the violations the offline evaluator reports.
func TestAnalyzerServerMatchesOfflineEvaluation(t *testing.T) {
	client := analyzer(t)

	broken := platform("production", map[string]func(map[string]any) map[string]any{
		"db":      func(p map[string]any) map[string]any { return set(p, "storageEncrypted", false) },
		"cluster": func(p map[string]any) map[string]any { return set(p, "publicAccessCidrs", []any{"0.0.0.0/0"}) },
		"ml-pool": func(p map[string]any) map[string]any { return set(p, "spec.template.spec.taints", del) },
		// Judged by the production policy in production and by its advisory twin elsewhere.
		"general-class": func(p map[string]any) map[string]any {
			return set(p, "spec.amiSelectorTerms", []any{map[string]any{"alias": "al2023@latest"}})
		},
	})
	// Through the wire too: an unknown value (no violation), a secret in Helm values (allowed),
	// a plain-text one (violation), a stack-wide finding (no URN) and an advisory one.
	extra := using(broken[0],
		res(tKMSKey, "late", map[string]any{"enableKeyRotation": unknownValue}),
		res(tSecret, "slack-webhook", map[string]any{"kmsKeyId": keyArn}),
	)[1:]
	extra = append(extra,
		release("tools", "oci://registry.example.org/charts/tools", "1.2.3", map[string]any{
			"grafana":  map[string]any{"adminPassword": secret("from-config")},
			"webhooks": map[string]any{"slackToken": "xoxb-1234-abcd"},
		}),
	)
	records := append(broken, extra...)

	tests := []struct {
		name  string
		stack string
		cfg   func() Config
	}{
		{"production, one chart missing", "production", func() Config {
			c, err := LoadConfigFile("../config.production.json")
			require.NoError(t, err)
			c.RequiredHelmCharts = append(c.RequiredHelmCharts, "aws-load-balancer-controller")
			return c
		}},
		{"staging, everything advisory", "staging", func() Config {
			c, err := LoadConfigFile("../config.staging.json")
			require.NoError(t, err)
			c.Levels = map[string]Level{"all": Advisory}
			return c
		}},
		{"invalid settings", "production", func() Config {
			c := DefaultConfig()
			c.ApplicationNamespaces = []string{"payments"}
			c.ProductionStackPattern = "("
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg()
			want := offline(Evaluate(records, tt.stack, cfg))
			got := engineSession(t, client, tt.stack, cfg, records)
			assert.ElementsMatch(t, want, got)
			assert.GreaterOrEqual(t, len(got), 5)
			if strings.HasPrefix(tt.name, "production") {
				assert.Contains(t, got, "k8s-runtime-monitoring-installed||MANDATORY|"+
					PolicyByName("k8s-runtime-monitoring-installed").Description+"\nno Helm release installs the aws-load-balancer-controller chart")
			}
			// The unpinned AMI is reported once, by the policy for this kind of stack.
			twin := "eks-nodeclass-ami-pinned"
			if tt.stack == "production" {
				twin += "-production"
			}
			var pins []string
			for _, v := range got {
				if strings.HasPrefix(v, "eks-nodeclass-ami-pinned") {
					pins = append(pins, strings.SplitN(v, "|", 2)[0])
				}
			}
			assert.Equal(t, []string{twin}, pins)
		})
	}
}

// The shape the real engine shows for pulumi-eks: eks:index:Cluster without properties beside its
// aws:eks/cluster:Cluster child. Through the analyzer server the empty component raises nothing,
// and a problem of the child is still reported, on the child.
func TestAnalyzerServerSkipsEmptyEKSComponent(t *testing.T) {
	client := analyzer(t)
	cfg := DefaultConfig()
	records := []*mock.Resource{
		component(tEKSComponent, "cluster", map[string]any{}),
		res(tEKSCluster, "cluster-eksCluster", set(awsClusterOK, "enabledClusterLogTypes", []any{"api"})),
	}
	got := engineSession(t, client, "staging", cfg, records)
	assert.ElementsMatch(t, offline(Evaluate(records, "staging", cfg)), got)
	eksPolicies := []string{"eks-endpoint-access", "eks-secrets-encryption", "eks-control-plane-logging", "eks-supported-version"}
	var eks []string
	for _, d := range got {
		policy, rest, _ := strings.Cut(d, "|")
		if slices.Contains(eksPolicies, policy) {
			eks = append(eks, policy+"|"+strings.SplitN(rest, "|", 2)[0])
		}
	}
	assert.Equal(t, []string{"eks-control-plane-logging|" + urnOf(tEKSCluster, "cluster-eksCluster")}, eks)
}
