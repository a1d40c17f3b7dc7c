// Package state is the logic of the bootstrap program (bootstrap/main.go): the self-managed
// Pulumi state backend of the novacron-platform project and the IAM roles its GitHub Actions
// workflows assume. It is a separate Pulumi project because the platform's stacks keep their
// state in what it creates.
//
// Backend (novacron:state:Backend) creates:
//   - an S3 bucket for stack state: versioned, SSE-KMS with its own key and an S3 Bucket Key,
//     all four public access block flags, object ownership enforced (ACLs off), a policy that
//     denies requests without TLS 1.2+ and uploads asking for another encryption, a lifecycle
//     rule that expires superseded versions (never current ones) and aborts stale multipart
//     uploads, and server access logging;
//   - a dedicated access log bucket (SSE-S3, versioned, public access blocked, TLS-only, logs
//     expired after a retention period) unless an existing log bucket is named;
//   - two KMS keys with automatic rotation and aliases: alias/<prefix>-state for the bucket and
//     alias/<prefix>-secrets for the Pulumi secrets provider. Separate keys let someone read state
//     (for example an auditor with the state key) without being able to decrypt stack secrets.
//
// Its outputs are the exact arguments of `pulumi login` (s3://<bucket>?region=<r>&awssdk=v2) and
// `pulumi stack init --secrets-provider` (awskms://alias/<prefix>-secrets?region=<r>).
//
// No DynamoDB lock table: Pulumi's self-managed backends lock a stack with lock objects in the
// bucket itself (.pulumi/locks/), so the plan's S3 + DynamoDB pair reduces to the bucket.
//
// CiRoles (novacron:state:CiRoles) creates, for one GitHub repository:
//   - the IAM OIDC provider for token.actions.githubusercontent.com, unless an existing one is
//     given;
//   - a deploy role trusted only by jobs running in the listed GitHub environments, with
//     managed policies for the platform, an inline policy for IAM, and explicit denies that keep
//     it from weakening the state bucket, the keys or its own permissions;
//   - a read-only preview role trusted by pull requests and the listed branches.
//
// The roles reach the platform's Kubernetes API through the platform stacks' configuration, not
// from here: the deploy role in clusterAdminRoleArns, the preview role in clusterReadOnlyRoleArns
// (EKS access entries), and the runner's network in clusterEndpointAllowedCidrs.
//
// Invariants: the bucket, both keys and their aliases are protected (a `pulumi destroy` fails
// until protection is lifted on purpose); current state objects never expire; trust policies
// match token subjects exactly (StringEquals, no wildcards) with the STS audience pinned;
// nothing is registered when an argument is invalid.
package state
