// Package database provides the Postgres component (novacron:database:Postgres): RDS for
// PostgreSQL, reachable only from named security groups, as one of two topologies
// (PostgresArgs.Deployment):
//
//   - "instance": one DB instance, Multi-AZ unless SingleAz (a synchronous standby in a second
//     zone that serves no reads);
//   - "cluster": an RDS Multi-AZ DB cluster (engine "postgres" with a DB cluster instance
//     class, not Aurora): a writer and two readable standbys in three zones, a writer endpoint
//     and a reader endpoint.
//
// It creates, as children named from the component name:
//   - <name>-kms, <name>-kms-alias: a KMS key (yearly rotation, 30-day deletion window) and the
//     alias alias/<project>/<stack>/<name>, unless the caller brings its own key (KmsKeyArn);
//   - <name>-subnets: a DB subnet group over the given database subnets;
//   - <name>-sg: a security group without inline rules, and <name>-ingress-<i>: one ingress rule
//     on 5432/tcp per allowed security group (no CIDR ever);
//   - <name>-params: a parameter group (instance) or DB cluster parameter group (cluster) of
//     family postgres<major> that forces TLS (rds.force_ssl, TLS 1.2 minimum) and logs
//     connections, DDL, slow statements and lock waits;
//   - <name>-monitoring, <name>-monitoring-policy: the enhanced monitoring role, trusted by
//     monitoring.rds.amazonaws.com for this account only, with the AWS managed
//     AmazonRDSEnhancedMonitoringRole policy (unless DisableEnhancedMonitoring);
//   - <name>-<type>-logs: the CloudWatch log group of each exported log type
//     (/aws/rds/instance/<id>/postgresql and /upgrade for an instance,
//     /aws/rds/cluster/<id>/postgresql for a cluster), with LogRetentionDays and the logs key;
//   - <name>: the rds.Instance or rds.Cluster, identifier <project>-<stack>-<name> (shortened
//     with a hash past 63 characters, 52 for a cluster).
//
// # Why a Multi-AZ DB cluster in production
//
// The plan asks for "Multi-AZ with read replicas" and for the master password never to exist
// outside AWS. RDS refuses a read replica of an instance whose master password Secrets Manager
// manages, for every engine but SQL Server (RDS User Guide, "Limitations for Secrets Manager
// integration with Amazon RDS"), so the previous design (Multi-AZ instance plus one replica)
// created the primary in 15-35 minutes and then failed on the replica on every run. The options,
// priced in us-east-1 on-demand, 730 hours a month, 1,000 GiB:
//
//   - Multi-AZ instance + read replica with a password we generate and rotate ourselves:
//     db.r6g.xlarge Multi-AZ $0.899/h ($656.27) plus a Single-AZ replica $0.450/h ($328.50),
//     gp3 $0.23 + $0.115 per GB-month ($345): about $1,330 a month. Failover of the instance
//     takes "typically 60-120 seconds" (RDS User Guide, "Failing over a Multi-AZ DB instance");
//     the replica is asynchronous and is not a failover target. The password would pass through
//     the program and its state, and rotating it needs a rotation Lambda. Rejected.
//   - Multi-AZ DB cluster (chosen): RDS manages the password in Secrets Manager as for an
//     instance, and the two standbys both fail over and serve reads; commits wait for one of
//     them (semisynchronous replication), and "failover times are typically under 35 seconds"
//     (RDS User Guide, "Failing over a Multi-AZ DB cluster"). The plan's db.r6g.xlarge is not
//     offered: a cluster runs only on db.c6gd, m5d, m6gd, m6id, m6idn, m8gd, r5d, r6gd, r6id,
//     r6idn, r8gd and x2iedn classes (RDS User Guide, "Instance class availability for
//     Multi-AZ DB clusters"). db.r6gd.xlarge is the nearest: the same Graviton2, 4 vCPUs and
//     32 GiB, plus local NVMe storage RDS uses for temporary objects. Storage is billed for
//     three copies, gp3 $0.345 per GB-month (AWS price list, "Multi-AZ (readable standbys)",
//     as quoted from the bulk price list on 2026-07-28): $345 for 1,000 GiB, 12,000 IOPS
//     included. Instance hours are billed for the three instances; no AWS price-list record
//     for db.r6gd.xlarge was at hand, so preflight lists them without a price. A third-party
//     table (January 2025) gives $0.495/h Single-AZ, about $1,084 a month for three: verify
//     against the AWS price list before budgeting. Total about $1,430 a month, for two
//     readable copies instead of one and a third of the failover time.
//
// Staging keeps the cheaper Multi-AZ instance (db.r6g.large $0.45/h, $328.50, plus 100 GiB at
// $0.23) without readable copies.
//
// # Invariants
//
//   - Storage, Performance Insights and the master user secret are encrypted with the same
//     customer managed key; the log groups with the platform's logs key (LogsKmsKeyArn, required
//     unless AllowLogsWithoutKmsKey).
//   - The master password is generated, stored and rotated by RDS in Secrets Manager
//     (manageMasterUserPassword); it never passes through config, code or state. Applications
//     should prefer IAM database authentication, which is enabled. No read replica is ever
//     created (ReadReplicaCount must be 0): readable copies are the cluster's standbys.
//   - Nothing is publicly accessible: an instance sets publiclyAccessible false; a cluster
//     cannot (pulumi-aws 6.83.4 has no such argument) and is private because it names its own
//     DB subnet group (CreateDBCluster, PubliclyAccessible) in subnets without an internet
//     route. Every database uses the rds-ca-rsa2048-g1 CA, the TLS-only parameters, enhanced
//     monitoring and CloudWatch log exports (postgresql and upgrade for an instance, postgresql
//     for a cluster).
//   - The log groups exist before the database, which depends on them: RDS would otherwise
//     create them on first export, kept forever and without our key. They are named after the
//     identifier, which is therefore set, not generated.
//   - Unless AllowDestroy: deletion protection is on, the database takes a final snapshot
//     (<identifier>-final) when deleted, an instance keeps its automated backups (a deleted
//     cluster cannot be restored to a point in time, so its final snapshot is what survives),
//     and the database and its key carry pulumi protect.
//   - The database carries the tag backup=true for AWS Backup selection; every other tag comes
//     from the provider's default tags.
//   - Arguments are validated before anything is registered, against what RDS accepts (storage
//     types, sizes and IOPS, cluster classes and versions, windows, retentions): a bad argument
//     registers nothing.
//
// # Changes
//
// Changes (class, storage, parameters needing a reboot) are applied in the maintenance window,
// as RDS does without ApplyImmediately. A major version upgrade is a change of EngineVersion; it
// also replaces the parameter group (new family). An instance configured with a major only
// follows RDS's automatic minor upgrades; a cluster needs an exact version, so after RDS
// upgrades its minor in the maintenance window, raise EngineVersion to the running minor, or
// the next update asks RDS to go back, which it refuses.
//
// Moving between "instance" and "cluster" replaces the database (another resource type): restore
// the new one from a snapshot of the old (RDS restores an instance snapshot to a Multi-AZ DB
// cluster: RDS User Guide, "Restoring from a snapshot to a Multi-AZ DB cluster"). A cluster's storage type
// cannot change in place, and it has no storage autoscaling: raise AllocatedStorageGb instead.
// An instance deployed before identifiers were set is renamed in place to the derived
// identifier on the next update (terraform-provider-aws #31232), and its endpoint changes.
package database
