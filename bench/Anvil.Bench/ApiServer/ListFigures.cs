using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>Timings of one list form, with the size of one complete list (all pages) and its item count.</summary>
internal sealed record ListFigures(string Name, OpStats Stats, long Bytes, int Items, string? Error);
