// Package stacks turns a stack's configuration into the NovaCron platform.
//
// Load reads every key of the project namespace (declared with type, description and default
// in Pulumi.yaml) plus aws:region into one typed Config, then checks it with the same Validate
// rules the components apply to their arguments. All problems are reported together, each as
// "<stack>: novacron-platform:<key> <what is wrong>", one message per problem, and Run stops
// before anything is registered. Deploy composes the components; it creates no resource that
// belongs in a component, except the AWS provider that carries the region and the common tags.
//
// # The stack file is a strict contract
//
// ReadStackFiles parses Pulumi.yaml and Pulumi.<stack>.yaml with the Pulumi SDK's loaders, so the
// tests and the offline preflight see the configuration the CLI would pass to the program, and
// holds the stack file to Pulumi.yaml, which is its schema:
//
//   - a key Pulumi.yaml does not declare is an error, with "did you mean ..." when a declared key
//     is close (a misspelling, a key under another namespace); so are a key set twice, a config
//     key that fell out of config: to the top level, a namespace the program does not read, and
//     an aws:* setting other than aws:region, which the program's own AWS provider never reads
//     (pulumi:* settings are the engine's and pass);
//   - a value of the wrong type is reported once, by key, and the key's default stands in, so no
//     rule downstream reports a second, wrong problem about a value nobody wrote;
//   - a `secure:` value cannot be decrypted offline: the platform's secrets become placeholders
//     that stay secret, and any other encrypted key (`pulumi config set --secret` is legal on
//     every key) is checked with its Pulumi.yaml default, which StackConfig.Notes says by key,
//     never by value.
//
// Under `pulumi up` the program receives the CLI's configuration through the Pulumi context and
// applies the same value rules; the file-level checks above need the files, so run preflight
// (cmd/preflight) before `pulumi up`.
package stacks
