// Package storage provides Bucket (novacron:storage:Bucket): one S3 bucket with the security and
// lifecycle settings every NovaCron bucket needs. The stack creates one per configured bucket
// (for example artifacts, backups, logs).
//
// It uses the split S3 resources of pulumi-aws v6, which are the current ones there (the inline
// arguments of s3.BucketV2 such as lifecycleRules or serverSideEncryptionConfigurations are
// deprecated in favour of these resources):
//   - s3.BucketV2, tagged backup=true only when Backup is set (AWS Backup selects by that tag);
//   - s3.BucketOwnershipControls with BucketOwnerEnforced: ACLs are disabled;
//   - s3.BucketPublicAccessBlock with all four flags on;
//   - s3.BucketServerSideEncryptionConfigurationV2: SSE-KMS with the given key and an S3 Bucket
//     Key (fewer KMS requests). A bucket that receives S3 server access logs uses SSE-S3 instead,
//     because S3 only supports SSE-S3 default encryption on a server access log target bucket
//     (Amazon S3 User Guide, "Enabling Amazon S3 server access logging");
//   - s3.BucketVersioningV2, always enabled (AWS Backup for S3 requires it, and it is what makes
//     noncurrent-version expiry meaningful);
//   - s3.BucketPolicy denying every request made without TLS (aws:SecureTransport=false) and, for
//     an access log target, allowing the S3 logging service principal to write for this account;
//   - s3.BucketLifecycleConfigurationV2 with one rule for the whole bucket: Standard-IA after N
//     days, Glacier Flexible Retrieval after M days, optional expiry, noncurrent versions expiring,
//     incomplete multipart uploads aborted;
//   - s3.BucketLoggingV2 to a target bucket when one is given.
//
// Invariants: the arguments respect the S3 lifecycle constraints before anything is registered
// (Standard-IA no earlier than day 30; Glacier at least 30 days after Standard-IA; expiry after
// the last transition); the bucket policy is attached only after the public access block; the
// lifecycle configuration only after versioning; Protect applies to the bucket itself.
// ForceDestroy (disposable stacks only, never with Protect) lets a destroy delete a bucket that
// still holds objects or versions, which S3 otherwise refuses.
package storage
