namespace Anysola.Auth.Testing;

/// <summary>A failure the server injects into the answers of one endpoint; queue it with <see cref="AnysolaFaultInjector.Add"/>.</summary>
public sealed record AnysolaFault
{
    /// <summary>The status code answered. Default: 503.</summary>
    public int StatusCode { get; init; } = 503;

    /// <summary>When set, sent as a <c>Retry-After</c> header in whole seconds, rounded up. Default: none.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// A wait before answering, on the real clock (not the server's <see cref="AnysolaTestServerOptions.TimeProvider"/>),
    /// so keep it small. Default: none.
    /// </summary>
    public TimeSpan Delay { get; init; }

    /// <summary>The body answered. Default: <see cref="AnysolaFaultBody.Json"/>.</summary>
    public AnysolaFaultBody Body { get; init; } = AnysolaFaultBody.Json;

    /// <summary>When <see langword="true"/>, the connection is aborted without any answer. Default: <see langword="false"/>.</summary>
    public bool DropConnection { get; init; }

    /// <summary>How many matching requests the fault applies to; <see cref="int.MaxValue"/> means always. Default: 1.</summary>
    public int Times { get; init; } = 1;

    /// <summary>
    /// When <see langword="true"/>, the server first handles the request normally (tokens are issued or rotated,
    /// agents created) and then loses the answer: it drops the connection when <see cref="DropConnection"/> is set,
    /// otherwise it sends this fault's status and body instead. Simulates "the server acted, the answer was lost".
    /// Default: <see langword="false"/>.
    /// </summary>
    public bool Passthrough { get; init; }
}
