using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.Bench;

public sealed record JoinedMember(int Index, Uri Instance, string Room, string UserId, string Token);

public sealed record WireMessage(string Id, string Text);

/// <summary>A non-success answer (<see cref="HttpRequestException.StatusCode"/> null: no answer) and its Retry-After.</summary>
public sealed class ChatHttpException(string message, HttpStatusCode? status, TimeSpan? retryAfter, Exception? inner = null)
    : HttpRequestException(message, inner, status)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

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

    /// <summary>The instance a member's request goes to; by default the one it joined on.</summary>
    public Func<JoinedMember, Uri> Route { get; init; } = member => member.Instance;

    public long Requests => Interlocked.Read(ref requests);

    /// <summary>Non-success statuses by code; 0 stands for no HTTP answer (refused, reset, timed out).</summary>
    public ConcurrentDictionary<int, int> Errors { get; } = new();

    public async Task<JoinedMember> JoinAsync(int index, Uri instance, string room, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, instance, $"api/rooms/{room}/members", null, new { name = $"bench-{index}" }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        return new JoinedMember(index, instance, room, body.GetProperty("userId").GetString()!, body.GetProperty("token").GetString()!);
    }

    /// <summary>One attempt; false on any failure.</summary>
    public async Task<bool> SendAsync(JoinedMember member, string text, CancellationToken cancellationToken)
    {
        try
        {
            await PostMessageAsync(member, text, cancellationToken);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The text is its own clientMessageId, so a retried send is stored once.</summary>
    public async Task PostMessageAsync(JoinedMember member, string text, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, Route(member), $"api/rooms/{member.Room}/messages", member.Token, new { text, clientMessageId = text }, cancellationToken);
    }

    public async Task<IReadOnlyList<WireMessage>> PollAsync(JoinedMember member, int timeoutSeconds, CancellationToken cancellationToken) =>
        (await PollPageAsync(member, timeoutSeconds, cancellationToken)).Messages;

    /// <summary>A poll's answer with the room's newest message id it names (the completeness check), if any.</summary>
    public async Task<(IReadOnlyList<WireMessage> Messages, string? LatestId)> PollPageAsync(JoinedMember member, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var body = await BodyAsync(Route(member), $"api/rooms/{member.Room}/updates?timeout={timeoutSeconds}", member.Token, cancellationToken);
        return (Messages(body), body.TryGetProperty("latestId", out var latest) && latest.ValueKind == JsonValueKind.String ? latest.GetString() : null);
    }

    public async Task<IReadOnlyList<WireMessage>> HistoryAsync(JoinedMember member, string? after, int limit, CancellationToken cancellationToken) =>
        await MessagesAsync(Route(member), string.Create(CultureInfo.InvariantCulture, $"api/rooms/{member.Room}/messages?limit={limit}") + (after is null ? "" : $"&after={after}"), null, cancellationToken);

    public async Task LeaveAsync(JoinedMember member, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Delete, Route(member), $"api/rooms/{member.Room}/members/{member.UserId}", member.Token, null, cancellationToken);
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

    private async Task<IReadOnlyList<WireMessage>> MessagesAsync(Uri instance, string path, string? token, CancellationToken cancellationToken) =>
        Messages(await BodyAsync(instance, path, token, cancellationToken));

    private async Task<JsonElement> BodyAsync(Uri instance, string path, string? token, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, instance, path, token, null, cancellationToken);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
    }

    private static List<WireMessage> Messages(JsonElement body) =>
        body.GetProperty("messages").EnumerateArray()
            .Select(m => new WireMessage(m.GetProperty("id").GetString()!, m.GetProperty("text").GetString()!))
            .ToList();

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
            throw new ChatHttpException("No answer.", null, null, e);
        }
        if (!response.IsSuccessStatusCode)
        {
            Errors.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            var status = response.StatusCode;
            var retryAfter = response.Headers.RetryAfter is { } header
                ? header.Delta ?? (header.Date is { } date ? TimeSpan.FromTicks(Math.Max(0, (date - DateTimeOffset.UtcNow).Ticks)) : null)
                : null;
            response.Dispose();
            throw new ChatHttpException($"HTTP {(int)status}", status, retryAfter);
        }
        return response;
    }
}
