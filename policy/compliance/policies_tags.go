package compliance

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// taggableTypes are AWS types that take tags even when a resource sets none itself (then only the
// provider's default tags apply). Any other aws: resource with a tags property counts as well.
var taggableTypes = []string{
	"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
	"aws:ec2/eip:Eip", "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable",
	"aws:ec2/vpcEndpoint:VpcEndpoint", tDefaultSG, tSecurityGroup, tSGIngressRule, tFlowLog,
	tLaunchTemplate, "aws:cloudwatch/logGroup:LogGroup", tEKSCluster, tNodeGroup, tEKSAddon,
	tKMSKey, "aws:iam/role:Role", "aws:iam/policy:Policy",
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider", tRDSInstance, tRDSParameterGroup,
	tRDSCluster, tRDSClusterParameterGroup,
	"aws:rds/subnetGroup:SubnetGroup", tBucket, tECRRepository, tSecret,
	"aws:backup/vault:Vault", "aws:backup/plan:Plan", "aws:sns/topic:Topic",
}

func isTaggable(r *Resource) bool {
	if !strings.HasPrefix(r.Type, "aws:") {
		return false
	}
	_, hasTags := r.Props.GetOk("tags")
	return hasTags || slices.Contains(taggableTypes, r.Type)
}

func init() {
	register(&Policy{
		Name:        "required-tags",
		Area:        "tags",
		Description: "Taggable AWS resources carry the required tags (provider default tags count).",
		Level:       Mandatory,
		Severity:    Low,
		Remediation: "Set the missing tags in the AWS provider's defaultTags (or on the resource).",
		Controls:    join(soc2("CC6.1"), iso("A.5.9"), pci("12.5.1")),
		applies:     isTaggable,
		checkResource: func(c *run, r *Resource) {
			have := map[string]bool{}
			defaults, st := providerDefaultTags(r)
			switch st {
			case unknown:
				c.cannotCheck(r, "the provider's defaultTags are not known yet")
				return
			case wrongType:
				c.violation(r, "the provider's defaultTags must be an object {tags: {...}} or its JSON text")
				return
			}
			for k, known := range defaults {
				have[k] = known
			}
			for _, key := range []string{"tags", "tagsAll"} {
				v := r.get(key)
				if v.IsComputed() {
					c.cannotCheck(r, "%s is not known yet", key)
					return
				}
				if !v.IsMap() {
					continue
				}
				for k, tv := range v.AsMap().All {
					s, st := asString(tv)
					if st == unknown || (st == present && s != "") {
						have[k] = true
					}
				}
			}
			var missing []string
			for _, t := range c.cfg.RequiredTags {
				if !have[t] {
					missing = append(missing, t)
				}
			}
			if len(missing) > 0 {
				c.violation(r, "missing required tag(s) %s: set them in the AWS provider's defaultTags or on the resource", strings.Join(missing, ", "))
			}
		},
	})
}

// providerDefaultTags returns the non-empty default tags of the resource's AWS provider. The
// engine may hand defaultTags over as JSON text rather than an object (pulumi/pulumi#15477).
func providerDefaultTags(r *Resource) (map[string]bool, status) {
	if r.Provider == nil || r.Provider.Type != tAWSProvider {
		return nil, absent
	}
	v := at(property.New(r.Provider.Props), "defaultTags")
	switch {
	case v.IsNull():
		return nil, absent
	case v.IsComputed():
		return nil, unknown
	case v.IsString():
		if v.AsString() == "" {
			return nil, absent
		}
		var doc struct {
			Tags map[string]any `json:"tags"`
		}
		if err := json.Unmarshal([]byte(v.AsString()), &doc); err != nil {
			return nil, wrongType
		}
		out := map[string]bool{}
		for k, tv := range doc.Tags {
			if s, ok := tv.(string); ok && s != "" {
				out[k] = true
			}
		}
		return out, present
	case v.IsMap():
		tags := at(v, "tags")
		if tags.IsComputed() {
			return nil, unknown
		}
		out := map[string]bool{}
		if tags.IsMap() {
			for k, tv := range tags.AsMap().All {
				s, st := asString(tv)
				if st == unknown || (st == present && s != "") {
					out[k] = true
				}
			}
		}
		return out, present
	}
	return nil, wrongType
}
