using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Schema;
using Anvil.Toolforge.Policy;

namespace Anvil.Toolforge.Tests;

/// <summary>
/// Runs the tool policies as the API server's admission chain does (every mutation, then every validation)
/// against fake tool namespaces: <c>tool-alpha</c> (uid 52001, gid 52002), <c>tool-ghost</c> (no Tool object),
/// <c>tool-off</c> (disabled), <c>misnamed</c> (labelled but without the prefix); anything else is not a tool's.
/// </summary>
internal static class PolicyHarness
{
    public const long Uid = 52001;
    public const long Gid = 52002;

    public static readonly ToolforgeOptions Options = new() { Homes = "/srv/homes", Domain = "localhost" };

    public static FakeToolResolver Tools() => new(
        ToolScope.Usable("tool-alpha", Uid, Gid),
        ToolScope.WithoutTool("tool-ghost"),
        ToolScope.Usable("tool-off", 52003, 52003, disabled: true),
        ToolScope.Misnamed("misnamed"));

    private static readonly ResourceCatalog Catalog = BuildCatalog();

    private static ResourceCatalog BuildCatalog()
    {
        var c = new ResourceCatalog();
        c.AddRange(BuiltinResources.Build(BuiltinStrategies.For, Anvil.Machinery.Tables.TablePrinters.For,
            Anvil.Machinery.Selectors.FieldSelectorFields.For, new SchemaRegistry()));
        return c;
    }

    /// <summary>JSON written with single quotes, for readable test tables.</summary>
    public static JsonObject J(string json) => JsonNode.Parse(json.Replace('\'', '"'))!.AsObject();

    public static JsonObject Pod(string spec, string name = "p", string labels = "{}") =>
        J($"{{'apiVersion':'v1','kind':'Pod','metadata':{{'name':'{name}','labels':{labels}}},'spec':{spec}}}");

    /// <summary>A spec with one compliant-by-mutation container.</summary>
    public const string Simple = "{'containers':[{'name':'c','image':'anvil.local/busybox'}]}";

    public static AdmissionAttributes Attrs(AdmissionOperation op, string group, string resource, string ns, JsonObject obj,
        JsonObject? old = null, string subresource = "")
    {
        var def = Catalog.All.First(d => d.Group == group && d.Resource == resource);
        var name = (string?)obj["metadata"]?["name"] ?? "";
        return new AdmissionAttributes(op, def, subresource, ns, name, obj, old, new UserInfo("alice", ["system:authenticated"]), false);
    }

    public static AdmissionAttributes CreatePod(string ns, JsonObject pod) => Attrs(AdmissionOperation.Create, "", "pods", ns, pod);

    /// <summary>Runs the chain; null when admitted, else the Forbidden message.</summary>
    public static async Task<string?> AdmitAsync(AdmissionAttributes a, IToolResolver? tools = null, ToolforgeOptions? options = null)
    {
        var chain = new AdmissionChain(ToolforgePolicy.Plugins(tools ?? Tools(), options ?? Options));
        try
        {
            await chain.MutateAsync(a, CancellationToken.None);
            await chain.ValidateAsync(a, CancellationToken.None);
            return null;
        }
        catch (StatusError e)
        {
            Assert.Equal(403, e.Code);
            Assert.Equal("Forbidden", e.Reason);
            return e.Message;
        }
    }

    /// <summary>Structural equality (key order aside), showing both documents when they differ.</summary>
    public static void JsonEqual(string expected, JsonNode? actual)
    {
        var want = JsonNode.Parse(expected.Replace('\'', '"'));
        Assert.True(JsonNode.DeepEquals(want, actual), $"expected {want?.ToJsonString()}\nactual   {actual?.ToJsonString()}");
    }
}
