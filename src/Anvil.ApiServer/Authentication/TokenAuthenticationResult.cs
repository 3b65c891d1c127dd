namespace Anvil.ApiServer.Authentication;

/// <summary>
/// What a token authenticator concluded: a user (with the audiences the token is valid for), or no user and
/// an error text ("" when the token is simply not of this authenticator's kind).
/// </summary>
public sealed record TokenAuthenticationResult(UserInfo? User, IReadOnlyList<string> Audiences, string Error)
{
    public static readonly TokenAuthenticationResult NotRecognized = new(null, [], "");

    public static TokenAuthenticationResult Failed(string error) => new(null, [], error);

    public bool Authenticated => User != null;
}
