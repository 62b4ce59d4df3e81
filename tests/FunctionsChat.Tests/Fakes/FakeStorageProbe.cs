using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed class FakeStorageProbe(FakeOutage outage) : IStorageProbe
{
    public Task CheckAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage.ThrowIfDown();
        return Task.CompletedTask;
    }
}
