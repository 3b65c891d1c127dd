using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Anvil.Node.PortForward;

/// <summary>
/// A TCP socket made inside a network namespace: a socket belongs to the namespace of the thread that created
/// it, so a dedicated thread enters the namespace (<c>setns</c>), creates the socket and goes back. Connecting
/// can then happen anywhere. This is how CRI runtimes reach a pod's localhost for port forwarding.
/// </summary>
internal static class NetnsSocket
{
    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    public static Task<Socket> CreateAsync(string netnsPath)
    {
        var result = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var own = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle(netnsPath);
                if (setns((int)target.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new IOException($"entering network namespace \"{netnsPath}\": errno {Marshal.GetLastPInvokeError()}");
                try
                {
                    result.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
                }
                finally
                {
                    // Should going back fail, the thread ends here anyway and takes the namespace with it.
                    setns((int)own.DangerousGetHandle(), CloneNewNet);
                }
            }
            catch (Exception e)
            {
                result.TrySetException(e);
            }
        })
        { IsBackground = true, Name = "netns-socket" };
        thread.Start();
        return result.Task;
    }
}
