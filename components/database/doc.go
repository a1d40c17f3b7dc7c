// Package database provides the Postgres component (novacron:database:Postgres): an RDS for
// PostgreSQL instance reachable only from named security groups.
//
// It creates, as children named from the component name:
//   - <name>-kms, <name>-kms-alias: a KMS key (yearly rotation, 30-day deletion window) and the
//     alias alias/<project>/<stack>/<name>, unless the caller brings its own key (KmsKeyArn);
//   - <name>-subnets: a DB subnet group over the given database subnets;
//   - <name>-sg: a security group without inline rules, and <name>-ingress-<i>: one ingress rule
//     on 5432/tcp per allowed security group (no CIDR ever);
//   - <name>-params: a parameter group of family postgres<major> that forces TLS (rds.force_ssl,
//     TLS 1.2 minimum) and logs connections, DDL, slow statements and lock waits;
//   - <name>-monitoring, <name>-monitoring-policy: the enhanced monitoring role, trusted by
//     monitoring.rds.amazonaws.com for this account only, with the AWS managed
//     AmazonRDSEnhancedMonitoringRole policy (unless DisableEnhancedMonitoring);
//   - <name>: the primary instance; <name>-replica-1 ... <name>-replica-N: read replicas.
//
// Invariants:
//   - Storage (gp3, autoscaling up to MaxAllocatedStorageGb), Performance Insights and the master
//     user secret are encrypted with the same customer managed key.
//   - The master password is generated, stored and rotated by RDS in Secrets Manager
//     (manageMasterUserPassword); it never passes through config, code or state. Applications
//     should prefer IAM database authentication, which is enabled.
//   - No instance is publicly accessible; every instance uses the rds-ca-rsa2048-g1 CA, the
//     TLS-only parameter group, enhanced monitoring and CloudWatch log exports (postgresql,
//     upgrade).
//   - Unless AllowDestroy: deletion protection is on for every instance, the primary takes a final
//     snapshot (<project>-<stack>-<name>-final) and keeps its automated backups when deleted, and
//     the primary and its key carry pulumi protect. Removing a read replica then takes two steps:
//     turn its deletion protection off (AWS console or CLI), then lower ReadReplicaCount.
//   - The primary carries the tag backup=true for AWS Backup selection; every other tag comes from
//     the provider's default tags.
//   - Arguments are validated before anything is registered: a bad argument registers nothing.
//
// Changes to the instance (class, storage, parameters needing a reboot) are applied in the
// maintenance window, as RDS does without ApplyImmediately. A major version upgrade is a change
// of EngineVersion; it also replaces the parameter group (new family).
package database
