package telemetry

import (
	"encoding/json"
	"fmt"
)

// storeAccess is the role policy of one store (Loki or Tempo): its own bucket and the logs
// key, nothing else.
type storeAccess struct {
	BucketArn string
	KeyArn    string
	Region    string
}

// document renders the policy. Object actions are what the stores call (Loki and Tempo list,
// read, write and delete objects; Tempo's S3 client uploads large blocks in parts and aborts a
// failed upload). With SSE-KMS, S3 asks KMS on the caller's behalf: kms:GenerateDataKey to write
// and kms:Decrypt to read, both needed for multipart uploads (Amazon S3 User Guide, "Using
// server-side encryption with AWS KMS keys (SSE-KMS)", permissions). The key may be used only
// through S3 of this region (kms:ViaService) and only for this bucket: S3 passes the bucket ARN
// as encryption context when an S3 Bucket Key is on (storage.NewBucket turns it on) and the
// object ARN otherwise (Amazon S3 User Guide, "Encryption context").
func (s storeAccess) document() (string, error) {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":      "ListOwnBucket",
				"Effect":   "Allow",
				"Action":   []string{"s3:ListBucket"},
				"Resource": s.BucketArn,
			},
			map[string]any{
				"Sid":    "ReadWriteOwnObjects",
				"Effect": "Allow",
				"Action": []string{
					"s3:AbortMultipartUpload",
					"s3:DeleteObject",
					"s3:GetObject",
					"s3:PutObject",
				},
				"Resource": s.BucketArn + "/*",
			},
			map[string]any{
				"Sid":      "UseLogsKeyThroughS3ForOwnBucket",
				"Effect":   "Allow",
				"Action":   []string{"kms:Decrypt", "kms:GenerateDataKey"},
				"Resource": s.KeyArn,
				"Condition": map[string]any{
					"StringEquals": map[string]any{
						"kms:ViaService": fmt.Sprintf("s3.%s.amazonaws.com", s.Region),
					},
					"StringLike": map[string]any{
						"kms:EncryptionContext:aws:s3:arn": []string{s.BucketArn, s.BucketArn + "/*"},
					},
				},
			},
		},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
