package awslimits

import "github.com/novacron/platform/internal/validate"

// MaxNodesPerManagedNodeGroup is EKS's default quota of nodes per managed node group (Amazon EKS
// User Guide, "View and manage Amazon EKS and Fargate service quotas": Nodes per managed node
// group, quota code L-BD136A63, default 450). A larger maxSize is refused by CreateNodegroup
// unless the quota was raised; raise it and this constant together.
const MaxNodesPerManagedNodeGroup = 450

// CheckScaling records the problems of a managed node group's scaling configuration, as the
// EKS CreateNodegroup API checks it (NodegroupScalingConfig: minSize and desiredSize 0 or more,
// maxSize 1 or more, minSize <= desiredSize <= maxSize) and within the node quota. The sizes may
// be totals spread over groups managed node groups (one per zone), each getting its share
// rounded up; the quota applies to that share. Fields are minField, desiredField and maxField;
// the ordering is reported once.
func CheckScaling(p *validate.Problems, minField, desiredField, maxField string, minSize, desired, maxSize, groups int) {
	groups = max(groups, 1)
	if minSize < 0 {
		p.Addf(minField, "must be 0 or more, got %d", minSize)
	}
	if desired < 0 {
		p.Addf(desiredField, "must be 0 or more, got %d", desired)
	}
	share := (maxSize + groups - 1) / groups
	switch {
	case maxSize < 1:
		p.Addf(maxField, "must be at least 1, got %d", maxSize)
	case share > MaxNodesPerManagedNodeGroup && groups == 1:
		p.Addf(maxField, "must be at most %d, EKS's quota of nodes per managed node group, got %d", MaxNodesPerManagedNodeGroup, maxSize)
	case share > MaxNodesPerManagedNodeGroup:
		p.Addf(maxField, "must be at most %d per zone, EKS's quota of nodes per managed node group, got %d over %d zonal groups (%d in the largest)",
			MaxNodesPerManagedNodeGroup, maxSize, groups, share)
	case maxSize < minSize:
		p.Addf(maxField, "(%d) must not be below minSize (%d)", maxSize, minSize)
	case desired >= 0 && minSize >= 0 && (desired < minSize || desired > maxSize):
		p.Addf(desiredField, "(%d) must be between minSize (%d) and maxSize (%d)", desired, minSize, maxSize)
	}
}
