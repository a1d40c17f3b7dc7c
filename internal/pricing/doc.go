// Package pricing holds a dated table of us-east-1 on-demand list prices, each with its source,
// and the cost model that turns the resources recorded by internal/mock into monthly cost lines.
//
// What the model prices, per resource type (730 hours a month):
//
//   - EKS control plane (eks:index:Cluster, or aws:eks/cluster:Cluster outside it): the standard
//     hourly rate, or the extended-support rate when the Kubernetes minor version is older than
//     EKSStandardSupportMinimum.
//   - Node groups (aws:eks/nodeGroup:NodeGroup, eks:index:ManagedNodeGroup): desiredSize ×
//     instance-hour price of the first instance type. desiredSize is what `pulumi up` creates; a
//     fixed-size group (the system node group) says so, a group that may scale gets the minSize
//     and maxSize months in its note. Root volumes come from the launch template the group
//     depends on (or diskSize).
//   - Karpenter pools (kubernetes:karpenter.sh/v1:NodePool): the baseline, the larger of the
//     floor (the replicas of the pool's capacity-floor Deployment) and the nodes of the cheapest
//     instance type that the declared baseline (Options.Baselines) needs, × 730 h; root volumes
//     from the EC2NodeClass the pool names. The line's Range and note give the month at the
//     limit, the nodes the pool's spec.limits admit. A Spot pool is priced at an assumed Spot
//     saving (spotSavings, with its source), which the note calls an assumption; a Spot pool
//     of a type without one is listed without a price. Estimate.Pools carries each pool's
//     capacity: Karpenter's node arithmetic (capacity.go: VM overhead, kube-reserved, eviction
//     threshold, the DaemonSets' requests), the nodes its limits admit, and whether ten times
//     the baseline fits.
//   - Karpenter's interruption queue: SQS requests usage-based; its EventBridge rules a usage
//     line of no charge (AWS management events are ingested free).
//   - RDS instances: the Multi-AZ rate when the table has one, else twice the Single-AZ rate
//     (primary and standby); gp3 storage at the Single-AZ or Multi-AZ rate; read replicas at the
//     Single-AZ rate with their source's allocation; the RDS-managed master secret; backup storage
//     and enhanced monitoring as usage-based.
//   - RDS Multi-AZ DB clusters (aws:rds/cluster:Cluster with a DB cluster instance class): the
//     cluster rate when the table has one, else three times the Single-AZ rate (writer and two
//     readers); gp3 storage at the three-copy rate, IOPS above the 12,000 baseline named without a
//     price; the master secret; backup and monitoring as usage-based. Aurora clusters are not
//     modelled.
//   - NAT gateways (hourly; data processed is usage-based), Elastic IPs (public IPv4 charge),
//     interface VPC endpoints (per AZ), KMS keys, Secrets Manager secrets.
//   - kube-prometheus-stack Helm releases: the Prometheus, Grafana and Alertmanager volumes named
//     in the values, as gp3 EBS volumes. aws-load-balancer-controller releases: one Application
//     Load Balancer, an estimate since the controller, not Pulumi, creates it; LCUs usage-based.
//   - S3 buckets and CloudWatch log groups: usage-based, with their unit prices.
//   - The account baseline: CloudWatch alarms (per alarm-month); CloudTrail data events, AWS
//     Config configuration items and rule evaluations usage-based with their unit prices;
//     GuardDuty, Security Hub and Inspector usage-based without one (each bills several tiered
//     units).
//
// Invariants: a price is never invented. A resource whose price is not in the table (another
// class, another region) gets a NoPrice line and stays out of the total; a region without a
// table gets quantities without amounts. Usage-based lines carry the unit price and no guessed
// quantity. Estimates are deterministic: lines follow resource URN order.
package pricing
