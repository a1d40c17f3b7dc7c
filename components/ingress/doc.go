// Package ingress is the ingress component (novacron:ingress:LoadBalancerController).
//
// It serves the plan's "ALB" line with the AWS Load Balancer Controller (the community
// ingress-nginx controller was retired in March 2026, DESIGN.md §7). It creates:
//
//   - an IAM role that only EKS Pod Identity can assume (internal/podidentity), and only for
//     sessions tagged with this cluster, kube-system and aws-load-balancer-controller, and an
//     aws:eks PodIdentityAssociation binding it to that service account. Pod Identity replaced
//     IRSA here: the trust policy no longer names the cluster's OIDC issuer, so it survives a
//     cluster replacement, and the chart needs no role annotation;
//   - a customer managed policy, iam_policy.json, attached to that role. The document is ours,
//     written from the actions the controller calls; mutations are scoped by the controller's
//     elbv2.k8s.aws/cluster tag or by resource ARN wherever AWS allows it, and the few
//     exceptions are listed and justified in the tests;
//   - a helm/v3 Release of the eks-charts aws-load-balancer-controller chart, pinned by
//     ChartVersion, in kube-system, with clusterName, region and vpcId set (so the controller
//     never needs the instance metadata service, which the nodes' hop limit of 1 hides from
//     pods), 2 replicas, a PodDisruptionBudget and the service account the association names,
//     without annotations. The chart's Service mutator webhook is
//     turned off (enableServiceMutatorWebhook: false): with failurePolicy Fail it rejects every
//     Service created while the controller's pods start, and the platform uses Ingresses, not
//     type LoadBalancer Services. The release waits for the policy attachment and the
//     association: the Pod Identity webhook only gives credentials to pods created after the
//     association exists.
//   - optionally (CertificateDomain set), a public ACM certificate validated by DNS records in
//     a Route53 hosted zone; CertificateArn resolves once validation succeeded. Each record's
//     name, type and value are those ACM returns for its domain name (domainValidationOptions,
//     matched by name, not by position), and a record may overwrite one that exists already:
//     certificates for the same name share it. Without a domain none of these exist and
//     CertificateArn is "".
//
// The AWS and Kubernetes providers come from the caller through pulumi.Providers and reach the
// children through pulumi.Parent. The Helm values contain no secret.
package ingress
