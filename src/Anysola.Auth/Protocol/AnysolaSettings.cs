namespace Anysola.Auth.Protocol;

/// <summary>
/// A validated, immutable snapshot of <see cref="AnysolaAuthOptions"/> with the endpoint URIs resolved once,
/// so later changes to the options object cannot change a running component's behaviour.
/// </summary>
internal sealed class AnysolaSettings
{
    private AnysolaSettings(AnysolaAuthOptions options)
    {
        // A base address without a trailing slash would drop its last path segment when endpoints are resolved.
        var baseText = options.BaseAddress.AbsoluteUri;
        BaseAddress = baseText.EndsWith('/') ? options.BaseAddress : new Uri(baseText + "/");
        ClientId = options.ClientId;
        CliLabel = string.IsNullOrWhiteSpace(options.CliLabel) ? Environment.MachineName : options.CliLabel;
        Scopes = [.. options.Scopes.Where(static s => !string.IsNullOrWhiteSpace(s)).Select(static s => s.Trim()).Distinct(StringComparer.Ordinal)];
        RefreshBeforeExpiry = options.RefreshBeforeExpiry;
        Encoding = options.RequestEncoding;
        DeviceAuthorizationEndpoint = Resolve(options.DeviceAuthorizationEndpoint);
        TokenEndpoint = Resolve(options.TokenEndpoint);
        RevocationEndpoint = Resolve(options.RevocationEndpoint);
        UserInfoEndpoint = Resolve(options.UserInfoEndpoint);
        RequestTimeout = options.RequestTimeout;
        RefreshTimeout = options.RefreshTimeout;
        MaxDeviceCodeLifetime = options.MaxDeviceCodeLifetime;
        MaxRetryAttempts = options.MaxRetryAttempts;
        OriginScheme = BaseAddress.Scheme;
        OriginHost = BaseAddress.IdnHost;
        OriginPort = BaseAddress.Port;
    }

    public Uri BaseAddress { get; }
    public string ClientId { get; }
    public string CliLabel { get; }
    public IReadOnlyList<string> Scopes { get; }
    public TimeSpan RefreshBeforeExpiry { get; }
    public AnysolaRequestEncoding Encoding { get; }
    public Uri DeviceAuthorizationEndpoint { get; }
    public Uri TokenEndpoint { get; }
    public Uri RevocationEndpoint { get; }
    public Uri UserInfoEndpoint { get; }
    public TimeSpan RequestTimeout { get; }
    public TimeSpan RefreshTimeout { get; }
    public TimeSpan MaxDeviceCodeLifetime { get; }
    public int MaxRetryAttempts { get; }
    public string OriginScheme { get; }
    public string OriginHost { get; }
    public int OriginPort { get; }

    /// <summary>Validates the options (throwing <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>) and snapshots them.</summary>
    public static AnysolaSettings From(AnysolaAuthOptions options)
    {
        AnysolaAuthOptionsValidator.ThrowIfInvalid(options);
        return new AnysolaSettings(options);
    }

    /// <summary>True when <paramref name="uri"/> has the configured origin: the same scheme, host and port.</summary>
    /// <remarks><see cref="Uri"/> lower-cases the scheme and a DNS host, so an ordinal comparison is exact and cheap.</remarks>
    public bool IsSameOrigin(Uri? uri) =>
        uri is { IsAbsoluteUri: true }
        && uri.Port == OriginPort
        && string.Equals(uri.Scheme, OriginScheme, StringComparison.Ordinal)
        && string.Equals(uri.IdnHost, OriginHost, StringComparison.Ordinal);

    private Uri Resolve(string endpoint) => new(BaseAddress, endpoint.TrimStart('/'));
}
