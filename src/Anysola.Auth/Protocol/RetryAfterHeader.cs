using System.Globalization;

namespace Anysola.Auth.Protocol;

/// <summary>Reads <c>Retry-After</c> as a delay: seconds (fractions accepted) or an HTTP date, never negative.</summary>
internal static class RetryAfterHeader
{
    public static TimeSpan? Read(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        // The typed header rejects fractional seconds, which some servers send.
        if (response.Headers.TryGetValues("Retry-After", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && seconds is >= 0 and < 86400)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }
}
