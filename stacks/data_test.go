package stacks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

// TestBackupSelectionStaysInTheStack runs both stacks as if they shared an account: each
// selection takes RDS and the stack's own data buckets, and only resources tagged backup=true
// and with the stack's environment. A selection on backup=true alone (as before) is
// account-wide: staging and production would back up each other's databases and buckets, and
// production's vault lock would pin staging's recovery points.
func TestBackupSelectionStaysInTheStack(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			sel := mocktest.Find(t, eng, "aws:backup/selection:Selection", "backup-tagged")

			_, hasTags := sel.Input("selectionTags")
			assert.False(t, hasTags, "AWS Backup ORs selectionTags with resources: the selection would be account-wide")

			var conditions []any
			v, ok := sel.Input("conditions")
			require.True(t, ok, "the tags are required as conditions")
			for _, c := range v.ArrayValue() {
				conditions = append(conditions, c.ObjectValue().Mappable())
			}
			assert.Equal(t, []any{map[string]any{"stringEquals": []any{
				map[string]any{"key": "aws:ResourceTag/backup", "value": "true"},
				map[string]any{"key": "aws:ResourceTag/Environment", "value": stack},
			}}}, conditions)

			// The Environment condition matches what the provider's default tags put on every
			// resource of this stack.
			provider := mocktest.Find(t, eng, "pulumi:providers:aws", "aws")
			assert.Equal(t, stack, mocktest.Str(t, provider, "defaultTags.tags.Environment"))

			arn := func(name string) string { return "arn:aws:s3:" + mock.Region + ":" + mock.AccountID + ":" + name }
			assert.Equal(t, []string{
				"arn:aws:rds:" + mock.Region + ":" + mock.AccountID + ":db:*",
				"arn:aws:rds:" + mock.Region + ":" + mock.AccountID + ":cluster:*",
				arn("artifacts"), arn("backups"),
			}, mocktest.Strs(t, sel, "resources"), "the databases and the data buckets, not the access-log bucket")
		})
	}
}

// TestLogsKeyEncryptsTheLogGroups checks that the logs key is used by every log group the
// program creates (VPC flow logs, EKS control plane, RDS), which therefore wait for it.
func TestLogsKeyEncryptsTheLogGroups(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			key := mocktest.Find(t, eng, "aws:kms/key:Key", "secrets-logs")
			keyArn := "arn:aws:kms:" + mock.Region + ":" + mock.AccountID + ":secrets-logs"

			groups := eng.ByType("aws:cloudwatch/logGroup:LogGroup")
			var names []string
			for _, g := range groups {
				name := mocktest.Str(t, g, "name")
				names = append(names, name)
				assert.Equal(t, keyArn, mocktest.Str(t, g, "kmsKeyId"), "%s is encrypted with the logs key", name)
				assert.Contains(t, g.Dependencies, key.URN, "%s waits for the logs key", name)
			}
			assert.Contains(t, names, "/novacron/"+stack+"/vpc/network/flow-logs")
			assert.Contains(t, names, "/aws/eks/novacron-"+stack+"/cluster")
			rds := 0
			for _, n := range names {
				if strings.HasPrefix(n, "/aws/rds/") {
					rds++
				}
			}
			assert.Positive(t, rds, "the database's log groups")

			// CloudWatch Logs may use the key in this region (its key policy).
			policy := mocktest.Str(t, key, "policy")
			assert.Contains(t, policy, `"Service":"logs.`+mock.Region+`.amazonaws.com"`)
			assert.Contains(t, policy, `"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:`+mock.Region+":"+mock.AccountID+`:log-group:*"`)
		})
	}
}

// TestExternalSecretsKeepTheirPlace checks that the operator, installed after the cluster,
// still lives in the secrets component (its resources keep their URNs), gets its role through
// a Pod Identity association of that component, and talks to the cluster through the
// cluster's provider.
func TestExternalSecretsKeepTheirPlace(t *testing.T) {
	eng := runStack(t, "production")
	comp := mocktest.Find(t, eng, "novacron:security:Secrets", "secrets")
	for _, typ := range []string{
		"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "kubernetes:core/v1:Namespace",
		"kubernetes:helm.sh/v3:Release", "aws:eks/podIdentityAssociation:PodIdentityAssociation",
	} {
		var found *mock.Resource
		for _, r := range eng.ByType(typ) {
			if strings.HasPrefix(r.Name, "secrets-external-secrets") || r.Name == "secrets-secrets-manager-reader" {
				found = r
			}
		}
		require.NotNil(t, found, typ)
		assert.Equal(t, comp.URN, found.Parent, "%s %s", typ, found.Name)
	}
	store := mocktest.Find(t, eng, "kubernetes:external-secrets.io/v1:ClusterSecretStore", "secrets-cluster-secret-store")
	assert.Equal(t, comp.URN, store.Parent)
	assert.Equal(t, "urn:pulumi:production::"+Project+"::novacron:security:Secrets$kubernetes:external-secrets.io/v1:ClusterSecretStore::secrets-cluster-secret-store", store.URN)
	assert.NotEmpty(t, store.ProviderURN(), "the store uses the cluster's Kubernetes provider")
}

// TestDisposableStacks checks that a stack with protectData=false can be destroyed and created
// again: nothing it deletes keeps a name for later (secrets scheduled for deletion), and nothing
// refuses deletion because it holds data (repositories with images, buckets with objects, a vault
// with recovery points). Production keeps all of its guards.
func TestDisposableStacks(t *testing.T) {
	for stack, disposable := range map[string]bool{"staging": true, "production": false} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			flag := func(r *mock.Resource, key string) bool {
				v, ok := r.Input(key)
				return ok && v.IsBool() && v.BoolValue()
			}
			secrets := eng.ByType("aws:secretsmanager/secret:Secret")
			require.NotEmpty(t, secrets)
			for _, s := range secrets {
				window := mocktest.Num(t, s, "recoveryWindowInDays")
				if disposable {
					assert.Equal(t, 0.0, window, "%s is deleted without recovery", s.Name)
				} else {
					assert.Equal(t, 30.0, window, "%s keeps its recovery window", s.Name)
				}
				assert.Equal(t, !disposable, s.Protect, s.Name)
			}
			repos := eng.ByType("aws:ecr/repository:Repository")
			require.NotEmpty(t, repos)
			for _, r := range repos {
				assert.Equal(t, disposable, flag(r, "forceDelete"), r.Name)
			}
			buckets := eng.ByType("aws:s3/bucketV2:BucketV2")
			require.Len(t, buckets, 5, "artifacts, backups, logs, and the Loki and Tempo stores")
			for _, b := range buckets {
				assert.Equal(t, disposable, flag(b, "forceDestroy"), b.Name)
			}
			vault := mocktest.Find(t, eng, "aws:backup/vault:Vault", "backup")
			assert.Equal(t, disposable, flag(vault, "forceDestroy"))
		})
	}
}
