using System.Reflection;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>
/// A test double around the real runtime: every call goes to it, except that the next <see cref="FailStarts"/>
/// container starts fail with an IOException (as a start that timed out or found its init gone would).
/// </summary>
public class FailingStartRuntime : DispatchProxy
{
    private IRuntimeService _inner = null!;
    private int _failStarts;

    public static IRuntimeService Around(IRuntimeService inner, out FailingStartRuntime control)
    {
        var proxy = Create<IRuntimeService, FailingStartRuntime>();
        control = (FailingStartRuntime)(object)proxy;
        control._inner = inner;
        return proxy;
    }

    public int FailStarts
    {
        get => Volatile.Read(ref _failStarts);
        set => Volatile.Write(ref _failStarts, value);
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name == nameof(IRuntimeService.StartContainerAsync) && Interlocked.Decrement(ref _failStarts) >= 0)
            return Task.FromException(new IOException("test: the container's init did not open the exec fifo"));
        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            throw e.InnerException;
        }
    }
}
