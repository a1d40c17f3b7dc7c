package compliance

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func init() {
	register(
		&Policy{
			Name:        "s3-encryption",
			Area:        "s3",
			Description: "S3 buckets have a default server-side encryption configuration.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Attach an aws.s3.BucketServerSideEncryptionConfigurationV2 with sseAlgorithm aws:kms (or AES256).",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), gdpr("Art. 32")),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				forBucketParts(c, rs, tBucketEncryption, "an encryption configuration", func(b *Resource, parts []*Resource) {
					inline := at(property.New(b.Props), "serverSideEncryptionConfigurations")
					if hasSSERule(at(inline, "rules"), "applyServerSideEncryptionByDefaults") {
						return
					}
					for _, p := range parts {
						if hasSSERule(p.get("rules"), "applyServerSideEncryptionByDefault") {
							return
						}
					}
					if len(parts) == 0 {
						c.violation(b, "no server-side encryption configuration is attached to the bucket")
						return
					}
					c.violation(b, "the bucket's encryption configuration has no rule with an sseAlgorithm")
				})
			},
		},
		&Policy{
			Name:        "s3-public-access-block",
			Area:        "s3",
			Description: "S3 buckets block public access with all four settings.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Attach an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets set to true.",
			Controls:    join(soc2("CC6.1"), iso("A.8.3"), cisAWS("2.1.4")),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				flags := []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"}
				forBucketParts(c, rs, tBucketAccessBlock, "a public access block", func(b *Resource, parts []*Resource) {
					if len(parts) == 0 {
						c.violation(b, "no BucketPublicAccessBlock is attached to the bucket")
						return
					}
					var off []string
					for _, f := range flags {
						on, st := asBool(parts[0].get(f))
						switch {
						case st == unknown:
							c.cannotCheck(b, "%s of the public access block is not known yet", f)
							return
						case !on:
							off = append(off, f)
						}
					}
					if len(off) > 0 {
						c.violation(b, "the bucket's public access block leaves %s off", strings.Join(off, ", "))
					}
				})
			},
		},
		&Policy{
			Name:        "s3-versioning",
			Area:        "s3",
			Description: "S3 buckets keep object versions.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Attach an aws.s3.BucketVersioningV2 with versioningConfiguration.status Enabled (and a lifecycle rule for noncurrent versions).",
			Controls:    join(soc2("A1.2"), iso("A.8.13")),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				forBucketParts(c, rs, tBucketVersioning, "a versioning configuration", func(b *Resource, parts []*Resource) {
					if on, st := asBool(b.get("versionings.enabled")); st == present && on {
						return
					}
					if len(parts) == 0 {
						c.violation(b, "no BucketVersioningV2 is attached to the bucket: versioning is off")
						return
					}
					status, st := asString(parts[0].get("versioningConfiguration.status"))
					switch {
					case st == unknown:
						c.cannotCheck(b, "the versioning status is not known yet")
					case status != "Enabled":
						c.violation(b, "the bucket's versioning status is %q: it must be Enabled", status)
					}
				})
			},
		},
		&Policy{
			Name:        "s3-tls-only",
			Area:        "s3",
			Description: "S3 bucket policies deny requests that do not use TLS.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Attach a bucket policy with a Deny statement for all principals and s3:* when aws:SecureTransport is false.",
			Controls:    join(soc2("CC6.7"), iso("A.8.24"), pci("4.2.1"), cisAWS("2.1.1")),
			Types:       []string{tBucket},
			checkStack: func(c *run, rs []*Resource) {
				forBucketParts(c, rs, tBucketPolicy, "a bucket policy", func(b *Resource, parts []*Resource) {
					docs := []property.Value{b.get("policy")}
					for _, p := range parts {
						docs = append(docs, p.get("policy"))
					}
					pending := false
					for _, d := range docs {
						switch deniesInsecureTransport(d) {
						case present:
							return
						case unknown:
							pending = true
						}
					}
					switch {
					case pending:
						c.cannotCheck(b, "the bucket policy is not known yet")
					case len(parts) == 0:
						c.violation(b, "no bucket policy denies requests without TLS (aws:SecureTransport false)")
					default:
						c.violation(b, "the bucket policy has no Deny statement for aws:SecureTransport false")
					}
				})
			},
		},
		&Policy{
			Name:        "ecr-scan-on-push",
			Area:        "ecr",
			Description: "ECR repositories scan images for vulnerabilities on push.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Set imageScanningConfiguration.scanOnPush to true.",
			Controls:    join(soc2("CC7.1"), iso("A.8.8"), pci("6.3.1"), cisEKS("5.1.1")),
			Types:       []string{tECRRepository},
			checkResource: func(c *run, r *Resource) {
				if scan, ok := c.boolField(r, "imageScanningConfiguration.scanOnPush", false); ok && !scan {
					c.violation(r, "imageScanningConfiguration.scanOnPush is not true: pushed images are not scanned for vulnerabilities")
				}
			},
		},
		&Policy{
			Name:        "ecr-immutable-tags",
			Area:        "ecr",
			Description: "ECR repositories have immutable image tags.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set imageTagMutability to IMMUTABLE.",
			Controls:    join(soc2("CC8.1"), iso("A.8.32"), pci("6.5.1")),
			Types:       []string{tECRRepository},
			checkResource: func(c *run, r *Resource) {
				m, set, ok := c.stringField(r, "imageTagMutability")
				switch {
				case !ok:
				case !set:
					c.violation(r, "imageTagMutability is not set (MUTABLE by default): a pushed tag can be overwritten")
				case m != "IMMUTABLE" && m != "IMMUTABLE_WITH_EXCLUSION":
					c.violation(r, "imageTagMutability is %s: a pushed tag can be overwritten", m)
				}
			},
		},
		&Policy{
			Name:        "kms-key-rotation",
			Area:        "kms",
			Description: "Customer managed symmetric KMS keys rotate their key material.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set enableKeyRotation to true.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.7.4"), cisAWS("3.6")),
			Types:       []string{tKMSKey},
			checkResource: func(c *run, r *Resource) {
				// KMS rotates only symmetric encryption keys; asymmetric and HMAC keys are exempt.
				spec, set, ok := c.stringField(r, "customerMasterKeySpec")
				if !ok || (set && spec != "SYMMETRIC_DEFAULT") {
					return
				}
				usage, set, ok := c.stringField(r, "keyUsage")
				if !ok || (set && usage != "ENCRYPT_DECRYPT") {
					return
				}
				if rotate, ok := c.boolField(r, "enableKeyRotation", false); ok && !rotate {
					c.violation(r, "enableKeyRotation is not true: the key material is never rotated")
				}
			},
		},
		&Policy{
			Name:        "secretsmanager-cmk",
			Area:        "secretsmanager",
			Description: "Secrets Manager secrets are encrypted with a customer managed KMS key.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set kmsKeyId to a customer managed key.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("8.3.2")),
			Types:       []string{tSecret},
			checkResource: func(c *run, r *Resource) {
				if _, set, ok := c.stringField(r, "kmsKeyId"); ok && !set {
					c.violation(r, "kmsKeyId is not set: the secret is encrypted with the AWS managed key aws/secretsmanager")
				}
			},
		},
		&Policy{
			Name:        "secretsmanager-rotation",
			Area:        "secretsmanager",
			Description: "Secrets Manager secrets are rotated automatically, and RDS master passwords are kept and rotated by RDS (manageMasterUserPassword).",
			// Advisory: third-party credentials (Slack webhook, PagerDuty key) cannot be rotated
			// by a Lambda; their rotation is a manual procedure.
			Level:       Advisory,
			Severity:    Low,
			Remediation: "Attach an aws.secretsmanager.SecretRotation, set manageMasterUserPassword on RDS databases, or list a secret no function can rotate under exceptions with the reason.",
			Controls:    join(soc2("CC6.1"), iso("A.5.17"), pci("8.6.3")),
			Types:       []string{tSecret, tRDSInstance, tRDSCluster},
			// Databases count when the program decides their master credential; a replica or a
			// restore without one has nothing to rotate.
			applies: func(r *Resource) bool {
				return r.Type == tSecret || !r.get("manageMasterUserPassword").IsNull() || !r.get(masterPasswordField(r)).IsNull()
			},
			checkStack: func(c *run, rs []*Resource) {
				// With manageMasterUserPassword, RDS generates the master password, keeps it in
				// Secrets Manager and rotates it, every seven days by default (Amazon RDS User
				// Guide, "Password management with Amazon RDS and AWS Secrets Manager").
				for _, db := range append(ofType(rs, tRDSInstance), ofType(rs, tRDSCluster)...) {
					managed, ok := c.boolField(db, "manageMasterUserPassword", false)
					if !ok || managed {
						continue
					}
					if _, set, ok := c.stringField(db, masterPasswordField(db)); ok && set {
						c.violation(db, "%s is set by the program and nothing rotates it: set manageMasterUserPassword so that RDS keeps and rotates it in Secrets Manager", masterPasswordField(db))
					}
				}
				rotations := ofType(rs, tSecretRotation)
				for _, s := range ofType(rs, tSecret) {
					rotated, pending := false, false
					for _, rot := range rotations {
						targets, known := linked(rot, "secretId", []*Resource{s}, "id", "arn")
						rotated = rotated || len(targets) > 0
						pending = pending || !known
					}
					switch {
					case rotated:
					case pending:
						c.cannotCheck(s, "the secret of a SecretRotation is not known yet")
					default:
						c.violation(s, "no SecretRotation rotates this secret")
					}
				}
			},
		},
	)
}

// masterPasswordField names the master password input: password on an instance, masterPassword
// on a cluster (pulumi-aws rds.Instance and rds.Cluster).
func masterPasswordField(r *Resource) string {
	if r.Type == tRDSCluster {
		return "masterPassword"
	}
	return "password"
}

// forBucketParts calls each for every bucket with the resources of partType that configure it
// (linked through their bucket property), or notes that it cannot check yet.
func forBucketParts(c *run, rs []*Resource, partType, what string, each func(bucket *Resource, parts []*Resource)) {
	parts := ofType(rs, partType)
	for _, b := range ofType(rs, tBucket) {
		var mine []*Resource
		pending := false
		for _, p := range parts {
			targets, known := linked(p, "bucket", []*Resource{b}, "bucket", "id")
			if len(targets) > 0 {
				mine = append(mine, p)
			}
			pending = pending || !known
		}
		if len(mine) == 0 && pending {
			c.cannotCheck(b, "the bucket of %s is not known yet", what)
			continue
		}
		each(b, mine)
	}
}

// hasSSERule reports whether a list of encryption rules sets an algorithm.
func hasSSERule(rules property.Value, defaultKey string) bool {
	list, st := asList(rules)
	if st != present {
		return false
	}
	for _, r := range list {
		if alg, st := asString(at(r, defaultKey+".sseAlgorithm")); st == present && alg != "" {
			return true
		}
	}
	return false
}

// deniesInsecureTransport reports present when a policy document has a Deny statement
// conditioned on aws:SecureTransport being false, unknown when the document is not known yet,
// and absent otherwise.
func deniesInsecureTransport(doc property.Value) status {
	var raw string
	switch {
	case doc.IsComputed():
		return unknown
	case doc.IsString():
		raw = doc.AsString()
	default:
		return absent
	}
	var policy struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(raw), &policy) != nil || len(policy.Statement) == 0 {
		return absent
	}
	var statements []map[string]any
	if json.Unmarshal(policy.Statement, &statements) != nil {
		var one map[string]any
		if json.Unmarshal(policy.Statement, &one) != nil {
			return absent
		}
		statements = []map[string]any{one}
	}
	for _, s := range statements {
		if s["Effect"] != "Deny" {
			continue
		}
		cond, _ := s["Condition"].(map[string]any)
		boolCond, _ := cond["Bool"].(map[string]any)
		switch v := boolCond["aws:SecureTransport"].(type) {
		case string:
			if strings.EqualFold(v, "false") {
				return present
			}
		case bool:
			if !v {
				return present
			}
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok && strings.EqualFold(s, "false") {
					return present
				}
			}
		}
	}
	return absent
}
