namespace Anysola.Auth.Testing;

/// <summary>Queues failures for the server to inject; reach it through <see cref="AnysolaTestServer.Faults"/>.</summary>
public sealed class AnysolaFaultInjector
{
    private static readonly string[] s_endpoints =
    [
        AnysolaTestEndpoints.Device,
        AnysolaTestEndpoints.Token,
        AnysolaTestEndpoints.Revoke,
        AnysolaTestEndpoints.UserInfo,
        AnysolaTestEndpoints.Api,
        AnysolaTestEndpoints.Page,
    ];

    private readonly object _gate = new();
    private readonly List<(string Endpoint, AnysolaFault Fault, int Remaining)> _queue = [];

    internal AnysolaFaultInjector()
    {
    }

    /// <summary>
    /// Queues <paramref name="fault"/> for the next <see cref="AnysolaFault.Times"/> requests to
    /// <paramref name="endpoint"/>. Faults queued for the same endpoint apply in the order they were added.
    /// </summary>
    /// <param name="endpoint">One of <see cref="AnysolaTestEndpoints"/> (except <see cref="AnysolaTestEndpoints.Other"/>).</param>
    /// <param name="fault">The failure to inject.</param>
    /// <exception cref="ArgumentException"><paramref name="endpoint"/> is not a known endpoint.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="AnysolaFault.Times"/> is not positive.</exception>
    public void Add(string endpoint, AnysolaFault fault)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(fault);
        if (Array.IndexOf(s_endpoints, endpoint) < 0)
        {
            throw new ArgumentException($"Unknown endpoint '{endpoint}'; use one of AnysolaTestEndpoints.", nameof(endpoint));
        }

        if (fault.Times <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fault), fault.Times, "Times must be positive.");
        }

        if (fault.StatusCode is < 100 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(fault), fault.StatusCode, "StatusCode must be a valid HTTP status code.");
        }

        lock (_gate)
        {
            _queue.Add((endpoint, fault, fault.Times));
        }
    }

    /// <summary>Removes every queued fault.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _queue.Clear();
        }
    }

    /// <summary>Takes the fault that applies to this request, if any, and counts it as used.</summary>
    internal AnysolaFault? TryTake(string endpoint)
    {
        lock (_gate)
        {
            for (var i = 0; i < _queue.Count; i++)
            {
                var (queuedEndpoint, fault, remaining) = _queue[i];
                if (queuedEndpoint != endpoint)
                {
                    continue;
                }

                if (remaining == int.MaxValue)
                {
                    return fault;
                }

                if (remaining <= 1)
                {
                    _queue.RemoveAt(i);
                }
                else
                {
                    _queue[i] = (queuedEndpoint, fault, remaining - 1);
                }

                return fault;
            }

            return null;
        }
    }
}
