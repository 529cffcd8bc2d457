using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Anysola.Auth.IntegrationTests;

/// <summary>The server's fault injection: transient failures must not end a login.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task LoginAsync_TokenEndpoint503WithRetryAfterWhilePolling_KeepsPollingAndCompletes()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server));

        var started = DateTimeOffset.UtcNow;
        var tokens = await manager.LoginAsync(
            async (authorization, ct) =>
            {
                server.Faults.Add(AnysolaTestEndpoints.Token, new AnysolaFault { StatusCode = 503, RetryAfter = TimeSpan.FromSeconds(1) });
                await server.ApproveAsync(authorization.UserCode, cancellationToken: ct);
            },
            cts.Token);

        TokenAssert.IsAccessToken(tokens.AccessToken);
        var polls = server.Journal.Where(e => e.Endpoint == AnysolaTestEndpoints.Token).ToList();
        Assert.Equal(["fault:503", "issued"], polls.Select(p => Normalize(p.Outcome)));
        Assert.Equal(503, polls[0].StatusCode);

        // Retry-After (1 s) outweighs the 0.05 s interval: the next poll waited for it.
        Assert.True(polls[1].Time - polls[0].Time >= TimeSpan.FromSeconds(0.95), $"the poll after the 503 came {(polls[1].Time - polls[0].Time).TotalMilliseconds} ms later, before Retry-After");
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task LoginAsync_TokenEndpointDropsConnectionWhilePolling_KeepsPollingAndCompletes()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));

        var tokens = await manager.LoginAsync(
            async (authorization, ct) =>
            {
                server.Faults.Add(AnysolaTestEndpoints.Token, new AnysolaFault { DropConnection = true, Times = 2 });
                await server.ApproveAsync(authorization.UserCode, cancellationToken: ct);
            },
            cts.Token);

        TokenAssert.IsAccessToken(tokens.AccessToken);
        Assert.Equal(tokens, await store.GetAsync(cts.Token));
        var outcomes = server.Outcomes(AnysolaTestEndpoints.Token);
        Assert.Equal(3, outcomes.Count);
        Assert.All(outcomes.Take(2), o => Assert.StartsWith("fault:", o, StringComparison.Ordinal));
        Assert.Equal("issued", outcomes[^1]);
    }

    [Fact]
    public async Task LoginAsync_DeviceStartAnswers503Once_RetriesStartAndCompletes()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        server.Faults.Add(AnysolaTestEndpoints.Device, new AnysolaFault { StatusCode = 503, RetryAfter = TimeSpan.FromSeconds(1) });
        using var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server));

        var tokens = await manager.LoginApprovingAsync(server, cts.Token);

        TokenAssert.IsAccessToken(tokens.AccessToken);
        var starts = server.Journal.Where(e => e.Endpoint == AnysolaTestEndpoints.Device).ToList();
        Assert.Equal(2, starts.Count);
        Assert.Equal(503, starts[0].StatusCode);
        Assert.Equal(200, starts[1].StatusCode);
    }

    [Fact]
    public async Task LoginAsync_DeviceStartKeepsFailing_ThrowsTransientServerErrorAfterConfiguredRetries()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        server.Faults.Add(AnysolaTestEndpoints.Device, new AnysolaFault { StatusCode = 503, RetryAfter = TimeSpan.FromSeconds(1), Times = int.MaxValue });
        using var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server, o => o.MaxRetryAttempts = 1));
        var called = false;

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.LoginAsync(
            (_, _) =>
            {
                called = true;
                return Task.CompletedTask;
            },
            cts.Token));

        Assert.True(error.IsTransient);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.False(called, "the callback ran without a user code");
        Assert.Equal(2, server.CountRequests(AnysolaTestEndpoints.Device));
        Assert.Equal(0, server.CountRequests(AnysolaTestEndpoints.Token));
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_TokenEndpoint503WithRetryAfter_RetriesAndRotatesOnce()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));
        var before = await manager.LoginApprovingAsync(server, cts.Token);
        server.Faults.Add(AnysolaTestEndpoints.Token, new AnysolaFault { StatusCode = 503, RetryAfter = TimeSpan.FromSeconds(1) });

        var token = await manager.RefreshAccessTokenAsync(cancellationToken: cts.Token);

        TokenAssert.Different(before.AccessToken, token, "access token");
        var refreshes = server.Journal.Where(e => e.GrantType == "refresh_token").ToList();
        Assert.Equal(2, refreshes.Count);
        Assert.Equal(503, refreshes[0].StatusCode);
        Assert.Equal("issued", refreshes[1].Outcome);
        Assert.True(server.IsRefreshTokenActive((await store.GetAsync(cts.Token))!.RefreshToken!), "the stored refresh token is not the live one");
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_ServerRotatesButAnswerIsLost_KeepsStoredTokensAndRecoversWithinReuseGrace()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync(o => o.RefreshTokenReuseGrace = TimeSpan.FromSeconds(30));
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));
        var before = await manager.LoginApprovingAsync(server, cts.Token);
        server.Faults.Add(AnysolaTestEndpoints.Token, new AnysolaFault { DropConnection = true, Passthrough = true });

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.RefreshAccessTokenAsync(cancellationToken: cts.Token));

        Assert.True(error.IsTransient, $"a lost answer is transient, got {error.Error}");
        Assert.IsNotType<AnysolaLoginRequiredException>(error);
        Assert.Equal(before, await store.GetAsync(cts.Token));

        // The server did rotate, and exactly one refresh request reached it: nothing replayed the token on its own.
        var lost = Assert.Single(server.Journal, e => e.GrantType == "refresh_token");
        Assert.StartsWith("fault:", lost.Outcome, StringComparison.Ordinal);
        Assert.EndsWith(":issued", lost.Outcome, StringComparison.Ordinal);

        var token = await manager.RefreshAccessTokenAsync(cancellationToken: cts.Token);

        TokenAssert.Different(before.AccessToken, token, "access token");
        Assert.True(server.IsRefreshTokenActive((await store.GetAsync(cts.Token))!.RefreshToken!), "the stored refresh token is not the live one");
        Assert.False(server.IsRefreshTokenActive(before.RefreshToken!), "the grace allows one more use only");
        Assert.Equal("issued", server.Outcomes(AnysolaTestEndpoints.Token)[^1]);
        Assert.DoesNotContain("reuse_detected", server.Outcomes(AnysolaTestEndpoints.Token));
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_AnswerLostUnderStrictRotation_NextRefreshEndsSessionWithLoginRequired()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync(o => o.RefreshTokenReuseGrace = TimeSpan.Zero);
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));
        var before = await manager.LoginApprovingAsync(server, cts.Token);
        server.Faults.Add(AnysolaTestEndpoints.Token, new AnysolaFault { DropConnection = true, Passthrough = true });

        var lost = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.RefreshAccessTokenAsync(cancellationToken: cts.Token));
        Assert.True(lost.IsTransient);
        Assert.Equal(before, await store.GetAsync(cts.Token));
        Assert.False(server.IsRefreshTokenActive(before.RefreshToken!), "the server did not rotate");

        // The only refresh token the client has is now a reused one: the server ends the session, and the client
        // says "log in again" once instead of looping.
        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.RefreshAccessTokenAsync(cancellationToken: cts.Token));

        Assert.Null(await store.GetAsync(cts.Token));
        Assert.Equal("reuse_detected", server.Outcomes(AnysolaTestEndpoints.Token)[^1]);
        Assert.Equal(2, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
    }

    [Fact]
    public async Task ApiClient_Get503WithRetryAfter_RetriesAndSucceeds()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<ITokenStore>(new InMemoryTokenStore());
        services.AddAnysolaAuth(o => o.BaseAddress = server.BaseAddress);
        services.AddAnysolaApiClient();
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<TokenManager>();
        await manager.LoginApprovingAsync(server, cts.Token);
        var api = provider.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");
        server.Faults.Add(AnysolaTestEndpoints.Api, new AnysolaFault { StatusCode = 503, RetryAfter = TimeSpan.FromSeconds(1) });

        using var response = await api.GetAsync("api/agents", cts.Token);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var calls = server.Journal.Where(e => e.Endpoint == AnysolaTestEndpoints.Api).ToList();
        Assert.Equal([503, 200], calls.Select(c => c.StatusCode));
        Assert.True(calls[1].Time - calls[0].Time >= TimeSpan.FromSeconds(0.95), "the retry did not wait for Retry-After");
        Assert.Equal(0, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
    }

    // The journal names faults "fault:<kind>"; the kind's spelling is the server's business, the status is asserted separately.
    private static string Normalize(string outcome) =>
        outcome.StartsWith("fault:", StringComparison.Ordinal) ? "fault:503" : outcome;
}
