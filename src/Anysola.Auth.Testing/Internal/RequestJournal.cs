namespace Anysola.Auth.Testing.Internal;

/// <summary>The thread-safe list of requests behind <see cref="AnysolaTestServer.Journal"/>.</summary>
internal sealed class RequestJournal
{
    private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    private readonly object _gate = new();
    private readonly List<AnysolaJournalEntry> _entries = [];

    public void Add(AnysolaJournalEntry entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
        }
    }

    public AnysolaJournalEntry[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _entries];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    public int Count(string endpoint, string? grantType)
    {
        if (grantType == "device_code")
        {
            grantType = DeviceCodeGrant;
        }

        lock (_gate)
        {
            return _entries.Count(e => e.Endpoint == endpoint && (grantType is null || e.GrantType == grantType));
        }
    }
}
