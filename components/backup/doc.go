// Package backup provides Plan (novacron:backup:Plan): AWS Backup for the platform's data.
//
// What it creates:
//   - a backup.Vault encrypted with the given customer-managed KMS key;
//   - with VaultLock, a backup.VaultLockConfiguration bounding the retention of every recovery
//     point in the vault (governance mode by default; compliance mode, which nobody including the
//     account root can undo once its grace period ends, only when VaultLockChangeableForDays is set);
//   - a backup.Plan with a daily rule (retention in days) and a monthly rule (retention in
//     months, converted to days), both without cold storage, each optionally copying its recovery
//     points to a vault in another region or account;
//   - an IAM role that AWS Backup assumes, with the AWS managed policies for backup and restore
//     (AWSBackupServiceRolePolicyForBackup / ...ForRestores, which cover RDS among others) and the
//     S3-specific ones (AWSBackupServiceRolePolicyForS3Backup / ...ForS3Restore), since S3 is not
//     covered by the general pair;
//   - a backup.Selection of every resource tagged backup=true: the RDS instance and the buckets
//     whose storage.BucketArgs.Backup is set.
//
// Invariants: schedules run at most hourly; monthly retention is longer than daily retention;
// with a vault lock, every rule's retention lies inside the lock's bounds, so no backup job is
// rejected by the vault it writes to.
package backup
