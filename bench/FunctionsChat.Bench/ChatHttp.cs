using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.Bench;

public sealed record JoinedMember(int Index, Uri Instance, string Room, string UserId, string Token);

public sealed record WireMessage(string Id, string Text);

/// <summary>The chat's HTTP API as the bench uses it; counts every request and every non-success status.</summary>
public sealed class ChatHttp : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient http;
    private long requests;

    public ChatHttp()
    {
        // Every member holds a long poll open at once: one connection each, so the pool must not cap them.
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 10_000,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(75) };
    }

    public long Requests => Interlocked.Read(ref requests);

    /// <summary>Non-success statuses by code; 0 stands for no HTTP answer (refused, reset, timed out).</summary>
    public ConcurrentDictionary<int, int> Errors { get; } = new();

    public async Task<JoinedMember> JoinAsync(int index, Uri instance, string room, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, instance, $"api/rooms/{room}/members", null, new { name = $"bench-{index}" }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        return new JoinedMember(index, instance, room, body.GetProperty("userId").GetString()!, body.GetProperty("token").GetString()!);
    }

    public async Task<bool> SendAsync(JoinedMember member, string text, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Post, member.Instance, $"api/rooms/{member.Room}/messages", member.Token, new { text, clientMessageId = text }, cancellationToken);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<WireMessage>> PollAsync(JoinedMember member, int timeoutSeconds, CancellationToken cancellationToken) =>
        await MessagesAsync(member.Instance, $"api/rooms/{member.Room}/updates?timeout={timeoutSeconds}", member.Token, cancellationToken);

    public async Task<IReadOnlyList<WireMessage>> HistoryAsync(JoinedMember member, string? after, CancellationToken cancellationToken) =>
        await MessagesAsync(member.Instance, $"api/rooms/{member.Room}/messages?limit=500" + (after is null ? "" : $"&after={after}"), null, cancellationToken);

    public async Task LeaveAsync(JoinedMember member, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Delete, member.Instance, $"api/rooms/{member.Room}/members/{member.UserId}", member.Token, null, cancellationToken);
    }

    /// <summary>A GET to any URL outside the chat's counters (the diagnostics endpoint); null on 404.</summary>
    public async Task<JsonElement?> GetJsonAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    public async Task PostAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(url, null, cancellationToken);
    }

    public void Dispose() => http.Dispose();

    private async Task<IReadOnlyList<WireMessage>> MessagesAsync(Uri instance, string path, string? token, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, instance, path, token, null, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        return body.GetProperty("messages").EnumerateArray()
            .Select(m => new WireMessage(m.GetProperty("id").GetString()!, m.GetProperty("text").GetString()!))
            .ToList();
    }

    /// <summary>Throws <see cref="HttpRequestException"/> (already counted) on any non-success status or network failure.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri instance, string path, string? token, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(instance, path));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }
        Interlocked.Increment(ref requests);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Errors.AddOrUpdate(0, 1, (_, n) => n + 1);
            throw new HttpRequestException("No answer.", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            Errors.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            var status = response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"HTTP {(int)status}", null, status);
        }
        return response;
    }
}
