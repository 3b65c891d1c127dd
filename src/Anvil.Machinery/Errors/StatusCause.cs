namespace Anvil.Machinery.Errors;

/// <summary>One entry of <c>metav1.Status.details.causes</c>.</summary>
public sealed record StatusCause(string Reason, string Message, string? Field = null);
