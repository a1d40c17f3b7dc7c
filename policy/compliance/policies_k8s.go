package compliance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func init() {
	register(
		&Policy{
			Name:        "k8s-namespace-default-deny",
			Area:        "kubernetes",
			Description: "Every application namespace has a default-deny NetworkPolicy (ingress and egress) and allows DNS egress.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules, plus one allowing egress to port 53 over UDP and TCP.",
			Controls:    join(soc2("CC6.6"), iso("A.8.22"), pci("1.3.1", "1.3.2"), cisEKS("4.3.2")),
			checkStack:  checkNamespaceIsolation,
		},
		&Policy{
			Name:        "k8s-runtime-monitoring-installed",
			Area:        "kubernetes",
			Description: "The runtime security and monitoring charts (requiredHelmCharts: Falco, kube-prometheus-stack) are installed.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Install the missing chart with a Helm release in this stack.",
			Controls:    join(soc2("CC7.2"), iso("A.8.16"), pci("11.5.1")),
			checkStack: func(c *run, rs []*Resource) {
				if len(c.cfg.RequiredHelmCharts) == 0 {
					c.notApplicable = true
					return
				}
				var charts []string
				pending := false
				for _, r := range ofType(rs, tHelmRelease, tHelmChart) {
					chart, st := asString(r.get("chart"))
					switch st {
					case present:
						charts = append(charts, chartName(chart))
					case unknown:
						pending = true
					}
				}
				for _, want := range c.cfg.RequiredHelmCharts {
					switch {
					case slices.Contains(charts, want):
					case pending:
						c.cannotCheck(nil, "the chart of a Helm release is not known yet")
					default:
						c.violation(nil, "no Helm release installs the %s chart", want)
					}
				}
			},
		},
		&Policy{
			Name:        "helm-chart-version-pinned",
			Area:        "kubernetes",
			Description: "Helm charts are pinned to an exact version.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set version to an exact chart version (kept in stack config) instead of leaving it empty or a range.",
			Controls:    join(soc2("CC8.1"), iso("A.8.32"), pci("6.5.1")),
			Types:       []string{tHelmRelease, tHelmChart},
			checkResource: func(c *run, r *Resource) {
				chart, _, ok := c.stringField(r, "chart")
				if !ok || strings.HasPrefix(chart, ".") || strings.HasPrefix(chart, "/") {
					return // a chart in the repository is versioned with the code
				}
				v, set, ok := c.stringField(r, "version")
				switch {
				case !ok:
				case !set:
					c.violation(r, "chart %s has no version: each deployment may install a different chart release", chart)
				case !exactVersion.MatchString(v):
					c.violation(r, "chart %s version %q is not an exact version", chart, v)
				}
			},
		},
		&Policy{
			Name:        "helm-values-no-plaintext-secrets",
			Area:        "kubernetes",
			Description: "Helm values hold no plain-text secret (passwords, tokens, keys, webhook URLs).",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Put the secret in a Kubernetes Secret created from a Pulumi secret and point the chart at it (existingSecret, *_file, secretKeyRef).",
			Controls:    join(soc2("CC6.1"), iso("A.5.17"), pci("8.3.2")),
			Types:       []string{tHelmRelease, tHelmChart},
			checkResource: func(c *run, r *Resource) {
				values := r.get("values")
				if values.IsComputed() {
					c.cannotCheck(r, "values are not known yet")
					return
				}
				walkValues(values, "values", "", func(path, key string, v property.Value) {
					switch {
					case v.IsComputed():
						if secretLookingKey(key) {
							c.cannotCheck(r, "%s is not known yet", path)
						}
					case v.IsString() && !v.Secret() && plainSecret(key, v.AsString()):
						// The value itself is never printed.
						c.violation(r, "%s holds a plain-text secret", path)
					}
				})
			},
		},
		&Policy{
			Name:        "k8s-no-latest-images",
			Area:        "kubernetes",
			Description: "Container images are pinned: no :latest tag and no untagged image.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Use an explicit image tag or digest.",
			Controls:    join(soc2("CC8.1"), iso("A.8.32"), pci("6.5.1")),
			Types:       append([]string{tHelmRelease, tHelmChart}, workloadTypes...),
			checkResource: func(c *run, r *Resource) {
				if r.Type == tHelmRelease || r.Type == tHelmChart {
					walkValues(r.get("values"), "values", "", func(path, key string, v property.Value) {
						s, st := asString(v)
						if st != present {
							return
						}
						k := strings.ToLower(key)
						switch {
						case k == "tag" && strings.EqualFold(s, "latest"):
							c.violation(r, "%s is latest", path)
						case strings.HasSuffix(k, "image") && tagOf(s) == "latest":
							c.violation(r, "%s uses the :latest tag", path)
						}
					})
					return
				}
				walkValues(property.New(r.Props), "", "", func(path, key string, v property.Value) {
					if key != "image" || !isContainerPath(path) {
						return
					}
					image, st := asString(v)
					switch {
					case st == unknown:
						c.cannotCheck(r, "%s is not known yet", path)
					case st != present:
					case strings.Contains(image, "@"):
					case tagOf(image) == "":
						c.violation(r, "%s %s has no tag, which means :latest", path, image)
					case tagOf(image) == "latest":
						c.violation(r, "%s %s uses the :latest tag", path, image)
					}
				})
			},
		},
	)
}

// exactVersion is a full SemVer 2 version (Helm chart versions are SemVer 2), optionally v-prefixed.
var exactVersion = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// chartName returns the chart name of "falco", "falcosecurity/falco" or "oci://host/charts/falco".
func chartName(chart string) string {
	chart = strings.TrimSuffix(chart, "/")
	return chart[strings.LastIndex(chart, "/")+1:]
}

// tagOf returns the tag of an image reference ("" when it has none or has a digest).
func tagOf(image string) string {
	if strings.Contains(image, "@") {
		return ""
	}
	last := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(last, ":"); i >= 0 {
		return last[i+1:]
	}
	return ""
}

func isContainerPath(path string) bool {
	for _, seg := range []string{"containers[", "initContainers[", "ephemeralContainers["} {
		if strings.Contains(path, seg) {
			return true
		}
	}
	return false
}

// walkValues calls fn for every leaf (and every computed value) under v, with its path and the
// nearest object key.
func walkValues(v property.Value, path, key string, fn func(path, key string, v property.Value)) {
	switch {
	case v.IsMap():
		for k, e := range v.AsMap().AllStable {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkValues(e, p, k, fn)
		}
	case v.IsArray():
		for i, e := range v.AsArray().All {
			walkValues(e, fmt.Sprintf("%s[%d]", path, i), key, fn)
		}
	default:
		fn(path, key, v)
	}
}

var (
	// secretWords mark a key whose value is a secret, once lower-cased without - and _.
	secretWords = []string{
		"password", "passwd", "secret", "token", "apikey", "privatekey", "accesskey", "webhook",
		"routingkey", "servicekey", "integrationkey", "credential", "bearer",
	}
	// referenceSuffixes mark keys that name or point at a secret rather than hold one
	// (existingSecret, secretName, passwordKey, routing_key_file, secretKeyRef, ...).
	referenceSuffixes = []string{
		"name", "names", "ref", "file", "path", "existingsecret", "secrets", "passwordkey", "tokenkey",
		"enabled", "ttl", "length", "policy", "type", "mode", "expiry", "expiration", "audience",
	}
	// secretValues match well-known credential formats whatever the key. Each format has
	// literal hints, one of which any match contains: the expression runs only on values that
	// hold one, which spares scanning the large documents charts take (dashboards, collector
	// and store configurations) five times.
	secretValues = []struct {
		hints []string
		re    *regexp.Regexp
	}{
		{[]string{"AKIA", "ASIA"}, regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
		{[]string{"PRIVATE KEY-----"}, regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
		{[]string{"hooks.slack.com/services/"}, regexp.MustCompile(`hooks\.slack\.com/services/`)},
		{[]string{"xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"}, regexp.MustCompile(`\bxox[abposr]-[0-9A-Za-z-]+`)},
		{[]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, regexp.MustCompile(`\bgh[pousr]_[0-9A-Za-z]{36}\b`)},
	}
)

func normalizeKey(key string) string {
	return strings.NewReplacer("-", "", "_", "", ".", "").Replace(strings.ToLower(key))
}

func secretLookingKey(key string) bool {
	k := normalizeKey(key)
	for _, s := range referenceSuffixes {
		if strings.HasSuffix(k, s) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// plainSecret reports whether a plain string under key looks like a secret. References (file
// paths, ${...} and $__file{...} expansions, templates) are not secrets.
func plainSecret(key, value string) bool {
	v := strings.TrimSpace(value)
	if v == "" || strings.HasPrefix(v, "$") || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "{{") {
		return false
	}
	for _, f := range secretValues {
		if slices.ContainsFunc(f.hints, func(h string) bool { return strings.Contains(v, h) }) && f.re.MatchString(v) {
			return true
		}
	}
	// Charts name a Kubernetes Secret in keys ending in "secret" (configSecret, tlsSecret): a
	// resource name there is a reference. A client or shared secret is a credential whatever it
	// looks like.
	k := normalizeKey(key)
	if strings.HasSuffix(k, "secret") && k != "secret" && !strings.Contains(k, "client") &&
		!strings.Contains(k, "shared") && resourceName.MatchString(v) {
		return false
	}
	return secretLookingKey(key)
}

// resourceName is a Kubernetes object name (RFC 1123 subdomain).
var resourceName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// checkNamespaceIsolation checks each application namespace for a default-deny policy in both
// directions and a DNS allowance, following Kubernetes NetworkPolicy semantics: an empty
// podSelector selects every pod; policyTypes defaults to Ingress, plus Egress when egress rules
// are present; a rule without ports allows every port.
func checkNamespaceIsolation(c *run, rs []*Resource) {
	if len(c.cfg.ApplicationNamespaces) == 0 {
		c.notApplicable = true
		return
	}
	namespaces := ofType(rs, tNamespace)
	type coverage struct{ denyIn, denyOut, dnsUDP, dnsTCP, pending bool }
	cov := map[string]*coverage{}
	for _, ns := range c.cfg.ApplicationNamespaces {
		cov[ns] = &coverage{}
	}
	unknownNS := false
	for _, np := range ofType(rs, tNetworkPolicy) {
		ns, known := policyNamespace(np, namespaces)
		if !known {
			unknownNS = true
			continue
		}
		cv := cov[ns]
		if cv == nil {
			continue
		}
		spec := np.get("spec")
		if spec.IsComputed() {
			cv.pending = true
			continue
		}
		if !selectsAllPods(at(spec, "podSelector")) {
			continue
		}
		ingress, ist := asList(at(spec, "ingress"))
		egress, est := asList(at(spec, "egress"))
		types, tst := asStrings(at(spec, "policyTypes"))
		if ist == unknown || est == unknown || tst == unknown {
			cv.pending = true
			continue
		}
		if tst == absent {
			types = []string{"Ingress"}
			if len(egress) > 0 {
				types = append(types, "Egress")
			}
		}
		if slices.Contains(types, "Ingress") && len(ingress) == 0 {
			cv.denyIn = true
		}
		if !slices.Contains(types, "Egress") {
			continue
		}
		if len(egress) == 0 {
			cv.denyOut = true
		}
		for _, rule := range egress {
			udp, tcp, pending := allowsDNS(rule)
			cv.dnsUDP = cv.dnsUDP || udp
			cv.dnsTCP = cv.dnsTCP || tcp
			cv.pending = cv.pending || pending
		}
	}
	for _, name := range c.cfg.ApplicationNamespaces {
		cv := cov[name]
		target := namespaceResource(namespaces, name)
		pending := cv.pending || unknownNS
		var missing []string
		if !cv.denyIn {
			missing = append(missing, "ingress")
		}
		if !cv.denyOut {
			missing = append(missing, "egress")
		}
		switch {
		case len(missing) == 0:
		case pending:
			c.cannotCheck(target, "the NetworkPolicies of namespace %s are not known yet", name)
		default:
			c.violation(target, "namespace %s has no default-deny NetworkPolicy for %s (podSelector {} without rules)", name, strings.Join(missing, " and "))
		}
		switch {
		case cv.dnsUDP && cv.dnsTCP:
		case pending:
			c.cannotCheck(target, "the DNS allowance of namespace %s is not known yet", name)
		default:
			c.violation(target, "namespace %s has no NetworkPolicy allowing DNS egress on port 53 over UDP and TCP for all pods: default-deny egress blocks name resolution", name)
		}
	}
}

// policyNamespace returns the namespace of a NetworkPolicy: metadata.namespace when known
// ("default" when unset), else the name of the Namespace it depends on.
func policyNamespace(np *Resource, namespaces []*Resource) (string, bool) {
	s, st := asString(np.get("metadata.namespace"))
	switch st {
	case present:
		return s, true
	case absent:
		return "default", true
	}
	for _, ns := range namespaces {
		if slices.Contains(np.Dependencies, ns.URN) || slices.Contains(np.PropertyDependencies["metadata"], ns.URN) {
			if name, st := asString(ns.get("metadata.name")); st == present {
				return name, true
			}
		}
	}
	return "", false
}

func namespaceResource(namespaces []*Resource, name string) *Resource {
	for _, ns := range namespaces {
		if n, st := asString(ns.get("metadata.name")); st == present && n == name {
			return ns
		}
	}
	return nil
}

// selectsAllPods reports whether a podSelector is empty (absent, {} or empty matchers).
func selectsAllPods(sel property.Value) bool {
	if sel.IsNull() {
		return true
	}
	if !sel.IsMap() {
		return false
	}
	for _, k := range []string{"matchLabels", "matchExpressions"} {
		v := at(sel, k)
		if (v.IsMap() && v.AsMap().Len() > 0) || (v.IsArray() && v.AsArray().Len() > 0) || v.IsComputed() {
			return false
		}
	}
	return true
}

// allowsDNS reports whether an egress rule admits port 53 over UDP and over TCP.
func allowsDNS(rule property.Value) (udp, tcp, pending bool) {
	ports, st := asList(at(rule, "ports"))
	switch st {
	case unknown:
		return false, false, true
	case absent:
		return true, true, false // no ports: every port
	}
	if len(ports) == 0 {
		return true, true, false
	}
	for _, p := range ports {
		port := at(p, "port")
		proto, pst := asString(at(p, "protocol"))
		if port.IsComputed() || pst == unknown {
			pending = true
			continue
		}
		is53 := port.IsNull() ||
			(port.IsNumber() && port.AsNumber() == 53) ||
			(port.IsString() && (port.AsString() == "53" || strings.EqualFold(port.AsString(), "dns") || strings.EqualFold(port.AsString(), "dns-tcp")))
		if !is53 {
			continue
		}
		switch strings.ToUpper(proto) {
		case "UDP":
			udp = true
		case "", "TCP": // TCP is the default protocol
			tcp = true
		}
	}
	return udp, tcp, pending
}
