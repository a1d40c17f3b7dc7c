package awslimits

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/novacron/platform/internal/validate"
)

// Arch is an instance type's processor architecture, as EC2 and EKS AMI types name it.
type Arch string

// The two architectures of the catalogue.
const (
	ArchX86 Arch = "x86_64"
	ArchARM Arch = "arm64"
)

// InstanceType is one EC2 instance type of the catalogue.
type InstanceType struct {
	// Name is the instance type ("m5.xlarge").
	Name string
	// Arch is the processor architecture.
	Arch Arch
	// VCPUs and MemoryMiB are the instance's vCPUs and memory.
	VCPUs     int
	MemoryMiB int
	// GPUs is the number of NVIDIA GPUs (0 for a type without GPU) and GPUModel their model
	// ("V100", "A10G", "L4").
	GPUs     int
	GPUModel string
	// Retired says why EC2 no longer launches the type; empty while it is offered.
	Retired string
}

// Family is the part of the name before the dot ("m5" for "m5.xlarge").
func (t InstanceType) Family() string { f, _, _ := strings.Cut(t.Name, "."); return f }

// Size is the part of the name after the dot ("xlarge").
func (t InstanceType) Size() string { _, s, _ := strings.Cut(t.Name, "."); return s }

// HasGPU reports whether the type carries NVIDIA GPUs.
func (t InstanceType) HasGPU() bool { return t.GPUs > 0 }

// retiredP3 is why P3 and P3dn are refused. AWS asked P3 users to move to newer G or P
// instances by 20 December 2025 (the retirement notice quoted in
// zalando-incubator/kubernetes-on-aws#8685); by May 2026 DescribeInstanceTypes no longer
// returned p3 types and they had left the EC2 "instance types by Region" lists
// (dstackai/gpuhunt#233), and Karpenter's reference, generated from DescribeInstanceTypes in
// us-east-1, us-east-2 and us-west-2, dropped them in its v1.13.0 release of 2026-06-10.
const retiredP3 = "retired by AWS: P3 instances are no longer offered (EC2 stopped describing them in 2026); " +
	"use a g5, g6 or g6e type (A10G, L4 or L40S GPUs)"

// catalogue lists the instance types of the families the platform can plausibly use: general
// purpose (t3, t3a, t4g, m5 to m7), compute (c5 to c7), memory (r5 to r7) and NVIDIA GPU
// (g4dn, g5, g5g, g6, g6e, gr6, p4d to p5en) families, with P3 and P3dn kept only to refuse them
// by name.
//
// Source: the instance-type reference Karpenter generates from EC2 DescribeInstanceTypes in
// us-east-1, us-east-2 and us-west-2 (aws/karpenter-provider-aws,
// website/content/en/preview/reference/instance-types.md at 692ccdd, release v1.14.0 of
// 2026-07-11): sizes, architecture, vCPUs, memory (MiB) and GPU count and model per type. P3 and
// P3dn are from the same file before fe623d5 (v1.13.0), the release that dropped them. The GPU
// counts agree with the EC2 "Accelerated computing" specifications (p3.2xlarge one V100,
// g5.xlarge one A10G, g6.xlarge one L4).
var catalogue = []InstanceType{
	// t3
	{Name: "t3.nano", Arch: ArchX86, VCPUs: 2, MemoryMiB: 512},
	{Name: "t3.micro", Arch: ArchX86, VCPUs: 2, MemoryMiB: 1024},
	{Name: "t3.small", Arch: ArchX86, VCPUs: 2, MemoryMiB: 2048},
	{Name: "t3.medium", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096},
	{Name: "t3.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192},
	{Name: "t3.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384},
	{Name: "t3.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768},
	// t3a
	{Name: "t3a.nano", Arch: ArchX86, VCPUs: 2, MemoryMiB: 512},
	{Name: "t3a.micro", Arch: ArchX86, VCPUs: 2, MemoryMiB: 1024},
	{Name: "t3a.small", Arch: ArchX86, VCPUs: 2, MemoryMiB: 2048},
	{Name: "t3a.medium", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096},
	{Name: "t3a.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192},
	{Name: "t3a.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384},
	{Name: "t3a.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768},
	// t4g
	{Name: "t4g.nano", Arch: ArchARM, VCPUs: 2, MemoryMiB: 512},
	{Name: "t4g.micro", Arch: ArchARM, VCPUs: 2, MemoryMiB: 1024},
	{Name: "t4g.small", Arch: ArchARM, VCPUs: 2, MemoryMiB: 2048},
	{Name: "t4g.medium", Arch: ArchARM, VCPUs: 2, MemoryMiB: 4096},
	{Name: "t4g.large", Arch: ArchARM, VCPUs: 2, MemoryMiB: 8192},
	{Name: "t4g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 16384},
	{Name: "t4g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 32768},
	// m5
	{Name: "m5.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192},
	{Name: "m5.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384},
	{Name: "m5.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768},
	{Name: "m5.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536},
	{Name: "m5.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072},
	{Name: "m5.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608},
	{Name: "m5.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144},
	{Name: "m5.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216},
	{Name: "m5.metal", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216},
	// m6i
	{Name: "m6i.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192},
	{Name: "m6i.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384},
	{Name: "m6i.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768},
	{Name: "m6i.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536},
	{Name: "m6i.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072},
	{Name: "m6i.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608},
	{Name: "m6i.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144},
	{Name: "m6i.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216},
	{Name: "m6i.32xlarge", Arch: ArchX86, VCPUs: 128, MemoryMiB: 524288},
	{Name: "m6i.metal", Arch: ArchX86, VCPUs: 128, MemoryMiB: 524288},
	// m6a
	{Name: "m6a.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192},
	{Name: "m6a.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384},
	{Name: "m6a.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768},
	{Name: "m6a.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536},
	{Name: "m6a.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072},
	{Name: "m6a.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608},
	{Name: "m6a.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144},
	{Name: "m6a.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216},
	{Name: "m6a.32xlarge", Arch: ArchX86, VCPUs: 128, MemoryMiB: 524288},
	{Name: "m6a.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432},
	{Name: "m6a.metal", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432},
	// m7i
	{Name: "m7i.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192},
	{Name: "m7i.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384},
	{Name: "m7i.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768},
	{Name: "m7i.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536},
	{Name: "m7i.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072},
	{Name: "m7i.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608},
	{Name: "m7i.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144},
	{Name: "m7i.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216},
	{Name: "m7i.metal-24xl", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216},
	{Name: "m7i.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432},
	{Name: "m7i.metal-48xl", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432},
	// m7a
	{Name: "m7a.medium", Arch: ArchX86, VCPUs: 1, MemoryMiB: 4096},
	{Name: "m7a.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192},
	{Name: "m7a.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384},
	{Name: "m7a.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768},
	{Name: "m7a.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536},
	{Name: "m7a.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072},
	{Name: "m7a.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608},
	{Name: "m7a.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144},
	{Name: "m7a.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216},
	{Name: "m7a.32xlarge", Arch: ArchX86, VCPUs: 128, MemoryMiB: 524288},
	{Name: "m7a.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432},
	{Name: "m7a.metal-48xl", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432},
	// m6g
	{Name: "m6g.medium", Arch: ArchARM, VCPUs: 1, MemoryMiB: 4096},
	{Name: "m6g.large", Arch: ArchARM, VCPUs: 2, MemoryMiB: 8192},
	{Name: "m6g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 16384},
	{Name: "m6g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 32768},
	{Name: "m6g.4xlarge", Arch: ArchARM, VCPUs: 16, MemoryMiB: 65536},
	{Name: "m6g.8xlarge", Arch: ArchARM, VCPUs: 32, MemoryMiB: 131072},
	{Name: "m6g.12xlarge", Arch: ArchARM, VCPUs: 48, MemoryMiB: 196608},
	{Name: "m6g.16xlarge", Arch: ArchARM, VCPUs: 64, MemoryMiB: 262144},
	{Name: "m6g.metal", Arch: ArchARM, VCPUs: 64, MemoryMiB: 262144},
	// m7g
	{Name: "m7g.medium", Arch: ArchARM, VCPUs: 1, MemoryMiB: 4096},
	{Name: "m7g.large", Arch: ArchARM, VCPUs: 2, MemoryMiB: 8192},
	{Name: "m7g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 16384},
	{Name: "m7g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 32768},
	{Name: "m7g.4xlarge", Arch: ArchARM, VCPUs: 16, MemoryMiB: 65536},
	{Name: "m7g.8xlarge", Arch: ArchARM, VCPUs: 32, MemoryMiB: 131072},
	{Name: "m7g.12xlarge", Arch: ArchARM, VCPUs: 48, MemoryMiB: 196608},
	{Name: "m7g.16xlarge", Arch: ArchARM, VCPUs: 64, MemoryMiB: 262144},
	{Name: "m7g.metal", Arch: ArchARM, VCPUs: 64, MemoryMiB: 262144},
	// c5
	{Name: "c5.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096},
	{Name: "c5.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 8192},
	{Name: "c5.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 16384},
	{Name: "c5.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 32768},
	{Name: "c5.9xlarge", Arch: ArchX86, VCPUs: 36, MemoryMiB: 73728},
	{Name: "c5.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 98304},
	{Name: "c5.18xlarge", Arch: ArchX86, VCPUs: 72, MemoryMiB: 147456},
	{Name: "c5.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 196608},
	{Name: "c5.metal", Arch: ArchX86, VCPUs: 96, MemoryMiB: 196608},
	// c6i
	{Name: "c6i.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096},
	{Name: "c6i.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 8192},
	{Name: "c6i.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 16384},
	{Name: "c6i.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 32768},
	{Name: "c6i.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 65536},
	{Name: "c6i.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 98304},
	{Name: "c6i.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 131072},
	{Name: "c6i.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 196608},
	{Name: "c6i.32xlarge", Arch: ArchX86, VCPUs: 128, MemoryMiB: 262144},
	{Name: "c6i.metal", Arch: ArchX86, VCPUs: 128, MemoryMiB: 262144},
	// c6a
	{Name: "c6a.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096},
	{Name: "c6a.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 8192},
	{Name: "c6a.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 16384},
	{Name: "c6a.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 32768},
	{Name: "c6a.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 65536},
	{Name: "c6a.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 98304},
	{Name: "c6a.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 131072},
	{Name: "c6a.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 196608},
	{Name: "c6a.32xlarge", Arch: ArchX86, VCPUs: 128, MemoryMiB: 262144},
	{Name: "c6a.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 393216},
	{Name: "c6a.metal", Arch: ArchX86, VCPUs: 192, MemoryMiB: 393216},
	// c7i
	{Name: "c7i.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096},
	{Name: "c7i.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 8192},
	{Name: "c7i.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 16384},
	{Name: "c7i.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 32768},
	{Name: "c7i.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 65536},
	{Name: "c7i.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 98304},
	{Name: "c7i.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 131072},
	{Name: "c7i.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 196608},
	{Name: "c7i.metal-24xl", Arch: ArchX86, VCPUs: 96, MemoryMiB: 196608},
	{Name: "c7i.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 393216},
	{Name: "c7i.metal-48xl", Arch: ArchX86, VCPUs: 192, MemoryMiB: 393216},
	// c6g
	{Name: "c6g.medium", Arch: ArchARM, VCPUs: 1, MemoryMiB: 2048},
	{Name: "c6g.large", Arch: ArchARM, VCPUs: 2, MemoryMiB: 4096},
	{Name: "c6g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 8192},
	{Name: "c6g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 16384},
	{Name: "c6g.4xlarge", Arch: ArchARM, VCPUs: 16, MemoryMiB: 32768},
	{Name: "c6g.8xlarge", Arch: ArchARM, VCPUs: 32, MemoryMiB: 65536},
	{Name: "c6g.12xlarge", Arch: ArchARM, VCPUs: 48, MemoryMiB: 98304},
	{Name: "c6g.16xlarge", Arch: ArchARM, VCPUs: 64, MemoryMiB: 131072},
	{Name: "c6g.metal", Arch: ArchARM, VCPUs: 64, MemoryMiB: 131072},
	// c7g
	{Name: "c7g.medium", Arch: ArchARM, VCPUs: 1, MemoryMiB: 2048},
	{Name: "c7g.large", Arch: ArchARM, VCPUs: 2, MemoryMiB: 4096},
	{Name: "c7g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 8192},
	{Name: "c7g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 16384},
	{Name: "c7g.4xlarge", Arch: ArchARM, VCPUs: 16, MemoryMiB: 32768},
	{Name: "c7g.8xlarge", Arch: ArchARM, VCPUs: 32, MemoryMiB: 65536},
	{Name: "c7g.12xlarge", Arch: ArchARM, VCPUs: 48, MemoryMiB: 98304},
	{Name: "c7g.16xlarge", Arch: ArchARM, VCPUs: 64, MemoryMiB: 131072},
	{Name: "c7g.metal", Arch: ArchARM, VCPUs: 64, MemoryMiB: 131072},
	// r5
	{Name: "r5.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 16384},
	{Name: "r5.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 32768},
	{Name: "r5.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 65536},
	{Name: "r5.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 131072},
	{Name: "r5.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 262144},
	{Name: "r5.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 393216},
	{Name: "r5.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 524288},
	{Name: "r5.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432},
	{Name: "r5.metal", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432},
	// r6i
	{Name: "r6i.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 16384},
	{Name: "r6i.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 32768},
	{Name: "r6i.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 65536},
	{Name: "r6i.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 131072},
	{Name: "r6i.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 262144},
	{Name: "r6i.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 393216},
	{Name: "r6i.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 524288},
	{Name: "r6i.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432},
	{Name: "r6i.32xlarge", Arch: ArchX86, VCPUs: 128, MemoryMiB: 1048576},
	{Name: "r6i.metal", Arch: ArchX86, VCPUs: 128, MemoryMiB: 1048576},
	// r6a
	{Name: "r6a.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 16384},
	{Name: "r6a.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 32768},
	{Name: "r6a.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 65536},
	{Name: "r6a.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 131072},
	{Name: "r6a.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 262144},
	{Name: "r6a.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 393216},
	{Name: "r6a.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 524288},
	{Name: "r6a.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432},
	{Name: "r6a.32xlarge", Arch: ArchX86, VCPUs: 128, MemoryMiB: 1048576},
	{Name: "r6a.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 1572864},
	{Name: "r6a.metal", Arch: ArchX86, VCPUs: 192, MemoryMiB: 1572864},
	// r7i
	{Name: "r7i.large", Arch: ArchX86, VCPUs: 2, MemoryMiB: 16384},
	{Name: "r7i.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 32768},
	{Name: "r7i.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 65536},
	{Name: "r7i.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 131072},
	{Name: "r7i.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 262144},
	{Name: "r7i.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 393216},
	{Name: "r7i.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 524288},
	{Name: "r7i.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432},
	{Name: "r7i.metal-24xl", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432},
	{Name: "r7i.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 1572864},
	{Name: "r7i.metal-48xl", Arch: ArchX86, VCPUs: 192, MemoryMiB: 1572864},
	// r6g
	{Name: "r6g.medium", Arch: ArchARM, VCPUs: 1, MemoryMiB: 8192},
	{Name: "r6g.large", Arch: ArchARM, VCPUs: 2, MemoryMiB: 16384},
	{Name: "r6g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 32768},
	{Name: "r6g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 65536},
	{Name: "r6g.4xlarge", Arch: ArchARM, VCPUs: 16, MemoryMiB: 131072},
	{Name: "r6g.8xlarge", Arch: ArchARM, VCPUs: 32, MemoryMiB: 262144},
	{Name: "r6g.12xlarge", Arch: ArchARM, VCPUs: 48, MemoryMiB: 393216},
	{Name: "r6g.16xlarge", Arch: ArchARM, VCPUs: 64, MemoryMiB: 524288},
	{Name: "r6g.metal", Arch: ArchARM, VCPUs: 64, MemoryMiB: 524288},
	// r7g
	{Name: "r7g.medium", Arch: ArchARM, VCPUs: 1, MemoryMiB: 8192},
	{Name: "r7g.large", Arch: ArchARM, VCPUs: 2, MemoryMiB: 16384},
	{Name: "r7g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 32768},
	{Name: "r7g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 65536},
	{Name: "r7g.4xlarge", Arch: ArchARM, VCPUs: 16, MemoryMiB: 131072},
	{Name: "r7g.8xlarge", Arch: ArchARM, VCPUs: 32, MemoryMiB: 262144},
	{Name: "r7g.12xlarge", Arch: ArchARM, VCPUs: 48, MemoryMiB: 393216},
	{Name: "r7g.16xlarge", Arch: ArchARM, VCPUs: 64, MemoryMiB: 524288},
	{Name: "r7g.metal", Arch: ArchARM, VCPUs: 64, MemoryMiB: 524288},
	// g4dn
	{Name: "g4dn.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384, GPUs: 1, GPUModel: "T4"},
	{Name: "g4dn.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768, GPUs: 1, GPUModel: "T4"},
	{Name: "g4dn.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536, GPUs: 1, GPUModel: "T4"},
	{Name: "g4dn.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072, GPUs: 1, GPUModel: "T4"},
	{Name: "g4dn.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608, GPUs: 4, GPUModel: "T4"},
	{Name: "g4dn.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144, GPUs: 1, GPUModel: "T4"},
	{Name: "g4dn.metal", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216, GPUs: 8, GPUModel: "T4"},
	// g5
	{Name: "g5.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384, GPUs: 1, GPUModel: "A10G"},
	{Name: "g5.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768, GPUs: 1, GPUModel: "A10G"},
	{Name: "g5.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536, GPUs: 1, GPUModel: "A10G"},
	{Name: "g5.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072, GPUs: 1, GPUModel: "A10G"},
	{Name: "g5.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608, GPUs: 4, GPUModel: "A10G"},
	{Name: "g5.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144, GPUs: 1, GPUModel: "A10G"},
	{Name: "g5.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216, GPUs: 4, GPUModel: "A10G"},
	{Name: "g5.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432, GPUs: 8, GPUModel: "A10G"},
	// g5g
	{Name: "g5g.xlarge", Arch: ArchARM, VCPUs: 4, MemoryMiB: 8192, GPUs: 1, GPUModel: "T4G"},
	{Name: "g5g.2xlarge", Arch: ArchARM, VCPUs: 8, MemoryMiB: 16384, GPUs: 1, GPUModel: "T4G"},
	{Name: "g5g.4xlarge", Arch: ArchARM, VCPUs: 16, MemoryMiB: 32768, GPUs: 1, GPUModel: "T4G"},
	{Name: "g5g.8xlarge", Arch: ArchARM, VCPUs: 32, MemoryMiB: 65536, GPUs: 1, GPUModel: "T4G"},
	{Name: "g5g.16xlarge", Arch: ArchARM, VCPUs: 64, MemoryMiB: 131072, GPUs: 2, GPUModel: "T4G"},
	{Name: "g5g.metal", Arch: ArchARM, VCPUs: 64, MemoryMiB: 131072, GPUs: 2, GPUModel: "T4G"},
	// g6
	{Name: "g6.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384, GPUs: 1, GPUModel: "L4"},
	{Name: "g6.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768, GPUs: 1, GPUModel: "L4"},
	{Name: "g6.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 65536, GPUs: 1, GPUModel: "L4"},
	{Name: "g6.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 131072, GPUs: 1, GPUModel: "L4"},
	{Name: "g6.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608, GPUs: 4, GPUModel: "L4"},
	{Name: "g6.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144, GPUs: 1, GPUModel: "L4"},
	{Name: "g6.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 393216, GPUs: 4, GPUModel: "L4"},
	{Name: "g6.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 786432, GPUs: 8, GPUModel: "L4"},
	// g6e
	{Name: "g6e.xlarge", Arch: ArchX86, VCPUs: 4, MemoryMiB: 32768, GPUs: 1, GPUModel: "L40S"},
	{Name: "g6e.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 65536, GPUs: 1, GPUModel: "L40S"},
	{Name: "g6e.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 131072, GPUs: 1, GPUModel: "L40S"},
	{Name: "g6e.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 262144, GPUs: 1, GPUModel: "L40S"},
	{Name: "g6e.12xlarge", Arch: ArchX86, VCPUs: 48, MemoryMiB: 393216, GPUs: 4, GPUModel: "L40S"},
	{Name: "g6e.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 524288, GPUs: 1, GPUModel: "L40S"},
	{Name: "g6e.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432, GPUs: 4, GPUModel: "L40S"},
	{Name: "g6e.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 1572864, GPUs: 8, GPUModel: "L40S"},
	// gr6
	{Name: "gr6.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 131072, GPUs: 1, GPUModel: "L4"},
	{Name: "gr6.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 262144, GPUs: 1, GPUModel: "L4"},
	// p4d
	{Name: "p4d.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 1179648, GPUs: 8, GPUModel: "A100"},
	// p4de
	{Name: "p4de.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 1179648, GPUs: 8, GPUModel: "A100"},
	// p5
	{Name: "p5.4xlarge", Arch: ArchX86, VCPUs: 16, MemoryMiB: 262144, GPUs: 1, GPUModel: "H100"},
	{Name: "p5.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 2097152, GPUs: 8, GPUModel: "H100"},
	// p5e
	{Name: "p5e.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 2097152, GPUs: 8, GPUModel: "H200"},
	// p5en
	{Name: "p5en.48xlarge", Arch: ArchX86, VCPUs: 192, MemoryMiB: 2097152, GPUs: 8, GPUModel: "H200"},
	// p3 (retired)
	{Name: "p3.2xlarge", Arch: ArchX86, VCPUs: 8, MemoryMiB: 62464, GPUs: 1, GPUModel: "V100", Retired: retiredP3},
	{Name: "p3.8xlarge", Arch: ArchX86, VCPUs: 32, MemoryMiB: 249856, GPUs: 4, GPUModel: "V100", Retired: retiredP3},
	{Name: "p3.16xlarge", Arch: ArchX86, VCPUs: 64, MemoryMiB: 499712, GPUs: 8, GPUModel: "V100", Retired: retiredP3},
	// p3dn (retired)
	{Name: "p3dn.24xlarge", Arch: ArchX86, VCPUs: 96, MemoryMiB: 786432, GPUs: 8, GPUModel: "V100", Retired: retiredP3},
}

var byName = func() map[string]InstanceType {
	m := make(map[string]InstanceType, len(catalogue))
	for _, t := range catalogue {
		m[t.Name] = t
	}
	return m
}()

// InstanceTypes returns the catalogue, sorted by name.
func InstanceTypes() []InstanceType {
	out := slices.Clone(catalogue)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupInstanceType returns the catalogued type of this name, retired or not.
func LookupInstanceType(name string) (InstanceType, bool) {
	t, ok := byName[name]
	return t, ok
}

// Families lists the catalogued families, sorted.
func Families() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range catalogue {
		if f := t.Family(); !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// CheckInstanceType records a problem unless name is a catalogued type that EC2 still offers,
// and returns the catalogued type when there is one (retired types included, so that callers
// do not report a second, derived problem). A misspelt name gets the nearest catalogued type.
func CheckInstanceType(p *validate.Problems, field, name string) (InstanceType, bool) {
	t, ok := byName[name]
	switch {
	case ok && t.Retired != "":
		p.Addf(field, "%q is %s", name, t.Retired)
		return t, true
	case ok:
		return t, true
	}
	if hint := SuggestInstanceType(name); hint != "" {
		note := ""
		if byName[hint].Retired != "" {
			note = ", which is " + byName[hint].Retired
		}
		p.Addf(field, "must be an EC2 instance type, got %q (did you mean %q%s?)", name, hint, note)
		return InstanceType{}, false
	}
	family, _, _ := strings.Cut(name, ".")
	if sizes := familySizes(family); len(sizes) > 0 {
		p.Addf(field, "must be an EC2 instance type, got %q (%s sizes: %s)", name, family, strings.Join(sizes, ", "))
		return InstanceType{}, false
	}
	p.Addf(field, "must be an EC2 instance type of a catalogued family (%s; internal/awslimits), got %q", familySummary, name)
	return InstanceType{}, false
}

// familySummary names the catalogued families in a line (TestFamilySummary keeps it true).
const familySummary = "general purpose t3, t3a, t4g, m5 to m7; compute c5 to c7; memory r5 to r7; " +
	"NVIDIA GPU g4dn, g5, g5g, g6, g6e, gr6, p4d to p5en"

func familySizes(family string) []string {
	var out []string
	for _, t := range catalogue {
		if t.Family() == family {
			out = append(out, t.Size())
		}
	}
	return out
}

// SuggestInstanceType returns the catalogued type nearest to name, or "" when nothing is close
// enough to be what was meant: the name with "xl" spelt out ("p3.2xl"), a type the name begins
// ("m5.2x"), or the nearest type within two edits, or a quarter of a long name ("m5.xlage").
func SuggestInstanceType(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if _, ok := byName[name]; ok {
		return name
	}
	if strings.HasSuffix(name, "xl") {
		if _, ok := byName[name+"arge"]; ok {
			return name + "arge"
		}
	}
	if strings.Contains(name, ".") {
		for _, t := range catalogue {
			if strings.HasPrefix(t.Name, name) {
				return t.Name
			}
		}
	}
	best, bestDist := "", -1
	for _, t := range catalogue {
		d := editDistance(name, t.Name)
		if bestDist < 0 || d < bestDist || (d == bestDist && t.Name < best) {
			best, bestDist = t.Name, d
		}
	}
	if limit := max(2, len(name)/4); bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes; instance type names are
// ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// String renders the type for messages ("g5.xlarge (1 A10G)").
func (t InstanceType) String() string {
	if t.GPUs == 0 {
		return t.Name
	}
	return fmt.Sprintf("%s (%d %s)", t.Name, t.GPUs, t.GPUModel)
}
