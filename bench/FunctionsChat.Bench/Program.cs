using FunctionsChat.Bench;

// A load test for any FunctionsChat URL: see BenchOptions.Usage, and docs/performance.md for the runs behind the numbers.
try
{
    if (args.Length > 0 && args[0] == "chart")
    {
        return Chart.Run(args[1..]);
    }
    if (args.Length > 0 && args[0] == "sends")
    {
        return await SendLatency.RunAsync(args[1..]);
    }
    if (args.Length > 0 && args[0] == "queue-cost")
    {
        return await QueueCost.RunAsync(args[1..]);
    }
    if (args.Length == 0 || args.Contains("--help"))
    {
        Console.WriteLine(BenchOptions.Usage);
        return args.Length == 0 ? 2 : 0;
    }
    var options = BenchOptions.Parse(args);
    var result = await new Scenario(options).RunAsync();
    Report.Print(result, Console.Out);
    Console.WriteLine($"JSON: {Report.Write(result, options.OutputDirectory)}");
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"The chat did not answer as expected: {e.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Stopped at --max-seconds.");
    return 1;
}
