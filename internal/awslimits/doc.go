// Package awslimits holds what AWS and EKS accept for the values this program hands them, as
// catalogues and checks that the components' Validate functions call. A mock engine accepts any
// value; these checks refuse, before anything is created, what the real service would refuse
// halfway through an update (or would accept and then never work).
//
// Every fact carries its source in a comment beside it. The checks record problems through
// internal/validate, named after the caller's field, so that the stack loader can report them
// under config keys.
//
// What is checked, and where the limit comes from:
//
//   - CloudWatch Logs retention: one of the fixed day counts of PutRetentionPolicy
//     (LogRetentionDays, CheckLogRetention). S3 lifecycle and backup retentions are not
//     CloudWatch's and have their own rules in their components.
//   - EC2 instance types: a catalogue of the families the platform can plausibly use, with
//     architecture, vCPUs, memory and NVIDIA GPU count (InstanceTypes, LookupInstanceType,
//     CheckInstanceType). A typo is refused with the nearest real type; a retired type (P3) is
//     refused with its retirement. A real type outside the catalogued families is refused too:
//     add its family here, with the source, to use it.
//   - Tags: the length and character rules of AWS tags, and the reserved aws: prefix
//     (CheckTag).
//   - IPv4 ranges: a VPC range in the private ranges AWS recommends and clear of the ranges EKS
//     warns about (CheckVPCCIDR); public-endpoint CIDR lists that are canonical, public, within
//     EKS's count, and that do not together cover the whole internet (CheckPublicAccessCIDRs,
//     CoversAllIPv4).
//
// Node images and pool sizes are not judged here: the AMI release and the Karpenter pools are
// checked by components/karpenter, the system node group's fixed size by components/cluster.
//
// The backup copy's region (another region than the stack's) is checked by components/backup,
// which parses the vault ARN itself.
//
// The package depends on nothing but the standard library and internal/validate, so that tests
// and tools can use it without linking a provider SDK.
package awslimits
