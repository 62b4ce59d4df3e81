using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FunctionsChat.DeployTests.Support;

/// <summary>
/// A stand-in for the App Service managed identity endpoint on 127.0.0.1. Azure.Identity's ManagedIdentityCredential
/// finds it through IDENTITY_ENDPOINT / IDENTITY_HEADER, exactly as it finds the real one in a function app, so a test
/// can see which identity (client id) the app's credential asks a token for. AZURE_POD_IDENTITY_AUTHORITY_HOST points
/// any IMDS fallback at the same loopback listener, so no test ever sends a request off this machine.
/// </summary>
public sealed class FakeManagedIdentity : IDisposable
{
    public const string IssuedToken = "fake-managed-identity-token";
    private const string Header = "fake-identity-header";
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Dictionary<string, string?> _previous = new();

    public FakeManagedIdentity()
    {
        var port = FreePort();
        Endpoint = $"http://127.0.0.1:{port}/msi/token";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
        Set("IDENTITY_ENDPOINT", Endpoint);
        Set("IDENTITY_HEADER", Header);
        Set("AZURE_POD_IDENTITY_AUTHORITY_HOST", $"http://127.0.0.1:{port}");
        foreach (var name in new[] { "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE" })
        {
            Set(name, null);
        }
    }

    public string Endpoint { get; }

    /// <summary>Every token request: the client_id query value ("" when none, i.e. system-assigned) and the resource asked for.</summary>
    public ConcurrentQueue<(string ClientId, string Resource)> Requests { get; } = new();

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            var query = context.Request.QueryString;
            Requests.Enqueue((query["client_id"] ?? "", query["resource"] ?? query["scope"] ?? ""));
            var ok = context.Request.Headers["X-IDENTITY-HEADER"] == Header;
            var expiresOn = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
            var body = ok
                ? $$"""{"access_token":"{{IssuedToken}}","expires_on":"{{expiresOn}}","resource":"{{query["resource"]}}","token_type":"Bearer","client_id":"{{query["client_id"]}}"}"""
                : """{"error":"missing X-IDENTITY-HEADER"}""";
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = ok ? 200 : 400;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private void Set(string name, string? value)
    {
        _previous.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _listener.Close();
        foreach (var (name, value) in _previous)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
