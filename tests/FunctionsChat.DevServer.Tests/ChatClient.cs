using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.DevServer.Tests;

/// <summary>A member's view of the public API over real HTTP.</summary>
internal sealed class ChatClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public static string NewRoom() => $"e2e-{Guid.NewGuid():N}"[..24];

    public string? Token { get; private set; }

    public string? UserId { get; private set; }

    public async Task<JsonElement> JoinAsync(string room, string name)
    {
        using var response = await _http.PostAsJsonAsync($"api/rooms/{room}/members", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var member = await response.Content.ReadFromJsonAsync<JsonElement>();
        Token = member.GetProperty("token").GetString();
        UserId = member.GetProperty("userId").GetString();
        return member;
    }

    /// <summary>Joins with a token another instance issued: the same member, seen through another DevServer.</summary>
    public ChatClient As(ChatClient member)
    {
        Token = member.Token;
        UserId = member.UserId;
        return this;
    }

    public Task<HttpResponseMessage> SendAsync(string room, string text) => SendAsync(room, JsonContent.Create(new { text }));

    public Task<HttpResponseMessage> SendAsync(string room, HttpContent content) =>
        _http.SendAsync(Authorized(HttpMethod.Post, $"api/rooms/{room}/messages", content));

    public Task<HttpResponseMessage> PollAsync(string room, int timeoutSeconds) =>
        _http.SendAsync(Authorized(HttpMethod.Get, $"api/rooms/{room}/updates?timeout={timeoutSeconds}"));

    public Task<HttpResponseMessage> LeaveAsync(string room) =>
        _http.SendAsync(Authorized(HttpMethod.Delete, $"api/rooms/{room}/members/{UserId}"));

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request) => _http.SendAsync(request);

    public static async Task<JsonElement[]> MessagesAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>();
        return page.GetProperty("messages").EnumerateArray().ToArray();
    }

    private HttpRequestMessage Authorized(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return request;
    }

    public void Dispose() => _http.Dispose();
}
