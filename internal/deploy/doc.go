// Package deploy estimates how long a first `pulumi up` of a stack takes and what slows it down,
// from the dependency graph the program declares.
//
// Each resource takes its typical creation time (Table: published figures with their sources,
// DefaultDuration for the rest, which is an assumption and says so). ForResource refines For by
// name: a Karpenter pool's floor Deployment takes as long as Karpenter needs to launch its nodes,
// since the Kubernetes provider waits for its pods. Analyze computes when each
// resource can start if everything starts as soon as what it waits for is done, and returns the
// longest chain: the critical path.
//
// How the graph is read, following how the Pulumi engine registers resources:
//
//   - A resource starts after every resource in its Dependencies (dependsOn and inputs) and its
//     provider are done.
//   - A child waits for its parent to be registered. A component of this program registers as
//     soon as its own dependencies are met, because it has no create step; a custom resource or a
//     remote component registers only once it exists. Children never wait for a component parent
//     to finish.
//   - A component takes no time and is done when its last child is; something that depends on a
//     component waits for all of its children.
//
// False serialisations: a resource that waits, through an explicit dependsOn, for another whose
// outputs none of its inputs use. Each is reported with the minutes the critical path would lose
// without that one edge, and a verdict: Ordering for known patterns where the order matters
// without data (permissions before use, a log group before the service writes, nodes before
// pods), Review otherwise.
//
// Invariants: the analysis is deterministic (ties break by URN); a cycle is an error, never a
// hang; dependencies on URNs outside the node set are ignored.
package deploy
