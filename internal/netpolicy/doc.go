// Package netpolicy is the one place that converts and the one place that judges the
// networking.k8s.io/v1 NetworkPolicies the components create.
//
// Components build their NetworkPolicies as k8s.io/api objects in pure functions (New, Port and
// IPBlocks are the common pieces), so that the objects can be rendered, decoded and reasoned
// about without an engine. Args converts each object once into pulumi-kubernetes arguments
// for registration; it carries every field it knows and refuses the rest (metadata other than
// name, namespace and labels, selectors the API server would refuse) instead of dropping them,
// so that what is registered is exactly what was built.
//
// Allowed judges the same objects as traffic: whether a connection from one endpoint to
// another on a protocol and port passes, following the semantics of the Kubernetes
// documentation ("Network Policies"). The components' tests state who may talk to whom as
// tables of flows, and the evaluator must be able to say no as well as yes.
//
// The evaluator models the API's semantics, not an enforcing CNI: it cannot see whether
// policies are enforced at all (on EKS only with the VPC CNI's network policy agent enabled),
// nor how a CNI treats ipBlock peers that cover pod addresses.
package netpolicy
