namespace Anvil.ApiServer.Admission;

public enum AdmissionOperation { Create, Update, Delete, Connect }
