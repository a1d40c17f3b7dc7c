// Package chartpaths checks a component's generated Helm values against the value paths recorded
// for the chart version it pins, so that a misspelt or retired key fails a test instead of being
// ignored silently by Helm.
//
// A component keeps the paths it relies on in testdata/<chart>-<version>.paths, each checked by
// hand against the chart's values.yaml at its release tag. The format, one entry a line:
//
//   - a dotted path to a leaf ("singleBinary.replicas");
//   - a free-form key, written "key.*": a map the chart passes through whole (toYaml, tpl), so
//     any path at or below it is accepted;
//   - '#' starts a comment, at the start of a line or after a space or tab; blank lines are
//     ignored.
//
// A leaf of a values document is a scalar, a list (Helm replaces a list whole and never merges
// into it) or an empty map.
package chartpaths
