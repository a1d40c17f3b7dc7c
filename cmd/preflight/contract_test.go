package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ciphertexts and a plain-text secret that must never reach any output.
const (
	grafanaCiphertext   = "v1:R1JBRkFOQS1DSVBIRVJURVhULTdjMmU="
	pagerCiphertext     = "v1:UEFHRVJEVVRZLUNJUEhFUlRFWFQtOWQ0MQ=="
	slackCiphertext     = "v1:U0xBQ0stQ0lQSEVSVEVYVC0zYjhm"
	heartbeatCiphertext = "v1:SEVBUlRCRUFULUNJUEhFUlRFWFQtNmEwZQ=="
	plainSecret         = "hunter2-plaintext-5f0a"
)

// secretsHeader starts every stack file of the contract test: the platform's secrets, set the
// way `pulumi config set --secret` writes them, except those the case sets itself.
func secretsHeader(config string) string {
	header := "config:\n"
	for _, s := range []struct{ key, ciphertext string }{
		{"grafanaAdminPassword", grafanaCiphertext},
		{"pagerdutyRoutingKey", pagerCiphertext},
		{"slackWebhookUrl", slackCiphertext},
		{"heartbeatUrl", heartbeatCiphertext},
	} {
		if !strings.Contains(config, "novacron-platform:"+s.key+":") {
			header += "  novacron-platform:" + s.key + ":\n    secure: " + s.ciphertext + "\n"
		}
	}
	return header
}

var goTypeNames = regexp.MustCompile(`\[\]string|\[\]interface|map\[|interface \{\}|\bint64\b|\bfloat64\b|config\.Value|config\.Map`)

// TestPreflightRefusesWhatTheCloudWouldRefuse holds one stack file per class of mistake: the
// configuration is a contract, and each breach exits 2 with a message that names the key
// (stack: namespace:key), without a panic, a Go type name or a secret in the output.
//
// The value classes (retention, instance types, GPU pool, node counts, tags, ranges, the node
// AMI release, the backup region, the Slack channel) are the components' Validate rules;
// this test holds preflight to them from the outside.
func TestPreflightRefusesWhatTheCloudWouldRefuse(t *testing.T) {
	tests := []struct {
		name string
		// config lines, indented under config:; top is appended at the top level.
		config string
		top    string
		key    string
		want   []string
	}{
		// The configuration is a contract: unknown keys are errors.
		{name: "misspelt key", config: "novacron-platform:vpcCdir: 10.5.0.0/16",
			key: "novacron-platform:vpcCdir", want: []string{"did you mean novacron-platform:vpcCidr?"}},
		{name: "key under another namespace", config: "novacron:generalMaxNodes: 6",
			key: "novacron:generalMaxNodes", want: []string{"did you mean novacron-platform:generalMaxNodes?"}},
		{name: "block that fell out of config", top: "novacron-platform:generalMaxNodes: 6",
			key: "novacron-platform:generalMaxNodes", want: []string{"outside config:", "indent it under config:"}},
		{name: "key of the retired node groups", config: "novacron-platform:generalMaxSize: 6",
			key: "novacron-platform:generalMaxSize", want: []string{"is not declared in Pulumi.yaml"}},
		{name: "AWS provider setting the program would not apply", config: "aws:profile: production-admin",
			key: "aws:profile", want: []string{"is not applied", "AWS_PROFILE"}},

		// Values of the wrong type: one message, naming the key.
		{name: "list where a string is expected", config: "novacron-platform:vpcCidr: [10.0.0.0/16]",
			key: "novacron-platform:vpcCidr", want: []string{"must be a single value"}},
		{name: "word where a whole number is expected", config: "novacron-platform:generalMaxNodes: ten",
			key: "novacron-platform:generalMaxNodes", want: []string{`must be a whole number, got "ten"`}},
		{name: "object where a whole number is expected", config: "novacron-platform:mlMaxNodes:\n  max: 5",
			key: "novacron-platform:mlMaxNodes", want: []string{"must be a whole number, got an object"}},
		{name: "version YAML reads as a number", config: "novacron-platform:kubernetesVersion: 1.30",
			key: "novacron-platform:kubernetesVersion", want: []string{`quote it, "1.30"`}},
		{name: "long value", config: "novacron-platform:vpcCidr: " + strings.Repeat("10.0.0.0/16,", 40),
			key: "novacron-platform:vpcCidr", want: []string{"…"}},

		// Arithmetic cannot overflow.
		{name: "node count that overflows a cost", config: "novacron-platform:generalMaxNodes: 9223372036854775807",
			key: "novacron-platform:generalMaxNodes", want: []string{"must be at most 2147483647"}},
		{name: "storage that overflows a cost", config: "novacron-platform:dbAllocatedStorageGb: 92233720368547758070",
			key: "novacron-platform:dbAllocatedStorageGb", want: []string{"must be at most"}},

		// The region is named when it is part of the problem.
		{name: "zone outside the region", config: "novacron-platform:availabilityZones: [us-east-1a, us-east-1b, us-west-2c]",
			key: "novacron-platform:availabilityZones", want: []string{"aws:region us-east-1"}},
		{name: "malformed region", config: "aws:region: us-east1\nnovacron-platform:availabilityZones: [us-east1a, us-east1b, us-east1c]",
			key: "aws:region", want: []string{"did you mean us-east-1?"}},

		// Secrets.
		{name: "secret in plain text", config: "novacron-platform:grafanaAdminPassword: " + plainSecret,
			key: "novacron-platform:grafanaAdminPassword", want: []string{"plain text"}},
		{name: "secret in plain text that YAML reads as a number", config: "novacron-platform:pagerdutyRoutingKey: 8675309.10",
			key: "novacron-platform:pagerdutyRoutingKey", want: []string{"plain text"}},

		// Every value is checked against what the service accepts.
		{name: "flow log retention not a CloudWatch value", config: "novacron-platform:flowLogRetentionDays: 42",
			key: "novacron-platform:flowLogRetentionDays", want: []string{"42"}},
		{name: "cluster log retention not a CloudWatch value", config: "novacron-platform:clusterLogRetentionDays: 100",
			key: "novacron-platform:clusterLogRetentionDays", want: []string{"100"}},
		{name: "database log retention not a CloudWatch value", config: "novacron-platform:dbLogRetentionDays: 45",
			key: "novacron-platform:dbLogRetentionDays", want: []string{"45"}},
		{name: "instance type that does not exist", config: "novacron-platform:generalInstanceTypes: [m5.xlarg]",
			key: "novacron-platform:generalInstanceTypes", want: []string{"m5.xlarg"}},
		{name: "GPU pool without a GPU", config: "novacron-platform:mlInstanceTypes: [m5.xlarge]",
			key: "novacron-platform:mlInstanceTypes", want: []string{"GPU"}},
		{name: "capacity type Karpenter does not know", config: "novacron-platform:generalCapacityType: spotty",
			key: "novacron-platform:generalCapacityType", want: []string{"spotty"}},
		{name: "floor above the pool's limit", config: "novacron-platform:generalMinNodes: 11",
			key: "novacron-platform:generalMinNodes", want: []string{"maxNodes"}},
		{name: "tag value with characters AWS refuses", config: "novacron-platform:owner: \"platform team!\"",
			key: "novacron-platform:owner", want: []string{"owner"}},
		{name: "tag value too long", config: "novacron-platform:costCenter: " + strings.Repeat("c", 300),
			key: "novacron-platform:costCenter", want: []string{"256"}},
		{name: "VPC over the Docker bridge range", config: "novacron-platform:vpcCidr: 172.17.0.0/16",
			key: "novacron-platform:vpcCidr", want: []string{"172.17.0.0/16"}},
		{name: "public CIDRs that cover the internet together",
			config: "novacron-platform:clusterEndpointPublicAccess: true\nnovacron-platform:clusterPublicAccessCidrs: [0.0.0.0/1, 128.0.0.0/1]",
			key:    "novacron-platform:clusterPublicAccessCidrs", want: []string{"internet"}},
		{name: "node AMI release of another Kubernetes minor", config: "novacron-platform:nodeAmiRelease: 1.34.9-20260714",
			key: "novacron-platform:nodeAmiRelease", want: []string{"1.35"}},
		{name: "backup copy in the stack's own region",
			config: "novacron-platform:backupCopyDestinationVaultArn: arn:aws:backup:us-east-1:123456789012:backup-vault:copies",
			key:    "novacron-platform:backupCopyDestinationVaultArn", want: []string{"aws:region"}},
		{name: "Slack channel Slack refuses", config: "novacron-platform:slackChannel: \"novacron alerts\"",
			key: "novacron-platform:slackChannel", want: []string{"novacron alerts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := secretsHeader(tt.config) + indent(tt.config)
			if tt.top != "" {
				content += tt.top + "\n"
			}
			dir := projectCopy(t, "x", "")
			require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.t.yaml"), []byte(content), 0o644))
			var stdout, stderr bytes.Buffer
			code := realMain([]string{"--stack", "t", "--dir", dir}, &stdout, &stderr)
			out := stdout.String() + stderr.String()

			assert.Equal(t, exitUsage, code, "exit 2: %s", stderr.String())
			assert.Empty(t, stdout.String(), "no report for a configuration that does not load")
			assert.Contains(t, stderr.String(), "t: "+tt.key+" ", "the message names the stack and the key")
			for _, w := range tt.want {
				assert.Contains(t, stderr.String(), w)
			}
			assert.Equal(t, 1, strings.Count(stderr.String(), "t: "+tt.key+" "), "one message about %s:\n%s", tt.key, stderr.String())
			assert.NotContains(t, out, "panic")
			assert.NotContains(t, out, "goroutine")
			assert.NotRegexp(t, goTypeNames, out, "no Go type names")
			for _, secret := range []string{grafanaCiphertext, pagerCiphertext, slackCiphertext, plainSecret, "UEFHRVJEVVRZ", "8675309"} {
				assert.NotContains(t, out, secret, "no secret in the output")
			}
		})
	}
}

// TestEncryptedValueIsCheckedWithItsDefault: `pulumi config set --secret` on any key is legal.
// Offline the value cannot be decrypted: preflight checks the default, says so on stderr, and
// prints neither the ciphertext nor a placeholder as the value.
func TestEncryptedValueIsCheckedWithItsDefault(t *testing.T) {
	const ciphertext = "v1:VlBDLUNJRFItQ0lQSEVSVEVYVC1lNGQy"
	project := projectCopy(t, "production", "novacron-platform:vpcCidr:\n  secure: "+ciphertext+"\n")
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"--stack", "production", "--dir", project, "--format", "json"}, &stdout, &stderr)
	assert.Contains(t, []int{exitClean, exitMandatory}, code, stderr.String())
	assert.Contains(t, stderr.String(),
		"preflight: note: novacron-platform:vpcCidr is encrypted in Pulumi.production.yaml and cannot be decrypted offline: checked with its Pulumi.yaml default instead\n")
	assert.NotContains(t, stdout.String()+stderr.String(), ciphertext)
	assert.NotContains(t, stderr.String(), "[secret]")
	assert.Contains(t, stdout.String(), `"stack": "production"`, "the report is written")
}
