using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.Errors;

/// <summary>
/// An API error that becomes a <c>metav1.Status</c> response. Factory methods produce the reasons and
/// messages kube-apiserver uses (k8s.io/apimachinery/pkg/api/errors), so kubectl prints the same text.
/// </summary>
public sealed class StatusError : Exception
{
    public int Code { get; }
    public string Reason { get; }
    public string? DetailsName { get; init; }
    public string? DetailsGroup { get; init; }
    /// <summary>The resource (plural) for most errors; the Kind for Invalid, as Kubernetes does.</summary>
    public string? DetailsKind { get; init; }
    public string? DetailsUid { get; init; }
    public IReadOnlyList<StatusCause> Causes { get; init; } = [];
    public int? RetryAfterSeconds { get; init; }

    public StatusError(int code, string reason, string message) : base(message)
    {
        Code = code;
        Reason = reason;
    }

    public static StatusError NotFound(GroupResource gr, string name) =>
        new(404, "NotFound", $"{gr} \"{name}\" not found") { DetailsName = name, DetailsGroup = gr.Group, DetailsKind = gr.Resource };

    public static StatusError AlreadyExists(GroupResource gr, string name) =>
        new(409, "AlreadyExists", $"{gr} \"{name}\" already exists") { DetailsName = name, DetailsGroup = gr.Group, DetailsKind = gr.Resource };

    public const string OptimisticLockMessage = "the object has been modified; please apply your changes to the latest version and try again";

    public static StatusError Conflict(GroupResource gr, string name, string detail) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {gr} \"{name}\": {detail}") { DetailsName = name, DetailsGroup = gr.Group, DetailsKind = gr.Resource };

    public static StatusError OptimisticLock(GroupResource gr, string name) => Conflict(gr, name, OptimisticLockMessage);

    /// <summary>
    /// 422 Invalid: "Pod \"bad\" is invalid: spec.containers[0].image: Required value"; kinds of named groups are
    /// qualified in the message as upstream's GroupKind prints them ("Deployment.apps \"x\" is invalid"), while
    /// details.kind stays the bare kind kubectl builds its own line from.
    /// </summary>
    public static StatusError Invalid(GroupVersionKind gvk, string name, IReadOnlyList<FieldError> errors)
    {
        var summary = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        var qualified = gvk.Group.Length == 0 ? gvk.Kind : $"{gvk.Kind}.{gvk.Group}";
        return new StatusError(422, "Invalid", $"{qualified} \"{name}\" is invalid: {summary}")
        {
            DetailsName = name,
            DetailsGroup = gvk.Group,
            DetailsKind = gvk.Kind,
            Causes = errors.Select(e => new StatusCause(e.Type.Reason(), e.MessageWithoutField(), e.Field)).ToList(),
        };
    }

    public static StatusError BadRequest(string message) => new(400, "BadRequest", message);

    public static StatusError Forbidden(GroupResource gr, string name, string reason) =>
        new(403, "Forbidden", name.Length == 0 ? $"{gr} is forbidden: {reason}" : $"{gr} \"{name}\" is forbidden: {reason}")
        { DetailsName = name.Length == 0 ? null : name, DetailsGroup = gr.Group, DetailsKind = gr.Resource };

    public static StatusError Unauthorized(string message = "Unauthorized") => new(401, "Unauthorized", message);

    public static StatusError Gone(string message) => new(410, "Expired", message);

    public static StatusError ResourceExpired(string message) => new(410, "Expired", message);

    public static StatusError MethodNotSupported(GroupResource gr, string action) =>
        new(405, "MethodNotAllowed", $"{action} is not supported on resources of kind \"{gr}\"") { DetailsGroup = gr.Group, DetailsKind = gr.Resource };

    public static StatusError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf") { DetailsKind = contentType };

    public static StatusError RequestEntityTooLarge(string message) => new(413, "RequestEntityTooLarge", message);

    public static StatusError TooManyRequests(string message, int retryAfterSeconds) =>
        new(429, "TooManyRequests", message) { RetryAfterSeconds = retryAfterSeconds };

    public static StatusError InternalError(string message) => new(500, "InternalError", $"Internal error occurred: {message}");

    public static StatusError Timeout(string message) => new(504, "Timeout", message);

    public static StatusError NotAcceptable(string message) => new(406, "NotAcceptable", message);

    /// <summary>The <c>metav1.Status</c> JSON for this error.</summary>
    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
        };
        // metav1.Status.reason is omitempty: errors that are not Status errors reach clients without one.
        if (Reason.Length > 0) status["reason"] = Reason;
        var details = new JsonObject();
        if (DetailsName != null) details["name"] = DetailsName;
        if (!string.IsNullOrEmpty(DetailsGroup)) details["group"] = DetailsGroup;
        if (DetailsKind != null) details["kind"] = DetailsKind;
        if (DetailsUid != null) details["uid"] = DetailsUid;
        if (Causes.Count > 0)
        {
            var causes = new JsonArray();
            foreach (var c in Causes)
            {
                var cause = new JsonObject { ["reason"] = c.Reason, ["message"] = c.Message };
                if (c.Field != null) cause["field"] = c.Field;
                causes.Add(cause);
            }
            details["causes"] = causes;
        }
        if (RetryAfterSeconds is { } retry) details["retryAfterSeconds"] = retry;
        if (details.Count > 0) status["details"] = details;
        status["code"] = Code;
        return status;
    }
}
