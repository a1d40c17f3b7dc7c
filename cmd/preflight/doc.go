// Command preflight evaluates a stack offline and reports, without credentials, Pulumi CLI or
// network:
//
//  1. the resources the program registers, as a tree by component with the settings that
//     matter, and the count by type;
//  2. the policy verdict of the CrossGuard pack (policy/compliance, the same checks the engine
//     runs): violations by enforcement level and the compliance score per framework;
//  3. the estimated monthly cost from the dated price table in internal/pricing; lines without
//     a price are left out of the total and named in the summary line;
//  4. the deployment critical path from internal/deploy, and the resources that wait on
//     something whose outputs they do not use;
//  5. the capacity of each Karpenter pool: whether ten times the stack's declared baseline
//     (generalBaselineVcpus, generalBaselineMemoryGib, mlBaselineGpus) fits inside the pool's
//     limits, in Karpenter's node arithmetic, and if not which key to raise to what; and the
//     pool's month from its baseline to its limit.
//
// Usage:
//
//	go run ./cmd/preflight --stack production [--format text|json|markdown|compliance] [--baseline FILE]
//	go run ./cmd/preflight --dir bootstrap --stack bootstrap
//	go run ./cmd/preflight --dir account --stack shared
//
// --dir picks the project by its Pulumi.yaml: the platform (the default), the bootstrap
// (bootstrap/state) or the account baseline (account/baseline, whose AWS Config rules the
// evidence lists beside the policies). --format compliance writes the evidence per framework and
// control: the policies and Config rules that cover it, the resources checked and the result.
//
// It reads Pulumi.yaml and Pulumi.<stack>.yaml with the stacks package, validates them with the
// same rules as the program (bad configuration exits 2 naming the stack and the key), and runs
// stacks.Run under the recording mock engine. The stack file is held to Pulumi.yaml: unknown
// keys, keys outside config: and values of the wrong type exit 2 too. Values stored as
// `secure:` cannot be decrypted offline: the platform's secrets stay placeholders, and any other
// encrypted key is checked with its Pulumi.yaml default, which a note on stderr says. --format
// json writes the Report (schema in docs/preflight.md, versioned by SchemaVersion).
//
// --baseline compares with an earlier JSON report of the same stack: resources added, removed
// (a protected one is flagged, as `pulumi up` refuses to delete it) and changed, the cost delta
// (saying how many unpriced lines each side leaves out) and the critical path before and after.
// A change of kubernetesVersion is shown as the upgrade EKS will run, step by step in the order
// of the deployment graph with the time each takes; a move of more than one minor version, or
// back, exits 2 naming the key.
//
// Exit codes: 0 clean, 1 mandatory policy violations, 2 bad usage or bad configuration. The
// command never panics: anything unexpected is one line on stderr and exit code 2. A progress
// line goes to stderr if the evaluation takes more than a second.
//
// Invariants: the output is deterministic for a given repository state (the golden files in
// testdata/ are the proof); no secret value reaches any output.
package main
