package main

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// amiReleasePattern is an EKS-optimized AMI release as managed node groups name it
// (releaseVersion) and as SSM publishes it under
// /aws/service/eks/optimized-ami/<minor>/amazon-linux-2023/x86_64/standard/recommended/release_version:
// the Kubernetes patch version, a dash and the build date, e.g. 1.35.3-20261120 (EKS User Guide,
// "Retrieve recommended Amazon Linux AMI IDs"; Systems Manager User Guide, "Calling the EKS
// optimized AMI public parameter in Parameter Store").
var amiReleasePattern = regexp.MustCompile(`^(1)\.(\d{1,3})\.(\d{1,3})-(\d{8})$`)

// AMIRelease is one parsed EKS-optimized AMI release.
type AMIRelease struct {
	Raw   string
	Minor string // Kubernetes minor, "1.35"
	Patch int
	Date  time.Time
}

// ParseAMIRelease parses "<kubernetes patch>-<YYYYMMDD>".
func ParseAMIRelease(s string) (AMIRelease, error) {
	m := amiReleasePattern.FindStringSubmatch(s)
	if m == nil {
		return AMIRelease{}, fmt.Errorf("%q is not an AMI release <kubernetes version>-<YYYYMMDD> such as 1.35.3-20261120", s)
	}
	date, err := time.Parse("20060102", m[4])
	if err != nil {
		return AMIRelease{}, fmt.Errorf("%q has no valid build date: %w", s, err)
	}
	patch, _ := strconv.Atoi(m[3]) // the pattern admits digits only
	minor, _ := strconv.Atoi(m[2])
	return AMIRelease{Raw: s, Minor: fmt.Sprintf("%s.%d", m[1], minor), Patch: patch, Date: date}, nil
}

// NewerThan orders releases by build date, then by Kubernetes patch: a rebuild of the same
// patch carries the fixes, and a new patch on the same day is the later build.
func (r AMIRelease) NewerThan(o AMIRelease) bool {
	if !r.Date.Equal(o.Date) {
		return r.Date.After(o.Date)
	}
	return r.Patch > o.Patch
}

// KarpenterAlias is the EC2NodeClass amiSelectorTerms alias that pins this release
// (Karpenter docs, "Managing AMIs": alias al2023@v<YYYYMMDD>).
func (r AMIRelease) KarpenterAlias() string {
	return "al2023@v" + r.Date.Format("20060102")
}

// addonVersionPattern is an EKS add-on version: the upstream version and the EKS build,
// v1.14.3-eksbuild.3 (EKS User Guide, "Verify Amazon EKS add-on version compatibility with a
// cluster").
var addonVersionPattern = regexp.MustCompile(`^v(\d{1,4})\.(\d{1,4})\.(\d{1,4})-eksbuild\.(\d{1,4})$`)

// AddonVersion is one parsed EKS add-on version.
type AddonVersion struct {
	Raw                        string
	Major, Minor, Patch, Build int
}

// ParseAddonVersion parses "v<major>.<minor>.<patch>-eksbuild.<n>".
func ParseAddonVersion(s string) (AddonVersion, error) {
	m := addonVersionPattern.FindStringSubmatch(s)
	if m == nil {
		return AddonVersion{}, fmt.Errorf("%q is not an EKS add-on version v<major>.<minor>.<patch>-eksbuild.<n> such as v1.14.3-eksbuild.3", s)
	}
	n := make([]int, 4)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1]) // the pattern admits digits only
	}
	return AddonVersion{Raw: s, Major: n[0], Minor: n[1], Patch: n[2], Build: n[3]}, nil
}

// Compare returns -1, 0 or 1 as v is older than, equal to or newer than o.
func (v AddonVersion) Compare(o AddonVersion) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}, {v.Build, o.Build}} {
		switch {
		case d[0] < d[1]:
			return -1
		case d[0] > d[1]:
			return 1
		}
	}
	return 0
}

// kubernetesMinorPattern is a kubernetesVersion value.
var kubernetesMinorPattern = regexp.MustCompile(`^1\.\d{1,3}$`)

// addonNames are the add-ons eksAddonVersions may pin, in the order the stack file lists them.
var addonNames = []string{"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "eks-pod-identity-agent", "metrics-server"}
