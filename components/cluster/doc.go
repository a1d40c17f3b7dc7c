// Package cluster provides the Cluster component (novacron:cluster:Cluster): an EKS cluster
// built with pulumi-eks, its managed node groups, and what in-cluster components rely on.
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
// default node group; an IAM OIDC provider for IRSA; the vpc-cni, kube-proxy, coredns and
// aws-ebs-csi-driver EKS add-ons, each pinned to a version for the cluster's Kubernetes minor
// (addons.go), vpc-cni with the network policy agent enabled (without it NetworkPolicies are
// silently not enforced on EKS) and, like the EBS CSI driver, its own IRSA role; per node pool a
// launch template (IMDSv2 only with a hop limit of 1, encrypted gp3 root volume, the node
// security group) and pulumi-aws eks.NodeGroups pinned to the cluster's Kubernetes version,
// with cluster-autoscaler node-template tags on their Auto Scaling groups so a group can scale
// up from zero; the encrypted gp3 StorageClass "fast-ssd"; the cluster-autoscaler with
// auto-discovery, balance-similar-node-groups and an IRSA role that may resize only this
// cluster's groups; the NVIDIA device plugin on GPU groups, tolerating their taints; and
// Kubernetes providers built from the cluster's kubeconfig.
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
// Upgrades: the node groups' version and every add-on's addonVersion follow KubernetesVersion,
// so changing it upgrades everything in the order the dependencies give: the control plane, then
// vpc-cni and kube-proxy (which the nodes wait for), then every node group, then coredns and the
// EBS CSI driver (which wait for the nodes). EKS upgrades one minor version at a time and refuses
// the next control-plane upgrade while managed nodes lag; a version without a row in the add-on
// table is refused by Validate, and preflight's --baseline refuses a jump of more than one minor.
//
// Zones: a PerZone pool (the stack's general pool) is one managed node group per availability
// zone, each in its zone's private subnet, sharing the pool's launch template and labels.
// Prometheus, Alertmanager and Grafana keep their data on zonal EBS volumes; when a zone's nodes
// are full, only a group in that zone can make room for a pod bound to a volume there, and an
// Auto Scaling group spanning three zones lets the autoscaler neither pick the zone nor know it
// (cluster-autoscaler AWS README, EBS volumes and zones). The pool's MinSize, DesiredSize and
// MaxSize are totals divided among the zones (total/zones each, the remainder one by one to the
// first zones; splitAcrossZones), and MaxSize must leave room for a node in every zone. The
// autoscaler keeps the zone groups balanced with --balance-similar-node-groups. GPU pools span
// every zone: GPU capacity is scarce, and no workload of ours keeps GPU state on a volume.
//
// Names: the zone groups are new resources (cluster-general-<zone>) replacing the single
// cluster-general group, without an alias: a node group's subnets cannot change in place, so an
// alias would not have saved the group, and no stack had been deployed yet. The pool's launch
// template keeps its name (cluster-general).
//
// Invariants: node groups use pulumi-aws eks.NodeGroup (not pulumi-eks ManagedNodeGroup) so that
// tests, the policy pack and the engine all see the same resource; desiredSize drift is ignored
// because the cluster autoscaler owns it; at least one group has no GPU, and cluster services
// wait for those groups only, so a shortage of GPU capacity holds nothing else back; the
// kubeconfig output is secret; everything created through Provider waits for the groups without
// a GPU and the storage class, because the provider does.
//
// Consequences worth knowing: the kubeconfig calls `aws eks get-token`, so the AWS CLI must be
// installed where `pulumi up` runs, and that machine must be one of the deployers above. The
// cluster name, OIDC issuer and node group names are derived from plain string outputs and data
// sources because the pulumi-eks component's resource-typed outputs only resolve against a live
// engine.
package cluster
