namespace FunctionsChat.Storage;

/// <summary>Storage could not be reached or failed on its side; the request may succeed when retried.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
