using System.Text.Json.Nodes;
using Anvil.Machinery.Tables;

namespace Anvil.Machinery.Tests;

public sealed class TablePrintersTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2025-01-10T12:00:00Z");

    private static IReadOnlyList<object?> Row(string group, string kind, string json) =>
        TablePrinters.For(group, kind).Cells((JsonObject)JsonNode.Parse(json)!, Now);

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(150, "2m30s")]
    [InlineData(180, "3m")]
    [InlineData(600, "10m")]
    [InlineData(12000, "3h20m")]
    [InlineData(7200, "120m")]
    [InlineData(14400, "4h")]
    [InlineData(93600, "26h")]
    [InlineData(190800, "2d5h")]
    [InlineData(864000, "10d")]
    [InlineData(98496000, "3y45d")]
    [InlineData(-1, "0s")]
    [InlineData(-5, "<invalid>")]
    public void HumanDuration(long seconds, string expected) =>
        Assert.Equal(expected, TableFormat.HumanDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void PodColumns()
    {
        var columns = TablePrinters.For("", "Pod").Columns;
        Assert.Equal(["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"], columns.Select(c => c.Name));
        Assert.Equal("name", columns[0].Format);
        Assert.Equal([0, 0, 0, 0, 0, 1, 1, 1, 1], columns.Select(c => c.Priority));
    }

    private const string PodMeta = "\"metadata\": {\"name\": \"web\", \"creationTimestamp\": \"2025-01-10T11:55:00Z\"}";

    [Theory]
    // Running and ready
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "a", "ready": true, "restartCount": 0, "state": {"running": {}}}]}""", "1/1", "Running", "0")]
    // Pending, nothing reported yet
    [InlineData("""{"containers": [{"name": "a"}, {"name": "b"}]}""", """{"phase": "Pending"}""", "0/2", "Pending", "0")]
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Pending", "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}]}""", "0/1", "ContainerCreating", "0")]
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Pending", "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ErrImageNeverPull"}}}]}""", "0/1", "ErrImageNeverPull", "0")]
    // CrashLoopBackOff with the time of the last restart
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Running", "containerStatuses": [{"name": "a", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-01-10T11:55:00Z"}}}]}""", "0/1", "CrashLoopBackOff", "2 (5m ago)")]
    // Terminated reasons
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Succeeded", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}""", "0/1", "Completed", "0")]
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Failed", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}""", "0/1", "Error", "0")]
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Running", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}""", "0/1", "OOMKilled", "0")]
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Running", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 3}}}]}""", "0/1", "ExitCode:3", "0")]
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Running", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 0, "signal": 9}}}]}""", "0/1", "Signal:9", "0")]
    // One container completed, the other still running
    [InlineData("""{"containers": [{"name": "a"}, {"name": "b"}]}""", """{"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}, {"name": "b", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}""", "1/2", "NotReady", "0")]
    [InlineData("""{"containers": [{"name": "a"}, {"name": "b"}]}""", """{"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}, {"name": "b", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}""", "1/2", "Running", "0")]
    // Init containers
    [InlineData("""{"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]}""", """{"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"running": {}}}], "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "PodInitializing"}}}]}""", "0/1", "Init:0/1", "0")]
    [InlineData("""{"initContainers": [{"name": "i"}, {"name": "j"}], "containers": [{"name": "a"}]}""", """{"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 0}}}, {"name": "j", "state": {"waiting": {"reason": "PodInitializing"}}}]}""", "0/1", "Init:1/2", "0")]
    [InlineData("""{"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]}""", """{"phase": "Pending", "initContainerStatuses": [{"name": "i", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}""", "0/1", "Init:CrashLoopBackOff", "3")]
    [InlineData("""{"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]}""", """{"phase": "Failed", "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 2}}}]}""", "0/1", "Init:ExitCode:2", "0")]
    [InlineData("""{"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]}""", """{"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}""", "0/1", "Init:Error", "0")]
    [InlineData("""{"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]}""", """{"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 0}}}], "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "PodInitializing"}}}]}""", "0/1", "PodInitializing", "0")]
    // A sidecar (restartable init container) counts towards READY
    [InlineData("""{"initContainers": [{"name": "s", "restartPolicy": "Always"}], "containers": [{"name": "a"}]}""", """{"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}], "initContainerStatuses": [{"name": "s", "started": true, "ready": true, "state": {"running": {}}}], "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}]}""", "2/2", "Running", "0")]
    // Scheduling gates, eviction reasons
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}""", "0/1", "SchedulingGated", "0")]
    [InlineData("""{"containers": [{"name": "a"}]}""", """{"phase": "Failed", "reason": "Evicted"}""", "0/1", "Evicted", "0")]
    public void PodStatus(string spec, string status, string ready, string reason, string restarts)
    {
        var row = Row("", "Pod", "{" + PodMeta + ", \"spec\": " + spec + ", \"status\": " + status + "}");
        Assert.Equal(["web", ready, reason, restarts, "5m"], row.Take(5));
    }

    [Theory]
    [InlineData("""{"phase": "Running"}""", "Terminating")]
    [InlineData("""{"phase": "Succeeded"}""", "Succeeded")]
    [InlineData("""{"phase": "Running", "reason": "NodeLost"}""", "Unknown")]
    public void DeletedPod(string status, string reason)
    {
        var row = Row("", "Pod", """{"metadata": {"name": "p", "deletionTimestamp": "2025-01-10T11:59:00Z"}, "spec": {"containers": [{"name": "a"}]}, "status": """ + " " + status + "}");
        Assert.Equal(reason, row[2]);
    }

    [Fact]
    public void PodWideCells()
    {
        var row = Row("", "Pod", """
            {"metadata": {"name": "p"}, "spec": {"nodeName": "n1", "containers": [{"name": "a"}], "readinessGates": [{"conditionType": "x/ok"}, {"conditionType": "y/ok"}]},
             "status": {"podIPs": [{"ip": "10.1.0.4"}], "conditions": [{"type": "x/ok", "status": "True"}]}}
            """);
        Assert.Equal(["p", "0/1", "", "0", "<unknown>", "10.1.0.4", "n1", "<none>", "1/2"], row);
    }

    [Theory]
    [InlineData("""{"conditions": [{"type": "Ready", "status": "True"}]}""", false, "Ready")]
    [InlineData("""{"conditions": [{"type": "Ready", "status": "False"}]}""", false, "NotReady")]
    [InlineData("""{"conditions": [{"type": "Ready", "status": "Unknown"}]}""", false, "NotReady")]
    [InlineData("""{}""", false, "Unknown")]
    [InlineData("""{"conditions": [{"type": "Ready", "status": "True"}]}""", true, "Ready,SchedulingDisabled")]
    public void NodeStatus(string status, bool cordoned, string expected)
    {
        var row = Row("", "Node", $$"""{"metadata": {"name": "n1", "creationTimestamp": "2025-01-01T12:00:00Z"}, "spec": {"unschedulable": {{(cordoned ? "true" : "false")}}}, "status": {{status}}}""");
        Assert.Equal(["n1", expected, "<none>", "9d", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"], row);
    }

    [Fact]
    public void NodeRolesAndInfo()
    {
        var row = Row("", "Node", """
            {"metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "edge", "node-role.kubernetes.io/": ""}},
             "status": {"addresses": [{"type": "Hostname", "address": "n1"}, {"type": "InternalIP", "address": "192.168.1.5"}],
                        "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0", "containerRuntimeVersion": "anvil://0.1"}}}
            """);
        Assert.Equal(["n1", "Unknown", "control-plane,edge,worker", "<unknown>", "v1.32.0", "192.168.1.5", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "anvil://0.1"], row);
    }

    [Fact]
    public void Deployment()
    {
        var printer = TablePrinters.For("apps", "Deployment");
        Assert.Equal(["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"], printer.Columns.Select(c => c.Name));
        var row = Row("apps", "Deployment", """
            {"metadata": {"name": "web", "creationTimestamp": "2025-01-10T09:00:00Z"},
             "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]}}},
             "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
            """);
        Assert.Equal(["web", "2/3", 3L, 2L, "3h", "web,log", "nginx:1.27,busybox", "app=web"], row);
    }

    [Theory]
    [InlineData("""{"type": "ClusterIP", "clusterIPs": ["10.96.0.10"], "ports": [{"port": 80, "protocol": "TCP"}], "selector": {"app": "web"}}""", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "app=web")]
    [InlineData("""{"type": "NodePort", "clusterIPs": ["10.96.0.11"], "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}""", "NodePort", "10.96.0.11", "<none>", "80:30080/TCP,53/UDP", "<none>")]
    [InlineData("""{"type": "ClusterIP", "clusterIPs": ["None"], "externalIPs": ["1.2.3.4"]}""", "ClusterIP", "None", "1.2.3.4", "<none>", "<none>")]
    [InlineData("""{"type": "LoadBalancer", "clusterIPs": ["10.96.0.12"], "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]}""", "LoadBalancer", "10.96.0.12", "<pending>", "443:31443/TCP", "<none>")]
    [InlineData("""{"type": "ExternalName", "externalName": "db.example.org"}""", "ExternalName", "<none>", "db.example.org", "<none>", "<none>")]
    public void ServiceTypes(string spec, string type, string clusterIP, string externalIP, string ports, string selector)
    {
        var row = Row("", "Service", "{\"metadata\": {\"name\": \"s\"}, \"spec\": " + spec + "}");
        Assert.Equal(["s", type, clusterIP, externalIP, ports, "<unknown>", selector], row);
    }

    [Fact]
    public void LoadBalancerWithIngress()
    {
        var row = Row("", "Service", """{"metadata": {"name": "s"}, "spec": {"type": "LoadBalancer", "clusterIPs": ["10.0.0.1"], "externalIPs": ["9.9.9.9"]}, "status": {"loadBalancer": {"ingress": [{"ip": "5.5.5.5"}, {"hostname": "lb.example"}]}}}""");
        Assert.Equal("5.5.5.5,lb.example,9.9.9.9", row[3]);
    }

    private const string JobTemplate = """ "template": {"spec": {"containers": [{"name": "job", "image": "python:3.11"}]}}, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}}""";

    [Theory]
    [InlineData("""{"completions": 1, "parallelism": 1,""", """{"succeeded": 1, "startTime": "2025-01-10T11:00:00Z", "completionTime": "2025-01-10T11:00:42Z", "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]}""", "Complete", "1/1", "42s")]
    [InlineData("""{"completions": 3,""", """{"succeeded": 1, "startTime": "2025-01-10T11:50:00Z"}""", "Running", "1/3", "10m")]
    [InlineData("""{"parallelism": 2,""", """{"failed": 1, "startTime": "2025-01-10T11:00:00Z", "completionTime": "2025-01-10T11:05:00Z", "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}""", "Failed", "0/1 of 2", "5m")]
    [InlineData("""{"suspend": true,""", """{"conditions": [{"type": "Suspended", "status": "True"}]}""", "Suspended", "0/1", "")]
    [InlineData("""{""", """{"conditions": [{"type": "FailureTarget", "status": "True"}], "startTime": "2025-01-10T11:59:30Z"}""", "FailureTarget", "0/1", "30s")]
    [InlineData("""{""", """{"conditions": [{"type": "Complete", "status": "False"}]}""", "Running", "0/1", "")]
    public void JobStates(string specStart, string status, string expected, string completions, string duration)
    {
        var row = Row("batch", "Job", "{\"metadata\": {\"name\": \"j\", \"creationTimestamp\": \"2025-01-10T11:00:00Z\"}, \"spec\": " + specStart + JobTemplate + "}, \"status\": " + status + "}");
        Assert.Equal(["j", expected, completions, duration, "60m", "job", "python:3.11", "batch.kubernetes.io/controller-uid=u1"], row);
    }

    [Fact]
    public void CronJob()
    {
        var printer = TablePrinters.For("batch", "CronJob");
        Assert.Equal(["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers", "Images", "Selector"], printer.Columns.Select(c => c.Name));
        var row = Row("batch", "CronJob", """
            {"metadata": {"name": "backup", "creationTimestamp": "2025-01-08T12:00:00Z"},
             "spec": {"schedule": "*/5 * * * *", "suspend": false, "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "busybox"}]}}}}},
             "status": {"active": [{"name": "backup-1"}], "lastScheduleTime": "2025-01-10T11:58:00Z"}}
            """);
        Assert.Equal(["backup", "*/5 * * * *", "<none>", "False", 1L, "2m", "2d", "b", "busybox", "<none>"], row);
    }

    [Fact]
    public void CoreEvent()
    {
        var printer = TablePrinters.For("", "Event");
        Assert.Equal(["Last Seen", "Type", "Reason", "Object", "Message"], printer.Columns.Where(c => c.Priority == 0).Select(c => c.Name));
        var row = Row("", "Event", """
            {"metadata": {"name": "web.1"}, "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{web}"},
             "reason": "Pulled", "message": " Successfully pulled image \n", "type": "Normal", "source": {"component": "kubelet", "host": "n1"},
             "firstTimestamp": "2025-01-10T11:00:00Z", "lastTimestamp": "2025-01-10T11:59:00Z", "count": 4}
            """);
        Assert.Equal(["60s", "Normal", "Pulled", "pod/web", "spec.containers{web}", "kubelet, n1", "Successfully pulled image", "60m", 4L, "web.1"], row);
    }

    [Fact]
    public void EventsV1EventPrintsLikeCoreEvent()
    {
        var row = Row("events.k8s.io", "Event", """
            {"metadata": {"name": "e"}, "regarding": {"kind": "Node", "name": "n1"}, "reason": "Starting", "note": "Starting kubelet.",
             "type": "Normal", "reportingController": "kubelet", "reportingInstance": "n1", "eventTime": "2025-01-10T11:59:50.000000Z"}
            """);
        Assert.Equal(["10s", "Normal", "Starting", "node/n1", "", "kubelet, n1", "Starting kubelet.", "10s", 1L, "e"], row);
    }

    [Theory]
    [InlineData("", "ConfigMap", """{"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": ""}}""", new object[] { "c", 3L, "<unknown>" })]
    [InlineData("", "Secret", """{"metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "MQ=="}}""", new object[] { "s", "Opaque", 1L, "<unknown>" })]
    [InlineData("", "ServiceAccount", """{"metadata": {"name": "default"}}""", new object[] { "default", 0L, "<unknown>" })]
    [InlineData("", "Namespace", """{"metadata": {"name": "tool-a"}, "status": {"phase": "Active"}}""", new object[] { "tool-a", "Active", "<unknown>" })]
    [InlineData("", "Endpoints", """{"metadata": {"name": "e"}, "subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}, {"port": 443}]}]}""", new object[] { "e", "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...", "<unknown>" })]
    [InlineData("", "Endpoints", """{"metadata": {"name": "e"}}""", new object[] { "e", "<none>", "<unknown>" })]
    [InlineData("", "ResourceQuota", """{"metadata": {"name": "q"}, "status": {"hard": {"requests.cpu": "2", "limits.memory": "8Gi", "pods": "10", "limits.cpu": "4"}, "used": {"requests.cpu": "500m", "limits.memory": "1073741824"}}}""", new object[] { "q", "pods: 0/10, requests.cpu: 500m/2", "limits.cpu: 0/4, limits.memory: 1073741824/8Gi", "<unknown>" })]
    [InlineData("", "PersistentVolumeClaim", """{"metadata": {"name": "data"}, "spec": {"volumeName": "pv1", "storageClassName": "local"}, "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"]}}""", new object[] { "data", "Bound", "pv1", "1Gi", "RWO,RWX", "local", "<unset>", "<unknown>", "<unset>" })]
    [InlineData("networking.k8s.io", "Ingress", """{"metadata": {"name": "i"}, "spec": {"ingressClassName": "toolforge", "rules": [{"host": "a.toolforge.org"}, {}], "tls": [{}]}, "status": {"loadBalancer": {"ingress": [{"ip": "172.16.0.1"}]}}}""", new object[] { "i", "toolforge", "a.toolforge.org", "172.16.0.1", "80, 443", "<unknown>" })]
    [InlineData("networking.k8s.io", "NetworkPolicy", """{"metadata": {"name": "np"}, "spec": {"podSelector": {}}}""", new object[] { "np", "<none>", "<unknown>" })]
    [InlineData("rbac.authorization.k8s.io", "RoleBinding", """{"metadata": {"name": "rb"}, "roleRef": {"kind": "ClusterRole", "name": "edit"}, "subjects": [{"kind": "User", "name": "taavi"}, {"kind": "Group", "name": "admins"}, {"kind": "ServiceAccount", "namespace": "tool-a", "name": "default"}, {"kind": "User", "name": "bd808"}]}""", new object[] { "rb", "ClusterRole/edit", "<unknown>", "taavi, bd808", "admins", "tool-a/default" })]
    [InlineData("coordination.k8s.io", "Lease", """{"metadata": {"name": "l"}, "spec": {"holderIdentity": "anvil-1"}}""", new object[] { "l", "anvil-1", "<unknown>" })]
    [InlineData("policy", "PodDisruptionBudget", """{"metadata": {"name": "pdb"}, "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}}""", new object[] { "pdb", "50%", "N/A", 1L, "<unknown>" })]
    [InlineData("certificates.k8s.io", "CertificateSigningRequest", """{"metadata": {"name": "csr"}, "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "taavi", "expirationSeconds": 86400}, "status": {"conditions": [{"type": "Approved"}], "certificate": "Zm9v"}}""", new object[] { "csr", "<unknown>", "kubernetes.io/kube-apiserver-client", "taavi", "24h", "Approved,Issued" })]
    [InlineData("apps", "ReplicaSet", """{"metadata": {"name": "rs"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "abc"}}, "template": {"spec": {"containers": [{"name": "w", "image": "nginx"}]}}}, "status": {"replicas": 2, "readyReplicas": 1}}""", new object[] { "rs", 2L, 2L, 1L, "<unknown>", "w", "nginx", "app=web,pod-template-hash=abc" })]
    public void OtherKinds(string group, string kind, string json, object[] expected)
    {
        var printer = TablePrinters.For(group, kind);
        var row = printer.Cells((JsonObject)JsonNode.Parse(json)!, Now);
        Assert.Equal(printer.Columns.Count, row.Count);
        Assert.Equal(expected, row);
    }

    [Theory]
    [InlineData("rbac.authorization.k8s.io", "Role")]
    [InlineData("rbac.authorization.k8s.io", "ClusterRole")]
    [InlineData("", "LimitRange")]
    [InlineData("apiextensions.k8s.io", "CustomResourceDefinition")]
    [InlineData("example.org", "Widget")]
    public void KindsWithoutPrinterUseTheDefault(string group, string kind)
    {
        var printer = TablePrinters.For(group, kind);
        Assert.Equal([("Name", "string", "name"), ("Created At", "date", "")], printer.Columns.Select(c => (c.Name, c.Type, c.Format)));
        Assert.Equal(["r", "2024-03-01T10:00:00Z"], printer.Cells((JsonObject)JsonNode.Parse("""{"metadata": {"name": "r", "creationTimestamp": "2024-03-01T10:00:00Z"}}""")!, Now));
    }

    [Fact]
    public void CustomResourceColumns()
    {
        var printer = TablePrinters.FromPrinterColumns((JsonArray)JsonNode.Parse("""
            [{"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
             {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "description": "wanted"},
             {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio", "priority": 1},
             {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"},
             {"name": "Tags", "type": "string", "jsonPath": ".spec.tags"},
             {"name": "First", "type": "string", "jsonPath": ".spec.items[0].name"},
             {"name": "Missing", "type": "string", "jsonPath": ".status.nothing"},
             {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
            """)!);
        Assert.Equal(["Name", "Ready", "Replicas", "Ratio", "Paused", "Tags", "First", "Missing", "Age"], printer.Columns.Select(c => c.Name));
        Assert.Equal("Custom resource definition column (in JSONPath format): .status.conditions[?(@.type==\"Ready\")].status", printer.Columns[1].Description);
        Assert.Equal("wanted", printer.Columns[2].Description);
        Assert.Equal(1, printer.Columns[3].Priority);
        var row = printer.Cells((JsonObject)JsonNode.Parse("""
            {"metadata": {"name": "w1", "creationTimestamp": "2025-01-10T11:00:00Z"},
             "spec": {"replicas": 3.0, "ratio": 1.5, "paused": false, "tags": ["a", "b"], "items": [{"name": "x"}, {"name": "y"}]},
             "status": {"conditions": [{"type": "Synced", "status": "True"}, {"type": "Ready", "status": "False"}]}}
            """)!, Now);
        Assert.Equal(["w1", "False", 3L, 1.5, false, "[\"a\",\"b\"]", "x", null, "60m"], row);
    }

    [Fact]
    public void CustomResourceWithoutColumnsShowsAge()
    {
        var printer = TablePrinters.FromPrinterColumns(null);
        Assert.Equal([("Name", "string"), ("Age", "date")], printer.Columns.Select(c => (c.Name, c.Type)));
        Assert.Equal(["w", "2m"], printer.Cells((JsonObject)JsonNode.Parse("""{"metadata": {"name": "w", "creationTimestamp": "2025-01-10T11:58:00Z"}}""")!, Now));
    }

    [Fact]
    public void EveryPrinterFillsEveryColumn()
    {
        foreach (var (group, kind) in new[] { ("", "Pod"), ("", "Node"), ("", "Service"), ("apps", "Deployment"), ("batch", "Job"), ("batch", "CronJob"), ("", "Event"), ("rbac.authorization.k8s.io", "ClusterRoleBinding") })
        {
            var printer = TablePrinters.For(group, kind);
            Assert.Equal(printer.Columns.Count, printer.Cells(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "x" } }, Now).Count);
        }
    }
}
