using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>A member as the API issued it.</summary>
public sealed record Member(string Room, string UserId, string Name, string Token);

/// <summary>One answer: status, body (parsed when JSON), a header or two, and how long it took.</summary>
public sealed record Answer(int Status, JsonElement? Json, string? ContentType, string? RetryAfter, TimeSpan Took)
{
    public JsonElement Body => Json ?? throw new InvalidOperationException($"HTTP {Status} had no JSON body.");

    public IReadOnlyList<JsonElement> Messages => [.. Body.GetProperty("messages").EnumerateArray()];

    public override string ToString() => $"HTTP {Status} in {Took.TotalMilliseconds:0} ms: {Json?.GetRawText() ?? "(no JSON)"}";
}

/// <summary>
/// The chat API over plain HTTP, returning whatever the server answered (never asserting), so a test can watch
/// status codes through a fault. Each request is bounded by the client's timeout.
/// </summary>
public sealed class ChatHttp(Uri baseAddress, TimeSpan? timeout = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(60) };

    public HttpClient Client => _http;

    public async Task<Member> JoinAsync(string room, string name)
    {
        var answer = await SendAsync(HttpMethod.Post, $"api/rooms/{room}/members", JsonContent.Create(new { name }));
        if (answer.Status != 201)
        {
            throw new InvalidOperationException($"Join of {room} failed: {answer}");
        }
        var body = answer.Body;
        return new Member(room, body.GetProperty("userId").GetString()!, body.GetProperty("name").GetString()!, body.GetProperty("token").GetString()!);
    }

    public Task<Answer> PostMessageAsync(string room, string? token, string text, string? clientMessageId = null) =>
        SendAsync(HttpMethod.Post, $"api/rooms/{room}/messages", JsonContent.Create(new { text, clientMessageId }), token);

    public Task<Answer> PollAsync(string room, string? token, int timeoutSeconds) =>
        SendAsync(HttpMethod.Get, $"api/rooms/{room}/updates?timeout={timeoutSeconds}", token: token);

    public Task<Answer> HistoryAsync(string room, string query = "") =>
        SendAsync(HttpMethod.Get, $"api/rooms/{room}/messages{query}");

    public Task<Answer> MembersAsync(string room) => SendAsync(HttpMethod.Get, $"api/rooms/{room}/members");

    public Task<Answer> LeaveAsync(string room, string userId, string? token) =>
        SendAsync(HttpMethod.Delete, $"api/rooms/{room}/members/{userId}", token: token);

    public Task<Answer> HealthAsync() => SendAsync(HttpMethod.Get, "api/health");

    /// <summary>Every message of the room, oldest first (the rooms in these tests stay below one page of 500).</summary>
    public async Task<IReadOnlyList<JsonElement>> AllMessagesAsync(string room)
    {
        var answer = await HistoryAsync(room, "?limit=500");
        if (answer.Status != 200)
        {
            throw new InvalidOperationException($"History of {room}: {answer}");
        }
        return answer.Messages;
    }

    public async Task<Answer> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await SendAsync(request);
    }

    public async Task<Answer> SendAsync(HttpRequestMessage request)
    {
        var clock = Stopwatch.StartNew();
        using var response = await _http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        JsonElement? json = null;
        if (bytes.Length > 0)
        {
            try
            {
                json = JsonSerializer.Deserialize<JsonElement>(bytes);
            }
            catch (JsonException)
            {
                // Not JSON (a routing 404 has no body; Kestrel's own 400s neither).
            }
        }
        var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? string.Join(",", values) : null;
        return new Answer((int)response.StatusCode, json, response.Content.Headers.ContentType?.MediaType, retryAfter, clock.Elapsed);
    }

    public void Dispose() => _http.Dispose();
}
