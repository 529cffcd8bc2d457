using System.ComponentModel.DataAnnotations;

namespace Anysola.Auth;

/// <summary>
/// Settings for every Anysola.Auth component. Each property documents its default; validate before use
/// (the DI registration validates at start-up, the public constructors validate when called).
/// </summary>
public sealed class AnysolaAuthOptions
{
    /// <summary>The default <see cref="BaseAddress"/>: <c>https://anysola.com/</c>.</summary>
    public static readonly Uri DefaultBaseAddress = new("https://anysola.com/");

    /// <summary>The default <see cref="ClientId"/>: <c>anysola-cli</c>.</summary>
    public const string DefaultClientId = "anysola-cli";

    /// <summary>
    /// The Anysola origin: OAuth endpoints are resolved against it and only requests to it receive the bearer token.
    /// Must be absolute and use HTTPS; plain HTTP is accepted only for loopback hosts (<c>localhost</c>,
    /// <c>127.0.0.0/8</c>, <c>::1</c>). Default: <c>https://anysola.com/</c>.
    /// </summary>
    [Required]
    [AnysolaBaseAddress]
    public Uri BaseAddress { get; set; } = DefaultBaseAddress;

    /// <summary>The OAuth client identifier sent with every device and token request. Default: <c>anysola-cli</c>.</summary>
    [Required]
    public string ClientId { get; set; } = DefaultClientId;

    /// <summary>
    /// A name for this machine, shown to workspace admins (sent as <c>cli_label</c>).
    /// Default: <see langword="null"/>, meaning this machine's host name.
    /// </summary>
    public string? CliLabel { get; set; }

    /// <summary>
    /// The scopes requested at login. Empty (the default) asks for none explicitly and lets the server decide.
    /// The server may grant fewer than requested; <see cref="TokenSet.Scopes"/> holds what was granted.
    /// </summary>
    public IList<string> Scopes { get; } = new List<string>();

    /// <summary>
    /// How long before expiry the access token is refreshed in the background while callers keep using it.
    /// When the window is as long as the token's whole lifetime, half the lifetime is used instead.
    /// Default: 60 seconds. Must not be negative.
    /// </summary>
    [NonNegativeTimeSpan]
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How OAuth request bodies are encoded. Default: <see cref="AnysolaRequestEncoding.Json"/> (Anysola's format).</summary>
    [EnumDataType(typeof(AnysolaRequestEncoding))]
    public AnysolaRequestEncoding RequestEncoding { get; set; } = AnysolaRequestEncoding.Json;

    /// <summary>The device authorization endpoint, relative to <see cref="BaseAddress"/>. Default: <c>api/oauth/device</c>.</summary>
    [Required]
    [RelativeEndpoint]
    public string DeviceAuthorizationEndpoint { get; set; } = "api/oauth/device";

    /// <summary>The token endpoint, relative to <see cref="BaseAddress"/>. Default: <c>api/oauth/token</c>.</summary>
    [Required]
    [RelativeEndpoint]
    public string TokenEndpoint { get; set; } = "api/oauth/token";

    /// <summary>The token revocation endpoint (RFC 7009), relative to <see cref="BaseAddress"/>. Default: <c>api/oauth/revoke</c>.</summary>
    [Required]
    [RelativeEndpoint]
    public string RevocationEndpoint { get; set; } = "api/oauth/revoke";

    /// <summary>The userinfo endpoint, relative to <see cref="BaseAddress"/>. Default: <c>api/oauth/userinfo</c>.</summary>
    [Required]
    [RelativeEndpoint]
    public string UserInfoEndpoint { get; set; } = "api/oauth/userinfo";

    /// <summary>
    /// The longest a single OAuth request may take, body included, before it fails with
    /// <see cref="AnysolaAuthErrors.RequestTimeout"/>. Default: 30 seconds. Must be positive.
    /// </summary>
    [PositiveTimeSpan]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest a token refresh may take, waiting for the store's lock included, before it fails with
    /// <see cref="AnysolaAuthErrors.RequestTimeout"/>. Default: 60 seconds. Must be positive.
    /// </summary>
    [PositiveTimeSpan]
    public TimeSpan RefreshTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The lifetime assumed for a device code when the server sends no <c>expires_in</c>, and the longest honoured
    /// when it does. Default: 30 minutes. Must be positive.
    /// </summary>
    [PositiveTimeSpan]
    public TimeSpan MaxDeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How many times a request that is safe to repeat is retried after a transient failure (429, 5xx, a dropped
    /// connection, a timeout), with exponential backoff and jitter, honouring <c>Retry-After</c>.
    /// Default: 3. Range: 0 to 10.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetryAttempts { get; set; } = 3;
}
