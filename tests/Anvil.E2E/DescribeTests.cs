using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary><c>kubectl describe</c>: rendered by kubectl from the object, its events (field selector) and related objects.</summary>
public sealed class DescribeTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Fact]
    public async Task Describe_ConfigMap()
    {
        var ns = await NamespaceAsync("describe-cm");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: desc
              labels: {app: e2e}
            data:
              greeting: hello
            """);

        var r = (await K("describe", "configmap", "desc", "-n", ns)).Succeeded();

        // Blank lines are kubectl's layout; the content lines are what the server's object determines.
        Assert.Equal(
            [
                "Name:         desc",
                $"Namespace:    {ns}",
                "Labels:       app=e2e",
                "Annotations:  <none>",
                "Data",
                "====",
                "greeting:",
                "----",
                "hello",
                "BinaryData",
                "====",
                "Events:  <none>",
            ],
            r.StdoutLines.Where(l => l.Length > 0));
    }

    [Fact]
    public async Task Describe_Deployment()
    {
        var ns = await NamespaceAsync("describe-deploy");
        await CreateAsync(ns, """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              labels: {app: web}
            spec:
              replicas: 0
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: nginx
                    image: nginx:1.27
                    ports:
                    - containerPort: 80
            """);

        var r = (await K("describe", "deployment", "web", "-n", ns)).Succeeded();

        var expected = new[]
        {
            @"Name:\s+web",
            $@"Namespace:\s+{ns}",
            @"CreationTimestamp:\s+\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}",
            @"Labels:\s+app=web",
            @"Selector:\s+app=web",
            @"Replicas:\s+0 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable",
            // Defaults the server fills in (pkg/apis/apps/v1/defaults.go).
            @"StrategyType:\s+RollingUpdate",
            @"MinReadySeconds:\s+0",
            @"RollingUpdateStrategy:\s+25% max unavailable, 25% max surge",
            @"Pod Template:",
            @"\s+Labels:\s+app=web",
            @"\s+Containers:",
            @"\s+nginx:",
            @"\s+Image:\s+nginx:1\.27",
            @"\s+Port:\s+80/TCP",
            @"\s+Host Port:\s+0/TCP",
            // kubectl prints these only when its ReplicaSet lookup succeeds; without a controller there are none yet.
            @"OldReplicaSets:\s+<none>",
            @"NewReplicaSet:\s+(<none>|web-[a-z0-9]+ \(0/0 replicas created\))",
            @"Events:\s+<none>",
        };
        var lines = r.StdoutLines;
        var at = 0;
        foreach (var pattern in expected)
        {
            var found = Array.FindIndex(lines, at, l => Regex.IsMatch(l, "^" + pattern + "$"));
            Assert.True(found >= 0, $"no line /{pattern}/ after line {at}\n{r}");
            at = found + 1;
        }
    }
}
