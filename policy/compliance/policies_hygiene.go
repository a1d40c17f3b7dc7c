package compliance

import "fmt"

// pulumiDefaultSGDescription is what pulumi-aws puts in a security group's description when the
// program sets none (aws.ec2.SecurityGroup, description: "Defaults to Managed by Pulumi").
const pulumiDefaultSGDescription = "Managed by Pulumi"

func init() {
	register(
		&Policy{
			Name:        "resource-descriptions",
			Area:        "aws",
			Description: "KMS keys, Secrets Manager secrets, security groups and security group rules say what they are for (description).",
			// Advisory: a missing description slows a review or an incident, it exposes nothing.
			Level:       Advisory,
			Severity:    Low,
			Remediation: "Set description on the key, secret, security group or rule: what it protects or allows, and for whom.",
			// Descriptions document what each asset is for (ISO 27001 A.5.9, inventory of assets).
			Controls: iso("A.5.9"),
			Types:    []string{tKMSKey, tSecret, tSecurityGroup, tSGIngressRule, tSGEgressRule, tSGRule},
			checkResource: func(c *run, r *Resource) {
				desc, set, ok := c.stringField(r, "description")
				switch {
				case !ok:
					return
				case !set || (r.Type == tSecurityGroup && desc == pulumiDefaultSGDescription):
					c.violation(r, "description is not set")
				}
				if r.Type != tSecurityGroup {
					return
				}
				for _, dir := range []string{"ingress", "egress"} {
					rules, _, ok := c.listField(r, dir)
					if !ok {
						continue
					}
					for i, rule := range rules {
						if d, st := asString(at(rule, "description")); st == absent || (st == present && d == "") {
							c.violation(r, "%s has no description", fmt.Sprintf("%s[%d]", dir, i))
						}
					}
				}
			},
		},
		&Policy{
			Name:        "kms-key-enabled",
			Area:        "kms",
			Description: "KMS keys are enabled.",
			Level:       Mandatory,
			Severity:    Medium,
			// A disabled key cannot decrypt: everything encrypted under it becomes unreadable
			// until it is enabled again (AWS KMS Developer Guide, "Enabling and disabling keys").
			Remediation: "Leave isEnabled unset or set it to true; disable a key deliberately, outside the program.",
			Controls:    soc2("A1.2"),
			Types:       []string{tKMSKey},
			checkResource: func(c *run, r *Resource) {
				if on, ok := c.boolField(r, "isEnabled", true); ok && !on {
					c.violation(r, "isEnabled is false: data encrypted under the key cannot be decrypted")
				}
			},
		},
	)
}
