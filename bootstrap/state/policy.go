package state

import (
	"strings"

	"github.com/novacron/platform/internal/iamdoc"
)

// githubIssuer is the host of GitHub Actions' OIDC issuer; IAM condition keys of a federated
// provider are prefixed with it (GitHub docs, "Configuring OpenID Connect in Amazon Web Services").
const githubIssuer = "token.actions.githubusercontent.com"

// stsAudience is the audience configure-aws-credentials requests for the web identity token.
const stsAudience = "sts.amazonaws.com"

// deployRoleIamActions lets the deploy role manage the IAM objects the platform program creates
// (cluster and node roles, the Pod Identity roles of the add-ons and controllers, instance
// profiles), which the PowerUserAccess default leaves out; creating a Pod Identity association
// also passes its role (iam:PassRole). The platform creates no IAM OIDC provider any more. It makes the role admin-equivalent in effect (it can create
// a role and pass it), which is why the trust policy only admits protected GitHub environments.
var deployRoleIamActions = []string{
	"iam:AddRoleToInstanceProfile",
	"iam:AttachRolePolicy",
	"iam:CreateInstanceProfile",
	"iam:CreatePolicy",
	"iam:CreatePolicyVersion",
	"iam:CreateRole",
	"iam:CreateServiceLinkedRole",
	"iam:DeleteInstanceProfile",
	"iam:DeletePolicy",
	"iam:DeletePolicyVersion",
	"iam:DeleteRole",
	"iam:DeleteRolePolicy",
	"iam:DetachRolePolicy",
	"iam:GetInstanceProfile",
	"iam:GetPolicy",
	"iam:GetPolicyVersion",
	"iam:GetRole",
	"iam:GetRolePolicy",
	"iam:ListAttachedRolePolicies",
	"iam:ListInstanceProfilesForRole",
	"iam:ListPolicyTags",
	"iam:ListPolicyVersions",
	"iam:ListRolePolicies",
	"iam:ListRoleTags",
	"iam:PassRole",
	"iam:PutRolePolicy",
	"iam:RemoveRoleFromInstanceProfile",
	"iam:TagInstanceProfile",
	"iam:TagPolicy",
	"iam:TagRole",
	"iam:UntagInstanceProfile",
	"iam:UntagPolicy",
	"iam:UntagRole",
	"iam:UpdateAssumeRolePolicy",
	"iam:UpdateRole",
	"iam:UpdateRoleDescription",
}

// backendGuardActions are bucket and key operations no CI job needs and that would let a
// compromised deploy erase or hide state history. An explicit Deny wins over any Allow the
// managed policies grant.
var (
	bucketGuardActions = []string{
		"s3:DeleteBucket",
		"s3:DeleteBucketPolicy",
		"s3:DeleteObjectVersion",
		"s3:PutBucketLogging",
		"s3:PutBucketOwnershipControls",
		"s3:PutBucketPolicy",
		"s3:PutBucketPublicAccessBlock",
		"s3:PutBucketVersioning",
		"s3:PutEncryptionConfiguration",
		"s3:PutLifecycleConfiguration",
	}
	keyGuardActions = []string{
		"kms:DisableKey",
		"kms:DisableKeyRotation",
		"kms:PutKeyPolicy",
		"kms:ScheduleKeyDeletion",
	}
	// selfGuardActions stop the deploy role from loosening its own trust or permissions.
	selfGuardActions = []string{
		"iam:AttachRolePolicy",
		"iam:DeleteRole",
		"iam:DeleteRolePermissionsBoundary",
		"iam:DeleteRolePolicy",
		"iam:DetachRolePolicy",
		"iam:PutRolePermissionsBoundary",
		"iam:PutRolePolicy",
		"iam:UpdateAssumeRolePolicy",
		"iam:UpdateRole",
	}
)

// stateBucketPolicy denies any request without TLS 1.2 or later and any upload that asks for an
// encryption other than the bucket's KMS key. Uploads that send no encryption headers (the
// Pulumi CLI sends none) get the bucket default, SSE-KMS with keyArn.
func stateBucketPolicy(bucketArn, keyArn string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.DenyInsecureTransport(bucketArn),
		iamdoc.DenyOldTLS(bucketArn),
		iamdoc.Statement{
			Sid:       "DenyOtherEncryption",
			Effect:    "Deny",
			Principal: "*",
			Action:    []string{"s3:PutObject"},
			Resource:  []string{bucketArn + "/*"},
			// Null=false limits the check to requests that carry the header: a missing header
			// would make StringNotEquals true and deny every default-encrypted upload.
			Condition: map[string]map[string]any{
				"Null":            {"s3:x-amz-server-side-encryption": "false"},
				"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
			},
		},
		iamdoc.Statement{
			Sid:       "DenyOtherKmsKey",
			Effect:    "Deny",
			Principal: "*",
			Action:    []string{"s3:PutObject"},
			Resource:  []string{bucketArn + "/*"},
			Condition: map[string]map[string]any{
				"Null":            {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
				"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn},
			},
		},
	)
}

// logBucketPolicy lets S3 server access logging write the source bucket's logs under
// "<sourceBucket>/", and nothing else. With object ownership enforced, ACL grants to the log
// delivery group no longer work; the logging service principal with aws:SourceArn and
// aws:SourceAccount conditions is the replacement (AWS S3 User Guide, "Enabling Amazon S3
// server access logging").
func logBucketPolicy(logBucketArn, sourceBucketArn, sourceBucketName, accountID string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.DenyInsecureTransport(logBucketArn),
		iamdoc.DenyOldTLS(logBucketArn),
		iamdoc.Statement{
			Sid:       "AllowServerAccessLogDelivery",
			Effect:    "Allow",
			Principal: map[string]any{"Service": "logging.s3.amazonaws.com"},
			Action:    []string{"s3:PutObject"},
			Resource:  []string{logBucketArn + "/" + sourceBucketName + "/*"},
			Condition: map[string]map[string]any{
				"ArnLike":      {"aws:SourceArn": sourceBucketArn},
				"StringEquals": {"aws:SourceAccount": accountID},
			},
		},
	)
}

// githubTrustPolicy lets GitHub Actions jobs whose token subject is one of subjects assume the
// role through the account's GitHub OIDC provider, with the STS audience pinned. Subjects are
// exact (StringEquals, no wildcards) so that no other repository, branch or environment matches.
func githubTrustPolicy(providerArn string, subjects []string) iamdoc.Document {
	return iamdoc.New(iamdoc.Statement{
		Sid:       "GitHubActions",
		Effect:    "Allow",
		Principal: map[string]any{"Federated": providerArn},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]any{"StringEquals": {
			githubIssuer + ":aud": stsAudience,
			githubIssuer + ":sub": subjects,
		}},
	})
}

// deploySubjects are the token subjects of jobs that run in the given GitHub environments. A job
// with `environment:` gets "repo:<owner>/<name>:environment:<env>" as its subject, whatever the
// branch (GitHub docs, "About security hardening with OpenID Connect"); the environment's own
// protection rules (required reviewers, deployment branches) then decide who may run it.
func deploySubjects(repository string, environments []string) []string {
	out := make([]string, 0, len(environments))
	for _, env := range environments {
		out = append(out, "repo:"+repository+":environment:"+env)
	}
	return out
}

// previewSubjects are pull requests of the repository and pushes or schedules on the given
// branches (the nightly drift check runs on the default branch).
func previewSubjects(repository string, branches []string) []string {
	out := []string{"repo:" + repository + ":pull_request"}
	for _, b := range branches {
		out = append(out, "repo:"+repository+":ref:refs/heads/"+strings.TrimPrefix(b, "refs/heads/"))
	}
	return out
}

// deployStatePolicy gives the deploy role what `pulumi up` needs from the backend (read and
// write stack state, history, backups and locks; decrypt stack secrets), guards the backend
// against the role itself, and lets it manage the platform's IAM objects.
func deployStatePolicy(bucketArn, stateKeyArn, secretsKeyArn, roleArn string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.Statement{
			Sid:      "StateBucketList",
			Effect:   "Allow",
			Action:   []string{"s3:GetBucketLocation", "s3:ListBucket"},
			Resource: []string{bucketArn},
		},
		iamdoc.Statement{
			Sid:      "StateObjectsReadWrite",
			Effect:   "Allow",
			Action:   []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"},
			Resource: []string{bucketArn + "/*"},
		},
		iamdoc.Statement{
			// SSE-KMS: reads need Decrypt, writes need GenerateDataKey on the bucket key.
			Sid:      "StateKeyUse",
			Effect:   "Allow",
			Action:   []string{"kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"},
			Resource: []string{stateKeyArn},
		},
		iamdoc.Statement{
			// The awskms secrets provider decrypts the stack's data key once per run and
			// encrypts secret values locally with it.
			Sid:      "SecretsKeyDecrypt",
			Effect:   "Allow",
			Action:   []string{"kms:Decrypt", "kms:DescribeKey"},
			Resource: []string{secretsKeyArn},
		},
		iamdoc.Statement{
			Sid:      "DenyBackendTampering",
			Effect:   "Deny",
			Action:   bucketGuardActions,
			Resource: []string{bucketArn, bucketArn + "/*"},
		},
		iamdoc.Statement{
			Sid:      "DenyKeyTampering",
			Effect:   "Deny",
			Action:   keyGuardActions,
			Resource: []string{stateKeyArn, secretsKeyArn},
		},
		iamdoc.Statement{
			Sid:      "DenySelfEscalation",
			Effect:   "Deny",
			Action:   selfGuardActions,
			Resource: []string{roleArn},
		},
	)
}

// deployIamPolicy is the IAM part of the deploy role's permissions (see deployRoleIamActions).
func deployIamPolicy() iamdoc.Document {
	return iamdoc.New(iamdoc.Statement{
		Sid:      "PlatformIam",
		Effect:   "Allow",
		Action:   deployRoleIamActions,
		Resource: "*",
	})
}

// previewStatePolicy is read-only: `pulumi preview` takes no lock on a self-managed backend and
// `pulumi refresh --preview-only` stopped taking one in CLI v3.229.0 (pulumi/pulumi changelog),
// so reading state and decrypting secrets is all a preview or drift check needs.
func previewStatePolicy(bucketArn, stateKeyArn, secretsKeyArn string) iamdoc.Document {
	return iamdoc.New(
		iamdoc.Statement{
			Sid:      "StateBucketList",
			Effect:   "Allow",
			Action:   []string{"s3:GetBucketLocation", "s3:ListBucket"},
			Resource: []string{bucketArn},
		},
		iamdoc.Statement{
			Sid:      "StateObjectsRead",
			Effect:   "Allow",
			Action:   []string{"s3:GetObject"},
			Resource: []string{bucketArn + "/*"},
		},
		iamdoc.Statement{
			Sid:      "KeysDecrypt",
			Effect:   "Allow",
			Action:   []string{"kms:Decrypt", "kms:DescribeKey"},
			Resource: []string{stateKeyArn, secretsKeyArn},
		},
	)
}
