using FunctionsChat.Simulation.Sim;
using Xunit.Abstractions;

namespace FunctionsChat.Simulation;

/// <summary>
/// The cluster simulation in the test command (issue 18 A): a fixed set of seeds, each a short chat on a few
/// instances of the real app, with the invariants of <see cref="Cluster"/> checked at the end. A failure names its
/// seed and prints the events that led to it; <c>./scripts/simulate.sh --seed S</c> runs that seed again.
/// </summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    /// <summary>The in-suite runs: short, so that 200 of them take about two minutes on this 2-core machine.</summary>
    public static readonly SimOptions Suite = new()
    {
        Instances = 3,
        Members = 10,
        Chat = TimeSpan.FromSeconds(40),
        Settle = TimeSpan.FromSeconds(40),
    };

    public const int SuiteSeeds = 200;

    [Fact]
    public void Without_faults_every_accepted_message_reaches_every_page_that_was_online()
    {
        var summary = SeedRunner.Run(Enumerable.Range(1, SuiteSeeds), Suite, Environment.ProcessorCount);
        Report(summary);
        Assert.Equal(SuiteSeeds, summary.Results.Count);
        Assert.True(summary.Failed.Count == 0, $"{summary.Failed.Count} of {SuiteSeeds} seeds failed: " + string.Join(", ", summary.Failed.Select(r => r.Seed)));
        Assert.All(summary.Results, r => Assert.True(r.Accepted > 0, $"seed {r.Seed} accepted no message: the run tests nothing"));
    }

    /// <summary>
    /// With storage faults (ambiguous writes among them), outages, graceful stops and crashes: before issue 17's fixes,
    /// 99 of these 200 seeds failed (241 deliveries lost, sends answered 500); now every one must pass.
    /// </summary>
    [Fact]
    public void With_faults_every_accepted_message_reaches_every_page_that_was_online()
    {
        var summary = SeedRunner.Run(Enumerable.Range(1, SuiteSeeds), Suite with { Faults = true }, Environment.ProcessorCount);
        Report(summary);
        Assert.True(summary.Failed.Count == 0, $"{summary.Failed.Count} of {SuiteSeeds} seeds failed: " + string.Join(", ", summary.Failed.Select(r => r.Seed)));
    }

    [Theory]
    [InlineData(7, false)]
    [InlineData(11, true)]
    [InlineData(12, true)]
    [InlineData(13, true)]
    [InlineData(14, true)]
    public void A_seed_run_twice_gives_the_same_trace_byte_for_byte(int seed, bool faults)
    {
        var options = Suite with { Faults = faults, KeepWholeTrace = true };
        var first = SeedRunner.Run([seed], options, 1).Results.Single();
        var second = SeedRunner.Run([seed], options, 1).Results.Single();
        output.WriteLine($"{first.WholeTrace!.Count} trace lines, hash {first.TraceHash}");
        var firstDifference = first.WholeTrace.Zip(second.WholeTrace!).Select((pair, i) => (pair, i)).FirstOrDefault(x => x.pair.First != x.pair.Second);
        Assert.True(first.TraceHash == second.TraceHash,
            $"The runs differ from line {firstDifference.i}: '{firstDifference.pair.First}' vs '{firstDifference.pair.Second}'");
        Assert.Equal(first.WholeTrace, second.WholeTrace);
        Assert.True(first.WholeTrace.Count > 100);
    }

    /// <summary>The invariants can fail: a page that never polls and never fills misses what others send.</summary>
    [Fact]
    public void A_lost_message_fails_the_run_and_names_its_seed()
    {
        var result = new Cluster(3, Suite with { Chat = TimeSpan.FromSeconds(20), Settle = TimeSpan.FromSeconds(10), DeafPage = true }).Run();
        Assert.False(result.Passed);
        Assert.Contains(result.Failures, f => f.Contains("never shown", StringComparison.Ordinal));
        var report = result.Report();
        Assert.Contains("Seed 3 failed", report);
        Assert.Contains("--seed 3", report);
        Assert.True(result.TraceTail.Count > 10);
    }

    /// <summary>The determinism guard can fail: work handed to the thread pool from inside the simulation is caught.</summary>
    [Fact]
    public void Work_that_escapes_to_the_thread_pool_is_counted_and_its_origin_named()
    {
        var loop = new SimLoop(DateTimeOffset.UnixEpoch);
        using var ran = new ManualResetEventSlim();
        loop.Post(loop.Root, () => Task.Run(ran.Set));
        loop.Run(DateTimeOffset.UnixEpoch.AddSeconds(1));
        Assert.True(ran.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, loop.PoolEscapes);
        Assert.Contains(nameof(Work_that_escapes_to_the_thread_pool_is_counted_and_its_origin_named), loop.FirstEscape);
    }

    private void Report(SeedRunner.Summary summary)
    {
        foreach (var failed in summary.Failed.Take(3))
        {
            output.WriteLine(failed.Report());
        }
        output.WriteLine(summary.Json());
    }
}
