package compliance

import "github.com/novacron/platform/internal/mock"

// Resource policy documents: compliant shapes the platform uses, and the public ones the policies
// must refuse.
const (
	keyPolicyOK = `{"Version":"2012-10-17","Statement":[{"Sid":"EnableIamPoliciesForAccount","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"CloudWatchLogsOfThisAccount","Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},` +
		`"Action":["kms:Decrypt*","kms:Encrypt*"],"Resource":"*",` +
		`"Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:us-east-1:123456789012:log-group:*"}}}]}`
	repositoryPolicyOK = `{"Version":"2012-10-17","Statement":[{"Sid":"ClusterNodesPull","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::123456789012:role/cluster-node"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`
	// The AWS managed key shape: any principal, pinned to this account through kms:CallerAccount.
	keyPolicyCallerAccount = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"kms:CallerAccount":"123456789012","kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}]}`
	publicKeyPolicy  = `{"Statement":[{"Sid":"Everyone","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`
	publicReadBucket = `{"Statement":[` +
		`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::artifacts/*",` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}},` +
		`{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::artifacts/*"}]}`
)

// bucketPolicyWith is the TLS-only policy with one more statement.
func bucketPolicyWith(statement string) string {
	return `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}},` + statement + `]}`
}

func bucketPolicy(doc any) *mock.Resource {
	return res(tBucketPolicy, "artifacts-policy", map[string]any{"bucket": "artifacts", "policy": doc})
}

func kmsKey(props map[string]any) *mock.Resource { return res(tKMSKey, "data", props) }

func init() { policyCases = append(policyCases, resourcePolicyCases...) }

var resourcePolicyCases = []policyCase{
	// --- s3-policy-no-public-principal (Checkov CKV_AWS_70)
	{policy: "s3-policy-no-public-principal", kind: compliant, name: "TLS-only deny for everyone",
		resources: []*mock.Resource{bucketPolicy(tlsOnlyPolicy)}},
	{policy: "s3-policy-no-public-principal", kind: compliant, name: "service principal limited to the account",
		resources: []*mock.Resource{bucketPolicy(bucketPolicyWith(`{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},` +
			`"Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}`))}},
	{policy: "s3-policy-no-public-principal", kind: compliant, name: "any principal through one VPC endpoint",
		resources: []*mock.Resource{bucketPolicy(bucketPolicyWith(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",` +
			`"Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0123456789abcdef0"}}}`))}},
	{policy: "s3-policy-no-public-principal", kind: compliant, name: "any principal of the organization (object document)",
		resources: []*mock.Resource{bucketPolicy(map[string]any{"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-abc123def4"}},
		}}})}},
	{policy: "s3-policy-no-public-principal", kind: violating, name: "public read next to the TLS deny",
		resources: []*mock.Resource{bucketPolicy(publicReadBucket)},
		want: []string{"artifacts-policy: policy Statement[1] (PublicRead) allows s3:GetObject to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "s3-policy-no-public-principal", kind: violating, name: "inline bucket policy, AWS * in a list, condition that names no caller",
		resources: []*mock.Resource{res(tBucket, "artifacts", map[string]any{"policy": `{"Statement":{"Effect":"Allow",` +
			`"Principal":{"AWS":["arn:aws:iam::123456789012:root","*"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":"*",` +
			`"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}`})},
		want: []string{"artifacts: policy Statement[0] allows s3:GetObject, s3:ListBucket to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "s3-policy-no-public-principal", kind: violating, name: "conditions that restrict nothing",
		resources: []*mock.Resource{bucketPolicy(bucketPolicyWith(`{"Sid":"IfExists","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*",` +
			`"Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"123456789012"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/reader"},` +
			`"StringLike":{"aws:PrincipalOrgID":"o-*"}}}`))},
		want: []string{"artifacts-policy: policy Statement[1] (IfExists) allows s3:GetObject to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "s3-policy-no-public-principal", kind: violating, name: "Allow with NotPrincipal grants everyone else",
		resources: []*mock.Resource{bucketPolicy(bucketPolicyWith(`{"Sid":"AllButOne","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/x"},` +
			`"Action":"s3:*","Resource":"*"}`))},
		want: []string{"artifacts-policy: policy Statement[1] (AllButOne) allows s3:* to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "s3-policy-no-public-principal", kind: violating, name: "not JSON",
		resources: []*mock.Resource{bucketPolicy("{not json")},
		want:      []string{"artifacts-policy: policy is not a JSON policy document"}},
	{policy: "s3-policy-no-public-principal", kind: unknownIn, name: "policy built from an unknown bucket ARN",
		resources: []*mock.Resource{bucketPolicy(unknownValue)},
		pending:   []string{"artifacts-policy: policy is not known yet"}},
	{policy: "s3-policy-no-public-principal", kind: unknownIn, name: "object document with an unknown part",
		resources: []*mock.Resource{bucketPolicy(map[string]any{"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": unknownValue}}})},
		pending: []string{"artifacts-policy: policy is not known yet"}},

	// --- ecr-policy-no-public-principal (Checkov CKV_AWS_32)
	{policy: "ecr-policy-no-public-principal", kind: compliant, name: "node role pulls",
		resources: []*mock.Resource{res(tRepositoryPolicy, "api-policy", map[string]any{"policy": repositoryPolicyOK})}},
	{policy: "ecr-policy-no-public-principal", kind: violating, name: "public pull",
		resources: []*mock.Resource{res(tRepositoryPolicy, "api-policy", map[string]any{"policy": `{"Statement":[{"Sid":"Pull","Effect":"Allow",` +
			`"Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`})},
		want: []string{"api-policy: policy Statement[0] (Pull) allows ecr:BatchGetImage, ecr:GetDownloadUrlForLayer to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "ecr-policy-no-public-principal", kind: violating, name: "every account's root (account wildcard)",
		resources: []*mock.Resource{res(tRepositoryPolicy, "api-policy", map[string]any{"policy": `{"Statement":[{"Effect":"Allow",` +
			`"Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"ecr:*"}]}`})},
		want: []string{"api-policy: policy Statement[0] allows ecr:* to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "ecr-policy-no-public-principal", kind: unknownIn, name: "role ARN not known yet",
		resources: []*mock.Resource{res(tRepositoryPolicy, "api-policy", map[string]any{"policy": unknownValue})},
		pending:   []string{"api-policy: policy is not known yet"}},

	// --- kms-policy-no-public-principal (Checkov CKV_AWS_33)
	{policy: "kms-policy-no-public-principal", kind: compliant, name: "named principals and a service",
		resources: []*mock.Resource{kmsKey(map[string]any{"policy": keyPolicyOK})}},
	{policy: "kms-policy-no-public-principal", kind: compliant, name: "any principal of this account (kms:CallerAccount)",
		resources: []*mock.Resource{kmsKey(map[string]any{"policy": keyPolicyCallerAccount})}},
	{policy: "kms-policy-no-public-principal", kind: violating, name: "anyone may decrypt",
		resources: []*mock.Resource{kmsKey(map[string]any{"policy": publicKeyPolicy})},
		want: []string{"data: policy Statement[0] (Everyone) allows kms:Decrypt to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "kms-policy-no-public-principal", kind: violating, name: "separate KeyPolicy, condition on the service only",
		resources: []*mock.Resource{res(tKMSKeyPolicy, "data-policy", map[string]any{"keyId": "data", "policy": `{"Statement":[{"Effect":"Allow",` +
			`"Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`})},
		want: []string{"data-policy: policy Statement[0] allows kms:Decrypt to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "kms-policy-no-public-principal", kind: unknownIn, name: "policy rendered from unknown ARNs",
		resources: []*mock.Resource{kmsKey(map[string]any{"policy": unknownOutput})},
		pending:   []string{"data: policy is not known yet"}},

	// --- kms-explicit-key-policy (Checkov CKV2_AWS_64)
	{policy: "kms-explicit-key-policy", kind: compliant, name: "policy set",
		resources: []*mock.Resource{kmsKey(map[string]any{"enableKeyRotation": true, "policy": keyPolicyOK})}},
	{policy: "kms-explicit-key-policy", kind: violating, name: "default key policy",
		resources: []*mock.Resource{kmsKey(map[string]any{"enableKeyRotation": true})},
		want:      []string{"data: policy is not set: the key gets KMS's default key policy, which leaves every grant of the key to IAM policies"}},
	{policy: "kms-explicit-key-policy", kind: unknownIn, name: "policy not known yet",
		resources: []*mock.Resource{kmsKey(map[string]any{"policy": unknownValue})},
		pending:   []string{"data: policy is not known yet"}},

	// --- kms-no-bypass-lockout-safety-check (Pulumi aws-kms-key-disallow-bypass-policy-lockout-safety-check)
	{policy: "kms-no-bypass-lockout-safety-check", kind: compliant, name: "not set, or false",
		resources: []*mock.Resource{kmsKey(map[string]any{"policy": keyPolicyOK}),
			res(tKMSKeyPolicy, "data-policy", map[string]any{"policy": keyPolicyOK, "bypassPolicyLockoutSafetyCheck": false})}},
	{policy: "kms-no-bypass-lockout-safety-check", kind: violating, name: "bypassed on the key and on a KeyPolicy",
		resources: []*mock.Resource{kmsKey(map[string]any{"policy": keyPolicyOK, "bypassPolicyLockoutSafetyCheck": true}),
			res(tKMSKeyPolicy, "data-policy", map[string]any{"policy": keyPolicyOK, "bypassPolicyLockoutSafetyCheck": true})},
		want: []string{"data: bypassPolicyLockoutSafetyCheck is true: KMS accepts a key policy that can lock everyone out of the key",
			"data-policy: bypassPolicyLockoutSafetyCheck is true: KMS accepts a key policy that can lock everyone out of the key"}},
	{policy: "kms-no-bypass-lockout-safety-check", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{kmsKey(map[string]any{"bypassPolicyLockoutSafetyCheck": unknownValue})},
		pending:   []string{"data: bypassPolicyLockoutSafetyCheck is not known yet"}},

	// --- secretsmanager-policy-no-public-principal
	{policy: "secretsmanager-policy-no-public-principal", kind: compliant, name: "no resource policy, or one for a named role",
		resources: []*mock.Resource{res(tSecret, "grafana", map[string]any{"kmsKeyId": keyArn}),
			res(tSecretPolicy, "db-policy", map[string]any{"secretArn": "db", "policy": `{"Statement":[{"Effect":"Allow",` +
				`"Principal":{"AWS":"arn:aws:iam::123456789012:role/external-secrets"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`})}},
	{policy: "secretsmanager-policy-no-public-principal", kind: violating, name: "anyone may read",
		resources: []*mock.Resource{res(tSecretPolicy, "db-policy", map[string]any{"secretArn": "db", "policy": `{"Statement":[{"Effect":"Allow",` +
			`"Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`})},
		want: []string{"db-policy: policy Statement[0] allows secretsmanager:GetSecretValue to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "secretsmanager-policy-no-public-principal", kind: unknownIn, name: "inline policy unknown",
		resources: []*mock.Resource{res(tSecret, "grafana", map[string]any{"kmsKeyId": keyArn, "policy": unknownValue})},
		pending:   []string{"grafana: policy is not known yet"}},
}
