package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/novacron/platform/internal/mock"
)

// Resource kinds in the inventory.
const (
	KindComponent = "component"
	KindCustom    = "custom"
	KindRemote    = "remote"
	KindProvider  = "provider"
)

// secretText replaces every secret value in reports.
const secretText = "[secret]"

// Setting is one setting that matters, rendered as text.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Entry is one resource of the inventory.
type Entry struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
	Name string `json:"name"`
	// Parent is the parent's URN, "" at the top of the tree.
	Parent string `json:"parent,omitempty"`
	// Depth is the entry's depth in the tree (0 at the top); entries are in tree order.
	Depth    int       `json:"depth"`
	Kind     string    `json:"kind"`
	Protect  bool      `json:"protect,omitempty"`
	Settings []Setting `json:"settings,omitempty"`
	// InputsHash fingerprints the inputs (secrets replaced by a marker), so that a baseline
	// comparison sees changes beyond the settings shown.
	InputsHash string `json:"inputsHash"`
}

// TypeCount counts the resources of one type.
type TypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// Inventory is the resource tree and the count by type.
type Inventory struct {
	Resources    []Entry     `json:"resources"`
	CountsByType []TypeCount `json:"countsByType"`
}

type spec struct{ name, path string }

// settingsByType lists the settings that matter per type, in display order. A setting whose
// input is absent is left out.
var settingsByType = map[string][]spec{
	"pulumi:providers:aws": {{"region", "region"}},
	"aws:ec2/vpc:Vpc":      {{"CIDR", "cidrBlock"}},
	"aws:ec2/subnet:Subnet": {
		{"CIDR", "cidrBlock"}, {"zone", "availabilityZone"}, {"public IPs", "mapPublicIpOnLaunch"},
	},
	"aws:ec2/natGateway:NatGateway":                     {{"connectivity", "connectivityType"}},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                   {{"service", "serviceName"}, {"type", "vpcEndpointType"}},
	"aws:ec2/flowLog:FlowLog":                           {{"traffic", "trafficType"}, {"destination", "logDestinationType"}},
	"aws:cloudwatch/logGroup:LogGroup":                  {{"log group", "name"}, {"retention days", "retentionInDays"}},
	"aws:kms/key:Key":                                   {{"rotation", "enableKeyRotation"}, {"deletion window days", "deletionWindowInDays"}},
	"aws:kms/alias:Alias":                               {{"alias", "name"}},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {{"policy", "policyArn"}},
	"eks:index:Cluster": {
		{"name", "name"}, {"version", "version"}, {"private endpoint", "endpointPrivateAccess"},
		{"public endpoint", "endpointPublicAccess"}, {"public CIDRs", "publicAccessCidrs"},
		{"control-plane logs", "enabledClusterLogTypes"}, {"authentication", "authenticationMode"},
	},
	"aws:eks/cluster:Cluster": {{"name", "name"}, {"version", "version"}},
	"aws:eks/nodeGroup:NodeGroup": {
		{"instance types", "instanceTypes"}, {"AMI type", "amiType"}, {"capacity", "capacityType"},
		{"min", "scalingConfig.minSize"}, {"desired", "scalingConfig.desiredSize"}, {"max", "scalingConfig.maxSize"},
		{"labels", "labels"}, {"taints", "taints"}, {"disk GB", "diskSize"},
	},
	"eks:index:ManagedNodeGroup": {
		{"instance types", "instanceTypes"}, {"AMI type", "amiType"},
		{"min", "scalingConfig.minSize"}, {"desired", "scalingConfig.desiredSize"}, {"max", "scalingConfig.maxSize"},
		{"labels", "labels"}, {"taints", "taints"}, {"disk GB", "diskSize"},
	},
	"aws:ec2/launchTemplate:LaunchTemplate": {
		{"root volume GB", "blockDeviceMappings.0.ebs.volumeSize"}, {"volume type", "blockDeviceMappings.0.ebs.volumeType"},
		{"encrypted", "blockDeviceMappings.0.ebs.encrypted"}, {"IMDS tokens", "metadataOptions.httpTokens"},
		{"IMDS hop limit", "metadataOptions.httpPutResponseHopLimit"},
	},
	"aws:eks/addon:Addon": {{"add-on", "addonName"}, {"version", "addonVersion"}, {"configuration", "configurationValues"}},
	"aws:rds/instance:Instance": {
		{"engine", "engine"}, {"version", "engineVersion"}, {"class", "instanceClass"}, {"Multi-AZ", "multiAz"},
		{"replica of", "replicateSourceDb"}, {"storage type", "storageType"}, {"storage GB", "allocatedStorage"},
		{"max storage GB", "maxAllocatedStorage"}, {"encrypted", "storageEncrypted"},
		{"backup retention days", "backupRetentionPeriod"}, {"backup window", "backupWindow"},
		{"maintenance window", "maintenanceWindow"}, {"deletion protection", "deletionProtection"},
		{"enhanced monitoring s", "monitoringInterval"}, {"Performance Insights days", "performanceInsightsRetentionPeriod"},
		{"public", "publiclyAccessible"},
	},
	// A Multi-AZ DB cluster: the instance class, storage and monitoring settings are per
	// instance and apply to each of the three (CreateDBCluster).
	"aws:rds/cluster:Cluster": {
		{"engine", "engine"}, {"version", "engineVersion"}, {"class", "dbClusterInstanceClass"},
		{"Multi-AZ", derivedMultiAZCluster}, {"readable standbys", derivedReadableStandbys},
		{"storage type", "storageType"}, {"storage GB", "allocatedStorage"}, {"IOPS", "iops"},
		{"encrypted", "storageEncrypted"},
		{"backup retention days", "backupRetentionPeriod"}, {"backup window", "preferredBackupWindow"},
		{"maintenance window", "preferredMaintenanceWindow"}, {"deletion protection", "deletionProtection"},
		{"enhanced monitoring s", "monitoringInterval"}, {"Performance Insights days", "performanceInsightsRetentionPeriod"},
		{"log exports", "enabledCloudwatchLogsExports"},
	},
	"aws:rds/parameterGroup:ParameterGroup":               {{"family", "family"}},
	"aws:rds/clusterParameterGroup:ClusterParameterGroup": {{"family", "family"}},
	"aws:ecr/repository:Repository": {
		{"tag mutability", "imageTagMutability"}, {"scan on push", "imageScanningConfiguration.scanOnPush"},
	},
	"aws:s3/bucketVersioningV2:BucketVersioningV2":     {{"versioning", "versioningConfiguration.status"}},
	"aws:backup/vault:Vault":                           {{"vault", "name"}},
	"aws:secretsmanager/secretRotation:SecretRotation": {{"rotate every days", "rotationRules.automaticallyAfterDays"}},
	"kubernetes:core/v1:Namespace":                     {{"name", "metadata.name"}},
	"kubernetes:networking.k8s.io/v1:NetworkPolicy":    {{"namespace", "metadata.namespace"}, {"name", "metadata.name"}, {"types", "spec.policyTypes"}},
	"kubernetes:storage.k8s.io/v1:StorageClass":        {{"name", "metadata.name"}, {"provisioner", "provisioner"}, {"volume type", "parameters.type"}, {"encrypted", "parameters.encrypted"}},
	"kubernetes:helm.sh/v3:Release": {
		{"chart", "chart"}, {"version", "version"}, {"namespace", "namespace"}, {"timeout s", "timeout"},
		{"Prometheus retention", "values.prometheus.prometheusSpec.retention"},
		{"Prometheus retention size", "values.prometheus.prometheusSpec.retentionSize"},
		{"Prometheus volume", "values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage"},
		{"Grafana volume", "values.grafana.persistence.size"},
		{"Alertmanager volume", "values.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage"},
		{"Loki retention", "values.loki.limits_config.retention_period"},
		{"Loki volume", "values.singleBinary.persistence.size"},
		{"Tempo retention", derivedTempoRetention},
		{"collector mode", "values.mode"},
		{"tolerations", "values.tolerations"},
		{"interruption queue", "values.settings.interruptionQueue"},
	},
	// Karpenter: the pools, their node classes, the floor, the interruption queue and rules.
	"kubernetes:karpenter.sh/v1:NodePool": {
		{"pool", "metadata.name"}, {"instance types", derivedInstanceTypes}, {"capacity", derivedCapacityTypes},
		{"limits", "spec.limits"}, {"labels", "spec.template.metadata.labels"}, {"taints", "spec.template.spec.taints"},
		{"consolidation", "spec.disruption.consolidationPolicy"}, {"consolidate after", "spec.disruption.consolidateAfter"},
		{"budgets", "spec.disruption.budgets"}, {"expire after", "spec.template.spec.expireAfter"},
	},
	"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": {
		{"name", "metadata.name"}, {"AMI", "spec.amiSelectorTerms.0.alias"},
		{"IMDS tokens", "spec.metadataOptions.httpTokens"}, {"IMDS hop limit", "spec.metadataOptions.httpPutResponseHopLimit"},
		{"root volume", "spec.blockDeviceMappings.0.ebs.volumeSize"}, {"volume type", "spec.blockDeviceMappings.0.ebs.volumeType"},
		{"encrypted", "spec.blockDeviceMappings.0.ebs.encrypted"}, {"node role", "spec.role"},
	},
	"kubernetes:apps/v1:Deployment": {
		{"namespace", "metadata.namespace"}, {"name", "metadata.name"}, {"replicas", "spec.replicas"},
		{"priority class", "spec.template.spec.priorityClassName"},
	},
	"kubernetes:scheduling.k8s.io/v1:PriorityClass": {{"name", "metadata.name"}, {"value", "value"}, {"preemption", "preemptionPolicy"}},
	"aws:sqs/queue:Queue": {
		{"queue", "name"}, {"retention s", "messageRetentionSeconds"}, {"SSE", "sqsManagedSseEnabled"},
	},
	"aws:cloudwatch/eventRule:EventRule":                    {{"events", derivedEventPattern}},
	"aws:eks/podIdentityAssociation:PodIdentityAssociation": {{"namespace", "namespace"}, {"service account", "serviceAccount"}},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {
		{"expire days", "rules.0.expiration.days"},
		{"noncurrent expire days", "rules.0.noncurrentVersionExpiration.noncurrentDays"},
	},
}

// inventory builds the resource tree (children under their parents, each level sorted by name
// and type) and the count by type.
func inventory(records []*mock.Resource) Inventory {
	byURN := map[string]*mock.Resource{}
	for _, r := range records {
		byURN[r.URN] = r
	}
	children := map[string][]*mock.Resource{}
	var roots []*mock.Resource
	counts := map[string]int{}
	for _, r := range records {
		counts[r.Type]++
		if _, ok := byURN[r.Parent]; ok {
			children[r.Parent] = append(children[r.Parent], r)
		} else {
			roots = append(roots, r)
		}
	}
	order := func(rs []*mock.Resource) {
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].Name != rs[j].Name {
				return rs[i].Name < rs[j].Name
			}
			return rs[i].Type < rs[j].Type
		})
	}
	inv := Inventory{Resources: []Entry{}, CountsByType: []TypeCount{}}
	var walk func(rs []*mock.Resource, depth int)
	walk = func(rs []*mock.Resource, depth int) {
		order(rs)
		for _, r := range rs {
			e := Entry{
				URN: r.URN, Type: r.Type, Name: r.Name, Depth: depth, Kind: kindOf(r), Protect: r.Protect,
				Settings: settings(r), InputsHash: inputsHash(r.Inputs),
			}
			if _, ok := byURN[r.Parent]; ok {
				e.Parent = r.Parent
			}
			inv.Resources = append(inv.Resources, e)
			walk(children[r.URN], depth+1)
		}
	}
	walk(roots, 0)
	for typ, n := range counts {
		inv.CountsByType = append(inv.CountsByType, TypeCount{Type: typ, Count: n})
	}
	sort.Slice(inv.CountsByType, func(i, j int) bool {
		a, b := inv.CountsByType[i], inv.CountsByType[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Type < b.Type
	})
	return inv
}

func kindOf(r *mock.Resource) string {
	switch {
	case strings.HasPrefix(r.Type, "pulumi:providers:"):
		return KindProvider
	case r.Remote:
		return KindRemote
	case r.Custom:
		return KindCustom
	}
	return KindComponent
}

// Settings that no single input holds are derived from several; their spec path names the
// derivation.
const (
	derivedMultiAZCluster   = "(Multi-AZ DB cluster)"
	derivedReadableStandbys = "(readable standbys)"
	derivedTempoRetention   = "(Tempo retention)"
	derivedInstanceTypes    = "(requirement node.kubernetes.io/instance-type)"
	derivedCapacityTypes    = "(requirement karpenter.sh/capacity-type)"
	derivedEventPattern     = "(event pattern)"
)

// tempoBlockRetention finds the compactor's block retention in Tempo's configuration file, which
// the tempo chart takes whole as one string value.
var tempoBlockRetention = regexp.MustCompile(`(?m)^\s*block_retention:\s*"?([0-9]+[a-z]+)"?\s*$`)

// multiAZCluster reports whether an rds.Cluster is a Multi-AZ DB cluster: a DB cluster instance
// class with the mysql or postgres engine. RDS then creates a writer and two reader instances in
// three zones, both readers failover targets that serve reads (CreateDBCluster); an Aurora
// cluster gets its instances from separate resources.
func multiAZCluster(pm resource.PropertyMap) bool {
	class, ok := at(pm, "dbClusterInstanceClass")
	if !ok || render(class) == "" {
		return false
	}
	engine, ok := at(pm, "engine")
	if !ok {
		return false
	}
	e := render(engine)
	return e == "postgres" || e == "mysql"
}

func derive(pm resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	if key, ok := strings.CutPrefix(path, "(requirement "); ok {
		return requirement(pm, strings.TrimSuffix(key, ")"))
	}
	switch path {
	case derivedEventPattern:
		return eventPattern(pm)
	case derivedMultiAZCluster:
		return resource.NewBoolProperty(multiAZCluster(pm)), true
	case derivedReadableStandbys:
		if multiAZCluster(pm) {
			return resource.NewNumberProperty(2), true
		}
	case derivedTempoRetention:
		if chart, ok := at(pm, "chart"); !ok || render(chart) != "tempo" {
			return resource.PropertyValue{}, false
		}
		config, ok := at(pm, "values.config")
		if !ok || !config.IsString() {
			return resource.PropertyValue{}, false
		}
		if m := tempoBlockRetention.FindStringSubmatch(config.StringValue()); m != nil {
			return resource.NewStringProperty(m[1]), true
		}
	}
	return resource.PropertyValue{}, false
}

// requirement returns the values a NodePool template's requirement on key allows, as a list.
func requirement(pm resource.PropertyMap, key string) (resource.PropertyValue, bool) {
	reqs, ok := at(pm, "spec.template.spec.requirements")
	if !ok || !reqs.IsArray() {
		return resource.PropertyValue{}, false
	}
	for _, e := range reqs.ArrayValue() {
		if !e.IsObject() {
			continue
		}
		obj := e.ObjectValue()
		if k, ok := obj["key"]; ok && render(k) == key {
			if v, ok := obj["values"]; ok {
				return v, true
			}
		}
	}
	return resource.PropertyValue{}, false
}

// eventPattern shows an EventBridge rule's pattern as "source: detail-type".
func eventPattern(pm resource.PropertyMap) (resource.PropertyValue, bool) {
	v, ok := at(pm, "eventPattern")
	if !ok || !v.IsString() {
		return resource.PropertyValue{}, false
	}
	var pattern struct {
		Source     []string `json:"source"`
		DetailType []string `json:"detail-type"`
	}
	if err := json.Unmarshal([]byte(v.StringValue()), &pattern); err != nil || len(pattern.Source) == 0 {
		return v, true
	}
	text := strings.Join(pattern.Source, ", ")
	if len(pattern.DetailType) > 0 {
		text += ": " + strings.Join(pattern.DetailType, ", ")
	}
	return resource.NewStringProperty(text), true
}

func settings(r *mock.Resource) []Setting {
	var out []Setting
	for _, s := range settingsByType[r.Type] {
		v, ok := at(r.Inputs, s.path)
		if strings.HasPrefix(s.path, "(") {
			v, ok = derive(r.Inputs, s.path)
		}
		if !ok {
			continue
		}
		if text := render(v); text != "" {
			out = append(out, Setting{Name: s.name, Value: text})
		}
	}
	return out
}

// at returns the value at a dotted path without looking through secrets: a secret on the way is
// returned as is, so that render prints the marker.
func at(pm resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	v := resource.NewObjectProperty(pm)
	for _, part := range strings.Split(path, ".") {
		if v.IsOutput() && v.OutputValue().Known && !v.OutputValue().Secret {
			v = v.OutputValue().Element
		}
		if v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret) {
			return v, true
		}
		var ok bool
		if v, ok = mock.Child(v, part); !ok {
			return resource.PropertyValue{}, false
		}
	}
	if v.IsNull() {
		return v, false
	}
	return v, true
}

// render prints a value for a person; secrets print as the marker, whatever they hold.
func render(v resource.PropertyValue) string {
	switch {
	case v.IsSecret():
		return secretText
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return secretText
		}
		if !o.Known {
			return "(known after creation)"
		}
		return render(o.Element)
	case v.IsComputed():
		return "(known after creation)"
	case v.IsNull():
		return ""
	case v.IsBool():
		return strconv.FormatBool(v.BoolValue())
	case v.IsNumber():
		return number(v.NumberValue())
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		var parts []string
		for _, e := range v.ArrayValue() {
			if e.IsObject() {
				parts = append(parts, renderObject(e.ObjectValue(), true))
			} else if s := render(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case v.IsObject():
		return renderObject(v.ObjectValue(), false)
	}
	return ""
}

// renderObject prints a map as "k=v, k=v"; a taint ({key, value, effect}) as "key=value:effect".
func renderObject(m resource.PropertyMap, element bool) string {
	if element {
		key, hasKey := m["key"]
		effect, hasEffect := m["effect"]
		if hasKey && hasEffect {
			value := ""
			if val, ok := m["value"]; ok {
				value = render(val)
			}
			return render(key) + "=" + value + ":" + render(effect)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+render(m[resource.PropertyKey(k)]))
	}
	if element {
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return strings.Join(parts, ", ")
}

func number(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// inputsHash fingerprints inputs with every secret replaced by the marker.
func inputsHash(pm resource.PropertyMap) string {
	b, err := json.Marshal(scrub(resource.NewObjectProperty(pm)))
	if err != nil {
		b = []byte(fmt.Sprint(err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// scrub turns a value into plain Go values, secrets and unknowns replaced by markers.
func scrub(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return secretText
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return secretText
		}
		if !o.Known {
			return "(unknown)"
		}
		return scrub(o.Element)
	case v.IsComputed():
		return "(unknown)"
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for _, e := range v.ArrayValue() {
			out = append(out, scrub(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = scrub(e)
		}
		return out
	case v.IsResourceReference():
		return "resource:" + string(v.ResourceReferenceValue().URN)
	}
	return fmt.Sprintf("(%s)", v.TypeString())
}
