// Package karpentercheck decodes the Karpenter objects that components/karpenter writes (its
// golden files under testdata/) into Karpenter's own Go API types, strictly, the way the API
// server's strict field validation decodes: field names match case-sensitively, and an unknown
// or duplicate field, a value of the wrong JSON type, or a quantity or duration that does not
// parse is an error.
//
// It is a module of its own, so that Karpenter's dependency graph (the AWS SDK's EC2 client,
// controller-runtime, client-go) stays out of the program's module.
//
// The types are those of the pinned chart: github.com/aws/karpenter-provider-aws v1.14.1 for
// EC2NodeClass and sigs.k8s.io/karpenter v1.14.1 for NodePool. The provider's go.mod requires
// the core as the pseudo-version v1.14.1-0.20260819221709-6e7eab7a0f48, which the module proxy
// does not serve; that commit is the one tagged v1.14.1 in kubernetes-sigs/karpenter, so go.mod
// requires the tag: the same source.
package karpentercheck

import (
	"bytes"
	"errors"
	"fmt"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"sigs.k8s.io/json"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/yaml"
)

// API versions and kinds of the two Karpenter objects.
const (
	NodePoolAPIVersion     = "karpenter.sh/v1"
	NodePoolKind           = "NodePool"
	EC2NodeClassAPIVersion = "karpenter.k8s.aws/v1"
	EC2NodeClassKind       = "EC2NodeClass"
)

// Document is one object of a multi-document YAML file.
type Document struct {
	APIVersion string
	Kind       string
	Name       string
	// Raw is the document as written.
	Raw []byte
}

// Split cuts a YAML stream at its "---" lines and reads each document's apiVersion, kind and
// name. Empty documents are dropped.
func Split(data []byte) ([]Document, error) {
	var docs []Document
	for i, raw := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if head.APIVersion == "" || head.Kind == "" {
			return nil, fmt.Errorf("document %d: no apiVersion or kind", i)
		}
		docs = append(docs, Document{APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, Raw: raw})
	}
	return docs, nil
}

// DecodeNodePool decodes a karpenter.sh/v1 NodePool strictly: unknown or duplicate fields and
// values of the wrong type are errors.
func DecodeNodePool(doc []byte) (*karpv1.NodePool, error) {
	var np karpv1.NodePool
	if err := Strict(doc, &np); err != nil {
		return nil, fmt.Errorf("NodePool: %w", err)
	}
	if np.APIVersion != NodePoolAPIVersion || np.Kind != NodePoolKind {
		return nil, fmt.Errorf("NodePool: got %s %s", np.APIVersion, np.Kind)
	}
	return &np, nil
}

// DecodeEC2NodeClass decodes a karpenter.k8s.aws/v1 EC2NodeClass strictly.
func DecodeEC2NodeClass(doc []byte) (*awsv1.EC2NodeClass, error) {
	var nc awsv1.EC2NodeClass
	if err := Strict(doc, &nc); err != nil {
		return nil, fmt.Errorf("EC2NodeClass: %w", err)
	}
	if nc.APIVersion != EC2NodeClassAPIVersion || nc.Kind != EC2NodeClassKind {
		return nil, fmt.Errorf("EC2NodeClass: got %s %s", nc.APIVersion, nc.Kind)
	}
	return &nc, nil
}

// Strict decodes a YAML document into v as the API server does with strict field validation
// (k8s.io/apimachinery's serializer): YAML to JSON refusing duplicate keys, then sigs.k8s.io/json
// with case-sensitive field names, refusing unknown and duplicate fields. encoding/json alone
// (and so sigs.k8s.io/yaml.UnmarshalStrict) would accept "consolidationpolicy" for
// "consolidationPolicy".
func Strict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := json.UnmarshalStrict(j, v, json.DisallowDuplicateFields, json.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}
