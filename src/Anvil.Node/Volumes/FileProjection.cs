namespace Anvil.Node.Volumes;

/// <summary>One file of an API-data volume: its bytes and mode (the kubelet's volumeutil.FileProjection).</summary>
public sealed record FileProjection(byte[] Data, int Mode);
