package compliance

// SQS queues: the cluster's Karpenter interruption queue, fed by EventBridge.
func init() {
	register(
		&Policy{
			Name:        "sqs-queue-encrypted",
			Area:        "sqs",
			Description: "SQS queues encrypt messages at rest (SSE-SQS or a KMS key).",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set sqsManagedSseEnabled to true, or kmsMasterKeyId to a KMS key.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24")),
			Types:       []string{tSQSQueue},
			checkResource: func(c *run, r *Resource) {
				sse, ok := c.boolField(r, "sqsManagedSseEnabled", false)
				if !ok || sse {
					return
				}
				if _, set, ok := c.stringField(r, "kmsMasterKeyId"); ok && !set {
					c.violation(r, "neither sqsManagedSseEnabled nor kmsMasterKeyId is set: encryption at rest is left to the SQS default")
				}
			},
		},
		&Policy{
			Name:        "sqs-policy-no-public-principal",
			Area:        "sqs",
			Description: "SQS queue policies allow no action to any principal (\"*\") without a condition that restricts the caller.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Name the principals (for EventBridge, the events.amazonaws.com service), or add a condition on aws:SourceArn, aws:SourceAccount or aws:PrincipalAccount to the Allow statement.",
			Controls:    join(soc2("CC6.1"), iso("A.8.3")),
			Types:       []string{tSQSQueue, tSQSQueuePolicy},
			checkResource: func(c *run, r *Resource) {
				checkPublicPrincipal(c, r, "policy")
			},
		},
	)
}
