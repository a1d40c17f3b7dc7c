// Package karpenter provides the Karpenter component (novacron:karpenter:Karpenter): the node
// provisioner that launches every node outside the cluster's small system node group.
//
// It creates:
//   - the node role (AmazonEKSWorkerNodePolicy, ECR pull-only, SSM; no CNI policy, vpc-cni has
//     its own role) with a fixed name the EC2NodeClasses refer to, and its EC2_LINUX access
//     entry so the nodes' kubelets can join; Karpenter makes the instance profile from it;
//   - the interruption queue (SQS, SSE, five minutes' retention, TLS only) and EventBridge rules
//     for Spot interruption warnings, rebalance recommendations, AWS Health scheduled changes,
//     instance state changes and capacity-reservation interruptions, so Karpenter drains a node
//     before AWS takes it;
//   - the controller's role through EKS Pod Identity, with ControllerPolicy: launches, tags and
//     terminates only resources tagged for this cluster and a NodePool, passes only the node
//     role, reads only this cluster's queue;
//   - the karpenter-crd chart, then the karpenter chart (both pinned, CRDs from their own chart
//     so a version change upgrades them), on the system nodes (the chart's defaults: two
//     replicas on different nodes and zones, a PodDisruptionBudget, the CriticalAddonsOnly
//     toleration, never on a Karpenter node);
//   - per pool an EC2NodeClass (the pinned AL2023 release by alias, discovery-tagged subnets and
//     security group, IMDSv2 with one hop, encrypted gp3 root, the cost-allocation tags) and a
//     NodePool (instance types, capacity type, zones, labels, taints, limits, disruption), and
//     for a pool with a floor a Deployment of placeholder pods (FloorDeployment).
//
// Choices:
//   - Controller on a managed node group, not Fargate: Fargate runs no DaemonSet, so the
//     Falco, log and metrics agents would not see the controller's node, and Fargate pods get a
//     fixed, coarse size. Two m5.large cost about $140 a month.
//   - AL2023, not Bottlerocket: the system node group already runs AL2023, the alias picks the
//     NVIDIA variant for GPU types, and the platform's Falco and journald collection expect a
//     general-purpose host.
//   - Limits from MaxNodes: a NodePool has no node count, only resource limits, so MaxNodes of
//     the largest type bound the pool (PoolLimits); Karpenter may overrun them briefly.
//   - The floor: Karpenter has no minimum size. MinNodes placeholder pods of priority -100,
//     each on its own node and spread across zones, keep MinNodes nodes; any real pod preempts
//     one, which then brings a new node. GPU pools have no floor.
//   - Patching: every node follows NodeAmiRelease. A new release drifts the pools' nodes;
//     Karpenter replaces them at most DefaultDisruptionPercent at a time and, for drift, only
//     inside the maintenance window (a zero-node budget covers the rest of the day).
//   - GPU pools consolidate only empty nodes and have no terminationGracePeriod: a running job
//     is never repacked, and a pod annotated karpenter.sh/do-not-disrupt also holds back drift
//     and expiry until it finishes.
package karpenter
