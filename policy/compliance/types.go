package compliance

// Type tokens the policies inspect, as the engine sees them (pulumi-aws v6, pulumi-eks v2,
// pulumi-kubernetes v4).
const (
	tAWSProvider = "pulumi:providers:aws"

	tRDSInstance              = "aws:rds/instance:Instance"
	tRDSParameterGroup        = "aws:rds/parameterGroup:ParameterGroup"
	tRDSCluster               = "aws:rds/cluster:Cluster"
	tRDSClusterParameterGroup = "aws:rds/clusterParameterGroup:ClusterParameterGroup"

	tEKSComponent     = "eks:index:Cluster"
	tEKSCluster       = "aws:eks/cluster:Cluster"
	tNodeGroup        = "aws:eks/nodeGroup:NodeGroup"
	tManagedNodeGroup = "eks:index:ManagedNodeGroup"
	tLaunchTemplate   = "aws:ec2/launchTemplate:LaunchTemplate"
	tEKSAddon         = "aws:eks/addon:Addon"

	tVpc               = "aws:ec2/vpc:Vpc"
	tFlowLog           = "aws:ec2/flowLog:FlowLog"
	tSecurityGroup     = "aws:ec2/securityGroup:SecurityGroup"
	tSGIngressRule     = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tSGRule            = "aws:ec2/securityGroupRule:SecurityGroupRule"
	tDefaultSG         = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	tBucket            = "aws:s3/bucketV2:BucketV2"
	tBucketEncryption  = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tBucketAccessBlock = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tBucketVersioning  = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tBucketPolicy      = "aws:s3/bucketPolicy:BucketPolicy"
	tECRRepository     = "aws:ecr/repository:Repository"
	tKMSKey            = "aws:kms/key:Key"
	tSecret            = "aws:secretsmanager/secret:Secret"
	tSecretRotation    = "aws:secretsmanager/secretRotation:SecretRotation"

	tIAMRole                  = "aws:iam/role:Role"
	tIAMRolePolicy            = "aws:iam/rolePolicy:RolePolicy"
	tIAMPolicy                = "aws:iam/policy:Policy"
	tIAMUserPolicy            = "aws:iam/userPolicy:UserPolicy"
	tIAMGroupPolicy           = "aws:iam/groupPolicy:GroupPolicy"
	tIAMRolePolicyAttachment  = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	tIAMUserPolicyAttachment  = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
	tIAMGroupPolicyAttachment = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
	tIAMPolicyAttachment      = "aws:iam/policyAttachment:PolicyAttachment"

	tHelmRelease   = "kubernetes:helm.sh/v3:Release"
	tHelmChart     = "kubernetes:helm.sh/v4:Chart"
	tNamespace     = "kubernetes:core/v1:Namespace"
	tNetworkPolicy = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

	// Karpenter's objects, applied as custom resources (karpenter-crd chart 1.14.1): their
	// inputs carry the object's spec as the API server receives it.
	tNodePool     = "kubernetes:karpenter.sh/v1:NodePool"
	tEC2NodeClass = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"

	tSQSQueue       = "aws:sqs/queue:Queue"
	tSQSQueuePolicy = "aws:sqs/queuePolicy:QueuePolicy"
)

// workloadTypes carry pod templates whose container images the image policy reads.
var workloadTypes = []string{
	"kubernetes:core/v1:Pod",
	"kubernetes:apps/v1:Deployment",
	"kubernetes:apps/v1:StatefulSet",
	"kubernetes:apps/v1:DaemonSet",
	"kubernetes:apps/v1:ReplicaSet",
	"kubernetes:batch/v1:Job",
	"kubernetes:batch/v1:CronJob",
}
