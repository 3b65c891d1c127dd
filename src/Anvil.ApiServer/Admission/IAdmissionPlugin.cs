namespace Anvil.ApiServer.Admission;

/// <summary>
/// One admission plugin. <see cref="MutateAsync"/> may change <see cref="AdmissionAttributes.Object"/>;
/// <see cref="ValidateAsync"/> must not. Both reject by throwing a StatusError.
/// </summary>
public interface IAdmissionPlugin
{
    string Name { get; }
    ValueTask MutateAsync(AdmissionAttributes attributes, CancellationToken ct) => ValueTask.CompletedTask;
    ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken ct) => ValueTask.CompletedTask;
}
