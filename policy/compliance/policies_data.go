package compliance

import (
	"slices"
	"strings"
)

// GDPR's data controls: where resources live (Art. 44), how long logs are kept (Art. 5(1)(e)).
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
			checkResource: func(c *run, r *Resource) {
				if len(c.cfg.AllowedRegions) == 0 {
					c.notApplicable = true
					return
				}
				region, set, ok := c.stringField(r, "region")
				switch {
				case !ok:
				case !set:
					c.violation(r, "region is not set: resources go wherever the deployer's AWS_REGION points, not only to %s",
						strings.Join(c.cfg.AllowedRegions, ", "))
				case !slices.Contains(c.cfg.AllowedRegions, region):
					c.violation(r, "region %s is not one of the allowed regions (%s)", region, strings.Join(c.cfg.AllowedRegions, ", "))
				}
			},
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
	)
}
