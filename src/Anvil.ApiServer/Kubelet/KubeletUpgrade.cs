namespace Anvil.ApiServer.Kubelet;

/// <summary>A kubelet's answer to a SPDY upgrade: the raw stream and the negotiated protocol, or the status and text it refused with.</summary>
public sealed record KubeletUpgrade(Stream? Stream, string Protocol, int StatusCode, string ErrorText, string ContentType);
