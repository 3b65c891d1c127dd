using Microsoft.Extensions.Logging;

namespace Anvil.Node.Tests;

/// <summary>Agent log lines into a file, for diagnosing failures (xunit hides console output).</summary>
internal sealed class FileLogger(string path) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (this) File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {formatter(state, exception)}\n");
    }
}
