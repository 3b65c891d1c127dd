using Anvil.ApiServer.Authentication;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Tests.Authentication;

public sealed class BearerTokenAuthenticatorTests
{
    private sealed class FixedTokens(string good, string error) : ITokenAuthenticator
    {
        public ValueTask<TokenAuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken ct) =>
            ValueTask.FromResult(token == good
                ? new TokenAuthenticationResult(new UserInfo("u", ["system:authenticated"]), ["aud"], "")
                : token.StartsWith("mine", StringComparison.Ordinal) ? TokenAuthenticationResult.Failed(error) : TokenAuthenticationResult.NotRecognized);
    }

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("bearer abc", "abc")]
    [InlineData("  Bearer abc  ", "abc")]
    [InlineData("Bearer abc extra", "abc")]
    [InlineData("Bearer  abc", null)]
    [InlineData("Bearer", null)]
    [InlineData("Basic YWRtaW46YWRtaW4=", null)]
    [InlineData("", null)]
    public void BearerTokenIsTheSecondWord(string header, string? token)
    {
        Assert.Equal(token, BearerTokenAuthenticator.BearerToken(header));
    }

    private static async Task<UserInfo?> AuthenticateAsync(string? authorization)
    {
        var ctx = new DefaultHttpContext();
        if (authorization != null) ctx.Request.Headers.Authorization = authorization;
        return await new BearerTokenAuthenticator([new FixedTokens("good", "expired")]).AuthenticateAsync(ctx, default);
    }

    [Fact]
    public async Task NoBearerTokenIsNotThisAuthenticatorsBusiness()
    {
        Assert.Null(await AuthenticateAsync(null));
        Assert.Null(await AuthenticateAsync("Basic YWRtaW46YWRtaW4="));
    }

    [Fact]
    public async Task AcceptedTokenGivesTheUser()
    {
        Assert.Equal("u", (await AuthenticateAsync("Bearer good"))!.Name);
    }

    [Theory]
    [InlineData("Bearer garbage")]
    [InlineData("Bearer mine-but-expired")]
    public async Task RefusedTokenIsUnauthorizedNotAnonymous(string header)
    {
        var e = await Assert.ThrowsAsync<StatusError>(() => AuthenticateAsync(header));

        Assert.Equal((401, "Unauthorized", "Unauthorized"), (e.Code, e.Reason, e.Message));
    }

    [Fact]
    public async Task ErrorsOfSeveralAuthenticatorsAreAggregated()
    {
        var union = new BearerTokenAuthenticator([new FixedTokens("x", "first"), new FixedTokens("y", "second")]);

        Assert.Equal("[first, second]", (await union.AuthenticateTokenAsync("mine", null, default)).Error);
        Assert.Equal("invalid bearer token", (await union.AuthenticateTokenAsync("other", null, default)).Error);
    }
}
