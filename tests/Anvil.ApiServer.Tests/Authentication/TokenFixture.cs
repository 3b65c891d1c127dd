using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Tests.Store;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Tests.Authentication;

/// <summary>A real store (namespace "ns") with an issuer, the token authenticator and the TokenRequest handler on a manual clock.</summary>
internal sealed class TokenFixture : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    // One key for all tests: RSA generation is slow on a shared machine.
    private static readonly ServiceAccountSigningKey Key = ServiceAccountSigningKey.Generate();

    public StoreFixture Store { get; private init; } = null!;
    public ManualTime Time { get; private init; } = null!;
    public ServiceAccountTokenIssuer Issuer { get; private init; } = null!;
    public ServiceAccountTokenAuthenticator Authenticator { get; private init; } = null!;
    public TokenRequestHandler TokenRequests { get; private init; } = null!;

    public static async Task<TokenFixture> CreateAsync()
    {
        var store = await StoreFixture.CreateAsync();
        var time = new ManualTime(Start);
        var issuer = new ServiceAccountTokenIssuer(Key, time);
        return new TokenFixture
        {
            Store = store,
            Issuer = issuer,
            Authenticator = new ServiceAccountTokenAuthenticator(issuer, store.Catalog, store.Store),
            TokenRequests = new TokenRequestHandler(issuer, store.Catalog, store.Store),
            Time = time,
        };
    }

    public async Task<JsonObject> CreateAsync(string resource, string json, string ns = "ns") =>
        await Store.Store.CreateAsync(Store.Resource(resource), resource == "nodes" ? "" : ns, StoreFixture.Obj(json), new WriteOptions(), default);

    public Task<JsonObject> ServiceAccountAsync(string name = "sa") => CreateAsync("serviceaccounts", $$$"""{"metadata":{"name":"{{{name}}}"}}""");

    public Task<JsonObject> PodAsync(string name = "p", string sa = "sa", string nodeName = "") =>
        CreateAsync("pods", $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"serviceAccountName":"{{{sa}}}",{{{(nodeName.Length > 0 ? $"\"nodeName\":\"{nodeName}\"," : "")}}}"containers":[{"name":"c","image":"busybox"}]}}""");

    public Task DeleteAsync(string resource, string name, string ns = "ns") =>
        Store.Store.DeleteAsync(Store.Resource(resource), resource == "nodes" ? "" : ns, name, new DeleteOptions { GracePeriodSeconds = 0 }, new WriteOptions(), default);

    /// <summary>POSTs a TokenRequest body for service account <paramref name="sa"/> in "ns".</summary>
    public Task<SubresourceResult> RequestTokenAsync(string body, string sa = "sa", WriteOptions? options = null)
    {
        var sas = Store.Resource("serviceaccounts");
        return TokenRequests.CreateAsync(new SubresourceRequest(sas, sas.Subresources.Single(s => s.Name == "token"), "ns", sa, StoreFixture.Obj(body), options ?? new WriteOptions()), default);
    }

    public async Task<string> TokenAsync(string spec = "{}", string sa = "sa") =>
        (string)(await RequestTokenAsync($$$"""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{{{spec}}}}""", sa)).Object["status"]!["token"]!;

    public ValueTask<TokenAuthenticationResult> AuthenticateAsync(string token, IReadOnlyList<string>? audiences = null) =>
        Authenticator.AuthenticateTokenAsync(token, audiences, default);

    public static string Uid(JsonObject obj) => ObjectMeta.Uid(obj);

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
