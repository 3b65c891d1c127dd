using System.Threading.Channels;

namespace Anvil.Storage.Sqlite;

/// <summary>One subscriber of the <see cref="WatchHub"/>: a prefix and a bounded queue of live events.</summary>
internal sealed class Watcher(string prefix, int capacity)
{
    private readonly Channel<WatchEvent> _events = Channel.CreateBounded<WatchEvent>(
        new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails instead of waiting or dropping silently
            SingleReader = true,
            SingleWriter = false,
        });

    public string Prefix { get; } = prefix;

    public ChannelReader<WatchEvent> Events => _events.Reader;

    /// <summary>Queues an event without waiting; false when the queue is full.</summary>
    public bool TryPublish(WatchEvent e) => _events.Writer.TryWrite(e);

    public void Close(Exception? error) => _events.Writer.TryComplete(error);
}
