namespace FunctionsChat.Delivery;

/// <summary>
/// Identifies one stretch of a room's watch on this instance in which no other instance's message was seen; the
/// <see cref="RoomWatcher"/> starts a new one when it sees one. Compared by reference only.
/// </summary>
public sealed class WatchEpoch
{
}
