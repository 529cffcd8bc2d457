namespace Anysola.Auth.Testing;

/// <summary>Placeholder replaced by the server implementation.</summary>
internal static class AssemblyMarker;
