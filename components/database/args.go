package database

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/validate"
)

// PostgresArgs configures a Postgres component. Zero values mean the documented default.
type PostgresArgs struct {
	// VpcId is the VPC the database security group is created in. Required.
	VpcId pulumi.StringInput
	// SubnetIds are the database subnets, in at least two availability zones (RDS requires two
	// even for a single-AZ instance) and in three for a Multi-AZ DB cluster. Required.
	SubnetIds pulumi.StringArrayInput
	// AllowedSecurityGroupIds are the security groups that may reach PostgreSQL on 5432/tcp (for
	// example the EKS nodes' group); nothing else can. It is a slice of inputs rather than an
	// array output so that the number of ingress rules is known when the program runs, including
	// during preview: each element may still be the output of another resource. Rule i is named
	// "<name>-ingress-<i>". At least one is required.
	AllowedSecurityGroupIds pulumi.StringArray
	// KmsKeyArn is a customer managed key to encrypt storage, Performance Insights and the master
	// user secret with. When nil, the component creates a key with yearly rotation and an alias.
	// Default: nil (a key is created).
	KmsKeyArn pulumi.StringInput
	// LogsKmsKeyArn is the customer managed key of the CloudWatch log groups the database
	// exports to (the platform's logs key; its policy must let logs.<region>.amazonaws.com use
	// it). Required unless AllowLogsWithoutKmsKey. Default: nil.
	LogsKmsKeyArn pulumi.StringInput
	// AllowLogsWithoutKmsKey opts out of LogsKmsKeyArn: the log groups are then encrypted with
	// CloudWatch Logs' own key only. Default: false.
	AllowLogsWithoutKmsKey bool

	// Deployment is the topology: DeploymentInstance ("instance": one DB instance, Multi-AZ with
	// a standby that serves no reads unless SingleAz) or DeploymentCluster ("cluster": a Multi-AZ
	// DB cluster, a writer and two readable standbys in three zones behind a reader endpoint).
	// Default: "instance".
	Deployment string
	// EngineVersion is the PostgreSQL version. An instance takes a major ("17") or major.minor
	// ("17.4"); with a major only, RDS picks its default minor and automatic minor upgrades keep
	// it current. A Multi-AZ DB cluster takes an exact major.minor ("17.9"). The parameter group
	// family is postgres<major>. Default: "17".
	EngineVersion string
	// InstanceClass is the RDS instance class: of the instance, or of each of the cluster's three
	// instances (a Multi-AZ DB cluster accepts only the families of clusterClassFamilies).
	// Default: "db.r6g.xlarge".
	InstanceClass string
	// StorageType is "gp3", "io1" or "io2". Default: "gp3".
	StorageType string
	// AllocatedStorageGb is the initial storage in GiB: 20 to 65536 for gp3, 100 to 65536 for
	// io1 and io2, and at least 400 for gp3 in a Multi-AZ DB cluster (which needs provisioned
	// IOPS). Default: 1000.
	AllocatedStorageGb int
	// MaxAllocatedStorageGb is the storage autoscaling ceiling in GiB of an instance. RDS requires
	// it to be at least 10% above the allocated storage; a Multi-AZ DB cluster has no storage
	// autoscaling and takes 0. Default: 2 × AllocatedStorageGb for an instance, 0 for a cluster.
	MaxAllocatedStorageGb int
	// Iops is the provisioned IOPS. 0 means the gp3 baseline on an instance; io1 and io2 need a
	// value. A Multi-AZ DB cluster always sends one: 0 then means 12,000, the gp3 baseline from
	// 400 GiB on, at no extra charge. Default: 0.
	Iops int
	// SingleAz opts out of a Multi-AZ instance (no standby in a second zone, no automatic
	// failover). A Multi-AZ DB cluster is always multi-zone. Default: false (Multi-AZ).
	SingleAz bool
	// BackupRetentionDays is how long automated backups are kept, 1 to 35. Default: 30.
	BackupRetentionDays int
	// BackupWindow is the daily backup window, "hh24:mi-hh24:mi" in UTC, at least 30 minutes,
	// not overlapping MaintenanceWindow. Default: "03:00-04:00".
	BackupWindow string
	// MaintenanceWindow is the weekly maintenance window, "ddd:hh24:mi-ddd:hh24:mi" in UTC, at
	// least 30 minutes; day names are case-insensitive and stored lowercase, as RDS stores them.
	// Default: "sun:04:00-sun:05:00".
	MaintenanceWindow string
	// MonitoringIntervalSeconds is the enhanced monitoring granularity: 1, 5, 10, 15, 30 or 60.
	// Default: 60.
	MonitoringIntervalSeconds int
	// DisableEnhancedMonitoring turns enhanced monitoring off (RDS interval 0) and drops its IAM
	// role. A separate switch because an interval of 0 means "default" here. Default: false.
	DisableEnhancedMonitoring bool
	// PerformanceInsightsRetentionDays is 7 (free tier), a multiple of 31 up to 713, or 731.
	// Default: 7.
	PerformanceInsightsRetentionDays int
	// LogRetentionDays is how long the exported PostgreSQL logs are kept in CloudWatch Logs, one
	// of CloudWatch's retention values. Default: 90.
	LogRetentionDays int
	// ReadReplicaCount must be 0: RDS refuses a read replica of an instance whose master
	// password Secrets Manager manages, and this component always lets RDS manage it. Readable
	// copies come from Deployment "cluster". The field stays so that a configuration asking for
	// replicas gets that explanation instead of a failed update. Default: 0.
	ReadReplicaCount int
	// DatabaseName is the database created with the instance. Default: "novacron".
	DatabaseName string
	// MasterUsername is the master user; its password is generated and rotated by RDS in Secrets
	// Manager and never exists in config or code. Default: "novacron_admin".
	MasterUsername string
	// AllowDestroy is for disposable environments: it turns deletion protection off, skips the
	// final snapshot, deletes automated backups with the database and drops pulumi protect from
	// the database and its KMS key. Default: false.
	AllowDestroy bool
}

// Defaults, as documented on the fields.
const (
	defaultDeployment             = DeploymentInstance
	defaultStorageType            = StorageGP3
	defaultLogRetentionDays       = 90
	defaultEngineVersion          = "17"
	defaultInstanceClass          = "db.r6g.xlarge"
	defaultAllocatedStorageGb     = 1000
	defaultBackupRetentionDays    = 30
	defaultBackupWindow           = "03:00-04:00"
	defaultMaintenanceWindow      = "sun:04:00-sun:05:00"
	defaultMonitoringInterval     = 60
	defaultPerformanceInsightDays = 7
	defaultDatabaseName           = "novacron"
	defaultMasterUsername         = "novacron_admin"
)

// Limits from the RDS API reference (CreateDBInstance) and the RDS user guide.
const (
	// Storage autoscaling: the ceiling must be at least 10% above the allocated storage
	// (RDS user guide, "Managing capacity automatically with Amazon RDS storage autoscaling").
	minAutoscalingHeadroomPercent = 110
	// Both windows must be at least 30 minutes (CreateDBInstance, PreferredBackupWindow and
	// PreferredMaintenanceWindow).
	minWindowMinutes = 30
	// The parameter group family is "postgres<major>" from PostgreSQL 10 on (9.x used
	// "postgres9.6"); RDS itself rejects majors it no longer offers.
	minMajorVersion = 10
)

var (
	monitoringIntervals = []int{1, 5, 10, 15, 30, 60}
	engineVersionRe     = regexp.MustCompile(`^([1-9][0-9]*)(\.[0-9]+)?$`)
	instanceClassRe     = regexp.MustCompile(`^db\.[a-z0-9-]+\.[a-z0-9]+$`)
	// CreateDBInstance: database name 1-63 letters, digits or underscores, starting with a letter.
	databaseNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	// CreateDBInstance: master username 1-16 letters, digits or underscores, starting with a letter.
	masterUsernameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)
	// Component names become part of RDS identifiers and subnet/parameter group names, which RDS
	// wants lowercase, without "--" and not ending with "-".
	componentNameRe = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
)

// maxComponentNameLen keeps child names ("<name>-postgresql-logs") short; the RDS identifier is
// derived from project, stack and name and shortened to fit on its own (dbIdentifier).
const maxComponentNameLen = 40

// reservedUsernames are names RDS or PostgreSQL keep for themselves or that every scanner tries
// first. RDS rejects reserved words for the engine; "postgres" is accepted by RDS but is the
// first name an attacker guesses.
var reservedUsernames = []string{
	"admin", "administrator", "postgres", "public", "rdsadmin", "rdsrepladmin", "rdstopmgr",
	"root", "superuser", "user",
}

// reservedUsernamePrefixes: PostgreSQL reserves role names starting with "pg_"; RDS uses "rds_"
// for its own roles (rds_superuser, rds_iam, ...).
var reservedUsernamePrefixes = []string{"pg_", "rds_"}

// reservedDatabaseNames already exist on every RDS for PostgreSQL instance.
var reservedDatabaseNames = []string{"postgres", "rdsadmin", "template0", "template1"}

// withDefaults returns a copy with every zero value replaced by its default and the maintenance
// window lowercased.
func (a PostgresArgs) withDefaults() PostgresArgs {
	if a.Deployment == "" {
		a.Deployment = defaultDeployment
	}
	if a.StorageType == "" {
		a.StorageType = defaultStorageType
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = defaultLogRetentionDays
	}
	if a.EngineVersion == "" {
		a.EngineVersion = defaultEngineVersion
	}
	if a.InstanceClass == "" {
		a.InstanceClass = defaultInstanceClass
	}
	if a.AllocatedStorageGb == 0 {
		a.AllocatedStorageGb = defaultAllocatedStorageGb
	}
	cluster := a.Deployment == DeploymentCluster
	if a.MaxAllocatedStorageGb == 0 && !cluster {
		a.MaxAllocatedStorageGb = 2 * a.AllocatedStorageGb
	}
	if a.Iops == 0 && cluster && a.StorageType == StorageGP3 {
		a.Iops = defaultClusterGP3Iops
	}
	if a.BackupRetentionDays == 0 {
		a.BackupRetentionDays = defaultBackupRetentionDays
	}
	if a.BackupWindow == "" {
		a.BackupWindow = defaultBackupWindow
	}
	if a.MaintenanceWindow == "" {
		a.MaintenanceWindow = defaultMaintenanceWindow
	}
	a.MaintenanceWindow = strings.ToLower(a.MaintenanceWindow)
	if a.MonitoringIntervalSeconds == 0 && !a.DisableEnhancedMonitoring {
		a.MonitoringIntervalSeconds = defaultMonitoringInterval
	}
	if a.PerformanceInsightsRetentionDays == 0 {
		a.PerformanceInsightsRetentionDays = defaultPerformanceInsightDays
	}
	if a.DatabaseName == "" {
		a.DatabaseName = defaultDatabaseName
	}
	if a.MasterUsername == "" {
		a.MasterUsername = defaultMasterUsername
	}
	return a
}

// Validate checks every plain field (the inputs wired to other resources are checked by
// NewPostgres), so the stack loader can run the same rules on config alone. Fields are named
// as in this package's vocabulary (camelCase of the Go field).
func (a *PostgresArgs) Validate() validate.Problems {
	var p validate.Problems
	d := a.withDefaults()

	if m := engineVersionRe.FindStringSubmatch(d.EngineVersion); m == nil {
		p.Addf("engineVersion", `must be a PostgreSQL major version such as "17" or major.minor such as "17.4", got %q`, d.EngineVersion)
	} else if major, _ := strconv.Atoi(m[1]); major < minMajorVersion {
		p.Addf("engineVersion", "must be PostgreSQL %d or later, got %q", minMajorVersion, d.EngineVersion)
	}
	if !instanceClassRe.MatchString(d.InstanceClass) {
		p.Addf("instanceClass", `must be an RDS instance class such as "db.r6g.xlarge", got %q`, d.InstanceClass)
	}

	if !slices.Contains(Deployments, d.Deployment) {
		p.Addf("deployment", "must be one of %v, got %q", Deployments, d.Deployment)
	}
	validateStorage(&p, d)
	if d.Deployment == DeploymentCluster {
		validateCluster(&p, d)
	}

	p.IntRange("backupRetentionDays", d.BackupRetentionDays, 1, 35)

	backup, backupOK := parseBackupWindow(&p, d.BackupWindow)
	maint, maintOK := parseMaintenanceWindow(&p, d.MaintenanceWindow)
	if backupOK && maintOK && backup.overlapsWeekly(maint) {
		p.Addf("maintenanceWindow", "must not overlap backupWindow %q (RDS rejects overlapping windows), got %q",
			d.BackupWindow, d.MaintenanceWindow)
	}

	if d.DisableEnhancedMonitoring {
		if d.MonitoringIntervalSeconds != 0 {
			p.Addf("monitoringIntervalSeconds", "must be unset when disableEnhancedMonitoring is true, got %d",
				d.MonitoringIntervalSeconds)
		}
	} else {
		p.OneOf("monitoringIntervalSeconds", d.MonitoringIntervalSeconds, monitoringIntervals)
	}

	if r := d.PerformanceInsightsRetentionDays; !(r == 7 || r == 731 || (r > 0 && r%31 == 0 && r < 731)) {
		p.Addf("performanceInsightsRetentionDays", "must be 7, 731 or a multiple of 31 below 731, got %d", r)
	}

	// RDS User Guide, "Limitations for Secrets Manager integration with Amazon RDS": creating a
	// read replica of an instance whose master password Secrets Manager manages is not supported
	// (every engine but SQL Server). The master password is always managed here.
	if d.ReadReplicaCount != 0 {
		p.Addf("readReplicaCount", `must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages; use deployment %q for two readable standbys, got %d`,
			DeploymentCluster, d.ReadReplicaCount)
	}

	awslimits.CheckLogRetention(&p, "logRetentionDays", d.LogRetentionDays)

	switch {
	case !databaseNameRe.MatchString(d.DatabaseName):
		p.Addf("databaseName", "must start with a letter and hold 1 to 63 letters, digits or underscores, got %q", d.DatabaseName)
	case slices.Contains(reservedDatabaseNames, strings.ToLower(d.DatabaseName)):
		p.Addf("databaseName", "must not be %q, which exists on every RDS for PostgreSQL instance", d.DatabaseName)
	}

	lower := strings.ToLower(d.MasterUsername)
	switch {
	case !masterUsernameRe.MatchString(d.MasterUsername):
		p.Addf("masterUsername", "must start with a letter and hold 1 to 16 letters, digits or underscores, got %q", d.MasterUsername)
	case slices.Contains(reservedUsernames, lower):
		p.Addf("masterUsername", "must not be a reserved or well-known name, got %q", d.MasterUsername)
	default:
		for _, prefix := range reservedUsernamePrefixes {
			if strings.HasPrefix(lower, prefix) {
				p.Addf("masterUsername", "must not start with the reserved prefix %q, got %q", prefix, d.MasterUsername)
			}
		}
	}
	return p
}

// validateInputs checks what Validate cannot: the name and the presence of the inputs that come
// from other resources.
func (a *PostgresArgs) validateInputs(name string) validate.Problems {
	var p validate.Problems
	if !componentNameRe.MatchString(name) || len(name) > maxComponentNameLen {
		p.Addf("name", "must be at most %d lowercase letters, digits and single hyphens, starting with a letter, got %q",
			maxComponentNameLen, name)
	}
	if a.VpcId == nil {
		p.Addf("vpcId", "must be set")
	}
	if a.SubnetIds == nil {
		p.Addf("subnetIds", "must be set (database subnets in at least two availability zones)")
	}
	if len(a.AllowedSecurityGroupIds) == 0 {
		p.Addf("allowedSecurityGroupIds", "must list at least one security group, got none")
	}
	for i, id := range a.AllowedSecurityGroupIds {
		if id == nil {
			p.Addf(fmt.Sprintf("allowedSecurityGroupIds[%d]", i), "must be set")
		}
	}
	if a.LogsKmsKeyArn == nil && !a.AllowLogsWithoutKmsKey {
		p.Addf("logsKmsKeyArn", "must be set (the key of the database's CloudWatch log groups), or allowLogsWithoutKmsKey set to opt out")
	}
	return p
}

// parameterFamily returns the parameter group family of a valid engine version.
func parameterFamily(engineVersion string) string {
	major, _, _ := strings.Cut(engineVersion, ".")
	return "postgres" + major
}
