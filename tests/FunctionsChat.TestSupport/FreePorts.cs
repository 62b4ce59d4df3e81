using System.Net;
using System.Net.Sockets;

namespace FunctionsChat.TestSupport;

public static class FreePorts
{
    public static int One()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A base port with base, +1 and +2 free: room for a private Azurite.</summary>
    public static int ThreeInARow()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            // Below Linux's ephemeral range (32768 and up), where the OS hands out ports to other processes (DevServer's
            // RPC server, each worker's HTTP server) between our check and Azurite's bind.
            var basePort = Random.Shared.Next(20_000, 32_000);
            if (Enumerable.Range(basePort, 3).All(IsFree))
            {
                return basePort;
            }
        }
        throw new InvalidOperationException("No three consecutive free ports found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
