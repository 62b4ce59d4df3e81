using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

/// <summary>A switch shared by the in-memory stores: while down, every call fails as Azure's adapters do in an outage.</summary>
public sealed class FakeOutage
{
    public bool IsDown { get; set; }

    public void ThrowIfDown()
    {
        if (IsDown)
        {
            throw new StorageUnavailableException("Fake storage is down.");
        }
    }
}
