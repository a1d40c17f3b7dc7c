package stacks

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/internal/configtext"
)

// SecretPlaceholder stands in for a `secure:` value, which cannot be decrypted without the
// stack's secrets provider. It stays marked secret, so it never reaches plain output.
const SecretPlaceholder = "[secret]"

// secretURLPlaceholder stands in for a secret URL, which the components check is a URL.
const secretURLPlaceholder = "https://secret-placeholder.invalid/"

// placeholderFor returns the stand-in for an undecryptable or unset secret key.
func placeholderFor(key string) string {
	if strings.HasSuffix(key, "Url") {
		return secretURLPlaceholder
	}
	return SecretPlaceholder
}

// Declaration is one key Pulumi.yaml declares. Pulumi.yaml is the schema of every stack file:
// a key it does not declare is a mistake, and a value must have the declared type.
type Declaration struct {
	// Type is Pulumi.yaml's type: string, integer, boolean or array (of strings).
	Type string
	// Default is what the program receives when the stack file does not set the key, as text
	// (arrays as JSON); HasDefault says whether there is one.
	Default    string
	HasDefault bool
	// Secret keys must be set with `pulumi config set --secret`.
	Secret bool
}

// StackConfig is a stack's configuration as the Pulumi CLI would hand it to the program:
// Pulumi.yaml's defaults overlaid with Pulumi.<stack>.yaml's values.
type StackConfig struct {
	Stack string
	// Values are keyed by full key ("novacron-platform:vpcCidr", "aws:region").
	Values map[string]string
	// SecretKeys are the keys whose values are `secure:` in the stack file (placeholders here).
	SecretKeys []string
	// File is the stack file's name, Pulumi.<stack>.yaml.
	File string
	// Schema holds Pulumi.yaml's declarations, by full key.
	Schema map[string]Declaration
	// Notes say where the evaluation departs from the file: an encrypted value, which cannot be
	// decrypted offline, is checked with its default instead. They name keys, never values.
	Notes []string

	// problems are the file's departures from the schema; Load reports them with its own.
	problems []fileProblem
	// defaults are Pulumi.yaml's values by full key, aws:region's included.
	defaults map[string]string
	// substituted holds the keys whose file value was replaced by the default, and why.
	substituted map[string]string
}

// fileProblem is a problem found in a stack file: Subject is the full config key it is about,
// or the file's name when it is about the file's layout.
type fileProblem struct {
	Subject string
	Message string
}

// Get implements Source.
func (s *StackConfig) Get(key string) (string, bool) {
	v, ok := s.Values[key]
	return v, ok
}

// IsSecret implements Source.
func (s *StackConfig) IsSecret(key string) bool {
	return slices.Contains(s.SecretKeys, key)
}

// fileProblems, declaredDefault and substitution let Load report the file's problems with its
// own, fall back on a default instead of a value it could not read, and say when a value was
// not the file's own.
func (s *StackConfig) fileProblems() []fileProblem { return s.problems }

func (s *StackConfig) declaredDefault(key string) (string, bool) {
	v, ok := s.defaults[key]
	return v, ok
}

func (s *StackConfig) substitution(key string) string { return s.substituted[key] }

// MissingSecrets lists the secret keys of the platform the stack file does not set.
func (s *StackConfig) MissingSecrets() []string {
	var missing []string
	for _, k := range SecretKeys {
		if _, ok := s.Values[Key(k)]; !ok {
			missing = append(missing, Key(k))
		}
	}
	return missing
}

// WithSecretPlaceholders returns a copy in which every missing secret is a placeholder, so an
// offline evaluation can run before the secrets are set. The program itself never does this.
func (s *StackConfig) WithSecretPlaceholders() *StackConfig {
	out := *s
	out.Values = maps.Clone(s.Values)
	out.SecretKeys = slices.Clone(s.SecretKeys)
	for _, k := range s.MissingSecrets() {
		out.Values[k] = placeholderFor(k)
		out.SecretKeys = append(out.SecretKeys, k)
	}
	sort.Strings(out.SecretKeys)
	return &out
}

// stackFileKeys are the top-level settings of a stack file (Pulumi docs, "Stack settings file
// reference"; workspace.ProjectStack). Anything else at the top level is ignored by Pulumi,
// which is how a block that lost its indentation under config: silently stops applying.
var stackFileKeys = []string{"config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"}

// ReadStackFiles reads Pulumi.yaml and Pulumi.<stack>.yaml from dir with the Pulumi SDK's own
// loaders, so the values are parsed exactly as the CLI parses them, and holds the stack file to
// Pulumi.yaml's declarations: unknown keys, keys outside config:, and values of the wrong type
// become problems that Load reports with its own. A file that is not a stack file at all (bad
// YAML, a list at the top) is an error.
func ReadStackFiles(dir, stack string) (*StackConfig, error) {
	project, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %s", filepath.Join(dir, "Pulumi.yaml"), plainError(err))
	}
	if string(project.Name) != Project {
		return nil, fmt.Errorf("%s: project is %q, want %q", filepath.Join(dir, "Pulumi.yaml"), project.Name, Project)
	}
	out := &StackConfig{
		Stack: stack, File: "Pulumi." + stack + ".yaml",
		Values: map[string]string{}, Schema: map[string]Declaration{},
		defaults: map[string]string{}, substituted: map[string]string{},
	}
	keys := slices.Sorted(maps.Keys(project.Config))
	for _, key := range keys {
		if !hasNamespace(key) {
			out.Schema[Key(key)] = Declaration{} // completed below; suggestions need every name
		}
	}
	for _, key := range keys {
		decl := project.Config[key]
		full := key
		if hasNamespace(key) {
			// A value for another namespace (aws:region), held to the same rules as a stack
			// file's.
			if msg := out.keyProblem(full); msg != "" {
				out.problem(full, "%s (set in Pulumi.yaml)", msg)
				continue
			}
		} else {
			full = Key(key)
		}
		value := decl.Default
		if value == nil {
			value = decl.Value
		}
		d := Declaration{Secret: decl.Secret}
		if decl.Type != nil {
			d.Type = *decl.Type
		}
		if value != nil {
			text, err := configtext.Text(value)
			if err != nil {
				return nil, fmt.Errorf("default of %s in Pulumi.yaml: %s", full, plainError(err))
			}
			d.Default, d.HasDefault = text, true
			out.Values[full] = text
			out.defaults[full] = text
		}
		if !hasNamespace(key) {
			out.Schema[full] = d
		}
	}

	path := filepath.Join(dir, out.File)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("unknown stack %q: %s does not exist", stack, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	cleaned, check, err := out.checkFile(raw)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %s", path, plainError(err))
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: "never"})
	ps, err := workspace.LoadProjectStackBytes(sink, project, cleaned, path, encoding.YAML)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %s", path, plainError(err))
	}
	for _, key := range slices.SortedFunc(maps.Keys(ps.Config), func(a, b config.Key) int {
		return strings.Compare(a.String(), b.String())
	}) {
		value := ps.Config[key]
		full := key.String()
		switch {
		case check.refused[full]:
			continue // reported; nothing reads it
		case check.wrongType[full]:
			// Reported once, by name; the default stands in so that no rule downstream
			// reports a second, wrong problem about a value nobody wrote.
			out.useDefault(full, "")
		case value.Secure():
			out.SecretKeys = append(out.SecretKeys, full)
			if out.Schema[full].Secret || !out.useDefault(full, "encrypted") {
				out.Values[full] = placeholderFor(full)
				continue
			}
			out.Notes = append(out.Notes, fmt.Sprintf("%s is encrypted in %s and cannot be decrypted offline: checked with its Pulumi.yaml default instead",
				full, out.File))
		default:
			text, err := value.Value(config.NewBlindingDecrypter())
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %s", path, full, plainError(err))
			}
			out.Values[full] = text
		}
	}
	sort.Strings(out.SecretKeys)
	return out, nil
}

// useDefault puts the key's default in place of the file's value; without a default the key is
// left unset. reason, when not empty, is recorded for the messages about the key.
func (s *StackConfig) useDefault(key, reason string) bool {
	d, ok := s.defaults[key]
	if ok {
		s.Values[key] = d
	} else {
		delete(s.Values, key)
	}
	if reason != "" {
		s.substituted[key] = reason
	}
	return ok
}

func (s *StackConfig) problem(subject, format string, args ...any) {
	s.problems = append(s.problems, fileProblem{subject, fmt.Sprintf(format, args...)})
}

// fileCheck is what checkFile found besides the problems it recorded.
type fileCheck struct {
	// refused are the config keys the program does not read (unknown, another namespace).
	refused map[string]bool
	// wrongType are the keys whose values do not have the declared type.
	wrongType map[string]bool
}

// checkFile holds the stack file's layout and keys to the schema and records what it finds.
// It returns the file for the Pulumi loader, without the entries the loader itself would fail
// on (a key of three parts, a key set twice); an error when the file is not a stack file at all.
func (s *StackConfig) checkFile(raw []byte) ([]byte, fileCheck, error) {
	check := fileCheck{refused: map[string]bool{}, wrongType: map[string]bool{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, check, err
	}
	if len(doc.Content) == 0 {
		return raw, check, nil // an empty file: Pulumi.yaml's defaults
	}
	top := resolve(doc.Content[0])
	if isNull(top) {
		return raw, check, nil
	}
	if top.Kind != yaml.MappingNode {
		return nil, check, fmt.Errorf("a stack file holds settings such as config: (%s), got %s at line %d",
			strings.Join(stackFileKeys, ", "), describe(top), top.Line)
	}
	// Top-level entries other than the settings stay in the file (the loader ignores them, and
	// one may hold a YAML anchor the config uses); they are reported.
	changed := false
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		name := k.Value
		switch {
		case k.Kind != yaml.ScalarNode:
			s.problem(s.File, "has a key that is not a name at line %d", k.Line)
		case slices.Contains(stackFileKeys, name):
			if name == "config" {
				c, err := s.checkConfig(v, check)
				if err != nil {
					return nil, check, err
				}
				changed = changed || c
			}
		case s.isConfigKey(name):
			full := name
			if !hasNamespace(name) {
				full = Key(name)
			}
			s.problem(full, "is at the top level of %s (line %d), outside config:, so Pulumi never passes it to the program; indent it under config:",
				s.File, k.Line)
		default:
			hint := "the settings are " + strings.Join(stackFileKeys, ", ")
			if m := suggest(name, stackFileKeys); m != "" {
				hint = "did you mean " + m + "?"
			}
			s.problem(s.File, "has top-level key %q (line %d), which is not a stack setting; %s", shortenText(name), k.Line, hint)
		}
	}
	if !changed {
		return raw, check, nil
	}
	out, err := yaml.Marshal(&doc)
	return out, check, err
}

// isConfigKey reports whether a top-level name is a config key that lost its place under
// config: a namespaced name, one of ours, or a near miss of one of ours.
func (s *StackConfig) isConfigKey(name string) bool {
	if hasNamespace(name) {
		return true
	}
	if _, ok := s.Schema[Key(name)]; ok {
		return true
	}
	return suggest(name, stackFileKeys) == "" && suggest(name, s.declaredNames()) != ""
}

// checkConfig checks each entry of config: against the schema. It removes the entries the
// Pulumi loader would fail on and reports whether it did.
func (s *StackConfig) checkConfig(node *yaml.Node, check fileCheck) (bool, error) {
	node = resolve(node)
	if isNull(node) {
		return false, nil
	}
	if node.Kind != yaml.MappingNode {
		return false, fmt.Errorf("config: must hold key: value pairs, got %s at line %d", describe(node), node.Line)
	}
	changed := false
	seen := map[string]int{}
	var kept []*yaml.Node
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Tag == "!!merge" {
			kept = append(kept, k, v) // a YAML merge (<<: *base): its keys are the loader's to merge
			continue
		}
		if k.Kind != yaml.ScalarNode {
			s.problem(s.File, "has a config entry whose key is not a name at line %d", k.Line)
			changed = true
			continue
		}
		full := k.Value
		if !hasNamespace(full) {
			full = Key(full)
		} else if parsed, err := config.ParseKey(full); err != nil {
			s.problem(s.File, "has config key %q (line %d), which is not of the form <namespace>:<name>", shortenText(full), k.Line)
			changed = true
			continue
		} else {
			full = parsed.String()
		}
		if line, dup := seen[full]; dup {
			s.problem(full, "is set twice in %s (lines %d and %d); keep one", s.File, line, k.Line)
			changed = true
			continue
		}
		seen[full] = k.Line
		if msg := s.keyProblem(full); msg != "" {
			s.problem(full, "%s", msg)
			check.refused[full] = true
			kept = append(kept, k, v)
			continue
		}
		// A secret's value is never quoted back, not even to say that its type is wrong: the
		// reader says it must be encrypted.
		if d, ok := s.Schema[full]; ok && !d.Secret {
			if msg := typeProblem(d, v); msg != "" {
				s.problem(full, "%s", msg)
				check.wrongType[full] = true
			}
		}
		kept = append(kept, k, v)
	}
	node.Content = kept
	return changed, nil
}

// keyProblem says what is wrong with a config key, or "" when the program reads it.
func (s *StackConfig) keyProblem(full string) string {
	ns, name, _ := strings.Cut(full, ":")
	ours := s.declaredNames()
	switch ns {
	case Project:
		if _, ok := s.Schema[full]; ok {
			return ""
		}
		msg := "is not declared in Pulumi.yaml, so the program would never read it"
		if m := suggest(name, ours); m != "" {
			return msg + "; did you mean " + Key(m) + "?"
		}
		return msg + "; Pulumi.yaml lists every key"
	case "pulumi":
		return "" // the engine's own settings (pulumi:tags, pulumi:disable-default-providers, ...)
	case "aws":
		if name == "region" {
			return ""
		}
		if hint, ok := awsProviderKeys[name]; ok {
			return "is not applied: every AWS resource of this program goes through its own provider, configured from aws:region and the default tags only, and a provider created in code does not read aws:* settings (pulumi/pulumi-aws#1307); " + hint
		}
		if slices.Contains(ours, name) {
			return "is not an AWS provider setting; did you mean " + Key(name) + "?"
		}
		if m := suggest(name, append(slices.Collect(maps.Keys(awsProviderKeys)), "region")); m != "" {
			if m == "region" {
				return "is not an AWS provider setting; did you mean aws:region?"
			}
			return "is not an AWS provider setting (the nearest, aws:" + m + ", is not applied either); the program reads aws:region only"
		}
		if m := suggest(name, ours); m != "" {
			return "is not an AWS provider setting; did you mean " + Key(m) + "?"
		}
		return "is not an AWS provider setting; the program reads aws:region only"
	}
	msg := fmt.Sprintf("is in namespace %q, which this program does not read (it reads %s:*, aws:region and pulumi:*)", shortenText(ns), Project)
	if m := suggest(name, ours); m != "" {
		return msg + "; did you mean " + Key(m) + "?"
	}
	return msg
}

// declaredNames are our keys without the namespace, sorted.
func (s *StackConfig) declaredNames() []string {
	names := make([]string, 0, len(s.Schema))
	for k := range s.Schema {
		names = append(names, strings.TrimPrefix(k, Project+":"))
	}
	sort.Strings(names)
	return names
}

// awsProviderKeys are the settings of the AWS provider package this program uses (pulumi-aws
// v6.83.4, sdk/go/aws/config), each with what to do instead. The program's resources all use a
// provider created in code, which reads none of them; only aws:region is passed on.
var awsProviderKeys = func() map[string]string {
	env := "set it in the environment that runs pulumi instead (AWS SDK variables or a profile)"
	m := map[string]string{}
	for _, k := range []string{
		"accessKey", "allowedAccountIds", "assumeRole", "assumeRoleWithWebIdentity", "customCaBundle",
		"defaultTags", "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode", "endpoints",
		"forbiddenAccountIds", "httpProxy", "httpsProxy", "ignoreTags", "insecure", "maxRetries", "noProxy",
		"profile", "retryMode", "s3UsEast1RegionalEndpoint", "s3UsePathStyle", "secretKey",
		"sharedConfigFiles", "sharedCredentialsFiles", "skipCredentialsValidation", "skipMetadataApiCheck",
		"skipRegionValidation", "skipRequestingAccountId", "stsRegion", "token",
		"tokenBucketRateLimiterCapacity", "useDualstackEndpoint", "useFipsEndpoint",
	} {
		m[k] = env
	}
	m["profile"] = "set AWS_PROFILE in the environment that runs pulumi instead"
	m["accessKey"] = "use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or a profile"
	m["secretKey"] = m["accessKey"]
	m["token"] = "use AWS_SESSION_TOKEN in the environment, or a profile"
	m["assumeRole"] = "assume the role before pulumi runs (a profile with role_arn, or the CI's credentials step)"
	m["assumeRoleWithWebIdentity"] = m["assumeRole"]
	m["defaultTags"] = "the tags every resource gets come from owner and costCenter"
	m["allowedAccountIds"] = "choose the account with the credentials of the environment that runs pulumi"
	m["forbiddenAccountIds"] = m["allowedAccountIds"]
	m["sharedConfigFiles"] = "use AWS_CONFIG_FILE in the environment instead"
	m["sharedCredentialsFiles"] = "use AWS_SHARED_CREDENTIALS_FILE in the environment instead"
	return m
}()

// typeProblem checks a stack file value against its declared type the way the Pulumi CLI
// does (workspace.ValidateConfigValue: integers may be written as text, booleans as "true" or
// "false", arrays must be YAML lists), and also refuses a number where a string is declared
// when YAML changes its text (1.30 becomes "1.3"). Encrypted values are not checked: they are
// the subject of their own note.
func typeProblem(d Declaration, v *yaml.Node) string {
	v = resolve(v)
	if containsSecure(v) {
		return ""
	}
	null := isNull(v)
	switch d.Type {
	case "string":
		if null {
			return "" // the empty string: the reader says whether the key may be empty
		}
		if v.Kind != yaml.ScalarNode {
			return "must be a single value, got " + describe(v)
		}
		return lossyScalar(v)
	case "integer":
		switch {
		case null:
			return "has no value; remove the line to use the default, or write a whole number"
		case v.Kind != yaml.ScalarNode:
			return "must be a whole number, got " + describe(v)
		case v.Tag == "!!int":
			return ""
		case v.Tag == "!!float":
			if f, err := strconv.ParseFloat(v.Value, 64); err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
				return ""
			}
			return fmt.Sprintf("must be a whole number, got %s", v.Value)
		case v.Tag == "!!str":
			if _, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
				return "" // the reader checks the range
			}
		}
		return fmt.Sprintf("must be a whole number, got %q", v.Value)
	case "boolean":
		switch {
		case null:
			return "has no value; remove the line to use the default, or write true or false"
		case v.Kind != yaml.ScalarNode:
			return "must be true or false, got " + describe(v)
		case v.Tag == "!!bool", v.Tag == "!!str" && (v.Value == "true" || v.Value == "false"):
			return ""
		}
		return fmt.Sprintf("must be true or false, got %q", v.Value)
	case "array":
		switch {
		case null:
			return "has no value; remove the line to use the default, or write a list such as [a, b] ([] for none)"
		case v.Kind == yaml.ScalarNode:
			return fmt.Sprintf("must be a list such as [a, b], got the single value %q", v.Value)
		case v.Kind != yaml.SequenceNode:
			return "must be a list such as [a, b], got " + describe(v)
		}
		for i, item := range v.Content {
			item = resolve(item)
			switch {
			case isNull(item):
				return fmt.Sprintf("has an empty item (item %d)", i+1)
			case item.Kind != yaml.ScalarNode:
				return fmt.Sprintf("must be a list of single values, got %s as item %d", describe(item), i+1)
			}
			if msg := lossyScalar(item); msg != "" {
				return fmt.Sprintf("item %d %s", i+1, msg)
			}
		}
	}
	return ""
}

// lossyScalar refuses a scalar that YAML reads as something other than what was written, where
// text is expected: 1.30 is the number 1.3, 0x10 is 16.
func lossyScalar(v *yaml.Node) string {
	if v.Tag == "!!str" || v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return ""
	}
	var value any
	if err := v.Decode(&value); err != nil {
		return ""
	}
	text, err := configtext.Text(value)
	if err != nil || text == v.Value {
		return ""
	}
	return fmt.Sprintf("is read by YAML as %s (written %s): quote it, %q", text, v.Value, v.Value)
}

// resolve follows a YAML alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// containsSecure reports whether a value is, or holds, a `secure:` value.
func containsSecure(n *yaml.Node) bool {
	n = resolve(n)
	if n == nil {
		return false
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "secure" {
		return true
	}
	for _, c := range n.Content {
		if containsSecure(c) {
			return true
		}
	}
	return false
}

// describe names the shape of a YAML value, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return fmt.Sprintf("a list of %d", len(n.Content))
	case yaml.MappingNode:
		return "an object"
	}
	return fmt.Sprintf("%q", n.Value)
}

// suggest returns the candidate nearest to name when it is near enough to be a slip of the
// keyboard (optimal string alignment distance, case-insensitive: a transposed pair counts
// once), or "" when none is.
func suggest(name string, candidates []string) string {
	best, bestDist := "", math.MaxInt
	lower := strings.ToLower(name)
	for _, c := range candidates {
		d := editDistance(lower, strings.ToLower(c))
		if d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	limit := max(2, len([]rune(name))/4)
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 256 || len(rb) > 256 {
		return math.MaxInt // a name that long is no slip of the keyboard
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func hasNamespace(key string) bool {
	return strings.Contains(key, ":")
}

// goTypeNames are the Go type names the loaders' errors may carry, and plain words for them.
var goTypeNames = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`map\[[^\]]*\](?:[\w.]+|interface \{\})`), "a mapping"},
	{regexp.MustCompile(`\[\](?:[\w.]+|interface \{\})`), "a list"},
	{regexp.MustCompile(`interface \{\}`), "a value"},
	{regexp.MustCompile(`\b(?:config|workspace|resource)\.[A-Z]\w*`), "a config value"},
}

// plainError words an error of the YAML or Pulumi loaders for a person: the loaders name the
// Go types they decode into, which mean nothing to someone editing a stack file.
func plainError(err error) string {
	msg := err.Error()
	for _, r := range goTypeNames {
		msg = r.re.ReplaceAllString(msg, r.with)
	}
	return msg
}
