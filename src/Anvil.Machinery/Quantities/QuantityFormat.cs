namespace Anvil.Machinery.Quantities;

/// <summary>How a <see cref="Quantity"/> is written back out (resource.Format).</summary>
public enum QuantityFormat
{
    /// <summary>e.g. <c>12e6</c>.</summary>
    DecimalExponent,
    /// <summary>e.g. <c>12Mi</c>.</summary>
    BinarySI,
    /// <summary>e.g. <c>12M</c>, <c>100m</c>.</summary>
    DecimalSI,
}
