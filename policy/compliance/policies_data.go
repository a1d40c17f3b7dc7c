package compliance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// GDPR's data controls: where resources live (Art. 44), how long logs and backups are kept
// (Art. 5(1)(e)).
// Encryption at rest (Art. 32(1)(a)) is the existing encryption policies, mapped to Art. 32.

func init() {
	register(
		&Policy{
			Name:        "data-residency-allowed-regions",
			Area:        "data",
			Description: "AWS providers deploy only to the regions allowedRegions lists.",
			Level:       Mandatory,
			Severity:    High,
			// Every AWS resource lives in its provider's region; a provider elsewhere moves the data
			// it stores there, which for personal data leaving the EU is a transfer under Chapter V.
			Remediation: "Set the provider's region (aws:region) to one of allowedRegions, or add the region to allowedRegions once the transfer has a legal basis.",
			Controls:    join(iso("A.5.34"), gdpr("Art. 44")),
			Types:       []string{tAWSProvider},
			// A stack policy: it sees the provider resources and, through each AWS resource's
			// provider reference, the providers that are not declared as resources.
			checkStack: checkResidency,
		},
		&Policy{
			Name:        "logs-retention-bounded",
			Area:        "logs",
			Description: "CloudWatch log groups keep events no longer than maxLogRetentionDays.",
			Level:       Mandatory,
			Severity:    Low,
			// Logs carry personal data (source addresses, user names, request paths); keeping them
			// longer than their purpose needs breaches storage limitation. Groups that never expire
			// are logs-retention-set's finding.
			Remediation: "Lower retentionInDays to maxLogRetentionDays or less, or raise maxLogRetentionDays with the reason the logs are needed longer.",
			Controls:    join(iso("A.8.10"), gdpr("Art. 5(1)(e)")),
			Types:       []string{tLogGroup},
			checkResource: func(c *run, r *Resource) {
				days, set, ok := c.numberField(r, "retentionInDays")
				if ok && set && days > float64(c.cfg.MaxLogRetentionDays) {
					c.violation(r, "retentionInDays is %d: log events may be kept at most %d days", int(days), c.cfg.MaxLogRetentionDays)
				}
			},
		},
		&Policy{
			Name:        "backup-retention-bounded",
			Area:        "backup",
			Description: "AWS Backup plan rules, and their copies, delete recovery points after at most maxBackupRetentionDays.",
			Level:       Mandatory,
			Severity:    Low,
			// Without lifecycle.deleteAfter a recovery point is kept until someone deletes it (AWS
			// Backup API Reference, Lifecycle): the copies of personal data outlive their purpose.
			Remediation: "Set lifecycle.deleteAfter on every rule and copy action to maxBackupRetentionDays or less (backupDailyRetentionDays, backupMonthlyRetentionMonths).",
			Controls:    join(iso("A.8.10"), gdpr("Art. 5(1)(e)")),
			Types:       []string{tBackupPlan},
			checkResource: func(c *run, r *Resource) {
				rules, _, ok := c.listField(r, "rules")
				if !ok {
					return
				}
				for i, rule := range rules {
					name, _ := asString(at(rule, "ruleName"))
					if name == "" {
						name = fmt.Sprintf("rules[%d]", i)
					}
					c.boundedDeleteAfter(r, "rule "+name, at(rule, "lifecycle.deleteAfter"))
					copies, st := asList(at(rule, "copyActions"))
					if st == unknown {
						c.cannotCheck(r, "rule %s: copyActions is not known yet", name)
						continue
					}
					for j, cp := range copies {
						c.boundedDeleteAfter(r, fmt.Sprintf("rule %s copy %d", name, j), at(cp, "lifecycle.deleteAfter"))
					}
				}
			},
		},
	)
}

// boundedDeleteAfter checks one lifecycle.deleteAfter against maxBackupRetentionDays.
func (c *run) boundedDeleteAfter(r *Resource, what string, v property.Value) {
	days, st := asNumber(v)
	switch st {
	case unknown:
		c.cannotCheck(r, "%s: lifecycle.deleteAfter is not known yet", what)
	case wrongType:
		c.violation(r, "%s: lifecycle.deleteAfter must be a number, got a %s", what, kind(v))
	case absent:
		c.violation(r, "%s: lifecycle.deleteAfter is not set: recovery points are kept until deleted by hand", what)
	default:
		if days > float64(c.cfg.MaxBackupRetentionDays) {
			c.violation(r, "%s: lifecycle.deleteAfter is %d days: recovery points may be kept at most %d days", what, int(days), c.cfg.MaxBackupRetentionDays)
		}
	}
}

// checkResidency checks the region of every AWS provider of the stack once: those declared as
// resources, and those only referenced by the resources that use them.
func checkResidency(c *run, rs []*Resource) {
	if len(c.cfg.AllowedRegions) == 0 {
		c.notApplicable = true
		return
	}
	seen := map[string]bool{}
	check := func(where *Resource, name string, props property.Map) {
		allowed := strings.Join(c.cfg.AllowedRegions, ", ")
		v := at(property.New(props), "region")
		region, st := asString(v)
		switch st {
		case unknown:
			c.cannotCheck(where, "region is not known yet")
		case wrongType:
			c.violation(where, "region must be a string, got a %s", kind(v))
		case absent:
			c.violation(where, "region of provider %s is not set: resources go wherever the deployer's AWS_REGION points, not only to %s", name, allowed)
		default:
			if !slices.Contains(c.cfg.AllowedRegions, region) {
				c.violation(where, "region %s of provider %s is not one of the allowed regions (%s)", region, name, allowed)
			}
		}
	}
	for _, r := range ofType(rs, tAWSProvider) {
		seen[r.URN] = true
		check(r, r.Name, r.Props)
	}
	for _, r := range rs {
		p := r.Provider
		if p == nil || p.Type != tAWSProvider || seen[p.URN] {
			continue
		}
		seen[p.URN] = true
		check(r, p.Name, p.Props)
	}
}
