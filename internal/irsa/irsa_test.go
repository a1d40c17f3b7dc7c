package irsa

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDocumentPinsServiceAccountAndAudience(t *testing.T) {
	for _, issuer := range []string{"https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "oidc.eks.us-east-1.amazonaws.com/id/ABC"} {
		raw, err := document("arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
			issuer, "kube-system", "ebs-csi-controller-sa")
		require.NoError(t, err)

		var doc struct {
			Statement []struct {
				Effect    string
				Action    string
				Principal map[string]string
				Condition map[string]map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(raw), &doc))
		require.Len(t, doc.Statement, 1)
		st := doc.Statement[0]
		assert.Equal(t, "Allow", st.Effect)
		assert.Equal(t, "sts:AssumeRoleWithWebIdentity", st.Action)
		assert.Equal(t, "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", st.Principal["Federated"])
		assert.Equal(t, map[string]string{
			"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
			"oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
		}, st.Condition["StringEquals"])
	}
}
