using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Authentication;

public sealed class TokenRequestHandlerTests : IAsyncLifetime
{
    private TokenFixture _f = null!;

    public async Task InitializeAsync()
    {
        _f = await TokenFixture.CreateAsync();
        await _f.ServiceAccountAsync();
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task<StatusError> FailsAsync(string spec, string sa = "sa", string metadata = "{}") =>
        await Assert.ThrowsAsync<StatusError>(() => _f.RequestTokenAsync($$$"""{"metadata":{{{metadata}}},"spec":{{{spec}}}}""", sa));

    [Fact]
    public async Task DefaultsAudiencesAndOneHourAndAnswersCreated()
    {
        var r = await _f.RequestTokenAsync("""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{"creationTimestamp":null},"spec":{}}""");

        Assert.Equal(201, r.StatusCode);
        var token = (string)r.Object["status"]!["token"]!;
        var expected = $$$"""
            {"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1",
             "metadata":{"creationTimestamp":"2026-11-21T12:00:00Z","name":"sa","namespace":"ns"},
             "spec":{"audiences":["https://kubernetes.default.svc.cluster.local"],"expirationSeconds":3600,"boundObjectRef":null},
             "status":{"token":"{{{token}}}","expirationTimestamp":"2026-11-21T13:00:00Z"}}
            """;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), r.Object), r.Object.ToJsonString());
        Assert.Equal(3, token.Split('.').Length);
    }

    [Theory]
    [InlineData(10, "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes")]
    [InlineData(599, "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes")]
    [InlineData(-1, "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: -1: may not specify a duration less than 10 minutes")]
    [InlineData(4294967297, "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds")]
    public async Task ExpirationOutsideLimitsIsInvalid(long seconds, string message)
    {
        var e = await FailsAsync($$$"""{"expirationSeconds":{{{seconds}}}}""");

        Assert.Equal((422, "Invalid", message), (e.Code, e.Reason, e.Message));
        Assert.Equal(("authentication.k8s.io", "TokenRequest", null), (e.DetailsGroup, e.DetailsKind, e.DetailsName));
        Assert.Equal("spec.expirationSeconds", Assert.Single(e.Causes).Field);
    }

    [Theory]
    [InlineData(600, 600, null)]
    [InlineData(31536000, 31536000, null)]
    [InlineData(4294967296, 31536000, "requested expiration of 4294967296 seconds shortened to 31536000 seconds")]
    public async Task LongExpirationsAreShortenedToTheMaximumWithAWarning(long requested, long granted, string? warning)
    {
        var options = new WriteOptions();
        var r = await _f.RequestTokenAsync($$$"""{"spec":{"expirationSeconds":{{{requested}}}}}""", options: options);

        Assert.Equal(granted, (long)r.Object["spec"]!["expirationSeconds"]!);
        Assert.Equal(TokenFixture.Start.AddSeconds(granted).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), (string?)r.Object["status"]!["expirationTimestamp"]);
        Assert.Equal(warning == null ? [] : [warning], options.Warnings);
    }

    [Fact]
    public async Task MissingServiceAccountIsNotFound()
    {
        var e = await FailsAsync("{}", sa: "nope");

        Assert.Equal((404, "serviceaccounts \"nope\" not found"), (e.Code, e.Message));
    }

    [Theory]
    [InlineData("""{"name":"other"}""", "TokenRequest.authentication.k8s.io \"sa\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified")]
    [InlineData("""{"namespace":"other"}""", "TokenRequest.authentication.k8s.io \"sa\" is invalid: metadata.namespace: Invalid value: \"other\": must match the service account namespace if specified")]
    public async Task BodyNameAndNamespaceMustMatchThePath(string metadata, string message)
    {
        var e = await FailsAsync("{}", metadata: metadata);

        Assert.Equal((422, message), (e.Code, e.Message));
    }

    [Fact]
    public async Task BoundPodMustExist()
    {
        var e = await FailsAsync("""{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"gone"}}""");

        Assert.Equal((404, "pods \"gone\" not found"), (e.Code, e.Message));
    }

    [Fact]
    public async Task BoundPodMustRunAsTheServiceAccount()
    {
        await _f.ServiceAccountAsync("other");
        await _f.PodAsync(sa: "other");

        var e = await FailsAsync("""{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p"}}""");

        Assert.Equal((400, "cannot bind token for serviceaccount \"sa\" to pod running with different serviceaccount name."), (e.Code, e.Message));
    }

    [Fact]
    public async Task BoundObjectUidMustMatch()
    {
        await _f.PodAsync();

        var e = await FailsAsync("""{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p","uid":"0000"}}""");

        Assert.Equal((409, "Conflict", "Operation cannot be fulfilled on Pod \"p\": the UID in the bound object reference (0000) does not match the UID in record. The object might have been deleted and then recreated"),
            (e.Code, e.Reason, e.Message));
    }

    [Theory]
    [InlineData("ConfigMap", "v1", "cannot bind token to object of type /v1, Kind=ConfigMap")]
    [InlineData("Deployment", "apps/v1", "cannot bind token to object of type apps/v1, Kind=Deployment")]
    public async Task OnlyPodsSecretsAndNodesCanBeBound(string kind, string apiVersion, string message)
    {
        var e = await FailsAsync($$$"""{"boundObjectRef":{"kind":"{{{kind}}}","apiVersion":"{{{apiVersion}}}","name":"x"}}""");

        Assert.Equal((400, message), (e.Code, e.Message));
    }

    [Fact]
    public async Task MalformedExpirationIsBadRequest()
    {
        var e = await FailsAsync("""{"expirationSeconds":"3600"}""");

        Assert.Equal((400, "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64"),
            (e.Code, e.Message));
    }

    [Fact]
    public async Task RequestedAudiencesAreKept()
    {
        var r = await _f.RequestTokenAsync("""{"spec":{"audiences":["vault","nats"]}}""");

        Assert.Equal(["vault", "nats"], r.Object["spec"]!["audiences"]!.AsArray().Select(a => (string)a!).ToArray());
    }
}
