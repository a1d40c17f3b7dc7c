// Package mock is the recording mock engine shared by the tests, the offline policy evaluation
// and the preflight tool.
//
// It implements pulumi.MockResourceMonitor: every registration is kept as a Resource (type token,
// name, URN, inputs with secrets still wrapped, parent, dependencies and resource options), and
// each is answered with its inputs plus the computed attributes the program reads (ids, ARNs,
// database endpoint, the kubeconfig of the pulumi-eks cluster). Data sources the program calls
// are answered with fixed values (account 123456789012, region us-east-1).
//
// Invariant: URNs are computed exactly as the SDK's mock monitor computes them, so Parent and
// Dependencies of one record always name other records of the same run.
package mock
