package mock

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// defaultOutputs echoes the inputs (as a provider does for most properties) and adds the
// computed attributes the program reads: ids, ARNs, endpoints, and the string outputs of the
// pulumi-eks cluster component.
func defaultOutputs(args pulumi.MockResourceArgs, id string) resource.PropertyMap {
	out := args.Inputs.Copy()
	set := func(key string, v any) {
		if _, ok := out[resource.PropertyKey(key)]; !ok {
			out[resource.PropertyKey(key)] = resource.NewPropertyValue(v)
		}
	}
	if args.Custom {
		set("arn", arnFor(args.TypeToken, args.Name))
		set("name", args.Name)
	}

	switch args.TypeToken {
	case "eks:index:Cluster":
		name := args.Name
		if v, ok := args.Inputs["name"]; ok && v.IsString() {
			name = v.StringValue()
		}
		endpoint := "https://" + strings.ToUpper(name) + ".gr7." + Region + ".eks.amazonaws.com"
		set("kubeconfigJson", kubeconfigJSON(name, endpoint))
		set("core", map[string]any{"endpoint": endpoint})
	case "aws:eks/nodeGroup:NodeGroup":
		set("resources", []any{map[string]any{
			"autoscalingGroups": []any{map[string]any{"name": "eks-" + args.Name + "-asg"}},
		}})
	case "aws:rds/instance:Instance":
		set("identifier", args.Name)
		address := args.Name + ".c0ffee." + Region + ".rds.amazonaws.com"
		set("address", address)
		set("endpoint", address+":5432")
		set("port", 5432)
		set("masterUserSecrets", []any{map[string]any{
			"secretArn":    "arn:aws:secretsmanager:" + Region + ":" + AccountID + ":secret:rds!" + args.Name,
			"secretStatus": "active",
		}})
	case "aws:rds/cluster:Cluster":
		// Writer and reader endpoints are DNS names without the port, as RDS returns them.
		set("clusterIdentifier", args.Name)
		set("endpoint", args.Name+".cluster-c0ffee."+Region+".rds.amazonaws.com")
		set("readerEndpoint", args.Name+".cluster-ro-c0ffee."+Region+".rds.amazonaws.com")
		set("port", 5432)
		set("masterUserSecrets", []any{map[string]any{
			"secretArn":    "arn:aws:secretsmanager:" + Region + ":" + AccountID + ":secret:rds!cluster-" + args.Name,
			"secretStatus": "active",
		}})
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		if url, ok := args.Inputs["url"]; ok && url.IsString() {
			out["arn"] = resource.NewProperty("arn:aws:iam::" + AccountID + ":oidc-provider/" + strings.TrimPrefix(url.StringValue(), "https://"))
		}
	case "aws:kms/key:Key":
		set("keyId", args.Name+"-key-id")
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		set("bucket", args.Name)
	}
	return out
}

// arnFor builds an ARN-shaped string from a type token such as "aws:rds/instance:Instance".
func arnFor(token, name string) string {
	service := "pulumi"
	if parts := strings.Split(token, ":"); len(parts) == 3 {
		service = strings.SplitN(parts[1], "/", 2)[0]
	}
	return "arn:aws:" + service + ":" + Region + ":" + AccountID + ":" + name
}

// kubeconfigJSON is a kubeconfig of the shape pulumi-eks produces, so consumers can parse it.
func kubeconfigJSON(name, endpoint string) string {
	return `{"apiVersion":"v1","kind":"Config","clusters":[{"name":"kubernetes","cluster":{"server":"` +
		endpoint + `","certificate-authority-data":"TU9DSw=="}}],"contexts":[{"name":"aws","context":` +
		`{"cluster":"kubernetes","user":"aws"}}],"current-context":"aws","users":[{"name":"aws","user":` +
		`{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws","args":["eks",` +
		`"get-token","--cluster-name","` + name + `"]}}}]}`
}
