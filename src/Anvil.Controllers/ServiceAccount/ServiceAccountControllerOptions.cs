using System.Security.Cryptography;
using Anvil.Client;

namespace Anvil.Controllers.ServiceAccount;

/// <summary>
/// What the service account controllers need beyond the controller manager's client: a client per controller
/// identity (<c>--use-service-account-credentials</c>: <c>system:serviceaccount:kube-system:&lt;controller&gt;</c>),
/// the cluster CA (<c>--root-ca-file</c>) and the service account signing key
/// (<c>--service-account-private-key-file</c>; null: legacy token Secrets are not filled).
/// </summary>
public sealed record ServiceAccountControllerOptions(Func<string, KubeClient> ClientFor, string RootCaPem, RSA? TokenSigningKey);
