using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Pod volumes, env and service accounts end to end: the node agent writes configMap, secret, downwardAPI and
/// projected volumes, shares an emptyDir between containers, resolves env references, and mounts a bound service
/// account token that the API server accepts. Skipped (passing with a note) when not root or runc is missing.
/// </summary>
public sealed class VolumeTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    private Task WaitAsync(string ns, string pod, string template, string expected) =>
        EventuallyAsync($"pod {pod}: {template} = {expected}", async () =>
        {
            var r = await K("get", "pod", pod, "-n", ns, "-o", "jsonpath=" + template);
            return (r.Stdout == expected, r.Stdout + r.Stderr + "\n" + (await K("get", "pod", pod, "-n", ns, "-o", "yaml")).Stdout);
        }, RunTimeout);

    private async Task<string> TokenReviewUserAsync(string token)
    {
        var review = $$$"""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"{{{token}}}"}}""";
        return (await KWithInput(review, "create", "-f", "-", "--validate=false", "-o", "jsonpath={.status.authenticated} {.status.user.username}")).Succeeded().Stdout;
    }

    [Fact]
    public async Task APodReadsItsVolumesEnvAndServiceAccountToken()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("vol-read");
        (await K("create", "configmap", "cfg", "-n", ns, "--from-literal=greeting=hello", "--from-literal=MODE=fast")).Succeeded();
        (await K("create", "secret", "generic", "sec", "-n", ns, "--from-literal=pw=hunter2")).Succeeded();
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: reader
              labels: {app: reader}
            spec:
              nodeName: NODE
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: writer
                image: busybox
                command: ["sh", "-c", "echo shared > /scratch/msg"]
                volumeMounts: [{name: scratch, mountPath: /scratch}]
              - name: reader
                image: busybox
                command: ["sh", "-c"]
                args:
                - |
                  until [ -f /scratch/msg ]; do sleep 0.2; done
                  echo "cfg=$(cat /etc/cfg/greeting) sec=$(cat /etc/sec/pw) name=$(cat /etc/info/name)"
                  cat /etc/info/labels; echo
                  echo "env=$MODE $PW $POD_NAME $POD_NS $(GREETING_TWICE)"
                  cat /scratch/msg
                  cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo
                  head -c 20 /var/run/secrets/kubernetes.io/serviceaccount/ca.crt; echo
                  touch /etc/cfg/x 2>/dev/null || echo read-only
                env:
                - {name: MODE, valueFrom: {configMapKeyRef: {name: cfg, key: MODE}}}
                - {name: PW, valueFrom: {secretKeyRef: {name: sec, key: pw}}}
                - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
                - {name: GREETING_TWICE, value: "$(MODE)$(MODE)"}
                volumeMounts:
                - {name: scratch, mountPath: /scratch}
                - {name: cfg, mountPath: /etc/cfg}
                - {name: sec, mountPath: /etc/sec}
                - {name: info, mountPath: /etc/info}
              volumes:
              - {name: scratch, emptyDir: {}}
              - {name: cfg, configMap: {name: cfg}}
              - {name: sec, secret: {secretName: sec, items: [{key: pw, path: pw}]}}
              - name: info
                downwardAPI:
                  items:
                  - {path: name, fieldRef: {fieldPath: metadata.name}}
                  - {path: labels, fieldRef: {fieldPath: metadata.labels}}
            """.Replace("NODE", AnvilNodeServer.NodeName, StringComparison.Ordinal));
        await WaitAsync(ns, "reader", "{.status.phase}", "Succeeded");
        var log = (await K("logs", "reader", "-c", "reader", "-n", ns)).Succeeded().Stdout;
        Assert.Equal($"cfg=hello sec=hunter2 name=reader\napp=\"reader\"\nenv=fast hunter2 reader {ns} fastfast\nshared\n{ns}\n-----BEGIN CERTIFICA\nread-only\n", log);
        Assert.Equal("serviceAccountName=default mount=/var/run/secrets/kubernetes.io/serviceaccount",
            await JsonPathAsync(ns, "pod", "reader", "serviceAccountName={.spec.serviceAccountName} mount={.spec.containers[1].volumeMounts[4].mountPath}"));
    }

    [Fact]
    public async Task TheMountedTokenAuthenticatesAsTheServiceAccount()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("vol-token");
        (await K("run", "tok", "-n", ns, "--image=busybox", "--restart=Never",
            "--overrides={\"spec\":{\"nodeName\":\"" + AnvilNodeServer.NodeName + "\",\"terminationGracePeriodSeconds\":1}}",
            "--", "sh", "-c", "cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo")).Succeeded();
        await WaitAsync(ns, "tok", "{.status.phase}", "Succeeded");
        var token = (await K("logs", "tok", "-n", ns)).Succeeded().Stdout.Split('\n')[0];
        Assert.Equal($"true system:serviceaccount:{ns}:default", await TokenReviewUserAsync(token));
        // Bound to the pod: deleting the pod invalidates it.
        (await K("delete", "pod", "tok", "-n", ns)).Succeeded();
        await EventuallyGoneAsync(ns, "pod", "tok");
        Assert.DoesNotContain("true", await TokenReviewUserAsync(token));
    }

    [Fact]
    public async Task APodIsRejectedWhenItsServiceAccountIsMissing()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("vol-nosa");
        var r = (await K("run", "x", "-n", ns, "--image=busybox", "--overrides={\"spec\":{\"serviceAccountName\":\"nope\"}}")).Failed();
        Assert.Equal($"Error from server (Forbidden): pods \"x\" is forbidden: error looking up service account {ns}/nope: serviceaccount \"nope\" not found\n", r.Stderr);
    }

    [Fact]
    public async Task AMissingConfigMapVolumeIsAFailedMountEvent()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("vol-failedmount");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: mounts}
            spec:
              nodeName: NODE
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: ["sleep", "600"]
                volumeMounts: [{name: cfg, mountPath: /cfg}]
              volumes: [{name: cfg, configMap: {name: nope}}]
            """.Replace("NODE", AnvilNodeServer.NodeName, StringComparison.Ordinal));
        await EventuallyAsync("FailedMount event", async () =>
        {
            var r = await K("get", "events", "-n", ns, "--field-selector=reason=FailedMount",
                "-o", "jsonpath={.items[*].type} {.items[*].source.component} {.items[*].source.host} {.items[*].message}");
            return (r.Stdout == $"Warning kubelet {AnvilNodeServer.NodeName} MountVolume.SetUp failed for volume \"cfg\" : configmap \"nope\" not found", r.ToString());
        }, RunTimeout);
        Assert.Equal("ContainerCreating", (await K("get", "pod", "mounts", "-n", ns, "--no-headers")).Succeeded().Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
        (await K("delete", "pod", "mounts", "-n", ns)).Succeeded();
    }

    [Fact]
    public async Task AMissingConfigMapKeyIsACreateContainerConfigError()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("vol-missing");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: waits}
            spec:
              nodeName: NODE
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: ["sleep", "600"]
                env: [{name: X, valueFrom: {configMapKeyRef: {name: absent, key: k}}}]
            """.Replace("NODE", AnvilNodeServer.NodeName, StringComparison.Ordinal));
        await WaitAsync(ns, "waits", "{.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}",
            "CreateContainerConfigError: configmap \"absent\" not found");
        Assert.Equal("CreateContainerConfigError", (await K("get", "pod", "waits", "-n", ns, "--no-headers")).Succeeded().Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
        // Once the config map exists, the container starts.
        (await K("create", "configmap", "absent", "-n", ns, "--from-literal=k=v")).Succeeded();
        await WaitAsync(ns, "waits", "{.status.phase}", "Running");
        (await K("delete", "pod", "waits", "-n", ns)).Succeeded();
    }

    [Fact]
    public async Task EveryNamespaceGetsTheDefaultAccountAndTheRootCa()
    {
        var ns = await NamespaceAsync("vol-defaults");
        await EventuallyAsync("default service account and kube-root-ca.crt", async () =>
        {
            var r = await K("get", "serviceaccount,configmap", "-n", ns, "-o", "name");
            return (r.Stdout == "serviceaccount/default\nconfigmap/kube-root-ca.crt\n", r.Stdout + r.Stderr);
        });
        var ca = await JsonPathAsync(ns, "configmap", "kube-root-ca.crt", "{.data.ca\\.crt}");
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", ca);
        // Changed by hand, it is put back.
        (await K("patch", "configmap", "kube-root-ca.crt", "-n", ns, "--type=merge", "-p", "{\"data\":{\"ca.crt\":\"x\"}}")).Succeeded();
        await EventuallyAsync("ca.crt restored", async () =>
        {
            var r = await K("get", "configmap", "kube-root-ca.crt", "-n", ns, "-o", "jsonpath={.data.ca\\.crt}");
            return (r.Stdout == ca, r.Stdout);
        });
    }

    [Fact]
    public async Task LegacyTokenSecretsAreFilledAndAuthenticate()
    {
        var ns = await NamespaceAsync("vol-legacy");
        (await K("create", "serviceaccount", "robot", "-n", ns)).Succeeded();
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Secret
            metadata:
              name: robot-token
              annotations: {kubernetes.io/service-account.name: robot}
            type: kubernetes.io/service-account-token
            """);
        await EventuallyAsync("token filled", async () =>
        {
            var r = await K("get", "secret", "robot-token", "-n", ns, "-o", "jsonpath={.data.token}");
            return (r.Stdout.Length > 0, r.Stdout + r.Stderr);
        });
        var data = await GetJsonAsync(ns, "secret", "robot-token");
        Assert.Equal(ns, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)data["data"]!["namespace"]!)));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)data["data"]!["ca.crt"]!)));
        var token = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)data["data"]!["token"]!));
        Assert.Equal($"true system:serviceaccount:{ns}:robot", await TokenReviewUserAsync(token));
    }

    [Fact]
    public async Task ANodeCannotReadASecretNoPodOnItReferences()
    {
        var ns = await NamespaceAsync("vol-nodeauthz");
        (await K("create", "secret", "generic", "private", "-n", ns, "--from-literal=k=v")).Succeeded();
        var node = "system:node:" + AnvilNodeServer.NodeName;
        var r = (await K("get", "secret", "private", "-n", ns, "--as=" + node, "--as-group=system:nodes")).Failed();
        Assert.Equal($"Error from server (Forbidden): secrets \"private\" is forbidden: User \"{node}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"{ns}\": no relationship found between node '{AnvilNodeServer.NodeName}' and this object\n", r.Stderr);
        Assert.Equal("yes\n", (await K("auth", "can-i", "get", "pods", "--as=" + node, "--as-group=system:nodes")).Stdout);
    }
}
