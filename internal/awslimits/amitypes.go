package awslimits

import (
	"slices"
	"strconv"
	"strings"

	"github.com/novacron/platform/internal/validate"
)

// AMITypes is the amiType enum of the EKS CreateNodegroup API (Amazon EKS API Reference,
// Nodegroup amiType, as generated into the AWS SDKs' AMITypes of 2026). EKS refuses any other
// value.
var AMITypes = []string{
	"AL2_x86_64", "AL2_x86_64_GPU", "AL2_ARM_64", "CUSTOM",
	"BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64",
	"BOTTLEROCKET_ARM_64_FIPS", "BOTTLEROCKET_x86_64_FIPS",
	"BOTTLEROCKET_ARM_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA",
	"BOTTLEROCKET_ARM_64_NVIDIA_FIPS", "BOTTLEROCKET_x86_64_NVIDIA_FIPS",
	"WINDOWS_CORE_2019_x86_64", "WINDOWS_FULL_2019_x86_64",
	"WINDOWS_CORE_2022_x86_64", "WINDOWS_FULL_2022_x86_64",
	"WINDOWS_CORE_2025_x86_64", "WINDOWS_FULL_2025_x86_64",
	"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NEURON",
	"AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA",
}

// SupportedAMITypes are the AMI types this program's node groups can use: Amazon Linux 2023,
// whose root volume is /dev/xvda, the device the node launch template encrypts and sizes.
// Bottlerocket keeps its data on a second volume and Windows needs its own bootstrap; CUSTOM
// needs an AMI id in the launch template.
var SupportedAMITypes = []string{
	"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD",
	"AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA",
}

// lastAL2Minor is the last Kubernetes minor with an EKS-optimized Amazon Linux 2 AMI: "AWS is
// not releasing an EKS-optimized Amazon Linux 2 AMI for Kubernetes 1.33" (Amazon EKS User
// Guide, Kubernetes 1.33 release notes), and the AL2 AMIs reached end of support on
// 26 November 2025 (awslabs/amazon-eks-ami#2545).
const lastAL2Minor = 32

// amiArch is the architecture an AMI type is built for.
func amiArch(amiType string) Arch {
	if strings.Contains(amiType, "ARM_64") {
		return ArchARM
	}
	return ArchX86
}

// isNvidiaAMI reports whether the AMI type carries the NVIDIA driver and container toolkit.
func isNvidiaAMI(amiType string) bool {
	return strings.Contains(amiType, "NVIDIA") || amiType == "AL2_x86_64_GPU"
}

// kubernetesMinor returns the minor of a "1.NN" version, or -1.
func kubernetesMinor(version string) int {
	major, minor, ok := strings.Cut(version, ".")
	if !ok || major != "1" {
		return -1
	}
	n, err := strconv.Atoi(minor)
	if err != nil {
		return -1
	}
	return n
}

// CheckAMIType records a problem unless amiType is one EKS accepts for kubernetesVersion
// ("1.35") and this program supports; it reports whether the type is usable.
func CheckAMIType(p *validate.Problems, field, amiType, kubernetesVersion string) bool {
	switch {
	case !slices.Contains(AMITypes, amiType):
		p.Addf(field, "must be an EKS AMI type such as AL2023_x86_64_STANDARD (one of %v), got %q", SupportedAMITypes, amiType)
	case strings.HasPrefix(amiType, "AL2_") && kubernetesMinor(kubernetesVersion) > lastAL2Minor:
		p.Addf(field, "must be an Amazon Linux 2023 type (one of %v): EKS publishes no Amazon Linux 2 AMI for Kubernetes 1.%d and later, got %q",
			SupportedAMITypes, lastAL2Minor+1, amiType)
	case !slices.Contains(SupportedAMITypes, amiType):
		p.Addf(field, "must be one of %v: the node launch template is built for Amazon Linux 2023, got %q", SupportedAMITypes, amiType)
	default:
		return true
	}
	return false
}

// CheckNodeGroupImage records a problem when an instance type cannot run the AMI type, or when
// the group's GPU intent and its instance type disagree:
//   - EKS launches a node group only with instance types of the AMI's architecture;
//   - a group meant for GPUs needs an NVIDIA GPU type and an NVIDIA AMI (the driver and the
//     container toolkit are only on the NVIDIA variants), arm64 NVIDIA only on Graviton GPU
//     types (g5g);
//   - a group not meant for GPUs must not run a GPU type: with a standard AMI the GPU has no
//     driver, and without the device plugin nothing could request it anyway;
//   - the NVIDIA AMI on a type without an NVIDIA GPU is a mistake for the same reason.
//
// The types must already have passed CheckInstanceType and the AMI type CheckAMIType.
func CheckNodeGroupImage(p *validate.Problems, typeField, amiField string, types []InstanceType, amiType string, gpu bool) {
	for _, t := range types {
		if t.Arch != amiArch(amiType) {
			p.Addf(amiField, "must match the %s architecture of %s, got %q (an %s AMI type)", t.Arch, t.Name, amiType, amiArch(amiType))
			return
		}
	}
	for _, t := range types {
		switch {
		case gpu && !t.HasGPU():
			p.Addf(typeField, "must be an NVIDIA GPU instance type for a GPU group (g4dn, g5, g5g, g6, g6e, gr6, p4d, p5...), got %q", t.Name)
		case !gpu && t.HasGPU():
			p.Addf(typeField, "must not be a GPU instance type in a group without GPU support: "+
				"%s would run without a driver or device plugin, got %q", t, t.Name)
		}
	}
	switch {
	case gpu && !isNvidiaAMI(amiType):
		p.Addf(amiField, "must be an NVIDIA AMI type (AL2023_x86_64_NVIDIA, or AL2023_ARM_64_NVIDIA for g5g) for a GPU group: "+
			"only those carry the NVIDIA driver, got %q", amiType)
	case !gpu && isNvidiaAMI(amiType):
		p.Addf(amiField, "must be a standard AMI type for a group without GPUs, got %q", amiType)
	}
}
