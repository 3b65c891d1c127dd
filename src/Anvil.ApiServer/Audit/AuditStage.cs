namespace Anvil.ApiServer.Audit;

/// <summary>When an event is written (audit.k8s.io Stage).</summary>
public enum AuditStage { RequestReceived, ResponseStarted, ResponseComplete, Panic }
