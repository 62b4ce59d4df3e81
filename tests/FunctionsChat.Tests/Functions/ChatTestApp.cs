using System.Text;
using System.Text.Json;
using FunctionsChat.Cleanup;
using FunctionsChat.Health;
using FunctionsChat.Members;
using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Tests.Fakes;
using FunctionsChat.Delivery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// The real chat registration (<c>AddChat</c>) with only the edges swapped: in-memory storage, a fake clock.
/// Functions are called as the host calls them, with a <see cref="DefaultHttpContext"/>, and their results are
/// executed into bytes, so tests see status, headers and JSON exactly as a client would.
/// </summary>
public sealed class ChatTestApp
{
    public const string SigningKey = "unit-test-signing-key-0123456789-abcdefghij";

    public FakeTimeProvider Clock { get; }

    public FakeOutage Outage { get; }

    public InMemoryMessageHistory History { get; }

    public InMemoryMemberStore Members { get; }

    public InMemoryInboxes Inboxes { get; }

    public InMemoryRoomSignals Signals { get; }

    public InMemoryHandOvers HandOvers { get; }

    public IServiceProvider Services { get; }

    /// <param name="sharesStorageWith">Another instance of the app on the same storage account (and clock).</param>
    public ChatTestApp(IDictionary<string, string?>? settings = null, ChatTestApp? sharesStorageWith = null)
    {
        Clock = sharesStorageWith?.Clock ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        Outage = sharesStorageWith?.Outage ?? new FakeOutage();
        History = sharesStorageWith?.History ?? new InMemoryMessageHistory(Outage);
        Members = sharesStorageWith?.Members ?? new InMemoryMemberStore(Outage);
        Inboxes = sharesStorageWith?.Inboxes ?? new InMemoryInboxes(Clock, Outage);
        Signals = sharesStorageWith?.Signals ?? new InMemoryRoomSignals(Outage);
        HandOvers = sharesStorageWith?.HandOvers ?? new InMemoryHandOvers(Outage);
        var configuration = new ConfigurationBuilder()
            // Notices off unless a test asks for them: the other tests count queue puts and poll answers exactly, and a
            // join notice would be one more of each. RoomNoticeTests turn them on.
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Chat:SigningKey"] = SigningKey, ["Chat:RoomNotices"] = "false" })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<IHostApplicationLifetime>(lifetime);
        services.AddChat(configuration);
        services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
        services.Replace(ServiceDescriptor.Singleton<IMessageHistory>(History));
        services.Replace(ServiceDescriptor.Singleton<IMemberStore>(Members));
        services.Replace(ServiceDescriptor.Singleton<IInboxes>(Inboxes));
        services.Replace(ServiceDescriptor.Singleton<IRoomSignals>(Signals));
        services.Replace(ServiceDescriptor.Singleton<IHandOvers>(HandOvers));
        services.Replace(ServiceDescriptor.Singleton<IStorageProbe>(new FakeStorageProbe(Outage)));
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        foreach (var hosted in Services.GetServices<IHostedService>())
        {
            hosted.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    private readonly TestLifetime lifetime = new();

    /// <summary>A graceful stop in the host's order: stopping is signalled, then the hosted services stop.</summary>
    public async Task StopAsync()
    {
        lifetime.Stopping.Cancel();
        foreach (var hosted in Services.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(CancellationToken.None);
        }
        lifetime.Stopped.Cancel();
    }

    public T Function<T>() where T : class => ActivatorUtilities.CreateInstance<T>(Services);

    public Task<TestResponse> JoinAsync(string room, string? body = null) =>
        RunAsync(r => Function<JoinRoom>().Run(r, room, CancellationToken.None), Request("POST", body));

    /// <summary>A join arriving on a connection from <paramref name="remoteAddress"/>, with extra request headers.</summary>
    public Task<TestResponse> JoinFromAsync(string room, string remoteAddress, IDictionary<string, string>? headers = null)
    {
        var request = Request("POST");
        request.HttpContext.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(remoteAddress);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers[name] = value;
        }
        return RunAsync(r => Function<JoinRoom>().Run(r, room, CancellationToken.None), request);
    }

    public async Task<Joined> JoinAsMemberAsync(string room, string? name = null)
    {
        var response = await JoinAsync(room, name is null ? null : JsonSerializer.Serialize(new { name }));
        Assert.Equal(201, response.Status);
        var json = response.Json.RootElement;
        return new Joined(room, json.GetProperty("userId").GetString()!, json.GetProperty("name").GetString()!, json.GetProperty("token").GetString()!);
    }

    public Task<TestResponse> SendAsync(string room, string? token, string body) =>
        RunAsync(r => Function<SendMessage>().Run(r, room, CancellationToken.None), Request("POST", body, token));

    public Task<TestResponse> SendTextAsync(Joined member, string text, string? clientMessageId = null) =>
        SendAsync(member.Room, member.Token, JsonSerializer.Serialize(new { text, clientMessageId }));

    public Task<TestResponse> HistoryAsync(string room, string query = "") =>
        RunAsync(r => Function<GetMessages>().Run(r, room, CancellationToken.None), Request("GET", query: query));

    /// <summary>
    /// A poll as the worker runs it: <paramref name="cancellationToken"/> is the function's token (the host's
    /// InvocationCancel), <paramref name="requestAborted"/> the forwarded request's abort (the caller left).
    /// </summary>
    public Task<TestResponse> PollAsync(string room, string? token, string query = "", CancellationToken cancellationToken = default, CancellationToken requestAborted = default)
    {
        var request = Request("GET", token: token, query: query);
        request.HttpContext.RequestAborted = requestAborted;
        return RunAsync(r => Function<PollUpdates>().Run(r, room, cancellationToken), request);
    }

    public Task<TestResponse> ListMembersAsync(string room) =>
        RunAsync(r => Function<ListMembers>().Run(r, room, CancellationToken.None), Request("GET"));

    public Task<TestResponse> LeaveAsync(string room, string? token, string userId) =>
        RunAsync(r => Function<LeaveRoom>().Run(r, room, userId, CancellationToken.None), Request("DELETE", token: token));

    public Task<TestResponse> HealthAsync() =>
        RunAsync(r => Function<Health.Health>().Run(r, CancellationToken.None), Request("GET"));

    public Task RunCleanupAsync() => Function<ExpireMembers>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);

    /// <summary>Advances the fake clock in small steps until the task ends, yielding so its timers can re-arm.</summary>
    public async Task<T> AdvanceUntilDoneAsync<T>(Task<T> task, TimeSpan step, int maxSteps = 200)
    {
        for (var i = 0; i < maxSteps && !task.IsCompleted; i++)
        {
            await Task.Delay(10);
            Clock.Advance(step);
        }
        return await task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public static HttpRequest Request(string method, string? body = null, string? token = null, string query = "", bool sendContentLength = true)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentType = "application/json";
            if (sendContentLength)
            {
                context.Request.ContentLength = bytes.Length;
            }
        }
        if (token is not null)
        {
            context.Request.Headers.Authorization = $"Bearer {token}";
        }
        context.Request.QueryString = new QueryString(query.Length == 0 || query.StartsWith('?') ? query : "?" + query);
        return context.Request;
    }

    public static async Task<TestResponse> RunAsync(Func<HttpRequest, Task<IActionResult>> function, HttpRequest request)
    {
        var result = await function(request);
        var context = request.HttpContext;
        var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        return new TestResponse(context.Response.StatusCode, context.Response.Headers, context.Response.ContentType, body.ToArray());
    }

    private sealed class TestLifetime : IHostApplicationLifetime
    {
        public CancellationTokenSource Stopping { get; } = new();

        public CancellationTokenSource Stopped { get; } = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => Stopping.Token;

        public CancellationToken ApplicationStopped => Stopped.Token;

        public void StopApplication()
        {
        }
    }
}

public sealed record Joined(string Room, string UserId, string Name, string Token);

public sealed record TestResponse(int Status, IHeaderDictionary Headers, string? ContentType, byte[] Body)
{
    public JsonDocument Json => JsonDocument.Parse(Body);

    public string Text => Encoding.UTF8.GetString(Body);

    public IReadOnlyList<JsonElement> Messages => Json.RootElement.GetProperty("messages").EnumerateArray().ToList();

    public IReadOnlyList<string> MessageTexts => Messages.Select(m => m.GetProperty("text").GetString()!).ToList();

    /// <summary>Asserts an RFC 7807 problem with the status and returns its detail.</summary>
    public string AssertProblem(int status)
    {
        Assert.Equal(status, Status);
        Assert.StartsWith("application/problem+json", ContentType);
        var problem = Json.RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        var detail = problem.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        return detail!;
    }
}
