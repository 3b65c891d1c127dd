using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.Certificates;
using Anvil.ApiServer.OpenApi;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Schema;
using Anvil.Storage.Sqlite;
using static Anvil.ApiServer.Tests.Certificates.CsrTestData;

namespace Anvil.ApiServer.Tests.Certificates;

/// <summary>CSRs through the generic store: the requester, the approval and status subresources, the certificate admission plugins.</summary>
public sealed class CertificateSigningRequestStoreTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-csr-store-").FullName;
    private SqliteStore _sqlite = null!;
    private ResourceStore _store = null!;
    private ResourceDefinition _csr = null!;
    private IAuthorizer _authorizer = new AlwaysAllowAuthorizer();

    static readonly UserInfo Alice = new("alice", ["devs", "system:authenticated"]);

    public async Task InitializeAsync()
    {
        _sqlite = await SqliteStore.OpenAsync(Path.Combine(_dir, "state.db"));
        var schemas = new SchemaRegistry();
        var catalog = new ResourceCatalog();
        new OpenApiService(catalog).LoadSchemas(schemas);
        catalog.AddRange(BuiltinResources.Build(BuiltinStrategies.For, Anvil.Machinery.Tables.TablePrinters.For, Anvil.Machinery.Selectors.FieldSelectorFields.For, schemas));
        _csr = catalog.Find("certificates.k8s.io", "v1", "certificatesigningrequests")!;
        _store = new ResourceStore(_sqlite, new AdmissionChain([
            new CertificateApproval(() => _authorizer), new CertificateSigning(() => _authorizer), new CertificateSubjectRestriction(),
        ]), TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    Task<JsonObject> CreateAsync(JsonObject csr, UserInfo? user = null) =>
        _store.CreateAsync(_csr, "", csr, new WriteOptions { User = user ?? Alice }, default);

    async Task<JsonObject> PutAsync(JsonObject csr, string subresource, UserInfo? user = null) =>
        (await _store.UpdateAsync(_csr, "", (string)csr["metadata"]!["name"]!, csr, new WriteOptions { User = user ?? Alice, Subresource = subresource }, default)).Object;

    static JsonObject Approve(JsonObject stored)
    {
        var copy = (JsonObject)stored.DeepClone();
        var condition = new JsonObject
        {
            ["type"] = "Approved", ["status"] = "True", ["reason"] = "KubectlApprove",
            ["message"] = "This CSR was approved by kubectl certificate approve.", ["lastUpdateTime"] = "2026-01-02T03:04:05Z",
        };
        copy["status"] = new JsonObject { ["conditions"] = new JsonArray(condition) };
        return copy;
    }

    [Fact]
    public async Task Create_RecordsRequestingUser()
    {
        var stored = await CreateAsync(Csr());

        Assert.Equal("alice", (string?)stored["spec"]!["username"]);
        Assert.Equal("""["devs","system:authenticated"]""", stored["spec"]!["groups"]!.ToJsonString());
        Assert.Equal("{}", stored["status"]!.ToJsonString());
    }

    [Fact]
    public async Task ApprovalPut_SetsCondition_MainPutCannot()
    {
        var stored = await CreateAsync(Csr());

        var viaMain = await PutAsync(Approve(stored), "");
        Assert.Null(viaMain["status"]!["conditions"]);

        var approved = await PutAsync(Approve(viaMain), "approval");
        Assert.Equal("Approved", (string?)approved["status"]!["conditions"]![0]!["type"]);
        Assert.Equal("2026-01-02T03:04:05Z", (string?)approved["status"]!["conditions"]![0]!["lastUpdateTime"]);
        Assert.NotNull((string?)approved["status"]!["conditions"]![0]!["lastTransitionTime"]);
    }

    [Fact]
    public async Task ApprovalPatch_RemovingApproved_Invalid()
    {
        var approved = await PutAsync(Approve(await CreateAsync(Csr())), "approval");

        var e = await Assert.ThrowsAsync<StatusError>(() => _store.GuaranteedUpdateAsync(_csr, "", "alice", current =>
        {
            current!["status"]!["conditions"] = new JsonArray();
            return current;
        }, new WriteOptions { User = Alice, Subresource = "approval" }, createIfMissing: false, hasPrecondition: false, default));

        Assert.Equal(422, e.Code);
        // (The kind in the message is unqualified here; kube-apiserver says CertificateSigningRequest.certificates.k8s.io.)
        Assert.EndsWith("\"alice\" is invalid: status.conditions: Forbidden: updates may not remove a condition of type \"Approved\"", e.Message);
        Assert.NotNull(approved);
    }

    [Fact]
    public async Task Approval_NotPermitted_Forbidden()
    {
        var stored = await CreateAsync(Csr());
        _authorizer = new DenyAll();

        var e = await Assert.ThrowsAsync<StatusError>(() => PutAsync(Approve(stored), "approval"));

        Assert.Equal(403, e.Code);
        Assert.Equal("certificatesigningrequests.certificates.k8s.io \"alice\" is forbidden: user not permitted to approve requests with signerName \"kubernetes.io/kube-apiserver-client\"", e.Message);
    }

    [Fact]
    public async Task Status_SigningNotPermitted_Forbidden()
    {
        var approved = await PutAsync(Approve(await CreateAsync(Csr())), "approval");
        _authorizer = new DenyAll();
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var cert = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=x", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        approved["status"]!["certificate"] = Base64(cert.ExportCertificatePem());

        var e = await Assert.ThrowsAsync<StatusError>(() => PutAsync(approved, "status"));

        Assert.Equal(403, e.Code);
        Assert.Equal("certificatesigningrequests.certificates.k8s.io \"alice\" is forbidden: user not permitted to sign requests with signerName \"kubernetes.io/kube-apiserver-client\"", e.Message);
    }

    [Fact]
    public async Task Approval_SignerDomainWildcard_Allowed()
    {
        var stored = await CreateAsync(Csr(signerName: "example.com/custom"));
        _authorizer = new AllowOnly("example.com/*");

        var approved = await PutAsync(Approve(stored), "approval");

        Assert.Equal("Approved", (string?)approved["status"]!["conditions"]![0]!["type"]);
    }

    [Fact]
    public async Task SystemMastersForApiServerClient_Forbidden()
    {
        var e = await Assert.ThrowsAsync<StatusError>(() => CreateAsync(Csr(name: "evil", request: RequestPem("O=system:masters, CN=evil"))));

        Assert.Equal(403, e.Code);
        Assert.Equal("certificatesigningrequests.certificates.k8s.io \"evil\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed", e.Message);
    }

    [Fact]
    public async Task SystemMastersForOtherSigner_Allowed()
    {
        var stored = await CreateAsync(Csr(name: "other", request: RequestPem("O=system:masters, CN=x"), signerName: "example.com/custom"));

        Assert.Equal("other", (string?)stored["metadata"]!["name"]);
    }

    sealed class DenyAll : IAuthorizer
    {
        public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct) =>
            ValueTask.FromResult(AuthorizationDecision.NoOpinion);
    }

    sealed class AllowOnly(string signer) : IAuthorizer
    {
        public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes a, CancellationToken ct) =>
            ValueTask.FromResult(a is { Resource: "signers", ApiGroup: "certificates.k8s.io" } && a.Name == signer
                ? new AuthorizationDecision(Decision.Allow) : AuthorizationDecision.NoOpinion);
    }
}
