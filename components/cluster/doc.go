// Package cluster provides the Cluster component (novacron:cluster:Cluster): an EKS cluster
// built with pulumi-eks, its system node group, Karpenter, and what in-cluster components rely on.
//
// It creates: a KMS key with rotation for envelope encryption of Kubernetes Secrets (unless one
// is brought); the control-plane log group with a retention, before the cluster; control-plane
// and node security groups with only the traffic EKS needs, plus 443 to the API server from the
// deployers (EndpointAllowedCidrs, EndpointAllowedSecurityGroupIds), and node egress limited to
// everything within the VPC (VpcCidr), HTTPS to anywhere and the application's NodeEgressRules
// (never every port to the internet); the pulumi-eks Cluster with
// the private endpoint on, the public endpoint off unless opted in with a CIDR allow-list, all
// five control-plane log types, access-entry (API) authentication with cluster-admin entries
// (AdminRoleArns) and read-only entries (ReadOnlyRoleArns, AmazonEKSAdminViewPolicy), and no
// default node group; the eks-pod-identity-agent, vpc-cni, kube-proxy, coredns, metrics-server
// and aws-ebs-csi-driver EKS add-ons, each pinned to a version for the cluster's Kubernetes
// minor (addons.go) or to the stack's override (AddonVersions), vpc-cni with the network policy
// agent enabled (without it NetworkPolicies are silently not enforced on EKS) and, like the EBS
// CSI driver, its own role through EKS Pod Identity; the system node group, a managed node group
// of SystemNodeCount nodes tainted CriticalAddonsOnly=true:NoSchedule for the add-ons the rest
// depends on (launch template with IMDSv2 only and a hop limit of 1, encrypted gp3 root volume,
// releaseVersion NodeAmiRelease); Karpenter (components/karpenter) with the NodePools; the
// encrypted gp3 StorageClass "fast-ssd"; the NVIDIA device plugin on GPU pools, tolerating their
// taints; and Kubernetes providers built from the cluster's kubeconfig.
//
// Reaching the API server: with the public endpoint off, only the nodes and the deployers named
// in EndpointAllowedCidrs / EndpointAllowedSecurityGroupIds reach it, and Validate refuses a
// private endpoint that admits no deployer. Whoever runs `pulumi preview` or `pulumi up` also
// needs an access entry: the creator of the cluster is admin, AdminRoleArns (the deploy role)
// get AmazonEKSClusterAdminPolicy, ReadOnlyRoleArns (the preview and drift role) get
// AmazonEKSAdminViewPolicy, which reads every object Secrets included, as a preview with refresh
// must; a forbidden server-side dry run then falls back to a client-side diff in
// pulumi-kubernetes.
//
// Upgrades: the system node group's version and every add-on's addonVersion follow
// KubernetesVersion, so changing it upgrades everything in the order the dependencies give: the
// control plane, then the Pod Identity agent, vpc-cni and kube-proxy (which the nodes wait for),
// then the system node group, then coredns, metrics-server and the EBS CSI driver (which wait for
// the nodes). Karpenter's nodes follow NodeAmiRelease, whose minor must be KubernetesVersion's:
// the same change drifts them to the new minor, inside the pools' disruption budgets. EKS
// upgrades one minor version at a time and refuses the next control-plane upgrade while managed
// nodes lag; a version without a row in the add-on table is refused by Validate, and preflight's
// --baseline refuses a jump of more than one minor.
//
// Zones: Karpenter launches a node in the zone a pending pod needs, the zone of its EBS volume
// included, so the pools need no per-zone node groups. The system node group spans every
// private subnet.
//
// Invariants: the system node group uses pulumi-aws eks.NodeGroup (not pulumi-eks
// ManagedNodeGroup) so that tests, the policy pack and the engine all see the same resource;
// GPU pools are never the only pools; the kubeconfig output is secret; everything created
// through Provider waits for the system node group, the storage class, metrics-server and the
// Karpenter pools, because the provider does.
//
// Consequences worth knowing: the kubeconfig calls `aws eks get-token`, so the AWS CLI must be
// installed where `pulumi up` runs, and that machine must be one of the deployers above. The
// cluster name is derived from a plain string output because the pulumi-eks component's
// resource-typed outputs only resolve against a live engine.
package cluster
