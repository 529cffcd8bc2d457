using System.Net;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Anysola.Auth.ReliabilityTests.FaultMatrix.FaultMatrixData;

namespace Anysola.Auth.ReliabilityTests.FaultMatrix;

/// <summary>
/// Runs one cell of the fault matrix over real loopback HTTP: the fault is queued on the local server for exactly one
/// answer, the operation runs (bounded, so a hang fails), its outcome and the state left behind are compared with the
/// documented ones, and then the operation is repeated without the fault to show that no session was lost.
/// </summary>
public static class FaultMatrixRunner
{
    public static async Task RunAsync(string operation, string faultName)
    {
        var fault = Fault(faultName).Fault;
        var expected = Expected(operation, faultName);
        await using var server = await Harness.StartServerAsync();
        var directory = Harness.TempDirectory("matrix");
        try
        {
            using var http = Harness.PlainClient();
            var options = Harness.Options(server.BaseAddress);
            var path = Path.Combine(directory.FullName, "credentials.json");
            var store = new FileTokenStore(path);
            var manager = new TokenManager(http, store, options);

            var (outcome, after, requests) = operation switch
            {
                DeviceStart => await DeviceStartAsync(server, http, options, fault),
                DevicePoll => await DevicePollAsync(server, http, options, fault),
                Refresh => await RefreshAsync(server, manager, store, fault),
                Revoke => await RevokeAsync(server, manager, store, fault),
                UserInfo => await UserInfoAsync(server, manager, store, fault),
                ApiCall => await ApiCallAsync(server, manager, store, options, fault),
                _ => throw new ArgumentOutOfRangeException(nameof(operation)),
            };

            Record(operation, faultName, expected, outcome, after, requests);
            Assert.Equal(expected.Outcome, outcome);
            Assert.Equal(expected.After, after);
            AssertOwnerOnlyIfPresent(path);
        }
        finally
        {
            Harness.TryDelete(directory);
        }
    }

    private static async Task<(string, string, int)> DeviceStartAsync(AnysolaTestServer server, HttpClient http, AnysolaAuthOptions options, AnysolaFault fault)
    {
        var device = new DeviceAuthorizationClient(http, options);
        server.Faults.Add(AnysolaTestEndpoints.Device, fault);
        var outcome = await ObserveAsync(() => device.StartAsync());
        var requests = server.CountRequests(AnysolaTestEndpoints.Device);
        server.Faults.Clear();
        var next = await ObserveAsync(() => device.StartAsync());
        return (outcome, next == Ok ? NextCallOk : "next call: " + next, requests);
    }

    private static async Task<(string, string, int)> DevicePollAsync(AnysolaTestServer server, HttpClient http, AnysolaAuthOptions options, AnysolaFault fault)
    {
        var device = new DeviceAuthorizationClient(http, options);
        var authorization = await Harness.Bounded(device.StartAsync());
        server.Faults.Add(AnysolaTestEndpoints.Token, fault);
        TokenSet? tokens = null;
        var outcome = await ObserveAsync(async () => tokens = await device.WaitForTokensAsync(authorization));
        var requests = server.CountRequests(AnysolaTestEndpoints.Token);
        server.Faults.Clear();

        string after;
        if (tokens is not null)
        {
            // The tokens the poll returned are the live session.
            after = server.IsRefreshTokenActive(tokens.RefreshToken!) ? NextCallOk : "issued tokens are not active";
        }
        else
        {
            var next = await ObserveAsync(async () => tokens = await device.WaitForTokensAsync(authorization));
            after = next switch
            {
                Ok => NextCallOk,
                "error:invalid_grant" => CodeSpent,
                _ => "next call: " + next,
            };
        }

        return (outcome, after, requests);
    }

    private static async Task<(string, string, int)> RefreshAsync(AnysolaTestServer server, TokenManager manager, FileTokenStore store, AnysolaFault fault)
    {
        var initial = await Harness.LoginAsync(manager);
        var before = server.CountRequests(AnysolaTestEndpoints.Token);
        server.Faults.Add(AnysolaTestEndpoints.Token, fault);
        var outcome = await ObserveAsync(() => manager.RefreshAccessTokenAsync(initial.AccessToken));
        var requests = server.CountRequests(AnysolaTestEndpoints.Token) - before;
        server.Faults.Clear();

        var stored = await store.GetAsync();
        string after;
        if (outcome == Ok)
        {
            after = stored is not null && stored.RefreshToken != initial.RefreshToken && server.IsRefreshTokenActive(stored.RefreshToken!)
                ? StoreUpdated
                : "store not updated";
        }
        else if (stored?.RefreshToken != initial.RefreshToken || stored?.AccessToken != initial.AccessToken)
        {
            after = "store changed by a failed refresh";
        }
        else
        {
            var next = await ObserveAsync(() => manager.RefreshAccessTokenAsync(initial.AccessToken));
            after = next switch
            {
                Ok => StoreUnchangedThenOk,
                "error:login_required" => SessionEnded,
                _ => "next call: " + next,
            };
        }

        return (outcome, after, requests);
    }

    private static async Task<(string, string, int)> RevokeAsync(AnysolaTestServer server, TokenManager manager, FileTokenStore store, AnysolaFault fault)
    {
        var initial = await Harness.LoginAsync(manager);
        server.Faults.Add(AnysolaTestEndpoints.Revoke, fault);
        var outcome = await ObserveAsync(() => manager.LogoutAsync());
        var requests = server.CountRequests(AnysolaTestEndpoints.Revoke);
        server.Faults.Clear();
        var stored = await store.GetAsync();
        var after = stored is not null ? "store not cleared"
            : server.IsRefreshTokenActive(initial.RefreshToken!) ? LeftActive : Revoked;
        return (outcome, after, requests);
    }

    private static async Task<(string, string, int)> UserInfoAsync(AnysolaTestServer server, TokenManager manager, FileTokenStore store, AnysolaFault fault)
    {
        var initial = await Harness.LoginAsync(manager);
        server.Faults.Add(AnysolaTestEndpoints.UserInfo, fault);
        var outcome = await ObserveAsync(async () => Assert.Equal("usr_ada", (await manager.GetUserInfoAsync()).Subject));
        var requests = server.CountRequests(AnysolaTestEndpoints.UserInfo);
        server.Faults.Clear();
        var after = await StoreUnchangedThenAsync(store, initial, () => ObserveAsync(() => manager.GetUserInfoAsync()));
        return (outcome, after, requests);
    }

    private static async Task<(string, string, int)> ApiCallAsync(AnysolaTestServer server, TokenManager manager, FileTokenStore store, AnysolaAuthOptions options, AnysolaFault fault)
    {
        var initial = await Harness.LoginAsync(manager);
        var services = new ServiceCollection();
        services.AddSingleton<ITokenStore>(new FileTokenStore(store.Path));
        services.AddAnysolaAuth(o =>
        {
            o.BaseAddress = options.BaseAddress;
            o.CliLabel = options.CliLabel;
            o.MaxRetryAttempts = options.MaxRetryAttempts;
            o.RequestTimeout = options.RequestTimeout;
        });
        services.AddAnysolaApiClient().ConfigureHttpClient(c => c.Timeout = Harness.RequestTimeout);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(AnysolaAuthServiceCollectionExtensions.DefaultApiClientName);

        server.Faults.Add(AnysolaTestEndpoints.Api, fault);
        var outcome = await ObserveHttpAsync(() => client.GetAsync(new Uri("api/agents", UriKind.Relative)));
        var requests = server.CountRequests(AnysolaTestEndpoints.Api);
        server.Faults.Clear();
        var after = await StoreUnchangedThenAsync(store, initial, async () =>
            await ObserveHttpAsync(() => client.GetAsync(new Uri("api/agents", UriKind.Relative))) == Http200 ? Ok : "failed");
        return (outcome, after, requests);
    }

    private static async Task<string> StoreUnchangedThenAsync(FileTokenStore store, TokenSet initial, Func<Task<string>> next)
    {
        var stored = await store.GetAsync();
        if (stored?.AccessToken != initial.AccessToken || stored.RefreshToken != initial.RefreshToken)
        {
            return "store changed";
        }

        var result = await next();
        return result == Ok ? StoreUnchangedThenOk : "next call: " + result;
    }

    private static async Task<string> ObserveAsync(Func<Task> action)
    {
        try
        {
            await action().WaitAsync(Harness.HangBound);
            return Ok;
        }
        catch (AnysolaAuthException ex)
        {
            return "error:" + ex.Error;
        }
    }

    private static async Task<string> ObserveHttpAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            using var response = await send().WaitAsync(Harness.HangBound);
            return response.StatusCode == HttpStatusCode.OK ? Http200 : $"HTTP {(int)response.StatusCode} returned";
        }
        catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException)
        {
            return HttpClientTimeout;
        }
        catch (AnysolaAuthException ex)
        {
            return "error:" + ex.Error;
        }
    }

    private static void AssertOwnerOnlyIfPresent(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }
}

// One class per operation, so the operations run in parallel while each one's faults run in turn.
public sealed class DeviceStartFaultTests
{
    [Theory]
    [MemberData(nameof(Cases), DeviceStart, MemberType = typeof(FaultMatrixData))]
    public Task StartAsync_InjectedFault_BehavesAsDocumented(string operation, string fault) => FaultMatrixRunner.RunAsync(operation, fault);
}

public sealed class DevicePollFaultTests
{
    [Theory]
    [MemberData(nameof(Cases), DevicePoll, MemberType = typeof(FaultMatrixData))]
    public Task WaitForTokensAsync_InjectedFault_BehavesAsDocumented(string operation, string fault) => FaultMatrixRunner.RunAsync(operation, fault);
}

public sealed class RefreshFaultTests
{
    [Theory]
    [MemberData(nameof(Cases), Refresh, MemberType = typeof(FaultMatrixData))]
    public Task RefreshAccessTokenAsync_InjectedFault_BehavesAsDocumented(string operation, string fault) => FaultMatrixRunner.RunAsync(operation, fault);
}

public sealed class RevokeFaultTests
{
    [Theory]
    [MemberData(nameof(Cases), Revoke, MemberType = typeof(FaultMatrixData))]
    public Task LogoutAsync_InjectedFault_BehavesAsDocumented(string operation, string fault) => FaultMatrixRunner.RunAsync(operation, fault);
}

public sealed class UserInfoFaultTests
{
    [Theory]
    [MemberData(nameof(Cases), UserInfo, MemberType = typeof(FaultMatrixData))]
    public Task GetUserInfoAsync_InjectedFault_BehavesAsDocumented(string operation, string fault) => FaultMatrixRunner.RunAsync(operation, fault);
}

public sealed class ApiCallFaultTests
{
    [Theory]
    [MemberData(nameof(Cases), ApiCall, MemberType = typeof(FaultMatrixData))]
    public Task ApiClientGet_InjectedFault_BehavesAsDocumented(string operation, string fault) => FaultMatrixRunner.RunAsync(operation, fault);
}
