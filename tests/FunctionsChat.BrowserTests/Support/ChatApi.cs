using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.BrowserTests.Support;

/// <summary>The chat API over plain HTTP, for what a test sets up or breaks behind the page's back.</summary>
public sealed class ChatApi(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public sealed record Member(string UserId, string Name, string Token);

    public async Task<Member> JoinAsync(string room, string name)
    {
        using var response = await _http.PostAsJsonAsync($"api/rooms/{room}/members", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new Member(body.GetProperty("userId").GetString()!, body.GetProperty("name").GetString()!, body.GetProperty("token").GetString()!);
    }

    public async Task SendAsync(string room, Member member, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/rooms/{room}/messages") { Content = JsonContent.Create(new { text }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", member.Token);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>DELETE the member, as if it had left from somewhere else or expired: its next request gets 410.</summary>
    public async Task RemoveAsync(string room, string userId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"api/rooms/{room}/members/{userId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}
