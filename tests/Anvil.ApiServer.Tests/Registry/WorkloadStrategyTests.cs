using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Registry.Apps;
using Anvil.ApiServer.Registry.Batch;
using static Anvil.ApiServer.Tests.Registry.StrategyHarness;

namespace Anvil.ApiServer.Tests.Registry;

public sealed class WorkloadStrategyTests
{
    const string DefaultedPodSpec = """
        {"containers":[{"image":"nginx","imagePullPolicy":"Always","name":"nginx","resources":{},
          "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
         "dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}
        """;

    // What `kubectl create deployment web --image=nginx` sends.
    const string CreateDeployment = """
        {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
         "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
                 "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},
                 "strategy":{}},"status":{}}
        """;

    [Fact]
    public void KubectlCreateDeploymentIsDefaultedLikeARealCluster()
    {
        var (obj, errors) = Create(DeploymentStrategy.Instance, CreateDeployment);
        Assert.Empty(errors);
        AssertJsonEqual($$$"""
            {"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"web"}},
             "strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},
             "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{{{DefaultedPodSpec}}}}}
            """, obj["spec"]);
        AssertJsonEqual("{}", obj["status"]);
        Assert.Equal(1, (int)obj["metadata"]!["generation"]!);
    }

    [Theory]
    [InlineData("""{"replicas":-1}""", "spec.replicas: Invalid value: -1: must be greater than or equal to 0")]
    [InlineData("""{"selector":null}""", "spec.selector: Required value")]
    [InlineData("""{"selector":{"matchLabels":{"app":"other"}}}""", "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`")]
    [InlineData("""{"selector":{}}""", "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment")]
    [InlineData("""{"strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}}}""", "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'")]
    [InlineData("""{"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":0}}}""", "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0")]
    [InlineData("""{"strategy":{"rollingUpdate":{"maxUnavailable":"50"}}}""", "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"50\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")]
    [InlineData("""{"strategy":{"rollingUpdate":{"maxUnavailable":"150%"}}}""", "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%")]
    [InlineData("""{"progressDeadlineSeconds":5,"minReadySeconds":10}""", "spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds")]
    [InlineData("""{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"restartPolicy":"Never","containers":[{"name":"nginx","image":"nginx"}]}}}""", "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"")]
    [InlineData("""{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[]}}}""", "spec.template.spec.containers: Required value")]
    public void InvalidDeployments(string specPatch, string expected)
    {
        var obj = JsonNode.Parse(CreateDeployment)!.AsObject();
        foreach (var (k, v) in JsonNode.Parse(specPatch)!.AsObject()) obj["spec"]![k] = v?.DeepClone();
        Assert.Contains(expected, Errors(DeploymentStrategy.Instance, obj.ToJsonString()));
    }

    [Fact]
    public void DeploymentSelectorIsImmutableAndGenerationTracksSpec()
    {
        var (old, _) = Create(DeploymentStrategy.Instance, CreateDeployment);
        var scaled = old.DeepClone().AsObject();
        scaled["spec"]!["replicas"] = 3;
        var (obj, errors) = Update(DeploymentStrategy.Instance, old, scaled.ToJsonString());
        Assert.Empty(errors);
        Assert.Equal(2, (int)obj["metadata"]!["generation"]!);

        var labelled = old.DeepClone().AsObject();
        labelled["metadata"]!["labels"]!["x"] = "y";
        Assert.Equal(1, (int)Update(DeploymentStrategy.Instance, old, labelled.ToJsonString()).Obj["metadata"]!["generation"]!);
        var annotated = old.DeepClone().AsObject();
        annotated["metadata"]!["annotations"] = new JsonObject { ["a"] = "b" };
        Assert.Equal(2, (int)Update(DeploymentStrategy.Instance, old, annotated.ToJsonString()).Obj["metadata"]!["generation"]!);

        var moved = old.DeepClone().AsObject();
        moved["spec"]!["selector"] = JsonNode.Parse("""{"matchLabels":{"app":"web","v":"2"}}""");
        moved["spec"]!["template"]!["metadata"]!["labels"]!["v"] = "2";
        Assert.Contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"v\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
            Update(DeploymentStrategy.Instance, old, moved.ToJsonString()).Errors);
    }

    [Fact]
    public void DeploymentStatusUpdateKeepsSpecAndLabels()
    {
        var (old, _) = Create(DeploymentStrategy.Instance, CreateDeployment);
        var status = BuiltinStrategies.StatusFor(new("apps", "v1", "Deployment"))!;
        var update = old.DeepClone().AsObject();
        update["spec"]!["replicas"] = 9;
        update["metadata"]!["labels"]!["x"] = "y";
        update["status"] = JsonNode.Parse("""{"replicas":1,"readyReplicas":1,"availableReplicas":1}""");
        status.PrepareForUpdate(update, old);
        Assert.Empty(status.ValidateUpdate(update, old));
        Assert.Equal(1, (int)update["spec"]!["replicas"]!);
        Assert.Null(update["metadata"]!["labels"]!["x"]);
        Assert.Equal(1, (int)update["status"]!["readyReplicas"]!);
        Assert.Equal(1, (int)update["metadata"]!["generation"]!);
        update["status"] = JsonNode.Parse("""{"replicas":1,"readyReplicas":2,"availableReplicas":3}""");
        Assert.Equal(["status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
                      "status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas",
                      "status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas"],
            status.ValidateUpdate(update, old).Select(e => e.ToString()));
    }

    [Fact]
    public void ReplicaSetDefaultsAndStatus()
    {
        var (obj, errors) = Create(ReplicaSetStrategy.Instance, """
            {"metadata":{"name":"rs"},"spec":{"selector":{"matchLabels":{"app":"web"}},
             "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}}}
            """);
        Assert.Empty(errors);
        Assert.Equal(1, (int)obj["spec"]!["replicas"]!);
        AssertJsonEqual("""{"replicas":0}""", obj["status"]);
        Assert.Null(obj["spec"]!["template"]!["metadata"]!["creationTimestamp"]);
        Assert.True(obj["spec"]!["template"]!["metadata"]!.AsObject().ContainsKey("creationTimestamp"));
    }

    [Fact]
    public void StatefulSetDefaultsIncludeClaimTemplates()
    {
        var (obj, errors) = Create(StatefulSetStrategy.Instance, """
            {"metadata":{"name":"db"},"spec":{"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
             "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"postgres:16"}]}},
             "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}
            """);
        Assert.Empty(errors);
        AssertJsonEqual("""
            {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"creationTimestamp":null,"name":"data"},
             "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"volumeMode":"Filesystem"},"status":{"phase":"Pending"}}
            """, obj["spec"]!["volumeClaimTemplates"]![0]);
        AssertJsonEqual("""{"rollingUpdate":{"partition":0},"type":"RollingUpdate"}""", obj["spec"]!["updateStrategy"]);
        AssertJsonEqual("""{"whenDeleted":"Retain","whenScaled":"Retain"}""", obj["spec"]!["persistentVolumeClaimRetentionPolicy"]);
        Assert.Equal("OrderedReady", (string?)obj["spec"]!["podManagementPolicy"]);
        AssertJsonEqual("""{"availableReplicas":0,"replicas":0}""", obj["status"]);

        var update = obj.DeepClone().AsObject();
        update["spec"]!["serviceName"] = "other";
        Assert.Contains("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            Update(StatefulSetStrategy.Instance, obj, update.ToJsonString()).Errors);
    }

    [Fact]
    public void DaemonSetDefaults()
    {
        var (obj, errors) = Create(DaemonSetStrategy.Instance, """
            {"metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"app":"agent"}},
             "template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"a","image":"agent:1"}]}}}}
            """);
        Assert.Empty(errors);
        AssertJsonEqual("""{"rollingUpdate":{"maxSurge":0,"maxUnavailable":1},"type":"RollingUpdate"}""", obj["spec"]!["updateStrategy"]);
        Assert.Equal(10, (int)obj["spec"]!["revisionHistoryLimit"]!);
        Assert.Equal(1, (int)obj["metadata"]!["generation"]!);
    }

    // What `kubectl create job pi --image=perl` sends.
    const string CreateJob = """
        {"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"pi","creationTimestamp":null},
         "spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"pi","image":"perl","resources":{}}],"restartPolicy":"Never"}}},"status":{}}
        """;

    [Fact]
    public void KubectlCreateJobIsDefaultedLikeARealCluster()
    {
        var (obj, errors) = Create(JobStrategy.Instance, CreateJob);
        Assert.Empty(errors);
        const string uid = "0cd26dd5-88a2-4a5f-a203-ea19a1d5d578";
        const string labels = $$"""{"batch.kubernetes.io/controller-uid":"{{uid}}","batch.kubernetes.io/job-name":"pi","controller-uid":"{{uid}}","job-name":"pi"}""";
        AssertJsonEqual($$$$"""
            {"backoffLimit":6,"completionMode":"NonIndexed","completions":1,"manualSelector":false,"parallelism":1,"podReplacementPolicy":"TerminatingOrFailed",
             "selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"{{{{uid}}}}"}},"suspend":false,
             "template":{"metadata":{"creationTimestamp":null,"labels":{{{{labels}}}}},
               "spec":{"containers":[{"image":"perl","imagePullPolicy":"Always","name":"pi","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
                       "dnsPolicy":"ClusterFirst","restartPolicy":"Never","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}
            """, obj["spec"]);
        AssertJsonEqual(labels, obj["metadata"]!["labels"]);
        AssertJsonEqual("{}", obj["status"]);
        Assert.Equal(1, (int)obj["metadata"]!["generation"]!);
    }

    [Theory]
    [InlineData("""{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}""", "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"")]
    [InlineData("""{"template":{"spec":{"containers":[{"name":"c","image":"x"}],"restartPolicy":"Always"}}}""", "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"")]
    [InlineData("""{"backoffLimit":-1,"template":{"spec":{"containers":[{"name":"c","image":"x"}],"restartPolicy":"Never"}}}""", "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0")]
    [InlineData("""{"completionMode":"Indexed","completions":null,"parallelism":2,"template":{"spec":{"containers":[{"name":"c","image":"x"}],"restartPolicy":"Never"}}}""", "spec.completions: Required value: when completion mode is Indexed")]
    [InlineData("""{"manualSelector":true,"template":{"spec":{"containers":[{"name":"c","image":"x"}],"restartPolicy":"Never"}}}""", "spec.selector: Required value")]
    [InlineData("""{"manualSelector":true,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{"name":"c","image":"x"}],"restartPolicy":"Never"}}}""", "spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"c\"}: `selector` does not match template `labels`")]
    [InlineData("""{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}],"restartPolicy":"Never"}}}""", "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\", \"batch.kubernetes.io/controller-uid\":\"0cd26dd5-88a2-4a5f-a203-ea19a1d5d578\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated")]
    public void InvalidJobs(string spec, string expected) =>
        Assert.Contains(expected, Errors(JobStrategy.Instance, $$$"""{"metadata":{"name":"j"},"spec":{{{spec}}}}"""));

    [Fact]
    public void JobNamesThatAreNotDnsLabelsGetAWarning()
    {
        var obj = JsonNode.Parse(CreateJob)!.AsObject();
        obj["metadata"]!["name"] = "pi.v2";
        var (created, errors) = Create(JobStrategy.Instance, obj.ToJsonString());
        Assert.Empty(errors);
        Assert.Equal(["metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]"],
            JobStrategy.Instance.WarningsOnCreate(created));
        Assert.Empty(JobStrategy.Instance.WarningsOnCreate(Create(JobStrategy.Instance, CreateJob).Obj));
    }

    [Fact]
    public void JobTemplateIsImmutableUnlessSuspendedAndNeverStarted()
    {
        var (old, _) = Create(JobStrategy.Instance, CreateJob);
        var update = old.DeepClone().AsObject();
        update["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "perl:2";
        var errors = Update(JobStrategy.Instance, old, update.ToJsonString()).Errors;
        Assert.Contains(errors, e => e.StartsWith("spec.template: Invalid value: ", StringComparison.Ordinal) && e.EndsWith(": field is immutable", StringComparison.Ordinal));

        var suspendedOld = old.DeepClone().AsObject();
        suspendedOld["spec"]!["suspend"] = true;
        var scheduling = suspendedOld.DeepClone().AsObject();
        scheduling["spec"]!["template"]!["spec"]!["nodeSelector"] = new JsonObject { ["disk"] = "ssd" };
        Assert.Empty(Update(JobStrategy.Instance, suspendedOld, scheduling.ToJsonString()).Errors);

        var completions = old.DeepClone().AsObject();
        completions["spec"]!["completions"] = 3;
        Assert.Contains("spec.completions: Invalid value: 3: field is immutable", Update(JobStrategy.Instance, old, completions.ToJsonString()).Errors);
    }

    // What `kubectl create cronjob hello --image=busybox --schedule="*/1 * * * *"` sends.
    const string CreateCronJob = """
        {"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"hello","creationTimestamp":null},
         "spec":{"jobTemplate":{"metadata":{"name":"hello","creationTimestamp":null},
                 "spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"hello","image":"busybox","resources":{}}],"restartPolicy":"OnFailure"}}}},
                 "schedule":"*/1 * * * *"},"status":{}}
        """;

    [Fact]
    public void KubectlCreateCronJobIsDefaultedLikeARealCluster()
    {
        var (obj, errors) = Create(CronJobStrategy.Instance, CreateCronJob);
        Assert.Empty(errors);
        AssertJsonEqual("""
            {"concurrencyPolicy":"Allow","failedJobsHistoryLimit":1,"schedule":"*/1 * * * *","successfulJobsHistoryLimit":3,"suspend":false,
             "jobTemplate":{"metadata":{"creationTimestamp":null,"name":"hello"},"spec":{"template":{"metadata":{"creationTimestamp":null},
               "spec":{"containers":[{"image":"busybox","imagePullPolicy":"Always","name":"hello","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
                       "dnsPolicy":"ClusterFirst","restartPolicy":"OnFailure","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}}}
            """, obj["spec"]);
        Assert.Equal(1, (int)obj["metadata"]!["generation"]!);
    }

    [Theory]
    [InlineData("bad", "spec.schedule: Invalid value: \"bad\": expected exactly 5 fields, found 1: [bad]")]
    [InlineData("* * * *", "spec.schedule: Invalid value: \"* * * *\": expected exactly 5 fields, found 4: [* * * *]")]
    [InlineData("60 * * * *", "spec.schedule: Invalid value: \"60 * * * *\": end of range (60) above maximum (59): 60")]
    [InlineData("* * 0 * *", "spec.schedule: Invalid value: \"* * 0 * *\": beginning of range (0) below minimum (1): 0")]
    [InlineData("5-1 * * * *", "spec.schedule: Invalid value: \"5-1 * * * *\": beginning of range (5) beyond end of range (1): 5-1")]
    [InlineData("*/0 * * * *", "spec.schedule: Invalid value: \"*/0 * * * *\": step of range should be a positive number: */0")]
    [InlineData("x * * * *", "spec.schedule: Invalid value: \"x * * * *\": failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax")]
    [InlineData("@fortnightly", "spec.schedule: Invalid value: \"@fortnightly\": unrecognized descriptor: @fortnightly")]
    [InlineData("TZ=UTC * * * * *", "spec.schedule: Invalid value: \"TZ=UTC * * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead")]
    public void InvalidSchedules(string schedule, string expected)
    {
        var obj = JsonNode.Parse(CreateCronJob)!.AsObject();
        obj["spec"]!["schedule"] = schedule;
        Assert.Contains(expected, Errors(CronJobStrategy.Instance, obj.ToJsonString()));
    }

    [Theory]
    [InlineData("0 0 * * *")]
    [InlineData("*/15 9-17 * jan-dec mon-fri")]
    [InlineData("@hourly")]
    [InlineData("@every 1h30m")]
    [InlineData("0 0 1,15 * 0")]
    public void ValidSchedules(string schedule)
    {
        var obj = JsonNode.Parse(CreateCronJob)!.AsObject();
        obj["spec"]!["schedule"] = schedule;
        Assert.Empty(Errors(CronJobStrategy.Instance, obj.ToJsonString()));
    }

    [Fact]
    public void CronJobNamesAreLimitedTo52Characters()
    {
        var obj = JsonNode.Parse(CreateCronJob)!.AsObject();
        var name = new string('a', 53);
        obj["metadata"]!["name"] = name;
        Assert.Equal([$"metadata.name: Invalid value: \"{name}\": must be no more than 52 characters"], Errors(CronJobStrategy.Instance, obj.ToJsonString()));
    }
}
