namespace Anvil.Machinery.Protobuf;

/// <summary>A body that is not valid Kubernetes protobuf; <see cref="KubeProtobuf.Decode(ReadOnlySpan{byte})"/> turns it into a 400.</summary>
internal sealed class ProtoFormatException(string message) : Exception(message);
