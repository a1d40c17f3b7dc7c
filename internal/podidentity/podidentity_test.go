package podidentity

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

// trustStatement is one statement of a trust policy, decoded the way IAM reads it.
type trustStatement struct {
	Sid       string
	Effect    string
	Principal map[string]any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func parseTrust(t *testing.T, raw string) []trustStatement {
	t.Helper()
	var doc struct {
		Version   string
		Statement []trustStatement
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &doc), raw)
	assert.Equal(t, "2012-10-17", doc.Version)
	return doc.Statement
}

// The trust policy admits the EKS Pod Identity principal with both actions it needs, and only for
// sessions tagged with this cluster, namespace and service account (EKS User Guide, "Learn how
// EKS Pod Identity grants pods access to AWS services": the trust relationship and the list of
// session tags added by EKS Pod Identity).
func TestTrustPolicy(t *testing.T) {
	raw, err := TrustPolicy("novacron-production", "kube-system", "karpenter").Render()
	require.NoError(t, err)
	statements := parseTrust(t, raw)
	require.Len(t, statements, 1)
	st := statements[0]
	assert.Equal(t, "Allow", st.Effect)
	assert.Equal(t, map[string]any{"Service": "pods.eks.amazonaws.com"}, st.Principal)
	assert.ElementsMatch(t, []any{"sts:AssumeRole", "sts:TagSession"}, st.Action,
		"Pod Identity tags every session, so TagSession is needed besides AssumeRole")
	assert.Nil(t, st.Resource, "a trust policy names no resource")
	assert.Equal(t, map[string]map[string]any{"StringEquals": {
		"aws:RequestTag/eks-cluster-name":           "novacron-production",
		"aws:RequestTag/kubernetes-namespace":       "kube-system",
		"aws:RequestTag/kubernetes-service-account": "karpenter",
	}}, st.Condition, "exactly the three request-tag conditions, nothing weaker")
}

// Each part of the binding lands in its own condition: two service accounts, namespaces or
// clusters never share a trust policy.
func TestTrustPolicyDiffersPerBinding(t *testing.T) {
	base, err := TrustPolicy("c1", "ns", "sa").Render()
	require.NoError(t, err)
	for name, other := range map[string][3]string{
		"cluster":         {"c2", "ns", "sa"},
		"namespace":       {"c1", "other", "sa"},
		"service account": {"c1", "ns", "other"},
	} {
		raw, err := TrustPolicy(other[0], other[1], other[2]).Render()
		require.NoError(t, err)
		assert.NotEqual(t, base, raw, name)
	}
}

func runRole(t *testing.T, inline pulumi.StringInput, managed []string) (*mock.Engine, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		role, err := NewRole(ctx, "telemetry-loki", Binding{
			ClusterName:      pulumi.String("novacron-test").ToStringOutput(),
			ClusterNameValue: "novacron-test",
			Namespace:        "monitoring",
			ServiceAccount:   "loki",
		}, inline, managed)
		if err != nil {
			return err
		}
		// Ready holds what a workload waits for: every policy and the association.
		want := len(managed) + 1
		if inline != nil {
			want++
		}
		assert.Len(t, role.Ready, want)
		return nil
	})
	return eng, err
}

func TestNewRole(t *testing.T) {
	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`
	eng, err := runRole(t, pulumi.String(inline), []string{
		"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
		"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
	})
	require.NoError(t, err)

	role := mocktest.Find(t, eng, "aws:iam/role:Role", "telemetry-loki")
	want, err := TrustPolicy("novacron-test", "monitoring", "loki").Render()
	require.NoError(t, err)
	assert.JSONEq(t, want, mocktest.Str(t, role, "assumeRolePolicy"))
	statements := parseTrust(t, mocktest.Str(t, role, "assumeRolePolicy"))
	require.Len(t, statements, 1)
	assert.Equal(t, "loki", statements[0].Condition["StringEquals"]["aws:RequestTag/kubernetes-service-account"])

	policy := mocktest.Find(t, eng, "aws:iam/rolePolicy:RolePolicy", "telemetry-loki")
	assert.JSONEq(t, inline, mocktest.Str(t, policy, "policy"))
	assert.Equal(t, "telemetry-loki", mocktest.Str(t, policy, "role"))
	assert.Contains(t, policy.PropertyDependencies["role"], role.URN, "the inline policy is the role's")

	attachments := map[string]string{}
	for _, att := range eng.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		attachments[att.Name] = mocktest.Str(t, att, "policyArn")
		assert.Contains(t, att.PropertyDependencies["role"], role.URN, att.Name)
	}
	assert.Equal(t, map[string]string{
		"telemetry-loki-amazons3readonlyaccess":   "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
		"telemetry-loki-amazonebscsidriverpolicy": "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
	}, attachments, "one attachment per managed policy, named after the policy")

	assoc := mocktest.Find(t, eng, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "telemetry-loki")
	assert.Equal(t, "novacron-test", mocktest.Str(t, assoc, "clusterName"))
	assert.Equal(t, "monitoring", mocktest.Str(t, assoc, "namespace"))
	assert.Equal(t, "loki", mocktest.Str(t, assoc, "serviceAccount"))
	assert.Contains(t, mocktest.Str(t, assoc, "roleArn"), "telemetry-loki")
	assert.Contains(t, assoc.PropertyDependencies["roleArn"], role.URN, "the association binds this role")
	assert.Len(t, eng.Resources(), 5, "role, inline policy, two attachments, association")
}

func TestNewRoleWithoutPolicies(t *testing.T) {
	eng, err := runRole(t, nil, nil)
	require.NoError(t, err)
	assert.Empty(t, eng.ByType("aws:iam/rolePolicy:RolePolicy"), "no inline policy when none is given")
	assert.Empty(t, eng.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
	mocktest.Find(t, eng, "aws:iam/role:Role", "telemetry-loki")
	mocktest.Find(t, eng, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "telemetry-loki")
}
