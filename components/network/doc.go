// Package network provides the Vpc component (novacron:network:Vpc): the VPC every other
// component lives in.
//
// It creates, for 2 to 6 availability zones named by the caller: a VPC with DNS hostnames; per
// zone a public, a private and a database subnet cut from the VPC CIDR by PlanSubnets; an internet
// gateway for the public tier; NAT gateways (one per zone, or one in all with SingleNatGateway)
// for the private tier; no route out of the VPC for the database tier; an S3 gateway endpoint on
// the private and database route tables; the default security group emptied of all rules; and VPC
// flow logs (all traffic) to a CloudWatch Logs group with a retention and a delivery role that may
// write only to that group. The group is named "/novacron/<stack>/vpc/<name>/flow-logs", so the
// stacks sharing an account each get their own.
//
// Invariants: subnet CIDRs depend only on the arguments, so they are known at preview time;
// public subnets carry kubernetes.io/role/elb=1 and private subnets
// kubernetes.io/role/internal-elb=1 for load-balancer discovery; no subnet assigns public IPs on
// launch. Resource names derive from the component name and the zone name, so reordering zones
// does not replace subnets, but renaming the component does.
//
// Validate refuses what AWS or EKS would refuse or break on (internal/awslimits): a VPC range
// outside the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10) or
// overlapping 172.17.0.0/16 or 169.254.0.0/16, and a flow-log retention CloudWatch Logs does not
// offer.
package network
