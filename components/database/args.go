package database

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// PostgresArgs configures a Postgres component. Zero values mean the documented default.
type PostgresArgs struct {
	// VpcId is the VPC the database security group is created in. Required.
	VpcId pulumi.StringInput
	// SubnetIds are the database subnets, in at least two availability zones (RDS requires two
	// even for a single-AZ instance). Required.
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

	// EngineVersion is the PostgreSQL version, a major ("17") or major.minor ("17.4"). With a
	// major only, RDS picks its default minor and automatic minor upgrades keep it current; the
	// parameter group family is postgres<major>. Default: "17".
	EngineVersion string
	// InstanceClass is the RDS instance class of the primary and of every read replica.
	// Default: "db.r6g.xlarge".
	InstanceClass string
	// AllocatedStorageGb is the initial gp3 storage in GiB (20 to 65536 for PostgreSQL).
	// Default: 1000.
	AllocatedStorageGb int
	// MaxAllocatedStorageGb is the storage autoscaling ceiling in GiB. RDS requires it to be at
	// least 10% above the allocated storage. Default: 2 × AllocatedStorageGb.
	MaxAllocatedStorageGb int
	// SingleAz opts out of a Multi-AZ deployment (no standby in a second zone, no automatic
	// failover). Default: false (Multi-AZ).
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
	// ReadReplicaCount is the number of same-region read replicas, 0 to 5. Default: 0.
	ReadReplicaCount int
	// DatabaseName is the database created with the instance. Default: "novacron".
	DatabaseName string
	// MasterUsername is the master user; its password is generated and rotated by RDS in Secrets
	// Manager and never exists in config or code. Default: "novacron_admin".
	MasterUsername string
	// AllowDestroy is for disposable environments: it turns deletion protection off, skips the
	// final snapshot, deletes automated backups with the instance and drops pulumi protect from
	// the instance and its KMS key. Default: false.
	AllowDestroy bool
}

// Defaults, as documented on the fields.
const (
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
	// gp3 storage for RDS for PostgreSQL: 20 to 65536 GiB (CreateDBInstance, AllocatedStorage).
	minStorageGb = 20
	maxStorageGb = 65536
	// Storage autoscaling: the ceiling must be at least 10% above the allocated storage
	// (RDS user guide, "Managing capacity automatically with Amazon RDS storage autoscaling").
	minAutoscalingHeadroomPercent = 110
	maxReadReplicas               = 5
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
	// Component names become RDS identifiers and subnet/parameter group names (with a suffix
	// added by autonaming), which RDS wants lowercase, without "--" and not ending with "-".
	componentNameRe = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
)

// maxComponentNameLen keeps "<name>-replica-5" plus the 8 characters of autonaming within the
// 63 characters of an RDS identifier.
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
	if a.EngineVersion == "" {
		a.EngineVersion = defaultEngineVersion
	}
	if a.InstanceClass == "" {
		a.InstanceClass = defaultInstanceClass
	}
	if a.AllocatedStorageGb == 0 {
		a.AllocatedStorageGb = defaultAllocatedStorageGb
	}
	if a.MaxAllocatedStorageGb == 0 {
		a.MaxAllocatedStorageGb = 2 * a.AllocatedStorageGb
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

	p.IntRange("allocatedStorageGb", d.AllocatedStorageGb, minStorageGb, maxStorageGb)
	if d.AllocatedStorageGb >= minStorageGb && d.AllocatedStorageGb <= maxStorageGb {
		// Integer ceiling of 110%, the smallest ceiling RDS accepts.
		floor := (d.AllocatedStorageGb*minAutoscalingHeadroomPercent + 99) / 100
		if d.MaxAllocatedStorageGb < floor || d.MaxAllocatedStorageGb > maxStorageGb {
			p.Addf("maxAllocatedStorageGb", "must be between %d (allocatedStorageGb + 10%%) and %d, got %d",
				floor, maxStorageGb, d.MaxAllocatedStorageGb)
		}
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

	p.IntRange("readReplicaCount", d.ReadReplicaCount, 0, maxReadReplicas)

	switch {
	case !databaseNameRe.MatchString(d.DatabaseName):
		p.Addf("databaseName", "must start with a letter and hold 1 to 63 letters, digits or underscores, got %q", d.DatabaseName)
	case contains(reservedDatabaseNames, strings.ToLower(d.DatabaseName)):
		p.Addf("databaseName", "must not be %q, which exists on every RDS for PostgreSQL instance", d.DatabaseName)
	}

	lower := strings.ToLower(d.MasterUsername)
	switch {
	case !masterUsernameRe.MatchString(d.MasterUsername):
		p.Addf("masterUsername", "must start with a letter and hold 1 to 16 letters, digits or underscores, got %q", d.MasterUsername)
	case contains(reservedUsernames, lower):
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
	return p
}

// parameterFamily returns the parameter group family of a valid engine version.
func parameterFamily(engineVersion string) string {
	major, _, _ := strings.Cut(engineVersion, ".")
	return "postgres" + major
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
