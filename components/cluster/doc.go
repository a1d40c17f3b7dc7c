// Package cluster provides the Cluster component (novacron:cluster:Cluster): an EKS cluster
// built with pulumi-eks, its managed node groups, and what in-cluster components rely on.
//
// It creates: a KMS key with rotation for envelope encryption of Kubernetes Secrets (unless one
// is brought); the control-plane log group with a retention, before the cluster; control-plane
// and node security groups with only the traffic EKS needs; the pulumi-eks Cluster with the
// private endpoint on, the public endpoint off unless opted in with a CIDR allow-list, all five
// control-plane log types, access-entry (API) authentication and no default node group; an IAM
// OIDC provider for IRSA; the vpc-cni add-on with the network policy agent enabled (without it
// NetworkPolicies are silently not enforced on EKS) and its own IRSA role; per node group a launch
// template (IMDSv2 only with a hop limit of 1, encrypted gp3 root volume, the node security
// group) and a pulumi-aws eks.NodeGroup in the private subnets, with cluster-autoscaler
// node-template tags on its Auto Scaling group so a group can scale up from zero; the EBS CSI
// driver add-on with its IRSA role; the encrypted gp3 StorageClass "fast-ssd"; the
// cluster-autoscaler with auto-discovery and an IRSA role that may resize only this cluster's
// groups; the NVIDIA device plugin on GPU groups, tolerating their taints; and Kubernetes
// providers built from the cluster's kubeconfig.
//
// Invariants: node groups use pulumi-aws eks.NodeGroup (not pulumi-eks ManagedNodeGroup) so that
// tests, the policy pack and the engine all see the same resource; desiredSize drift is ignored
// because the cluster autoscaler owns it; at least one group has no GPU, and cluster services
// wait for those groups only, so a shortage of GPU capacity holds nothing else back; the
// kubeconfig output is secret; everything created through Provider waits for the groups without
// a GPU and the storage class, because the provider does.
//
// Consequences worth knowing: the kubeconfig calls `aws eks get-token`, so the AWS CLI must be
// installed where `pulumi up` runs; with the public endpoint off, that machine must reach the
// VPC. The cluster name, OIDC issuer and node group names are derived from plain string outputs
// and data sources because the pulumi-eks component's resource-typed outputs only resolve
// against a live engine.
package cluster
