// Package compliance holds NovaCron's CrossGuard policies as plain Go, their mapping to SOC 2,
// ISO/IEC 27001:2022, PCI DSS v4.0 and the CIS AWS Foundations / CIS Amazon EKS benchmarks, the
// pack's settings, the policyx adapter that serves them to `pulumi preview --policy-pack policy`,
// and an offline evaluator with a compliance report.
//
// One set of checks, two callers:
//
//   - The engine path: NewPack builds a policyx.PolicyPack. The engine calls Analyze for every
//     resource (its inputs) and AnalyzeStack once (every resource's outputs); each policy reads the
//     properties the engine hands over.
//   - The offline path: Evaluate runs the very same check functions over the resources recorded by
//     internal/mock and returns a Report (violations, checks that could not run yet, and per
//     framework controls checked / passed / failed with a score). cmd/preflight and the stack tests
//     use it.
//
// Invariants:
//
//   - Reading a property never panics: computed (unknown) values are reported as "cannot check yet"
//     (recorded offline, silent under the engine) and wrong types are violations with a message.
//   - Every policy sets its own enforcement level; policyx drops the pack-level one.
//   - Messages never contain the value of anything that looks like a secret.
//   - Policies depend on no component: they see type tokens and properties only, as the engine does.
//
// Workarounds for policyx (sdk v3.274.1), which is experimental:
//
//   - Stack policies get no configuration (StackValidationArgs has no Config), and per-policy
//     config would force users to repeat shared settings. All settings therefore live in the config
//     of one resource policy, "compliance-settings", which policyx runs first on every resource and
//     which shares them with the other policies of the same analyzer process.
//   - The stack name comes from the *pulumi.Context that policyx hands to the pack factory after the
//     engine's ConfigureStack call.
//   - GetAnalyzerInfo dereferences the pack before ConfigureStack has built it, so
//     `pulumi policy publish` (which never calls ConfigureStack) needs a later SDK.
//   - The AWS provider's defaultTags may reach a policy as a JSON string rather than an object
//     (pulumi/pulumi#15477); both shapes are read.
package compliance
