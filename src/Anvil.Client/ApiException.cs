using System.Text.Json.Nodes;

namespace Anvil.Client;

/// <summary>A non-success answer from the API server, carrying its <c>metav1.Status</c>.</summary>
public sealed class ApiException(int code, string reason, string message, JsonObject? status) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Status { get; } = status;

    public bool IsNotFound => Code == 404;
    public bool IsConflict => Code == 409 && Reason == "Conflict";
    public bool IsAlreadyExists => Code == 409 && Reason == "AlreadyExists";
    public bool IsGone => Code == 410;
}
