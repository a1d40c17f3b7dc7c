package database

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/novacron/platform/internal/validate"
)

// Deployments the component builds.
const (
	// DeploymentInstance is an RDS DB instance, Multi-AZ (one synchronous standby that serves no
	// reads) unless SingleAz.
	DeploymentInstance = "instance"
	// DeploymentCluster is an RDS Multi-AZ DB cluster: a writer and two readable standbys in three
	// Availability Zones, with a reader endpoint.
	DeploymentCluster = "cluster"
)

// Deployments lists the accepted values of PostgresArgs.Deployment.
var Deployments = []string{DeploymentInstance, DeploymentCluster}

// Storage types the component accepts (gp2 and magnetic are previous generations; RDS deprecated
// magnetic storage in 2026: RDS User Guide, "Amazon RDS DB instance storage").
const (
	StorageGP3 = "gp3"
	StorageIO1 = "io1"
	StorageIO2 = "io2"
)

// StorageTypes lists the accepted values of PostgresArgs.StorageType.
var StorageTypes = []string{StorageGP3, StorageIO1, StorageIO2}

// storageLimit is what RDS for PostgreSQL accepts for one storage type (RDS User Guide, "Amazon
// RDS DB instance storage": the gp3, io1 and io2 Block Express tables for "Db2, MariaDB, MySQL,
// and PostgreSQL").
type storageLimit struct {
	minGb, maxGb int
	// stripeGb is where RDS stripes over four volumes; gp3 IOPS can be provisioned only from
	// there on (below it: 3,000 IOPS baseline, "N/A" to provision).
	stripeGb int
	// minIops..maxIops is the provisionable range at or above stripeGb; smallMaxIops is the
	// io1 ceiling below it.
	minIops, maxIops, smallMaxIops int
	// IOPS per GiB of allocated storage (and of the autoscaling ceiling): RDS requires
	// minRatio <= IOPS/GiB <= maxRatio.
	minRatio, maxRatio float64
}

var storageLimits = map[string]storageLimit{
	// gp3: 20-65,536 GiB; 3,000 IOPS below 400 GiB (not provisionable), 12,000-64,000 IOPS from
	// 400 GiB; at most 500 IOPS per GiB, no minimum ratio for PostgreSQL.
	StorageGP3: {minGb: 20, maxGb: 65536, stripeGb: 400, minIops: 12000, maxIops: 64000, maxRatio: 500},
	// io1 (previous generation): 100-65,536 GiB; 1,000-19,950 IOPS below 400 GiB,
	// 1,000-256,000 from 400 GiB; 0.5 to 50 IOPS per GiB.
	StorageIO1: {minGb: 100, maxGb: 65536, stripeGb: 400, minIops: 1000, maxIops: 256000, smallMaxIops: 19950,
		minRatio: 0.5, maxRatio: 50},
	// io2 Block Express: 100-65,536 GiB; 1,000-256,000 IOPS; 0.5 to 1,000 IOPS per GiB on
	// Nitro instances (every class of the Multi-AZ DB cluster list is one).
	StorageIO2: {minGb: 100, maxGb: 65536, stripeGb: 100, minIops: 1000, maxIops: 256000, minRatio: 0.5, maxRatio: 1000},
}

// defaultClusterGP3Iops is the gp3 baseline from 400 GiB on, and the smallest value RDS accepts
// there. A Multi-AZ DB cluster needs an Iops value (CreateDBCluster, Iops: "required to create a
// Multi-AZ DB cluster"); at the baseline it costs nothing extra (RDS User Guide, gp3 storage:
// "you pay for only the additional provisioned storage performance").
const defaultClusterGP3Iops = 12000

// Multi-AZ DB cluster IOPS: "Must be a multiple between .5 and 50 of the storage amount for the DB
// cluster" (CreateDBCluster, Iops).
const (
	clusterMinIopsRatio = 0.5
	clusterMaxIopsRatio = 50
)

// clusterClassFamilies are the instance class families a Multi-AZ DB cluster runs on (RDS User
// Guide, "Multi-AZ DB cluster deployments for Amazon RDS", "Instance class availability for
// Multi-AZ DB clusters", as published in October 2026). Every one has local NVMe storage ("d");
// db.r6g, the plan's family, is not among them.
var clusterClassFamilies = []string{
	"c6gd", "m5d", "m6gd", "m6id", "m6idn", "m8gd", "r5d", "r6gd", "r6id", "r6idn", "r8gd", "x2iedn",
}

// clusterMediumFamily is the only family offered in the medium size for Multi-AZ DB clusters
// (same page: "The c6gd instance classes are the only ones that support the medium instance
// size").
const clusterMediumFamily = "c6gd"

// minClusterVersions are the oldest PostgreSQL minors offered for Multi-AZ DB clusters, per
// major (RDS User Guide, "Supported Regions and DB engines for Multi-AZ DB clusters in Amazon
// RDS": 13.4 and 13.7 and higher, 14.5 and higher, every version of 15 to 18). Majors before 13
// are not offered.
var minClusterVersions = map[int]int{13: 4, 14: 5}

const minClusterMajor = 13

// 13.5 and 13.6 are the gap in "version 13.4 and version 13.7 and higher".
var refusedClusterVersions = []string{"13.5", "13.6"}

// Identifier lengths (CreateDBInstance and CreateDBCluster, DBInstanceIdentifier and
// DBClusterIdentifier: 1 to 63 letters, digits or hyphens; 1 to 52 for a Multi-AZ DB cluster).
const (
	maxInstanceIdentifierLen = 63
	maxClusterIdentifierLen  = 52
)

var (
	// A size is large, xlarge, Nxlarge or medium; RDS offers no smaller size for the families
	// of the cluster list.
	clusterSizeRe = regexp.MustCompile(`^(medium|large|xlarge|[1-9][0-9]*xlarge)$`)
	exactVersion  = regexp.MustCompile(`^([1-9][0-9]*)\.([0-9]+)$`)
)

// classParts splits "db.r6gd.xlarge" into "r6gd" and "xlarge".
func classParts(class string) (family, size string) {
	rest := strings.TrimPrefix(class, "db.")
	family, size, _ = strings.Cut(rest, ".")
	return family, size
}

// validateCluster records what a Multi-AZ DB cluster adds to the instance rules. d has its
// defaults applied.
func validateCluster(p *validate.Problems, d PostgresArgs) {
	if family, size := classParts(d.InstanceClass); instanceClassRe.MatchString(d.InstanceClass) {
		switch {
		case !slices.Contains(clusterClassFamilies, family):
			p.Addf("instanceClass", "must be a class a Multi-AZ DB cluster runs on (families db.%s), got %q",
				strings.Join(clusterClassFamilies, ", db."), d.InstanceClass)
		case !clusterSizeRe.MatchString(size) || (size == "medium" && family != clusterMediumFamily):
			p.Addf("instanceClass", "must be a large or larger size for a Multi-AZ DB cluster (medium only for db.%s), got %q",
				clusterMediumFamily, d.InstanceClass)
		}
	}

	// The API lists exact versions for RDS for PostgreSQL clusters; a major alone is documented
	// for Aurora MySQL only (CreateDBCluster, EngineVersion).
	if m := exactVersion.FindStringSubmatch(d.EngineVersion); m == nil {
		if engineVersionRe.MatchString(d.EngineVersion) {
			p.Addf("engineVersion", `must be an exact major.minor version such as "17.9" for a Multi-AZ DB cluster, got %q`, d.EngineVersion)
		}
	} else {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		switch {
		case major < minClusterMajor:
			p.Addf("engineVersion", "must be PostgreSQL %d or later for a Multi-AZ DB cluster, got %q", minClusterMajor, d.EngineVersion)
		case minor < minClusterVersions[major] || slices.Contains(refusedClusterVersions, d.EngineVersion):
			p.Addf("engineVersion", "must be 13.4, 13.7 or later, or 14.5 or later, for a Multi-AZ DB cluster, got %q", d.EngineVersion)
		}
	}

	// A Multi-AZ DB cluster always runs in three zones (RDS User Guide, "Multi-AZ DB cluster
	// deployments for Amazon RDS").
	if d.SingleAz {
		p.Addf("singleAz", "must be false for a Multi-AZ DB cluster, which always runs a writer and two readers in three zones")
	}
	// "Storage autoscaling by setting the maximum allocated storage" is not supported (RDS User
	// Guide, "Limitations of Multi-AZ DB clusters for Amazon RDS").
	if d.MaxAllocatedStorageGb != 0 {
		p.Addf("maxAllocatedStorageGb", "must be unset (0) for a Multi-AZ DB cluster, which has no storage autoscaling (scale storage by raising allocatedStorageGb), got %d",
			d.MaxAllocatedStorageGb)
	}
}

// validateStorage records the storage type, size and IOPS rules. d has its defaults applied.
func validateStorage(p *validate.Problems, d PostgresArgs) {
	lim, ok := storageLimits[d.StorageType]
	if !ok {
		p.Addf("storageType", "must be one of %v, got %q", StorageTypes, d.StorageType)
		return
	}
	if d.AllocatedStorageGb < lim.minGb || d.AllocatedStorageGb > lim.maxGb {
		p.Addf("allocatedStorageGb", "must be between %d and %d for %s storage, got %d", lim.minGb, lim.maxGb, d.StorageType, d.AllocatedStorageGb)
		return
	}
	cluster := d.Deployment == DeploymentCluster

	if !cluster {
		// Integer ceiling of 110%, the smallest autoscaling ceiling RDS accepts (RDS User Guide,
		// "Managing capacity automatically with Amazon RDS storage autoscaling").
		floor := (d.AllocatedStorageGb*minAutoscalingHeadroomPercent + 99) / 100
		if d.MaxAllocatedStorageGb < floor || d.MaxAllocatedStorageGb > lim.maxGb {
			p.Addf("maxAllocatedStorageGb", "must be between %d (allocatedStorageGb + 10%%) and %d, got %d",
				floor, lim.maxGb, d.MaxAllocatedStorageGb)
			return
		}
	}

	iops := d.Iops
	switch {
	case iops < 0:
		p.Addf("iops", "must be 0 (the storage type's baseline) or a positive number of IOPS, got %d", iops)
		return
	case iops == 0 && d.StorageType != StorageGP3:
		p.Addf("iops", "must be set for %s storage (%d to %d IOPS), got 0", d.StorageType, lim.minIops, lim.maxIops)
		return
	case iops == 0:
		// gp3 baseline on an instance: nothing to check.
		return
	}

	if d.StorageType == StorageGP3 && d.AllocatedStorageGb < lim.stripeGb {
		if cluster {
			p.Addf("allocatedStorageGb", "must be at least %d GiB for gp3 storage in a Multi-AZ DB cluster, which needs provisioned IOPS (RDS provisions gp3 IOPS from %d GiB on), got %d",
				lim.stripeGb, lim.stripeGb, d.AllocatedStorageGb)
		} else {
			p.Addf("iops", "must be 0 for gp3 storage below %d GiB (3,000 IOPS baseline, not provisionable), got %d", lim.stripeGb, iops)
		}
		return
	}
	hi := lim.maxIops
	if d.AllocatedStorageGb < lim.stripeGb && lim.smallMaxIops > 0 {
		hi = lim.smallMaxIops
	}
	if iops < lim.minIops || iops > hi {
		p.Addf("iops", "must be between %d and %d for %s storage of %d GiB, got %d", lim.minIops, hi, d.StorageType, d.AllocatedStorageGb, iops)
		return
	}

	minRatio, maxRatio := lim.minRatio, lim.maxRatio
	if cluster {
		minRatio, maxRatio = clusterMinIopsRatio, clusterMaxIopsRatio
	}
	// The ratio holds against the allocated storage and, with autoscaling, against its ceiling
	// too (RDS User Guide, io1/io2/gp3: "the same ratios between IOPS and maximum storage
	// threshold (in GiB) also apply").
	for _, gb := range []int{d.AllocatedStorageGb, d.MaxAllocatedStorageGb} {
		if gb == 0 {
			continue
		}
		ratio := float64(iops) / float64(gb)
		if ratio < minRatio || ratio > maxRatio {
			p.Addf("iops", "must be between %s and %s IOPS per GiB of storage (%d GiB), got %d", trimFloat(minRatio), trimFloat(maxRatio), gb, iops)
			return
		}
	}
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
