// Package iamdoc builds IAM policy documents (identity, resource, key, topic and trust policies)
// from typed values rather than string templates, so every rendered document is valid JSON and
// tests compare documents as parsed values. The bootstrap and account projects write their
// policies with it. Element grammar: IAM User Guide, "IAM JSON policy element reference".
package iamdoc

import "encoding/json"

// Version is the current policy language version; older versions lack policy variables (IAM
// User Guide, "IAM JSON policy elements: Version").
const Version = "2012-10-17"

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document. Principal, Action and Resource take a string, a
// list or (Principal) a map by principal kind, as the policy grammar allows.
type Statement struct {
	Sid       string `json:"Sid,omitempty"`
	Effect    string `json:"Effect"`
	Principal any    `json:"Principal,omitempty"`
	Action    any    `json:"Action"`
	Resource  any    `json:"Resource,omitempty"`
	// Condition maps an operator (StringEquals, Bool, ...) to its context keys and values.
	Condition Conditions `json:"Condition,omitempty"`
}

// Conditions is a statement's Condition block: operator, then context key, then value(s).
type Conditions = map[string]map[string]any

// New returns a document of the current version holding the statements.
func New(statements ...Statement) Document {
	return Document{Version: Version, Statement: statements}
}

// Render returns the document as JSON, the form the AWS provider's policy inputs take.
func (d Document) Render() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// Service is the Principal of one or more AWS services ("cloudtrail.amazonaws.com"): a single
// name as a string, several as a list.
func Service(names ...string) map[string]any {
	if len(names) == 1 {
		return map[string]any{"Service": names[0]}
	}
	return map[string]any{"Service": names}
}

// DenyInsecureTransport is the bucket policy statement refusing every request to the bucket and
// its objects made without TLS (CIS AWS Foundations Benchmark, "Ensure S3 Bucket Policy is set to
// deny HTTP requests").
func DenyInsecureTransport(bucketArn string) Statement {
	return Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: "*",
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: Conditions{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// DenyOldTLS is the bucket policy statement refusing requests made with a TLS version below 1.2
// (s3:TlsVersion; AWS Knowledge Center, "How can I enforce TLS 1.2 or later for my Amazon S3
// buckets?").
func DenyOldTLS(bucketArn string) Statement {
	return Statement{
		Sid:       "DenyTlsBelow12",
		Effect:    "Deny",
		Principal: "*",
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: Conditions{"NumericLessThan": {"s3:TlsVersion": "1.2"}},
	}
}
