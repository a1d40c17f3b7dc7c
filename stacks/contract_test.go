package stacks

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goTypeName matches what a Go type looks like in a message: nobody editing a stack file
// should read one.
var goTypeName = regexp.MustCompile(`\[\]string|\[\]interface|map\[|interface \{\}|\bint64\b|\bfloat64\b|config\.Value|config\.Map|\*[a-z]+\.[A-Z]`)

// stackFile writes the repository's Pulumi.yaml and a stack file of content into a new project
// directory and reads them as the CLI would.
func stackFile(t *testing.T, stack, content string) (*StackConfig, error) {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(content), 0o600))
	return ReadStackFiles(dir, stack)
}

// loadFile reads a stack file, sets the secrets as `pulumi config set --secret` would, and
// loads it; it returns the problems (none when the file is valid).
func loadFile(t *testing.T, stack, content string) (*StackConfig, []string) {
	t.Helper()
	files, err := stackFile(t, stack, content)
	require.NoError(t, err)
	for k, v := range testSecrets {
		if _, set := files.Values[Key(k)]; !set {
			files.Values[Key(k)] = v
			files.SecretKeys = append(files.SecretKeys, Key(k))
		}
	}
	_, err = Load(stack, files)
	if err == nil {
		return files, nil
	}
	var cfgErr *Error
	require.True(t, errors.As(err, &cfgErr), "%v", err)
	return files, cfgErr.Problems
}

// about returns the problems that name key.
func about(problems []string, key string) []string {
	var out []string
	for _, p := range problems {
		if strings.Contains(p, key+" ") {
			out = append(out, p)
		}
	}
	return out
}

// TestStackFileContract feeds realistic mistakes in a stack file, one at a time. Each must give
// exactly one problem naming its key, with the expected words, and nothing about the keys that
// a wrong value could drag along.
func TestStackFileContract(t *testing.T) {
	long := strings.Repeat("10.0.0.0/16-", 30)
	tests := []struct {
		name    string
		file    string
		key     string   // the key (or file) the one problem names
		want    []string // words of that problem
		quiet   []string // keys about which nothing must be said
		notWant []string // text that must not appear anywhere
	}{
		// Unknown keys.
		{"misspelt key", "config:\n  novacron-platform:vpcCdir: 10.5.0.0/16\n", "novacron-platform:vpcCdir",
			[]string{"is not declared in Pulumi.yaml", "did you mean novacron-platform:vpcCidr?"}, nil, nil},
		{"misspelt key without namespace", "config:\n  flowLogRetention: 30\n", "novacron-platform:flowLogRetention",
			[]string{"did you mean novacron-platform:flowLogRetentionDays?"}, nil, nil},
		{"wrong case", "config:\n  novacron-platform:VpcCidr: 10.5.0.0/16\n", "novacron-platform:VpcCidr",
			[]string{"did you mean novacron-platform:vpcCidr?"}, nil, nil},
		{"key under a short namespace", "config:\n  novacron:vpcCidr: 10.5.0.0/16\n", "novacron:vpcCidr",
			[]string{`is in namespace "novacron"`, "did you mean novacron-platform:vpcCidr?"}, nil, nil},
		{"key under a misspelt namespace", "config:\n  novacron-platfrom:generalMaxNodes: 6\n", "novacron-platfrom:generalMaxNodes", //nolint:misspell // the misspelt namespace is the mistake under test
			[]string{"did you mean novacron-platform:generalMaxNodes?"}, nil, nil},
		{"key under another project's namespace", "config:\n  platform:vpcCidr: 10.5.0.0/16\n", "platform:vpcCidr",
			[]string{"did you mean novacron-platform:vpcCidr?"}, nil, nil},
		{"our key under aws", "config:\n  aws:vpcCidr: 10.5.0.0/16\n", "aws:vpcCidr",
			[]string{"is not an AWS provider setting", "did you mean novacron-platform:vpcCidr?"}, nil, nil},
		{"misspelt region key", "config:\n  aws:regoin: us-west-2\n", "aws:regoin",
			[]string{"did you mean aws:region?"}, nil, nil},
		{"AWS provider setting the program does not apply", "config:\n  aws:profile: production-admin\n", "aws:profile",
			[]string{"is not applied", "AWS_PROFILE"}, nil, []string{"production-admin"}},
		{"AWS credentials in the stack file are never echoed", "config:\n  aws:secretKey: wJalrXUtnFEMI-K7MDENG\n", "aws:secretKey",
			[]string{"is not applied"}, nil, []string{"wJalrXUtnFEMI"}},
		{"unknown namespace", "config:\n  kubernetes:context: prod\n", "kubernetes:context",
			[]string{`is in namespace "kubernetes"`}, nil, nil},
		{"a block that fell out of config", "config:\n  aws:region: us-east-1\nnovacron-platform:vpcCidr: 10.5.0.0/16\n",
			"novacron-platform:vpcCidr", []string{"is at the top level of Pulumi.t.yaml (line 3), outside config:", "indent it under config:"}, nil, nil},
		{"an unindented key without namespace", "vpcCidr: 10.5.0.0/16\n", "novacron-platform:vpcCidr",
			[]string{"is at the top level of Pulumi.t.yaml"}, nil, nil},
		{"misspelt config block", "confg:\n  novacron-platform:vpcCidr: 10.5.0.0/16\n", "Pulumi.t.yaml",
			[]string{`has top-level key "confg"`, "did you mean config?"}, nil, nil},
		{"unknown top-level setting", "secrets: passphrase\n", "Pulumi.t.yaml",
			[]string{`has top-level key "secrets"`, "not a stack setting"}, nil, nil},
		{"the same key twice", "config:\n  vpcCidr: 10.5.0.0/16\n  novacron-platform:vpcCidr: 10.6.0.0/16\n", "novacron-platform:vpcCidr",
			[]string{"is set twice in Pulumi.t.yaml (lines 2 and 3)"}, nil, nil},

		// Values of the wrong type: one message, by name, and no second one from a rule that
		// combines the key with another.
		{"list where a string is expected", "config:\n  novacron-platform:vpcCidr: [10.0.0.0/16]\n", "novacron-platform:vpcCidr",
			[]string{"must be a single value, got a list of 1"}, nil, nil},
		{"object where a string is expected", "config:\n  novacron-platform:owner:\n    name: platform\n", "novacron-platform:owner",
			[]string{"must be a single value, got an object"}, nil, nil},
		{"word where a whole number is expected", "config:\n  novacron-platform:generalMaxNodes: ten\n", "novacron-platform:generalMaxNodes",
			[]string{`must be a whole number, got "ten"`}, []string{"generalMinNodes"}, nil},
		{"object where a whole number is expected", "config:\n  novacron-platform:generalMaxNodes:\n    max: 10\n", "novacron-platform:generalMaxNodes",
			[]string{"must be a whole number, got an object"}, []string{"generalMinNodes"}, nil},
		{"fraction where a whole number is expected", "config:\n  novacron-platform:generalMinNodes: 2.5\n", "novacron-platform:generalMinNodes",
			[]string{"must be a whole number, got 2.5"}, []string{"generalMaxNodes"}, nil},
		{"number without a value", "config:\n  novacron-platform:generalMaxNodes:\n", "novacron-platform:generalMaxNodes",
			[]string{"has no value"}, []string{"generalMinNodes"}, nil},
		{"single value where a list of instance types is expected", "config:\n  novacron-platform:mlInstanceTypes: g5.2xlarge\n",
			"novacron-platform:mlInstanceTypes", []string{`must be a list such as [a, b], got the single value "g5.2xlarge"`}, nil, nil},
		{"yes for a boolean", "config:\n  novacron-platform:singleNatGateway: yes\n", "novacron-platform:singleNatGateway",
			[]string{`must be true or false, got "yes"`}, nil, nil},
		{"single value where a list is expected", "config:\n  novacron-platform:availabilityZones: us-east-1a\n",
			"novacron-platform:availabilityZones", []string{`must be a list such as [a, b], got the single value "us-east-1a"`}, nil, nil},
		{"JSON text where a list is expected", "config:\n  novacron-platform:availabilityZones: '[\"us-east-1a\",\"us-east-1b\"]'\n",
			"novacron-platform:availabilityZones", []string{"must be a list such as [a, b]"}, nil, nil},
		{"object where a list is expected", "config:\n  novacron-platform:probeUrls:\n    api: https://api.novacron.io/health\n",
			"novacron-platform:probeUrls", []string{"must be a list such as [a, b], got an object"}, nil, nil},
		{"list in a list", "config:\n  novacron-platform:availabilityZones: [[us-east-1a], us-east-1b]\n",
			"novacron-platform:availabilityZones", []string{"got a list of 1 as item 1"}, nil, nil},
		{"version YAML reads as a number", "config:\n  novacron-platform:kubernetesVersion: 1.30\n", "novacron-platform:kubernetesVersion",
			[]string{`is read by YAML as 1.3 (written 1.30): quote it, "1.30"`}, nil, nil},
		{"long value shortened", "config:\n  novacron-platform:vpcCidr: " + long + "\n", "novacron-platform:vpcCidr",
			[]string{"…"}, nil, []string{long}},

		// Numbers that would overflow a cost or a duration.
		{"node count past 32 bits", "config:\n  novacron-platform:generalMaxNodes: 9223372036854775807\n", "novacron-platform:generalMaxNodes",
			[]string{"must be at most 2147483647", "got 9223372036854775807"}, []string{"generalMinNodes"}, nil},
		{"node count past 64 bits", "config:\n  novacron-platform:generalMinNodes: 92233720368547758070\n", "novacron-platform:generalMinNodes",
			[]string{"must be at most 2147483647"}, []string{"generalMaxNodes"}, nil},
		{"storage past 32 bits", "config:\n  novacron-platform:dbAllocatedStorageGb: 9223372036854775807\n", "novacron-platform:dbAllocatedStorageGb",
			[]string{"must be at most 2147483647"}, []string{"dbMaxAllocatedStorageGb"}, nil},
		{"negative past 32 bits", "config:\n  novacron-platform:generalMinNodes: -9223372036854775809\n", "novacron-platform:generalMinNodes",
			[]string{"must be at least -2147483648"}, []string{"generalMaxNodes"}, nil},

		// The region.
		{"zones of another region name both keys", "config:\n  novacron-platform:availabilityZones: [us-east-1a, us-west-2b, us-east-1c]\n",
			"novacron-platform:availabilityZones", []string{"aws:region us-east-1"}, nil, nil},
		{"malformed region", "config:\n  aws:region: us-east1\n", "aws:region",
			[]string{`must be an AWS region code such as us-east-1, got "us-east1"`, "did you mean us-east-1?"}, []string{"availabilityZones"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := loadFile(t, "t", tt.file)
			named := about(problems, tt.key)
			require.Len(t, named, 1, "one problem names %s: %q", tt.key, problems)
			assert.True(t, strings.HasPrefix(named[0], "t: "+tt.key+" "), "the problem starts with the stack and the key: %s", named[0])
			for _, w := range tt.want {
				assert.Contains(t, named[0], w)
			}
			for _, k := range tt.quiet {
				assert.Empty(t, about(problems, Key(k)), "nothing is said about %s", k)
			}
			all := strings.Join(problems, "\n")
			for _, nw := range tt.notWant {
				assert.NotContains(t, all, nw)
			}
			assert.NotRegexp(t, goTypeName, all, "no Go type names")
		})
	}
}

func TestValidStackFileHasNoProblems(t *testing.T) {
	// pulumi:* settings are the engine's; integers and booleans may be written as text, the way
	// `pulumi config set` writes them.
	files, err := stackFile(t, "t", "config:\n  pulumi:tags:\n    team: platform\n  novacron-platform:generalMaxNodes: \"12\"\n"+
		"  novacron-platform:singleNatGateway: \"true\"\n  novacron-platform:kubernetesVersion: \"1.35\"\n  vpcCidr: 10.9.0.0/16\n")
	require.NoError(t, err)
	assert.Empty(t, files.fileProblems())
	assert.Equal(t, "12", files.Values[Key("generalMaxNodes")])
	assert.Equal(t, "10.9.0.0/16", files.Values[Key("vpcCidr")], "a key without namespace is the project's")
}

// TestEncryptedValuesAreCheckedWithTheirDefault: `pulumi config set --secret` is legal on any
// key. Offline the value cannot be decrypted, so the default stands in, a note says so, and
// neither the ciphertext nor a placeholder is validated as the value.
func TestEncryptedValuesAreCheckedWithTheirDefault(t *testing.T) {
	const ciphertext = "AAABAKx0c2VjcmV0LWNpcGhlcnRleHQ="
	files, problems := loadFile(t, "t", "config:\n  novacron-platform:vpcCidr:\n    secure: "+ciphertext+"\n"+
		"  novacron-platform:availabilityZones:\n    - secure: "+ciphertext+"\n    - us-east-1b\n"+
		"  aws:region:\n    secure: "+ciphertext+"\n")
	assert.Empty(t, about(problems, Key("vpcCidr")))
	assert.Empty(t, about(problems, Key("availabilityZones")))
	assert.Empty(t, about(problems, "aws:region"))
	assert.Equal(t, "10.0.0.0/16", files.Values[Key("vpcCidr")])
	assert.Equal(t, "us-east-1", files.Values["aws:region"])
	assert.Equal(t, `["us-east-1a","us-east-1b","us-east-1c"]`, files.Values[Key("availabilityZones")])
	assert.True(t, files.IsSecret(Key("vpcCidr")), "the value stays marked secret")
	require.Len(t, files.Notes, 3)
	assert.Contains(t, files.Notes[0], "aws:region is encrypted in Pulumi.t.yaml")
	assert.Contains(t, files.Notes[1], "novacron-platform:availabilityZones is encrypted in Pulumi.t.yaml")
	assert.Contains(t, files.Notes[2], "checked with its Pulumi.yaml default")
	for _, n := range files.Notes {
		assert.NotContains(t, n, ciphertext)
	}

	t.Run("a problem with the default says so", func(t *testing.T) {
		// Staging's environment is staging; the encrypted value cannot be read, and the
		// default (production) is what was checked.
		_, problems := loadFile(t, "staging", "config:\n  novacron-platform:environment:\n    secure: "+ciphertext+"\n")
		named := about(problems, Key("environment"))
		require.Len(t, named, 1, "%q", problems)
		assert.Contains(t, named[0], "encrypted and cannot be read offline: this is Pulumi.yaml's default")
	})
	t.Run("the platform's secrets stay placeholders", func(t *testing.T) {
		files, err := stackFile(t, "t", "config:\n  novacron-platform:grafanaAdminPassword:\n    secure: "+ciphertext+"\n")
		require.NoError(t, err)
		assert.Equal(t, SecretPlaceholder, files.Values[Key("grafanaAdminPassword")])
		assert.Empty(t, files.Notes)
	})
}

// secretSource is the program's view: the CLI has decrypted the values and marks them secret.
type secretSource struct {
	*StackConfig
	secret map[string]bool
}

func (s secretSource) IsSecret(key string) bool { return s.secret[key] || s.StackConfig.IsSecret(key) }

// TestSecretValuesNeverInMessages: under `pulumi up` a key set with --secret arrives decrypted;
// a problem with it must not print it.
func TestSecretValuesNeverInMessages(t *testing.T) {
	cfg := readStack(t, "production")
	cfg.Values[Key("vpcCidr")] = "10.77.0.300/16"
	cfg.Values[Key("clusterPublicAccessCidrs")] = `["203.0.113.7/32","10.77.0.300/8"]`
	cfg.Values[Key("clusterEndpointPublicAccess")] = "true"
	cfg.Values[Key("generalMaxNodes")] = "77777777777"
	src := secretSource{cfg, map[string]bool{
		Key("vpcCidr"): true, Key("clusterPublicAccessCidrs"): true, Key("generalMaxNodes"): true,
	}}
	_, err := Load("production", src)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "production: novacron-platform:vpcCidr")
	assert.Contains(t, msg, "production: novacron-platform:generalMaxNodes")
	for _, secret := range []string{"10.77.0.300", "203.0.113.7", "77777777777"} {
		assert.NotContains(t, msg, secret)
	}
	assert.Contains(t, msg, SecretPlaceholder)
}

func TestReadStackFilesRefusesWhatIsNotAStackFile(t *testing.T) {
	for name, content := range map[string]string{
		"a list":             "- a\n- b\n",
		"a word":             "hello\n",
		"config is a list":   "config: [a, b]\n",
		"config is a word":   "config: hello\n",
		"broken YAML":        "config:\n  aws:region: [\n",
		"key of three parts": "config:\n  a:b:c: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			files, err := stackFile(t, "t", content)
			if err == nil {
				// A malformed key is a problem of the file, reported with the others.
				require.NotEmpty(t, files.fileProblems(), name)
				assert.Contains(t, files.fileProblems()[0].Message, "<namespace>:<name>")
				return
			}
			assert.Contains(t, err.Error(), "Pulumi.t.yaml")
			assert.NotRegexp(t, goTypeName, err.Error())
		})
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"vpcCidr", "flowLogRetentionDays", "generalMaxNodes", "generalMinNodes", "region"}
	for _, tt := range []struct{ in, want string }{
		{"vpcCdir", "vpcCidr"},  // transposition
		{"VPCCIDR", "vpcCidr"},  // case
		{"vpcCider", "vpcCidr"}, // insertion
		{"generalMaxNodes", "generalMaxNodes"},
		{"generalMaxNdoes", "generalMaxNodes"},
		{"flowLogsRetentionDays", "flowLogRetentionDays"},
		{"regoin", "region"},
		{"replicas", ""}, // nothing near
		{strings.Repeat("x", 5000), ""},
	} {
		assert.Equal(t, tt.want, suggest(tt.in, names), tt.in)
	}
}

func TestNameRegion(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`must be zones of region us-east-1 (such as us-east-1a), got "us-west-2b"`,
			`must be zones of aws:region us-east-1 (such as us-east-1a), got "us-west-2b"`},
		{`must be in another region than the stack's (us-east-1)`, `must be in another region than the stack's (aws:region us-east-1)`},
		{`must not be "arn:aws:backup:us-east-1:123456789012:backup-vault:x", the stack's vault`,
			`must not be "arn:aws:backup:us-east-1:123456789012:backup-vault:x", the stack's vault; aws:region is us-east-1`},
		{`must be one of 1, 3, 5`, `must be one of 1, 3, 5`},
		{`already names aws:region us-east-1`, `already names aws:region us-east-1`},
	} {
		assert.Equal(t, tt.want, nameRegion(tt.in, "us-east-1"))
	}
}

func TestShortenAndScrub(t *testing.T) {
	long := strings.Repeat("a", 200)
	got := shortenQuoted(`must be short, got "` + long + `" and "ok"`)
	assert.Equal(t, `must be short, got "`+strings.Repeat("a", 59)+`…" and "ok"`, got)
	assert.Equal(t, "abc", shortenText("abc"))

	assert.Equal(t, `must be a CIDR, got [secret]`, scrubSecret(`must be a CIDR, got "10.0.0.300/16"`, "10.0.0.300/16"))
	assert.Equal(t, `must be between 20 and 65536, got [secret]`, scrubSecret(`must be between 20 and 65536, got 0`, "0"),
		"a short value is replaced as a word only")
	assert.Equal(t, `got [secret] and [secret]`, scrubSecret(`got "a.example" and b.example`, `["a.example","b.example"]`))
	assert.Equal(t, "[secret] x [secret]", replaceWord("secret x secret", "secret", "[secret]"))
}

// TestRefusedEntriesDoNotBreakTheFile: a refused top-level entry may hold a YAML anchor the
// config uses; the file still loads, the entry is reported, and a refused key is not read.
func TestRefusedEntriesDoNotBreakTheFile(t *testing.T) {
	files, err := stackFile(t, "t", "x-zones: &zones [us-east-1a, us-east-1b]\nconfig:\n"+
		"  novacron-platform:availabilityZones: *zones\n  aws:secretKey: not-read\n")
	require.NoError(t, err)
	assert.Equal(t, `["us-east-1a","us-east-1b"]`, files.Values[Key("availabilityZones")])
	assert.NotContains(t, files.Values, "aws:secretKey")
	require.Len(t, files.fileProblems(), 2)
	assert.Contains(t, files.fileProblems()[0].Message, `has top-level key "x-zones"`)
	assert.Equal(t, "aws:secretKey", files.fileProblems()[1].Subject)
}
