package secrets

import (
	"encoding/json"
	"slices"
)

// policyDocument is the IAM policy grammar as far as key policies and role policies use it.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Key purposes.
const (
	PurposeData    = "data"
	PurposeLogs    = "logs"
	PurposeSecrets = "secrets"
)

// keyAdminActions manage a key without using it (AWS KMS Developer Guide, default key policy,
// "Allows key administrators to administer the KMS key").
var keyAdminActions = []string{
	"kms:CancelKeyDeletion",
	"kms:Create*",
	"kms:Delete*",
	"kms:Describe*",
	"kms:Disable*",
	"kms:Enable*",
	"kms:Get*",
	"kms:List*",
	"kms:Put*",
	"kms:Revoke*",
	"kms:RotateKeyOnDemand",
	"kms:ScheduleKeyDeletion",
	"kms:TagResource",
	"kms:UntagResource",
	"kms:Update*",
}

// keyUserActions use a key for cryptographic operations (default key policy, "Allows key users to
// use the KMS key").
var keyUserActions = []string{
	"kms:Decrypt",
	"kms:DescribeKey",
	"kms:Encrypt",
	"kms:GenerateDataKey*",
	"kms:ReEncrypt*",
}

// keyGrantActions let key users hand the key to AWS services that encrypt on their behalf (EBS,
// RDS, ...), only for grants to AWS resources (default key policy, "Allows key users to use the
// KMS key with AWS services").
var keyGrantActions = []string{
	"kms:CreateGrant",
	"kms:ListGrants",
	"kms:RevokeGrant",
}

// cloudWatchLogsActions are what CloudWatch Logs needs to encrypt a log group (Amazon CloudWatch
// Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS Key Management Service", step 2).
var cloudWatchLogsActions = []string{
	"kms:Decrypt*",
	"kms:Describe*",
	"kms:Encrypt*",
	"kms:GenerateDataKey*",
	"kms:ReEncrypt*",
}

// keyPolicy is what a key policy depends on.
type keyPolicy struct {
	Partition, AccountID, Region string
	Purpose                      string
	Administrators               []string
	Users                        []string
}

func (k keyPolicy) secretsManagerService() string {
	return "secretsmanager." + k.Region + ".amazonaws.com"
}

// document renders the key policy.
func (k keyPolicy) document() (string, error) {
	doc := policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			// Without this statement IAM policies would not apply to the key and a mistake in
			// the rest of the policy could make the key unmanageable.
			Sid:       "EnableIamPoliciesForAccount",
			Effect:    "Allow",
			Principal: map[string]any{"AWS": "arn:" + k.Partition + ":iam::" + k.AccountID + ":root"},
			Action:    "kms:*",
			Resource:  "*",
		}},
	}
	if admins := sortedUnique(k.Administrators); len(admins) > 0 {
		doc.Statement = append(doc.Statement, policyStatement{
			Sid:       "KeyAdministrators",
			Effect:    "Allow",
			Principal: map[string]any{"AWS": admins},
			Action:    slices.Clone(keyAdminActions),
			Resource:  "*",
		})
	}
	if users := sortedUnique(k.Users); len(users) > 0 {
		use := policyStatement{
			Sid:       "KeyUsers",
			Effect:    "Allow",
			Principal: map[string]any{"AWS": users},
			Action:    slices.Clone(keyUserActions),
			Resource:  "*",
		}
		grants := policyStatement{
			Sid:       "KeyUsersGrantsForAwsResources",
			Effect:    "Allow",
			Principal: map[string]any{"AWS": users},
			Action:    slices.Clone(keyGrantActions),
			Resource:  "*",
			Condition: map[string]map[string]any{"Bool": {"kms:GrantIsForAWSResource": "true"}},
		}
		if k.Purpose == PurposeSecrets {
			// The secrets key only protects Secrets Manager secrets.
			use.Condition = map[string]map[string]any{"StringEquals": {"kms:ViaService": k.secretsManagerService()}}
			grants.Condition["StringEquals"] = map[string]any{"kms:ViaService": k.secretsManagerService()}
		}
		doc.Statement = append(doc.Statement, use, grants)
	}
	if k.Purpose == PurposeLogs {
		// The regional CloudWatch Logs principal, limited by the encryption context CloudWatch
		// Logs sends (the log group's ARN) to log groups of this account and region (Amazon
		// CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS Key
		// Management Service", step 2, and "AWS KMS keys and encryption context").
		doc.Statement = append(doc.Statement, policyStatement{
			Sid:       "CloudWatchLogsOfThisAccount",
			Effect:    "Allow",
			Principal: map[string]any{"Service": "logs." + k.Region + ".amazonaws.com"},
			Action:    slices.Clone(cloudWatchLogsActions),
			Resource:  "*",
			Condition: map[string]map[string]any{"ArnLike": {
				"kms:EncryptionContext:aws:logs:arn": "arn:" + k.Partition + ":logs:" + k.Region + ":" + k.AccountID + ":log-group:*",
			}},
		})
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// externalSecretsPolicy is the role policy of the External Secrets Operator controller: read the
// platform's secrets, decrypt them with the secrets key through Secrets Manager, nothing else.
type externalSecretsPolicy struct {
	Region        string
	SecretArns    []string
	SecretsKeyArn string
}

func (e externalSecretsPolicy) document() (string, error) {
	doc := policyDocument{Version: "2012-10-17"}
	if arns := sortedUnique(e.SecretArns); len(arns) > 0 {
		doc.Statement = append(doc.Statement, policyStatement{
			Sid:      "ReadPlatformSecrets",
			Effect:   "Allow",
			Action:   []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
			Resource: arns,
		})
	}
	doc.Statement = append(doc.Statement, policyStatement{
		Sid:       "DecryptWithSecretsKeyThroughSecretsManager",
		Effect:    "Allow",
		Action:    "kms:Decrypt",
		Resource:  e.SecretsKeyArn,
		Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": "secretsmanager." + e.Region + ".amazonaws.com"}},
	})
	b, err := json.Marshal(doc)
	return string(b), err
}

// sortedUnique returns the non-empty values sorted and without duplicates, so that reordering
// the configuration does not change the policy.
func sortedUnique(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
