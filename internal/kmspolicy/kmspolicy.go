// Package kmspolicy writes out the key policy of a KMS key that a component creates for itself,
// so that the key's access is part of its definition rather than left to KMS's default.
package kmspolicy

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AccountRoot returns a key policy with one statement: the account (its root principal) may do
// everything with the key, so IAM policies in the account decide who uses it. It is the
// statement KMS's default key policy holds ("Allows access to the AWS account and enables IAM
// policies", AWS KMS Developer Guide, "Default key policy"); written out, the policy input is set,
// a reviewer sees who may use the key, and a later change to it shows in the preview. Without the
// statement a key policy that names no administrator could leave the key unmanageable.
func AccountRoot(ctx *pulumi.Context, opts ...pulumi.InvokeOption) pulumi.StringOutput {
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, opts...)
	partition := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, opts...)
	return pulumi.All(partition.Partition(), account.AccountId()).ApplyT(func(v []any) (string, error) {
		return Document(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
}

// Document renders the account-root key policy for a partition ("aws") and account id.
func Document(partition, accountID string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "EnableIamPoliciesForAccount",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "arn:" + partition + ":iam::" + accountID + ":root"},
			"Action":    "kms:*",
			"Resource":  "*",
		}},
	})
	return string(b), err
}
