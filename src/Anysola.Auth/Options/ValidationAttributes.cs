using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Anysola.Auth;

/// <summary>An absolute HTTPS URI, or HTTP for a loopback host only.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AnysolaBaseAddressAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var name = validationContext.MemberName ?? nameof(AnysolaAuthOptions.BaseAddress);
        if (value is null)
        {
            return ValidationResult.Success; // [Required] reports it.
        }

        if (value is not Uri uri || !uri.IsAbsoluteUri)
        {
            return new ValidationResult($"AnysolaAuthOptions.{name} must be an absolute URI.", [name]);
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return ValidationResult.Success;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && Loopback.IsLoopbackHost(uri))
        {
            return ValidationResult.Success;
        }

        return new ValidationResult(
            $"AnysolaAuthOptions.{name} must use https; plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1). Got scheme '{uri.Scheme}' for host '{uri.Host}'.",
            [name]);
    }
}

/// <summary>A non-empty path relative to the base address (no scheme, no leading slash needed).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class RelativeEndpointAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var name = validationContext.MemberName ?? "Endpoint";
        if (value is not string path)
        {
            return ValidationResult.Success; // [Required] reports it.
        }

        if (string.IsNullOrWhiteSpace(path)
            || !Uri.TryCreate(path, UriKind.Relative, out _)
            || path.StartsWith("//", StringComparison.Ordinal)
            || path.Contains('\\', StringComparison.Ordinal)
            || path.Contains('?', StringComparison.Ordinal)
            || path.Contains('#', StringComparison.Ordinal)
            || !StaysOnOrigin(path))
        {
            return new ValidationResult(
                $"AnysolaAuthOptions.{name} must be a path relative to BaseAddress, such as 'api/oauth/token'; got '{path}'.",
                [name]);
        }

        return ValidationResult.Success;
    }

    /// <summary>Resolved the way the client resolves it, the path must stay on the base address's origin (so the token does too).</summary>
    private static bool StaysOnOrigin(string path)
    {
        var origin = new Uri("https://origin.invalid/base/");
        return Uri.TryCreate(origin, path.TrimStart('/'), out var resolved)
            && resolved.Scheme == origin.Scheme
            && resolved.Authority == origin.Authority;
    }
}

/// <summary>A <see cref="TimeSpan"/> greater than zero.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class PositiveTimeSpanAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var name = validationContext.MemberName ?? "value";
        return value is TimeSpan span && span <= TimeSpan.Zero
            ? new ValidationResult($"AnysolaAuthOptions.{name} must be greater than zero; got {span}.", [name])
            : ValidationResult.Success;
    }
}

/// <summary>A <see cref="TimeSpan"/> of zero or more.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class NonNegativeTimeSpanAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var name = validationContext.MemberName ?? "value";
        return value is TimeSpan span && span < TimeSpan.Zero
            ? new ValidationResult($"AnysolaAuthOptions.{name} must not be negative; got {span}.", [name])
            : ValidationResult.Success;
    }
}

internal static class Loopback
{
    /// <summary>True for <c>localhost</c>, any 127.0.0.0/8 address and <c>::1</c>.</summary>
    public static bool IsLoopbackHost(Uri uri)
    {
        if (uri.IsLoopback)
        {
            return true;
        }

        return string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.IdnHost, out var address) && IPAddress.IsLoopback(address));
    }
}
