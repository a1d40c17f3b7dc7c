package secrets

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/novacron/platform/internal/golden"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	adminRole   = "arn:aws:iam::123456789012:role/platform-admins"
	nodeRole    = "arn:aws:iam::123456789012:role/novacron-nodes"
	ciRole      = "arn:aws:iam::123456789012:role/novacron-ci"
	apiRole     = "arn:aws:iam::123456789012:role/novacron-api"
	rotationFn  = "arn:aws:lambda:us-east-1:123456789012:function:rotate-postgres"
	clusterName = "novacron-production"
	rdsSecret   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-main"

	// The secret values the tests feed in; neither may appear outside a secret.
	configSecretValue = "grafana-admin-from-config-7f3a"
	plainSecretValue  = "slack-webhook-passed-plainly-91c2"

	typKey       = "aws:kms/key:Key"
	typAlias     = "aws:kms/alias:Alias"
	typSecret    = "aws:secretsmanager/secret:Secret"
	typVersion   = "aws:secretsmanager/secretVersion:SecretVersion"
	typRotation  = "aws:secretsmanager/secretRotation:SecretRotation"
	typRole      = "aws:iam/role:Role"
	typPolicy    = "aws:iam/rolePolicy:RolePolicy"
	typNamespace = "kubernetes:core/v1:Namespace"
	typAccount   = "kubernetes:core/v1:ServiceAccount"
	typRelease   = "kubernetes:helm.sh/v3:Release"
	typStore     = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
	typAssoc     = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
)

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
}

type run struct {
	eng     *mock.Engine
	outputs map[string]any
}

// construct runs the component under the mock engine. withProviders passes explicit AWS and
// Kubernetes providers, as the stack does; argsFn builds the arguments inside the program so
// that they can read secret config; a non-nil esoFn installs the External Secrets Operator
// afterwards, with its arguments.
func construct(t *testing.T, withProviders bool, argsFn func(ctx *pulumi.Context) *SecretsArgs,
	esoFn func(ctx *pulumi.Context) *ExternalSecretsArgs) (*run, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	r := &run{eng: eng, outputs: map[string]any{}}
	// Outputs are awaited inside the program: an apply on an already known output may still be
	// running when the program returns.
	keep := func(ctx *pulumi.Context, key string, o pulumi.Output) error {
		res, err := internals.UnsafeAwaitOutput(ctx.Context(), o)
		r.outputs[key] = res.Value
		return err
	}
	err := eng.Run(
		map[string]string{"novacron-platform:grafanaAdminPassword": configSecretValue},
		[]string{"novacron-platform:grafanaAdminPassword"},
		func(ctx *pulumi.Context) error {
			var opts, esoOpts []pulumi.ResourceOption
			if withProviders {
				awsProvider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{})
				if err != nil {
					return err
				}
				k8sProvider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
				if err != nil {
					return err
				}
				opts = append(opts, pulumi.Providers(awsProvider))
				esoOpts = append(esoOpts, pulumi.Providers(k8sProvider))
			}
			s, err := NewSecrets(ctx, "security", argsFn(ctx), opts...)
			if err != nil {
				return err
			}
			if err := keep(ctx, "secretArns", s.SecretArns); err != nil {
				return err
			}
			if err := keep(ctx, "dataKeyArn", s.DataKeyArn); err != nil {
				return err
			}
			if esoFn == nil {
				return nil
			}
			eso, err := s.InstallExternalSecrets(ctx, esoFn(ctx), esoOpts...)
			if err != nil {
				return err
			}
			r.outputs["storeName"] = eso.ClusterSecretStoreName
			return keep(ctx, "roleArn", eso.RoleArn)
		})
	return r, err
}

// plainOccurrences lists where needle appears in a value that is not marked secret.
func plainOccurrences(v resource.PropertyValue, path, needle string) []string {
	switch {
	case v.IsSecret():
		return nil // protected: shown and stored encrypted
	case v.IsString():
		if strings.Contains(v.StringValue(), needle) {
			return []string{path}
		}
	case v.IsArray():
		var out []string
		for _, e := range v.ArrayValue() {
			out = append(out, plainOccurrences(e, path+"[]", needle)...)
		}
		return out
	case v.IsObject():
		var out []string
		for k, e := range v.ObjectValue() {
			out = append(out, plainOccurrences(e, path+"."+string(k), needle)...)
		}
		return out
	case v.IsComputed():
		return plainOccurrences(v.Input().Element, path, needle)
	case v.IsOutput():
		return plainOccurrences(v.OutputValue().Element, path, needle)
	}
	return nil
}

// secretConfig reads a secret config value the way config.RequireSecret does (the pulumi/config
// package itself cannot be built here: its github.com/spf13/cast dependency is not in go.sum).
func secretConfig(ctx *pulumi.Context, key string) pulumi.StringOutput {
	v, ok := ctx.GetConfig(key)
	if !ok {
		panic("missing config " + key)
	}
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
}

func fullArgs(ctx *pulumi.Context) *SecretsArgs {
	return &SecretsArgs{
		KeyAdministratorArns: pulumi.StringArray{pulumi.String(adminRole)},
		DataKeyUserArns:      pulumi.StringArray{pulumi.String(nodeRole), pulumi.String(ciRole), pulumi.String(nodeRole)},
		SecretsKeyUserArns:   pulumi.StringArray{pulumi.String(apiRole)},
		SecretNamePrefix:     "novacron/production/",
		Secrets: []SecretSpec{
			{
				Name:              "api/database",
				Description:       "Database credentials of the API",
				RotationLambdaArn: pulumi.String(rotationFn),
				RotationDays:      7,
			},
			{
				Name:        "grafana/admin",
				Description: "Grafana admin password",
				Value:       secretConfig(ctx, "novacron-platform:grafanaAdminPassword"),
			},
			{
				Name:               "alerting/slack-webhook",
				Value:              pulumi.String(plainSecretValue),
				RecoveryWindowDays: 7,
			},
		},
	}
}

func TestKeysAndSecrets(t *testing.T) {
	r, err := construct(t, false, fullArgs, nil)
	require.NoError(t, err)

	comp := mocktest.Find(t, r.eng, "novacron:security:Secrets", "security")
	for _, res := range r.eng.Resources() {
		if res != comp {
			assert.Equal(t, comp.URN, res.Parent, "%s %s must be a child of the component", res.Type, res.Name)
		}
	}

	for _, purpose := range []string{PurposeData, PurposeLogs, PurposeSecrets} {
		key := mocktest.Find(t, r.eng, typKey, "security-"+purpose)
		assert.True(t, mocktest.Input(t, key, "enableKeyRotation").BoolValue(), purpose)
		assert.Equal(t, float64(365), mocktest.Input(t, key, "rotationPeriodInDays").NumberValue(), purpose)
		assert.Equal(t, float64(30), mocktest.Input(t, key, "deletionWindowInDays").NumberValue(), purpose)
		assertGoldenJSON(t, "key-policy-"+purpose+".json", mocktest.Input(t, key, "policy").StringValue())

		alias := mocktest.Find(t, r.eng, typAlias, "security-"+purpose+"-alias")
		assert.Equal(t, "alias/security/"+purpose, mocktest.Input(t, alias, "name").StringValue())
		assert.Equal(t, "security-"+purpose+"-key-id", mocktest.Input(t, alias, "targetKeyId").StringValue())
	}

	secretsKeyArn := "arn:aws:kms:us-east-1:123456789012:security-secrets"
	secrets := r.eng.ByType(typSecret)
	require.Len(t, secrets, 3)
	for _, s := range secrets {
		assert.Equal(t, secretsKeyArn, mocktest.Input(t, s, "kmsKeyId").StringValue(), "%s is encrypted with the secrets key", s.Name)
		_, hasPolicy := s.Input("policy")
		assert.False(t, hasPolicy)
	}
	db := mocktest.Find(t, r.eng, typSecret, "security-api/database")
	assert.Equal(t, "novacron/production/api/database", mocktest.Input(t, db, "name").StringValue())
	assert.Equal(t, "Database credentials of the API", mocktest.Input(t, db, "description").StringValue())
	assert.Equal(t, float64(30), mocktest.Input(t, db, "recoveryWindowInDays").NumberValue())
	assert.Equal(t, float64(7), mocktest.Input(t, mocktest.Find(t, r.eng, typSecret, "security-alerting/slack-webhook"), "recoveryWindowInDays").NumberValue())

	// A secret without a value is created empty: no version at all.
	assert.Nil(t, r.eng.Find(typVersion, "security-api/database-value"))
	versions := r.eng.ByType(typVersion)
	require.Len(t, versions, 2)
	for name, want := range map[string]string{
		"security-grafana/admin-value":          configSecretValue,
		"security-alerting/slack-webhook-value": plainSecretValue,
	} {
		v := mocktest.Find(t, r.eng, typVersion, name)
		raw := v.Inputs["secretString"]
		require.True(t, raw.IsSecret(), "%s: the value must be stored as a secret", name)
		assert.Equal(t, want, raw.SecretValue().Element.StringValue(), "%s carries the value it was given", name)
		assert.Equal(t, strings.TrimSuffix(name, "-value")+"-id", mocktest.Input(t, v, "secretId").StringValue())
	}

	rotation := mocktest.Find(t, r.eng, typRotation, "security-api/database-rotation")
	assert.Equal(t, rotationFn, mocktest.Input(t, rotation, "rotationLambdaArn").StringValue())
	assert.Equal(t, float64(7), mocktest.Input(t, rotation, "rotationRules.automaticallyAfterDays").NumberValue())
	assert.Len(t, r.eng.ByType(typRotation), 1, "only secrets with a rotation function rotate")

	for _, res := range r.eng.Resources() {
		for _, needle := range []string{configSecretValue, plainSecretValue} {
			assert.Empty(t, plainOccurrences(resource.NewObjectProperty(res.Inputs), res.Type+" "+res.Name, needle),
				"a secret value appears in plain inputs")
		}
	}

	for _, typ := range []string{typRole, typPolicy, typNamespace, typAccount, typRelease, typStore, typAssoc} {
		assert.Empty(t, r.eng.ByType(typ), "no operator before the cluster exists: %s", typ)
	}
	assert.NotContains(t, r.outputs, "roleArn")
	assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:security-data", r.outputs["dataKeyArn"])
	assert.Equal(t, map[string]string{
		"api/database":           "arn:aws:secretsmanager:us-east-1:123456789012:security-api/database",
		"grafana/admin":          "arn:aws:secretsmanager:us-east-1:123456789012:security-grafana/admin",
		"alerting/slack-webhook": "arn:aws:secretsmanager:us-east-1:123456789012:security-alerting/slack-webhook",
	}, r.outputs["secretArns"])
}

func TestProtect(t *testing.T) {
	for _, protect := range []bool{false, true} {
		r, err := construct(t, false, func(ctx *pulumi.Context) *SecretsArgs {
			a := fullArgs(ctx)
			a.Protect = protect
			return a
		}, nil)
		require.NoError(t, err)
		for _, purpose := range []string{PurposeData, PurposeLogs, PurposeSecrets} {
			assert.Equal(t, protect, mocktest.Find(t, r.eng, typKey, "security-"+purpose).Protect, "key %s, Protect %t", purpose, protect)
			assert.False(t, mocktest.Find(t, r.eng, typAlias, "security-"+purpose+"-alias").Protect, "an alias holds no data")
		}
		secrets := r.eng.ByType(typSecret)
		require.Len(t, secrets, 3)
		for _, s := range secrets {
			assert.Equal(t, protect, s.Protect, "secret %s, Protect %t", s.Name, protect)
		}
		for _, typ := range []string{typVersion, typRotation} {
			for _, res := range r.eng.ByType(typ) {
				assert.False(t, res.Protect, "%s %s", typ, res.Name)
			}
		}
	}
}

func TestKeyDefaultsWithoutPrincipals(t *testing.T) {
	r, err := construct(t, false, func(*pulumi.Context) *SecretsArgs {
		return &SecretsArgs{KeyAliasPrefix: "alias/novacron-staging/", KeyRotationPeriodDays: 180, KeyDeletionWindowDays: 7}
	}, nil)
	require.NoError(t, err)
	assert.Empty(t, r.eng.ByType(typSecret))
	for _, purpose := range []string{PurposeData, PurposeLogs, PurposeSecrets} {
		key := mocktest.Find(t, r.eng, typKey, "security-"+purpose)
		assert.Equal(t, float64(180), mocktest.Input(t, key, "rotationPeriodInDays").NumberValue())
		assert.Equal(t, float64(7), mocktest.Input(t, key, "deletionWindowInDays").NumberValue())
		var doc policyDocument
		require.NoError(t, json.Unmarshal([]byte(mocktest.Input(t, key, "policy").StringValue()), &doc))
		var sids []string
		for _, st := range doc.Statement {
			sids = append(sids, st.Sid)
		}
		want := []string{"EnableIamPoliciesForAccount"}
		if purpose == PurposeLogs {
			want = append(want, "CloudWatchLogsOfThisAccount")
		}
		assert.Equal(t, want, sids, "%s: no statements for absent principals", purpose)
		assert.Equal(t, "alias/novacron-staging/"+purpose, mocktest.Input(t, mocktest.Find(t, r.eng, typAlias, "security-"+purpose+"-alias"), "name").StringValue())
	}
}

func TestExternalSecretsOperator(t *testing.T) {
	r, err := construct(t, true, fullArgs, func(*pulumi.Context) *ExternalSecretsArgs {
		return &ExternalSecretsArgs{
			ClusterName:             pulumi.String(clusterName),
			ClusterNameValue:        clusterName,
			ExtraReadableSecretArns: pulumi.StringArray{pulumi.String(rdsSecret)},
		}
	})
	require.NoError(t, err)

	// Installed after the component was built, the operator's resources are still its children:
	// their URNs are those they had when one call created everything.
	comp := mocktest.Find(t, r.eng, "novacron:security:Secrets", "security")
	for _, res := range r.eng.Resources() {
		if res != comp && !strings.HasPrefix(res.Type, "pulumi:providers:") {
			assert.Equal(t, comp.URN, res.Parent, "%s %s must be a child of the component", res.Type, res.Name)
		}
	}
	assert.Equal(t, "urn:pulumi:test::novacron-platform::novacron:security:Secrets$kubernetes:external-secrets.io/v1:ClusterSecretStore::security-cluster-secret-store",
		mocktest.Find(t, r.eng, typStore, "security-cluster-secret-store").URN)

	awsProvider := mocktest.Find(t, r.eng, "pulumi:providers:aws", "aws")
	k8sProvider := mocktest.Find(t, r.eng, "pulumi:providers:kubernetes", "k8s")
	for _, res := range r.eng.Resources() {
		switch {
		case !res.Custom:
		case strings.HasPrefix(res.Type, "aws:"):
			assert.True(t, strings.HasPrefix(res.Provider, awsProvider.URN+"::"), "%s %s uses %q", res.Type, res.Name, res.Provider)
		case strings.HasPrefix(res.Type, "kubernetes:"):
			assert.True(t, strings.HasPrefix(res.Provider, k8sProvider.URN+"::"), "%s %s uses %q", res.Type, res.Name, res.Provider)
		}
	}

	role := mocktest.Find(t, r.eng, typRole, "security-external-secrets")
	trust := mocktest.Input(t, role, "assumeRolePolicy").StringValue()
	assertGoldenJSON(t, "external-secrets-trust-policy.json", trust)
	// Independently of the golden file: Pod Identity only, for sessions carrying this cluster's
	// name and the controller's namespace and service account as tags.
	var trustDoc struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    []string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(trust), &trustDoc))
	require.Len(t, trustDoc.Statement, 1)
	assert.Equal(t, "Allow", trustDoc.Statement[0].Effect)
	assert.Equal(t, map[string]any{"Service": "pods.eks.amazonaws.com"}, trustDoc.Statement[0].Principal)
	assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:TagSession"}, trustDoc.Statement[0].Action)
	assert.Equal(t, map[string]map[string]string{"StringEquals": {
		"aws:RequestTag/eks-cluster-name":           clusterName,
		"aws:RequestTag/kubernetes-namespace":       "external-secrets",
		"aws:RequestTag/kubernetes-service-account": "external-secrets",
	}}, trustDoc.Statement[0].Condition)

	policy := mocktest.Find(t, r.eng, typPolicy, "security-external-secrets-read")
	assert.Equal(t, "security-external-secrets", mocktest.Input(t, policy, "role").StringValue())
	assertGoldenJSON(t, "external-secrets-policy.json", mocktest.Input(t, policy, "policy").StringValue())
	roleArn := "arn:aws:iam:us-east-1:123456789012:security-external-secrets"
	assert.Equal(t, roleArn, r.outputs["roleArn"])
	assert.Len(t, r.eng.ByType(typPolicy), 1, "the read policy is the role's only policy")

	ns := mocktest.Find(t, r.eng, typNamespace, "security-external-secrets")
	assert.Equal(t, map[string]any{
		"name":   "external-secrets",
		"labels": map[string]any{"pod-security.kubernetes.io/enforce": "restricted"},
	}, mocktest.Input(t, ns, "metadata").ObjectValue().Mappable())
	assert.Empty(t, r.eng.ByType(typAccount), "no service account of our own: the chart creates the controller's")

	release := mocktest.Find(t, r.eng, typRelease, "security-external-secrets")
	assert.Equal(t, "external-secrets", mocktest.Input(t, release, "chart").StringValue())
	assert.Equal(t, "2.10.0", mocktest.Input(t, release, "version").StringValue())
	assert.Equal(t, "https://charts.external-secrets.io", mocktest.Input(t, release, "repositoryOpts.repo").StringValue())
	assert.Equal(t, "external-secrets", mocktest.Input(t, release, "namespace").StringValue())
	values := mocktest.Input(t, release, "values").ObjectValue().Mappable()
	assert.Equal(t, map[string]any{
		"installCRDs":    true,
		"serviceAccount": map[string]any{"create": true, "name": "external-secrets"},
	}, values, "the controller's account, named for the association, without a role annotation")

	// The association binds the role to the controller's service account, in the release's
	// namespace; the controller starts only once it and the read policy exist.
	assoc := mocktest.Find(t, r.eng, typAssoc, "security-external-secrets")
	assert.Equal(t, clusterName, mocktest.Input(t, assoc, "clusterName").StringValue())
	assert.Equal(t, mocktest.Input(t, release, "namespace").StringValue(), mocktest.Input(t, assoc, "namespace").StringValue())
	assert.Equal(t, values["serviceAccount"].(map[string]any)["name"], mocktest.Input(t, assoc, "serviceAccount").StringValue())
	assert.Equal(t, roleArn, mocktest.Input(t, assoc, "roleArn").StringValue())
	assert.Contains(t, release.Dependencies, assoc.URN, "pods created before the association get no credentials")
	assert.Contains(t, release.Dependencies, policy.URN)

	store := mocktest.Find(t, r.eng, typStore, "security-cluster-secret-store")
	assert.Equal(t, "external-secrets.io/v1", mocktest.Input(t, store, "apiVersion").StringValue())
	assert.Equal(t, "ClusterSecretStore", mocktest.Input(t, store, "kind").StringValue())
	assert.Equal(t, "aws-secrets-manager", mocktest.Input(t, store, "metadata.name").StringValue())
	// No auth block: the provider uses the controller's Pod Identity credentials.
	assert.Equal(t, map[string]any{"provider": map[string]any{"aws": map[string]any{
		"service": "SecretsManager",
		"region":  "us-east-1",
	}}}, mocktest.Input(t, store, "spec").ObjectValue().Mappable())
	assert.Contains(t, store.Dependencies, release.URN, "the store waits for the CRD and the controller")

	for _, res := range r.eng.Resources() {
		raw, err := json.Marshal(res.Inputs.Mappable())
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "eks.amazonaws.com/role-arn", "%s %s: Pod Identity needs no IRSA annotation", res.Type, res.Name)
		assert.NotContains(t, string(raw), "AssumeRoleWithWebIdentity", "%s %s", res.Type, res.Name)
	}
	assert.Equal(t, "aws-secrets-manager", r.outputs["storeName"])

	for _, res := range r.eng.Resources() {
		for _, needle := range []string{configSecretValue, plainSecretValue} {
			assert.Empty(t, plainOccurrences(resource.NewObjectProperty(res.Inputs), res.Type+" "+res.Name, needle),
				"a secret value appears in plain inputs")
		}
	}
}

// TestPolicySemantics checks what the policies must mean, independently of the golden files.
func TestPolicySemantics(t *testing.T) {
	raw, err := externalSecretsPolicy{
		Region:        "eu-west-1",
		SecretArns:    []string{"arn:b", "arn:a", "arn:b", ""},
		SecretsKeyArn: "arn:key",
	}.document()
	require.NoError(t, err)
	var doc policyDocument
	require.NoError(t, json.Unmarshal([]byte(raw), &doc))
	require.Len(t, doc.Statement, 2)
	var actions []string
	for _, st := range doc.Statement {
		assert.Equal(t, "Allow", st.Effect)
		assert.Nil(t, st.Principal)
		switch a := st.Action.(type) {
		case string:
			actions = append(actions, a)
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
		assert.NotEqual(t, "*", st.Resource, "no wildcard resources")
	}
	assert.ElementsMatch(t, []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "kms:Decrypt"}, actions)
	assert.Equal(t, []any{"arn:a", "arn:b"}, doc.Statement[0].Resource)
	assert.Equal(t, "arn:key", doc.Statement[1].Resource)
	assert.Equal(t, map[string]map[string]any{"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}, doc.Statement[1].Condition)

	// Without declared secrets the operator may still decrypt nothing but through Secrets Manager.
	raw, err = externalSecretsPolicy{Region: "eu-west-1", SecretsKeyArn: "arn:key"}.document()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(raw), &doc))
	require.Len(t, doc.Statement, 1)
	assert.Equal(t, "kms:Decrypt", doc.Statement[0].Action)
}

// TestLogsKeyAdmitsCloudWatchLogs checks the statement log groups need: the regional CloudWatch
// Logs principal, limited to log groups of this account and region by the encryption context.
func TestLogsKeyAdmitsCloudWatchLogs(t *testing.T) {
	raw, err := keyPolicy{Partition: "aws", AccountID: "210987654321", Region: "eu-west-1", Purpose: PurposeLogs}.document()
	require.NoError(t, err)
	var doc policyDocument
	require.NoError(t, json.Unmarshal([]byte(raw), &doc))
	var logs *policyStatement
	for i := range doc.Statement {
		if doc.Statement[i].Sid == "CloudWatchLogsOfThisAccount" {
			logs = &doc.Statement[i]
		}
	}
	require.NotNil(t, logs)
	assert.Equal(t, map[string]any{"Service": "logs.eu-west-1.amazonaws.com"}, logs.Principal)
	assert.Equal(t, map[string]map[string]any{"ArnLike": {
		"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:210987654321:log-group:*",
	}}, logs.Condition)
	assert.ElementsMatch(t, []any{"kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, logs.Action)

	for _, purpose := range []string{PurposeData, PurposeSecrets} {
		raw, err := keyPolicy{Partition: "aws", AccountID: "210987654321", Region: "eu-west-1", Purpose: purpose}.document()
		require.NoError(t, err)
		assert.NotContains(t, raw, "logs.eu-west-1.amazonaws.com", "only the logs key admits CloudWatch Logs")
	}
}

func TestInvalidArgs(t *testing.T) {
	tests := []struct {
		name string
		args SecretsArgs
		want string
	}{
		{"bad alias prefix", SecretsArgs{KeyAliasPrefix: "novacron/"},
			`secrets "security": keyAliasPrefix must start with "alias/" and use letters, digits, /, _ or -, got "novacron/"`},
		{"deletion window too short", SecretsArgs{KeyDeletionWindowDays: 3},
			`secrets "security": keyDeletionWindowDays must be between 7 and 30, got 3`},
		{"rotation period too long", SecretsArgs{KeyRotationPeriodDays: 3000},
			`secrets "security": keyRotationPeriodDays must be between 90 and 2560, got 3000`},
		{"unnamed secret", SecretsArgs{Secrets: []SecretSpec{{Description: "x"}}},
			`secrets "security": secrets[0].name must not be empty`},
		{"duplicate secret", SecretsArgs{Secrets: []SecretSpec{{Name: "a"}, {Name: "a"}}},
			`secrets "security": secrets[1].name must be unique, got "a" twice`},
		{"bad secret name", SecretsArgs{SecretNamePrefix: "novacron production/", Secrets: []SecretSpec{{Name: "a"}}},
			`secrets "security": secrets[0].name must give a secret name of up to 512 letters, digits or /_+=.@- characters, got "novacron production/a"`},
		{"rotation days without function", SecretsArgs{Secrets: []SecretSpec{{Name: "a", RotationDays: 10}}},
			`secrets "security": secrets[0].rotationDays must not be set without rotationLambdaArn, got 10`},
		{"rotation days too long", SecretsArgs{Secrets: []SecretSpec{{Name: "a", RotationLambdaArn: pulumi.String(rotationFn), RotationDays: 2000}}},
			`secrets "security": secrets[0].rotationDays must be between 1 and 1000, got 2000`},
		{"recovery window too short", SecretsArgs{Secrets: []SecretSpec{{Name: "a", RecoveryWindowDays: 3}}},
			`secrets "security": secrets[0].recoveryWindowDays must be between 7 and 30, got 3`},
		{"recovery window with deletion without recovery", SecretsArgs{DeleteSecretsWithoutRecovery: true, Secrets: []SecretSpec{{Name: "a", RecoveryWindowDays: 7}}},
			`secrets "security": secrets[0].recoveryWindowDays must not be set with deleteSecretsWithoutRecovery, got 7`},
		{"deletion without recovery of protected secrets", SecretsArgs{DeleteSecretsWithoutRecovery: true, Protect: true},
			`secrets "security": deleteSecretsWithoutRecovery must not be set with protect`},
		{"bad namespace", SecretsArgs{ExternalSecretsNamespace: "External_Secrets"},
			`secrets "security": externalSecretsNamespace must be a Kubernetes namespace name (RFC 1123 label), got "External_Secrets"`},
		{"bad store name", SecretsArgs{ClusterSecretStoreName: "AWS"},
			`secrets "security": clusterSecretStoreName must be a Kubernetes object name (RFC 1123 subdomain), got "AWS"`},
		{"chart version range", SecretsArgs{ExternalSecretsChartVersion: "^2.10"},
			`secrets "security": externalSecretsChartVersion must be an exact chart version such as "2.10.0", got "^2.10"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			require.Len(t, args.Validate(), 1, "%v", args.Validate())
			r, err := construct(t, true, func(*pulumi.Context) *SecretsArgs { return &args }, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			for _, res := range r.eng.Resources() {
				assert.True(t, strings.HasPrefix(res.Type, "pulumi:providers:"),
					"nothing but the test's providers may be registered, got %s %s", res.Type, res.Name)
			}
		})
	}
}

func TestInvalidExternalSecretsArgs(t *testing.T) {
	tests := []struct {
		name string
		args ExternalSecretsArgs
		want string
	}{
		{"no cluster", ExternalSecretsArgs{ClusterNameValue: clusterName},
			`secrets "security": clusterName must be set: the operator's role is associated with a service account of the cluster`},
		{"no plain cluster name", ExternalSecretsArgs{ClusterName: pulumi.String(clusterName)},
			`secrets "security": clusterNameValue must be an EKS cluster name (the role's trust policy pins it), got ""`},
		{"bad cluster name", ExternalSecretsArgs{ClusterName: pulumi.String(clusterName), ClusterNameValue: "novacron/production"},
			`secrets "security": clusterNameValue must be an EKS cluster name (the role's trust policy pins it), got "novacron/production"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			require.Len(t, args.Validate(), 1, "%v", args.Validate())
			r, err := construct(t, true, fullArgs, func(*pulumi.Context) *ExternalSecretsArgs { return &args })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			for _, typ := range []string{typRole, typPolicy, typNamespace, typAccount, typRelease, typStore, typAssoc} {
				assert.Empty(t, r.eng.ByType(typ), "nothing of the operator is registered: %s", typ)
			}
		})
	}
}

// TestDeleteSecretsWithoutRecovery checks that a disposable stack's secrets are deleted at once:
// a secret scheduled for deletion keeps its name, and creating the stack again would fail.
func TestDeleteSecretsWithoutRecovery(t *testing.T) {
	for _, del := range []bool{false, true} {
		r, err := construct(t, false, func(ctx *pulumi.Context) *SecretsArgs {
			a := fullArgs(ctx)
			a.DeleteSecretsWithoutRecovery = del
			if del {
				for i := range a.Secrets {
					a.Secrets[i].RecoveryWindowDays = 0
				}
			}
			return a
		}, nil)
		require.NoError(t, err)
		secrets := r.eng.ByType(typSecret)
		require.Len(t, secrets, 3)
		for _, s := range secrets {
			window := mocktest.Input(t, s, "recoveryWindowInDays").NumberValue()
			if del {
				assert.Equal(t, float64(0), window, "%s is deleted without recovery", s.Name)
			} else {
				assert.GreaterOrEqual(t, window, float64(7), "%s keeps a recovery window", s.Name)
			}
		}
	}
}

// TestGoldenFilesHoldNoSecretValues makes sure no golden document captured a secret value.
func TestGoldenFilesHoldNoSecretValues(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, needle := range []string{configSecretValue, plainSecretValue} {
			assert.NotContains(t, string(raw), needle, f)
		}
	}
}
