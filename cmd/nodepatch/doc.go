// Command nodepatch plans the staged patching of the nodes: it moves the per-stack pins of the
// EKS-optimized Amazon Linux 2023 AMI release (nodeAmiRelease; without it in the stack file,
// Pulumi.yaml's default) and of the EKS add-ons (eksAddonVersions, in the shape Pulumi.yaml
// declares: a list of "<add-on>=<version>" or a map), staging first, production after a soak.
// The node-image workflow runs it daily and turns its plan into a pull request;
// docs/patching.md describes the whole path.
//
// Usage:
//
//	go run ./cmd/nodepatch --stack staging --latest-ami 1.35=1.35.4-20261201 \
//	    --latest-addon 1.35/coredns=v1.14.4-eksbuild.1 [--latest-addon ...]
//	go run ./cmd/nodepatch --stack production --staging-dir ../develop \
//	    --staging-since 2026-12-02T09:00:00Z --staging-healthy [--soak 72h] [--now <RFC 3339>]
//	go run ./cmd/nodepatch --stack staging --print-minor
//
// Rules:
//
//   - staging: the newest recommended release of staging's own Kubernetes minor
//     (--latest-ami) when it is newer than the pin, by build date and then Kubernetes patch;
//     never another minor, never back. Each add-on moves to the AWS default version
//     (--latest-addon) when that is newer than the stack's pin or, without one, the program's
//     built-in pin (read from the source of components/cluster, not built).
//   - production: exactly staging's pins, read from --staging-dir (the develop checkout), and
//     only once staging has held them for --soak since --staging-since and --staging-healthy
//     says its latest deploy since then succeeded; otherwise it says what it waits for. An AMI
//     older than production's also waits: a managed node group cannot go back to an earlier
//     AMI, so that rollback is done by hand (docs/patching.md).
//
// Output: "nothing to do: <why>", "waiting: <why>", or the pull request's title and body on
// stdout with Pulumi.<stack>.yaml edited in place. The edit changes the pin lines only (added
// at the end of config: when absent); comments, order and formatting of the rest stay byte for
// byte, and each edit is checked by parsing the result. Under GitHub Actions the outputs action
// (propose, wait, none), reason, title and body go to $GITHUB_OUTPUT.
//
// Exit codes: 0 for any plan, 2 for bad input, with one line naming the flag, or the file and
// key, at fault.
package main
