using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry.Certificates;
using Anvil.Machinery.Errors;
using static Anvil.ApiServer.Tests.Certificates.CsrTestData;

namespace Anvil.ApiServer.Tests.Certificates;

public sealed class CertificateSigningRequestStrategyTests
{
    static readonly CertificateSigningRequestStrategy Strategy = CertificateSigningRequestStrategy.Instance;
    static readonly UserInfo Alice = new("alice", ["devs", "system:authenticated"], "uid-1")
    {
        Extra = new Dictionary<string, IReadOnlyList<string>> { ["scopes"] = ["a", "b"] },
    };

    static List<string> CreateErrors(JsonObject csr)
    {
        Strategy.Default(csr);
        Strategy.PrepareForCreate(csr, Alice);
        return Strategy.Validate(csr).Select(e => e.ToString()).ToList();
    }

    /// <summary>A stored CSR: created by alice, then changed by <paramref name="change"/> as if written earlier.</summary>
    static JsonObject Stored(Action<JsonObject>? change = null)
    {
        var csr = Csr();
        Strategy.PrepareForCreate(csr, Alice);
        change?.Invoke(csr);
        return csr;
    }

    [Fact]
    public void Create_ValidRequest_NoErrors()
    {
        Assert.Empty(CreateErrors(Csr(expirationSeconds: 600, usages: ["digital signature", "key encipherment", "client auth"])));
    }

    public static TheoryData<JsonObject, string[]> InvalidObjects => new()
    {
        { Csr(request: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
          ["spec.request: Invalid value: []byte{" + string.Join(", ", System.Text.Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").Select(b => "0x" + b.ToString("x"))) + "}: PEM block type must be CERTIFICATE REQUEST"] },
        { Csr(usages: []), ["spec.usages: Required value"] },
        { Csr(usages: ["client auth", "bogus", "client auth"]),
          ["spec.usages[1]: Unsupported value: \"bogus\": supported values: \"any\", \"cert sign\", \"client auth\", \"code signing\", \"content commitment\", \"crl sign\", \"data encipherment\", \"decipher only\", \"digital signature\", \"email protection\", \"encipher only\", \"ipsec end system\", \"ipsec tunnel\", \"ipsec user\", \"key agreement\", \"key encipherment\", \"microsoft sgc\", \"netscape sgc\", \"ocsp signing\", \"s/mime\", \"server auth\", \"signing\", \"timestamping\"",
           "spec.usages[2]: Duplicate value: \"client auth\""] },
        { Csr(signerName: ""), ["spec.signerName: Required value"] },
        { Csr(signerName: "example"), ["spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name'"] },
        { Csr(signerName: "a/b/c"), ["spec.signerName: Invalid value: \"a/b/c\": must be a fully qualified domain and path of the form 'example.com/signer-name'"] },
        { Csr(signerName: "example/signer"), ["spec.signerName: Invalid value: \"example\": should be a domain with at least two segments separated by dots"] },
        { Csr(signerName: "Example.com/signer"),
          ["spec.signerName: Invalid value: \"Example.com\": validating label \"Example\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"] },
        { Csr(signerName: "kubernetes.io/legacy-unknown"), ["spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version"] },
        { Csr(expirationSeconds: 599), ["spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)"] },
    };

    [Theory]
    [MemberData(nameof(InvalidObjects))]
    public void Create_Invalid_UpstreamMessages(JsonObject csr, string[] expected)
    {
        Assert.Equal(expected, CreateErrors(csr));
    }

    [Fact]
    public void Create_MissingRequest_PrintsNilBytes()
    {
        var csr = Csr();
        ((JsonObject)csr["spec"]!).Remove("request");

        Assert.Equal(["spec.request: Invalid value: []byte(nil): PEM block type must be CERTIFICATE REQUEST"], CreateErrors(csr));
    }

    [Fact]
    public void Create_TamperedSignature_Refused()
    {
        var pem = RequestPem();
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        der[^3] ^= 0x01; // inside the ECDSA signature
        var tampered = new string(System.Security.Cryptography.PemEncoding.Write("CERTIFICATE REQUEST", der));

        Assert.Equal(["spec.request"], CreateErrors(Csr(request: tampered)).Select(e => e.Split(':')[0]));
    }

    [Theory]
    [InlineData("a!b", 1)]
    [InlineData("abc", 3)]
    [InlineData("ab=c", 2)]
    public void Default_NotBase64_BadRequest(string request, int offset)
    {
        var csr = Csr();
        csr["spec"]!["request"] = request;

        var e = Assert.Throws<StatusError>(() => Strategy.Default(csr));

        Assert.Equal(400, e.Code);
        Assert.Equal($"CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: illegal base64 data at input byte {offset}", e.Message);
    }

    [Fact]
    public void Create_RecordsRequesterAndClearsStatus()
    {
        var csr = Csr();
        csr["spec"]!["username"] = "mallory";
        csr["spec"]!["groups"] = new JsonArray("system:masters");
        csr["status"] = WithConditions(csr, Condition("Approved"))["status"]!.DeepClone();

        Strategy.PrepareForCreate(csr, Alice);

        Assert.Equal("alice", (string?)csr["spec"]!["username"]);
        Assert.Equal("uid-1", (string?)csr["spec"]!["uid"]);
        Assert.Equal("""["devs","system:authenticated"]""", csr["spec"]!["groups"]!.ToJsonString());
        Assert.Equal("""{"scopes":["a","b"]}""", csr["spec"]!["extra"]!.ToJsonString());
        Assert.Equal("{}", csr["status"]!.ToJsonString());
    }

    [Fact]
    public void Update_SpecAndStatusKept_LabelsChange()
    {
        var old = Stored(c => c["status"] = WithConditions(c, Condition("Approved"))["status"]!.DeepClone());
        var update = (JsonObject)old.DeepClone();
        update["spec"]!["signerName"] = "example.com/other";
        update["spec"]!["username"] = "mallory";
        update["status"] = new JsonObject();
        update["metadata"]!["labels"] = new JsonObject { ["team"] = "x" };

        Strategy.PrepareForUpdate(update, old);

        Assert.True(JsonNode.DeepEquals(old["spec"], update["spec"]));
        Assert.True(JsonNode.DeepEquals(old["status"], update["status"]));
        Assert.Equal("x", (string?)update["metadata"]!["labels"]!["team"]);
        Assert.Empty(Strategy.ValidateUpdate(update, old));
    }

    static List<string> Approve(JsonObject old, JsonObject update)
    {
        var s = CertificateSigningRequestApprovalStrategy.Instance;
        s.Default(update);
        s.PrepareForUpdate(update, old);
        return s.ValidateUpdate(update, old).Select(e => e.ToString()).ToList();
    }

    static List<string> UpdateStatus(JsonObject old, JsonObject update)
    {
        var s = CertificateSigningRequestStatusStrategy.Instance;
        s.Default(update);
        s.PrepareForUpdate(update, old);
        return s.ValidateUpdate(update, old).Select(e => e.ToString()).ToList();
    }

    [Fact]
    public void Approval_AddsApproved_KeepsSpecAndCertificate_FillsTimes()
    {
        var old = Stored();
        var update = WithConditions(old, Condition("Approved"));
        update["spec"]!["usages"] = new JsonArray("server auth");
        update["status"]!["certificate"] = "AAAA";
        ((JsonObject)update["status"]!["conditions"]![0]!).Remove("lastUpdateTime");
        ((JsonObject)update["status"]!["conditions"]![0]!).Remove("lastTransitionTime");

        Assert.Empty(Approve(old, update));
        Assert.True(JsonNode.DeepEquals(old["spec"], update["spec"]));
        Assert.Null(update["status"]!["certificate"]);
        var condition = update["status"]!["conditions"]![0]!;
        Assert.Equal("Approved", (string?)condition["type"]);
        Assert.NotNull((string?)condition["lastUpdateTime"]);
        Assert.Equal((string?)condition["lastUpdateTime"], (string?)condition["lastTransitionTime"]);
    }

    public static TheoryData<JsonObject[], JsonObject[], string[]> ApprovalCases => new()
    {
        { [], [Condition("Approved"), Condition("Denied")],
          ["status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive"] },
        { [Condition("Approved")], [Condition("Approved"), Condition("Denied")],
          ["status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive"] },
        { [Condition("Approved")], [], ["status.conditions: Forbidden: updates may not remove a condition of type \"Approved\""] },
        { [Condition("Denied")], [], ["status.conditions: Forbidden: updates may not remove a condition of type \"Denied\""] },
        { [Condition("Approved"), Condition("Failed", reason: "SignerValidationFailure")], [Condition("Approved")],
          ["status.conditions: Forbidden: updates may not remove a condition of type \"Failed\""] },
        { [], [Condition("Approved"), Condition("Approved")], ["status.conditions[1].type: Duplicate value: \"Approved\""] },
        { [], [Condition("Approved", status: "False")], ["status.conditions[0].status: Unsupported value: \"False\": supported values: \"True\""] },
        { [], [Condition("Custom", status: "Maybe")], ["status.conditions[0].status: Unsupported value: \"Maybe\": supported values: \"False\", \"True\", \"Unknown\""] },
        { [], [Condition("", status: "")], ["status.conditions[0].type: Required value", "status.conditions[0].status: Required value"] },
        { [], [Condition("Denied")], [] },
        { [Condition("Approved")], [Condition("Approved")], [] },
    };

    [Theory]
    [MemberData(nameof(ApprovalCases))]
    public void Approval_Rules(JsonObject[] before, JsonObject[] after, string[] expected)
    {
        var old = WithConditions(Stored(), before);

        Assert.Equal(expected, Approve(old, WithConditions(old, after)));
    }

    [Fact]
    public void Approval_BothApprovedAndDeniedAlreadyStored_Tolerated()
    {
        var old = WithConditions(Stored(), Condition("Approved"), Condition("Denied"));

        Assert.Empty(Approve(old, WithConditions(old, Condition("Approved"), Condition("Denied"), Condition("Custom"))));
    }

    [Fact]
    public void Status_CannotAddApproved()
    {
        var old = Stored();

        Assert.Equal(["status.conditions: Forbidden: updates may not add a condition of type \"Approved\""],
            UpdateStatus(old, WithConditions(old, Condition("Approved"))));
    }

    [Fact]
    public void Status_CannotRewriteApproved_StoredOneKept()
    {
        var old = WithConditions(Stored(), Condition("Approved"));
        var rewritten = Condition("Approved");
        rewritten["message"] = "changed";
        var update = WithConditions(old, rewritten, Condition("Failed", reason: "SignerValidationFailure"));

        Assert.Empty(UpdateStatus(old, update));
        Assert.Equal("test", (string?)update["status"]!["conditions"]![0]!["message"]);
        Assert.Equal("Failed", (string?)update["status"]!["conditions"]![1]!["type"]);
    }

    [Fact]
    public void Status_SetsCertificateOnce()
    {
        var certificate = Base64(IssuedPem());
        var old = WithConditions(Stored(), Condition("Approved"));
        var update = (JsonObject)old.DeepClone();
        update["status"]!["certificate"] = certificate;
        Assert.Empty(UpdateStatus(old, update));

        var again = (JsonObject)update.DeepClone();
        again["status"]!["certificate"] = Base64(IssuedPem());
        Assert.Equal(["status.certificate: Forbidden: updates may not modify existing certificate content"], UpdateStatus(update, again));
    }

    [Theory]
    [InlineData("junk", "status.certificate: Invalid value: \"<certificate data>\": must contain at least one CERTIFICATE PEM block")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "status.certificate: Invalid value: \"<certificate data>\": only CERTIFICATE PEM blocks are allowed, found \"PRIVATE KEY\"")]
    public void Status_InvalidCertificate(string pem, string expected)
    {
        var old = WithConditions(Stored(), Condition("Approved"));
        var update = (JsonObject)old.DeepClone();
        update["status"]!["certificate"] = Base64(pem);

        Assert.Equal([expected], UpdateStatus(old, update));
    }

    [Fact]
    public void MainUpdate_CannotSetCertificate()
    {
        // The main resource keeps the stored status, so a certificate in the body is dropped, not stored.
        var old = WithConditions(Stored(), Condition("Approved"));
        var update = (JsonObject)old.DeepClone();
        update["status"]!["certificate"] = Base64(IssuedPem());

        Strategy.PrepareForUpdate(update, old);

        Assert.Null(update["status"]!["certificate"]);
    }

    static string IssuedPem()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var req = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=x", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        return cert.ExportCertificatePem() + "\n";
    }
}
