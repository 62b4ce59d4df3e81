using System.Net;
using System.Reflection;
using FunctionsChat.Storage;
using FunctionsChat.Tests.Fakes;
using FunctionsChat.Tests.Functions;
using FunctionsChat.Delivery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FunctionsChat.Simulation.Sim;

/// <summary>
/// One instance of the real app (the real <c>AddChat</c> registration, as <see cref="ChatTestApp"/> builds it) on the
/// shared storage model and the simulated clock, with its own lifetime. Its work runs as its <see cref="Owner"/>'s, so
/// a crash drops it. Requests run as invocations whose token is cancelled when the instance stops.
/// </summary>
public sealed class SimInstance
{
    private readonly SimLoop loop;
    private readonly Trace trace;
    private readonly SimLifetime lifetime = new();
    private readonly CancellationTokenSource invocationsCancelled = new();
    private readonly Dictionary<int, TaskCompletionSource<SimResponse>> inFlight = [];
    private int nextInvocation;

    public SimInstance(SimLoop loop, StorageModel storage, Trace trace, string name, IDictionary<string, string?> settings)
    {
        this.loop = loop;
        this.trace = trace;
        Name = name;
        Owner = loop.NewOwner(name);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Chat:SigningKey"] = ChatTestApp.SigningKey })
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<IHostApplicationLifetime>(lifetime);
        services.AddChat(configuration);
        var (history, members, inboxes, signals, handOvers) = storage.PortsFor(name);
        services.Replace(ServiceDescriptor.Singleton<TimeProvider>(loop.Clock));
        services.Replace(ServiceDescriptor.Singleton(history));
        services.Replace(ServiceDescriptor.Singleton(members));
        services.Replace(ServiceDescriptor.Singleton(inboxes));
        services.Replace(ServiceDescriptor.Singleton(signals));
        services.Replace(ServiceDescriptor.Singleton(handOvers));
        services.Replace(ServiceDescriptor.Singleton<IStorageProbe>(new FakeStorageProbe(storage.Outage)));
        services.Replace(ServiceDescriptor.Singleton(NamedInstance(name)));
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public string Name { get; }

    public Owner Owner { get; }

    public IServiceProvider Services { get; }

    /// <summary>New requests are routed here.</summary>
    public bool Accepting { get; private set; } = true;

    public bool Dead => Owner.Dead;

    public int Invocations { get; private set; }

    /// <summary>Starts the hosted services, if the registration has any (it has none today).</summary>
    public void Start() => loop.Post(Owner, () =>
    {
        foreach (var service in Services.GetServices<IHostedService>())
        {
            _ = service.StartAsync(CancellationToken.None);
        }
    });

    /// <summary>
    /// Runs <paramref name="call"/> as one invocation. The answer reaches the caller after <paramref name="returnDelay"/>;
    /// a crash before the function answered ends the request with status 0 (the connection dropped).
    /// </summary>
    public Task<SimResponse> InvokeAsync(Func<IServiceProvider, HttpRequest, CancellationToken, Task<IActionResult>> function, HttpRequest request, TimeSpan returnDelay)
    {
        var answer = new TaskCompletionSource<SimResponse>();
        var id = ++nextInvocation;
        inFlight[id] = answer;
        Invocations++;
        _ = Owner.Start(async () =>
        {
            SimResponse response;
            using var invocation = CancellationTokenSource.CreateLinkedTokenSource(invocationsCancelled.Token);
            try
            {
                var result = await ChatTestApp.RunAsync(r => function(Services, r, invocation.Token), request);
                response = new SimResponse(result.Status, result.Body, result.Headers.RetryAfter.ToString());
            }
            catch (Exception e)
            {
                // The worker reports an unhandled exception; the host answers 500.
                response = new SimResponse(500, [], null, e.GetType().Name + ": " + e.Message);
            }
            inFlight.Remove(id);
            loop.PostAfter(loop.Root, returnDelay, () => answer.TrySetResult(response));
        });
        return answer.Task;
    }

    /// <summary>
    /// The host's orderly stop: no new requests, running invocations cancelled, ApplicationStopping cancelled, hosted
    /// services stopped. The instance keeps running what is left until <see cref="Crash"/> ends it.
    /// </summary>
    public void BeginStop() => loop.Post(Owner, () =>
    {
        Accepting = false;
        trace.Add(Name, "graceful stop: invocations and ApplicationStopping cancelled");
        invocationsCancelled.Cancel();
        lifetime.Stop();
        foreach (var service in Services.GetServices<IHostedService>())
        {
            _ = service.StopAsync(CancellationToken.None);
        }
    });

    /// <summary>Stops accepting at once (the front end sees the instance go): used just before a stop is posted.</summary>
    public void StopAccepting() => Accepting = false;

    /// <summary>The process is gone: nothing of it runs again, and requests still open fail.</summary>
    public void Crash(string why)
    {
        Accepting = false;
        Owner.Dead = true;
        trace.Add(Name, why + $" ({inFlight.Count} request(s) open)");
        foreach (var answer in inFlight.Values)
        {
            loop.PostAfter(loop.Root, TimeSpan.FromMilliseconds(1), () => answer.TrySetResult(new SimResponse(0, [], null, "connection dropped")));
        }
        inFlight.Clear();
    }

    /// <summary>
    /// <see cref="ChatInstance"/> draws its id from a random Guid; the simulation names instances itself so that
    /// names (and everything sorted or keyed by them) are the same in every run. The property has no setter, so its
    /// backing field is set.
    /// </summary>
    private static ChatInstance NamedInstance(string name)
    {
        var instance = new ChatInstance();
        var field = typeof(ChatInstance).GetField("<Id>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("ChatInstance.Id is no longer an auto-property: give the simulation another way to name instances.");
        field.SetValue(instance, name);
        return instance;
    }

    private sealed class SimLifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource stopping = new();
        private readonly CancellationTokenSource stopped = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => stopping.Token;

        public CancellationToken ApplicationStopped => stopped.Token;

        public void StopApplication() => Stop();

        public void Stop()
        {
            if (!stopping.IsCancellationRequested)
            {
                stopping.Cancel();
            }
        }
    }
}

/// <summary>What a page gets back: an HTTP status (0 when the connection dropped), the body, Retry-After.</summary>
public sealed record SimResponse(int Status, byte[] Body, string? RetryAfter, string? Error = null)
{
    public System.Text.Json.JsonDocument Json => System.Text.Json.JsonDocument.Parse(Body);
}

public static class SimRequests
{
    public static HttpRequest Request(string method, string? body, string? token, string query, IPAddress address)
    {
        var request = ChatTestApp.Request(method, body, token, query);
        request.HttpContext.Connection.RemoteIpAddress = address;
        return request;
    }
}
