package baseline

// CISMetricFilter is one monitoring recommendation of the CIS AWS Foundations Benchmark v3.0.0
// (section 4): a CloudWatch Logs metric filter on the trail's log group and an alarm on its
// metric that notifies the alerts topic.
type CISMetricFilter struct {
	// Item is the benchmark's recommendation number ("4.3").
	Item string
	// Name names the filter, its metric and its alarm.
	Name string
	// Title is what the recommendation watches.
	Title string
	// Pattern is the filter pattern of the recommendation's remediation procedure.
	Pattern string
}

// Controls returns the controls the filter and its alarm give evidence for: the CIS item, and
// the monitoring requirements of the other frameworks (review of security events: SOC 2 CC7.2,
// ISO 27001:2022 A.8.16, PCI DSS v4.0 10.4.1).
func (f CISMetricFilter) Controls() []Control {
	return join(soc2("CC7.2"), iso("A.8.16"), pci("10.4.1"), cisAWS(f.Item))
}

// MetricNamespace holds the filters' metrics.
const MetricNamespace = "NovaCron/CISBenchmark"

// CISMetricFilters are the benchmark's sections 4.1 to 4.15, with the filter patterns of its
// remediation procedures (CIS Amazon Web Services Foundations Benchmark v3.0.0; the same patterns
// are checked by AWS Security Hub controls CloudWatch.1 to CloudWatch.14 and reproduced in the
// CIS audit files). 4.16 (Security Hub enabled) is a resource of this project, not a filter.
//
// Two deliberate readings: 4.1 groups its conditions explicitly, (A || B) && C && D, which is
// what the benchmark's flat text means (its exclusions apply to both error codes); 4.2 is the
// benchmark's variant for accounts that sign in through SSO, which counts only successful IAM
// user sign-ins without MFA, so federated sign-ins (MFA enforced by the identity provider) do
// not page.
var CISMetricFilters = []CISMetricFilter{
	{Item: "4.1", Name: "UnauthorizedApiCalls", Title: "unauthorized API calls",
		Pattern: `{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`},
	{Item: "4.2", Name: "ConsoleSignInWithoutMfa", Title: "management console sign-in without MFA",
		Pattern: `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`},
	{Item: "4.3", Name: "RootAccountUsage", Title: "usage of the root user",
		Pattern: `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`},
	{Item: "4.4", Name: "IamPolicyChanges", Title: "IAM policy changes",
		Pattern: `{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }`},
	{Item: "4.5", Name: "CloudTrailConfigChanges", Title: "CloudTrail configuration changes",
		Pattern: `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`},
	{Item: "4.6", Name: "ConsoleAuthFailures", Title: "management console authentication failures",
		Pattern: `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`},
	{Item: "4.7", Name: "CmkDisableOrDeletion", Title: "disabling or scheduled deletion of customer managed keys",
		Pattern: `{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }`},
	{Item: "4.8", Name: "S3BucketPolicyChanges", Title: "S3 bucket policy changes",
		Pattern: `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`},
	{Item: "4.9", Name: "ConfigChanges", Title: "AWS Config configuration changes",
		Pattern: `{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }`},
	{Item: "4.10", Name: "SecurityGroupChanges", Title: "security group changes",
		Pattern: `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`},
	{Item: "4.11", Name: "NetworkAclChanges", Title: "network ACL changes",
		Pattern: `{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`},
	{Item: "4.12", Name: "NetworkGatewayChanges", Title: "network gateway changes",
		Pattern: `{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`},
	{Item: "4.13", Name: "RouteTableChanges", Title: "route table changes",
		Pattern: `{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }`},
	{Item: "4.14", Name: "VpcChanges", Title: "VPC changes",
		Pattern: `{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`},
	{Item: "4.15", Name: "OrganizationsChanges", Title: "AWS Organizations changes",
		Pattern: `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`},
}
