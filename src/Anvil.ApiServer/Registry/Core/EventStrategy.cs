using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// Events of core/v1 and events.k8s.io/v1 (one internal type upstream; the field names differ by API).
/// Minimal: namespace agreement with the involved object and the fields new-style events require.
/// </summary>
public sealed class EventStrategy(bool eventsApi) : BuiltinStrategy
{
    public static readonly EventStrategy Core = new(false);
    public static readonly EventStrategy EventsV1 = new(true);

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var ns = Str(obj["metadata"]?["namespace"]) ?? "";
        var regardingKey = eventsApi ? "regarding" : "involvedObject";
        var regardingNs = Str(obj[regardingKey]?["namespace"]) ?? "";
        var eventTime = obj["eventTime"];
        var controllerKey = eventsApi ? "reportingController" : "reportingComponent";
        if (!eventsApi && IsUnset(eventTime))
        {
            if (regardingNs.Length == 0 ? ns is not ("" or "default") : ns != regardingNs)
                yield return FieldError.Invalid(regardingKey + ".namespace", regardingNs, "does not match event.namespace");
        }
        else
        {
            if (eventsApi && IsUnset(eventTime)) yield return FieldError.Required("eventTime");
            if (regardingNs.Length == 0 && ns is not ("default" or "kube-system") || regardingNs.Length > 0 && eventsApi && ns != regardingNs)
                yield return FieldError.Invalid(regardingKey + ".namespace", regardingNs, "does not match event.namespace");
            var controller = Str(obj[controllerKey]) ?? "";
            if (controller.Length == 0) yield return FieldError.Required(controllerKey);
            foreach (var m in NameValidation.IsQualifiedName(controller)) yield return FieldError.Invalid(controllerKey, controller, m);
            foreach (var (key, limit) in new[] { ("reportingInstance", 128), ("action", 128), ("reason", 128) })
            {
                var v = Str(obj[key]) ?? "";
                if (v.Length == 0) yield return FieldError.Required(key);
                if (v.Length > limit) yield return FieldError.Invalid(key, "", $"can have at most {limit} characters");
            }
            var noteKey = eventsApi ? "note" : "message";
            if ((Str(obj[noteKey]) ?? "").Length > 1024) yield return FieldError.Invalid(noteKey, "", "can have at most 1024 characters");
        }
        foreach (var m in NameValidation.IsDns1123Subdomain(ns)) yield return FieldError.Invalid("namespace", ns, m);
    }
}
