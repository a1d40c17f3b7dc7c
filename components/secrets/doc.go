// Package secrets provides Secrets (novacron:security:Secrets): the platform's customer-managed
// KMS keys, its Secrets Manager secrets, and the External Secrets Operator that lets workloads
// read those secrets instead of hand-made Kubernetes Secrets.
//
// What it creates:
//   - three KMS keys, one per purpose (data, logs, secrets), with automatic rotation and an
//     alias each. Their key policies name who may do what: the account root (which makes IAM
//     policies effective, as in the AWS default key policy, and keeps the key manageable),
//     optional key administrators, and the key users given per key; the logs key also admits the
//     CloudWatch Logs service principal of the region for log groups of this account; the secrets
//     key is usable by its named users only through Secrets Manager (kms:ViaService);
//   - one secretsmanager.Secret per declared secret, encrypted with the secrets key. Values are
//     never part of the declaration: a secret is created empty (filled later by its owner or its
//     rotation function), or from a pulumi.StringInput that is always stored as a Pulumi secret;
//   - a secretsmanager.SecretRotation for each secret that names a rotation Lambda function;
//   - with InstallExternalSecrets, called once the cluster exists, the External Secrets
//     Operator (Helm chart external-secrets, pinned) in its own namespace (Pod Security
//     "restricted"); a role that may only read the declared secrets (plus any extra ARNs given)
//     and decrypt with the secrets key through Secrets Manager, bound by an EKS Pod Identity
//     association (internal/podidentity) to the controller's service account
//     (ControllerServiceAccount), and trusted only for Pod Identity sessions tagged with this
//     cluster, that namespace and that account; and a ClusterSecretStore
//     (external-secrets.io/v1) for Secrets Manager in the region with no auth block, so that
//     the controller's own credentials are used. The release waits for the association and
//     the read policy, the store for the release.
//
// Why the controller holds the credentials: under IRSA the store exchanged the token of a
// dedicated service account (auth.jwt.serviceAccountRef) and the controller ran without AWS
// credentials. Pod Identity cannot serve that path: serviceAccountRef cannot be used with it,
// since the provider looks for the account's role annotation and fails with "an IAM role must
// be associated with service account" (docs/provider/aws-access.md, "EKS Pod Identity Setup",
// which associates the controller's account and leaves auth out;
// providers/v1/aws/auth/auth.go). The dedicated service account is therefore gone.
//
// What that means for tenants. The ClusterSecretStore is cluster-scoped: an ExternalSecret in
// any namespace may reference it, as before. New is that the controller's credentials are also
// what any namespaced SecretStore (or generator) without an auth block gets, so every namespace
// that may create one reaches what the role reaches. The role's policy is therefore the
// boundary, and it is narrow: GetSecretValue and DescribeSecret on the exact ARNs of this
// stack's secrets (no wildcard, no name prefix), kms:Decrypt on this stack's secrets key only
// through Secrets Manager of the region, and nothing else, sts:AssumeRole included. Another
// stack's secrets have other ARNs and another key, so no store in this cluster can read them,
// and a store's role field cannot chain into another stack's role (this role may not assume
// roles, and that role trusts only Pod Identity sessions tagged with its own cluster). Within
// the stack, the declared secrets are platform-wide by design; a secret that must be visible
// to one namespace only does not belong in this component's list.
//
// Rotation: a secret rotates when a Lambda function can issue its next value (RotationLambdaArn,
// every RotationDays). The database master password is not one of these secrets: RDS generates,
// stores and rotates it itself (components/database, manageMasterUserPassword). The stacks'
// application secrets (applicationSecrets) hold credentials issued by third parties or by the
// applications and set out of band; no rotation function can issue them, so they carry no
// rotation and the policy pack's secretsmanager-rotation lists them as exceptions, with the
// reason, in policy/config.<stack>.json (policy/README.md, "Exceptions").
//
// Two steps: NewSecrets creates the keys and the secrets, and needs no cluster, so that the
// network, the cluster and the database can encrypt their log groups with the logs key;
// InstallExternalSecrets then adds the operator's resources as children of the same component,
// so every resource keeps the name and URN it had when the component created all of them at
// once.
//
// Providers: the component mixes AWS and Kubernetes resources. The caller passes the AWS
// provider to NewSecrets with pulumi.Providers(awsProvider) (nothing for the default one), and
// the cluster's Kubernetes provider to InstallExternalSecrets the same way; each child uses the
// provider of its own package, and the data-source calls (region, partition, account) use the
// component's AWS provider.
//
// With DeleteSecretsWithoutRecovery (disposable stacks), a deleted secret is gone at once
// instead of being scheduled for deletion, which would keep its name taken for 7 to 30 days and
// make creating the stack again fail.
//
// With Protect, the keys and the secrets are protected resources: a deleted key makes everything
// it encrypted unreadable, so removing one takes an explicit `pulumi state unprotect` first. The
// aliases, secret versions and rotations are not protected; they hold no data of their own.
//
// Invariants: no secret value appears in any input other than the SecretVersion's secretString,
// which is a secret; key policies and the operator's role policy are built from Go values with
// encoding/json; the operator's values and the store hold no eks.amazonaws.com/role-arn
// annotation and no auth block; the ClusterSecretStore waits for the Helm release that installs
// its CRD, and the release for the Pod Identity association.
package secrets
