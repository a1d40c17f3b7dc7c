package registry

import (
	"encoding/json"
	"slices"
)

// policyDocument is the IAM policy grammar as far as repository policies use it.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string            `json:"Sid"`
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal"`
	Action    []string          `json:"Action"`
}

// pullActions are what a node needs to pull an image; ecr:GetAuthorizationToken is account-level
// and belongs to the node role's IAM policy, not to a repository policy.
// Source: Amazon ECR User Guide, "Private repository policy examples".
var pullActions = []string{
	"ecr:BatchCheckLayerAvailability",
	"ecr:BatchGetImage",
	"ecr:GetDownloadUrlForLayer",
}

// pushActions are what `docker push` needs (layer upload and manifest put), plus the pull actions
// so a build can reuse layers already in the repository.
var pushActions = []string{
	"ecr:BatchCheckLayerAvailability",
	"ecr:BatchGetImage",
	"ecr:CompleteLayerUpload",
	"ecr:GetDownloadUrlForLayer",
	"ecr:InitiateLayerUpload",
	"ecr:PutImage",
	"ecr:UploadLayerPart",
}

// repositoryPolicyDocument renders the repository policy: the node role pulls; the CI role, when
// not empty, pushes.
func repositoryPolicyDocument(nodeRoleArn, ciRoleArn string) (string, error) {
	doc := policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Sid:       "ClusterNodesPull",
			Effect:    "Allow",
			Principal: map[string]string{"AWS": nodeRoleArn},
			Action:    slices.Clone(pullActions),
		}},
	}
	if ciRoleArn != "" {
		doc.Statement = append(doc.Statement, policyStatement{
			Sid:       "ContinuousIntegrationPush",
			Effect:    "Allow",
			Principal: map[string]string{"AWS": ciRoleArn},
			Action:    slices.Clone(pushActions),
		})
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// lifecyclePolicy is the ECR lifecycle policy grammar.
// Source: Amazon ECR User Guide, "Lifecycle policy properties".
type lifecyclePolicy struct {
	Rules []lifecycleRule `json:"rules"`
}

type lifecycleRule struct {
	RulePriority int                `json:"rulePriority"`
	Description  string             `json:"description"`
	Selection    lifecycleSelection `json:"selection"`
	Action       lifecycleAction    `json:"action"`
}

type lifecycleSelection struct {
	TagStatus      string   `json:"tagStatus"`
	TagPatternList []string `json:"tagPatternList,omitempty"`
	CountType      string   `json:"countType"`
	CountUnit      string   `json:"countUnit,omitempty"`
	CountNumber    int      `json:"countNumber"`
}

type lifecycleAction struct {
	Type string `json:"type"`
}

// lifecyclePolicyDocument renders the lifecycle policy. Untagged images (superseded build layers)
// go first; the tagged rule needs a tag pattern because ECR requires tagPatternList or
// tagPrefixList with tagStatus "tagged", and "*" matches every tag. A rule with tagStatus "any"
// is avoided on purpose: it would count untagged images against the N kept.
func lifecyclePolicyDocument(keepTagged, untaggedDays int) (string, error) {
	doc := lifecyclePolicy{Rules: []lifecycleRule{
		{
			RulePriority: 1,
			Description:  "Expire untagged images after the retention period",
			Selection: lifecycleSelection{
				TagStatus:   "untagged",
				CountType:   "sinceImagePushed",
				CountUnit:   "days",
				CountNumber: untaggedDays,
			},
			Action: lifecycleAction{Type: "expire"},
		},
		{
			RulePriority: 2,
			Description:  "Keep only the most recent tagged images",
			Selection: lifecycleSelection{
				TagStatus:      "tagged",
				TagPatternList: []string{"*"},
				CountType:      "imageCountMoreThan",
				CountNumber:    keepTagged,
			},
			Action: lifecycleAction{Type: "expire"},
		},
	}}
	b, err := json.Marshal(doc)
	return string(b), err
}
