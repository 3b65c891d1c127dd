using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;

namespace Anvil.ApiServer.Tests.Admission;

public sealed class AdmissionChainTests
{
    private sealed class Recorder(string name, List<string> log) : IAdmissionPlugin
    {
        public string Name => name;
        public ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct) { log.Add("mutate " + name); return ValueTask.CompletedTask; }
        public ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct) { log.Add("validate " + name); return ValueTask.CompletedTask; }
    }

    [Fact]
    public async Task EveryMutationRunsBeforeAnyValidation()
    {
        await using var f = await AdmissionFixture.CreateAsync();
        var log = new List<string>();
        var chain = new AdmissionChain([new Recorder("a", log), new Recorder("b", log)]);
        var attrs = new AdmissionAttributes(AdmissionOperation.Create, f.Resource("configmaps"), "", "ns", "c", new(), null, UserInfo.Anonymous, false);
        await chain.MutateAsync(attrs, default);
        await chain.ValidateAsync(attrs, default);
        Assert.Equal(["mutate a", "mutate b", "validate a", "validate b"], log);
    }
}
