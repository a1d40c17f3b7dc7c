//go:build tools

// Package servers pins the upstream servers the kubetest package starts: kube-apiserver from
// k8s.io/kubernetes, and etcd (see etcd/main.go). It is a module of its own so that the main
// module's go.mod and build stay free of Kubernetes' server code.
package servers

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
