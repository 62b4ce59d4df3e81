using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>
/// Hand-written HTTP/1.1 over a socket, for what HttpClient refuses to send: a Content-Length that lies, a broken
/// chunk, two Content-Lengths. Each request says Connection: close; the answer is read until the server closes.
/// </summary>
public static class RawHttp
{
    public sealed record Reply(int Status, string Text, TimeSpan Took);

    public static async Task<Reply> SendAsync(Uri server, string head, byte[]? body = null, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancel.Token);
        var stream = client.GetStream();
        var request = head.Replace("\n", "\r\n").TrimEnd('\r', '\n') + "\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancel.Token);
        if (body is not null)
        {
            await stream.WriteAsync(body, cancel.Token);
        }
        var reply = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0)
            {
                reply.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (reply.Length > 0)
        {
            // Reset after the answer was written: the answer is what counts.
        }
        var text = Encoding.UTF8.GetString(reply.ToArray());
        var status = text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(text.AsSpan(9, 3), out var code) ? code : 0;
        return new Reply(status, text, clock.Elapsed);
    }
}
