using System.Text.Json.Nodes;
using Anvil.Node.Env;

namespace Anvil.Node.Tests;

public sealed class ServiceEnvTests
{
    internal static JsonObject Service(string ns, string name, string clusterIP, string ports = """[{"name":"https","port":443,"protocol":"TCP"}]""") =>
        FakeObjects.Obj($$$"""{"metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},"spec":{"clusterIP":"{{{clusterIP}}}","ports":{{{ports}}}}}""");

    private static string Join(IEnumerable<KeyValuePair<string, string>> env) => string.Join(";", env.Select(p => p.Key + "=" + p.Value));

    [Fact]
    public void MasterServiceVariables()
    {
        Assert.Equal(
            "KUBERNETES_SERVICE_HOST=10.96.0.1;KUBERNETES_SERVICE_PORT=443;KUBERNETES_SERVICE_PORT_HTTPS=443;" +
            "KUBERNETES_PORT=tcp://10.96.0.1:443;KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443;KUBERNETES_PORT_443_TCP_PROTO=tcp;" +
            "KUBERNETES_PORT_443_TCP_PORT=443;KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1",
            Join(ServiceEnv.FromServices([Service("default", "kubernetes", "10.96.0.1")])));
    }

    [Theory]
    // Only the first port may be unnamed: it gives _SERVICE_PORT but no _SERVICE_PORT_<NAME>; the protocol defaults to TCP.
    [InlineData("my-svc", "10.96.0.10", """[{"port":80},{"name":"dns-udp","port":53,"protocol":"UDP"}]""",
        "MY_SVC_SERVICE_HOST=10.96.0.10;MY_SVC_SERVICE_PORT=80;MY_SVC_SERVICE_PORT_DNS_UDP=53;MY_SVC_PORT=tcp://10.96.0.10:80;" +
        "MY_SVC_PORT_80_TCP=tcp://10.96.0.10:80;MY_SVC_PORT_80_TCP_PROTO=tcp;MY_SVC_PORT_80_TCP_PORT=80;MY_SVC_PORT_80_TCP_ADDR=10.96.0.10;" +
        "MY_SVC_PORT_53_UDP=udp://10.96.0.10:53;MY_SVC_PORT_53_UDP_PROTO=udp;MY_SVC_PORT_53_UDP_PORT=53;MY_SVC_PORT_53_UDP_ADDR=10.96.0.10")]
    [InlineData("s", "fd00::a", """[{"name":"sctp-x","port":9,"protocol":"SCTP"}]""",
        "S_SERVICE_HOST=fd00::a;S_SERVICE_PORT=9;S_SERVICE_PORT_SCTP_X=9;S_PORT=sctp://[fd00::a]:9;" +
        "S_PORT_9_SCTP=sctp://[fd00::a]:9;S_PORT_9_SCTP_PROTO=sctp;S_PORT_9_SCTP_PORT=9;S_PORT_9_SCTP_ADDR=fd00::a")]
    [InlineData("headless", "None", """[{"port":80}]""", "")]
    [InlineData("external", "", """[{"port":80}]""", "")]
    public void Variables(string name, string clusterIP, string ports, string expected)
    {
        Assert.Equal(expected, Join(ServiceEnv.FromServices([Service("ns", name, clusterIP, ports)])));
    }

    private static readonly JsonObject[] Cluster =
    [
        Service("tools", "web", "10.96.0.20", """[{"port":8080}]"""),
        Service("default", "kubernetes", "10.96.0.1"),
        Service("other", "db", "10.96.0.30", """[{"port":5432}]"""),
        Service("tools", "api", "10.96.0.21", """[{"port":8000}]"""),
        Service("tools", "headless", "None", """[{"port":80}]"""),
        Service("default", "dns", "10.96.0.40", """[{"port":53}]"""),
    ];

    private static string Names(IEnumerable<KeyValuePair<string, string>> env) =>
        string.Join(",", env.Where(p => p.Key.EndsWith("_SERVICE_HOST", StringComparison.Ordinal)).Select(p => p.Key + "=" + p.Value));

    [Theory]
    // Services of the pod's namespace by name plus the master service; not other namespaces', not headless ones.
    [InlineData("tools", true, "API_SERVICE_HOST=10.96.0.21,KUBERNETES_SERVICE_HOST=10.96.0.1,WEB_SERVICE_HOST=10.96.0.20")]
    [InlineData("tools", false, "KUBERNETES_SERVICE_HOST=10.96.0.1")]
    [InlineData("default", true, "DNS_SERVICE_HOST=10.96.0.40,KUBERNETES_SERVICE_HOST=10.96.0.1")]
    [InlineData("default", false, "KUBERNETES_SERVICE_HOST=10.96.0.1")]
    [InlineData("empty", true, "KUBERNETES_SERVICE_HOST=10.96.0.1")]
    public void ForPod(string ns, bool enableServiceLinks, string expected)
    {
        Assert.Equal(expected, Names(ServiceEnv.ForPod(ns, enableServiceLinks, Cluster)));
    }

    [Theory]
    // A namespace Service named like the master service hides it, whichever the list gives first; without service links the master's stays.
    [InlineData(true, "10.96.0.99")]
    [InlineData(false, "10.96.0.1")]
    public void NamespaceServiceNamedKubernetesReplacesTheMasterService(bool enableServiceLinks, string expected)
    {
        var own = Service("tools", "kubernetes", "10.96.0.99");
        var master = Service("default", "kubernetes", "10.96.0.1");
        Assert.Equal("KUBERNETES_SERVICE_HOST=" + expected, Names(ServiceEnv.ForPod("tools", enableServiceLinks, [own, master])));
        Assert.Equal("KUBERNETES_SERVICE_HOST=" + expected, Names(ServiceEnv.ForPod("tools", enableServiceLinks, [master, own])));
    }

    [Theory]
    [InlineData("""{"spec":{}}""", true)]
    [InlineData("""{"spec":{"enableServiceLinks":true}}""", true)]
    [InlineData("""{"spec":{"enableServiceLinks":false}}""", false)]
    public void EnableServiceLinksDefaultsToTrue(string pod, bool expected)
    {
        Assert.Equal(expected, ServiceEnv.EnableServiceLinks(FakeObjects.Obj(pod)));
    }
}
