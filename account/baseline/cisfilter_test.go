package baseline

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// filterMatches evaluates a CloudWatch Logs JSON filter pattern against a log event, for the
// subset the CIS patterns use (CloudWatch Logs User Guide, "Filter pattern syntax for metric
// filters", JSON log events): $.dotted.selector compared with = or != to a quoted or bare string
// (a leading or trailing * is a wildcard), NOT EXISTS, && before ||, and parentheses. A
// comparison on a field the event lacks does not match.
func filterMatches(t *testing.T, pattern string, event map[string]any) bool {
	t.Helper()
	p := &filterParser{toks: tokenize(t, pattern), event: event}
	require.Equal(t, "{", p.next(), pattern)
	v := p.or()
	require.Equal(t, "}", p.next(), "pattern %s: unparsed %v", pattern, p.toks[p.pos:])
	require.Equal(t, len(p.toks), p.pos, pattern)
	return v
}

func tokenize(t *testing.T, s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case strings.ContainsRune("{}()", rune(c)):
			out = append(out, string(c))
			i++
		case strings.HasPrefix(s[i:], "&&"), strings.HasPrefix(s[i:], "||"), strings.HasPrefix(s[i:], "!="):
			out = append(out, s[i:i+2])
			i += 2
		case c == '=':
			out = append(out, "=")
			i++
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			require.GreaterOrEqual(t, j, 0, "unterminated string in %s", s)
			out = append(out, s[i:i+j+2])
			i += j + 2
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("(){}=!", rune(s[j])) {
				j++
			}
			require.Greater(t, j, i, "unexpected %q in %s", c, s)
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

type filterParser struct {
	toks  []string
	pos   int
	event map[string]any
}

func (p *filterParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *filterParser) next() string {
	tok := p.peek()
	p.pos++
	return tok
}

func (p *filterParser) or() bool {
	v := p.and()
	for p.peek() == "||" {
		p.next()
		v = p.and() || v
	}
	return v
}

func (p *filterParser) and() bool {
	v := p.term()
	for p.peek() == "&&" {
		p.next()
		v = p.term() && v
	}
	return v
}

func (p *filterParser) term() bool {
	if p.peek() == "(" {
		p.next()
		v := p.or()
		if p.next() != ")" {
			panic("missing )")
		}
		return v
	}
	sel := p.next()
	if !strings.HasPrefix(sel, "$.") {
		panic(fmt.Sprintf("selector expected, got %q", sel))
	}
	got, present := lookup(p.event, strings.Split(sel[2:], "."))
	switch op := p.next(); op {
	case "NOT":
		if p.next() != "EXISTS" {
			panic("NOT EXISTS expected")
		}
		return !present
	case "=", "!=":
		want := strings.Trim(p.next(), `"`)
		s, isString := got.(string)
		if !present || !isString {
			return false
		}
		eq := wildcardEqual(want, s)
		if op == "=" {
			return eq
		}
		return !eq
	default:
		panic(fmt.Sprintf("operator expected after %s, got %q", sel, op))
	}
}

func lookup(v any, path []string) (any, bool) {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func wildcardEqual(pattern, s string) bool {
	switch {
	case strings.HasPrefix(pattern, "*") && strings.HasSuffix(pattern, "*") && len(pattern) > 1:
		return strings.Contains(s, strings.Trim(pattern, "*"))
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(s, pattern[1:])
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(s, pattern[:len(pattern)-1])
	}
	return pattern == s
}

// apiCall is a CloudTrail record of the documented shape (CloudTrail User Guide, "CloudTrail
// record contents"), with the fields the patterns read.
func apiCall(source, name string, extra map[string]any) map[string]any {
	e := map[string]any{
		"eventVersion":    "1.09",
		"eventSource":     source,
		"eventName":       name,
		"eventType":       "AwsApiCall",
		"sourceIPAddress": "203.0.113.10",
		"userIdentity":    map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci"},
	}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

func consoleLogin(identity, result string, mfa string, errMsg string) map[string]any {
	e := map[string]any{
		"eventSource":         "signin.amazonaws.com",
		"eventName":           "ConsoleLogin",
		"eventType":           "AwsConsoleSignIn",
		"sourceIPAddress":     "203.0.113.10",
		"userIdentity":        map[string]any{"type": identity},
		"responseElements":    map[string]any{"ConsoleLogin": result},
		"additionalEventData": map[string]any{"MFAUsed": mfa},
	}
	if errMsg != "" {
		e["errorMessage"] = errMsg
	}
	return e
}

func TestCISMetricFiltersMatchTheEventsTheyWatch(t *testing.T) {
	byItem := map[string]CISMetricFilter{}
	for _, f := range CISMetricFilters {
		byItem[f.Item] = f
	}
	root := map[string]any{"type": "Root", "arn": "arn:aws:iam::123456789012:root"}
	tests := []struct {
		item  string
		name  string
		event map[string]any
		want  bool
	}{
		{"4.1", "access denied", apiCall("s3.amazonaws.com", "GetObject", map[string]any{"errorCode": "AccessDenied"}), true},
		{"4.1", "unauthorized EC2 call", apiCall("ec2.amazonaws.com", "RunInstances", map[string]any{"errorCode": "Client.UnauthorizedOperation"}), true},
		{"4.1", "denied log delivery is excluded", apiCall("s3.amazonaws.com", "PutObject", map[string]any{"errorCode": "AccessDenied", "sourceIPAddress": "delivery.logs.amazonaws.com"}), false},
		{"4.1", "denied HeadBucket is excluded", apiCall("s3.amazonaws.com", "HeadBucket", map[string]any{"errorCode": "AccessDenied"}), false},
		{"4.1", "a successful call", apiCall("s3.amazonaws.com", "GetObject", nil), false},
		{"4.2", "IAM user without MFA", consoleLogin("IAMUser", "Success", "No", ""), true},
		{"4.2", "IAM user with MFA", consoleLogin("IAMUser", "Success", "Yes", ""), false},
		{"4.2", "federated sign-in", consoleLogin("AssumedRole", "Success", "No", ""), false},
		{"4.3", "root call", apiCall("iam.amazonaws.com", "CreateUser", map[string]any{"userIdentity": root}), true},
		{"4.3", "root call made by a service", apiCall("iam.amazonaws.com", "CreateUser", map[string]any{"userIdentity": map[string]any{"type": "Root", "invokedBy": "support.amazonaws.com"}}), false},
		{"4.3", "service event", apiCall("iam.amazonaws.com", "CreateUser", map[string]any{"userIdentity": root, "eventType": "AwsServiceEvent"}), false},
		{"4.3", "a role's call", apiCall("iam.amazonaws.com", "CreateUser", nil), false},
		{"4.4", "inline role policy", apiCall("iam.amazonaws.com", "PutRolePolicy", nil), true},
		{"4.4", "managed policy attached", apiCall("iam.amazonaws.com", "AttachUserPolicy", nil), true},
		{"4.4", "a role created", apiCall("iam.amazonaws.com", "CreateRole", nil), false},
		{"4.5", "logging stopped", apiCall("cloudtrail.amazonaws.com", "StopLogging", nil), true},
		{"4.5", "trails listed", apiCall("cloudtrail.amazonaws.com", "DescribeTrails", nil), false},
		{"4.6", "failed sign-in", consoleLogin("IAMUser", "Failure", "No", "Failed authentication"), true},
		{"4.6", "successful sign-in", consoleLogin("IAMUser", "Success", "Yes", ""), false},
		{"4.7", "key deletion scheduled", apiCall("kms.amazonaws.com", "ScheduleKeyDeletion", nil), true},
		{"4.7", "key disabled", apiCall("kms.amazonaws.com", "DisableKey", nil), true},
		{"4.7", "key used", apiCall("kms.amazonaws.com", "Decrypt", nil), false},
		{"4.8", "bucket policy replaced", apiCall("s3.amazonaws.com", "PutBucketPolicy", nil), true},
		{"4.8", "object written", apiCall("s3.amazonaws.com", "PutObject", nil), false},
		{"4.9", "recorder stopped", apiCall("config.amazonaws.com", "StopConfigurationRecorder", nil), true},
		{"4.9", "rules evaluated", apiCall("config.amazonaws.com", "StartConfigRulesEvaluation", nil), false},
		{"4.10", "ingress opened", apiCall("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", nil), true},
		{"4.11", "NACL entry replaced", apiCall("ec2.amazonaws.com", "ReplaceNetworkAclEntry", nil), true},
		{"4.12", "internet gateway attached", apiCall("ec2.amazonaws.com", "AttachInternetGateway", nil), true},
		{"4.13", "route added", apiCall("ec2.amazonaws.com", "CreateRoute", nil), true},
		{"4.13", "route added elsewhere (not EC2)", apiCall("networkmanager.amazonaws.com", "CreateRoute", nil), false},
		{"4.14", "VPC deleted", apiCall("ec2.amazonaws.com", "DeleteVpc", nil), true},
		{"4.14", "instance started", apiCall("ec2.amazonaws.com", "StartInstances", nil), false},
		{"4.15", "account left the organization", apiCall("organizations.amazonaws.com", "LeaveOrganization", nil), true},
		{"4.15", "accounts listed", apiCall("organizations.amazonaws.com", "ListAccounts", nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.item+" "+tt.name, func(t *testing.T) {
			f, ok := byItem[tt.item]
			require.True(t, ok)
			assert.Equal(t, tt.want, filterMatches(t, f.Pattern, tt.event))
		})
	}
}
