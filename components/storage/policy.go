package storage

import "encoding/json"

// policyDocument is the IAM policy grammar as far as bucket policies use it.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// bucketPolicyDocument renders the bucket policy. accessLogsAccountID is empty unless the bucket
// is a server access log target, in which case the S3 logging service principal may put objects
// on behalf of source buckets of that account only (aws:SourceAccount guards against the
// confused-deputy problem). Source: Amazon S3 User Guide, "Enabling Amazon S3 server access
// logging", permissions for log delivery.
func bucketPolicyDocument(bucketArn, accessLogsAccountID string) (string, error) {
	doc := policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Sid:       "DenyInsecureTransport",
			Effect:    "Deny",
			Principal: "*",
			Action:    "s3:*",
			Resource:  []string{bucketArn, bucketArn + "/*"},
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
		}},
	}
	if accessLogsAccountID != "" {
		doc.Statement = append(doc.Statement, policyStatement{
			Sid:       "AllowS3ServerAccessLogDelivery",
			Effect:    "Allow",
			Principal: map[string]string{"Service": "logging.s3.amazonaws.com"},
			Action:    "s3:PutObject",
			Resource:  bucketArn + "/*",
			Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accessLogsAccountID}},
		})
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
