// Package registry provides Repositories (novacron:registry:Repositories): one private Amazon ECR
// repository per service, with the policies that decide who may pull and push and how long images
// are kept.
//
// What it creates, per service:
//   - an ecr.Repository named NamePrefix+service, with IMMUTABLE tags (a tag always names the image
//     that was scanned and promoted), scan on push, and encryption with a customer-managed KMS key
//     (the AES256 default is not accepted, so there is no unencrypted or AWS-owned-key fallback);
//   - an ecr.LifecyclePolicy: untagged images expire D days after push, and only the N most recent
//     tagged images are kept;
//   - an ecr.RepositoryPolicy: the cluster's node role may pull; the CI role, when given, may push.
//
// With EnhancedScanning, one ecr.RegistryScanningConfiguration switches the registry to Amazon
// Inspector (ENHANCED, continuous scanning). The scanning configuration is a singleton per account
// and region, and under ENHANCED a repository that matches no rule is not scanned at all, not even
// on push. So its single rule covers the platform's namespace, the first path segment of
// NamePrefix ("novacron/staging/" and "novacron/production/" both give the filter "novacron/*"),
// and every stack sharing the account is scanned, whichever stack owns the configuration. Only one
// stack per account and region may turn EnhancedScanning on: two stacks would overwrite each
// other's configuration, and destroying either resets the registry to basic scanning without
// rules (the configuration cannot be deleted, only reverted; pulumi-aws RegistryScanningConfiguration). The
// other stacks leave it off; their repositories keep scan on push, which applies whenever the
// registry is on basic scanning.
//
// Invariants: repository names are explicit (image URLs are part of the services' contract), so
// renaming a service replaces its repository; every repository has all three of the resources
// above; the policies are built from Go values and rendered with encoding/json, never by string
// concatenation. ForceDelete (disposable stacks only, never with Protect) lets a destroy delete
// repositories that still hold images, which ECR otherwise refuses.
package registry
