package awslimits

import (
	"regexp"
	"strings"
)

// regionPattern is an AWS region name ("us-east-1", "us-gov-west-1", "eu-central-2").
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// ARNRegion returns the region field of an ARN (arn:partition:service:region:account:resource,
// IAM User Guide, "IAM ARNs" / AWS General Reference, "ARN format"), or false when arn is not
// an ARN or names no region (global services such as IAM).
func ARNRegion(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || !regionPattern.MatchString(parts[3]) {
		return "", false
	}
	return parts[3], true
}
