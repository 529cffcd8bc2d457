using System.Diagnostics;
using System.Text;

namespace Anysola.Auth;

/// <summary>
/// A device authorization in progress (RFC 8628 §3.2): show <see cref="UserCode"/> and <see cref="VerificationUri"/>
/// to the person, then wait with <see cref="DeviceAuthorizationClient.WaitForTokensAsync"/>.
/// <see cref="ToString"/> and the debugger never show <see cref="DeviceCode"/>.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed record DeviceAuthorization
{
    /// <summary>The secret code the client polls with. Never shown to the person, never logged.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    public required string DeviceCode { get; init; }

    /// <summary>The code the person types or confirms in the browser; show it exactly as received.</summary>
    public required string UserCode { get; init; }

    /// <summary>The page where the person enters <see cref="UserCode"/>.</summary>
    public required Uri VerificationUri { get; init; }

    /// <summary>The same page with the code filled in, when the server provides one (for a link or a QR code).</summary>
    public Uri? VerificationUriComplete { get; init; }

    /// <summary>When the device code expires; no poll is made after it.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The minimum wait between polls.</summary>
    public required TimeSpan Interval { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("DeviceCode = [redacted], UserCode = ").Append(UserCode)
            .Append(", VerificationUri = ").Append(VerificationUri)
            .Append(", VerificationUriComplete = ").Append(VerificationUriComplete)
            .Append(", ExpiresAt = ").Append(ExpiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            .Append(", Interval = ").Append(Interval);
        return true;
    }
}
