package stacks

import (
	"github.com/novacron/platform/internal/mock/mocktest"
	"testing"

	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/components/monitoring"
)

const releaseType = "kubernetes:helm.sh/v3:Release"

func TestMonitoringHasThePlansValues(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			kps := mocktest.Find(t, eng, releaseType, "monitoring-kube-prometheus-stack")
			assert.Equal(t, "88.5.3", mocktest.Str(t, kps, "version"))
			spec := "values.prometheus.prometheusSpec."
			assert.Equal(t, "30d", mocktest.Str(t, kps, spec+"retention"))
			claim := spec + "storageSpec.volumeClaimTemplate.spec."
			assert.Equal(t, "500Gi", mocktest.Str(t, kps, claim+"resources.requests.storage"))
			assert.Equal(t, "fast-ssd", mocktest.Str(t, kps, claim+"storageClassName"))
			assert.Equal(t, []string{"ReadWriteOnce"}, mocktest.Strs(t, kps, claim+"accessModes"))
			assert.Equal(t, "100Gi", mocktest.Str(t, kps, "values.grafana.persistence.size"))
			assert.True(t, mocktest.Bool(t, kps, "values.grafana.persistence.enabled"))

			// Helm releases wait for the system nodes; Karpenter's own charts run there and
			// need nothing else, every other release also waits for the storage class and for
			// the pools, so its pods can get a node as soon as they are pending.
			sc := mocktest.Find(t, eng, "kubernetes:storage.k8s.io/v1:StorageClass", "cluster-fast-ssd")
			system := mocktest.Find(t, eng, nodeGroupType, "cluster-system")
			general := mocktest.Find(t, eng, "kubernetes:karpenter.sh/v1:NodePool", "cluster-karpenter-nodepool-general")
			for _, r := range eng.ByType(releaseType) {
				assert.True(t, waitsFor(eng, r, system.URN), "%s waits for the system node group", r.Name)
				switch r.Name {
				case "cluster-karpenter-crd", "cluster-karpenter":
					assert.False(t, waitsFor(eng, r, general.URN), "%s comes before the pools it serves", r.Name)
				case "cluster-ml-nvidia-device-plugin":
					assert.True(t, waitsFor(eng, r, general.URN), "the device plugin waits for the pools")
				default:
					assert.True(t, waitsFor(eng, r, sc.URN), "%s waits for the storage class", r.Name)
					assert.True(t, waitsFor(eng, r, general.URN), "%s waits for the general pool", r.Name)
				}
			}

			// The Alertmanager configuration is a secret; decrypted, it routes by severity.
			amSecret := mocktest.Find(t, eng, "kubernetes:core/v1:Secret", "monitoring-alertmanager-config")
			data := amSecret.Inputs["stringData"]
			require.True(t, data.IsSecret(), "the Alertmanager configuration is stored as a secret")
			var doc string
			for _, v := range data.SecretValue().Element.ObjectValue() {
				doc = v.StringValue()
			}
			cfg, err := amconfig.Load(doc)
			require.NoError(t, err)
			route := dispatch.NewRoute(cfg.Route, nil)
			receiver := func(severity string) string {
				matches := route.Match(model.LabelSet{"alertname": "X", "severity": model.LabelValue(severity)})
				require.Len(t, matches, 1)
				return matches[0].RouteOpts.Receiver
			}
			assert.Equal(t, monitoring.ReceiverPagerDuty, receiver("critical"))
			assert.Equal(t, monitoring.ReceiverSlack, receiver("warning"))
			assert.Equal(t, monitoring.ReceiverWebhook, receiver("info"))
			assert.Contains(t, doc, testSecrets["pagerdutyRoutingKey"], "the routing key reaches PagerDuty's receiver")
		})
	}
}

// plainStrings walks an input value and calls visit for every string that is not inside a
// secret.
func plainStrings(v resource.PropertyValue, visit func(string)) {
	switch {
	case v.IsSecret():
		return
	case v.IsString():
		visit(v.StringValue())
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			plainStrings(e, visit)
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			plainStrings(e, visit)
		}
	}
}

func TestSecretsNeverInPlainInputs(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			secretSeen := 0
			for _, r := range eng.Resources() {
				plainStrings(resource.NewObjectProperty(r.Inputs), func(s string) {
					for key, secret := range testSecrets {
						assert.NotContains(t, s, secret, "%s of %s %s is in plain text", key, r.Type, r.Name)
					}
				})
				for _, v := range r.Inputs {
					if v.IsSecret() {
						secretSeen++
					}
				}
			}
			assert.GreaterOrEqual(t, secretSeen, 2, "the Grafana and Alertmanager secrets are registered as secrets")
			for _, r := range eng.ByType(releaseType) {
				_, hasPassword := r.Input("values.grafana.adminPassword")
				assert.False(t, hasPassword, "%s: Grafana reads its password from a Secret", r.Name)
			}
		})
	}
}

func TestSecurityServices(t *testing.T) {
	eng := runStack(t, "production")
	falco := mocktest.Find(t, eng, releaseType, "falco-release")
	assert.Equal(t, "modern_ebpf", mocktest.Str(t, falco, "values.driver.kind"))
	tolerated := false
	v, _ := falco.Input("values.tolerations")
	for _, e := range v.ArrayValue() {
		if e.ObjectValue()["key"].StringValue() == "ml-workload" {
			tolerated = true
		}
	}
	assert.True(t, tolerated, "Falco runs on the tainted GPU nodes too")

	// Every application namespace is created and default-denied, with DNS allowed.
	policies := map[string]bool{}
	for _, p := range eng.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy") {
		policies[mocktest.Str(t, p, "metadata.namespace")+"/"+mocktest.Str(t, p, "metadata.name")] = true
	}
	for _, want := range []string{"novacron/deny-all-default", "novacron/allow-dns-egress", "novacron/allow-api-ingress",
		"novacron/allow-api-database-egress", "novacron/allow-prometheus-scrape"} {
		assert.True(t, policies[want], "%s exists", want)
	}
	egress := mocktest.Find(t, eng, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policies-novacron-allow-api-database-egress")
	rules, _ := egress.Input("spec.egress")
	var cidrs []string
	for _, rule := range rules.ArrayValue() {
		for _, peer := range rule.ObjectValue()["to"].ArrayValue() {
			cidrs = append(cidrs, peer.ObjectValue()["ipBlock"].ObjectValue()["cidr"].StringValue())
		}
	}
	assert.Equal(t, []string{"10.0.224.0/24", "10.0.225.0/24", "10.0.226.0/24"}, cidrs,
		"the API reaches exactly the database subnets")

	lbc := mocktest.Find(t, eng, releaseType, "ingress-release")
	assert.Equal(t, "novacron-production", mocktest.Str(t, lbc, "values.clusterName"))
}

func TestDataServices(t *testing.T) {
	tests := []struct {
		stack            string
		dailyDays        float64
		monthlyDays      float64
		vaultLock, guard bool
	}{
		{"production", 35, 365, true, true},
		{"staging", 7, 92, false, false}, // 3 months, rounded up to whole days
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			eng := runStack(t, tt.stack)
			repos := eng.ByType("aws:ecr/repository:Repository")
			var names []string
			for _, r := range repos {
				names = append(names, mocktest.Str(t, r, "name"))
				assert.True(t, mocktest.Bool(t, r, "imageScanningConfiguration.scanOnPush"), r.Name)
				assert.Equal(t, "IMMUTABLE", mocktest.Str(t, r, "imageTagMutability"), r.Name)
				enc, _ := r.Input("encryptionConfigurations")
				require.Len(t, enc.ArrayValue(), 1, r.Name)
				assert.Equal(t, "KMS", enc.ArrayValue()[0].ObjectValue()["encryptionType"].StringValue(), r.Name)
				assert.Equal(t, tt.guard, r.Protect, r.Name)
			}
			prefix := "novacron/" + tt.stack + "/"
			assert.ElementsMatch(t, []string{prefix + "api", prefix + "web", prefix + "worker", prefix + "ml-service"}, names,
				"the stack in the name lets staging and production share an account")

			for _, name := range []string{"artifacts", "backups", "logs"} {
				require.NotNil(t, eng.Find("novacron:storage:Bucket", name), "bucket %s", name)
			}
			blocks := eng.ByType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
			assert.Len(t, blocks, 5, "the data buckets and the Loki and Tempo stores")
			for _, b := range blocks {
				for _, flag := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
					assert.True(t, mocktest.Bool(t, b, flag), "%s %s", b.Name, flag)
				}
			}

			days := map[string]float64{}
			plan := eng.ByType("aws:backup/plan:Plan")
			require.Len(t, plan, 1)
			rules, _ := plan[0].Input("rules")
			for _, rule := range rules.ArrayValue() {
				o := rule.ObjectValue()
				days[o["ruleName"].StringValue()] = o["lifecycle"].ObjectValue()["deleteAfter"].NumberValue()
			}
			assert.ElementsMatch(t, []float64{tt.dailyDays, tt.monthlyDays}, valuesOf(days))
			// The selection's scope is checked in TestBackupSelectionStaysInTheStack.
			require.Len(t, eng.ByType("aws:backup/selection:Selection"), 1)
			assert.Equal(t, tt.vaultLock, len(eng.ByType("aws:backup/vaultLockConfiguration:VaultLockConfiguration")) == 1)

			// The database (an instance, or a Multi-AZ DB cluster) carries the tag the backup
			// selection looks for.
			db := eng.Find(rdsType, "postgres")
			if db == nil {
				db = mocktest.Find(t, eng, "aws:rds/cluster:Cluster", "postgres")
			}
			assert.Equal(t, "true", mocktest.Str(t, db, "tags.backup"))
		})
	}
}

func valuesOf(m map[string]float64) []float64 {
	out := make([]float64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
