using System.Net;
using System.Net.Sockets;

namespace Anvil.ApiServer.Tests;

/// <summary>Loopback ports for servers the tests start.</summary>
internal static class TestPorts
{
    /// <summary>A port that was free a moment ago (the kernel's pick for a listener on 127.0.0.1).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
