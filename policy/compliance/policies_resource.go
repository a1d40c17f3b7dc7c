package compliance

import (
	"fmt"
	"strings"
)

// Resource policies: who a bucket, repository, key or secret lets in, judged on the policy
// documents the program hands to AWS (resource inputs).
const (
	tRepositoryPolicy = "aws:ecr/repositoryPolicy:RepositoryPolicy"
	tKMSKeyPolicy     = "aws:kms/keyPolicy:KeyPolicy"
	tSecretPolicy     = "aws:secretsmanager/secretPolicy:SecretPolicy"
)

func init() {
	register(
		&Policy{
			Name:        "s3-policy-no-public-principal",
			Area:        "s3",
			Description: "S3 bucket policies allow no action to any principal (\"*\") without a condition that restricts the caller.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Name the principals, or add a condition on aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn or aws:SourceVpce to the Allow statement.",
			Controls:    join(soc2("CC6.1"), iso("A.8.3")),
			Types:       []string{tBucket, tBucketPolicy},
			checkResource: func(c *run, r *Resource) {
				checkPublicPrincipal(c, r, "policy")
			},
		},
		&Policy{
			Name:        "ecr-policy-no-public-principal",
			Area:        "ecr",
			Description: "ECR repository policies allow no action to any principal (\"*\") without a condition that restricts the caller.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Name the roles that pull and push, or add a condition on aws:PrincipalAccount or aws:PrincipalOrgID to the Allow statement.",
			Controls:    join(soc2("CC6.1"), iso("A.8.3")),
			Types:       []string{tRepositoryPolicy},
			checkResource: func(c *run, r *Resource) {
				checkPublicPrincipal(c, r, "policy")
			},
		},
		&Policy{
			Name:        "kms-policy-no-public-principal",
			Area:        "kms",
			Description: "KMS key policies allow no action to any principal (\"*\") without a condition that restricts the caller.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Name the key's administrators and users, or add a condition on kms:CallerAccount or aws:PrincipalAccount to the Allow statement.",
			// Access to keys restricted to the fewest custodians: PCI DSS v4.0 3.6.1.
			Controls: join(soc2("CC6.1"), iso("A.8.24"), pci("3.6.1")),
			Types:    []string{tKMSKey, tKMSKeyPolicy},
			checkResource: func(c *run, r *Resource) {
				checkPublicPrincipal(c, r, "policy")
			},
		},
		&Policy{
			Name:        "kms-explicit-key-policy",
			Area:        "kms",
			Description: "Customer managed KMS keys carry their own key policy instead of the default one.",
			Level:       Mandatory,
			Severity:    Medium,
			// The default key policy gives the account root kms:* and leaves every other decision
			// to IAM policies (AWS KMS Developer Guide, "Default key policy"): who may use or
			// manage the key is then nowhere in the key's own definition.
			Remediation: "Set the key's policy: name its administrators and users (and the AWS services that use it). The pack reads the key's own policy input; a separate aws.kms.KeyPolicy is not seen.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24")),
			Types:       []string{tKMSKey},
			checkResource: func(c *run, r *Resource) {
				if _, set, ok := c.stringField(r, "policy"); ok && !set {
					c.violation(r, "policy is not set: the key gets KMS's default key policy, which leaves every grant of the key to IAM policies")
				}
			},
		},
		&Policy{
			Name:        "kms-no-bypass-lockout-safety-check",
			Area:        "kms",
			Description: "KMS keys do not bypass the key policy lockout safety check.",
			Level:       Mandatory,
			Severity:    High,
			// The safety check refuses a key policy that would stop the caller from changing it
			// again; bypassing it can leave a key no one can manage (AWS KMS API Reference,
			// CreateKey and PutKeyPolicy, BypassPolicyLockoutSafetyCheck).
			Remediation: "Remove bypassPolicyLockoutSafetyCheck (or set it to false).",
			Controls:    join(soc2("CC6.1"), iso("A.8.24")),
			Types:       []string{tKMSKey, tKMSKeyPolicy},
			checkResource: func(c *run, r *Resource) {
				if bypass, ok := c.boolField(r, "bypassPolicyLockoutSafetyCheck", false); ok && bypass {
					c.violation(r, "bypassPolicyLockoutSafetyCheck is true: KMS accepts a key policy that can lock everyone out of the key")
				}
			},
		},
		&Policy{
			Name:        "secretsmanager-policy-no-public-principal",
			Area:        "secretsmanager",
			Description: "Secrets Manager resource policies allow no action to any principal (\"*\") without a condition that restricts the caller.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Name the principals that read the secret, or add a condition on aws:PrincipalAccount or aws:PrincipalOrgID to the Allow statement.",
			Controls:    join(soc2("CC6.1"), iso("A.8.3")),
			Types:       []string{tSecret, tSecretPolicy},
			checkResource: func(c *run, r *Resource) {
				checkPublicPrincipal(c, r, "policy")
			},
		},
	)
}

// checkPublicPrincipal reports each Allow statement of the resource policy in field that lets any
// principal in without a condition restricting the caller. Deny statements are fine: the TLS-only
// Deny for "*" narrows access.
func checkPublicPrincipal(c *run, r *Resource, field string) {
	doc, set, ok := readResourcePolicy(c, r, field)
	if !ok || !set {
		return
	}
	for _, s := range doc {
		if s.public() && !s.restrictsCaller() {
			c.violation(r, "%s %s allows %s to any principal without a condition that restricts the caller (aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)",
				field, s.label, actionList(s.actions))
		}
	}
}

// resourceStatement is a statement of a resource policy in the parts the public-principal check
// reads (IAM User Guide, "IAM JSON policy element reference").
type resourceStatement struct {
	label string
	allow bool
	// principals are the values of Principal ("*" itself, or every value under AWS, Service,
	// Federated, CanonicalUser); notPrincipal is set when the statement uses NotPrincipal.
	principals   []string
	notPrincipal bool
	actions      []string
	// conditions maps an operator to its condition keys and their values.
	conditions map[string]map[string][]string
}

// public reports whether the statement grants access to every principal: Principal "*" (also
// {"AWS": "*"}), a principal ARN whose account is a wildcard, or Allow with NotPrincipal, which
// grants everyone but the listed principals.
func (s resourceStatement) public() bool {
	if !s.allow {
		return false
	}
	if s.notPrincipal {
		return true
	}
	for _, p := range s.principals {
		if p == "*" || (strings.HasPrefix(p, "arn:") && wildcardAccount(p)) {
			return true
		}
	}
	return false
}

// callerConditionKeys are the global condition keys that name who is calling (or on whose
// behalf, or through which endpoint): Checkov CKV_AWS_70's list and cloudsplaining's (which
// CKV_AWS_32 uses), without aws:SourceIp, which restricts a network and not a principal. Keys
// are lower case: IAM matches them case-insensitively.
var callerConditionKeys = map[string]string{
	"aws:principalarn":         "arn",
	"aws:sourcearn":            "arn",
	"ec2:sourceinstancearn":    "arn",
	"lambda:sourcefunctionarn": "arn",
	"aws:principalaccount":     "id",
	"aws:sourceaccount":        "id",
	"aws:sourceowner":          "id",
	"kms:calleraccount":        "id",
	"aws:vpceaccount":          "id",
	"aws:principalorgid":       "id",
	"aws:sourceorgid":          "id",
	"aws:vpceorgid":            "id",
	"aws:sourcevpc":            "id",
	"aws:sourcevpce":           "id",
	"aws:principalorgpaths":    "orgpath",
	"aws:sourceorgpaths":       "orgpath",
	"aws:userid":               "userid",
}

// restrictsCaller reports whether some condition pins the caller: a positive string or ARN
// operator (not ...IfExists, which passes when the key is missing, nor ForAllValues, which passes
// on an empty set) on a caller key, with no value that matches everyone. Conditions are ANDed, so
// one such condition is enough.
func (s resourceStatement) restrictsCaller() bool {
	for op, keys := range s.conditions {
		if !positiveOperator(op) {
			continue
		}
		for key, values := range keys {
			cat, found := callerConditionKeys[strings.ToLower(key)]
			if !found || len(values) == 0 {
				continue
			}
			all := true
			for _, v := range values {
				all = all && restrictiveValue(cat, v)
			}
			if all {
				return true
			}
		}
	}
	return false
}

func positiveOperator(op string) bool {
	o := strings.ToLower(op)
	o = strings.TrimPrefix(o, "foranyvalue:")
	switch o {
	case "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike":
		return true
	}
	return false
}

// restrictiveValue reports whether a condition value names something rather than matching every
// caller ("*", an ARN in any account, an account or organization pattern).
func restrictiveValue(category, v string) bool {
	v = strings.TrimSpace(v)
	if strings.Trim(v, "*?") == "" {
		return false
	}
	switch category {
	case "arn":
		return strings.HasPrefix(v, "arn:") && strings.Count(v, ":") >= 5 && !wildcardAccount(v)
	case "orgpath":
		org, _, _ := strings.Cut(v, "/")
		return strings.HasPrefix(org, "o-") && !strings.ContainsAny(org, "*?")
	case "userid":
		// A trailing wildcard is the usual role-session form ("AROA...:*").
		i := strings.IndexAny(v, "*?")
		return i < 0 || i == len(v)-1
	default:
		return !strings.ContainsAny(v, "*?")
	}
}

// wildcardAccount reports whether the account field of an ARN (arn:partition:service:region:
// account:resource) holds a wildcard.
func wildcardAccount(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) >= 5 && strings.ContainsAny(parts[4], "*?")
}

func actionList(actions []string) string {
	switch len(actions) {
	case 0:
		return "its actions"
	case 1:
		return actions[0]
	}
	return strings.Join(actions, ", ")
}

// readResourcePolicy reads a resource policy given as a JSON string or an object. set is false
// when the property is absent or empty; ok is false when the caller must stop (unknown value
// noted, malformed document reported).
func readResourcePolicy(c *run, r *Resource, field string) (doc []resourceStatement, set, ok bool) {
	raw, set, ok := readPolicyJSON(c, r, field, r.get(field))
	if !ok || !set {
		return nil, set, ok
	}
	doc, err := parseResourcePolicy(raw)
	if err != nil {
		c.violation(r, "%s: %v", field, err)
		return nil, false, false
	}
	return doc, true, true
}

func parseResourcePolicy(raw any) ([]resourceStatement, error) {
	stmts, labels, err := policyStatements(raw)
	if err != nil {
		return nil, err
	}
	out := make([]resourceStatement, 0, len(stmts))
	for i, sm := range stmts {
		st := resourceStatement{label: labels[i]}
		effect, _ := sm["Effect"].(string)
		st.allow = effect == "Allow"
		st.actions = policyStrings(sm["Action"])
		_, st.notPrincipal = sm["NotPrincipal"]
		switch p := sm["Principal"].(type) {
		case map[string]any:
			for _, v := range p {
				st.principals = append(st.principals, policyStrings(v)...)
			}
		default:
			st.principals = policyStrings(p)
		}
		if cond, isMap := sm["Condition"].(map[string]any); isMap {
			st.conditions = map[string]map[string][]string{}
			for op, keys := range cond {
				km, _ := keys.(map[string]any)
				st.conditions[op] = map[string][]string{}
				for k, v := range km {
					st.conditions[op][k] = policyStrings(v)
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// policyStrings reads a policy element that is a string or a list of strings (booleans and
// numbers as text, as IAM compares them); anything else gives no values.
func policyStrings(v any) []string {
	scalar := func(e any) (string, bool) {
		switch t := e.(type) {
		case string:
			return t, true
		case bool:
			return fmt.Sprint(t), true
		case float64:
			return fmt.Sprint(t), true
		}
		return "", false
	}
	if l, isList := v.([]any); isList {
		out := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := scalar(e); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := scalar(v); ok {
		return []string{s}
	}
	return nil
}
