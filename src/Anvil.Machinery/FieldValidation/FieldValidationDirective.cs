namespace Anvil.Machinery.FieldValidation;

/// <summary>The <c>fieldValidation</c> query parameter of create, update and patch.</summary>
public enum FieldValidationDirective
{
    /// <summary>Unknown and duplicate fields are dropped silently.</summary>
    Ignore,
    /// <summary>Each problem becomes a warning header; the request succeeds. The server default.</summary>
    Warn,
    /// <summary>Any problem fails the request.</summary>
    Strict,
}
