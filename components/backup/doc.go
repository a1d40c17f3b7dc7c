// Package backup provides Plan (novacron:backup:Plan): AWS Backup for the platform's data.
//
// What it creates:
//   - a backup.Vault encrypted with the given customer-managed KMS key;
//   - with VaultLock, a backup.VaultLockConfiguration bounding the retention of every recovery
//     point in the vault (governance mode by default; compliance mode, which nobody including the
//     account root can undo once its grace period ends, only when VaultLockChangeableForDays is set);
//   - a backup.Plan with a daily rule (retention in days) and a monthly rule (retention in
//     months, converted to days), both without cold storage, each optionally copying its recovery
//     points to a vault in another region;
//   - an IAM role that AWS Backup assumes, with the AWS managed policies for backup and restore
//     (AWSBackupServiceRolePolicyForBackup / ...ForRestores, which cover RDS among others) and the
//     S3-specific ones (AWSBackupServiceRolePolicyForS3Backup / ...ForS3Restore), since S3 is not
//     covered by the general pair;
//   - a backup.Selection of this account's RDS DB instances and DB clusters in the stack's region
//     and of the buckets given in BucketArns, each only when it carries both backup=true and the
//     stack's Environment tag. Tag selections are account-wide: a selection on backup=true alone
//     would back up every stack of the account into this vault, and a locked vault would then pin
//     the other stacks' recovery points. Resources and Conditions are ANDed by AWS Backup, while
//     ListOfTags would be ORed with Resources, so no ListOfTags (selectionTags) is set.
//
// With ForceDestroy the vault is deleted together with its recovery points (for disposable
// stacks); AWS Backup deletes only empty vaults (AWS Backup API Reference, DeleteBackupVault).
// Changing the selection replaces it, delete first: it holds no data.
//
// Invariants: the selection names resource types and requires the stack's Environment tag; a
// copy destination is a vault in another region; schedules run at most hourly; monthly
// retention is longer than daily retention; with a vault lock, every rule's retention lies
// inside the lock's bounds, so no backup job is rejected by the vault it writes to.
package backup
