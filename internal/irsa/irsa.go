// Package irsa builds the IAM trust policy for IAM Roles for Service Accounts: one Kubernetes
// service account may assume the role through the cluster's OIDC provider, and nothing else may.
package irsa

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cluster is what a role needs to trust a cluster's service accounts.
type Cluster struct {
	// OidcProviderArn is the ARN of the cluster's IAM OIDC identity provider.
	OidcProviderArn pulumi.StringInput
	// OidcIssuer is the cluster's OIDC issuer, with or without the https:// scheme.
	OidcIssuer pulumi.StringInput
}

// AssumeRolePolicy returns the trust policy document (JSON) that lets exactly
// system:serviceaccount:<namespace>:<serviceAccount> assume the role, with the STS audience pinned.
func AssumeRolePolicy(c Cluster, namespace, serviceAccount string) pulumi.StringOutput {
	return pulumi.All(c.OidcProviderArn, c.OidcIssuer).ApplyT(func(v []any) (string, error) {
		return document(v[0].(string), v[1].(string), namespace, serviceAccount)
	}).(pulumi.StringOutput)
}

func document(providerArn, issuer, namespace, serviceAccount string) (string, error) {
	host := strings.TrimPrefix(issuer, "https://")
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": providerArn},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{
				host + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
				host + ":aud": "sts.amazonaws.com",
			}},
		}},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
