// Package stacks turns a stack's configuration into the NovaCron platform.
//
// Load reads every key of the project namespace (declared with type, description and default
// in Pulumi.yaml) plus aws:region into one typed Config, then checks it with the same Validate
// rules the components apply to their arguments. All problems are reported together, each as
// "<stack>: novacron-platform:<key> <what is wrong>", and Run stops before anything is
// registered. Deploy composes the components; it creates no resource that belongs in a
// component, except the AWS provider that carries the region and the common tags.
//
// ReadStackFiles parses Pulumi.yaml and Pulumi.<stack>.yaml with the Pulumi SDK's loaders, so the
// tests and the offline preflight see the configuration the CLI would pass to the program.
package stacks
