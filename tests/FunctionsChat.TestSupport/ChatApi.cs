using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.TestSupport;

/// <summary>A member as the API issued it on join.</summary>
public sealed record Member(string Room, string UserId, string Name, string Token);

/// <summary>One answer: status, body (parsed when JSON), a header or two, and how long it took.</summary>
public sealed record Answer(int Status, JsonElement? Json, string? ContentType, string? RetryAfter, TimeSpan Took)
{
    /// <summary>The same status, typed.</summary>
    public HttpStatusCode StatusCode => (HttpStatusCode)Status;

    public JsonElement Body => Json ?? throw new InvalidOperationException($"HTTP {Status} had no JSON body.");

    public IReadOnlyList<JsonElement> Messages => [.. Body.GetProperty("messages").EnumerateArray()];

    public override string ToString() => $"HTTP {Status} in {Took.TotalMilliseconds:0} ms: {Json?.GetRawText() ?? "(no JSON)"}";
}

/// <summary>
/// The chat API over plain HTTP, for the DevServer, browser and reliability tests. Every call but
/// <see cref="JoinAsync"/> returns whatever the server answered (never asserting), so a test decides what it expects,
/// also through a fault. Each request is bounded by the client's timeout (60 s unless given).
/// For what a test must read beyond <see cref="Answer"/> (any response header), <see cref="Http"/> is the client itself.
/// </summary>
public sealed class ChatApi(Uri baseAddress, TimeSpan? timeout = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(60) };

    /// <summary>The underlying client (base address set), for requests whose whole response a test reads.</summary>
    public HttpClient Http => _http;

    /// <summary>Joins the room; anything but 201 throws, since a test cannot go on without its member.</summary>
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

    /// <summary>Renames the member: a join with its own token, answered with the new member that replaces it.</summary>
    public async Task<Member> RenameAsync(Member member, string name)
    {
        var answer = await SendAsync(HttpMethod.Post, $"api/rooms/{member.Room}/members", JsonContent.Create(new { name }), member.Token);
        if (answer.Status != 201)
        {
            throw new InvalidOperationException($"Rename in {member.Room} failed: {answer}");
        }
        var body = answer.Body;
        return new Member(member.Room, body.GetProperty("userId").GetString()!, body.GetProperty("name").GetString()!, body.GetProperty("token").GetString()!);
    }

    /// <summary>POST a message as the token's member (no token: no Authorization header).</summary>
    public Task<Answer> SendMessageAsync(string room, string? token, string text, string? clientMessageId = null) =>
        SendAsync(HttpMethod.Post, $"api/rooms/{room}/messages", JsonContent.Create(new { text, clientMessageId }), token);

    /// <summary>The long poll of the token's member, waiting at most <paramref name="timeoutSeconds"/>.</summary>
    public Task<Answer> PollAsync(string room, string? token, int timeoutSeconds) =>
        SendAsync(HttpMethod.Get, $"api/rooms/{room}/updates?timeout={timeoutSeconds}", token: token);

    /// <summary>The room's history; <paramref name="query"/> is appended as it is (say <c>?after=…&amp;limit=…</c>).</summary>
    public Task<Answer> HistoryAsync(string room, string query = "") =>
        SendAsync(HttpMethod.Get, $"api/rooms/{room}/messages{query}");

    public Task<Answer> MembersAsync(string room) => SendAsync(HttpMethod.Get, $"api/rooms/{room}/members");

    /// <summary>DELETE the member: it leaves (or is removed behind a page's back), and its next request gets 410.</summary>
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

    /// <summary>Any request, with a bearer token when one is given.</summary>
    public async Task<Answer> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await SendAsync(request);
    }

    /// <summary>A request built by the test (odd headers, odd bodies), answered as an <see cref="Answer"/>.</summary>
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
                // Not JSON (a routing 404 has no body; Kestrel's own 400s neither; the page is HTML).
            }
        }
        var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? string.Join(",", values) : null;
        return new Answer((int)response.StatusCode, json, response.Content.Headers.ContentType?.MediaType, retryAfter, clock.Elapsed);
    }

    public void Dispose() => _http.Dispose();
}
