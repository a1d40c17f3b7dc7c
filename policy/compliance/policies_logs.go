package compliance

// CloudWatch Logs: the log groups the program creates for EKS control-plane logs, VPC flow logs
// and exported database logs.
const tLogGroup = "aws:cloudwatch/logGroup:LogGroup"

// auditLogRetentionDays is PCI DSS v4.0 10.5.1: "Retain audit log history for at least 12
// months, with at least the most recent three months immediately available for analysis". A
// CloudWatch Logs group keeps every event immediately searchable, and 365 is the retention value
// CloudWatch offers for a year (PutRetentionPolicy, retentionInDays).
const auditLogRetentionDays = 365

func init() {
	register(
		&Policy{
			Name:        "logs-encrypted-with-cmk",
			Area:        "logs",
			Description: "CloudWatch log groups are encrypted with a customer managed KMS key.",
			Level:       Mandatory,
			Severity:    Medium,
			// Without kmsKeyId CloudWatch Logs encrypts with a key of its own, and anyone with
			// logs:GetLogEvents reads the events; with a customer managed key reading also needs
			// kms:Decrypt on that key (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch
			// Logs using AWS KMS").
			Remediation: "Set kmsKeyId to a customer managed key whose policy lets the regional CloudWatch Logs principal use it.",
			Controls:    join(soc2("CC6.1"), iso("A.8.15", "A.8.24"), gdpr("Art. 32")),
			Types:       []string{tLogGroup},
			checkResource: func(c *run, r *Resource) {
				if _, set, ok := c.stringField(r, "kmsKeyId"); ok && !set {
					c.violation(r, "kmsKeyId is not set: the log group is encrypted with CloudWatch Logs' own key, not a customer managed key")
				}
			},
		},
		&Policy{
			Name:        "logs-retention-set",
			Area:        "logs",
			Description: "CloudWatch log groups expire their events (retentionInDays is set and not 0).",
			Level:       Mandatory,
			Severity:    Low,
			// retentionInDays unset or 0 keeps events forever (CloudWatch Logs API Reference,
			// PutRetentionPolicy): storage grows without bound and nothing is ever deleted.
			Remediation: "Set retentionInDays to one of CloudWatch's retention values (365 or more for audit logs in production).",
			Controls:    join(iso("A.8.10"), gdpr("Art. 5(1)(e)")),
			Types:       []string{tLogGroup},
			checkResource: func(c *run, r *Resource) {
				days, set, ok := c.numberField(r, "retentionInDays")
				switch {
				case !ok:
				case !set:
					c.violation(r, "retentionInDays is not set: the log group keeps its events forever")
				case days == 0:
					c.violation(r, "retentionInDays is 0: the log group keeps its events forever")
				}
			},
		},
		&Policy{
			Name:        "logs-retention-one-year-production",
			Area:        "logs",
			Description: "Production CloudWatch log groups keep their events for at least a year (365 days).",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set retentionInDays to 365 or more (flowLogRetentionDays, clusterLogRetentionDays, dbLogRetentionDays in the production stack).",
			Controls:    join(soc2("CC7.2"), iso("A.8.15"), pci("10.5.1")),
			Types:       []string{tLogGroup},
			// Staging holds no audit history anyone relies on; its shorter retention saves storage.
			ProductionOnly: true,
			checkResource: func(c *run, r *Resource) {
				days, set, ok := c.numberField(r, "retentionInDays")
				// Unset and 0 keep events forever: long enough here, logs-retention-set reports them.
				if ok && set && days > 0 && days < auditLogRetentionDays {
					c.violation(r, "retentionInDays is %d in production stack %q: audit logs must be kept at least %d days (PCI DSS 10.5.1, 12 months)",
						int(days), c.stack, auditLogRetentionDays)
				}
			},
		},
	)
}
