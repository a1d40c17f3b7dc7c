package compliance

import "strings"

func init() {
	register(
		&Policy{
			Name:        SettingsPolicyName,
			Area:        "settings",
			Description: "Carries the pack settings to every policy and reports invalid settings.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Fix the compliance-settings entry of the --policy-pack-config file.",
			checkResource: func(c *run, r *Resource) {
				if c.settingsErr != nil && c.firstSettingsReport() {
					msg := strings.ReplaceAll(c.settingsErr.Error(), "\n", "; ")
					c.violation(r, "invalid compliance-settings, the defaults are used instead: %s", msg)
				}
			},
		},
		&Policy{
			Name:        "rds-storage-encrypted",
			Area:        "rds",
			Description: "RDS storage is encrypted with a customer managed KMS key.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Set storageEncrypted to true and kmsKeyId to a customer managed key (encryption cannot be added to an existing instance or cluster; restore from an encrypted snapshot).",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), cisAWS("2.3.1"), gdpr("Art. 32")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				// A read replica instance inherits its encryption from the source, which is checked.
				// A cluster states its own, replica or not.
				if r.Type == tRDSInstance && isReplica(r) {
					return
				}
				enc, ok := c.boolField(r, "storageEncrypted", false)
				if !ok {
					return
				}
				if !enc {
					c.violation(r, "storageEncrypted is not true: storage, automated backups and snapshots are unencrypted")
					return
				}
				if _, set, ok := c.stringField(r, "kmsKeyId"); ok && !set {
					c.violation(r, "kmsKeyId is not set: storage is encrypted with the AWS managed key aws/rds, not a customer managed key")
				}
			},
		},
		&Policy{
			Name:        "rds-not-publicly-accessible",
			Area:        "rds",
			Description: "RDS instances and Multi-AZ DB clusters are not publicly accessible.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Set publiclyAccessible to false (an instance) or name a DB subnet group of private database subnets (a Multi-AZ DB cluster), and place the database in private subnets.",
			Controls:    join(soc2("CC6.6"), iso("A.8.20", "A.8.22"), pci("1.3.1", "1.4.4"), cisAWS("2.3.3")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				if public, ok := c.boolField(r, "publiclyAccessible", false); ok && public {
					c.violation(r, "publiclyAccessible is true: the instance gets a public IP address and DNS name")
					return
				}
				if r.Type != tRDSCluster {
					return
				}
				// pulumi-aws 6.x cannot set publiclyAccessible on a cluster
				// (terraform-provider-aws#43107). RDS then makes a Multi-AZ DB cluster public when
				// no DB subnet group, or the "default" one, is named (CreateDBCluster,
				// PubliclyAccessible). An Aurora cluster's instances (aws:rds/clusterInstance) carry
				// the setting instead; this program creates none and the pack does not read them.
				if aurora, ok := isAurora(c, r); !ok || aurora {
					return
				}
				name, set, ok := c.stringField(r, "dbSubnetGroupName")
				switch {
				case !ok:
				case !set:
					c.violation(r, "dbSubnetGroupName is not set: RDS makes a Multi-AZ DB cluster without a DB subnet group publicly accessible")
				case strings.EqualFold(name, "default"):
					c.violation(r, `dbSubnetGroupName is "default": RDS makes a Multi-AZ DB cluster in the default DB subnet group publicly accessible`)
				}
			},
		},
		&Policy{
			Name:        "rds-multi-az-production",
			Area:        "rds",
			Description: "Production RDS databases survive the loss of an Availability Zone: an instance sets multiAz, a DB cluster is a Multi-AZ DB cluster (Aurora clusters are not checked).",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Set multiAz to true on a production instance; give a postgres or mysql DB cluster a dbClusterInstanceClass (RDS then builds a writer and two readable standbys in three zones).",
			Controls:    join(soc2("A1.2"), iso("A.8.14")),
			Types:       rdsDatabases,
			// An Aurora cluster's zones are those of its aws:rds/clusterInstance resources, which
			// this program does not create and the pack does not read: it is not judged here.
			applies:        func(r *Resource) bool { return r.Type != tRDSCluster || !knownAurora(r) },
			ProductionOnly: true,
			checkResource: func(c *run, r *Resource) {
				if r.Type == tRDSCluster {
					checkMultiAZCluster(c, r)
					return
				}
				if isReplica(r) {
					return
				}
				if multi, ok := c.boolField(r, "multiAz", false); ok && !multi {
					c.violation(r, "multiAz is not enabled in production stack %q: one Availability Zone failure stops the database", c.stack)
				}
			},
		},
		&Policy{
			Name:        "rds-backup-retention",
			Area:        "rds",
			Description: "RDS automated backups are kept long enough (minBackupRetentionDays, productionMinBackupRetentionDays in production).",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Raise backupRetentionPeriod (at most 35 days).",
			Controls:    join(soc2("A1.2"), iso("A.8.13")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				if isReplica(r) {
					return
				}
				minDays, where := c.cfg.MinBackupRetentionDays, ""
				if c.production {
					minDays, where = c.cfg.ProductionMinBackupRetentionDays, " in production"
				}
				days, set, ok := c.numberField(r, "backupRetentionPeriod")
				switch {
				case !ok:
				case !set:
					// BackupRetentionPeriod defaults to 1 (Amazon RDS API Reference, CreateDBInstance
					// and CreateDBCluster).
					c.violation(r, "backupRetentionPeriod is not set (the RDS API default is 1 day): at least %d days are required%s", minDays, where)
				case days < float64(minDays):
					c.violation(r, "backupRetentionPeriod is %g days: at least %d days are required%s", days, minDays, where)
				}
			},
		},
		&Policy{
			Name:           "rds-deletion-protection-production",
			Area:           "rds",
			Description:    "Production RDS databases have deletion protection.",
			Level:          Mandatory,
			Severity:       High,
			Remediation:    "Set deletionProtection to true in production.",
			Controls:       join(soc2("A1.2"), iso("A.5.33")),
			Types:          rdsDatabases,
			ProductionOnly: true,
			checkResource: func(c *run, r *Resource) {
				if protected, ok := c.boolField(r, "deletionProtection", false); ok && !protected {
					c.violation(r, "deletionProtection is not enabled in production stack %q: the database can be deleted by one API call", c.stack)
				}
			},
		},
		&Policy{
			Name:        "rds-iam-authentication",
			Area:        "rds",
			Description: "RDS databases accept IAM database authentication.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set iamDatabaseAuthenticationEnabled to true and grant rds-db:connect to the roles that need it.",
			Controls:    join(soc2("CC6.1"), iso("A.8.5"), pci("8.3.1")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				if iam, ok := c.boolField(r, "iamDatabaseAuthenticationEnabled", false); ok && !iam {
					c.violation(r, "iamDatabaseAuthenticationEnabled is not true: database logins rely on long-lived passwords only")
				}
			},
		},
		&Policy{
			Name:        "rds-tls-enforced",
			Area:        "rds",
			Description: "RDS databases use a parameter group that rejects connections without TLS.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Attach a parameter group (a DB cluster parameter group for a cluster) that sets rds.force_ssl=1 (PostgreSQL, SQL Server) or require_secure_transport=1 (MySQL, MariaDB).",
			Controls:    join(soc2("CC6.7"), iso("A.8.24")),
			Types:       rdsDatabases,
			checkStack:  checkRDSTLS,
		},
		&Policy{
			Name:        "rds-performance-insights-encrypted",
			Area:        "rds",
			Description: "RDS Performance Insights data is encrypted with a customer managed KMS key.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set performanceInsightsKmsKeyId to a customer managed key whenever performanceInsightsEnabled is true.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				enabled, ok := c.boolField(r, "performanceInsightsEnabled", false)
				if !ok || !enabled {
					return
				}
				if _, set, ok := c.stringField(r, "performanceInsightsKmsKeyId"); ok && !set {
					c.violation(r, "performanceInsightsEnabled is true but performanceInsightsKmsKeyId is not set: Performance Insights data uses the AWS managed key")
				}
			},
		},
		&Policy{
			Name:        "rds-auto-minor-version-upgrade",
			Area:        "rds",
			Description: "RDS databases take minor engine upgrades automatically.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Leave autoMinorVersionUpgrade unset or set it to true (a Multi-AZ DB cluster applies minor upgrades by default, CreateDBCluster AutoMinorVersionUpgrade).",
			Controls:    join(soc2("CC7.1"), iso("A.8.8"), pci("6.3.3"), cisAWS("2.3.2")),
			Types:       rdsDatabases,
			checkResource: func(c *run, r *Resource) {
				if auto, ok := c.boolField(r, "autoMinorVersionUpgrade", true); ok && !auto {
					c.violation(r, "autoMinorVersionUpgrade is false: engine security patches are not applied in the maintenance window")
				}
			},
		},
	)
}

// rdsDatabases are the RDS resources that hold data: DB instances and DB clusters (Multi-AZ DB
// clusters, and Aurora clusters where the same settings live on the cluster).
var rdsDatabases = []string{tRDSInstance, tRDSCluster}

// isReplica reports whether the database is a read replica: an instance that sets
// replicateSourceDb or a cluster that sets replicationSourceIdentifier. Presence decides,
// whatever the value: the source's identifier is unknown during preview and, offline, an output
// the mock does not answer arrives as "".
func isReplica(r *Resource) bool {
	if r.Type == tRDSCluster {
		return !r.get("replicationSourceIdentifier").IsNull()
	}
	return !r.get("replicateSourceDb").IsNull()
}

// checkMultiAZCluster passes a Multi-AZ DB cluster: a cluster with a DB cluster instance class,
// which RDS creates as a writer and two reader instances, each in a different Availability Zone
// (CreateDBCluster). The class is required to create one, so a postgres or mysql cluster without
// it is not one (CreateDBCluster, DBClusterInstanceClass). A read replica cluster is judged the
// same way: it is a Multi-AZ DB cluster too.
func checkMultiAZCluster(c *run, r *Resource) {
	_, set, ok := c.stringField(r, "dbClusterInstanceClass")
	if !ok || set {
		return
	}
	engine, _, ok := c.stringField(r, "engine")
	if !ok {
		return
	}
	what := "a DB cluster"
	if engine != "" {
		what = "a " + strings.ToLower(engine) + " DB cluster"
	}
	c.violation(r, "dbClusterInstanceClass is not set in production stack %q: %s without it is not a Multi-AZ DB cluster, and RDS requires it to create one",
		c.stack, what)
}

// knownAurora reports whether a cluster's engine is known to be an Aurora one (aurora-mysql,
// aurora-postgresql); an unknown or missing engine is not.
func knownAurora(r *Resource) bool {
	engine, st := asString(r.get("engine"))
	return st == present && strings.HasPrefix(strings.ToLower(engine), "aurora")
}

// isAurora reports whether a cluster runs an Aurora engine (aurora-mysql, aurora-postgresql);
// ok is false when the engine is not known yet (noted) or of a wrong type (reported).
func isAurora(c *run, r *Resource) (aurora, ok bool) {
	engine, _, ok := c.stringField(r, "engine")
	return strings.HasPrefix(strings.ToLower(engine), "aurora"), ok
}

// tlsParameters returns the parameter that forces TLS for an engine; an unknown engine accepts
// either.
func tlsParameters(engine string) []string {
	switch {
	case strings.Contains(engine, "mysql"), strings.Contains(engine, "mariadb"):
		return []string{"require_secure_transport"}
	case strings.Contains(engine, "postgres"), strings.HasPrefix(engine, "sqlserver"):
		return []string{"rds.force_ssl"}
	}
	return []string{"rds.force_ssl", "require_secure_transport"}
}

// checkRDSTLS links each instance to its parameter group, and each cluster to its DB cluster
// parameter group (matched by name, see linked), and requires the TLS parameter to be on.
func checkRDSTLS(c *run, rs []*Resource) {
	instanceGroups := ofType(rs, tRDSParameterGroup)
	clusterGroups := ofType(rs, tRDSClusterParameterGroup)
	for _, inst := range ofType(rs, rdsDatabases...) {
		engine, _, ok := c.stringField(inst, "engine")
		if !ok {
			continue
		}
		params := tlsParameters(strings.ToLower(engine))
		want := params[0] + "=1"

		prop, groups := "parameterGroupName", instanceGroups
		if inst.Type == tRDSCluster {
			prop, groups = "dbClusterParameterGroupName", clusterGroups
		}
		linkedGroups, known := linked(inst, prop, groups, "name")
		if len(linkedGroups) == 0 {
			name, st := asString(inst.get(prop))
			switch {
			case !known || st == unknown:
				c.cannotCheck(inst, "%s is not known yet", prop)
			case st == wrongType:
				c.violation(inst, "%s must be a string, got a %s", prop, kind(inst.get(prop)))
			case st == absent:
				c.violation(inst, "%s is not set: the engine's default parameter group cannot be shown to force TLS; attach one that sets %s", prop, want)
			default:
				c.violation(inst, "parameter group %q is not managed by this stack, so TLS enforcement cannot be verified; attach one that sets %s", name, want)
			}
			continue
		}
		pg := linkedGroups[0]
		list, _, ok := c.listField(pg, "parameters")
		if !ok {
			continue
		}
		value, found, pending := "", false, false
		for _, p := range list {
			name, nst := asString(at(p, "name"))
			if nst == unknown {
				pending = true
				continue
			}
			if nst != present || !containsFold(params, name) {
				continue
			}
			v, vst := asString(at(p, "value"))
			if vst == unknown {
				pending = true
				continue
			}
			value, found = v, true
		}
		switch {
		case found && tlsOn(value):
		case found:
			c.violation(inst, "parameter group %s sets %s to %q: it must be 1", pg.Name, params[0], value)
		case pending:
			c.cannotCheck(inst, "the parameters of parameter group %s are not known yet", pg.Name)
		default:
			c.violation(inst, "parameter group %s does not set %s: clients may connect without TLS", pg.Name, want)
		}
	}
}

func tlsOn(v string) bool { return v == "1" || strings.EqualFold(v, "on") }

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}
