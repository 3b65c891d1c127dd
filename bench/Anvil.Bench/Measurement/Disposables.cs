namespace Anvil.Bench.Measurement;

/// <summary>Disposes several objects in order.</summary>
internal sealed class Disposables(params IDisposable[] items) : IDisposable
{
    public void Dispose()
    {
        foreach (var item in items) item.Dispose();
    }
}
