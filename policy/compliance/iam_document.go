package compliance

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// iamDocument is an IAM policy document (permission or trust policy) in the parts the IAM policies
// judge. Element grammar: IAM User Guide, "IAM JSON policy element reference".
type iamDocument struct {
	Statements []iamStatement
}

type iamStatement struct {
	// Label names the statement in messages: "Statement[2]" or its Sid.
	Label        string
	Allow        bool
	Actions      []string
	NotActions   []string
	Resources    []string
	NotResources []string
	// AnyPrincipal is Principal "*" (or {"AWS": "*"}); AWS, Federated and Service list the
	// principals by kind.
	AnyPrincipal bool
	AWS          []string
	Federated    []string
	Service      []string
	// Conditions maps an operator (StringEquals, ...) to condition keys and their values.
	Conditions map[string]map[string][]string
}

// readIAMDocument reads a policy document that a provider input carries either as a JSON string
// or as an object. set is false when the property is absent; ok is false when the caller must
// stop (unknown value noted, or malformed document reported).
func readIAMDocument(c *run, r *Resource, field string, v property.Value) (doc iamDocument, set, ok bool) {
	raw, set, ok := readPolicyJSON(c, r, field, v)
	if !ok || !set {
		return doc, set, ok
	}
	doc, err := parseIAMDocument(raw)
	if err != nil {
		c.violation(r, "%s: %v", field, err)
		return doc, false, false
	}
	return doc, true, true
}

// readPolicyJSON turns a policy document input (a JSON string or an object) into plain Go
// values, for the identity and the resource policy parsers alike. set is false when the
// property is absent or empty; ok is false when the caller must stop (unknown value noted, or a
// document that is not JSON reported).
func readPolicyJSON(c *run, r *Resource, field string, v property.Value) (raw any, set, ok bool) {
	switch {
	case v.IsNull():
		return nil, false, true
	case v.IsComputed():
		c.cannotCheck(r, "%s is not known yet", field)
		return nil, false, false
	case v.IsString():
		if strings.TrimSpace(v.AsString()) == "" {
			return nil, false, true
		}
		if err := json.Unmarshal([]byte(v.AsString()), &raw); err != nil {
			c.violation(r, "%s is not a JSON policy document", field)
			return nil, false, false
		}
		return raw, true, true
	case v.IsMap():
		raw, known := plainValue(v)
		if !known {
			c.cannotCheck(r, "%s is not known yet", field)
			return nil, false, false
		}
		return raw, true, true
	}
	c.violation(r, "%s must be a policy document, got a %s", field, kind(v))
	return nil, false, false
}

// plainValue converts a property value to plain Go values; known is false when any part of it is
// computed.
func plainValue(v property.Value) (out any, known bool) {
	switch {
	case v.IsComputed():
		return nil, false
	case v.IsNull():
		return nil, true
	case v.IsBool():
		return v.AsBool(), true
	case v.IsNumber():
		return v.AsNumber(), true
	case v.IsString():
		return v.AsString(), true
	case v.IsArray():
		l := make([]any, 0, v.AsArray().Len())
		for _, e := range v.AsArray().All {
			p, ok := plainValue(e)
			if !ok {
				return nil, false
			}
			l = append(l, p)
		}
		return l, true
	case v.IsMap():
		m := map[string]any{}
		for k, e := range v.AsMap().All {
			p, ok := plainValue(e)
			if !ok {
				return nil, false
			}
			m[k] = p
		}
		return m, true
	}
	return nil, true
}

// policyStatements returns a policy document's statements with a label each
// ("Statement[2] (AllowRead)"), whether Statement is a list or a single object.
func policyStatements(raw any) (stmts []map[string]any, labels []string, err error) {
	m, isMap := raw.(map[string]any)
	if !isMap {
		return nil, nil, errors.New("the document is not a JSON object")
	}
	var list []any
	switch s := m["Statement"].(type) {
	case nil:
	case []any:
		list = s
	case map[string]any:
		list = []any{s} // a single statement may be given as an object
	default:
		return nil, nil, errors.New("the Statement is neither an object nor a list")
	}
	for i, e := range list {
		sm, isMap := e.(map[string]any)
		if !isMap {
			return nil, nil, fmt.Errorf("the Statement[%d] is not an object", i)
		}
		label := "Statement[" + strconv.Itoa(i) + "]"
		if sid, _ := sm["Sid"].(string); sid != "" {
			label += " (" + sid + ")"
		}
		stmts, labels = append(stmts, sm), append(labels, label)
	}
	return stmts, labels, nil
}

func parseIAMDocument(raw any) (iamDocument, error) {
	var doc iamDocument
	stmts, labels, err := policyStatements(raw)
	if err != nil {
		return doc, err
	}
	for i, sm := range stmts {
		st := iamStatement{Label: labels[i]}
		effect, _ := sm["Effect"].(string)
		st.Allow = effect == "Allow"
		var err error
		if st.Actions, err = stringList(sm["Action"]); err != nil {
			return doc, fmt.Errorf("%s: Action %w", st.Label, err)
		}
		if st.NotActions, err = stringList(sm["NotAction"]); err != nil {
			return doc, fmt.Errorf("%s: NotAction %w", st.Label, err)
		}
		if st.Resources, err = stringList(sm["Resource"]); err != nil {
			return doc, fmt.Errorf("%s: Resource %w", st.Label, err)
		}
		if st.NotResources, err = stringList(sm["NotResource"]); err != nil {
			return doc, fmt.Errorf("%s: NotResource %w", st.Label, err)
		}
		switch p := sm["Principal"].(type) {
		case nil:
		case string:
			st.AnyPrincipal = p == "*"
		case map[string]any:
			for k, v := range p {
				l, err := stringList(v)
				if err != nil {
					return doc, fmt.Errorf("%s: Principal.%s %w", st.Label, k, err)
				}
				switch k {
				case "AWS":
					st.AWS = l
					for _, a := range l {
						if a == "*" {
							st.AnyPrincipal = true
						}
					}
				case "Federated":
					st.Federated = l
				case "Service":
					st.Service = l
				}
			}
		default:
			return doc, fmt.Errorf("%s: Principal is neither \"*\" nor an object", st.Label)
		}
		if cond, isMap := sm["Condition"].(map[string]any); isMap {
			st.Conditions = map[string]map[string][]string{}
			for op, keys := range cond {
				km, isMap := keys.(map[string]any)
				if !isMap {
					return doc, fmt.Errorf("%s: Condition.%s is not an object", st.Label, op)
				}
				st.Conditions[op] = map[string][]string{}
				for k, v := range km {
					l, err := stringList(v)
					if err != nil {
						return doc, fmt.Errorf("%s: Condition.%s.%s %w", st.Label, op, k, err)
					}
					st.Conditions[op][k] = l
				}
			}
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

// stringList reads a policy element that is a string or a list of strings. Condition values may be
// booleans or numbers in JSON; they are compared as text, as IAM does.
func stringList(v any) ([]string, error) {
	scalar := func(e any) (string, bool) {
		switch t := e.(type) {
		case string:
			return t, true
		case bool:
			return strconv.FormatBool(t), true
		case float64:
			return strconv.FormatFloat(t, 'f', -1, 64), true
		}
		return "", false
	}
	switch t := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := scalar(e)
			if !ok {
				return nil, fmt.Errorf("holds a value that is not a string")
			}
			out = append(out, s)
		}
		return out, nil
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	return nil, fmt.Errorf("is neither a string nor a list of strings")
}

// hasCondition reports whether the statement carries any condition.
func (s iamStatement) hasCondition() bool { return len(s.Conditions) > 0 }

// onAnyResource reports whether the statement applies to every resource: Resource "*", or
// NotResource (everything except a list).
func (s iamStatement) onAnyResource() bool {
	if len(s.NotResources) > 0 {
		return true
	}
	for _, r := range s.Resources {
		if r == "*" {
			return true
		}
	}
	return false
}

// conditionValues returns the values of a condition key under an operator; IAM matches operators
// and condition keys case-insensitively (IAM User Guide, "IAM JSON policy elements: Condition").
func (s iamStatement) conditionValues(op, key string) ([]string, bool) {
	for o, keys := range s.Conditions {
		if !strings.EqualFold(o, op) {
			continue
		}
		for k, v := range keys {
			if strings.EqualFold(k, key) {
				return v, true
			}
		}
	}
	return nil, false
}

// actionMatches reports whether an action pattern of a policy (wildcards * and ?, case-insensitive
// as IAM matches actions) grants the action.
func actionMatches(pattern, action string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return err == nil && ok
}

// readVerbs are the leading words of action names at the List and Read access levels of the
// Service Authorization Reference (Describe*, Get*, List*, ...). Checkov's CKV_AWS_290 reads the
// access level of each action from that reference (through cloudsplaining and policy_sentry);
// without the database, an action whose name does not start with one of these words counts as a
// write, which errs on the strict side.
var readVerbs = []string{
	"Describe", "Get", "List", "Search", "Lookup", "View", "Query", "Scan", "Select", "Head",
	"BatchGet", "BatchCheck", "BatchDescribe", "Retrieve", "Read", "Preview", "Estimate", "Filter",
	"Validate",
}

// sensitiveReads are read-level actions that return data, secrets or credentials: cloudsplaining's
// READ_ONLY_DATA_EXFILTRATION_ACTIONS (Checkov CKV_AWS_288) and the read-level entries of its
// ACTIONS_THAT_RETURN_CREDENTIALS (CKV_AWS_287, which leaves out ecr:GetAuthorizationToken: every
// node pulling images needs it). The write-level entries of that list (iam:CreateAccessKey,
// sts:AssumeRole, ...) are writes here already.
var sensitiveReads = []string{
	"s3:GetObject", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
	"secretsmanager:GetSecretValue",
	"codeartifact:GetAuthorizationToken", "cognito-identity:GetOpenIdToken",
	"cognito-identity:GetOpenIdTokenForDeveloperIdentity", "cognito-identity:GetCredentialsForIdentity",
	"cognito-idp:GetSigningCertificate", "connect:GetFederationToken", "connect:GetFederationTokens",
	"ec2:GetPasswordData", "ecr-public:GetAuthorizationToken",
	"emr-containers:GetManagedEndpointSessionCredentials", "finspace-api:GetProgrammaticAccessCredentials",
	"gamelift:GetInstanceAccess", "gamelift:GetComputeAccess", "gamelift:GetComputeAuthToken",
	"license-manager:GetAccessToken", "lightsail:GetInstanceAccessDetails",
	"lightsail:GetRelationalDatabaseMasterUserPassword", "redshift:GetClusterCredentials",
	"redshift:GetClusterCredentialsWithIAM", "redshift-serverless:GetCredentials", "sso:GetRoleCredentials",
	"sts:GetFederationToken", "sts:GetSessionToken",
}

// grantsWrite reports whether an action pattern grants a write-level action: a write action, or a
// wildcard whose fixed part is not a read verb ("ec2:*", "s3:Put*"; not "ec2:Describe*").
func grantsWrite(pattern string) bool {
	if pattern == "*" {
		return true
	}
	_, name, found := strings.Cut(pattern, ":")
	if !found {
		return false
	}
	fixed := name
	if i := strings.IndexAny(name, "*?"); i >= 0 {
		fixed = name[:i]
	}
	for _, v := range readVerbs {
		if strings.HasPrefix(fixed, v) && (len(fixed) == len(v) || startsUpper(fixed[len(v):])) {
			return false
		}
	}
	return true
}

// startsUpper reports whether s starts with an upper-case letter (the next word of an action
// name: "GetObject" is Get + Object, "Getaway" would not be).
func startsUpper(s string) bool { return s != "" && s[0] >= 'A' && s[0] <= 'Z' }

// awsManagedPolicy matches an AWS managed policy ARN in any partition and captures its name.
var awsManagedPolicy = regexp.MustCompile(`^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?([^/]+)$`)

// accountPrincipal matches a principal that stands for a whole account: a bare account id or the
// account's root ARN (IAM User Guide, "AWS account principals"); Checkov CKV_AWS_61 uses the same
// shapes.
var accountPrincipal = regexp.MustCompile(`^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$`)
