using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// certificates.k8s.io CSRs with <c>openssl</c> and <c>kubectl certificate approve|deny</c>: the cluster CA
/// signs approved kube-apiserver-client requests, and the certificate logs in as the requested CN/O.
/// CSRs are cluster-scoped, so every test uses its own names.
/// </summary>
public sealed class CertificateSigningRequestTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private static readonly string[] Header = ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"];
    private const string ClientSigner = "kubernetes.io/kube-apiserver-client";

    [Fact]
    public async Task Approve_IssuesCertificate_ThatAuthenticatesAsRequested()
    {
        var key = await NewRequestAsync("alice", "/O=devs/CN=alice");
        var yaml = Kubectl.WriteFile("alice.yaml", CsrYaml("e2e-alice", "alice.csr", ClientSigner, ["client auth"], expirationSeconds: 86400));

        Assert.Equal(["certificatesigningrequest.certificates.k8s.io/e2e-alice created"], (await K("apply", "-f", yaml)).Succeeded().StdoutLines);
        Table.AssertTable(await K("get", "csr", "e2e-alice"), Header, ["e2e-alice", Table.Age, ClientSigner, "admin", "24h", "Pending"]);

        Assert.Equal(["certificatesigningrequest.certificates.k8s.io/e2e-alice approved"], (await K("certificate", "approve", "e2e-alice")).Succeeded().StdoutLines);
        var certificate = await IssuedCertificateAsync("e2e-alice");

        Table.AssertTable(await K("get", "csr", "e2e-alice"), Header, ["e2e-alice", Table.Age, ClientSigner, "admin", "24h", "Approved,Issued"]);
        var approved = (await GetJsonAsync("", "csr", "e2e-alice"))["status"]!["conditions"]![0]!;
        Assert.Equal(("Approved", "True", "KubectlApprove", "This CSR was approved by kubectl certificate approve."),
            ((string?)approved["type"], (string?)approved["status"], (string?)approved["reason"], (string?)approved["message"]));
        File.WriteAllText(Path.Combine(Kubectl.WorkDir, "alice.crt"), certificate);
        Assert.Equal("subject=/O=devs/CN=alice", (await OpenSslAsync("x509", "-in", "alice.crt", "-noout", "-subject", "-nameopt", "compat")).Trim());

        // A kubeconfig with the issued certificate and the key openssl made.
        var kubeconfig = Path.Combine(Kubectl.WorkDir, "alice.kubeconfig");
        File.Copy(Server.KubeconfigPath, kubeconfig);
        (await K("--kubeconfig", kubeconfig, "config", "set-credentials", "admin", "--client-certificate", "alice.crt", "--client-key", key, "--embed-certs")).Succeeded();

        var api = (await K("--kubeconfig", kubeconfig, "get", "--raw", "/api")).Succeeded();
        Assert.Equal("APIVersions", (string?)JsonNode.Parse(api.Stdout)!["kind"]);
        // The server sees the certificate's CN and O: alice in devs.
        var whoami = JsonNode.Parse((await K("--kubeconfig", kubeconfig, "auth", "whoami", "-o", "json")).Succeeded().Stdout)!;
        Assert.Equal("alice", (string?)whoami["status"]!["userInfo"]!["username"]);
        Assert.Equal(["devs", "system:authenticated"], whoami["status"]!["userInfo"]!["groups"]!.AsArray().Select(g => (string?)g));
        // RBAC gives a new user nothing beyond discovery: alice may not create CSRs of her own.
        var denied = (await K("--kubeconfig", kubeconfig, "get", "csr")).Failed();
        Assert.Equal("Error from server (Forbidden): certificatesigningrequests.certificates.k8s.io is forbidden: User \"alice\" cannot list resource \"certificatesigningrequests\" in API group \"certificates.k8s.io\" at the cluster scope", denied.StderrLines.LastOrDefault());
    }

    [Fact]
    public async Task Deny_StaysWithoutCertificate_AndCannotBeApproved()
    {
        await NewRequestAsync("bob", "/O=devs/CN=bob");
        await KWithInput(CsrYaml("e2e-bob", "bob.csr", ClientSigner, ["client auth"]), "create", "-f", "-");

        Assert.Equal(["certificatesigningrequest.certificates.k8s.io/e2e-bob denied"], (await K("certificate", "deny", "e2e-bob")).Succeeded().StdoutLines);
        var r = (await K("certificate", "approve", "e2e-bob")).Failed();

        Assert.Equal("error: certificate signing request \"e2e-bob\" is already Denied", r.StderrLines.LastOrDefault());
        Table.AssertTable(await K("get", "csr", "e2e-bob"), Header, ["e2e-bob", Table.Age, ClientSigner, "admin", "<none>", "Denied"]);
        Assert.Equal("Denied KubectlDeny", await JsonPathAsync("", "csr", "e2e-bob", "{.status.conditions[*].type} {.status.conditions[*].reason}"));
    }

    [Fact]
    public async Task UnknownSigner_NotSigned_WrongUsage_Failed()
    {
        await NewRequestAsync("carol", "/O=devs/CN=carol");
        await KWithInput(CsrYaml("e2e-pending", "carol.csr", "example.com/e2e-signer", ["client auth"]), "create", "-f", "-");
        await KWithInput(CsrYaml("e2e-unknown", "carol.csr", "example.com/e2e-signer", ["client auth"]), "create", "-f", "-");
        await KWithInput(CsrYaml("e2e-server", "carol.csr", ClientSigner, ["digital signature", "server auth"]), "create", "-f", "-");
        await KWithInput(CsrYaml("e2e-last", "carol.csr", ClientSigner, ["client auth"]), "create", "-f", "-");
        (await K("certificate", "approve", "e2e-unknown", "e2e-server")).Succeeded();
        (await K("certificate", "approve", "e2e-last")).Succeeded();

        // The signer works through CSRs in the order they change: once the last one is issued, the others were seen.
        await IssuedCertificateAsync("e2e-last");
        await EventuallyAsync("e2e-server failed", async () =>
        {
            var r = await K("get", "csr", "e2e-server", "-o", "jsonpath={.status.conditions[*].type}");
            return (r.Stdout == "Approved Failed", r.ToString());
        });

        Table.AssertTable(await K("get", "csr", "e2e-pending", "e2e-unknown", "e2e-server", "e2e-last"), Header,
            ["e2e-pending", Table.Age, "example.com/e2e-signer", "admin", "<none>", "Pending"],
            ["e2e-unknown", Table.Age, "example.com/e2e-signer", "admin", "<none>", "Approved"],
            ["e2e-server", Table.Age, ClientSigner, "admin", "<none>", "Approved,Failed"],
            ["e2e-last", Table.Age, ClientSigner, "admin", "<none>", "Approved,Issued"]);
        Assert.Equal("SignerValidationFailure: invalid usage for client certificate: server auth",
            await JsonPathAsync("", "csr", "e2e-server", "{.status.conditions[1].reason}: {.status.conditions[1].message}"));
        Assert.Equal("", await JsonPathAsync("", "csr", "e2e-unknown", "{.status.certificate}"));
    }

    [Fact]
    public async Task SystemMastersClientCertificate_Forbidden()
    {
        await NewRequestAsync("evil", "/O=system:masters/CN=evil");

        var r = (await KWithInput(CsrYaml("e2e-evil", "evil.csr", ClientSigner, ["client auth"]), "create", "-f", "-")).Failed();

        Assert.Equal("Error from server (Forbidden): error when creating \"STDIN\": certificatesigningrequests.certificates.k8s.io \"e2e-evil\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed",
            r.StderrLines.LastOrDefault());
    }

    [Fact]
    public async Task ApiResources_ShowsCsr()
    {
        var r = await K("api-resources", "--api-group=certificates.k8s.io");

        Table.AssertTable(r, ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
            ["certificatesigningrequests", "csr", "certificates.k8s.io/v1", "false", "CertificateSigningRequest"]);
    }

    /// <summary>Waits for <c>.status.certificate</c> and returns it as PEM.</summary>
    private async Task<string> IssuedCertificateAsync(string name)
    {
        var encoded = "";
        await EventuallyAsync($"{name} issued", async () =>
        {
            var r = await K("get", "csr", name, "-o", "jsonpath={.status.certificate}");
            encoded = r.Stdout;
            return (r.ExitCode == 0 && encoded.Length > 0, r.ToString());
        });
        return System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(encoded));
    }

    /// <summary>Makes <c>name.key</c> and <c>name.csr</c> in kubectl's working dir with openssl; returns the key's path.</summary>
    private async Task<string> NewRequestAsync(string name, string subject)
    {
        await OpenSslAsync("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", subject, "-keyout", name + ".key", "-out", name + ".csr");
        return Path.Combine(Kubectl.WorkDir, name + ".key");
    }

    private string CsrYaml(string name, string csrFile, string signerName, string[] usages, int? expirationSeconds = null)
    {
        var request = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Kubectl.WorkDir, csrFile)));
        return $"""
            apiVersion: certificates.k8s.io/v1
            kind: CertificateSigningRequest
            metadata:
              name: {name}
            spec:
              request: {request}
              signerName: {signerName}
            {(expirationSeconds is { } s ? $"  expirationSeconds: {s}\n" : "")}  usages: [{string.Join(", ", usages.Select(u => $"\"{u}\""))}]

            """;
    }

    private async Task<string> OpenSslAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Kubectl.WorkDir,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0) throw new Xunit.Sdk.XunitException($"openssl {string.Join(' ', args)} failed:\n{await stderr}");
        return await stdout;
    }
}
