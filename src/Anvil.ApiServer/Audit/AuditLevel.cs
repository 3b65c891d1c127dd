namespace Anvil.ApiServer.Audit;

/// <summary>How much of a request is logged (audit.k8s.io Level), in increasing order.</summary>
public enum AuditLevel { None, Metadata, Request, RequestResponse }
