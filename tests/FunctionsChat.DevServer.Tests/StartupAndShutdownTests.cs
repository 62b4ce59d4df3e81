using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace FunctionsChat.DevServer.Tests;

/// <summary>
/// DevServer's own lifecycle, each test with a private Azurite port range (DevServer:AzuriteBasePort) so it never
/// touches the Azurite other tests share.
/// </summary>
public sealed partial class StartupAndShutdownTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DevServerStopsTheAzuriteItStartedAndLeavesOneItFoundRunning()
    {
        var basePort = FreePorts.ThreeInARow();
        var data = Directory.CreateTempSubdirectory("devserver-azurite-").FullName;
        var environment = Environment(basePort);
        environment["DevServer__AzuriteLocation"] = data;
        int? azuritePid = null;
        try
        {
            await using var owner = await DevServerProcess.StartHealthyAsync(environment);
            azuritePid = int.Parse(StartedAzurite().Match(owner.Output).Groups["pid"].Value);
            Assert.True(await AllListeningAsync(basePort), owner.Output);

            await using (var guest = await DevServerProcess.StartHealthyAsync(environment))
            {
                Assert.Contains("Using the Azurite already listening", guest.Output);
                guest.Signal(DevServerProcess.SigTerm);
                Assert.Equal(0, await guest.WaitForExitAsync(ExitTimeout));
            }
            Assert.True(IsRunning(azuritePid.Value), "a DevServer that found Azurite running must leave it running");
            Assert.True(await AllListeningAsync(basePort));

            var workers = owner.WorkerProcessIds();
            Assert.Single(workers);
            owner.Signal(DevServerProcess.SigTerm);
            Assert.Equal(0, await owner.WaitForExitAsync(ExitTimeout));
            Assert.All(workers, worker => Assert.False(IsRunning(worker), $"worker process {worker} outlived DevServer"));
            Assert.Contains($"Stopped Azurite (pid {azuritePid})", owner.Output);
            Assert.False(IsRunning(azuritePid.Value), "the DevServer that started Azurite must stop it");
            Assert.False(await AnyListeningAsync(basePort));
        }
        finally
        {
            CleanUp(azuritePid, data);
        }
    }

    [Fact]
    public async Task WithoutAzuriteInstalledDevServerSaysToRunNpmCi()
    {
        // A folder that looks like a checkout (package.json) but has no node_modules.
        var checkout = Directory.CreateTempSubdirectory("devserver-no-azurite-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(checkout, "package.json"), "{}");
            await using var server = DevServerProcess.Start(Environment(FreePorts.ThreeInARow()), workingDirectory: checkout);

            Assert.Equal(1, await server.WaitForExitAsync(ExitTimeout));
            Assert.Contains("npm ci", server.Output);
        }
        finally
        {
            Directory.Delete(checkout, recursive: true);
        }
    }

    [Fact]
    public async Task OutsideDevelopmentAMissingSigningKeyStopsStartupWithAClearMessage()
    {
        await using var server = DevServerProcess.Start(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Chat__SigningKey"] = "",
            // Real-looking storage, so no Azurite is involved; nothing connects before the options are validated.
            ["AzureWebJobsStorage"] = "DefaultEndpointsProtocol=https;AccountName=devserverteststorage;AccountKey=eA==",
        });

        Assert.Equal(1, await server.WaitForExitAsync(ExitTimeout));
        Assert.Contains("DevServer cannot start: Chat:SigningKey is missing", server.Output);
    }

    [Fact]
    public async Task APortInUseStopsStartupWithAClearMessageAndStopsTheAzuriteItStarted()
    {
        // Someone else holds the port DevServer is told to use.
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var basePort = FreePorts.ThreeInARow();
        var data = Directory.CreateTempSubdirectory("devserver-port-in-use-").FullName;
        var environment = Environment(basePort);
        environment["DevServer__AzuriteLocation"] = data;
        int? azuritePid = null;
        try
        {
            await using var server = DevServerProcess.Start(environment, port: port);
            var exitCode = await server.WaitForExitAsync(ExitTimeout);
            server.Process.WaitForExit(); // drains the redirected output
            var output = server.Output;
            // Azurite starts before Kestrel binds, so this path has one to stop.
            var started = StartedAzurite().Match(output);
            Assert.True(started.Success, output);
            azuritePid = int.Parse(started.Groups["pid"].Value);

            Assert.True(exitCode == 1, $"exit code {exitCode} (134 is SIGABRT from an unhandled exception):\n{output}");
            Assert.Contains($"DevServer cannot start: http://127.0.0.1:{port} is already in use", output);
            Assert.Contains("--urls", output);
            Assert.DoesNotContain("Unhandled exception", output);
            Assert.Contains($"Stopped Azurite (pid {azuritePid})", output);
            Assert.False(IsRunning(azuritePid.Value), "the DevServer that started Azurite must stop it when it cannot start");
            Assert.False(await AnyListeningAsync(basePort));
        }
        finally
        {
            CleanUp(azuritePid, data);
        }
    }

    private static Dictionary<string, string> Environment(int azuriteBasePort) => new()
    {
        ["Chat__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["DevServer__AzuriteBasePort"] = $"{azuriteBasePort}",
    };

    /// <summary>Only if an assertion failed half-way: never leave our Azurite or its folder behind.</summary>
    private static void CleanUp(int? azuritePid, string data)
    {
        if (azuritePid is { } pid && IsRunning(pid))
        {
            using var leftover = Process.GetProcessById(pid);
            leftover.Kill(entireProcessTree: true);
            leftover.WaitForExit();
        }
        Directory.Delete(data, recursive: true);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> AllListeningAsync(int basePort) =>
        (await Task.WhenAll(Enumerable.Range(basePort, 3).Select(IsListeningAsync))).All(x => x);

    private static async Task<bool> AnyListeningAsync(int basePort) =>
        (await Task.WhenAll(Enumerable.Range(basePort, 3).Select(IsListeningAsync))).Any(x => x);

    private static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"Started Azurite \(pid (?<pid>\d+)\)")]
    private static partial Regex StartedAzurite();
}
