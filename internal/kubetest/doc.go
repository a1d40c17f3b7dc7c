// Package kubetest runs a real, empty Kubernetes API server for tests, and applies to it the
// Kubernetes objects the program registers, so that the server's own validation judges them:
// the built-in types' schemas, every CRD's OpenAPI schema (unknown fields, types, enums, CEL
// rules), defaulting, and admission, Pod Security included.
//
// Start builds (once, cached by version outside the repository) and starts etcd and
// kube-apiserver on free loopback ports, and stops both when the test ends. There are no nodes,
// no controllers and no webhooks: objects are checked, never run. Because no controller creates
// service accounts, the ServiceAccount admission plugin is off; every other default admission
// plugin, PodSecurity among them, is on, as on EKS.
//
// The server binaries come from the module in servers/ (kube-apiserver from k8s.io/kubernetes,
// etcd from go.etcd.io/etcd/server/v3, both pinned there), a module of its own so that the main
// module never depends on Kubernetes' server code. A cold build takes about 8 minutes and 2 GB
// on 2 cores; later runs find the binaries in the cache. CRDs come from the Go modules of the
// projects that publish them, at the version the pinned chart ships (see CRDSource). The one
// kind of CRD no project publishes, the Constraint CRD Gatekeeper generates from each
// ConstraintTemplate, is generated here the way Gatekeeper does it (ConstraintCRD), when
// ApplyAll accepts the template.
//
// Objects converts the engine's record of a Pulumi program into Kubernetes objects without
// per-kind code: every Kubernetes resource whose inputs carry apiVersion and kind is an object.
package kubetest
