namespace Anvil.Storage.Sqlite;

internal enum WriteKind { Create, Update, Delete, Compact }
