namespace Anvil.Storage;

public enum WatchEventType { Put, Delete }

/// <summary>
/// One change. For <see cref="WatchEventType.Put"/>, <see cref="Current"/> is the new value and
/// <see cref="Previous"/> the value before (null on create). For <see cref="WatchEventType.Delete"/>,
/// <see cref="Current"/> is null and <see cref="Previous"/> is the last value. <see cref="Revision"/> is the
/// change's revision.
/// </summary>
public sealed record WatchEvent(WatchEventType Type, string Key, long Revision, KeyValue? Current, KeyValue? Previous)
{
    public bool IsCreate => Type == WatchEventType.Put && Previous == null;
}
