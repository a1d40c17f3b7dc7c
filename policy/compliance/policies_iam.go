package compliance

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// IAM least privilege. The anchors are Checkov's Terraform checks (bridgecrewio/checkov,
// checkov/terraform/checks/resource/aws/IAM*.py, graph_checks/aws/IAMPolicyNotAllowFullIAMAccess
// .yaml, data/aws/GithubActionsOIDCTrustPolicy.py) and, for the cloudsplaining-based ones
// (CKV_AWS_286-290, CKV_AWS_355), salesforce/cloudsplaining scan/policy_document.py and
// shared/constants.py.

// Policy names of the IAM area; iamExceptions may name them.
const (
	iamNoAdminActions         = "iam-no-admin-actions"
	iamNoUnconstrainedWrites  = "iam-no-unconstrained-writes"
	iamNoPrivilegeEscalation  = "iam-no-privilege-escalation"
	iamNoAdminManagedPolicies = "iam-no-admin-managed-policies"
	iamTrustRestricted        = "iam-trust-restricted-principals"
	iamOIDCTrustPinned        = "iam-oidc-trust-pinned"
)

var iamPolicyNames = []string{
	iamNoAdminActions, iamNoUnconstrainedWrites, iamNoPrivilegeEscalation,
	iamNoAdminManagedPolicies, iamTrustRestricted, iamOIDCTrustPinned,
}

// permissionDocTypes carry an identity-based permission policy in "policy".
var permissionDocTypes = []string{tIAMRolePolicy, tIAMPolicy, tIAMUserPolicy, tIAMGroupPolicy}

// attachmentTypes attach a managed policy by "policyArn".
var attachmentTypes = []string{tIAMRolePolicyAttachment, tIAMUserPolicyAttachment, tIAMGroupPolicyAttachment, tIAMPolicyAttachment}

// Least-privilege controls: SOC 2 CC6.1 (logical access) and CC6.3 (least privilege); ISO 27001
// A.5.15 (access control), A.5.18 (access rights), A.8.2 (privileged access rights); PCI DSS
// 7.2.1 (access control model) and 7.2.2 (least privileges).
func leastPrivilegeControls() []Control {
	return join(soc2("CC6.1", "CC6.3"), iso("A.5.15", "A.5.18", "A.8.2"), pci("7.2.1", "7.2.2"))
}

func init() {
	register(
		&Policy{
			Name: iamNoAdminActions,
			Area: "iam",
			Description: "No IAM permission policy allows every action (\"*\"), every IAM action (\"iam:*\"), " +
				"or everything but a NotAction list on every resource.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "List the actions the principal needs; grant IAM actions one by one on the roles and policies concerned.",
			// CIS AWS 1.16: no policy with full "*:*" administrative privileges.
			Controls:      join(leastPrivilegeControls(), cisAWS("1.16")),
			Types:         append(slices.Clone(permissionDocTypes), tIAMRole),
			checkResource: permissionDocCheck(iamNoAdminActions, checkAdminActions),
		},
		&Policy{
			Name: iamNoUnconstrainedWrites,
			Area: "iam",
			Description: "No IAM permission policy allows write actions, or reads of objects, parameters, secrets " +
				"and credentials, on Resource \"*\" without a condition.",
			Level:         Mandatory,
			Severity:      High,
			Remediation:   "Name the resources (ARNs) the actions apply to, or add a condition (resource tag, request tag) that bounds them; list a genuine need under iamExceptions with its reason.",
			Controls:      leastPrivilegeControls(),
			Types:         append(slices.Clone(permissionDocTypes), tIAMRole),
			checkResource: permissionDocCheck(iamNoUnconstrainedWrites, checkUnconstrainedWrites),
		},
		&Policy{
			Name: iamNoPrivilegeEscalation,
			Area: "iam",
			Description: "No IAM permission policy grants, on every resource and without a condition, a set of " +
				"actions known to escalate privileges (iam:PutRolePolicy, iam:CreatePolicyVersion, iam:PassRole with ec2:RunInstances, ...).",
			Level:         Mandatory,
			Severity:      Critical,
			Remediation:   "Scope IAM write actions to named roles and policies, require a permissions boundary through a condition, or list a genuine need under iamExceptions with its reason.",
			Controls:      leastPrivilegeControls(),
			Types:         append(slices.Clone(permissionDocTypes), tIAMRole),
			checkResource: permissionDocCheck(iamNoPrivilegeEscalation, checkPrivilegeEscalation),
		},
		&Policy{
			Name:        iamNoAdminManagedPolicies,
			Area:        "iam",
			Description: "No role, user or group has an administrator-level AWS managed policy attached (AdministratorAccess, PowerUserAccess, IAMFullAccess).",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Attach a customer managed policy with the actions the principal needs, or list a genuine need under iamExceptions with its reason.",
			Controls:    join(leastPrivilegeControls(), cisAWS("1.16")),
			Types:       append(slices.Clone(attachmentTypes), tIAMRole),
			checkResource: func(c *run, r *Resource) {
				if c.iamExempt(iamNoAdminManagedPolicies, r) {
					return
				}
				var arns []string
				if r.Type == tIAMRole {
					l, _, ok := c.stringsField(r, "managedPolicyArns")
					if !ok {
						return
					}
					arns = l
				} else {
					arn, set, ok := c.stringField(r, "policyArn")
					if !ok || !set {
						return
					}
					arns = []string{arn}
				}
				for _, arn := range arns {
					m := awsManagedPolicy.FindStringSubmatch(arn)
					if m != nil && slices.Contains(adminManagedPolicies, m[1]) {
						c.violation(r, "attaches the AWS managed policy %s, which grants administrator-level access", m[1])
					}
				}
			},
		},
		&Policy{
			Name: iamTrustRestricted,
			Area: "iam",
			Description: "No role's trust policy lets any principal (\"*\") assume it, nor a whole account " +
				"without a condition that narrows the caller (aws:PrincipalArn, sts:ExternalId, ...).",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Trust the role or service that assumes the role by ARN, or add a condition on aws:PrincipalArn (or sts:ExternalId for a third party).",
			Controls:    join(soc2("CC6.1", "CC6.3"), iso("A.5.15", "A.5.18"), pci("7.2.1")),
			Types:       []string{tIAMRole},
			checkResource: func(c *run, r *Resource) {
				if c.iamExempt(iamTrustRestricted, r) {
					return
				}
				doc, set, ok := readIAMDocument(c, r, "assumeRolePolicy", r.get("assumeRolePolicy"))
				if !ok || !set {
					return
				}
				for _, s := range doc.Statements {
					if !s.Allow {
						continue
					}
					if s.AnyPrincipal {
						c.violation(r, "assumeRolePolicy %s lets any principal (\"*\") assume the role", s.Label)
						continue
					}
					if narrowsCaller(s) {
						continue
					}
					for _, p := range s.AWS {
						if accountPrincipal.MatchString(p) {
							c.violation(r, "assumeRolePolicy %s lets every principal of account %s assume the role without a condition on aws:PrincipalArn or sts:ExternalId",
								s.Label, accountID(p))
						}
					}
				}
			},
		},
		&Policy{
			Name: iamOIDCTrustPinned,
			Area: "iam",
			Description: "Web identity (OIDC) trusts pin the audience to sts.amazonaws.com and the subject to exact " +
				"values with StringEquals: one service account (IRSA), or one GitHub repository's branches and environments.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Add StringEquals conditions on <issuer>:aud = sts.amazonaws.com and <issuer>:sub = the exact subjects (system:serviceaccount:<namespace>:<name>, repo:<owner>/<name>:environment:<env>).",
			Controls:    join(soc2("CC6.1"), iso("A.5.15", "A.5.18"), pci("7.2.1")),
			Types:       []string{tIAMRole},
			checkResource: func(c *run, r *Resource) {
				if c.iamExempt(iamOIDCTrustPinned, r) {
					return
				}
				doc, set, ok := readIAMDocument(c, r, "assumeRolePolicy", r.get("assumeRolePolicy"))
				if !ok || !set {
					return
				}
				for _, s := range doc.Statements {
					if s.Allow {
						checkOIDCStatement(c, r, s)
					}
				}
			},
		},
	)
}

// adminManagedPolicies grant administrator-level access: all actions (AdministratorAccess, the
// managed policy Checkov CKV_AWS_274 refuses), all but IAM and Organizations (PowerUserAccess;
// with iam:PassRole on a role it is admin-equivalent), or all IAM actions (IAMFullAccess, which
// can grant itself anything).
var adminManagedPolicies = []string{"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"}

// iamExempt reports whether iamExceptions lists this policy and resource.
func (c *run) iamExempt(policy string, r *Resource) bool {
	for _, e := range c.cfg.IAMExceptions {
		if e.Policy == policy && e.Resource == r.Name {
			c.exempted(r, e.Reason)
			return true
		}
	}
	return false
}

// permissionDocCheck runs a document check on the permission policy of a policy resource, and on
// the inline policies of a role.
func permissionDocCheck(name string, check func(*run, *Resource, string, iamDocument)) func(*run, *Resource) {
	return func(c *run, r *Resource) {
		if c.iamExempt(name, r) {
			return
		}
		if r.Type != tIAMRole {
			if doc, set, ok := readIAMDocument(c, r, "policy", r.get("policy")); ok && set {
				check(c, r, "policy", doc)
			}
			return
		}
		inline, _, ok := c.listField(r, "inlinePolicies")
		if !ok {
			return
		}
		for i, p := range inline {
			field := fmt.Sprintf("inlinePolicies[%d].policy", i)
			if doc, set, ok := readIAMDocument(c, r, field, at(p, "policy")); ok && set {
				check(c, r, field, doc)
			}
		}
	}
}

// checkAdminActions: CKV_AWS_62 and CKV_AWS_1 refuse Action "*" on Resource "*", CKV_AWS_63
// Action "*" on any resource, CKV2_AWS_40 "iam:*" on any resource. "*:*" means the same as "*".
// An Allow with NotAction on every resource grants every other action of every service.
func checkAdminActions(c *run, r *Resource, field string, doc iamDocument) {
	for _, s := range doc.Statements {
		if !s.Allow {
			continue
		}
		for _, a := range s.Actions {
			switch strings.ToLower(a) {
			case "*", "*:*":
				c.violation(r, "%s %s allows every action (%q)", field, s.Label, a)
			case "iam:*":
				c.violation(r, "%s %s allows every IAM action (%q)", field, s.Label, a)
			}
		}
		if len(s.NotActions) > 0 && s.onAnyResource() {
			c.violation(r, "%s %s allows every action except %s on every resource", field, s.Label, strings.Join(s.NotActions, ", "))
		}
	}
}

// checkUnconstrainedWrites: CKV_AWS_290 refuses Write-level actions (CKV_AWS_289 the Permissions
// management ones, a subset of what is flagged here) in an Allow statement on Resource "*" without
// a condition; CKV_AWS_288 and CKV_AWS_287 the data exfiltration and credential reads under the
// same terms.
func checkUnconstrainedWrites(c *run, r *Resource, field string, doc iamDocument) {
	for _, s := range doc.Statements {
		if !s.Allow || s.hasCondition() || !s.onAnyResource() {
			continue
		}
		var writes, reads []string
		for _, a := range s.Actions {
			switch {
			case grantsWrite(a):
				writes = append(writes, a)
			case slices.ContainsFunc(sensitiveReads, func(sr string) bool { return actionMatches(a, sr) }):
				reads = append(reads, a)
			}
		}
		if len(writes) > 0 {
			c.violation(r, "%s %s allows write actions on every resource without a condition: %s", field, s.Label, strings.Join(writes, ", "))
		}
		if len(reads) > 0 {
			c.violation(r, "%s %s allows reading data, secrets or credentials on every resource without a condition: %s", field, s.Label, strings.Join(reads, ", "))
		}
	}
}

// escalationMethods are action sets that let their holder gain more privileges, named and listed
// as in cloudsplaining's shared/constants.py PRIVILEGE_ESCALATION_METHODS (the Rhino Security Labs
// methods and the pathfinding.cloud paths), lower case. Checkov's CKV_AWS_286 pins cloudsplaining
// 0.7.x, whose list holds the Rhino methods; the later paths make this check stricter, not looser.
var escalationMethods = map[string][]string{
	"CreateAccessKey":                       {"iam:createaccesskey"},
	"CreateLoginProfile":                    {"iam:createloginprofile"},
	"UpdateLoginProfile":                    {"iam:updateloginprofile"},
	"AddUserToGroup":                        {"iam:addusertogroup"},
	"CreateNewPolicyVersion":                {"iam:createpolicyversion"},
	"SetExistingDefaultPolicyVersion":       {"iam:setdefaultpolicyversion"},
	"AttachUserPolicy":                      {"iam:attachuserpolicy"},
	"AttachGroupPolicy":                     {"iam:attachgrouppolicy"},
	"AttachRolePolicy":                      {"iam:attachrolepolicy"},
	"PutUserPolicy":                         {"iam:putuserpolicy"},
	"PutGroupPolicy":                        {"iam:putgrouppolicy"},
	"PutRolePolicy":                         {"iam:putrolepolicy"},
	"UpdateRolePolicyToAssumeIt":            {"iam:updateassumerolepolicy"},
	"CreateEC2WithExistingIP":               {"iam:passrole", "ec2:runinstances"},
	"PassExistingRoleToNewLambdaThenInvoke": {"iam:passrole", "lambda:createfunction", "lambda:invokefunction"},
	"PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo": {"iam:passrole", "lambda:createfunction", "lambda:createeventsourcemapping"},
	"PassExistingRoleToNewLambdaThenAddPermission":             {"iam:passrole", "lambda:createfunction", "lambda:addpermission"},
	"PassExistingRoleToNewGlueDevEndpoint":                     {"iam:passrole", "glue:createdevendpoint"},
	"PassExistingRoleToCloudFormation":                         {"iam:passrole", "cloudformation:createstack"},
	"PassExistingRoleToNewDataPipeline":                        {"iam:passrole", "datapipeline:createpipeline"},
	"PassExistingRoleToNewAppRunnerService":                    {"iam:passrole", "apprunner:createservice"},
	"PassExistingRoleToNewCloudFormationStackSet":              {"iam:passrole", "cloudformation:createstackset", "cloudformation:createstackinstances"},
	"PassRoleToUpdateCloudFormationStackSet":                   {"iam:passrole", "cloudformation:updatestackset"},
	"PassExistingRoleToNewCodeBuildProjectThenBuild":           {"iam:passrole", "codebuild:createproject", "codebuild:startbuild"},
	"PassExistingRoleToNewCodeBuildProjectThenBuildBatch":      {"iam:passrole", "codebuild:createproject", "codebuild:startbuildbatch"},
	"PassExistingRoleToNewEC2SpotInstance":                     {"iam:passrole", "ec2:requestspotinstances"},
	"PassExistingRoleToNewECSClusterServiceTask":               {"iam:passrole", "ecs:createcluster", "ecs:registertaskdefinition", "ecs:createservice"},
	"PassExistingRoleToNewECSClusterRunTask":                   {"iam:passrole", "ecs:createcluster", "ecs:registertaskdefinition", "ecs:runtask"},
	"PassExistingRoleToNewECSService":                          {"iam:passrole", "ecs:registertaskdefinition", "ecs:createservice"},
	"PassExistingRoleToNewECSTaskViaRunTask":                   {"iam:passrole", "ecs:registertaskdefinition", "ecs:runtask"},
	"PassExistingRoleToNewECSTaskViaStartTask":                 {"iam:passrole", "ecs:registertaskdefinition", "ecs:starttask"},
	"PassExistingRoleToNewGlueJobThenRun":                      {"iam:passrole", "glue:createjob", "glue:startjobrun"},
	"PassExistingRoleToNewGlueJobViaTrigger":                   {"iam:passrole", "glue:createjob", "glue:createtrigger"},
	"PassExistingRoleToUpdatedGlueJobThenRun":                  {"iam:passrole", "glue:updatejob", "glue:startjobrun"},
	"PassExistingRoleToUpdatedGlueJobViaTrigger":               {"iam:passrole", "glue:updatejob", "glue:createtrigger"},
	"PassExistingRoleToNewSageMakerNotebookInstance":           {"iam:passrole", "sagemaker:createnotebookinstance"},
	"PassExistingRoleToNewSageMakerTrainingJob":                {"iam:passrole", "sagemaker:createtrainingjob"},
	"PassExistingRoleToNewSageMakerProcessingJob":              {"iam:passrole", "sagemaker:createprocessingjob"},
	"UpdateExistingGlueDevEndpoint":                            {"glue:updatedevendpoint"},
	"EditExistingLambdaFunctionWithRole":                       {"lambda:updatefunctioncode"},
	"ExecuteCloudFormationChangeSet":                           {"cloudformation:createchangeset", "cloudformation:executechangeset"},
	"ModifyEC2InstanceUserDataThenRestart":                     {"ec2:modifyinstanceattribute", "ec2:stopinstances", "ec2:startinstances"},
	"ModifyExistingEC2LaunchTemplate":                          {"ec2:createlaunchtemplateversion", "ec2:modifylaunchtemplate"},
	"EC2InstanceConnectSendSSHPublicKey":                       {"ec2-instance-connect:sendsshpublickey", "ec2:describeinstances"},
	"ECSExecuteCommandOnRunningTask":                           {"ecs:executecommand", "ecs:describetasks"},
	"CreatePresignedSageMakerNotebookUrl":                      {"sagemaker:createpresignednotebookinstanceurl"},
	"UpdateSageMakerNotebookLifecycleConfig": {"sagemaker:createnotebookinstancelifecycleconfig", "sagemaker:stopnotebookinstance",
		"sagemaker:updatenotebookinstance", "sagemaker:startnotebookinstance"},
	"PassExistingRoleToNewLambdaThenTriggerWithNewDynamo": {"iam:passrole", "lambda:createfunction",
		"lambda:createeventsourcemapping", "dynamodb:createtable", "dynamodb:putitem"},
	"AccessExistingBedrockCodeInterpreterSession": {"bedrock-agentcore:startcodeinterpretersession", "bedrock-agentcore:invokecodeinterpreter"},
	"PassExistingRoleToNewBedrockCodeInterpreter": {"iam:passrole", "bedrock-agentcore:createcodeinterpreter",
		"bedrock-agentcore:startcodeinterpretersession", "bedrock-agentcore:invokecodeinterpreter"},
	"UpdateAndInvokeLambdaFunction":                 {"lambda:updatefunctioncode", "lambda:invokefunction"},
	"UpdateLambdaFunctionAndAddPermission":          {"lambda:updatefunctioncode", "lambda:addpermission"},
	"CreateAndRotateAccessKey":                      {"iam:createaccesskey", "iam:deleteaccesskey"},
	"AttachUserPolicyThenCreateAccessKey":           {"iam:attachuserpolicy", "iam:createaccesskey"},
	"CreatePolicyVersionThenAssumeRole":             {"iam:createpolicyversion", "sts:assumerole"},
	"PutUserPolicyThenCreateAccessKey":              {"iam:putuserpolicy", "iam:createaccesskey"},
	"AttachRolePolicyThenUpdateAssumeRolePolicy":    {"iam:attachrolepolicy", "iam:updateassumerolepolicy"},
	"CreatePolicyVersionThenUpdateAssumeRolePolicy": {"iam:createpolicyversion", "iam:updateassumerolepolicy"},
	"PutRolePolicyThenUpdateAssumeRolePolicy":       {"iam:putrolepolicy", "iam:updateassumerolepolicy"},
}

// checkPrivilegeEscalation: cloudsplaining's allows_privilege_escalation (CKV_AWS_286) takes the
// actions a document allows on Resource "*" without a condition and reports each method whose
// actions are all among them. Actions an explicit Deny names are taken out first.
func checkPrivilegeEscalation(c *run, r *Resource, field string, doc iamDocument) {
	var allowed, denied []string
	for _, s := range doc.Statements {
		switch {
		case s.Allow && !s.hasCondition() && s.onAnyResource():
			allowed = append(allowed, s.Actions...)
		case !s.Allow && !s.hasCondition() && s.onAnyResource():
			denied = append(denied, s.Actions...)
		}
	}
	grants := func(action string) bool {
		for _, d := range denied {
			if actionMatches(d, action) {
				return false
			}
		}
		return slices.ContainsFunc(allowed, func(a string) bool { return actionMatches(a, action) })
	}
	var found []string
	for method, actions := range escalationMethods {
		if !slices.ContainsFunc(actions, func(a string) bool { return !grants(a) }) {
			found = append(found, method+" ("+strings.Join(actions, " + ")+")")
		}
	}
	if len(found) == 0 {
		return
	}
	sort.Strings(found)
	c.violation(r, "%s allows privilege escalation on every resource without a condition: %s", field, strings.Join(found, "; "))
}

// callerKeys are condition keys that narrow which principal of a trusted account may assume a
// role (IAM User Guide, "AWS global condition context keys"; sts:ExternalId for third parties).
var callerKeys = []string{"aws:principalarn", "aws:userid", "aws:username", "sts:externalid", "aws:principaltag/"}

func narrowsCaller(s iamStatement) bool {
	for _, keys := range s.Conditions {
		for k := range keys {
			lk := strings.ToLower(k)
			for _, ck := range callerKeys {
				if lk == ck || (strings.HasSuffix(ck, "/") && strings.HasPrefix(lk, ck)) {
					return true
				}
			}
		}
	}
	return false
}

func accountID(principal string) string {
	if m := strings.Split(principal, ":"); len(m) == 6 {
		return m[4]
	}
	return principal
}

// githubIssuer is GitHub Actions' OIDC issuer host; its subjects start with
// "repo:<owner>/<name>:" (GitHub docs, "About security hardening with OpenID Connect").
const githubIssuer = "token.actions.githubusercontent.com"

// checkOIDCStatement judges one Allow statement of a trust policy that trusts an IAM OIDC
// provider. STS checks the token's aud and sub only where the trust policy names them (IAM User
// Guide, "Create a role for OpenID Connect federation"; EKS User Guide, "Assign IAM roles to
// Kubernetes service accounts": both keys with StringEquals). Checkov CKV_AWS_358 refuses GitHub
// trusts without a sub condition, a wildcard sub, or a sub that does not name a repository.
func checkOIDCStatement(c *run, r *Resource, s iamStatement) {
	for _, fed := range s.Federated {
		_, issuer, found := strings.Cut(fed, ":oidc-provider/")
		if !found {
			continue // SAML and Cognito federations are out of scope
		}
		aud, audSet := s.conditionValues("StringEquals", issuer+":aud")
		if !audSet || len(aud) == 0 || slices.ContainsFunc(aud, func(v string) bool { return v != "sts.amazonaws.com" }) {
			c.violation(r, "assumeRolePolicy %s trusts %s without StringEquals %s:aud = sts.amazonaws.com", s.Label, issuer, issuer)
		}
		sub, subSet := s.conditionValues("StringEquals", issuer+":sub")
		switch {
		case !subSet || len(sub) == 0:
			c.violation(r, "assumeRolePolicy %s trusts %s without StringEquals on %s:sub: any identity of the issuer may assume the role", s.Label, issuer, issuer)
		default:
			for _, v := range sub {
				switch {
				case strings.ContainsAny(v, "*?"):
					c.violation(r, "assumeRolePolicy %s: %s:sub %q holds a wildcard", s.Label, issuer, v)
				case issuer == githubIssuer && !githubSubjectPinned(v):
					c.violation(r, "assumeRolePolicy %s: %s:sub %q does not name one repository (repo:<owner>/<name>:...)", s.Label, issuer, v)
				}
			}
		}
	}
}

// githubSubjectPinned reports whether a GitHub Actions subject starts with repo:<owner>/<name>:.
func githubSubjectPinned(sub string) bool {
	parts := strings.SplitN(sub, ":", 3)
	if len(parts) < 3 || parts[0] != "repo" {
		return false
	}
	owner, name, found := strings.Cut(parts[1], "/")
	return found && owner != "" && name != "" && !strings.Contains(name, "/")
}
