package database

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

var (
	nonAliasChars     = regexp.MustCompile(`[^A-Za-z0-9/_-]+`)
	nonIdentifierChar = regexp.MustCompile(`[^a-z0-9]+`)
)

// kmsAliasName is unique per project, stack and component, so two stacks in one account do not
// collide. KMS allows letters, digits, "/", "_" and "-" after "alias/".
func kmsAliasName(project, stack, name string) string {
	return "alias/" + nonAliasChars.ReplaceAllString(project+"/"+stack+"/"+name, "-")
}

// dbIdentifier is the RDS identifier of the instance or cluster: project, stack and component
// name, so that it is unique per account and region and known before the database exists (the
// log groups RDS writes to are named after it and are created first). RDS wants 1 to maxLen
// lowercase letters, digits and single hyphens, starting with a letter and not ending with a
// hyphen (CreateDBInstance DBInstanceIdentifier, CreateDBCluster DBClusterIdentifier). A longer
// name is cut and given a hash of the full one, so that it stays unique and stable.
func dbIdentifier(project, stack, name string, maxLen int) string {
	id := strings.Trim(nonIdentifierChar.ReplaceAllString(strings.ToLower(project+"-"+stack+"-"+name), "-"), "-")
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "db-" + id
	}
	if len(id) <= maxLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	suffix := hex.EncodeToString(sum[:])[:8]
	return strings.TrimRight(id[:maxLen-len(suffix)-1], "-") + "-" + suffix
}

// finalSnapshotID names the snapshot RDS takes when the database is deleted: the identifier
// with "-final". It must start with a letter and hold only letters, digits and single hyphens.
// It is fixed, so a second deletion of a recreated database needs the first snapshot renamed or
// removed first.
func finalSnapshotID(project, stack, name string) string {
	return dbIdentifier(project, stack, name, 255-len("-final")) + "-final"
}

// logGroupName is the CloudWatch log group RDS exports a log type to: /aws/rds/instance/<id>/<type>
// for an instance, /aws/rds/cluster/<id>/<type> for a cluster (RDS User Guide, "Publishing
// PostgreSQL logs to Amazon CloudWatch Logs").
func logGroupName(deployment, identifier, logType string) string {
	kind := "instance"
	if deployment == DeploymentCluster {
		kind = "cluster"
	}
	return "/aws/rds/" + kind + "/" + identifier + "/" + logType
}
